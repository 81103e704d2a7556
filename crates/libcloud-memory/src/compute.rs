//! The in-memory compute driver.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use libcloud_core::{
    ComputeCapabilities, ComputeDriver, CreateNode, CreateVolume, Error, ErrorKind, Extra, KeyPair,
    Node, NodeAuth, NodeImage, NodeLocation, NodeSize, NodeState, ResourceKind, Result, Secret,
    SnapshotState, StorageVolume, VolumeSnapshot, VolumeState, async_trait,
};
use serde_json::json;
use ssh_key::rand_core::OsRng;
use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey};
use tokio::time::Instant;

use crate::PROVIDER;
use crate::util::{context, free_address, generate_password, lock, quota_exceeded, rfc3339};

/// How long a new, started or rebooted node stays pending (or rebooting) unless told otherwise.
const DEFAULT_BOOT_TIME: Duration = Duration::from_secs(1);

/// The /24 networks public node addresses come from (TEST-NET-1, then TEST-NET-3).
const PUBLIC_POOLS: [[u8; 3]; 2] = [[192, 0, 2], [203, 0, 113]];

/// Generated passwords are this long.
const PASSWORD_LEN: usize = 20;

/// User data larger than this is refused, as EC2 refuses more than 16 KiB.
const MAX_USER_DATA: usize = 16 * 1024;

/// The largest volume, in GB (16 TiB, a common cloud limit).
const MAX_VOLUME_GB: u64 = 16 * 1024;

/// The longest node, volume or key pair name.
const MAX_NAME_LEN: usize = 255;

/// An in-memory compute cloud: nodes, a fixed catalogue of sizes, images and locations, key pairs,
/// volumes and snapshots.
///
/// A created node is [`NodeState::Pending`] for the boot time (1 s unless set with
/// [`with_boot_time`](Self::with_boot_time)), then [`NodeState::Running`]. Rebooting shows
/// [`NodeState::Rebooting`] for the boot time; stopping is immediate; starting a stopped node
/// goes through `Pending` again. A destroyed node is gone: operations on it are `NotFound`.
/// Asking for a change the node's state does not allow (rebooting or stopping a stopped node,
/// starting one that is not stopped) is `InvalidInput`. States are computed from
/// [`tokio::time::Instant`], so a paused test clock drives them.
///
/// `create_node` takes an SSH public key or a password as the login; with neither it generates
/// a 20-character password and returns it, once, in [`Node::admin_password`]. A named key pair
/// must be registered. Key pairs made by `create_key_pair` are fresh Ed25519 keys; imported
/// ones may be any OpenSSH public key (Ed25519, RSA, ECDSA); fingerprints are OpenSSH's
/// `SHA256:` form.
///
/// Volumes live in a location and attach to one existing node of the same location at a time
/// (at `/dev/vdb`, `/dev/vdc`, ... unless a device is given). Attaching a volume that is in
/// use, detaching one that is not, and destroying one that is attached are `InvalidInput`;
/// destroying a node detaches its volumes. Snapshots outlive their volume, as on real clouds.
/// Ids are `node-1`, `vol-1`, `snap-1`, ..., never reused.
///
/// The catalogue has the sizes `small`, `medium` and `large`, the images `debian-12`,
/// `ubuntu-24.04` and `rocky-9`, and the locations `us-east` (the default), `eu-west` and
/// `ap-southeast`. Nodes get a public address from the documentation ranges 192.0.2.0/24 and
/// 203.0.113.0/24 and a private one from 10.0.0.0/8; these are data only, nothing listens there.
/// With every public address in use, `create_node` fails with a `QuotaExceeded` provider error.
///
/// Clones share one cloud; each [`new`](Self::new) is a separate one.
///
/// ```
/// use std::time::Duration;
/// use libcloud_core::{ComputeDriver, CreateNode, NodeState};
/// use libcloud_memory::MemoryCompute;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let cloud = MemoryCompute::with_boot_time(Duration::from_secs(30));
/// let node = cloud.create_node(&CreateNode::new("db", "medium", "ubuntu-24.04")).await?;
/// assert_eq!(node.state, NodeState::Pending);
/// tokio::time::advance(Duration::from_secs(30)).await;
/// assert_eq!(cloud.get_node(&node.id).await?.state, NodeState::Running);
/// # Ok::<(), libcloud_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct MemoryCompute {
    inner: Arc<Mutex<State>>,
}

