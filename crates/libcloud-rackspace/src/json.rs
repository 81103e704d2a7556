//! Wire types of Cloud Load Balancers and Cloud DNS (API v1.0), read leniently: what the
//! drivers need is typed, the rest is kept as JSON for `extra`.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// An id that Rackspace sends as a number (`8290`) or a string (`"A-7423034"`).
pub(crate) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id (a number or a string), got {other}"
        ))),
    }
}

/// A number that may come as a string (`"port": "80"`).
fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a whole number"))),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a number, got {other}"
        ))),
    }
}

/// A pagination link.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Link {
    #[serde(default)]
    pub(crate) rel: Option<String>,
    #[serde(default)]
    pub(crate) href: Option<String>,
}

/// Whether `links` has a `next` page.
pub(crate) fn has_next(links: &[Link]) -> bool {
    links.iter().any(|l| {
        l.rel.as_deref() == Some("next") && l.href.as_deref().is_some_and(|h| !h.is_empty())
    })
}

// --- Cloud Load Balancers --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(crate) struct BalancerList {
    #[serde(rename = "loadBalancers", default)]
    pub(crate) load_balancers: Vec<Balancer>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BalancerEnvelope {
    #[serde(rename = "loadBalancer")]
    pub(crate) load_balancer: Balancer,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Balancer {
    #[serde(deserialize_with = "id")]
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) protocol: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub(crate) port: Option<u64>,
    #[serde(default)]
    pub(crate) algorithm: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(rename = "virtualIps", default)]
    pub(crate) virtual_ips: Vec<VirtualIp>,
    #[serde(default)]
    pub(crate) nodes: Vec<LbNode>,
    #[serde(flatten)]
    pub(crate) rest: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct VirtualIp {
    #[serde(default)]
    pub(crate) address: Option<String>,
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
    #[serde(rename = "ipVersion", default)]
    pub(crate) ip_version: Option<String>,
    #[serde(flatten)]
    pub(crate) rest: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NodeList {
    #[serde(default)]
    pub(crate) nodes: Vec<LbNode>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LbNode {
    #[serde(deserialize_with = "id")]
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) address: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub(crate) port: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub(crate) weight: Option<u64>,
    #[serde(default)]
    pub(crate) condition: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProtocolList {
    #[serde(default)]
    pub(crate) protocols: Vec<Protocol>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Protocol {
    pub(crate) name: String,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub(crate) port: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AlgorithmList {
    #[serde(default)]
    pub(crate) algorithms: Vec<NamedItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NamedItem {
    pub(crate) name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorPageEnvelope {
    pub(crate) errorpage: ErrorPage,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorPage {
    #[serde(default)]
    pub(crate) content: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccessList {
    #[serde(rename = "accessList", default)]
    pub(crate) access_list: Vec<AccessItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccessItem {
    #[serde(deserialize_with = "id")]
    pub(crate) id: String,
    pub(crate) address: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
}

// --- Cloud DNS -------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(crate) struct DomainList {
    #[serde(default)]
    pub(crate) domains: Vec<Domain>,
    #[serde(rename = "totalEntries", default)]
    pub(crate) total_entries: Option<u64>,
    #[serde(default)]
    pub(crate) links: Vec<Link>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Domain {
    #[serde(deserialize_with = "id")]
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub(crate) ttl: Option<u64>,
    #[serde(rename = "emailAddress", default)]
    pub(crate) email_address: Option<String>,
    #[serde(default)]
    pub(crate) comment: Option<String>,
    #[serde(flatten)]
    pub(crate) rest: Map<String, Value>,
}

/// A page of records: `{"records": [...]}` from `/domains/{id}/records`, or the
/// `recordsList` of a domain's details.
#[derive(Debug, Deserialize)]
pub(crate) struct RecordList {
    #[serde(default)]
    pub(crate) records: Vec<DnsRecord>,
    #[serde(rename = "totalEntries", default)]
    pub(crate) total_entries: Option<u64>,
    #[serde(default)]
    pub(crate) links: Vec<Link>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DnsRecord {
    #[serde(deserialize_with = "id")]
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) data: String,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub(crate) ttl: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub(crate) priority: Option<u64>,
    #[serde(default)]
    pub(crate) comment: Option<String>,
    #[serde(flatten)]
    pub(crate) rest: Map<String, Value>,
}

/// The state of an asynchronous Cloud DNS job, as the first answer and the callback give it.
#[derive(Debug, Deserialize)]
pub(crate) struct Job {
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(rename = "jobId", default)]
    pub(crate) job_id: Option<String>,
    #[serde(rename = "callbackUrl", default)]
    pub(crate) callback_url: Option<String>,
    #[serde(default)]
    pub(crate) response: Option<Value>,
    #[serde(default)]
    pub(crate) error: Option<Value>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_and_lenient_numbers() {
        let p: Protocol = serde_json::from_str(r#"{"name": "HTTP", "port": "80"}"#).unwrap();
        assert_eq!(p.port, Some(80));
        let n: LbNode =
            serde_json::from_str(r#"{"id": 30944, "address": "10.1.0.11", "port": 80}"#).unwrap();
        assert_eq!(n.id, "30944");
        let r: DnsRecord = serde_json::from_str(
            r#"{"id": "A-1", "name": "a.example.com", "type": "A", "data": "192.0.2.1"}"#,
        )
        .unwrap();
        assert_eq!(r.id, "A-1");
        assert!(serde_json::from_str::<LbNode>(r#"{"id": [1]}"#).is_err());
        assert!(serde_json::from_str::<Protocol>(r#"{"name": "X", "port": "eighty"}"#).is_err());
        assert!(serde_json::from_str::<Protocol>(r#"{"name": "X", "port": -1}"#).is_err());
    }

    #[test]
    fn next_links() {
        let links: Vec<Link> = serde_json::from_str(
            r#"[{"rel": "previous", "href": "x"}, {"rel": "next", "href": "y"}]"#,
        )
        .unwrap();
        assert!(has_next(&links));
        assert!(!has_next(&links[..1]));
    }
}
