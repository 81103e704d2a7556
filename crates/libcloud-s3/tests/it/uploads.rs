//! Uploads over a replay: the single PUT and the multipart sequence, their checksums, the
//! comparisons of what the server stored, and the abort when anything fails.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use libcloud_core::body::ByteStream;
use libcloud_core::{Error, ErrorKind, StorageDriver, StorageDriverExt, UploadOptions};
use libcloud_s3::ChecksumMode;
use libcloud_testkit::replay::{RecordedRequest, Replay, Route};

use crate::support::{
    MIB, assert_signed, base64, config, driver, md5_hex, md5_raw, multipart_etag, pattern,
};

const UPLOAD_ID: &str = "upload-1";

fn initiate() -> Route {
    Route::post("/b/big.bin")
        .query_present("uploads")
        .body(format!(
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>big.bin</Key>\
         <UploadId>{UPLOAD_ID}</UploadId></InitiateMultipartUploadResult>"
        ))
}

fn part(n: usize, etag: &str) -> Route {
    Route::put("/b/big.bin")
        .query("partNumber", &n.to_string())
        .query("uploadId", UPLOAD_ID)
        .response_header("etag", &format!("\"{etag}\""))
}

fn abort() -> Route {
    Route::delete("/b/big.bin")
        .query("uploadId", UPLOAD_ID)
        .status(204)
}

fn chunked(data: &Bytes, chunk: usize) -> ByteStream {
    let pieces: Vec<libcloud_core::Result<Bytes>> = (0..data.len())
        .step_by(chunk)
        .map(|s| Ok(data.slice(s..(s + chunk).min(data.len()))))
        .collect();
    futures::stream::iter(pieces).boxed()
}

fn multipart_config() -> libcloud_s3::S3Config {
    config()
        .with_part_size(5 * MIB)
        .with_multipart_threshold(5 * MIB as u64)
        .with_concurrency(2)
}

fn puts(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|r| r.method == http::Method::PUT)
        .collect()
}

#[tokio::test]
async fn a_small_body_is_one_put_with_content_md5_and_headers() {
    let data = Bytes::from_static(b"{\"hello\": true}");
    let md5 = md5_hex(&data);
    let replay = Replay::new().with(
        Route::put("/b/doc.json")
            .header("content-md5", &base64(&md5_raw(&data)))
            .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
            .response_header("etag", &format!("\"{md5}\""))
            .response_header("x-amz-version-id", "v1"),
    );
    let s3 = driver(&replay, config());
    let mut options = UploadOptions::default()
        .meta("Color", "blue")
        .meta("owner-id", "42");
    options.acl = Some("public-read".into());
    options.storage_class = Some("standard_ia".into());
    let object = s3
        .upload_object_via_stream("b", "doc.json", chunked(&data, 4), &options)
        .await
        .unwrap();
    assert_eq!(object.name, "doc.json");
    assert_eq!(object.container, "b");
    assert_eq!(object.size, data.len() as u64);
    assert_eq!(object.hash.as_deref(), Some(md5.as_str()));
    assert_eq!(object.content_type.as_deref(), Some("application/json"));
    assert_eq!(object.meta_data["color"], "blue");
    assert_eq!(object.extra["version_id"], "v1");
    replay.assert_all_used();
    let req = &replay.requests()[0];
    assert_eq!(req.body, data);
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("x-amz-meta-color"), Some("blue"));
    assert_eq!(req.header("x-amz-meta-owner-id"), Some("42"));
    assert_eq!(req.header("x-amz-acl"), Some("public-read"));
    assert_eq!(req.header("x-amz-storage-class"), Some("STANDARD_IA"));
    assert!(req.header("x-amz-checksum-crc32c").is_none());
    assert_signed(req, "us-east-1");
    let auth = req.header("authorization").unwrap();
    assert!(
        auth.contains("content-md5"),
        "the checksum is signed: {auth}"
    );
}

