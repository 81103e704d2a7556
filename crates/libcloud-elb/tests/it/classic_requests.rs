//! What [`ElbLoadBalancer`](libcloud_elb::ElbLoadBalancer) sends, and how it reads answers and
//! errors written here.

use libcloud_core::{
    Algorithm, CreateBalancer, ErrorKind, LoadBalancerDriver, Member, ResourceKind,
};
use libcloud_elb::ClassicListener;
use serde_json::json;

use crate::{action, action_of, answer, args, balancer, classic, config, error_body, replay_of};

fn description(name: &str) -> String {
    format!(
        "<member><LoadBalancerName>{name}</LoadBalancerName><DNSName>{name}.elb.example</DNSName>\
         <ListenerDescriptions><member><Listener><Protocol>TCP</Protocol>\
         <LoadBalancerPort>443</LoadBalancerPort><InstanceProtocol>TCP</InstanceProtocol>\
         <InstancePort>8443</InstancePort></Listener><PolicyNames/></member></ListenerDescriptions>\
         <Instances/></member>"
    )
}

fn page(names: &[&str], next: Option<&str>) -> String {
    let members: String = names.iter().map(|n| description(n)).collect();
    let marker = next
        .map(|m| format!("<NextMarker>{m}</NextMarker>"))
        .unwrap_or_default();
    format!(
        "<DescribeLoadBalancersResponse><DescribeLoadBalancersResult><LoadBalancerDescriptions>\
         {members}</LoadBalancerDescriptions>{marker}</DescribeLoadBalancersResult>\
         </DescribeLoadBalancersResponse>"
    )
}

#[tokio::test]
async fn listings_follow_the_marker() {
    let replay = replay_of(vec![
        answer("DescribeLoadBalancers", page(&["a", "b"], Some("M1"))),
        action("DescribeLoadBalancers")
            .body_contains("Marker=M1")
            .response_header("content-type", "text/xml")
            .body(page(&["c"], None)),
    ]);
    let lb = classic(&replay, config());
    let all = lb.list_balancers().await.unwrap();
    let names: Vec<&str> = all.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(
        (all[0].port, all[0].protocol.as_deref()),
        (443, Some("tcp"))
    );
    replay.assert_all_used();
    assert_eq!(args(&replay.requests()[1]), ["Marker=M1"]);
}

#[tokio::test]
async fn creation_places_and_configures_the_balancer() {
    let replay = replay_of(vec![answer(
        "CreateLoadBalancer",
        "<CreateLoadBalancerResponse><CreateLoadBalancerResult><DNSName>x.elb.example</DNSName>\
         </CreateLoadBalancerResult></CreateLoadBalancerResponse>",
    )]);
    let lb = classic(
        &replay,
        config()
            .with_subnets(["subnet-a", "subnet-b"])
            .with_security_groups(["sg-1"])
            .with_scheme("internal"),
    );
    let mut request = CreateBalancer::new("secure", 443, "HTTPS");
    request.extra.insert(
        "ssl_certificate_id".into(),
        json!("arn:aws:iam::1:server-certificate/c"),
    );
    request.extra.insert("instance_port".into(), json!(8080));
    let created = lb.create_balancer(&request).await.unwrap();
    assert_eq!(created.protocol.as_deref(), Some("https"));
    assert_eq!(created.extra["listeners"][0]["instance_port"], json!(8080));
    replay.assert_all_used();
    assert_eq!(
        args(&replay.requests()[0]),
        [
            "LoadBalancerName=secure",
            "Listeners.member.1.Protocol=HTTPS",
            "Listeners.member.1.LoadBalancerPort=443",
            "Listeners.member.1.InstanceProtocol=HTTPS",
            "Listeners.member.1.InstancePort=8080",
            "Listeners.member.1.SSLCertificateId=arn:aws:iam::1:server-certificate/c",
            "Subnets.member.1=subnet-a",
            "Subnets.member.2=subnet-b",
            "SecurityGroups.member.1=sg-1",
            "Scheme=internal",
        ]
    );
}

