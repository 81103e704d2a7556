//! Fuzzing AWS's XML error parser with proptest: any body (mutated from the seeds in
//! `tests/corpus/aws-errors/`, generated from the error elements, or arbitrary), any status and
//! odd `Retry-After` and region headers give a typed error that keeps the status, never a panic,
//! and whose message stays short and free of control characters however large the body.
//! `PROPTEST_CASES` sets how many cases each property tries (256 by default).

use libcloud_aws::{ErrorContext, parse_error, parse_error_body};
use libcloud_core::{ErrorKind, ResourceKind};
use libcloud_testkit::fuzz::{XML_DICTIONARY, corpus, inputs, xml_documents};
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "Error",
    "Code",
    "Message",
    "RequestId",
    "RequestID",
    "Type",
    "Region",
    "Endpoint",
    "Bucket",
    "BucketName",
    "Key",
    "Errors",
    "Response",
    "ErrorResponse",
    "HostId",
];
const ENVELOPE_NAMES: &[&str] = &[
    "ErrorResponse",
    "Error",
    "Code",
    "Message",
    "Type",
    "RequestId",
];

fn bodies() -> BoxedStrategy<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/aws-errors");
    let generated = prop_oneof![xml_documents(NAMES), xml_documents(ENVELOPE_NAMES)].boxed();
    inputs(corpus(dir), XML_DICTIONARY, Some(generated))
}

fn header_value() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        Just("-1".to_string()),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_string()),
        Just("eu-west-1".to_string()),
        "[ -~]{0,40}",
    ])
}

/// The longest error text a caller may be shown: each field read from the body is cut to 1 KiB,
/// and the message holds at most a code and a message.
const MAX_SHOWN: usize = 4096;

proptest! {
    #[test]
    fn any_error_answer_becomes_a_bounded_typed_error(
        body in bodies(),
        status in prop_oneof![Just(301u16), Just(307), Just(400), Just(403), Just(404),
                              Just(409), Just(429), Just(500), Just(503), 100u16..600],
        retry_after in header_value(),
        region in header_value(),
    ) {
        let mut headers = http::HeaderMap::new();
        if let Some(v) = retry_after.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
            headers.insert(http::header::RETRY_AFTER, v);
        }
        if let Some(v) = region.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
            headers.insert("x-amz-bucket-region", v);
        }
        let ctx = ErrorContext::new("fuzz")
            .resource(ResourceKind::Object, "key")
            .bucket("bucket");
        let err = parse_error(status, &headers, &body, &ctx);
        prop_assert_eq!(err.status(), Some(status));
        prop_assert_eq!(err.operation(), Some("fuzz"));
        let shown = err.to_string();
        prop_assert!(shown.len() <= MAX_SHOWN, "{} bytes: {}", shown.len(), shown);
        prop_assert!(!shown.chars().any(char::is_control), "control characters in {:?}", shown);
        if let Some(parsed) = parse_error_body(&body) {
            for field in [&parsed.code, &parsed.message, &parsed.request_id, &parsed.region] {
                prop_assert!(field.as_ref().is_none_or(|f| f.len() <= 1024));
            }
        }
    }

    #[test]
    fn huge_fields_are_cut(repeat in 1usize..200_000, code in "[A-Za-z.]{1,30}") {
        let body = format!(
            "<Error><Code>{code}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
            "m".repeat(repeat),
            "r".repeat(repeat / 2 + 1),
        );
        let err = parse_error(400, &http::HeaderMap::new(), body.as_bytes(), &ErrorContext::new("fuzz"));
        prop_assert!(err.to_string().len() <= MAX_SHOWN);
        prop_assert!(err.request_id().is_none_or(|r| r.len() <= 1024));
    }
}

#[test]
fn every_seed_is_read() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/aws-errors");
    for seed in corpus(dir) {
        let parsed = parse_error_body(&seed).expect("each seed is an AWS error document");
        assert!(parsed.code.is_some(), "{}", String::from_utf8_lossy(&seed));
        assert!(parsed.request_id.is_some());
    }
    let slow = std::fs::read(format!("{dir}/s3-slow-down.xml")).unwrap();
    let err = parse_error(
        503,
        &http::HeaderMap::new(),
        &slow,
        &ErrorContext::new("fuzz"),
    );
    assert!(err.is_temporary(), "{err}");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::RateLimited { .. } | ErrorKind::Provider { .. }
        ),
        "{err}"
    );
}
