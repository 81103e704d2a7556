//! Against a live mimic (`cargo xtask emulators up`), Rackspace's own mock of its cloud: the
//! compute conformance suite on Cloud Servers and the load balancer suite on Cloud Load
//! Balancers, signed in with API keys as on Rackspace.

use std::time::Duration;

use libcloud_core::{ComputeDriver, LoadBalancerDriver};
use libcloud_openstack::NovaFeatures;
use libcloud_rackspace::{
    CloudLoadBalancers, CloudServers, LoadBalancerFeatures, Rackspace, RackspaceConfig, Region,
    cloud_servers_features,
};
use libcloud_testkit::conformance::{compute, loadbalancer};
use libcloud_testkit::{require_live, unique_name};

const ENDPOINT_VAR: &str = "LIBCLOUD_TEST_MIMIC_ENDPOINT";

/// Settings for a user of its own (mimic ties a user to the tenant of its first token) in
/// ORD, where mimic has every service.
fn config(endpoint: &str) -> RackspaceConfig {
    RackspaceConfig::new(unique_name("lc-rax"), "0123456789abcdef", Region::Ord)
        .with_auth_url(format!("{endpoint}/identity/v2.0"))
}

/// mimic's Nova has a key pair API too thin for the suite (no generation, no conflict on a
/// duplicate name); Cloud Servers itself has no start or stop.
fn mimic_nova() -> NovaFeatures {
    cloud_servers_features().with_key_pairs(false)
}

/// mimic's Cloud Load Balancers has neither the protocol listing nor balancer updates; those
/// are checked on recorded answers instead.
fn mimic_lb() -> LoadBalancerFeatures {
    LoadBalancerFeatures::default()
        .with_protocol_list(false)
        .with_update(false)
}

/// mimic's clock moves only when told (`POST /mimic/v1.1/tick`); servers finish building and
/// rebooting after some of its seconds. This moves it one second every 100 ms until dropped.
struct Ticker(tokio::task::JoinHandle<()>);

impl Ticker {
    fn start(endpoint: &str) -> Self {
        let url = format!("{endpoint}/mimic/v1.1/tick");
        let transport = libcloud_http::default_transport().unwrap();
        Ticker(tokio::spawn(async move {
            loop {
                let request = http::Request::post(&url)
                    .body(libcloud_core::Body::from("{\"amount\": 1.0}"))
                    .unwrap();
                let _ = libcloud_core::transport::send(&transport, request).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }))
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[tokio::test]
async fn compute_conformance_on_mimic() {
    let endpoint = require_live!(ENDPOINT_VAR);
    let _ticker = Ticker::start(&endpoint);
    let servers = CloudServers::new(&config(&endpoint))
        .unwrap()
        .with_features(mimic_nova());
    let options = compute::Options {
        wait_timeout: Duration::from_secs(30),
        poll_interval: Duration::from_millis(200),
        ..Default::default()
    };
    compute::run_with(&servers, &options).await;
}

#[tokio::test]
async fn loadbalancer_conformance_on_mimic() {
    let endpoint = require_live!(ENDPOINT_VAR);
    let lb = CloudLoadBalancers::new(&config(&endpoint))
        .unwrap()
        .with_features(mimic_lb());
    loadbalancer::run(&lb).await;
}

#[tokio::test]
async fn one_token_for_servers_and_balancers_on_mimic() {
    let endpoint = require_live!(ENDPOINT_VAR);
    let rackspace = Rackspace::new(config(&endpoint)).unwrap();
    let servers = rackspace.compute().unwrap().with_features(mimic_nova());
    let lb = rackspace
        .load_balancers()
        .unwrap()
        .with_features(mimic_lb());
    let locations = servers.list_locations().await.unwrap();
    assert_eq!(locations.len(), 1);
    assert_eq!(
        (locations[0].id.as_str(), locations[0].country.as_str()),
        ("ORD", "US")
    );
    assert!(!servers.list_sizes(Some("ord")).await.unwrap().is_empty());
    assert!(lb.list_balancers().await.unwrap().is_empty());
    assert_eq!(rackspace.session().authentications(), 1);
    let token = rackspace.session().token().await.unwrap();
    assert_eq!(token.identity_version, 2);

    // Another region of the same account: its own endpoint from the same catalog.
    let dfw = CloudServers::with_session(
        rackspace.session().clone(),
        &rackspace.config().clone().with_region(Region::Dfw),
    )
    .unwrap();
    let location = dfw.list_locations().await.unwrap().remove(0);
    assert_eq!(location.id, "DFW");
    assert!(
        location.extra["endpoint"]
            .as_str()
            .unwrap()
            .contains("/DFW/"),
        "{:?}",
        location.extra
    );
    assert_eq!(rackspace.session().authentications(), 1);
}
