//! GoGrid load balancers for libcloud, through the uniform
//! [`LoadBalancerDriver`](libcloud_core::LoadBalancerDriver) API.
//!
//! GoGrid's cloud has shut down, but scripts and recorded traffic against its JSON API live
//! on, and compatible servers can be pointed at with [`GoGridConfig::with_endpoint`].
//! [`GoGridLoadBalancer`] speaks that API. Every request is a query signed with
//! [`signature`]: the MD5 of the API key, the shared secret and the Unix time.
//!
//! | libcloud | GoGrid |
//! |---|---|
//! | [`list_balancers`](libcloud_core::LoadBalancerDriver::list_balancers) | `GET grid/loadbalancer/list` |
//! | [`get_balancer`](libcloud_core::LoadBalancerDriver::get_balancer) | `GET grid/loadbalancer/get?id=` |
//! | [`create_balancer`](libcloud_core::LoadBalancerDriver::create_balancer) | `GET grid/ip/list?ip.type=Public&ip.state=Unassigned`, then `POST grid/loadbalancer/add` |
//! | [`destroy_balancer`](libcloud_core::LoadBalancerDriver::destroy_balancer) | `POST grid/loadbalancer/delete?id=` |
//! | [`balancer_list_members`](libcloud_core::LoadBalancerDriver::balancer_list_members) | `GET grid/loadbalancer/get?id=` |
//! | [`balancer_attach_member`](libcloud_core::LoadBalancerDriver::balancer_attach_member), [`balancer_detach_member`](libcloud_core::LoadBalancerDriver::balancer_detach_member) | `POST grid/loadbalancer/edit` with the whole new `realiplist` |
//! | [`GoGridLoadBalancer::ex_list_ips`] | `GET grid/ip/list` |
//! | [`GoGridLoadBalancer::ex_get_balancer_by_name`] | `GET grid/loadbalancer/get?name=` |
//!
//! Algorithms: round robin (`"round robin"`) and least connections (`"least connect"`);
//! protocol: `http` only. Failures (`"status": "failure"`) become typed errors: see the
//! [`LoadBalancerDriver`](libcloud_core::LoadBalancerDriver) methods and the crate's tests.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use libcloud_core::{LoadBalancerDriver, transport};
//! use libcloud_gogrid::{GoGridConfig, GoGridLoadBalancer};
//!
//! let config = GoGridConfig::new("api-key", "shared-secret")
//!     .with_endpoint("http://127.0.0.1:8080/api/");
//! // Any `Transport` works; here one that refuses every request.
//! let offline = transport::from_fn(|_req| {
//!     Box::pin(async { Err(libcloud_core::Error::transport(std::io::Error::other("offline"))) })
//! });
//! let lb = GoGridLoadBalancer::with_transport(config, offline)
//!     .unwrap()
//!     .with_clock(|| UNIX_EPOCH + Duration::from_secs(1_300_000_000));
//! assert_eq!(lb.name(), "gogrid");
//! assert!(!format!("{lb:?}").contains("shared-secret"));
//! ```
//!
//! # Recorded fixtures
//!
//! The crate's tests replay Apache Libcloud's recorded GoGrid load balancer responses; every
//! file of that set is used by at least one test: `loadbalancer_list.json`,
//! `loadbalancer_get.json`, `loadbalancer_add.json` (the answer to both add and delete, as in
//! Libcloud's tests), `loadbalancer_edit.json`, `ip_list.json` and `unexpected_error.json`.
//! GoGrid's compute API (Libcloud's separate `gogrid-compute` recordings) is not part of this
//! crate.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod config;
mod json;
mod loadbalancer;

pub use client::signature;
pub use config::{
    DEFAULT_API_VERSION, DEFAULT_ENDPOINT, ENV_API_KEY, ENV_API_VERSION, ENV_ENDPOINT,
    ENV_SHARED_SECRET, GoGridConfig,
};
pub use json::GoGridIp;
pub use loadbalancer::{
    ALGORITHMS, DEFAULT_CREATE_POLL_INTERVAL, DEFAULT_CREATE_TIMEOUT, GoGridLoadBalancer, PROTOCOLS,
};
