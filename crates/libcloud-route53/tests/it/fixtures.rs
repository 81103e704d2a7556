//! Apache Libcloud's recorded Route 53 answers (API 2012-02-29 documents, read by local name)
//! replayed through the driver: every file of the set is used here.

use libcloud_core::{DnsDriver, DnsDriverExt, ErrorKind, RecordSpec, RecordType, ResourceKind};
use libcloud_testkit::replay::Route;
use libcloud_testkit::require_fixtures;
use serde_json::json;

use crate::{FIXTURES, PROVIDER, assert_signed, recorded, serve, zone};

#[test]
fn every_recording_is_listed() {
    let dir = require_fixtures!(PROVIDER);
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, FIXTURES);
}

#[tokio::test]
async fn list_zones() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![recorded(
        Route::get("/2013-04-01/hostedzone").query("maxitems", "100"),
        "list_zones.xml",
    )]);
    let zones = dns.list_zones().await.unwrap();
    replay.assert_all_used();
    let got: Vec<(&str, &str)> = zones
        .iter()
        .map(|z| (z.id.as_str(), z.domain.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("47234", "t.com"),
            ("48170", "newbug.net"),
            ("48017", "newblah.com"),
            ("47288", "fromapi.com"),
            ("48008", "blahnew.com"),
        ]
    );
    assert_eq!(zones[0].extra["comment"], json!("some comment"));
    assert_eq!(
        zones[0].extra["caller_reference"],
        json!("unique description")
    );
    assert_eq!(zones[0].extra["resource_record_set_count"], json!(0));
    let request = &replay.requests()[0];
    assert_signed(request);
    assert_eq!(
        request.query_pairs(),
        [("maxitems".to_string(), "100".to_string())]
    );
}

#[tokio::test]
async fn get_zone() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![recorded(
        Route::get("/2013-04-01/hostedzone/47234"),
        "get_zone.xml",
    )]);
    let zone = dns.get_zone("47234").await.unwrap();
    replay.assert_all_used();
    assert_eq!((zone.id.as_str(), zone.domain.as_str()), ("47234", "t.com"));
    assert_eq!(
        zone.extra["name_servers"],
        json!([
            "ns1.example.com",
            "ns2.example.com",
            "ns3.example.com",
            "ns4.example.com"
        ])
    );
    // The prefixed id Route 53 itself uses names the same zone.
    let (replay, dns) = serve(vec![recorded(
        Route::get("/2013-04-01/hostedzone/47234"),
        "get_zone.xml",
    )]);
    assert_eq!(dns.get_zone("/hostedzone/47234").await.unwrap().id, "47234");
    replay.assert_all_used();
}

#[tokio::test]
async fn create_zone() {
    require_fixtures!(PROVIDER);
    let none = format!(
        "<ListHostedZonesByNameResponse xmlns=\"{}\"><HostedZones/><DNSName>t.com.</DNSName>\
         <IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesByNameResponse>",
        crate::NS
    );
    let (replay, dns) = serve(vec![
        crate::answer(
            Route::get("/2013-04-01/hostedzonesbyname").query("dnsname", "t.com."),
            none,
        ),
        recorded(
            Route::post("/2013-04-01/hostedzone")
                .body_contains("<Name>t.com.</Name>")
                .status(201),
            "create_zone.xml",
        ),
    ]);
    let mut request = libcloud_core::CreateZone::new("t.com");
    request
        .extra
        .insert("comment".into(), json!("made & tested"));
    let zone = dns.create_zone(&request).await.unwrap();
    replay.assert_all_used();
    assert_eq!((zone.id.as_str(), zone.domain.as_str()), ("47234", "t.com"));
    assert_eq!(zone.extra["name_servers"].as_array().unwrap().len(), 4);
    let post = &replay.requests()[1];
    assert_signed(post);
    assert_eq!(post.header("content-type"), Some("application/xml"));
    let body = post.body_text();
    assert!(
        body.starts_with(&format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CreateHostedZoneRequest xmlns=\"{}\">\
             <Name>t.com.</Name><CallerReference>libcloud-",
            crate::NS
        )),
        "{body}"
    );
    assert!(
        body.ends_with(
            "</CallerReference><HostedZoneConfig><Comment>made &amp; tested</Comment>\
             </HostedZoneConfig></CreateHostedZoneRequest>"
        ),
        "{body}"
    );
}

