//! Integration tests of libcloud-aws through its public API.
#![allow(clippy::unwrap_used)]

mod error_props;
mod moto;
mod s3_examples;
mod secrets;
mod sigv4_suite;
