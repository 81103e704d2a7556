//! The compute conformance suite: catalog, node lifecycle, key pairs, volumes and snapshots.
//!
//! Cases that need a node create one named `lc-<case>-<8 hex>` from the size, image and
//! location in [`Options`] (by default the first the driver lists) and destroy it when they end,
//! whether they passed or not. Waiting uses [`ComputeDriverExt::wait_until_running`] with the
//! poll interval and timeout of the options.

use std::collections::BTreeSet;
use std::time::Duration;

use libcloud_core::{
    ComputeDriver, ComputeDriverExt, CreateNode, CreateVolume, ErrorKind, KeyPair, Node, NodeState,
    ResourceKind, SshInterface, StorageVolume, VolumeSnapshot, VolumeState, WaitOptions,
};

use super::{
    CaseResult, Context, DEFAULT_CASE_TIMEOUT, Failure, Harness, Outcome, Report, best_effort,
    case_name, ensure, expect_already_exists, expect_kind, expect_not_found, lacks, poll_until,
};

/// How the compute suite creates and waits for nodes.
///
/// Build it with struct update syntax:
/// `Options { image: Some("ami-123".into()), ..Default::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The size id to create nodes with; the first listed when `None`.
    pub size: Option<String>,
    /// The image id to create nodes from; the first listed when `None`.
    pub image: Option<String>,
    /// The location id to create nodes and volumes in; the first listed when `None`.
    pub location: Option<String>,
    /// How long to wait for a node or volume to reach a state. Default 60 s.
    pub wait_timeout: Duration,
    /// Time between polls while waiting. Default 100 ms.
    pub poll_interval: Duration,
    /// Which addresses a running node must have. Default public.
    pub interface: SshInterface,
    /// The device name to attach volumes at; the driver's choice when `None`.
    pub volume_device: Option<String>,
    /// The size of the volumes the suite creates, in GB. Default 1.
    pub volume_size_gb: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            size: None,
            image: None,
            location: None,
            wait_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_millis(100),
            interface: SshInterface::PublicIps,
            volume_device: None,
            volume_size_gb: 1,
        }
    }
}

impl Options {
    fn wait(&self) -> WaitOptions {
        WaitOptions {
            poll_interval: self.poll_interval,
            timeout: self.wait_timeout,
            interface: self.interface,
            force_ipv4: true,
        }
    }
}

/// How long clean-up may take before it is abandoned.
const CLEANUP_LIMIT: Duration = Duration::from_secs(120);

/// Runs every compute case with default [`Options`]; see [`run_with`].
pub async fn run(driver: &dyn ComputeDriver) {
    run_with(driver, &Options::default()).await;
}

/// Runs every compute case the driver's capabilities allow, prints one line per case, and
/// panics listing every failure (or when no case ran).
pub async fn run_with(driver: &dyn ComputeDriver, options: &Options) {
    report_with(driver, options).await.assert_passed();
}

/// Runs every compute case, prints one line per case and returns the report without
/// panicking.
pub async fn report_with(driver: &dyn ComputeDriver, options: &Options) -> Report {
    let (d, o) = (driver, options);
    let limit = DEFAULT_CASE_TIMEOUT.max(o.wait_timeout * 8);
    let mut h = Harness::new("compute", limit);
    h.case("catalog", catalog(d, o)).await;
    h.case("node_lifecycle", node_lifecycle(d, o)).await;
    h.case("start_stop", start_stop(d, o)).await;
    h.case("missing_node", missing_node(d)).await;
    h.case("bad_image", bad_image(d, o)).await;
    h.case("key_pair_create", key_pair_create(d)).await;
    h.case("key_pair_import", key_pair_import(d)).await;
    h.case("volume_lifecycle", volume_lifecycle(d, o)).await;
    h.case("volume_snapshots", volume_snapshots(d, o)).await;
    h.finish()
}

