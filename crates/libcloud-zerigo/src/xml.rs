//! Zerigo's XML: the wire types read with serde, their conversion to libcloud's models, and the
//! request bodies.

use std::fmt::Write as _;

use libcloud_core::{Error, Extra, Record, RecordType, Result, Zone, ZoneType};
use quick_xml::escape::escape;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One element of Zerigo's Rails-style XML: its text, unless it carries `nil="true"`.
///
/// The `type` attribute (`integer`, `datetime`, `boolean`, `array`) is not needed: each field's
/// meaning is known.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Field {
    #[serde(rename = "@nil", default)]
    nil: Option<String>,
    #[serde(rename = "$text", default)]
    text: Option<String>,
}

impl Field {
    /// The text, trimmed; `None` when nil or empty.
    fn value(&self) -> Option<&str> {
        if self.nil.as_deref() == Some("true") {
            return None;
        }
        self.text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

fn text(field: &Option<Field>) -> Option<&str> {
    field.as_ref().and_then(Field::value)
}

fn number<T: std::str::FromStr>(field: &Option<Field>, what: &str) -> Result<Option<T>> {
    text(field)
        .map(|t| {
            t.parse::<T>()
                .map_err(|_| Error::malformed(format!("{what} {t:?} is not a valid number")))
        })
        .transpose()
}

/// A `<zone>`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct WireZone {
    id: Option<Field>,
    domain: Option<Field>,
    ns_type: Option<Field>,
    default_ttl: Option<Field>,
    hostmaster: Option<Field>,
    custom_ns: Option<Field>,
    custom_nameservers: Option<Field>,
    notes: Option<Field>,
    ns1: Option<Field>,
    nx_ttl: Option<Field>,
    slave_nameservers: Option<Field>,
    tag_list: Option<Field>,
    hosts_count: Option<Field>,
    created_at: Option<Field>,
    updated_at: Option<Field>,
}

/// A `<zones>` list.
#[derive(Debug, Deserialize)]
pub(crate) struct WireZones {
    #[serde(default)]
    zone: Vec<WireZone>,
}

/// A `<host>` (a record).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct WireHost {
    id: Option<Field>,
    hostname: Option<Field>,
    host_type: Option<Field>,
    data: Option<Field>,
    fqdn: Option<Field>,
    notes: Option<Field>,
    state: Option<Field>,
    priority: Option<Field>,
    ttl: Option<Field>,
    zone_id: Option<Field>,
    created_at: Option<Field>,
    updated_at: Option<Field>,
}

/// A `<hosts>` list.
#[derive(Debug, Deserialize)]
pub(crate) struct WireHosts {
    #[serde(default)]
    host: Vec<WireHost>,
}

/// An `<errors>` list.
#[derive(Debug, Deserialize)]
struct WireErrors {
    #[serde(default)]
    error: Vec<Field>,
}

/// Reads a whole body as `T`; anything unreadable is `MalformedResponse`.
fn read<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::malformed(format!("the {what} is not UTF-8")))?;
    if text.trim().is_empty() {
        return Err(Error::malformed(format!("the {what} is empty")));
    }
    quick_xml::de::from_str(text)
        .map_err(|e| Error::malformed(format!("cannot read the {what}: {e}")))
}

/// The zones of a `zones.xml` listing.
pub(crate) fn parse_zones(body: &[u8]) -> Result<Vec<Zone>> {
    let wire: WireZones = read(body, "zone list")?;
    wire.zone.into_iter().map(to_zone).collect()
}

/// One `<zone>`.
pub(crate) fn parse_zone(body: &[u8]) -> Result<Zone> {
    to_zone(read(body, "zone")?)
}

/// The records of a `hosts.xml` listing; `zone_id` fills in hosts without a `zone-id`.
pub(crate) fn parse_records(body: &[u8], zone_id: &str) -> Result<Vec<Record>> {
    let wire: WireHosts = read(body, "record list")?;
    wire.host
        .into_iter()
        .map(|h| to_record(h, zone_id))
        .collect()
}

/// One `<host>`.
pub(crate) fn parse_record(body: &[u8], zone_id: &str) -> Result<Record> {
    to_record(read(body, "record")?, zone_id)
}

