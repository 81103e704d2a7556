//! The Nova driver over Apache Libcloud's recorded Nova v1.1/v2 answers: what it parses and
//! what it sends.

use std::sync::Arc;

use http::Method;
use libcloud_core::{
    ComputeDriver, CreateNode, ErrorKind, KeyPair, NodeAuth, NodeState, ResourceKind, Secret,
};
use libcloud_http::HttpConfig;
use libcloud_openstack::{
    AuthConfig, NameOrId, NovaCompute, NovaFeatures, OpenStackConfig, Session,
};
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;
use serde_json::{Value, json};

use crate::{OPENSTACK, recorded};

const BASE: &str = "/v2/1337";

fn path(rest: &str) -> String {
    format!("{BASE}/{rest}")
}

fn config() -> OpenStackConfig {
    OpenStackConfig::new(
        AuthConfig::v2_password("https://identity.example.com/v2.0", "alice", "pw")
            .with_tenant(NameOrId::Id("1337".into())),
    )
    .with_service_name("nova")
    .with_region("RegionOne")
}

/// A replay that signs in with the recorded v2 catalog (any number of times), then serves
/// `routes`; and a driver on it.
fn serve(routes: Vec<Route>) -> (Replay, NovaCompute) {
    let replay = Replay::new().with(
        recorded(
            Route::post("/v2.0/tokens"),
            OPENSTACK,
            "openstack/_v2_0__auth.json",
        )
        .repeat(),
    );
    for route in routes {
        replay.add(route);
    }
    let nova = NovaCompute::with_transport(config(), replay.transport()).unwrap();
    (replay, nova)
}

fn v11(route: Route, file: &str) -> Route {
    recorded(route, OPENSTACK, &format!("openstack_v1.1/{file}"))
}

/// The requests after the sign-in, as `METHOD path`.
fn sent(replay: &Replay) -> Vec<String> {
    replay
        .requests()
        .iter()
        .filter(|r| r.path() != "/v2.0/tokens")
        .map(|r| format!("{} {}", r.method, r.path()))
        .collect()
}

#[tokio::test]
async fn lists_nodes_with_states_addresses_and_extras() {
    require_fixtures!(OPENSTACK);
    let (replay, nova) = serve(vec![v11(
        Route::get(&path("servers/detail")),
        "_servers_detail.json",
    )]);
    let nodes = nova.list_nodes().await.unwrap();
    assert_eq!(nodes.len(), 2);
    let building = &nodes[0];
    assert_eq!(building.id, "12065");
    assert_eq!(building.name, "lc-test-2");
    assert_eq!(building.state, NodeState::Pending);
    assert_eq!(building.size.as_deref(), Some("2"));
    assert_eq!(building.image.as_deref(), Some("7"));
    let ips = |list: &[std::net::IpAddr]| list.iter().map(|i| i.to_string()).collect::<Vec<_>>();
    let mut public = ips(&building.public_ips);
    public.sort();
    assert_eq!(
        public,
        [
            "1.1.1.1",
            "12.16.18.28",
            "172.16.1.1",
            "192.168.3.3",
            "2.2.2.2",
            "2001:4801:7808:52:16:3eff:fe47:788a",
            "50.57.94.35"
        ]
    );
    let mut private = ips(&building.private_ips);
    private.sort();
    assert_eq!(
        private,
        [
            "10.182.64.34",
            "10.3.3.3",
            "fec0:4801:7808:52:16:3eff:fe60:187d"
        ]
    );
    assert!(building.created_at.is_some());
    assert_eq!(building.extra["status"], json!("BUILD"));
    assert!(building.extra.contains_key("task_state"));
    assert!(building.admin_password.is_none());

    let active = &nodes[1];
    assert_eq!(active.state, NodeState::Running);
    assert_eq!(ips(&active.public_ips)[0], "50.57.94.30");
    assert_eq!(ips(&active.private_ips)[0], "10.182.64.29");

    assert_eq!(sent(&replay), ["GET /v2/1337/servers/detail"]);
    let request = replay.last_request().unwrap();
    assert_eq!(
        request.header("x-auth-token"),
        Some("aaaaaaaaaaaa-bbb-cccccccccccccc")
    );
    assert_eq!(request.header("accept"), Some("application/json"));
}