/// Sizes, images and locations are listed, non-empty, with unique non-empty ids; the
/// options' choices are among them; listings for one location are subsets of the whole;
/// `get_image` finds a listed image and says `NotFound` of an image for a made-up id.
pub async fn catalog(d: &dyn ComputeDriver, o: &Options) -> CaseResult {
    let sizes = d.list_sizes(None).await.context("list_sizes")?;
    let images = d.list_images(None).await.context("list_images")?;
    let locations = d.list_locations().await.context("list_locations")?;
    let size_ids = unique_ids("list_sizes", sizes.iter().map(|s| s.id.as_str()))?;
    let image_ids = unique_ids("list_images", images.iter().map(|i| i.id.as_str()))?;
    let location_ids = unique_ids("list_locations", locations.iter().map(|l| l.id.as_str()))?;
    for (what, chosen, ids) in [
        ("size", &o.size, &size_ids),
        ("image", &o.image, &image_ids),
        ("location", &o.location, &location_ids),
    ] {
        if let Some(chosen) = chosen {
            ensure!(
                ids.contains(chosen.as_str()),
                "the {what} {chosen:?} of the options is not listed ({ids:?})"
            );
        }
    }
    for size in &sizes {
        ensure!(
            !size.name.is_empty(),
            "size {:?} has an empty name",
            size.id
        );
    }
    let location = o
        .location
        .clone()
        .or_else(|| locations.first().map(|l| l.id.clone()));
    if let Some(location) = &location {
        let local_sizes = d
            .list_sizes(Some(location))
            .await
            .context(&format!("list_sizes(Some({location:?}))"))?;
        ensure!(
            !local_sizes.is_empty(),
            "list_sizes for location {location:?} is empty"
        );
        for size in &local_sizes {
            ensure!(
                size_ids.contains(size.id.as_str()),
                "list_sizes for {location:?} has {:?}, which list_sizes(None) lacks",
                size.id
            );
        }
        let local_images = d
            .list_images(Some(location))
            .await
            .context(&format!("list_images(Some({location:?}))"))?;
        for image in &local_images {
            ensure!(
                image_ids.contains(image.id.as_str()),
                "list_images for {location:?} has {:?}, which list_images(None) lacks",
                image.id
            );
        }
    }
    let first = &images[0];
    let got = d
        .get_image(&first.id)
        .await
        .context("get_image of a listed image")?;
    ensure!(
        got.id == first.id,
        "get_image({:?}) returned the image {:?}",
        first.id,
        got.id
    );
    expect_not_found(
        d.get_image(&case_name("no-such-image")).await,
        ResourceKind::Image,
        "get_image of a made-up id",
    )?;
    Ok(Outcome::Passed)
}

/// A created node is listed, becomes running with an address, survives a reboot, and after
/// `destroy_node` is gone or terminated. A driver that `generates_password` returns one.
pub async fn node_lifecycle(d: &dyn ComputeDriver, o: &Options) -> CaseResult {
    let caps = d.capabilities();
    with_node(d, o, "node_lifecycle", async |node| {
        if caps.generates_password {
            ensure!(
                node.admin_password
                    .as_ref()
                    .is_some_and(|p| !p.expose().is_empty()),
                "the driver generates passwords, but create_node returned none"
            );
        }
        let listed = d.list_nodes().await.context("list_nodes")?;
        let found = listed.iter().find(|n| n.id == node.id);
        ensure!(
            found.is_some_and(|n| n.name == node.name),
            "list_nodes ({} nodes) lacks the new node {:?} named {:?}",
            listed.len(),
            node.id,
            node.name
        );
        let running = wait_running(d, o, node).await?;
        let got = d.get_node(&node.id).await.context("get_node")?;
        ensure!(
            got.id == node.id && got.state == NodeState::Running,
            "get_node({:?}) returned {:?} in state {}",
            node.id,
            got.id,
            got.state
        );
        d.reboot_node(&running).await.context("reboot_node")?;
        wait_running(d, o, &running).await?;
        d.destroy_node(&running).await.context("destroy_node")?;
        poll_until(
            "node gone or terminated after destroy_node",
            o.poll_interval,
            o.wait_timeout,
            || async move {
                let nodes = d
                    .list_nodes()
                    .await
                    .context("list_nodes after destroy_node")?;
                Ok(match nodes.iter().find(|n| n.id == node.id) {
                    None => Some(()),
                    Some(n) if n.state == NodeState::Terminated => Some(()),
                    Some(_) => None,
                })
            },
        )
        .await?;
        match d.get_node(&node.id).await {
            Err(e) if e.is_not_found() => {}
            Ok(n) if n.state == NodeState::Terminated => {}
            other => {
                return Err(Failure::new(format!(
                    "get_node after destroy_node: expected NotFound or a terminated node, got {:?}",
                    other.map(|n| n.state)
                )));
            }
        }
        Ok(Outcome::Passed)
    })
    .await
}