#[tokio::test]
async fn list_records() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![recorded(
        Route::get("/2013-04-01/hostedzone/47234/rrset").query("maxitems", "300"),
        "list_records.xml",
    )]);
    let records = dns.list_records(&zone("47234", "t.com")).await.unwrap();
    replay.assert_all_used();
    type Row<'a> = (
        &'a str,
        &'a str,
        RecordType,
        &'a str,
        Option<u16>,
        Option<u32>,
    );
    let got: Vec<Row<'_>> = records
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.name.as_str(),
                r.record_type,
                r.data.as_str(),
                r.priority,
                r.ttl,
            )
        })
        .collect();
    let mx = |p, host| {
        (
            "MX:testdomain.com",
            "testdomain.com",
            RecordType::Mx,
            host,
            Some(p),
            Some(3600),
        )
    };
    let srv = |p, data| {
        (
            "SRV:foo.test.com",
            "foo.test.com",
            RecordType::Srv,
            data,
            Some(p),
            Some(300),
        )
    };
    assert_eq!(
        got,
        [
            (
                "CNAME:wibble",
                "wibble",
                RecordType::Cname,
                "t.com",
                None,
                Some(86400)
            ),
            (
                "A:www",
                "www",
                RecordType::A,
                "208.111.35.173",
                None,
                Some(86400)
            ),
            (
                "A:blahblah",
                "blahblah",
                RecordType::A,
                "208.111.35.173",
                None,
                Some(86400)
            ),
            mx(1, "ASPMX.L.GOOGLE.COM."),
            mx(5, "ALT1.ASPMX.L.GOOGLE.COM."),
            mx(5, "ALT2.ASPMX.L.GOOGLE.COM."),
            mx(10, "ASPMX2.GOOGLEMAIL.COM."),
            mx(10, "ASPMX3.GOOGLEMAIL.COM."),
            srv(1, "10 5269 xmpp-server.example.com."),
            srv(2, "12 5060 sip-server.example.com."),
        ]
    );
    assert!(records.iter().all(|r| r.zone_id == "47234"));
    assert_eq!(records[3].extra["values_in_set"], json!(5));
    assert_eq!(records[0].extra["fqdn"], json!("wibble.t.com"));
}

#[tokio::test]
async fn bind_export_of_the_recorded_zone() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![recorded(
        Route::get("/2013-04-01/hostedzone/47234/rrset"),
        "list_records.xml",
    )]);
    let text = dns
        .export_zone_to_bind_format(&zone("47234", "t.com"))
        .await
        .unwrap();
    replay.assert_all_used();
    let lines: Vec<&str> = text.lines().skip(4).collect();
    assert_eq!(
        lines,
        [
            "wibble.t.com.\t86400\tIN\tCNAME\tt.com.",
            "www.t.com.\t86400\tIN\tA\t208.111.35.173",
            "blahblah.t.com.\t86400\tIN\tA\t208.111.35.173",
            "testdomain.com.t.com.\t3600\tIN\tMX\t1 ASPMX.L.GOOGLE.COM.",
            "testdomain.com.t.com.\t3600\tIN\tMX\t5 ALT1.ASPMX.L.GOOGLE.COM.",
            "testdomain.com.t.com.\t3600\tIN\tMX\t5 ALT2.ASPMX.L.GOOGLE.COM.",
            "testdomain.com.t.com.\t3600\tIN\tMX\t10 ASPMX2.GOOGLEMAIL.COM.",
            "testdomain.com.t.com.\t3600\tIN\tMX\t10 ASPMX3.GOOGLEMAIL.COM.",
            "foo.test.com.t.com.\t300\tIN\tSRV\t1 10 5269 xmpp-server.example.com.",
            "foo.test.com.t.com.\t300\tIN\tSRV\t2 12 5060 sip-server.example.com.",
        ]
    );
    assert!(text.contains("$ORIGIN t.com.\n"));
}

