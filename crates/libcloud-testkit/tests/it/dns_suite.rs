//! The DNS suite against a small in-test driver: correct, it passes every case; with one
//! deliberate bug, the case that covers it fails.

use std::collections::BTreeMap;
use std::sync::Mutex;

use futures::stream::{self, BoxStream, StreamExt};
use libcloud_core::dns::validate_record_data;
use libcloud_core::{
    CreateZone, DnsCapabilities, DnsDriver, Error, Record, RecordSpec, RecordType, ResourceKind,
    Result, Zone, ZoneType, async_trait,
};
use libcloud_testkit::conformance::{Status, dns};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    AcceptsInvalidData,
    UpdateKeepsOldData,
    DropsPriority,
    DuplicateRecordsAllowed,
    TrailingDotDomain,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    zones: BTreeMap<String, Zone>,
    records: BTreeMap<String, Record>,
}

#[derive(Debug, Default)]
struct FakeDns {
    state: Mutex<State>,
    fault: Option<Fault>,
}

impl FakeDns {
    fn with_fault(fault: Fault) -> Self {
        FakeDns {
            fault: Some(fault),
            ..Default::default()
        }
    }

    fn has(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }

    fn check(&self, spec: &RecordSpec) -> Result<()> {
        if self.has(Fault::AcceptsInvalidData) {
            return Ok(());
        }
        validate_record_data(spec.record_type, &spec.data)
    }

    fn record(&self, id: String, zone: &Zone, spec: &RecordSpec) -> Record {
        Record {
            id,
            name: spec.name.clone(),
            record_type: spec.record_type,
            data: spec.data.clone(),
            zone_id: zone.id.clone(),
            ttl: spec.ttl,
            priority: if self.has(Fault::DropsPriority) {
                None
            } else {
                spec.priority
            },
            extra: Default::default(),
        }
    }
}

#[async_trait]
impl DnsDriver for FakeDns {
    fn name(&self) -> &str {
        "fake"
    }

    fn capabilities(&self) -> DnsCapabilities {
        let mut caps = DnsCapabilities::default();
        caps.record_types = vec![
            RecordType::A,
            RecordType::Aaaa,
            RecordType::Cname,
            RecordType::Mx,
            RecordType::Txt,
            RecordType::Srv,
            RecordType::Caa,
            RecordType::Loc,
        ];
        caps.record_ttl = true;
        caps
    }