/// With `start_stop`: a running node stops (state `stopped`) and starts again.
pub async fn start_stop(d: &dyn ComputeDriver, o: &Options) -> CaseResult {
    if !d.capabilities().start_stop {
        return lacks("start_stop");
    }
    with_node(d, o, "start_stop", async |node| {
        let running = wait_running(d, o, node).await?;
        d.stop_node(&running).await.context("stop_node")?;
        let stopped = poll_until(
            "node stopped after stop_node",
            o.poll_interval,
            o.wait_timeout,
            || async move {
                let n = d
                    .get_node(&node.id)
                    .await
                    .context("get_node after stop_node")?;
                Ok((n.state == NodeState::Stopped).then_some(n))
            },
        )
        .await?;
        d.start_node(&stopped).await.context("start_node")?;
        wait_running(d, o, &stopped).await?;
        Ok(Outcome::Passed)
    })
    .await
}

/// `get_node` of a made-up id is `NotFound` of a node.
pub async fn missing_node(d: &dyn ComputeDriver) -> CaseResult {
    expect_not_found(
        d.get_node(&case_name("missing-node")).await,
        ResourceKind::Node,
        "get_node of a made-up id",
    )?;
    Ok(Outcome::Passed)
}

/// `create_node` with a made-up image id is `NotFound` or `InvalidInput`.
pub async fn bad_image(d: &dyn ComputeDriver, o: &Options) -> CaseResult {
    let plan = plan(d, o).await?;
    let name = case_name("bad_image");
    let mut request = CreateNode::new(&name, &plan.size, case_name("no-such-image"));
    request.location = plan.location.clone();
    let result = d.create_node(&request).await;
    if let Ok(node) = &result {
        destroy_quietly(d, node).await;
    }
    expect_kind(
        result,
        "create_node with a made-up image",
        "NotFound or InvalidInput",
        |k| matches!(k, ErrorKind::NotFound { .. } | ErrorKind::InvalidInput),
    )?;
    Ok(Outcome::Passed)
}

/// With `key_pairs` and `create_key_pair`: a generated key pair carries its private key, is
/// listed and fetched with the same fingerprint, cannot be created twice (`AlreadyExists` of a
/// key pair), and is gone after `delete_key_pair` (`NotFound` of a key pair).
pub async fn key_pair_create(d: &dyn ComputeDriver) -> CaseResult {
    let caps = d.capabilities();
    if !caps.key_pairs {
        return lacks("key_pairs");
    }
    if !caps.create_key_pair {
        return lacks("create_key_pair");
    }
    let name = case_name("key_pair_create");
    let result: CaseResult = async {
        let created = d.create_key_pair(&name).await.context("create_key_pair")?;
        ensure!(
            created.name == name,
            "create_key_pair returned the name {:?}, expected {name:?}",
            created.name
        );
        ensure!(
            created
                .private_key
                .as_ref()
                .is_some_and(|k| !k.expose().trim().is_empty()),
            "create_key_pair returned no private key"
        );
        check_key_pair_listed(d, &created).await?;
        expect_already_exists(
            d.create_key_pair(&name).await,
            ResourceKind::KeyPair,
            "create_key_pair of an existing name",
        )?;
        check_key_pair_deleted(d, &created).await?;
        Ok(Outcome::Passed)
    }
    .await;
    delete_key_pair_quietly(d, &name).await;
    result
}

