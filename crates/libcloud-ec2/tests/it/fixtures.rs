//! Apache Libcloud's recorded EC2 answers, replayed: what the driver makes of each, and what it
//! asked for. Skipped, with a printed reason, where the fixtures are absent.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, UNIX_EPOCH};

use libcloud_core::{
    ComputeDriver, CreateNode, CreateVolume, ErrorKind, KeyPair, Node, NodeImage, NodeState,
    ResourceKind, SnapshotState, StorageVolume, VolumeState,
};
use libcloud_ec2::{ElasticIp, IpPermission, NodeOptions, VolumeChange, VolumeOptions};
use libcloud_testkit::replay::Replay;
use libcloud_testkit::require_fixtures;

use crate::support::{action, driver, fixture, param, sent};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn node(id: &str) -> Node {
    Node {
        id: id.into(),
        name: id.into(),
        state: NodeState::Running,
        public_ips: vec![],
        private_ips: vec![],
        size: None,
        image: None,
        created_at: None,
        admin_password: None,
        extra: Default::default(),
    }
}

fn volume(id: &str, attached_to: Option<&str>) -> StorageVolume {
    StorageVolume {
        id: id.into(),
        name: id.into(),
        size_gb: 1,
        state: VolumeState::InUse,
        attached_to: attached_to.map(str::to_string),
        extra: Default::default(),
    }
}

#[tokio::test]
async fn list_nodes_reads_instances_and_merges_elastic_ips() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("DescribeInstances", "describe_instances.xml"))
        .with(fixture("DescribeAddresses", "describe_addresses_multi.xml"));
    let nodes = driver(&replay).list_nodes().await.unwrap();
    replay.assert_all_used();
    assert_eq!(nodes.len(), 2);

    let a = &nodes[0];
    assert_eq!(a.id, "i-4382922a");
    assert_eq!(a.name, "i-4382922a", "no Name tag: the id");
    assert_eq!(a.state, NodeState::Stopped);
    assert_eq!(a.public_ips, [ip("1.2.3.4")]);
    assert_eq!(a.private_ips, [ip("10.211.11.211")]);
    assert_eq!(a.size.as_deref(), Some("m1.small"));
    assert_eq!(a.image.as_deref(), Some("ami-3215fe5a"));
    assert_eq!(
        a.created_at,
        Some(UNIX_EPOCH + Duration::from_secs(1_385_985_491))
    );
    assert_eq!(a.extra["availability"], "us-east-1d");
    assert_eq!(a.extra["key_name"], "fauxkey");
    assert_eq!(a.extra["status"], "stopped");
    assert_eq!(a.extra["state_code"], 80);
    assert_eq!(a.extra["client_token"], "ifmxj1365530456668");
    assert_eq!(a.extra["reservation_id"], "r-fd67fb97");
    assert_eq!(a.extra["groups"][1]["group_name"], "Test Group 2");
    assert_eq!(
        a.extra["block_device_mapping"][0]["volume_id"],
        "vol-5e312311"
    );
    assert_eq!(a.extra["elastic_ips"][0], "1.2.3.4");
    assert_eq!(
        a.extra["state_reason"]["code"],
        "Client.UserInitiatedShutdown"
    );

    let b = &nodes[1];
    assert_eq!(b.id, "i-8474834a");
    assert_eq!(b.name, "Test Server 2");
    assert_eq!(b.extra["tags"]["Group"], "VPC Test");
    assert_eq!(b.extra["subnet_id"], "subnet-5fd9d412");
    assert_eq!(b.extra["vpc_id"], "vpc-61dcd30e");
    assert_eq!(b.extra["network_interfaces"][0], "eni-c5dffd83");
    assert_eq!(b.public_ips, [ip("1.2.3.5")]);
    assert_eq!(b.private_ips, [ip("172.16.9.139"), ip("172.16.4.139")]);
    assert!(!b.extra.contains_key("elastic_ips"));

    let listing = &sent(&replay, "DescribeInstances")[0];
    assert_eq!(param(listing, "Version").as_deref(), Some("2016-11-15"));
    assert_eq!(param(listing, "MaxResults").as_deref(), Some("1000"));
    let auth = listing.header("authorization").unwrap();
    assert!(auth.contains("/us-east-1/ec2/aws4_request"), "{auth}");
}

#[tokio::test]
async fn elastic_ips_missing_from_the_instance_are_added() {
    require_fixtures!("ec2");
    for file in [
        "describe_addresses.xml",
        "describe_addresses_single.xml",
        "describe_addresses_all.xml",
    ] {
        let replay = Replay::new()
            .with(fixture("DescribeInstances", "describe_instances.xml"))
            .with(fixture("DescribeAddresses", file));
        let nodes = driver(&replay).list_nodes().await.unwrap();
        assert_eq!(nodes[0].public_ips, [ip("1.2.3.4")], "{file}");
        assert_eq!(nodes[0].extra["elastic_ips"][0], "1.2.3.4", "{file}");
    }
    // An address the instance document does not show is added to the node's public ones.
    let extra_eip = "<DescribeAddressesResponse><addressesSet><item><publicIp>198.51.100.7</publicIp>\
        <instanceId>i-8474834a</instanceId><domain>vpc</domain><allocationId>eipalloc-1</allocationId>\
        <associationId>eipassoc-1</associationId></item></addressesSet></DescribeAddressesResponse>";
    let replay = Replay::new()
        .with(fixture("DescribeInstances", "describe_instances.xml"))
        .with(action("DescribeAddresses").body(extra_eip));
    let nodes = driver(&replay).list_nodes().await.unwrap();
    assert_eq!(nodes[1].public_ips, [ip("1.2.3.5"), ip("198.51.100.7")]);
}

