//! Fuzzing S3's XML parsers with proptest: listings of buckets, objects and multipart uploads,
//! and the answers to starting and completing a multipart upload, mutated from the seeds in
//! `tests/corpus/s3-xml/` or generated from S3's element names, under any status. Each gives a
//! result or a typed error that names the provider and operation, never a panic.
//! `PROPTEST_CASES` sets how many inputs each property tries (256 by default).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::{StreamExt, TryStreamExt};
use libcloud_core::transport::{self, Request};
use libcloud_core::{
    Body, Bytes, ErrorKind, Result, StorageDriver, StorageDriverExt, Transport, UploadOptions,
};
use libcloud_s3::{S3Config, S3Storage};
use libcloud_testkit::fuzz::{XML_DICTIONARY, corpus, inputs, xml_documents};
use proptest::prelude::*;

use crate::support::MIB;

const LIST_OBJECTS: &[&str] = &[
    "ListBucketResult",
    "Name",
    "Prefix",
    "KeyCount",
    "MaxKeys",
    "IsTruncated",
    "NextContinuationToken",
    "Contents",
    "Key",
    "LastModified",
    "ETag",
    "Size",
    "StorageClass",
    "CommonPrefixes",
    "Delimiter",
    "EncodingType",
    "Owner",
    "ID",
];
const LIST_BUCKETS: &[&str] = &[
    "ListAllMyBucketsResult",
    "Buckets",
    "Bucket",
    "Name",
    "CreationDate",
    "Owner",
    "ID",
    "ContinuationToken",
    "BucketRegion",
];
const LIST_UPLOADS: &[&str] = &[
    "ListMultipartUploadsResult",
    "Bucket",
    "Upload",
    "Key",
    "UploadId",
    "Initiated",
    "IsTruncated",
    "NextKeyMarker",
    "NextUploadIdMarker",
    "EncodingType",
];
const MULTIPART: &[&str] = &[
    "InitiateMultipartUploadResult",
    "CompleteMultipartUploadResult",
    "Bucket",
    "Key",
    "UploadId",
    "ETag",
    "Location",
    "Error",
    "Code",
    "Message",
];

const STATUSES: &[u16] = &[200, 200, 200, 206, 301, 400, 403, 404, 409, 500, 503];

fn answers() -> BoxedStrategy<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/s3-xml");
    let generated = prop_oneof![
        xml_documents(LIST_OBJECTS),
        xml_documents(LIST_BUCKETS),
        xml_documents(LIST_UPLOADS),
        xml_documents(MULTIPART),
    ]
    .boxed();
    inputs(corpus(dir), XML_DICTIONARY, Some(generated))
}

/// Answers the first three requests with `status`, an `ETag` and `body`, and every later one
/// with an empty 500, so that paging and multipart uploads always end.
fn answering(status: u16, body: Vec<u8>) -> Transport {
    let calls = Arc::new(AtomicUsize::new(0));
    transport::from_fn(move |_request: Request| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let (status, body) = if n < 3 {
            (status, body.clone())
        } else {
            (500, Vec::new())
        };
        Box::pin(async move {
            Ok(http::Response::builder()
                .status(status)
                .header("content-type", "application/xml")
                .header("etag", "\"0cc175b9c0f1b6a831c399e269772661\"")
                .header("content-length", body.len().to_string())
                .body(Body::from(body))
                .unwrap())
        })
    })
}

async fn call(op: usize, transport: Transport) -> Result<()> {
    let config = S3Config::new()
        .with_endpoint("http://s3.test")
        .with_credentials("AKIDTEST", "test-secret")
        .with_part_size(5 * MIB)
        .with_multipart_threshold(5 * MIB as u64);
    let creds = config.credential_provider().unwrap();
    let s3 = S3Storage::with_transport(config, transport, creds).unwrap();
    match op {
        0 => s3.list_containers().await.map(drop),
        1 => s3
            .list_container_objects("b", Some("photos/"))
            .await
            .map(drop),
        2 => s3
            .list_with_delimiter("b", Some("photos/"), "/")
            .await
            .map(drop),
        3 => s3
            .ex_iterate_multipart_uploads("b", None)
            .try_collect::<Vec<_>>()
            .await
            .map(drop),
        4 => s3.get_object("b", "k").await.map(drop),
        5 => s3.download_object_as_bytes("b", "k", MIB).await.map(drop),
        6 => s3
            .upload_bytes(
                "b",
                "k",
                Bytes::from_static(b"a"),
                &UploadOptions::default(),
            )
            .await
            .map(drop),
        _ => {
            // Above the threshold: starting, one part and completing all read the answer.
            let data = Bytes::from(vec![0u8; 5 * MIB + 1]);
            let chunks = futures::stream::iter([Ok(data)]).boxed();
            s3.upload_object_via_stream("b", "k", chunks, &UploadOptions::default())
                .await
                .map(drop)
        }
    }
}

proptest! {
    #[test]
    fn answers_are_parsed_or_refused_with_a_typed_error(
        body in answers(),
        op in prop_oneof![6 => 0usize..7, 1 => Just(7usize)],
        status in prop::sample::select(STATUSES),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let result = runtime.block_on(call(op, answering(status, body)));
        if let Err(err) = result {
            // The shared pager's own refusal of a repeated page token names no provider (see
            // docs/reliability.md); every other error must say where it came from.
            let pager = err.message().is_some_and(|m| m.contains("same page token"));
            prop_assert!(pager || err.provider().is_some(), "{:?}", err);
            prop_assert!(pager || err.operation().is_some(), "{:?}", err);
            if status < 300 {
                prop_assert!(
                    matches!(
                        err.kind(),
                        ErrorKind::MalformedResponse
                            | ErrorKind::Provider { .. }
                            | ErrorKind::HashMismatch { .. }
                            | ErrorKind::Transport
                    ),
                    "a {} answer to op {} failed as {:?}: {}", status, op, err.kind(), err
                );
            }
        }
    }
}

#[test]
fn every_seed_reads_as_intended() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/s3-xml");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let read = |file: &str, op: usize| {
        let body = std::fs::read(format!("{dir}/{file}")).unwrap();
        runtime.block_on(call(op, answering(200, body)))
    };
    read("list-buckets.xml", 0).unwrap();
    read("list-uploads.xml", 3).unwrap();
    // A truncated listing asks for the next page and gets the same token back: refused.
    let err = read("list-objects-v2.xml", 1).unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{err}");
    assert!(read("error-in-200.xml", 1).is_err());
}