#[tokio::test]
async fn follows_next_links_and_reads_error_states() {
    require_fixtures!(OPENSTACK);
    let next = "https://test_endpoint.com/v2/1337/servers/detail?marker=12064&limit=2";
    let page1 = json!({
        "servers": [{"id": "a1", "name": "first", "status": "ACTIVE"}],
        "servers_links": [{"rel": "next", "href": next}]
    });
    let (replay, nova) = serve(vec![
        Route::get(&path("servers/detail"))
            .query("marker", "12064")
            .response_header("content-type", "application/json")
            .fixture(OPENSTACK, "openstack_v1.1/_servers_detail_ERROR_STATE.json"),
        Route::get(&path("servers/detail")).json(&page1),
    ]);
    let nodes = nova.list_nodes().await.unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0].name, "first");
    assert_eq!(nodes[1].state, NodeState::Error);
    replay.assert_all_used();
}

#[tokio::test]
async fn sizes_images_and_locations() {
    require_fixtures!(OPENSTACK);
    let (replay, nova) = serve(vec![
        v11(Route::get(&path("flavors/detail")), "_flavors_detail.json").repeat(),
        v11(Route::get(&path("images/detail")), "_images_detail.json"),
        v11(Route::get(&path("images/13")), "_images_13.json"),
        Route::get(&path("images/missing"))
            .status(404)
            .json(&json!({"itemNotFound": {"message": "Image not found.", "code": 404}})),
    ]);
    let sizes = nova.list_sizes(None).await.unwrap();
    assert_eq!(sizes.len(), 8);
    assert_eq!(sizes[0].id, "7");
    assert_eq!(sizes[0].name, "15.5GB slice");
    assert_eq!(sizes[0].ram_mb, 16384);
    assert_eq!(sizes[0].disk_gb, 620);
    assert_eq!(sizes[0].extra["vcpus"], json!(8));

    let locations = nova.list_locations().await.unwrap();
    assert_eq!(locations.len(), 1);
    assert_eq!(locations[0].id, "RegionOne");
    assert_eq!(nova.list_sizes(Some("RegionOne")).await.unwrap().len(), 8);
    let err = nova.list_sizes(Some("fr1")).await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::Location,
                ..
            }
        ),
        "{err}"
    );

    let images = nova.list_images(None).await.unwrap();
    assert_eq!(images.len(), 13);
    assert_eq!(images[0].id, "13");
    assert_eq!(images[0].name, "Windows 2008 SP2 x86 (B24)");
    assert!(images[0].extra.contains_key("status"));
    let image = nova.get_image("13").await.unwrap();
    assert_eq!(image.id, "13");
    let err = nova.get_image("missing").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Image,
            id: "missing".into()
        }
    );
    assert_eq!(err.message(), Some("Image not found."));
    replay.assert_all_used();
}

#[tokio::test]
async fn create_node_sends_the_request_and_returns_the_generated_password() {
    require_fixtures!(OPENSTACK);
    let id = "26f7fbee-8ce1-4c28-887a-bfe8e4bb10fe";
    let (replay, nova) = serve(vec![
        v11(Route::get(&path("images/13")), "_images_13.json"),
        v11(Route::post(&path("servers")), "_servers_create.json").status(202),
        v11(
            Route::get(&path(&format!("servers/{id}"))),
            "_servers_26f7fbee_8ce1_4c28_887a_bfe8e4bb10fe.json",
        ),
    ]);
    let mut request = CreateNode::new("racktest", "1", "13")
        .key_pair("key1")
        .user_data("#!/bin/sh\necho hi\n")
        .location("RegionOne");
    request
        .extra
        .insert("security_groups".into(), json!(["default", "web"]));
    request
        .extra
        .insert("metadata".into(), json!({"role": "db"}));
    request.extra.insert("networks".into(), json!(["net-1"]));
    let node = nova.create_node(&request).await.unwrap();
    assert_eq!(node.id, id);
    assert_eq!(node.name, "racktest");
    assert_eq!(node.state, NodeState::Pending);
    assert_eq!(
        node.admin_password.as_ref().map(Secret::expose),
        Some("racktestvJq7d3")
    );
    assert!(!format!("{node:?}").contains("racktestvJq7d3"));

    assert_eq!(
        sent(&replay),
        [
            "GET /v2/1337/images/13",
            "POST /v2/1337/servers",
            &format!("GET /v2/1337/servers/{id}")
        ]
    );
    let post = &replay.requests()[2];
    assert_eq!(post.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        json!({"server": {
            "name": "racktest", "flavorRef": "1", "imageRef": "13", "key_name": "key1",
            "user_data": "IyEvYmluL3NoCmVjaG8gaGkK",
            "security_groups": [{"name": "default"}, {"name": "web"}],
            "metadata": {"role": "db"},
            "networks": [{"uuid": "net-1"}]
        }})
    );
}

