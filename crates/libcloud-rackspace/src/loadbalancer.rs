//! Cloud Load Balancers: balancers, their nodes as members, protocols and algorithms, through
//! the uniform [`LoadBalancerDriver`] API.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;
use http::Method;
use libcloud_core::paging::{Page, paginate};
use libcloud_core::{
    Algorithm, BalancerState, CreateBalancer, Error, ErrorKind, Extra, LoadBalancer,
    LoadBalancerCapabilities, LoadBalancerDriver, Member, ResourceKind, Result, Transport,
    UpdateBalancer,
};
use libcloud_openstack::Session;
use serde_json::{Value, json};

use crate::client::{
    IMMUTABLE_CODE, PROVIDER, ServiceClient, Target, encode, join_url, json_request, parse_json,
};
use crate::config::RackspaceConfig;
use crate::json;

/// The catalog service type of Cloud Load Balancers.
pub const LOAD_BALANCER_SERVICE_TYPE: &str = "rax:load-balancer";

/// The catalog service name of Cloud Load Balancers.
pub const LOAD_BALANCER_SERVICE_NAME: &str = "cloudLoadBalancers";

/// The protocols Cloud Load Balancers documents, lower-case; what
/// [`list_protocols`](LoadBalancerDriver::list_protocols) answers when the deployment is
/// declared without `GET /loadbalancers/protocols` (see [`LoadBalancerFeatures`]).
pub const DOCUMENTED_PROTOCOLS: &[&str] = &[
    "dns_tcp",
    "dns_udp",
    "ftp",
    "http",
    "https",
    "imaps",
    "imapv2",
    "imapv3",
    "imapv4",
    "ldap",
    "ldaps",
    "mysql",
    "pop3",
    "pop3s",
    "sftp",
    "smtp",
    "tcp",
    "tcp_client_first",
    "udp",
    "udp_stream",
];

/// The algorithms Cloud Load Balancers offers, with its names for them.
const ALGORITHMS: [(Algorithm, &str); 5] = [
    (Algorithm::Random, "RANDOM"),
    (Algorithm::RoundRobin, "ROUND_ROBIN"),
    (Algorithm::LeastConnections, "LEAST_CONNECTIONS"),
    (Algorithm::WeightedRoundRobin, "WEIGHTED_ROUND_ROBIN"),
    (
        Algorithm::WeightedLeastConnections,
        "WEIGHTED_LEAST_CONNECTIONS",
    ),
];

/// How many balancers one listing page asks for.
const PAGE_SIZE: usize = 100;
/// The most pages a listing follows (a loop guard).
const MAX_PAGES: usize = 10_000;

/// A balancer's state from Rackspace's status: `ACTIVE` is running, `BUILD` and
/// `PENDING_UPDATE` pending, `ERROR` and `DELETED` themselves, anything else unknown.
pub fn balancer_state(status: &str) -> BalancerState {
    match status.to_ascii_uppercase().as_str() {
        "ACTIVE" => BalancerState::Running,
        "BUILD" | "PENDING_UPDATE" => BalancerState::Pending,
        "ERROR" => BalancerState::Error,
        "DELETED" => BalancerState::Deleted,
        _ => BalancerState::Unknown,
    }
}

/// Rackspace's name of an algorithm (`ROUND_ROBIN`), if it offers it.
pub fn algorithm_name(algorithm: Algorithm) -> Option<&'static str> {
    ALGORITHMS
        .iter()
        .find(|(a, _)| *a == algorithm)
        .map(|(_, n)| *n)
}

/// The algorithm Rackspace calls `name`, if it is one libcloud knows.
pub fn algorithm_from_name(name: &str) -> Option<Algorithm> {
    ALGORITHMS
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(a, _)| *a)
}

/// What a Cloud Load Balancers deployment offers beyond balancers and nodes.
///
/// Both default to true, as Rackspace has them; a stand-in may lack them (mimic has neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadBalancerFeatures {
    /// `GET /loadbalancers/protocols`. Without it `list_protocols` answers
    /// [`DOCUMENTED_PROTOCOLS`].
    pub protocol_list: bool,
    /// `PUT /loadbalancers/{id}`, behind `update_balancer`.
    pub update: bool,
}

impl Default for LoadBalancerFeatures {
    fn default() -> Self {
        LoadBalancerFeatures {
            protocol_list: true,
            update: true,
        }
    }
}

impl LoadBalancerFeatures {
    /// Sets whether the protocols are listed by the service.
    pub fn with_protocol_list(mut self, on: bool) -> Self {
        self.protocol_list = on;
        self
    }

