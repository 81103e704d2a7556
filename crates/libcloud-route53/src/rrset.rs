//! Route 53's record sets and how libcloud's records map onto them.
//!
//! Route 53 stores *record sets*: a name and a type with a TTL and one or more values. Libcloud
//! (and this driver) shows one [`Record`] per value, all of a set sharing the id `TYPE:name`
//! (the name relative to the zone, `""` at the apex). Values are written as Route 53 takes them:
//! MX as `priority host`, SRV as `priority weight port target`, TXT and SPF as quoted strings
//! of at most 255 bytes each. They are read back the same way, so a record round-trips.

use std::net::{Ipv4Addr, Ipv6Addr};

use libcloud_core::dns::validate_record_data;
use libcloud_core::{Error, Extra, Record, RecordSpec, RecordType, Result};
use serde_json::{Value, json};

use libcloud_aws::xml::Element;

/// The children a record set's `TTL` goes before, when it has none yet.
const AFTER_TTL: &[&str] = &[
    "ResourceRecords",
    "AliasTarget",
    "HealthCheckId",
    "TrafficPolicyInstanceId",
    "CidrRoutingConfig",
    "GeoProximityLocation",
];

/// The children a record set's `ResourceRecords` goes before, when it has none yet.
const AFTER_VALUES: &[&str] = &[
    "AliasTarget",
    "HealthCheckId",
    "TrafficPolicyInstanceId",
    "CidrRoutingConfig",
    "GeoProximityLocation",
];

/// The longest character-string of a TXT value, in bytes.
const TXT_CHUNK: usize = 255;

/// The id of the records of a set: `TYPE:name`, with the name relative to the zone.
pub(crate) fn record_id(record_type: RecordType, relative_name: &str) -> String {
    format!("{record_type}:{relative_name}")
}

/// The type and relative name in a record id; `None` for text that cannot be one.
pub(crate) fn parse_record_id(id: &str) -> Option<(RecordType, &str)> {
    let (kind, name) = id.split_once(':')?;
    let kind = kind.parse::<RecordType>().ok()?;
    Some((kind, name))
}

/// The fully-qualified name (with its final dot) of `name` in the zone `domain`.
///
/// `""` and `"@"` are the apex; a name ending in `.` is taken as already absolute and must lie
/// in the zone; any other name is relative. A name outside the zone, or with blanks, is
/// `InvalidInput`.
pub(crate) fn fqdn(name: &str, domain: &str) -> Result<String> {
    let domain = domain.trim_end_matches('.');
    let name = name.trim();
    if name.chars().any(char::is_whitespace) {
        return Err(Error::invalid_input(format!(
            "the record name {name:?} contains blanks"
        )));
    }
    if name.is_empty() || name == "@" {
        return Ok(format!("{domain}."));
    }
    if let Some(absolute) = name.strip_suffix('.') {
        if same_name(absolute, domain) || in_zone(absolute, domain).is_some() {
            return Ok(format!("{absolute}."));
        }
        return Err(Error::invalid_input(format!(
            "the record name {name:?} is not in the zone {domain}"
        )));
    }
    Ok(format!("{name}.{domain}."))
}

/// The part of `name` before `.domain`, when `name` is below `domain` (ASCII case ignored).
fn in_zone<'a>(name: &'a str, domain: &str) -> Option<&'a str> {
    let cut = name.len().checked_sub(domain.len() + 1)?;
    let tail = name.get(cut..)?;
    let (dot, rest) = tail.split_at_checked(1)?;
    (cut > 0 && dot == "." && rest.eq_ignore_ascii_case(domain))
        .then(|| name.get(..cut))
        .flatten()
}

