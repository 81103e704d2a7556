//! `create_records`: many records in few `ChangeResourceRecordSets` requests, cut at Route
//! 53's limits, with the input checked before anything is sent.

use libcloud_core::{DnsDriver, ErrorKind, RecordSpec, RecordType, ResourceKind};
use libcloud_route53::BatchLimits;
use libcloud_testkit::replay::Route;
use serde_json::json;

use crate::{answer, change_info, changes_of, error_body, rrsets, serve, set, zone};

const RRSET: &str = "/2013-04-01/hostedzone/Z1/rrset";

fn a(name: &str, ip: &str) -> RecordSpec {
    RecordSpec::new(name, RecordType::A, ip)
}

#[tokio::test]
async fn thousands_of_records_go_in_requests_of_a_thousand_values() {
    let (replay, dns) = serve(vec![
        answer(Route::post(RRSET), change_info("B1")),
        answer(Route::post(RRSET), change_info("B2")),
        answer(Route::post(RRSET), change_info("B3")),
    ]);
    let specs: Vec<RecordSpec> = (0..2500)
        .map(|i| {
            a(
                &format!("host-{i}"),
                &format!("10.0.{}.{}", i / 250, i % 250),
            )
        })
        .collect();
    let records = dns
        .create_records(&zone("Z1", "example.com"), &specs)
        .await
        .unwrap();
    replay.assert_all_used();
    assert_eq!(records.len(), 2500);
    for (i, (record, spec)) in records.iter().zip(&specs).enumerate() {
        assert_eq!(record.name, spec.name);
        assert_eq!(record.data, spec.data);
        assert_eq!(record.ttl, Some(300));
        let batch = ["B1", "B2", "B3"][i / 1000];
        assert_eq!(record.extra["change_id"], json!(batch), "record {i}");
    }
    let sizes: Vec<usize> = replay
        .requests()
        .iter()
        .map(|r| changes_of(r).len())
        .collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    let first = changes_of(&replay.requests()[0]);
    assert_eq!(
        first[0],
        (
            "CREATE".to_string(),
            set("host-0.example.com.", "A", 300, &["10.0.0.0"])
        )
    );
}

#[tokio::test]
async fn records_of_one_name_and_type_become_one_set() {
    let (replay, dns) = serve(vec![answer(Route::post(RRSET), change_info("B1"))]);
    let specs = vec![
        a("www", "192.0.2.1").ttl(60),
        RecordSpec::new("www", RecordType::Aaaa, "2001:db8::1"),
        a("WWW", "192.0.2.2"),
        RecordSpec::new("", RecordType::Mx, "mx1.example.com").priority(10),
        RecordSpec::new("", RecordType::Mx, "mx2.example.com").priority(20),
    ];
    let mut z = zone("Z1", "example.com");
    z.ttl = Some(900);
    let records = dns.create_records(&z, &specs).await.unwrap();
    replay.assert_all_used();
    let got: Vec<(&str, &str, Option<u32>, Option<u16>)> = records
        .iter()
        .map(|r| (r.id.as_str(), r.data.as_str(), r.ttl, r.priority))
        .collect();
    assert_eq!(
        got,
        [
            ("A:www", "192.0.2.1", Some(60), None),
            ("AAAA:www", "2001:db8::1", Some(900), None),
            ("A:WWW", "192.0.2.2", Some(60), None),
            ("MX:", "mx1.example.com", Some(900), Some(10)),
            ("MX:", "mx2.example.com", Some(900), Some(20)),
        ]
    );
    let changes = changes_of(&replay.requests()[0]);
    let expected: Vec<(String, String)> = [
        set("www.example.com.", "A", 60, &["192.0.2.1", "192.0.2.2"]),
        set("www.example.com.", "AAAA", 900, &["2001:db8::1"]),
        set(
            "example.com.",
            "MX",
            900,
            &["10 mx1.example.com", "20 mx2.example.com"],
        ),
    ]
    .into_iter()
    .map(|s| ("CREATE".to_string(), s))
    .collect();
    assert_eq!(changes, expected);
}

