//! Cloud Load Balancers over Apache Libcloud's recorded answers (`rackspace-lb`): what mimic
//! lacks (protocols, algorithms, updates, error pages, access lists, full details) and the
//! requests the driver sends.

use std::time::Duration;

use libcloud_core::{
    Algorithm, BalancerState, CreateBalancer, ErrorKind, LoadBalancerDriver, Member, ResourceKind,
    UpdateBalancer,
};
use libcloud_rackspace::{
    BusyWait, CloudLoadBalancers, IMMUTABLE_CODE, LoadBalancerFeatures, Region,
};
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;
use serde_json::{Value, json};

use crate::{LB, config, recorded, replay};

/// The balancers' path in the recorded catalog (ORD).
const BASE: &str = "/v1.0/11111/loadbalancers";
const HOST: &str = "ord.loadbalancers.api.rackspacecloud.com";
const TOKEN: &str = "aaaaaaaaaaaa-bbb-cccccccccccccc";

fn driver(region: Region) -> (Replay, CloudLoadBalancers) {
    let (replay, transport) = replay(LB, "_v2_0__auth.json");
    let lb = CloudLoadBalancers::with_transport(&config(region), transport)
        .unwrap()
        .with_busy_wait(BusyWait {
            timeout: Duration::from_secs(5),
            interval: Duration::from_millis(1),
        });
    (replay, lb)
}

fn get(path: &str, file: &str) -> Route {
    recorded(Route::get(&format!("{BASE}{path}")).host(HOST), LB, file)
}

fn body_json(replay: &Replay, index: usize) -> Value {
    serde_json::from_slice(&replay.requests()[index].body).unwrap()
}

#[tokio::test]
async fn lists_balancers_in_the_region_with_the_token() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Ord);
    replay.add(get("", "v1_slug_loadbalancers.json").query("limit", "100"));
    let balancers = lb.list_balancers().await.unwrap();
    assert_eq!(balancers.len(), 2);
    let b = &balancers[0];
    assert_eq!((b.id.as_str(), b.name.as_str()), ("8155", "test0"));
    assert_eq!(b.state, BalancerState::Running);
    assert_eq!(b.ip.as_deref(), Some("1.1.1.25"));
    assert_eq!(b.port, 80);
    assert_eq!(b.protocol.as_deref(), Some("http"));
    assert_eq!(b.algorithm, Some(Algorithm::Random));
    assert_eq!(b.extra["created"], json!("2011-04-06T21:25:19+0000"));
    assert_eq!(balancers[1].ip.as_deref(), Some("1.1.1.83"));
    let listed = &replay.requests()[1];
    assert_eq!(listed.header("x-auth-token"), Some(TOKEN));
    assert_eq!(listed.query("marker"), None);
    replay.assert_all_used();
}

#[tokio::test]
async fn the_region_chooses_the_endpoint() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Syd);
    replay.add(recorded(
        Route::get(BASE).host("syd.loadbalancers.api.rackspacecloud.com"),
        LB,
        "v1_slug_loadbalancers.json",
    ));
    assert_eq!(lb.list_balancers().await.unwrap().len(), 2);
    replay.assert_all_used();

    // A region the catalog does not offer is a clear error naming what it has.
    let (_replay, lb) = driver(Region::Hkg);
    let err = lb.list_balancers().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.provider(), Some("rackspace"));
    assert!(err.to_string().contains("HKG"), "{err}");
    assert!(err.to_string().contains("cloudLoadBalancers"), "{err}");
}

