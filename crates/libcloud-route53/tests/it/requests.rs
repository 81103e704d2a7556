//! The requests the driver sends for record and zone writes, checked change by change against
//! answers written here.

use libcloud_core::{
    CreateZone, DnsDriver, DnsDriverExt, ErrorKind, RecordSpec, RecordType, ResourceKind, ZoneType,
};
use libcloud_route53::ChangeStatus;
use libcloud_testkit::replay::Route;
use serde_json::json;

use crate::{
    answer, assert_signed, change_info, changes_of, error_body, record, rrsets, serve, set, zone,
};

const RRSET: &str = "/2013-04-01/hostedzone/Z1/rrset";

fn post_ok() -> Route {
    answer(Route::post(RRSET), change_info("C1"))
}

#[tokio::test]
async fn create_record_sends_one_create() {
    let (replay, dns) = serve(vec![post_ok(), post_ok(), post_ok(), post_ok()]);
    let z = zone("Z1", "example.com");
    let a = dns
        .create_record(
            &z,
            &RecordSpec::new("www", RecordType::A, "192.0.2.1").ttl(60),
        )
        .await
        .unwrap();
    assert_eq!(a.id, "A:www");
    assert_eq!((a.ttl, a.zone_id.as_str()), (Some(60), "Z1"));
    assert_eq!(a.extra["change_id"], json!("C1"));
    let mx = dns
        .create_record(
            &z,
            &RecordSpec::new("", RecordType::Mx, "mail.example.com").priority(10),
        )
        .await
        .unwrap();
    assert_eq!((mx.id.as_str(), mx.priority), ("MX:", Some(10)));
    assert_eq!(mx.ttl, Some(300));
    let txt = dns
        .create_record(
            &z,
            &RecordSpec::new("t", RecordType::Txt, "v=spf1 \"quoted\" -all"),
        )
        .await
        .unwrap();
    assert_eq!(txt.data, "v=spf1 \"quoted\" -all");
    // Libcloud passes the TTL and the priority in `extra`.
    let mut srv = RecordSpec::new("_sip._tcp", RecordType::Srv, "20 5060 sip.example.com");
    srv.extra.insert("priority".into(), json!(5));
    srv.extra.insert("ttl".into(), json!(900));
    let srv = dns.create_record(&z, &srv).await.unwrap();
    assert_eq!((srv.priority, srv.ttl), (Some(5), Some(900)));
    replay.assert_all_used();

    let requests = replay.requests();
    for r in &requests {
        assert_signed(r);
        assert_eq!(r.header("content-type"), Some("application/xml"));
    }
    let expected = [
        set("www.example.com.", "A", 60, &["192.0.2.1"]),
        set("example.com.", "MX", 300, &["10 mail.example.com"]),
        set(
            "t.example.com.",
            "TXT",
            300,
            &["\"v=spf1 \\\"quoted\\\" -all\""],
        ),
        set(
            "_sip._tcp.example.com.",
            "SRV",
            900,
            &["5 20 5060 sip.example.com"],
        ),
    ];
    for (request, want) in requests.iter().zip(expected) {
        assert_eq!(changes_of(request), [("CREATE".to_string(), want)]);
    }
}

#[tokio::test]
async fn invalid_records_are_refused_before_sending() {
    let (replay, dns) = serve(vec![]);
    let z = zone("Z1", "example.com");
    let bad = [
        RecordSpec::new("a", RecordType::A, "not-an-ip"),
        RecordSpec::new("a", RecordType::Aaaa, "192.0.2.1"),
        RecordSpec::new("m", RecordType::Mx, "mail.example.com"),
        RecordSpec::new("c", RecordType::Cname, "not a host"),
        RecordSpec::new("x.other.org.", RecordType::A, "192.0.2.1"),
        RecordSpec::new("s", RecordType::Srv, "5060 sip.example.com").priority(1),
    ];
    for spec in &bad {
        let err = dns.create_record(&z, spec).await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{spec:?}");
        assert_eq!(err.provider(), Some("route53"));
        assert_eq!(err.operation(), Some("create_record"));
    }
    let err = dns
        .create_record(&z, &RecordSpec::new("g", RecordType::Geo, "x"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    // A zone id that cannot be one names no zone.
    let err = dns
        .create_record(&zone("lc-x.example.com", "x.example.com"), &bad[0])
        .await
        .unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Zone,
            ..
        }
    ));
    assert!(replay.requests().is_empty());
}

