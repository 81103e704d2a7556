//! What the driver sends and refuses to send, with answers written inline.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use libcloud_aws::Env;
use libcloud_core::transport::{self, Request};
use libcloud_core::{
    Body, ComputeDriver, CreateNode, ErrorKind, NodeAuth, ResourceKind, Secret, Transport,
};
use libcloud_ec2::{BlockDeviceMapping, EbsBlockDevice, Ec2Compute, Ec2Config, NodeOptions};
use libcloud_testkit::replay::Replay;

use crate::support::{action, driver, ec2_error, param, sent};

const RUN_ONE: &str = "<RunInstancesResponse><reservationId>r-1</reservationId><instancesSet><item>\
    <instanceId>i-0123456789abcdef0</instanceId><imageId>ami-12345678</imageId>\
    <instanceState><code>0</code><name>pending</name></instanceState>\
    <instanceType>t3.micro</instanceType></item></instancesSet></RunInstancesResponse>";

fn instances(ids: &[&str], next: Option<&str>) -> String {
    let items: String = ids
        .iter()
        .map(|id| {
            format!(
                "<item><instanceId>{id}</instanceId><instanceState><code>16</code>\
                 <name>running</name></instanceState></item>"
            )
        })
        .collect();
    let next = next
        .map(|t| format!("<nextToken>{t}</nextToken>"))
        .unwrap_or_default();
    format!(
        "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
         <reservationSet><item><reservationId>r-1</reservationId><instancesSet>{items}\
         </instancesSet></item></reservationSet>{next}</DescribeInstancesResponse>"
    )
}

const NO_ADDRESSES: &str = "<DescribeAddressesResponse><addressesSet/></DescribeAddressesResponse>";

#[tokio::test]
async fn listings_follow_next_token() {
    let replay = Replay::new()
        .with(action("DescribeInstances").body(instances(&["i-1", "i-2"], Some("tok-2"))))
        .with(
            action("DescribeInstances")
                .body_contains("NextToken=tok-2")
                .body(instances(&["i-3"], None)),
        )
        .with(action("DescribeAddresses").body(NO_ADDRESSES));
    let nodes = driver(&replay).list_nodes().await.unwrap();
    let ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["i-1", "i-2", "i-3"]);
    replay.assert_all_used();

    let looping = Replay::new().with(
        action("DescribeInstances")
            .body(instances(&["i-1"], Some("same")))
            .repeat(),
    );
    let err = driver(&looping).list_nodes().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    assert_eq!(sent(&looping, "DescribeInstances").len(), 2);
}

#[tokio::test]
async fn reads_are_marked_for_retry_and_launches_are_not() {
    let seen: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
    let log = seen.clone();
    let t: Transport = transport::from_fn(move |req: Request| {
        let log = log.clone();
        async move {
            let idempotent = transport::is_idempotent(&req);
            let body = req.into_body().collect(1 << 20).await?;
            let text = String::from_utf8_lossy(&body).to_string();
            let action = text
                .split('&')
                .find_map(|p| p.strip_prefix("Action="))
                .unwrap_or_default()
                .to_string();
            log.lock().unwrap().push((action.clone(), idempotent));
            let answer = match action.as_str() {
                "RunInstances" => RUN_ONE.to_string(),
                "DescribeInstances" => instances(&["i-1"], None),
                "DescribeAddresses" => NO_ADDRESSES.to_string(),
                _ => "<Ok><return>true</return></Ok>".to_string(),
            };
            Ok(http::Response::new(Body::from(answer)))
        }
        .boxed()
    });
    let config = Ec2Config::from_options(
        [("key", "AKID"), ("secret", "s")],
        Env::from_pairs::<_, &str, &str>([]),
    )
    .unwrap();
    let d = Ec2Compute::with_transport(config, t).unwrap();
    let n = d.list_nodes().await.unwrap().remove(0);
    d.create_node(&CreateNode::new("n", "t3.micro", "ami-12345678"))
        .await
        .unwrap();
    d.reboot_node(&n).await.unwrap();
    d.destroy_node(&n).await.unwrap();
    d.ex_create_tags("i-1", &BTreeMap::from([("a".into(), "b".into())]))
        .await
        .unwrap();
    let mut eip = libcloud_ec2::ElasticIp::default();
    eip.public_ip = "192.0.2.1".into();
    d.ex_release_address(&eip).await.unwrap();
    let err = d
        .ex_release_address(&libcloud_ec2::ElasticIp::default())
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let seen = seen.lock().unwrap().clone();
    let marked: BTreeMap<String, bool> = seen.into_iter().collect();
    assert_eq!(
        marked,
        BTreeMap::from([
            ("CreateTags".to_string(), true),
            ("DescribeAddresses".into(), true),
            ("DescribeInstances".into(), true),
            ("RebootInstances".into(), true),
            ("ReleaseAddress".into(), false),
            ("RunInstances".into(), false),
            ("TerminateInstances".into(), true),
        ])
    );
}