#[tokio::test]
async fn create_node_with_a_password_and_bad_requests() {
    require_fixtures!(OPENSTACK);
    let (replay, nova) = serve(vec![
        v11(Route::get(&path("images/13")), "_images_13.json"),
        Route::post(&path("servers"))
            .body_contains("\"adminPass\":\"chosen-pw\"")
            .status(202)
            .json(&json!({"server": {"id": "s-1", "links": []}})),
        Route::get(&path("servers/s-1")).json(&json!({"server": {
            "id": "s-1", "name": "pw-node", "status": "ACTIVE",
            "addresses": {"public": [{"addr": "203.0.113.9", "version": 4}]}
        }})),
        Route::get(&path("images/nope"))
            .status(404)
            .json(&json!({"itemNotFound": {"message": "Image not found.", "code": 404}})),
    ]);
    let node = nova
        .create_node(
            &CreateNode::new("pw-node", "1", "13")
                .auth(NodeAuth::Password(Secret::new("chosen-pw"))),
        )
        .await
        .unwrap();
    assert_eq!(
        node.admin_password.as_ref().map(Secret::expose),
        Some("chosen-pw")
    );
    assert_eq!(node.state, NodeState::Running);

    let err = nova
        .create_node(&CreateNode::new("x", "1", "nope"))
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Image,
            id: "nope".into()
        }
    );
    assert_eq!(err.operation(), Some("create_node"));

    // Refused before anything is sent.
    let before = replay.requests().len();
    let err = nova
        .create_node(
            &CreateNode::new("x", "1", "13").auth(NodeAuth::SshKey("ssh-ed25519 AAAA".into())),
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    let mut bad = CreateNode::new("x", "1", "13");
    bad.extra.insert("flux_capacitor".into(), json!(true));
    assert_eq!(
        *nova.create_node(&bad).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        *nova
            .create_node(&CreateNode::new(" ", "1", "13"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let err = nova
        .create_node(&CreateNode::new("x", "1", "13").location("elsewhere"))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(replay.requests().len(), before);
    replay.assert_all_used();
}

#[tokio::test]
async fn server_creation_is_never_retried() {
    let replay = Replay::new()
        .with(
            Route::post("/v2.0/tokens")
                .json(&json!({"access": {"token": {"id": "tok"}, "serviceCatalog": []}})),
        )
        .with(
            Route::get("/nova/images/i1")
                .json(&json!({"image": {"id": "i1", "name": "img"}}))
                .repeat(),
        )
        .with(Route::post("/nova/servers").status(503).repeat())
        .with(Route::get("/nova/servers/detail").status(503).repeat());
    // The default transport's retry layer around the replay, with no waiting.
    let transport = HttpConfig::new()
        .with_retry(
            libcloud_http::RetryPolicy::default()
                .with_max_attempts(3)
                .with_initial_backoff(std::time::Duration::from_millis(1)),
        )
        .wrap(replay.transport());
    let config = OpenStackConfig::new(AuthConfig::v2_password("http://ks.example.com", "u", "p"))
        .with_endpoint("http://nova.example.com/nova/");
    let nova = NovaCompute::with_transport(config, transport).unwrap();
    let err = nova
        .create_node(&CreateNode::new("n", "f", "i1"))
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err}");
    assert_eq!(err.status(), Some(503));
    let count = |m: Method, p: &str| {
        replay
            .requests()
            .iter()
            .filter(|r| r.method == m && r.path() == p)
            .count()
    };
    assert_eq!(count(Method::POST, "/nova/servers"), 1);
    // A GET is retried.
    assert!(nova.list_nodes().await.is_err());
    assert_eq!(count(Method::GET, "/nova/servers/detail"), 3);
    // The endpoint override needs no catalog: the token had none.
    assert_eq!(count(Method::POST, "/v2.0/tokens"), 1);
}

#[tokio::test]
async fn actions_and_deletion() {
    require_fixtures!(OPENSTACK);
    let (replay, nova) = serve(vec![
        Route::post(&path("servers/12064/action"))
            .body_contains("SOFT")
            .status(202),
        Route::post(&path("servers/12064/action"))
            .body_contains("HARD")
            .status(202),
        Route::post(&path("servers/12064/action"))
            .body_contains("os-stop")
            .status(202),
        Route::post(&path("servers/12064/action"))
            .body_contains("os-start")
            .status(202),
        Route::delete(&path("servers/12064")).status(204),
        Route::delete(&path("servers/gone"))
            .status(404)
            .json(&json!({"itemNotFound": {"message": "Instance could not be found", "code": 404}})),
        Route::get(&path("servers/gone"))
            .status(404)
            .json(&json!({"itemNotFound": {"message": "Instance could not be found", "code": 404}})),
        Route::post(&path("servers/12064/action"))
            .body_contains("SOFT")
            .status(409)
            .json(&json!({"conflictingRequest": {"message": "Cannot 'reboot' instance while it is in task_state rebooting", "code": 409}})),
    ]);
    let node = libcloud_core::Node {
        id: "12064".into(),
        name: "lc-test".into(),
        state: NodeState::Running,
        public_ips: vec![],
        private_ips: vec![],
        size: None,
        image: None,
        created_at: None,
        admin_password: None,
        extra: Default::default(),
    };
    nova.reboot_node(&node).await.unwrap();
    nova.ex_hard_reboot_node(&node).await.unwrap();
    nova.stop_node(&node).await.unwrap();
    nova.start_node(&node).await.unwrap();
    nova.destroy_node(&node).await.unwrap();
    let mut gone = node.clone();
    gone.id = "gone".into();
    let err = nova.destroy_node(&gone).await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Node,
            ..
        }
    ));
    let err = nova.get_node("gone").await.unwrap_err();
    assert_eq!(err.message(), Some("Instance could not be found"));
    let err = nova.reboot_node(&node).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider {
            code: "conflictingRequest".into()
        }
    );
    assert!(err.message().unwrap().contains("task_state rebooting"));
    let bodies: Vec<Value> = replay
        .requests()
        .iter()
        .filter(|r| r.method == Method::POST && r.path().ends_with("/action"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(
        bodies[..4],
        [
            json!({"reboot": {"type": "SOFT"}}),
            json!({"reboot": {"type": "HARD"}}),
            json!({"os-stop": null}),
            json!({"os-start": null}),
        ]
    );
    replay.assert_all_used();

    // Declared without start/stop: refused without a request.
    let before = replay.requests().len();
    let limited = nova
        .clone()
        .with_features(NovaFeatures::default().with_start_stop(false));
    assert!(!limited.capabilities().start_stop);
    assert_eq!(
        *limited.stop_node(&node).await.unwrap_err().kind(),
        ErrorKind::Unsupported
    );
    assert_eq!(replay.requests().len(), before);
}

#[tokio::test]
async fn key_pairs() {
    require_fixtures!(OPENSTACK);
    let (replay, nova) = serve(vec![
        v11(Route::get(&path("os-keypairs")), "_os_keypairs.json"),
        v11(
            Route::get(&path("os-keypairs/test-key-pair")),
            "_os_keypairs_get_one.json",
        ),
        v11(
            Route::get(&path("os-keypairs/missing")),
            "_os_keypairs_not_found.json",
        )
        .status(404),
        v11(
            Route::post(&path("os-keypairs")).body_contains("public_key"),
            "_os_keypairs_create_import.json",
        ),
        v11(
            Route::post(&path("os-keypairs")),
            "_os_keypairs_create.json",
        ),
        Route::post(&path("os-keypairs"))
            .status(409)
            .json(&json!({"conflictingRequest": {
            "message": "Key pair 'key0' already exists.", "code": 409}})),
        Route::delete(&path("os-keypairs/key0")).status(202),
    ]);
    let keys = nova.list_key_pairs().await.unwrap();
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["key1", "key2"]);
    assert_eq!(
        keys[0].fingerprint,
        "22:0e:d6:f7:bd:5e:ee:49:cf:1f:10:d5:9c:a8:35:64"
    );
    assert!(
        keys[0]
            .public_key
            .as_deref()
            .unwrap()
            .starts_with("ssh-rsa ")
    );
    assert!(keys.iter().all(|k| k.private_key.is_none()));

    let one = nova.get_key_pair("test-key-pair").await.unwrap();
    assert_eq!(one.name, "test-key-pair");
    let err = nova.get_key_pair("missing").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::KeyPair,
            id: "missing".into()
        }
    );

    let imported = nova
        .import_key_pair_from_string("key3", "ssh-rsa AAAAB3Nza... me@host\n")
        .await
        .unwrap();
    assert_eq!(imported.name, "key3");
    assert!(imported.private_key.is_none());
    let body: Value = serde_json::from_slice(&replay.requests()[4].body).unwrap();
    assert_eq!(
        body,
        json!({"keypair": {"name": "key3", "public_key": "ssh-rsa AAAAB3Nza... me@host"}})
    );

    let created = nova.create_key_pair("key0").await.unwrap();
    assert_eq!(created.name, "key0");
    assert!(
        created
            .private_key
            .as_ref()
            .unwrap()
            .expose()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    let err = nova.create_key_pair("key0").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::KeyPair,
            id: "key0".into()
        }
    );
    nova.delete_key_pair(&KeyPair {
        name: "key0".into(),
        public_key: None,
        fingerprint: String::new(),
        private_key: None,
        extra: Default::default(),
    })
    .await
    .unwrap();
    replay.assert_all_used();

    let err = nova
        .import_key_pair_from_string("k", "  ")
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let without = nova
        .clone()
        .with_features(NovaFeatures::default().with_key_pairs(false));
    assert_eq!(
        *without.list_key_pairs().await.unwrap_err().kind(),
        ErrorKind::Unsupported
    );
    assert!(!without.capabilities().key_pairs);
}

