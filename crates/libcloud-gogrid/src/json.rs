//! GoGrid's JSON: the response envelope, the wire types read with serde, and their conversion
//! to libcloud's models.

use libcloud_core::{Algorithm, BalancerState, Error, Extra, LoadBalancer, Member, Result};
use serde::Deserialize;
use serde_json::Value;

/// Every GoGrid answer: `{"status": ..., "method": ..., "summary": {...}, "list": [...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    /// `"success"` or `"failure"`.
    #[serde(default)]
    pub(crate) status: Option<String>,
    /// The API method that answered (`/grid/loadbalancer/list`).
    #[serde(default)]
    pub(crate) method: Option<String>,
    /// The objects (or, on failure, the errors).
    #[serde(default)]
    pub(crate) list: Vec<Value>,
}

/// Reads the envelope of a body; anything unreadable is `MalformedResponse`.
pub(crate) fn parse_envelope(body: &[u8]) -> Result<Envelope> {
    serde_json::from_slice(body)
        .map_err(|e| Error::malformed(format!("cannot read GoGrid's answer: {e}")))
}

/// One of GoGrid's enumerated values: `{"id": 1, "name": "On", "description": ..., "object": "option"}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireOption {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// An address: `{"id": 1868101, "ip": "10.0.0.68", "public": true, "state": {...}, ...}`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireIp {
    #[serde(default)]
    id: Option<Value>,
    ip: String,
    #[serde(default)]
    public: Option<bool>,
    #[serde(default)]
    state: Option<WireOption>,
    #[serde(default)]
    subnet: Option<String>,
    #[serde(default)]
    datacenter: Option<WireOption>,
}

/// An address with a port (`"object": "ipportpair"`).
#[derive(Debug, Deserialize)]
pub(crate) struct WireIpPort {
    ip: WireIp,
    port: Value,
}

/// A load balancer.
#[derive(Debug, Deserialize)]
pub(crate) struct WireBalancer {
    #[serde(default)]
    id: Option<Value>,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    state: Option<WireOption>,
    #[serde(rename = "type", default)]
    kind: Option<WireOption>,
    #[serde(default)]
    persistence: Option<WireOption>,
    #[serde(default)]
    os: Option<WireOption>,
    #[serde(default)]
    datacenter: Option<WireOption>,
    virtualip: WireIpPort,
    #[serde(default)]
    realiplist: Vec<WireIpPort>,
}

/// An address of the account, as `grid/ip/list` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GoGridIp {
    /// GoGrid's id of the address.
    pub id: String,
    /// The address.
    pub ip: String,
    /// Whether it is a public address.
    pub public: bool,
    /// Its state (`"Unassigned"`, `"Assigned"`).
    pub state: Option<String>,
    /// Its subnet (`"10.0.0.64/255.255.255.240"`).
    pub subnet: Option<String>,
    /// The name of its data center (`"US-West-1"`).
    pub datacenter: Option<String>,
    /// The id of its data center.
    pub datacenter_id: Option<String>,
}

/// A number or string id as text.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

fn option_id(option: &Option<WireOption>) -> Option<String> {
    option.as_ref()?.id.as_ref().and_then(id_text)
}

fn option_name(option: &Option<WireOption>) -> Option<&str> {
    option.as_ref()?.name.as_deref()
}

/// A port given as a number or as text.
fn port(value: &Value, what: &str) -> Result<u16> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| Error::malformed(format!("{what} has no valid port: {value}")))
}

fn items<T: for<'de> Deserialize<'de>>(list: Vec<Value>, what: &str) -> Result<Vec<T>> {
    list.into_iter()
        .map(|v| {
            serde_json::from_value(v)
                .map_err(|e| Error::malformed(format!("cannot read a {what}: {e}")))
        })
        .collect()
}

/// The algorithm GoGrid calls `name` (`"Round Robin"`, `"Least Connect"`).
pub(crate) fn algorithm_from_name(name: &str) -> Option<Algorithm> {
    match name.trim().to_ascii_lowercase().as_str() {
        "round robin" => Some(Algorithm::RoundRobin),
        "least connect" => Some(Algorithm::LeastConnections),
        _ => None,
    }
}

