//! The GoGrid load balancer driver.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::Method;
use libcloud_core::{
    Algorithm, CreateBalancer, Error, ErrorKind, LoadBalancer, LoadBalancerCapabilities,
    LoadBalancerDriver, Member, ResourceKind, Result, Transport, async_trait,
};
use serde_json::Value;

use crate::client::{Client, PROVIDER, Target};
use crate::config::GoGridConfig;
use crate::json::{self, GoGridIp, Parsed};

/// The only protocol GoGrid's balancers speak.
pub const PROTOCOLS: &[&str] = &["http"];

/// The algorithms GoGrid offers: `"round robin"` and `"least connect"`.
pub const ALGORITHMS: &[Algorithm] = &[Algorithm::RoundRobin, Algorithm::LeastConnections];

/// How long [`LoadBalancerDriver::create_balancer`] waits, by default, for GoGrid to give a
/// new balancer an id (Libcloud's 20 minutes).
pub const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// How often, by default, it asks while it waits (Libcloud's 30 seconds).
pub const DEFAULT_CREATE_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// A [`LoadBalancerDriver`] for GoGrid's load balancer API.
///
/// Every request is a signed query: the operation's parameters, then `api_key`, `v`,
/// `format=json` and `sig` (see [`signature`](crate::signature)). Balancers listen on a
/// public address of the account and send HTTP to members given by address and port.
///
/// Options of [`CreateBalancer::extra`]: `virtual_ip` (the public address to listen on;
/// without it the first unassigned public address of `ip/list` is taken, as Libcloud does),
/// `datacenter` (the data center id to take that address from), `persistence` (GoGrid's
/// `loadbalancer.persistence`: `None`, `SSL Sticky` or `Source Address`) and `description`.
#[derive(Clone)]
pub struct GoGridLoadBalancer {
    client: Client,
    create_timeout: Duration,
    create_poll_interval: Duration,
}

impl std::fmt::Debug for GoGridLoadBalancer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoGridLoadBalancer")
            .field("client", &self.client)
            .field("create_timeout", &self.create_timeout)
            .finish_non_exhaustive()
    }
}

fn balancer_target(operation: &'static str, id: &str) -> Target {
    Target::new(operation, ResourceKind::LoadBalancer, id)
}

fn check_id(id: &str, operation: &'static str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::invalid_input(
            "the balancer has no id (GoGrid may still be creating it)",
        )
        .with_provider(PROVIDER)
        .with_operation(operation));
    }
    Ok(())
}

/// The `realiplist.N.ip` / `realiplist.N.port` parameters of `members`; a member without a
/// port gets `default_port`.
fn member_params(members: &[Member], default_port: u16) -> Result<Vec<(String, String)>> {
    let mut params = Vec::with_capacity(members.len() * 2);
    for (i, member) in members.iter().enumerate() {
        let ip = member
            .ip
            .as_deref()
            .filter(|ip| !ip.trim().is_empty())
            .ok_or_else(|| {
                Error::invalid_input("GoGrid balances by address: every member needs an ip")
            })?;
        params.push((format!("realiplist.{i}.ip"), ip.trim().to_string()));
        params.push((
            format!("realiplist.{i}.port"),
            member.port.unwrap_or(default_port).to_string(),
        ));
    }
    Ok(params)
}

fn extra_str<'a>(extra: &'a libcloud_core::Extra, key: &str) -> Result<Option<&'a str>> {
    match extra.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(Error::invalid_input(format!(
            "extra {key:?} must be a string, not {other}"
        ))),
    }
}

/// Whether `member` names the same backend as `existing`: by id when it has one, else by
/// address (and port, when it gives one).
fn same_member(existing: &Member, member: &Member) -> bool {
    match &member.id {
        Some(id) => existing.id.as_deref() == Some(id.as_str()),
        None => {
            existing.ip.is_some()
                && existing.ip == member.ip
                && (member.port.is_none() || existing.port == member.port)
        }
    }
}

