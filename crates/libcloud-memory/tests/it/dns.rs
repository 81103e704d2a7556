//! Zones and records.

use libcloud_core::{
    CreateZone, DnsDriver, DnsDriverExt, ErrorKind, Record, RecordSpec, RecordType, ResourceKind,
    Zone, ZoneType,
};
use libcloud_memory::MemoryDns;

use crate::{assert_exists, assert_kind, assert_not_found};

async fn zone(dns: &MemoryDns, domain: &str) -> Zone {
    dns.create_zone(&CreateZone::new(domain)).await.unwrap()
}

fn spec(name: &str, t: RecordType, data: &str) -> RecordSpec {
    RecordSpec::new(name, t, data)
}

/// Data that is valid for each record type.
fn sample(t: RecordType) -> RecordSpec {
    let data = match t {
        RecordType::A => "192.0.2.1",
        RecordType::Aaaa => "2001:db8::1",
        RecordType::Cname | RecordType::Dname | RecordType::Ns | RecordType::Ptr => {
            "target.example.net."
        }
        RecordType::Mx => "mail.example.net",
        RecordType::Srv => "5 5060 sip.example.net",
        RecordType::Txt | RecordType::Spf => "v=spf1 -all",
        RecordType::Caa => "0 issue \"ca.example.net\"",
        RecordType::Sshfp => "4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789",
        _ => "opaque data",
    };
    let mut s = spec(&format!("r-{}", t.as_str().to_ascii_lowercase()), t, data);
    if matches!(t, RecordType::Mx | RecordType::Srv) {
        s = s.priority(10);
    }
    s
}

#[tokio::test]
async fn name_and_capabilities() {
    let dns = MemoryDns::default();
    assert_eq!(dns.name(), "memory");
    let caps = dns.capabilities();
    assert_eq!(caps.record_types, RecordType::ALL);
    assert!(caps.update_zone && caps.slave_zones && caps.record_ttl && caps.batch_create);
    assert_eq!(dns.list_record_types(), RecordType::ALL);
}

#[tokio::test]
async fn zones_are_created_listed_and_fetched() {
    let dns = MemoryDns::new();
    let a = dns
        .create_zone(&CreateZone::new("Example.COM.").ttl(900))
        .await
        .unwrap();
    assert_eq!(a.domain, "example.com");
    assert_eq!(a.ttl, Some(900));
    assert_eq!(a.zone_type, ZoneType::Master);
    let b = zone(&dns, "example.org").await;
    assert_eq!(a.id, "1");
    assert_eq!(b.id, "2");
    assert_eq!(dns.list_zones().await.unwrap(), vec![a.clone(), b.clone()]);
    assert_eq!(dns.get_zone(&a.id).await.unwrap(), a);
    for id in ["3", "0", "01", "zone", ""] {
        assert_not_found(dns.get_zone(id).await, ResourceKind::Zone);
    }
}

#[tokio::test]
async fn zone_domains_are_checked_and_unique() {
    let dns = MemoryDns::new();
    zone(&dns, "example.com").await;
    for same in ["example.com", "EXAMPLE.com", "example.com."] {
        assert_exists(
            dns.create_zone(&CreateZone::new(same)).await,
            ResourceKind::Zone,
        );
    }
    for bad in [
        "",
        ".",
        "exa mple.com",
        "-bad.com",
        "a..b",
        &format!("{}.com", "x".repeat(64)),
    ] {
        assert_kind(
            dns.create_zone(&CreateZone::new(bad)).await,
            ErrorKind::InvalidInput,
        );
    }
    assert_kind(
        dns.create_zone(&CreateZone::new("ttl.com").ttl(u32::MAX))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_eq!(dns.list_zones().await.unwrap().len(), 1);
}

#[tokio::test]
async fn zones_can_be_updated_but_not_renamed() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    let mut changes = CreateZone::new("");
    changes.ttl = Some(300);
    changes.zone_type = ZoneType::Slave;
    changes.extra.insert("note".into(), "moved".into());
    let updated = dns.update_zone(&z, &changes).await.unwrap();
    assert_eq!(updated.ttl, Some(300));
    assert_eq!(updated.zone_type, ZoneType::Slave);
    assert_eq!(updated.extra["note"], "moved");
    assert_eq!(dns.get_zone(&z.id).await.unwrap(), updated);

    // No TTL in the changes keeps the zone's.
    let mut back = CreateZone::new("example.com.");
    back.zone_type = ZoneType::Master;
    let updated = dns.update_zone(&z, &back).await.unwrap();
    assert_eq!(updated.ttl, Some(300));
    assert_eq!(updated.zone_type, ZoneType::Master);

    assert_kind(
        dns.update_zone(&z, &CreateZone::new("example.net")).await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        dns.update_zone(&z, &CreateZone::new("").ttl(u32::MAX))
            .await,
        ErrorKind::InvalidInput,
    );
    let mut gone = z.clone();
    gone.id = "99".into();
    assert_not_found(dns.update_zone(&gone, &back).await, ResourceKind::Zone);
}

