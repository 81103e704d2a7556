//! The driver against moto (`LIBCLOUD_TEST_MOTO_ENDPOINT`, set by `cargo xtask emulators up`):
//! the DNS conformance suite, then what only Route 53 has. Every test works in zones of its
//! own, named uniquely, and deletes them; moto's state is never reset, so other tests may share
//! the server.

use libcloud_core::{
    CreateZone, DnsDriver, DnsDriverExt, ErrorKind, RecordSpec, RecordType, ResourceKind, Zone,
};
use libcloud_route53::{Route53Config, Route53Dns};
use libcloud_testkit::conformance::dns;
use libcloud_testkit::{require_live, unique_name};

const MOTO: &str = "LIBCLOUD_TEST_MOTO_ENDPOINT";

fn driver(endpoint: &str) -> Route53Dns {
    let config = Route53Config::new()
        .with_keys("testing", "testing")
        .with_endpoint(endpoint);
    Route53Dns::new(config).unwrap()
}

async fn new_zone(dns: &Route53Dns, prefix: &str) -> Zone {
    let domain = format!("{}.example.com", unique_name(prefix));
    dns.create_zone(&CreateZone::new(domain)).await.unwrap()
}

#[tokio::test]
async fn conformance() {
    let endpoint = require_live!(MOTO);
    dns::run(&driver(&endpoint)).await;
}

#[tokio::test]
async fn multi_value_sets() {
    let endpoint = require_live!(MOTO);
    let d = driver(&endpoint);
    let zone = new_zone(&d, "lc-r53-multi").await;
    let specs = [
        RecordSpec::new("www", RecordType::A, "192.0.2.1").ttl(120),
        RecordSpec::new("www", RecordType::A, "192.0.2.2"),
        RecordSpec::new("www", RecordType::A, "192.0.2.3"),
    ];
    let created = d.create_records(&zone, &specs).await.unwrap();
    assert!(
        created
            .iter()
            .all(|r| r.id == "A:www" && r.ttl == Some(120))
    );

    let www = |records: &[libcloud_core::Record]| {
        let mut data: Vec<String> = records
            .iter()
            .filter(|r| r.id == "A:www")
            .map(|r| r.data.clone())
            .collect();
        data.sort();
        data
    };
    let listed = d.list_records(&zone).await.unwrap();
    assert_eq!(www(&listed), ["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
    // The apex NS and SOA that Route 53 makes are listed too.
    assert!(listed.iter().any(|r| r.id == "NS:"));
    assert!(listed.iter().any(|r| r.id == "SOA:"));

    // Deleting one value keeps the others (the DELETE repeats TTL and all values).
    d.delete_record(&created[1]).await.unwrap();
    assert_eq!(
        www(&d.list_records(&zone).await.unwrap()),
        ["192.0.2.1", "192.0.2.3"]
    );
    let got = d.get_record(&zone.id, "A:www").await.unwrap();
    assert_eq!(got.ttl, Some(120));

    // Updating one value rewrites the set in place.
    let updated = d
        .update_record(
            &created[2],
            &RecordSpec::new("www", RecordType::A, "192.0.2.30"),
        )
        .await
        .unwrap();
    assert_eq!(updated.ttl, Some(120));
    assert_eq!(
        www(&d.list_records(&zone).await.unwrap()),
        ["192.0.2.1", "192.0.2.30"]
    );

    // A record moved to another name leaves the rest of its set behind.
    let moved = d
        .update_record(
            &created[0],
            &RecordSpec::new("api", RecordType::A, "192.0.2.1"),
        )
        .await
        .unwrap();
    assert_eq!(moved.id, "A:api");
    let listed = d.list_records(&zone).await.unwrap();
    assert_eq!(www(&listed), ["192.0.2.30"]);
    assert!(
        listed
            .iter()
            .any(|r| r.id == "A:api" && r.data == "192.0.2.1")
    );

    // A zone with records is not empty until asked to delete them too.
    let err = d.ex_delete_zone(&zone, false).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotEmpty {
            kind: ResourceKind::Zone,
            id: zone.id.clone()
        }
    );
    d.delete_zone(&zone).await.unwrap();
    assert!(d.get_zone(&zone.id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_thousand_records_in_one_request() {
    let endpoint = require_live!(MOTO);
    let d = driver(&endpoint);
    let zone = new_zone(&d, "lc-r53-bulk").await;
    let specs: Vec<RecordSpec> = (0..1000)
        .map(|i| {
            RecordSpec::new(
                format!("host-{i}"),
                RecordType::A,
                format!("10.1.{}.{}", i / 200, i % 200),
            )
        })
        .collect();
    let created = d.create_records(&zone, &specs).await.unwrap();
    assert_eq!(created.len(), 1000);
    let change = created[0].extra["change_id"].clone();
    assert!(
        created.iter().all(|r| r.extra["change_id"] == change),
        "one request made them all"
    );
    let listed = d.list_records(&zone).await.unwrap();
    let hosts = listed
        .iter()
        .filter(|r| r.name.starts_with("host-"))
        .count();
    assert_eq!(hosts, 1000);
    let text = d.export_zone_to_bind_format(&zone).await.unwrap();
    assert!(text.contains(&format!(
        "host-999.{}.\t300\tIN\tA\t10.1.4.199",
        zone.domain
    )));
    // Deleting the zone deletes its thousand records first.
    d.delete_zone(&zone).await.unwrap();
    assert!(d.get_zone(&zone.id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn provider_operations() {
    let endpoint = require_live!(MOTO);
    let d = driver(&endpoint);
    let zone = new_zone(&d, "lc-r53-ops").await;
    assert_eq!(
        zone.extra["name_servers"].as_array().map(Vec::len),
        Some(4),
        "{zone:?}"
    );
    let found = d.ex_find_zones(&zone.domain).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, zone.id);
    let got = d.get_zone(&zone.id).await.unwrap();
    assert_eq!(got.domain, zone.domain);

    let txt = d
        .create_record(
            &zone,
            &RecordSpec::new("t", RecordType::Txt, "a \"quoted\" text"),
        )
        .await
        .unwrap();
    let change = txt.extra["change_id"].as_str().unwrap().to_string();
    d.ex_get_change_status(&change).await.unwrap();
    let read = d.get_record(&zone.id, "TXT:t").await.unwrap();
    assert_eq!(read.data, "a \"quoted\" text");
    let long = "x".repeat(700);
    d.create_record(
        &zone,
        &RecordSpec::new("long", RecordType::Txt, long.clone()),
    )
    .await
    .unwrap();
    assert_eq!(d.get_record(&zone.id, "TXT:long").await.unwrap().data, long);

    assert_eq!(d.ex_delete_all_records(&zone).await.unwrap(), 2);
    d.ex_delete_zone(&zone, false).await.unwrap();
    assert!(d.ex_find_zones(&zone.domain).await.unwrap().is_empty());
}
