//! Nodes: catalogue, life cycle, validation, addresses and logins.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use libcloud_core::{
    ComputeDriver, ComputeDriverExt, CreateNode, ErrorKind, NodeAuth, NodeState, ResourceKind,
    Secret, WaitOptions,
};
use libcloud_memory::MemoryCompute;
use tokio::time::advance;

use crate::{assert_kind, assert_not_found};

const RSA_PUB: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCIG5Ct4iLK4BuupoHAR0xLyo4WZAH9APpzP6w4tplkKXKl4m2La4j8sMVPNYHtF/el9LEuZH8VH4y6I4uepgQkN9AwOetT7mmJNh7CzvH5AXZ0hA92kAj3vCXM1/oiO8YlSXNp8bgDbcr1BWh1Fb1iS3kxxlYO4j2v7MlVGKVfc1RPUp61rLJ8pdVdBmlz7qoE8GcRYtXgeBOTLbVzWgSs1fpATFF6cL96avare85Lz1r8L9Bz5co/lvmL4urucEcDwMsKRLvUkvohx/UjnP0W7YveF5ZOCXIv2gC9idsSSheS1projd5nVA9vhZFydWbWop32FxahZXZYg30H33xz imported@example";
/// The fingerprint `ssh-keygen -l` prints for [`RSA_PUB`].
const RSA_FINGERPRINT: &str = "SHA256:w4qQBZeUUg1zV48vMN/JsSKdY+ZOs8lgYEwfX4VlnqE";

fn small(name: &str) -> CreateNode {
    CreateNode::new(name, "small", "debian-12")
}

#[tokio::test]
async fn name_and_capabilities() {
    let cloud = MemoryCompute::new();
    assert_eq!(cloud.name(), "memory");
    let caps = cloud.capabilities();
    assert!(caps.auth_ssh_key && caps.auth_password && caps.generates_password);
    assert!(caps.start_stop && caps.key_pairs && caps.create_key_pair && caps.import_key_pair);
    assert!(caps.volumes && caps.snapshots);
    assert_eq!(MemoryCompute::default().boot_time(), Duration::from_secs(1));
}

#[tokio::test]
async fn catalogue_has_sizes_images_and_locations() {
    let cloud = MemoryCompute::new();
    let sizes = cloud.list_sizes(None).await.unwrap();
    let ids: Vec<&str> = sizes.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["small", "medium", "large"]);
    for pair in sizes.windows(2) {
        assert!(pair[0].ram_mb < pair[1].ram_mb);
        assert!(pair[0].disk_gb < pair[1].disk_gb);
        assert!(pair[0].price.unwrap() < pair[1].price.unwrap());
    }
    assert!(
        sizes
            .iter()
            .all(|s| s.extra["vcpus"].as_u64().unwrap() >= 1)
    );

    let images = cloud.list_images(None).await.unwrap();
    for id in ["debian-12", "ubuntu-24.04"] {
        assert!(images.iter().any(|i| i.id == id), "{id} missing");
    }
    assert_eq!(
        cloud.get_image("debian-12").await.unwrap().name,
        "Debian 12 (bookworm)"
    );
    assert_not_found(cloud.get_image("windows-95").await, ResourceKind::Image);

    let locations = cloud.list_locations().await.unwrap();
    assert!(locations.len() >= 2);
    for l in &locations {
        assert_eq!(l.country.len(), 2);
        assert!(l.country.bytes().all(|b| b.is_ascii_uppercase()));
    }
    let first = &locations[0].id;
    assert_eq!(cloud.list_sizes(Some(first)).await.unwrap(), sizes);
    assert_eq!(cloud.list_images(Some(first)).await.unwrap(), images);
    assert_not_found(
        cloud.list_sizes(Some("mars-1")).await,
        ResourceKind::Location,
    );
    assert_not_found(
        cloud.list_images(Some("mars-1")).await,
        ResourceKind::Location,
    );
}

