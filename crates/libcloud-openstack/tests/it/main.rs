//! Tests of the OpenStack drivers: identity and catalog over replayed answers (Apache
//! Libcloud's recorded Keystone, Nova and CloudFiles responses where they exist, answers
//! written here where they do not), and the conformance suites against live Swift and mimic
//! servers (`cargo xtask emulators up`).
#![allow(clippy::unwrap_used)]

mod faults;
mod identity;
mod json_props;
mod live_mimic;
mod live_swift;
mod nova;
mod renewal;
mod secrets;
mod slo;
mod swift;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libcloud_openstack::Clock;
use libcloud_testkit::replay::Route;

/// The fixture folder of Keystone and Nova recordings.
pub const OPENSTACK: &str = "openstack";
/// The fixture folder of CloudFiles (Swift) recordings.
pub const CLOUDFILES: &str = "cloudfiles";

/// A route answering with a recorded JSON file of `provider`.
pub fn recorded(route: Route, provider: &str, file: &str) -> Route {
    route
        .response_header("content-type", "application/json")
        .fixture(provider, file)
}

/// A clock that stands still until moved, starting at `start` seconds after the epoch.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicU64>);

impl TestClock {
    /// A clock showing `start` seconds after the epoch.
    pub fn at(start: u64) -> Self {
        TestClock(Arc::new(AtomicU64::new(start)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
    }

    /// The time the clock shows.
    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }

    /// The clock as a session takes it.
    pub fn clock(&self) -> Clock {
        let me = self.clone();
        Arc::new(move || me.now())
    }
}
