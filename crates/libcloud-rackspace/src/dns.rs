//! Cloud DNS: domains as zones and their records, through the uniform [`DnsDriver`] API, with
//! the service's asynchronous jobs polled to completion within a bound.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use http::{HeaderMap, Method};
use libcloud_core::dns::validate_record_data;
use libcloud_core::paging::{Page, paginate};
use libcloud_core::{
    CreateZone, DnsCapabilities, DnsDriver, Error, ErrorKind, Extra, Record, RecordSpec,
    RecordType, ResourceKind, Result, Transport, Zone, ZoneType,
};
use libcloud_openstack::Session;
use serde_json::{Value, json};

use crate::client::{
    PROVIDER, Reply, ServiceClient, Target, clip, encode, join_url, json_request, origin,
    parse_error, parse_json,
};
use crate::config::RackspaceConfig;
use crate::json;

/// The catalog service type of Cloud DNS.
pub const DNS_SERVICE_TYPE: &str = "rax:dns";

/// The catalog service name of Cloud DNS.
pub const DNS_SERVICE_NAME: &str = "cloudDNS";

/// The record types Cloud DNS takes.
pub const RECORD_TYPES: &[RecordType] = &[
    RecordType::A,
    RecordType::Aaaa,
    RecordType::Cname,
    RecordType::Mx,
    RecordType::Ns,
    RecordType::Ptr,
    RecordType::Srv,
    RecordType::Txt,
];

/// How many domains or records one listing page asks for (the service's maximum).
const PAGE_SIZE: u64 = 100;
/// The most pages a listing follows (a loop guard).
const MAX_PAGES: usize = 100_000;

/// How the asynchronous jobs of Cloud DNS are waited for.
///
/// Every change (creating, updating or deleting a domain or record) is answered with a job
/// (`202 Accepted`, `{"status": "RUNNING", "callbackUrl": ...}`). The driver checks the callback
/// URL every `interval` until the job is `COMPLETED` or `ERROR`, at most `max_attempts` times
/// and for at most `timeout`; then it gives up with [`ErrorKind::Timeout`], saying which job
/// (it may still finish on the service).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobPolling {
    /// The time between checks. Default 500 ms, as Libcloud's.
    pub interval: Duration,
    /// The most checks. Default 400.
    pub max_attempts: u32,
    /// The longest wait. Default 200 s, as Libcloud's.
    pub timeout: Duration,
}

impl Default for JobPolling {
    fn default() -> Self {
        JobPolling {
            interval: Duration::from_millis(500),
            max_attempts: 400,
            timeout: Duration::from_secs(200),
        }
    }
}

/// The Rackspace Cloud DNS driver (API v1.0, Libcloud's `RackspaceDNSDriver`).
///
/// | libcloud | Cloud DNS |
/// |---|---|
/// | `iterate_zones` | `GET /domains?limit=100&offset=N`, page by page |
/// | `get_zone` | `GET /domains/{id}` |
/// | `create_zone` | `POST /domains`, then the job |
/// | `update_zone` | `PUT /domains/{id}` (TTL, e-mail, comment), then the job |
/// | `delete_zone` | `DELETE /domains/{id}`, then the job |
/// | `iterate_records` | `GET /domains/{id}/records?limit=100&offset=N` |
/// | `get_record` | `GET /domains/{id}` (for the domain name) and `GET /domains/{id}/records/{record}` |
/// | `create_record`, `create_records` | `POST /domains/{id}/records` with one or many records, then the job |
/// | `update_record` | `PUT /domains/{id}/records/{record}`, then the job |
/// | `delete_record` | `DELETE /domains/{id}/records/{record}`, then the job |
///
/// Record names are relative to the zone (`www`; `""` for the apex) and sent fully
/// qualified; `extra["fqdn"]` keeps the full name and `extra["domain"]` the zone's. A zone
/// needs an e-mail address: `CreateZone::extra["email"]`, else `hostmaster@<domain>`;
/// `extra["comment"]` is sent too. Records take `extra["comment"]`; MX and SRV records need a
/// priority. Only master zones exist. A job that fails is the error its status code means
/// (409 `AlreadyExists`, 404 `NotFound`, 400 `InvalidInput` with the validation messages, ...);
/// one that does not finish in time is `Timeout` (see [`JobPolling`]).
///
/// Zone ids are numbers: an id that is not one is `NotFound` without a request.
#[derive(Debug, Clone)]
pub struct CloudDns {
    client: ServiceClient,
    polling: JobPolling,
}