/// GoGrid's name of an algorithm, as `loadbalancer.type` takes it; `None` for those it lacks.
pub(crate) fn algorithm_to_name(algorithm: Algorithm) -> Option<&'static str> {
    match algorithm {
        Algorithm::RoundRobin => Some("round robin"),
        Algorithm::LeastConnections => Some("least connect"),
        _ => None,
    }
}

fn ip_extra(ip: &WireIp, extra: &mut Extra) {
    if let Some(public) = ip.public {
        extra.insert("public".into(), Value::Bool(public));
    }
    if let Some(state) = option_name(&ip.state) {
        extra.insert("ip_state".into(), Value::from(state));
    }
    if let Some(subnet) = &ip.subnet {
        extra.insert("subnet".into(), Value::from(subnet.as_str()));
    }
    if let Some(dc) = option_name(&ip.datacenter) {
        extra.insert("datacenter".into(), Value::from(dc));
    }
}

fn to_member(wire: &WireIpPort) -> Result<Member> {
    let mut extra = Extra::new();
    ip_extra(&wire.ip, &mut extra);
    Ok(Member {
        id: wire.ip.id.as_ref().and_then(id_text),
        ip: Some(wire.ip.ip.clone()),
        port: Some(port(&wire.port, &format!("member {}", wire.ip.ip))?),
        weight: None,
        extra,
    })
}

/// A balancer and its members.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub(crate) balancer: LoadBalancer,
    pub(crate) members: Vec<Member>,
}

fn to_balancer(wire: WireBalancer) -> Result<Parsed> {
    let id = wire.id.as_ref().and_then(id_text);
    let state_name = option_name(&wire.state);
    // A balancer GoGrid has not given an id yet is still being built.
    let state = match (&id, state_name) {
        (None, _) => BalancerState::Pending,
        (Some(_), Some("On")) => BalancerState::Running,
        _ => BalancerState::Unknown,
    };
    let type_name = option_name(&wire.kind);
    let mut extra = Extra::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            extra.insert(key.to_string(), Value::from(v));
        }
    };
    put("state_name", state_name.map(String::from));
    put(
        "state_description",
        wire.state.as_ref().and_then(|s| s.description.clone()),
    );
    put("type", type_name.map(String::from));
    put(
        "persistence",
        option_name(&wire.persistence).map(String::from),
    );
    put("os", option_name(&wire.os).map(String::from));
    put(
        "datacenter",
        option_name(&wire.datacenter).map(String::from),
    );
    put("datacenter_id", option_id(&wire.datacenter));
    put(
        "virtual_ip_id",
        wire.virtualip.ip.id.as_ref().and_then(id_text),
    );
    put("description", wire.description.clone());
    let members = wire
        .realiplist
        .iter()
        .map(to_member)
        .collect::<Result<Vec<_>>>()?;
    let balancer = LoadBalancer {
        id: id.unwrap_or_default(),
        name: wire.name,
        state,
        ip: Some(wire.virtualip.ip.ip.clone()),
        port: port(&wire.virtualip.port, "the virtual address")?,
        protocol: Some("http".into()),
        algorithm: type_name.and_then(algorithm_from_name),
        extra,
    };
    Ok(Parsed { balancer, members })
}

/// The balancers of an envelope, with their members.
pub(crate) fn parse_balancers(envelope: Envelope) -> Result<Vec<Parsed>> {
    items::<WireBalancer>(envelope.list, "load balancer")?
        .into_iter()
        .map(to_balancer)
        .collect()
}