/// The messages of an `<errors>` body.
pub(crate) fn parse_errors(body: &[u8]) -> Result<Vec<String>> {
    let wire: WireErrors = read(body, "error list")?;
    Ok(wire
        .error
        .iter()
        .filter_map(|f| f.value().map(str::to_string))
        .collect())
}

fn put_text(extra: &mut Extra, key: &str, field: &Option<Field>) {
    if let Some(t) = text(field) {
        extra.insert(key.to_string(), Value::String(t.to_string()));
    }
}

fn to_zone(wire: WireZone) -> Result<Zone> {
    let id = text(&wire.id)
        .ok_or_else(|| Error::malformed("a zone without an id"))?
        .to_string();
    let domain = text(&wire.domain)
        .ok_or_else(|| Error::malformed(format!("zone {id} has no domain")))?
        .trim_end_matches('.')
        .to_string();
    let ns_type = text(&wire.ns_type);
    // "pri_sec" and "pri" are primary zones; "sec" is a secondary one.
    let zone_type = match ns_type {
        Some(t) if !t.starts_with("pri") => ZoneType::Slave,
        _ => ZoneType::Master,
    };
    let ttl = number::<u32>(&wire.default_ttl, "default-ttl")?;
    let mut extra = Extra::new();
    put_text(&mut extra, "ns_type", &wire.ns_type);
    put_text(&mut extra, "hostmaster", &wire.hostmaster);
    put_text(&mut extra, "custom_nameservers", &wire.custom_nameservers);
    put_text(&mut extra, "notes", &wire.notes);
    put_text(&mut extra, "ns1", &wire.ns1);
    put_text(&mut extra, "slave_nameservers", &wire.slave_nameservers);
    put_text(&mut extra, "created_at", &wire.created_at);
    put_text(&mut extra, "updated_at", &wire.updated_at);
    if let Some(custom) = text(&wire.custom_ns) {
        extra.insert("custom_ns".into(), Value::Bool(custom == "true"));
    }
    if let Some(nx) = number::<u32>(&wire.nx_ttl, "nx-ttl")? {
        extra.insert("nx_ttl".into(), Value::from(nx));
    }
    if let Some(count) = number::<u64>(&wire.hosts_count, "hosts-count")? {
        extra.insert("hosts_count".into(), Value::from(count));
    }
    let tags: Vec<Value> = text(&wire.tag_list)
        .map(|t| {
            t.split_whitespace()
                .map(|s| Value::String(s.into()))
                .collect()
        })
        .unwrap_or_default();
    extra.insert("tags".into(), Value::Array(tags));
    Ok(Zone {
        id,
        domain,
        zone_type,
        ttl,
        extra,
    })
}

fn to_record(wire: WireHost, zone_id: &str) -> Result<Record> {
    let id = text(&wire.id)
        .ok_or_else(|| Error::malformed("a record without an id"))?
        .to_string();
    let type_text = text(&wire.host_type)
        .ok_or_else(|| Error::malformed(format!("record {id} has no host-type")))?;
    let record_type: RecordType = type_text.parse().map_err(|_| {
        Error::malformed(format!(
            "record {id} has an unknown host-type {type_text:?}"
        ))
    })?;
    let mut extra = Extra::new();
    put_text(&mut extra, "fqdn", &wire.fqdn);
    put_text(&mut extra, "notes", &wire.notes);
    put_text(&mut extra, "state", &wire.state);
    put_text(&mut extra, "created_at", &wire.created_at);
    put_text(&mut extra, "updated_at", &wire.updated_at);
    Ok(Record {
        name: text(&wire.hostname).unwrap_or_default().to_string(),
        data: text(&wire.data).unwrap_or_default().to_string(),
        zone_id: text(&wire.zone_id).unwrap_or(zone_id).to_string(),
        ttl: number(&wire.ttl, "ttl")?,
        priority: number(&wire.priority, "priority")?,
        id,
        record_type,
        extra,
    })
}

/// Writes `<name>text</name>`, escaped.
fn element(out: &mut String, name: &str, text: &str) {
    let _ = write!(out, "<{name}>{}</{name}>", escape(text));
}