#[tokio::test]
async fn get_record_reads_the_zone_then_the_set() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![
        recorded(Route::get("/2013-04-01/hostedzone/47234"), "get_zone.xml"),
        recorded(
            Route::get("/2013-04-01/hostedzone/47234/rrset")
                .query("name", "wibble.t.com.")
                .query("type", "CNAME")
                .query("maxitems", "1"),
            "list_records.xml",
        ),
    ]);
    let record = dns.get_record("47234", "CNAME:wibble").await.unwrap();
    replay.assert_all_used();
    assert_eq!(
        (record.id.as_str(), record.data.as_str(), record.ttl),
        ("CNAME:wibble", "t.com", Some(86400))
    );
}

#[tokio::test]
async fn record_does_not_exist() {
    require_fixtures!(PROVIDER);
    // The listing starts at the name asked for, but holds another set: nothing of that id.
    let (replay, dns) = serve(vec![
        recorded(Route::get("/2013-04-01/hostedzone/47234"), "get_zone.xml"),
        recorded(
            Route::get("/2013-04-01/hostedzone/47234/rrset").query("name", "www.t.com."),
            "record_does_not_exist.xml",
        ),
    ]);
    let err = dns.get_record("47234", "CNAME:www").await.unwrap_err();
    replay.assert_all_used();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Record,
            id: "CNAME:www".into()
        }
    );
    assert_eq!(err.operation(), Some("get_record"));
}

#[tokio::test]
async fn zone_does_not_exist() {
    require_fixtures!(PROVIDER);
    let missing = |route: Route| recorded(route.status(404), "zone_does_not_exist.xml");
    let (replay, dns) = serve(vec![
        missing(Route::get("/2013-04-01/hostedzone/47234")),
        missing(Route::get("/2013-04-01/hostedzone/47234/rrset")),
        missing(Route::delete("/2013-04-01/hostedzone/47234")),
        missing(Route::post("/2013-04-01/hostedzone/47234/rrset")),
    ]);
    let z = zone("47234", "t.com");
    let not_found = ErrorKind::NotFound {
        kind: ResourceKind::Zone,
        id: "47234".into(),
    };
    let err = dns.get_zone("47234").await.unwrap_err();
    assert_eq!(*err.kind(), not_found);
    assert_eq!(
        err.request_id(),
        Some("376c64a6-6194-11e1-847f-ddaa49e4c811")
    );
    assert!(
        err.to_string()
            .contains("No hosted zone found with ID: 47234"),
        "{err}"
    );
    assert_eq!(*dns.list_records(&z).await.unwrap_err().kind(), not_found);
    assert_eq!(*dns.delete_zone(&z).await.unwrap_err().kind(), not_found);
    let spec = RecordSpec::new("www", RecordType::A, "192.0.2.1");
    assert_eq!(
        *dns.create_record(&z, &spec).await.unwrap_err().kind(),
        not_found
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn invalid_change_batch() {
    require_fixtures!(PROVIDER);
    let (replay, dns) = serve(vec![recorded(
        Route::post("/2013-04-01/hostedzone/47234/rrset").status(400),
        "invalid_change_batch.xml",
    )]);
    let spec = RecordSpec::new("www", RecordType::A, "192.0.2.1");
    let err = dns
        .create_record(&zone("47234", "t.com"), &spec)
        .await
        .unwrap_err();
    replay.assert_all_used();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("Invalid change"), "{err}");
}
