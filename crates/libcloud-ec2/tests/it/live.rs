//! The driver against moto, the AWS stand-in, when `LIBCLOUD_TEST_MOTO_ENDPOINT` names one
//! (`cargo xtask emulators up` sets it); without it these tests say so and pass, unless
//! `LIBCLOUD_REQUIRE_LIVE=1`.
//!
//! moto is shared with other tests running at the same time, so every test works on resources
//! with unique names and never resets the server.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use libcloud_aws::Env;
use libcloud_core::transport::{self, Request};
use libcloud_core::{
    ComputeDriver, ComputeDriverExt, CreateNode, Error, ErrorKind, Node, NodeAuth, NodeState,
    ResourceKind, Transport, WaitOptions,
};
use libcloud_ec2::{
    BlockDeviceMapping, EbsBlockDevice, Ec2Compute, Ec2Config, ImageQuery, IpPermission,
    NodeOptions,
};
use libcloud_http::{HttpConfig, RetryPolicy};
use libcloud_testkit::conformance::compute::{Options, generate_public_key, run_with};
use libcloud_testkit::{require_live, unique_name};

const MOTO: &str = "LIBCLOUD_TEST_MOTO_ENDPOINT";

fn config(endpoint: &str) -> Ec2Config {
    Ec2Config::from_options(
        [
            ("region", "us-east-1"),
            ("endpoint", endpoint),
            ("key", "AKIDLIBCLOUDTEST"),
            ("secret", "libcloud-test-secret"),
        ],
        Env::from_pairs::<_, &str, &str>([]),
    )
    .unwrap()
}

/// The driver over libcloud's default transport.
fn moto(endpoint: &str) -> Ec2Compute {
    Ec2Compute::new(config(endpoint)).unwrap()
}

/// An image moto knows, for nodes the tests create themselves.
async fn some_image(d: &Ec2Compute) -> String {
    d.ex_list_images(&ImageQuery::default().owner("amazon"))
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .next()
        .expect("moto lists Amazon's images")
}

/// Every instance named `name`, whatever its state.
async fn named(d: &Ec2Compute, name: &str) -> Vec<Node> {
    let filters = BTreeMap::from([("tag:Name".to_string(), vec![name.to_string()])]);
    d.ex_list_nodes(&[], &filters).await.unwrap()
}

async fn destroy_all(d: &Ec2Compute, nodes: &[Node]) {
    for n in nodes {
        let _ = d.destroy_node(n).await;
    }
}

#[tokio::test]
async fn conformance_on_moto() {
    let endpoint = require_live!(MOTO);
    let d = moto(&endpoint);
    let options = Options {
        size: Some("t2.micro".into()),
        location: Some("us-east-1a".into()),
        ..Default::default()
    };
    run_with(&d, &options).await;
}

