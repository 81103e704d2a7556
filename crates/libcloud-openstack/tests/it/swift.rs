//! The Swift driver over Apache Libcloud's recorded CloudFiles listings, and over answers
//! written here for uploads, downloads and deletes.

use bytes::Bytes;
use futures::TryStreamExt;
use libcloud_core::hash::md5_hex;
use libcloud_core::{
    ByteRange, ErrorKind, ResourceKind, StorageDriver, StorageDriverExt, UploadOptions,
};
use libcloud_openstack::{AuthConfig, OpenStackConfig, SwiftStorage};
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;
use serde_json::json;

use crate::{CLOUDFILES, recorded};

const ACCOUNT: &str = "/v1/MossoCloudFS";

/// A driver signed in with the recorded CloudFiles catalog (region ORD), and its replay.
fn cloudfiles(routes: Vec<Route>) -> (Replay, SwiftStorage) {
    let replay = Replay::new()
        .with(recorded(Route::post("/v2.0/tokens"), CLOUDFILES, "_v2_0__auth.json").repeat());
    for route in routes {
        replay.add(route);
    }
    let config = OpenStackConfig::new(AuthConfig::v2_api_key(
        "https://identity.api.rackspacecloud.com/v2.0",
        "user",
        "key",
    ))
    .with_region("ORD");
    let swift = SwiftStorage::with_transport(config, replay.transport()).unwrap();
    (replay, swift)
}

/// A driver signed in by tempauth at `http://swift.example.com`, and its replay.
fn tempauth(routes: Vec<Route>) -> (Replay, SwiftStorage) {
    let replay = Replay::new().with(
        Route::get("/auth/v1.0")
            .response_header("x-auth-token", "AUTH_tk")
            .response_header("x-storage-url", "http://swift.example.com/v1/AUTH_t")
            .repeat(),
    );
    for route in routes {
        replay.add(route);
    }
    let config = OpenStackConfig::new(AuthConfig::tempauth(
        "http://swift.example.com/auth/v1.0",
        "t:u",
        "k",
    ));
    let swift = SwiftStorage::with_transport(config, replay.transport()).unwrap();
    (replay, swift)
}

#[tokio::test]
async fn lists_recorded_containers() {
    require_fixtures!(CLOUDFILES);
    let (replay, swift) = cloudfiles(vec![recorded(
        Route::get(ACCOUNT).query("format", "json"),
        CLOUDFILES,
        "list_containers.json",
    )]);
    let containers = swift.list_containers().await.unwrap();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["container1", "container2", "container3"]);
    assert_eq!(containers[1].extra["object_count"], json!(120));
    assert_eq!(containers[1].extra["size"], json!(340_084_450));
    let request = replay.last_request().unwrap();
    assert_eq!(request.uri.host(), Some("storage4.ord1.clouddrive.com"));
    assert_eq!(request.query("limit").as_deref(), Some("10000"));
    assert_eq!(request.query("marker"), None);
    assert_eq!(
        request.header("x-auth-token"),
        Some("aaaaaaaaaaaa-bbb-cccccccccccccc")
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn lists_recorded_objects_page_by_page() {
    require_fixtures!(CLOUDFILES);
    let container = format!("{ACCOUNT}/test_container");
    let (replay, swift) = cloudfiles(vec![
        recorded(
            Route::get(&container).query("marker", "foo-test-3"),
            CLOUDFILES,
            "list_container_objects_not_exhausted2.json",
        ),
        recorded(
            Route::get(&container).query("prefix", "foo-"),
            CLOUDFILES,
            "list_container_objects_not_exhausted1.json",
        ),
    ]);
    let swift = swift.with_page_size(3);
    let objects: Vec<_> = swift
        .iterate_container_objects("test_container", Some("foo-"))
        .try_collect()
        .await
        .unwrap();
    let names: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "foo-test-1",
            "foo-test-2",
            "foo-test-3",
            "foo-test-4",
            "foo-test-5"
        ]
    );
    let requests = replay.requests();
    assert_eq!(requests[1].query("limit").as_deref(), Some("3"));
    assert_eq!(requests[2].query("prefix").as_deref(), Some("foo-"));
    assert_eq!(requests[2].query("marker").as_deref(), Some("foo-test-3"));
    replay.assert_all_used();
}