impl std::fmt::Debug for MemoryCompute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.inner);
        f.debug_struct("MemoryCompute")
            .field("boot_time", &state.boot_time)
            .field("nodes", &state.nodes.len())
            .field("key_pairs", &state.key_pairs.len())
            .field("volumes", &state.volumes.len())
            .field("snapshots", &state.snapshots.len())
            .finish()
    }
}

impl Default for MemoryCompute {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryCompute {
    /// A new, empty compute cloud whose nodes take 1 s to boot.
    pub fn new() -> Self {
        Self::with_boot_time(DEFAULT_BOOT_TIME)
    }

    /// A new, empty compute cloud whose nodes stay pending (after create or start) or rebooting
    /// for `boot_time`. `Duration::ZERO` makes them run at once.
    pub fn with_boot_time(boot_time: Duration) -> Self {
        MemoryCompute {
            inner: Arc::new(Mutex::new(State {
                boot_time,
                ..State::default()
            })),
        }
    }

    /// How long nodes take to boot in this cloud.
    pub fn boot_time(&self) -> Duration {
        lock(&self.inner).boot_time
    }
}

#[derive(Default)]
struct State {
    boot_time: Duration,
    next_node: u64,
    next_volume: u64,
    next_snapshot: u64,
    next_private: u32,
    nodes: BTreeMap<u64, NodeRec>,
    key_pairs: BTreeMap<String, KeyPair>,
    volumes: BTreeMap<u64, VolumeRec>,
    snapshots: BTreeMap<u64, VolumeSnapshot>,
}

/// Where a node is in its life; the uniform state is derived from this and the clock.
#[derive(Debug, Clone, Copy)]
enum Power {
    /// Created or started; running once the instant has passed.
    Booting(Instant),
    /// Rebooted; running once the instant has passed.
    Rebooting(Instant),
    /// Stopped.
    Stopped,
}

struct NodeRec {
    id: String,
    name: String,
    size: String,
    image: String,
    location: String,
    public_ip: Ipv4Addr,
    private_ip: Ipv4Addr,
    created_at: SystemTime,
    power: Power,
    extra: Extra,
}

impl NodeRec {
    fn state(&self, now: Instant) -> NodeState {
        match self.power {
            Power::Booting(ready) if now < ready => NodeState::Pending,
            Power::Rebooting(ready) if now < ready => NodeState::Rebooting,
            Power::Booting(_) | Power::Rebooting(_) => NodeState::Running,
            Power::Stopped => NodeState::Stopped,
        }
    }