fn member_label(member: &Member) -> String {
    match (&member.id, &member.ip, member.port) {
        (Some(id), _, _) => id.clone(),
        (None, Some(ip), Some(port)) => format!("{ip}:{port}"),
        (None, Some(ip), None) => ip.clone(),
        (None, None, _) => String::new(),
    }
}

impl GoGridLoadBalancer {
    /// A driver that sends its requests through `transport`.
    ///
    /// Fails with [`ErrorKind::InvalidInput`] when the endpoint is not an `http`/`https` URL or
    /// the API key or version is empty.
    pub fn with_transport(config: GoGridConfig, transport: Transport) -> Result<Self> {
        Ok(GoGridLoadBalancer {
            client: Client::new(&config, transport)?,
            create_timeout: DEFAULT_CREATE_TIMEOUT,
            create_poll_interval: DEFAULT_CREATE_POLL_INTERVAL,
        })
    }

    /// A driver that sends its requests through libcloud's default HTTP transport
    /// ([`libcloud_http::default_transport`]: pooled connections, timeouts, and retries of
    /// idempotent requests).
    ///
    /// Fails as [`GoGridLoadBalancer::with_transport`] does, or when the transport cannot be
    /// built.
    pub fn new(config: GoGridConfig) -> Result<Self> {
        let transport = libcloud_http::default_transport().map_err(|e| e.or_provider(PROVIDER))?;
        Self::with_transport(config, transport)
    }

