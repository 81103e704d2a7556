//! The DNS conformance cases that the recordings can answer, run over the replay transport.
//!
//! The suite names its zones and records at random (`lc-<case>-<hex>`), while the recordings
//! answer for fixed ones, so only the cases whose checks do not compare those names with what
//! comes back can run here: `missing_zone`, `zone_already_exists`, `missing_record`,
//! `invalid_record_data` and `duplicate_record`. Cases that read back what they created
//! (`zone_lifecycle`, `records_of_every_type`, `record_ttl`, `update_record`, `delete_record`,
//! `create_records_batch`, `bind_export`) need a live server. Requests for random names are
//! answered by [`Rule`]s; the rest by recordings, or, where Zerigo's answer was not recorded
//! (a 422 for a taken name, a 200 for a delete), by bodies written here.

use http::Method;
use libcloud_testkit::conformance::{Outcome, dns};
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;

use crate::{PROVIDER, Rule, driver_with, recorded, with_rules};

fn not_found(method: Method, prefix: &str, suffix: &str) -> Rule {
    Rule {
        method,
        path_prefix: prefix.into(),
        path_suffix: suffix.into(),
        status: 404,
        body: "",
    }
}

/// The recorded answer to creating a zone (id 12345679) and a 200 to deleting it.
fn zone_routes(replay: &Replay) {
    replay.add(recorded(
        Route::post("/api/1.1/zones.xml")
            .body_contains(".example.com</domain>")
            .status(201),
        "create_zone.xml",
    ));
    replay.add(Route::delete("/api/1.1/zones/12345679.xml"));
}

#[tokio::test]
async fn missing_zone() {
    let replay = Replay::new();
    let (transport, seen) = with_rules(
        &replay,
        vec![not_found(
            Method::GET,
            "/api/1.1/zones/lc-missing-zone-",
            ".example.com.xml",
        )],
    );
    let dns = driver_with(transport);
    assert_eq!(dns::missing_zone(&dns).await, Ok(Outcome::Passed));
    assert_eq!(seen.lock().unwrap().len(), 1);
    replay.assert_all_used();
}

#[tokio::test]
async fn zone_already_exists() {
    require_fixtures!(PROVIDER);
    let replay = Replay::new();
    zone_routes(&replay);
    replay.add(
        Route::post("/api/1.1/zones.xml")
            // The case asks again for the domain the first answer named.
            .body_contains("<domain>foo.bar.com</domain>")
            .status(422)
            .body("<errors>\n  <error>Domain has already been taken</error>\n</errors>\n"),
    );
    let dns = driver_with(replay.transport());
    assert_eq!(dns::zone_already_exists(&dns).await, Ok(Outcome::Passed));
    replay.assert_all_used();
    let requests = replay.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests[0]
            .body_text()
            .contains("<domain>lc-zone-already-exists-")
    );
}

#[tokio::test]
async fn missing_record() {
    require_fixtures!(PROVIDER);
    let replay = Replay::new();
    zone_routes(&replay);
    replay.add(recorded(
        Route::get("/api/1.1/zones/12345679.xml"),
        "create_zone.xml",
    ));
    let (transport, seen) = with_rules(
        &replay,
        vec![
            not_found(Method::GET, "/api/1.1/hosts/lc-missing-record-", ".xml"),
            not_found(Method::GET, "/api/1.1/zones/lc-missing-zone-", ".xml"),
        ],
    );
    let dns = driver_with(transport);
    assert_eq!(dns::missing_record(&dns).await, Ok(Outcome::Passed));
    replay.assert_all_used();
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn invalid_record_data() {
    require_fixtures!(PROVIDER);
    let replay = Replay::new();
    zone_routes(&replay);
    replay.add(recorded(
        Route::get("/api/1.1/zones/12345679/hosts.xml"),
        "list_records.xml",
    ));
    let dns = driver_with(replay.transport());
    assert_eq!(dns::invalid_record_data(&dns).await, Ok(Outcome::Passed));
    replay.assert_all_used();
    // The bad records were refused before anything was sent.
    assert!(
        replay
            .requests()
            .iter()
            .all(|r| !r.path().ends_with("/hosts.xml") || r.method == Method::GET)
    );
}

#[tokio::test]
async fn duplicate_record() {
    require_fixtures!(PROVIDER);
    let replay = Replay::new();
    zone_routes(&replay);
    let hosts = "/api/1.1/zones/12345679/hosts.xml";
    replay.add(recorded(
        Route::post(hosts).status(201),
        "create_record.xml",
    ));
    replay.add(
        Route::post(hosts)
            .body_contains("<hostname>dup</hostname>")
            .status(422)
            .body("<errors><error>Hostname has already been taken</error></errors>"),
    );
    let dns = driver_with(replay.transport());
    assert_eq!(dns::duplicate_record(&dns).await, Ok(Outcome::Passed));
    replay.assert_all_used();
}