#[tokio::test]
async fn create_record_adds_a_value_to_an_existing_set() {
    let exists = error_body(
        "InvalidChangeBatch",
        "[Tried to create resource record set [name='www.example.com.', type='A'] but it already exists]",
    );
    let current = set("www.example.com.", "A", 120, &["192.0.2.1"]);
    let (replay, dns) = serve(vec![
        answer(Route::post(RRSET).status(400), exists),
        answer(
            Route::get(RRSET)
                .query("name", "www.example.com.")
                .query("type", "A")
                .query("maxitems", "1"),
            rrsets(&current),
        ),
        answer(
            Route::post(RRSET).body_contains("DELETE"),
            change_info("C2"),
        ),
    ]);
    let record = dns
        .create_record(
            &zone("Z1", "example.com"),
            &RecordSpec::new("www", RecordType::A, "192.0.2.2"),
        )
        .await
        .unwrap();
    replay.assert_all_used();
    assert_eq!((record.id.as_str(), record.ttl), ("A:www", Some(120)));
    assert_eq!(record.extra["change_id"], json!("C2"));
    let requests = replay.requests();
    assert_eq!(
        changes_of(&requests[2]),
        [
            ("DELETE".to_string(), current),
            (
                "CREATE".to_string(),
                set("www.example.com.", "A", 120, &["192.0.2.1", "192.0.2.2"])
            ),
        ]
    );
}

#[tokio::test]
async fn create_record_of_a_value_already_there_is_already_exists() {
    let exists = error_body(
        "InvalidChangeBatch",
        "Tried to create resource record set [name='www.example.com.', type='A'] but it already exists",
    );
    let (replay, dns) = serve(vec![
        answer(Route::post(RRSET).status(400), exists),
        answer(
            Route::get(RRSET),
            rrsets(&set("www.example.com.", "A", 300, &["192.0.2.1"])),
        ),
    ]);
    let err = dns
        .create_record(
            &zone("Z1", "example.com"),
            &RecordSpec::new("WWW", RecordType::A, "192.0.2.1"),
        )
        .await
        .unwrap_err();
    replay.assert_all_used();
    assert_eq!(
        *err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::Record,
            id: "A:WWW".into()
        }
    );
}

#[tokio::test]
async fn delete_record_repeats_the_set_exactly() {
    let single = set("www.example.com.", "A", 77, &["192.0.2.1"]);
    let multi = set(
        "m.example.com.",
        "A",
        60,
        &["192.0.2.1", "192.0.2.2", "192.0.2.3"],
    );
    let (replay, dns) = serve(vec![
        answer(
            Route::get("/2013-04-01/hostedzone/Z1"),
            crate::errors::zone_xml("Z1", "example.com"),
        ),
        answer(
            Route::get(RRSET).query("name", "www.example.com."),
            rrsets(&single),
        ),
        post_ok(),
        answer(
            Route::get(RRSET).query("name", "m.example.com."),
            rrsets(&multi),
        ),
        post_ok(),
    ]);
    dns.delete_record(&record("Z1", "www", RecordType::A, "192.0.2.1"))
        .await
        .unwrap();
    dns.delete_record(&record("Z1", "m", RecordType::A, "192.0.2.2"))
        .await
        .unwrap();
    replay.assert_all_used();
    let requests = replay.requests();
    assert_eq!(requests.len(), 5, "the zone's domain is read once");
    assert_eq!(changes_of(&requests[2]), [("DELETE".to_string(), single)]);
    assert_eq!(
        changes_of(&requests[4]),
        [
            ("DELETE".to_string(), multi),
            (
                "CREATE".to_string(),
                set("m.example.com.", "A", 60, &["192.0.2.1", "192.0.2.3"])
            ),
        ]
    );
}

#[tokio::test]
async fn delete_or_get_of_a_missing_record_is_not_found() {
    let (replay, dns) = serve(vec![
        answer(
            Route::get("/2013-04-01/hostedzone/Z1"),
            crate::errors::zone_xml("Z1", "example.com"),
        ),
        answer(
            Route::get(RRSET).repeat(),
            rrsets(&set("www.example.com.", "A", 60, &["192.0.2.9"])),
        ),
    ]);
    let gone = record("Z1", "www", RecordType::A, "192.0.2.1");
    let err = dns.delete_record(&gone).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Record,
            id: "A:www".into()
        }
    );
    for id in ["CNAME:www", "not-an-id", "BOGUS:www"] {
        let err = dns.get_record("Z1", id).await.unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::NotFound {
                    kind: ResourceKind::Record,
                    ..
                }
            ),
            "{id}: {err}"
        );
    }
    let err = dns.get_record("no such zone", "A:www").await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Zone,
            ..
        }
    ));
    replay.assert_no_unmatched();
    // Only the two ids that could exist were looked up.
    assert_eq!(replay.requests().len(), 3);
}

