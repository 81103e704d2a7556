//! The calls the recordings do not cover (updates, deletes, zone transfers): what the driver
//! sends, answered as Zerigo documents (200 or 202 with an empty body).

use http::Method;
use libcloud_core::{CreateZone, DnsDriver, Record, RecordSpec, RecordType, Zone, ZoneType};
use libcloud_testkit::replay::Route;
use serde_json::json;

use crate::{assert_request, serve};

fn zone() -> Zone {
    Zone {
        id: "12345678".into(),
        domain: "example.com".into(),
        zone_type: ZoneType::Master,
        ttl: Some(600),
        extra: Default::default(),
    }
}

fn record() -> Record {
    let mut extra = libcloud_core::Extra::new();
    extra.insert("fqdn".into(), json!("www.example.com"));
    Record {
        id: "23456789".into(),
        name: "www".into(),
        record_type: RecordType::A,
        data: "172.16.16.1".into(),
        zone_id: "12345678".into(),
        ttl: None,
        priority: None,
        extra,
    }
}

#[tokio::test]
async fn update_zone_sends_only_what_changes() {
    let path = "/api/1.1/zones/12345678.xml";
    let (replay, dns) = serve(vec![Route::put(path)]);
    let mut changes = CreateZone::new("").ttl(900);
    changes.extra.insert("tags".into(), json!(["a", "b"]));
    let updated = dns.update_zone(&zone(), &changes).await.unwrap();
    replay.assert_all_used();
    assert_request(
        &replay.requests()[0],
        Method::PUT,
        path,
        &[],
        Some(
            "<zone><default-ttl type=\"integer\">900</default-ttl><tag-list>a b</tag-list></zone>",
        ),
    );
    assert_eq!(updated.id, "12345678");
    assert_eq!(updated.domain, "example.com");
    assert_eq!(updated.ttl, Some(900));
    assert_eq!(updated.extra["tags"], json!(["a", "b"]));
}

#[tokio::test]
async fn update_zone_refuses_a_new_domain() {
    let (replay, dns) = serve(vec![]);
    let err = dns
        .update_zone(&zone(), &CreateZone::new("other.example.com"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), libcloud_core::ErrorKind::InvalidInput);
    assert!(replay.requests().is_empty());
}

#[tokio::test]
async fn update_record_sends_the_whole_record() {
    let path = "/api/1.1/hosts/23456789.xml";
    let (replay, dns) = serve(vec![Route::put(path)]);
    let changes = RecordSpec::new("", RecordType::A, "172.16.16.9").ttl(120);
    let updated = dns.update_record(&record(), &changes).await.unwrap();
    replay.assert_all_used();
    assert_request(
        &replay.requests()[0],
        Method::PUT,
        path,
        &[],
        Some(
            "<host><hostname nil=\"true\"/><host-type>A</host-type><data>172.16.16.9</data>\
             <ttl type=\"integer\">120</ttl></host>",
        ),
    );
    assert_eq!(updated.id, "23456789");
    assert_eq!(updated.name, "");
    assert_eq!(updated.data, "172.16.16.9");
    assert_eq!(updated.ttl, Some(120));
    assert_eq!(updated.zone_id, "12345678");
    assert!(
        !updated.extra.contains_key("fqdn"),
        "the old fqdn no longer holds"
    );
}

#[tokio::test]
async fn update_record_uses_zerigos_copy_when_it_sends_one() {
    let path = "/api/1.1/hosts/23456789.xml";
    let body = "<host><id type=\"integer\">23456789</id><hostname>www</hostname>\
                <host-type>A</host-type><data>172.16.16.8</data><ttl type=\"integer\">60</ttl>\
                <zone-id type=\"integer\">12345678</zone-id></host>";
    let (_replay, dns) = serve(vec![Route::put(path).body(body)]);
    let changes = RecordSpec::new("www", RecordType::A, "172.16.16.8");
    let updated = dns.update_record(&record(), &changes).await.unwrap();
    assert_eq!(updated.ttl, Some(60), "the TTL Zerigo reports wins");
}