#[tokio::test(start_paused = true)]
async fn a_node_goes_through_its_whole_life() {
    let cloud = MemoryCompute::new();
    let node = cloud.create_node(&small("web-1")).await.unwrap();
    assert_eq!(node.state, NodeState::Pending);
    assert_eq!(node.name, "web-1");
    assert_eq!(node.size.as_deref(), Some("small"));
    assert_eq!(node.image.as_deref(), Some("debian-12"));
    assert!(node.created_at.is_some());

    advance(Duration::from_millis(999)).await;
    assert_eq!(
        cloud.get_node(&node.id).await.unwrap().state,
        NodeState::Pending
    );
    advance(Duration::from_millis(1)).await;
    assert_eq!(
        cloud.get_node(&node.id).await.unwrap().state,
        NodeState::Running
    );

    cloud.reboot_node(&node).await.unwrap();
    assert_eq!(
        cloud.get_node(&node.id).await.unwrap().state,
        NodeState::Rebooting
    );
    advance(Duration::from_secs(1)).await;
    assert_eq!(
        cloud.get_node(&node.id).await.unwrap().state,
        NodeState::Running
    );

    assert_kind(cloud.start_node(&node).await, ErrorKind::InvalidInput);
    cloud.stop_node(&node).await.unwrap();
    assert_eq!(
        cloud.get_node(&node.id).await.unwrap().state,
        NodeState::Stopped
    );
    assert_kind(cloud.stop_node(&node).await, ErrorKind::InvalidInput);
    assert_kind(cloud.reboot_node(&node).await, ErrorKind::InvalidInput);
    // Time alone does not start a stopped node.
    advance(Duration::from_secs(60)).await;
    assert_eq!(
        cloud.get_node(&node.id).await.unwrap().state,
        NodeState::Stopped
    );

    cloud.start_node(&node).await.unwrap();
    assert_eq!(
        cloud.get_node(&node.id).await.unwrap().state,
        NodeState::Pending
    );
    assert_kind(cloud.start_node(&node).await, ErrorKind::InvalidInput);
    advance(Duration::from_secs(1)).await;
    assert_eq!(
        cloud.get_node(&node.id).await.unwrap().state,
        NodeState::Running
    );

    cloud.destroy_node(&node).await.unwrap();
    assert_not_found(cloud.get_node(&node.id).await, ResourceKind::Node);
    assert!(cloud.list_nodes().await.unwrap().is_empty());
    assert_not_found(cloud.reboot_node(&node).await, ResourceKind::Node);
    assert_not_found(cloud.start_node(&node).await, ResourceKind::Node);
    assert_not_found(cloud.stop_node(&node).await, ResourceKind::Node);
    assert_not_found(cloud.destroy_node(&node).await, ResourceKind::Node);
}

#[tokio::test(start_paused = true)]
async fn stopping_a_pending_node_and_rebooting_during_boot() {
    let cloud = MemoryCompute::new();
    let a = cloud.create_node(&small("a")).await.unwrap();
    cloud.stop_node(&a).await.unwrap();
    assert_eq!(
        cloud.get_node(&a.id).await.unwrap().state,
        NodeState::Stopped
    );

    let b = cloud.create_node(&small("b")).await.unwrap();
    advance(Duration::from_millis(500)).await;
    cloud.reboot_node(&b).await.unwrap();
    // The reboot restarts the boot: a full boot time from now.
    advance(Duration::from_millis(900)).await;
    assert_eq!(
        cloud.get_node(&b.id).await.unwrap().state,
        NodeState::Rebooting
    );
    advance(Duration::from_millis(100)).await;
    assert_eq!(
        cloud.get_node(&b.id).await.unwrap().state,
        NodeState::Running
    );
}

#[tokio::test(start_paused = true)]
async fn boot_time_is_configurable() {
    let instant = MemoryCompute::with_boot_time(Duration::ZERO);
    let node = instant.create_node(&small("fast")).await.unwrap();
    assert_eq!(node.state, NodeState::Running);

    let slow = MemoryCompute::with_boot_time(Duration::from_secs(90));
    assert_eq!(slow.boot_time(), Duration::from_secs(90));
    let node = slow.create_node(&small("slow")).await.unwrap();
    advance(Duration::from_secs(89)).await;
    assert_eq!(
        slow.get_node(&node.id).await.unwrap().state,
        NodeState::Pending
    );
    advance(Duration::from_secs(1)).await;
    assert_eq!(
        slow.get_node(&node.id).await.unwrap().state,
        NodeState::Running
    );
}