    fn iterate_zones(&self) -> BoxStream<'_, Result<Zone>> {
        let zones: Vec<Result<Zone>> = self
            .state
            .lock()
            .unwrap()
            .zones
            .values()
            .cloned()
            .map(Ok)
            .collect();
        stream::iter(zones).boxed()
    }

    async fn get_zone(&self, zone_id: &str) -> Result<Zone> {
        self.state
            .lock()
            .unwrap()
            .zones
            .get(zone_id)
            .cloned()
            .ok_or_else(|| Error::not_found(ResourceKind::Zone, zone_id))
    }

    async fn create_zone(&self, request: &CreateZone) -> Result<Zone> {
        let mut state = self.state.lock().unwrap();
        if state.zones.values().any(|z| z.domain == request.domain) {
            return Err(Error::already_exists(ResourceKind::Zone, &request.domain));
        }
        state.next += 1;
        let id = format!("zone-{}", state.next);
        let domain = if self.has(Fault::TrailingDotDomain) {
            format!("{}.", request.domain)
        } else {
            request.domain.clone()
        };
        let zone = Zone {
            id: id.clone(),
            domain,
            zone_type: ZoneType::Master,
            ttl: request.ttl,
            extra: Default::default(),
        };
        state.zones.insert(id, zone.clone());
        Ok(zone)
    }

    async fn delete_zone(&self, zone: &Zone) -> Result<()> {
        let mut state = self.state.lock().unwrap();
        state
            .zones
            .remove(&zone.id)
            .ok_or_else(|| Error::not_found(ResourceKind::Zone, &zone.id))?;
        state.records.retain(|_, r| r.zone_id != zone.id);
        Ok(())
    }

    fn iterate_records<'a>(&'a self, zone: &'a Zone) -> BoxStream<'a, Result<Record>> {
        let records: Vec<Result<Record>> = self
            .state
            .lock()
            .unwrap()
            .records
            .values()
            .filter(|r| r.zone_id == zone.id)
            .cloned()
            .map(Ok)
            .collect();
        stream::iter(records).boxed()
    }

    async fn get_record(&self, zone_id: &str, record_id: &str) -> Result<Record> {
        let state = self.state.lock().unwrap();
        if !state.zones.contains_key(zone_id) {
            return Err(Error::not_found(ResourceKind::Zone, zone_id));
        }
        state
            .records
            .get(record_id)
            .filter(|r| r.zone_id == zone_id)
            .cloned()
            .ok_or_else(|| Error::not_found(ResourceKind::Record, record_id))
    }

    async fn create_record(&self, zone: &Zone, spec: &RecordSpec) -> Result<Record> {
        self.check(spec)?;
        let mut state = self.state.lock().unwrap();
        if !state.zones.contains_key(&zone.id) {
            return Err(Error::not_found(ResourceKind::Zone, &zone.id));
        }
        let duplicate = state.records.values().any(|r| {
            r.zone_id == zone.id
                && r.name == spec.name
                && r.record_type == spec.record_type
                && r.data == spec.data
        });
        if duplicate && !self.has(Fault::DuplicateRecordsAllowed) {
            return Err(Error::already_exists(ResourceKind::Record, &spec.name));
        }
        state.next += 1;
        let record = self.record(state.next.to_string(), zone, spec);
        state.records.insert(record.id.clone(), record.clone());
        Ok(record)
    }

    async fn update_record(&self, record: &Record, changes: &RecordSpec) -> Result<Record> {
        self.check(changes)?;
        let mut state = self.state.lock().unwrap();
        let zone = state
            .zones
            .get(&record.zone_id)
            .cloned()
            .ok_or_else(|| Error::not_found(ResourceKind::Zone, &record.zone_id))?;
        if !state.records.contains_key(&record.id) {
            return Err(Error::not_found(ResourceKind::Record, &record.id));
        }
        let updated = self.record(record.id.clone(), &zone, changes);
        if !self.has(Fault::UpdateKeepsOldData) {
            state.records.insert(record.id.clone(), updated.clone());
        }
        Ok(updated)
    }

    async fn delete_record(&self, record: &Record) -> Result<()> {
        self.state
            .lock()
            .unwrap()
            .records
            .remove(&record.id)
            .map(drop)
            .ok_or_else(|| Error::not_found(ResourceKind::Record, &record.id))
    }
}

#[tokio::test]
async fn a_correct_driver_passes_every_case() {
    let driver = FakeDns::default();
    let report = dns::report(&driver).await;
    assert!(report.failures().is_empty(), "{report:#?}");
    assert_eq!(report.ran(), report.cases.len());
    {
        let state = driver.state.lock().unwrap();
        assert!(state.zones.is_empty() && state.records.is_empty());
    }
    dns::run(&driver).await;
}

#[tokio::test]
async fn each_bug_fails_the_case_that_covers_it() {
    for (fault, case) in [
        (Fault::AcceptsInvalidData, "invalid_record_data"),
        (Fault::UpdateKeepsOldData, "update_record"),
        (Fault::DropsPriority, "records_of_every_type"),
        (Fault::DuplicateRecordsAllowed, "duplicate_record"),
        (Fault::TrailingDotDomain, "zone_lifecycle"),
    ] {
        let driver = FakeDns::with_fault(fault);
        let report = dns::report(&driver).await;
        assert!(
            matches!(report.status(case), Some(Status::Failed(_))),
            "{fault:?} should fail {case}: {report:#?}"
        );
    }
}

#[test]
fn samples_cover_the_common_types_and_skip_the_rest() {
    for t in [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Cname,
        RecordType::Mx,
        RecordType::Txt,
        RecordType::Ns,
        RecordType::Srv,
        RecordType::Caa,
    ] {
        assert!(dns::sample(t).is_some(), "{t}");
    }
    assert!(dns::sample(RecordType::Loc).is_none());
    assert_eq!(dns::sample(RecordType::Mx).unwrap().priority, Some(10));
}
