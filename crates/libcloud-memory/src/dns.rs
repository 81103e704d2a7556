//! The in-memory DNS driver.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use libcloud_core::dns::{is_hostname, validate_record_data};
use libcloud_core::futures::stream::BoxStream;
use libcloud_core::paging::{Page, paginate};
use libcloud_core::{
    CreateZone, DnsCapabilities, DnsDriver, Error, Record, RecordSpec, RecordType, ResourceKind,
    Result, Zone, ZoneType, async_trait,
};

use crate::PROVIDER;
use crate::util::{context, lock};

/// The largest TTL DNS allows (RFC 2181: 2^31 - 1 seconds).
const MAX_TTL: u32 = i32::MAX as u32;

/// Listings are read in pages of this many entries.
const PAGE_SIZE: usize = 100;

/// An in-memory DNS provider: zones and their records, checked as a real provider checks them.
///
/// - A zone's domain must be a valid host name; it is stored lower-case without a trailing dot,
///   and a second zone for the same domain is `AlreadyExists`.
/// - Record names are relative to the zone (`""` or `"@"` for the apex; an absolute name inside
///   the zone, with its trailing dot, is made relative). A leading `*` label makes a wildcard.
/// - Record data must suit the type ([`validate_record_data`]: an `A` record holds an IPv4
///   address, a `CNAME` a host name, ...); `SRV` data is `weight port target`.
/// - `MX` and `SRV` records need a priority, and only they may have one.
/// - A record with the same name, type and data as another is `AlreadyExists`; a `CNAME` cannot
///   share its name with any other record, nor stand at the apex (`InvalidInput`).
/// - Secondary (slave) zones are copies of a zone held elsewhere and take no records here.
///
/// Zone ids and record ids are decimal numbers (`"1"`, `"2"`, ...), record ids counted per zone,
/// so a BIND export lists records in the order they were created. [`DnsDriver::create_records`]
/// is all-or-nothing: when one record is refused, none is stored.
///
/// Clones share one provider; each [`new`](Self::new) is a separate one.
///
/// ```
/// use libcloud_core::{CreateZone, DnsDriver, ErrorKind, RecordSpec, RecordType};
/// use libcloud_memory::MemoryDns;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let dns = MemoryDns::new();
/// let zone = dns.create_zone(&CreateZone::new("example.com")).await?;
/// dns.create_record(&zone, &RecordSpec::new("www", RecordType::A, "192.0.2.10")).await?;
/// let err = dns
///     .create_record(&zone, &RecordSpec::new("www", RecordType::A, "not-an-address"))
///     .await
///     .unwrap_err();
/// assert_eq!(*err.kind(), ErrorKind::InvalidInput);
/// # Ok::<(), libcloud_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct MemoryDns {
    inner: Arc<Mutex<State>>,
}

impl std::fmt::Debug for MemoryDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.inner);
        f.debug_struct("MemoryDns")
            .field("zones", &state.zones.len())
            .field(
                "records",
                &state.zones.values().map(|z| z.records.len()).sum::<usize>(),
            )
            .finish()
    }
}

