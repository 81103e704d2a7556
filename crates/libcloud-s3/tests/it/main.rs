//! The S3 driver's integration tests: recorded answers replayed, the requests it sends, its
//! error mapping, and live runs against moto and Garage when `cargo xtask emulators up` runs them.
#![allow(clippy::unwrap_used)]

mod errors;
mod faults;
mod fixtures;
mod limits;
mod live;
mod requests;
mod secrets;
mod support;
mod uploads;
mod xml_props;