#[tokio::test]
async fn get_node_asks_for_one_instance() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("DescribeInstances", "describe_instances.xml"))
        .with(fixture("DescribeAddresses", "describe_addresses.xml"));
    let got = driver(&replay).get_node("i-8474834a").await.unwrap();
    assert_eq!(got.name, "Test Server 2");
    let req = &sent(&replay, "DescribeInstances")[0];
    assert_eq!(param(req, "InstanceId.1").as_deref(), Some("i-8474834a"));
    assert_eq!(
        param(req, "MaxResults"),
        None,
        "EC2 refuses MaxResults with ids"
    );
}

#[tokio::test]
async fn run_instances_answers_become_nodes() {
    require_fixtures!("ec2");
    let replay = Replay::new().with(fixture("RunInstances", "run_instances.xml"));
    let request = CreateNode::new("web-1", "m1.small", "ami-be3adfd7")
        .key_pair("example-key-name")
        .user_data("#!/bin/sh\necho hi\n");
    let created = driver(&replay).create_node(&request).await.unwrap();
    assert_eq!(created.id, "i-2ba64342");
    assert_eq!(created.name, "web-1");
    assert_eq!(created.state, NodeState::Pending);
    assert_eq!(created.size.as_deref(), Some("m1.small"));
    assert_eq!(created.image.as_deref(), Some("ami-be3adfd7"));
    assert_eq!(created.extra["availability"], "us-east-1b");
    assert_eq!(created.extra["monitoring"], "enabled");
    assert_eq!(created.extra["owner_id"], "AIDADH4IGTRXXKCD");
    let token = created.extra["client_token"].as_str().unwrap().to_string();
    assert!(token.starts_with("lc-"), "{token}");

    let req = &sent(&replay, "RunInstances")[0];
    assert_eq!(param(req, "ImageId").as_deref(), Some("ami-be3adfd7"));
    assert_eq!(param(req, "InstanceType").as_deref(), Some("m1.small"));
    assert_eq!(param(req, "MinCount").as_deref(), Some("1"));
    assert_eq!(param(req, "MaxCount").as_deref(), Some("1"));
    assert_eq!(param(req, "KeyName").as_deref(), Some("example-key-name"));
    assert_eq!(
        param(req, "UserData").as_deref(),
        Some("IyEvYmluL3NoCmVjaG8gaGkK")
    );
    assert_eq!(param(req, "ClientToken"), Some(token));
    assert_eq!(
        param(req, "TagSpecification.1.ResourceType").as_deref(),
        Some("instance")
    );
    assert_eq!(
        param(req, "TagSpecification.1.Tag.1.Key").as_deref(),
        Some("Name")
    );
    assert_eq!(
        param(req, "TagSpecification.1.Tag.1.Value").as_deref(),
        Some("web-1")
    );
}

#[tokio::test]
async fn run_instances_variants() {
    require_fixtures!("ec2");
    let ec2 = |file: &str| {
        let replay = Replay::new().with(fixture("RunInstances", file));
        (driver(&replay), replay)
    };

    let (d, replay) = ec2("run_instances_idem.xml");
    let options = NodeOptions::default().client_token("testclienttoken");
    let created = d
        .create_node(&options.apply(CreateNode::new("idem", "m1.small", "ami-be3adfd7")))
        .await
        .unwrap();
    assert_eq!(created.extra["client_token"], "testclienttoken");
    let req = &sent(&replay, "RunInstances")[0];
    assert_eq!(
        param(req, "ClientToken").as_deref(),
        Some("testclienttoken")
    );

    let (d, replay) = ec2("run_instances_iam_profile.xml");
    let options = NodeOptions::default().iam_instance_profile("ExampleInstanceProfile");
    let created = d
        .create_node(&options.apply(CreateNode::new("iam", "m1.small", "ami-be3adfd7")))
        .await
        .unwrap();
    assert_eq!(created.id, "i-2ba64343");
    assert_eq!(
        created.extra["iam_profile"],
        "arn:aws:iam::123456789012:instance-profile/ExampleInstanceProfile"
    );
    let req = &sent(&replay, "RunInstances")[0];
    assert_eq!(
        param(req, "IamInstanceProfile.Name").as_deref(),
        Some("ExampleInstanceProfile")
    );

    let (d, replay) = ec2("run_instances_spot.xml");
    let options = NodeOptions::default().spot();
    let created = d
        .create_node(&options.apply(CreateNode::new("spot", "m1.small", "ami-be3adfd7")))
        .await
        .unwrap();
    assert_eq!(created.extra["instance_lifecycle"], "spot");
    let req = &sent(&replay, "RunInstances")[0];
    assert_eq!(
        param(req, "InstanceMarketOptions.MarketType").as_deref(),
        Some("spot")
    );

    let (d, replay) = ec2("run_instances_with_subnet_and_security_group.xml");
    let options = NodeOptions::default()
        .subnet("subnet-11111111")
        .security_group_id("sg-11111111");
    let created = d
        .create_node(&options.apply(CreateNode::new("vpc", "m3.medium", "ami-11111111")))
        .await
        .unwrap();
    assert_eq!(created.id, "i-11111111");
    assert_eq!(created.extra["subnet_id"], "subnet-11111111");
    assert_eq!(created.extra["groups"][0]["group_id"], "sg-11111111");
    assert_eq!(created.private_ips, [ip("192.0.2.5")]);
    assert!(created.public_ips.is_empty());
    let req = &sent(&replay, "RunInstances")[0];
    assert_eq!(param(req, "SubnetId").as_deref(), Some("subnet-11111111"));
    assert_eq!(
        param(req, "SecurityGroupId.1").as_deref(),
        Some("sg-11111111")
    );
}

