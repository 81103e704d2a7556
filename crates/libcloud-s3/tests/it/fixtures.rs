//! Apache Libcloud's recorded S3 answers, replayed; each test is skipped with a printed reason
//! when the fixtures folder is absent.

use futures::TryStreamExt;
use libcloud_core::{StorageDriver, StorageDriverExt, UploadOptions};
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;

use crate::support::{MIB, assert_signed, config, driver, md5_hex, pattern};

const XML: &str = "application/xml";

#[tokio::test]
async fn list_containers() {
    require_fixtures!("s3");
    let replay = Replay::new().with(
        Route::get("/")
            .response_header("content-type", XML)
            .fixture("s3", "list_containers.xml"),
    );
    let s3 = driver(&replay, config());
    let containers = s3.list_containers().await.unwrap();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["test1", "test2"]);
    assert_eq!(
        containers[0].extra["creation_date"],
        "2011-04-09T12:34:49.000Z"
    );
    replay.assert_all_used();
    assert_signed(&replay.requests()[0], "us-east-1");
}

#[tokio::test]
async fn list_containers_empty() {
    require_fixtures!("s3");
    let replay = Replay::new().with(Route::get("/").fixture("s3", "list_containers_empty.xml"));
    let s3 = driver(&replay, config());
    assert!(s3.list_containers().await.unwrap().is_empty());
    replay.assert_all_used();
}

#[tokio::test]
async fn list_container_objects() {
    require_fixtures!("s3");
    let replay = Replay::new().with(
        Route::get("/test_container")
            .query("list-type", "2")
            .fixture("s3", "list_container_objects.xml"),
    );
    let s3 = driver(&replay, config());
    let objects = s3
        .list_container_objects("test_container", None)
        .await
        .unwrap();
    assert_eq!(objects.len(), 1);
    let o = &objects[0];
    assert_eq!(o.name, "1.zip");
    assert_eq!(o.container, "test_container");
    assert_eq!(o.size, 1_234_567);
    assert_eq!(o.hash.as_deref(), Some("4397da7a7649e8085de9916c240e8166"));
    assert_eq!(o.extra["storage_class"], "STANDARD");
    assert_eq!(o.extra["owner_id"], "65a011niqo39cdf8ec533ec3d1ccaafsa932");
    let modified = o.last_modified.unwrap();
    assert_eq!(
        modified
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        1_302_375_918
    );
    replay.assert_all_used();
    let req = &replay.requests()[0];
    assert_eq!(req.query("encoding-type").as_deref(), Some("url"));
    assert_eq!(req.query("prefix"), None);
}

#[tokio::test]
async fn list_container_objects_empty() {
    require_fixtures!("s3");
    let replay = Replay::new().with(
        Route::get("/test_container")
            .query("prefix", "photos/")
            .fixture("s3", "list_container_objects_empty.xml"),
    );
    let s3 = driver(&replay, config());
    let objects = s3
        .list_container_objects("test_container", Some("photos/"))
        .await
        .unwrap();
    assert!(objects.is_empty());
    replay.assert_all_used();
}

/// The first page says it is truncated but gives no continuation token (a V1 answer): the next
/// page starts after its last key.
#[tokio::test]
async fn list_container_objects_not_exhausted() {
    require_fixtures!("s3");
    let replay = Replay::new()
        .with(
            Route::get("/test_container")
                .query("start-after", "3.zip")
                .fixture("s3", "list_container_objects_not_exhausted2.xml"),
        )
        .with(
            Route::get("/test_container")
                .query("list-type", "2")
                .fixture("s3", "list_container_objects_not_exhausted1.xml"),
        );
    let s3 = driver(&replay, config());
    let mut stream = s3.iterate_container_objects("test_container", None);
    // Only one page is fetched until the stream is read past it.
    let first = stream.try_next().await.unwrap().unwrap();
    assert_eq!(first.name, "1.zip");
    assert_eq!(replay.requests().len(), 1);
    let rest: Vec<_> = stream.try_collect().await.unwrap();
    let names: Vec<&str> = rest.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["2.zip", "3.zip", "4.zip", "5.zip"]);
    replay.assert_all_used();
    let requests = replay.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].query("start-after"), None);
    assert_eq!(requests[1].query("continuation-token"), None);
}

