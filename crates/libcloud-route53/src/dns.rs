//! [`Route53Dns`]: hosted zones and their record sets through the uniform DNS API.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use futures::stream::BoxStream;
use libcloud_aws::encode::encode_component;
use libcloud_aws::{AwsClient, Endpoint, Service};
use libcloud_core::dns::is_hostname;
use libcloud_core::paging::{Page, paginate};
use libcloud_core::{
    CreateZone, DnsCapabilities, DnsDriver, Error, ErrorKind, Extra, Record, RecordSpec,
    RecordType, ResourceKind, Result, Transport, Zone, ZoneType,
};
use serde_json::{Value, json};

use crate::batch::{BatchLimits, Change, NAMESPACE, change_batch_xml, plan};
use crate::client::{Client, Target};
use crate::config::Route53Config;
use crate::rrset::{
    RecordSet, decode_value, encode_spec, fqdn, parse_record_id, record_id, relative_name,
    same_name,
};
use libcloud_aws::xml::Element;

/// Every record type Route 53 takes that libcloud has a name for.
pub const RECORD_TYPES: &[RecordType] = &[
    RecordType::A,
    RecordType::Aaaa,
    RecordType::Caa,
    RecordType::Cname,
    RecordType::Ds,
    RecordType::Mx,
    RecordType::Naptr,
    RecordType::Ns,
    RecordType::Ptr,
    RecordType::Soa,
    RecordType::Spf,
    RecordType::Srv,
    RecordType::Sshfp,
    RecordType::Tlsa,
    RecordType::Txt,
];

/// Zones asked for per `ListHostedZones` page (Route 53's maximum).
pub const ZONES_PER_PAGE: u32 = 100;

/// Record sets asked for per `ListResourceRecordSets` page (Route 53's maximum).
pub const RECORD_SETS_PER_PAGE: u32 = 300;

/// The TTL of a new record set when neither the record nor its zone gives one, in seconds.
pub const DEFAULT_TTL: u32 = 300;

/// How many zone domains the driver remembers, so that record calls given only a zone id
/// need not look the zone up again.
const DOMAIN_CACHE_SIZE: usize = 4096;

/// Whether a change has reached every Route 53 name server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeStatus {
    /// Still being applied (`PENDING`).
    Pending,
    /// Applied everywhere (`INSYNC`).
    InSync,
}

/// The Route 53 DNS driver (API 2013-04-01).
///
/// Zone ids are Route 53's without the `/hostedzone/` prefix; record ids are Libcloud's
/// `TYPE:name`, the name relative to the zone (`"A:www"`, `"MX:"` at the apex). A record set
/// with several values shows as several records sharing one id.
///
/// Cheap to clone: clones share the connection and the cache of zone domains.
#[derive(Clone)]
pub struct Route53Dns {
    client: Client,
    limits: BatchLimits,
    domains: Arc<Mutex<HashMap<String, String>>>,
}

impl fmt::Debug for Route53Dns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route53Dns")
            .field("endpoint", self.client.aws().endpoint())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// A record to write, checked and in Route 53's form.
#[derive(Debug, Clone)]
struct Prepared {
    /// The fully-qualified name, with its final dot.
    fqdn: String,
    /// The name relative to the zone.
    name: String,
    kind: RecordType,
    /// The value, for plain records.
    value: Option<String>,
    /// The target's hosted zone id and whether to evaluate its health, for alias records.
    alias: Option<(String, bool)>,
    /// The data as given (the target, for alias records).
    data: String,
    priority: Option<u16>,
    /// The TTL the caller asked for.
    ttl: Option<u32>,
}

impl Prepared {
    fn id(&self) -> String {
        record_id(self.kind, &self.name)
    }

    fn new_set(&self, ttl: u32) -> RecordSet {
        match (&self.alias, &self.value) {
            (Some((zone, evaluate)), _) => {
                RecordSet::alias(&self.fqdn, self.kind, zone, &self.data, *evaluate)
            }
            (None, Some(value)) => {
                RecordSet::new(&self.fqdn, self.kind, ttl, std::slice::from_ref(value))
            }
            (None, None) => RecordSet::new(&self.fqdn, self.kind, ttl, &[]),
        }
    }

    /// The record as the driver returns it after writing it.
    fn record(&self, zone_id: &str, ttl: Option<u32>, change_id: Option<String>) -> Record {
        let (data, priority) = match &self.value {
            Some(value) => decode_value(self.kind, value),
            None => (self.data.clone(), None),
        };
        let mut extra = Extra::new();
        extra.insert("fqdn".into(), json!(self.fqdn));
        if let Some(change) = change_id {
            extra.insert("change_id".into(), json!(change));
        }
        if let Some((zone, evaluate)) = &self.alias {
            extra.insert(
                "alias_target".into(),
                json!({
                    "hosted_zone_id": zone,
                    "dns_name": self.data,
                    "evaluate_target_health": evaluate,
                }),
            );
        }
        Record {
            id: self.id(),
            name: self.name.clone(),
            record_type: self.kind,
            data,
            zone_id: zone_id.to_string(),
            ttl: if self.alias.is_some() { None } else { ttl },
            priority,
            extra,
        }
    }
}