impl Default for MemoryDns {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryDns {
    /// A new DNS provider with no zones.
    pub fn new() -> Self {
        MemoryDns {
            inner: Arc::new(Mutex::new(State::default())),
        }
    }
}

#[derive(Default)]
struct State {
    next_zone: u64,
    zones: BTreeMap<u64, ZoneRec>,
}

#[derive(Clone)]
struct ZoneRec {
    zone: Zone,
    next_record: u64,
    records: BTreeMap<u64, Record>,
}

/// The number in a decimal id (`"12"`); anything else is no id of ours.
fn parse_id(id: &str) -> Option<u64> {
    if id.is_empty()
        || !id.bytes().all(|b| b.is_ascii_digit())
        || (id.len() > 1 && id.starts_with('0'))
    {
        return None;
    }
    id.parse().ok()
}

fn check_ttl(ttl: Option<u32>) -> Result<()> {
    match ttl {
        Some(ttl) if ttl > MAX_TTL => Err(Error::invalid_input(format!(
            "a TTL of {ttl} seconds is more than the {MAX_TTL} DNS allows"
        ))),
        _ => Ok(()),
    }
}

fn normalize_domain(domain: &str) -> Result<String> {
    let domain = domain.trim();
    if !is_hostname(domain) {
        return Err(Error::invalid_input(format!(
            "{domain:?} is not a valid domain name"
        )));
    }
    Ok(domain.trim_end_matches('.').to_ascii_lowercase())
}

/// The record name relative to `domain`, checked: `""` for the apex.
fn normalize_name(name: &str, domain: &str) -> Result<String> {
    let name = name.trim();
    let relative = if name.is_empty() || name == "@" {
        ""
    } else if let Some(absolute) = name.strip_suffix('.') {
        let lower = absolute.to_ascii_lowercase();
        if lower == domain {
            ""
        } else if lower.ends_with(&format!(".{domain}")) {
            &absolute[..absolute.len() - domain.len() - 1]
        } else {
            return Err(Error::invalid_input(format!(
                "record name {name:?} is outside the zone {domain}"
            )));
        }
    } else {
        name
    };
    if relative.is_empty() {
        return Ok(String::new());
    }
    let rest = if relative == "*" {
        None
    } else {
        Some(relative.strip_prefix("*.").unwrap_or(relative))
    };
    let valid = rest
        .is_none_or(|rest| !rest.contains('*') && is_hostname(rest) && !rest.ends_with('.'))
        && relative.len() + domain.len() < 253;
    if !valid {
        return Err(Error::invalid_input(format!(
            "{relative:?} is not a valid record name"
        )));
    }
    Ok(relative.to_string())
}

fn check_srv(data: &str) -> Result<()> {
    let fields: Vec<&str> = data.split_whitespace().collect();
    let valid = match fields.as_slice() {
        [weight, port, target] => {
            weight.parse::<u16>().is_ok()
                && port.parse::<u16>().is_ok()
                && (*target == "." || is_hostname(target))
        }
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{data:?} is not valid data for an SRV record: expected \"weight port target\""
        )))
    }
}

/// Whether records of this type name a host in their data.
fn data_is_host(t: RecordType) -> bool {
    matches!(
        t,
        RecordType::Cname | RecordType::Ns | RecordType::Mx | RecordType::Ptr | RecordType::Dname
    )
}

/// The form of a record's data that two equal records share (`2001:DB8::1` and `2001:db8::1`,
/// `mail.example.com.` and `Mail.example.com`).
fn data_key(t: RecordType, data: &str) -> String {
    match t {
        RecordType::A | RecordType::Aaaa => data
            .parse::<IpAddr>()
            .map_or_else(|_| data.to_string(), |ip| ip.to_string()),
        RecordType::Srv => data
            .split_whitespace()
            .map(|f| f.trim_end_matches('.').to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(" "),
        t if data_is_host(t) => data.trim_end_matches('.').to_ascii_lowercase(),
        _ => data.to_string(),
    }
}

/// Checks `spec` on its own and makes it a record of `zone` with id `id`.
fn build_record(zone: &Zone, spec: &RecordSpec, id: u64) -> Result<Record> {
    if zone.zone_type == ZoneType::Slave {
        return Err(Error::invalid_input(format!(
            "zone {} is a secondary zone; its records come from its primary",
            zone.domain
        )));
    }
    let name = normalize_name(&spec.name, &zone.domain)?;
    let data = spec.data.trim();
    validate_record_data(spec.record_type, data)?;
    if spec.record_type == RecordType::Srv {
        check_srv(data)?;
    }
    let needs_priority = matches!(spec.record_type, RecordType::Mx | RecordType::Srv);
    match (needs_priority, spec.priority) {
        (true, None) => {
            return Err(Error::invalid_input(format!(
                "a {} record needs a priority",
                spec.record_type
            )));
        }
        (false, Some(_)) => {
            return Err(Error::invalid_input(format!(
                "a {} record takes no priority; only MX and SRV records do",
                spec.record_type
            )));
        }
        _ => {}
    }
    check_ttl(spec.ttl)?;
    if spec.record_type == RecordType::Cname && name.is_empty() {
        return Err(Error::invalid_input(
            "a CNAME record cannot stand at the zone apex",
        ));
    }
    Ok(Record {
        id: id.to_string(),
        name,
        record_type: spec.record_type,
        data: data.to_string(),
        zone_id: zone.id.clone(),
        ttl: spec.ttl,
        priority: spec.priority,
        extra: spec.extra.clone(),
    })
}

/// Checks `candidate` against the records already in its zone (leaving out the one with the
/// candidate's own id, for updates).
fn check_conflicts<'a>(
    existing: impl Iterator<Item = &'a Record>,
    candidate: &Record,
) -> Result<()> {
    let key = data_key(candidate.record_type, &candidate.data);
    for other in existing {
        if other.id == candidate.id || !other.name.eq_ignore_ascii_case(&candidate.name) {
            continue;
        }
        if other.record_type == candidate.record_type
            && data_key(other.record_type, &other.data) == key
        {
            return Err(Error::already_exists(
                ResourceKind::Record,
                format!(
                    "{} {} {}",
                    display_name(&candidate.name),
                    candidate.record_type,
                    candidate.data
                ),
            )
            .with_message(format!("record {} holds the same data", other.id)));
        }
        if other.record_type == RecordType::Cname || candidate.record_type == RecordType::Cname {
            return Err(Error::invalid_input(format!(
                "{} already has a {} record ({}); a CNAME cannot share its name with other records",
                display_name(&candidate.name),
                other.record_type,
                other.id
            )));
        }
    }
    Ok(())
}