#[tokio::test]
async fn nodes_carry_their_options_tags_and_addresses() {
    let endpoint = require_live!(MOTO);
    let d = moto(&endpoint);
    let image = some_image(&d).await;
    let name = unique_name("lc-ec2-options");
    let group_name = unique_name("lc-ec2-sg");

    let group = d
        .ex_create_security_group(&group_name, "libcloud test group", None)
        .await
        .unwrap();
    let outcome = std::panic::AssertUnwindSafe(async {
        let rule = IpPermission::tcp(22).cidr("10.0.0.0/8");
        d.ex_authorize_security_group_ingress(&group, std::slice::from_ref(&rule))
            .await
            .unwrap();
        let fetched = d.ex_get_security_group(&group).await.unwrap();
        assert_eq!(fetched.name, group_name);
        assert!(fetched.ingress.contains(&rule), "{:?}", fetched.ingress);
        assert!(
            d.ex_list_security_groups()
                .await
                .unwrap()
                .iter()
                .any(|g| g.id == group)
        );

        let options = NodeOptions::default()
            .security_group_id(&group)
            .tag("team", "libcloud")
            .block_device(BlockDeviceMapping::ebs(
                "/dev/sda1",
                EbsBlockDevice::new(12)
                    .volume_type("gp3")
                    .delete_on_termination(true),
            ));
        let request = options.apply(
            CreateNode::new(&name, "t2.micro", &image)
                .location("us-east-1b")
                .user_data("#cloud-config\n"),
        );
        let node = d.create_node(&request).await.unwrap();
        assert_eq!(node.name, name);
        assert_eq!(node.extra["availability"], "us-east-1b");

        let got = d.get_node(&node.id).await.unwrap();
        assert_eq!(got.name, name);
        assert_eq!(got.size.as_deref(), Some("t2.micro"));
        assert_eq!(got.image.as_deref(), Some(image.as_str()));
        assert_eq!(got.extra["tags"]["team"], "libcloud");
        let listed = named(&d, &name).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, node.id);
        assert!(!got.private_ips.is_empty());

        // Tags.
        let tags = d.ex_describe_tags(&node.id).await.unwrap();
        assert_eq!(tags.get("Name"), Some(&name));
        assert_eq!(tags.get("team").map(String::as_str), Some("libcloud"));
        d.ex_create_tags(&node.id, &BTreeMap::from([("stage".into(), "test".into())]))
            .await
            .unwrap();
        d.ex_delete_tags(&node.id, &["team".to_string()])
            .await
            .unwrap();
        let tags = d.ex_describe_tags(&node.id).await.unwrap();
        assert_eq!(tags.get("stage").map(String::as_str), Some("test"));
        assert!(!tags.contains_key("team"));

        // Elastic IPs show among the public addresses while associated.
        let eip = d.ex_allocate_address(true).await.unwrap();
        let association = d.ex_associate_address_with_node(&got, &eip).await.unwrap();
        let with_eip = d.get_node(&node.id).await.unwrap();
        let eip_addr: IpAddr = eip.public_ip.parse().unwrap();
        assert!(
            with_eip.public_ips.contains(&eip_addr),
            "{:?} lacks {eip_addr}",
            with_eip.public_ips
        );
        let mut bound = d
            .ex_describe_all_addresses(true)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.public_ip == eip.public_ip)
            .unwrap();
        assert_eq!(bound.instance_id.as_deref(), Some(node.id.as_str()));
        if bound.association_id.is_none() {
            bound.association_id = association;
        }
        d.ex_disassociate_address(&bound).await.unwrap();
        d.ex_release_address(&eip).await.unwrap();
        assert!(
            !d.ex_describe_all_addresses(false)
                .await
                .unwrap()
                .iter()
                .any(|a| a.public_ip == eip.public_ip)
        );

        // An image of the node, found and deregistered again.
        let image_name = unique_name("lc-ec2-image");
        let made = d
            .ex_create_image(&got, &image_name, Some("test"))
            .await
            .unwrap();
        assert_eq!(d.get_image(&made.id).await.unwrap().name, image_name);
        d.ex_delete_image(&made).await.unwrap();
        let err = d.get_image(&made.id).await.unwrap_err();
        assert_eq!(
            *err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::Image,
                id: made.id.clone()
            }
        );

        d.destroy_node(&got).await.unwrap();
        let gone = d.get_node(&node.id).await.unwrap();
        assert!(
            matches!(gone.state, NodeState::Terminated | NodeState::Unknown),
            "{:?}",
            gone.state
        );
        d.ex_revoke_security_group_ingress(&group, &[rule])
            .await
            .unwrap();
        assert!(
            d.ex_get_security_group(&group)
                .await
                .unwrap()
                .ingress
                .is_empty()
        );
    })
    .catch_unwind()
    .await;
    destroy_all(&d, &named(&d, &name).await).await;
    let _ = d.ex_delete_security_group(&group).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn catalog_and_networks() {
    let endpoint = require_live!(MOTO);
    let d = moto(&endpoint);
    let vpcs = d.ex_list_networks().await.unwrap();
    assert!(vpcs.iter().any(|v| v.is_default), "{vpcs:?}");
    let subnets = d.ex_list_subnets().await.unwrap();
    assert!(
        subnets
            .iter()
            .any(|s| s.availability_zone.as_deref() == Some("us-east-1a")),
        "{subnets:?}"
    );
    let zones = d.list_locations().await.unwrap();
    assert!(zones.iter().all(|z| z.country == "US"));
    let amazon = d
        .ex_list_images(&ImageQuery::default().owner("amazon"))
        .await
        .unwrap();
    assert!(!amazon.is_empty());
    assert!(amazon.iter().all(|i| i.extra["owner_alias"] == "amazon"));
    let x86 = d
        .ex_list_images(&ImageQuery::default().filter("architecture", ["x86_64"]))
        .await
        .unwrap();
    assert!(x86.iter().all(|i| i.extra["architecture"] == "x86_64"));
    let sizes = d.list_sizes(None).await.unwrap();
    let micro = sizes.iter().find(|s| s.id == "t2.micro").unwrap();
    assert_eq!(micro.ram_mb, 1024);
    assert_eq!(micro.extra["vcpus"], 1);
    let err = d.list_sizes(Some("us-east-1z")).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn ssh_key_auth_registers_the_key() {
    let endpoint = require_live!(MOTO);
    let d = moto(&endpoint);
    let image = some_image(&d).await;
    let name = unique_name("lc-ec2-sshkey");
    let key = generate_public_key(&name).unwrap();
    let node = d
        .create_node(
            &CreateNode::new(&name, "t2.micro", &image).auth(NodeAuth::SshKey(key.clone())),
        )
        .await
        .unwrap();
    let key_name = node.extra["key_name"].as_str().unwrap().to_string();
    assert!(key_name.starts_with("libcloud-"), "{key_name}");
    let registered = d.get_key_pair(&key_name).await.unwrap();
    let stored = registered.public_key.unwrap_or_default();
    assert_eq!(
        stored.split_whitespace().nth(1),
        key.split_whitespace().nth(1),
        "the registered key is the one given"
    );
    // The same key again reuses the registration.
    let again = d
        .create_node(&CreateNode::new(&name, "t2.micro", &image).auth(NodeAuth::SshKey(key)))
        .await
        .unwrap();
    assert_eq!(again.extra["key_name"], key_name.as_str());
    let running = d
        .wait_until_running(
            &[node.clone(), again.clone()],
            WaitOptions {
                poll_interval: Duration::from_millis(100),
                timeout: Duration::from_secs(60),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(running.len(), 2);
    destroy_all(&d, &[node, again]).await;
    d.delete_key_pair(&registered_key(&key_name)).await.unwrap();
}

fn registered_key(name: &str) -> libcloud_core::KeyPair {
    libcloud_core::KeyPair {
        name: name.into(),
        public_key: None,
        fingerprint: String::new(),
        private_key: None,
        extra: Default::default(),
    }
}

/// How the fault transport breaks RunInstances.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Break {
    /// Forward the request to moto, drop moto's answer, report a broken connection.
    AfterSend,
    /// Report a broken connection without sending anything.
    BeforeSend,
}

/// The default hyper transport without its own retries, wrapped in a fault that breaks the
/// first RunInstances, all under libcloud-http's layers (its retry layer outermost).
fn faulty(mode: Break, run_bodies: Arc<Mutex<Vec<String>>>) -> Transport {
    let network = HttpConfig::new()
        .with_retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let armed = Arc::new(AtomicBool::new(true));
    let fault = transport::from_fn(move |req: Request| {
        let network = network.clone();
        let armed = armed.clone();
        let run_bodies = run_bodies.clone();
        async move {
            let body = req
                .body()
                .as_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            if !body.contains("Action=RunInstances&") {
                return transport::send(&network, req).await;
            }
            run_bodies.lock().unwrap().push(body);
            if !armed.swap(false, Ordering::SeqCst) {
                return transport::send(&network, req).await;
            }
            if mode == Break::AfterSend {
                let answer = transport::send(&network, req).await?;
                assert_eq!(answer.status(), 200, "moto launched the instance");
                answer.into_body().collect(1 << 24).await?;
            }
            Err(Error::transport(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset between request and response",
            )))
        }
        .boxed()
    });
    HttpConfig::new().wrap(fault)
}

fn token_of(body: &str) -> Option<String> {
    body.split('&')
        .find_map(|p| p.strip_prefix("ClientToken="))
        .map(str::to_string)
}

#[tokio::test]
async fn a_launch_whose_answer_is_lost_launches_exactly_one_instance() {
    let endpoint = require_live!(MOTO);
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let d = Ec2Compute::with_transport(config(&endpoint), faulty(Break::AfterSend, bodies.clone()))
        .unwrap();
    let image = some_image(&d).await;
    let name = unique_name("lc-ec2-lost-answer");
    let node = d
        .create_node(&CreateNode::new(&name, "t2.micro", &image))
        .await
        .unwrap();
    let launched = named(&d, &name).await;
    destroy_all(&d, &launched).await;
    assert_eq!(launched.len(), 1, "exactly one instance: {launched:?}");
    assert_eq!(launched[0].id, node.id);
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 1, "RunInstances went out once");
    assert_eq!(
        node.extra["client_token"].as_str().map(str::to_string),
        token_of(&bodies[0])
    );
}