/// The continuation of a record set listing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SetToken {
    name: String,
    kind: String,
    identifier: Option<String>,
}

/// A hosted zone id without its `/hostedzone/` prefix, when `id` can be one (1 to 32 letters
/// and digits); anything else cannot name a zone.
fn hosted_zone_id(id: &str) -> Option<&str> {
    let id = id.trim();
    let id = id.strip_prefix("/hostedzone/").unwrap_or(id);
    (!id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some(id)
}

fn zone_not_found(id: &str, operation: &'static str) -> Error {
    Error::not_found(ResourceKind::Zone, id)
        .with_provider(crate::PROVIDER)
        .with_operation(operation)
}

fn record_not_found(id: &str, operation: &'static str) -> Error {
    Error::not_found(ResourceKind::Record, id)
        .with_provider(crate::PROVIDER)
        .with_operation(operation)
}

fn valid_zone<'a>(id: &'a str, operation: &'static str) -> Result<&'a str> {
    hosted_zone_id(id).ok_or_else(|| zone_not_found(id, operation))
}

fn is_record_conflict(err: &Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::Record,
            ..
        }
    )
}

/// A unique `CallerReference`: Route 53 refuses a second zone with the same one, which makes a
/// retried `CreateHostedZone` safe.
fn caller_reference() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("libcloud-{nanos:x}-{:x}-{n:x}", std::process::id())
}

/// A zone from a `<HostedZone>` and, when given, the `<DelegationSet>` beside it.
fn zone_from(hosted: &Element, delegation: Option<&Element>) -> Result<Zone> {
    let raw_id = hosted.required("Id", "a hosted zone")?;
    let id = raw_id.strip_prefix("/hostedzone/").unwrap_or(raw_id);
    let name = crate::rrset::decode_name(hosted.required("Name", "a hosted zone")?);
    let mut extra = Extra::new();
    if let Some(r) = hosted.text_of("CallerReference") {
        extra.insert("caller_reference".into(), json!(r));
    }
    if let Some(config) = hosted.child("Config") {
        if let Some(c) = config.text_of("Comment") {
            extra.insert("comment".into(), json!(c));
        }
        extra.insert(
            "private_zone".into(),
            json!(config.text_of("PrivateZone") == Some("true")),
        );
    }
    if let Some(count) = hosted
        .text_of("ResourceRecordSetCount")
        .and_then(|c| c.parse::<u64>().ok())
    {
        extra.insert("resource_record_set_count".into(), json!(count));
    }
    if let Some(servers) = delegation.and_then(|d| d.child("NameServers")) {
        let list: Vec<&str> = servers
            .all("NameServer")
            .map(|n| n.text.trim())
            .filter(|n| !n.is_empty())
            .collect();
        extra.insert("name_servers".into(), json!(list));
    }
    Ok(Zone {
        id: id.to_string(),
        domain: name.trim_end_matches('.').to_string(),
        zone_type: ZoneType::Master,
        ttl: None,
        extra,
    })
}

fn change_id(root: &Element) -> Option<String> {
    root.at(&["ChangeInfo", "Id"])
        .map(|e| e.text.trim())
        .map(|id| id.strip_prefix("/change/").unwrap_or(id).to_string())
}

fn extra_str<'a>(extra: &'a Extra, key: &str) -> Option<&'a str> {
    extra.get(key).and_then(Value::as_str).map(str::trim)
}

fn extra_ttl(extra: &Extra) -> Result<Option<u32>> {
    match extra.get("ttl") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| Error::invalid_input(format!("TTL {n} is not a number of seconds"))),
        Some(other) => Err(Error::invalid_input(format!(
            "TTL {other} is not a number of seconds"
        ))),
    }
}

