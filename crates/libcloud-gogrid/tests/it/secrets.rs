//! The shared secret never shows, nor the signatures made with it: the driver runs against a
//! proxy answering errors, resets and throttling, with every `tracing` event recorded, and the
//! log, the `Debug` of the configuration and the driver, and every error are searched for the
//! secret and for any `sig=` query value.

use std::time::Duration;

use libcloud_core::{BalancerState, LoadBalancer, LoadBalancerDriver, Member};
use libcloud_gogrid::{GoGridConfig, GoGridLoadBalancer};
use libcloud_http::{HttpConfig, RetryPolicy};
use libcloud_testkit::fault::{Fault, FaultPlan, FaultProxy};
use libcloud_testkit::secrets::{assert_no_secrets, capture, error_text, secret};

#[tokio::test]
async fn the_shared_secret_never_reaches_logs_or_errors() {
    let shared = secret("gogrid-shared-secret");
    let log = capture();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let plan = FaultPlan::random(
        6,
        0.8,
        [
            Fault::Status(401),
            Fault::Status(403),
            Fault::Status(500),
            Fault::ResetBeforeBody,
            Fault::ResetAfterBody,
            Fault::SlowDown,
        ],
    );
    let proxy = FaultProxy::start(&closed.to_string(), plan).await.unwrap();
    let config = GoGridConfig::new("leak-check-key", shared.clone())
        .with_endpoint(format!("{}/api/", proxy.url()));
    let transport = HttpConfig::new()
        .with_retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(5))
                .with_budget(Duration::from_secs(2)),
        )
        .build()
        .unwrap();
    let lb = GoGridLoadBalancer::with_transport(config.clone(), transport).unwrap();
    let balancer = LoadBalancer {
        id: "70001".into(),
        name: "leak-check".into(),
        state: BalancerState::Running,
        ip: None,
        port: 80,
        protocol: None,
        algorithm: None,
        extra: Default::default(),
    };
    let mut shown = vec![format!("{config:?}"), format!("{lb:?}")];
    let results = [
        lb.list_balancers().await.map(drop),
        lb.get_balancer("70001").await.map(drop),
        lb.balancer_list_members(&balancer).await.map(drop),
        lb.balancer_attach_member(&balancer, &Member::new("10.1.0.12", 8080))
            .await
            .map(drop),
        lb.destroy_balancer(&balancer).await,
        lb.ex_list_ips(Some(true), None, None).await.map(drop),
    ];
    let errors = results.iter().filter(|r| r.is_err()).count();
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        shown.push(error_text(err));
    }
    let logged = log.text();
    assert!(errors >= 3, "the faults should have made most calls fail");
    assert!(logged.contains("http_request"), "{logged}");
    // The signature travels in the query string as `sig=`; no query string may be logged.
    assert_no_secrets(&logged, &[&shared, "sig="], "the tracing log");
    assert_no_secrets(
        &shown.join("\n"),
        &[&shared, "sig="],
        "Debug and error output",
    );
}
