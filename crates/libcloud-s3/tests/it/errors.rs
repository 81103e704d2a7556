//! How S3's failures come out: credentials, missing things, bad input, servers that fail.

use bytes::Bytes;
use libcloud_core::{ErrorKind, ResourceKind, StorageDriver, StorageDriverExt, UploadOptions};
use libcloud_testkit::replay::{Replay, Route};

use crate::support::{config, driver};

#[tokio::test]
async fn a_refused_signature_is_invalid_credentials() {
    let replay = Replay::new()
        .with(Route::get("/").status(403).response_header("x-amz-request-id", "4442587FB7D0A2F9").body(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>\
             <Message>The request signature we calculated does not match the signature you provided. \
             Check your key and signing method.</Message><AWSAccessKeyId>AKIDTEST</AWSAccessKeyId></Error>",
        ))
        .with(Route::get("/").status(403).body(
            "<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>",
        ))
        .with(Route::get("/").status(403).body(
            "<Error><Code>AccessDenied</Code><Message>Forbidden: Invalid signature</Message></Error>",
        ))
        .with(Route::get("/").status(403).body(
            "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        ));
    let s3 = driver(&replay, config());
    for _ in 0..3 {
        let err = s3.list_containers().await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials, "{err}");
        assert_eq!(err.provider(), Some("s3"));
        assert_eq!(err.operation(), Some("list_containers"));
        assert_eq!(err.status(), Some(403));
    }
    let err = s3.list_containers().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::PermissionDenied);
    replay.assert_all_used();
}

#[tokio::test]
async fn missing_buckets_and_keys_are_not_found_of_the_right_kind() {
    let replay = Replay::new()
        .with(Route::get("/gone").status(404).body(
            "<Error><Code>NoSuchBucket</Code><Message>no</Message><BucketName>gone</BucketName></Error>",
        ))
        .with(Route::get("/b/k").status(404).body(
            "<Error><Code>NoSuchKey</Code><Message>no</Message><Key>k</Key></Error>",
        ))
        .with(Route::put("/gone/k").status(404).body(
            "<Error><Code>NoSuchBucket</Code><Message>no</Message></Error>",
        ))
        .with(Route::head("/gone").status(404));
    let s3 = driver(&replay, config());
    let err = s3.list_container_objects("gone", None).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Container,
            id: "gone".into()
        }
    );
    let err = s3
        .download_object_as_stream("b", "k", None)
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Object,
            id: "k".into()
        }
    );
    let err = s3
        .upload_bytes(
            "gone",
            "k",
            Bytes::from_static(b"x"),
            &UploadOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Container,
            id: "gone".into()
        }
    );
    let err = s3.get_container("gone").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Container,
            id: "gone".into()
        }
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn server_trouble_and_bad_answers() {
    let replay = Replay::new()
        .with(Route::get("/").status(503).body(
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
        ))
        .with(Route::get("/").status(500).body(
            "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>",
        ))
        .with(Route::get("/").body("<html>not S3</html>"))
        .with(Route::get("/b").query("list-type", "2").body("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>"))
        .with(Route::get("/b2").query("list-type", "2").body("<ListBucketResult><Contents><Key>k</Key>"))
        .with(Route::get("/b3/k").status(416).body(
            "<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>",
        ))
        .with(Route::get("/").fail(ErrorKind::Transport, "connection reset"));
    let s3 = driver(&replay, config());
    let err = s3.list_containers().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::RateLimited { .. }));
    assert!(err.is_temporary());
    let err = s3.list_containers().await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider {
            code: "InternalError".into()
        }
    );
    assert!(err.is_temporary());
    let err = s3.list_containers().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    assert_eq!(err.operation(), Some("list_containers"));
    for bucket in ["b", "b2"] {
        let err = s3.list_container_objects(bucket, None).await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{err}");
    }
    let err = s3
        .download_object_as_stream("b3", "k", Some(libcloud_core::ByteRange::from(500)))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = s3.list_containers().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    assert_eq!(err.provider(), Some("s3"));
    replay.assert_all_used();
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let replay = Replay::new();
    let s3 = driver(&replay, config());
    let data = Bytes::from_static(b"x");
    let long_key = "k".repeat(1025);
    let cases: Vec<(&str, &str, UploadOptions)> = vec![
        ("b", "", UploadOptions::default()),
        ("", "k", UploadOptions::default()),
        ("a/b", "k", UploadOptions::default()),
        ("b", &long_key, UploadOptions::default()),
        ("b", "k", UploadOptions::default().meta("caf\u{e9}", "x")),
        ("b", "k", UploadOptions::default().meta("bad key", "x")),
        ("b", "k", UploadOptions::default().meta("k", "caf\u{e9}")),
        ("b", "k", UploadOptions::default().meta("k", "line\nbreak")),
        (
            "b",
            "k",
            UploadOptions::default().content_type("text/\u{e9}"),
        ),
        ("b", "k", {
            let mut o = UploadOptions::default();
            o.acl = Some("world-writable".into());
            o
        }),
        ("b", "k", {
            let mut o = UploadOptions::default();
            o.storage_class = Some("COLD".into());
            o
        }),
    ];
    for (bucket, key, options) in &cases {
        let err = s3
            .upload_bytes(bucket, key, data.clone(), options)
            .await
            .unwrap_err();
        assert_eq!(
            *err.kind(),
            ErrorKind::InvalidInput,
            "{bucket:?} {key:?}: {err}"
        );
        assert_eq!(err.provider(), Some("s3"));
    }
    assert_eq!(
        *s3.get_object("b", "").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        *s3.get_container("").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert!(replay.requests().is_empty());
}

#[tokio::test]
async fn the_provider_name_can_be_changed() {
    let replay = Replay::new().with(Route::get("/").status(403).body(
        "<Error><Code>AccessDenied</Code><Message>Forbidden: Invalid signature</Message></Error>",
    ));
    let s3 = driver(&replay, config().with_provider_name("garage"));
    assert_eq!(s3.name(), "garage");
    let err = s3.list_containers().await.unwrap_err();
    assert_eq!(err.provider(), Some("garage"));
}
