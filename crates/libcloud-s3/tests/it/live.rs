//! Live runs against moto (`LIBCLOUD_TEST_MOTO_ENDPOINT`, any key, us-east-1) and Garage
//! (`LIBCLOUD_TEST_GARAGE_ENDPOINT` and its key, secret and region), as
//! `cargo xtask emulators up` starts them. Without the variables the tests say so and pass,
//! unless `LIBCLOUD_REQUIRE_LIVE=1`.
//!
//! Each server runs the shared storage conformance suite, a multipart upload above the
//! threshold read back byte for byte, a presigned GET fetched by a plain HTTP client, and the
//! multipart-upload listing and clean-up. Garage checks signatures, so it also shows that a
//! wrong secret is `InvalidCredentials`.

use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use libcloud_aws::{AwsClient, Endpoint, ErrorContext, Region, Service, StaticProvider};
use libcloud_core::{Body, Credentials, ErrorKind, StorageDriver, StorageDriverExt, UploadOptions};
use libcloud_s3::{ChecksumMode, S3Config, S3Storage};
use libcloud_testkit::{require_live, unique_name};

use crate::support::{MIB, pattern};

/// A server to run against.
struct Server {
    endpoint: String,
    key: String,
    secret: String,
    region: String,
}

impl Server {
    fn config(&self) -> S3Config {
        S3Config::new()
            .with_endpoint(self.endpoint.clone())
            .with_region(Region::new(self.region.clone()).unwrap())
            .with_credentials(self.key.clone(), self.secret.clone())
    }

    fn driver(&self, config: S3Config) -> S3Storage {
        S3Storage::new(config).unwrap()
    }
}

fn moto(endpoint: String) -> Server {
    Server {
        endpoint,
        key: "testing".into(),
        secret: "testing".into(),
        region: "us-east-1".into(),
    }
}

macro_rules! garage {
    () => {{
        let endpoint = require_live!("LIBCLOUD_TEST_GARAGE_ENDPOINT");
        let key = require_live!("LIBCLOUD_TEST_GARAGE_ACCESS_KEY");
        let secret = require_live!("LIBCLOUD_TEST_GARAGE_SECRET_KEY");
        let region = libcloud_testkit::live::endpoint("LIBCLOUD_TEST_GARAGE_REGION")
            .unwrap_or_else(|| "us-east-1".into());
        Server {
            endpoint,
            key,
            secret,
            region,
        }
    }};
}

async fn conformance(server: &Server) {
    let s3 = server.driver(server.config());
    libcloud_testkit::conformance::storage::run(&s3).await;
}

/// 12 MiB in 5 MiB parts (three parts, two in flight), read back whole and by range.
async fn multipart_round_trip(server: &Server, checksum: ChecksumMode) {
    let config = server
        .config()
        .with_part_size(5 * MIB)
        .with_multipart_threshold(5 * MIB as u64)
        .with_concurrency(2)
        .with_checksum(checksum);
    let s3 = server.driver(config);
    let bucket = unique_name("lc-s3-multipart");
    s3.create_container(&bucket).await.unwrap();
    let data = pattern(12 * MIB + 123);
    let chunks: Vec<libcloud_core::Result<Bytes>> = (0..data.len())
        .step_by(256 * 1024)
        .map(|s| Ok(data.slice(s..(s + 256 * 1024).min(data.len()))))
        .collect();
    let options = UploadOptions::default().meta("origin", "multipart-test");
    let result = async {
        let object = s3
            .upload_object_via_stream(
                &bucket,
                "big/blob.bin",
                futures::stream::iter(chunks).boxed(),
                &options,
            )
            .await
            .unwrap();
        assert_eq!(object.size, data.len() as u64);
        let hash = object.hash.clone().unwrap();
        assert!(hash.ends_with("-3"), "a three-part ETag, got {hash}");
        let head = s3.get_object(&bucket, "big/blob.bin").await.unwrap();
        assert_eq!(head.size, data.len() as u64);
        assert_eq!(head.hash.as_deref(), Some(hash.as_str()));
        assert_eq!(head.meta_data["origin"], "multipart-test");
        let back = s3
            .download_object_as_bytes(&bucket, "big/blob.bin", 64 * MIB)
            .await
            .unwrap();
        assert!(back == data, "the download differs from the upload");
        let range = s3
            .download_object_range_as_stream(
                &bucket,
                "big/blob.bin",
                5 * MIB as u64 - 10,
                Some(5 * MIB as u64 + 10),
            )
            .await
            .unwrap();
        let range = libcloud_core::body::collect_stream(range, MIB)
            .await
            .unwrap();
        assert_eq!(range, data.slice(5 * MIB - 10..5 * MIB + 10));
        assert!(
            s3.ex_iterate_multipart_uploads(&bucket, None)
                .try_collect::<Vec<_>>()
                .await
                .unwrap()
                .is_empty(),
            "a completed upload leaves nothing behind"
        );
    };
    result.await;
    s3.delete_object(&bucket, "big/blob.bin").await.unwrap();
    s3.delete_container(&bucket).await.unwrap();
}