#[tokio::test]
async fn create_node_refuses_bad_requests_before_sending() {
    let replay = Replay::new();
    let d = driver(&replay);
    let bad = [
        CreateNode::new("n", "t3.micro", "lc-no-such-image-1a2b3c4d"),
        CreateNode::new("n", "", "ami-12345678"),
        CreateNode::new("n", "t3.micro", "ami-12345678")
            .auth(NodeAuth::Password(Secret::new("hunter2"))),
        CreateNode::new("n", "t3.micro", "ami-12345678")
            .auth(NodeAuth::SshKey("ssh-ed25519 AAAA".into()))
            .key_pair("k"),
        CreateNode::new("n", "t3.micro", "ami-12345678").auth(NodeAuth::SshKey("nokey".into())),
        CreateNode::new("n", "t3.micro", "ami-12345678").user_data("x".repeat(16 * 1024 + 1)),
        NodeOptions::default()
            .client_token("t".repeat(65))
            .apply(CreateNode::new("n", "t3.micro", "ami-12345678")),
        NodeOptions::default()
            .shutdown_behavior("explode")
            .apply(CreateNode::new("n", "t3.micro", "ami-12345678")),
    ];
    for request in &bad {
        let err = d.create_node(request).await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{request:?}: {err}");
        assert_eq!(err.provider(), Some("ec2"), "{err}");
        assert_eq!(err.operation(), Some("create_node"), "{err}");
    }
    let mut typo = CreateNode::new("n", "t3.micro", "ami-12345678");
    typo.extra
        .insert("securitygroups".into(), serde_json::json!(["web"]));
    let err = d.create_node(&typo).await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("securitygroups"), "{err}");
    assert!(replay.requests().is_empty());
}