    /// Sets whether balancers can be updated.
    pub fn with_update(mut self, on: bool) -> Self {
        self.update = on;
        self
    }
}

/// How long a change waits while its balancer is busy.
///
/// Cloud Load Balancers refuses changes to a balancer that is being built or updated (HTTP 422,
/// "considered immutable"). The driver then tries again every `interval` until `timeout` has
/// passed, and returns the refusal (a temporary `Provider` error with code
/// [`IMMUTABLE_CODE`]) after that. A zero timeout turns the waiting off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusyWait {
    /// The longest wait. Default 60 s.
    pub timeout: Duration,
    /// The time between tries. Default 2 s.
    pub interval: Duration,
}

impl Default for BusyWait {
    fn default() -> Self {
        BusyWait {
            timeout: Duration::from_secs(60),
            interval: Duration::from_secs(2),
        }
    }
}

/// A rule of a balancer's access list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRule {
    /// The rule's id.
    pub id: String,
    /// The address or network it applies to (`192.0.2.0/24`).
    pub address: String,
    /// `ALLOW` or `DENY`.
    pub rule: String,
}

/// The Rackspace Cloud Load Balancers driver (API v1.0, Libcloud's `RackspaceLBDriver`).
///
/// | libcloud | Cloud Load Balancers |
/// |---|---|
/// | `list_protocols` | `GET /loadbalancers/protocols` (names lower-case) |
/// | `list_supported_algorithms` | the five Rackspace offers: random, round robin, least connections and their weighted forms |
/// | `list_balancers` | `GET /loadbalancers?limit=100&marker=<id>`, page by page |
/// | `get_balancer` | `GET /loadbalancers/{id}` |
/// | `create_balancer` | `POST /loadbalancers` with one public virtual IP and the members as nodes |
/// | `update_balancer` | `PUT /loadbalancers/{id}`, then `GET` |
/// | `destroy_balancer` | `DELETE /loadbalancers/{id}` |
/// | `balancer_attach_member` / `balancer_detach_member` | `POST /loadbalancers/{id}/nodes` / `DELETE .../nodes/{node}` |
/// | `balancer_list_members` | `GET /loadbalancers/{id}/nodes` |
///
/// Members are nodes by address: a valid IP address and a port (the balancer's when the
/// member has none). `Member::extra["condition"]` may be `ENABLED` (the default), `DISABLED`
/// or `DRAINING`; the member's weight is sent for the weighted algorithms. A balancer's `ip` is
/// its first public IPv4 virtual IP; `extra` keeps the raw `status`, `algorithm`, the virtual
/// IPs, the nodes and whatever else the service described (health monitor, session
/// persistence, connection throttle, source addresses, ...). `CreateBalancer::extra` may carry
/// `virtual_ip_type` (`PUBLIC` or `SERVICENET`), `virtual_ip_id` (to share an existing
/// virtual IP) and `timeout` (seconds).
///
/// Balancer ids are numbers: an id that is not one is `NotFound` without a request. Changes
/// to a busy balancer are tried again as [`BusyWait`] says.
#[derive(Debug, Clone)]
pub struct CloudLoadBalancers {
    client: ServiceClient,
    features: LoadBalancerFeatures,
    busy: BusyWait,
}

impl CloudLoadBalancers {
    /// A driver for `config` over the default HTTP transport.
    pub fn new(config: &RackspaceConfig) -> Result<Self> {
        Self::with_transport(config, libcloud_http::default_transport()?)
    }

    /// A driver for `config` sending through `transport`.
    pub fn with_transport(config: &RackspaceConfig, transport: Transport) -> Result<Self> {
        Self::with_session(config.session(transport), config)
    }

    /// A driver on an existing session (shared with other drivers, so one token serves all);
    /// `config` chooses the endpoint, its `auth` is not used.
    pub fn with_session(session: Arc<Session>, config: &RackspaceConfig) -> Result<Self> {
        let service = config.service(
            LOAD_BALANCER_SERVICE_TYPE,
            Some(LOAD_BALANCER_SERVICE_NAME),
            true,
            config.endpoints.load_balancer.as_ref(),
        );
        Ok(CloudLoadBalancers {
            client: ServiceClient::new(session, &service, LOAD_BALANCER_SERVICE_TYPE)?,
            features: LoadBalancerFeatures::default(),
            busy: BusyWait::default(),
        })
    }

