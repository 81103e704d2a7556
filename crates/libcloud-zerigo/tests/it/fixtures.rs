//! Every recorded Zerigo answer, replayed: what the driver parses from it and what it sent.

use futures::TryStreamExt;
use http::Method;
use libcloud_core::{
    CreateZone, DnsDriver, DnsDriverExt, ErrorKind, RecordSpec, RecordType, ResourceKind, ZoneType,
};
use libcloud_testkit::replay::Route;
use libcloud_testkit::require_fixtures;
use serde_json::json;

use crate::{FIXTURES, PROVIDER, assert_request, recorded, serve};

const ZONES: &str = "/api/1.1/zones.xml";

fn page_one() -> [(&'static str, &'static str); 2] {
    [("per_page", "100"), ("page", "1")]
}

#[test]
fn every_recorded_file_is_known() {
    let dir = require_fixtures!(PROVIDER);
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(
        on_disk, FIXTURES,
        "a recorded file was added or removed: cover it"
    );
}

#[tokio::test]
async fn list_zones() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![recorded(
        Route::get(ZONES).response_header("x-query-count", "1"),
        "list_zones.xml",
    )]);
    let zones = dns.list_zones().await.unwrap();
    replay.assert_all_used();
    assert_request(&replay.requests()[0], Method::GET, ZONES, &page_one(), None);

    assert_eq!(zones.len(), 1);
    let zone = &zones[0];
    assert_eq!(zone.id, "12345678");
    assert_eq!(zone.domain, "example.com");
    assert_eq!(zone.zone_type, ZoneType::Master);
    assert_eq!(zone.ttl, Some(600));
    assert_eq!(zone.extra["notes"], "test foo bar");
    assert_eq!(zone.extra["custom_ns"], false);
    assert_eq!(zone.extra["ns_type"], "pri_sec");
    assert_eq!(zone.extra["tags"], json!([]));
    assert_eq!(zone.extra["created_at"], "2008-12-07T02:40:02Z");
    assert!(
        !zone.extra.contains_key("hostmaster"),
        "a nil field is left out"
    );
    assert!(!zone.extra.contains_key("nx_ttl"));
}

#[tokio::test]
async fn list_zones_no_results() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![recorded(
        Route::get(ZONES).response_header("x-query-count", "0"),
        "list_zones_no_results.xml",
    )]);
    assert!(dns.list_zones().await.unwrap().is_empty());
    replay.assert_all_used();
    assert_eq!(replay.requests().len(), 1);
}

#[tokio::test]
async fn list_zones_follows_the_query_count_to_a_second_page() {
    require_fixtures!(PROVIDER);
    // Zerigo said how many zones match in X-Query-Count; 101 of them take two pages of 100.
    let (replay, dns) = serve(vec![
        recorded(
            Route::get(ZONES)
                .query("page", "1")
                .response_header("x-query-count", "101"),
            "list_zones.xml",
        ),
        recorded(
            Route::get(ZONES)
                .query("page", "2")
                .response_header("x-query-count", "101"),
            "list_zones.xml",
        ),
    ]);
    let mut stream = dns.iterate_zones();
    let first = stream.try_next().await.unwrap().unwrap();
    assert_eq!(first.id, "12345678");
    assert_eq!(
        replay.requests().len(),
        1,
        "the second page is fetched only when read"
    );
    let rest: Vec<_> = stream.try_collect().await.unwrap();
    assert_eq!(rest.len(), 1);
    replay.assert_all_used();
    let requests = replay.requests();
    assert_eq!(requests.len(), 2);
    assert_request(
        &requests[1],
        Method::GET,
        ZONES,
        &[("per_page", "100"), ("page", "2")],
        None,
    );
}

#[tokio::test]
async fn list_records() {
    require_fixtures!(PROVIDER);
    let path = "/api/1.1/zones/12345678/hosts.xml";
    let (replay, dns) = serve(vec![
        recorded(Route::get("/api/1.1/zones/12345678.xml"), "get_zone.xml"),
        recorded(
            Route::get(path).response_header("x-query-count", "4"),
            "list_records.xml",
        ),
    ]);
    let zone = dns.get_zone("12345678").await.unwrap();
    let records = dns.list_records(&zone).await.unwrap();
    replay.assert_all_used();
    assert_request(&replay.requests()[1], Method::GET, path, &page_one(), None);

    let summary: Vec<(&str, &str, Option<u32>)> = records
        .iter()
        .map(|r| (r.name.as_str(), r.data.as_str(), r.ttl))
        .collect();
    assert_eq!(
        summary,
        [
            ("www", "172.16.16.1", None),
            ("test", "172.16.16.2", Some(3600)),
            // An empty <hostname/> and a missing one both mean the apex.
            ("", "172.16.16.3", Some(3600)),
            ("", "172.16.16.4", Some(3600)),
        ]
    );
    for record in &records {
        assert_eq!(record.id, "23456789");
        assert_eq!(record.record_type, RecordType::A);
        assert_eq!(record.zone_id, "12345678");
        assert_eq!(record.priority, None);
        assert!(!record.extra.contains_key("notes"));
    }
    assert_eq!(records[1].extra["fqdn"], "test.example.com");
}