fn display_name(name: &str) -> &str {
    if name.is_empty() { "@" } else { name }
}

impl State {
    fn zone_key(&self, zone_id: &str) -> Result<u64> {
        parse_id(zone_id)
            .filter(|k| self.zones.contains_key(k))
            .ok_or_else(|| Error::not_found(ResourceKind::Zone, zone_id))
    }

    fn zone_mut(&mut self, zone_id: &str) -> Result<&mut ZoneRec> {
        let key = self.zone_key(zone_id)?;
        self.zones
            .get_mut(&key)
            .ok_or_else(|| Error::not_found(ResourceKind::Zone, zone_id))
    }

    fn zones_page(&self, after: Option<u64>) -> Page<Zone, u64> {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut items: Vec<(u64, Zone)> = self
            .zones
            .range((start, Bound::Unbounded))
            .take(PAGE_SIZE + 1)
            .map(|(k, z)| (*k, z.zone.clone()))
            .collect();
        let next = if items.len() > PAGE_SIZE {
            items.truncate(PAGE_SIZE);
            items.last().map(|(k, _)| *k)
        } else {
            None
        };
        Page::new(items.into_iter().map(|(_, z)| z).collect(), next)
    }

    fn records_page(&self, zone_id: &str, after: Option<u64>) -> Result<Page<Record, u64>> {
        let key = self.zone_key(zone_id)?;
        let Some(rec) = self.zones.get(&key) else {
            return Err(Error::not_found(ResourceKind::Zone, zone_id));
        };
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut items: Vec<(u64, Record)> = rec
            .records
            .range((start, Bound::Unbounded))
            .take(PAGE_SIZE + 1)
            .map(|(k, r)| (*k, r.clone()))
            .collect();
        let next = if items.len() > PAGE_SIZE {
            items.truncate(PAGE_SIZE);
            items.last().map(|(k, _)| *k)
        } else {
            None
        };
        Ok(Page::new(items.into_iter().map(|(_, r)| r).collect(), next))
    }
}

impl ZoneRec {
    /// Checks and stores one new record.
    fn add(&mut self, spec: &RecordSpec) -> Result<Record> {
        let id = self.next_record + 1;
        let record = build_record(&self.zone, spec, id)?;
        check_conflicts(self.records.values(), &record)?;
        self.next_record = id;
        self.records.insert(id, record.clone());
        Ok(record)
    }
}

