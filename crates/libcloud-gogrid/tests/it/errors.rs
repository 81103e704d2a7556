//! GoGrid's failures and the error kinds they become; requests refused before sending.

use std::time::{Duration, UNIX_EPOCH};

use libcloud_core::{
    Algorithm, BalancerState, CreateBalancer, ErrorKind, LoadBalancer, LoadBalancerDriver, Member,
    ResourceKind,
};
use libcloud_testkit::replay::Route;
use serde_json::json;

use crate::{SIG, serve};

fn failure(method: &str, code: &str, message: &str) -> serde_json::Value {
    json!({
        "list": [{"errorcode": code, "message": message, "object": "error"}],
        "method": method,
        "status": "failure",
        "summary": {"returned": 1, "start": 0, "total": 1}
    })
}

fn balancer(id: &str) -> LoadBalancer {
    LoadBalancer {
        id: id.into(),
        name: "web".into(),
        state: BalancerState::Running,
        ip: None,
        port: 80,
        protocol: None,
        algorithm: None,
        extra: Default::default(),
    }
}

#[tokio::test]
async fn refused_keys_are_invalid_credentials() {
    for status in [401, 403] {
        let (_replay, lb) = serve(vec![
            Route::get("/api/grid/loadbalancer/list").status(status),
        ]);
        let err = lb.list_balancers().await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials, "{status}");
        assert_eq!(err.status(), Some(status));
    }
}

#[tokio::test]
async fn a_failure_with_status_200_is_still_an_error() {
    let (_replay, lb) = serve(vec![Route::get("/api/grid/loadbalancer/list").json(
        &failure(
            "/grid/loadbalancer/list",
            "IllegalArgumentException",
            "Bad request",
        ),
    )]);
    let err = lb.list_balancers().await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider {
            code: "IllegalArgumentException".into()
        }
    );
    assert_eq!(err.message(), Some("Bad request"));
    assert_eq!(err.status(), Some(200));
}

#[tokio::test]
async fn an_unknown_balancer_is_not_found() {
    // GoGrid's answer to an unknown id was not recorded; both an empty list and a failure
    // that says so are read as NotFound.
    let (_replay, lb) = serve(vec![
        Route::get("/api/grid/loadbalancer/get")
            .query("id", "1")
            .json(&json!({"list": [], "method": "/grid/loadbalancer/get", "status": "success"})),
        Route::get("/api/grid/loadbalancer/get")
            .query("id", "2")
            .status(400)
            .json(&failure(
                "/grid/loadbalancer/get",
                "IllegalArgumentException",
                "LoadBalancer with id 2 does not exist",
            )),
    ]);
    for id in ["1", "2"] {
        let err = lb.get_balancer(id).await.unwrap_err();
        assert_eq!(
            *err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::LoadBalancer,
                id: id.into()
            }
        );
    }
}

#[tokio::test]
async fn a_pending_update_is_temporary() {
    let (_replay, lb) = serve(vec![
        Route::post("/api/grid/loadbalancer/delete")
            .status(400)
            .json(&failure(
                "/grid/loadbalancer/delete",
                "IllegalArgumentException",
                "Update request for LoadBalancer 5 already pending",
            )),
    ]);
    let err = lb.destroy_balancer(&balancer("5")).await.unwrap_err();
    assert!(err.is_temporary());
    assert_eq!(err.operation(), Some("destroy_balancer"));
}

