//! Rackspace for libcloud: Cloud Servers, Cloud Files with its CDN, Cloud Load Balancers and
//! Cloud DNS.
//!
//! Every service authenticates through Rackspace's identity service (Keystone v2 with a user
//! name and API key, [`DEFAULT_AUTH_URL`]) and takes its endpoint for the region from the
//! service catalog, using `libcloud-openstack`'s identity, token cache and drivers:
//!
//! - [`CloudServers`]: Nova (`compute` / `cloudServersOpenStack`), a
//!   [`ComputeDriver`](libcloud_core::ComputeDriver).
//! - [`CloudFiles`]: Swift (`object-store` / `cloudFiles`) and the CDN (`rax:object-cdn` /
//!   `cloudFilesCDN`): publishing containers and their CDN URLs, a
//!   [`StorageDriver`](libcloud_core::StorageDriver).
//! - [`CloudLoadBalancers`]: `rax:load-balancer` / `cloudLoadBalancers`, balancers with nodes
//!   as members, a [`LoadBalancerDriver`](libcloud_core::LoadBalancerDriver).
//! - [`CloudDns`]: `rax:dns` / `cloudDNS`, domains and records, each change an asynchronous
//!   job polled to completion within a bound ([`JobPolling`]), a
//!   [`DnsDriver`](libcloud_core::DnsDriver).
//!
//! [`Rackspace`] opens all four on one session, so that one token serves them. Regions are
//! [`Region`]s (dfw, ord, iad, lon, syd, hkg); Cloud DNS is global.
//!
//! ```
//! use libcloud_core::{LoadBalancerDriver, StorageDriver, transport};
//! use libcloud_rackspace::{Rackspace, RackspaceConfig, Region};
//!
//! let config = RackspaceConfig::new("alice", "0123456789abcdef", Region::Ord);
//! // Any `Transport` works; `Rackspace::new` uses the default HTTP one. Nothing is sent
//! // until a driver is used.
//! let offline = transport::from_fn(|_req| {
//!     Box::pin(async { Err(libcloud_core::Error::transport(std::io::Error::other("offline"))) })
//! });
//! let rackspace = Rackspace::with_transport(config, offline);
//! let files = rackspace.storage().unwrap();
//! assert_eq!(files.name(), "cloudfiles");
//! assert!(files.capabilities().container_cdn);
//! assert_eq!(rackspace.load_balancers().unwrap().name(), "rackspace");
//! assert!(!format!("{files:?}").contains("0123456789abcdef"));
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
pub mod compute;
mod config;
pub mod dns;
mod json;
pub mod loadbalancer;
pub mod storage;

use std::sync::Arc;

use libcloud_core::{Result, Transport};
use libcloud_openstack::Session;

pub use client::IMMUTABLE_CODE;
pub use compute::{CLOUD_SERVERS_SERVICE_NAME, CloudServers, cloud_servers_features};
pub use config::{DEFAULT_AUTH_URL, Endpoints, RackspaceConfig, Region};
pub use dns::{CloudDns, JobPolling};
pub use loadbalancer::{AccessRule, BusyWait, CloudLoadBalancers, LoadBalancerFeatures};
pub use storage::{AccountInfo, CdnContainer, CloudFiles};

/// All four Rackspace services on one session: one sign-in, one cached token.
///
/// Each accessor builds a driver on the shared session; building one sends nothing.
#[derive(Debug, Clone)]
pub struct Rackspace {
    config: RackspaceConfig,
    session: Arc<Session>,
}

impl Rackspace {
    /// The services of `config`, over the default HTTP transport.
    pub fn new(config: RackspaceConfig) -> Result<Self> {
        Ok(Self::with_transport(
            config,
            libcloud_http::default_transport()?,
        ))
    }

    /// The services of `config`, sending through `transport`.
    pub fn with_transport(config: RackspaceConfig, transport: Transport) -> Self {
        let session = config.session(transport);
        Rackspace { config, session }
    }

    /// The settings.
    pub fn config(&self) -> &RackspaceConfig {
        &self.config
    }

    /// The shared session.
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// Cloud Servers.
    pub fn compute(&self) -> Result<CloudServers> {
        CloudServers::with_session(self.session.clone(), &self.config)
    }

    /// Cloud Files and its CDN.
    pub fn storage(&self) -> Result<CloudFiles> {
        CloudFiles::with_session(self.session.clone(), &self.config)
    }

    /// Cloud Load Balancers.
    pub fn load_balancers(&self) -> Result<CloudLoadBalancers> {
        CloudLoadBalancers::with_session(self.session.clone(), &self.config)
    }

    /// Cloud DNS.
    pub fn dns(&self) -> Result<CloudDns> {
        CloudDns::with_session(self.session.clone(), &self.config)
    }
}
