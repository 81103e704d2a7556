//! Every recorded GoGrid answer, replayed: what the driver parses from it and what it sent.

use std::time::Duration;

use http::Method;
use libcloud_core::{
    Algorithm, BalancerState, CreateBalancer, ErrorKind, LoadBalancer, LoadBalancerDriver, Member,
    ResourceKind,
};
use libcloud_testkit::fixtures;
use libcloud_testkit::replay::Route;
use libcloud_testkit::require_fixtures;
use serde_json::{Value, json};

use crate::{FIXTURES, PROVIDER, assert_request, recorded, serve};

const LIST: &str = "/api/grid/loadbalancer/list";
const GET: &str = "/api/grid/loadbalancer/get";
const ADD: &str = "/api/grid/loadbalancer/add";
const EDIT: &str = "/api/grid/loadbalancer/edit";
const DELETE: &str = "/api/grid/loadbalancer/delete";
const IPS: &str = "/api/grid/ip/list";

/// The balancer of `loadbalancer_get.json`, as a caller holds it.
fn test2() -> LoadBalancer {
    LoadBalancer {
        id: "23530".into(),
        name: "test2".into(),
        state: BalancerState::Running,
        ip: Some("10.0.0.68".into()),
        port: 80,
        protocol: Some("http".into()),
        algorithm: Some(Algorithm::RoundRobin),
        extra: Default::default(),
    }
}

fn summary(members: &[Member]) -> Vec<(Option<&str>, Option<&str>, Option<u16>)> {
    members
        .iter()
        .map(|m| (m.id.as_deref(), m.ip.as_deref(), m.port))
        .collect()
}

#[test]
fn every_recorded_file_is_known() {
    let dir = require_fixtures!(PROVIDER);
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(
        on_disk, FIXTURES,
        "a recorded file was added or removed: cover it"
    );
}

#[tokio::test]
async fn list_balancers() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![recorded(Route::get(LIST), "loadbalancer_list.json")]);
    let balancers = lb.list_balancers().await.unwrap();
    replay.assert_all_used();
    assert_request(&replay.requests()[0], Method::GET, LIST, &[]);

    let ids: Vec<(&str, &str, Option<&str>)> = balancers
        .iter()
        .map(|b| (b.id.as_str(), b.name.as_str(), b.ip.as_deref()))
        .collect();
    assert_eq!(
        ids,
        [
            ("23517", "foo", Some("10.0.0.66")),
            ("23526", "bar", Some("10.0.0.67"))
        ]
    );
    for b in &balancers {
        assert_eq!(b.state, BalancerState::Running);
        assert_eq!(b.port, 80);
        assert_eq!(b.protocol.as_deref(), Some("http"));
        assert_eq!(b.algorithm, Some(Algorithm::RoundRobin));
        assert_eq!(b.extra["datacenter"], "US-West-1");
        assert_eq!(b.extra["datacenter_id"], "1");
        assert_eq!(b.extra["os"], "F5");
        assert_eq!(b.extra["persistence"], "None");
        assert_eq!(b.extra["state_name"], "On");
    }
    assert_eq!(balancers[0].extra["virtual_ip_id"], "1868099");
}

#[tokio::test]
async fn get_balancer() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![recorded(Route::get(GET), "loadbalancer_get.json")]);
    let balancer = lb.get_balancer("23530").await.unwrap();
    replay.assert_all_used();
    assert_request(&replay.requests()[0], Method::GET, GET, &[("id", "23530")]);
    assert_eq!(balancer.id, "23530");
    assert_eq!(balancer.name, "test2");
    assert_eq!(balancer.ip.as_deref(), Some("10.0.0.68"));
    assert_eq!(balancer.port, 80);
    assert_eq!(balancer.state, BalancerState::Running);
}

#[tokio::test]
async fn ex_get_balancer_by_name() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![recorded(Route::get(GET), "loadbalancer_get.json")]);
    let balancer = lb.ex_get_balancer_by_name("test2").await.unwrap();
    assert_request(
        &replay.requests()[0],
        Method::GET,
        GET,
        &[("name", "test2")],
    );
    assert_eq!(balancer.id, "23530");
}