    fn to_node(&self, now: Instant) -> Node {
        let mut extra = self.extra.clone();
        extra.insert("location".into(), json!(self.location));
        Node {
            id: self.id.clone(),
            name: self.name.clone(),
            state: self.state(now),
            public_ips: vec![IpAddr::V4(self.public_ip)],
            private_ips: vec![IpAddr::V4(self.private_ip)],
            size: Some(self.size.clone()),
            image: Some(self.image.clone()),
            created_at: Some(self.created_at),
            admin_password: None,
            extra,
        }
    }
}

struct VolumeRec {
    id: String,
    name: String,
    size_gb: u64,
    location: String,
    /// The node (by key) and device it is attached at.
    attachment: Option<(u64, String)>,
    snapshot: Option<String>,
    created_at: SystemTime,
    extra: Extra,
}

impl VolumeRec {
    fn to_volume(&self, nodes: &BTreeMap<u64, NodeRec>) -> StorageVolume {
        let mut extra = self.extra.clone();
        extra.insert("location".into(), json!(self.location));
        extra.insert("created_at".into(), rfc3339(self.created_at));
        if let Some(snapshot) = &self.snapshot {
            extra.insert("snapshot_id".into(), json!(snapshot));
        }
        let attached_to = self.attachment.as_ref().and_then(|(node, device)| {
            extra.insert("device".into(), json!(device));
            nodes.get(node).map(|n| n.id.clone())
        });
        StorageVolume {
            id: self.id.clone(),
            name: self.name.clone(),
            size_gb: self.size_gb,
            state: if attached_to.is_some() {
                VolumeState::InUse
            } else {
                VolumeState::Available
            },
            attached_to,
            extra,
        }
    }
}

/// The numeric key of an id such as `node-12` with the given prefix.
fn parse_id(prefix: &str, id: &str) -> Option<u64> {
    let digits = id.strip_prefix(prefix)?.strip_prefix('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    digits.parse().ok()
}

fn check_name(what: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid_input(format!(
            "the {what} name must not be empty"
        )));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Error::invalid_input(format!(
            "the {what} name is longer than {MAX_NAME_LEN} bytes"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!(
            "the {what} name {name:?} contains control characters"
        )));
    }
    Ok(())
}

fn size(
    id: &str,
    name: &str,
    vcpus: u32,
    ram_mb: u64,
    disk_gb: u64,
    bandwidth: u64,
    price: f64,
) -> NodeSize {
    let mut extra = Extra::new();
    extra.insert("vcpus".into(), json!(vcpus));
    extra.insert("architecture".into(), json!("x86_64"));
    NodeSize {
        id: id.into(),
        name: name.into(),
        ram_mb,
        disk_gb,
        bandwidth: Some(bandwidth),
        price: Some(price),
        extra,
    }
}

fn catalogue_sizes() -> Vec<NodeSize> {
    vec![
        size("small", "Small (1 vCPU, 1 GiB)", 1, 1024, 25, 1000, 0.0075),
        size("medium", "Medium (2 vCPU, 4 GiB)", 2, 4096, 80, 4000, 0.03),
        size("large", "Large (4 vCPU, 16 GiB)", 4, 16384, 320, 6000, 0.12),
    ]
}

fn image(id: &str, name: &str, distribution: &str, version: &str) -> NodeImage {
    let mut extra = Extra::new();
    extra.insert("os".into(), json!("linux"));
    extra.insert("distribution".into(), json!(distribution));
    extra.insert("version".into(), json!(version));
    extra.insert("architecture".into(), json!("x86_64"));
    NodeImage {
        id: id.into(),
        name: name.into(),
        extra,
    }
}

fn catalogue_images() -> Vec<NodeImage> {
    vec![
        image("debian-12", "Debian 12 (bookworm)", "debian", "12"),
        image(
            "ubuntu-24.04",
            "Ubuntu 24.04 LTS (Noble Numbat)",
            "ubuntu",
            "24.04",
        ),
        image("rocky-9", "Rocky Linux 9", "rocky", "9"),
    ]
}

fn location(id: &str, name: &str, country: &str) -> NodeLocation {
    NodeLocation {
        id: id.into(),
        name: name.into(),
        country: country.into(),
        extra: Extra::new(),
    }
}

fn catalogue_locations() -> Vec<NodeLocation> {
    vec![
        location("us-east", "US East (Virginia)", "US"),
        location("eu-west", "EU West (Dublin)", "IE"),
        location("ap-southeast", "Asia Pacific (Singapore)", "SG"),
    ]
}

/// The location `id`, or the default one; an unknown id is `NotFound`.
fn resolve_location(id: Option<&str>) -> Result<String> {
    let locations = catalogue_locations();
    match id {
        None => Ok(locations.first().map(|l| l.id.clone()).unwrap_or_default()),
        Some(id) => locations
            .into_iter()
            .find(|l| l.id == id)
            .map(|l| l.id)
            .ok_or_else(|| Error::not_found(ResourceKind::Location, id)),
    }
}

