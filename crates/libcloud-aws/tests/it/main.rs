//! Integration tests of libcloud-aws through its public API.
#![allow(clippy::unwrap_used)]

mod moto;
mod s3_examples;
mod sigv4_suite;
