//! Garbled and truncated answers never make the driver panic: each is either read or refused
//! with an error.

use libcloud_core::{ComputeDriver, CreateNode, CreateVolume, StorageVolume, VolumeState};
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::{fixtures, require_fixtures};

use crate::support::driver;

/// A small deterministic generator, so every run garbles the same way.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn variants(sample: &[u8], rng: &mut Lcg) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for cut in (0..sample.len()).step_by((sample.len() / 24).max(1)) {
        out.push(sample[..cut].to_vec());
    }
    for _ in 0..40 {
        let mut garbled = sample.to_vec();
        for _ in 0..(1 + rng.next() % 6) {
            let i = (rng.next() as usize) % garbled.len();
            let alphabet = b"<>/&;x9 \"'\xff";
            garbled[i] = alphabet[(rng.next() as usize) % alphabet.len()];
        }
        out.push(garbled);
    }
    out
}

async fn exercise(body: Vec<u8>, which: &str) {
    let replay = Replay::new().with(Route::post("/").body(body).repeat());
    let d = driver(&replay);
    let volume = StorageVolume {
        id: "vol-1".into(),
        name: "v".into(),
        size_gb: 1,
        state: VolumeState::Available,
        attached_to: None,
        extra: Default::default(),
    };
    match which {
        "describe_instances.xml" => drop(d.list_nodes().await),
        "run_instances.xml" => drop(
            d.with_launch_attempts(1)
                .create_node(&CreateNode::new("n", "t3.micro", "ami-12345678"))
                .await,
        ),
        "describe_images.xml" => drop(d.list_images(None).await),
        "describe_instance_types.xml" => drop(d.list_sizes(None).await),
        "describe_availability_zones.xml" => drop(d.list_locations().await),
        "describe_key_pairs.xml" => drop(d.list_key_pairs().await),
        "describe_volumes.xml" => drop(d.list_volumes().await),
        "create_volume.xml" => drop(
            d.create_volume(&CreateVolume::new("v", 1).location("us-east-1a"))
                .await,
        ),
        "describe_snapshots.xml" => drop(d.list_volume_snapshots(&volume).await),
        "describe_security_groups.xml" => drop(d.ex_list_security_groups().await),
        "describe_addresses_all.xml" => drop(d.ex_describe_all_addresses(false).await),
        "describe_tags.xml" => drop(d.ex_list_tags(&Default::default()).await),
        "get_console_output.xml" => drop(d.ex_get_console_output(&d_node()).await),
        _ => unreachable!("{which}"),
    }
}

fn d_node() -> libcloud_core::Node {
    libcloud_core::Node {
        id: "i-1".into(),
        name: "n".into(),
        state: libcloud_core::NodeState::Running,
        public_ips: vec![],
        private_ips: vec![],
        size: None,
        image: None,
        created_at: None,
        admin_password: None,
        extra: Default::default(),
    }
}

#[tokio::test]
async fn garbled_answers_never_panic() {
    require_fixtures!("ec2");
    let mut rng = Lcg(0xec2);
    for file in [
        "describe_instances.xml",
        "run_instances.xml",
        "describe_images.xml",
        "describe_instance_types.xml",
        "describe_availability_zones.xml",
        "describe_key_pairs.xml",
        "describe_volumes.xml",
        "create_volume.xml",
        "describe_snapshots.xml",
        "describe_security_groups.xml",
        "describe_addresses_all.xml",
        "describe_tags.xml",
        "get_console_output.xml",
    ] {
        let sample = fixtures::read("ec2", file).unwrap();
        for body in variants(&sample, &mut rng) {
            exercise(body, file).await;
        }
    }
}
