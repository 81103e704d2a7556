//! The in-memory load balancer driver.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use libcloud_core::{
    Algorithm, BalancerState, CreateBalancer, Error, Extra, LoadBalancer, LoadBalancerCapabilities,
    LoadBalancerDriver, Member, ResourceKind, Result, UpdateBalancer, async_trait,
};
use serde_json::json;
use tokio::time::Instant;

use crate::PROVIDER;
use crate::util::{context, free_address, lock, quota_exceeded, rfc3339};

/// The protocols a balancer can speak.
const PROTOCOLS: [&str; 3] = ["http", "https", "tcp"];

/// The algorithms a balancer can use.
const ALGORITHMS: [Algorithm; 4] = [
    Algorithm::RoundRobin,
    Algorithm::LeastConnections,
    Algorithm::Random,
    Algorithm::WeightedRoundRobin,
];

/// The /24 network balancer addresses come from (TEST-NET-2).
const ADDRESS_POOLS: [[u8; 3]; 1] = [[198, 51, 100]];

/// The longest balancer name.
const MAX_NAME_LEN: usize = 255;

/// An in-memory load balancer service.
///
/// Balancers speak `http`, `https` or `tcp` and balance with round robin, least connections,
/// random or weighted round robin; any other algorithm is `Unsupported`, any other protocol
/// `InvalidInput`. Members are given by address: each member's `ip` must parse as an IPv4 or
/// IPv6 address, its port defaults to the balancer's, and the same address and port twice is
/// `AlreadyExists`. Members get ids (`"1"`, `"2"`, ... per balancer) when attached.
///
/// A new balancer is [`BalancerState::Pending`] for the provisioning time (none unless set with
/// [`with_provision_time`](Self::with_provision_time)), then [`BalancerState::Running`], measured
/// with [`tokio::time::Instant`]. Each balancer gets an address from the documentation range
/// 198.51.100.0/24; with all of them in use, `create_balancer` fails with a `QuotaExceeded`
/// provider error.
///
/// Clones share one service; each [`new`](Self::new) is a separate one.
///
/// ```
/// use libcloud_core::{CreateBalancer, ErrorKind, LoadBalancerDriver, Member};
/// use libcloud_memory::MemoryLoadBalancer;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let lb = MemoryLoadBalancer::new();
/// let balancer = lb.create_balancer(&CreateBalancer::new("web", 80, "http")).await?;
/// let member = lb.balancer_attach_member(&balancer, &Member::new("192.0.2.10", 8080)).await?;
/// assert!(member.id.is_some());
/// let err = lb
///     .balancer_attach_member(&balancer, &Member::new("not-an-ip", 8080))
///     .await
///     .unwrap_err();
/// assert_eq!(*err.kind(), ErrorKind::InvalidInput);
/// # Ok::<(), libcloud_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct MemoryLoadBalancer {
    inner: Arc<Mutex<State>>,
}

impl std::fmt::Debug for MemoryLoadBalancer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.inner);
        f.debug_struct("MemoryLoadBalancer")
            .field("provision_time", &state.provision_time)
            .field("balancers", &state.balancers.len())
            .finish()
    }
}

impl Default for MemoryLoadBalancer {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryLoadBalancer {
    /// A new service with no balancers, whose balancers run as soon as they are created.
    pub fn new() -> Self {
        Self::with_provision_time(Duration::ZERO)
    }

    /// A new service whose balancers stay pending for `provision_time` after creation.
    pub fn with_provision_time(provision_time: Duration) -> Self {
        MemoryLoadBalancer {
            inner: Arc::new(Mutex::new(State {
                provision_time,
                next_balancer: 0,
                balancers: BTreeMap::new(),
            })),
        }
    }

    /// How long new balancers stay pending in this service.
    pub fn provision_time(&self) -> Duration {
        lock(&self.inner).provision_time
    }
}

struct State {
    provision_time: Duration,
    next_balancer: u64,
    balancers: BTreeMap<u64, BalancerRec>,
}

struct BalancerRec {
    id: String,
    name: String,
    ip: Ipv4Addr,
    port: u16,
    protocol: String,
    algorithm: Algorithm,
    ready_at: Instant,
    created_at: SystemTime,
    extra: Extra,
    next_member: u64,
    members: BTreeMap<u64, Member>,
}

impl BalancerRec {
    fn to_balancer(&self, now: Instant) -> LoadBalancer {
        let mut extra = self.extra.clone();
        extra.insert("created_at".into(), rfc3339(self.created_at));
        extra.insert("member_count".into(), json!(self.members.len()));
        LoadBalancer {
            id: self.id.clone(),
            name: self.name.clone(),
            state: if now < self.ready_at {
                BalancerState::Pending
            } else {
                BalancerState::Running
            },
            ip: Some(self.ip.to_string()),
            port: self.port,
            protocol: Some(self.protocol.clone()),
            algorithm: Some(self.algorithm),
            extra,
        }
    }