#[tokio::test]
async fn balancer_details() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Ord);
    replay
        .add(get("/8290", "v1_slug_loadbalancers_8290.json"))
        .add(get(
            "/94695",
            "v1_slug_loadbalancers_94695_full_details.json",
        ))
        .add(get(
            "/94694",
            "v1_slug_loadbalancers_94694_unknown_algorithm.json",
        ))
        .add(get("/9999999", "v1_slug_loadbalancers_3xxx.json"));

    let b = lb.get_balancer("8290").await.unwrap();
    assert_eq!(b.name, "test2");
    assert_eq!(b.ip.as_deref(), Some("1.1.1.1"));
    let members = b.extra["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members[2]["extra"]["condition"], json!("DRAINING"));
    assert_eq!(members[2]["port"], json!(8080));
    assert_eq!(
        b.extra["cluster"]["name"],
        json!("ztm-n05.lbaas.ord1.rackspace.net")
    );

    let b = lb.get_balancer("94695").await.unwrap();
    assert_eq!(b.algorithm, Some(Algorithm::WeightedLeastConnections));
    assert_eq!(b.extra["healthMonitor"]["type"], json!("CONNECT"));
    assert_eq!(
        b.extra["sessionPersistence"]["persistenceType"],
        json!("HTTP_COOKIE")
    );
    assert_eq!(b.extra["connectionThrottle"]["maxConnections"], json!(200));
    assert_eq!(
        b.extra["sourceAddresses"]["ipv4Public"],
        json!("184.106.100.25")
    );
    assert_eq!(b.ip.as_deref(), Some("50.56.49.149"));

    let b = lb.get_balancer("94694").await.unwrap();
    assert_eq!(b.algorithm, None);
    assert_eq!(b.extra["algorithm"], json!("UNSPECIFIED_FUTURE_ALGORITHM"));
    assert_eq!(b.state, BalancerState::Pending);

    // A port no TCP service can have is a malformed answer, not a wrapped number.
    let err = lb.get_balancer("9999999").await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    replay.assert_all_used();
}

#[tokio::test]
async fn protocols_and_algorithms() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Ord);
    replay
        .add(get("/protocols", "v1_slug_loadbalancers_protocols.json"))
        .add(get("/protocols", "v1_slug_loadbalancers_protocols.json"))
        .add(get("/algorithms", "v1_slug_loadbalancers_algorithms.json"));
    let protocols = lb.list_protocols().await.unwrap();
    assert_eq!(protocols.len(), 10);
    assert_eq!(protocols[0], "http");
    assert!(protocols.contains(&"imapv4".to_string()));
    let with_ports = lb.ex_list_protocols_with_default_ports().await.unwrap();
    assert_eq!(with_ports[1], ("FTP".to_string(), Some(21)));
    let names = lb.ex_list_algorithm_names().await.unwrap();
    assert_eq!(names.len(), 5);
    let mut supported = lb.list_supported_algorithms().await.unwrap();
    supported.sort();
    let mut from_service: Vec<Algorithm> = names
        .iter()
        .map(|n| libcloud_rackspace::loadbalancer::algorithm_from_name(n).unwrap())
        .collect();
    from_service.sort();
    assert_eq!(supported, from_service);
    replay.assert_all_used();

    // Declared without the protocol listing: the documented list, and no request.
    let (replay, lb) = driver(Region::Ord);
    let lb = lb.with_features(LoadBalancerFeatures::default().with_protocol_list(false));
    let protocols = lb.list_protocols().await.unwrap();
    assert!(
        protocols.contains(&"http".to_string()) && protocols.contains(&"udp_stream".to_string())
    );
    assert!(replay.requests().is_empty());
}

#[tokio::test]
async fn create_balancer_sends_nodes_and_a_public_virtual_ip() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Ord);
    replay.add(
        recorded(
            Route::post(BASE).host(HOST),
            LB,
            "v1_slug_loadbalancers_post.json",
        )
        .status(202),
    );
    let mut weighted = Member::new("10.1.0.10", 80);
    weighted.weight = Some(5);
    let request = CreateBalancer::new("test2", 80, "http")
        .algorithm(Algorithm::Random)
        .member(Member::new("10.1.0.11", 80))
        .member(weighted);
    let b = lb.create_balancer(&request).await.unwrap();
    assert_eq!((b.id.as_str(), b.state), ("8290", BalancerState::Pending));
    assert_eq!(b.extra["members"].as_array().unwrap().len(), 2);
    assert_eq!(
        body_json(&replay, 1),
        json!({"loadBalancer": {
            "name": "test2", "port": 80, "protocol": "HTTP", "algorithm": "RANDOM",
            "virtualIps": [{"type": "PUBLIC"}],
            "nodes": [
                {"address": "10.1.0.11", "port": 80, "condition": "ENABLED"},
                {"address": "10.1.0.10", "port": 80, "condition": "ENABLED", "weight": 5}
            ]
        }})
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn refused_before_sending() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Ord);
    let err = lb
        .create_balancer(
            &CreateBalancer::new("x", 80, "http").algorithm(Algorithm::ShortestResponse),
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    let err = lb
        .create_balancer(&CreateBalancer::new("x", 80, "http").member(Member::new("web-1", 80)))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let mut request = CreateBalancer::new("x", 80, "http");
    request
        .extra
        .insert("virtual_ip_type".into(), json!("MOON"));
    assert_eq!(
        *lb.create_balancer(&request).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // Ids are numbers: a made-up one is NotFound without asking.
    let err = lb.get_balancer("lc-missing").await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::LoadBalancer,
            ..
        }
    ));
    assert!(replay.requests().is_empty(), "{:?}", replay.requests());
}