#[tokio::test]
async fn update_record_in_place_and_to_another_name() {
    let current = set("upd.example.com.", "A", 60, &["192.0.2.20", "192.0.2.25"]);
    let (replay, dns) = serve(vec![
        answer(
            Route::get("/2013-04-01/hostedzone/Z1"),
            crate::errors::zone_xml("Z1", "example.com"),
        ),
        answer(
            Route::get(RRSET).query("name", "upd.example.com."),
            rrsets(&current),
        ),
        post_ok(),
        answer(
            Route::get(RRSET).query("name", "upd.example.com."),
            rrsets(&current),
        ),
        answer(
            Route::get(RRSET).query("name", "new.example.com."),
            rrsets(""),
        ),
        post_ok(),
    ]);
    let old = record("Z1", "upd", RecordType::A, "192.0.2.20");
    let updated = dns
        .update_record(
            &old,
            &RecordSpec::new("upd", RecordType::A, "192.0.2.21").ttl(30),
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.data.as_str(), updated.ttl),
        ("192.0.2.21", Some(30))
    );
    let moved = dns
        .update_record(&old, &RecordSpec::new("new", RecordType::A, "192.0.2.22"))
        .await
        .unwrap();
    assert_eq!((moved.id.as_str(), moved.ttl), ("A:new", Some(60)));
    replay.assert_all_used();
    let requests = replay.requests();
    assert_eq!(
        changes_of(&requests[2]),
        [
            ("DELETE".to_string(), current.clone()),
            (
                "CREATE".to_string(),
                set("upd.example.com.", "A", 30, &["192.0.2.21", "192.0.2.25"])
            ),
        ]
    );
    assert_eq!(
        changes_of(&requests[5]),
        [
            ("DELETE".to_string(), current),
            (
                "CREATE".to_string(),
                set("upd.example.com.", "A", 60, &["192.0.2.25"])
            ),
            (
                "CREATE".to_string(),
                set("new.example.com.", "A", 60, &["192.0.2.22"])
            ),
        ]
    );
}

