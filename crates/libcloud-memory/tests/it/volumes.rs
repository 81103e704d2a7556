//! Volumes and snapshots.

use libcloud_core::{
    ComputeDriver, CreateNode, CreateVolume, ErrorKind, Node, ResourceKind, SnapshotState,
    StorageVolume, VolumeState,
};
use libcloud_memory::MemoryCompute;

use crate::{assert_kind, assert_not_found};

async fn node(cloud: &MemoryCompute, name: &str) -> Node {
    cloud
        .create_node(&CreateNode::new(name, "small", "debian-12"))
        .await
        .unwrap()
}

async fn volume(cloud: &MemoryCompute, name: &str, size: u64) -> StorageVolume {
    cloud
        .create_volume(&CreateVolume::new(name, size))
        .await
        .unwrap()
}

async fn fetch(cloud: &MemoryCompute, id: &str) -> Option<StorageVolume> {
    cloud
        .list_volumes()
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id == id)
}

#[tokio::test]
async fn create_volume_checks_its_request() {
    let cloud = MemoryCompute::new();
    let v = volume(&cloud, "data", 100).await;
    assert_eq!(v.size_gb, 100);
    assert_eq!(v.name, "data");
    assert_eq!(v.state, VolumeState::Available);
    assert!(v.attached_to.is_none());
    assert_eq!(v.extra["location"], "us-east");

    assert_kind(
        cloud.create_volume(&CreateVolume::new("zero", 0)).await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        cloud
            .create_volume(&CreateVolume::new("huge", 16 * 1024 + 1))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        cloud.create_volume(&CreateVolume::new("", 1)).await,
        ErrorKind::InvalidInput,
    );
    assert_not_found(
        cloud
            .create_volume(&CreateVolume::new("far", 1).location("moon-base"))
            .await,
        ResourceKind::Location,
    );
    let eu = cloud
        .create_volume(&CreateVolume::new("eu", 1).location("eu-west"))
        .await
        .unwrap();
    assert_eq!(eu.extra["location"], "eu-west");
    assert_eq!(cloud.list_volumes().await.unwrap().len(), 2);
}

#[tokio::test]
async fn volumes_attach_only_to_existing_nodes() {
    let cloud = MemoryCompute::new();
    let n = node(&cloud, "db").await;
    let v = volume(&cloud, "data", 10).await;

    let mut ghost = n.clone();
    ghost.id = "node-999".into();
    assert_not_found(
        cloud.attach_volume(&ghost, &v, None).await,
        ResourceKind::Node,
    );

    let mut missing = v.clone();
    missing.id = "vol-999".into();
    assert_not_found(
        cloud.attach_volume(&n, &missing, None).await,
        ResourceKind::Volume,
    );

    let gone = node(&cloud, "gone").await;
    cloud.destroy_node(&gone).await.unwrap();
    assert_not_found(
        cloud.attach_volume(&gone, &v, None).await,
        ResourceKind::Node,
    );
    assert!(fetch(&cloud, &v.id).await.unwrap().attached_to.is_none());

    cloud.attach_volume(&n, &v, None).await.unwrap();
    let attached = fetch(&cloud, &v.id).await.unwrap();
    assert_eq!(attached.state, VolumeState::InUse);
    assert_eq!(attached.attached_to.as_deref(), Some(n.id.as_str()));
    assert_eq!(attached.extra["device"], "/dev/vdb");
}

#[tokio::test]
async fn a_volume_is_attached_to_one_node_at_a_time() {
    let cloud = MemoryCompute::new();
    let a = node(&cloud, "a").await;
    let b = node(&cloud, "b").await;
    let v = volume(&cloud, "shared", 5).await;
    cloud.attach_volume(&a, &v, None).await.unwrap();
    assert_kind(
        cloud.attach_volume(&b, &v, None).await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        cloud.attach_volume(&a, &v, None).await,
        ErrorKind::InvalidInput,
    );
    assert_eq!(
        fetch(&cloud, &v.id).await.unwrap().attached_to.as_deref(),
        Some(a.id.as_str())
    );
    cloud.detach_volume(&v).await.unwrap();
    cloud.attach_volume(&b, &v, None).await.unwrap();
    assert_eq!(
        fetch(&cloud, &v.id).await.unwrap().attached_to.as_deref(),
        Some(b.id.as_str())
    );
}

#[tokio::test]
async fn devices_are_assigned_and_checked() {
    let cloud = MemoryCompute::new();
    let n = node(&cloud, "n").await;
    let v1 = volume(&cloud, "one", 1).await;
    let v2 = volume(&cloud, "two", 1).await;
    let v3 = volume(&cloud, "three", 1).await;
    cloud
        .attach_volume(&n, &v1, Some("/dev/vdc"))
        .await
        .unwrap();
    assert_kind(
        cloud.attach_volume(&n, &v2, Some("/dev/vdc")).await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        cloud.attach_volume(&n, &v2, Some("vdd")).await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        cloud.attach_volume(&n, &v2, Some("/dev/../etc")).await,
        ErrorKind::InvalidInput,
    );
    cloud.attach_volume(&n, &v2, None).await.unwrap();
    cloud.attach_volume(&n, &v3, None).await.unwrap();
    assert_eq!(
        fetch(&cloud, &v1.id).await.unwrap().extra["device"],
        "/dev/vdc"
    );
    assert_eq!(
        fetch(&cloud, &v2.id).await.unwrap().extra["device"],
        "/dev/vdb"
    );
    assert_eq!(
        fetch(&cloud, &v3.id).await.unwrap().extra["device"],
        "/dev/vdd"
    );
}