/// Whether two DNS names are the same, ignoring ASCII case and a final dot.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// A name as Route 53 writes it, with its `\ooo` octal escapes (`\052` for `*`) decoded.
pub(crate) fn decode_name(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(digits) = bytes.get(i + 1..i + 4)
            && digits.iter().all(|d| (b'0'..=b'7').contains(d))
        {
            let value = digits
                .iter()
                .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
            if let Ok(byte) = u8::try_from(value) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The name of `fqdn` relative to the zone `domain`: `""` for the apex, the full name (without
/// its final dot) when it is not in the zone.
pub(crate) fn relative_name(fqdn: &str, domain: &str) -> String {
    let name = decode_name(fqdn);
    let name = name.trim_end_matches('.');
    let domain = domain.trim_end_matches('.');
    if same_name(name, domain) {
        return String::new();
    }
    in_zone(name, domain).unwrap_or(name).to_string()
}

/// The priority of a spec: its own, else `extra["priority"]` as Libcloud passes it.
fn spec_priority(spec: &RecordSpec) -> Result<Option<u16>> {
    if spec.priority.is_some() {
        return Ok(spec.priority);
    }
    match spec.extra.get("priority") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| Error::invalid_input(format!("priority {n} is not from 0 to 65535"))),
        Some(Value::String(s)) => s
            .trim()
            .parse::<u16>()
            .map(Some)
            .map_err(|_| Error::invalid_input(format!("priority {s:?} is not from 0 to 65535"))),
        Some(other) => Err(Error::invalid_input(format!(
            "priority {other} is not a number"
        ))),
    }
}

/// The Route 53 value for `data` (and `priority`) in a record of `record_type`, checked.
///
/// MX needs a priority; SRV takes `weight port target` with a priority, or all four fields in
/// `data`; TXT and SPF are quoted (and split into 255-byte strings) unless already quoted.
pub(crate) fn encode_value(
    record_type: RecordType,
    data: &str,
    priority: Option<u16>,
) -> Result<String> {
    let data = data.trim();
    match record_type {
        RecordType::Mx => {
            validate_record_data(record_type, data)?;
            let p = priority.ok_or_else(|| {
                Error::invalid_input(format!("the MX record {data:?} needs a priority"))
            })?;
            Ok(format!("{p} {data}"))
        }
        RecordType::Srv => {
            let fields: Vec<&str> = data.split_whitespace().collect();
            let numbers_ok = |f: &[&str]| f.iter().all(|n| n.parse::<u16>().is_ok());
            match (priority, fields.as_slice()) {
                (Some(p), [weight, port, target]) if numbers_ok(&[weight, port]) => {
                    Ok(format!("{p} {weight} {port} {target}"))
                }
                (None, [p, weight, port, target]) if numbers_ok(&[p, weight, port]) => {
                    Ok(format!("{p} {weight} {port} {target}"))
                }
                _ => Err(Error::invalid_input(format!(
                    "{data:?} is not valid data for a SRV record: expected \"weight port target\" \
                     with a priority"
                ))),
            }
        }
        RecordType::Txt | RecordType::Spf => {
            validate_record_data(record_type, data)?;
            Ok(quote_txt(data))
        }
        _ => {
            validate_record_data(record_type, data)?;
            Ok(data.to_string())
        }
    }
}

/// The value for a spec, its priority taken from the spec or its `extra`.
pub(crate) fn encode_spec(spec: &RecordSpec) -> Result<String> {
    encode_value(spec.record_type, &spec.data, spec_priority(spec)?)
}

/// A libcloud record's data and priority from a Route 53 value.
pub(crate) fn decode_value(record_type: RecordType, value: &str) -> (String, Option<u16>) {
    let value = value.trim();
    match record_type {
        RecordType::Mx | RecordType::Srv => match value.split_once(char::is_whitespace) {
            Some((p, rest)) => match p.parse::<u16>() {
                Ok(p) => (rest.trim().to_string(), Some(p)),
                Err(_) => (value.to_string(), None),
            },
            None => (value.to_string(), None),
        },
        RecordType::Txt | RecordType::Spf => (unquote_txt(value), None),
        _ => (value.to_string(), None),
    }
}

/// Text as TXT strings: unchanged when already quoted, else escaped, cut into strings of at
/// most 255 bytes (on character boundaries) and quoted.
pub(crate) fn quote_txt(text: &str) -> String {
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        return text.to_string();
    }
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if current.len() + c.len_utf8() > TXT_CHUNK {
            chunks.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() || chunks.is_empty() {
        chunks.push(current);
    }
    chunks
        .iter()
        .map(|chunk| {
            let escaped = chunk.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\"")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The quoted strings of a TXT value, unescaped; `None` when it is not a list of them.
fn character_strings(value: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = value.trim().chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some('"') => {}
            Some(_) => return None,
        }
        let mut s = String::new();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => match chars.next()? {
                    c @ ('"' | '\\') => s.push(c),
                    c => {
                        s.push('\\');
                        s.push(c);
                    }
                },
                c => s.push(c),
            }
        }
        out.push(s);
    }
    (!out.is_empty()).then_some(out)
}