#[tokio::test]
async fn balancer_list_members() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![recorded(Route::get(GET), "loadbalancer_get.json")]);
    let members = lb.balancer_list_members(&test2()).await.unwrap();
    replay.assert_all_used();
    assert_request(&replay.requests()[0], Method::GET, GET, &[("id", "23530")]);
    assert_eq!(
        summary(&members),
        [
            (Some("1868109"), Some("10.0.0.76"), Some(80)),
            (Some("1868110"), Some("10.0.0.77"), Some(80)),
            (Some("1868111"), Some("10.0.0.78"), Some(80)),
        ]
    );
    assert_eq!(members[0].extra["ip_state"], "Unassigned");
    assert_eq!(members[0].extra["subnet"], "10.0.0.64/255.255.255.240");
    assert_eq!(members[0].extra["public"], true);
}

#[tokio::test]
async fn create_balancer_on_the_first_free_public_address() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![
        recorded(Route::get(IPS), "ip_list.json"),
        recorded(Route::post(ADD), "loadbalancer_add.json"),
    ]);
    let request = CreateBalancer::new("test2", 80, "http")
        .member(Member::new("10.1.0.10", 80))
        .member(Member::new("10.1.0.11", 8080));
    let balancer = lb.create_balancer(&request).await.unwrap();
    replay.assert_all_used();
    let requests = replay.requests();
    assert_request(
        &requests[0],
        Method::GET,
        IPS,
        &[("ip.type", "Public"), ("ip.state", "Unassigned")],
    );
    assert_request(
        &requests[1],
        Method::POST,
        ADD,
        &[
            ("name", "test2"),
            ("loadbalancer.type", "round robin"),
            // The first address of ip_list.json.
            ("virtualip.ip", "10.0.0.68"),
            ("virtualip.port", "80"),
            ("realiplist.0.ip", "10.1.0.10"),
            ("realiplist.0.port", "80"),
            ("realiplist.1.ip", "10.1.0.11"),
            ("realiplist.1.port", "8080"),
        ],
    );
    assert_eq!(balancer.id, "123");
    assert_eq!(balancer.name, "test2");
    assert_eq!(balancer.ip.as_deref(), Some("1.1.1.1"));
    assert_eq!(balancer.state, BalancerState::Running);
}

#[tokio::test]
async fn create_balancer_with_given_address_and_options() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![recorded(Route::post(ADD), "loadbalancer_add.json")]);
    let mut request =
        CreateBalancer::new("test2", 80, "HTTP").algorithm(Algorithm::LeastConnections);
    request.extra.insert("virtual_ip".into(), json!("1.1.1.1"));
    request
        .extra
        .insert("persistence".into(), json!("SSL Sticky"));
    request
        .extra
        .insert("description".into(), json!("front & back"));
    lb.create_balancer(&request).await.unwrap();
    replay.assert_all_used();
    assert_request(
        &replay.requests()[0],
        Method::POST,
        ADD,
        &[
            ("name", "test2"),
            ("loadbalancer.type", "least connect"),
            ("virtualip.ip", "1.1.1.1"),
            ("virtualip.port", "80"),
            ("loadbalancer.persistence", "SSL Sticky"),
            ("description", "front & back"),
        ],
    );
}

#[tokio::test]
async fn create_balancer_in_a_datacenter() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![
        recorded(Route::get(IPS).query("datacenter", "2"), "ip_list.json"),
        recorded(Route::post(ADD), "loadbalancer_add.json"),
    ]);
    let mut request = CreateBalancer::new("test2", 80, "http");
    request.extra.insert("datacenter".into(), json!("2"));
    lb.create_balancer(&request).await.unwrap();
    replay.assert_all_used();
    assert_request(
        &replay.requests()[0],
        Method::GET,
        IPS,
        &[
            ("ip.type", "Public"),
            ("ip.state", "Unassigned"),
            ("datacenter", "2"),
        ],
    );
}