#[tokio::test]
async fn volumes_and_nodes_must_share_a_location() {
    let cloud = MemoryCompute::new();
    let n = node(&cloud, "us").await;
    let v = cloud
        .create_volume(&CreateVolume::new("eu", 1).location("eu-west"))
        .await
        .unwrap();
    assert_kind(
        cloud.attach_volume(&n, &v, None).await,
        ErrorKind::InvalidInput,
    );
}

#[tokio::test]
async fn detach_and_destroy_follow_the_attachment() {
    let cloud = MemoryCompute::new();
    let n = node(&cloud, "n").await;
    let v = volume(&cloud, "v", 1).await;
    assert_kind(cloud.detach_volume(&v).await, ErrorKind::InvalidInput);
    cloud.attach_volume(&n, &v, None).await.unwrap();
    assert_kind(cloud.destroy_volume(&v).await, ErrorKind::InvalidInput);
    cloud.detach_volume(&v).await.unwrap();
    let detached = fetch(&cloud, &v.id).await.unwrap();
    assert_eq!(detached.state, VolumeState::Available);
    assert!(detached.attached_to.is_none());
    assert!(!detached.extra.contains_key("device"));
    assert_kind(cloud.detach_volume(&v).await, ErrorKind::InvalidInput);
    cloud.destroy_volume(&v).await.unwrap();
    assert!(fetch(&cloud, &v.id).await.is_none());
    assert_not_found(cloud.destroy_volume(&v).await, ResourceKind::Volume);
    assert_not_found(cloud.detach_volume(&v).await, ResourceKind::Volume);
}

#[tokio::test]
async fn destroying_a_node_detaches_its_volumes() {
    let cloud = MemoryCompute::new();
    let n = node(&cloud, "n").await;
    let other = node(&cloud, "other").await;
    let v1 = volume(&cloud, "v1", 1).await;
    let v2 = volume(&cloud, "v2", 1).await;
    let kept = volume(&cloud, "kept", 1).await;
    cloud.attach_volume(&n, &v1, None).await.unwrap();
    cloud.attach_volume(&n, &v2, None).await.unwrap();
    cloud.attach_volume(&other, &kept, None).await.unwrap();
    cloud.destroy_node(&n).await.unwrap();
    for v in [&v1, &v2] {
        let v = fetch(&cloud, &v.id).await.unwrap();
        assert_eq!(v.state, VolumeState::Available);
        assert!(v.attached_to.is_none());
    }
    assert_eq!(
        fetch(&cloud, &kept.id)
            .await
            .unwrap()
            .attached_to
            .as_deref(),
        Some(other.id.as_str())
    );
    // The freed volumes can be destroyed now.
    cloud.destroy_volume(&v1).await.unwrap();
}

#[tokio::test]
async fn snapshots_of_existing_volumes() {
    let cloud = MemoryCompute::new();
    let v = volume(&cloud, "v", 20).await;
    let other = volume(&cloud, "other", 1).await;
    let s1 = cloud
        .create_volume_snapshot(&v, Some("nightly"))
        .await
        .unwrap();
    let s2 = cloud.create_volume_snapshot(&v, None).await.unwrap();
    cloud.create_volume_snapshot(&other, None).await.unwrap();
    assert_ne!(s1.id, s2.id);
    assert_eq!(s1.name.as_deref(), Some("nightly"));
    assert!(s2.name.is_none());
    assert_eq!(s1.volume_id.as_deref(), Some(v.id.as_str()));
    assert_eq!(s1.size_gb, Some(20));
    assert_eq!(s1.state, SnapshotState::Available);
    assert!(s1.created_at.is_some());

    let listed = cloud.list_volume_snapshots(&v).await.unwrap();
    assert_eq!(listed, vec![s1.clone(), s2.clone()]);

    cloud.destroy_volume_snapshot(&s1).await.unwrap();
    assert_eq!(
        cloud.list_volume_snapshots(&v).await.unwrap(),
        vec![s2.clone()]
    );
    assert_not_found(
        cloud.destroy_volume_snapshot(&s1).await,
        ResourceKind::Snapshot,
    );

    let mut missing = v.clone();
    missing.id = "vol-404".into();
    assert_not_found(
        cloud.create_volume_snapshot(&missing, None).await,
        ResourceKind::Volume,
    );
    assert_not_found(
        cloud.list_volume_snapshots(&missing).await,
        ResourceKind::Volume,
    );
    assert_kind(
        cloud.create_volume_snapshot(&v, Some("")).await,
        ErrorKind::InvalidInput,
    );
}

#[tokio::test]
async fn volumes_can_be_made_from_snapshots() {
    let cloud = MemoryCompute::new();
    let v = volume(&cloud, "v", 20).await;
    let snap = cloud.create_volume_snapshot(&v, None).await.unwrap();
    let mut request = CreateVolume::new("restored", 20);
    request.snapshot = Some(snap.id.clone());
    let restored = cloud.create_volume(&request).await.unwrap();
    assert_eq!(restored.extra["snapshot_id"], snap.id.as_str());

    let mut small = CreateVolume::new("too-small", 10);
    small.snapshot = Some(snap.id.clone());
    assert_kind(cloud.create_volume(&small).await, ErrorKind::InvalidInput);

    let mut unknown = CreateVolume::new("unknown", 20);
    unknown.snapshot = Some("snap-77".into());
    assert_not_found(cloud.create_volume(&unknown).await, ResourceKind::Snapshot);

    // A snapshot outlives its volume, as on real clouds.
    cloud.destroy_volume(&v).await.unwrap();
    let mut again = CreateVolume::new("again", 30);
    again.snapshot = Some(snap.id.clone());
    cloud.create_volume(&again).await.unwrap();
}
