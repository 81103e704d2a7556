//! Elastic Load Balancing for libcloud: classic load balancers (API 2012-06-01) and
//! application load balancers (ELBv2, API 2015-12-01) through the uniform
//! [`LoadBalancerDriver`] API, signed with SigV4 by `libcloud-aws`.
//!
//! | libcloud | [`ElbLoadBalancer`] (classic) | [`AlbLoadBalancer`] (application) |
//! |---|---|---|
//! | id | the balancer's name | its ARN (`get_balancer` takes a name too) |
//! | [`list_protocols`](LoadBalancerDriver::list_protocols) | `tcp`, `ssl`, `http`, `https` | `http`, `https` |
//! | [`list_supported_algorithms`](LoadBalancerDriver::list_supported_algorithms) | round robin | round robin, least connections (least outstanding requests), random (weighted random) |
//! | [`list_balancers`](LoadBalancerDriver::list_balancers) | `DescribeLoadBalancers` (paged) | `DescribeLoadBalancers` (paged) + `DescribeListeners` each |
//! | [`create_balancer`](LoadBalancerDriver::create_balancer) | `CreateLoadBalancer` with one listener, `RegisterInstancesWithLoadBalancer` | `CreateLoadBalancer`, `CreateTargetGroup` (+ algorithm attribute), `CreateListener`, `RegisterTargets` |
//! | [`destroy_balancer`](LoadBalancerDriver::destroy_balancer) | `DeleteLoadBalancer` | `DeleteLoadBalancer`, then `DeleteTargetGroup` of its own groups |
//! | members | EC2 instances by id | targets of the balancer's target group: instances, or addresses and ports ([`TargetType`]) |
//! | [`balancer_attach_member`](LoadBalancerDriver::balancer_attach_member) / [`balancer_detach_member`](LoadBalancerDriver::balancer_detach_member) | `RegisterInstancesWithLoadBalancer` / `DeregisterInstancesFromLoadBalancer` | `RegisterTargets` / `DeregisterTargets` |
//! | [`balancer_list_members`](LoadBalancerDriver::balancer_list_members) | the balancer's instances | `DescribeTargetHealth` (draining targets left out) |
//!
//! [`balancer_attach_compute_node`](libcloud_core::LoadBalancerDriverExt::balancer_attach_compute_node)
//! attaches a node by its instance id where members are instances, else by its first public
//! address. An algorithm a driver does not list is `Unsupported`; `update_balancer` is
//! `Unsupported` for both.
//!
//! Provider-only operations: policies, listeners and tags of classic balancers
//! (`ElbLoadBalancer::ex_*`); target groups, listeners, rules, targets and tags of application
//! balancers (`AlbLoadBalancer::ex_*`).
//!
//! **Errors.** `LoadBalancerNotFound` is `NotFound` of the load balancer,
//! `DuplicateLoadBalancerName` `AlreadyExists`, `ValidationError` `InvalidInput`; everything
//! else as [`libcloud_aws::parse_error`] maps it.
//!
//! ```
//! use libcloud_core::{Algorithm, LoadBalancerDriver, transport};
//! use libcloud_elb::{ElbApi, ElbConfig, driver};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let config = ElbConfig::new()
//!     .with_api(ElbApi::Application)
//!     .with_keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG")
//!     .with_endpoint("http://127.0.0.1:5000");
//! // Any `Transport` works; here one that refuses every request.
//! let offline = transport::from_fn(|_req| {
//!     Box::pin(async { Err(libcloud_core::Error::transport(std::io::Error::other("offline"))) })
//! });
//! let lb = libcloud_elb::driver_with_transport(config, offline).unwrap();
//! assert_eq!(lb.name(), "alb");
//! assert!(lb.list_supported_algorithms().await.unwrap().contains(&Algorithm::LeastConnections));
//! # let _ = driver;
//! # });
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alb;
mod classic;
mod client;
mod config;

use std::collections::BTreeMap;
use std::sync::Arc;

use libcloud_aws::xml;
use libcloud_core::{Error, Extra, LoadBalancerDriver, Result, Transport};
use serde_json::Value;

pub use alb::{
    ALB_ALGORITHMS, ALB_API_VERSION, ALB_PROTOCOLS, AlbListener, AlbLoadBalancer, AlbRule,
    TargetGroup,
};
pub use classic::{
    CLASSIC_ALGORITHMS, CLASSIC_API_VERSION, CLASSIC_PROTOCOLS, ClassicListener, ElbLoadBalancer,
};
pub use config::{ElbApi, ElbConfig, TargetType};

/// The provider name of the classic driver and of configuration errors.
pub(crate) const PROVIDER: &str = "elb";

/// The driver `config.api` names, over the default HTTP transport.
pub fn driver(config: ElbConfig) -> Result<Arc<dyn LoadBalancerDriver>> {
    driver_with_transport(config, libcloud_http::default_transport()?)
}

/// The driver `config.api` names, sending through `transport`.
pub fn driver_with_transport(
    config: ElbConfig,
    transport: Transport,
) -> Result<Arc<dyn LoadBalancerDriver>> {
    Ok(match config.api {
        ElbApi::Classic => Arc::new(ElbLoadBalancer::with_transport(config, transport)?),
        ElbApi::Application => Arc::new(AlbLoadBalancer::with_transport(config, transport)?),
    })
}

/// Whether `name` can be a balancer's name: 1 to 32 letters, digits and hyphens, not starting
/// or ending with a hyphen.
pub(crate) fn valid_balancer_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A text option of `extra`, trimmed; `None` when absent or blank.
pub(crate) fn extra_str(extra: &Extra, key: &str) -> Option<String> {
    extra
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A port option of `extra` (a number or numeric text); anything else is `InvalidInput`.
pub(crate) fn extra_u16(extra: &Extra, key: &str) -> Result<Option<u16>> {
    let bad = |v: &Value| {
        Error::invalid_input(format!("{key} {v} is not a port number")).with_provider(PROVIDER)
    };
    match extra.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| bad(v)),
        Some(v @ Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad(v)),
        Some(v) => Err(bad(v)),
    }
}

/// The `Tags` of a tag description, as a map.
pub(crate) fn parse_tags(description: &xml::Element) -> BTreeMap<String, String> {
    description
        .members("Tags")
        .filter_map(|t| {
            Some((
                t.text_of("Key")?.to_string(),
                t.text_of("Value").unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_options() {
        assert!(valid_balancer_name("web-1"));
        for bad in ["", "-web", "web-", "a_b", "a.b", &"x".repeat(33)] {
            assert!(!valid_balancer_name(bad), "{bad}");
        }
        let mut extra = Extra::new();
        extra.insert("port".into(), json!(8080));
        extra.insert("text".into(), json!(" 81 "));
        extra.insert("big".into(), json!(70000));
        extra.insert("list".into(), json!([1]));
        extra.insert("name".into(), json!("  "));
        assert_eq!(extra_u16(&extra, "port").unwrap(), Some(8080));
        assert_eq!(extra_u16(&extra, "text").unwrap(), Some(81));
        assert_eq!(extra_u16(&extra, "none").unwrap(), None);
        assert!(extra_u16(&extra, "big").is_err());
        assert!(extra_u16(&extra, "list").is_err());
        assert_eq!(extra_str(&extra, "name"), None);
    }
}