#[tokio::test]
async fn recorded_object_fields_and_empty_listings() {
    require_fixtures!(CLOUDFILES);
    let (replay, swift) = cloudfiles(vec![
        recorded(
            Route::get(&format!("{ACCOUNT}/test_container")),
            CLOUDFILES,
            "list_container_objects.json",
        ),
        recorded(
            Route::get(&format!("{ACCOUNT}/empty")),
            CLOUDFILES,
            "list_container_objects_empty.json",
        ),
        recorded(
            Route::get(ACCOUNT),
            CLOUDFILES,
            "list_containers_empty.json",
        ),
        Route::get(&format!("{ACCOUNT}/missing")).status(404),
    ]);
    let objects = swift
        .list_container_objects("test_container", None)
        .await
        .unwrap();
    assert_eq!(objects.len(), 4);
    let first = &objects[0];
    assert_eq!(first.name, "foo test 1");
    assert_eq!(first.container, "test_container");
    assert_eq!(first.size, 1_160_520);
    assert_eq!(
        first.hash.as_deref(),
        Some("16265549b5bda64ecdaa5156de4c97cc")
    );
    assert_eq!(first.content_type.as_deref(), Some("application/zip"));
    // 2011-01-25T22:01:50.351810 (UTC)
    let modified = first
        .last_modified
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    assert_eq!(modified.as_secs(), 1_295_992_910);
    assert!(
        swift
            .list_container_objects("empty", None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(swift.list_containers().await.unwrap().is_empty());
    let err = swift
        .list_container_objects("missing", None)
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Container,
            id: "missing".into()
        }
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn containers_are_created_found_and_deleted() {
    let (replay, swift) = tempauth(vec![
        Route::put("/v1/AUTH_t/new").status(201),
        Route::put("/v1/AUTH_t/new").status(202),
        Route::head("/v1/AUTH_t/new")
            .status(204)
            .response_header("x-container-object-count", "3")
            .response_header("x-container-bytes-used", "42"),
        Route::head("/v1/AUTH_t/gone").status(404),
        Route::delete("/v1/AUTH_t/full").status(409).body(
            "<html><h1>Conflict</h1><p>There was a conflict when trying to complete your request.</p></html>",
        ),
        Route::delete("/v1/AUTH_t/new").status(204),
    ]);
    swift.create_container("new").await.unwrap();
    let err = swift.create_container("new").await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::Container,
            ..
        }
    ));
    let c = swift.get_container("new").await.unwrap();
    assert_eq!(c.extra["object_count"], json!(3));
    assert_eq!(c.extra["size"], json!(42));
    assert!(
        swift
            .get_container("gone")
            .await
            .unwrap_err()
            .is_not_found()
    );
    let err = swift.delete_container("full").await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotEmpty {
            kind: ResourceKind::Container,
            ..
        }
    ));
    swift.delete_container("new").await.unwrap();
    // Names Swift cannot take are refused before sending.
    let before = replay.requests().len();
    assert_eq!(
        *swift.create_container("a/b").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        *swift.get_object("c", "").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(replay.requests().len(), before);
    replay.assert_all_used();
}

#[tokio::test]
async fn single_uploads_send_the_md5_and_check_the_answer() {
    let data = Bytes::from_static(b"hello, swift");
    let md5 = md5_hex(&data);
    let (replay, swift) = tempauth(vec![
        Route::put("/v1/AUTH_t/c/docs/a%20b.txt")
            .header("etag", &md5)
            .header("content-type", "text/plain")
            .header("x-object-meta-color", "blue")
            .status(201)
            .response_header("etag", &md5)
            .response_header("last-modified", "Fri, 27 Nov 2026 07:04:32 GMT"),
        // A server that stored something else.
        Route::put("/v1/AUTH_t/c/bad.bin")
            .status(201)
            .response_header("etag", "00000000000000000000000000000000"),
        // Swift's answer when the ETag sent does not match what it received.
        Route::put("/v1/AUTH_t/c/refused.bin").status(422),
        Route::put("/v1/AUTH_t/nope/x.txt").status(404),
    ]);
    let options = UploadOptions::default().meta("Color", "blue");
    let object = swift
        .upload_bytes("c", "docs/a b.txt", data.clone(), &options)
        .await
        .unwrap();
    assert_eq!(object.hash.as_deref(), Some(md5.as_str()));
    assert_eq!(object.size, data.len() as u64);
    assert_eq!(object.content_type.as_deref(), Some("text/plain"));
    assert_eq!(object.meta_data["color"], "blue");
    assert!(object.last_modified.is_some());
    let put = &replay.requests()[1];
    assert_eq!(put.body, data);
    assert_eq!(put.header("content-length"), Some("12"));

    let err = swift
        .upload_bytes("c", "bad.bin", data.clone(), &UploadOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::HashMismatch { .. }),
        "{err}"
    );
    let err = swift
        .upload_bytes("c", "refused.bin", data.clone(), &UploadOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::HashMismatch { .. }),
        "{err}"
    );
    let err = swift
        .upload_bytes("nope", "x.txt", data, &UploadOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::Container,
                ..
            }
        ),
        "{err}"
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn downloads_check_length_and_md5() {
    let data = Bytes::from_static(b"0123456789");
    let md5 = md5_hex(&data);
    let (replay, swift) = tempauth(vec![
        Route::get("/v1/AUTH_t/c/o")
            .header("range", "bytes=2-4")
            .status(206)
            .response_header("content-range", "bytes 2-4/10")
            .response_header("etag", &md5)
            .body("234"),
        Route::get("/v1/AUTH_t/c/o")
            .response_header("etag", &md5)
            .response_header("x-object-meta-owner", "me")
            .body(data.clone()),
        Route::get("/v1/AUTH_t/c/corrupt")
            .response_header("etag", &md5)
            .body("0123456780"),
        // A server that ignores Range sends the whole object; the driver cuts the range out.
        Route::get("/v1/AUTH_t/c/norange")
            .header("range", "bytes=7-")
            .body(data.clone()),
        Route::get("/v1/AUTH_t/c/o")
            .header("range", "bytes=20-")
            .status(416),
        Route::get("/v1/AUTH_t/c/missing").status(404),
    ]);
    let download = swift
        .download_object_as_stream("c", "o", Some(ByteRange::new(2, Some(5)).unwrap()))
        .await
        .unwrap();
    assert_eq!(download.object.size, 10);
    assert_eq!(&download.bytes(100).await.unwrap()[..], b"234");

    let download = swift
        .download_object_as_stream("c", "o", None)
        .await
        .unwrap();
    assert_eq!(download.object.hash.as_deref(), Some(md5.as_str()));
    assert_eq!(download.object.meta_data["owner"], "me");
    assert_eq!(download.bytes(100).await.unwrap(), data);

    let download = swift
        .download_object_as_stream("c", "corrupt", None)
        .await
        .unwrap();
    let err = download.bytes(100).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::HashMismatch { .. }),
        "{err}"
    );

    let bytes = swift
        .download_object_range_as_stream("c", "norange", 7, None)
        .await
        .unwrap();
    let bytes = libcloud_core::body::collect_stream(bytes, 100)
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"789");

    let err = swift
        .download_object_as_stream("c", "o", Some(ByteRange::from(20)))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = swift
        .download_object_as_stream("c", "missing", None)
        .await
        .unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Object,
            ..
        }
    ));
    replay.assert_all_used();
}