    /// Declares what the deployment offers; see [`LoadBalancerFeatures`].
    pub fn with_features(mut self, features: LoadBalancerFeatures) -> Self {
        self.features = features;
        self
    }

    /// The features declared.
    pub fn features(&self) -> LoadBalancerFeatures {
        self.features
    }

    /// Sets how long changes wait for a busy balancer; see [`BusyWait`].
    pub fn with_busy_wait(mut self, busy: BusyWait) -> Self {
        self.busy = busy;
        self
    }

    /// The session the driver authenticates with.
    pub fn session(&self) -> &Arc<Session> {
        self.client.session()
    }

    /// The protocols the service lists, upper-case as it names them, with their default
    /// ports (`GET /loadbalancers/protocols`).
    pub async fn ex_list_protocols_with_default_ports(&self) -> Result<Vec<(String, Option<u16>)>> {
        let url = join_url(&self.client.base().await?, "loadbalancers/protocols", &[]);
        let target = Target::new("list_protocols", ResourceKind::Other, "protocols");
        let list: json::ProtocolList = self.client.get_json(&url, &target).await?;
        Ok(list
            .protocols
            .into_iter()
            .map(|p| (p.name, p.port.and_then(|p| u16::try_from(p).ok())))
            .collect())
    }

    /// The algorithm names the service lists (`GET /loadbalancers/algorithms`), including
    /// any libcloud has no name for.
    pub async fn ex_list_algorithm_names(&self) -> Result<Vec<String>> {
        let url = join_url(&self.client.base().await?, "loadbalancers/algorithms", &[]);
        let target = Target::new(
            "list_supported_algorithms",
            ResourceKind::Other,
            "algorithms",
        );
        let list: json::AlgorithmList = self.client.get_json(&url, &target).await?;
        Ok(list.algorithms.into_iter().map(|a| a.name).collect())
    }

    /// The balancers that have a node at `address` (`GET /loadbalancers?nodeaddress=`);
    /// the service describes them only by id, name and state.
    pub async fn ex_list_balancers_by_member_address(
        &self,
        address: &str,
    ) -> Result<Vec<LoadBalancer>> {
        let url = join_url(
            &self.client.base().await?,
            "loadbalancers",
            &[("nodeaddress", address)],
        );
        let target = Target::new("list_balancers", ResourceKind::LoadBalancer, "");
        let list: json::BalancerList = self.client.get_json(&url, &target).await?;
        list.load_balancers.into_iter().map(to_balancer).collect()
    }

    /// Adds several members with one request; returns them with their ids.
    pub async fn ex_balancer_attach_members(
        &self,
        balancer: &LoadBalancer,
        members: &[Member],
    ) -> Result<Vec<Member>> {
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let nodes = members
            .iter()
            .map(|m| node_json(m, balancer.port))
            .collect::<Result<Vec<_>>>()?;
        let id = check_id(&balancer.id)?;
        let url = join_url(
            &self.client.base().await?,
            &format!("loadbalancers/{}/nodes", encode(id, false)),
            &[],
        );
        let body = json!({ "nodes": nodes });
        let target = Target::new(
            "balancer_attach_member",
            ResourceKind::LoadBalancer,
            balancer.id.clone(),
        );
        let reply = self
            .when_idle(|| async {
                self.client
                    .call(json_request(Method::POST, &url, Some(&body))?, &target)
                    .await
            })
            .await?;
        let list: json::NodeList = parse_json(&reply.body, "balancer_attach_member")?;
        list.nodes.into_iter().map(to_member).collect()
    }

    /// The error page a balancer shows when no node can answer
    /// (`GET /loadbalancers/{id}/errorpage`).
    pub async fn ex_get_balancer_error_page(&self, balancer: &LoadBalancer) -> Result<String> {
        let id = check_id(&balancer.id)?;
        let url = join_url(
            &self.client.base().await?,
            &format!("loadbalancers/{}/errorpage", encode(id, false)),
            &[],
        );
        let target = Target::new(
            "ex_get_balancer_error_page",
            ResourceKind::LoadBalancer,
            balancer.id.clone(),
        );
        let page: json::ErrorPageEnvelope = self.client.get_json(&url, &target).await?;
        Ok(page.errorpage.content)
    }

