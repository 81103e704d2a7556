//! Tests of the GoGrid load balancer driver over replayed responses: Apache Libcloud's
//! recordings of GoGrid's API (found through `libcloud_testkit::fixtures`), plus answers
//! written here for what those recordings lack.
#![allow(clippy::unwrap_used)]

mod conformance;
mod errors;
mod fixtures;
mod fuzz;
mod parser_props;
mod secrets;

use std::time::{Duration, UNIX_EPOCH};

use http::Method;
use libcloud_gogrid::{GoGridConfig, GoGridLoadBalancer};
use libcloud_testkit::replay::{RecordedRequest, Replay, Route};

/// The provider directory of the recordings.
pub const PROVIDER: &str = "gogrid";

/// Every recorded file; each is replayed by at least one test below.
pub const FIXTURES: &[&str] = &[
    "ip_list.json",
    "loadbalancer_add.json",
    "loadbalancer_edit.json",
    "loadbalancer_get.json",
    "loadbalancer_list.json",
    "unexpected_error.json",
];

/// The API key the tests sign with.
pub const API_KEY: &str = "the-api-key";
/// Its shared secret.
pub const SECRET: &str = "the-shared-secret";
/// The time the tests' clock shows, in Unix seconds.
pub const NOW: u64 = 1_300_000_000;
/// md5("the-api-key" + "the-shared-secret" + "1300000000"), worked out independently of the
/// driver.
pub const SIG: &str = "46ad3c48c3ae9ceca7514193fba2811b";

/// The driver under test, at GoGrid's default endpoint, its clock stopped at [`NOW`].
pub fn driver(replay: &Replay) -> GoGridLoadBalancer {
    GoGridLoadBalancer::with_transport(GoGridConfig::new(API_KEY, SECRET), replay.transport())
        .unwrap()
        .with_clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
}

/// A replay serving `routes`, and a driver sending to it.
pub fn serve(routes: Vec<Route>) -> (Replay, GoGridLoadBalancer) {
    let replay = Replay::new();
    for route in routes {
        replay.add(route);
    }
    let lb = driver(&replay);
    (replay, lb)
}

/// A route answering with a recorded file and `Content-Type: application/json`.
pub fn recorded(route: Route, file: &str) -> Route {
    route
        .response_header("content-type", "application/json")
        .fixture(PROVIDER, file)
}

/// Checks one request the driver sent: method, path, and the exact query: the operation's
/// `params`, then `api_key`, `v`, `format` and the signature of [`NOW`]; no body.
pub fn assert_request(
    request: &RecordedRequest,
    method: Method,
    path: &str,
    params: &[(&str, &str)],
) {
    assert_eq!(request.method, method, "method of {}", request.uri);
    assert_eq!(request.uri.scheme_str(), Some("https"), "{}", request.uri);
    assert_eq!(
        request.uri.host(),
        Some("api.gogrid.com"),
        "{}",
        request.uri
    );
    assert_eq!(request.path(), path, "path of {}", request.uri);
    let mut expected: Vec<(&str, &str)> = params.to_vec();
    expected.extend([
        ("api_key", API_KEY),
        ("v", "1.8"),
        ("format", "json"),
        ("sig", SIG),
    ]);
    let pairs = request.query_pairs();
    let got: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, expected, "query of {}", request.uri);
    assert!(request.body.is_empty(), "{} sent a body", request.uri);
    assert_eq!(request.header("accept"), Some("application/json"));
    assert!(
        !request.uri.to_string().contains(SECRET),
        "the shared secret left the machine"
    );
}
