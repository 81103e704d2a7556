//! The DNS API: zones, records, every record type, and BIND export.

use std::fmt::Write as _;
use std::time::SystemTime;

use async_trait::async_trait;
use futures::stream::{BoxStream, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::common::{Extra, format_utc};
use crate::error::{Error, Result};

macro_rules! record_types {
    ($($variant:ident => $text:literal, $doc:literal;)*) => {
        /// A DNS record type, as Libcloud's `RecordType`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum RecordType {
            $(#[doc = $doc] #[serde(rename = $text)] $variant,)*
        }

        impl RecordType {
            /// Every record type Libcloud knows.
            pub const ALL: &'static [RecordType] = &[$(RecordType::$variant,)*];

            /// The type's name in zone files (`"AAAA"`).
            pub fn as_str(self) -> &'static str {
                match self { $(RecordType::$variant => $text,)* }
            }
        }
    };
}

record_types! {
    A => "A", "IPv4 address.";
    Aaaa => "AAAA", "IPv6 address.";
    Afsdb => "AFSDB", "AFS database location.";
    Alias => "ALIAS", "Provider-side alias at the apex.";
    Caa => "CAA", "Certificate authority authorization.";
    Cert => "CERT", "Certificate.";
    Cname => "CNAME", "Canonical name.";
    Dname => "DNAME", "Delegation name.";
    Dnskey => "DNSKEY", "DNSSEC key.";
    Ds => "DS", "Delegation signer.";
    Geo => "GEO", "Geographic location.";
    Hinfo => "HINFO", "Host information.";
    Key => "KEY", "Key.";
    Loc => "LOC", "Location.";
    Mx => "MX", "Mail exchange.";
    Naptr => "NAPTR", "Naming authority pointer.";
    Ns => "NS", "Name server.";
    Nsec => "NSEC", "Next secure.";
    Openpgpkey => "OPENPGPKEY", "OpenPGP public key.";
    Ptr => "PTR", "Pointer.";
    Redirect => "REDIRECT", "Provider-side HTTP redirect.";
    Rp => "RP", "Responsible person.";
    Rrsig => "RRSIG", "DNSSEC signature.";
    Soa => "SOA", "Start of authority.";
    Spf => "SPF", "Sender policy framework.";
    Srv => "SRV", "Service locator.";
    Sshfp => "SSHFP", "SSH key fingerprint.";
    Tlsa => "TLSA", "TLS certificate association.";
    Txt => "TXT", "Text.";
    Url => "URL", "Provider-side URL forward.";
    Wks => "WKS", "Well-known services.";
}

impl std::fmt::Display for RecordType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RecordType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim();
        RecordType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Error::invalid_input(format!("unknown record type {s:?}")))
    }
}

/// Whether a zone is the primary copy or a secondary one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZoneType {
    /// The primary copy (Libcloud's `"master"`).
    #[default]
    Master,
    /// A secondary copy transferred from elsewhere (`"slave"`).
    Slave,
}

/// A DNS zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    /// The provider's id.
    pub id: String,
    /// The domain, without a trailing dot (`"example.com"`).
    pub domain: String,
    /// Master or slave.
    pub zone_type: ZoneType,
    /// The default TTL of its records, in seconds.
    pub ttl: Option<u32>,
    /// Provider-specific attributes.
    #[serde(default)]
    pub extra: Extra,
}

/// A DNS record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The provider's id (Route 53 and Libcloud use `TYPE:name`).
    pub id: String,
    /// The name relative to the zone, `""` for the apex.
    pub name: String,
    /// Its type.
    pub record_type: RecordType,
    /// Its value, as in a zone file without the priority (`"192.0.2.1"`, `"mail.example.com"`).
    pub data: String,
    /// The zone's id.
    pub zone_id: String,
    /// Its TTL in seconds; the zone's when `None`.
    pub ttl: Option<u32>,
    /// The priority, for MX and SRV records.
    pub priority: Option<u16>,
    /// Provider-specific attributes.
    #[serde(default)]
    pub extra: Extra,
}

/// What to create with [`DnsDriver::create_zone`].
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CreateZone {
    /// The domain, without a trailing dot.
    pub domain: String,
    /// Master or slave.
    pub zone_type: ZoneType,
    /// The default TTL.
    pub ttl: Option<u32>,
    /// Provider-specific options.
    pub extra: Extra,
}