#[tokio::test]
async fn every_node_option_reaches_run_instances() {
    let replay = Replay::new().with(action("RunInstances").body(RUN_ONE));
    let options = NodeOptions::default()
        .security_group("web")
        .security_group("ssh")
        .security_group_id("sg-1")
        .subnet("subnet-1")
        .iam_instance_profile("arn:aws:iam::123456789012:instance-profile/p")
        .ebs_optimized(false)
        .monitoring(true)
        .private_ip_address("10.0.0.5")
        .placement_group("pg")
        .shutdown_behavior("terminate")
        .tag("team", "search")
        .tag("Name", "ignored: the node's name wins")
        .block_device(BlockDeviceMapping::ebs(
            "/dev/sda1",
            EbsBlockDevice::new(20).volume_type("gp3"),
        ))
        .block_device(BlockDeviceMapping::ephemeral("/dev/sdb", "ephemeral0"))
        .block_device(BlockDeviceMapping::no_device("/dev/sdc"));
    let request =
        options.apply(CreateNode::new("web-1", "t3.micro", "ami-12345678").location("us-east-1c"));
    let node = driver(&replay).create_node(&request).await.unwrap();
    assert_eq!(node.name, "web-1");
    let req = &sent(&replay, "RunInstances")[0];
    let expect = [
        ("SecurityGroup.1", "web"),
        ("SecurityGroup.2", "ssh"),
        ("SecurityGroupId.1", "sg-1"),
        ("SubnetId", "subnet-1"),
        ("Placement.AvailabilityZone", "us-east-1c"),
        (
            "IamInstanceProfile.Arn",
            "arn:aws:iam::123456789012:instance-profile/p",
        ),
        ("EbsOptimized", "false"),
        ("Monitoring.Enabled", "true"),
        ("PrivateIpAddress", "10.0.0.5"),
        ("Placement.GroupName", "pg"),
        ("InstanceInitiatedShutdownBehavior", "terminate"),
        ("BlockDeviceMapping.1.DeviceName", "/dev/sda1"),
        ("BlockDeviceMapping.1.Ebs.VolumeSize", "20"),
        ("BlockDeviceMapping.1.Ebs.VolumeType", "gp3"),
        ("BlockDeviceMapping.2.VirtualName", "ephemeral0"),
        ("BlockDeviceMapping.3.NoDevice", ""),
        ("TagSpecification.1.Tag.1.Key", "Name"),
        ("TagSpecification.1.Tag.1.Value", "web-1"),
        ("TagSpecification.1.Tag.2.Key", "team"),
        ("TagSpecification.1.Tag.2.Value", "search"),
    ];
    for (key, value) in expect {
        assert_eq!(param(req, key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(param(req, "TagSpecification.1.Tag.3.Key"), None);
}

#[tokio::test]
async fn ssh_key_auth_registers_the_key_once() {
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDAnHgnAMjG8ZaWGaXhX5pYn2OtvDnVJnMHoVDl5kyPu me";
    let replay = Replay::new()
        .with(action("ImportKeyPair").body(
            "<ImportKeyPairResponse><keyName>x</keyName><keyFingerprint>ab</keyFingerprint></ImportKeyPairResponse>",
        ))
        .with(action("RunInstances").body(RUN_ONE))
        .with(
            action("ImportKeyPair")
                .status(400)
                .body(ec2_error("InvalidKeyPair.Duplicate", "The keypair 'x' already exists.")),
        )
        .with(action("RunInstances").body(RUN_ONE));
    let d = driver(&replay);
    let request =
        CreateNode::new("n", "t3.micro", "ami-12345678").auth(NodeAuth::SshKey(key.into()));
    d.create_node(&request).await.unwrap();
    d.create_node(&request).await.unwrap();
    replay.assert_all_used();
    let imports = sent(&replay, "ImportKeyPair");
    let name = param(&imports[0], "KeyName").unwrap();
    assert!(name.starts_with("libcloud-") && name.len() == 25, "{name}");
    assert_eq!(param(&imports[1], "KeyName"), Some(name.clone()));
    for run in sent(&replay, "RunInstances") {
        assert_eq!(param(&run, "KeyName"), Some(name.clone()));
    }
}

#[tokio::test]
async fn sizes_of_one_zone() {
    let types = "<DescribeInstanceTypesResponse><instanceTypeSet>\
        <item><instanceType>t3.micro</instanceType><vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo>\
        <memoryInfo><sizeInMiB>1024</sizeInMiB></memoryInfo>\
        <processorInfo><supportedArchitectures><item>x86_64</item></supportedArchitectures></processorInfo>\
        <networkInfo><networkPerformance>Up to 5 Gigabit</networkPerformance></networkInfo></item>\
        <item><instanceType>m5d.large</instanceType><memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo>\
        <instanceStorageInfo><totalSizeInGB>75</totalSizeInGB></instanceStorageInfo></item>\
        </instanceTypeSet></DescribeInstanceTypesResponse>";
    let offerings = "<DescribeInstanceTypeOfferingsResponse><instanceTypeOfferingSet>\
        <item><instanceType>m5d.large</instanceType><location>us-east-1a</location></item>\
        </instanceTypeOfferingSet></DescribeInstanceTypeOfferingsResponse>";
    let zones = "<DescribeAvailabilityZonesResponse><availabilityZoneInfo><item>\
        <zoneName>us-east-1a</zoneName><regionName>us-east-1</regionName></item>\
        </availabilityZoneInfo></DescribeAvailabilityZonesResponse>";
    let empty = "<DescribeInstanceTypeOfferingsResponse/>";
    let replay = Replay::new()
        .with(action("DescribeInstanceTypes").body(types).repeat())
        .with(action("DescribeInstanceTypeOfferings").body(offerings))
        .with(action("DescribeInstanceTypeOfferings").body(empty))
        .with(action("DescribeAvailabilityZones").body(zones));
    let d = driver(&replay);
    let all = d.list_sizes(None).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].ram_mb, all[0].disk_gb), (1024, 0));
    assert_eq!(all[0].extra["vcpus"], 2);
    assert_eq!(all[0].extra["architectures"][0], "x86_64");
    assert_eq!(all[0].extra["network_performance"], "Up to 5 Gigabit");
    assert_eq!(all[1].disk_gb, 75);
    assert_eq!(d.list_sizes(Some("us-east-1")).await.unwrap().len(), 2);
    let local = d.list_sizes(Some("us-east-1a")).await.unwrap();
    assert_eq!(local.len(), 1);
    assert_eq!(local[0].id, "m5d.large");
    let req = &sent(&replay, "DescribeInstanceTypeOfferings")[0];
    assert_eq!(
        param(req, "LocationType").as_deref(),
        Some("availability-zone")
    );
    assert_eq!(param(req, "Filter.1.Name").as_deref(), Some("location"));
    assert_eq!(
        param(req, "Filter.1.Value.1").as_deref(),
        Some("us-east-1a")
    );
    let err = d.list_sizes(Some("us-east-1z")).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Location,
            id: "us-east-1z".into()
        }
    );
}