impl Route53Dns {
    /// A driver for `config`, sending through the default HTTP transport
    /// ([`libcloud_http::default_transport`]).
    ///
    /// A bad endpoint URL or half a key pair is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn new(config: Route53Config) -> Result<Self> {
        let transport = libcloud_http::default_transport()?;
        Self::with_transport(config, transport)
    }

    /// A driver for `config`, sending through `transport` (a test replay, a proxy, a
    /// transport with other retry settings).
    pub fn with_transport(config: Route53Config, transport: Transport) -> Result<Self> {
        let endpoint = config.resolve_endpoint()?;
        let credentials = config.credential_provider()?;
        Ok(Self::from_client(AwsClient::new(
            transport,
            credentials,
            Service::Route53,
            endpoint,
        )))
    }

    /// A driver over an [`AwsClient`] set up by the caller (its own clock, signing or
    /// provider name).
    pub fn from_client(client: AwsClient) -> Self {
        Route53Dns {
            client: Client::new(client),
            limits: BatchLimits::default(),
            domains: Arc::default(),
        }
    }

    /// Cuts [`create_records`](DnsDriver::create_records) batches at `limits` instead of
    /// Route 53's documented ones.
    pub fn with_batch_limits(mut self, limits: BatchLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits batches are cut at.
    pub fn batch_limits(&self) -> BatchLimits {
        self.limits
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        self.client.aws().endpoint()
    }

    /// The client that signs and sends the requests.
    pub fn client(&self) -> &AwsClient {
        self.client.aws()
    }

    /// Deletes a zone; with `delete_records` its record sets (all but the apex SOA and NS)
    /// are deleted first when Route 53 refuses to delete a zone that holds any.
    ///
    /// Without `delete_records`, a zone that holds records is
    /// [`ErrorKind::NotEmpty`](libcloud_core::ErrorKind::NotEmpty), as Libcloud's driver
    /// behaves. [`delete_zone`](DnsDriver::delete_zone) is this with `delete_records` on.
    pub async fn ex_delete_zone(&self, zone: &Zone, delete_records: bool) -> Result<()> {
        let zone_id = valid_zone(&zone.id, "delete_zone")?;
        let target = Target::zone("delete_zone", zone_id);
        let path = format!("hostedzone/{zone_id}");
        match self.client.delete(&path, &target).await {
            Ok(_) => {}
            Err(e) if delete_records && matches!(e.kind(), ErrorKind::NotEmpty { .. }) => {
                self.ex_delete_all_records(zone).await?;
                self.client.delete(&path, &target).await?;
            }
            Err(e) => return Err(e),
        }
        self.forget(zone_id);
        Ok(())
    }

    /// Deletes every record set of `zone` but the SOA and NS sets at its apex, in as few
    /// `ChangeResourceRecordSets` requests as the batch limits allow; returns how many sets
    /// were deleted.
    pub async fn ex_delete_all_records(&self, zone: &Zone) -> Result<usize> {
        let operation = "ex_delete_all_records";
        let zone_id = valid_zone(&zone.id, operation)?;
        let mut sets = Vec::new();
        let mut token = None;
        loop {
            let page = self.sets_page(zone_id, token.clone(), operation).await?;
            sets.extend(page.items);
            match page.next {
                Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                Some(_) => {
                    return Err(
                        Error::malformed("the record set listing repeats its page token")
                            .with_provider(crate::PROVIDER)
                            .with_operation(operation),
                    );
                }
                None => break,
            }
        }
        let units: Vec<Vec<Change>> = sets
            .into_iter()
            .filter(|s| {
                let apex = same_name(&crate::rrset::decode_name(s.name()), &zone.domain);
                !(apex && matches!(s.type_text(), "SOA" | "NS"))
            })
            .map(|s| vec![Change::delete(s)])
            .collect();
        let count = units.len();
        let target = Target::zone(operation, zone_id);
        for batch in plan(units, &self.limits)? {
            self.send_changes(zone_id, &batch, &target).await?;
        }
        Ok(count)
    }

    /// The hosted zones named `domain` (public and private).
    pub async fn ex_find_zones(&self, domain: &str) -> Result<Vec<Zone>> {
        let domain = domain.trim().trim_end_matches('.');
        let path = format!(
            "hostedzonesbyname?dnsname={}&maxitems={ZONES_PER_PAGE}",
            encode_component(&format!("{domain}."))
        );
        let root = self
            .client
            .get(&path, &Target::zone("ex_find_zones", ""))
            .await?;
        let mut zones = Vec::new();
        if let Some(list) = root.child("HostedZones") {
            for hosted in list.all("HostedZone") {
                let zone = zone_from(hosted, None)
                    .map_err(|e| e.or_provider(crate::PROVIDER).or_operation("ex_find_zones"))?;
                if same_name(&zone.domain, domain) {
                    self.remember(&zone.id, &zone.domain);
                    zones.push(zone);
                }
            }
        }
        Ok(zones)
    }

    /// Whether the change `change_id` (a record's `extra["change_id"]`, with or without the
    /// `/change/` prefix) has reached every Route 53 name server.
    pub async fn ex_get_change_status(&self, change_id: &str) -> Result<ChangeStatus> {
        let operation = "ex_get_change_status";
        let id = change_id.trim();
        let id = id.strip_prefix("/change/").unwrap_or(id);
        if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::not_found(ResourceKind::Other, change_id)
                .with_provider(crate::PROVIDER)
                .with_operation(operation));
        }
        let root = self
            .client
            .get(&format!("change/{id}"), &Target::zone(operation, ""))
            .await?;
        match root.at(&["ChangeInfo", "Status"]).map(|s| s.text.trim()) {
            Some("PENDING") => Ok(ChangeStatus::Pending),
            Some("INSYNC") => Ok(ChangeStatus::InSync),
            other => Err(Error::malformed(format!("unknown change status {other:?}"))
                .with_provider(crate::PROVIDER)
                .with_operation(operation)),
        }
    }

    fn remember(&self, zone_id: &str, domain: &str) {
        let mut map = self.domains.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= DOMAIN_CACHE_SIZE && !map.contains_key(zone_id) {
            map.clear();
        }
        map.insert(
            zone_id.to_string(),
            domain.trim_end_matches('.').to_string(),
        );
    }

    fn forget(&self, zone_id: &str) {
        self.domains
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(zone_id);
    }

    /// The domain of a zone: remembered, else read with `GetHostedZone`.
    async fn domain_of(&self, zone_id: &str) -> Result<String> {
        let known = self
            .domains
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(zone_id)
            .cloned();
        match known {
            Some(domain) => Ok(domain),
            None => Ok(self.get_zone(zone_id).await?.domain),
        }
    }

    async fn zones_page(&self, marker: Option<String>) -> Result<Page<Zone, String>> {
        let mut path = format!("hostedzone?maxitems={ZONES_PER_PAGE}");
        if let Some(m) = &marker {
            path.push_str("&marker=");
            path.push_str(&encode_component(m));
        }
        let root = self
            .client
            .get(&path, &Target::zone("iterate_zones", ""))
            .await?;
        let mut zones = Vec::new();
        if let Some(list) = root.child("HostedZones") {
            for hosted in list.all("HostedZone") {
                let zone = zone_from(hosted, None)
                    .map_err(|e| e.or_provider(crate::PROVIDER).or_operation("iterate_zones"))?;
                self.remember(&zone.id, &zone.domain);
                zones.push(zone);
            }
        }
        let next = if root.text_of("IsTruncated") == Some("true") {
            Some(
                root.required("NextMarker", "a truncated zone listing")
                    .map_err(|e| e.with_provider(crate::PROVIDER))?
                    .to_string(),
            )
        } else {
            None
        };
        Ok(Page::new(zones, next))
    }

    async fn sets_page(
        &self,
        zone_id: &str,
        token: Option<SetToken>,
        operation: &'static str,
    ) -> Result<Page<RecordSet, SetToken>> {
        let mut path = format!("hostedzone/{zone_id}/rrset?maxitems={RECORD_SETS_PER_PAGE}");
        if let Some(t) = &token {
            path.push_str(&format!(
                "&name={}&type={}",
                encode_component(&t.name),
                encode_component(&t.kind)
            ));
            if let Some(i) = &t.identifier {
                path.push_str(&format!("&identifier={}", encode_component(i)));
            }
        }
        let root = self
            .client
            .get(&path, &Target::zone(operation, zone_id))
            .await?;
        let next = if root.text_of("IsTruncated") == Some("true") {
            let bad = |e: Error| e.with_provider(crate::PROVIDER).with_operation(operation);
            Some(SetToken {
                name: root
                    .required("NextRecordName", "a truncated record listing")
                    .map_err(bad)?
                    .to_string(),
                kind: root
                    .required("NextRecordType", "a truncated record listing")
                    .map_err(bad)?
                    .to_string(),
                identifier: root.text_of("NextRecordIdentifier").map(str::to_string),
            })
        } else {
            None
        };
        let mut sets = Vec::new();
        if let Some(list) = root
            .children
            .into_iter()
            .find(|c| c.name == "ResourceRecordSets")
        {
            for element in list.children {
                if element.name == "ResourceRecordSet" {
                    sets.push(
                        RecordSet::from_element(element).map_err(|e| {
                            e.with_provider(crate::PROVIDER).with_operation(operation)
                        })?,
                    );
                }
            }
        }
        Ok(Page::new(sets, next))
    }

    /// The set `fqdn`/`kind` (with `identifier`, when given), if it exists.
    async fn fetch_set(
        &self,
        zone_id: &str,
        fqdn: &str,
        kind: RecordType,
        identifier: Option<&str>,
        target: &Target,
    ) -> Result<Option<RecordSet>> {
        let mut path = format!(
            "hostedzone/{zone_id}/rrset?name={}&type={}&maxitems=1",
            encode_component(fqdn),
            kind.as_str()
        );
        if let Some(i) = identifier {
            path.push_str(&format!("&identifier={}", encode_component(i)));
        }
        let root = self.client.get(&path, target).await?;
        let Some(list) = root.child("ResourceRecordSets") else {
            return Ok(None);
        };
        for element in list.all("ResourceRecordSet") {
            let set = RecordSet::from_element(element.clone())
                .map_err(|e| e.with_provider(crate::PROVIDER))?;
            if set.is(fqdn, kind.as_str(), identifier) {
                return Ok(Some(set));
            }
        }
        Ok(None)
    }

    /// Sends one change batch; returns the change id.
    async fn send_changes(
        &self,
        zone_id: &str,
        changes: &[Change],
        target: &Target,
    ) -> Result<Option<String>> {
        let body = change_batch_xml(changes);
        let root = self
            .client
            .post(&format!("hostedzone/{zone_id}/rrset"), body, target, false)
            .await?;
        Ok(change_id(&root))
    }

    /// Checks a spec and puts it in Route 53's form.
    fn prepare(&self, domain: &str, spec: &RecordSpec) -> Result<Prepared> {
        if !RECORD_TYPES.contains(&spec.record_type) {
            return Err(Error::unsupported("create_record").with_message(format!(
                "Route 53 does not take {} records",
                spec.record_type
            )));
        }
        let fqdn = fqdn(&spec.name, domain)?;
        let name = relative_name(&fqdn, domain);
        let ttl = spec
            .ttl
            .map_or_else(|| extra_ttl(&spec.extra), |t| Ok(Some(t)))?;
        let data = spec.data.trim().to_string();
        let alias = match extra_str(&spec.extra, "alias_hosted_zone_id") {
            Some(zone) => {
                if zone.is_empty() || !is_hostname(&data) {
                    return Err(Error::invalid_input(format!(
                        "an alias record needs a hosted zone id and a target host name, not {data:?}"
                    )));
                }
                let evaluate = spec
                    .extra
                    .get("alias_evaluate_target_health")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                Some((zone.to_string(), evaluate))
            }
            None => None,
        };
        let (value, priority) = if alias.is_some() {
            (None, None)
        } else {
            let value = encode_spec(spec)?;
            let (_, priority) = decode_value(spec.record_type, &value);
            (Some(value), priority)
        };
        Ok(Prepared {
            fqdn,
            name,
            kind: spec.record_type,
            value,
            alias,
            data,
            priority,
            ttl,
        })
    }

    /// Creates one prepared record: a new set, or (when the set exists) the set with the value
    /// added, replaced in one atomic batch.
    async fn create_prepared(
        &self,
        zone_id: &str,
        p: &Prepared,
        default_ttl: u32,
        operation: &'static str,
    ) -> Result<Record> {
        let target = Target::record(operation, zone_id, p.id());
        let ttl = p.ttl.unwrap_or(default_ttl);
        let first = self
            .send_changes(zone_id, &[Change::create(p.new_set(ttl))], &target)
            .await;
        let err = match first {
            Ok(change) => return Ok(p.record(zone_id, Some(ttl), change)),
            Err(e) if is_record_conflict(&e) && p.alias.is_none() => e,
            Err(e) => return Err(e),
        };
        let Some(existing) = self
            .fetch_set(zone_id, &p.fqdn, p.kind, None, &target)
            .await?
        else {
            return Err(err);
        };
        if existing.is_alias() || existing.find(&p.data, p.priority).is_some() {
            return Err(err);
        }
        let Some(value) = &p.value else {
            return Err(err);
        };
        let mut values = existing.values();
        values.push(value.clone());
        let ttl = p.ttl.or(existing.ttl()).unwrap_or(default_ttl);
        let merged = existing.with_values(&values, Some(ttl));
        let change = self
            .send_changes(
                zone_id,
                &[Change::delete(existing), Change::create(merged)],
                &target,
            )
            .await?;
        Ok(p.record(zone_id, Some(ttl), change))
    }

    /// The zone id, domain, current set and value index of `record`.
    async fn locate(
        &self,
        record: &Record,
        operation: &'static str,
    ) -> Result<(String, String, RecordSet, usize)> {
        let zone_id = valid_zone(&record.zone_id, operation)?.to_string();
        let (kind, name) =
            parse_record_id(&record.id).unwrap_or((record.record_type, record.name.as_str()));
        let domain = self.domain_of(&zone_id).await?;
        let fqdn = fqdn(name, &domain).map_err(|_| record_not_found(&record.id, operation))?;
        let identifier = extra_str(&record.extra, "set_identifier");
        let target = Target::record(operation, &zone_id, &record.id);
        let set = self
            .fetch_set(&zone_id, &fqdn, kind, identifier, &target)
            .await?
            .ok_or_else(|| record_not_found(&record.id, operation))?;
        let index = if set.is_alias() {
            let target_name = set
                .element()
                .at(&["AliasTarget", "DNSName"])
                .map(|e| e.text.trim().to_string())
                .unwrap_or_default();
            same_name(&target_name, &record.data).then_some(0)
        } else {
            set.find(&record.data, record.priority)
        };
        let index = index.ok_or_else(|| record_not_found(&record.id, operation))?;
        Ok((zone_id, domain, set, index))
    }

    /// The changes that take the value at `index` out of `set`.
    fn without_value(set: &RecordSet, index: usize) -> Vec<Change> {
        let mut values = set.values();
        if set.is_alias() || values.len() <= 1 {
            return vec![Change::delete(set.clone())];
        }
        values.remove(index);
        let rest = set.with_values(&values, None);
        vec![Change::delete(set.clone()), Change::create(rest)]
    }
}