impl CloudDns {
    /// A driver for `config` over the default HTTP transport.
    pub fn new(config: &RackspaceConfig) -> Result<Self> {
        Self::with_transport(config, libcloud_http::default_transport()?)
    }

    /// A driver for `config` sending through `transport`.
    pub fn with_transport(config: &RackspaceConfig, transport: Transport) -> Result<Self> {
        Self::with_session(config.session(transport), config)
    }

    /// A driver on an existing session (shared with other drivers, so one token serves all);
    /// `config` chooses the endpoint, its `auth` is not used. Cloud DNS is global: the
    /// region is not used either.
    pub fn with_session(session: Arc<Session>, config: &RackspaceConfig) -> Result<Self> {
        let service = config.service(
            DNS_SERVICE_TYPE,
            Some(DNS_SERVICE_NAME),
            false,
            config.endpoints.dns.as_ref(),
        );
        Ok(CloudDns {
            client: ServiceClient::new(session, &service, DNS_SERVICE_TYPE)?,
            polling: JobPolling::default(),
        })
    }

    /// Sets how jobs are waited for; see [`JobPolling`].
    pub fn with_job_polling(mut self, polling: JobPolling) -> Self {
        self.polling = polling;
        self
    }

    /// The session the driver authenticates with.
    pub fn session(&self) -> &Arc<Session> {
        self.client.session()
    }

    async fn domain_url(
        &self,
        zone_id: &str,
        rest: &str,
        query: &[(&str, &str)],
    ) -> Result<String> {
        let id = check_zone_id(zone_id)?;
        let mut path = format!("domains/{}", encode(id, false));
        if !rest.is_empty() {
            path.push('/');
            path.push_str(rest);
        }
        Ok(join_url(&self.client.base().await?, &path, query))
    }

    /// Sends a change and waits for its job; returns the job's `response`, if any. With
    /// `need_response`, a job that finished at once without describing its result is asked
    /// for the details once more.
    async fn change(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        target: &Target,
        need_response: bool,
    ) -> Result<Option<Value>> {
        let reply = self
            .client
            .call(json_request(method, url, body)?, target)
            .await?;
        self.finish_job(reply, target, need_response).await
    }

    /// Follows the job an answer started until it ends.
    async fn finish_job(
        &self,
        reply: Reply,
        target: &Target,
        need_response: bool,
    ) -> Result<Option<Value>> {
        if reply.body.iter().all(u8::is_ascii_whitespace) {
            // Answered at once, without a job.
            return Ok(None);
        }
        let mut job: json::Job = parse_json(&reply.body, target.operation)?;
        if job.status.is_none() {
            // Not a job: the change is done and this is its result.
            let value: Value = parse_json(&reply.body, target.operation)?;
            return Ok(Some(value));
        }
        let started = tokio::time::Instant::now();
        let mut attempts = 0u32;
        let mut status_url: Option<String> = None;
        loop {
            let status = job.status.clone().unwrap_or_default().to_ascii_uppercase();
            // A job that finished at once, but was described without the details needed,
            // is asked once more.
            if status == "COMPLETED" && (job.response.is_some() || attempts > 0 || !need_response) {
                return Ok(job.response);
            }
            if status == "ERROR" {
                return Err(job_error(&job, target));
            }
            let elapsed = started.elapsed();
            if attempts >= self.polling.max_attempts || elapsed >= self.polling.timeout {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "Cloud DNS job {} was still {status} after {attempts} checks in {} ms; \
                         it may still finish",
                        job.job_id.as_deref().unwrap_or("(no id)"),
                        elapsed.as_millis()
                    ),
                )
                .with_provider(PROVIDER)
                .with_operation(target.operation));
            }
            let url = match &status_url {
                Some(url) => url.clone(),
                None => {
                    let url = self.callback_url(&job, target).await?;
                    status_url = Some(url.clone());
                    url
                }
            };
            if status != "COMPLETED" {
                let left = self.polling.timeout.saturating_sub(elapsed);
                tokio::time::sleep(self.polling.interval.min(left)).await;
            }
            attempts += 1;
            let reply = self
                .client
                .call(json_request(Method::GET, &url, None)?, target)
                .await?;
            job = parse_json(&reply.body, target.operation)?;
            if job.status.is_none() {
                return Err(Error::malformed(format!(
                    "the job status answer has no status: {}",
                    clip(&String::from_utf8_lossy(&reply.body))
                ))
                .with_provider(PROVIDER)
                .with_operation(target.operation));
            }
        }
    }

    /// Where a job's status is read: its callback URL when it is on the service's own host
    /// (the token is sent there), else `<endpoint>/status/<job id>`; with `showDetails=true`.
    async fn callback_url(&self, job: &json::Job, target: &Target) -> Result<String> {
        let base = self.client.base().await?;
        let own = origin(&base);
        if let Some(callback) = job.callback_url.as_deref().map(str::trim)
            && own.is_some()
            && origin(callback) == own
        {
            let separator = if callback.contains('?') { '&' } else { '?' };
            return Ok(format!("{callback}{separator}showDetails=true"));
        }
        match job
            .job_id
            .as_deref()
            .map(str::trim)
            .filter(|j| !j.is_empty())
        {
            Some(id) => Ok(join_url(
                &base,
                &format!("status/{}", encode(id, false)),
                &[("showDetails", "true")],
            )),
            None => Err(Error::malformed(
                "the job has neither a callback URL on the service's host nor a job id",
            )
            .with_provider(PROVIDER)
            .with_operation(target.operation)),
        }
    }

    /// The domain of a zone, from the record's `extra["domain"]` or by asking.
    async fn zone_domain(&self, record: &Record) -> Result<String> {
        if let Some(domain) = record.extra.get("domain").and_then(Value::as_str)
            && !domain.is_empty()
        {
            return Ok(domain.to_string());
        }
        Ok(self.get_zone(&record.zone_id).await?.domain)
    }

    fn records_from(
        &self,
        zone: &Zone,
        response: Option<Value>,
        operation: &'static str,
    ) -> Result<Vec<Record>> {
        let records = response
            .as_ref()
            .and_then(|r| r.get("records"))
            .cloned()
            .ok_or_else(|| {
                Error::malformed("the finished job did not describe the records")
                    .with_provider(PROVIDER)
                    .with_operation(operation)
            })?;
        let records: Vec<json::DnsRecord> = serde_json::from_value(records).map_err(|e| {
            Error::malformed(format!("the job's records are not what was expected: {e}"))
                .with_provider(PROVIDER)
                .with_operation(operation)
        })?;
        records
            .into_iter()
            .map(|r| to_record(&zone.id, &zone.domain, r))
            .collect()
    }
}