#[tokio::test]
async fn members() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Ord);
    replay
        .add(get("/8290", "v1_slug_loadbalancers_8290.json"))
        .add(get("/8290/nodes", "v1_slug_loadbalancers_8290_nodes.json"))
        .add(
            recorded(
                Route::post(&format!("{BASE}/8290/nodes")).host(HOST),
                LB,
                "v1_slug_loadbalancers_8290_nodes_post.json",
            )
            .status(202),
        )
        .add(Route::delete(&format!("{BASE}/8290/nodes/30944")).status(202))
        .add(get("/8292", "v1_slug_loadbalancers_8292.json"))
        .add(
            recorded(
                Route::post(&format!("{BASE}/8292/nodes")).host(HOST),
                LB,
                "v1_slug_loadbalancers_8292_nodes_post.json",
            )
            .status(202),
        );
    let balancer = lb.get_balancer("8290").await.unwrap();
    let members = lb.balancer_list_members(&balancer).await.unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members[0].id.as_deref(), Some("30944"));
    assert_eq!(members[0].weight, Some(12));
    assert_eq!(members[1].extra["condition"], json!("DISABLED"));
    assert_eq!(members[1].extra["status"], json!("OFFLINE"));

    let added = lb
        .balancer_attach_member(&balancer, &Member::new("10.1.0.12", 80))
        .await
        .unwrap();
    assert_eq!(added.id.as_deref(), Some("30972"));
    assert_eq!(added.ip.as_deref(), Some("10.1.0.12"));
    assert_eq!(
        body_json(&replay, 3),
        json!({"nodes": [{"address": "10.1.0.12", "port": 80, "condition": "ENABLED"}]})
    );
    lb.balancer_detach_member(&balancer, &members[0])
        .await
        .unwrap();

    let other = lb.get_balancer("8292").await.unwrap();
    let added = lb
        .ex_balancer_attach_members(
            &other,
            &[Member::new("10.1.0.12", 80), Member::new("10.1.0.13", 80)],
        )
        .await
        .unwrap();
    let ids: Vec<_> = added.iter().map(|m| m.id.clone().unwrap()).collect();
    assert_eq!(ids, ["30972", "30973"]);
    replay.assert_all_used();
}

#[tokio::test]
async fn update_and_destroy() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Ord);
    replay
        .add(get("/8290", "v1_slug_loadbalancers_8290.json"))
        .add(Route::put(&format!("{BASE}/8290")).host(HOST).status(202))
        .add(get("/8290", "v1_slug_loadbalancers_8290.json"))
        .add(
            Route::delete(&format!("{BASE}/8290"))
                .host(HOST)
                .status(202),
        );
    let balancer = lb.get_balancer("8290").await.unwrap();
    let mut changes = UpdateBalancer::default();
    changes.name = Some("test2".into());
    changes.algorithm = Some(Algorithm::RoundRobin);
    changes.port = Some(8080);
    let updated = lb.update_balancer(&balancer, &changes).await.unwrap();
    assert_eq!(updated.id, "8290");
    assert_eq!(
        body_json(&replay, 2),
        json!({"loadBalancer": {"name": "test2", "algorithm": "ROUND_ROBIN", "port": 8080}})
    );
    lb.destroy_balancer(&balancer).await.unwrap();
    replay.assert_all_used();

    let lb = lb.with_features(LoadBalancerFeatures::default().with_update(false));
    assert!(!lb.capabilities().update_balancer);
    let err = lb.update_balancer(&balancer, &changes).await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
}

