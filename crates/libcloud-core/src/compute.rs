//! The compute API: nodes, sizes, images, locations, key pairs, volumes and snapshots.

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::common::{Extra, rfc3339_opt};
use crate::credentials::Secret;
use crate::error::{Error, ErrorKind, ResourceKind, Result};

/// The state of a node, as Libcloud's `NodeState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum NodeState {
    /// Up and serving.
    Running,
    /// Starting after a stop.
    Starting,
    /// Rebooting.
    Rebooting,
    /// Destroyed.
    Terminated,
    /// Being created.
    Pending,
    /// The provider's state has no uniform name.
    Unknown,
    /// Stopping.
    Stopping,
    /// Stopped; can be started again.
    Stopped,
    /// Suspended.
    Suspended,
    /// In error.
    Error,
    /// Paused.
    Paused,
    /// Being resized or reconfigured.
    Reconfiguring,
    /// Moving between hosts.
    Migrating,
    /// Normal (provider-specific steady state).
    Normal,
    /// Being updated.
    Updating,
}

impl NodeState {
    /// The lower-case name Libcloud uses (`"running"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            NodeState::Running => "running",
            NodeState::Starting => "starting",
            NodeState::Rebooting => "rebooting",
            NodeState::Terminated => "terminated",
            NodeState::Pending => "pending",
            NodeState::Unknown => "unknown",
            NodeState::Stopping => "stopping",
            NodeState::Stopped => "stopped",
            NodeState::Suspended => "suspended",
            NodeState::Error => "error",
            NodeState::Paused => "paused",
            NodeState::Reconfiguring => "reconfiguring",
            NodeState::Migrating => "migrating",
            NodeState::Normal => "normal",
            NodeState::Updating => "updating",
        }
    }
}

impl std::fmt::Display for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compute node: a server, an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The provider's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: NodeState,
    /// Public addresses.
    pub public_ips: Vec<IpAddr>,
    /// Private addresses.
    pub private_ips: Vec<IpAddr>,
    /// The id of its size, when known.
    pub size: Option<String>,
    /// The id of its image, when known.
    pub image: Option<String>,
    /// When it was created.
    #[serde(with = "rfc3339_opt", default)]
    pub created_at: Option<SystemTime>,
    /// The administrator password the provider generated at creation (Libcloud's
    /// `extra["password"]`). Never printed by `Debug`; never serialized.
    #[serde(skip)]
    pub admin_password: Option<Secret>,
    /// Provider-specific attributes.
    #[serde(default)]
    pub extra: Extra,
}

/// A node size: a flavor, an instance type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSize {
    /// The provider's id (`t3.micro`).
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Memory in MiB.
    pub ram_mb: u64,
    /// Local disk in GB (0 when it has none).
    pub disk_gb: u64,
    /// Included bandwidth, when the provider says.
    pub bandwidth: Option<u64>,
    /// Hourly price in US dollars, when known.
    pub price: Option<f64>,
    /// Provider-specific attributes (vCPUs, architecture, ...).
    #[serde(default)]
    pub extra: Extra,
}

/// An image a node boots from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeImage {
    /// The provider's id (`ami-...`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Provider-specific attributes.
    #[serde(default)]
    pub extra: Extra,
}

/// A place nodes run: a region or an availability zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeLocation {
    /// The provider's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// ISO country code, when known.
    pub country: String,
    /// Provider-specific attributes.
    #[serde(default)]
    pub extra: Extra,
}

/// An SSH key pair registered with the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPair {
    /// Its name, unique per account.
    pub name: String,
    /// The public key in OpenSSH format, when the provider returns it.
    pub public_key: Option<String>,
    /// The key's fingerprint as the provider reports it.
    pub fingerprint: String,
    /// The private key, only on the result of `create_key_pair`. Never serialized.
    #[serde(skip)]
    pub private_key: Option<Secret>,
    /// Provider-specific attributes.
    #[serde(default)]
    pub extra: Extra,
}

/// The state of a block storage volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum VolumeState {
    /// Ready to attach.
    Available,
    /// In error.
    Error,
    /// Attached to a node.
    InUse,
    /// Being created.
    Creating,
    /// Being deleted.
    Deleting,
    /// Deleted.
    Deleted,
    /// Being backed up.
    Backup,
    /// Being attached.
    Attaching,
    /// No uniform name.
    Unknown,
    /// Moving.
    Migrating,
    /// Being updated.
    Updating,
}

