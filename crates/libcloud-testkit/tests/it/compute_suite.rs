//! The compute suite against a small in-test driver whose nodes run at once and which has no
//! optional capabilities: the core cases pass, the gated ones are skipped, and each
//! deliberate bug fails the case that covers it.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::Duration;

use libcloud_core::{
    ComputeCapabilities, ComputeDriver, CreateNode, Error, Node, NodeImage, NodeLocation, NodeSize,
    NodeState, ResourceKind, Result, async_trait,
};
use libcloud_testkit::conformance::{Status, compute};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    MissingNodeIsInvalidInput,
    AcceptsAnyImage,
    NoAddress,
    DestroyDoesNothing,
    DuplicateSizeIds,
}

#[derive(Debug, Default)]
struct FakeCompute {
    nodes: Mutex<BTreeMap<String, Node>>,
    fault: Option<Fault>,
}

impl FakeCompute {
    fn with_fault(fault: Fault) -> Self {
        FakeCompute {
            fault: Some(fault),
            ..Default::default()
        }
    }

    fn has(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }
}

fn size(id: &str) -> NodeSize {
    NodeSize {
        id: id.into(),
        name: id.to_uppercase(),
        ram_mb: 512,
        disk_gb: 10,
        bandwidth: None,
        price: None,
        extra: Default::default(),
    }
}

#[async_trait]
impl ComputeDriver for FakeCompute {
    fn name(&self) -> &str {
        "fake"
    }

    fn capabilities(&self) -> ComputeCapabilities {
        ComputeCapabilities::default()
    }

    async fn list_nodes(&self) -> Result<Vec<Node>> {
        Ok(self.nodes.lock().unwrap().values().cloned().collect())
    }

    async fn get_node(&self, node_id: &str) -> Result<Node> {
        match self.nodes.lock().unwrap().get(node_id) {
            Some(n) => Ok(n.clone()),
            None if self.has(Fault::MissingNodeIsInvalidInput) => {
                Err(Error::invalid_input("bad id"))
            }
            None => Err(Error::not_found(ResourceKind::Node, node_id)),
        }
    }

    async fn list_sizes(&self, _location: Option<&str>) -> Result<Vec<NodeSize>> {
        if self.has(Fault::DuplicateSizeIds) {
            return Ok(vec![size("small"), size("small")]);
        }
        Ok(vec![size("small"), size("large")])
    }

    async fn list_images(&self, _location: Option<&str>) -> Result<Vec<NodeImage>> {
        Ok(vec![NodeImage {
            id: "img-1".into(),
            name: "Image one".into(),
            extra: Default::default(),
        }])
    }

    async fn list_locations(&self) -> Result<Vec<NodeLocation>> {
        Ok(vec![NodeLocation {
            id: "here".into(),
            name: "Here".into(),
            country: "NL".into(),
            extra: Default::default(),
        }])
    }

    async fn create_node(&self, request: &CreateNode) -> Result<Node> {
        if request.image != "img-1" && !self.has(Fault::AcceptsAnyImage) {
            return Err(Error::not_found(ResourceKind::Image, &request.image));
        }
        let mut nodes = self.nodes.lock().unwrap();
        let id = format!("node-{}", nodes.len() + 1);
        let public_ips = if self.has(Fault::NoAddress) {
            vec![]
        } else {
            vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, nodes.len() as u8 + 1))]
        };
        let node = Node {
            id: id.clone(),
            name: request.name.clone(),
            state: NodeState::Running,
            public_ips,
            private_ips: vec![],
            size: Some(request.size.clone()),
            image: Some(request.image.clone()),
            created_at: None,
            admin_password: None,
            extra: Default::default(),
        };
        nodes.insert(id, node.clone());
        Ok(node)
    }

    async fn reboot_node(&self, node: &Node) -> Result<()> {
        self.get_node(&node.id).await.map(drop)
    }

    async fn destroy_node(&self, node: &Node) -> Result<()> {
        if self.has(Fault::DestroyDoesNothing) {
            return Ok(());
        }
        self.nodes
            .lock()
            .unwrap()
            .remove(&node.id)
            .map(drop)
            .ok_or_else(|| Error::not_found(ResourceKind::Node, &node.id))
    }
}

fn quick() -> compute::Options {
    compute::Options {
        wait_timeout: Duration::from_millis(300),
        poll_interval: Duration::from_millis(20),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_correct_driver_passes_and_gated_cases_are_skipped() {
    let driver = FakeCompute::default();
    let report = compute::report_with(&driver, &quick()).await;
    assert!(report.failures().is_empty(), "{report:#?}");
    for (case, capability) in [
        ("start_stop", "start_stop"),
        ("key_pair_create", "key_pairs"),
        ("key_pair_import", "key_pairs"),
        ("volume_lifecycle", "volumes"),
        ("volume_snapshots", "volumes"),
    ] {
        assert_eq!(
            report.status(case),
            Some(&Status::Skipped(format!("driver lacks {capability}"))),
            "{case}"
        );
    }
    for case in ["catalog", "node_lifecycle", "missing_node", "bad_image"] {
        assert_eq!(report.status(case), Some(&Status::Ok), "{case}");
    }
    assert!(driver.nodes.lock().unwrap().is_empty(), "nodes left behind");
    compute::run_with(&driver, &quick()).await;
}

#[tokio::test]
async fn options_choose_what_nodes_are_made_of() {
    let driver = FakeCompute::default();
    let unknown = compute::Options {
        image: Some("img-unlisted".into()),
        ..quick()
    };
    let report = compute::report_with(&driver, &unknown).await;
    assert!(matches!(report.status("catalog"), Some(Status::Failed(_))));
    assert!(matches!(
        report.status("node_lifecycle"),
        Some(Status::Failed(_))
    ));
}

#[tokio::test]
async fn each_bug_fails_the_case_that_covers_it() {
    for (fault, case) in [
        (Fault::MissingNodeIsInvalidInput, "missing_node"),
        (Fault::AcceptsAnyImage, "bad_image"),
        (Fault::NoAddress, "node_lifecycle"),
        (Fault::DestroyDoesNothing, "node_lifecycle"),
        (Fault::DuplicateSizeIds, "catalog"),
    ] {
        let driver = FakeCompute::with_fault(fault);
        let report = compute::report_with(&driver, &quick()).await;
        assert!(
            matches!(report.status(case), Some(Status::Failed(_))),
            "{fault:?} should fail {case}: {report:#?}"
        );
    }
}

#[tokio::test]
async fn a_bad_image_that_is_accepted_is_cleaned_up() {
    let driver = FakeCompute::with_fault(Fault::AcceptsAnyImage);
    let failure = compute::bad_image(&driver, &quick()).await.unwrap_err();
    assert!(failure.message().contains("expected an error"), "{failure}");
    assert!(driver.nodes.lock().unwrap().is_empty());
}

#[test]
fn generated_public_keys_parse() {
    let line = compute::generate_public_key("it").unwrap();
    let key = ssh_key_line_parts(&line);
    assert_eq!(key.0, "ssh-ed25519");
    assert!(key.1.len() > 60);
    assert_eq!(key.2, "it");
}

fn ssh_key_line_parts(line: &str) -> (&str, &str, &str) {
    let mut parts = line.split(' ');
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}