/// The error a failed job reports, by the code of its (first) fault.
fn job_error(job: &json::Job, target: &Target) -> Error {
    let error = job.error.clone().unwrap_or(Value::Null);
    // {"failedItems": {"faults": [{...}]}, ...} names the item that failed.
    let fault = error
        .get("failedItems")
        .and_then(|f| f.get("faults"))
        .and_then(Value::as_array)
        .and_then(|f| f.first())
        .cloned()
        .unwrap_or_else(|| error.clone());
    let code = fault
        .get("code")
        .and_then(|c| c.as_u64().or_else(|| c.as_str()?.trim().parse().ok()))
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c));
    let body = fault.to_string().into_bytes();
    let err = match code {
        Some(code) => parse_error(code, &HeaderMap::new(), &body, target),
        None => {
            let message = fault
                .as_object()
                .and_then(crate::client::message_of)
                .unwrap_or_else(|| "the job failed without saying why".to_string());
            Error::new(
                ErrorKind::Provider {
                    code: "ERROR".into(),
                },
                message,
            )
            .with_provider(PROVIDER)
            .with_operation(target.operation)
        }
    };
    match job.job_id.as_deref() {
        Some(id) => {
            let message = err.message().unwrap_or("failed").to_string();
            err.with_message(format!("{message} (job {id})"))
        }
        None => err,
    }
}

/// A zone id as the service takes it (digits), or `NotFound` of the zone.
fn check_zone_id(id: &str) -> Result<&str> {
    let trimmed = id.trim();
    if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::not_found(ResourceKind::Zone, id)
            .with_provider(PROVIDER)
            .with_message("Cloud DNS domain ids are numbers"));
    }
    Ok(trimmed)
}

/// The fully qualified name of `name` in `domain` (`""` and `@` are the apex; a name ending
/// in `.` is already absolute).
pub fn full_record_name(domain: &str, name: &str) -> String {
    let domain = domain.trim_end_matches('.');
    let name = name.trim();
    if name.is_empty() || name == "@" {
        domain.to_string()
    } else if let Some(absolute) = name.strip_suffix('.') {
        absolute.to_string()
    } else {
        format!("{name}.{domain}")
    }
}

