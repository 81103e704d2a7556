//! The requests the driver sends: methods, paths, queries, headers and bodies, over a replay.

use std::time::Duration;

use futures::TryStreamExt;
use libcloud_core::{ByteRange, ErrorKind, ResourceKind, StorageDriver, StorageDriverExt};
use libcloud_s3::{AddressingStyle, Region, S3Config};
use libcloud_testkit::replay::{Replay, Route};

use crate::support::{assert_signed, config, driver, pattern};

#[tokio::test]
async fn create_container_in_us_east_1_asks_first() {
    let replay = Replay::new()
        .with(Route::head("/fresh").status(404))
        .with(Route::put("/fresh").status(200))
        .with(Route::head("/taken").status(200));
    let s3 = driver(&replay, config());
    let created = s3.create_container("fresh").await.unwrap();
    assert_eq!(created.name, "fresh");
    let err = s3.create_container("taken").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::Container,
            id: "taken".into()
        }
    );
    replay.assert_all_used();
    let requests = replay.requests();
    assert_eq!(requests.len(), 3, "no PUT for the existing bucket");
    assert!(
        requests[1].body.is_empty(),
        "no LocationConstraint in us-east-1"
    );
    for r in &requests {
        assert_signed(r, "us-east-1");
    }
}

#[tokio::test]
async fn create_container_elsewhere_sends_the_location_constraint() {
    let replay =
        Replay::new()
            .with(
                Route::put("/photos")
                    .body_contains("<LocationConstraint>eu-west-1</LocationConstraint>")
                    .status(200),
            )
            .with(Route::put("/photos").status(409).body(
                "<Error><Code>BucketAlreadyOwnedByYou</Code><Message>yours</Message></Error>",
            ))
            .with(
                Route::put("/other").status(409).body(
                    "<Error><Code>BucketAlreadyExists</Code><Message>taken</Message></Error>",
                ),
            );
    let s3 = driver(
        &replay,
        config().with_region(Region::new("eu-west-1").unwrap()),
    );
    s3.create_container("photos").await.unwrap();
    for name in ["photos", "other"] {
        let err = s3.create_container(name).await.unwrap_err();
        assert_eq!(
            *err.kind(),
            ErrorKind::AlreadyExists {
                kind: ResourceKind::Container,
                id: name.into()
            }
        );
        assert_eq!(err.status(), Some(409));
    }
    replay.assert_all_used();
    assert_signed(&replay.requests()[0], "eu-west-1");
}

#[tokio::test]
async fn delete_container_tells_not_empty_from_missing() {
    let replay = Replay::new()
        .with(Route::delete("/full").status(409).body(
            "<Error><Code>BucketNotEmpty</Code><Message>The bucket you tried to delete is not empty</Message></Error>",
        ))
        .with(Route::delete("/gone").status(404).body(
            "<Error><Code>NoSuchBucket</Code><Message>no</Message><BucketName>gone</BucketName></Error>",
        ))
        .with(Route::delete("/empty").status(204));
    let s3 = driver(&replay, config());
    assert_eq!(
        *s3.delete_container("full").await.unwrap_err().kind(),
        ErrorKind::NotEmpty {
            kind: ResourceKind::Container,
            id: "full".into()
        }
    );
    assert_eq!(
        *s3.delete_container("gone").await.unwrap_err().kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Container,
            id: "gone".into()
        }
    );
    s3.delete_container("empty").await.unwrap();
    replay.assert_all_used();
}

#[tokio::test]
async fn get_container_and_get_object_read_headers() {
    let replay = Replay::new()
        .with(Route::head("/b").response_header("x-amz-bucket-region", "us-east-1"))
        .with(
            Route::head("/b/dir/a b.txt")
                .response_header("content-length", "11")
                .response_header("etag", "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")
                .response_header("content-type", "text/plain")
                .response_header("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT")
                .response_header("x-amz-meta-color", "blue")
                .response_header("x-amz-meta-owner-id", "42")
                .response_header("x-amz-storage-class", "STANDARD_IA"),
        )
        .with(Route::head("/b/missing").status(404));
    let s3 = driver(&replay, config());
    let c = s3.get_container("b").await.unwrap();
    assert_eq!(c.extra["region"], "us-east-1");
    let o = s3.get_object("b", "dir/a b.txt").await.unwrap();
    assert_eq!(o.size, 11);
    assert_eq!(o.hash.as_deref(), Some("5eb63bbbe01eeed093cb22bb8f5acdc3"));
    assert_eq!(o.content_type.as_deref(), Some("text/plain"));
    assert_eq!(o.meta_data["color"], "blue");
    assert_eq!(o.meta_data["owner-id"], "42");
    assert_eq!(o.extra["storage_class"], "STANDARD_IA");
    assert_eq!(
        o.last_modified
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        1_445_412_480
    );
    assert_eq!(
        *s3.get_object("b", "missing").await.unwrap_err().kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Object,
            id: "missing".into()
        }
    );
    replay.assert_all_used();
    // Keys are sent percent-encoded, as signed.
    assert_eq!(replay.requests()[1].path(), "/b/dir/a%20b.txt");
}