#[tokio::test]
async fn list_records_no_results() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![
        recorded(Route::get("/api/1.1/zones/12345678.xml"), "get_zone.xml"),
        recorded(
            Route::get("/api/1.1/zones/12345678/hosts.xml"),
            "list_records_no_results.xml",
        ),
    ]);
    let zone = dns.get_zone("12345678").await.unwrap();
    assert!(dns.list_records(&zone).await.unwrap().is_empty());
    replay.assert_all_used();
}

#[tokio::test]
async fn get_zone() {
    require_fixtures!(PROVIDER);
    let path = "/api/1.1/zones/12345678.xml";
    let (replay, dns) = serve(vec![recorded(Route::get(path), "get_zone.xml")]);
    let zone = dns.get_zone("12345678").await.unwrap();
    replay.assert_all_used();
    assert_request(&replay.requests()[0], Method::GET, path, &[], None);

    assert_eq!(zone.id, "12345678");
    assert_eq!(zone.domain, "example.com");
    assert_eq!(zone.zone_type, ZoneType::Master);
    assert_eq!(zone.ttl, Some(600));
    assert_eq!(zone.extra["hostmaster"], "dnsadmin@example.com");
    assert_eq!(zone.extra["custom_ns"], true);
    assert_eq!(
        zone.extra["custom_nameservers"],
        "ns1.example.com,ns2.example.com"
    );
    assert_eq!(zone.extra["tags"], json!(["one", "two"]));
    assert_eq!(zone.extra["hosts_count"], 1);
    assert!(!zone.extra.contains_key("notes"));
    assert!(!zone.extra.contains_key("slave_nameservers"));
}

#[tokio::test]
async fn ex_get_zone_by_domain() {
    require_fixtures!(PROVIDER);
    let path = "/api/1.1/zones/example.com.xml";
    let (replay, dns) = serve(vec![recorded(Route::get(path), "get_zone.xml")]);
    let zone = dns.ex_get_zone_by_domain("example.com.").await.unwrap();
    replay.assert_all_used();
    assert_request(&replay.requests()[0], Method::GET, path, &[], None);
    assert_eq!(zone.id, "12345678");
}

#[tokio::test]
async fn get_record() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![
        recorded(Route::get("/api/1.1/zones/12345678.xml"), "get_zone.xml"),
        recorded(Route::get("/api/1.1/hosts/23456789.xml"), "get_record.xml"),
    ]);
    let record = dns.get_record("12345678", "23456789").await.unwrap();
    replay.assert_all_used();
    let requests = replay.requests();
    assert_request(
        &requests[0],
        Method::GET,
        "/api/1.1/zones/12345678.xml",
        &[],
        None,
    );
    assert_request(
        &requests[1],
        Method::GET,
        "/api/1.1/hosts/23456789.xml",
        &[],
        None,
    );

    assert_eq!(record.id, "23456789");
    assert_eq!(record.name, "www");
    assert_eq!(record.record_type, RecordType::A);
    assert_eq!(record.data, "172.16.16.1");
    assert_eq!(record.zone_id, "12345678");
    assert_eq!(record.ttl, None);
    assert_eq!(record.extra["fqdn"], "example.com");
    assert_eq!(record.extra["updated_at"], "2008-12-07T02:51:13Z");
}

#[tokio::test]
async fn get_record_of_another_zone_is_not_found() {
    require_fixtures!(PROVIDER);
    // get_record.xml belongs to zone 12345678; asked for under zone 12345679 it is not there.
    let (replay, dns) = serve(vec![
        recorded(Route::get("/api/1.1/zones/12345679.xml"), "create_zone.xml"),
        recorded(Route::get("/api/1.1/hosts/23456789.xml"), "get_record.xml"),
    ]);
    let err = dns.get_record("12345679", "23456789").await.unwrap_err();
    replay.assert_all_used();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Record,
            id: "23456789".into()
        }
    );
}

#[tokio::test]
async fn create_zone() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![recorded(
        Route::post(ZONES).status(201),
        "create_zone.xml",
    )]);
    let zone = dns
        .create_zone(&CreateZone::new("foo.bar.com").ttl(600))
        .await
        .unwrap();
    replay.assert_all_used();
    assert_request(
        &replay.requests()[0],
        Method::POST,
        ZONES,
        &[],
        Some(
            "<zone><domain>foo.bar.com</domain><ns-type>pri_sec</ns-type>\
             <default-ttl type=\"integer\">600</default-ttl></zone>",
        ),
    );
    assert_eq!(zone.id, "12345679");
    assert_eq!(zone.domain, "foo.bar.com");
    assert_eq!(zone.zone_type, ZoneType::Master);
    assert_eq!(zone.ttl, Some(600));
    assert_eq!(zone.extra["hosts_count"], 0);
}

