//! The DNS conformance suite: zones, records of every type the driver takes, batches and BIND
//! export.
//!
//! Every case works in a zone of its own, `lc-<case>-<8 hex>.example.com`, and deletes it when
//! it ends, whether it passed or not. Records are created under names of their own (never at
//! the apex, where real servers keep their SOA and NS records).

use std::net::Ipv6Addr;
use std::time::Duration;

use libcloud_core::{
    CreateZone, DnsDriver, DnsDriverExt, ErrorKind, Record, RecordSpec, RecordType, ResourceKind,
    Zone, ZoneType,
};

use super::{
    CaseResult, Context, DEFAULT_CASE_TIMEOUT, Failure, Harness, Outcome, Report, best_effort,
    case_name, ensure, expect_already_exists, expect_kind, expect_not_found, lacks,
};

/// How long clean-up may take before it is abandoned.
const CLEANUP_LIMIT: Duration = Duration::from_secs(60);

/// The parent domain of every zone the suite creates.
pub const PARENT_DOMAIN: &str = "example.com";

/// Runs every DNS case the driver's capabilities allow, prints one line per case, and panics
/// listing every failure (or when no case ran).
pub async fn run(driver: &dyn DnsDriver) {
    report(driver).await.assert_passed();
}

/// Runs every DNS case, prints one line per case and returns the report without panicking.
pub async fn report(driver: &dyn DnsDriver) -> Report {
    let d = driver;
    let mut h = Harness::new("dns", DEFAULT_CASE_TIMEOUT);
    h.case("zone_lifecycle", zone_lifecycle(d)).await;
    h.case("zone_already_exists", zone_already_exists(d)).await;
    h.case("missing_zone", missing_zone(d)).await;
    h.case("records_of_every_type", records_of_every_type(d))
        .await;
    h.case("record_ttl", record_ttl(d)).await;
    h.case("update_record", update_record(d)).await;
    h.case("delete_record", delete_record(d)).await;
    h.case("missing_record", missing_record(d)).await;
    h.case("invalid_record_data", invalid_record_data(d)).await;
    h.case("duplicate_record", duplicate_record(d)).await;
    h.case("create_records_batch", create_records_batch(d))
        .await;
    h.case("bind_export", bind_export(d)).await;
    h.finish()
}

/// A created zone has its domain and type, is found by `get_zone` and in the listing, and
/// after `delete_zone` is `NotFound` of a zone and no longer listed.
pub async fn zone_lifecycle(d: &dyn DnsDriver) -> CaseResult {
    let domain = zone_domain("zone_lifecycle");
    let result: CaseResult = async {
        let zone = d
            .create_zone(&CreateZone::new(&domain).ttl(3600))
            .await
            .context("create_zone")?;
        ensure!(!zone.id.is_empty(), "create_zone returned an empty id");
        ensure!(
            same_name(&zone.domain, &domain),
            "create_zone returned the domain {:?}, expected {domain:?}",
            zone.domain
        );
        ensure!(
            !zone.domain.ends_with('.'),
            "the zone's domain {:?} ends with a dot",
            zone.domain
        );
        ensure!(
            zone.zone_type == ZoneType::Master,
            "create_zone returned a {:?} zone, expected Master",
            zone.zone_type
        );
        let got = d.get_zone(&zone.id).await.context("get_zone")?;
        ensure!(
            got.id == zone.id && same_name(&got.domain, &domain),
            "get_zone({:?}) returned {:?} for {:?}",
            zone.id,
            got.id,
            got.domain
        );
        let zones = d.list_zones().await.context("list_zones")?;
        ensure!(
            zones.iter().any(|z| z.id == zone.id),
            "list_zones ({} zones) lacks the new zone {:?}",
            zones.len(),
            zone.id
        );
        d.delete_zone(&zone).await.context("delete_zone")?;
        expect_not_found(
            d.get_zone(&zone.id).await,
            ResourceKind::Zone,
            "get_zone after delete_zone",
        )?;
        let zones = d
            .list_zones()
            .await
            .context("list_zones after delete_zone")?;
        ensure!(
            !zones.iter().any(|z| z.id == zone.id),
            "list_zones still lists the deleted zone {:?}",
            zone.id
        );
        Ok(Outcome::Passed)
    }
    .await;
    delete_zone_quietly(d, &domain).await;
    result
}

