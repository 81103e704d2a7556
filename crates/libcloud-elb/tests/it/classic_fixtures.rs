//! Apache Libcloud's recorded classic ELB answers replayed through [`ElbLoadBalancer`]: every
//! file of the set is used here.

use libcloud_core::{
    Algorithm, BalancerState, CreateBalancer, LoadBalancerDriver, LoadBalancerDriverExt, Member,
};
use libcloud_testkit::require_fixtures;
use serde_json::json;

use crate::{ELB, answer, args, assert_call, balancer, classic, config, recorded, replay_of};

/// Every recorded file; each is replayed below.
const FILES: &[&str] = &[
    "create_load_balancer.xml",
    "create_load_balancer_policy.xml",
    "deregister_instances_from_load_balancer.xml",
    "describe_load_balancer_policies.xml",
    "describe_load_balancers.xml",
    "describe_load_balancers_policy_types.xml",
    "describe_tags.xml",
    "set_load_balancer_policies_for_backend_server.xml",
    "set_load_balancer_policies_of_listener.xml",
];

#[test]
fn every_recording_is_listed() {
    let dir = require_fixtures!(ELB);
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, FILES);
}

#[tokio::test]
async fn list_get_and_members() {
    require_fixtures!(ELB);
    let replay = replay_of(vec![
        recorded("DescribeLoadBalancers", ELB, "describe_load_balancers.xml").repeat(),
    ]);
    let lb = classic(&replay, config());
    let all = lb.list_balancers().await.unwrap();
    assert_eq!(all.len(), 1);
    let b = &all[0];
    assert_eq!((b.id.as_str(), b.name.as_str()), ("tests", "tests"));
    assert_eq!(b.ip.as_deref(), Some("tests.us-east-1.elb.amazonaws.com"));
    assert_eq!((b.port, b.protocol.as_deref()), (80, Some("http")));
    assert_eq!(b.state, BalancerState::Running);
    assert_eq!(b.extra["instances"], json!(["i-64bd081c"]));
    assert_eq!(b.extra["availability_zones"], json!(["us-east-1e"]));
    assert_eq!(b.extra["vpc_id"], json!("vpc-56e10e3d"));
    assert_eq!(b.extra["policies"], json!(["AWSConsolePolicy-1"]));
    assert_eq!(b.extra["health_check"]["Target"], json!("TCP:22"));
    assert_eq!(
        b.extra["listeners"][0]["policy_names"],
        json!(["AWSConsolePolicy-1"])
    );

    let got = lb.get_balancer("tests").await.unwrap();
    assert_eq!(&got, b);
    let members = lb.balancer_list_members(b).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].id.as_deref(), members[0].port),
        (Some("i-64bd081c"), Some(80))
    );

    let requests = replay.requests();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_call(r, "elasticloadbalancing", "2012-06-01");
    }
    assert!(args(&requests[0]).is_empty());
    assert_eq!(args(&requests[1]), ["LoadBalancerNames.member.1=tests"]);
}

#[tokio::test]
async fn create_and_detach() {
    require_fixtures!(ELB);
    let registered = "<RegisterInstancesWithLoadBalancerResponse><RegisterInstancesWithLoadBalancerResult>\
        <Instances><member><InstanceId>i-1</InstanceId></member></Instances>\
        </RegisterInstancesWithLoadBalancerResult></RegisterInstancesWithLoadBalancerResponse>";
    let replay = replay_of(vec![
        recorded("CreateLoadBalancer", ELB, "create_load_balancer.xml"),
        answer("RegisterInstancesWithLoadBalancer", registered),
        recorded(
            "DeregisterInstancesFromLoadBalancer",
            ELB,
            "deregister_instances_from_load_balancer.xml",
        ),
    ]);
    let lb = classic(&replay, config());
    let request = CreateBalancer::new("lb", 80, "http")
        .algorithm(Algorithm::RoundRobin)
        .member(Member::node("i-1"));
    let created = lb.create_balancer(&request).await.unwrap();
    assert_eq!((created.id.as_str(), created.port), ("lb", 80));
    assert_eq!(created.ip.as_deref(), Some("tests.example.com"));
    assert_eq!(created.algorithm, Some(Algorithm::RoundRobin));
    lb.balancer_detach_member(&created, &Member::node("i-1"))
        .await
        .unwrap();
    replay.assert_all_used();
    let requests = replay.requests();
    assert_eq!(
        args(&requests[0]),
        [
            "LoadBalancerName=lb",
            "Listeners.member.1.Protocol=HTTP",
            "Listeners.member.1.LoadBalancerPort=80",
            "Listeners.member.1.InstanceProtocol=HTTP",
            "Listeners.member.1.InstancePort=80",
            "AvailabilityZones.member.1=us-east-1a",
        ]
    );
    assert_eq!(
        args(&requests[1]),
        ["LoadBalancerName=lb", "Instances.member.1.InstanceId=i-1"]
    );
    assert_eq!(
        args(&requests[2]),
        ["LoadBalancerName=lb", "Instances.member.1.InstanceId=i-1"]
    );
}