/// With `key_pairs` and `import_key_pair`: a freshly generated OpenSSH ed25519 public key is
/// registered, listed and fetched with the same fingerprint (and key, where the provider
/// returns it), cannot be imported twice under one name, and is gone after deletion.
pub async fn key_pair_import(d: &dyn ComputeDriver) -> CaseResult {
    let caps = d.capabilities();
    if !caps.key_pairs {
        return lacks("key_pairs");
    }
    if !caps.import_key_pair {
        return lacks("import_key_pair");
    }
    let name = case_name("key_pair_import");
    let result: CaseResult = async {
        let material = generate_public_key(&name)?;
        let imported = d
            .import_key_pair_from_string(&name, &material)
            .await
            .context("import_key_pair_from_string")?;
        ensure!(
            imported.name == name,
            "import_key_pair_from_string returned the name {:?}, expected {name:?}",
            imported.name
        );
        if let Some(public) = &imported.public_key {
            ensure!(
                same_public_key(public, &material),
                "the imported key pair's public key {public:?} differs from {material:?}"
            );
        }
        check_key_pair_listed(d, &imported).await?;
        let other = generate_public_key(&name)?;
        expect_already_exists(
            d.import_key_pair_from_string(&name, &other).await,
            ResourceKind::KeyPair,
            "import_key_pair_from_string under an existing name",
        )?;
        check_key_pair_deleted(d, &imported).await?;
        Ok(Outcome::Passed)
    }
    .await;
    delete_key_pair_quietly(d, &name).await;
    result
}

/// With `volumes`: a volume is created with its size, becomes available, attaches to a node
/// (`attached_to` is the node), detaches, and is gone after `destroy_volume`.
pub async fn volume_lifecycle(d: &dyn ComputeDriver, o: &Options) -> CaseResult {
    if !d.capabilities().volumes {
        return lacks("volumes");
    }
    with_volume(d, o, "volume_lifecycle", async |volume| {
        with_node(d, o, "volume_lifecycle_node", async |node| {
            let running = wait_running(d, o, node).await?;
            d.attach_volume(&running, volume, o.volume_device.as_deref())
                .await
                .context("attach_volume")?;
            let attached = poll_volume(d, o, &volume.id, "volume attached to the node", |v| {
                v.attached_to.as_deref() == Some(node.id.as_str())
            })
            .await?;
            d.detach_volume(&attached).await.context("detach_volume")?;
            poll_volume(d, o, &volume.id, "volume detached and available", |v| {
                v.attached_to.is_none() && v.state == VolumeState::Available
            })
            .await?;
            Ok(Outcome::Passed)
        })
        .await?;
        d.destroy_volume(volume).await.context("destroy_volume")?;
        poll_until(
            "volume gone after destroy_volume",
            o.poll_interval,
            o.wait_timeout,
            || async move {
                let volumes = d
                    .list_volumes()
                    .await
                    .context("list_volumes after destroy_volume")?;
                Ok(match volumes.iter().find(|v| v.id == volume.id) {
                    None => Some(()),
                    Some(v) if matches!(v.state, VolumeState::Deleted | VolumeState::Deleting) => {
                        Some(())
                    }
                    Some(_) => None,
                })
            },
        )
        .await?;
        Ok(Outcome::Passed)
    })
    .await
}