/// The name of `fqdn` relative to `domain` (`""` for the apex; a name outside the domain is
/// kept whole).
pub fn relative_record_name(domain: &str, fqdn: &str) -> String {
    let domain = domain.trim_end_matches('.');
    let fqdn = fqdn.trim().trim_end_matches('.');
    if fqdn.eq_ignore_ascii_case(domain) {
        return String::new();
    }
    let cut = fqdn.len().checked_sub(domain.len() + 1);
    match cut {
        Some(cut)
            if fqdn.is_char_boundary(cut)
                && fqdn[cut..].starts_with('.')
                && fqdn[cut + 1..].eq_ignore_ascii_case(domain) =>
        {
            fqdn[..cut].to_string()
        }
        _ => fqdn.to_string(),
    }
}

fn to_zone(domain: json::Domain) -> Result<Zone> {
    let mut extra = Extra::new();
    if let Some(email) = &domain.email_address {
        extra.insert("email".into(), json!(email));
    }
    if let Some(comment) = &domain.comment {
        extra.insert("comment".into(), json!(comment));
    }
    for (key, value) in domain.rest {
        // The records are listed by `iterate_records`, not kept with the zone.
        if !value.is_null() && key != "recordsList" {
            extra.insert(key, value);
        }
    }
    let ttl = domain
        .ttl
        .map(|t| {
            u32::try_from(t).map_err(|_| {
                Error::malformed(format!("domain {} has the TTL {t}", domain.id))
                    .with_provider(PROVIDER)
            })
        })
        .transpose()?;
    Ok(Zone {
        id: domain.id,
        domain: domain.name.trim_end_matches('.').to_string(),
        zone_type: ZoneType::Master,
        ttl,
        extra,
    })
}

fn to_record(zone_id: &str, domain: &str, record: json::DnsRecord) -> Result<Record> {
    let record_type: RecordType = record.kind.parse().map_err(|_| {
        Error::malformed(format!(
            "record {} has the unknown type {:?}",
            record.id, record.kind
        ))
        .with_provider(PROVIDER)
    })?;
    let ttl = record
        .ttl
        .map(|t| {
            u32::try_from(t).map_err(|_| {
                Error::malformed(format!("record {} has the TTL {t}", record.id))
                    .with_provider(PROVIDER)
            })
        })
        .transpose()?;
    let priority = record
        .priority
        .map(|p| {
            u16::try_from(p).map_err(|_| {
                Error::malformed(format!("record {} has the priority {p}", record.id))
                    .with_provider(PROVIDER)
            })
        })
        .transpose()?;
    let mut extra = Extra::new();
    extra.insert("fqdn".into(), json!(record.name));
    extra.insert("domain".into(), json!(domain));
    if let Some(ttl) = ttl {
        extra.insert("ttl".into(), json!(ttl));
    }
    if let Some(comment) = &record.comment {
        extra.insert("comment".into(), json!(comment));
    }
    for (key, value) in record.rest {
        if !value.is_null() {
            extra.insert(key, value);
        }
    }
    Ok(Record {
        name: relative_record_name(domain, &record.name),
        id: record.id,
        record_type,
        data: record.data,
        zone_id: zone_id.to_string(),
        ttl,
        priority,
        extra,
    })
}

/// The JSON of a record to create, checked.
fn record_json(domain: &str, spec: &RecordSpec) -> Result<Value> {
    if !RECORD_TYPES.contains(&spec.record_type) {
        return Err(Error::unsupported("create_record")
            .with_provider(PROVIDER)
            .with_message(format!(
                "Cloud DNS has no {} records (it takes A, AAAA, CNAME, MX, NS, PTR, SRV, TXT)",
                spec.record_type
            )));
    }
    validate_record_data(spec.record_type, &spec.data).map_err(|e| e.with_provider(PROVIDER))?;
    let mut record = json!({
        "name": full_record_name(domain, &spec.name),
        "type": spec.record_type.as_str(),
        "data": spec.data,
    });
    if let Value::Object(map) = &mut record {
        if let Some(ttl) = spec.ttl {
            map.insert("ttl".into(), json!(ttl));
        }
        match (spec.record_type, spec.priority) {
            (RecordType::Mx | RecordType::Srv, Some(p)) => {
                map.insert("priority".into(), json!(p));
            }
            (RecordType::Mx | RecordType::Srv, None) => {
                return Err(Error::invalid_input(format!(
                    "a {} record needs a priority",
                    spec.record_type
                ))
                .with_provider(PROVIDER));
            }
            _ => {}
        }
        extra_comment(&spec.extra, map, "record")?;
    }
    Ok(record)
}

