//! Against a live Swift all-in-one with tempauth (`cargo xtask emulators up`): the storage
//! conformance suite, large objects, and token renewal.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use libcloud_core::hash::md5_hex;
use libcloud_core::{Error, ErrorKind, Secret, StorageDriver, StorageDriverExt, UploadOptions};
use libcloud_openstack::{AuthConfig, OpenStackConfig, SwiftStorage, Token};
use libcloud_testkit::{conformance, require_live, unique_name};

const AUTH_VAR: &str = "LIBCLOUD_TEST_SWIFT_AUTH_URL";

fn config(auth_url: &str) -> OpenStackConfig {
    let user = std::env::var("LIBCLOUD_TEST_SWIFT_USER").unwrap_or_else(|_| "test:tester".into());
    let key = std::env::var("LIBCLOUD_TEST_SWIFT_KEY").unwrap_or_else(|_| "testing".into());
    OpenStackConfig::new(AuthConfig::tempauth(auth_url, user, key))
}

/// 1 MiB segments, so that the suite's 3 MiB object is a Static Large Object.
fn driver(auth_url: &str) -> SwiftStorage {
    SwiftStorage::new(config(auth_url))
        .unwrap()
        .with_segment_size(1024 * 1024)
}

fn pattern(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i * 7 % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

#[tokio::test]
async fn storage_conformance_on_swift() {
    let auth_url = require_live!(AUTH_VAR);
    conformance::storage::run(&driver(&auth_url)).await;
}

#[tokio::test]
async fn large_objects_are_static_large_objects() {
    let auth_url = require_live!(AUTH_VAR);
    let swift = driver(&auth_url).with_upload_concurrency(2);
    let container = unique_name("lc-slo");
    swift.create_container(&container).await.unwrap();
    let data = pattern(2 * 1024 * 1024 + 5);
    let chunks: Vec<libcloud_core::Result<Bytes>> = data
        .chunks(100_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let options = UploadOptions::default()
        .content_type("application/x-test")
        .meta("kind", "big");
    let uploaded = swift
        .upload_object_via_stream(
            &container,
            "big.bin",
            stream::iter(chunks).boxed(),
            &options,
        )
        .await
        .unwrap();
    assert_eq!(uploaded.size, data.len() as u64);
    assert_eq!(uploaded.hash.as_deref(), Some(md5_hex(&data).as_str()));

    let head = swift.get_object(&container, "big.bin").await.unwrap();
    assert_eq!(
        head.extra.get("static_large_object"),
        Some(&serde_json::json!(true))
    );
    assert_eq!(head.hash, uploaded.hash);
    assert_eq!(head.size, data.len() as u64);
    assert_eq!(head.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(head.meta_data.get("kind").map(String::as_str), Some("big"));
    assert!(!head.meta_data.contains_key("libcloud-content-md5"));

    let segments = swift.ex_segment_container(&container);
    let parts = swift.list_container_objects(&segments, None).await.unwrap();
    assert_eq!(parts.len(), 3, "{parts:?}");
    assert!(parts.iter().all(|p| p.name.starts_with("big.bin/slo/")));

    // A ranged read across a segment boundary, and the whole object checked by MD5.
    let start = 1024 * 1024 - 3;
    let range = swift
        .download_object_range_as_stream(
            &container,
            "big.bin",
            start as u64,
            Some(start as u64 + 10),
        )
        .await
        .unwrap();
    let got = libcloud_core::body::collect_stream(range, 100)
        .await
        .unwrap();
    assert_eq!(got, data.slice(start..start + 10));
    let whole = swift
        .download_object_as_bytes(&container, "big.bin", 4 * 1024 * 1024)
        .await
        .unwrap();
    assert_eq!(whole, data);

    // Deleting the object deletes its segments.
    swift.delete_object(&container, "big.bin").await.unwrap();
    assert!(
        swift
            .get_object(&container, "big.bin")
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        swift
            .list_container_objects(&segments, None)
            .await
            .unwrap()
            .is_empty()
    );
    swift.delete_container(&segments).await.unwrap();
    swift.delete_container(&container).await.unwrap();
}

#[tokio::test]
async fn a_failed_large_upload_leaves_no_segments() {
    let auth_url = require_live!(AUTH_VAR);
    let swift = driver(&auth_url);
    let container = unique_name("lc-slo-fail");
    swift.create_container(&container).await.unwrap();
    let items: Vec<libcloud_core::Result<Bytes>> = vec![
        Ok(pattern(1024 * 1024)),
        Ok(pattern(1024 * 1024)),
        Ok(pattern(1000)),
        Err(Error::new(
            ErrorKind::Transport,
            "the source broke on purpose",
        )),
    ];
    let err = swift
        .upload_object_via_stream(
            &container,
            "broken.bin",
            stream::iter(items).boxed(),
            &UploadOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    assert!(
        swift
            .get_object(&container, "broken.bin")
            .await
            .unwrap_err()
            .is_not_found()
    );
    let segments = swift.ex_segment_container(&container);
    assert!(
        swift
            .list_container_objects(&segments, None)
            .await
            .unwrap()
            .is_empty()
    );
    swift.delete_container(&segments).await.unwrap();
    swift.delete_container(&container).await.unwrap();
}

#[tokio::test]
async fn a_token_the_server_no_longer_accepts_is_replaced() {
    let auth_url = require_live!(AUTH_VAR);
    let swift = driver(&auth_url);
    let container = unique_name("lc-renew");
    swift.create_container(&container).await.unwrap();
    assert_eq!(swift.session().authentications(), 1);
    // As if the token had expired on the server: it still looks fresh here.
    let mut stale: Token = (*swift.session().token().await.unwrap()).clone();
    stale.id = Secret::new("AUTH_tk00000000000000000000000000000000");
    stale.expires_at = Some(SystemTime::now() + Duration::from_secs(3600));
    swift.session().set_token(stale).await;
    swift
        .upload_bytes(
            &container,
            "after.txt",
            Bytes::from_static(b"ok"),
            &UploadOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(swift.session().authentications(), 2);
    swift.delete_object(&container, "after.txt").await.unwrap();
    swift.delete_container(&container).await.unwrap();
}

#[tokio::test]
async fn a_wrong_key_is_invalid_credentials() {
    let auth_url = require_live!(AUTH_VAR);
    let swift = SwiftStorage::new(OpenStackConfig::new(AuthConfig::tempauth(
        &auth_url,
        "test:tester",
        "not-the-key",
    )))
    .unwrap();
    let err = swift.list_containers().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidCredentials, "{err}");
    assert!(!err.to_string().contains("not-the-key"));
}