#[tokio::test]
async fn crc32c_mode_sends_the_crc_and_compares_the_echo() {
    // The CRC32C check value of "123456789" is E3069283.
    let crc = base64(&[0xE3, 0x06, 0x92, 0x83]);
    let replay = Replay::new()
        .with(
            Route::put("/b/ok.txt")
                .header("x-amz-checksum-crc32c", &crc)
                .response_header("etag", "\"whatever\"")
                .response_header("x-amz-checksum-crc32c", &crc),
        )
        .with(
            Route::put("/b/bad.txt")
                .header("x-amz-checksum-crc32c", &crc)
                .response_header("x-amz-checksum-crc32c", "AAAAAA=="),
        )
        .with(Route::delete("/b/bad.txt").status(204));
    let s3 = driver(&replay, config().with_checksum(ChecksumMode::Crc32c));
    let data = Bytes::from_static(b"123456789");
    s3.upload_bytes("b", "ok.txt", data.clone(), &UploadOptions::default())
        .await
        .unwrap();
    let err = s3
        .upload_bytes("b", "bad.txt", data, &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::HashMismatch {
            expected: crc.clone(),
            actual: "AAAAAA==".into()
        }
    );
    replay.assert_all_used();
    assert!(replay.requests()[0].header("content-md5").is_none());
}

#[tokio::test]
async fn checksum_none_sends_no_checksum() {
    let replay = Replay::new().with(
        Route::put("/b/k").header_matches("no checksum header", |h| {
            !h.contains_key("content-md5") && !h.contains_key("x-amz-checksum-crc32c")
        }),
    );
    let s3 = driver(&replay, config().with_checksum(ChecksumMode::None));
    s3.upload_bytes(
        "b",
        "k",
        Bytes::from_static(b"abc"),
        &UploadOptions::default(),
    )
    .await
    .unwrap();
    replay.assert_all_used();
}

#[tokio::test]
async fn a_wrong_etag_is_a_hash_mismatch_and_the_object_is_removed() {
    let data = Bytes::from_static(b"precious bytes");
    let replay = Replay::new()
        .with(Route::put("/b/k").response_header("etag", "\"00000000000000000000000000000000\""))
        .with(Route::delete("/b/k").status(204))
        // Without verify_hash the ETag is not compared.
        .with(Route::put("/b/k").response_header("etag", "\"00000000000000000000000000000000\""))
        // An ETag of another shape (SSE-KMS) is not an MD5: not compared.
        .with(
            Route::put("/b/k")
                .response_header("etag", "\"11111111111111111111111111111111\"")
                .response_header("x-amz-server-side-encryption", "aws:kms"),
        );
    let s3 = driver(&replay, config());
    let err = s3
        .upload_bytes("b", "k", data.clone(), &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::HashMismatch {
            expected: md5_hex(&data),
            actual: "00000000000000000000000000000000".into()
        }
    );
    assert_eq!(err.operation(), Some("upload_object"));
    let mut lax = UploadOptions::default();
    lax.verify_hash = false;
    s3.upload_bytes("b", "k", data.clone(), &lax).await.unwrap();
    s3.upload_bytes("b", "k", data, &UploadOptions::default())
        .await
        .unwrap();
    replay.assert_all_used();
}

#[tokio::test]
async fn a_refused_digest_is_a_hash_mismatch() {
    let data = Bytes::from_static(b"damaged on the way");
    let replay = Replay::new().with(Route::put("/b/k").status(400).body(
        "<Error><Code>BadDigest</Code><Message>The Content-MD5 you specified did not match what we received.</Message></Error>",
    ));
    let s3 = driver(&replay, config());
    let err = s3
        .upload_bytes("b", "k", data.clone(), &UploadOptions::default())
        .await
        .unwrap_err();
    match err.kind() {
        ErrorKind::HashMismatch { expected, .. } => assert_eq!(*expected, base64(&md5_raw(&data))),
        other => panic!("{other:?}"),
    }
    // Nothing was stored, so nothing is deleted.
    replay.assert_all_used();
    assert_eq!(replay.requests().len(), 1);
}

