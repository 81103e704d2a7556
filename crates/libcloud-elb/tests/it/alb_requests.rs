//! What [`AlbLoadBalancer`](libcloud_elb::AlbLoadBalancer) sends, and how it reads answers and
//! errors written here.

use libcloud_core::{
    Algorithm, CreateBalancer, ErrorKind, LoadBalancerDriver, Member, ResourceKind,
};
use libcloud_elb::TargetType;
use serde_json::json;

use crate::{
    action, action_of, alb_config, answer, application, args, assert_call, balancer, config,
    error_body, replay_of,
};

const LB: &str = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/1";
const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-tg/1";
const OTHER_LB: &str = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/other/2";

fn created_lb(name: &str) -> String {
    format!(
        "<CreateLoadBalancerResponse><CreateLoadBalancerResult><LoadBalancers><member>\
         <LoadBalancerArn>{LB}</LoadBalancerArn><LoadBalancerName>{name}</LoadBalancerName>\
         <DNSName>{name}.elb.example</DNSName><VpcId>vpc-1</VpcId><State><Code>provisioning</Code>\
         </State><Type>application</Type></member></LoadBalancers></CreateLoadBalancerResult>\
         </CreateLoadBalancerResponse>"
    )
}

fn created_tg() -> String {
    format!(
        "<CreateTargetGroupResponse><CreateTargetGroupResult><TargetGroups><member>\
         <TargetGroupArn>{TG}</TargetGroupArn><TargetGroupName>web-tg</TargetGroupName>\
         <Protocol>HTTP</Protocol><Port>8080</Port></member></TargetGroups>\
         </CreateTargetGroupResult></CreateTargetGroupResponse>"
    )
}

fn created_listener(port: u16) -> String {
    format!(
        "<CreateListenerResponse><CreateListenerResult><Listeners><member>\
         <ListenerArn>{LB}/listener/1</ListenerArn><LoadBalancerArn>{LB}</LoadBalancerArn>\
         <Protocol>HTTP</Protocol><Port>{port}</Port><DefaultActions><member><Type>forward</Type>\
         <TargetGroupArn>{TG}</TargetGroupArn></member></DefaultActions></member></Listeners>\
         </CreateListenerResult></CreateListenerResponse>"
    )
}

fn subnets() -> String {
    let item = |id: &str, zone: &str| {
        format!("<item><subnetId>{id}</subnetId><availabilityZone>{zone}</availabilityZone></item>")
    };
    format!(
        "<DescribeSubnetsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><subnetSet>{}{}{}\
         </subnetSet></DescribeSubnetsResponse>",
        item("subnet-c", "us-east-1c"),
        item("subnet-a", "us-east-1a"),
        item("subnet-a2", "us-east-1a"),
    )
}

#[tokio::test]
async fn default_subnets_are_found_once_and_algorithms_set() {
    let replay = replay_of(vec![
        answer("DescribeSubnets", subnets()),
        answer("CreateLoadBalancer", created_lb("web")).repeat(),
        answer("CreateTargetGroup", created_tg()).repeat(),
        answer(
            "ModifyTargetGroupAttributes",
            "<ModifyTargetGroupAttributesResponse/>",
        ),
        answer("CreateListener", created_listener(80)).repeat(),
    ]);
    let lb = application(
        &replay,
        config()
            .with_api(libcloud_elb::ElbApi::Application)
            .with_target_type(TargetType::Ip),
    );
    let request = CreateBalancer::new("web", 80, "http").algorithm(Algorithm::LeastConnections);
    let created = lb.create_balancer(&request).await.unwrap();
    assert_eq!(created.algorithm, Some(Algorithm::LeastConnections));
    assert_eq!(created.extra["target_group_arn"], json!(TG));
    let again = CreateBalancer::new("web", 80, "http");
    lb.create_balancer(&again).await.unwrap();
    replay.assert_all_used();

    let requests = replay.requests();
    let actions: Vec<String> = requests.iter().map(action_of).collect();
    assert_eq!(
        actions,
        [
            "DescribeSubnets",
            "CreateLoadBalancer",
            "CreateTargetGroup",
            "ModifyTargetGroupAttributes",
            "CreateListener",
            "CreateLoadBalancer",
            "CreateTargetGroup",
            "CreateListener",
        ]
    );
    assert_call(&requests[0], "ec2", "2016-11-15");
    assert_eq!(
        args(&requests[0]),
        ["Filter.1.Name=default-for-az", "Filter.1.Value.1=true"]
    );
    assert_eq!(
        args(&requests[1]),
        [
            "Name=web",
            "Subnets.member.1=subnet-a",
            "Subnets.member.2=subnet-c",
            "Type=application"
        ]
    );
    assert!(args(&requests[2]).contains(&"TargetType=ip".to_string()));
    assert_eq!(
        args(&requests[3]),
        [
            format!("TargetGroupArn={TG}"),
            "Attributes.member.1.Key=load_balancing.algorithm.type".into(),
            "Attributes.member.1.Value=least_outstanding_requests".into(),
        ]
    );
}