#[tokio::test]
async fn bad_requests_send_nothing() {
    let replay = replay_of(vec![]);
    let lb = classic(&replay, config());
    let err = lb
        .create_balancer(
            &CreateBalancer::new("x", 80, "http").algorithm(Algorithm::LeastConnections),
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.provider(), Some("elb"));
    let err = lb
        .create_balancer(&CreateBalancer::new("x", 80, "udp"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = lb
        .create_balancer(&CreateBalancer::new("x", 80, "http").member(Member::new("192.0.2.1", 80)))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = lb
        .balancer_attach_member(&balancer("x", "x"), &Member::new("192.0.2.1", 80))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    for bad in ["", "has space", "-dash", &"x".repeat(40)] {
        let err = lb.get_balancer(bad).await.unwrap_err();
        assert_eq!(
            *err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::LoadBalancer,
                id: bad.to_string()
            }
        );
    }
    assert!(replay.requests().is_empty());
}

#[tokio::test]
async fn a_failed_registration_deletes_the_new_balancer() {
    let replay = replay_of(vec![
        answer(
            "CreateLoadBalancer",
            "<CreateLoadBalancerResult><DNSName>d</DNSName></CreateLoadBalancerResult>",
        ),
        answer(
            "RegisterInstancesWithLoadBalancer",
            error_body(
                "InvalidInstance",
                "EC2 instance i-404 is not in a valid state",
            ),
        )
        .status(400),
        answer("DeleteLoadBalancer", "<DeleteLoadBalancerResponse/>"),
    ]);
    let lb = classic(&replay, config());
    let err = lb
        .create_balancer(&CreateBalancer::new("lb", 80, "http").member(Member::node("i-404")))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("i-404"), "{err}");
    replay.assert_all_used();
    let actions: Vec<String> = replay.requests().iter().map(action_of).collect();
    assert_eq!(
        actions,
        [
            "CreateLoadBalancer",
            "RegisterInstancesWithLoadBalancer",
            "DeleteLoadBalancer"
        ]
    );
}

#[tokio::test]
async fn errors_keep_their_meaning() {
    let replay = replay_of(vec![
        answer(
            "DescribeLoadBalancers",
            error_body(
                "LoadBalancerNotFound",
                "There is no ACTIVE Load Balancer named 'gone'",
            ),
        )
        .status(400),
        answer(
            "CreateLoadBalancer",
            error_body("DuplicateLoadBalancerName", "exists with other settings"),
        )
        .status(400),
        answer(
            "DeleteLoadBalancer",
            error_body("Throttling", "Rate exceeded"),
        )
        .status(400),
        answer("DescribeLoadBalancers", "<not-closed>"),
    ]);
    let lb = classic(&replay, config());
    let err = lb.get_balancer("gone").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::LoadBalancer,
            id: "gone".into()
        }
    );
    assert_eq!(err.request_id(), Some("req-LoadBalancerNotFound"));
    let err = lb
        .create_balancer(&CreateBalancer::new("dup", 80, "http"))
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::LoadBalancer,
            id: "dup".into()
        }
    );
    let err = lb.destroy_balancer(&balancer("x", "x")).await.unwrap_err();
    assert!(err.is_temporary());
    let err = lb.list_balancers().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    replay.assert_all_used();
}

#[tokio::test]
async fn listeners_are_added_in_order() {
    let replay = replay_of(vec![answer(
        "CreateLoadBalancerListeners",
        "<CreateLoadBalancerListenersResponse/>",
    )]);
    let lb = classic(&replay, config());
    let listeners = [
        ClassicListener::new("tcp", 22, 2222),
        ClassicListener::new("ssl", 443, 80).with_certificate("arn:cert"),
    ];
    lb.ex_create_balancer_listeners(&balancer("web", "web"), &listeners)
        .await
        .unwrap();
    assert_eq!(
        args(&replay.requests()[0]),
        [
            "LoadBalancerName=web",
            "Listeners.member.1.Protocol=TCP",
            "Listeners.member.1.LoadBalancerPort=22",
            "Listeners.member.1.InstanceProtocol=TCP",
            "Listeners.member.1.InstancePort=2222",
            "Listeners.member.2.Protocol=SSL",
            "Listeners.member.2.LoadBalancerPort=443",
            "Listeners.member.2.InstanceProtocol=SSL",
            "Listeners.member.2.InstancePort=80",
            "Listeners.member.2.SSLCertificateId=arn:cert",
        ]
    );
    let err = lb
        .ex_create_balancer_listeners(
            &balancer("web", "web"),
            &[ClassicListener::new("udp", 53, 53)],
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert_eq!(replay.requests().len(), 1);
}
