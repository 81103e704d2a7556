//! The Zerigo DNS driver.

use futures::stream::BoxStream;
use http::Method;
use libcloud_core::dns::validate_record_data;
use libcloud_core::paging::{Page, paginate};
use libcloud_core::{
    CreateZone, DnsCapabilities, DnsDriver, Error, Extra, Record, RecordSpec, RecordType,
    ResourceKind, Result, Transport, Zone, ZoneType, async_trait,
};
use serde_json::Value;

use crate::client::{Client, PROVIDER, Reply, Target, encode};
use crate::config::ZerigoConfig;
use crate::xml::{self, HostBody, ZoneBody};

/// How many zones or records one listing request asks for (Zerigo allows up to 1000).
pub const ITEMS_PER_PAGE: u32 = 100;

/// The record types Zerigo takes, as Libcloud lists them.
pub const RECORD_TYPES: &[RecordType] = &[
    RecordType::A,
    RecordType::Aaaa,
    RecordType::Cname,
    RecordType::Geo,
    RecordType::Mx,
    RecordType::Naptr,
    RecordType::Ns,
    RecordType::Ptr,
    RecordType::Redirect,
    RecordType::Spf,
    RecordType::Srv,
    RecordType::Txt,
    RecordType::Url,
];

/// A [`DnsDriver`] for Zerigo's DNS API 1.1.
///
/// Built from a [`ZerigoConfig`] and any [`Transport`]. Zone and record ids are Zerigo's
/// numbers, as text. Provider-only operations are the `ex_*` methods.
///
/// Zone options go in [`CreateZone::extra`] under Zerigo's names: `notes`, `hostmaster`,
/// `tags` (or `tag-list`: a list of strings, or one string of space-separated tags),
/// `nx-ttl`, `ns1` (the primary server's address; required for a slave zone),
/// `slave-nameservers` (a comma-separated string or a list) and `ns-type` (`pri_sec`, `pri` or
/// `sec`, overriding what the zone type implies). Record notes go in [`RecordSpec::extra`]
/// under `notes`. Other keys are ignored.
#[derive(Clone, Debug)]
pub struct ZerigoDns {
    client: Client,
}

fn zone_target(operation: &'static str, id: &str) -> Target {
    Target::new(operation, ResourceKind::Zone, id)
}

fn record_target(operation: &'static str, id: &str) -> Target {
    Target::new(operation, ResourceKind::Record, id)
}

/// Refuses an empty id before it turns into a path such as `zones/.xml`.
fn check_id(id: &str, what: &str, operation: &'static str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::invalid_input(format!("the {what} id is empty"))
            .with_provider(PROVIDER)
            .with_operation(operation));
    }
    Ok(())
}

/// The page after `page`, from Zerigo's `X-Query-Count` total; `None` on the last page.
///
/// A missing count means one page (as Libcloud reads it); an empty page also ends the listing,
/// so a server that keeps claiming more cannot loop it forever.
fn next_page(reply: &Reply, page: u32, items_on_page: usize) -> Result<Option<u32>> {
    let Some(value) = reply.headers.get("x-query-count") else {
        return Ok(None);
    };
    let count: u64 = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            Error::malformed(format!("X-Query-Count {value:?} is not a number"))
                .with_provider(PROVIDER)
        })?;
    if items_on_page == 0 || u64::from(page) * u64::from(ITEMS_PER_PAGE) >= count {
        Ok(None)
    } else {
        Ok(page.checked_add(1))
    }
}

fn page_query(page: u32) -> [(&'static str, String); 2] {
    [
        ("per_page", ITEMS_PER_PAGE.to_string()),
        ("page", page.to_string()),
    ]
}

/// Reads a string option from `extra`.
fn extra_str<'a>(extra: &'a Extra, key: &str) -> Result<Option<&'a str>> {
    match extra.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Error::invalid_input(format!(
            "extra {key:?} must be a string, not {other}"
        ))),
    }
}