#[tokio::test]
async fn a_launch_that_never_arrived_launches_exactly_one_instance() {
    let endpoint = require_live!(MOTO);
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let d =
        Ec2Compute::with_transport(config(&endpoint), faulty(Break::BeforeSend, bodies.clone()))
            .unwrap();
    let image = some_image(&d).await;
    let name = unique_name("lc-ec2-lost-request");
    let node = d
        .create_node(&CreateNode::new(&name, "t2.micro", &image))
        .await
        .unwrap();
    let launched = named(&d, &name).await;
    destroy_all(&d, &launched).await;
    assert_eq!(launched.len(), 1, "exactly one instance: {launched:?}");
    assert_eq!(launched[0].id, node.id);
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 2, "RunInstances was sent again");
    assert_eq!(
        token_of(&bodies[0]),
        token_of(&bodies[1]),
        "with the same token"
    );
}

#[tokio::test]
async fn networks_and_resizing_on_moto() {
    let endpoint = require_live!(MOTO);
    let d = moto(&endpoint);
    let vpc_name = unique_name("lc-ec2-vpc");
    let vpc = d
        .ex_create_network("10.77.0.0/16", Some(&vpc_name), None)
        .await
        .unwrap();
    assert_eq!(vpc.name, vpc_name);
    let subnet = d
        .ex_create_subnet(
            &vpc.id,
            "10.77.1.0/24",
            Some("us-east-1c"),
            Some("lc-ec2-subnet"),
        )
        .await
        .unwrap();
    assert_eq!(subnet.vpc_id.as_deref(), Some(vpc.id.as_str()));
    assert_eq!(subnet.availability_zone.as_deref(), Some("us-east-1c"));
    assert!(
        d.ex_list_subnets()
            .await
            .unwrap()
            .iter()
            .any(|s| s.id == subnet.id)
    );
    assert!(
        d.ex_list_networks()
            .await
            .unwrap()
            .iter()
            .any(|v| v.id == vpc.id && v.name == vpc_name)
    );

    // A node in the new subnet, resized while stopped.
    let image = some_image(&d).await;
    let name = unique_name("lc-ec2-resize");
    let request = NodeOptions::default()
        .subnet(&subnet.id)
        .apply(CreateNode::new(&name, "t2.micro", &image));
    let node = d.create_node(&request).await.unwrap();
    assert_eq!(node.extra["subnet_id"], subnet.id.as_str());
    d.stop_node(&node).await.unwrap();
    d.ex_change_node_size(&node, "t2.small").await.unwrap();
    assert_eq!(
        d.get_node(&node.id).await.unwrap().size.as_deref(),
        Some("t2.small")
    );
    d.destroy_node(&node).await.unwrap();

    // A volume grown in place.
    let volume = d
        .create_volume(
            &libcloud_core::CreateVolume::new(unique_name("lc-ec2-grow"), 1).location("us-east-1c"),
        )
        .await
        .unwrap();
    let change = libcloud_ec2::VolumeChange::default().size_gb(3);
    let modification = d.ex_modify_volume(&volume, &change).await.unwrap();
    assert_eq!(modification.volume_id, volume.id);
    assert_eq!(modification.target_size_gb, Some(3));
    let listed = d
        .ex_describe_volumes_modifications(std::slice::from_ref(&volume.id))
        .await
        .unwrap();
    assert!(
        listed.iter().any(|m| m.volume_id == volume.id),
        "{listed:?}"
    );
    d.destroy_volume(&volume).await.unwrap();

    d.ex_delete_subnet(&subnet.id).await.unwrap();
    d.ex_delete_network(&vpc.id).await.unwrap();
    assert!(
        !d.ex_list_networks()
            .await
            .unwrap()
            .iter()
            .any(|v| v.id == vpc.id)
    );
}