/// With `volumes` and `snapshots`: a snapshot of a volume names its volume, is listed among
/// the volume's snapshots, and is gone after `destroy_volume_snapshot`.
pub async fn volume_snapshots(d: &dyn ComputeDriver, o: &Options) -> CaseResult {
    let caps = d.capabilities();
    if !caps.volumes {
        return lacks("volumes");
    }
    if !caps.snapshots {
        return lacks("snapshots");
    }
    with_volume(d, o, "volume_snapshots", async |volume| {
        let name = case_name("volume_snapshots_snap");
        let snapshot = d
            .create_volume_snapshot(volume, Some(&name))
            .await
            .context("create_volume_snapshot")?;
        let snap = &snapshot;
        let result: CaseResult = async {
            if let Some(of) = &snapshot.volume_id {
                ensure!(
                    *of == volume.id,
                    "the snapshot names the volume {of:?}, expected {:?}",
                    volume.id
                );
            }
            if let Some(got) = &snapshot.name {
                ensure!(
                    *got == name,
                    "the snapshot is named {got:?}, expected {name:?}"
                );
            }
            poll_until(
                "snapshot listed",
                o.poll_interval,
                o.wait_timeout,
                || async move {
                    let snaps = d
                        .list_volume_snapshots(volume)
                        .await
                        .context("list_volume_snapshots")?;
                    Ok(snaps.iter().any(|s| s.id == snap.id).then_some(()))
                },
            )
            .await?;
            d.destroy_volume_snapshot(&snapshot)
                .await
                .context("destroy_volume_snapshot")?;
            poll_until(
                "snapshot gone after destroy_volume_snapshot",
                o.poll_interval,
                o.wait_timeout,
                || async move {
                    let snaps = d
                        .list_volume_snapshots(volume)
                        .await
                        .context("list_volume_snapshots after destroy_volume_snapshot")?;
                    Ok((!snaps.iter().any(|s| s.id == snap.id)).then_some(()))
                },
            )
            .await?;
            Ok(Outcome::Passed)
        }
        .await;
        destroy_snapshot_quietly(d, &snapshot).await;
        result
    })
    .await
}

// ---------------------------------------------------------------------------------------------

/// The size, image and location nodes are created with.
struct Plan {
    size: String,
    image: String,
    location: Option<String>,
}

async fn plan(d: &dyn ComputeDriver, o: &Options) -> Result<Plan, Failure> {
    let location = match &o.location {
        Some(l) => Some(l.clone()),
        None => d
            .list_locations()
            .await
            .context("list_locations")?
            .first()
            .map(|l| l.id.clone()),
    };
    let size = match &o.size {
        Some(s) => s.clone(),
        None => d
            .list_sizes(location.as_deref())
            .await
            .context("list_sizes")?
            .first()
            .map(|s| s.id.clone())
            .ok_or_else(|| Failure::new("list_sizes is empty; no size to create a node with"))?,
    };
    let image = match &o.image {
        Some(i) => i.clone(),
        None => d
            .list_images(location.as_deref())
            .await
            .context("list_images")?
            .first()
            .map(|i| i.id.clone())
            .ok_or_else(|| Failure::new("list_images is empty; no image to create a node from"))?,
    };
    Ok(Plan {
        size,
        image,
        location,
    })
}

/// Creates a node for `case`, runs `body` with it, and destroys it afterwards, whatever the
/// outcome.
async fn with_node<F>(d: &dyn ComputeDriver, o: &Options, case: &str, body: F) -> CaseResult
where
    F: AsyncFnOnce(&Node) -> CaseResult,
{
    let plan = plan(d, o).await?;
    let name = case_name(case);
    let mut request = CreateNode::new(&name, &plan.size, &plan.image);
    request.location = plan.location.clone();
    let node = match d.create_node(&request).await {
        Ok(node) => node,
        Err(e) => {
            // The node may exist even though the call failed.
            if let Ok(nodes) = d.list_nodes().await {
                for node in nodes.iter().filter(|n| n.name == name) {
                    destroy_quietly(d, node).await;
                }
            }
            return Err(Failure::new(format!("create_node: unexpected error: {e}")));
        }
    };
    let result = if node.id.is_empty() || node.name != name {
        Err(Failure::new(format!(
            "create_node returned the id {:?} and name {:?}, expected a non-empty id and {name:?}",
            node.id, node.name
        )))
    } else {
        body(&node).await
    };
    destroy_quietly(d, &node).await;
    result
}