#[tokio::test]
async fn zones_and_records_are_read_page_by_page() {
    let zone_page = |ids: &[&str], next: Option<&str>| {
        let zones: String = ids
            .iter()
            .map(|id| {
                format!(
                    "<HostedZone><Id>/hostedzone/{id}</Id><Name>{}.example.com.</Name>\
                     <CallerReference>r</CallerReference><Config><PrivateZone>false</PrivateZone>\
                     </Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>",
                    id.to_lowercase()
                )
            })
            .collect();
        let tail = match next {
            Some(m) => format!("<IsTruncated>true</IsTruncated><NextMarker>{m}</NextMarker>"),
            None => "<IsTruncated>false</IsTruncated>".into(),
        };
        format!(
            "<ListHostedZonesResponse xmlns=\"{}\"><HostedZones>{zones}</HostedZones>{tail}\
             <MaxItems>100</MaxItems></ListHostedZonesResponse>",
            crate::NS
        )
    };
    let first_sets = format!(
        "<ListResourceRecordSetsResponse xmlns=\"{}\"><ResourceRecordSets>{}</ResourceRecordSets>\
         <IsTruncated>true</IsTruncated><NextRecordName>b.z1.example.com.</NextRecordName>\
         <NextRecordType>A</NextRecordType><NextRecordIdentifier>east</NextRecordIdentifier>\
         <MaxItems>300</MaxItems></ListResourceRecordSetsResponse>",
        crate::NS,
        set("a.z1.example.com.", "A", 60, &["192.0.2.1", "192.0.2.2"])
    );
    let weighted = "<ResourceRecordSet><Name>b.z1.example.com.</Name><Type>A</Type>\
        <SetIdentifier>east</SetIdentifier><Weight>10</Weight><TTL>60</TTL><ResourceRecords>\
        <ResourceRecord><Value>192.0.2.3</Value></ResourceRecord></ResourceRecords>\
        <HealthCheckId>hc-1</HealthCheckId></ResourceRecordSet>\
        <ResourceRecordSet><Name>\\052.z1.example.com.</Name><Type>A</Type><AliasTarget>\
        <HostedZoneId>Z2</HostedZoneId><DNSName>lb.example.net.</DNSName>\
        <EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet>\
        <ResourceRecordSet><Name>s.z1.example.com.</Name><Type>SVCB</Type><TTL>60</TTL>\
        <ResourceRecords><ResourceRecord><Value>1 . alpn=h2</Value></ResourceRecord>\
        </ResourceRecords></ResourceRecordSet>";
    let (replay, dns) = serve(vec![
        answer(
            Route::get("/2013-04-01/hostedzone").query("maxitems", "100"),
            zone_page(&["Z1", "Z2"], Some("Z3")),
        ),
        answer(
            Route::get("/2013-04-01/hostedzone").query("marker", "Z3"),
            zone_page(&["Z3"], None),
        ),
        answer(Route::get(RRSET).query("maxitems", "300"), first_sets),
        answer(
            Route::get(RRSET)
                .query("name", "b.z1.example.com.")
                .query("type", "A")
                .query("identifier", "east"),
            rrsets(weighted),
        ),
    ]);
    let zones = dns.list_zones().await.unwrap();
    assert_eq!(
        zones.iter().map(|z| z.id.as_str()).collect::<Vec<_>>(),
        ["Z1", "Z2", "Z3"]
    );
    let records = dns.list_records(&zones[0]).await.unwrap();
    replay.assert_all_used();
    let got: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.id.as_str(), r.data.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("A:a", "192.0.2.1"),
            ("A:a", "192.0.2.2"),
            ("A:b", "192.0.2.3"),
            ("A:*", "lb.example.net."),
        ],
        "the SVCB set has no libcloud type and is left out"
    );
    assert_eq!(records[2].extra["set_identifier"], json!("east"));
    assert_eq!(records[2].extra["weight"], json!(10));
    assert_eq!(records[2].extra["health_check_id"], json!("hc-1"));
    assert_eq!(records[3].ttl, None);
    assert_eq!(
        records[3].extra["alias_target"]["hosted_zone_id"],
        json!("Z2")
    );
    let second = &replay.requests()[3];
    assert_eq!(second.query("maxitems").as_deref(), Some("300"));
}

