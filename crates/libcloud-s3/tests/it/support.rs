//! What the replay tests share: a driver over a replay, test data, and request checks.

use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use libcloud_aws::fixed_clock;
use libcloud_core::hash::Md5;
use libcloud_s3::{S3Config, S3Storage};
use libcloud_testkit::replay::{RecordedRequest, Replay};

/// The endpoint of the replay tests: custom, so path-style.
pub const ENDPOINT: &str = "http://s3.test";

/// 2015-08-30T12:36:00Z, the date every replayed request is signed at.
pub const SIGNED_AT: u64 = 1_440_938_160;

pub const MIB: usize = 1024 * 1024;

/// A config for the replay endpoint with fixed keys.
pub fn config() -> S3Config {
    S3Config::new()
        .with_endpoint(ENDPOINT)
        .with_credentials("AKIDTEST", "test-secret")
}

/// A driver over `replay` for `config`, signing at [`SIGNED_AT`].
pub fn driver(replay: &Replay, config: S3Config) -> S3Storage {
    let creds = config.credential_provider().unwrap();
    S3Storage::with_transport(config, replay.transport(), creds)
        .unwrap()
        .with_clock(fixed_clock(UNIX_EPOCH + Duration::from_secs(SIGNED_AT)))
}

/// `len` bytes that do not repeat at power-of-two strides.
pub fn pattern(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i * 31 % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

pub fn md5_raw(data: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(data);
    h.finish()
}

pub fn md5_hex(data: &[u8]) -> String {
    libcloud_core::hash::md5_hex(data)
}

/// Standard base64, written out here so the test does not trust the driver's.
pub fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// The ETag S3 gives a multipart object with these parts.
pub fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut joined = Vec::new();
    for p in parts {
        joined.extend_from_slice(&md5_raw(p));
    }
    format!("{}-{}", md5_hex(&joined), parts.len())
}

/// Checks that a request was signed with SigV4 by the test key, at the fixed date, for S3 in
/// `region`, with a payload hash header.
pub fn assert_signed(req: &RecordedRequest, region: &str) {
    let auth = req.header("authorization").unwrap_or_default();
    let scope = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDTEST/20150830/{region}/s3/aws4_request, SignedHeaders="
    );
    assert!(
        auth.starts_with(&scope),
        "{} {}: {auth}",
        req.method,
        req.uri
    );
    assert!(auth.contains("x-amz-content-sha256"), "{auth}");
    assert!(auth.contains(", Signature="), "{auth}");
    assert_eq!(req.header("x-amz-date"), Some("20150830T123600Z"));
    assert!(req.header("x-amz-content-sha256").is_some());
}
