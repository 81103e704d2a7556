//! Test support for libcloud drivers: the conformance suites, a fixture-replay transport, and
//! helpers for fixture and live tests.
//!
//! Every driver crate takes this crate as a dev-dependency:
//!
//! - [`conformance`] holds one suite per API ([`conformance::storage`],
//!   [`conformance::compute`], [`conformance::dns`], [`conformance::loadbalancer`]). Each
//!   behaviour is one public async function taking the driver, so a test can run a single case;
//!   each suite's `run` picks the cases the driver's capabilities allow, runs them all, prints one
//!   line per case and panics at the end listing every failure.
//! - [`replay::Replay`] is a [`Transport`](libcloud_core::Transport) that serves scripted
//!   responses (often Apache Libcloud's recorded fixtures) and records every request it was sent,
//!   so a test can assert both what the driver parsed and what it asked for.
//! - [`fixtures`] finds those recorded responses, and [`require_fixtures!`] skips a test with a
//!   printed reason where they are absent.
//! - [`fault::FaultProxy`] is an HTTP proxy on 127.0.0.1 that sits between a driver and a real
//!   server and injects faults (resets, error statuses, stalls, truncated or corrupted bodies)
//!   by script or at a seeded rate, for reliability tests.
//! - [`fuzz`] gives proptest strategies for fuzzing response parsers: seed corpora, mutations
//!   of them, generated XML and JSON.
//! - [`secrets`] makes recognisable secrets and records every `tracing` event, so a test can
//!   show that credentials never reach logs, errors or `Debug` output.
//! - [`live`] finds emulator endpoints from the environment; [`require_live!`] skips without
//!   one, or fails when `LIBCLOUD_REQUIRE_LIVE=1` says the servers must be there.
//!
//! This is test support: it panics freely (its assertions are panics) but never pulls in an
//! HTTP client.
//!
//! ```no_run
//! # async fn demo(driver: &dyn libcloud_core::StorageDriver) {
//! libcloud_testkit::conformance::storage::run(driver).await;
//! # }
//! ```
#![allow(clippy::unwrap_used)]

pub mod conformance;
pub mod fault;
pub mod fixtures;
pub mod fuzz;
pub mod live;
pub mod replay;
pub mod secrets;

pub use conformance::{CaseResult, Failure, Outcome, Report};
pub use live::unique_name;
pub use replay::{RecordedRequest, Replay, Route};