/// The addresses of an envelope.
pub(crate) fn parse_ips(envelope: Envelope) -> Result<Vec<GoGridIp>> {
    Ok(items::<WireIp>(envelope.list, "address")?
        .into_iter()
        .map(|w| GoGridIp {
            id: w.id.as_ref().and_then(id_text).unwrap_or_default(),
            public: w.public.unwrap_or(false),
            state: option_name(&w.state).map(String::from),
            subnet: w.subnet.clone(),
            datacenter: option_name(&w.datacenter).map(String::from),
            datacenter_id: option_id(&w.datacenter),
            ip: w.ip,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    fn envelope(list: Value) -> Envelope {
        parse_envelope(
            serde_json::json!({"status": "success", "method": "/grid/x", "list": list})
                .to_string()
                .as_bytes(),
        )
        .unwrap()
    }

    fn balancer_json(id: Value, type_name: &str, state: &str) -> Value {
        serde_json::json!({
            "id": id,
            "name": "web",
            "state": {"id": 1, "name": state, "description": "d"},
            "type": {"id": 2, "name": type_name},
            "datacenter": {"id": 2, "name": "US-East-1"},
            "virtualip": {"ip": {"id": 5, "ip": "192.0.2.10", "public": true}, "port": 8080},
            "realiplist": [
                {"ip": {"id": 6, "ip": "192.0.2.20", "state": {"name": "Assigned"}}, "port": "81"},
                {"ip": {"ip": "192.0.2.21"}, "port": 82}
            ]
        })
    }

    #[test]
    fn reads_balancers_members_and_algorithms() {
        let parsed = parse_balancers(envelope(serde_json::json!([balancer_json(
            serde_json::json!(42),
            "Least Connect",
            "On"
        )])))
        .unwrap();
        let p = &parsed[0];
        assert_eq!(p.balancer.id, "42");
        assert_eq!(p.balancer.state, BalancerState::Running);
        assert_eq!(p.balancer.algorithm, Some(Algorithm::LeastConnections));
        assert_eq!(p.balancer.ip.as_deref(), Some("192.0.2.10"));
        assert_eq!(p.balancer.port, 8080);
        assert_eq!(p.balancer.extra["datacenter"], "US-East-1");
        assert_eq!(p.balancer.extra["datacenter_id"], "2");
        assert_eq!(p.members.len(), 2);
        assert_eq!(p.members[0].id.as_deref(), Some("6"));
        assert_eq!(p.members[0].port, Some(81));
        assert_eq!(p.members[0].extra["ip_state"], "Assigned");
        assert_eq!(p.members[1].id, None);
    }

    #[test]
    fn states_and_unknown_algorithms() {
        let parsed = parse_balancers(envelope(serde_json::json!([
            balancer_json(serde_json::json!("7"), "Weighted", "Off"),
            balancer_json(Value::Null, "Round Robin", "On"),
        ])))
        .unwrap();
        assert_eq!(parsed[0].balancer.state, BalancerState::Unknown);
        assert_eq!(parsed[0].balancer.algorithm, None);
        assert_eq!(parsed[0].balancer.extra["type"], "Weighted");
        assert_eq!(parsed[1].balancer.id, "");
        assert_eq!(parsed[1].balancer.state, BalancerState::Pending);
        assert_eq!(parsed[1].balancer.algorithm, Some(Algorithm::RoundRobin));
    }

    #[test]
    fn algorithm_names_round_trip() {
        for a in [Algorithm::RoundRobin, Algorithm::LeastConnections] {
            assert_eq!(algorithm_from_name(algorithm_to_name(a).unwrap()), Some(a));
        }
        assert_eq!(algorithm_to_name(Algorithm::Random), None);
    }

    #[test]
    fn bad_shapes_are_malformed() {
        let bad = [
            serde_json::json!([{"name": "x"}]),
            serde_json::json!([{"name": "x", "virtualip": {"ip": {"ip": "1.2.3.4"}, "port": 70000}}]),
            serde_json::json!([{"name": "x", "virtualip": {"ip": {"ip": "1.2.3.4"}, "port": "http"}}]),
            serde_json::json!([{"name": 5, "virtualip": {"ip": {"ip": "1.2.3.4"}, "port": 80}}]),
            serde_json::json!(["a string"]),
        ];
        for list in bad {
            let err = parse_balancers(envelope(list.clone())).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{list}");
        }
        for body in [&b""[..], b"{", b"[1,2]", b"{\"list\": 5}", b"null"] {
            let err = parse_envelope(body).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
        }
    }

    #[test]
    fn reads_addresses() {
        let ips = parse_ips(envelope(serde_json::json!([
            {"id": 1, "ip": "192.0.2.1", "public": true, "state": {"name": "Unassigned"},
             "subnet": "192.0.2.0/255.255.255.0", "datacenter": {"id": 1, "name": "US-West-1"}},
            {"ip": "10.1.1.1"}
        ])))
        .unwrap();
        assert_eq!(ips[0].id, "1");
        assert!(ips[0].public);
        assert_eq!(ips[0].state.as_deref(), Some("Unassigned"));
        assert_eq!(ips[0].datacenter_id.as_deref(), Some("1"));
        assert!(!ips[1].public);
        assert!(parse_ips(envelope(serde_json::json!([{"id": 1}]))).is_err());
    }
}