/// Creating a zone for a domain that has one is `AlreadyExists` of a zone.
pub async fn zone_already_exists(d: &dyn DnsDriver) -> CaseResult {
    with_zone(d, "zone_already_exists", async |zone| {
        expect_already_exists(
            d.create_zone(&CreateZone::new(&zone.domain)).await,
            ResourceKind::Zone,
            "create_zone of an existing domain",
        )?;
        Ok(Outcome::Passed)
    })
    .await
}

/// `get_zone` of a made-up id is `NotFound` of a zone.
pub async fn missing_zone(d: &dyn DnsDriver) -> CaseResult {
    expect_not_found(
        d.get_zone(&zone_domain("missing_zone")).await,
        ResourceKind::Zone,
        "get_zone of a made-up id",
    )?;
    Ok(Outcome::Passed)
}

/// Each record type the driver takes, for which the suite has a valid sample (A, AAAA, CNAME,
/// MX, TXT, NS, SRV, CAA, PTR, SPF, SSHFP, TLSA), is created with its name, type, data and
/// priority, and found the same by listing and by `get_record`.
pub async fn records_of_every_type(d: &dyn DnsDriver) -> CaseResult {
    let specs: Vec<RecordSpec> = d
        .list_record_types()
        .into_iter()
        .filter_map(sample)
        .collect();
    if specs.is_empty() {
        return Ok(Outcome::Skipped(
            "the driver takes none of the record types the suite has samples for".into(),
        ));
    }
    with_zone(d, "records_of_every_type", async |zone| {
        let mut created = Vec::new();
        for spec in &specs {
            let record = d.create_record(zone, spec).await.context(&format!(
                "create_record of {} {:?}",
                spec.record_type, spec.data
            ))?;
            check_record(&record, zone, spec, "create_record")?;
            created.push(record);
        }
        let listed = d.list_records(zone).await.context("list_records")?;
        for (record, spec) in created.iter().zip(&specs) {
            let found = listed.iter().find(|r| r.id == record.id).ok_or_else(|| {
                Failure::new(format!(
                    "list_records lacks the {} record {:?} (id {:?})",
                    spec.record_type, spec.name, record.id
                ))
            })?;
            check_record(found, zone, spec, "list_records")?;
            let got = d
                .get_record(&zone.id, &record.id)
                .await
                .context(&format!("get_record of the {} record", spec.record_type))?;
            check_record(&got, zone, spec, "get_record")?;
        }
        Ok(Outcome::Passed)
    })
    .await
}