#[tokio::test]
async fn a_reused_client_token_with_other_arguments_is_invalid_input() {
    require_fixtures!("ec2");
    let replay = Replay::new().with(
        action("RunInstances")
            .status(400)
            .fixture("ec2", "run_instances_idem_mismatch.xml"),
    );
    let options = NodeOptions::default().client_token("testclienttoken");
    let err = driver(&replay)
        .create_node(&options.apply(CreateNode::new("x", "m1.large", "ami-be3adfd7")))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.provider(), Some("ec2"));
    assert_eq!(err.operation(), Some("create_node"));
    assert_eq!(
        err.request_id(),
        Some("5dabd361-d2e0-4f79-937d-4b2852a3b719")
    );
    assert!(
        err.to_string().contains("IdempotentParameterMismatch"),
        "{err}"
    );
    assert_eq!(sent(&replay, "RunInstances").len(), 1, "not retried");
}

#[tokio::test]
async fn state_changes() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("RebootInstances", "reboot_instances.xml"))
        .with(fixture("StartInstances", "start_instances.xml"))
        .with(fixture("StopInstances", "stop_instances.xml"))
        .with(fixture("TerminateInstances", "terminate_instances.xml"));
    let d = driver(&replay);
    let n = node("i-4382922a");
    d.reboot_node(&n).await.unwrap();
    d.start_node(&n).await.unwrap();
    d.stop_node(&n).await.unwrap();
    d.destroy_node(&n).await.unwrap();
    replay.assert_all_used();
    for action in [
        "RebootInstances",
        "StartInstances",
        "StopInstances",
        "TerminateInstances",
    ] {
        let req = &sent(&replay, action)[0];
        assert_eq!(param(req, "InstanceId.1").as_deref(), Some("i-4382922a"));
    }
    let refused = Replay::new().with(
        action("RebootInstances")
            .body("<RebootInstancesResponse><return>false</return></RebootInstancesResponse>"),
    );
    let err = driver(&refused).reboot_node(&n).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Provider { .. }), "{err:?}");
}

#[tokio::test]
async fn sizes_from_describe_instance_types() {
    require_fixtures!("ec2");
    // The recorded answer is Eucalyptus's shape of DescribeInstanceTypes.
    let replay = Replay::new().with(fixture(
        "DescribeInstanceTypes",
        "describe_instance_types.xml",
    ));
    let sizes = driver(&replay).list_sizes(None).await.unwrap();
    assert_eq!(sizes.len(), 18);
    let small = sizes.iter().find(|s| s.id == "m1.small").unwrap();
    assert_eq!((small.ram_mb, small.disk_gb), (256, 5));
    assert_eq!(small.extra["vcpus"], 1);
    assert_eq!(small.price, None);
    let big = sizes.iter().find(|s| s.id == "hs1.8xlarge").unwrap();
    assert_eq!((big.ram_mb, big.disk_gb), (119_808, 24_000));
    let req = &sent(&replay, "DescribeInstanceTypes")[0];
    assert_eq!(param(req, "MaxResults").as_deref(), Some("100"));
}

#[tokio::test]
async fn images_from_describe_images() {
    require_fixtures!("ec2");
    let replay = Replay::new().with(fixture("DescribeImages", "describe_images.xml"));
    let images = driver(&replay).list_images(None).await.unwrap();
    assert_eq!(images.len(), 3);
    let first = &images[0];
    assert_eq!(first.id, "ami-57ba933a");
    assert_eq!(first.name, "Test Image");
    assert_eq!(first.extra["owner_id"], "123456788908");
    assert_eq!(first.extra["description"], "Testing Stuff");
    assert_eq!(first.extra["is_public"], false);
    assert_eq!(first.extra["root_device_type"], "ebs");
    assert_eq!(
        first.extra["block_device_mapping"][0]["ebs"]["snapshot_id"],
        "snap-88123ed9"
    );
    assert_eq!(
        first.extra["block_device_mapping"][0]["ebs"]["volume_size"],
        10
    );
    assert_eq!(
        first.extra["block_device_mapping"][1]["virtual_name"],
        "ephemeral0"
    );
    assert!(!images[1].extra.contains_key("creation_date"));
    let listing = &sent(&replay, "DescribeImages")[0];
    assert_eq!(param(listing, "MaxResults").as_deref(), Some("1000"));

    let replay = Replay::new().with(fixture("DescribeImages", "describe_images_ex_imageids.xml"));
    let image = driver(&replay).get_image("ami-57ba933a").await.unwrap();
    assert_eq!(image.name, "Test Image");
    let req = &sent(&replay, "DescribeImages")[0];
    assert_eq!(param(req, "ImageId.1").as_deref(), Some("ami-57ba933a"));
    assert_eq!(
        param(req, "MaxResults"),
        None,
        "EC2 refuses MaxResults with ids"
    );
}