    /// Checks `member` and adds it with a fresh id.
    fn attach(&mut self, member: &Member) -> Result<Member> {
        let ip = match member.ip.as_deref().map(str::trim) {
            Some(text) => text.parse::<IpAddr>().map_err(|_| {
                Error::invalid_input(format!("member address {text:?} is not an IP address"))
            })?,
            None => {
                return Err(Error::invalid_input(
                    "a member needs an IP address; this service does not balance by node id",
                ));
            }
        };
        let port = match member.port {
            Some(0) => return Err(Error::invalid_input("a member port must be 1 to 65535")),
            Some(port) => port,
            None => self.port,
        };
        let taken = self.members.values().any(|m| {
            m.port == Some(port)
                && m.ip.as_deref().and_then(|t| t.parse::<IpAddr>().ok()) == Some(ip)
        });
        if taken {
            return Err(Error::already_exists(
                ResourceKind::Member,
                format!("{}", std::net::SocketAddr::new(ip, port)),
            ));
        }
        let key = self.next_member + 1;
        let stored = Member {
            id: Some(key.to_string()),
            ip: Some(ip.to_string()),
            port: Some(port),
            weight: member.weight,
            extra: member.extra.clone(),
        };
        self.next_member = key;
        self.members.insert(key, stored.clone());
        Ok(stored)
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid_input("the balancer name must not be empty"));
    }
    if name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!(
            "the balancer name must be at most {MAX_NAME_LEN} bytes without control characters"
        )));
    }
    Ok(())
}

fn check_port(port: u16) -> Result<()> {
    if port == 0 {
        return Err(Error::invalid_input("a balancer port must be 1 to 65535"));
    }
    Ok(())
}

fn check_protocol(protocol: &str) -> Result<String> {
    let lower = protocol.trim().to_ascii_lowercase();
    if PROTOCOLS.contains(&lower.as_str()) {
        Ok(lower)
    } else {
        Err(Error::invalid_input(format!(
            "unknown protocol {protocol:?}; expected one of {}",
            PROTOCOLS.join(", ")
        )))
    }
}

fn check_algorithm(algorithm: Algorithm) -> Result<()> {
    if ALGORITHMS.contains(&algorithm) {
        Ok(())
    } else {
        Err(
            Error::unsupported("balancing algorithm").with_message(format!(
                "the {algorithm} algorithm is not offered; use one of round_robin, \
             least_connections, random or weighted_round_robin"
            )),
        )
    }
}

impl State {
    fn balancer_key(&self, balancer_id: &str) -> Result<u64> {
        balancer_id
            .strip_prefix("lb-")
            .filter(|d| {
                !d.is_empty() && !d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit())
            })
            .and_then(|d| d.parse().ok())
            .filter(|k| self.balancers.contains_key(k))
            .ok_or_else(|| Error::not_found(ResourceKind::LoadBalancer, balancer_id))
    }

    fn balancer_mut(&mut self, balancer_id: &str) -> Result<&mut BalancerRec> {
        let key = self.balancer_key(balancer_id)?;
        self.balancers
            .get_mut(&key)
            .ok_or_else(|| Error::not_found(ResourceKind::LoadBalancer, balancer_id))
    }

    fn create(&mut self, request: &CreateBalancer, now: Instant) -> Result<LoadBalancer> {
        check_name(&request.name)?;
        check_port(request.port)?;
        let protocol = check_protocol(&request.protocol)?;
        check_algorithm(request.algorithm)?;
        let used: BTreeSet<Ipv4Addr> = self.balancers.values().map(|b| b.ip).collect();
        let ip = free_address(&ADDRESS_POOLS, &used).ok_or_else(|| {
            quota_exceeded("every balancer address is in use; destroy a balancer first")
        })?;
        let key = self.next_balancer + 1;
        let mut rec = BalancerRec {
            id: format!("lb-{key}"),
            name: request.name.clone(),
            ip,
            port: request.port,
            protocol,
            algorithm: request.algorithm,
            ready_at: now + self.provision_time,
            created_at: SystemTime::now(),
            extra: request.extra.clone(),
            next_member: 0,
            members: BTreeMap::new(),
        };
        for member in &request.members {
            rec.attach(member)?;
        }
        self.next_balancer = key;
        let balancer = rec.to_balancer(now);
        self.balancers.insert(key, rec);
        Ok(balancer)
    }
}

