//! Tests of the Route 53 driver: Apache Libcloud's recorded Route 53 answers (found through
//! `libcloud_testkit::fixtures`), requests checked against answers written here, and the DNS
//! conformance suite plus the provider-only operations against moto when
//! `LIBCLOUD_TEST_MOTO_ENDPOINT` names one.
#![allow(clippy::unwrap_used)]

mod batches;
mod errors;
mod fixtures;
mod live;
mod requests;
mod xml_props;

use libcloud_core::{Extra, Record, RecordType, Zone, ZoneType};
use libcloud_route53::{Route53Config, Route53Dns};
use libcloud_testkit::replay::{RecordedRequest, Replay, Route};

/// The provider directory of the recordings.
pub const PROVIDER: &str = "route53";

/// Every recorded file; each is replayed by at least one test in `fixtures`.
pub const FIXTURES: &[&str] = &[
    "create_zone.xml",
    "get_zone.xml",
    "invalid_change_batch.xml",
    "list_records.xml",
    "list_zones.xml",
    "record_does_not_exist.xml",
    "zone_does_not_exist.xml",
];

/// The namespace of Route 53's answers.
pub const NS: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

/// The driver under test, at AWS's endpoint with fixed keys, sending to `replay`.
pub fn driver(replay: &Replay) -> Route53Dns {
    let config = Route53Config::new().with_keys("AKIDTEST", "secret");
    Route53Dns::with_transport(config, replay.transport()).unwrap()
}

/// A replay serving `routes`, and a driver sending to it.
pub fn serve(routes: Vec<Route>) -> (Replay, Route53Dns) {
    let replay = Replay::new();
    for route in routes {
        replay.add(route);
    }
    let dns = driver(&replay);
    (replay, dns)
}

/// A route answering with a recorded file.
pub fn recorded(route: Route, file: &str) -> Route {
    route
        .response_header("content-type", "text/xml")
        .fixture(PROVIDER, file)
}

/// A route answering with XML written here.
pub fn answer(route: Route, body: impl Into<String>) -> Route {
    route
        .response_header("content-type", "text/xml")
        .body(body.into())
}

/// The zone `id` for `domain`, as a caller holds it.
pub fn zone(id: &str, domain: &str) -> Zone {
    Zone {
        id: id.into(),
        domain: domain.into(),
        zone_type: ZoneType::Master,
        ttl: None,
        extra: Extra::new(),
    }
}

/// A record as `iterate_records` returns it.
pub fn record(zone_id: &str, name: &str, kind: RecordType, data: &str) -> Record {
    Record {
        id: format!("{kind}:{name}"),
        name: name.into(),
        record_type: kind,
        data: data.into(),
        zone_id: zone_id.into(),
        ttl: Some(300),
        priority: None,
        extra: Extra::new(),
    }
}

/// A `ListResourceRecordSets` answer holding `sets` (already XML).
pub fn rrsets(sets: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse xmlns=\"{NS}\">\
         <ResourceRecordSets>{sets}</ResourceRecordSets><IsTruncated>false</IsTruncated>\
         <MaxItems>1</MaxItems></ListResourceRecordSetsResponse>"
    )
}

/// A record set of plain values, as Route 53 writes it.
pub fn set(name: &str, kind: &str, ttl: u32, values: &[&str]) -> String {
    let values: String = values
        .iter()
        .map(|v| format!("<ResourceRecord><Value>{v}</Value></ResourceRecord>"))
        .collect();
    format!(
        "<ResourceRecordSet><Name>{name}</Name><Type>{kind}</Type><TTL>{ttl}</TTL>\
         <ResourceRecords>{values}</ResourceRecords></ResourceRecordSet>"
    )
}

/// A `ChangeResourceRecordSets` answer.
pub fn change_info(id: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<ChangeResourceRecordSetsResponse xmlns=\"{NS}\"><ChangeInfo>\
         <Id>/change/{id}</Id><Status>PENDING</Status><SubmittedAt>2026-01-01T00:00:00Z</SubmittedAt>\
         </ChangeInfo></ChangeResourceRecordSetsResponse>"
    )
}

/// A Route 53 error document.
pub fn error_body(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>req-{code}</RequestId></ErrorResponse>"
    )
}

/// The `<Change>` elements of a change batch request, as (action, set XML) pairs.
pub fn changes_of(request: &RecordedRequest) -> Vec<(String, String)> {
    let body = request.body_text();
    body.split("<Change>")
        .skip(1)
        .map(|c| {
            let action = c
                .split("<Action>")
                .nth(1)
                .and_then(|a| a.split("</Action>").next())
                .unwrap_or_default()
                .to_string();
            let set = c
                .split("</Action>")
                .nth(1)
                .and_then(|s| s.split("</Change>").next())
                .unwrap_or_default()
                .to_string();
            (action, set)
        })
        .collect()
}

/// Checks the signature scope and target of a request Route 53 would accept.
pub fn assert_signed(request: &RecordedRequest) {
    assert_eq!(
        request.uri.host(),
        Some("route53.amazonaws.com"),
        "{}",
        request.uri
    );
    assert!(
        request.path().starts_with("/2013-04-01/"),
        "{}",
        request.uri
    );
    let auth = request.header("authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
            && auth.contains("/us-east-1/route53/aws4_request"),
        "{auth}"
    );
}