    /// A balancer's access list (`GET /loadbalancers/{id}/accesslist`).
    pub async fn ex_balancer_access_list(
        &self,
        balancer: &LoadBalancer,
    ) -> Result<Vec<AccessRule>> {
        let id = check_id(&balancer.id)?;
        let url = join_url(
            &self.client.base().await?,
            &format!("loadbalancers/{}/accesslist", encode(id, false)),
            &[],
        );
        let target = Target::new(
            "ex_balancer_access_list",
            ResourceKind::LoadBalancer,
            balancer.id.clone(),
        );
        let list: json::AccessList = self.client.get_json(&url, &target).await?;
        Ok(list
            .access_list
            .into_iter()
            .map(|a| AccessRule {
                id: a.id,
                address: a.address,
                rule: a.kind,
            })
            .collect())
    }

    /// Runs `op`, trying again while the balancer is busy, as [`BusyWait`] says.
    async fn when_idle<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let deadline = tokio::time::Instant::now() + self.busy.timeout;
        loop {
            match op().await {
                Err(e) if is_busy(&e) => {
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        return Err(e);
                    }
                    tracing::debug!(error = %e, "the balancer is busy; trying again");
                    tokio::time::sleep(self.busy.interval.min(deadline - now)).await;
                }
                other => return other,
            }
        }
    }

    fn check_algorithm(
        &self,
        algorithm: Algorithm,
        operation: &'static str,
    ) -> Result<&'static str> {
        algorithm_name(algorithm).ok_or_else(|| {
            Error::unsupported(operation)
                .with_provider(PROVIDER)
                .with_message(format!(
                    "Cloud Load Balancers has no {algorithm} algorithm (it offers random, \
                     round_robin, least_connections, weighted_round_robin and \
                     weighted_least_connections)"
                ))
        })
    }

    async fn balancer_url(&self, id: &str) -> Result<String> {
        Ok(join_url(
            &self.client.base().await?,
            &format!("loadbalancers/{}", encode(id, false)),
            &[],
        ))
    }
}

/// Whether an error is Cloud Load Balancers' "busy, try later" refusal.
fn is_busy(err: &Error) -> bool {
    matches!(err.kind(), ErrorKind::Provider { code } if code == IMMUTABLE_CODE)
}

/// A balancer id as the service takes it (digits), or `NotFound` of the balancer.
fn check_id(id: &str) -> Result<&str> {
    let trimmed = id.trim();
    if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::not_found(ResourceKind::LoadBalancer, id)
            .with_provider(PROVIDER)
            .with_message("Cloud Load Balancers ids are numbers"));
    }
    Ok(trimmed)
}

/// A member as a node of a request.
fn node_json(member: &Member, default_port: u16) -> Result<Value> {
    let ip = member.ip.as_deref().ok_or_else(|| {
        Error::invalid_input(
            "Cloud Load Balancers balances by address: the member needs an ip (use \
             Member::new(ip, port) or balancer_attach_compute_node)",
        )
        .with_provider(PROVIDER)
    })?;
    let address: IpAddr = ip.trim().parse().map_err(|_| {
        Error::invalid_input(format!("member address {ip:?} is not an IP address"))
            .with_provider(PROVIDER)
    })?;
    let port = member.port.unwrap_or(default_port);
    if port == 0 {
        return Err(Error::invalid_input("the member port must not be 0").with_provider(PROVIDER));
    }
    let mut node = json!({
        "address": address.to_string(),
        "port": port,
        "condition": "ENABLED",
    });
    if let Value::Object(map) = &mut node {
        if let Some(weight) = member.weight {
            map.insert("weight".into(), json!(weight));
        }
        for (key, value) in &member.extra {
            match key.as_str() {
                "condition" => {
                    let condition = value
                        .as_str()
                        .map(str::to_ascii_uppercase)
                        .filter(|c| matches!(c.as_str(), "ENABLED" | "DISABLED" | "DRAINING"))
                        .ok_or_else(|| {
                            Error::invalid_input(format!(
                                "member condition {value} is not ENABLED, DISABLED or DRAINING"
                            ))
                            .with_provider(PROVIDER)
                        })?;
                    map.insert("condition".into(), json!(condition));
                }
                "type" => {
                    map.insert("type".into(), value.clone());
                }
                // What the driver itself reports about a member is not sent back.
                "status" | "address" => {}
                other => {
                    return Err(Error::invalid_input(format!(
                        "unknown member extra {other:?} (known: condition, type)"
                    ))
                    .with_provider(PROVIDER));
                }
            }
        }
    }
    Ok(node)
}

