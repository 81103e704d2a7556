//! AWS's XML error documents (S3, EC2, ELB, Route 53 shapes): any body under any status gives
//! a bounded error that keeps the status and prints no control character.
#![no_main]

use libcloud_aws::{ErrorContext, parse_error, parse_error_body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = libcloud_fuzz::split(data) else {
        return;
    };
    if let Some(parsed) = parse_error_body(input.body) {
        for field in [&parsed.code, &parsed.message, &parsed.request_id] {
            assert!(field.as_ref().is_none_or(|f| f.len() <= 1024));
        }
    }
    let err = parse_error(
        input.status,
        &libcloud_core::http::HeaderMap::new(),
        input.body,
        &ErrorContext::new("fuzz"),
    );
    assert_eq!(err.status(), Some(input.status));
    let shown = err.to_string();
    assert!(shown.len() <= 4096, "{} bytes", shown.len());
    assert!(!shown.chars().any(char::is_control));
});