#[tokio::test]
async fn deleting_a_zone_removes_its_records() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    let r = dns
        .create_record(&z, &spec("www", RecordType::A, "192.0.2.1"))
        .await
        .unwrap();
    dns.delete_zone(&z).await.unwrap();
    assert_not_found(dns.get_zone(&z.id).await, ResourceKind::Zone);
    assert_not_found(dns.get_record(&z.id, &r.id).await, ResourceKind::Zone);
    assert_not_found(dns.list_records(&z).await, ResourceKind::Zone);
    assert_not_found(dns.delete_zone(&z).await, ResourceKind::Zone);
    assert_not_found(
        dns.create_record(&z, &spec("www", RecordType::A, "192.0.2.1"))
            .await,
        ResourceKind::Zone,
    );
    // The domain can be created again, empty.
    let again = zone(&dns, "example.com").await;
    assert_ne!(again.id, z.id);
    assert!(dns.list_records(&again).await.unwrap().is_empty());
}

#[tokio::test]
async fn records_are_created_with_numeric_ids_and_relative_names() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    let www = dns
        .create_record(&z, &spec("www", RecordType::A, " 192.0.2.10 ").ttl(60))
        .await
        .unwrap();
    assert_eq!(www.id, "1");
    assert_eq!(www.name, "www");
    assert_eq!(www.data, "192.0.2.10");
    assert_eq!(www.zone_id, z.id);
    assert_eq!(www.ttl, Some(60));
    assert!(www.priority.is_none());
    let apex = dns
        .create_record(&z, &spec("@", RecordType::A, "192.0.2.11"))
        .await
        .unwrap();
    assert_eq!(apex.id, "2");
    assert_eq!(apex.name, "");
    let absolute = dns
        .create_record(&z, &spec("api.example.com.", RecordType::A, "192.0.2.12"))
        .await
        .unwrap();
    assert_eq!(absolute.name, "api");
    let wildcard = dns
        .create_record(&z, &spec("*.dev", RecordType::A, "192.0.2.13"))
        .await
        .unwrap();
    assert_eq!(wildcard.name, "*.dev");
    assert_kind(
        dns.create_record(&z, &spec("www.example.org.", RecordType::A, "192.0.2.1"))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        dns.create_record(&z, &spec("bad name", RecordType::A, "192.0.2.1"))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_eq!(dns.get_record(&z.id, "2").await.unwrap(), apex);
    assert_not_found(dns.get_record(&z.id, "9").await, ResourceKind::Record);
    assert_not_found(dns.get_record(&z.id, "www").await, ResourceKind::Record);
    assert_not_found(dns.get_record("77", "1").await, ResourceKind::Zone);

    // Ids are counted per zone and never reused.
    dns.delete_record(&wildcard).await.unwrap();
    let next = dns
        .create_record(&z, &spec("new", RecordType::A, "192.0.2.14"))
        .await
        .unwrap();
    assert_eq!(next.id, "5");
    let other = zone(&dns, "example.org").await;
    let first = dns
        .create_record(&other, &spec("www", RecordType::A, "192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(first.id, "1");
    let ids: Vec<String> = dns
        .list_records(&z)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["1", "2", "3", "5"]);
}

#[tokio::test]
async fn record_data_must_suit_the_type() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    let bad = [
        spec("a", RecordType::A, "not-an-ip"),
        spec("a", RecordType::A, "2001:db8::1"),
        spec("a", RecordType::A, "192.0.2.256"),
        spec("a", RecordType::A, ""),
        spec("aaaa", RecordType::Aaaa, "192.0.2.1"),
        spec("c", RecordType::Cname, "not a host"),
        spec("n", RecordType::Ns, "ns!.example.com"),
        spec("t", RecordType::Txt, &"x".repeat(4097)),
        spec("s", RecordType::Srv, "sip.example.com").priority(1),
        spec("s", RecordType::Srv, "1 70000 sip.example.com").priority(1),
        spec("any", RecordType::Loc, "   "),
    ];
    for s in &bad {
        assert_kind(dns.create_record(&z, s).await, ErrorKind::InvalidInput);
    }
    assert!(dns.list_records(&z).await.unwrap().is_empty());
}