#[tokio::test]
async fn create_balancer_unexpected_error() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![
        recorded(Route::get(IPS), "ip_list.json"),
        recorded(Route::post(ADD).status(500), "unexpected_error.json"),
    ]);
    let request = CreateBalancer::new("test2", 80, "http").member(Member::new("10.1.0.10", 80));
    let err = lb.create_balancer(&request).await.unwrap_err();
    replay.assert_all_used();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider {
            code: "UnexpectedException".into()
        }
    );
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.provider(), Some("gogrid"));
    assert_eq!(err.operation(), Some("create_balancer"));
    let message = err.message().unwrap();
    assert!(
        message.contains("An unexpected server error has occured"),
        "{message}"
    );
    assert!(
        message.contains("not one assigned to this account"),
        "{message}"
    );
}

#[tokio::test]
async fn destroy_balancer() {
    require_fixtures!(PROVIDER);
    // As in Libcloud's tests, the answer to delete is the recorded answer to add.
    let (replay, lb) = serve(vec![recorded(Route::post(DELETE), "loadbalancer_add.json")]);
    lb.destroy_balancer(&test2()).await.unwrap();
    replay.assert_all_used();
    assert_request(
        &replay.requests()[0],
        Method::POST,
        DELETE,
        &[("id", "23530")],
    );
}

#[tokio::test]
async fn balancer_attach_member() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![
        recorded(Route::get(GET), "loadbalancer_get.json"),
        recorded(Route::post(EDIT), "loadbalancer_edit.json"),
    ]);
    let mut member = Member::new("10.0.0.75", 80);
    member.port = None; // the balancer's port
    let attached = lb.balancer_attach_member(&test2(), &member).await.unwrap();
    replay.assert_all_used();
    let requests = replay.requests();
    assert_request(&requests[0], Method::GET, GET, &[("id", "23530")]);
    assert_request(
        &requests[1],
        Method::POST,
        EDIT,
        &[
            ("id", "23530"),
            ("realiplist.0.ip", "10.0.0.76"),
            ("realiplist.0.port", "80"),
            ("realiplist.1.ip", "10.0.0.77"),
            ("realiplist.1.port", "80"),
            ("realiplist.2.ip", "10.0.0.78"),
            ("realiplist.2.port", "80"),
            ("realiplist.3.ip", "10.0.0.75"),
            ("realiplist.3.port", "80"),
        ],
    );
    assert_eq!(attached.id.as_deref(), Some("1868108"));
    assert_eq!(attached.ip.as_deref(), Some("10.0.0.75"));
    assert_eq!(attached.port, Some(80));
}

#[tokio::test]
async fn balancer_attach_member_already_there() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![recorded(Route::get(GET), "loadbalancer_get.json")]);
    let err = lb
        .balancer_attach_member(&test2(), &Member::new("10.0.0.77", 80))
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::Member,
            id: "10.0.0.77:80".into()
        }
    );
    assert_eq!(replay.requests().len(), 1, "no edit was sent");
}

#[tokio::test]
async fn balancer_detach_member() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![
        recorded(Route::get(GET), "loadbalancer_get.json"),
        recorded(Route::get(GET), "loadbalancer_get.json"),
        recorded(Route::post(EDIT), "loadbalancer_edit.json"),
    ]);
    let balancer = test2();
    let first = lb.balancer_list_members(&balancer).await.unwrap().remove(0);
    lb.balancer_detach_member(&balancer, &first).await.unwrap();
    replay.assert_all_used();
    assert_request(
        &replay.requests()[2],
        Method::POST,
        EDIT,
        &[
            ("id", "23530"),
            ("realiplist.0.ip", "10.0.0.77"),
            ("realiplist.0.port", "80"),
            ("realiplist.1.ip", "10.0.0.78"),
            ("realiplist.1.port", "80"),
        ],
    );
}

#[tokio::test]
async fn balancer_detach_member_by_address() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![
        recorded(Route::get(GET), "loadbalancer_get.json"),
        recorded(Route::post(EDIT), "loadbalancer_edit.json"),
    ]);
    lb.balancer_detach_member(&test2(), &Member::new("10.0.0.78", 80))
        .await
        .unwrap();
    replay.assert_all_used();
    let edit = &replay.requests()[1];
    assert_eq!(edit.query("realiplist.1.ip").as_deref(), Some("10.0.0.77"));
    assert_eq!(edit.query("realiplist.2.ip"), None);
}