#[tokio::test]
async fn zones_are_created_once_and_deleted_with_their_records() {
    let found = format!(
        "<ListHostedZonesByNameResponse xmlns=\"{}\"><HostedZones><HostedZone>\
         <Id>/hostedzone/Z9</Id><Name>taken.example.com.</Name><CallerReference>r</CallerReference>\
         <Config><PrivateZone>false</PrivateZone></Config></HostedZone></HostedZones>\
         </ListHostedZonesByNameResponse>",
        crate::NS
    );
    let not_empty = error_body(
        "HostedZoneNotEmpty",
        "The hosted zone contains resource records that are not SOA or NS records.",
    );
    let listing = rrsets(&format!(
        "{}{}{}{}",
        set("z.example.com.", "NS", 172800, &["ns-1.awsdns-1.com"]),
        set(
            "z.example.com.",
            "SOA",
            900,
            &["ns-1.awsdns-1.com. hostmaster.example.com. 1 7200 900 1209600 86400"]
        ),
        set("z.example.com.", "TXT", 60, &["\"apex text\""]),
        set("www.z.example.com.", "NS", 60, &["ns.delegated.example"]),
    ));
    let (replay, dns) = serve(vec![
        answer(
            Route::get("/2013-04-01/hostedzonesbyname").query("dnsname", "taken.example.com."),
            found,
        ),
        answer(
            Route::delete("/2013-04-01/hostedzone/Z5").status(400),
            not_empty.clone(),
        ),
        answer(
            Route::delete("/2013-04-01/hostedzone/Z5").status(400),
            not_empty,
        ),
        answer(Route::get("/2013-04-01/hostedzone/Z5/rrset"), listing),
        answer(
            Route::post("/2013-04-01/hostedzone/Z5/rrset"),
            change_info("C5"),
        ),
        Route::delete("/2013-04-01/hostedzone/Z5"),
    ]);
    let err = dns
        .create_zone(&CreateZone::new("taken.example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::Zone,
            id: "taken.example.com".into()
        }
    );
    let mut slave = CreateZone::new("s.example.com");
    slave.zone_type = ZoneType::Slave;
    assert_eq!(
        *dns.create_zone(&slave).await.unwrap_err().kind(),
        ErrorKind::Unsupported
    );
    assert_eq!(
        *dns.create_zone(&CreateZone::new("bad name!"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let z = zone("Z5", "z.example.com");
    let err = dns.ex_delete_zone(&z, false).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotEmpty {
            kind: ResourceKind::Zone,
            id: "Z5".into()
        }
    );
    dns.delete_zone(&z).await.unwrap();
    replay.assert_all_used();
    let requests = replay.requests();
    let deletes = changes_of(&requests[4]);
    let actions: Vec<(&str, bool)> = deletes
        .iter()
        .map(|(a, s)| {
            (
                a.as_str(),
                s.contains("<Type>TXT</Type>") || s.contains("www.z"),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [("DELETE", true), ("DELETE", true)],
        "apex NS and SOA stay"
    );
}

#[tokio::test]
async fn a_retried_zone_creation_finds_its_own_zone() {
    use futures::FutureExt;
    use libcloud_core::Body;
    use libcloud_core::transport::{self, Request};
    use std::sync::{Arc, Mutex};

    // The first POST "got through" but its answer was lost: the server now refuses the
    // caller reference, and the zone carrying it is listed.
    let reference = Arc::new(Mutex::new(String::new()));
    let seen = reference.clone();
    let transport = transport::from_fn(move |req: Request| {
        let seen = seen.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = String::from_utf8(body.collect(1 << 20).await?.to_vec()).unwrap();
            let listed = seen.lock().unwrap().clone();
            let (status, text) = if parts.method == http::Method::POST {
                let r = body
                    .split("<CallerReference>")
                    .nth(1)
                    .and_then(|r| r.split('<').next())
                    .unwrap()
                    .to_string();
                *seen.lock().unwrap() = r;
                (409, error_body("HostedZoneAlreadyExists", "A hosted zone has already been created with the specified caller reference."))
            } else if listed.is_empty() {
                (200, format!("<ListHostedZonesByNameResponse xmlns=\"{}\"><HostedZones/></ListHostedZonesByNameResponse>", crate::NS))
            } else {
                (200, format!(
                    "<ListHostedZonesByNameResponse xmlns=\"{}\"><HostedZones><HostedZone>\
                     <Id>/hostedzone/ZMINE</Id><Name>mine.example.com.</Name>\
                     <CallerReference>{listed}</CallerReference></HostedZone></HostedZones>\
                     </ListHostedZonesByNameResponse>",
                    crate::NS
                ))
            };
            Ok(http::Response::builder()
                .status(status)
                .body(Body::from(text))
                .unwrap())
        }
        .boxed()
    });
    let config = libcloud_route53::Route53Config::new().with_keys("AKIDTEST", "secret");
    let dns = libcloud_route53::Route53Dns::with_transport(config, transport).unwrap();
    let zone = dns
        .create_zone(&CreateZone::new("mine.example.com"))
        .await
        .unwrap();
    assert_eq!(zone.id, "ZMINE");
    assert!(
        zone.extra["caller_reference"]
            .as_str()
            .unwrap()
            .starts_with("libcloud-")
    );
}

#[tokio::test]
async fn change_status() {
    let info = |status: &str| {
        format!(
            "<GetChangeResponse xmlns=\"{}\"><ChangeInfo><Id>/change/C1</Id><Status>{status}</Status>\
             </ChangeInfo></GetChangeResponse>",
            crate::NS
        )
    };
    let (replay, dns) = serve(vec![
        answer(Route::get("/2013-04-01/change/C1"), info("PENDING")),
        answer(Route::get("/2013-04-01/change/C1"), info("INSYNC")),
        answer(Route::get("/2013-04-01/change/C1"), info("LOST")),
    ]);
    assert_eq!(
        dns.ex_get_change_status("C1").await.unwrap(),
        ChangeStatus::Pending
    );
    assert_eq!(
        dns.ex_get_change_status("/change/C1").await.unwrap(),
        ChangeStatus::InSync
    );
    assert_eq!(
        *dns.ex_get_change_status("C1").await.unwrap_err().kind(),
        ErrorKind::MalformedResponse
    );
    assert!(
        dns.ex_get_change_status("../x")
            .await
            .unwrap_err()
            .is_not_found()
    );
    replay.assert_all_used();
}