/// Writes `<name type="integer">n</name>`.
fn integer(out: &mut String, name: &str, n: impl std::fmt::Display) {
    let _ = write!(out, "<{name} type=\"integer\">{n}</{name}>");
}

/// What a `<zone>` request body says; `None` leaves a field out.
#[derive(Debug, Default)]
pub(crate) struct ZoneBody<'a> {
    pub(crate) domain: Option<&'a str>,
    pub(crate) ns_type: Option<&'a str>,
    pub(crate) default_ttl: Option<u32>,
    pub(crate) ns1: Option<&'a str>,
    pub(crate) slave_nameservers: Option<String>,
    pub(crate) hostmaster: Option<&'a str>,
    pub(crate) notes: Option<&'a str>,
    pub(crate) tags: Option<Vec<String>>,
    pub(crate) nx_ttl: Option<u32>,
}

impl ZoneBody<'_> {
    /// The XML document.
    pub(crate) fn to_xml(&self) -> String {
        let mut out = String::from("<zone>");
        if let Some(domain) = self.domain {
            element(&mut out, "domain", domain);
        }
        if let Some(ns_type) = self.ns_type {
            element(&mut out, "ns-type", ns_type);
        }
        if let Some(ttl) = self.default_ttl {
            integer(&mut out, "default-ttl", ttl);
        }
        if let Some(ns1) = self.ns1 {
            element(&mut out, "ns1", ns1);
        }
        if let Some(slaves) = &self.slave_nameservers {
            element(&mut out, "slave-nameservers", slaves);
        }
        if let Some(hostmaster) = self.hostmaster {
            element(&mut out, "hostmaster", hostmaster);
        }
        if let Some(nx_ttl) = self.nx_ttl {
            integer(&mut out, "nx-ttl", nx_ttl);
        }
        if let Some(notes) = self.notes {
            element(&mut out, "notes", notes);
        }
        if let Some(tags) = &self.tags {
            element(&mut out, "tag-list", &tags.join(" "));
        }
        out.push_str("</zone>");
        out
    }
}

/// What a `<host>` request body says.
#[derive(Debug)]
pub(crate) struct HostBody<'a> {
    /// `Some("")` writes a nil hostname (the apex); `None` leaves it out.
    pub(crate) hostname: Option<&'a str>,
    pub(crate) host_type: &'a str,
    pub(crate) data: &'a str,
    pub(crate) ttl: Option<u32>,
    pub(crate) priority: Option<u16>,
    pub(crate) notes: Option<&'a str>,
}

