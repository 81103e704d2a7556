//! The load balancer API: balancers, members, protocols and algorithms.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::common::Extra;
use crate::compute::Node;
use crate::error::{Error, ResourceKind, Result};

/// A balancing algorithm, as Libcloud's `Algorithm` (its integer values in
/// [`Algorithm::libcloud_value`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Algorithm {
    /// A member at random.
    Random,
    /// Each member in turn (the default).
    RoundRobin,
    /// The member with the fewest connections.
    LeastConnections,
    /// In turn, by weight.
    WeightedRoundRobin,
    /// Fewest connections, by weight.
    WeightedLeastConnections,
    /// The member that answers fastest.
    ShortestResponse,
    /// The same member for the same client address.
    PersistentIp,
    /// Fewest connections per member.
    LeastConnectionsMember,
    /// Fewest connections per node.
    LeastConnectionsNode,
    /// Observed performance per member.
    ObservedMember,
    /// Observed performance per node.
    ObservedNode,
    /// Predicted performance per member.
    PredictiveMember,
    /// Predicted performance per node.
    PredictiveNode,
}

impl Algorithm {
    /// Every algorithm, in Libcloud's order.
    pub const ALL: [Algorithm; 13] = [
        Algorithm::Random,
        Algorithm::RoundRobin,
        Algorithm::LeastConnections,
        Algorithm::WeightedRoundRobin,
        Algorithm::WeightedLeastConnections,
        Algorithm::ShortestResponse,
        Algorithm::PersistentIp,
        Algorithm::LeastConnectionsMember,
        Algorithm::LeastConnectionsNode,
        Algorithm::ObservedMember,
        Algorithm::ObservedNode,
        Algorithm::PredictiveMember,
        Algorithm::PredictiveNode,
    ];

    /// Libcloud's integer constant (`RANDOM` 0, `ROUND_ROBIN` 1, ...).
    pub fn libcloud_value(self) -> u8 {
        Self::ALL.iter().position(|a| *a == self).unwrap_or(0) as u8
    }

    /// The snake-case name (`"round_robin"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Random => "random",
            Algorithm::RoundRobin => "round_robin",
            Algorithm::LeastConnections => "least_connections",
            Algorithm::WeightedRoundRobin => "weighted_round_robin",
            Algorithm::WeightedLeastConnections => "weighted_least_connections",
            Algorithm::ShortestResponse => "shortest_response",
            Algorithm::PersistentIp => "persistent_ip",
            Algorithm::LeastConnectionsMember => "least_connections_member",
            Algorithm::LeastConnectionsNode => "least_connections_node",
            Algorithm::ObservedMember => "observed_member",
            Algorithm::ObservedNode => "observed_node",
            Algorithm::PredictiveMember => "predictive_member",
            Algorithm::PredictiveNode => "predictive_node",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == wanted)
            .ok_or_else(|| Error::invalid_input(format!("unknown balancing algorithm {s:?}")))
    }
}

/// The state of a balancer, as Libcloud's LB `State`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum BalancerState {
    /// Serving.
    Running,
    /// Being built or updated.
    Pending,
    /// No uniform name.
    Unknown,
    /// In error.
    Error,
    /// Deleted.
    Deleted,
}

/// A load balancer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancer {
    /// The provider's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: BalancerState,
    /// The address (or DNS name) it listens on, when assigned.
    pub ip: Option<String>,
    /// The port it listens on.
    pub port: u16,
    /// Its protocol (`"http"`, `"tcp"`), when known.
    pub protocol: Option<String>,
    /// Its algorithm, when known.
    pub algorithm: Option<Algorithm>,
    /// Provider-specific attributes.
    #[serde(default)]
    pub extra: Extra,
}

/// A member a balancer sends traffic to (Libcloud's `Member`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The provider's id; `None` for a member not yet attached.
    pub id: Option<String>,
    /// Its address, for providers that balance by address.
    pub ip: Option<String>,
    /// Its port; the balancer's port when `None`.
    pub port: Option<u16>,
    /// Its weight, for weighted algorithms.
    pub weight: Option<u32>,
    /// Provider-specific attributes (instance id, condition, ...).
    #[serde(default)]
    pub extra: Extra,
}

impl Member {
    /// A member at `ip`:`port`, not yet attached.
    pub fn new(ip: impl Into<String>, port: u16) -> Self {
        Member {
            id: None,
            ip: Some(ip.into()),
            port: Some(port),
            weight: None,
            extra: Extra::new(),
        }
    }

    /// A member that is a compute node, for providers that balance by instance.
    pub fn node(id: impl Into<String>) -> Self {
        Member {
            id: Some(id.into()),
            ip: None,
            port: None,
            weight: None,
            extra: Extra::new(),
        }
    }
}