impl CreateZone {
    /// A master zone for `domain`.
    pub fn new(domain: impl Into<String>) -> Self {
        CreateZone {
            domain: domain.into(),
            ..Default::default()
        }
    }

    /// Sets the default TTL.
    pub fn ttl(mut self, ttl: u32) -> Self {
        self.ttl = Some(ttl);
        self
    }
}

/// The contents of a record, for [`DnsDriver::create_record`] and [`DnsDriver::update_record`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordSpec {
    /// The name relative to the zone, `""` for the apex.
    pub name: String,
    /// Its type.
    pub record_type: RecordType,
    /// Its value.
    pub data: String,
    /// Its TTL.
    pub ttl: Option<u32>,
    /// The priority, for MX and SRV.
    pub priority: Option<u16>,
    /// Provider-specific options.
    pub extra: Extra,
}

impl RecordSpec {
    /// A record `name` of `record_type` holding `data`.
    pub fn new(name: impl Into<String>, record_type: RecordType, data: impl Into<String>) -> Self {
        RecordSpec {
            name: name.into(),
            record_type,
            data: data.into(),
            ttl: None,
            priority: None,
            extra: Extra::new(),
        }
    }

    /// Sets the TTL.
    pub fn ttl(mut self, ttl: u32) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Sets the priority.
    pub fn priority(mut self, priority: u16) -> Self {
        self.priority = Some(priority);
        self
    }
}

/// What a DNS driver can do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DnsCapabilities {
    /// The record types it takes.
    pub record_types: Vec<RecordType>,
    /// `update_zone` works.
    pub update_zone: bool,
    /// Slave zones can be created.
    pub slave_zones: bool,
    /// Records carry their own TTL.
    pub record_ttl: bool,
    /// `create_records` sends one batch rather than one call per record.
    pub batch_create: bool,
}

/// The DNS API every DNS driver implements (Libcloud's `DNSDriver`).
#[async_trait]
pub trait DnsDriver: Send + Sync + std::fmt::Debug {
    /// The provider's short name.
    fn name(&self) -> &str;

    /// What this driver can do.
    fn capabilities(&self) -> DnsCapabilities;

    /// The record types this provider takes (Libcloud's `list_record_types`).
    fn list_record_types(&self) -> Vec<RecordType> {
        self.capabilities().record_types
    }

    /// Every zone, page by page.
    fn iterate_zones(&self) -> BoxStream<'_, Result<Zone>>;

    /// One zone by id.
    async fn get_zone(&self, zone_id: &str) -> Result<Zone>;

    /// Creates a zone. An existing domain is [`ErrorKind::AlreadyExists`](crate::ErrorKind::AlreadyExists).
    async fn create_zone(&self, request: &CreateZone) -> Result<Zone>;

    /// Changes a zone's type, TTL or options.
    async fn update_zone(&self, _zone: &Zone, _changes: &CreateZone) -> Result<Zone> {
        Err(Error::unsupported("update_zone"))
    }

    /// Deletes a zone and its records.
    async fn delete_zone(&self, zone: &Zone) -> Result<()>;

    /// Every record of a zone, page by page.
    fn iterate_records<'a>(&'a self, zone: &'a Zone) -> BoxStream<'a, Result<Record>>;

    /// One record by zone id and record id.
    async fn get_record(&self, zone_id: &str, record_id: &str) -> Result<Record>;

    /// Creates a record. A record that exists already is
    /// [`ErrorKind::AlreadyExists`](crate::ErrorKind::AlreadyExists); data that is invalid for its
    /// type is [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    async fn create_record(&self, zone: &Zone, record: &RecordSpec) -> Result<Record>;

    /// Creates many records. The default creates them one call at a time and stops at the first
    /// error; drivers whose provider takes batches override it.
    async fn create_records(&self, zone: &Zone, records: &[RecordSpec]) -> Result<Vec<Record>> {
        let mut out = Vec::with_capacity(records.len());
        for record in records {
            out.push(self.create_record(zone, record).await?);
        }
        Ok(out)
    }