#[async_trait]
impl DnsDriver for MemoryDns {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> DnsCapabilities {
        let mut caps = DnsCapabilities::default();
        caps.record_types = RecordType::ALL.to_vec();
        caps.update_zone = true;
        caps.slave_zones = true;
        caps.record_ttl = true;
        caps.batch_create = true;
        caps
    }

    fn iterate_zones(&self) -> BoxStream<'_, Result<Zone>> {
        paginate(move |after: Option<u64>| {
            let page = lock(&self.inner).zones_page(after);
            async move { Ok(page) }
        })
    }

    async fn get_zone(&self, zone_id: &str) -> Result<Zone> {
        let state = lock(&self.inner);
        let key = state.zone_key(zone_id).map_err(context("get_zone"))?;
        state
            .zones
            .get(&key)
            .map(|z| z.zone.clone())
            .ok_or_else(|| Error::not_found(ResourceKind::Zone, zone_id))
            .map_err(context("get_zone"))
    }

    async fn create_zone(&self, request: &CreateZone) -> Result<Zone> {
        let op = context("create_zone");
        let domain = normalize_domain(&request.domain).map_err(&op)?;
        check_ttl(request.ttl).map_err(&op)?;
        let mut state = lock(&self.inner);
        if state.zones.values().any(|z| z.zone.domain == domain) {
            return Err(op(Error::already_exists(ResourceKind::Zone, domain)));
        }
        state.next_zone += 1;
        let key = state.next_zone;
        let zone = Zone {
            id: key.to_string(),
            domain,
            zone_type: request.zone_type,
            ttl: request.ttl,
            extra: request.extra.clone(),
        };
        state.zones.insert(
            key,
            ZoneRec {
                zone: zone.clone(),
                next_record: 0,
                records: BTreeMap::new(),
            },
        );
        Ok(zone)
    }

    /// Changes the zone's type, and its TTL when `changes.ttl` is set; `changes.extra` entries
    /// are merged into the zone's. The domain cannot change: `changes.domain` must be empty or
    /// the zone's own (`InvalidInput` otherwise).
    async fn update_zone(&self, zone: &Zone, changes: &CreateZone) -> Result<Zone> {
        let op = context("update_zone");
        check_ttl(changes.ttl).map_err(&op)?;
        let mut state = lock(&self.inner);
        let rec = state.zone_mut(&zone.id).map_err(&op)?;
        if !changes.domain.trim().is_empty() {
            let domain = normalize_domain(&changes.domain).map_err(&op)?;
            if domain != rec.zone.domain {
                return Err(op(Error::invalid_input(format!(
                    "a zone cannot be renamed ({} to {domain}); create a new zone instead",
                    rec.zone.domain
                ))));
            }
        }
        rec.zone.zone_type = changes.zone_type;
        if changes.ttl.is_some() {
            rec.zone.ttl = changes.ttl;
        }
        for (key, value) in &changes.extra {
            rec.zone.extra.insert(key.clone(), value.clone());
        }
        Ok(rec.zone.clone())
    }

    async fn delete_zone(&self, zone: &Zone) -> Result<()> {
        let mut state = lock(&self.inner);
        let key = state.zone_key(&zone.id).map_err(context("delete_zone"))?;
        state.zones.remove(&key);
        Ok(())
    }

    fn iterate_records<'a>(&'a self, zone: &'a Zone) -> BoxStream<'a, Result<Record>> {
        paginate(move |after: Option<u64>| {
            let page = lock(&self.inner)
                .records_page(&zone.id, after)
                .map_err(context("iterate_records"));
            async move { page }
        })
    }

    async fn get_record(&self, zone_id: &str, record_id: &str) -> Result<Record> {
        let op = context("get_record");
        let state = lock(&self.inner);
        let key = state.zone_key(zone_id).map_err(&op)?;
        state
            .zones
            .get(&key)
            .and_then(|z| parse_id(record_id).and_then(|r| z.records.get(&r)))
            .cloned()
            .ok_or_else(|| op(Error::not_found(ResourceKind::Record, record_id)))
    }

    async fn create_record(&self, zone: &Zone, record: &RecordSpec) -> Result<Record> {
        let op = context("create_record");
        let mut state = lock(&self.inner);
        state
            .zone_mut(&zone.id)
            .map_err(&op)?
            .add(record)
            .map_err(&op)
    }

    /// Creates all of `records` or, when any one is refused, none of them; the error names the
    /// position of the refused record.
    async fn create_records(&self, zone: &Zone, records: &[RecordSpec]) -> Result<Vec<Record>> {
        let op = context("create_records");
        let mut state = lock(&self.inner);
        let rec = state.zone_mut(&zone.id).map_err(&op)?;
        let mut draft = rec.clone();
        let mut created = Vec::with_capacity(records.len());
        for (i, spec) in records.iter().enumerate() {
            let record = draft.add(spec).map_err(|e| {
                let why = e
                    .message()
                    .map_or_else(|| e.kind().to_string(), str::to_string);
                op(e.with_message(format!(
                    "record {i} of the batch: {why}; nothing was created"
                )))
            })?;
            created.push(record);
        }
        *rec = draft;
        Ok(created)
    }

    async fn update_record(&self, record: &Record, changes: &RecordSpec) -> Result<Record> {
        let op = context("update_record");
        let mut state = lock(&self.inner);
        let rec = state.zone_mut(&record.zone_id).map_err(&op)?;
        let key = parse_id(&record.id)
            .filter(|k| rec.records.contains_key(k))
            .ok_or_else(|| op(Error::not_found(ResourceKind::Record, &record.id)))?;
        let updated = build_record(&rec.zone, changes, key).map_err(&op)?;
        check_conflicts(rec.records.values(), &updated).map_err(&op)?;
        rec.records.insert(key, updated.clone());
        Ok(updated)
    }

    async fn delete_record(&self, record: &Record) -> Result<()> {
        let op = context("delete_record");
        let mut state = lock(&self.inner);
        let rec = state.zone_mut(&record.zone_id).map_err(&op)?;
        parse_id(&record.id)
            .and_then(|k| rec.records.remove(&k))
            .map(|_| ())
            .ok_or_else(|| op(Error::not_found(ResourceKind::Record, &record.id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_relative_and_checked() {
        let d = "example.com";
        assert_eq!(normalize_name("@", d).unwrap(), "");
        assert_eq!(normalize_name("example.com.", d).unwrap(), "");
        assert_eq!(normalize_name("www.Example.com.", d).unwrap(), "www");
        assert_eq!(normalize_name("*.dev", d).unwrap(), "*.dev");
        assert_eq!(normalize_name("*", d).unwrap(), "*");
        assert!(normalize_name("www.other.org.", d).is_err());
        assert!(normalize_name("a..b", d).is_err());
        assert!(normalize_name("dev.*", d).is_err());
        assert!(normalize_name("bad name", d).is_err());
    }

    #[test]
    fn data_keys_compare_equivalent_forms() {
        assert_eq!(
            data_key(RecordType::Aaaa, "2001:DB8:0::1"),
            data_key(RecordType::Aaaa, "2001:db8::1")
        );
        assert_eq!(
            data_key(RecordType::Cname, "WWW.example.com."),
            data_key(RecordType::Cname, "www.example.com")
        );
        assert_ne!(
            data_key(RecordType::Txt, "A"),
            data_key(RecordType::Txt, "a")
        );
    }

    #[test]
    fn srv_data_is_checked() {
        assert!(check_srv("10 5060 sip.example.com").is_ok());
        assert!(check_srv("0 0 .").is_ok());
        assert!(check_srv("10 sip.example.com").is_err());
        assert!(check_srv("10 99999 sip.example.com").is_err());
    }

    #[test]
    fn ids_are_plain_decimal() {
        assert_eq!(parse_id("7"), Some(7));
        assert_eq!(parse_id("0"), Some(0));
        assert_eq!(parse_id("07"), None);
        assert_eq!(parse_id("x"), None);
        assert_eq!(parse_id(""), None);
    }
}