/// With `record_ttl`: a record's own TTL is stored and returned.
pub async fn record_ttl(d: &dyn DnsDriver) -> CaseResult {
    if !d.capabilities().record_ttl {
        return lacks("record_ttl");
    }
    if !takes(d, RecordType::A) {
        return lacks("A records");
    }
    with_zone(d, "record_ttl", async |zone| {
        let spec = RecordSpec::new("ttl", RecordType::A, "192.0.2.40").ttl(300);
        let record = d
            .create_record(zone, &spec)
            .await
            .context("create_record")?;
        ensure!(
            record.ttl == Some(300),
            "create_record returned the TTL {:?}, expected Some(300)",
            record.ttl
        );
        let got = d
            .get_record(&zone.id, &record.id)
            .await
            .context("get_record")?;
        ensure!(
            got.ttl == Some(300),
            "get_record returned the TTL {:?}, expected Some(300)",
            got.ttl
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// `update_record` replaces a record's data: the result, `get_record` and the listing show the
/// new data and no longer the old.
pub async fn update_record(d: &dyn DnsDriver) -> CaseResult {
    if !takes(d, RecordType::A) {
        return lacks("A records");
    }
    with_zone(d, "update_record", async |zone| {
        let before = RecordSpec::new("upd", RecordType::A, "192.0.2.20");
        let after = RecordSpec::new("upd", RecordType::A, "192.0.2.21");
        let record = d
            .create_record(zone, &before)
            .await
            .context("create_record")?;
        let updated = d
            .update_record(&record, &after)
            .await
            .context("update_record")?;
        check_record(&updated, zone, &after, "update_record")?;
        let got = d
            .get_record(&zone.id, &updated.id)
            .await
            .context("get_record after update_record")?;
        check_record(&got, zone, &after, "get_record after update_record")?;
        let listed = d.list_records(zone).await.context("list_records")?;
        let named: Vec<&Record> = listed
            .iter()
            .filter(|r| r.record_type == RecordType::A && same_name(&r.name, "upd"))
            .collect();
        ensure!(
            named.len() == 1 && named[0].data == "192.0.2.21",
            "after update_record the A records named \"upd\" are {:?}, expected only 192.0.2.21",
            named.iter().map(|r| &r.data).collect::<Vec<_>>()
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// After `delete_record`, `get_record` is `NotFound` of a record and the listing lacks it.
pub async fn delete_record(d: &dyn DnsDriver) -> CaseResult {
    if !takes(d, RecordType::A) {
        return lacks("A records");
    }
    with_zone(d, "delete_record", async |zone| {
        let spec = RecordSpec::new("del", RecordType::A, "192.0.2.50");
        let record = d
            .create_record(zone, &spec)
            .await
            .context("create_record")?;
        d.delete_record(&record).await.context("delete_record")?;
        expect_not_found(
            d.get_record(&zone.id, &record.id).await,
            ResourceKind::Record,
            "get_record after delete_record",
        )?;
        let listed = d.list_records(zone).await.context("list_records")?;
        ensure!(
            !listed.iter().any(|r| r.id == record.id),
            "list_records still lists the deleted record {:?}",
            record.id
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// `get_record` of a made-up id is `NotFound` of a record; in a made-up zone it is `NotFound`
/// of the zone or the record.
pub async fn missing_record(d: &dyn DnsDriver) -> CaseResult {
    with_zone(d, "missing_record", async |zone| {
        expect_not_found(
            d.get_record(&zone.id, &case_name("missing-record")).await,
            ResourceKind::Record,
            "get_record of a made-up id",
        )?;
        expect_kind(
            d.get_record(&zone_domain("missing_zone"), "A:www").await,
            "get_record in a made-up zone",
            "NotFound { kind: Zone or Record }",
            |k| {
                matches!(
                    k,
                    ErrorKind::NotFound {
                        kind: ResourceKind::Zone | ResourceKind::Record,
                        ..
                    }
                )
            },
        )?;
        Ok(Outcome::Passed)
    })
    .await
}

/// An A record whose data is not an IPv4 address (and an AAAA record holding an IPv4 address,
/// where AAAA is taken) is `InvalidInput`, and nothing is created.
pub async fn invalid_record_data(d: &dyn DnsDriver) -> CaseResult {
    if !takes(d, RecordType::A) {
        return lacks("A records");
    }
    with_zone(d, "invalid_record_data", async |zone| {
        let mut bad = vec![RecordSpec::new("bad", RecordType::A, "not-an-ip")];
        if takes(d, RecordType::Aaaa) {
            bad.push(RecordSpec::new("bad6", RecordType::Aaaa, "192.0.2.1"));
        }
        for spec in &bad {
            let step = format!("create_record of {} {:?}", spec.record_type, spec.data);
            expect_kind(
                d.create_record(zone, spec).await,
                &step,
                "InvalidInput",
                |k| *k == ErrorKind::InvalidInput,
            )?;
        }
        let listed = d.list_records(zone).await.context("list_records")?;
        ensure!(
            !listed
                .iter()
                .any(|r| same_name(&r.name, "bad") || same_name(&r.name, "bad6")),
            "a refused record was stored anyway"
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// Creating the same record (name, type and data) twice is `AlreadyExists` of a record.
pub async fn duplicate_record(d: &dyn DnsDriver) -> CaseResult {
    if !takes(d, RecordType::A) {
        return lacks("A records");
    }
    with_zone(d, "duplicate_record", async |zone| {
        let spec = RecordSpec::new("dup", RecordType::A, "192.0.2.30");
        d.create_record(zone, &spec)
            .await
            .context("create_record")?;
        expect_already_exists(
            d.create_record(zone, &spec).await,
            ResourceKind::Record,
            "create_record of an existing record",
        )?;
        Ok(Outcome::Passed)
    })
    .await
}

/// `create_records` creates every record of a batch, in order, and they are all listed.
pub async fn create_records_batch(d: &dyn DnsDriver) -> CaseResult {
    if !takes(d, RecordType::A) {
        return lacks("A records");
    }
    with_zone(d, "create_records_batch", async |zone| {
        let specs: Vec<RecordSpec> = (1..=3)
            .map(|i| {
                RecordSpec::new(
                    format!("batch-{i}"),
                    RecordType::A,
                    format!("192.0.2.{}", 60 + i),
                )
            })
            .collect();
        let created = d
            .create_records(zone, &specs)
            .await
            .context("create_records")?;
        ensure!(
            created.len() == specs.len(),
            "create_records returned {} records for {}",
            created.len(),
            specs.len()
        );
        for (record, spec) in created.iter().zip(&specs) {
            check_record(record, zone, spec, "create_records")?;
        }
        let listed = d.list_records(zone).await.context("list_records")?;
        for record in &created {
            ensure!(
                listed.iter().any(|r| r.id == record.id),
                "list_records lacks the batch record {:?}",
                record.name
            );
        }
        Ok(Outcome::Passed)
    })
    .await
}

/// `export_zone_to_bind_format` writes `$ORIGIN <domain>.` and one line per record created.
pub async fn bind_export(d: &dyn DnsDriver) -> CaseResult {
    let specs: Vec<RecordSpec> = d
        .list_record_types()
        .into_iter()
        .filter_map(sample)
        .collect();
    if specs.is_empty() {
        return Ok(Outcome::Skipped(
            "the driver takes none of the record types the suite has samples for".into(),
        ));
    }
    with_zone(d, "bind_export", async |zone| {
        let created = d
            .create_records(zone, &specs)
            .await
            .context("create_records")?;
        let text = d
            .export_zone_to_bind_format(zone)
            .await
            .context("export_zone_to_bind_format")?;
        let domain = zone.domain.trim_end_matches('.');
        ensure!(
            text.lines()
                .any(|l| l.trim() == format!("$ORIGIN {domain}.")),
            "the export lacks the line \"$ORIGIN {domain}.\":\n{text}"
        );
        for record in &created {
            let owner = if record.name.is_empty() {
                format!("{domain}.")
            } else {
                format!("{}.{domain}.", record.name.trim_end_matches('.'))
            };
            let kind = format!("\tIN\t{}\t", record.record_type);
            ensure!(
                text.lines().any(|l| l
                    .to_ascii_lowercase()
                    .starts_with(&owner.to_ascii_lowercase())
                    && l.contains(&kind)),
                "the export has no {} line for {owner}:\n{text}",
                record.record_type
            );
        }
        Ok(Outcome::Passed)
    })
    .await
}

// ---------------------------------------------------------------------------------------------

/// A sample record of `record_type` with valid data, for the types the suite knows.
pub fn sample(record_type: RecordType) -> Option<RecordSpec> {
    let (name, data, priority) = match record_type {
        RecordType::A => ("a-rec", "192.0.2.10", None),
        RecordType::Aaaa => ("aaaa-rec", "2001:db8::10", None),
        RecordType::Cname => ("cname-rec", "target.example.org", None),
        RecordType::Mx => ("mx-rec", "mail.example.org", Some(10)),
        RecordType::Txt => ("txt-rec", "lc conformance text", None),
        RecordType::Ns => ("ns-rec", "ns1.example.org", None),
        RecordType::Srv => ("_sip._tcp", "20 5060 sip.example.org", Some(10)),
        RecordType::Caa => ("caa-rec", "0 issue \"ca.example.org\"", None),
        RecordType::Ptr => ("ptr-rec", "host.example.org", None),
        RecordType::Spf => ("spf-rec", "v=spf1 -all", None),
        RecordType::Sshfp => (
            "sshfp-rec",
            "1 1 0123456789abcdef0123456789abcdef01234567",
            None,
        ),
        RecordType::Tlsa => (
            "_443._tcp.tlsa-rec",
            "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            None,
        ),
        _ => return None,
    };
    let spec = RecordSpec::new(name, record_type, data);
    Some(match priority {
        Some(p) => spec.priority(p),
        None => spec,
    })
}

/// The domain of the zone a case creates: `lc-<case>-<8 hex>.example.com`.
fn zone_domain(case: &str) -> String {
    format!("{}.{PARENT_DOMAIN}", case_name(case))
}

fn takes(d: &dyn DnsDriver, record_type: RecordType) -> bool {
    d.list_record_types().contains(&record_type)
}

/// Creates a zone for `case`, runs `body` with it, and deletes it afterwards, whatever the
/// outcome.
async fn with_zone<F>(d: &dyn DnsDriver, case: &str, body: F) -> CaseResult
where
    F: AsyncFnOnce(&Zone) -> CaseResult,
{
    let domain = zone_domain(case);
    let zone = match d.create_zone(&CreateZone::new(&domain)).await {
        Ok(zone) => zone,
        Err(e) => {
            delete_zone_quietly(d, &domain).await;
            return Err(Failure::new(format!(
                "create_zone({domain:?}): unexpected error: {e}"
            )));
        }
    };
    let result = body(&zone).await;
    best_effort(CLEANUP_LIMIT, async {
        let _ = d.delete_zone(&zone).await;
    })
    .await;
    result
}

/// Deletes every zone for `domain`, ignoring errors.
async fn delete_zone_quietly(d: &dyn DnsDriver, domain: &str) {
    best_effort(CLEANUP_LIMIT, async {
        if let Ok(zones) = d.list_zones().await {
            for zone in zones.iter().filter(|z| same_name(&z.domain, domain)) {
                let _ = d.delete_zone(zone).await;
            }
        }
    })
    .await;
}

/// Whether two DNS names are the same, ignoring case and a trailing dot.
fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// Record data in a canonical form, so providers' harmless rewrites (a trailing dot, quotes
/// around text, the spelling of an IPv6 address, hex case) do not count as differences.
fn normalize(record_type: RecordType, data: &str) -> String {
    let data = data.trim();
    let unquote = |s: &str| {
        if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
            s[1..s.len() - 1].to_string()
        } else {
            s.to_string()
        }
    };
    let host = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    match record_type {
        RecordType::Aaaa => data
            .parse::<Ipv6Addr>()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| data.to_ascii_lowercase()),
        RecordType::Cname | RecordType::Mx | RecordType::Ns | RecordType::Ptr => host(data),
        RecordType::Txt | RecordType::Spf => unquote(data),
        RecordType::Srv => {
            let mut parts: Vec<String> = data.split_whitespace().map(str::to_string).collect();
            if let Some(last) = parts.last_mut() {
                *last = host(last);
            }
            parts.join(" ")
        }
        RecordType::Caa => {
            let parts: Vec<&str> = data.splitn(3, char::is_whitespace).collect();
            match parts.as_slice() {
                [flags, tag, value] => format!(
                    "{flags} {} {}",
                    tag.to_ascii_lowercase(),
                    unquote(value.trim())
                ),
                _ => data.to_string(),
            }
        }
        _ => data
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase(),
    }
}

fn check_record(
    record: &Record,
    zone: &Zone,
    spec: &RecordSpec,
    what: &str,
) -> Result<(), Failure> {
    let t = spec.record_type;
    ensure!(
        !record.id.is_empty(),
        "{what}: the {t} record has an empty id"
    );
    ensure!(
        record.record_type == t,
        "{what}: record {:?} has the type {}, expected {t}",
        record.id,
        record.record_type
    );
    ensure!(
        same_name(&record.name, &spec.name),
        "{what}: the {t} record is named {:?}, expected {:?} (relative to the zone)",
        record.name,
        spec.name
    );
    ensure!(
        normalize(t, &record.data) == normalize(t, &spec.data),
        "{what}: the {t} record {:?} holds {:?}, expected {:?}",
        spec.name,
        record.data,
        spec.data
    );
    ensure!(
        record.zone_id == zone.id,
        "{what}: the {t} record has the zone id {:?}, expected {:?}",
        record.zone_id,
        zone.id
    );
    if spec.priority.is_some() {
        ensure!(
            record.priority == spec.priority,
            "{what}: the {t} record has the priority {:?}, expected {:?}",
            record.priority,
            spec.priority
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_valid_for_their_type() {
        for t in RecordType::ALL {
            if let Some(spec) = sample(*t) {
                libcloud_core::dns::validate_record_data(*t, &spec.data).unwrap();
                assert_eq!(spec.record_type, *t);
                assert_eq!(
                    spec.priority.is_some(),
                    matches!(t, RecordType::Mx | RecordType::Srv)
                );
            }
        }
        assert!(sample(RecordType::A).is_some());
    }

    #[test]
    fn normalization_ignores_harmless_rewrites() {
        assert_eq!(
            normalize(RecordType::Cname, "Target.Example.org."),
            normalize(RecordType::Cname, "target.example.org")
        );
        assert_eq!(
            normalize(RecordType::Aaaa, "2001:0db8:0:0::10"),
            normalize(RecordType::Aaaa, "2001:db8::10")
        );
        assert_eq!(
            normalize(RecordType::Txt, "\"lc text\""),
            normalize(RecordType::Txt, "lc text")
        );
        assert_eq!(
            normalize(RecordType::Caa, "0 issue ca.example.org"),
            normalize(RecordType::Caa, "0 issue \"ca.example.org\"")
        );
        assert_ne!(
            normalize(RecordType::A, "192.0.2.1"),
            normalize(RecordType::A, "192.0.2.2")
        );
        assert_ne!(
            normalize(RecordType::Srv, "20 5060 a.example.org"),
            normalize(RecordType::Srv, "20 5061 a.example.org")
        );
    }
}
