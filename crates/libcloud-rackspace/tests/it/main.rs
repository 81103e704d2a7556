//! Tests of the Rackspace drivers: Apache Libcloud's recorded Cloud Load Balancers, Cloud DNS
//! and Cloud Files answers replayed (with the requests checked), answers written here where no
//! recording exists (CDN headers, DNS jobs still running), and the conformance suites against
//! live stand-ins (`cargo xtask emulators up`): mimic for Cloud Servers and Cloud Load
//! Balancers, Swift with tempauth for Cloud Files.
#![allow(clippy::unwrap_used)]

mod cdn;
mod compute;
mod dns;
mod json_props;
mod live_mimic;
mod live_swift;
mod loadbalancer;

use libcloud_core::Transport;
use libcloud_rackspace::{RackspaceConfig, Region};
use libcloud_testkit::replay::{Replay, Route};

/// The fixture folder of Cloud Load Balancers recordings.
pub const LB: &str = "rackspace-lb";
/// The fixture folder of Cloud DNS recordings.
pub const DNS: &str = "rackspace-dns";
/// The fixture folder of Cloud Files recordings.
pub const CLOUDFILES: &str = "cloudfiles";
/// The fixture folder of Keystone and Nova recordings.
pub const OPENSTACK: &str = "openstack";

/// The API key the replayed sign-ins expect.
pub const API_KEY: &str = "0123456789abcdef";

/// A route answering with a recorded JSON file of `provider`.
pub fn recorded(route: Route, provider: &str, file: &str) -> Route {
    route
        .response_header("content-type", "application/json")
        .fixture(provider, file)
}

/// The Keystone v2 sign-in with Rackspace's API key credentials, answered with a recorded
/// token and catalog.
pub fn sign_in(provider: &str, file: &str) -> Route {
    recorded(
        Route::post("/v2.0/tokens")
            .host("identity.api.rackspacecloud.com")
            .body_contains("\"RAX-KSKEY:apiKeyCredentials\"")
            .body_contains(&format!("\"apiKey\":\"{API_KEY}\"")),
        provider,
        file,
    )
}

/// Settings for the replayed account in `region`.
pub fn config(region: Region) -> RackspaceConfig {
    RackspaceConfig::new("testuser", API_KEY, region)
}

/// A replay that starts with the sign-in, and its transport.
pub fn replay(provider: &str, auth_file: &str) -> (Replay, Transport) {
    let replay = Replay::new().with(sign_in(provider, auth_file));
    let transport = replay.transport();
    (replay, transport)
}
