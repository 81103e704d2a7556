//! Truncated and garbled versions of every recording, fed to the driver: each must give an
//! answer or a typed error, never a panic.

use libcloud_core::{
    CreateZone, DnsDriver, DnsDriverExt, ErrorKind, RecordSpec, RecordType, Result, Zone, ZoneType,
};
use libcloud_testkit::fixtures;
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;

use crate::{FIXTURES, PROVIDER, driver};

/// The call that reads `file`, with the route that serves `body` to it.
async fn call_with(file: &str, status: u16, body: Vec<u8>) -> Result<()> {
    let zone = Zone {
        id: "12345678".into(),
        domain: "example.com".into(),
        zone_type: ZoneType::Master,
        ttl: None,
        extra: Default::default(),
    };
    let replay = Replay::new();
    let dns = driver(&replay);
    let route = |r: Route| r.status(status).body(body.clone());
    match file {
        "list_zones.xml" | "list_zones_no_results.xml" => {
            replay.add(route(Route::get("/api/1.1/zones.xml")));
            dns.list_zones().await.map(drop)
        }
        "list_records.xml" | "list_records_no_results.xml" => {
            replay.add(route(Route::get("/api/1.1/zones/12345678/hosts.xml")));
            dns.list_records(&zone).await.map(drop)
        }
        "get_zone.xml" => {
            replay.add(route(Route::get("/api/1.1/zones/12345678.xml")));
            dns.get_zone("12345678").await.map(drop)
        }
        "get_record.xml" => {
            replay.add(
                Route::get("/api/1.1/zones/12345678.xml")
                    .body("<zone><id>12345678</id><domain>example.com</domain></zone>"),
            );
            replay.add(route(Route::get("/api/1.1/hosts/23456789.xml")));
            dns.get_record("12345678", "23456789").await.map(drop)
        }
        "create_zone.xml" | "create_zone_validation_error.xml" => {
            replay.add(route(Route::post("/api/1.1/zones.xml")));
            dns.create_zone(&CreateZone::new("foo.bar.com"))
                .await
                .map(drop)
        }
        "create_record.xml" => {
            replay.add(route(Route::post("/api/1.1/zones/12345678/hosts.xml")));
            let spec = RecordSpec::new("www", RecordType::A, "127.0.0.1");
            dns.create_record(&zone, &spec).await.map(drop)
        }
        other => panic!("no call reads {other}: add one"),
    }
}

/// The status each recording was answered with.
fn status_of(file: &str) -> u16 {
    match file {
        "create_zone_validation_error.xml" => 422,
        "create_zone.xml" | "create_record.xml" => 201,
        _ => 200,
    }
}

/// Deterministic variants of `body`: cut at many points, and with bytes replaced by ones that
/// break XML, numbers or UTF-8.
fn variants(body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let junk: &[&[u8]] = &[b"<", b">", b"&", b"\xff", b"x", b"\"", b"</", b"-1"];
    libcloud_testkit::fuzz::cut_and_garbled(body, junk, 0x9e37_79b9)
}

#[tokio::test]
async fn truncated_and_garbled_recordings_give_errors_not_panics() {
    require_fixtures!(PROVIDER);
    let mut errors = 0;
    let mut total = 0;
    for file in FIXTURES {
        let body = fixtures::read(PROVIDER, file).unwrap().to_vec();
        let status = status_of(file);
        // The intact recording reads as its status says.
        let intact = call_with(file, status, body.clone()).await;
        assert_eq!(intact.is_ok(), status < 300, "{file}: {intact:?}");
        for (what, variant) in variants(&body) {
            total += 1;
            let result = call_with(file, status, variant.clone()).await;
            let Err(err) = result else { continue };
            errors += 1;
            let allowed = match status {
                422 => matches!(
                    err.kind(),
                    ErrorKind::InvalidInput
                        | ErrorKind::AlreadyExists { .. }
                        | ErrorKind::MalformedResponse
                ),
                _ => *err.kind() == ErrorKind::MalformedResponse,
            };
            assert!(
                allowed,
                "{file} ({what}): unexpected {:?}: {err}\n{}",
                err.kind(),
                String::from_utf8_lossy(&variant)
            );
            assert_eq!(err.provider(), Some("zerigo"), "{file} ({what})");
        }
    }
    // Most variants must have been caught; an always-Ok parser would not be tested at all.
    assert!(
        errors * 2 > total,
        "only {errors} of {total} variants were refused"
    );
}

#[tokio::test]
async fn cut_documents_are_malformed() {
    require_fixtures!(PROVIDER);
    for file in FIXTURES.iter().filter(|f| status_of(f) < 300) {
        let body = fixtures::read(PROVIDER, file).unwrap().to_vec();
        let text = String::from_utf8(body.clone()).unwrap();
        // Cutting inside the root element (before its closing tag) always breaks the document.
        let close = text.trim_end().len() - 2;
        for cut in [close / 2, close] {
            let err = call_with(file, status_of(file), body[..cut].to_vec())
                .await
                .unwrap_err();
            assert_eq!(
                *err.kind(),
                ErrorKind::MalformedResponse,
                "{file} cut at {cut}"
            );
        }
    }
}