    /// Reads the time for request signatures from `clock` instead of the system clock (for
    /// tests that check an exact signature, or a machine whose clock is known to be off).
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.client.set_clock(Arc::new(clock));
        self
    }

    /// Sets how long `create_balancer` waits for GoGrid to give a new balancer an id, and how
    /// often it asks; by default [`DEFAULT_CREATE_TIMEOUT`] and [`DEFAULT_CREATE_POLL_INTERVAL`].
    pub fn with_create_wait(mut self, timeout: Duration, poll_interval: Duration) -> Self {
        self.create_timeout = timeout;
        self.create_poll_interval = poll_interval.max(Duration::from_millis(1));
        self
    }

    /// The base URL requests go to, ending in `/`.
    pub fn endpoint(&self) -> &str {
        self.client.base()
    }

    /// The addresses of the account (Libcloud's `ex_list_ips`): only public or only private
    /// ones when `public` says so, only assigned or only free ones when `assigned` says so,
    /// only those of one data center when `datacenter` names its id.
    pub async fn ex_list_ips(
        &self,
        public: Option<bool>,
        assigned: Option<bool>,
        datacenter: Option<&str>,
    ) -> Result<Vec<GoGridIp>> {
        let target = Target::new("ex_list_ips", ResourceKind::Other, "");
        let mut params = Vec::new();
        if let Some(public) = public {
            let kind = if public { "Public" } else { "Private" };
            params.push(("ip.type".to_string(), kind.to_string()));
        }
        if let Some(assigned) = assigned {
            let state = if assigned { "Assigned" } else { "Unassigned" };
            params.push(("ip.state".to_string(), state.to_string()));
        }
        if let Some(dc) = datacenter {
            params.push(("datacenter".to_string(), dc.to_string()));
        }
        let envelope = self
            .client
            .call(Method::GET, "grid/ip/list", &params, &target)
            .await?;
        json::parse_ips(envelope).map_err(|e| tag(e, &target))
    }

    /// One balancer by its name instead of its id (Libcloud's `get_balancer(ex_balancer_name=...)`).
    pub async fn ex_get_balancer_by_name(&self, name: &str) -> Result<LoadBalancer> {
        let target = balancer_target("ex_get_balancer_by_name", name);
        let params = [("name".to_string(), name.to_string())];
        Ok(self.get_one(&params, &target).await?.balancer)
    }

    /// Asks GoGrid to create a balancer and returns what it answered at once, which may be a
    /// balancer without an id yet (Libcloud's `ex_create_balancer_nowait`).
    pub async fn ex_create_balancer_nowait(
        &self,
        request: &CreateBalancer,
    ) -> Result<LoadBalancer> {
        let target = balancer_target("create_balancer", &request.name);
        let params = self
            .create_params(request)
            .await
            .map_err(|e| tag(e, &target))?;
        // Libcloud sent this as a GET; a POST (which GoGrid takes as well, as for delete and
        // edit) keeps a retrying transport from creating the balancer twice.
        let envelope = self
            .client
            .call(Method::POST, "grid/loadbalancer/add", &params, &target)
            .await?;
        let mut parsed = json::parse_balancers(envelope).map_err(|e| tag(e, &target))?;
        if parsed.is_empty() {
            return Err(tag(
                Error::malformed("GoGrid created a balancer but did not return it"),
                &target,
            ));
        }
        Ok(parsed.swap_remove(0).balancer)
    }

    async fn create_params(&self, request: &CreateBalancer) -> Result<Vec<(String, String)>> {
        if request.name.trim().is_empty() {
            return Err(Error::invalid_input("a balancer needs a name"));
        }
        if !PROTOCOLS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(request.protocol.trim()))
        {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "GoGrid balancers speak only http, not {:?}",
                    request.protocol
                ),
            ));
        }
        let algorithm = json::algorithm_to_name(request.algorithm).ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                format!(
                    "GoGrid offers round robin and least connections, not {}",
                    request.algorithm
                ),
            )
        })?;
        if request.port == 0 {
            return Err(Error::invalid_input("a balancer needs a port other than 0"));
        }
        let members = member_params(&request.members, request.port)?;
        let persistence = extra_str(&request.extra, "persistence")?;
        let description = extra_str(&request.extra, "description")?;
        let datacenter = extra_str(&request.extra, "datacenter")?;
        let virtual_ip = match extra_str(&request.extra, "virtual_ip")? {
            Some(ip) => ip.to_string(),
            None => self.first_free_public_ip(datacenter).await?,
        };
        let mut params = vec![
            ("name".to_string(), request.name.clone()),
            ("loadbalancer.type".to_string(), algorithm.to_string()),
            ("virtualip.ip".to_string(), virtual_ip),
            ("virtualip.port".to_string(), request.port.to_string()),
        ];
        if let Some(p) = persistence {
            params.push(("loadbalancer.persistence".to_string(), p.to_string()));
        }
        if let Some(d) = description {
            params.push(("description".to_string(), d.to_string()));
        }
        params.extend(members);
        Ok(params)
    }

    /// The first unassigned public address, for a new balancer to listen on.
    async fn first_free_public_ip(&self, datacenter: Option<&str>) -> Result<String> {
        let ips = self
            .ex_list_ips(Some(true), Some(false), datacenter)
            .await?;
        ips.into_iter().map(|ip| ip.ip).next().ok_or_else(|| {
            Error::new(
                ErrorKind::Provider {
                    code: "NoFreePublicIp".into(),
                },
                "no unassigned public address is left for the balancer to listen on",
            )
        })
    }

    /// `loadbalancer/get` with `params`; an empty answer is `NotFound` of the target.
    async fn get_one(&self, params: &[(String, String)], target: &Target) -> Result<Parsed> {
        let envelope = self
            .client
            .call(Method::GET, "grid/loadbalancer/get", params, target)
            .await?;
        let mut parsed = json::parse_balancers(envelope).map_err(|e| tag(e, target))?;
        if parsed.is_empty() {
            return Err(tag(
                Error::not_found(ResourceKind::LoadBalancer, target.id.clone()),
                target,
            ));
        }
        Ok(parsed.swap_remove(0))
    }

    /// Replaces the members of a balancer (`loadbalancer/edit` with the whole list).
    async fn set_members(
        &self,
        balancer: &LoadBalancer,
        members: &[Member],
        target: &Target,
    ) -> Result<Vec<Parsed>> {
        let mut params = vec![("id".to_string(), balancer.id.clone())];
        params.extend(member_params(members, balancer.port).map_err(|e| tag(e, target))?);
        let envelope = self
            .client
            .call(Method::POST, "grid/loadbalancer/edit", &params, target)
            .await?;
        json::parse_balancers(envelope).map_err(|e| tag(e, target))
    }
}