#[tokio::test]
async fn lookups_of_ids_that_cannot_exist_are_not_found() {
    let replay = Replay::new()
        .with(action("DescribeInstances").status(400).body(ec2_error(
            "InvalidInstanceID.Malformed",
            "Invalid id: \"lc-x\"",
        )))
        .with(
            action("DescribeImages")
                .status(400)
                .body(ec2_error("InvalidAMIID.Malformed", "Invalid id: \"lc-y\"")),
        )
        .with(
            action("DescribeImages")
                .body("<DescribeImagesResponse><imagesSet/></DescribeImagesResponse>"),
        );
    let d = driver(&replay);
    let err = d.get_node("lc-x").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Node,
            id: "lc-x".into()
        }
    );
    let err = d.get_image("lc-y").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Image,
            id: "lc-y".into()
        }
    );
    let err = d.get_image("ami-00000000").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(d.get_node(" ").await.unwrap_err().is_not_found());
    assert!(d.get_key_pair("").await.unwrap_err().is_not_found());
    replay.assert_all_used();
}

#[tokio::test]
async fn errors_are_mapped() {
    let replay = Replay::new()
        .with(action("DescribeInstances").status(401).body(ec2_error(
            "AuthFailure",
            "AWS was not able to validate the provided access credentials",
        )))
        .with(
            action("DescribeInstances")
                .status(403)
                .body(ec2_error("UnauthorizedOperation", "You are not authorized")),
        )
        .with(action("CreateKeyPair").status(400).body(ec2_error(
            "InvalidKeyPair.Duplicate",
            "The keypair 'k' already exists.",
        )))
        .with(action("DeleteVolume").status(400).body(ec2_error(
            "InvalidVolume.NotFound",
            "The volume 'vol-1' does not exist.",
        )))
        .with(
            action("DescribeAvailabilityZones")
                .status(502)
                .body("<html><body>Bad Gateway</body></html>"),
        )
        .with(action("DescribeKeyPairs").body("<DescribeKeyPairsResponse><keySet><item><keyName>"));
    let d = driver(&replay);
    assert_eq!(
        *d.list_nodes().await.unwrap_err().kind(),
        ErrorKind::InvalidCredentials
    );
    assert_eq!(
        *d.list_nodes().await.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    assert_eq!(
        *d.create_key_pair("k").await.unwrap_err().kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::KeyPair,
            id: "k".into()
        }
    );
    let vol = libcloud_core::StorageVolume {
        id: "vol-1".into(),
        name: "v".into(),
        size_gb: 1,
        state: libcloud_core::VolumeState::Available,
        attached_to: None,
        extra: Default::default(),
    };
    let err = d.destroy_volume(&vol).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Volume,
            id: "vol-1".into()
        }
    );
    let err = d.list_locations().await.unwrap_err();
    assert!(err.is_temporary(), "{err}");
    assert_eq!(err.status(), Some(502));
    let err = d.list_key_pairs().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    assert_eq!(err.provider(), Some("ec2"));
    assert_eq!(err.operation(), Some("list_key_pairs"));
}

#[tokio::test]
async fn requests_go_to_the_configured_endpoint() {
    let replay = Replay::new().with(
        action("DescribeAvailabilityZones")
            .host("127.0.0.1")
            .body("<DescribeAvailabilityZonesResponse/>"),
    );
    let config = Ec2Config::from_options(
        [
            ("region", "eu-central-1"),
            ("endpoint", "http://127.0.0.1:5000"),
            ("key", "AKID"),
            ("secret", "s"),
        ],
        Env::from_pairs::<_, &str, &str>([]),
    )
    .unwrap();
    let d = Ec2Compute::with_transport(config, replay.transport()).unwrap();
    assert!(d.list_locations().await.unwrap().is_empty());
    let req = &replay.requests()[0];
    assert_eq!(req.uri.to_string(), "http://127.0.0.1:5000/");
    assert!(
        req.header("authorization")
            .unwrap()
            .contains("/eu-central-1/ec2/aws4_request")
    );
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert_eq!(d.region().as_str(), "eu-central-1");
}