/// The fingerprint of an OpenSSH public key as OpenSSH prints it (`SHA256:...`).
fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn key_generation_failed(err: ssh_key::Error) -> Error {
    Error::new(
        ErrorKind::Provider {
            code: "KeyGenerationFailed".into(),
        },
        format!("could not generate the key pair: {err}"),
    )
}

fn parse_public_key(material: &str) -> Result<PublicKey> {
    PublicKey::from_openssh(material.trim())
        .map_err(|e| Error::invalid_input(format!("not an OpenSSH public key: {e}")))
}

impl State {
    fn node_key(&self, node_id: &str) -> Result<u64> {
        parse_id("node", node_id)
            .filter(|k| self.nodes.contains_key(k))
            .ok_or_else(|| Error::not_found(ResourceKind::Node, node_id))
    }

    fn node_mut(&mut self, node_id: &str) -> Result<&mut NodeRec> {
        let key = self.node_key(node_id)?;
        self.nodes
            .get_mut(&key)
            .ok_or_else(|| Error::not_found(ResourceKind::Node, node_id))
    }

    fn volume_key(&self, volume_id: &str) -> Result<u64> {
        parse_id("vol", volume_id)
            .filter(|k| self.volumes.contains_key(k))
            .ok_or_else(|| Error::not_found(ResourceKind::Volume, volume_id))
    }

    fn snapshot_key(&self, snapshot_id: &str) -> Result<u64> {
        parse_id("snap", snapshot_id)
            .filter(|k| self.snapshots.contains_key(k))
            .ok_or_else(|| Error::not_found(ResourceKind::Snapshot, snapshot_id))
    }

    fn allocate_private(&mut self) -> Ipv4Addr {
        // 10.0.0.1, 10.0.0.2, ... skipping network and broadcast host parts of each /24.
        loop {
            self.next_private = self.next_private.wrapping_add(1) & 0x00ff_ffff;
            let host = self.next_private & 0xff;
            if host != 0 && host != 255 {
                return Ipv4Addr::from(0x0a00_0000 | self.next_private);
            }
        }
    }

    fn create_node(&mut self, request: &CreateNode, now: Instant) -> Result<Node> {
        check_name("node", &request.name)?;
        let sizes = catalogue_sizes();
        if !sizes.iter().any(|s| s.id == request.size) {
            return Err(Error::not_found(ResourceKind::Size, &request.size));
        }
        if !catalogue_images().iter().any(|i| i.id == request.image) {
            return Err(Error::not_found(ResourceKind::Image, &request.image));
        }
        let location = resolve_location(request.location.as_deref())?;
        let mut extra = request.extra.clone();
        if let Some(name) = &request.key_pair {
            let key = self
                .key_pairs
                .get(name)
                .ok_or_else(|| Error::not_found(ResourceKind::KeyPair, name))?;
            extra.insert("key_name".into(), json!(name));
            extra.insert("key_fingerprint".into(), json!(key.fingerprint));
        }
        if let Some(data) = &request.user_data {
            if data.len() > MAX_USER_DATA {
                return Err(Error::invalid_input(format!(
                    "user data is {} bytes; at most {MAX_USER_DATA} are accepted",
                    data.len()
                )));
            }
            extra.insert("user_data".into(), json!(data));
        }
        let admin_password = match &request.auth {
            Some(NodeAuth::SshKey(material)) => {
                let key = parse_public_key(material)?;
                extra.insert("auth".into(), json!("ssh_key"));
                extra.insert("ssh_key_fingerprint".into(), json!(fingerprint(&key)));
                None
            }
            Some(NodeAuth::Password(password)) => {
                if password.expose().is_empty() {
                    return Err(Error::invalid_input("the password must not be empty"));
                }
                extra.insert("auth".into(), json!("password"));
                None
            }
            None => {
                extra.insert("auth".into(), json!("generated_password"));
                Some(Secret::new(generate_password(PASSWORD_LEN)))
            }
        };
        let used: BTreeSet<Ipv4Addr> = self.nodes.values().map(|n| n.public_ip).collect();
        let public_ip = free_address(&PUBLIC_POOLS, &used).ok_or_else(|| {
            quota_exceeded("every public address of this cloud is in use; destroy a node first")
        })?;
        let private_ip = self.allocate_private();
        self.next_node += 1;
        let key = self.next_node;
        let rec = NodeRec {
            id: format!("node-{key}"),
            name: request.name.clone(),
            size: request.size.clone(),
            image: request.image.clone(),
            location,
            public_ip,
            private_ip,
            created_at: SystemTime::now(),
            power: Power::Booting(now + self.boot_time),
            extra,
        };
        let mut node = rec.to_node(now);
        node.admin_password = admin_password;
        self.nodes.insert(key, rec);
        Ok(node)
    }