#[tokio::test]
async fn create_slave_zone_sends_ns1() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![recorded(
        Route::post(ZONES).status(201),
        "create_zone.xml",
    )]);
    let mut request = CreateZone::new("foo.bar.com");
    request.zone_type = ZoneType::Slave;
    request.extra.insert("ns1".into(), json!("192.0.2.53"));
    request.extra.insert("notes".into(), json!("mirror"));
    dns.create_zone(&request).await.unwrap();
    assert_request(
        &replay.requests()[0],
        Method::POST,
        ZONES,
        &[],
        Some(
            "<zone><domain>foo.bar.com</domain><ns-type>sec</ns-type><ns1>192.0.2.53</ns1>\
             <notes>mirror</notes></zone>",
        ),
    );
}

#[tokio::test]
async fn create_zone_validation_error() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![recorded(
        Route::post(ZONES).status(422),
        "create_zone_validation_error.xml",
    )]);
    let err = dns
        .create_zone(&CreateZone::new("foo.bar.com"))
        .await
        .unwrap_err();
    replay.assert_all_used();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.provider(), Some("zerigo"));
    assert_eq!(err.operation(), Some("create_zone"));
    assert_eq!(
        err.message(),
        Some(
            "Ns type is not included in the list; Default ttl must be greater than or equal to 60"
        )
    );
}

#[tokio::test]
async fn create_record() {
    require_fixtures!(PROVIDER);
    let path = "/api/1.1/zones/12345678/hosts.xml";
    let (replay, dns) = serve(vec![
        recorded(Route::get("/api/1.1/zones/12345678.xml"), "get_zone.xml"),
        recorded(Route::post(path).status(201), "create_record.xml"),
    ]);
    let zone = dns.get_zone("12345678").await.unwrap();
    let record = dns
        .create_record(&zone, &RecordSpec::new("www", RecordType::A, "127.0.0.1"))
        .await
        .unwrap();
    replay.assert_all_used();
    assert_request(
        &replay.requests()[1],
        Method::POST,
        path,
        &[],
        Some("<host><hostname>www</hostname><host-type>A</host-type><data>127.0.0.1</data></host>"),
    );
    assert_eq!(record.id, "23456780");
    assert_eq!(record.name, "www");
    assert_eq!(record.record_type, RecordType::A);
    assert_eq!(record.data, "127.0.0.1");
    assert_eq!(record.zone_id, "12345678");
    assert_eq!(record.extra["fqdn"], "www.example.com");
}

#[tokio::test]
async fn create_record_with_ttl_priority_and_notes() {
    require_fixtures!(PROVIDER);
    let path = "/api/1.1/zones/12345678/hosts.xml";
    let (replay, dns) = serve(vec![
        recorded(Route::get("/api/1.1/zones/12345678.xml"), "get_zone.xml"),
        recorded(Route::post(path).status(201), "create_record.xml"),
    ]);
    let zone = dns.get_zone("12345678").await.unwrap();
    let mut spec = RecordSpec::new("", RecordType::Mx, "mail.example.com")
        .ttl(300)
        .priority(10);
    spec.extra.insert("notes".into(), json!("primary & only"));
    dns.create_record(&zone, &spec).await.unwrap();
    assert_request(
        &replay.requests()[1],
        Method::POST,
        path,
        &[],
        Some(
            "<host><host-type>MX</host-type><data>mail.example.com</data>\
             <ttl type=\"integer\">300</ttl><priority type=\"integer\">10</priority>\
             <notes>primary &amp; only</notes></host>",
        ),
    );
}

#[tokio::test]
async fn bind_export_of_the_recorded_zone() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![
        recorded(Route::get("/api/1.1/zones/12345678.xml"), "get_zone.xml"),
        recorded(
            Route::get("/api/1.1/zones/12345678/hosts.xml"),
            "list_records.xml",
        ),
    ]);
    let zone = dns.get_zone("12345678").await.unwrap();
    let text = dns.export_zone_to_bind_format(&zone).await.unwrap();
    replay.assert_all_used();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("; Generated by libcloud-rs v"),
        "{text}"
    );
    assert_eq!(
        lines[1..],
        [
            "$ORIGIN example.com.",
            "$TTL 600",
            "",
            "www.example.com.\t600\tIN\tA\t172.16.16.1",
            "test.example.com.\t3600\tIN\tA\t172.16.16.2",
            "example.com.\t3600\tIN\tA\t172.16.16.3",
            "example.com.\t3600\tIN\tA\t172.16.16.4",
        ]
    );
}