#[tokio::test]
async fn every_record_type_is_accepted() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    for t in RecordType::ALL {
        let r = dns.create_record(&z, &sample(*t)).await.unwrap();
        assert_eq!(r.record_type, *t);
    }
    assert_eq!(
        dns.list_records(&z).await.unwrap().len(),
        RecordType::ALL.len()
    );
}

#[tokio::test]
async fn mx_and_srv_need_a_priority_and_only_they_take_one() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    assert_kind(
        dns.create_record(&z, &spec("", RecordType::Mx, "mail.example.com"))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        dns.create_record(
            &z,
            &spec("_sip._udp", RecordType::Srv, "1 5060 sip.example.com"),
        )
        .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        dns.create_record(&z, &spec("www", RecordType::A, "192.0.2.1").priority(5))
            .await,
        ErrorKind::InvalidInput,
    );
    let mx = dns
        .create_record(
            &z,
            &spec("", RecordType::Mx, "mail.example.com").priority(10),
        )
        .await
        .unwrap();
    assert_eq!(mx.priority, Some(10));
    let srv = dns
        .create_record(
            &z,
            &spec("_sip._udp", RecordType::Srv, "1 5060 sip.example.com").priority(0),
        )
        .await
        .unwrap();
    assert_eq!(srv.priority, Some(0));
}

#[tokio::test]
async fn duplicate_records_already_exist() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    dns.create_record(&z, &spec("www", RecordType::A, "192.0.2.1"))
        .await
        .unwrap();
    assert_exists(
        dns.create_record(&z, &spec("www", RecordType::A, "192.0.2.1"))
            .await,
        ResourceKind::Record,
    );
    assert_exists(
        dns.create_record(&z, &spec("WWW", RecordType::A, "192.0.2.1").ttl(5))
            .await,
        ResourceKind::Record,
    );
    dns.create_record(&z, &spec("v6", RecordType::Aaaa, "2001:db8::1"))
        .await
        .unwrap();
    assert_exists(
        dns.create_record(&z, &spec("v6", RecordType::Aaaa, "2001:DB8:0:0::1"))
            .await,
        ResourceKind::Record,
    );
    dns.create_record(
        &z,
        &spec("", RecordType::Mx, "mail.example.com").priority(10),
    )
    .await
    .unwrap();
    assert_exists(
        dns.create_record(
            &z,
            &spec("@", RecordType::Mx, "Mail.Example.com.").priority(20),
        )
        .await,
        ResourceKind::Record,
    );
    // Same name and type with other data is a second value, as a round-robin A set.
    dns.create_record(&z, &spec("www", RecordType::A, "192.0.2.2"))
        .await
        .unwrap();
    // Same name and data with another type is another record.
    dns.create_record(&z, &spec("www", RecordType::Txt, "192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(dns.list_records(&z).await.unwrap().len(), 5);
}

#[tokio::test]
async fn a_cname_stands_alone() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    dns.create_record(&z, &spec("www", RecordType::A, "192.0.2.1"))
        .await
        .unwrap();
    assert_kind(
        dns.create_record(&z, &spec("www", RecordType::Cname, "web.example.net"))
            .await,
        ErrorKind::InvalidInput,
    );
    let alias = dns
        .create_record(&z, &spec("alias", RecordType::Cname, "www.example.com"))
        .await
        .unwrap();
    assert_kind(
        dns.create_record(&z, &spec("alias", RecordType::Txt, "hello"))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        dns.create_record(&z, &spec("ALIAS", RecordType::Cname, "other.example.com"))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_exists(
        dns.create_record(&z, &spec("alias", RecordType::Cname, "www.example.com."))
            .await,
        ResourceKind::Record,
    );
    assert_kind(
        dns.create_record(&z, &spec("", RecordType::Cname, "www.example.com"))
            .await,
        ErrorKind::InvalidInput,
    );
    // Once the CNAME is gone, the name is free.
    dns.delete_record(&alias).await.unwrap();
    dns.create_record(&z, &spec("alias", RecordType::Txt, "hello"))
        .await
        .unwrap();
}

#[tokio::test]
async fn record_ttls_are_checked() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    assert_kind(
        dns.create_record(&z, &spec("a", RecordType::A, "192.0.2.1").ttl(u32::MAX))
            .await,
        ErrorKind::InvalidInput,
    );
    let r = dns
        .create_record(&z, &spec("a", RecordType::A, "192.0.2.1").ttl(0))
        .await
        .unwrap();
    assert_eq!(r.ttl, Some(0));
}