#[tokio::test]
async fn locations_from_describe_availability_zones() {
    require_fixtures!("ec2");
    let replay = Replay::new().with(fixture(
        "DescribeAvailabilityZones",
        "describe_availability_zones.xml",
    ));
    let zones = driver(&replay).list_locations().await.unwrap();
    let ids: Vec<&str> = zones.iter().map(|z| z.id.as_str()).collect();
    assert_eq!(ids, ["eu-west-1a", "eu-west-1b"]);
    assert_eq!(zones[0].country, "IE");
    assert_eq!(zones[0].extra["zone_state"], "available");
    assert_eq!(zones[0].extra["region_name"], "eu-west-1");
}

#[tokio::test]
async fn key_pairs() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("DescribeKeyPairs", "describe_key_pairs.xml"))
        .with(fixture("CreateKeyPair", "create_key_pair.xml"))
        .with(fixture("ImportKeyPair", "import_key_pair.xml"))
        .with(fixture("DeleteKeyPair", "delete_key_pair.xml"))
        .with(
            action("DescribeKeyPairs")
                .status(400)
                .fixture("ec2", "describe_key_pairs_doesnt_exist.xml"),
        );
    let d = driver(&replay);

    let listed = d.list_key_pairs().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "gsg-keypair");
    assert_eq!(
        listed[0].fingerprint,
        "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00"
    );
    assert!(listed[0].private_key.is_none());
    let req = &sent(&replay, "DescribeKeyPairs")[0];
    assert_eq!(param(req, "IncludePublicKey").as_deref(), Some("true"));

    let created = d.create_key_pair("my-key-pair").await.unwrap();
    assert_eq!(created.name, "my-key-pair");
    assert_eq!(
        created.fingerprint,
        "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f"
    );
    let private = created.private_key.as_ref().unwrap().expose();
    assert!(
        private.starts_with("---- BEGIN RSA PRIVATE KEY ----"),
        "{private}"
    );
    assert!(
        !format!("{created:?}")
            .contains("MIICiTCCAfICCQD6m7oRw0uXOjANBgkqhkiG9w0BAQUFADCBiDELMAkGA1UEBhMC")
    );

    let material =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDAnHgnAMjG8ZaWGaXhX5pYn2OtvDnVJnMHoVDl5kyPu test";
    let imported = d
        .import_key_pair_from_string("keypair", material)
        .await
        .unwrap();
    assert_eq!(imported.name, "keypair");
    assert_eq!(imported.public_key.as_deref(), Some(material));
    let req = &sent(&replay, "ImportKeyPair")[0];
    let encoded = param(req, "PublicKeyMaterial").unwrap();
    assert!(encoded.starts_with("c3NoLWVkMjU1MTkg"), "{encoded}");

    d.delete_key_pair(&imported).await.unwrap();
    let req = &sent(&replay, "DeleteKeyPair")[0];
    assert_eq!(param(req, "KeyName").as_deref(), Some("keypair"));

    let err = d.get_key_pair("test-key-pair").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::KeyPair,
            id: "test-key-pair".into()
        }
    );
    assert_eq!(
        err.request_id(),
        Some("31b97300-eb8e-405e-9567-b0f57b791fed")
    );
    assert_eq!(err.operation(), Some("get_key_pair"));
    replay.assert_all_used();
}

#[tokio::test]
async fn volumes() {
    require_fixtures!("ec2");
    let replay = Replay::new().with(fixture("DescribeVolumes", "describe_volumes.xml"));
    let volumes = driver(&replay).list_volumes().await.unwrap();
    assert_eq!(volumes.len(), 3);
    assert_eq!(volumes[0].id, "vol-10ae5e2b");
    assert_eq!(volumes[0].name, "vol-10ae5e2b");
    assert_eq!(volumes[0].size_gb, 1);
    assert_eq!(volumes[0].state, VolumeState::Available);
    assert_eq!(volumes[0].extra["zone"], "us-east-1d");
    assert_eq!(volumes[1].state, VolumeState::InUse);
    assert_eq!(volumes[2].state, VolumeState::Unknown);
    assert_eq!(volumes[2].attached_to.as_deref(), Some("i-d334b4b3"));
    assert_eq!(volumes[2].extra["device"], "/dev/sda1");
    assert_eq!(volumes[2].extra["snapshot_id"], "snap-30d37269");
    assert_eq!(volumes[2].extra["volume_type"], "standard");

    let replay = Replay::new()
        .with(fixture("CreateVolume", "create_volume.xml"))
        .with(fixture("CreateVolume", "create_encrypted_volume.xml"))
        .with(fixture(
            "DescribeAvailabilityZones",
            "describe_availability_zones.xml",
        ))
        .with(fixture("CreateVolume", "create_volume.xml"));
    let d = driver(&replay);
    let made = d
        .create_volume(&CreateVolume::new("data", 10).location("us-east-1a"))
        .await
        .unwrap();
    assert_eq!(made.id, "vol-4d826724");
    assert_eq!(made.name, "data");
    assert_eq!(made.size_gb, 10);
    assert_eq!(made.state, VolumeState::Creating);
    assert_eq!(made.extra["encrypted"], false);
    let options = VolumeOptions::default().encrypted(None).volume_type("gp3");
    let secret = d
        .create_volume(&options.apply(CreateVolume::new("vault", 10).location("us-east-1a")))
        .await
        .unwrap();
    assert_eq!(secret.extra["encrypted"], true);
    // Without a location the volume goes to the region's first zone.
    d.create_volume(&CreateVolume::new("anywhere", 10))
        .await
        .unwrap();
    let reqs = sent(&replay, "CreateVolume");
    assert_eq!(param(&reqs[0], "Size").as_deref(), Some("10"));
    assert_eq!(
        param(&reqs[0], "AvailabilityZone").as_deref(),
        Some("us-east-1a")
    );
    assert_eq!(
        param(&reqs[0], "TagSpecification.1.ResourceType").as_deref(),
        Some("volume")
    );
    assert_eq!(
        param(&reqs[0], "TagSpecification.1.Tag.1.Value").as_deref(),
        Some("data")
    );
    assert_eq!(param(&reqs[1], "Encrypted").as_deref(), Some("true"));
    assert_eq!(param(&reqs[1], "VolumeType").as_deref(), Some("gp3"));
    assert_eq!(
        param(&reqs[2], "AvailabilityZone").as_deref(),
        Some("eu-west-1a")
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn attach_detach_and_delete_volumes() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("AttachVolume", "attach_volume.xml"))
        .with(fixture("DescribeInstances", "describe_instances.xml"))
        .with(fixture("AttachVolume", "attach_volume.xml"))
        .with(fixture("DetachVolume", "detach_volume.xml"))
        .with(fixture("DeleteVolume", "delete_volume.xml"));
    let d = driver(&replay);
    let n = node("i-6058a509");
    let v = volume("vol-4d826724", None);
    d.attach_volume(&n, &v, Some("/dev/sdh")).await.unwrap();
    // With no device named, the first free one is picked (the instance uses /dev/sda1).
    d.attach_volume(&n, &v, None).await.unwrap();
    d.detach_volume(&volume("vol-4d826724", Some("i-6058a509")))
        .await
        .unwrap();
    d.destroy_volume(&v).await.unwrap();
    replay.assert_all_used();
    let attach = sent(&replay, "AttachVolume");
    assert_eq!(param(&attach[0], "Device").as_deref(), Some("/dev/sdh"));
    assert_eq!(
        param(&attach[0], "InstanceId").as_deref(),
        Some("i-6058a509")
    );
    assert_eq!(param(&attach[1], "Device").as_deref(), Some("/dev/sdf"));
    let detach = &sent(&replay, "DetachVolume")[0];
    assert_eq!(param(detach, "VolumeId").as_deref(), Some("vol-4d826724"));
    assert_eq!(param(detach, "InstanceId").as_deref(), Some("i-6058a509"));
    let delete = &sent(&replay, "DeleteVolume")[0];
    assert_eq!(param(delete, "VolumeId").as_deref(), Some("vol-4d826724"));
}