/// A block storage volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageVolume {
    /// The provider's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its size in GB.
    pub size_gb: u64,
    /// Its state.
    pub state: VolumeState,
    /// The node it is attached to, if any.
    pub attached_to: Option<String>,
    /// Provider-specific attributes (device, location, ...).
    #[serde(default)]
    pub extra: Extra,
}

/// The state of a volume snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SnapshotState {
    /// Ready.
    Available,
    /// In error.
    Error,
    /// Being created.
    Creating,
    /// Being deleted.
    Deleting,
    /// Being restored.
    Restoring,
    /// No uniform name.
    Unknown,
    /// Being updated.
    Updating,
}

/// A point-in-time copy of a volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeSnapshot {
    /// The provider's id.
    pub id: String,
    /// Its name, when it has one.
    pub name: Option<String>,
    /// The volume it was taken of.
    pub volume_id: Option<String>,
    /// Its size in GB, when known.
    pub size_gb: Option<u64>,
    /// Its state.
    pub state: SnapshotState,
    /// When it was taken.
    #[serde(with = "rfc3339_opt", default)]
    pub created_at: Option<SystemTime>,
    /// Provider-specific attributes.
    #[serde(default)]
    pub extra: Extra,
}

/// How to log in to a new node (Libcloud's `NodeAuthSSHKey` / `NodeAuthPassword`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeAuth {
    /// An OpenSSH public key to install.
    SshKey(String),
    /// A password to set.
    Password(Secret),
}

/// What to create with [`ComputeDriver::create_node`].
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CreateNode {
    /// The node's name.
    pub name: String,
    /// The id of its size.
    pub size: String,
    /// The id of its image.
    pub image: String,
    /// The id of its location; the provider's default when `None`.
    pub location: Option<String>,
    /// How to log in; see [`ComputeCapabilities`] for what the driver takes.
    pub auth: Option<NodeAuth>,
    /// The name of a registered key pair to install (EC2's `KeyName`).
    pub key_pair: Option<String>,
    /// User data / cloud-init text.
    pub user_data: Option<String>,
    /// Provider-specific options (security groups, subnet, tags, ...).
    pub extra: Extra,
}

impl CreateNode {
    /// A request for a node called `name` of size `size` from image `image`.
    pub fn new(name: impl Into<String>, size: impl Into<String>, image: impl Into<String>) -> Self {
        CreateNode {
            name: name.into(),
            size: size.into(),
            image: image.into(),
            ..Default::default()
        }
    }

    /// Sets the location.
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Sets the login.
    pub fn auth(mut self, auth: NodeAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Sets the key pair to install.
    pub fn key_pair(mut self, name: impl Into<String>) -> Self {
        self.key_pair = Some(name.into());
        self
    }

    /// Sets the user data.
    pub fn user_data(mut self, data: impl Into<String>) -> Self {
        self.user_data = Some(data.into());
        self
    }
}

/// What to create with [`ComputeDriver::create_volume`].
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CreateVolume {
    /// Size in GB.
    pub size_gb: u64,
    /// Its name.
    pub name: String,
    /// Where to create it; the provider's default when `None`.
    pub location: Option<String>,
    /// A snapshot id to create it from.
    pub snapshot: Option<String>,
    /// Provider-specific options (volume type, IOPS, encryption, ...).
    pub extra: Extra,
}

impl CreateVolume {
    /// A volume called `name` of `size_gb` GB.
    pub fn new(name: impl Into<String>, size_gb: u64) -> Self {
        CreateVolume {
            name: name.into(),
            size_gb,
            ..Default::default()
        }
    }

    /// Sets the location.
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }
}

/// What a compute driver can do, so callers and the conformance suite need not find out late.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ComputeCapabilities {
    /// `create_node` takes [`NodeAuth::SshKey`] (Libcloud's `"ssh_key"` feature).
    pub auth_ssh_key: bool,
    /// `create_node` takes [`NodeAuth::Password`] (`"password"`).
    pub auth_password: bool,
    /// `create_node` generates a password and returns it in `admin_password`
    /// (`"generates_password"`).
    pub generates_password: bool,
    /// `start_node` and `stop_node` work.
    pub start_stop: bool,
    /// Key pairs can be listed, fetched and deleted.
    pub key_pairs: bool,
    /// `create_key_pair` generates a key pair.
    pub create_key_pair: bool,
    /// `import_key_pair_from_string` registers a public key.
    pub import_key_pair: bool,
    /// Volumes can be created, attached, detached and destroyed.
    pub volumes: bool,
    /// Volume snapshots can be created, listed and destroyed.
    pub snapshots: bool,
}

