//! The load balancer conformance cases that the recordings can answer, run over the replay
//! transport.
//!
//! The suite names its balancers at random (`lc-<case>-<hex>`) and checks that what comes back
//! carries that name and its own member addresses, while the recordings answer for a balancer
//! called `test2` with members 10.0.0.76-78. So `catalog`, `unsupported_algorithm` and
//! `missing_balancer` run here; `balancer_lifecycle`, `members` and `create_with_members`
//! need a live server, and `update_balancer` is skipped because GoGrid's API (as Libcloud used
//! it) has no update.

use libcloud_gogrid::GoGridLoadBalancer;
use libcloud_testkit::conformance::{Outcome, loadbalancer};
use libcloud_testkit::replay::{Replay, Route};
use serde_json::json;

use crate::serve;

fn lb() -> (Replay, GoGridLoadBalancer) {
    serve(vec![])
}

#[tokio::test]
async fn catalog() {
    let (replay, lb) = lb();
    assert_eq!(loadbalancer::catalog(&lb).await, Ok(Outcome::Passed));
    assert!(
        replay.requests().is_empty(),
        "the catalog is known without asking"
    );
}

#[tokio::test]
async fn unsupported_algorithm() {
    let (replay, lb) = lb();
    let options = loadbalancer::Options::default();
    assert_eq!(
        loadbalancer::unsupported_algorithm(&lb, &options).await,
        Ok(Outcome::Passed)
    );
    assert!(
        replay.requests().is_empty(),
        "refused before anything was sent"
    );
}

#[tokio::test]
async fn missing_balancer() {
    // GoGrid's answer to an unknown id was not recorded: an empty list stands in for it.
    let (replay, lb) = serve(vec![Route::get("/api/grid/loadbalancer/get").json(
        &json!({
            "list": [],
            "method": "/grid/loadbalancer/get",
            "status": "success",
            "summary": {"numpages": 0, "returned": 0, "start": 0, "total": 0}
        }),
    )]);
    assert_eq!(
        loadbalancer::missing_balancer(&lb).await,
        Ok(Outcome::Passed)
    );
    replay.assert_all_used();
    let id = replay.requests()[0].query("id").unwrap();
    assert!(id.starts_with("lc-missing-balancer-"), "{id}");
}

#[tokio::test]
async fn update_balancer_is_skipped() {
    let (_replay, lb) = lb();
    let options = loadbalancer::Options::default();
    assert!(matches!(
        loadbalancer::update_balancer(&lb, &options).await,
        Ok(Outcome::Skipped(_))
    ));
}