#[tokio::test]
async fn deletes_remove_large_objects_with_their_segments() {
    let bulk = |deleted: u64, not_found: u64, errors: serde_json::Value| {
        json!({"Response Status": if errors.as_array().is_some_and(|e| !e.is_empty()) {
                    "400 Bad Request" } else { "200 OK" },
               "Response Body": "", "Number Deleted": deleted,
               "Number Not Found": not_found, "Errors": errors})
    };
    let (replay, swift) = tempauth(vec![
        Route::delete("/v1/AUTH_t/c/big")
            .query("multipart-manifest", "delete")
            .header("accept", "application/json")
            .json(&bulk(4, 0, json!([]))),
        Route::delete("/v1/AUTH_t/c/small")
            .query("multipart-manifest", "delete")
            .json(&bulk(0, 0, json!([["/c/small", "Not an SLO manifest"]]))),
        Route::delete("/v1/AUTH_t/c/small").status(204),
        Route::delete("/v1/AUTH_t/c/gone")
            .query("multipart-manifest", "delete")
            .json(&bulk(0, 1, json!([]))),
        // A cluster without the SLO middleware ignores the query.
        Route::delete("/v1/AUTH_t/c/plain").status(204),
    ]);
    swift.delete_object("c", "big").await.unwrap();
    swift.delete_object("c", "small").await.unwrap();
    let err = swift.delete_object("c", "gone").await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Object,
            ..
        }
    ));
    swift.delete_object("c", "plain").await.unwrap();
    replay.assert_all_used();
}

#[tokio::test]
async fn listing_with_a_delimiter_reads_subdirs() {
    let (replay, swift) = tempauth(vec![
        Route::get("/v1/AUTH_t/c")
            .query("delimiter", "/")
            .query("prefix", "dir/")
            .json(&json!([
                {"subdir": "dir/a/"},
                {"name": "dir/file", "hash": "d41d8cd98f00b204e9800998ecf8427e", "bytes": 0,
                 "content_type": "text/plain", "last_modified": "2026-11-27T07:04:23.349180"},
                {"name": "dir/large", "hash": "3b4e796b8f159f9d4f19232ef2e18e93", "bytes": 7,
                 "content_type": "text/plain", "last_modified": "2026-11-27T07:04:31.783260",
                 "slo_etag": "\"c86e524620297d4f2a1e1fe10278806c\""},
                {"subdir": "dir/b/"}
            ])),
    ]);
    let result = swift
        .list_with_delimiter("c", Some("dir/"), "/")
        .await
        .unwrap();
    assert_eq!(result.common_prefixes, ["dir/a/", "dir/b/"]);
    let names: Vec<&str> = result.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["dir/file", "dir/large"]);
    // A large object's listed hash is not its content's MD5.
    assert_eq!(result.objects[1].hash, None);
    assert_eq!(result.objects[1].extra["static_large_object"], json!(true));
    assert_eq!(
        result.objects[1].extra["etag"],
        json!("c86e524620297d4f2a1e1fe10278806c")
    );
    replay.assert_all_used();
}