fn to_member(node: json::LbNode) -> Result<Member> {
    let port = node
        .port
        .map(|p| {
            u16::try_from(p).map_err(|_| {
                Error::malformed(format!("node {} has the port {p}", node.id))
                    .with_provider(PROVIDER)
            })
        })
        .transpose()?;
    let mut extra = Extra::new();
    for (key, value) in [
        ("condition", &node.condition),
        ("status", &node.status),
        ("type", &node.kind),
    ] {
        if let Some(v) = value {
            extra.insert(key.into(), json!(v));
        }
    }
    Ok(Member {
        id: Some(node.id),
        ip: node.address,
        port,
        weight: node.weight.and_then(|w| u32::try_from(w).ok()),
        extra,
    })
}

fn to_balancer(lb: json::Balancer) -> Result<LoadBalancer> {
    let port = match lb.port {
        None => 0,
        Some(p) => u16::try_from(p).map_err(|_| {
            Error::malformed(format!("load balancer {} has the port {p}", lb.id))
                .with_provider(PROVIDER)
        })?,
    };
    let status = lb.status.clone().unwrap_or_default();
    let public_v4 = |v: &&json::VirtualIp| {
        v.kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("PUBLIC"))
            && v.ip_version
                .as_deref()
                .is_none_or(|k| k.eq_ignore_ascii_case("IPV4"))
    };
    let ip = lb
        .virtual_ips
        .iter()
        .find(public_v4)
        .or_else(|| lb.virtual_ips.first())
        .and_then(|v| v.address.clone());
    let mut extra = Extra::new();
    extra.insert("status".into(), json!(status));
    if let Some(a) = &lb.algorithm {
        extra.insert("algorithm".into(), json!(a));
    }
    if let Some(p) = &lb.protocol {
        extra.insert("protocol".into(), json!(p));
    }
    if !lb.virtual_ips.is_empty() {
        let vips: Vec<Value> = lb
            .virtual_ips
            .iter()
            .map(|v| {
                let mut map = v.rest.clone();
                map.insert("address".into(), json!(v.address));
                map.insert("type".into(), json!(v.kind));
                map.insert("ipVersion".into(), json!(v.ip_version));
                Value::Object(map)
            })
            .collect();
        extra.insert("virtual_ips".into(), Value::Array(vips));
        let public: Vec<&str> = lb
            .virtual_ips
            .iter()
            .filter(|v| {
                v.kind
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case("PUBLIC"))
            })
            .filter_map(|v| v.address.as_deref())
            .collect();
        extra.insert("public_ips".into(), json!(public));
    }
    if !lb.nodes.is_empty() {
        let members = lb
            .nodes
            .iter()
            .cloned()
            .map(to_member)
            .collect::<Result<Vec<_>>>()?;
        extra.insert(
            "members".into(),
            serde_json::to_value(members).unwrap_or(Value::Null),
        );
    }
    for (key, value) in lb.rest {
        if value.is_null() {
            continue;
        }
        // `created: {"time": ...}` becomes `created: "..."`.
        let value = match value {
            Value::Object(ref map) if map.len() == 1 && map.contains_key("time") => {
                map.get("time").cloned().unwrap_or(Value::Null)
            }
            v => v,
        };
        extra.insert(key, value);
    }
    Ok(LoadBalancer {
        name: lb.name.unwrap_or_default(),
        state: balancer_state(&status),
        ip,
        port,
        protocol: lb.protocol.map(|p| p.to_ascii_lowercase()),
        algorithm: lb.algorithm.as_deref().and_then(algorithm_from_name),
        id: lb.id,
        extra,
    })
}

#[async_trait]
impl LoadBalancerDriver for CloudLoadBalancers {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> LoadBalancerCapabilities {
        let mut caps = LoadBalancerCapabilities::default();
        caps.members_by_ip = true;
        caps.members_by_node = false;
        caps.update_balancer = self.features.update;
        caps
    }

    async fn list_protocols(&self) -> Result<Vec<String>> {
        if !self.features.protocol_list {
            return Ok(DOCUMENTED_PROTOCOLS.iter().map(|p| p.to_string()).collect());
        }
        let mut out: Vec<String> = Vec::new();
        for (name, _) in self.ex_list_protocols_with_default_ports().await? {
            let lower = name.trim().to_ascii_lowercase();
            if !lower.is_empty() && !out.contains(&lower) {
                out.push(lower);
            }
        }
        Ok(out)
    }

    async fn list_supported_algorithms(&self) -> Result<Vec<Algorithm>> {
        Ok(ALGORITHMS.iter().map(|(a, _)| *a).collect())
    }