#[tokio::test]
async fn snapshots() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("DescribeSnapshots", "describe_snapshots.xml"))
        .with(fixture("CreateSnapshot", "create_snapshot.xml"))
        .with(fixture("DeleteSnapshot", "delete_snapshot.xml"));
    let d = driver(&replay);
    let v = volume("vol-e020df80", None);
    let snaps = d.list_volume_snapshots(&v).await.unwrap();
    // The recorded answer repeats <snapshotSet>: every set counts.
    let ids: Vec<&str> = snaps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["snap-428abd35", "snap-18349159", "snap-18349160"]);
    assert_eq!(snaps[0].state, SnapshotState::Creating);
    assert_eq!(snaps[0].name, None);
    assert_eq!(snaps[0].volume_id.as_deref(), Some("vol-e020df80"));
    assert_eq!(snaps[0].size_gb, Some(30));
    assert_eq!(snaps[0].extra["description"], "Daily Backup");
    assert_eq!(snaps[0].extra["tags"]["Keyone"], "DB_Backup");
    assert_eq!(snaps[1].state, SnapshotState::Available);
    assert_eq!(snaps[1].name.as_deref(), Some("DB Backup 1"));
    assert_eq!(
        snaps[1].created_at,
        Some(UNIX_EPOCH + Duration::from_secs(1_379_260_830))
    );
    let listing = &sent(&replay, "DescribeSnapshots")[0];
    assert_eq!(param(listing, "Owner.1").as_deref(), Some("self"));
    assert_eq!(
        param(listing, "Filter.1.Name").as_deref(),
        Some("volume-id")
    );
    assert_eq!(
        param(listing, "Filter.1.Value.1").as_deref(),
        Some("vol-e020df80")
    );

    let made = d
        .create_volume_snapshot(&volume("vol-4282672b", None), Some("nightly"))
        .await
        .unwrap();
    assert_eq!(made.id, "snap-a7cb2hd9");
    assert_eq!(made.name.as_deref(), Some("nightly"));
    assert_eq!(made.state, SnapshotState::Creating);
    assert_eq!(made.size_gb, Some(10));
    let req = &sent(&replay, "CreateSnapshot")[0];
    assert_eq!(param(req, "VolumeId").as_deref(), Some("vol-4282672b"));
    assert_eq!(param(req, "Description").as_deref(), Some("nightly"));
    assert_eq!(
        param(req, "TagSpecification.1.ResourceType").as_deref(),
        Some("snapshot")
    );

    d.destroy_volume_snapshot(&made).await.unwrap();
    let req = &sent(&replay, "DeleteSnapshot")[0];
    assert_eq!(param(req, "SnapshotId").as_deref(), Some("snap-a7cb2hd9"));
    replay.assert_all_used();
}