#[tokio::test]
async fn balancer_detach_member_not_there() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![recorded(Route::get(GET), "loadbalancer_get.json")]);
    let err = lb
        .balancer_detach_member(&test2(), &Member::node("999"))
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Member,
            id: "999".into()
        }
    );
    assert_eq!(replay.requests().len(), 1, "no edit was sent");
}

#[tokio::test]
async fn ex_list_ips() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![
        recorded(Route::get(IPS), "ip_list.json"),
        recorded(Route::get(IPS), "ip_list.json"),
    ]);
    let ips = lb.ex_list_ips(None, None, None).await.unwrap();
    assert_request(&replay.requests()[0], Method::GET, IPS, &[]);
    assert_eq!(ips.len(), 16);
    let first = &ips[0];
    assert_eq!(first.id, "1868101");
    assert_eq!(first.ip, "10.0.0.68");
    assert!(first.public);
    assert_eq!(first.state.as_deref(), Some("Unassigned"));
    assert_eq!(first.subnet.as_deref(), Some("10.0.0.64/255.255.255.240"));
    assert_eq!(first.datacenter.as_deref(), Some("US-West-1"));
    assert_eq!(ips[8].datacenter.as_deref(), Some("US-East-1"));
    assert_eq!(ips[8].datacenter_id.as_deref(), Some("2"));

    lb.ex_list_ips(Some(false), Some(true), Some("1"))
        .await
        .unwrap();
    assert_request(
        &replay.requests()[1],
        Method::GET,
        IPS,
        &[
            ("ip.type", "Private"),
            ("ip.state", "Assigned"),
            ("datacenter", "1"),
        ],
    );
}

/// `loadbalancer_add.json` without the balancer's id: GoGrid's answer while it still builds
/// the balancer.
fn add_without_id() -> Vec<u8> {
    let mut value: Value =
        serde_json::from_slice(&fixtures::read(PROVIDER, "loadbalancer_add.json").unwrap())
            .unwrap();
    value["list"][0].as_object_mut().unwrap().remove("id");
    value.to_string().into_bytes()
}

#[tokio::test(start_paused = true)]
async fn create_balancer_waits_for_an_id() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![
        recorded(Route::get(IPS), "ip_list.json"),
        Route::post(ADD).body(add_without_id()),
        // Not listed yet; then listed with its id (loadbalancer_get.json holds "test2").
        recorded(Route::get(LIST), "loadbalancer_list.json"),
        recorded(Route::get(LIST), "loadbalancer_get.json"),
    ]);
    let lb = lb.with_create_wait(Duration::from_secs(300), Duration::from_secs(30));
    let start = tokio::time::Instant::now();
    let balancer = lb
        .create_balancer(&CreateBalancer::new("test2", 80, "http"))
        .await
        .unwrap();
    replay.assert_all_used();
    assert_eq!(balancer.id, "23530");
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(30),
        "one pause between the listings"
    );
}

#[tokio::test(start_paused = true)]
async fn create_balancer_gives_up_waiting() {
    require_fixtures!(PROVIDER);
    let (replay, lb) = serve(vec![
        recorded(Route::get(IPS), "ip_list.json"),
        Route::post(ADD).body(add_without_id()),
        recorded(Route::get(LIST).repeat(), "loadbalancer_list.json"),
    ]);
    let lb = lb.with_create_wait(Duration::from_secs(100), Duration::from_secs(30));
    let err = lb
        .create_balancer(&CreateBalancer::new("test2", 80, "http"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Timeout);
    // Listed at 0, 30, 60 and 90 s; a fifth try would pass the deadline.
    let listings = replay
        .requests()
        .iter()
        .filter(|r| r.path() == LIST)
        .count();
    assert_eq!(listings, 4);

    // The answer without an id is what ex_create_balancer_nowait returns.
    let (_replay, lb) = serve(vec![
        recorded(Route::get(IPS), "ip_list.json"),
        Route::post(ADD).body(add_without_id()),
    ]);
    let pending = lb
        .ex_create_balancer_nowait(&CreateBalancer::new("test2", 80, "http"))
        .await
        .unwrap();
    assert_eq!(pending.id, "");
    assert_eq!(pending.state, BalancerState::Pending);
}
