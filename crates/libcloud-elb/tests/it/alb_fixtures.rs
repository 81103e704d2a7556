//! Apache Libcloud's recorded ELBv2 answers replayed through [`AlbLoadBalancer`]: every file
//! of the set is used here.

use libcloud_core::{Algorithm, BalancerState, CreateBalancer, LoadBalancerDriver, Member};
use libcloud_elb::TargetType;
use libcloud_testkit::require_fixtures;
use serde_json::json;

use crate::{ALB, action_of, alb_config, application, args, assert_call, recorded, replay_of};

/// Every recorded file; each is replayed below.
const FILES: &[&str] = &[
    "create_balancer.xml",
    "create_listener.xml",
    "create_rule.xml",
    "create_target_group.xml",
    "describe_load_balancer_listeters.xml",
    "describe_load_balancer_rules.xml",
    "describe_load_balancer_target_groups.xml",
    "describe_load_balancers.xml",
    "describe_tags.xml",
    "describe_target_health.xml",
    "register_targets.xml",
];

const LB_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/Test-ALB/1111111111111111";
const TG_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/Test-ALB-tg/1111111111111111";
const LISTENER_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/Test-ALB/1111111111111111/1111111111111111";

#[test]
fn every_recording_is_listed() {
    let dir = require_fixtures!(ALB);
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, FILES);
}

#[tokio::test]
async fn list_and_get_read_the_listeners() {
    require_fixtures!(ALB);
    let replay = replay_of(vec![
        recorded("DescribeLoadBalancers", ALB, "describe_load_balancers.xml").repeat(),
        recorded(
            "DescribeListeners",
            ALB,
            "describe_load_balancer_listeters.xml",
        )
        .repeat(),
    ]);
    let lb = application(&replay, alb_config(TargetType::Instance));
    let all = lb.list_balancers().await.unwrap();
    assert_eq!(all.len(), 1);
    let b = &all[0];
    assert_eq!((b.id.as_str(), b.name.as_str()), (LB_ARN, "Test-ALB"));
    assert_eq!(b.state, BalancerState::Running);
    assert_eq!((b.port, b.protocol.as_deref()), (443, Some("https")));
    assert_eq!(
        b.ip.as_deref(),
        Some("internal-Test-ALB-1111111111.us-east-1.elb.amazonaws.com")
    );
    assert_eq!(b.extra["target_group_arn"], json!(TG_ARN));
    assert_eq!(b.extra["scheme"], json!("internal"));
    assert_eq!(
        b.extra["availability_zones"],
        json!([{"zone": "us-east-1b", "subnet": "subnet-11111111"}])
    );
    assert_eq!(
        b.extra["listeners"][0]["certificates"],
        json!(["arn:aws:iam::111111111111:server-certificate/test.certificate"])
    );
    let by_arn = lb.get_balancer(LB_ARN).await.unwrap();
    assert_eq!(&by_arn, b);
    let by_name = lb.get_balancer("Test-ALB").await.unwrap();
    assert_eq!(by_name.id, LB_ARN);
    let requests = replay.requests();
    for r in &requests {
        assert_call(r, "elasticloadbalancing", "2015-12-01");
    }
    let calls: Vec<(String, Vec<String>)> =
        requests.iter().map(|r| (action_of(r), args(r))).collect();
    assert_eq!(calls[1].1, [format!("LoadBalancerArn={LB_ARN}")]);
    assert_eq!(calls[2].1, [format!("LoadBalancerArns.member.1={LB_ARN}")]);
    assert_eq!(calls[4].1, ["Names.member.1=Test-ALB"]);
}

#[tokio::test]
async fn create_makes_group_listener_and_targets() {
    require_fixtures!(ALB);
    let replay = replay_of(vec![
        recorded("CreateLoadBalancer", ALB, "create_balancer.xml"),
        recorded("CreateTargetGroup", ALB, "create_target_group.xml"),
        recorded("CreateListener", ALB, "create_listener.xml"),
        recorded("RegisterTargets", ALB, "register_targets.xml"),
    ]);
    let lb = application(
        &replay,
        alb_config(TargetType::Instance).with_security_groups(["sg-11111111"]),
    );
    let mut request = CreateBalancer::new("Test-ALB", 443, "https")
        .algorithm(Algorithm::RoundRobin)
        .member(Member::node("i-01111111111111111"));
    request.extra.insert(
        "certificate_arn".into(),
        json!("arn:aws:iam::111111111111:server-certificate/test.certificate"),
    );
    let created = lb.create_balancer(&request).await.unwrap();
    replay.assert_all_used();
    assert_eq!(created.id, LB_ARN);
    assert_eq!(created.state, BalancerState::Pending);
    assert_eq!(
        (created.port, created.protocol.as_deref()),
        (443, Some("https"))
    );
    assert_eq!(created.algorithm, Some(Algorithm::RoundRobin));
    assert_eq!(created.extra["target_group_arn"], json!(TG_ARN));

    let requests = replay.requests();
    assert_eq!(
        args(&requests[0]),
        [
            "Name=Test-ALB",
            "Subnets.member.1=subnet-1",
            "Subnets.member.2=subnet-2",
            "SecurityGroups.member.1=sg-11111111",
            "Type=application",
        ]
    );
    let group = args(&requests[1]);
    assert!(group[0].starts_with("Name=Test-ALB-"), "{group:?}");
    assert!(group[0].len() <= "Name=".len() + 32);
    assert_eq!(
        group[1..],
        [
            "Protocol=HTTPS",
            "Port=443",
            "VpcId=vpc-11111111",
            "TargetType=instance"
        ]
    );
    assert_eq!(
        args(&requests[2]),
        [
            format!("LoadBalancerArn={LB_ARN}"),
            "Protocol=HTTPS".into(),
            "Port=443".into(),
            "DefaultActions.member.1.Type=forward".into(),
            format!("DefaultActions.member.1.TargetGroupArn={TG_ARN}"),
            "Certificates.member.1.CertificateArn=arn:aws:iam::111111111111:server-certificate/test.certificate".into(),
        ]
    );
    assert_eq!(
        args(&requests[3]),
        [
            format!("TargetGroupArn={TG_ARN}"),
            "Targets.member.1.Id=i-01111111111111111".into(),
        ]
    );
}