/// Reads a list of strings (or one string split at `sep`) from `extra`.
fn extra_list(extra: &Extra, key: &str, sep: char) -> Result<Option<Vec<String>>> {
    match extra.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(
            s.split(sep)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
        )),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(Error::invalid_input(format!(
                    "extra {key:?} must hold strings, not {other}"
                ))),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(other) => Err(Error::invalid_input(format!(
            "extra {key:?} must be a string or a list of strings, not {other}"
        ))),
    }
}

fn extra_u32(extra: &Extra, key: &str) -> Result<Option<u32>> {
    match extra.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                Error::invalid_input(format!("extra {key:?} must be a whole number, not {v}"))
            }),
    }
}

/// The `<zone>` body for a new zone or for changes to one.
///
/// `ns_type` is what the zone type implies unless `extra["ns-type"]` says otherwise; a
/// secondary zone needs `ns1`, a primary-only one (`pri`) needs `slave-nameservers`.
fn zone_body<'a>(
    domain: Option<&'a str>,
    zone_type: Option<ZoneType>,
    ttl: Option<u32>,
    extra: &'a Extra,
) -> Result<ZoneBody<'a>> {
    let ns1 = extra_str(extra, "ns1")?;
    let slaves = extra_list(extra, "slave-nameservers", ',')?;
    let ns_type = match extra_str(extra, "ns-type")? {
        Some(t @ ("pri_sec" | "pri" | "sec")) => Some(t),
        Some(other) => {
            return Err(Error::invalid_input(format!(
                "extra \"ns-type\" must be pri_sec, pri or sec, not {other:?}"
            )));
        }
        None => zone_type.map(|t| match t {
            ZoneType::Master => "pri_sec",
            ZoneType::Slave => "sec",
        }),
    };
    if ns_type == Some("sec") && ns1.is_none() {
        return Err(Error::invalid_input(
            "a slave zone needs extra \"ns1\": the address of its primary name server",
        ));
    }
    if ns_type == Some("pri") && slaves.as_ref().is_none_or(Vec::is_empty) {
        return Err(Error::invalid_input(
            "ns-type \"pri\" needs extra \"slave-nameservers\"",
        ));
    }
    let tags = match extra_list(extra, "tags", ' ')? {
        Some(tags) => Some(tags),
        None => extra_list(extra, "tag-list", ' ')?,
    };
    if let Some(ttl) = ttl {
        check_ttl(ttl)?;
    }
    Ok(ZoneBody {
        domain,
        ns_type,
        default_ttl: ttl,
        ns1,
        slave_nameservers: slaves.map(|s| s.join(",")),
        hostmaster: extra_str(extra, "hostmaster")?,
        notes: extra_str(extra, "notes")?,
        tags,
        nx_ttl: extra_u32(extra, "nx-ttl")?,
    })
}

/// Zerigo refuses TTLs under 60 seconds; say so before asking.
fn check_ttl(ttl: u32) -> Result<()> {
    if ttl < 60 {
        return Err(Error::invalid_input(format!(
            "a TTL of {ttl} s is below Zerigo's minimum of 60 s"
        )));
    }
    Ok(())
}