fn tag(err: Error, target: &Target) -> Error {
    err.or_provider(PROVIDER).or_operation(target.operation)
}

#[async_trait]
impl LoadBalancerDriver for GoGridLoadBalancer {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> LoadBalancerCapabilities {
        let mut caps = LoadBalancerCapabilities::default();
        caps.members_by_ip = true;
        caps.members_by_node = false;
        caps.update_balancer = false;
        caps
    }

    async fn list_protocols(&self) -> Result<Vec<String>> {
        Ok(PROTOCOLS.iter().map(|p| p.to_string()).collect())
    }

    async fn list_supported_algorithms(&self) -> Result<Vec<Algorithm>> {
        Ok(ALGORITHMS.to_vec())
    }

    /// Every balancer of the account. One GoGrid has not given an id yet has an empty id and
    /// the state `Pending`.
    async fn list_balancers(&self) -> Result<Vec<LoadBalancer>> {
        let target = balancer_target("list_balancers", "");
        let envelope = self
            .client
            .call(Method::GET, "grid/loadbalancer/list", &[], &target)
            .await?;
        let parsed = json::parse_balancers(envelope).map_err(|e| tag(e, &target))?;
        Ok(parsed.into_iter().map(|p| p.balancer).collect())
    }

    async fn get_balancer(&self, balancer_id: &str) -> Result<LoadBalancer> {
        check_id(balancer_id, "get_balancer")?;
        let target = balancer_target("get_balancer", balancer_id);
        let params = [("id".to_string(), balancer_id.to_string())];
        Ok(self.get_one(&params, &target).await?.balancer)
    }