#[tokio::test]
async fn deletes() {
    let (replay, dns) = serve(vec![
        Route::delete("/api/1.1/hosts/23456789.xml"),
        Route::delete("/api/1.1/zones/12345678.xml"),
    ]);
    dns.delete_record(&record()).await.unwrap();
    dns.delete_zone(&zone()).await.unwrap();
    replay.assert_all_used();
    let requests = replay.requests();
    assert_request(
        &requests[0],
        Method::DELETE,
        "/api/1.1/hosts/23456789.xml",
        &[],
        None,
    );
    assert_request(
        &requests[1],
        Method::DELETE,
        "/api/1.1/zones/12345678.xml",
        &[],
        None,
    );
}

#[tokio::test]
async fn ex_force_slave_axfr() {
    let path = "/api/1.1/zones/12345678/force_slave_axfr.xml";
    let (replay, dns) = serve(vec![Route::post(path).status(202)]);
    let zone = dns.ex_force_slave_axfr(&zone()).await.unwrap();
    assert_eq!(zone.id, "12345678");
    replay.assert_all_used();
    assert_request(&replay.requests()[0], Method::POST, path, &[], None);
}

#[tokio::test]
async fn an_endpoint_override_is_used_for_every_request() {
    let replay = libcloud_testkit::Replay::new().with(
        Route::get("/dns/v1/zones/7.xml")
            .host("127.0.0.1")
            .body("<zone><id>7</id><domain>example.net</domain><ns-type>pri</ns-type></zone>"),
    );
    let config = libcloud_zerigo::ZerigoConfig::new(crate::EMAIL, crate::API_KEY)
        .with_endpoint("http://127.0.0.1:8053/dns/v1");
    let dns = libcloud_zerigo::ZerigoDns::with_transport(config, replay.transport()).unwrap();
    assert_eq!(dns.endpoint(), "http://127.0.0.1:8053/dns/v1/");
    let zone = dns.get_zone("7").await.unwrap();
    assert_eq!(zone.zone_type, ZoneType::Master);
    replay.assert_all_used();
    assert_eq!(
        replay.requests()[0].uri.to_string(),
        "http://127.0.0.1:8053/dns/v1/zones/7.xml"
    );
}

#[tokio::test]
async fn ids_are_escaped_in_paths() {
    let (replay, dns) = serve(vec![Route::get("/api/1.1/zones/a b/c.xml").status(404)]);
    let err = dns.get_zone("a b/c").await.unwrap_err();
    assert!(err.is_not_found());
    replay.assert_all_used();
    assert_eq!(replay.requests()[0].path(), "/api/1.1/zones/a%20b%2Fc.xml");
}

#[tokio::test]
async fn empty_ids_are_refused_before_sending() {
    let (replay, dns) = serve(vec![]);
    assert!(dns.get_zone("").await.is_err());
    assert!(dns.get_record("1", " ").await.is_err());
    let mut z = zone();
    z.id.clear();
    assert!(dns.delete_zone(&z).await.is_err());
    assert!(replay.requests().is_empty());
}

#[test]
fn the_default_transport_constructor_checks_the_endpoint() {
    let dns = libcloud_zerigo::ZerigoDns::new(libcloud_zerigo::ZerigoConfig::new(
        crate::EMAIL,
        crate::API_KEY,
    ))
    .unwrap();
    assert_eq!(dns.endpoint(), libcloud_zerigo::DEFAULT_ENDPOINT);
    let config = libcloud_zerigo::ZerigoConfig::new(crate::EMAIL, crate::API_KEY)
        .with_endpoint("ns.example.net/api");
    let err = libcloud_zerigo::ZerigoDns::new(config).unwrap_err();
    assert_eq!(*err.kind(), libcloud_core::ErrorKind::InvalidInput);
}