    /// Replaces a record's contents.
    async fn update_record(&self, record: &Record, changes: &RecordSpec) -> Result<Record>;

    /// Deletes a record.
    async fn delete_record(&self, record: &Record) -> Result<()>;
}

/// Conveniences over [`DnsDriver`], for every driver.
#[async_trait]
pub trait DnsDriverExt: DnsDriver {
    /// Every zone, collected.
    async fn list_zones(&self) -> Result<Vec<Zone>> {
        self.iterate_zones().try_collect().await
    }

    /// Every record of a zone, collected.
    async fn list_records(&self, zone: &Zone) -> Result<Vec<Record>> {
        self.iterate_records(zone).try_collect().await
    }

    /// The zone and its records in BIND zone-file format, as Libcloud writes it.
    async fn export_zone_to_bind_format(&self, zone: &Zone) -> Result<String> {
        let records = self.list_records(zone).await?;
        export_bind(zone, &records, SystemTime::now())
    }
}

impl<T: DnsDriver + ?Sized> DnsDriverExt for T {}

/// The TTL Libcloud-style exports use when neither the record nor the zone has one.
pub const DEFAULT_BIND_TTL: u32 = 3600;

/// Writes `zone` and `records` in BIND zone-file format, as Libcloud's
/// `export_zone_to_bind_format`: a generated-by header, `$ORIGIN` and `$TTL`, then one
/// tab-separated line per record, ordered by numeric id where ids are numbers.
///
/// Only master zones can be exported (a slave zone is `InvalidInput`, Libcloud's `ValueError`).
///
/// ```
/// use libcloud_core::dns::{export_bind, Record, RecordType, Zone, ZoneType};
/// let zone = Zone { id: "1".into(), domain: "example.com".into(), zone_type: ZoneType::Master,
///                   ttl: Some(900), extra: Default::default() };
/// let mx = Record { id: "1".into(), name: "".into(), record_type: RecordType::Mx,
///                   data: "mail.example.com".into(), zone_id: "1".into(), ttl: None,
///                   priority: Some(10), extra: Default::default() };
/// let text = export_bind(&zone, &[mx], std::time::UNIX_EPOCH).unwrap();
/// assert!(text.ends_with("example.com.\t900\tIN\tMX\t10 mail.example.com.\n"));
/// ```
pub fn export_bind(zone: &Zone, records: &[Record], now: SystemTime) -> Result<String> {
    if zone.zone_type != ZoneType::Master {
        return Err(Error::invalid_input(format!(
            "zone {} is a slave zone; only master zones can be exported",
            zone.domain
        ))
        .with_operation("export_zone_to_bind_format"));
    }
    let domain = zone.domain.trim_end_matches('.');
    let zone_ttl = zone.ttl.unwrap_or(DEFAULT_BIND_TTL);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "; Generated by libcloud-rs v{} on {} UTC",
        env!("CARGO_PKG_VERSION"),
        format_utc(now)
    );
    let _ = writeln!(out, "$ORIGIN {domain}.");
    let _ = writeln!(out, "$TTL {zone_ttl}");
    out.push('\n');
    let mut sorted: Vec<&Record> = records.iter().collect();
    // Numeric ids in numeric order first (as Libcloud), the rest in the order given.
    sorted.sort_by_key(|r| r.id.parse::<u64>().map_or((1, 0), |n| (0, n)));
    for record in sorted {
        let name = if record.name.is_empty() || record.name == "@" {
            format!("{domain}.")
        } else {
            format!("{}.{domain}.", record.name.trim_end_matches('.'))
        };
        let ttl = record.ttl.unwrap_or(zone_ttl);
        let mut data = record.data.clone();
        match record.record_type {
            RecordType::Cname
            | RecordType::Dname
            | RecordType::Mx
            | RecordType::Ptr
            | RecordType::Srv
            | RecordType::Ns
                if !data.ends_with('.') =>
            {
                data.push('.');
            }
            RecordType::Txt | RecordType::Spf => {
                let already_quoted =
                    data.len() >= 2 && data.starts_with('"') && data.ends_with('"');
                if data.contains(' ') && !already_quoted {
                    data = format!("\"{}\"", data.replace('"', "\\\""));
                }
            }
            _ => {}
        }
        let _ = match (record.record_type, record.priority) {
            (RecordType::Mx | RecordType::Srv, Some(p)) => {
                writeln!(out, "{name}\t{ttl}\tIN\t{}\t{p} {data}", record.record_type)
            }
            _ => writeln!(out, "{name}\t{ttl}\tIN\t{}\t{data}", record.record_type),
        };
    }
    Ok(out)
}