#[tokio::test]
async fn a_large_body_goes_up_in_checked_parts() {
    let data = pattern(12 * MIB);
    let parts = [
        &data[..5 * MIB],
        &data[5 * MIB..10 * MIB],
        &data[10 * MIB..],
    ];
    let replay = Replay::new().with(initiate());
    for (i, p) in parts.iter().enumerate() {
        replay.add(part(i + 1, &md5_hex(p)).header("content-md5", &base64(&md5_raw(p))));
    }
    let final_etag = multipart_etag(&parts);
    replay.add(
        Route::post("/b/big.bin")
            .query("uploadId", UPLOAD_ID)
            .header("content-type", "application/xml")
            .body(format!(
                "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>big.bin</Key>\
                 <ETag>\"{final_etag}\"</ETag></CompleteMultipartUploadResult>"
            )),
    );
    let s3 = driver(&replay, multipart_config());
    let options = UploadOptions::default().meta("kind", "big");
    let object = s3
        .upload_object_via_stream("b", "big.bin", chunked(&data, 64 * 1024), &options)
        .await
        .unwrap();
    assert_eq!(object.size, data.len() as u64);
    assert_eq!(object.hash.as_deref(), Some(final_etag.as_str()));
    assert_eq!(object.meta_data["kind"], "big");
    assert_eq!(object.extra["parts"], 3);
    replay.assert_all_used();
    let requests = replay.requests();
    let init = &requests[0];
    assert_eq!(init.header("x-amz-meta-kind"), Some("big"));
    assert_eq!(
        init.header("content-type"),
        Some("application/octet-stream")
    );
    let sent = puts(&requests);
    assert_eq!(sent.len(), 3);
    let mut joined = Vec::new();
    let mut by_number: Vec<_> = sent.clone();
    by_number.sort_by_key(|r| r.query("partNumber").unwrap().parse::<u32>().unwrap());
    for r in &by_number {
        assert_eq!(r.header("x-amz-content-sha256"), Some("UNSIGNED-PAYLOAD"));
        assert_signed(r, "us-east-1");
        joined.extend_from_slice(&r.body);
    }
    assert_eq!(joined, data);
    let complete = requests.last().unwrap().body_text();
    let expected: String = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "<Part><PartNumber>{}</PartNumber><ETag>&quot;{}&quot;</ETag></Part>",
                i + 1,
                md5_hex(p)
            )
        })
        .collect();
    assert!(complete.contains(&expected), "{complete}");
}

#[tokio::test]
async fn a_failing_part_aborts_the_upload() {
    let data = pattern(12 * MIB);
    let replay = Replay::new()
        .with(initiate())
        .with(part(1, &md5_hex(&data[..5 * MIB])))
        .with(
            Route::put("/b/big.bin")
                .query("partNumber", "2")
                .status(500)
                .body("<Error><Code>InternalError</Code><Message>boom</Message></Error>"),
        )
        .with(part(3, &md5_hex(&data[10 * MIB..])))
        .with(abort());
    let s3 = driver(&replay, multipart_config());
    let err = s3
        .upload_bytes("b", "big.bin", data, &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider {
            code: "InternalError".into()
        }
    );
    let requests = replay.requests();
    let last = requests.last().unwrap();
    assert_eq!(last.method, http::Method::DELETE);
    assert_eq!(last.query("uploadId").as_deref(), Some(UPLOAD_ID));
    assert!(
        !requests
            .iter()
            .any(|r| r.method == http::Method::POST && r.query("uploadId").is_some()),
        "no CompleteMultipartUpload after a failed part"
    );
    replay.assert_no_unmatched();
}

#[tokio::test]
async fn a_part_whose_etag_is_not_its_md5_aborts_the_upload() {
    let data = pattern(6 * MIB);
    let replay = Replay::new()
        .with(initiate())
        .with(part(1, "00000000000000000000000000000000"))
        .with(part(2, &md5_hex(&data[5 * MIB..])))
        .with(abort());
    let s3 = driver(&replay, multipart_config().with_concurrency(1));
    let err = s3
        .upload_bytes("b", "big.bin", data.clone(), &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::HashMismatch {
            expected: md5_hex(&data[..5 * MIB]),
            actual: "00000000000000000000000000000000".into()
        }
    );
    assert_eq!(
        replay.requests().last().unwrap().method,
        http::Method::DELETE
    );
    replay.assert_no_unmatched();
}