/// The compute API every compute driver implements (Libcloud's `NodeDriver`).
///
/// Object-safe: use it as `Arc<dyn ComputeDriver>`. Operations a driver lacks return
/// [`ErrorKind::Unsupported`]; [`capabilities`](ComputeDriver::capabilities) says which ahead of
/// time. Conveniences such as [`wait_until_running`](ComputeDriverExt::wait_until_running) are in
/// [`ComputeDriverExt`].
#[async_trait]
pub trait ComputeDriver: Send + Sync + std::fmt::Debug {
    /// The provider's short name (`"memory"`, `"ec2"`).
    fn name(&self) -> &str;

    /// What this driver can do.
    fn capabilities(&self) -> ComputeCapabilities;

    /// All nodes, every page.
    async fn list_nodes(&self) -> Result<Vec<Node>>;

    /// One node by id. The default lists the nodes and picks it.
    async fn get_node(&self, node_id: &str) -> Result<Node> {
        self.list_nodes()
            .await?
            .into_iter()
            .find(|n| n.id == node_id)
            .ok_or_else(|| Error::not_found(ResourceKind::Node, node_id))
    }

    /// The sizes offered, optionally only in one location.
    async fn list_sizes(&self, location: Option<&str>) -> Result<Vec<NodeSize>>;

    /// The images offered, optionally only in one location.
    async fn list_images(&self, location: Option<&str>) -> Result<Vec<NodeImage>>;

    /// One image by id. The default lists the images and picks it.
    async fn get_image(&self, image_id: &str) -> Result<NodeImage> {
        self.list_images(None)
            .await?
            .into_iter()
            .find(|i| i.id == image_id)
            .ok_or_else(|| Error::not_found(ResourceKind::Image, image_id))
    }

    /// The locations offered.
    async fn list_locations(&self) -> Result<Vec<NodeLocation>>;

    /// Creates and starts a node. It may still be `Pending` when this returns; see
    /// [`ComputeDriverExt::wait_until_running`].
    async fn create_node(&self, request: &CreateNode) -> Result<Node>;

    /// Reboots a node.
    async fn reboot_node(&self, node: &Node) -> Result<()>;

    /// Starts a stopped node.
    async fn start_node(&self, _node: &Node) -> Result<()> {
        Err(Error::unsupported("start_node"))
    }

    /// Stops a running node without destroying it.
    async fn stop_node(&self, _node: &Node) -> Result<()> {
        Err(Error::unsupported("stop_node"))
    }

    /// Destroys a node.
    async fn destroy_node(&self, node: &Node) -> Result<()>;

    /// The key pairs registered.
    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        Err(Error::unsupported("list_key_pairs"))
    }

    /// One key pair by name.
    async fn get_key_pair(&self, name: &str) -> Result<KeyPair> {
        self.list_key_pairs()
            .await?
            .into_iter()
            .find(|k| k.name == name)
            .ok_or_else(|| Error::not_found(ResourceKind::KeyPair, name))
    }

    /// Generates a key pair; the result carries the private key.
    async fn create_key_pair(&self, _name: &str) -> Result<KeyPair> {
        Err(Error::unsupported("create_key_pair"))
    }

    /// Registers an existing OpenSSH public key.
    async fn import_key_pair_from_string(
        &self,
        _name: &str,
        _key_material: &str,
    ) -> Result<KeyPair> {
        Err(Error::unsupported("import_key_pair_from_string"))
    }

    /// Deletes a key pair.
    async fn delete_key_pair(&self, _key_pair: &KeyPair) -> Result<()> {
        Err(Error::unsupported("delete_key_pair"))
    }

    /// The volumes.
    async fn list_volumes(&self) -> Result<Vec<StorageVolume>> {
        Err(Error::unsupported("list_volumes"))
    }

    /// Creates a volume.
    async fn create_volume(&self, _request: &CreateVolume) -> Result<StorageVolume> {
        Err(Error::unsupported("create_volume"))
    }

    /// Attaches a volume to a node, at `device` when given.
    async fn attach_volume(
        &self,
        _node: &Node,
        _volume: &StorageVolume,
        _device: Option<&str>,
    ) -> Result<()> {
        Err(Error::unsupported("attach_volume"))
    }

    /// Detaches a volume from its node.
    async fn detach_volume(&self, _volume: &StorageVolume) -> Result<()> {
        Err(Error::unsupported("detach_volume"))
    }

    /// Destroys a volume.
    async fn destroy_volume(&self, _volume: &StorageVolume) -> Result<()> {
        Err(Error::unsupported("destroy_volume"))
    }

    /// The snapshots of a volume.
    async fn list_volume_snapshots(&self, _volume: &StorageVolume) -> Result<Vec<VolumeSnapshot>> {
        Err(Error::unsupported("list_volume_snapshots"))
    }

    /// Takes a snapshot of a volume.
    async fn create_volume_snapshot(
        &self,
        _volume: &StorageVolume,
        _name: Option<&str>,
    ) -> Result<VolumeSnapshot> {
        Err(Error::unsupported("create_volume_snapshot"))
    }

    /// Destroys a snapshot.
    async fn destroy_volume_snapshot(&self, _snapshot: &VolumeSnapshot) -> Result<()> {
        Err(Error::unsupported("destroy_volume_snapshot"))
    }
}