    fn create_volume(&mut self, request: &CreateVolume) -> Result<StorageVolume> {
        check_name("volume", &request.name)?;
        if request.size_gb == 0 {
            return Err(Error::invalid_input("a volume must be at least 1 GB"));
        }
        if request.size_gb > MAX_VOLUME_GB {
            return Err(Error::invalid_input(format!(
                "a volume can be at most {MAX_VOLUME_GB} GB"
            )));
        }
        let location = resolve_location(request.location.as_deref())?;
        if let Some(snapshot_id) = &request.snapshot {
            let key = self.snapshot_key(snapshot_id)?;
            let from = self
                .snapshots
                .get(&key)
                .and_then(|s| s.size_gb)
                .unwrap_or(0);
            if request.size_gb < from {
                return Err(Error::invalid_input(format!(
                    "snapshot {snapshot_id} holds {from} GB; the volume must be at least that large"
                )));
            }
        }
        self.next_volume += 1;
        let key = self.next_volume;
        let rec = VolumeRec {
            id: format!("vol-{key}"),
            name: request.name.clone(),
            size_gb: request.size_gb,
            location,
            attachment: None,
            snapshot: request.snapshot.clone(),
            created_at: SystemTime::now(),
            extra: request.extra.clone(),
        };
        let volume = rec.to_volume(&self.nodes);
        self.volumes.insert(key, rec);
        Ok(volume)
    }

    fn attach_volume(
        &mut self,
        node_id: &str,
        volume_id: &str,
        device: Option<&str>,
    ) -> Result<()> {
        let volume_key = self.volume_key(volume_id)?;
        let node_key = self.node_key(node_id)?;
        let node_location = self
            .nodes
            .get(&node_key)
            .map(|n| n.location.clone())
            .unwrap_or_default();
        let taken: BTreeSet<String> = self
            .volumes
            .values()
            .filter_map(|v| v.attachment.as_ref())
            .filter(|(n, _)| *n == node_key)
            .map(|(_, d)| d.clone())
            .collect();
        let volume = self
            .volumes
            .get_mut(&volume_key)
            .ok_or_else(|| Error::not_found(ResourceKind::Volume, volume_id))?;
        if let Some((attached, _)) = &volume.attachment {
            return Err(Error::invalid_input(if *attached == node_key {
                format!("volume {volume_id} is already attached to node {node_id}")
            } else {
                format!("volume {volume_id} is attached to another node; detach it first")
            }));
        }
        if volume.location != node_location {
            return Err(Error::invalid_input(format!(
                "volume {volume_id} is in {} but node {node_id} is in {node_location}",
                volume.location
            )));
        }
        let device = match device {
            Some(device) => {
                let rest = device.strip_prefix("/dev/").unwrap_or("");
                if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(Error::invalid_input(format!(
                        "device {device:?} is not a device path such as /dev/vdb"
                    )));
                }
                if taken.contains(device) {
                    return Err(Error::invalid_input(format!(
                        "device {device} of node {node_id} is in use"
                    )));
                }
                device.to_string()
            }
            None => (b'b'..=b'z')
                .map(|c| format!("/dev/vd{}", char::from(c)))
                .find(|d| !taken.contains(d))
                .ok_or_else(|| {
                    Error::invalid_input(format!("node {node_id} has no free device left"))
                })?,
        };
        volume.attachment = Some((node_key, device));
        Ok(())
    }
}