#[tokio::test]
async fn members_are_the_target_groups_targets() {
    require_fixtures!(ALB);
    let replay = replay_of(vec![
        recorded(
            "DescribeListeners",
            ALB,
            "describe_load_balancer_listeters.xml",
        ),
        recorded("DescribeTargetHealth", ALB, "describe_target_health.xml"),
        recorded("RegisterTargets", ALB, "register_targets.xml"),
    ]);
    let lb = application(&replay, alb_config(TargetType::Instance));
    let b = crate::balancer(LB_ARN, "Test-ALB");
    let members = lb.balancer_list_members(&b).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (
            members[0].id.as_deref(),
            members[0].ip.as_deref(),
            members[0].port
        ),
        (Some("i-01111111111111111"), None, Some(3443))
    );
    assert_eq!(members[0].extra["health"], json!("healthy"));
    lb.ex_register_targets(TG_ARN, &[("i-2".into(), Some(80)), ("i-3".into(), None)])
        .await
        .unwrap();
    replay.assert_all_used();
    assert_eq!(
        args(&replay.requests()[2]),
        [
            format!("TargetGroupArn={TG_ARN}"),
            "Targets.member.1.Id=i-2".into(),
            "Targets.member.1.Port=80".into(),
            "Targets.member.2.Id=i-3".into(),
        ]
    );
}

#[tokio::test]
async fn target_groups_rules_and_tags() {
    require_fixtures!(ALB);
    let replay = replay_of(vec![
        recorded(
            "DescribeTargetGroups",
            ALB,
            "describe_load_balancer_target_groups.xml",
        ),
        recorded("DescribeRules", ALB, "describe_load_balancer_rules.xml"),
        recorded("CreateRule", ALB, "create_rule.xml"),
        recorded("DescribeTags", ALB, "describe_tags.xml"),
    ]);
    let lb = application(&replay, alb_config(TargetType::Instance));
    let b = crate::balancer(LB_ARN, "Test-ALB");
    let groups = lb.ex_list_target_groups(Some(&b)).await.unwrap();
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert_eq!((g.arn.as_str(), g.name.as_str()), (TG_ARN, "Test-ALB-tg"));
    assert_eq!((g.protocol.as_deref(), g.port), (Some("HTTPS"), Some(443)));
    assert_eq!(g.load_balancer_arns, [LB_ARN]);
    assert_eq!(g.health_check_path.as_deref(), Some("/"));

    let rules = lb.ex_list_rules(LISTENER_ARN).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert!(rules[0].is_default);
    assert_eq!(rules[0].priority, "default");
    assert_eq!(rules[0].target_group_arn.as_deref(), Some(TG_ARN));

    let rule = lb
        .ex_create_rule(LISTENER_ARN, 10, &["/img/*"], TG_ARN)
        .await
        .unwrap();
    assert_eq!(rule.priority, "10");
    assert_eq!(
        rule.conditions,
        [("path-pattern".to_string(), vec!["/img/*".to_string()])]
    );

    let tags = lb.ex_list_tags(&b).await.unwrap();
    assert_eq!(tags.get("project").map(String::as_str), Some("lima"));
    replay.assert_all_used();
    let requests = replay.requests();
    assert_eq!(args(&requests[0]), [format!("LoadBalancerArn={LB_ARN}")]);
    assert_eq!(
        args(&requests[2]),
        [
            format!("ListenerArn={LISTENER_ARN}"),
            "Priority=10".into(),
            "Conditions.member.1.Field=path-pattern".into(),
            "Conditions.member.1.Values.member.1=/img/*".into(),
            "Actions.member.1.Type=forward".into(),
            format!("Actions.member.1.TargetGroupArn={TG_ARN}"),
        ]
    );
    assert_eq!(
        args(&requests[3]),
        [format!("ResourceArns.member.1={LB_ARN}")]
    );
}