/// Checks that `data` is valid for a record of `record_type`, for the types whose syntax is
/// simple to check (A, AAAA, CNAME, NS, MX, PTR, TXT); other types only need to be non-empty.
pub fn validate_record_data(record_type: RecordType, data: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::invalid_input(format!(
            "{data:?} is not valid data for a {record_type} record: {why}"
        )))
    };
    if data.trim().is_empty() {
        return bad("it is empty");
    }
    match record_type {
        RecordType::A if data.parse::<std::net::Ipv4Addr>().is_err() => {
            return bad("expected an IPv4 address");
        }
        RecordType::Aaaa if data.parse::<std::net::Ipv6Addr>().is_err() => {
            return bad("expected an IPv6 address");
        }
        RecordType::Cname
        | RecordType::Ns
        | RecordType::Mx
        | RecordType::Ptr
        | RecordType::Dname
            if !is_hostname(data) =>
        {
            return bad("expected a host name");
        }
        RecordType::Txt | RecordType::Spf if data.len() > 4096 => {
            return bad("longer than 4096 characters");
        }
        _ => {}
    }
    Ok(())
}

/// Whether `name` is a syntactically valid DNS host name (labels of 1 to 63 letters, digits,
/// hyphens or underscores, 253 characters at most, an optional trailing dot).
pub fn is_hostname(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Zone {
        Zone {
            id: "z".into(),
            domain: "example.com".into(),
            zone_type: ZoneType::Master,
            ttl: None,
            extra: Extra::new(),
        }
    }

    fn rec(id: &str, name: &str, t: RecordType, data: &str) -> Record {
        Record {
            id: id.into(),
            name: name.into(),
            record_type: t,
            data: data.into(),
            zone_id: "z".into(),
            ttl: None,
            priority: None,
            extra: Extra::new(),
        }
    }

    #[test]
    fn bind_export_matches_libcloud_layout() {
        let mut txt = rec("3", "", RecordType::Txt, "v=spf1 include:\"x\" -all");
        txt.ttl = Some(60);
        let records = vec![
            txt,
            rec("1", "www", RecordType::A, "192.0.2.10"),
            rec("2", "alias", RecordType::Cname, "www.example.com"),
        ];
        let out = export_bind(&zone(), &records, SystemTime::UNIX_EPOCH).unwrap();
        let expected = "; Generated by libcloud-rs v0.1.0 on 1970-01-01 00:00:00 UTC\n\
                        $ORIGIN example.com.\n$TTL 3600\n\n\
                        www.example.com.\t3600\tIN\tA\t192.0.2.10\n\
                        alias.example.com.\t3600\tIN\tCNAME\twww.example.com.\n\
                        example.com.\t60\tIN\tTXT\t\"v=spf1 include:\\\"x\\\" -all\"\n";
        assert_eq!(out, expected);
    }

    #[test]
    fn slave_zones_are_not_exported() {
        let mut z = zone();
        z.zone_type = ZoneType::Slave;
        assert!(export_bind(&z, &[], SystemTime::UNIX_EPOCH).is_err());
    }

    #[test]
    fn record_data_validation() {
        assert!(validate_record_data(RecordType::A, "192.0.2.1").is_ok());
        assert!(validate_record_data(RecordType::A, "not-an-ip").is_err());
        assert!(validate_record_data(RecordType::A, "2001:db8::1").is_err());
        assert!(validate_record_data(RecordType::Aaaa, "2001:db8::1").is_ok());
        assert!(validate_record_data(RecordType::Cname, "www.example.com.").is_ok());
        assert!(validate_record_data(RecordType::Cname, "bad host!").is_err());
    }

    #[test]
    fn record_types_round_trip() {
        for t in RecordType::ALL {
            assert_eq!(t.as_str().parse::<RecordType>().unwrap(), *t);
        }
        assert!("BOGUS".parse::<RecordType>().is_err());
    }
}