#[tokio::test]
async fn elastic_ips() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("DescribeAddresses", "describe_addresses_all.xml").repeat())
        .with(fixture("AllocateAddress", "allocate_address.xml"))
        .with(fixture("AllocateAddress", "allocate_vpc_address.xml"))
        .with(fixture("AssociateAddress", "associate_address.xml"))
        .with(fixture("AssociateAddress", "associate_vpc_address.xml"))
        .with(fixture("DisassociateAddress", "disassociate_address.xml"))
        .with(fixture("ReleaseAddress", "release_address.xml"));
    let d = driver(&replay);

    let all = d.ex_describe_all_addresses(false).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].public_ip, "1.2.3.4");
    assert_eq!(all[0].allocation_id.as_deref(), Some("eipalloc-602b5d01"));
    assert_eq!(all[0].association_id.as_deref(), Some("eipassoc-cea049ab"));
    assert_eq!(all[0].private_ip.as_deref(), Some("192.168.1.5"));
    assert_eq!(all[2].domain, "standard");
    let associated = d.ex_describe_all_addresses(true).await.unwrap();
    assert_eq!(associated.len(), 2);

    let classic = d.ex_allocate_address(false).await.unwrap();
    assert_eq!(
        (classic.public_ip.as_str(), classic.domain.as_str()),
        ("192.0.2.1", "standard")
    );
    let vpc = d.ex_allocate_address(true).await.unwrap();
    assert_eq!(vpc.allocation_id.as_deref(), Some("eipalloc-666d7f04"));
    let allocs = sent(&replay, "AllocateAddress");
    assert_eq!(param(&allocs[0], "Domain"), None);
    assert_eq!(param(&allocs[1], "Domain").as_deref(), Some("vpc"));

    let n = node("i-4382922a");
    assert_eq!(
        d.ex_associate_address_with_node(&n, &classic)
            .await
            .unwrap(),
        None
    );
    let assoc = d.ex_associate_address_with_node(&n, &vpc).await.unwrap();
    assert_eq!(assoc.as_deref(), Some("eipassoc-167a8073"));
    let reqs = sent(&replay, "AssociateAddress");
    assert_eq!(param(&reqs[0], "PublicIp").as_deref(), Some("192.0.2.1"));
    assert_eq!(
        param(&reqs[1], "AllocationId").as_deref(),
        Some("eipalloc-666d7f04")
    );
    assert_eq!(param(&reqs[1], "InstanceId").as_deref(), Some("i-4382922a"));

    let mut bound: ElasticIp = vpc.clone();
    bound.association_id = assoc;
    d.ex_disassociate_address(&bound).await.unwrap();
    assert_eq!(
        param(&sent(&replay, "DisassociateAddress")[0], "AssociationId").as_deref(),
        Some("eipassoc-167a8073")
    );
    // A VPC address without its association id cannot be taken off: say so before asking.
    let err = d.ex_disassociate_address(&vpc).await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    d.ex_release_address(&vpc).await.unwrap();
    assert_eq!(
        param(&sent(&replay, "ReleaseAddress")[0], "AllocationId").as_deref(),
        Some("eipalloc-666d7f04")
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn security_groups() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture(
            "DescribeSecurityGroups",
            "describe_security_groups.xml",
        ))
        .with(fixture("CreateSecurityGroup", "create_security_group.xml"))
        .with(fixture(
            "AuthorizeSecurityGroupIngress",
            "authorize_security_group_ingress.xml",
        ))
        .with(fixture(
            "RevokeSecurityGroupIngress",
            "revoke_security_group_ingress.xml",
        ))
        .with(fixture(
            "AuthorizeSecurityGroupEgress",
            "authorize_security_group_egress.xml",
        ))
        .with(fixture(
            "RevokeSecurityGroupEgress",
            "revoke_security_group_egress.xml",
        ))
        .with(fixture("DeleteSecurityGroup", "delete_security_group.xml"));
    let d = driver(&replay);

    let groups = d.ex_list_security_groups().await.unwrap();
    assert_eq!(groups.len(), 2);
    let web = &groups[0];
    assert_eq!(
        (web.id.as_str(), web.name.as_str()),
        ("sg-443d0a12", "WebServers")
    );
    assert_eq!(web.description, "Web Servers");
    assert_eq!(web.vpc_id, None);
    assert_eq!(web.owner_id.as_deref(), Some("111122223333"));
    assert_eq!(web.ingress, [IpPermission::tcp(80).cidr("0.0.0.0/0")]);
    let ranged = &groups[1].ingress[0];
    assert_eq!((ranged.from_port, ranged.to_port), (Some(6000), Some(7000)));
    assert_eq!(ranged.groups[0].group_id.as_deref(), Some("sg-99gh4012"));
    assert_eq!(ranged.groups[0].group_name.as_deref(), Some("Group B"));

    let id = d
        .ex_create_security_group("web", "web servers", Some("vpc-1"))
        .await
        .unwrap();
    assert_eq!(id, "sg-52e2f530");
    let req = &sent(&replay, "CreateSecurityGroup")[0];
    assert_eq!(param(req, "GroupName").as_deref(), Some("web"));
    assert_eq!(
        param(req, "GroupDescription").as_deref(),
        Some("web servers")
    );
    assert_eq!(param(req, "VpcId").as_deref(), Some("vpc-1"));

    let rules = [
        IpPermission::tcp(22).cidr("10.0.0.0/8").cidr_ipv6("::/0"),
        IpPermission::new("udp", 53, 53).group_id("sg-2"),
    ];
    d.ex_authorize_security_group_ingress(&id, &rules)
        .await
        .unwrap();
    d.ex_revoke_security_group_ingress(&id, &rules)
        .await
        .unwrap();
    d.ex_authorize_security_group_egress(&id, &rules[..1])
        .await
        .unwrap();
    d.ex_revoke_security_group_egress(&id, &rules[..1])
        .await
        .unwrap();
    let req = &sent(&replay, "AuthorizeSecurityGroupIngress")[0];
    assert_eq!(param(req, "GroupId").as_deref(), Some("sg-52e2f530"));
    assert_eq!(
        param(req, "IpPermissions.1.IpProtocol").as_deref(),
        Some("tcp")
    );
    assert_eq!(
        param(req, "IpPermissions.1.FromPort").as_deref(),
        Some("22")
    );
    assert_eq!(param(req, "IpPermissions.1.ToPort").as_deref(), Some("22"));
    assert_eq!(
        param(req, "IpPermissions.1.IpRanges.1.CidrIp").as_deref(),
        Some("10.0.0.0/8")
    );
    assert_eq!(
        param(req, "IpPermissions.1.Ipv6Ranges.1.CidrIpv6").as_deref(),
        Some("::/0")
    );
    assert_eq!(
        param(req, "IpPermissions.2.Groups.1.GroupId").as_deref(),
        Some("sg-2")
    );
    d.ex_delete_security_group(&id).await.unwrap();
    replay.assert_all_used();
    let err = d
        .ex_authorize_security_group_ingress(&id, &[])
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn tags() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("CreateTags", "create_tags.xml"))
        .with(fixture("DeleteTags", "delete_tags.xml"))
        .with(fixture("DescribeTags", "describe_tags.xml"));
    let d = driver(&replay);
    let tags = BTreeMap::from([
        ("owner".to_string(), "libcloud".to_string()),
        ("stack".to_string(), "Production".to_string()),
    ]);
    d.ex_create_tags("i-4382922a", &tags).await.unwrap();
    d.ex_delete_tags("i-4382922a", &["stack".to_string()])
        .await
        .unwrap();
    let described = d.ex_describe_tags("i-4382922a").await.unwrap();
    assert_eq!(described.len(), 3);
    assert_eq!(described["tag"], "test one");
    assert_eq!(described["owner"], "libcloud");
    replay.assert_all_used();
    let create = &sent(&replay, "CreateTags")[0];
    assert_eq!(param(create, "ResourceId.1").as_deref(), Some("i-4382922a"));
    assert_eq!(param(create, "Tag.1.Key").as_deref(), Some("owner"));
    assert_eq!(param(create, "Tag.2.Value").as_deref(), Some("Production"));
    let delete = &sent(&replay, "DeleteTags")[0];
    assert_eq!(param(delete, "Tag.1.Key").as_deref(), Some("stack"));
    assert_eq!(param(delete, "Tag.1.Value"), None);
    let describe = &sent(&replay, "DescribeTags")[0];
    assert_eq!(
        param(describe, "Filter.1.Name").as_deref(),
        Some("resource-id")
    );
}