#[tokio::test]
async fn ranged_downloads_send_a_range_and_report_the_whole_size() {
    let data = pattern(100);
    let replay = Replay::new()
        .with(
            Route::get("/b/k")
                .header("range", "bytes=10-19")
                .status(206)
                .response_header("content-range", "bytes 10-19/100")
                .body(data.slice(10..20)),
        )
        // A server that ignores the range: the driver passes on only the range.
        .with(
            Route::get("/b/k")
                .header("range", "bytes=95-")
                .body(data.clone()),
        )
        .with(Route::get("/b/k").body(data.clone()));
    let s3 = driver(&replay, config());
    let d = s3
        .download_object_as_stream("b", "k", Some(ByteRange::new(10, Some(20)).unwrap()))
        .await
        .unwrap();
    assert_eq!(d.object.size, 100);
    assert_eq!(d.range, Some(ByteRange::new(10, Some(20)).unwrap()));
    assert_eq!(d.bytes(1000).await.unwrap(), data.slice(10..20));
    let d = s3
        .download_object_as_stream("b", "k", Some(ByteRange::from(95)))
        .await
        .unwrap();
    assert_eq!(d.bytes(1000).await.unwrap(), data.slice(95..));
    let whole = s3.download_object_as_bytes("b", "k", 1000).await.unwrap();
    assert_eq!(whole, data);
    replay.assert_all_used();
    assert!(replay.requests()[2].header("range").is_none());
}

#[tokio::test]
async fn delimiter_listings_are_done_by_the_server_across_pages() {
    let page1 = "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\
        <Contents><Key>dir2%2Fd</Key><Size>1</Size></Contents>\
        <CommonPrefixes><Prefix>dir2%2Fsub%2F</Prefix></CommonPrefixes>\
        <NextContinuationToken>t/2=</NextContinuationToken></ListBucketResult>";
    let page2 = "<ListBucketResult><IsTruncated>false</IsTruncated>\
        <Contents><Key>dir2/e f</Key><Size>2</Size></Contents>\
        <CommonPrefixes><Prefix>dir2/z/</Prefix></CommonPrefixes></ListBucketResult>";
    let replay = Replay::new()
        .with(
            Route::get("/b")
                .query("continuation-token", "t/2=")
                .query("delimiter", "/")
                .body(page2),
        )
        .with(
            Route::get("/b")
                .query("list-type", "2")
                .query("prefix", "dir2/")
                .query("delimiter", "/")
                .body(page1),
        );
    let s3 = driver(&replay, config());
    let result = s3
        .list_with_delimiter("b", Some("dir2/"), "/")
        .await
        .unwrap();
    let names: Vec<&str> = result.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["dir2/d", "dir2/e f"]);
    assert_eq!(result.common_prefixes, ["dir2/sub/", "dir2/z/"]);
    replay.assert_all_used();
    assert_eq!(
        *s3.list_with_delimiter("b", None, "")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

#[tokio::test]
async fn virtual_hosted_addressing_on_aws() {
    let replay = Replay::new()
        .with(
            Route::get("/")
                .host("photos.s3.eu-west-1.amazonaws.com")
                .query("list-type", "2")
                .body("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"),
        )
        .with(
            Route::delete("/2024/cat.jpg")
                .host("photos.s3.eu-west-1.amazonaws.com")
                .status(204),
        )
        .with(
            Route::delete("/my.bucket/k")
                .host("s3.eu-west-1.amazonaws.com")
                .status(204),
        );
    let cfg = S3Config::new()
        .with_region(Region::new("eu-west-1").unwrap())
        .with_credentials("AKIDTEST", "test-secret");
    assert_eq!(cfg.effective_addressing(), AddressingStyle::Auto);
    let s3 = driver(&replay, cfg);
    assert!(
        s3.list_container_objects("photos", None)
            .await
            .unwrap()
            .is_empty()
    );
    s3.delete_object("photos", "2024/cat.jpg").await.unwrap();
    // A dotted name cannot match the wildcard certificate: path style.
    s3.delete_object("my.bucket", "k").await.unwrap();
    replay.assert_all_used();
    assert_eq!(replay.requests()[0].uri.scheme_str(), Some("https"));
}

#[tokio::test]
async fn presigned_urls_carry_the_signature_in_the_query() {
    let replay = Replay::new();
    let s3 = driver(&replay, config());
    let url = s3
        .get_object_cdn_url("b", "dir/a b.txt", Duration::from_secs(3600))
        .await
        .unwrap();
    let uri: http::Uri = url.parse().unwrap();
    assert_eq!(uri.host(), Some("s3.test"));
    assert_eq!(uri.path(), "/b/dir/a%20b.txt");
    let query = uri.query().unwrap();
    for part in [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Credential=AKIDTEST%2F20150830%2Fus-east-1%2Fs3%2Faws4_request",
        "X-Amz-Date=20150830T123600Z",
        "X-Amz-Expires=3600",
        "X-Amz-SignedHeaders=host",
        "X-Amz-Signature=",
    ] {
        assert!(query.contains(part), "{part} missing from {query}");
    }
    assert!(!url.contains("test-secret"));
    // No request is sent to presign.
    assert!(replay.requests().is_empty());
    let err = s3
        .get_object_cdn_url("b", "k", Duration::from_secs(8 * 24 * 3600))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let put = s3
        .ex_presigned_url(http::Method::PUT, "b", "k", Duration::from_secs(60))
        .await
        .unwrap();
    assert!(put.contains("X-Amz-Expires=60"));
    let err = s3
        .ex_presigned_url(http::Method::POST, "b", "k", Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn listing_streams_one_page_per_read() {
    let replay = Replay::new().with(
        Route::get("/b")
            .query("list-type", "2")
            .body(
                "<ListBucketResult><IsTruncated>true</IsTruncated>\
                 <Contents><Key>a</Key><Size>1</Size></Contents>\
                 <NextContinuationToken>same</NextContinuationToken></ListBucketResult>",
            )
            .repeat(),
    );
    let s3 = driver(&replay, config());
    let mut stream = s3.iterate_container_objects("b", None);
    assert_eq!(stream.try_next().await.unwrap().unwrap().name, "a");
    assert_eq!(replay.requests().len(), 1);
    // A server that hands back the token it was given would loop forever: stopped.
    let err = stream.try_next().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    let requests = replay.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].query("continuation-token").as_deref(),
        Some("same")
    );
}