async fn destroy_quietly(d: &dyn ComputeDriver, node: &Node) {
    best_effort(CLEANUP_LIMIT, async {
        if let Ok(current) = d.get_node(&node.id).await
            && current.state != NodeState::Terminated
        {
            let _ = d.destroy_node(&current).await;
        }
    })
    .await;
}

/// Waits until `node` runs with an address and returns it as listed.
async fn wait_running(d: &dyn ComputeDriver, o: &Options, node: &Node) -> Result<Node, Failure> {
    let ready = d
        .wait_until_running(std::slice::from_ref(node), o.wait())
        .await
        .context("wait_until_running")?;
    let Some((running, ips)) = ready.into_iter().next() else {
        return Err(Failure::new("wait_until_running returned no node"));
    };
    ensure!(
        running.id == node.id && running.state == NodeState::Running && !ips.is_empty(),
        "wait_until_running returned {:?} in state {} with addresses {ips:?}",
        running.id,
        running.state
    );
    Ok(running)
}

/// Creates a volume for `case`, waits until it is available, runs `body` with it, and destroys
/// it afterwards (detaching it first if need be), whatever the outcome.
async fn with_volume<F>(d: &dyn ComputeDriver, o: &Options, case: &str, body: F) -> CaseResult
where
    F: AsyncFnOnce(&StorageVolume) -> CaseResult,
{
    let name = case_name(case);
    let mut request = CreateVolume::new(&name, o.volume_size_gb);
    request.location = match &o.location {
        Some(l) => Some(l.clone()),
        None => d
            .list_locations()
            .await
            .context("list_locations")?
            .first()
            .map(|l| l.id.clone()),
    };
    let volume = d.create_volume(&request).await.context("create_volume")?;
    let result: CaseResult = async {
        ensure!(
            volume.size_gb == o.volume_size_gb,
            "create_volume returned a volume of {} GB, expected {}",
            volume.size_gb,
            o.volume_size_gb
        );
        ensure!(
            volume.name == name,
            "create_volume returned the name {:?}, expected {name:?}",
            volume.name
        );
        let available = poll_volume(d, o, &volume.id, "new volume available", |v| {
            v.state == VolumeState::Available
        })
        .await?;
        body(&available).await
    }
    .await;
    best_effort(CLEANUP_LIMIT, async {
        if let Ok(volumes) = d.list_volumes().await
            && let Some(v) = volumes.iter().find(|v| v.id == volume.id)
        {
            if v.attached_to.is_some() {
                let _ = d.detach_volume(v).await;
                let _ = poll_volume(d, o, &v.id, "detached", |v| v.attached_to.is_none()).await;
            }
            if !matches!(v.state, VolumeState::Deleted | VolumeState::Deleting) {
                let _ = d.destroy_volume(v).await;
            }
        }
    })
    .await;
    result
}

/// Polls `list_volumes` until the volume `id` satisfies `done`; returns it as listed.
async fn poll_volume(
    d: &dyn ComputeDriver,
    o: &Options,
    id: &str,
    what: &str,
    done: impl Fn(&StorageVolume) -> bool,
) -> Result<StorageVolume, Failure> {
    let done = &done;
    poll_until(what, o.poll_interval, o.wait_timeout, || async move {
        let volumes = d.list_volumes().await.context("list_volumes")?;
        let volume = volumes
            .into_iter()
            .find(|v| v.id == id)
            .ok_or_else(|| Failure::new(format!("{what}: list_volumes lacks the volume {id:?}")))?;
        Ok(done(&volume).then_some(volume))
    })
    .await
}

async fn destroy_snapshot_quietly(d: &dyn ComputeDriver, snapshot: &VolumeSnapshot) {
    best_effort(CLEANUP_LIMIT, async {
        let _ = d.destroy_volume_snapshot(snapshot).await;
    })
    .await;
}