#[tokio::test]
async fn updates_are_checked_again() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    let www = dns
        .create_record(&z, &spec("www", RecordType::A, "192.0.2.1"))
        .await
        .unwrap();
    let api = dns
        .create_record(&z, &spec("api", RecordType::A, "192.0.2.2"))
        .await
        .unwrap();

    let moved = dns
        .update_record(&www, &spec("www", RecordType::A, "192.0.2.9").ttl(120))
        .await
        .unwrap();
    assert_eq!(moved.id, www.id);
    assert_eq!(moved.data, "192.0.2.9");
    assert_eq!(moved.ttl, Some(120));
    assert_eq!(dns.get_record(&z.id, &www.id).await.unwrap(), moved);

    // Setting a record to what it already holds is no conflict with itself.
    dns.update_record(&moved, &spec("www", RecordType::A, "192.0.2.9"))
        .await
        .unwrap();

    assert_kind(
        dns.update_record(&www, &spec("www", RecordType::A, "no"))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        dns.update_record(&www, &spec("www", RecordType::Mx, "mail.example.com"))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_exists(
        dns.update_record(&www, &spec("api", RecordType::A, "192.0.2.2"))
            .await,
        ResourceKind::Record,
    );
    assert_kind(
        dns.update_record(&www, &spec("api", RecordType::Cname, "x.example.com"))
            .await,
        ErrorKind::InvalidInput,
    );
    // A record may change type, when the result is valid.
    let txt = dns
        .update_record(&api, &spec("api", RecordType::Txt, "hello"))
        .await
        .unwrap();
    assert_eq!(txt.record_type, RecordType::Txt);
    // The refused updates changed nothing.
    assert_eq!(
        dns.get_record(&z.id, &www.id).await.unwrap().data,
        "192.0.2.9"
    );

    let mut ghost: Record = www.clone();
    ghost.id = "42".into();
    assert_not_found(
        dns.update_record(&ghost, &spec("www", RecordType::A, "192.0.2.1"))
            .await,
        ResourceKind::Record,
    );
}

#[tokio::test]
async fn deleting_records() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    let r = dns
        .create_record(&z, &spec("www", RecordType::A, "192.0.2.1"))
        .await
        .unwrap();
    dns.delete_record(&r).await.unwrap();
    assert_not_found(dns.get_record(&z.id, &r.id).await, ResourceKind::Record);
    assert_not_found(dns.delete_record(&r).await, ResourceKind::Record);
    // The same record can be made again, with a new id.
    let again = dns
        .create_record(&z, &spec("www", RecordType::A, "192.0.2.1"))
        .await
        .unwrap();
    assert_ne!(again.id, r.id);
}