/// The text of a TXT value: one quoted string unquoted; strings cut where [`quote_txt`] cuts
/// them (every one but the last within a character of 255 bytes) joined again; anything else
/// unchanged.
pub(crate) fn unquote_txt(value: &str) -> String {
    match character_strings(value) {
        Some(strings) if strings.len() == 1 => strings.into_iter().next().unwrap_or_default(),
        Some(strings)
            if strings[..strings.len() - 1]
                .iter()
                .all(|s| s.len() > TXT_CHUNK - 4) =>
        {
            strings.concat()
        }
        _ => value.to_string(),
    }
}

/// Data in a form where harmless differences (case and final dots of host names, IPv6
/// spelling, quoting of text, runs of blanks) vanish, to find a value in a set.
pub(crate) fn canonical(record_type: RecordType, data: &str) -> String {
    let data = data.trim();
    match record_type {
        RecordType::A => data
            .parse::<Ipv4Addr>()
            .map_or_else(|_| data.to_string(), |a| a.to_string()),
        RecordType::Aaaa => data
            .parse::<Ipv6Addr>()
            .map_or_else(|_| data.to_ascii_lowercase(), |a| a.to_string()),
        RecordType::Txt | RecordType::Spf => unquote_txt(data),
        _ => data
            .split_whitespace()
            .map(|t| t.trim_end_matches('.').to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// One Route 53 record set, kept as the element it was read from (or built as), so that a
/// DELETE can repeat it exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordSet {
    element: Element,
}

impl RecordSet {
    /// A set read from a `<ResourceRecordSet>`; it needs a `Name` and a `Type`.
    pub(crate) fn from_element(element: Element) -> Result<Self> {
        element.required("Name", "a record set")?;
        element.required("Type", "a record set")?;
        Ok(RecordSet { element })
    }

    /// A new set of plain values.
    pub(crate) fn new(fqdn: &str, record_type: RecordType, ttl: u32, values: &[String]) -> Self {
        let element = Element::new("ResourceRecordSet")
            .with(Element::text("Name", fqdn))
            .with(Element::text("Type", record_type.as_str()))
            .with(Element::text("TTL", ttl.to_string()))
            .with(values_element(values));
        RecordSet { element }
    }

    /// A new alias set pointing at `dns_name` in the hosted zone `hosted_zone_id`.
    pub(crate) fn alias(
        fqdn: &str,
        record_type: RecordType,
        hosted_zone_id: &str,
        dns_name: &str,
        evaluate_target_health: bool,
    ) -> Self {
        let target = Element::new("AliasTarget")
            .with(Element::text("HostedZoneId", hosted_zone_id))
            .with(Element::text("DNSName", dns_name))
            .with(Element::text(
                "EvaluateTargetHealth",
                evaluate_target_health.to_string(),
            ));
        let element = Element::new("ResourceRecordSet")
            .with(Element::text("Name", fqdn))
            .with(Element::text("Type", record_type.as_str()))
            .with(target);
        RecordSet { element }
    }

    /// The element, to write into a change.
    pub(crate) fn element(&self) -> &Element {
        &self.element
    }

    /// The name as Route 53 wrote it (fully qualified, escaped).
    pub(crate) fn name(&self) -> &str {
        self.element.text_of("Name").unwrap_or_default()
    }

    /// The type as Route 53 wrote it.
    pub(crate) fn type_text(&self) -> &str {
        self.element.text_of("Type").unwrap_or_default()
    }

    /// The type, when libcloud has a name for it.
    pub(crate) fn record_type(&self) -> Option<RecordType> {
        self.type_text().parse().ok()
    }

    /// The set identifier of a routing-policy set.
    pub(crate) fn set_identifier(&self) -> Option<&str> {
        self.element.text_of("SetIdentifier")
    }

    /// The TTL; `None` for alias sets (or a TTL that is not a number).
    pub(crate) fn ttl(&self) -> Option<u32> {
        self.element.text_of("TTL").and_then(|t| t.parse().ok())
    }

    /// Whether the set is an alias.
    pub(crate) fn is_alias(&self) -> bool {
        self.element.child("AliasTarget").is_some()
    }

    /// The values, in order.
    pub(crate) fn values(&self) -> Vec<String> {
        self.element
            .child("ResourceRecords")
            .map(|rr| {
                rr.all("ResourceRecord")
                    .filter_map(|r| r.text_of("Value"))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the set is this name, type and (when given) set identifier.
    pub(crate) fn is(&self, fqdn: &str, record_type: &str, identifier: Option<&str>) -> bool {
        same_name(&decode_name(self.name()), &decode_name(fqdn))
            && self.type_text().eq_ignore_ascii_case(record_type)
            && (identifier.is_none() || self.set_identifier() == identifier)
    }

    /// The index of the value holding `data` (and `priority`, when given).
    pub(crate) fn find(&self, data: &str, priority: Option<u16>) -> Option<usize> {
        let kind = self.record_type()?;
        let wanted = canonical(kind, data);
        self.values().iter().position(|v| {
            let (d, p) = decode_value(kind, v);
            canonical(kind, &d) == wanted && (priority.is_none() || p == priority)
        })
    }

    /// A copy with `values` instead of the current ones, and `ttl` when given.
    pub(crate) fn with_values(&self, values: &[String], ttl: Option<u32>) -> Self {
        let mut element = self.element.clone();
        if let Some(ttl) = ttl {
            element.set_child(Element::text("TTL", ttl.to_string()), AFTER_TTL);
        }
        element.set_child(values_element(values), AFTER_VALUES);
        RecordSet { element }
    }

    /// How many `ResourceRecord` elements and value characters the set puts in a request.
    pub(crate) fn weight(&self) -> (usize, usize) {
        let values = self.values();
        let chars = values.iter().map(|v| v.chars().count()).sum();
        (values.len(), chars)
    }

    /// The set as libcloud records: one per value (one for an alias, whose data is its target),
    /// none for a type libcloud has no name for, or a set with neither values nor alias.
    pub(crate) fn to_records(&self, zone_id: &str, domain: &str) -> Vec<Record> {
        let Some(kind) = self.record_type() else {
            return Vec::new();
        };
        let name = relative_name(self.name(), domain);
        let id = record_id(kind, &name);
        let extra = self.extra();
        if let Some(target) = self.element.child("AliasTarget") {
            let data = target.text_of("DNSName").unwrap_or_default().to_string();
            return vec![Record {
                id,
                name,
                record_type: kind,
                data,
                zone_id: zone_id.to_string(),
                ttl: None,
                priority: None,
                extra,
            }];
        }
        let ttl = self.ttl();
        self.values()
            .iter()
            .map(|value| {
                let (data, priority) = decode_value(kind, value);
                Record {
                    id: id.clone(),
                    name: name.clone(),
                    record_type: kind,
                    data,
                    zone_id: zone_id.to_string(),
                    ttl,
                    priority,
                    extra: extra.clone(),
                }
            })
            .collect()
    }

    /// What only Route 53 has: routing-policy fields, the alias target, the set's size.
    fn extra(&self) -> Extra {
        let mut extra = Extra::new();
        let e = &self.element;
        extra.insert("fqdn".into(), json!(decode_name(self.name())));
        for (element, key) in [
            ("SetIdentifier", "set_identifier"),
            ("Region", "region"),
            ("Failover", "failover"),
            ("HealthCheckId", "health_check_id"),
            ("TrafficPolicyInstanceId", "traffic_policy_instance_id"),
        ] {
            if let Some(text) = e.text_of(element) {
                extra.insert(key.into(), json!(text));
            }
        }
        if let Some(weight) = e.text_of("Weight") {
            extra.insert(
                "weight".into(),
                weight
                    .parse::<u64>()
                    .map_or_else(|_| json!(weight), |w| json!(w)),
            );
        }
        if let Some(multi) = e.text_of("MultiValueAnswer") {
            extra.insert("multi_value_answer".into(), json!(multi == "true"));
        }
        if let Some(geo) = e.child("GeoLocation") {
            let fields: serde_json::Map<String, Value> = geo
                .children
                .iter()
                .map(|c| (c.name.clone(), json!(c.text.trim())))
                .collect();
            extra.insert("geo_location".into(), Value::Object(fields));
        }
        if let Some(target) = e.child("AliasTarget") {
            extra.insert(
                "alias_target".into(),
                json!({
                    "hosted_zone_id": target.text_of("HostedZoneId"),
                    "dns_name": target.text_of("DNSName"),
                    "evaluate_target_health": target.text_of("EvaluateTargetHealth") == Some("true"),
                }),
            );
        }
        extra.insert("values_in_set".into(), json!(self.values().len()));
        extra
    }
}

fn values_element(values: &[String]) -> Element {
    values
        .iter()
        .fold(Element::new("ResourceRecords"), |rr, value| {
            rr.with(Element::new("ResourceRecord").with(Element::text("Value", value.clone())))
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    #[test]
    fn names_between_relative_and_absolute() {
        assert_eq!(fqdn("", "example.com").unwrap(), "example.com.");
        assert_eq!(fqdn("@", "example.com.").unwrap(), "example.com.");
        assert_eq!(fqdn("www", "example.com").unwrap(), "www.example.com.");
        assert_eq!(fqdn("a.b", "example.com").unwrap(), "a.b.example.com.");
        assert_eq!(
            fqdn("WWW.Example.com.", "example.com").unwrap(),
            "WWW.Example.com."
        );
        assert_eq!(fqdn("example.com.", "example.com").unwrap(), "example.com.");
        for bad in ["www.other.org.", "xexample.com.", "a b"] {
            let err = fqdn(bad, "example.com").unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{bad}");
        }
        assert_eq!(relative_name("www.example.com.", "example.com"), "www");
        assert_eq!(relative_name("Example.COM.", "example.com"), "");
        assert_eq!(relative_name("\\052.example.com.", "example.com"), "*");
        assert_eq!(relative_name("other.org.", "example.com"), "other.org");
        assert_eq!(
            relative_name("xexample.com.", "example.com"),
            "xexample.com"
        );
        assert_eq!(decode_name("a\\100b\\0"), "a@b\\0");
        assert_eq!(decode_name("\\777"), "\\777");
    }

    #[test]
    fn record_ids() {
        assert_eq!(record_id(RecordType::Aaaa, "www"), "AAAA:www");
        assert_eq!(parse_record_id("A:"), Some((RecordType::A, "")));
        assert_eq!(parse_record_id("mx:a:b"), Some((RecordType::Mx, "a:b")));
        assert_eq!(parse_record_id("www"), None);
        assert_eq!(parse_record_id("BOGUS:www"), None);
    }

    #[test]
    fn values_round_trip() {
        let cases = [
            (RecordType::A, "192.0.2.1", None, "192.0.2.1"),
            (
                RecordType::Mx,
                "mail.example.com",
                Some(10),
                "10 mail.example.com",
            ),
            (
                RecordType::Srv,
                "20 5060 sip.example.org",
                Some(10),
                "10 20 5060 sip.example.org",
            ),
            (RecordType::Txt, "say \"hi\"", None, "\"say \\\"hi\\\"\""),
            (
                RecordType::Caa,
                "0 issue \"ca.example\"",
                None,
                "0 issue \"ca.example\"",
            ),
        ];
        for (kind, data, priority, value) in cases {
            assert_eq!(encode_value(kind, data, priority).unwrap(), value);
            assert_eq!(
                decode_value(kind, value),
                (data.to_string(), priority),
                "{kind}"
            );
        }
        // A full SRV value without a separate priority.
        assert_eq!(
            encode_value(RecordType::Srv, "1 2 3 t.example", None).unwrap(),
            "1 2 3 t.example"
        );
        // Already quoted text is sent as it is.
        assert_eq!(
            encode_value(RecordType::Txt, "\"a\" \"b\"", None).unwrap(),
            "\"a\" \"b\""
        );
        assert_eq!(unquote_txt("\"a\" \"b\""), "\"a\" \"b\"");
        let long = "x".repeat(600);
        let value = quote_txt(&long);
        assert_eq!(value.matches('"').count(), 6);
        assert_eq!(unquote_txt(&value), long);
        let multibyte = "é".repeat(200);
        assert_eq!(unquote_txt(&quote_txt(&multibyte)), multibyte);
        assert_eq!(unquote_txt("not quoted"), "not quoted");
        assert_eq!(unquote_txt("\"unterminated"), "\"unterminated");
    }

    #[test]
    fn invalid_values_are_refused() {
        let bad = [
            (RecordType::A, "not-an-ip", None),
            (RecordType::Aaaa, "192.0.2.1", None),
            (RecordType::Mx, "mail.example.com", None),
            (RecordType::Srv, "5060 sip.example.org", Some(1)),
            (RecordType::Srv, "x 1 2 t", None),
            (RecordType::Cname, "bad host!", None),
            (RecordType::Txt, "", None),
        ];
        for (kind, data, priority) in bad {
            let err = encode_value(kind, data, priority).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{kind} {data}");
        }
        let mut spec = RecordSpec::new("m", RecordType::Mx, "mail.example.com");
        spec.extra.insert("priority".into(), json!(5));
        assert_eq!(encode_spec(&spec).unwrap(), "5 mail.example.com");
        spec.extra.insert("priority".into(), json!("7"));
        assert_eq!(encode_spec(&spec).unwrap(), "7 mail.example.com");
        spec.extra.insert("priority".into(), json!(70000));
        assert!(encode_spec(&spec).is_err());
        spec.extra.insert("priority".into(), json!([1]));
        assert!(encode_spec(&spec).is_err());
    }

    #[test]
    fn sets_find_and_replace_values() {
        let set = RecordSet::new(
            "www.example.com.",
            RecordType::Mx,
            300,
            &["10 Mail.Example.com.".into(), "20 b.example.com".into()],
        );
        assert_eq!(set.find("mail.example.com", Some(10)), Some(0));
        assert_eq!(set.find("mail.example.com", None), Some(0));
        assert_eq!(set.find("mail.example.com", Some(20)), None);
        assert_eq!(set.find("b.example.com.", None), Some(1));
        assert!(set.is("WWW.example.com", "MX", None));
        assert!(!set.is("www.example.com.", "A", None));
        let changed = set.with_values(&["5 c.example.com".into()], Some(60));
        assert_eq!(changed.values(), ["5 c.example.com"]);
        assert_eq!(changed.ttl(), Some(60));
        assert_eq!(changed.weight(), (1, 15));
        let records = set.to_records("Z1", "example.com");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].id, "MX:www");
        assert_eq!(records[0].data, "Mail.Example.com.");
        assert_eq!(records[0].priority, Some(10));
        assert_eq!(records[1].extra["values_in_set"], json!(2));

        let alias = RecordSet::alias("example.com.", RecordType::A, "Z2", "lb.example.net.", true);
        assert!(alias.is_alias());
        let records = alias.to_records("Z1", "example.com");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].id, "A:");
        assert_eq!(records[0].ttl, None);
        assert_eq!(
            records[0].extra["alias_target"]["evaluate_target_health"],
            json!(true)
        );
        // TTL goes before the values when a set had none.
        let added = alias.with_values(&["192.0.2.1".into()], Some(30));
        let names: Vec<&str> = added
            .element()
            .children
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["Name", "Type", "TTL", "ResourceRecords", "AliasTarget"]
        );
    }
}