#[tokio::test]
async fn what_gogrid_lacks_is_refused_before_sending() {
    let (replay, lb) = serve(vec![]);
    let err = lb
        .create_balancer(&CreateBalancer::new("web", 443, "https"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    let err = lb
        .create_balancer(&CreateBalancer::new("web", 80, "http").algorithm(Algorithm::Random))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    let err = lb
        .create_balancer(&CreateBalancer::new("web", 80, "http").member(Member::node("i-1")))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = lb
        .create_balancer(&CreateBalancer::new("", 80, "http"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = lb.get_balancer(" ").await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = lb
        .balancer_attach_member(&balancer("5"), &Member::node("i-1"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert!(replay.requests().is_empty());
    assert_eq!(lb.list_protocols().await.unwrap(), ["http"]);
    assert_eq!(
        lb.list_supported_algorithms().await.unwrap(),
        [Algorithm::RoundRobin, Algorithm::LeastConnections]
    );
}

#[tokio::test]
async fn no_free_public_address() {
    let (_replay, lb) =
        serve(vec![Route::get("/api/grid/ip/list").json(
            &json!({"list": [], "method": "/grid/ip/list", "status": "success"}),
        )]);
    let err = lb
        .create_balancer(&CreateBalancer::new("web", 80, "http"))
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider {
            code: "NoFreePublicIp".into()
        }
    );
    assert_eq!(err.operation(), Some("create_balancer"));
}

#[tokio::test]
async fn the_signature_follows_the_clock() {
    let (replay, lb) = serve(vec![
        Route::get("/api/grid/ip/list").json(&json!({"list": [], "status": "success"})),
        Route::get("/api/grid/ip/list").json(&json!({"list": [], "status": "success"})),
    ]);
    lb.ex_list_ips(None, None, None).await.unwrap();
    let later = lb.with_clock(|| UNIX_EPOCH + Duration::from_secs(crate::NOW + 30));
    later.ex_list_ips(None, None, None).await.unwrap();
    let requests = replay.requests();
    assert_eq!(requests[0].query("sig").as_deref(), Some(SIG));
    // md5("the-api-key" + "the-shared-secret" + "1300000030")
    assert_eq!(
        requests[1].query("sig").as_deref(),
        Some("82abb5aae46a966fb1bbf82bddfade7a")
    );
}

#[tokio::test]
async fn endpoint_and_version_overrides() {
    let replay = libcloud_testkit::Replay::new().with(
        Route::get("/gg/grid/ip/list")
            .host("localhost")
            .query("v", "1.5")
            .json(&json!({"list": [], "status": "success"})),
    );
    let config = libcloud_gogrid::GoGridConfig::new("k", "s")
        .with_endpoint("http://localhost:9090/gg")
        .with_api_version("1.5");
    let lb =
        libcloud_gogrid::GoGridLoadBalancer::with_transport(config, replay.transport()).unwrap();
    assert_eq!(lb.endpoint(), "http://localhost:9090/gg/");
    lb.ex_list_ips(None, None, None).await.unwrap();
    replay.assert_all_used();
}

#[tokio::test]
async fn transport_failures_name_the_provider_and_operation() {
    let (_replay, lb) = serve(vec![
        Route::get("/api/grid/loadbalancer/list").fail(ErrorKind::Transport, "connection reset"),
    ]);
    let err = lb.list_balancers().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    assert_eq!(err.provider(), Some("gogrid"));
    assert_eq!(err.operation(), Some("list_balancers"));
}

#[tokio::test]
async fn an_answer_with_an_unknown_status_is_malformed() {
    let (_replay, lb) = serve(vec![
        Route::get("/api/grid/loadbalancer/list").json(&json!({"list": [], "status": "pending"})),
        Route::get("/api/grid/loadbalancer/list").json(&json!({"list": []})),
    ]);
    for _ in 0..2 {
        let err = lb.list_balancers().await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
        assert_eq!(err.operation(), Some("list_balancers"));
    }
}

#[test]
fn the_default_transport_constructor_checks_the_config() {
    let lb = libcloud_gogrid::GoGridLoadBalancer::new(libcloud_gogrid::GoGridConfig::new("k", "s"))
        .unwrap();
    assert_eq!(lb.endpoint(), libcloud_gogrid::DEFAULT_ENDPOINT);
    let err = libcloud_gogrid::GoGridLoadBalancer::new(libcloud_gogrid::GoGridConfig::new("", "s"))
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
}