/// Which addresses [`ComputeDriverExt::wait_until_running`] waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SshInterface {
    /// Public addresses (Libcloud's default).
    #[default]
    PublicIps,
    /// Private addresses.
    PrivateIps,
}

/// How [`ComputeDriverExt::wait_until_running`] polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// Time between polls. Default 5 s, as Libcloud.
    pub poll_interval: Duration,
    /// Give up after this long with [`ErrorKind::Timeout`]. Default 600 s, as Libcloud.
    pub timeout: Duration,
    /// Which addresses must be present.
    pub interface: SshInterface,
    /// Count only IPv4 addresses. Default true, as Libcloud.
    pub force_ipv4: bool,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            poll_interval: Duration::from_secs(5),
            timeout: Duration::from_secs(600),
            interface: SshInterface::PublicIps,
            force_ipv4: true,
        }
    }
}

/// Conveniences over [`ComputeDriver`], for every driver.
#[async_trait]
pub trait ComputeDriverExt: ComputeDriver {
    /// Polls until every node in `nodes` is running and has an address on the chosen interface;
    /// returns each node with those addresses (Libcloud's `wait_until_running`).
    ///
    /// A node that disappears or ends in `Terminated` or `Error` fails the wait at once; running
    /// out of time is [`ErrorKind::Timeout`].
    async fn wait_until_running(
        &self,
        nodes: &[Node],
        options: WaitOptions,
    ) -> Result<Vec<(Node, Vec<IpAddr>)>> {
        let deadline = tokio::time::Instant::now() + options.timeout;
        loop {
            let listed = self.list_nodes().await?;
            let mut ready = Vec::with_capacity(nodes.len());
            for wanted in nodes {
                let node = listed
                    .iter()
                    .find(|n| n.id == wanted.id)
                    .ok_or_else(|| Error::not_found(ResourceKind::Node, &wanted.id))?;
                if matches!(node.state, NodeState::Terminated | NodeState::Error) {
                    return Err(Error::new(
                        ErrorKind::Provider {
                            code: node.state.as_str().to_string(),
                        },
                        format!(
                            "node {} is {} while waiting for it to run",
                            node.id, node.state
                        ),
                    )
                    .with_operation("wait_until_running"));
                }
                let ips: Vec<IpAddr> = match options.interface {
                    SshInterface::PublicIps => &node.public_ips,
                    SshInterface::PrivateIps => &node.private_ips,
                }
                .iter()
                .copied()
                .filter(|ip| !options.force_ipv4 || ip.is_ipv4())
                .collect();
                if node.state == NodeState::Running && !ips.is_empty() {
                    ready.push((node.clone(), ips));
                }
            }
            if ready.len() == nodes.len() {
                return Ok(ready);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("timed out after {} seconds", options.timeout.as_secs()),
                )
                .with_operation("wait_until_running"));
            }
            tokio::time::sleep(options.poll_interval.min(deadline - now)).await;
        }
    }

    /// Reads an OpenSSH public key from a file and registers it
    /// (Libcloud's `import_key_pair_from_file`).
    async fn import_key_pair_from_file(&self, name: &str, path: &Path) -> Result<KeyPair> {
        let material = tokio::fs::read_to_string(path).await?;
        self.import_key_pair_from_string(name, material.trim())
            .await
    }
}

impl<T: ComputeDriver + ?Sized> ComputeDriverExt for T {}
