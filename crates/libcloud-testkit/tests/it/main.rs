//! Tests of the testkit itself: the replay transport, fixture and live helpers, and the
//! conformance suites run against small drivers written here, correct and deliberately broken.
#![allow(clippy::unwrap_used)]

mod compute_suite;
mod dns_suite;
mod fault;
mod fixtures;
mod lb_suite;
mod live;
mod replay;
mod storage_suite;
mod subprocess;