#[async_trait]
impl ComputeDriver for MemoryCompute {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> ComputeCapabilities {
        let mut caps = ComputeCapabilities::default();
        caps.auth_ssh_key = true;
        caps.auth_password = true;
        caps.generates_password = true;
        caps.start_stop = true;
        caps.key_pairs = true;
        caps.create_key_pair = true;
        caps.import_key_pair = true;
        caps.volumes = true;
        caps.snapshots = true;
        caps
    }

    async fn list_nodes(&self) -> Result<Vec<Node>> {
        let now = Instant::now();
        let state = lock(&self.inner);
        Ok(state.nodes.values().map(|n| n.to_node(now)).collect())
    }

    async fn get_node(&self, node_id: &str) -> Result<Node> {
        let now = Instant::now();
        let state = lock(&self.inner);
        let key = state.node_key(node_id).map_err(context("get_node"))?;
        state
            .nodes
            .get(&key)
            .map(|n| n.to_node(now))
            .ok_or_else(|| Error::not_found(ResourceKind::Node, node_id))
            .map_err(context("get_node"))
    }

    async fn list_sizes(&self, location: Option<&str>) -> Result<Vec<NodeSize>> {
        if let Some(location) = location {
            resolve_location(Some(location)).map_err(context("list_sizes"))?;
        }
        Ok(catalogue_sizes())
    }

    async fn list_images(&self, location: Option<&str>) -> Result<Vec<NodeImage>> {
        if let Some(location) = location {
            resolve_location(Some(location)).map_err(context("list_images"))?;
        }
        Ok(catalogue_images())
    }

    async fn get_image(&self, image_id: &str) -> Result<NodeImage> {
        catalogue_images()
            .into_iter()
            .find(|i| i.id == image_id)
            .ok_or_else(|| Error::not_found(ResourceKind::Image, image_id))
            .map_err(context("get_image"))
    }

    async fn list_locations(&self) -> Result<Vec<NodeLocation>> {
        Ok(catalogue_locations())
    }

    async fn create_node(&self, request: &CreateNode) -> Result<Node> {
        let now = Instant::now();
        lock(&self.inner)
            .create_node(request, now)
            .map_err(context("create_node"))
    }

    async fn reboot_node(&self, node: &Node) -> Result<()> {
        let now = Instant::now();
        let mut state = lock(&self.inner);
        let boot_time = state.boot_time;
        let rec = state.node_mut(&node.id).map_err(context("reboot_node"))?;
        if let Power::Stopped = rec.power {
            return Err(Error::invalid_input(format!(
                "node {} is stopped; start it instead of rebooting it",
                rec.id
            ))
            .with_provider(PROVIDER)
            .with_operation("reboot_node"));
        }
        rec.power = Power::Rebooting(now + boot_time);
        Ok(())
    }

    async fn start_node(&self, node: &Node) -> Result<()> {
        let now = Instant::now();
        let mut state = lock(&self.inner);
        let boot_time = state.boot_time;
        let rec = state.node_mut(&node.id).map_err(context("start_node"))?;
        match rec.power {
            Power::Stopped => {
                rec.power = Power::Booting(now + boot_time);
                Ok(())
            }
            _ => Err(Error::invalid_input(format!(
                "node {} is {}, not stopped",
                rec.id,
                rec.state(now)
            ))
            .with_provider(PROVIDER)
            .with_operation("start_node")),
        }
    }

    async fn stop_node(&self, node: &Node) -> Result<()> {
        let mut state = lock(&self.inner);
        let rec = state.node_mut(&node.id).map_err(context("stop_node"))?;
        match rec.power {
            Power::Stopped => Err(Error::invalid_input(format!(
                "node {} is already stopped",
                rec.id
            ))
            .with_provider(PROVIDER)
            .with_operation("stop_node")),
            _ => {
                rec.power = Power::Stopped;
                Ok(())
            }
        }
    }