async fn check_key_pair_listed(d: &dyn ComputeDriver, key: &KeyPair) -> Result<(), Failure> {
    ensure!(
        !key.fingerprint.trim().is_empty(),
        "the key pair {:?} has an empty fingerprint",
        key.name
    );
    let listed = d.list_key_pairs().await.context("list_key_pairs")?;
    ensure!(
        listed
            .iter()
            .any(|k| k.name == key.name && k.fingerprint == key.fingerprint),
        "list_key_pairs lacks {:?} with fingerprint {:?} (it lists {:?})",
        key.name,
        key.fingerprint,
        listed.iter().map(|k| &k.name).collect::<Vec<_>>()
    );
    let got = d.get_key_pair(&key.name).await.context("get_key_pair")?;
    ensure!(
        got.name == key.name && got.fingerprint == key.fingerprint,
        "get_key_pair({:?}) returned {:?} with fingerprint {:?}, expected {:?}",
        key.name,
        got.name,
        got.fingerprint,
        key.fingerprint
    );
    ensure!(
        got.private_key.is_none(),
        "get_key_pair returned a private key; only create_key_pair may"
    );
    Ok(())
}

async fn check_key_pair_deleted(d: &dyn ComputeDriver, key: &KeyPair) -> Result<(), Failure> {
    d.delete_key_pair(key).await.context("delete_key_pair")?;
    expect_not_found(
        d.get_key_pair(&key.name).await,
        ResourceKind::KeyPair,
        "get_key_pair after delete_key_pair",
    )?;
    let listed = d
        .list_key_pairs()
        .await
        .context("list_key_pairs after delete_key_pair")?;
    ensure!(
        !listed.iter().any(|k| k.name == key.name),
        "list_key_pairs still lists {:?} after delete_key_pair",
        key.name
    );
    Ok(())
}

async fn delete_key_pair_quietly(d: &dyn ComputeDriver, name: &str) {
    best_effort(CLEANUP_LIMIT, async {
        if let Ok(key) = d.get_key_pair(name).await {
            let _ = d.delete_key_pair(&key).await;
        }
    })
    .await;
}

/// A fresh OpenSSH ed25519 public key line (`ssh-ed25519 AAAA... comment`).
pub fn generate_public_key(comment: &str) -> Result<String, Failure> {
    use ssh_key::rand_core::OsRng;
    let key = ssh_key::PrivateKey::random(&mut OsRng, ssh_key::Algorithm::Ed25519)
        .map_err(|e| Failure::new(format!("generating an ed25519 key: {e}")))?;
    let mut public = key.public_key().clone();
    public.set_comment(comment);
    public
        .to_openssh()
        .map_err(|e| Failure::new(format!("encoding an ed25519 public key: {e}")))
}

/// Whether two OpenSSH public key lines hold the same key, whatever their comments.
fn same_public_key(a: &str, b: &str) -> bool {
    fn key(s: &str) -> Vec<&str> {
        s.split_whitespace().take(2).collect()
    }
    key(a) == key(b)
}

/// Checks that a listing's ids are non-empty and unique, and that it is not empty.
fn unique_ids<'a>(
    what: &str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<BTreeSet<&'a str>, Failure> {
    let mut seen = BTreeSet::new();
    for id in ids {
        ensure!(!id.is_empty(), "{what} has an entry with an empty id");
        ensure!(seen.insert(id), "{what} lists the id {id:?} twice");
    }
    ensure!(!seen.is_empty(), "{what} is empty");
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_openssh_ed25519_lines() {
        let line = generate_public_key("lc-test").unwrap();
        assert!(line.starts_with("ssh-ed25519 AAAA"), "{line}");
        assert!(line.ends_with(" lc-test"), "{line}");
        let parsed = ssh_key::PublicKey::from_openssh(&line).unwrap();
        assert_eq!(parsed.algorithm(), ssh_key::Algorithm::Ed25519);
        assert!(same_public_key(&line, line.trim_end_matches(" lc-test")));
        assert!(!same_public_key(
            &line,
            &generate_public_key("lc-test").unwrap()
        ));
    }
}