fn immutable() -> Route {
    Route::delete(&format!("{BASE}/8290"))
        .host(HOST)
        .status(422)
        .json(&json!({
            "message": "Load Balancer '8290' has a status of 'BUILD' and is considered immutable.",
            "code": 422
        }))
}

#[tokio::test]
async fn a_busy_balancer_is_waited_for_within_a_bound() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Ord);
    replay
        .add(get("/8290", "v1_slug_loadbalancers_8290.json"))
        .add(immutable())
        .add(immutable())
        .add(
            Route::delete(&format!("{BASE}/8290"))
                .host(HOST)
                .status(202),
        );
    let balancer = lb.get_balancer("8290").await.unwrap();
    lb.destroy_balancer(&balancer).await.unwrap();
    assert_eq!(replay.requests().len(), 5);
    replay.assert_all_used();

    // Still busy when the wait ends: the refusal, marked temporary.
    let (replay, lb) = driver(Region::Ord);
    let lb = lb.with_busy_wait(BusyWait {
        timeout: Duration::from_millis(30),
        interval: Duration::from_millis(5),
    });
    replay.add(immutable().repeat());
    let err = lb.destroy_balancer(&balancer).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider {
            code: IMMUTABLE_CODE.into()
        }
    );
    assert!(err.is_temporary());
    assert!(err.message().unwrap().contains("immutable"));
    let tries = replay.requests().len() - 1;
    assert!((2..=10).contains(&tries), "{tries} tries");
}

#[tokio::test]
async fn extras_by_address_error_page_and_access_list() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Ord);
    replay
        .add(get("", "v1_slug_loadbalancers_nodeaddress.json").query("nodeaddress", "10.1.0.1"))
        .add(get("/8290", "v1_slug_loadbalancers_8290.json"))
        .add(get(
            "/8290/errorpage",
            "v1_slug_loadbalancers_8290_errorpage.json",
        ))
        .add(get(
            "/8290/accesslist",
            "v1_slug_loadbalancers_18940_accesslist.json",
        ));
    let found = lb
        .ex_list_balancers_by_member_address("10.1.0.1")
        .await
        .unwrap();
    let states: Vec<_> = found.iter().map(|b| (b.id.as_str(), b.state)).collect();
    assert_eq!(
        states,
        [
            ("1", BalancerState::Running),
            ("2", BalancerState::Pending),
            ("8", BalancerState::Error)
        ]
    );
    let balancer = lb.get_balancer("8290").await.unwrap();
    assert_eq!(
        lb.ex_get_balancer_error_page(&balancer).await.unwrap(),
        "<html>Generic Error Page</html>"
    );
    let rules = lb.ex_balancer_access_list(&balancer).await.unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(
        (rules[0].address.as_str(), rules[0].rule.as_str()),
        ("0.0.0.0/0", "DENY")
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn service_errors() {
    require_fixtures!(LB);
    let (replay, lb) = driver(Region::Ord);
    replay.add(
        Route::get(&format!("{BASE}/4444"))
            .host(HOST)
            .status(404)
            .response_header("x-response-id", "req-9")
            .json(&json!({"message": "Load balancer not found", "code": 404})),
    );
    let err = lb.get_balancer("4444").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::LoadBalancer,
            id: "4444".into()
        }
    );
    assert_eq!(err.message(), Some("Load balancer not found"));
    assert_eq!(err.request_id(), Some("req-9"));
    assert_eq!(err.status(), Some(404));
    replay.assert_all_used();

    // A refused sign-in.
    let replay = Replay::new().with(Route::post("/v2.0/tokens").status(401).json(
        &json!({"unauthorized": {"message": "Username or api key is invalid", "code": 401}}),
    ));
    let lb = CloudLoadBalancers::with_transport(&config(Region::Ord), replay.transport()).unwrap();
    let err = lb.list_balancers().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
    assert_eq!(err.provider(), Some("rackspace"));
}