/// Copies `extra["comment"]` into `map`; any other extra key is refused.
fn extra_comment(
    extra: &Extra,
    map: &mut serde_json::Map<String, Value>,
    what: &str,
) -> Result<()> {
    for (key, value) in extra {
        match key.as_str() {
            "comment" => {
                let comment = value.as_str().ok_or_else(|| {
                    Error::invalid_input("extra.comment must be text").with_provider(PROVIDER)
                })?;
                map.insert("comment".into(), json!(comment));
            }
            // What the driver itself reports is not sent back.
            "fqdn" | "domain" | "ttl" | "created" | "updated" | "accountId" | "nameservers"
            | "email" => {}
            other => {
                return Err(Error::invalid_input(format!(
                    "unknown {what} extra {other:?} (known: comment)"
                ))
                .with_provider(PROVIDER));
            }
        }
    }
    Ok(())
}

/// The name a record conflict is reported under: `TYPE name`.
fn record_label(spec: &RecordSpec) -> String {
    if spec.name.is_empty() {
        format!("{} @", spec.record_type)
    } else {
        format!("{} {}", spec.record_type, spec.name)
    }
}

#[async_trait]
impl DnsDriver for CloudDns {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> DnsCapabilities {
        let mut caps = DnsCapabilities::default();
        caps.record_types = RECORD_TYPES.to_vec();
        caps.update_zone = true;
        caps.slave_zones = false;
        caps.record_ttl = true;
        caps.batch_create = true;
        caps
    }