/// A multipart upload answered with the recorded initiate and complete documents. The recorded
/// ETag is not the MD5 of this upload's parts, so with `verify_hash` the upload is refused and
/// the stored object deleted; without it the recorded ETag is the object's hash.
#[tokio::test]
async fn multipart_upload_with_recorded_answers() {
    require_fixtures!("s3");
    let data = pattern(11 * MIB);
    let parts = [
        &data[..5 * MIB],
        &data[5 * MIB..10 * MIB],
        &data[10 * MIB..],
    ];
    let replay_for = |verify: bool| {
        let replay = Replay::new().with(
            Route::post("/foo_bar_container/foo_bar_object")
                .query_present("uploads")
                .fixture("s3", "initiate_multipart.xml"),
        );
        let upload_id = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA";
        for (i, part) in parts.iter().enumerate() {
            replay.add(
                Route::put("/foo_bar_container/foo_bar_object")
                    .query("partNumber", &(i + 1).to_string())
                    .query("uploadId", upload_id)
                    .response_header("etag", &format!("\"{}\"", md5_hex(part))),
            );
        }
        replay.add(
            Route::post("/foo_bar_container/foo_bar_object")
                .query("uploadId", upload_id)
                .body_contains("<PartNumber>3</PartNumber>")
                .fixture("s3", "complete_multipart.xml"),
        );
        if verify {
            replay.add(Route::delete("/foo_bar_container/foo_bar_object").status(204));
        }
        replay
    };
    let cfg = config()
        .with_part_size(5 * MIB)
        .with_multipart_threshold(5 * MIB as u64);

    let replay = replay_for(true);
    let s3 = driver(&replay, cfg.clone());
    let err = s3
        .upload_bytes(
            "foo_bar_container",
            "foo_bar_object",
            data.clone(),
            &UploadOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), libcloud_core::ErrorKind::HashMismatch { actual, .. } if actual == "3858f62230ac3c915f300c664312c11f-9"),
        "{err:?}"
    );
    replay.assert_all_used();

    let replay = replay_for(false);
    let s3 = driver(&replay, cfg);
    let mut options = UploadOptions::default();
    options.verify_hash = false;
    let object = s3
        .upload_bytes(
            "foo_bar_container",
            "foo_bar_object",
            data.clone(),
            &options,
        )
        .await
        .unwrap();
    assert_eq!(object.size, data.len() as u64);
    assert_eq!(
        object.hash.as_deref(),
        Some("3858f62230ac3c915f300c664312c11f-9")
    );
    replay.assert_all_used();
    let requests = replay.requests();
    let received: usize = requests
        .iter()
        .filter(|r| r.method == http::Method::PUT)
        .map(|r| r.body.len())
        .sum();
    assert_eq!(received, data.len());
}

#[tokio::test]
async fn list_multipart_uploads_over_two_pages() {
    require_fixtures!("s3");
    let replay = Replay::new()
        .with(
            Route::get("/foo_bar_container")
                .query("key-marker", "my-movie.m2ts")
                .query(
                    "upload-id-marker",
                    "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ",
                )
                .fixture("s3", "list_multipart_2.xml"),
        )
        .with(
            Route::get("/foo_bar_container")
                .query_present("uploads")
                .fixture("s3", "list_multipart_1.xml"),
        );
    let s3 = driver(&replay, config());
    let uploads: Vec<_> = s3
        .ex_iterate_multipart_uploads("foo_bar_container", None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(uploads.len(), 6);
    assert_eq!(uploads[0].key, "my-divisor");
    assert_eq!(
        uploads[0].upload_id,
        "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw"
    );
    assert_eq!(
        uploads[1].initiator.as_deref(),
        Some("InitiatorDisplayName")
    );
    assert_eq!(uploads[1].owner.as_deref(), Some("OwnerDisplayName"));
    assert_eq!(uploads[2].storage_class.as_deref(), Some("STANDARD"));
    assert!(uploads[2].initiated.is_some());
    replay.assert_all_used();
}

#[tokio::test]
async fn cleanup_aborts_every_listed_upload() {
    require_fixtures!("s3");
    let replay = Replay::new().with(
        Route::get("/foo_bar_container")
            .query_present("uploads")
            .query("prefix", "my-")
            .fixture("s3", "list_multipart_2.xml"),
    );
    for (key, id) in [
        (
            "my-divisor",
            "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw",
        ),
        (
            "my-movie.m2ts",
            "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA",
        ),
    ] {
        replay.add(
            Route::delete(&format!("/foo_bar_container/{key}"))
                .query("uploadId", id)
                .status(204),
        );
    }
    // The third upload vanished meanwhile: not an error, not counted.
    replay.add(
        Route::delete("/foo_bar_container/my-movie.m2ts")
            .query(
                "uploadId",
                "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ",
            )
            .status(404)
            .body("<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>"),
    );
    let s3 = driver(&replay, config());
    let aborted = s3
        .ex_cleanup_all_multipart_uploads("foo_bar_container", Some("my-"))
        .await
        .unwrap();
    assert_eq!(aborted, 2);
    replay.assert_all_used();
}