/// Checks a record against what Zerigo takes.
fn check_record(spec: &RecordSpec) -> Result<()> {
    if !RECORD_TYPES.contains(&spec.record_type) {
        return Err(Error::unsupported(format!(
            "{} records (Zerigo takes {})",
            spec.record_type,
            RECORD_TYPES
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if spec.name.ends_with('.') || spec.name.contains(char::is_whitespace) {
        return Err(Error::invalid_input(format!(
            "record name {:?} must be relative to the zone, without spaces or a trailing dot",
            spec.name
        )));
    }
    validate_record_data(spec.record_type, &spec.data)?;
    if let Some(ttl) = spec.ttl {
        check_ttl(ttl)?;
    }
    Ok(())
}

impl ZerigoDns {
    /// A driver that sends its requests through `transport`.
    ///
    /// Fails with [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput) when the
    /// endpoint is not an `http`/`https` URL or the e-mail address cannot be used for Basic
    /// authentication.
    pub fn with_transport(config: ZerigoConfig, transport: Transport) -> Result<Self> {
        Ok(ZerigoDns {
            client: Client::new(&config, transport)?,
        })
    }

    /// A driver that sends its requests through libcloud's default HTTP transport
    /// ([`libcloud_http::default_transport`]: pooled connections, timeouts, and retries of
    /// idempotent requests).
    ///
    /// Fails as [`ZerigoDns::with_transport`] does, or when the transport cannot be built.
    pub fn new(config: ZerigoConfig) -> Result<Self> {
        let transport = libcloud_http::default_transport().map_err(|e| e.or_provider(PROVIDER))?;
        Self::with_transport(config, transport)
    }

    /// The base URL requests go to, ending in `/`.
    pub fn endpoint(&self) -> &str {
        self.client.base()
    }

    /// One zone by its domain name instead of its id (Libcloud's `ex_get_zone_by_domain`).
    pub async fn ex_get_zone_by_domain(&self, domain: &str) -> Result<Zone> {
        let domain = domain.trim_end_matches('.');
        check_id(domain, "zone domain", "ex_get_zone_by_domain")?;
        let target = zone_target("ex_get_zone_by_domain", domain);
        let path = format!("zones/{}.xml", encode(domain));
        let reply = self
            .client
            .call(Method::GET, &path, &[], None, &target)
            .await?;
        xml::parse_zone(&reply.body).map_err(|e| self.tag(e, &target))
    }

    /// Asks Zerigo to transfer a slave zone from its primary now (Libcloud's
    /// `ex_force_slave_axfr`); returns the zone unchanged.
    pub async fn ex_force_slave_axfr(&self, zone: &Zone) -> Result<Zone> {
        check_id(&zone.id, "zone", "ex_force_slave_axfr")?;
        let target = zone_target("ex_force_slave_axfr", &zone.id);
        let path = format!("zones/{}/force_slave_axfr.xml", encode(&zone.id));
        self.client
            .call(Method::POST, &path, &[], None, &target)
            .await?;
        Ok(zone.clone())
    }

    fn tag(&self, err: Error, target: &Target) -> Error {
        err.or_provider(PROVIDER).or_operation(target.operation)
    }

    async fn zones_page(&self, page: u32) -> Result<Page<Zone, u32>> {
        let target = zone_target("list_zones", "");
        let reply = self
            .client
            .call(Method::GET, "zones.xml", &page_query(page), None, &target)
            .await?;
        let zones = xml::parse_zones(&reply.body).map_err(|e| self.tag(e, &target))?;
        let next = next_page(&reply, page, zones.len()).map_err(|e| self.tag(e, &target))?;
        Ok(Page::new(zones, next))
    }

    async fn records_page(&self, zone: &Zone, page: u32) -> Result<Page<Record, u32>> {
        check_id(&zone.id, "zone", "list_records")?;
        let target = zone_target("list_records", &zone.id);
        let path = format!("zones/{}/hosts.xml", encode(&zone.id));
        let reply = self
            .client
            .call(Method::GET, &path, &page_query(page), None, &target)
            .await?;
        let records =
            xml::parse_records(&reply.body, &zone.id).map_err(|e| self.tag(e, &target))?;
        let next = next_page(&reply, page, records.len()).map_err(|e| self.tag(e, &target))?;
        Ok(Page::new(records, next))
    }
}

#[async_trait]
impl DnsDriver for ZerigoDns {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> DnsCapabilities {
        let mut caps = DnsCapabilities::default();
        caps.record_types = RECORD_TYPES.to_vec();
        caps.update_zone = true;
        caps.slave_zones = true;
        caps.record_ttl = true;
        caps.batch_create = false;
        caps
    }

    fn iterate_zones(&self) -> BoxStream<'_, Result<Zone>> {
        paginate(move |page: Option<u32>| self.zones_page(page.unwrap_or(1)))
    }

    async fn get_zone(&self, zone_id: &str) -> Result<Zone> {
        check_id(zone_id, "zone", "get_zone")?;
        let target = zone_target("get_zone", zone_id);
        let path = format!("zones/{}.xml", encode(zone_id));
        let reply = self
            .client
            .call(Method::GET, &path, &[], None, &target)
            .await?;
        xml::parse_zone(&reply.body).map_err(|e| self.tag(e, &target))
    }

    async fn create_zone(&self, request: &CreateZone) -> Result<Zone> {
        let target = zone_target("create_zone", &request.domain);
        let domain = request.domain.trim_end_matches('.');
        if !libcloud_core::dns::is_hostname(domain) {
            return Err(self.tag(
                Error::invalid_input(format!("{:?} is not a valid domain", request.domain)),
                &target,
            ));
        }
        let body = zone_body(
            Some(domain),
            Some(request.zone_type),
            request.ttl,
            &request.extra,
        )
        .map_err(|e| self.tag(e, &target))?
        .to_xml();
        let reply = self
            .client
            .call(Method::POST, "zones.xml", &[], Some(body), &target)
            .await?;
        xml::parse_zone(&reply.body).map_err(|e| self.tag(e, &target))
    }

    /// Changes a zone's type, default TTL or options; the domain cannot change.
    ///
    /// Zerigo answers an update with an empty body, so the zone returned is `zone` with the
    /// changes applied (or Zerigo's own copy when it sends one).
    async fn update_zone(&self, zone: &Zone, changes: &CreateZone) -> Result<Zone> {
        check_id(&zone.id, "zone", "update_zone")?;
        let target = zone_target("update_zone", &zone.id);
        let new_domain = changes.domain.trim_end_matches('.');
        if !new_domain.is_empty() && !new_domain.eq_ignore_ascii_case(&zone.domain) {
            return Err(self.tag(
                Error::invalid_input("Zerigo cannot change a zone's domain"),
                &target,
            ));
        }
        // Send the type only when it changes, so a "pri" zone is not turned into "pri_sec".
        let zone_type = (changes.zone_type != zone.zone_type).then_some(changes.zone_type);
        let body = zone_body(None, zone_type, changes.ttl, &changes.extra)
            .map_err(|e| self.tag(e, &target))?;
        let xml_body = body.to_xml();
        let path = format!("zones/{}.xml", encode(&zone.id));
        let reply = self
            .client
            .call(Method::PUT, &path, &[], Some(xml_body), &target)
            .await?;
        if !reply.body.iter().all(u8::is_ascii_whitespace) {
            return xml::parse_zone(&reply.body).map_err(|e| self.tag(e, &target));
        }
        let mut updated = zone.clone();
        updated.zone_type = changes.zone_type;
        if changes.ttl.is_some() {
            updated.ttl = changes.ttl;
        }
        let set = |extra: &mut Extra, key: &str, value: Option<Value>| {
            if let Some(value) = value {
                extra.insert(key.to_string(), value);
            }
        };
        let extra = &mut updated.extra;
        set(extra, "ns_type", body.ns_type.map(Value::from));
        set(extra, "ns1", body.ns1.map(Value::from));
        set(
            extra,
            "slave_nameservers",
            body.slave_nameservers.map(Value::from),
        );
        set(extra, "hostmaster", body.hostmaster.map(Value::from));
        set(extra, "notes", body.notes.map(Value::from));
        set(extra, "nx_ttl", body.nx_ttl.map(Value::from));
        set(
            extra,
            "tags",
            body.tags
                .map(|t| Value::Array(t.into_iter().map(Value::from).collect())),
        );
        Ok(updated)
    }

    async fn delete_zone(&self, zone: &Zone) -> Result<()> {
        check_id(&zone.id, "zone", "delete_zone")?;
        let target = zone_target("delete_zone", &zone.id);
        let path = format!("zones/{}.xml", encode(&zone.id));
        self.client
            .call(Method::DELETE, &path, &[], None, &target)
            .await?;
        Ok(())
    }

    fn iterate_records<'a>(&'a self, zone: &'a Zone) -> BoxStream<'a, Result<Record>> {
        paginate(move |page: Option<u32>| self.records_page(zone, page.unwrap_or(1)))
    }

    /// Reads the zone first (so an unknown zone is `NotFound` of the zone, as in Libcloud),
    /// then the record; a record that belongs to another zone is `NotFound` of the record.
    async fn get_record(&self, zone_id: &str, record_id: &str) -> Result<Record> {
        check_id(record_id, "record", "get_record")?;
        let zone = self.get_zone(zone_id).await?;
        let target = record_target("get_record", record_id);
        let path = format!("hosts/{}.xml", encode(record_id));
        let reply = self
            .client
            .call(Method::GET, &path, &[], None, &target)
            .await?;
        let record = xml::parse_record(&reply.body, &zone.id).map_err(|e| self.tag(e, &target))?;
        if record.zone_id != zone.id {
            return Err(self.tag(
                Error::not_found(ResourceKind::Record, record_id).with_message(format!(
                    "record {record_id} belongs to zone {}, not {}",
                    record.zone_id, zone.id
                )),
                &target,
            ));
        }
        Ok(record)
    }

    async fn create_record(&self, zone: &Zone, record: &RecordSpec) -> Result<Record> {
        check_id(&zone.id, "zone", "create_record")?;
        let target = record_target("create_record", &record.name);
        check_record(record).map_err(|e| self.tag(e, &target))?;
        let notes = extra_str(&record.extra, "notes").map_err(|e| self.tag(e, &target))?;
        let body = HostBody {
            // Zerigo leaves the hostname out for the apex.
            hostname: (!record.name.is_empty()).then_some(record.name.as_str()),
            host_type: record.record_type.as_str(),
            data: &record.data,
            ttl: record.ttl,
            priority: record.priority,
            notes,
        }
        .to_xml();
        let path = format!("zones/{}/hosts.xml", encode(&zone.id));
        // A 404 here means the zone is gone; a name that is taken is about the record.
        let post_target = zone_target("create_record", &zone.id)
            .on_conflict(ResourceKind::Record, record.name.clone());
        let reply = self
            .client
            .call(Method::POST, &path, &[], Some(body), &post_target)
            .await?;
        xml::parse_record(&reply.body, &zone.id).map_err(|e| self.tag(e, &target))
    }

    /// Replaces a record's name, type, data, TTL and priority.
    ///
    /// Zerigo answers an update with an empty body, so the record returned is `record` with
    /// the changes applied (or Zerigo's own copy when it sends one).
    async fn update_record(&self, record: &Record, changes: &RecordSpec) -> Result<Record> {
        check_id(&record.id, "record", "update_record")?;
        let target = record_target("update_record", &record.id);
        check_record(changes).map_err(|e| self.tag(e, &target))?;
        let notes = extra_str(&changes.extra, "notes").map_err(|e| self.tag(e, &target))?;
        let body = HostBody {
            hostname: Some(changes.name.as_str()),
            host_type: changes.record_type.as_str(),
            data: &changes.data,
            ttl: changes.ttl,
            priority: changes.priority,
            notes,
        }
        .to_xml();
        let path = format!("hosts/{}.xml", encode(&record.id));
        let reply = self
            .client
            .call(Method::PUT, &path, &[], Some(body), &target)
            .await?;
        if !reply.body.iter().all(u8::is_ascii_whitespace) {
            return xml::parse_record(&reply.body, &record.zone_id)
                .map_err(|e| self.tag(e, &target));
        }
        let mut updated = record.clone();
        if updated.name != changes.name {
            // The fully qualified name Zerigo gave no longer holds.
            updated.extra.remove("fqdn");
        }
        updated.name = changes.name.clone();
        updated.record_type = changes.record_type;
        updated.data = changes.data.clone();
        updated.ttl = changes.ttl;
        updated.priority = changes.priority;
        if let Some(notes) = notes {
            updated.extra.insert("notes".into(), Value::from(notes));
        }
        Ok(updated)
    }

    async fn delete_record(&self, record: &Record) -> Result<()> {
        check_id(&record.id, "record", "delete_record")?;
        let target = record_target("delete_record", &record.id);
        let path = format!("hosts/{}.xml", encode(&record.id));
        self.client
            .call(Method::DELETE, &path, &[], None, &target)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    fn reply(count: Option<&str>) -> Reply {
        let mut headers = http::HeaderMap::new();
        if let Some(c) = count {
            headers.insert("x-query-count", c.parse().unwrap());
        }
        Reply {
            headers,
            body: bytes::Bytes::new(),
        }
    }

    #[test]
    fn paging_follows_the_query_count() {
        assert_eq!(next_page(&reply(None), 1, 100).unwrap(), None);
        assert_eq!(next_page(&reply(Some("100")), 1, 100).unwrap(), None);
        assert_eq!(next_page(&reply(Some("101")), 1, 100).unwrap(), Some(2));
        assert_eq!(next_page(&reply(Some("250")), 2, 100).unwrap(), Some(3));
        assert_eq!(next_page(&reply(Some("250")), 3, 50).unwrap(), None);
        // A server that claims more but sends nothing does not loop.
        assert_eq!(next_page(&reply(Some("999")), 4, 0).unwrap(), None);
        let err = next_page(&reply(Some("many")), 1, 1).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    }

    #[test]
    fn zone_bodies_follow_the_zone_type() {
        let none = Extra::new();
        let body = zone_body(
            Some("example.com"),
            Some(ZoneType::Master),
            Some(600),
            &none,
        )
        .unwrap()
        .to_xml();
        assert_eq!(
            body,
            "<zone><domain>example.com</domain><ns-type>pri_sec</ns-type>\
             <default-ttl type=\"integer\">600</default-ttl></zone>"
        );

        let err = zone_body(Some("example.com"), Some(ZoneType::Slave), None, &none).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);

        let mut extra = Extra::new();
        extra.insert("ns1".into(), "192.0.2.1".into());
        extra.insert("tag-list".into(), "a b".into());
        extra.insert("notes".into(), "n".into());
        let body = zone_body(Some("example.com"), Some(ZoneType::Slave), None, &extra)
            .unwrap()
            .to_xml();
        assert_eq!(
            body,
            "<zone><domain>example.com</domain><ns-type>sec</ns-type><ns1>192.0.2.1</ns1>\
             <notes>n</notes><tag-list>a b</tag-list></zone>"
        );

        let mut extra = Extra::new();
        extra.insert("ns-type".into(), "pri".into());
        assert!(zone_body(None, None, None, &extra).is_err());
        extra.insert(
            "slave-nameservers".into(),
            serde_json::json!(["ns1.example.net", "ns2.example.net"]),
        );
        let body = zone_body(None, None, None, &extra).unwrap().to_xml();
        assert_eq!(
            body,
            "<zone><ns-type>pri</ns-type>\
             <slave-nameservers>ns1.example.net,ns2.example.net</slave-nameservers></zone>"
        );
        extra.insert("ns-type".into(), "primary".into());
        assert!(zone_body(None, None, None, &extra).is_err());
    }

    #[test]
    fn zone_options_of_the_wrong_shape_are_refused() {
        for (key, value) in [
            ("notes", serde_json::json!(5)),
            ("tags", serde_json::json!([1, 2])),
            ("nx-ttl", serde_json::json!("soon")),
            ("nx-ttl", serde_json::json!(-1)),
        ] {
            let mut extra = Extra::new();
            extra.insert(key.into(), value);
            let err = zone_body(None, None, None, &extra).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{key}");
        }
        assert!(zone_body(None, None, Some(59), &Extra::new()).is_err());
    }

    #[test]
    fn records_are_checked_before_sending() {
        let ok = RecordSpec::new("www", RecordType::A, "192.0.2.1");
        assert!(check_record(&ok).is_ok());
        let err =
            check_record(&RecordSpec::new("x", RecordType::Caa, "0 issue \"ca\"")).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Unsupported);
        let err = check_record(&RecordSpec::new("www", RecordType::A, "not-an-ip")).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        let err = check_record(&RecordSpec::new(
            "www.example.com.",
            RecordType::A,
            "192.0.2.1",
        ))
        .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        let err =
            check_record(&RecordSpec::new("www", RecordType::A, "192.0.2.1").ttl(10)).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    }
}