#[async_trait]
impl LoadBalancerDriver for MemoryLoadBalancer {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> LoadBalancerCapabilities {
        let mut caps = LoadBalancerCapabilities::default();
        caps.members_by_ip = true;
        caps.members_by_node = false;
        caps.update_balancer = true;
        caps
    }

    async fn list_protocols(&self) -> Result<Vec<String>> {
        Ok(PROTOCOLS.iter().map(|p| p.to_string()).collect())
    }

    async fn list_supported_algorithms(&self) -> Result<Vec<Algorithm>> {
        Ok(ALGORITHMS.to_vec())
    }

    async fn list_balancers(&self) -> Result<Vec<LoadBalancer>> {
        let now = Instant::now();
        let state = lock(&self.inner);
        Ok(state
            .balancers
            .values()
            .map(|b| b.to_balancer(now))
            .collect())
    }

    async fn get_balancer(&self, balancer_id: &str) -> Result<LoadBalancer> {
        let now = Instant::now();
        let mut state = lock(&self.inner);
        state
            .balancer_mut(balancer_id)
            .map(|b| b.to_balancer(now))
            .map_err(context("get_balancer"))
    }

    async fn create_balancer(&self, request: &CreateBalancer) -> Result<LoadBalancer> {
        let now = Instant::now();
        lock(&self.inner)
            .create(request, now)
            .map_err(context("create_balancer"))
    }

    async fn update_balancer(
        &self,
        balancer: &LoadBalancer,
        changes: &UpdateBalancer,
    ) -> Result<LoadBalancer> {
        let op = context("update_balancer");
        let now = Instant::now();
        if let Some(name) = &changes.name {
            check_name(name).map_err(&op)?;
        }
        if let Some(port) = changes.port {
            check_port(port).map_err(&op)?;
        }
        let protocol = changes
            .protocol
            .as_deref()
            .map(check_protocol)
            .transpose()
            .map_err(&op)?;
        if let Some(algorithm) = changes.algorithm {
            check_algorithm(algorithm).map_err(&op)?;
        }
        let mut state = lock(&self.inner);
        let rec = state.balancer_mut(&balancer.id).map_err(&op)?;
        if let Some(name) = &changes.name {
            rec.name = name.clone();
        }
        if let Some(port) = changes.port {
            rec.port = port;
        }
        if let Some(protocol) = protocol {
            rec.protocol = protocol;
        }
        if let Some(algorithm) = changes.algorithm {
            rec.algorithm = algorithm;
        }
        Ok(rec.to_balancer(now))
    }

    async fn destroy_balancer(&self, balancer: &LoadBalancer) -> Result<()> {
        let mut state = lock(&self.inner);
        let key = state
            .balancer_key(&balancer.id)
            .map_err(context("destroy_balancer"))?;
        state.balancers.remove(&key);
        Ok(())
    }

    async fn balancer_attach_member(
        &self,
        balancer: &LoadBalancer,
        member: &Member,
    ) -> Result<Member> {
        let op = context("balancer_attach_member");
        let mut state = lock(&self.inner);
        state
            .balancer_mut(&balancer.id)
            .map_err(&op)?
            .attach(member)
            .map_err(&op)
    }

    /// Removes the member with `member.id`, or, for a member without an id, the one at its
    /// address and port (the balancer's port when it has none).
    async fn balancer_detach_member(&self, balancer: &LoadBalancer, member: &Member) -> Result<()> {
        let op = context("balancer_detach_member");
        let mut state = lock(&self.inner);
        let rec = state.balancer_mut(&balancer.id).map_err(&op)?;
        let wanted_ip = member
            .ip
            .as_deref()
            .and_then(|t| t.trim().parse::<IpAddr>().ok());
        let wanted_port = member.port.unwrap_or(rec.port);
        let key = rec
            .members
            .iter()
            .find(|(_, m)| match &member.id {
                Some(id) => m.id.as_ref() == Some(id),
                None => {
                    wanted_ip.is_some()
                        && m.ip.as_deref().and_then(|t| t.parse::<IpAddr>().ok()) == wanted_ip
                        && m.port == Some(wanted_port)
                }
            })
            .map(|(k, _)| *k);
        let described = member
            .id
            .clone()
            .or_else(|| member.ip.clone().map(|ip| format!("{ip}:{wanted_port}")))
            .unwrap_or_default();
        key.and_then(|k| rec.members.remove(&k))
            .map(|_| ())
            .ok_or_else(|| op(Error::not_found(ResourceKind::Member, described)))
    }

    async fn balancer_list_members(&self, balancer: &LoadBalancer) -> Result<Vec<Member>> {
        let mut state = lock(&self.inner);
        let rec = state
            .balancer_mut(&balancer.id)
            .map_err(context("balancer_list_members"))?;
        Ok(rec.members.values().cloned().collect())
    }
}