    fn iterate_zones(&self) -> BoxStream<'_, Result<Zone>> {
        let mut pages = 0usize;
        paginate(move |offset: Option<u64>| {
            pages += 1;
            let too_many = pages > MAX_PAGES;
            async move {
                if too_many {
                    return Err(Error::malformed(format!(
                        "iterate_zones: more than {MAX_PAGES} pages; stopping"
                    ))
                    .with_provider(PROVIDER));
                }
                let offset = offset.unwrap_or(0);
                let (limit, at) = (PAGE_SIZE.to_string(), offset.to_string());
                let url = join_url(
                    &self.client.base().await?,
                    "domains",
                    &[("limit", &limit), ("offset", &at)],
                );
                let target = Target::new("iterate_zones", ResourceKind::Zone, "");
                let list: json::DomainList = self.client.get_json(&url, &target).await?;
                let got = list.domains.len() as u64;
                let next = next_offset(offset, got, list.total_entries, &list.links);
                let zones = list
                    .domains
                    .into_iter()
                    .map(to_zone)
                    .collect::<Result<Vec<_>>>()?;
                Ok(Page::new(zones, next))
            }
        })
    }

    async fn get_zone(&self, zone_id: &str) -> Result<Zone> {
        let url = self
            .domain_url(
                zone_id,
                "",
                &[("showRecords", "false"), ("showSubdomains", "false")],
            )
            .await?;
        let target = Target::new("get_zone", ResourceKind::Zone, zone_id);
        let domain: json::Domain = self.client.get_json(&url, &target).await?;
        to_zone(domain)
    }

    async fn create_zone(&self, request: &CreateZone) -> Result<Zone> {
        let domain = request.domain.trim().trim_end_matches('.');
        if !libcloud_core::dns::is_hostname(domain) {
            return Err(Error::invalid_input(format!(
                "{:?} is not a valid domain name",
                request.domain
            ))
            .with_provider(PROVIDER));
        }
        if request.zone_type != ZoneType::Master {
            return Err(Error::unsupported("create_zone")
                .with_provider(PROVIDER)
                .with_message("Cloud DNS has master zones only"));
        }
        let email = match request.extra.get("email") {
            Some(Value::String(e)) if !e.trim().is_empty() => e.trim().to_string(),
            Some(_) => {
                return Err(
                    Error::invalid_input("extra.email must be an e-mail address")
                        .with_provider(PROVIDER),
                );
            }
            None => format!("hostmaster@{domain}"),
        };
        let mut zone = serde_json::Map::new();
        zone.insert("name".into(), json!(domain));
        zone.insert("emailAddress".into(), json!(email));
        if let Some(ttl) = request.ttl {
            zone.insert("ttl".into(), json!(ttl));
        }
        extra_comment(&request.extra, &mut zone, "zone")?;
        zone.insert("recordsList".into(), json!({ "records": [] }));
        let body = json!({ "domains": [Value::Object(zone)] });
        let url = join_url(&self.client.base().await?, "domains", &[]);
        let target = Target::new("create_zone", ResourceKind::Zone, domain)
            .conflict_is(ResourceKind::Zone, domain);
        let response = self
            .change(Method::POST, &url, Some(&body), &target, true)
            .await?;
        let created = response
            .as_ref()
            .and_then(|r| r.get("domains"))
            .and_then(Value::as_array)
            .and_then(|d| d.first())
            .cloned()
            .ok_or_else(|| {
                Error::malformed("the finished job did not describe the new domain")
                    .with_provider(PROVIDER)
                    .with_operation("create_zone")
            })?;
        let created: json::Domain = serde_json::from_value(created).map_err(|e| {
            Error::malformed(format!("the new domain is not what was expected: {e}"))
                .with_provider(PROVIDER)
                .with_operation("create_zone")
        })?;
        to_zone(created)
    }

    async fn update_zone(&self, zone: &Zone, changes: &CreateZone) -> Result<Zone> {
        let wanted = changes.domain.trim().trim_end_matches('.');
        if !wanted.is_empty() && !wanted.eq_ignore_ascii_case(&zone.domain) {
            return Err(Error::invalid_input(format!(
                "a zone's domain cannot be changed (from {:?} to {:?})",
                zone.domain, changes.domain
            ))
            .with_provider(PROVIDER)
            .with_operation("update_zone"));
        }
        if changes.zone_type != ZoneType::Master {
            return Err(Error::unsupported("update_zone")
                .with_provider(PROVIDER)
                .with_message("Cloud DNS has master zones only"));
        }
        let mut fields = serde_json::Map::new();
        if let Some(ttl) = changes.ttl {
            fields.insert("ttl".into(), json!(ttl));
        }
        match changes.extra.get("email") {
            Some(Value::String(e)) if !e.trim().is_empty() => {
                fields.insert("emailAddress".into(), json!(e.trim()));
            }
            Some(_) => {
                return Err(
                    Error::invalid_input("extra.email must be an e-mail address")
                        .with_provider(PROVIDER),
                );
            }
            None => {}
        }
        extra_comment(&changes.extra, &mut fields, "zone")?;
        let mut updated = zone.clone();
        if fields.is_empty() {
            return Ok(updated);
        }
        let url = self.domain_url(&zone.id, "", &[]).await?;
        let target = Target::new("update_zone", ResourceKind::Zone, zone.id.clone());
        self.change(
            Method::PUT,
            &url,
            Some(&Value::Object(fields.clone())),
            &target,
            false,
        )
        .await?;
        if let Some(ttl) = changes.ttl {
            updated.ttl = Some(ttl);
        }
        if let Some(email) = fields.get("emailAddress") {
            updated.extra.insert("email".into(), email.clone());
        }
        if let Some(comment) = fields.get("comment") {
            updated.extra.insert("comment".into(), comment.clone());
        }
        Ok(updated)
    }

    async fn delete_zone(&self, zone: &Zone) -> Result<()> {
        let url = self.domain_url(&zone.id, "", &[]).await?;
        let target = Target::new("delete_zone", ResourceKind::Zone, zone.id.clone());
        self.change(Method::DELETE, &url, None, &target, false)
            .await?;
        Ok(())
    }

    fn iterate_records<'a>(&'a self, zone: &'a Zone) -> BoxStream<'a, Result<Record>> {
        let mut pages = 0usize;
        paginate(move |offset: Option<u64>| {
            pages += 1;
            let too_many = pages > MAX_PAGES;
            async move {
                if too_many {
                    return Err(Error::malformed(format!(
                        "iterate_records: more than {MAX_PAGES} pages; stopping"
                    ))
                    .with_provider(PROVIDER));
                }
                let offset = offset.unwrap_or(0);
                let (limit, at) = (PAGE_SIZE.to_string(), offset.to_string());
                let url = self
                    .domain_url(&zone.id, "records", &[("limit", &limit), ("offset", &at)])
                    .await?;
                let target = Target::new("iterate_records", ResourceKind::Zone, zone.id.clone());
                let reply = self
                    .client
                    .call(json_request(Method::GET, &url, None)?, &target)
                    .await?;
                let list = parse_record_page(&reply.body)?;
                let got = list.records.len() as u64;
                let next = next_offset(offset, got, list.total_entries, &list.links);
                let records = list
                    .records
                    .into_iter()
                    .map(|r| to_record(&zone.id, &zone.domain, r))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Page::new(records, next))
            }
        })
    }

    async fn get_record(&self, zone_id: &str, record_id: &str) -> Result<Record> {
        let zone = self
            .get_zone(zone_id)
            .await
            .map_err(|e| e.with_operation("get_record"))?;
        if record_id.trim().is_empty() {
            return Err(Error::not_found(ResourceKind::Record, record_id).with_provider(PROVIDER));
        }
        let url = self
            .domain_url(
                zone_id,
                &format!("records/{}", encode(record_id, false)),
                &[],
            )
            .await?;
        let target = Target::new("get_record", ResourceKind::Record, record_id);
        let record: json::DnsRecord = self.client.get_json(&url, &target).await?;
        to_record(zone_id.trim(), &zone.domain, record)
    }

    async fn create_record(&self, zone: &Zone, record: &RecordSpec) -> Result<Record> {
        let mut created = self
            .create_records(zone, std::slice::from_ref(record))
            .await
            .map_err(|e| e.with_operation("create_record"))?;
        if created.len() != 1 {
            return Err(Error::malformed(format!(
                "the finished job described {} records for one",
                created.len()
            ))
            .with_provider(PROVIDER)
            .with_operation("create_record"));
        }
        Ok(created.remove(0))
    }

    async fn create_records(&self, zone: &Zone, records: &[RecordSpec]) -> Result<Vec<Record>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let list = records
            .iter()
            .map(|r| record_json(&zone.domain, r))
            .collect::<Result<Vec<_>>>()?;
        let url = self.domain_url(&zone.id, "records", &[]).await?;
        let body = json!({ "records": list });
        let label = records
            .iter()
            .map(record_label)
            .collect::<Vec<_>>()
            .join(", ");
        let target = Target::new("create_records", ResourceKind::Zone, zone.id.clone())
            .conflict_is(ResourceKind::Record, label);
        let response = self
            .change(Method::POST, &url, Some(&body), &target, true)
            .await?;
        self.records_from(zone, response, "create_records")
    }

    async fn update_record(&self, record: &Record, changes: &RecordSpec) -> Result<Record> {
        if changes.record_type != record.record_type {
            return Err(Error::invalid_input(format!(
                "a record's type cannot be changed (from {} to {})",
                record.record_type, changes.record_type
            ))
            .with_provider(PROVIDER)
            .with_operation("update_record"));
        }
        validate_record_data(changes.record_type, &changes.data)
            .map_err(|e| e.with_provider(PROVIDER).with_operation("update_record"))?;
        let domain = self.zone_domain(record).await?;
        let mut fields = serde_json::Map::new();
        fields.insert(
            "name".into(),
            json!(full_record_name(&domain, &changes.name)),
        );
        fields.insert("data".into(), json!(changes.data));
        if let Some(ttl) = changes.ttl {
            fields.insert("ttl".into(), json!(ttl));
        }
        if let (RecordType::Mx | RecordType::Srv, Some(p)) = (changes.record_type, changes.priority)
        {
            fields.insert("priority".into(), json!(p));
        }
        extra_comment(&changes.extra, &mut fields, "record")?;
        let url = self
            .domain_url(
                &record.zone_id,
                &format!("records/{}", encode(&record.id, false)),
                &[],
            )
            .await?;
        let target = Target::new("update_record", ResourceKind::Record, record.id.clone());
        self.change(
            Method::PUT,
            &url,
            Some(&Value::Object(fields.clone())),
            &target,
            false,
        )
        .await?;
        let mut updated = record.clone();
        updated.name = relative_record_name(&domain, &full_record_name(&domain, &changes.name));
        updated.data = changes.data.clone();
        if changes.ttl.is_some() {
            updated.ttl = changes.ttl;
            updated.extra.insert("ttl".into(), json!(changes.ttl));
        }
        if changes.priority.is_some() && fields.contains_key("priority") {
            updated.priority = changes.priority;
        }
        if let Some(comment) = fields.get("comment") {
            updated.extra.insert("comment".into(), comment.clone());
        }
        updated.extra.insert(
            "fqdn".into(),
            json!(full_record_name(&domain, &changes.name)),
        );
        updated.extra.insert("domain".into(), json!(domain));
        Ok(updated)
    }

    async fn delete_record(&self, record: &Record) -> Result<()> {
        let url = self
            .domain_url(
                &record.zone_id,
                &format!("records/{}", encode(&record.id, false)),
                &[],
            )
            .await?;
        let target = Target::new("delete_record", ResourceKind::Record, record.id.clone());
        self.change(Method::DELETE, &url, None, &target, false)
            .await?;
        Ok(())
    }
}

