//! Integration tests of the in-memory drivers: one binary, one module per API.
#![allow(clippy::unwrap_used)]

mod compute;
mod conformance;
mod dns;
mod key_pairs;
mod loadbalancer;
mod storage;
mod volumes;

use libcloud_core::{Error, ErrorKind, ResourceKind};

/// Asserts that `result` failed with `NotFound` of `kind`.
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(result: Result<T, Error>, kind: ResourceKind) {
    match result {
        Err(e) => match e.kind() {
            ErrorKind::NotFound { kind: k, .. } if *k == kind => {
                assert_eq!(e.provider(), Some("memory"), "{e}");
            }
            other => panic!("expected NotFound {kind:?}, got {other:?}: {e}"),
        },
        Ok(v) => panic!("expected NotFound {kind:?}, got Ok({v:?})"),
    }
}

/// Asserts that `result` failed with `AlreadyExists` of `kind`.
#[track_caller]
pub fn assert_exists<T: std::fmt::Debug>(result: Result<T, Error>, kind: ResourceKind) {
    match result {
        Err(e) => match e.kind() {
            ErrorKind::AlreadyExists { kind: k, .. } if *k == kind => {}
            other => panic!("expected AlreadyExists {kind:?}, got {other:?}: {e}"),
        },
        Ok(v) => panic!("expected AlreadyExists {kind:?}, got Ok({v:?})"),
    }
}

/// Asserts that `result` failed with exactly `kind`, and that the error names the provider.
#[track_caller]
pub fn assert_kind<T: std::fmt::Debug>(result: Result<T, Error>, kind: ErrorKind) {
    match result {
        Err(e) => {
            assert_eq!(*e.kind(), kind, "{e}");
            assert_eq!(e.provider(), Some("memory"), "{e}");
            assert!(e.operation().is_some(), "{e}");
        }
        Ok(v) => panic!("expected {kind:?}, got Ok({v:?})"),
    }
}