#[tokio::test]
async fn attach_a_compute_node_by_its_id() {
    require_fixtures!(ELB);
    let replay = replay_of(vec![crate::answer(
        "RegisterInstancesWithLoadBalancer",
        "<RegisterInstancesWithLoadBalancerResponse/>",
    )]);
    let lb = classic(&replay, config());
    let node = libcloud_core::Node {
        id: "i-0abc".into(),
        name: "web".into(),
        state: libcloud_core::NodeState::Running,
        public_ips: vec!["203.0.113.5".parse().unwrap()],
        private_ips: Vec::new(),
        size: None,
        image: None,
        created_at: None,
        admin_password: None,
        extra: Default::default(),
    };
    let member = lb
        .balancer_attach_compute_node(&balancer("tests", "tests"), &node)
        .await
        .unwrap();
    assert_eq!(member.id.as_deref(), Some("i-0abc"));
    assert_eq!(
        args(&replay.requests()[0]),
        [
            "LoadBalancerName=tests",
            "Instances.member.1.InstanceId=i-0abc"
        ]
    );
}

#[tokio::test]
async fn policies_and_tags() {
    require_fixtures!(ELB);
    let replay = replay_of(vec![
        recorded(
            "DescribeLoadBalancerPolicies",
            ELB,
            "describe_load_balancer_policies.xml",
        ),
        recorded(
            "DescribeLoadBalancerPolicyTypes",
            ELB,
            "describe_load_balancers_policy_types.xml",
        ),
        recorded(
            "CreateLoadBalancerPolicy",
            ELB,
            "create_load_balancer_policy.xml",
        ),
        recorded(
            "SetLoadBalancerPoliciesOfListener",
            ELB,
            "set_load_balancer_policies_of_listener.xml",
        ),
        recorded(
            "SetLoadBalancerPoliciesForBackendServer",
            ELB,
            "set_load_balancer_policies_for_backend_server.xml",
        ),
        recorded("DescribeTags", ELB, "describe_tags.xml"),
    ]);
    let lb = classic(&replay, config());
    let b = balancer("tests", "tests");
    assert_eq!(
        lb.ex_list_balancer_policies(&b).await.unwrap(),
        ["MyDurationStickyPolicy", "MyAppStickyPolicy"]
    );
    assert_eq!(
        lb.ex_list_balancer_policy_types().await.unwrap(),
        ["ProxyProtocolPolicyType"]
    );
    lb.ex_create_balancer_policy(
        &b,
        "EnableProxyProtocol",
        "ProxyProtocolPolicyType",
        &[("ProxyProtocol", "true")],
    )
    .await
    .unwrap();
    lb.ex_set_balancer_policies_listener(&b, 80, &["MyDurationStickyPolicy"])
        .await
        .unwrap();
    lb.ex_set_balancer_policies_backend_server(&b, 80, &[])
        .await
        .unwrap();
    let tags = lb.ex_list_tags(&b).await.unwrap();
    assert_eq!(tags.get("project").map(String::as_str), Some("lima"));
    replay.assert_all_used();
    let requests = replay.requests();
    assert_eq!(
        args(&requests[2]),
        [
            "LoadBalancerName=tests",
            "PolicyName=EnableProxyProtocol",
            "PolicyTypeName=ProxyProtocolPolicyType",
            "PolicyAttributes.member.1.AttributeName=ProxyProtocol",
            "PolicyAttributes.member.1.AttributeValue=true",
        ]
    );
    assert_eq!(
        args(&requests[3]),
        [
            "LoadBalancerName=tests",
            "LoadBalancerPort=80",
            "PolicyNames.member.1=MyDurationStickyPolicy"
        ]
    );
    assert_eq!(
        args(&requests[4]),
        ["LoadBalancerName=tests", "InstancePort=80", "PolicyNames="]
    );
    assert_eq!(args(&requests[5]), ["LoadBalancerNames.member.1=tests"]);
}