#[tokio::test]
async fn images_console_and_networks() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("CreateImage", "create_image.xml"))
        .with(fixture("CopyImage", "copy_image.xml"))
        .with(fixture("DeregisterImage", "deregister_image.xml"))
        .with(fixture("GetConsoleOutput", "get_console_output.xml"))
        .with(fixture("DescribeSubnets", "describe_subnets.xml"))
        .with(fixture("DescribeVpcs", "describe_vpcs.xml"));
    let d = driver(&replay);
    let n = node("i-40128925");
    let image = d
        .ex_create_image(&n, "backup", Some("nightly"))
        .await
        .unwrap();
    assert_eq!(
        (image.id.as_str(), image.name.as_str()),
        ("ami-e9b38280", "backup")
    );
    let copy = d
        .ex_copy_image("us-west-2", "ami-e9b38280", "copy", None)
        .await
        .unwrap();
    assert_eq!(copy.id, "ami-4db38224");
    let req = &sent(&replay, "CopyImage")[0];
    assert_eq!(param(req, "SourceRegion").as_deref(), Some("us-west-2"));
    assert_eq!(param(req, "SourceImageId").as_deref(), Some("ami-e9b38280"));
    d.ex_delete_image(&NodeImage {
        id: "ami-e9b38280".into(),
        name: "backup".into(),
        extra: Default::default(),
    })
    .await
    .unwrap();

    let console = d.ex_get_console_output(&n).await.unwrap();
    assert_eq!(console.output, "Test String");
    assert_eq!(console.instance_id, "i-40128925");
    assert_eq!(
        console.timestamp.as_deref(),
        Some("2013-12-02T12:31:38.000Z")
    );

    let subnets = d.ex_list_subnets().await.unwrap();
    assert_eq!(subnets.len(), 2);
    assert_eq!(subnets[0].id, "subnet-ce0e7ce5");
    assert_eq!(subnets[0].name, "Test Subnet 1");
    assert_eq!(subnets[0].available_ip_address_count, Some(123));
    assert_eq!(subnets[1].availability_zone.as_deref(), Some("us-east-1b"));
    let vpcs = d.ex_list_networks().await.unwrap();
    assert_eq!(vpcs.len(), 2);
    assert_eq!(vpcs[0].name, "vpc-532335e1");
    assert_eq!(vpcs[1].name, "Test VPC");
    assert_eq!(vpcs[1].cidr_block.as_deref(), Some("192.168.52.0/24"));
    assert!(!vpcs[1].is_default);
    replay.assert_all_used();
}