    async fn destroy_node(&self, node: &Node) -> Result<()> {
        let mut state = lock(&self.inner);
        let key = state.node_key(&node.id).map_err(context("destroy_node"))?;
        state.nodes.remove(&key);
        for volume in state.volumes.values_mut() {
            if matches!(&volume.attachment, Some((n, _)) if *n == key) {
                volume.attachment = None;
            }
        }
        Ok(())
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        Ok(lock(&self.inner).key_pairs.values().cloned().collect())
    }

    async fn get_key_pair(&self, name: &str) -> Result<KeyPair> {
        lock(&self.inner)
            .key_pairs
            .get(name)
            .cloned()
            .ok_or_else(|| Error::not_found(ResourceKind::KeyPair, name))
            .map_err(context("get_key_pair"))
    }

    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        let op = context("create_key_pair");
        check_name("key pair", name).map_err(&op)?;
        if lock(&self.inner).key_pairs.contains_key(name) {
            return Err(op(Error::already_exists(ResourceKind::KeyPair, name)));
        }
        let mut private = PrivateKey::random(&mut OsRng, ssh_key::Algorithm::Ed25519)
            .map_err(|e| op(key_generation_failed(e)))?;
        private.set_comment(name);
        let private_text = private
            .to_openssh(LineEnding::LF)
            .map_err(|e| op(key_generation_failed(e)))?;
        let public = private.public_key();
        let public_text = public
            .to_openssh()
            .map_err(|e| op(key_generation_failed(e)))?;
        let mut extra = Extra::new();
        extra.insert("algorithm".into(), json!(public.algorithm().as_str()));
        extra.insert("created_at".into(), rfc3339(SystemTime::now()));
        let stored = KeyPair {
            name: name.to_string(),
            public_key: Some(public_text),
            fingerprint: fingerprint(public),
            private_key: None,
            extra,
        };
        let mut state = lock(&self.inner);
        if state.key_pairs.contains_key(name) {
            return Err(op(Error::already_exists(ResourceKind::KeyPair, name)));
        }
        state.key_pairs.insert(name.to_string(), stored.clone());
        Ok(KeyPair {
            private_key: Some(Secret::new(private_text.as_str())),
            ..stored
        })
    }

    async fn import_key_pair_from_string(&self, name: &str, key_material: &str) -> Result<KeyPair> {
        let op = context("import_key_pair_from_string");
        check_name("key pair", name).map_err(&op)?;
        let public = parse_public_key(key_material).map_err(&op)?;
        let public_text = public.to_openssh().map_err(|e| {
            op(Error::invalid_input(format!(
                "the public key cannot be re-encoded: {e}"
            )))
        })?;
        let mut extra = Extra::new();
        extra.insert("algorithm".into(), json!(public.algorithm().as_str()));
        extra.insert("created_at".into(), rfc3339(SystemTime::now()));
        let stored = KeyPair {
            name: name.to_string(),
            public_key: Some(public_text),
            fingerprint: fingerprint(&public),
            private_key: None,
            extra,
        };
        let mut state = lock(&self.inner);
        if state.key_pairs.contains_key(name) {
            return Err(op(Error::already_exists(ResourceKind::KeyPair, name)));
        }
        state.key_pairs.insert(name.to_string(), stored.clone());
        Ok(stored)
    }

    async fn delete_key_pair(&self, key_pair: &KeyPair) -> Result<()> {
        lock(&self.inner)
            .key_pairs
            .remove(&key_pair.name)
            .map(|_| ())
            .ok_or_else(|| Error::not_found(ResourceKind::KeyPair, &key_pair.name))
            .map_err(context("delete_key_pair"))
    }

    async fn list_volumes(&self) -> Result<Vec<StorageVolume>> {
        let state = lock(&self.inner);
        Ok(state
            .volumes
            .values()
            .map(|v| v.to_volume(&state.nodes))
            .collect())
    }

    async fn create_volume(&self, request: &CreateVolume) -> Result<StorageVolume> {
        lock(&self.inner)
            .create_volume(request)
            .map_err(context("create_volume"))
    }

    async fn attach_volume(
        &self,
        node: &Node,
        volume: &StorageVolume,
        device: Option<&str>,
    ) -> Result<()> {
        lock(&self.inner)
            .attach_volume(&node.id, &volume.id, device)
            .map_err(context("attach_volume"))
    }

    async fn detach_volume(&self, volume: &StorageVolume) -> Result<()> {
        let op = context("detach_volume");
        let mut state = lock(&self.inner);
        let key = state.volume_key(&volume.id).map_err(&op)?;
        let rec = state
            .volumes
            .get_mut(&key)
            .ok_or_else(|| op(Error::not_found(ResourceKind::Volume, &volume.id)))?;
        if rec.attachment.take().is_none() {
            return Err(op(Error::invalid_input(format!(
                "volume {} is not attached",
                volume.id
            ))));
        }
        Ok(())
    }

    async fn destroy_volume(&self, volume: &StorageVolume) -> Result<()> {
        let op = context("destroy_volume");
        let mut state = lock(&self.inner);
        let key = state.volume_key(&volume.id).map_err(&op)?;
        if state
            .volumes
            .get(&key)
            .is_some_and(|v| v.attachment.is_some())
        {
            return Err(op(Error::invalid_input(format!(
                "volume {} is attached; detach it first",
                volume.id
            ))));
        }
        state.volumes.remove(&key);
        Ok(())
    }

    async fn list_volume_snapshots(&self, volume: &StorageVolume) -> Result<Vec<VolumeSnapshot>> {
        let state = lock(&self.inner);
        state
            .volume_key(&volume.id)
            .map_err(context("list_volume_snapshots"))?;
        Ok(state
            .snapshots
            .values()
            .filter(|s| s.volume_id.as_deref() == Some(volume.id.as_str()))
            .cloned()
            .collect())
    }

    async fn create_volume_snapshot(
        &self,
        volume: &StorageVolume,
        name: Option<&str>,
    ) -> Result<VolumeSnapshot> {
        let op = context("create_volume_snapshot");
        if let Some(name) = name {
            check_name("snapshot", name).map_err(&op)?;
        }
        let mut state = lock(&self.inner);
        let key = state.volume_key(&volume.id).map_err(&op)?;
        let (volume_id, size_gb) = state
            .volumes
            .get(&key)
            .map(|v| (v.id.clone(), v.size_gb))
            .ok_or_else(|| op(Error::not_found(ResourceKind::Volume, &volume.id)))?;
        state.next_snapshot += 1;
        let snapshot = VolumeSnapshot {
            id: format!("snap-{}", state.next_snapshot),
            name: name.map(str::to_string),
            volume_id: Some(volume_id),
            size_gb: Some(size_gb),
            state: SnapshotState::Available,
            created_at: Some(SystemTime::now()),
            extra: Extra::new(),
        };
        let next = state.next_snapshot;
        state.snapshots.insert(next, snapshot.clone());
        Ok(snapshot)
    }

    async fn destroy_volume_snapshot(&self, snapshot: &VolumeSnapshot) -> Result<()> {
        let mut state = lock(&self.inner);
        let key = state
            .snapshot_key(&snapshot.id)
            .map_err(context("destroy_volume_snapshot"))?;
        state.snapshots.remove(&key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_strictly() {
        assert_eq!(parse_id("node", "node-12"), Some(12));
        assert_eq!(parse_id("node", "node-012"), None);
        assert_eq!(parse_id("node", "node-"), None);
        assert_eq!(parse_id("node", "vol-1"), None);
        assert_eq!(parse_id("node", "node-1x"), None);
    }

    #[test]
    fn private_addresses_skip_network_and_broadcast() {
        let mut state = State {
            next_private: 253,
            ..State::default()
        };
        assert_eq!(state.allocate_private(), Ipv4Addr::new(10, 0, 0, 254));
        assert_eq!(state.allocate_private(), Ipv4Addr::new(10, 0, 1, 1));
    }
}