/// A page of records: `{"records": [...]}`, or a domain's details with `recordsList`.
fn parse_record_page(body: &[u8]) -> Result<json::RecordList> {
    let value: Value = parse_json(body, "iterate_records")?;
    let list = match value.get("recordsList") {
        Some(inner) => inner.clone(),
        None => value,
    };
    serde_json::from_value(list).map_err(|e| {
        Error::malformed(format!("the record listing is not what was expected: {e}"))
            .with_provider(PROVIDER)
            .with_operation("iterate_records")
    })
}

/// Where the next page starts, or `None` after the last one.
fn next_offset(offset: u64, got: u64, total: Option<u64>, links: &[json::Link]) -> Option<u64> {
    if got == 0 {
        return None;
    }
    let next = offset + got;
    let more = match total {
        Some(total) => next < total,
        None => json::has_next(links) || got >= PAGE_SIZE,
    };
    more.then_some(next)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn record_names() {
        assert_eq!(full_record_name("example.com", "www"), "www.example.com");
        assert_eq!(full_record_name("example.com.", ""), "example.com");
        assert_eq!(full_record_name("example.com", "@"), "example.com");
        assert_eq!(
            full_record_name("example.com", "mail.other.org."),
            "mail.other.org"
        );
        for (fqdn, rel) in [
            ("test.example.com", "test"),
            ("foo.bar.example.com", "foo.bar"),
            ("example.com.example.com", "example.com"),
            ("example.com", ""),
            ("EXAMPLE.com.", ""),
            ("elsewhere.org", "elsewhere.org"),
            ("xexample.com", "xexample.com"),
        ] {
            assert_eq!(relative_record_name("example.com", fqdn), rel, "{fqdn}");
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(next_offset(0, 6, Some(6), &[]), None);
        assert_eq!(next_offset(0, 100, Some(250), &[]), Some(100));
        assert_eq!(next_offset(200, 50, Some(250), &[]), None);
        assert_eq!(next_offset(0, 100, None, &[]), Some(100));
        assert_eq!(next_offset(0, 3, None, &[]), None);
        assert_eq!(next_offset(0, 0, Some(10), &[]), None);
    }

    #[test]
    fn records_are_checked_before_sending() {
        let spec = RecordSpec::new("www", RecordType::A, "192.0.2.1").ttl(600);
        assert_eq!(
            record_json("example.com", &spec).unwrap(),
            json!({"name": "www.example.com", "type": "A", "data": "192.0.2.1", "ttl": 600})
        );
        let mx = RecordSpec::new("", RecordType::Mx, "mail.example.com");
        assert_eq!(
            *record_json("example.com", &mx).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let mx = mx.priority(10);
        assert_eq!(
            record_json("example.com", &mx).unwrap()["priority"],
            json!(10)
        );
        let bad = RecordSpec::new("x", RecordType::A, "not-an-address");
        assert_eq!(
            *record_json("example.com", &bad).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let caa = RecordSpec::new("x", RecordType::Caa, "0 issue \"ca.example\"");
        assert_eq!(
            *record_json("example.com", &caa).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        let mut odd = RecordSpec::new("x", RecordType::A, "192.0.2.1");
        odd.extra.insert("colour".into(), json!("blue"));
        assert!(record_json("example.com", &odd).is_err());
    }

    #[test]
    fn failed_jobs() {
        let target = Target::new("create_zone", ResourceKind::Zone, "example.com")
            .conflict_is(ResourceKind::Zone, "example.com");
        let job: json::Job = serde_json::from_value(json!({
            "status": "ERROR", "jobId": "j1",
            "error": {"failedItems": {"faults": [{"code": 409, "message": "Conflict",
                                                  "details": "Domain already exists"}]},
                      "code": 500, "message": "One or more items could not be created."}
        }))
        .unwrap();
        let err = job_error(&job, &target);
        assert!(matches!(
            err.kind(),
            ErrorKind::AlreadyExists {
                kind: ResourceKind::Zone,
                ..
            }
        ));
        assert_eq!(
            err.message(),
            Some("Conflict: Domain already exists (job j1)")
        );
        let job: json::Job = serde_json::from_value(json!({
            "status": "ERROR", "error": {"code": 400,
            "validationErrors": {"messages": ["TTL too small"]}}
        }))
        .unwrap();
        let err = job_error(&job, &target);
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.message(), Some("Validation errors: TTL too small"));
        let job: json::Job = serde_json::from_value(json!({"status": "ERROR"})).unwrap();
        assert_eq!(
            *job_error(&job, &target).kind(),
            ErrorKind::Provider {
                code: "ERROR".into()
            }
        );
        assert!(check_zone_id("abc").unwrap_err().is_not_found());
    }
}