    async fn list_balancers(&self) -> Result<Vec<LoadBalancer>> {
        let base = self.client.base().await?;
        let target = Target::new("list_balancers", ResourceKind::LoadBalancer, "");
        let target = &target;
        let base = &base;
        let limit = PAGE_SIZE.to_string();
        let limit = &limit;
        let mut pages = 0usize;
        paginate(move |marker: Option<String>| {
            pages += 1;
            let too_many = pages > MAX_PAGES;
            async move {
                if too_many {
                    return Err(Error::malformed(format!(
                        "list_balancers: more than {MAX_PAGES} pages; stopping"
                    ))
                    .with_provider(PROVIDER));
                }
                let mut query = vec![("limit", limit.as_str())];
                if let Some(m) = marker.as_deref() {
                    query.push(("marker", m));
                }
                let url = join_url(base, "loadbalancers", &query);
                let list: json::BalancerList = self.client.get_json(&url, target).await?;
                let full = list.load_balancers.len() >= PAGE_SIZE;
                let next = list
                    .load_balancers
                    .last()
                    .map(|b| b.id.clone())
                    .filter(|_| full);
                let items = list
                    .load_balancers
                    .into_iter()
                    .map(to_balancer)
                    .collect::<Result<Vec<_>>>()?;
                Ok(Page::new(items, next))
            }
        })
        .try_collect()
        .await
    }

    async fn get_balancer(&self, balancer_id: &str) -> Result<LoadBalancer> {
        let id = check_id(balancer_id)?;
        let url = self.balancer_url(id).await?;
        let target = Target::new("get_balancer", ResourceKind::LoadBalancer, balancer_id);
        let env: json::BalancerEnvelope = self.client.get_json(&url, &target).await?;
        to_balancer(env.load_balancer)
    }

    async fn create_balancer(&self, request: &CreateBalancer) -> Result<LoadBalancer> {
        if request.name.trim().is_empty() {
            return Err(
                Error::invalid_input("the balancer name must not be empty").with_provider(PROVIDER)
            );
        }
        let protocol = request.protocol.trim().to_ascii_uppercase();
        if protocol.is_empty() {
            return Err(
                Error::invalid_input("the balancer protocol must not be empty")
                    .with_provider(PROVIDER),
            );
        }
        let algorithm = self.check_algorithm(request.algorithm, "create_balancer")?;
        let mut vip = json!({ "type": "PUBLIC" });
        let mut balancer = serde_json::Map::new();
        balancer.insert("name".into(), json!(request.name));
        balancer.insert("port".into(), json!(request.port));
        balancer.insert("protocol".into(), json!(protocol));
        balancer.insert("algorithm".into(), json!(algorithm));
        for (key, value) in &request.extra {
            match key.as_str() {
                "virtual_ip_type" => {
                    let kind = value
                        .as_str()
                        .map(str::to_ascii_uppercase)
                        .filter(|k| matches!(k.as_str(), "PUBLIC" | "SERVICENET"))
                        .ok_or_else(|| {
                            Error::invalid_input(
                                "extra.virtual_ip_type must be PUBLIC or SERVICENET",
                            )
                            .with_provider(PROVIDER)
                        })?;
                    vip = json!({ "type": kind });
                }
                "virtual_ip_id" => {
                    let id = value
                        .as_u64()
                        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                        .ok_or_else(|| {
                            Error::invalid_input("extra.virtual_ip_id must be a number")
                                .with_provider(PROVIDER)
                        })?;
                    vip = json!({ "id": id });
                }
                "timeout" => {
                    let secs = value.as_u64().ok_or_else(|| {
                        Error::invalid_input("extra.timeout must be a number of seconds")
                            .with_provider(PROVIDER)
                    })?;
                    balancer.insert("timeout".into(), json!(secs));
                }
                other => {
                    return Err(Error::invalid_input(format!(
                        "unknown create_balancer extra {other:?} (known: virtual_ip_type, \
                         virtual_ip_id, timeout)"
                    ))
                    .with_provider(PROVIDER));
                }
            }
        }
        balancer.insert("virtualIps".into(), json!([vip]));
        if !request.members.is_empty() {
            let nodes = request
                .members
                .iter()
                .map(|m| node_json(m, request.port))
                .collect::<Result<Vec<_>>>()?;
            balancer.insert("nodes".into(), Value::Array(nodes));
        }
        let url = join_url(&self.client.base().await?, "loadbalancers", &[]);
        let body = json!({ "loadBalancer": Value::Object(balancer) });
        let target = Target::new(
            "create_balancer",
            ResourceKind::LoadBalancer,
            request.name.clone(),
        );
        let reply = self
            .client
            .call(json_request(Method::POST, &url, Some(&body))?, &target)
            .await?;
        let env: json::BalancerEnvelope = parse_json(&reply.body, "create_balancer")?;
        to_balancer(env.load_balancer)
    }