    /// Creates a balancer on a free public address and waits, if GoGrid answers without an
    /// id, until the balancer shows up with one in the listing (see
    /// [`GoGridLoadBalancer::with_create_wait`]); not finding it in time is
    /// [`ErrorKind::Timeout`].
    async fn create_balancer(&self, request: &CreateBalancer) -> Result<LoadBalancer> {
        let created = self.ex_create_balancer_nowait(request).await?;
        if !created.id.is_empty() {
            return Ok(created);
        }
        let deadline = tokio::time::Instant::now() + self.create_timeout;
        loop {
            let found = self
                .list_balancers()
                .await?
                .into_iter()
                .find(|b| b.name == created.name && !b.id.is_empty());
            if let Some(balancer) = found {
                return Ok(balancer);
            }
            if tokio::time::Instant::now() + self.create_poll_interval > deadline {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "GoGrid did not give balancer {:?} an id within {} s",
                        created.name,
                        self.create_timeout.as_secs()
                    ),
                )
                .with_provider(PROVIDER)
                .with_operation("create_balancer"));
            }
            tokio::time::sleep(self.create_poll_interval).await;
        }
    }

    async fn destroy_balancer(&self, balancer: &LoadBalancer) -> Result<()> {
        check_id(&balancer.id, "destroy_balancer")?;
        let target = balancer_target("destroy_balancer", &balancer.id);
        let params = [("id".to_string(), balancer.id.clone())];
        self.client
            .call(Method::POST, "grid/loadbalancer/delete", &params, &target)
            .await?;
        Ok(())
    }

    /// Adds a member by sending the balancer's whole member list with the new one appended;
    /// a member without a port gets the balancer's. A member already there (same address and
    /// port) is [`ErrorKind::AlreadyExists`].
    async fn balancer_attach_member(
        &self,
        balancer: &LoadBalancer,
        member: &Member,
    ) -> Result<Member> {
        check_id(&balancer.id, "balancer_attach_member")?;
        let mut wanted = member.clone();
        wanted.port = Some(member.port.unwrap_or(balancer.port));
        let label = member_label(&Member {
            id: None,
            ..wanted.clone()
        });
        let target = Target::new(
            "balancer_attach_member",
            ResourceKind::Member,
            label.clone(),
        );
        if wanted.ip.as_deref().is_none_or(|ip| ip.trim().is_empty()) {
            return Err(tag(
                Error::invalid_input("GoGrid balances by address: the member needs an ip"),
                &target,
            ));
        }
        let mut members = self.balancer_list_members(balancer).await?;
        if members
            .iter()
            .any(|m| m.ip == wanted.ip && m.port == wanted.port)
        {
            return Err(tag(
                Error::already_exists(ResourceKind::Member, label),
                &target,
            ));
        }
        members.push(wanted.clone());
        let parsed = self.set_members(balancer, &members, &target).await?;
        parsed
            .into_iter()
            .flat_map(|p| p.members)
            .find(|m| m.ip == wanted.ip && m.port == wanted.port)
            .ok_or_else(|| {
                tag(
                    Error::malformed(format!(
                        "GoGrid's answer does not list the new member {label}"
                    )),
                    &target,
                )
            })
    }

    /// Removes a member (matched by id, or by address and port when it has no id) by sending
    /// the balancer's member list without it. A member the balancer does not have is
    /// `NotFound` of the member.
    async fn balancer_detach_member(&self, balancer: &LoadBalancer, member: &Member) -> Result<()> {
        check_id(&balancer.id, "balancer_detach_member")?;
        let target = Target::new(
            "balancer_detach_member",
            ResourceKind::Member,
            member_label(member),
        );
        let members = self.balancer_list_members(balancer).await?;
        let remaining: Vec<Member> = members
            .iter()
            .filter(|m| !same_member(m, member))
            .cloned()
            .collect();
        if remaining.len() == members.len() {
            return Err(tag(
                Error::not_found(ResourceKind::Member, member_label(member)),
                &target,
            ));
        }
        self.set_members(balancer, &remaining, &target).await?;
        Ok(())
    }

    async fn balancer_list_members(&self, balancer: &LoadBalancer) -> Result<Vec<Member>> {
        check_id(&balancer.id, "balancer_list_members")?;
        let target = balancer_target("balancer_list_members", &balancer.id);
        let params = [("id".to_string(), balancer.id.clone())];
        Ok(self.get_one(&params, &target).await?.members)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn member_params_number_members_and_default_ports() {
        let members = [Member::new("192.0.2.1", 81), {
            let mut m = Member::new("192.0.2.2", 1);
            m.port = None;
            m
        }];
        let params = member_params(&members, 80).unwrap();
        let flat: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            flat,
            [
                ("realiplist.0.ip", "192.0.2.1"),
                ("realiplist.0.port", "81"),
                ("realiplist.1.ip", "192.0.2.2"),
                ("realiplist.1.port", "80"),
            ]
        );
        let err = member_params(&[Member::node("i-1")], 80).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn members_match_by_id_or_address() {
        let mut existing = Member::new("192.0.2.1", 80);
        existing.id = Some("9".into());
        assert!(same_member(&existing, &Member::node("9")));
        assert!(!same_member(&existing, &Member::node("8")));
        assert!(same_member(&existing, &Member::new("192.0.2.1", 80)));
        assert!(!same_member(&existing, &Member::new("192.0.2.1", 81)));
        let mut any_port = Member::new("192.0.2.1", 1);
        any_port.port = None;
        assert!(same_member(&existing, &any_port));
        assert_eq!(member_label(&Member::new("192.0.2.1", 80)), "192.0.2.1:80");
    }
}