#[tokio::test(start_paused = true)]
async fn wait_until_running_sees_the_node_come_up() {
    let cloud = MemoryCompute::with_boot_time(Duration::from_secs(12));
    let node = cloud.create_node(&small("w")).await.unwrap();
    let started = tokio::time::Instant::now();
    let ready = cloud
        .wait_until_running(std::slice::from_ref(&node), WaitOptions::default())
        .await
        .unwrap();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].0.state, NodeState::Running);
    assert_eq!(ready[0].1, node.public_ips);
    // Polled every 5 s: ready at the third poll, 15 s in.
    assert_eq!(started.elapsed(), Duration::from_secs(15));
}

#[tokio::test]
async fn create_node_checks_its_request() {
    let cloud = MemoryCompute::new();
    assert_kind(cloud.create_node(&small("")).await, ErrorKind::InvalidInput);
    assert_kind(
        cloud.create_node(&small("   ")).await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        cloud.create_node(&small("tab\tname")).await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        cloud.create_node(&small(&"n".repeat(256))).await,
        ErrorKind::InvalidInput,
    );
    assert_not_found(
        cloud
            .create_node(&CreateNode::new("x", "huge", "debian-12"))
            .await,
        ResourceKind::Size,
    );
    assert_not_found(
        cloud
            .create_node(&CreateNode::new("x", "small", "beos-5"))
            .await,
        ResourceKind::Image,
    );
    assert_not_found(
        cloud.create_node(&small("x").location("atlantis")).await,
        ResourceKind::Location,
    );
    assert_not_found(
        cloud.create_node(&small("x").key_pair("nobody")).await,
        ResourceKind::KeyPair,
    );
    assert_kind(
        cloud
            .create_node(&small("x").user_data("#".repeat(16 * 1024 + 1)))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        cloud
            .create_node(&small("x").auth(NodeAuth::SshKey("ssh-rsa not-base64!".into())))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        cloud
            .create_node(&small("x").auth(NodeAuth::Password(Secret::new(""))))
            .await,
        ErrorKind::InvalidInput,
    );
    // Nothing was created by any of the refused requests.
    assert!(cloud.list_nodes().await.unwrap().is_empty());
}

#[tokio::test]
async fn duplicate_names_are_allowed_and_get_distinct_ids() {
    let cloud = MemoryCompute::new();
    let a = cloud.create_node(&small("same")).await.unwrap();
    let b = cloud.create_node(&small("same")).await.unwrap();
    assert_ne!(a.id, b.id);
    let listed = cloud.list_nodes().await.unwrap();
    assert_eq!(listed.len(), 2);
    // Listed in creation order.
    assert_eq!(listed[0].id, a.id);
    assert_eq!(listed[1].id, b.id);
}

#[tokio::test]
async fn locations_default_and_can_be_chosen() {
    let cloud = MemoryCompute::new();
    let locations = cloud.list_locations().await.unwrap();
    let default = cloud.create_node(&small("d")).await.unwrap();
    assert_eq!(default.extra["location"], locations[0].id.as_str());
    let other = cloud
        .create_node(&small("o").location(locations[1].id.clone()))
        .await
        .unwrap();
    assert_eq!(other.extra["location"], locations[1].id.as_str());
}

#[tokio::test]
async fn addresses_are_documentation_ranges_and_unique() {
    let cloud = MemoryCompute::new();
    let mut public = BTreeSet::new();
    let mut private = BTreeSet::new();
    for i in 0..300 {
        let node = cloud.create_node(&small(&format!("n{i}"))).await.unwrap();
        assert_eq!(node.public_ips.len(), 1);
        assert_eq!(node.private_ips.len(), 1);
        let IpAddr::V4(p) = node.public_ips[0] else {
            panic!("not IPv4")
        };
        let o = p.octets();
        assert!(o[..3] == [192, 0, 2] || o[..3] == [203, 0, 113], "{p}");
        assert!(o[3] != 0 && o[3] != 255);
        let IpAddr::V4(q) = node.private_ips[0] else {
            panic!("not IPv4")
        };
        assert_eq!(q.octets()[0], 10, "{q}");
        assert!(public.insert(p), "{p} given twice");
        assert!(private.insert(q), "{q} given twice");
    }
    assert!(public.contains(&Ipv4Addr::new(192, 0, 2, 1)));
    assert!(public.contains(&Ipv4Addr::new(203, 0, 113, 1)));
}

