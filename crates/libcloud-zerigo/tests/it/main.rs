//! Tests of the Zerigo DNS driver over replayed responses: Apache Libcloud's recordings of
//! Zerigo's API (found through `libcloud_testkit::fixtures`), plus answers written here for
//! what those recordings lack.
#![allow(clippy::unwrap_used)]

mod conformance;
mod errors;
mod fixtures;
mod fuzz;
mod parser_props;
mod requests;
mod secrets;

use std::sync::{Arc, Mutex};

use http::Method;
use libcloud_core::transport::{self, Request, Response};
use libcloud_core::{Body, Transport};
use libcloud_testkit::replay::{RecordedRequest, Replay, Route};
use libcloud_zerigo::{ZerigoConfig, ZerigoDns};

/// The provider directory of the recordings.
pub const PROVIDER: &str = "zerigo";

/// Every recorded file; each is replayed by at least one test below.
pub const FIXTURES: &[&str] = &[
    "create_record.xml",
    "create_zone.xml",
    "create_zone_validation_error.xml",
    "get_record.xml",
    "get_zone.xml",
    "list_records.xml",
    "list_records_no_results.xml",
    "list_zones.xml",
    "list_zones_no_results.xml",
];

/// The account the tests sign in as.
pub const EMAIL: &str = "ops@example.com";
/// Its API key.
pub const API_KEY: &str = "s3cr3t-key";
/// `Basic base64("ops@example.com:s3cr3t-key")`, worked out independently of the driver.
pub const AUTHORIZATION: &str = "Basic b3BzQGV4YW1wbGUuY29tOnMzY3IzdC1rZXk=";

/// The driver under test, at Zerigo's default endpoint, sending through `transport`.
pub fn driver_with(transport: Transport) -> ZerigoDns {
    ZerigoDns::with_transport(ZerigoConfig::new(EMAIL, API_KEY), transport).unwrap()
}

/// The driver under test, sending to `replay`.
pub fn driver(replay: &Replay) -> ZerigoDns {
    driver_with(replay.transport())
}

/// A replay serving `routes`, and a driver sending to it.
pub fn serve(routes: Vec<Route>) -> (Replay, ZerigoDns) {
    let replay = Replay::new();
    for route in routes {
        replay.add(route);
    }
    let dns = driver(&replay);
    (replay, dns)
}

/// A route answering with a recorded file and `Content-Type: application/xml`.
pub fn recorded(route: Route, file: &str) -> Route {
    route
        .response_header("content-type", "application/xml")
        .fixture(PROVIDER, file)
}

/// Checks one request the driver sent: method, path, the exact query, the body and the
/// authentication every request carries.
pub fn assert_request(
    request: &RecordedRequest,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&str>,
) {
    assert_eq!(request.method, method, "method of {}", request.uri);
    assert_eq!(request.uri.scheme_str(), Some("https"), "{}", request.uri);
    assert_eq!(request.uri.host(), Some("ns.zerigo.com"), "{}", request.uri);
    assert_eq!(request.path(), path, "path of {}", request.uri);
    let pairs = request.query_pairs();
    let got: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, query, "query of {}", request.uri);
    assert_eq!(request.header("authorization"), Some(AUTHORIZATION));
    assert_eq!(request.header("accept"), Some("application/xml"));
    match body {
        Some(text) => {
            assert_eq!(request.body_text(), text, "body of {}", request.uri);
            assert_eq!(
                request.header("content-type"),
                Some("application/xml; charset=UTF-8")
            );
        }
        None => {
            assert!(request.body.is_empty(), "{} sent a body", request.uri);
            assert_eq!(request.header("content-type"), None);
        }
    }
}

/// A fixed answer for requests a [`Route`] cannot describe (paths holding random names).
#[derive(Clone)]
pub struct Rule {
    /// The method it answers.
    pub method: Method,
    /// The start of the paths it answers.
    pub path_prefix: String,
    /// The end of the paths it answers.
    pub path_suffix: String,
    /// The status it answers with.
    pub status: u16,
    /// The body it answers with.
    pub body: &'static str,
}

/// A transport that answers requests matching one of `rules` itself and passes the rest to
/// `replay`; the requests it answers are kept in the returned list, in order.
pub fn with_rules(replay: &Replay, rules: Vec<Rule>) -> (Transport, Arc<Mutex<Vec<String>>>) {
    let inner = replay.transport();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let transport = transport::from_fn(move |request: Request| {
        let inner = inner.clone();
        let rules = rules.clone();
        let log = log.clone();
        Box::pin(async move {
            let path = request.uri().path().to_string();
            let rule = rules.iter().find(|r| {
                r.method == request.method()
                    && path.starts_with(&r.path_prefix)
                    && path.ends_with(&r.path_suffix)
            });
            match rule {
                Some(rule) => {
                    log.lock()
                        .unwrap()
                        .push(format!("{} {}", request.method(), request.uri()));
                    let mut response = Response::new(Body::from(rule.body));
                    *response.status_mut() = http::StatusCode::from_u16(rule.status).unwrap();
                    Ok(response)
                }
                None => transport::send(&inner, request).await,
            }
        })
    });
    (transport, seen)
}
