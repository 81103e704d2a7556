//! Cloud Servers over recorded answers: the region's `cloudServersOpenStack` endpoint from
//! Rackspace's catalog (`rackspace-lb/_v2_0__auth.json`), Nova's recorded server listing
//! (`openstack/openstack_v1.1`), locations, and one token shared by every service.

use libcloud_core::{ComputeDriver, CreateNode, ErrorKind, LoadBalancerDriver, ResourceKind};
use libcloud_rackspace::{CloudServers, Rackspace, Region};
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;

use crate::{LB, OPENSTACK, config, recorded, replay, sign_in};

const DFW: &str = "dfw.servers.api.rackspacecloud.com";

fn driver(region: Region) -> (Replay, CloudServers) {
    let (replay, transport) = replay(LB, "_v2_0__auth.json");
    (
        replay,
        CloudServers::with_transport(&config(region), transport).unwrap(),
    )
}

#[tokio::test]
async fn servers_of_the_region() {
    require_fixtures!(LB);
    require_fixtures!(OPENSTACK);
    let (replay, servers) = driver(Region::Dfw);
    replay.add(recorded(
        Route::get("/v2/1337/servers/detail").host(DFW),
        OPENSTACK,
        "openstack_v1.1/_servers_detail.json",
    ));
    let nodes = servers.list_nodes().await.unwrap();
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|n| !n.id.is_empty()));
    assert_eq!(servers.name(), "rackspace");
    replay.assert_all_used();
}

#[tokio::test]
async fn locations_are_the_region() {
    require_fixtures!(LB);
    let (replay, servers) = driver(Region::Ord);
    let locations = servers.list_locations().await.unwrap();
    assert_eq!(locations.len(), 1);
    let ord = &locations[0];
    assert_eq!((ord.id.as_str(), ord.country.as_str()), ("ORD", "US"));
    assert_eq!(ord.name, "Chicago, IL");
    assert_eq!(
        ord.extra["endpoint"],
        serde_json::json!("https://ord.servers.api.rackspacecloud.com/v2/1337")
    );
    // Another region is not this driver's; nothing is sent for it.
    let before = replay.requests().len();
    let err = servers.list_sizes(Some("lon")).await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Location,
            ..
        }
    ));
    let err = servers
        .create_node(&CreateNode::new("n", "2", "img").location("syd"))
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(replay.requests().len(), before);
    // No start or stop on Cloud Servers.
    assert!(!servers.capabilities().start_stop);
    assert!(servers.capabilities().key_pairs);
}

#[tokio::test]
async fn errors_are_rackspaces() {
    require_fixtures!(LB);
    let (replay, servers) = driver(Region::Dfw);
    replay.add(
        Route::get("/v2/1337/servers/abc")
            .host(DFW)
            .status(404)
            .json(&serde_json::json!({"itemNotFound": {"message": "Instance could not be found", "code": 404}})),
    );
    let err = servers.get_node("abc").await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Node,
            ..
        }
    ));
    assert_eq!(err.provider(), Some("rackspace"));
    replay.assert_all_used();

    // A region without Cloud Servers in the catalog.
    let (_replay, servers) = driver(Region::Hkg);
    let err = servers.list_nodes().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("cloudServersOpenStack"), "{err}");
}

#[tokio::test]
async fn one_sign_in_serves_every_service() {
    require_fixtures!(LB);
    require_fixtures!(OPENSTACK);
    let replay = Replay::new()
        .with(sign_in(LB, "_v2_0__auth.json"))
        .with(recorded(
            Route::get("/v2/1337/servers/detail").host("ord.servers.api.rackspacecloud.com"),
            OPENSTACK,
            "openstack_v1.1/_servers_detail.json",
        ))
        .with(recorded(
            Route::get("/v1.0/11111/loadbalancers")
                .host("ord.loadbalancers.api.rackspacecloud.com"),
            LB,
            "v1_slug_loadbalancers.json",
        ));
    let rackspace = Rackspace::with_transport(config(Region::Ord), replay.transport());
    rackspace.compute().unwrap().list_nodes().await.unwrap();
    rackspace
        .load_balancers()
        .unwrap()
        .list_balancers()
        .await
        .unwrap();
    assert_eq!(rackspace.session().authentications(), 1);
    replay.assert_all_used();
}