#[tokio::test]
async fn running_out_of_public_addresses_is_a_quota_error() {
    let cloud = MemoryCompute::with_boot_time(Duration::ZERO);
    let mut nodes = Vec::new();
    for i in 0..508 {
        nodes.push(cloud.create_node(&small(&format!("n{i}"))).await.unwrap());
    }
    let err = cloud.create_node(&small("one-too-many")).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider {
            code: "QuotaExceeded".into()
        }
    );
    // A destroyed node's address is free again.
    let freed = nodes.remove(7);
    cloud.destroy_node(&freed).await.unwrap();
    let node = cloud.create_node(&small("again")).await.unwrap();
    assert_eq!(node.public_ips, freed.public_ips);
    assert_ne!(node.id, freed.id);
}

#[tokio::test]
async fn without_a_login_a_password_is_generated() {
    let cloud = MemoryCompute::new();
    let a = cloud.create_node(&small("a")).await.unwrap();
    let b = cloud.create_node(&small("b")).await.unwrap();
    let pa = a.admin_password.as_ref().unwrap().expose().to_string();
    let pb = b.admin_password.as_ref().unwrap().expose().to_string();
    assert_eq!(pa.len(), 20);
    assert_ne!(pa, pb);
    assert!(pa.bytes().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(a.extra["auth"], "generated_password");
    // The password is only handed out once, at creation.
    assert!(
        cloud
            .get_node(&a.id)
            .await
            .unwrap()
            .admin_password
            .is_none()
    );
    assert!(!format!("{a:?}").contains(&pa));
}

#[tokio::test]
async fn given_logins_are_accepted() {
    let cloud = MemoryCompute::new();
    let with_key = cloud
        .create_node(&small("k").auth(NodeAuth::SshKey(RSA_PUB.into())))
        .await
        .unwrap();
    assert!(with_key.admin_password.is_none());
    assert_eq!(with_key.extra["auth"], "ssh_key");
    assert_eq!(with_key.extra["ssh_key_fingerprint"], RSA_FINGERPRINT);

    let with_password = cloud
        .create_node(&small("p").auth(NodeAuth::Password(Secret::new("correct horse"))))
        .await
        .unwrap();
    assert!(with_password.admin_password.is_none());
    assert_eq!(with_password.extra["auth"], "password");
}

#[tokio::test]
async fn user_data_and_extra_options_are_kept() {
    let cloud = MemoryCompute::new();
    let mut request = small("u").user_data("#cloud-config\n");
    request
        .extra
        .insert("tags".into(), serde_json::json!({"env": "test"}));
    let node = cloud.create_node(&request).await.unwrap();
    let listed = cloud.get_node(&node.id).await.unwrap();
    assert_eq!(listed.extra["user_data"], "#cloud-config\n");
    assert_eq!(listed.extra["tags"]["env"], "test");
}

#[tokio::test]
async fn clones_share_a_cloud_and_new_makes_another() {
    let cloud = MemoryCompute::new();
    let clone = cloud.clone();
    let node = clone.create_node(&small("shared")).await.unwrap();
    assert_eq!(cloud.get_node(&node.id).await.unwrap().name, "shared");
    let other = MemoryCompute::new();
    assert!(other.list_nodes().await.unwrap().is_empty());
    assert_not_found(other.get_node(&node.id).await, ResourceKind::Node);
    let shown = format!("{cloud:?}");
    assert!(
        shown.contains("MemoryCompute") && shown.contains("nodes: 1"),
        "{shown}"
    );
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let cloud = MemoryCompute::new();
    for id in ["", "node-0", "node-01", "node-x", "vol-1", "node-99"] {
        assert_not_found(cloud.get_node(id).await, ResourceKind::Node);
    }
}

#[tokio::test]
async fn works_behind_a_trait_object() {
    let cloud: std::sync::Arc<dyn ComputeDriver> = std::sync::Arc::new(MemoryCompute::new());
    let node = cloud.create_node(&small("dyn")).await.unwrap();
    let err = cloud.get_node("node-999").await.unwrap_err();
    assert_eq!(err.operation(), Some("get_node"));
    assert_eq!(cloud.list_nodes().await.unwrap()[0].id, node.id);
}