#[tokio::test]
async fn a_failed_step_undoes_the_creation() {
    let replay = replay_of(vec![
        answer("CreateLoadBalancer", created_lb("web")),
        answer("CreateTargetGroup", created_tg()),
        answer(
            "CreateListener",
            error_body("CertificateNotFound", "Certificate 'x' not found"),
        )
        .status(400),
        answer("DeleteLoadBalancer", "<DeleteLoadBalancerResponse/>"),
        answer("DeleteTargetGroup", "<DeleteTargetGroupResponse/>"),
    ]);
    let lb = application(&replay, alb_config(TargetType::Instance));
    let err = lb
        .create_balancer(&CreateBalancer::new("web", 443, "https"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{err:?}");
    assert_eq!(err.provider(), Some("alb"));
    replay.assert_all_used();
    let last = replay.requests();
    assert_eq!(args(&last[3]), [format!("LoadBalancerArn={LB}")]);
    assert_eq!(args(&last[4]), [format!("TargetGroupArn={TG}")]);
}

#[tokio::test]
async fn bad_requests_send_nothing() {
    let replay = replay_of(vec![]);
    let ip = application(&replay, alb_config(TargetType::Ip));
    let instance = application(&replay, alb_config(TargetType::Instance));
    let err = ip
        .create_balancer(&CreateBalancer::new("x", 80, "http").algorithm(Algorithm::PersistentIp))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    let err = ip
        .create_balancer(&CreateBalancer::new("x", 22, "tcp"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = ip
        .create_balancer(&CreateBalancer::new("x", 80, "http").member(Member::node("i-1")))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = instance
        .create_balancer(&CreateBalancer::new("x", 80, "http").member(Member::new("192.0.2.1", 80)))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = ip.get_balancer("not a name!").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::LoadBalancer,
            id: "not a name!".into()
        }
    );
    assert!(ip.capabilities().members_by_ip && !ip.capabilities().members_by_node);
    assert!(!instance.capabilities().members_by_ip && instance.capabilities().members_by_node);
    assert!(replay.requests().is_empty());
}

#[tokio::test]
async fn too_few_default_subnets_is_invalid_input() {
    let one = "<DescribeSubnetsResponse><subnetSet><item><subnetId>s</subnetId>\
               <availabilityZone>us-east-1a</availabilityZone></item></subnetSet></DescribeSubnetsResponse>";
    let replay = replay_of(vec![answer("DescribeSubnets", one)]);
    let lb = application(
        &replay,
        config().with_api(libcloud_elb::ElbApi::Application),
    );
    let err = lb
        .create_balancer(&CreateBalancer::new("web", 80, "http"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("subnets"), "{err}");
    replay.assert_all_used();
}

#[tokio::test]
async fn ip_members_attach_detach_and_list() {
    let health = String::from(
        "<DescribeTargetHealthResponse><DescribeTargetHealthResult><TargetHealthDescriptions>\
         <member><Target><Id>192.0.2.10</Id><Port>8080</Port></Target><TargetHealth><State>healthy\
         </State></TargetHealth></member><member><Target><Id>192.0.2.11</Id><Port>8080</Port>\
         </Target><TargetHealth><State>draining</State><Reason>Target.DeregistrationInProgress\
         </Reason></TargetHealth></member></TargetHealthDescriptions></DescribeTargetHealthResult>\
         </DescribeTargetHealthResponse>",
    );
    let replay = replay_of(vec![
        answer("RegisterTargets", "<RegisterTargetsResponse/>"),
        answer("DeregisterTargets", "<DeregisterTargetsResponse/>"),
        answer("DescribeTargetHealth", health.clone()),
        answer("DescribeTargetHealth", health),
    ]);
    let lb = application(&replay, alb_config(TargetType::Ip));
    let mut b = balancer(LB, "web");
    b.extra.insert("target_group_arn".into(), json!(TG));
    let m = lb
        .balancer_attach_member(&b, &Member::new("192.0.2.10", 8080))
        .await
        .unwrap();
    assert_eq!(
        (m.id.as_deref(), m.ip.as_deref(), m.port),
        (Some("192.0.2.10"), Some("192.0.2.10"), Some(8080))
    );
    lb.balancer_detach_member(&b, &Member::new("192.0.2.11", 8080))
        .await
        .unwrap();
    let members = lb.balancer_list_members(&b).await.unwrap();
    assert_eq!(members.len(), 1, "draining targets are gone");
    assert_eq!(members[0].ip.as_deref(), Some("192.0.2.10"));
    let all = lb.ex_target_health(TG).await.unwrap();
    assert_eq!(
        all[1].extra["health_reason"],
        json!("Target.DeregistrationInProgress")
    );
    replay.assert_all_used();
    let requests = replay.requests();
    assert_eq!(
        args(&requests[0]),
        [
            format!("TargetGroupArn={TG}"),
            "Targets.member.1.Id=192.0.2.10".into(),
            "Targets.member.1.Port=8080".into(),
        ]
    );
    assert_eq!(action_of(&requests[1]), "DeregisterTargets");
    let err = lb
        .balancer_attach_member(&b, &Member::new("not-an-ip", 80))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test(start_paused = true)]
async fn destroy_deletes_the_balancers_own_target_groups() {
    let groups = format!(
        "<DescribeTargetGroupsResponse><DescribeTargetGroupsResult><TargetGroups>\
         <member><TargetGroupArn>{TG}</TargetGroupArn><LoadBalancerArns><member>{LB}</member>\
         </LoadBalancerArns></member><member><TargetGroupArn>{TG}-shared</TargetGroupArn>\
         <LoadBalancerArns><member>{LB}</member><member>{OTHER_LB}</member></LoadBalancerArns>\
         </member></TargetGroups></DescribeTargetGroupsResult></DescribeTargetGroupsResponse>"
    );
    let replay = replay_of(vec![
        answer("DescribeTargetGroups", groups),
        answer("DeleteLoadBalancer", "<DeleteLoadBalancerResponse/>"),
        answer(
            "DeleteTargetGroup",
            error_body(
                "ResourceInUse",
                "The target group is currently in use by a listener",
            ),
        )
        .status(400),
        answer("DeleteTargetGroup", "<DeleteTargetGroupResponse/>"),
    ]);
    let lb = application(&replay, alb_config(TargetType::Instance));
    lb.destroy_balancer(&balancer(LB, "web")).await.unwrap();
    replay.assert_all_used();
    let requests = replay.requests();
    let calls: Vec<(String, Vec<String>)> =
        requests.iter().map(|r| (action_of(r), args(r))).collect();
    assert_eq!(calls[0].1, [format!("LoadBalancerArn={LB}")]);
    assert_eq!(calls[1].0, "DeleteLoadBalancer");
    assert_eq!(calls[3].1, [format!("TargetGroupArn={TG}")]);
    assert_eq!(calls.len(), 4, "the shared group is kept");
}

#[tokio::test]
async fn errors_and_paging() {
    let page = |arn: &str, next: Option<&str>| {
        let marker = next
            .map(|m| format!("<NextMarker>{m}</NextMarker>"))
            .unwrap_or_default();
        format!(
            "<DescribeLoadBalancersResponse><DescribeLoadBalancersResult><LoadBalancers><member>\
             <LoadBalancerArn>{arn}</LoadBalancerArn><LoadBalancerName>n</LoadBalancerName>\
             <State><Code>failed</Code></State></member></LoadBalancers>{marker}\
             </DescribeLoadBalancersResult></DescribeLoadBalancersResponse>"
        )
    };
    let no_listeners = "<DescribeListenersResponse><DescribeListenersResult><Listeners/>\
                        </DescribeListenersResult></DescribeListenersResponse>";
    let replay = replay_of(vec![
        answer("DescribeLoadBalancers", page(LB, Some("P2"))),
        action("DescribeLoadBalancers")
            .body_contains("Marker=P2")
            .body(page(OTHER_LB, None)),
        answer("DescribeListeners", no_listeners).repeat(),
        answer(
            "DescribeLoadBalancers",
            error_body(
                "LoadBalancerNotFound",
                "One or more load balancers not found",
            ),
        )
        .status(400),
        answer(
            "DescribeTargetHealth",
            error_body("TargetGroupNotFound", "gone"),
        )
        .status(400),
    ]);
    let lb = application(&replay, alb_config(TargetType::Instance));
    let all = lb.list_balancers().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, [LB, OTHER_LB]);
    assert_eq!(all[0].state, libcloud_core::BalancerState::Error);
    assert_eq!(all[0].port, 0);
    let err = lb.get_balancer(LB).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::LoadBalancer,
            id: LB.into()
        }
    );
    let mut b = balancer(LB, "web");
    b.extra.insert("target_group_arn".into(), json!(TG));
    let err = lb.balancer_list_members(&b).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.operation(), Some("balancer_list_members"));
    // A balancer without a listener has no target group to hold members.
    let err = lb
        .balancer_attach_member(&balancer(LB, "web"), &Member::node("i-1"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    replay.assert_all_used();
}