/// A presigned GET works for a client with no credentials at all.
async fn presigned_get(server: &Server) {
    let s3 = server.driver(server.config());
    let bucket = unique_name("lc-s3-presign");
    s3.create_container(&bucket).await.unwrap();
    let data = Bytes::from_static(b"shared with a link");
    s3.upload_bytes(
        &bucket,
        "dir/shared file.txt",
        data.clone(),
        &UploadOptions::default(),
    )
    .await
    .unwrap();
    let url = s3
        .get_object_cdn_url(&bucket, "dir/shared file.txt", Duration::from_secs(600))
        .await
        .unwrap();
    let transport = libcloud_http::default_transport().unwrap();
    let request = http::Request::get(url.as_str())
        .body(Body::empty())
        .unwrap();
    let response = libcloud_core::transport::send(&transport, request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    let body = response.into_body().collect(1024).await.unwrap();
    assert_eq!(body, data);
    // The same URL without its signature is refused.
    let bare = url.split('?').next().unwrap().to_string();
    let request = http::Request::get(bare.as_str())
        .body(Body::empty())
        .unwrap();
    let response = libcloud_core::transport::send(&transport, request)
        .await
        .unwrap();
    assert!(
        response.status().is_client_error(),
        "unsigned GET answered {}",
        response.status()
    );
    s3.delete_object(&bucket, "dir/shared file.txt")
        .await
        .unwrap();
    s3.delete_container(&bucket).await.unwrap();
}

/// An upload started by hand is listed by `ex_iterate_multipart_uploads` and removed by
/// `ex_cleanup_all_multipart_uploads`.
async fn multipart_listing_and_cleanup(server: &Server) {
    let s3 = server.driver(server.config());
    let bucket = unique_name("lc-s3-uploads");
    s3.create_container(&bucket).await.unwrap();
    let region = Region::new(server.region.clone()).unwrap();
    let endpoint = Endpoint::custom(&server.endpoint, region).unwrap();
    let creds = StaticProvider::new(Credentials::new(server.key.clone(), server.secret.clone()));
    let raw = AwsClient::new(
        libcloud_http::default_transport().unwrap(),
        std::sync::Arc::new(creds),
        Service::S3,
        endpoint.clone(),
    );
    let uri = endpoint
        .uri(&format!("/{bucket}/left/behind.bin?uploads="))
        .unwrap();
    let request = http::Request::post(uri).body(Body::empty()).unwrap();
    raw.send(request, &ErrorContext::new("initiate"))
        .await
        .unwrap();
    let uploads: Vec<_> = s3
        .ex_iterate_multipart_uploads(&bucket, Some("left/"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert_eq!(uploads[0].key, "left/behind.bin");
    assert_eq!(
        s3.ex_cleanup_all_multipart_uploads(&bucket, None)
            .await
            .unwrap(),
        1
    );
    assert!(
        s3.ex_iterate_multipart_uploads(&bucket, None)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .is_empty()
    );
    s3.delete_container(&bucket).await.unwrap();
}

/// A multipart upload whose source fails after two parts is aborted: no object, no upload left.
async fn failed_multipart_leaves_nothing(server: &Server) {
    let config = server
        .config()
        .with_part_size(5 * MIB)
        .with_multipart_threshold(5 * MIB as u64);
    let s3 = server.driver(config);
    let bucket = unique_name("lc-s3-abort");
    s3.create_container(&bucket).await.unwrap();
    let body = futures::stream::iter(vec![
        Ok(pattern(11 * MIB)),
        Err(libcloud_core::Error::new(
            ErrorKind::Transport,
            "the source broke",
        )),
    ])
    .boxed();
    let err = s3
        .upload_object_via_stream(&bucket, "broken.bin", body, &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    assert!(
        s3.get_object(&bucket, "broken.bin")
            .await
            .unwrap_err()
            .is_not_found()
    );
    let left: Vec<_> = s3
        .ex_iterate_multipart_uploads(&bucket, None)
        .try_collect()
        .await
        .unwrap();
    assert!(
        left.is_empty(),
        "the failed upload was not aborted: {left:?}"
    );
    s3.delete_container(&bucket).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_failed_multipart_leaves_nothing() {
    let server = moto(require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT"));
    failed_multipart_leaves_nothing(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_failed_multipart_leaves_nothing() {
    let server = garage!();
    failed_multipart_leaves_nothing(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_conformance() {
    let server = moto(require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT"));
    conformance(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_multipart_round_trip() {
    let server = moto(require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT"));
    multipart_round_trip(&server, ChecksumMode::Md5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_presigned_get() {
    let server = moto(require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT"));
    presigned_get(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_multipart_listing_and_cleanup() {
    let server = moto(require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT"));
    multipart_listing_and_cleanup(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_conformance() {
    let server = garage!();
    conformance(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_multipart_round_trip() {
    let server = garage!();
    multipart_round_trip(&server, ChecksumMode::Md5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_presigned_get() {
    let server = garage!();
    presigned_get(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_multipart_listing_and_cleanup() {
    let server = garage!();
    multipart_listing_and_cleanup(&server).await;
}

/// Garage checks signatures: the right key with a wrong secret is refused as
/// `InvalidCredentials`, for a read and for a write, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_refuses_a_wrong_secret() {
    let server = garage!();
    let good = server.driver(server.config());
    let bucket = unique_name("lc-s3-wrong-secret");
    good.create_container(&bucket).await.unwrap();
    let bad = server.driver(
        server
            .config()
            .with_credentials(server.key.clone(), format!("{}x", server.secret)),
    );
    let err = bad.list_containers().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidCredentials, "{err}");
    let err = bad
        .upload_bytes(
            &bucket,
            "k",
            Bytes::from_static(b"x"),
            &UploadOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidCredentials, "{err}");
    assert!(
        good.list_container_objects(&bucket, None)
            .await
            .unwrap()
            .is_empty()
    );
    good.delete_container(&bucket).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_crc32c_round_trip() {
    let server = moto(require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT"));
    multipart_round_trip(&server, ChecksumMode::Crc32c).await;
    small_round_trip(&server, ChecksumMode::Crc32c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_crc32c_round_trip() {
    let server = garage!();
    multipart_round_trip(&server, ChecksumMode::Crc32c).await;
    small_round_trip(&server, ChecksumMode::Crc32c).await;
}

/// One `PutObject` under `checksum`, read back.
async fn small_round_trip(server: &Server, checksum: ChecksumMode) {
    let s3 = server.driver(server.config().with_checksum(checksum));
    let bucket = unique_name("lc-s3-small");
    s3.create_container(&bucket).await.unwrap();
    let data = pattern(100_000);
    s3.upload_bytes(
        &bucket,
        "small.bin",
        data.clone(),
        &UploadOptions::default(),
    )
    .await
    .unwrap();
    let back = s3
        .download_object_as_bytes(&bucket, "small.bin", MIB)
        .await
        .unwrap();
    assert!(back == data);
    s3.delete_object(&bucket, "small.bin").await.unwrap();
    s3.delete_container(&bucket).await.unwrap();
}