#[tokio::test]
async fn bad_input_sends_nothing() {
    let (replay, dns) = serve(vec![]);
    let z = zone("Z1", "example.com");
    let duplicate = vec![
        a("x", "192.0.2.1"),
        a("y", "192.0.2.2"),
        a("X", "192.0.2.1"),
    ];
    let err = dns.create_records(&z, &duplicate).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::Record,
            id: "A:X".into()
        }
    );
    assert_eq!(err.operation(), Some("create_records"));
    let two_ttls = vec![a("x", "192.0.2.1").ttl(60), a("x", "192.0.2.2").ttl(61)];
    assert_eq!(
        *dns.create_records(&z, &two_ttls).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let invalid = vec![a("x", "192.0.2.1"), a("y", "999.0.0.1")];
    assert_eq!(
        *dns.create_records(&z, &invalid).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let mut alias = RecordSpec::new("lb", RecordType::A, "lb.example.net");
    alias
        .extra
        .insert("alias_hosted_zone_id".into(), json!("Z2"));
    let twice = vec![alias.clone(), alias];
    assert_eq!(
        *dns.create_records(&z, &twice).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let too_many = (0..3)
        .map(|i| a("same", &format!("192.0.2.{i}")))
        .collect::<Vec<_>>();
    let small = dns
        .clone()
        .with_batch_limits(BatchLimits::new(2, 100, 10).unwrap());
    assert_eq!(
        *small
            .create_records(&z, &too_many)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput,
        "one set larger than a request"
    );
    assert!(dns.create_records(&z, &[]).await.unwrap().is_empty());
    assert!(replay.requests().is_empty());
}

#[tokio::test]
async fn custom_limits_and_long_values_cut_more_requests() {
    let (replay, dns) = serve(vec![answer(Route::post(RRSET).repeat(), change_info("B"))]);
    let z = zone("Z1", "example.com");
    let dns = dns.with_batch_limits(BatchLimits::new(2, 32_000, 100).unwrap());
    let specs: Vec<RecordSpec> = (0..5).map(|i| a(&format!("h{i}"), "192.0.2.1")).collect();
    dns.create_records(&z, &specs).await.unwrap();
    let sizes: Vec<usize> = replay
        .requests()
        .iter()
        .map(|r| changes_of(r).len())
        .collect();
    assert_eq!(sizes, [2, 2, 1]);

    // 40 texts of 1,000 characters: quoted and cut, about 1,010 characters each, so at most
    // 31 fit in the 32,000 characters of one request.
    let (replay, dns) = serve(vec![answer(Route::post(RRSET).repeat(), change_info("T"))]);
    let text = "t".repeat(1000);
    let specs: Vec<RecordSpec> = (0..40)
        .map(|i| RecordSpec::new(format!("txt{i}"), RecordType::Txt, text.clone()))
        .collect();
    let records = dns.create_records(&z, &specs).await.unwrap();
    assert!(records.iter().all(|r| r.data == text));
    let requests = replay.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        let chars: usize = r
            .body_text()
            .split("<Value>")
            .skip(1)
            .map(|v| v.split("</Value>").next().unwrap().chars().count())
            .sum();
        assert!(chars <= 32_000, "{chars}");
    }
}

#[tokio::test]
async fn a_batch_that_meets_an_existing_set_falls_back_to_one_by_one() {
    let exists = error_body(
        "InvalidChangeBatch",
        "[Tried to create resource record set [name='y.example.com.', type='A'] but it already exists]",
    );
    let current_y = set("y.example.com.", "A", 300, &["192.0.2.9"]);
    let (replay, dns) = serve(vec![
        // The batch: refused as a whole.
        answer(
            Route::post(RRSET)
                .body_contains("x.example.com")
                .status(400),
            exists.clone(),
        ),
        // x alone goes through; y alone exists, so its value is added to the set.
        answer(
            Route::post(RRSET).body_contains("x.example.com"),
            change_info("CX"),
        ),
        answer(
            Route::post(RRSET)
                .body_contains("y.example.com")
                .status(400),
            exists,
        ),
        answer(
            Route::get(RRSET).query("name", "y.example.com."),
            rrsets(&current_y),
        ),
        answer(
            Route::post(RRSET).body_contains("DELETE"),
            change_info("CY"),
        ),
    ]);
    let records = dns
        .create_records(
            &zone("Z1", "example.com"),
            &[a("x", "192.0.2.1"), a("y", "192.0.2.2")],
        )
        .await
        .unwrap();
    replay.assert_all_used();
    let got: Vec<(&str, &serde_json::Value)> = records
        .iter()
        .map(|r| (r.id.as_str(), &r.extra["change_id"]))
        .collect();
    assert_eq!(got, [("A:x", &json!("CX")), ("A:y", &json!("CY"))]);
    let last = changes_of(&replay.requests()[4]);
    assert_eq!(
        last[1],
        (
            "CREATE".to_string(),
            set("y.example.com.", "A", 300, &["192.0.2.9", "192.0.2.2"])
        )
    );
}