    async fn update_balancer(
        &self,
        balancer: &LoadBalancer,
        changes: &UpdateBalancer,
    ) -> Result<LoadBalancer> {
        if !self.features.update {
            return Err(Error::unsupported("update_balancer")
                .with_provider(PROVIDER)
                .with_message("this deployment is declared without balancer updates"));
        }
        let id = check_id(&balancer.id)?;
        let mut fields = serde_json::Map::new();
        if let Some(name) = &changes.name {
            if name.trim().is_empty() {
                return Err(Error::invalid_input("the balancer name must not be empty")
                    .with_provider(PROVIDER));
            }
            fields.insert("name".into(), json!(name));
        }
        if let Some(algorithm) = changes.algorithm {
            fields.insert(
                "algorithm".into(),
                json!(self.check_algorithm(algorithm, "update_balancer")?),
            );
        }
        if let Some(protocol) = &changes.protocol {
            fields.insert(
                "protocol".into(),
                json!(protocol.trim().to_ascii_uppercase()),
            );
        }
        if let Some(port) = changes.port {
            fields.insert("port".into(), json!(port));
        }
        if !fields.is_empty() {
            let url = self.balancer_url(id).await?;
            let body = json!({ "loadBalancer": Value::Object(fields) });
            let target = Target::new(
                "update_balancer",
                ResourceKind::LoadBalancer,
                balancer.id.clone(),
            );
            self.when_idle(|| async {
                self.client
                    .call(json_request(Method::PUT, &url, Some(&body))?, &target)
                    .await
            })
            .await?;
        }
        self.get_balancer(id)
            .await
            .map_err(|e| e.with_operation("update_balancer"))
    }

    async fn destroy_balancer(&self, balancer: &LoadBalancer) -> Result<()> {
        let id = check_id(&balancer.id)?;
        let url = self.balancer_url(id).await?;
        let target = Target::new(
            "destroy_balancer",
            ResourceKind::LoadBalancer,
            balancer.id.clone(),
        );
        self.when_idle(|| async {
            self.client
                .call(json_request(Method::DELETE, &url, None)?, &target)
                .await
        })
        .await?;
        Ok(())
    }

    async fn balancer_attach_member(
        &self,
        balancer: &LoadBalancer,
        member: &Member,
    ) -> Result<Member> {
        let wanted_ip = member.ip.as_deref().map(str::trim).map(str::to_string);
        let wanted_port = member.port.unwrap_or(balancer.port);
        let attached = self
            .ex_balancer_attach_members(balancer, std::slice::from_ref(member))
            .await?;
        let mut attached = attached.into_iter();
        let first = attached.next();
        let same = |m: &Member| m.ip == wanted_ip && m.port.is_none_or(|p| p == wanted_port);
        match first {
            Some(m) if same(&m) => Ok(m),
            Some(m) => Ok(attached.find(same).unwrap_or(m)),
            None => Err(
                Error::malformed("the service answered an attach with no node")
                    .with_provider(PROVIDER)
                    .with_operation("balancer_attach_member"),
            ),
        }
    }

    async fn balancer_detach_member(&self, balancer: &LoadBalancer, member: &Member) -> Result<()> {
        let id = check_id(&balancer.id)?;
        let node_id = match member.id.as_deref().filter(|i| !i.is_empty()) {
            Some(node_id) => node_id.to_string(),
            None => {
                // A member given by address: find its node.
                let members = self.balancer_list_members(balancer).await?;
                members
                    .into_iter()
                    .find(|m| {
                        m.ip == member.ip && m.port == Some(member.port.unwrap_or(balancer.port))
                    })
                    .and_then(|m| m.id)
                    .ok_or_else(|| {
                        Error::not_found(
                            ResourceKind::Member,
                            format!(
                                "{}:{}",
                                member.ip.as_deref().unwrap_or("?"),
                                member.port.unwrap_or(balancer.port)
                            ),
                        )
                        .with_provider(PROVIDER)
                        .with_operation("balancer_detach_member")
                    })?
            }
        };
        let url = join_url(
            &self.client.base().await?,
            &format!(
                "loadbalancers/{}/nodes/{}",
                encode(id, false),
                encode(&node_id, false)
            ),
            &[],
        );
        let target = Target::new(
            "balancer_detach_member",
            ResourceKind::Member,
            node_id.clone(),
        );
        self.when_idle(|| async {
            self.client
                .call(json_request(Method::DELETE, &url, None)?, &target)
                .await
        })
        .await?;
        Ok(())
    }