#[tokio::test]
async fn batches_are_all_or_nothing() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    let bad_third = [
        spec("a", RecordType::A, "192.0.2.1"),
        spec("b", RecordType::A, "192.0.2.2"),
        spec("c", RecordType::A, "nope"),
    ];
    let err = dns.create_records(&z, &bad_third).await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("record 2"), "{err}");
    assert!(dns.list_records(&z).await.unwrap().is_empty());

    let inner_duplicate = [
        spec("a", RecordType::A, "192.0.2.1"),
        spec("a", RecordType::A, "192.0.2.1"),
    ];
    assert_exists(
        dns.create_records(&z, &inner_duplicate).await,
        ResourceKind::Record,
    );
    let inner_cname_clash = [
        spec("a", RecordType::A, "192.0.2.1"),
        spec("a", RecordType::Cname, "b.example.com"),
    ];
    assert_kind(
        dns.create_records(&z, &inner_cname_clash).await,
        ErrorKind::InvalidInput,
    );
    assert!(dns.list_records(&z).await.unwrap().is_empty());

    let good = [
        spec("a", RecordType::A, "192.0.2.1"),
        spec("b", RecordType::Cname, "a.example.com"),
        spec("", RecordType::Mx, "mx.example.com").priority(5),
    ];
    let created = dns.create_records(&z, &good).await.unwrap();
    let ids: Vec<&str> = created.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(dns.list_records(&z).await.unwrap(), created);

    // A batch that clashes with what is stored also creates nothing.
    let clash = [
        spec("c", RecordType::A, "192.0.2.3"),
        spec("a", RecordType::A, "192.0.2.1"),
    ];
    assert_exists(dns.create_records(&z, &clash).await, ResourceKind::Record);
    assert_eq!(dns.list_records(&z).await.unwrap().len(), 3);
    assert!(dns.create_records(&z, &[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn secondary_zones_take_no_records() {
    let dns = MemoryDns::new();
    let mut request = CreateZone::new("copy.example.com");
    request.zone_type = ZoneType::Slave;
    let z = dns.create_zone(&request).await.unwrap();
    assert_eq!(z.zone_type, ZoneType::Slave);
    assert_kind(
        dns.create_record(&z, &spec("www", RecordType::A, "192.0.2.1"))
            .await,
        ErrorKind::InvalidInput,
    );
}

#[tokio::test]
async fn listing_many_records_crosses_pages() {
    let dns = MemoryDns::new();
    let z = zone(&dns, "example.com").await;
    let specs: Vec<RecordSpec> = (0..250)
        .map(|i| spec(&format!("h{i}"), RecordType::A, "192.0.2.1"))
        .collect();
    dns.create_records(&z, &specs).await.unwrap();
    let records = dns.list_records(&z).await.unwrap();
    assert_eq!(records.len(), 250);
    assert_eq!(records[249].id, "250");
    for i in 0..120 {
        zone(&dns, &format!("z{i}.example")).await;
    }
    assert_eq!(dns.list_zones().await.unwrap().len(), 121);
}

#[tokio::test]
async fn bind_export_lists_records_in_creation_order() {
    let dns = MemoryDns::new();
    let z = dns
        .create_zone(&CreateZone::new("example.com").ttl(900))
        .await
        .unwrap();
    let specs: Vec<RecordSpec> = (1..=11)
        .map(|i| spec(&format!("h{i}"), RecordType::A, &format!("192.0.2.{i}")))
        .collect();
    dns.create_records(&z, &specs).await.unwrap();
    dns.create_record(
        &z,
        &spec("", RecordType::Mx, "mail.example.com").priority(10),
    )
    .await
    .unwrap();
    let text = dns.export_zone_to_bind_format(&z).await.unwrap();
    let lines: Vec<&str> = text.lines().skip(4).collect();
    assert_eq!(lines.len(), 12);
    assert_eq!(lines[0], "h1.example.com.\t900\tIN\tA\t192.0.2.1");
    assert_eq!(lines[1], "h2.example.com.\t900\tIN\tA\t192.0.2.2");
    assert_eq!(lines[10], "h11.example.com.\t900\tIN\tA\t192.0.2.11");
    assert_eq!(lines[11], "example.com.\t900\tIN\tMX\t10 mail.example.com.");
}

#[tokio::test]
async fn clones_share_and_new_is_separate() {
    let dns = MemoryDns::new();
    let z = zone(&dns.clone(), "example.com").await;
    assert_eq!(dns.get_zone(&z.id).await.unwrap(), z);
    assert_not_found(MemoryDns::new().get_zone(&z.id).await, ResourceKind::Zone);
    assert!(format!("{dns:?}").contains("zones: 1"));
}