impl HostBody<'_> {
    /// The XML document.
    pub(crate) fn to_xml(&self) -> String {
        let mut out = String::from("<host>");
        match self.hostname {
            Some("") => out.push_str("<hostname nil=\"true\"/>"),
            Some(name) => element(&mut out, "hostname", name),
            None => {}
        }
        element(&mut out, "host-type", self.host_type);
        element(&mut out, "data", self.data);
        if let Some(ttl) = self.ttl {
            integer(&mut out, "ttl", ttl);
        }
        if let Some(priority) = self.priority {
            integer(&mut out, "priority", priority);
        }
        if let Some(notes) = self.notes {
            element(&mut out, "notes", notes);
        }
        out.push_str("</host>");
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    const ZONE: &str = r#"<zone>
  <created-at type="datetime">2020-01-02T03:04:05Z</created-at>
  <custom-ns type="boolean">false</custom-ns>
  <default-ttl type="integer">900</default-ttl>
  <domain>shop.example.org</domain>
  <hostmaster nil="true"/>
  <id type="integer">777</id>
  <notes>blue &amp; green</notes>
  <ns-type>sec</ns-type>
  <ns1>192.0.2.53</ns1>
  <nx-ttl type="integer">300</nx-ttl>
  <tag-list>web  prod</tag-list>
  <hosts type="array"><host><id type="integer">1</id><host-type>A</host-type></host></hosts>
</zone>"#;

    #[test]
    fn reads_a_zone_with_nil_fields_and_nested_hosts() {
        let zone = parse_zone(ZONE.as_bytes()).unwrap();
        assert_eq!(zone.id, "777");
        assert_eq!(zone.domain, "shop.example.org");
        assert_eq!(zone.zone_type, ZoneType::Slave);
        assert_eq!(zone.ttl, Some(900));
        assert_eq!(zone.extra["notes"], "blue & green");
        assert_eq!(zone.extra["ns1"], "192.0.2.53");
        assert_eq!(zone.extra["nx_ttl"], 300);
        assert_eq!(zone.extra["custom_ns"], false);
        assert_eq!(zone.extra["tags"], serde_json::json!(["web", "prod"]));
        assert!(!zone.extra.contains_key("hostmaster"));
    }

    #[test]
    fn reads_records_with_priority_and_apex_names() {
        let body = r#"<hosts type="array">
  <host><id type="integer">5</id><hostname nil="true"/><host-type>MX</host-type>
    <data>mx.example.org</data><priority type="integer">10</priority><ttl type="integer" nil="true"/>
  </host>
  <host><id type="integer">6</id><hostname>www</hostname><host-type>CNAME</host-type>
    <data>example.org</data><ttl type="integer">60</ttl><zone-id type="integer">9</zone-id>
  </host>
</hosts>"#;
        let records = parse_records(body.as_bytes(), "3").unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].name, "");
        assert_eq!(records[0].record_type, RecordType::Mx);
        assert_eq!(records[0].priority, Some(10));
        assert_eq!(records[0].ttl, None);
        assert_eq!(records[0].zone_id, "3");
        assert_eq!(records[1].name, "www");
        assert_eq!(records[1].ttl, Some(60));
        assert_eq!(records[1].zone_id, "9");
    }

    #[test]
    fn empty_lists_are_empty() {
        assert!(parse_zones(b"<zones type=\"array\" />").unwrap().is_empty());
        assert!(
            parse_records(b"<hosts type=\"array\"/>", "1")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn bad_documents_are_malformed() {
        let bad: &[&[u8]] = &[
            b"",
            b"   ",
            b"<zone><id>1</id>",
            b"<zone><domain>x.org</domain></zone>",
            b"<zone><id>1</id></zone>",
            b"<zone><id>1</id><domain>x</domain><default-ttl>ten</default-ttl></zone>",
            b"\xff\xfe<zone/>",
            b"not xml at all",
        ];
        for body in bad {
            let err = parse_zone(body).unwrap_err();
            assert_eq!(
                *err.kind(),
                ErrorKind::MalformedResponse,
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        let bad_hosts: &[&[u8]] = &[
            b"<host><hostname>a</hostname></host>",
            b"<host><id>1</id></host>",
            b"<host><id>1</id><host-type>BOGUS</host-type></host>",
            b"<host><id>1</id><host-type>MX</host-type><priority>high</priority></host>",
            b"<host><id>1</id><host-type>A</host-type><ttl>-5</ttl></host>",
        ];
        for body in bad_hosts {
            let err = parse_record(body, "1").unwrap_err();
            assert_eq!(
                *err.kind(),
                ErrorKind::MalformedResponse,
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn request_bodies_escape_text() {
        let zone = ZoneBody {
            domain: Some("a&b.example"),
            ns_type: Some("pri_sec"),
            default_ttl: Some(600),
            tags: Some(vec!["x".into(), "y<z".into()]),
            ..Default::default()
        };
        assert_eq!(
            zone.to_xml(),
            "<zone><domain>a&amp;b.example</domain><ns-type>pri_sec</ns-type>\
             <default-ttl type=\"integer\">600</default-ttl><tag-list>x y&lt;z</tag-list></zone>"
        );
        let host = HostBody {
            hostname: Some(""),
            host_type: "TXT",
            data: "\"quoted\" <text>",
            ttl: Some(60),
            priority: None,
            notes: None,
        };
        assert_eq!(
            host.to_xml(),
            "<host><hostname nil=\"true\"/><host-type>TXT</host-type>\
             <data>&quot;quoted&quot; &lt;text&gt;</data><ttl type=\"integer\">60</ttl></host>"
        );
    }

    #[test]
    fn error_lists_are_read() {
        let body = b"<errors>\n  <error>One</error>\n  <error>Two</error>\n</errors>";
        assert_eq!(parse_errors(body).unwrap(), ["One", "Two"]);
        assert!(parse_errors(b"<errors/>").unwrap().is_empty());
    }
}