#[tokio::test]
async fn key_pair_names_are_what_delete_sends() {
    require_fixtures!("ec2");
    let replay = Replay::new().with(fixture("DeleteKeyPair", "delete_key_pair.xml"));
    let key = KeyPair {
        name: "a b/c".into(),
        public_key: None,
        fingerprint: String::new(),
        private_key: None,
        extra: Default::default(),
    };
    driver(&replay).delete_key_pair(&key).await.unwrap();
    let req = &sent(&replay, "DeleteKeyPair")[0];
    assert!(
        req.body_text().contains("KeyName=a%20b%2Fc"),
        "{}",
        req.body_text()
    );
}

#[tokio::test]
async fn detaching_a_volume_whose_node_is_unknown_asks_for_it() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("DescribeVolumes", "describe_volumes.xml"))
        .with(fixture("DetachVolume", "detach_volume.xml"));
    driver(&replay)
        .detach_volume(&volume("vol-b6c851ec", None))
        .await
        .unwrap();
    let describe = &sent(&replay, "DescribeVolumes")[0];
    assert_eq!(
        param(describe, "VolumeId.1").as_deref(),
        Some("vol-b6c851ec")
    );
    let detach = &sent(&replay, "DetachVolume")[0];
    assert_eq!(param(detach, "InstanceId").as_deref(), Some("i-d334b4b3"));
}

#[tokio::test]
async fn nodes_are_listed_without_permission_to_list_addresses() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("DescribeInstances", "describe_instances.xml"))
        .with(
            action("DescribeAddresses")
                .status(403)
                .body(crate::support::ec2_error(
                    "UnauthorizedOperation",
                    "You are not authorized to perform this operation.",
                )),
        );
    let nodes = driver(&replay).list_nodes().await.unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0].public_ips, [ip("1.2.3.4")]);
}

#[tokio::test]
async fn networks_subnets_and_resizing() {
    require_fixtures!("ec2");
    let replay = Replay::new()
        .with(fixture("CreateVpc", "create_vpc.xml"))
        .with(fixture("CreateSubnet", "create_subnet.xml"))
        .with(fixture("DeleteSubnet", "delete_subnet.xml"))
        .with(fixture("DeleteVpc", "delete_vpc.xml"))
        .with(fixture(
            "ModifyInstanceAttribute",
            "modify_instance_attribute.xml",
        ))
        .with(fixture("ModifyVolume", "modify_volume.xml"))
        .with(fixture(
            "DescribeVolumesModifications",
            "describe_volumes_modifications.xml",
        ));
    let d = driver(&replay);
    let vpc = d
        .ex_create_network("192.168.55.0/24", Some("test"), Some("default"))
        .await
        .unwrap();
    assert_eq!(vpc.id, "vpc-ad3527cf");
    assert_eq!(vpc.name, "test");
    assert_eq!(vpc.state, "pending");
    assert_eq!(vpc.dhcp_options_id.as_deref(), Some("dopt-7eded312"));
    let req = &sent(&replay, "CreateVpc")[0];
    assert_eq!(param(req, "CidrBlock").as_deref(), Some("192.168.55.0/24"));
    assert_eq!(param(req, "InstanceTenancy").as_deref(), Some("default"));
    assert_eq!(
        param(req, "TagSpecification.1.ResourceType").as_deref(),
        Some("vpc")
    );

    let subnet = d
        .ex_create_subnet(
            "vpc-532135d1",
            "192.168.51.128/26",
            Some("us-east-1b"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(subnet.id, "subnet-ce0e7ce6");
    assert_eq!(subnet.name, "subnet-ce0e7ce6");
    assert_eq!(subnet.available_ip_address_count, Some(59));
    let req = &sent(&replay, "CreateSubnet")[0];
    assert_eq!(param(req, "VpcId").as_deref(), Some("vpc-532135d1"));
    assert_eq!(
        param(req, "AvailabilityZone").as_deref(),
        Some("us-east-1b")
    );
    assert_eq!(param(req, "TagSpecification.1.ResourceType"), None);
    d.ex_delete_subnet(&subnet.id).await.unwrap();
    d.ex_delete_network(&vpc.id).await.unwrap();

    d.ex_change_node_size(&node("i-4382922a"), "m1.large")
        .await
        .unwrap();
    let req = &sent(&replay, "ModifyInstanceAttribute")[0];
    assert_eq!(
        param(req, "InstanceType.Value").as_deref(),
        Some("m1.large")
    );

    let change = VolumeChange::default()
        .size_gb(2)
        .volume_type("io1")
        .iops(1000);
    let modification = d
        .ex_modify_volume(&volume("vol-10ae5e2b", None), &change)
        .await
        .unwrap();
    assert_eq!(modification.volume_id, "vol-10ae5e2b");
    assert_eq!(modification.state, "modifying");
    assert_eq!(modification.target_size_gb, Some(2));
    assert_eq!(modification.original_volume_type.as_deref(), Some("gp2"));
    let req = &sent(&replay, "ModifyVolume")[0];
    assert_eq!(param(req, "Size").as_deref(), Some("2"));
    assert_eq!(param(req, "VolumeType").as_deref(), Some("io1"));
    assert_eq!(param(req, "Iops").as_deref(), Some("1000"));
    let err = d
        .ex_modify_volume(&volume("vol-1", None), &VolumeChange::default())
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);

    let mods = d.ex_describe_volumes_modifications(&[]).await.unwrap();
    assert_eq!(mods.len(), 2);
    assert_eq!(mods[0].state, "optimizing");
    assert_eq!(mods[0].progress, Some(3));
    assert_eq!(
        mods[1].end_time.as_deref(),
        Some("2017-02-10T22:56:04.823Z")
    );
    replay.assert_all_used();
}
