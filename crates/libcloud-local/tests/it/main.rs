//! Integration tests of the local-folder storage driver.
#![allow(clippy::unwrap_used, clippy::result_large_err)]

mod bad_names;
mod conformance;
mod containers;
mod links;
mod listing;
mod metadata;
mod name_props;
mod ranges;
mod support;
mod uploads;