#[tokio::test]
async fn unreadable_answers_are_malformed() {
    require_fixtures!(OPENSTACK);
    let (_replay, nova) = serve(vec![
        Route::get(&path("servers/detail"))
            .response_header("content-type", "application/json")
            .body("{\"servers\": [{\"name\": \"no id\"}]}"),
        Route::get(&path("flavors/detail")).body("<html>oops</html>"),
    ]);
    assert_eq!(
        *nova.list_nodes().await.unwrap_err().kind(),
        ErrorKind::MalformedResponse
    );
    assert_eq!(
        *nova.list_sizes(None).await.unwrap_err().kind(),
        ErrorKind::MalformedResponse
    );
}

#[tokio::test]
async fn drivers_can_share_one_session() {
    require_fixtures!(OPENSTACK);
    let (replay, _) = serve(vec![
        v11(Route::get(&path("flavors/detail")), "_flavors_detail.json"),
        v11(Route::get(&path("images/detail")), "_images_detail.json"),
    ]);
    let session = Arc::new(Session::new(config().auth.clone(), replay.transport()));
    let a = NovaCompute::with_session(session.clone(), &config()).unwrap();
    let b = NovaCompute::with_session(session.clone(), &config()).unwrap();
    a.list_sizes(None).await.unwrap();
    b.list_images(None).await.unwrap();
    assert_eq!(session.authentications(), 1);

    // Without a service name or region the catalog's four compute services are ambiguous.
    let vague = NovaCompute::with_session(session, &OpenStackConfig::new(config().auth)).unwrap();
    let err = vague.list_nodes().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
}