/// What to create with [`LoadBalancerDriver::create_balancer`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CreateBalancer {
    /// Its name.
    pub name: String,
    /// The port it listens on.
    pub port: u16,
    /// Its protocol, one of [`LoadBalancerDriver::list_protocols`].
    pub protocol: String,
    /// Its algorithm, one of [`LoadBalancerDriver::list_supported_algorithms`].
    pub algorithm: Algorithm,
    /// The members to start with.
    pub members: Vec<Member>,
    /// Provider-specific options.
    pub extra: Extra,
}

impl CreateBalancer {
    /// A round-robin balancer called `name` on `port` speaking `protocol`, with no members.
    pub fn new(name: impl Into<String>, port: u16, protocol: impl Into<String>) -> Self {
        CreateBalancer {
            name: name.into(),
            port,
            protocol: protocol.into(),
            algorithm: Algorithm::RoundRobin,
            members: Vec::new(),
            extra: Extra::new(),
        }
    }

    /// Sets the algorithm.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Adds a member.
    pub fn member(mut self, member: Member) -> Self {
        self.members.push(member);
        self
    }
}

/// Changes for [`LoadBalancerDriver::update_balancer`]; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct UpdateBalancer {
    /// A new name.
    pub name: Option<String>,
    /// A new algorithm.
    pub algorithm: Option<Algorithm>,
    /// A new protocol.
    pub protocol: Option<String>,
    /// A new port.
    pub port: Option<u16>,
}

/// What a load balancer driver can do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LoadBalancerCapabilities {
    /// Members are given by address and port.
    pub members_by_ip: bool,
    /// Members are given by compute node id.
    pub members_by_node: bool,
    /// `update_balancer` works.
    pub update_balancer: bool,
}

/// The load balancer API every balancer driver implements (Libcloud's LB `Driver`).
#[async_trait]
pub trait LoadBalancerDriver: Send + Sync + std::fmt::Debug {
    /// The provider's short name.
    fn name(&self) -> &str;

    /// What this driver can do.
    fn capabilities(&self) -> LoadBalancerCapabilities;

    /// The protocols a balancer can speak (`"http"`, `"tcp"`, ...).
    async fn list_protocols(&self) -> Result<Vec<String>>;

    /// The algorithms a balancer can use.
    async fn list_supported_algorithms(&self) -> Result<Vec<Algorithm>>;

    /// Every balancer.
    async fn list_balancers(&self) -> Result<Vec<LoadBalancer>>;

    /// One balancer by id.
    async fn get_balancer(&self, balancer_id: &str) -> Result<LoadBalancer> {
        self.list_balancers()
            .await?
            .into_iter()
            .find(|b| b.id == balancer_id)
            .ok_or_else(|| Error::not_found(ResourceKind::LoadBalancer, balancer_id))
    }

    /// Creates a balancer. An algorithm or protocol it does not offer is
    /// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) or
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    async fn create_balancer(&self, request: &CreateBalancer) -> Result<LoadBalancer>;

    /// Changes a balancer's name, algorithm, protocol or port.
    async fn update_balancer(
        &self,
        _balancer: &LoadBalancer,
        _changes: &UpdateBalancer,
    ) -> Result<LoadBalancer> {
        Err(Error::unsupported("update_balancer"))
    }

    /// Destroys a balancer.
    async fn destroy_balancer(&self, balancer: &LoadBalancer) -> Result<()>;

    /// Adds a member; returns it with its id.
    async fn balancer_attach_member(
        &self,
        balancer: &LoadBalancer,
        member: &Member,
    ) -> Result<Member>;

    /// Removes a member.
    async fn balancer_detach_member(&self, balancer: &LoadBalancer, member: &Member) -> Result<()>;

    /// The members of a balancer.
    async fn balancer_list_members(&self, balancer: &LoadBalancer) -> Result<Vec<Member>>;
}

/// Conveniences over [`LoadBalancerDriver`], for every driver.
#[async_trait]
pub trait LoadBalancerDriverExt: LoadBalancerDriver {
    /// Adds a compute node as a member: by its id where the driver balances by node, else by its
    /// first public address on the balancer's port (Libcloud's `balancer_attach_compute_node`).
    async fn balancer_attach_compute_node(
        &self,
        balancer: &LoadBalancer,
        node: &Node,
    ) -> Result<Member> {
        let member = if self.capabilities().members_by_node {
            Member::node(node.id.clone())
        } else {
            let ip = node.public_ips.first().ok_or_else(|| {
                Error::invalid_input(format!(
                    "node {} has no public address to balance to",
                    node.id
                ))
            })?;
            Member::new(ip.to_string(), balancer.port)
        };
        self.balancer_attach_member(balancer, &member).await
    }
}

impl<T: LoadBalancerDriver + ?Sized> LoadBalancerDriverExt for T {}