#[tokio::test]
async fn an_error_inside_a_200_complete_is_an_error() {
    let data = pattern(6 * MIB);
    let replay = Replay::new()
        .with(initiate())
        .with(part(1, &md5_hex(&data[..5 * MIB])))
        .with(part(2, &md5_hex(&data[5 * MIB..])))
        .with(
            Route::post("/b/big.bin")
                .query("uploadId", UPLOAD_ID)
                .body("<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>"),
        )
        .with(abort());
    let s3 = driver(&replay, multipart_config());
    let err = s3
        .upload_bytes("b", "big.bin", data, &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider {
            code: "InternalError".into()
        }
    );
    assert!(err.is_temporary());
    // The upload is aborted in the background.
    for _ in 0..100 {
        if replay
            .requests()
            .last()
            .is_some_and(|r| r.method == http::Method::DELETE)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    replay.assert_all_used();
}

#[tokio::test]
async fn crc32c_multipart_declares_the_algorithm_and_lists_part_checksums() {
    let data = pattern(6 * MIB);
    let replay = Replay::new()
        .with(initiate().header("x-amz-checksum-algorithm", "CRC32C"))
        .with(part(1, "e1").header_matches("a CRC32C", |h| h.contains_key("x-amz-checksum-crc32c")))
        .with(part(2, "e2").header_matches("a CRC32C", |h| h.contains_key("x-amz-checksum-crc32c")))
        .with(
            Route::post("/b/big.bin")
                .query("uploadId", UPLOAD_ID)
                .body_contains("<ChecksumCRC32C>")
                .body("<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>"),
        );
    let s3 = driver(
        &replay,
        multipart_config().with_checksum(ChecksumMode::Crc32c),
    );
    let object = s3
        .upload_bytes("b", "big.bin", data, &UploadOptions::default())
        .await
        .unwrap();
    assert_eq!(object.hash.as_deref(), Some("x-2"));
    replay.assert_all_used();
    let complete = replay.requests().last().unwrap().body_text();
    let sent: Vec<String> = puts(&replay.requests())
        .iter()
        .map(|r| r.header("x-amz-checksum-crc32c").unwrap().to_string())
        .collect();
    for crc in sent {
        assert!(complete.contains(&format!("<ChecksumCRC32C>{crc}</ChecksumCRC32C>")));
    }
}

#[tokio::test]
async fn a_failing_source_aborts_the_upload() {
    let data = pattern(6 * MIB);
    let body: ByteStream = futures::stream::iter(vec![
        Ok(data.clone()),
        Err(Error::new(ErrorKind::Transport, "the source broke")),
    ])
    .boxed();
    let replay = Replay::new()
        .with(initiate())
        .with(part(1, &md5_hex(&data[..5 * MIB])))
        .with(abort());
    let s3 = driver(&replay, multipart_config());
    let err = s3
        .upload_object_via_stream("b", "big.bin", body, &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    replay.assert_no_unmatched();
    assert_eq!(
        replay.requests().last().unwrap().method,
        http::Method::DELETE
    );
}

#[tokio::test]
async fn a_known_size_is_held_to() {
    let replay = Replay::new();
    let s3 = driver(&replay, config());
    for (body, size) in [(&b"short"[..], 10u64), (&b"too long"[..], 3)] {
        let err = s3
            .ex_upload_object_with_size(
                "b",
                "k",
                chunked(&Bytes::from_static(body), 2),
                size,
                &UploadOptions::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    }
    assert!(replay.requests().is_empty());
    let replay = Replay::new()
        .with(Route::put("/b/k").response_header("etag", &format!("\"{}\"", md5_hex(b"exact"))));
    let s3 = driver(&replay, config());
    let o = s3
        .ex_upload_object_with_size(
            "b",
            "k",
            chunked(&Bytes::from_static(b"exact"), 2),
            5,
            &UploadOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(o.size, 5);
    assert_eq!(o.content_type.as_deref(), Some("application/octet-stream"));
    replay.assert_all_used();
    let _ = s3.name();
}