    async fn balancer_list_members(&self, balancer: &LoadBalancer) -> Result<Vec<Member>> {
        let id = check_id(&balancer.id)?;
        let url = join_url(
            &self.client.base().await?,
            &format!("loadbalancers/{}/nodes", encode(id, false)),
            &[],
        );
        let target = Target::new(
            "balancer_list_members",
            ResourceKind::LoadBalancer,
            balancer.id.clone(),
        );
        let list: json::NodeList = self.client.get_json(&url, &target).await?;
        list.nodes.into_iter().map(to_member).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn states_and_algorithms() {
        assert_eq!(balancer_state("ACTIVE"), BalancerState::Running);
        assert_eq!(balancer_state("BUILD"), BalancerState::Pending);
        assert_eq!(balancer_state("pending_update"), BalancerState::Pending);
        assert_eq!(balancer_state("ERROR"), BalancerState::Error);
        assert_eq!(balancer_state("DELETED"), BalancerState::Deleted);
        assert_eq!(balancer_state("PENDING_DELETE"), BalancerState::Unknown);
        assert_eq!(balancer_state("SUSPENDED"), BalancerState::Unknown);
        for (a, n) in ALGORITHMS {
            assert_eq!(algorithm_name(a), Some(n));
            assert_eq!(algorithm_from_name(n), Some(a));
        }
        assert_eq!(algorithm_name(Algorithm::ShortestResponse), None);
        assert_eq!(algorithm_from_name("UNSPECIFIED_FUTURE_ALGORITHM"), None);
    }

    #[test]
    fn nodes_from_members() {
        let mut m = Member::new("192.0.2.10", 8080);
        m.weight = Some(3);
        m.extra.insert("condition".into(), json!("draining"));
        assert_eq!(
            node_json(&m, 80).unwrap(),
            json!({"address": "192.0.2.10", "port": 8080, "condition": "DRAINING", "weight": 3})
        );
        let mut m = Member::new("2001:db8::1", 0);
        m.port = None;
        assert_eq!(node_json(&m, 443).unwrap()["port"], json!(443));
        assert_eq!(
            *node_json(&Member::new("not-an-ip", 80), 80)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        assert!(node_json(&Member::node("abc"), 80).is_err());
        let mut m = Member::new("192.0.2.1", 80);
        m.extra.insert("condition".into(), json!("SIDEWAYS"));
        assert!(node_json(&m, 80).is_err());
    }

    #[test]
    fn ids_must_be_numbers() {
        assert_eq!(check_id(" 8290 ").unwrap(), "8290");
        assert!(check_id("lc-missing").unwrap_err().is_not_found());
        assert!(check_id("").unwrap_err().is_not_found());
    }

    #[test]
    fn balancers_from_json() {
        let lb: json::Balancer = serde_json::from_value(json!({
            "id": 7, "name": "b", "port": 88888, "protocol": "HTTP", "status": "ACTIVE"
        }))
        .unwrap();
        assert_eq!(
            *to_balancer(lb).unwrap_err().kind(),
            ErrorKind::MalformedResponse
        );
        let lb: json::Balancer = serde_json::from_value(json!({
            "id": 7, "name": "b", "port": 80, "protocol": "HTTP", "status": "BUILD",
            "algorithm": "LEAST_CONNECTIONS",
            "virtualIps": [{"address": "2001:db8::5", "type": "PUBLIC", "ipVersion": "IPV6"},
                           {"address": "10.0.0.1", "type": "SERVICENET", "ipVersion": "IPV4"},
                           {"address": "198.51.100.7", "type": "PUBLIC", "ipVersion": "IPV4"}],
            "created": {"time": "2011-04-07T16:27:50Z"}
        }))
        .unwrap();
        let b = to_balancer(lb).unwrap();
        assert_eq!(b.ip.as_deref(), Some("198.51.100.7"));
        assert_eq!(b.state, BalancerState::Pending);
        assert_eq!(b.algorithm, Some(Algorithm::LeastConnections));
        assert_eq!(b.protocol.as_deref(), Some("http"));
        assert_eq!(b.extra["created"], json!("2011-04-07T16:27:50Z"));
        assert_eq!(
            b.extra["public_ips"],
            json!(["2001:db8::5", "198.51.100.7"])
        );
    }
}