#[async_trait]
impl DnsDriver for Route53Dns {
    fn name(&self) -> &str {
        crate::PROVIDER
    }

    fn capabilities(&self) -> DnsCapabilities {
        let mut caps = DnsCapabilities::default();
        caps.record_types = RECORD_TYPES.to_vec();
        caps.update_zone = false;
        caps.slave_zones = false;
        caps.record_ttl = true;
        caps.batch_create = true;
        caps
    }

    fn iterate_zones(&self) -> BoxStream<'_, Result<Zone>> {
        paginate(move |marker: Option<String>| self.zones_page(marker))
    }

    async fn get_zone(&self, zone_id: &str) -> Result<Zone> {
        let id = valid_zone(zone_id, "get_zone")?;
        let root = self
            .client
            .get(&format!("hostedzone/{id}"), &Target::zone("get_zone", id))
            .await?;
        let hosted = root.child("HostedZone").ok_or_else(|| {
            Error::malformed("the answer has no <HostedZone>")
                .with_provider(crate::PROVIDER)
                .with_operation("get_zone")
        })?;
        let zone = zone_from(hosted, root.child("DelegationSet"))
            .map_err(|e| e.with_provider(crate::PROVIDER).with_operation("get_zone"))?;
        self.remember(&zone.id, &zone.domain);
        Ok(zone)
    }

    /// Creates a public hosted zone, or a private one when `extra` names `vpc_id` (and
    /// `vpc_region`); `extra["comment"]` and `extra["delegation_set_id"]` are passed on.
    ///
    /// Route 53 itself allows several zones of one name; like the other drivers this one
    /// refuses a public zone whose domain already has one, with `AlreadyExists`.
    async fn create_zone(&self, request: &CreateZone) -> Result<Zone> {
        let operation = "create_zone";
        if request.zone_type == ZoneType::Slave {
            return Err(Error::unsupported(operation)
                .with_provider(crate::PROVIDER)
                .with_message("Route 53 has no secondary (slave) zones"));
        }
        let domain = request.domain.trim().trim_end_matches('.');
        if !is_hostname(domain) {
            return Err(
                Error::invalid_input(format!("{domain:?} is not a domain name"))
                    .with_provider(crate::PROVIDER)
                    .with_operation(operation),
            );
        }
        let vpc_id = extra_str(&request.extra, "vpc_id");
        if vpc_id.is_none() {
            let existing = self.ex_find_zones(domain).await?;
            if existing
                .iter()
                .any(|z| z.extra.get("private_zone") != Some(&json!(true)))
            {
                return Err(Error::already_exists(ResourceKind::Zone, domain)
                    .with_provider(crate::PROVIDER)
                    .with_operation(operation));
            }
        }
        let reference = caller_reference();
        let mut body = Element::new("CreateHostedZoneRequest")
            .with(Element::text("Name", format!("{domain}.")));
        if let Some(vpc) = vpc_id {
            let mut element = Element::new("VPC");
            if let Some(region) = extra_str(&request.extra, "vpc_region") {
                element = element.with(Element::text("VPCRegion", region));
            }
            body = body.with(element.with(Element::text("VPCId", vpc)));
        }
        body = body.with(Element::text("CallerReference", reference.clone()));
        let comment = extra_str(&request.extra, "comment");
        if comment.is_some() || vpc_id.is_some() {
            let mut config = Element::new("HostedZoneConfig");
            if let Some(c) = comment {
                config = config.with(Element::text("Comment", c));
            }
            if vpc_id.is_some() {
                config = config.with(Element::text("PrivateZone", "true"));
            }
            body = body.with(config);
        }
        if let Some(set) = extra_str(&request.extra, "delegation_set_id") {
            body = body.with(Element::text("DelegationSetId", set));
        }
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let mut inner = String::new();
        body.write(&mut inner);
        // The root element carries the namespace.
        xml.push_str(&inner.replacen(
            "<CreateHostedZoneRequest>",
            &format!("<CreateHostedZoneRequest xmlns=\"{NAMESPACE}\">"),
            1,
        ));
        let target = Target::zone(operation, domain);
        // The caller reference makes the call safe to retry: a second zone is never created.
        let root = match self.client.post("hostedzone", xml, &target, true).await {
            Ok(root) => root,
            Err(e) if matches!(e.kind(), ErrorKind::AlreadyExists { .. }) => {
                // A retry whose first attempt succeeded: the zone is ours.
                let zones = self.ex_find_zones(domain).await?;
                return zones
                    .into_iter()
                    .find(|z| z.extra.get("caller_reference") == Some(&json!(reference)))
                    .ok_or(e);
            }
            Err(e) => return Err(e),
        };
        let hosted = root.child("HostedZone").ok_or_else(|| {
            Error::malformed("the answer has no <HostedZone>")
                .with_provider(crate::PROVIDER)
                .with_operation(operation)
        })?;
        let mut zone = zone_from(hosted, root.child("DelegationSet"))
            .map_err(|e| e.with_provider(crate::PROVIDER).with_operation(operation))?;
        if let Some(change) = change_id(&root) {
            zone.extra.insert("change_id".into(), json!(change));
        }
        self.remember(&zone.id, &zone.domain);
        Ok(zone)
    }

    async fn delete_zone(&self, zone: &Zone) -> Result<()> {
        self.ex_delete_zone(zone, true).await
    }

    fn iterate_records<'a>(&'a self, zone: &'a Zone) -> BoxStream<'a, Result<Record>> {
        paginate(move |token: Option<SetToken>| async move {
            let zone_id = valid_zone(&zone.id, "iterate_records")?;
            self.remember(zone_id, &zone.domain);
            let page = self.sets_page(zone_id, token, "iterate_records").await?;
            let records = page
                .items
                .iter()
                .flat_map(|set| set.to_records(zone_id, &zone.domain))
                .collect();
            Ok(Page::new(records, page.next))
        })
    }

    /// Reads the set of a `TYPE:name` id (the first value of a set with several); an id that
    /// is not of that form, or names nothing, is `NotFound` of the record.
    async fn get_record(&self, zone_id: &str, record_id: &str) -> Result<Record> {
        let operation = "get_record";
        let zone_id = valid_zone(zone_id, operation)?;
        let (kind, name) =
            parse_record_id(record_id).ok_or_else(|| record_not_found(record_id, operation))?;
        let domain = self.domain_of(zone_id).await?;
        let fqdn = fqdn(name, &domain).map_err(|_| record_not_found(record_id, operation))?;
        let target = Target::record(operation, zone_id, record_id);
        self.fetch_set(zone_id, &fqdn, kind, None, &target)
            .await?
            .and_then(|set| set.to_records(zone_id, &domain).into_iter().next())
            .ok_or_else(|| record_not_found(record_id, operation))
    }

    /// Creates a record with one `CREATE` change. When the set exists with other values, the
    /// value is added to it (the set replaced by a DELETE and a CREATE in one atomic batch);
    /// when it already holds the value, that is `AlreadyExists` of the record.
    ///
    /// The TTL is the spec's (or `extra["ttl"]`), else the zone's, else [`DEFAULT_TTL`]. An
    /// alias record is made by naming the target's zone in `extra["alias_hosted_zone_id"]`,
    /// with the target host name as data.
    async fn create_record(&self, zone: &Zone, record: &RecordSpec) -> Result<Record> {
        let operation = "create_record";
        let zone_id = valid_zone(&zone.id, operation)?;
        self.remember(zone_id, &zone.domain);
        let prepared = self
            .prepare(&zone.domain, record)
            .map_err(|e| e.or_provider(crate::PROVIDER).or_operation(operation))?;
        self.create_prepared(
            zone_id,
            &prepared,
            zone.ttl.unwrap_or(DEFAULT_TTL),
            operation,
        )
        .await
    }

    /// Creates many records in as few `ChangeResourceRecordSets` requests as Route 53's
    /// [batch limits](BatchLimits) allow (1,000 values per request by default). Records of one
    /// name and type become one set with several values.
    ///
    /// The whole input is checked first, and nothing is sent when a record is invalid, names a
    /// type Route 53 does not take, repeats another of the input (`AlreadyExists`), or gives a
    /// set two different TTLs. Each request is atomic; when one fails because a set exists
    /// already, its records are created one at a time instead (adding values to existing sets),
    /// stopping at the first error as the one-by-one default does. Requests before a failed one
    /// stay applied. Records come back in input order.
    async fn create_records(&self, zone: &Zone, records: &[RecordSpec]) -> Result<Vec<Record>> {
        let operation = "create_records";
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let zone_id = valid_zone(&zone.id, operation)?;
        self.remember(zone_id, &zone.domain);
        let fail = |e: Error| e.or_provider(crate::PROVIDER).or_operation(operation);
        let prepared: Vec<Prepared> = records
            .iter()
            .map(|spec| self.prepare(&zone.domain, spec))
            .collect::<Result<_>>()
            .map_err(fail)?;

        // One group per name and type, in order of first appearance.
        struct Group {
            members: Vec<usize>,
            ttl: Option<u32>,
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut by_key: HashMap<(String, RecordType), usize> = HashMap::new();
        for (i, p) in prepared.iter().enumerate() {
            let key = (p.fqdn.trim_end_matches('.').to_ascii_lowercase(), p.kind);
            let Some(&g) = by_key.get(&key) else {
                by_key.insert(key, groups.len());
                groups.push(Group {
                    members: vec![i],
                    ttl: p.ttl,
                });
                continue;
            };
            let group = &mut groups[g];
            let first = &prepared[group.members[0]];
            if p.alias.is_some() || first.alias.is_some() {
                return Err(fail(Error::invalid_input(format!(
                    "the alias record {} {} is given more than once",
                    p.kind, p.fqdn
                ))));
            }
            let set = RecordSet::new(
                &p.fqdn,
                p.kind,
                0,
                &group
                    .members
                    .iter()
                    .filter_map(|&m| prepared[m].value.clone())
                    .collect::<Vec<_>>(),
            );
            if set.find(&p.data, p.priority).is_some() {
                return Err(fail(
                    Error::already_exists(ResourceKind::Record, p.id()).with_message(format!(
                        "{} {:?} is given twice",
                        p.id(),
                        p.data
                    )),
                ));
            }
            match (group.ttl, p.ttl) {
                (Some(a), Some(b)) if a != b => {
                    return Err(fail(Error::invalid_input(format!(
                        "the records {} are given two TTLs, {a} and {b}",
                        p.id()
                    ))));
                }
                (None, Some(b)) => group.ttl = Some(b),
                _ => {}
            }
            group.members.push(i);
        }

        let default_ttl = zone.ttl.unwrap_or(DEFAULT_TTL);
        let units: Vec<Vec<Change>> = groups
            .iter()
            .map(|g| {
                let first = &prepared[g.members[0]];
                let ttl = g.ttl.unwrap_or(default_ttl);
                let set = if first.alias.is_some() {
                    first.new_set(ttl)
                } else {
                    let values: Vec<String> = g
                        .members
                        .iter()
                        .filter_map(|&m| prepared[m].value.clone())
                        .collect();
                    RecordSet::new(&first.fqdn, first.kind, ttl, &values)
                };
                vec![Change::create(set)]
            })
            .collect();
        let batches = plan(units, &self.limits).map_err(fail)?;

        let mut out: Vec<Option<Record>> = vec![None; prepared.len()];
        let mut next_group = 0;
        for batch in batches {
            let in_batch = &groups[next_group..next_group + batch.len()];
            next_group += batch.len();
            let first_id = prepared[in_batch[0].members[0]].id();
            let target = Target::record(operation, zone_id, first_id);
            match self.send_changes(zone_id, &batch, &target).await {
                Ok(change) => {
                    for group in in_batch {
                        let ttl = group.ttl.unwrap_or(default_ttl);
                        for &m in &group.members {
                            out[m] = Some(prepared[m].record(zone_id, Some(ttl), change.clone()));
                        }
                    }
                }
                Err(e) if is_record_conflict(&e) => {
                    let mut members: Vec<usize> =
                        in_batch.iter().flat_map(|g| g.members.clone()).collect();
                    members.sort_unstable();
                    for m in members {
                        let record = self
                            .create_prepared(zone_id, &prepared[m], default_ttl, operation)
                            .await?;
                        out[m] = Some(record);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Replaces one value of a set (or moves it to another name or type), in one atomic
    /// batch that repeats the old set exactly. A record that is no longer there is `NotFound`;
    /// a new name and type whose set already holds the data is `AlreadyExists`.
    async fn update_record(&self, record: &Record, changes: &RecordSpec) -> Result<Record> {
        let operation = "update_record";
        let (zone_id, domain, set, index) = self.locate(record, operation).await?;
        let p = self
            .prepare(&domain, changes)
            .map_err(|e| e.or_provider(crate::PROVIDER).or_operation(operation))?;
        let target = Target::record(operation, &zone_id, &record.id);
        let same_set = set.is(&p.fqdn, p.kind.as_str(), None);
        let old_values = set.values();
        if (p.alias.is_some() || set.is_alias()) && old_values.len() > 1 {
            return Err(Error::invalid_input(
                "one value of a set with several cannot become an alias, nor the reverse",
            )
            .with_provider(crate::PROVIDER)
            .with_operation(operation));
        }
        let mut batch = Vec::new();
        let ttl;
        if same_set && p.alias.is_none() && !set.is_alias() {
            let Some(value) = &p.value else {
                return Err(record_not_found(&record.id, operation));
            };
            let mut values = old_values;
            match set.find(&p.data, p.priority) {
                Some(j) if j != index => {
                    values.remove(index);
                }
                _ => values[index] = value.clone(),
            }
            ttl = p.ttl.or(set.ttl()).unwrap_or(DEFAULT_TTL);
            let replaced = set.with_values(&values, Some(ttl));
            if replaced == set {
                return Ok(p.record(&zone_id, Some(ttl), None));
            }
            batch.push(Change::delete(set));
            batch.push(Change::create(replaced));
        } else {
            ttl = p.ttl.or(set.ttl()).unwrap_or(DEFAULT_TTL);
            batch.extend(Self::without_value(&set, index));
            let existing = if same_set {
                None
            } else {
                self.fetch_set(&zone_id, &p.fqdn, p.kind, None, &target)
                    .await?
            };
            match existing {
                None => batch.push(Change::create(p.new_set(ttl))),
                Some(other) => {
                    if other.is_alias()
                        || p.alias.is_some()
                        || other.find(&p.data, p.priority).is_some()
                    {
                        return Err(Error::already_exists(ResourceKind::Record, p.id())
                            .with_provider(crate::PROVIDER)
                            .with_operation(operation));
                    }
                    let mut values = other.values();
                    values.extend(p.value.clone());
                    let merged = other.with_values(&values, p.ttl);
                    batch.push(Change::delete(other));
                    batch.push(Change::create(merged));
                }
            }
        }
        let change = self.send_changes(&zone_id, &batch, &target).await?;
        Ok(p.record(&zone_id, Some(ttl), change))
    }

    /// Deletes one value: the whole set when it is the last one, else the set replaced by the
    /// others in one atomic batch. The DELETE repeats the set's TTL and values exactly, as
    /// Route 53 requires.
    async fn delete_record(&self, record: &Record) -> Result<()> {
        let operation = "delete_record";
        let (zone_id, _, set, index) = self.locate(record, operation).await?;
        let target = Target::record(operation, &zone_id, &record.id);
        self.send_changes(&zone_id, &Self::without_value(&set, index), &target)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn zone_ids() {
        assert_eq!(hosted_zone_id("Z1D633PJN98FT9"), Some("Z1D633PJN98FT9"));
        assert_eq!(hosted_zone_id("/hostedzone/47234"), Some("47234"));
        for bad in ["", "a.example.com", "Z/1", &"Z".repeat(33), "../x"] {
            assert_eq!(hosted_zone_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn caller_references_differ() {
        assert_ne!(caller_reference(), caller_reference());
        assert!(caller_reference().len() <= 128);
    }
}
