//! Fuzzing the Elastic Load Balancing XML parsers (classic and application) with proptest:
//! descriptions of balancers, listeners, instances, target groups and target health, mutated
//! from the seeds in `tests/corpus/elb-xml/` or generated from the APIs' element names, under
//! any status. Each gives a result or a typed error, never a panic. `PROPTEST_CASES` sets how
//! many inputs each property tries (256 by default).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use libcloud_core::transport::{self, Request};
use libcloud_core::{
    BalancerState, Body, ErrorKind, LoadBalancer, LoadBalancerDriver, Member, Result, Transport,
};
use libcloud_elb::{AlbLoadBalancer, ElbLoadBalancer};
use libcloud_testkit::fuzz::{XML_DICTIONARY, corpus, inputs, xml_documents};
use proptest::prelude::*;

use crate::config;

const CLASSIC: &[&str] = &[
    "DescribeLoadBalancersResponse",
    "DescribeLoadBalancersResult",
    "LoadBalancerDescriptions",
    "member",
    "LoadBalancerName",
    "DNSName",
    "ListenerDescriptions",
    "Listener",
    "Protocol",
    "LoadBalancerPort",
    "InstancePort",
    "InstanceProtocol",
    "Instances",
    "InstanceId",
    "HealthCheck",
    "Target",
    "Interval",
    "CreatedTime",
    "NextMarker",
    "Scheme",
];
const ALB: &[&str] = &[
    "DescribeLoadBalancersResponse",
    "LoadBalancers",
    "member",
    "LoadBalancerArn",
    "LoadBalancerName",
    "DNSName",
    "State",
    "Code",
    "Type",
    "TargetGroups",
    "TargetGroupArn",
    "Port",
    "Protocol",
    "TargetHealthDescriptions",
    "Target",
    "Id",
    "TargetHealth",
    "NextMarker",
    "Listeners",
    "ListenerArn",
    "DefaultActions",
];

const STATUSES: &[u16] = &[200, 200, 200, 400, 403, 404, 409, 500, 503];

fn answers() -> BoxedStrategy<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/elb-xml");
    let generated = prop_oneof![xml_documents(CLASSIC), xml_documents(ALB)].boxed();
    inputs(corpus(dir), XML_DICTIONARY, Some(generated))
}

/// Answers the first four requests with `status` and `body`, later ones with an empty 500.
fn answering(status: u16, body: Vec<u8>) -> Transport {
    let calls = Arc::new(AtomicUsize::new(0));
    transport::from_fn(move |_request: Request| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let (status, body) = if n < 4 {
            (status, body.clone())
        } else {
            (500, Vec::new())
        };
        Box::pin(async move {
            Ok(http::Response::builder()
                .status(status)
                .header("content-type", "text/xml")
                .body(Body::from(body))
                .unwrap())
        })
    })
}

fn balancer(id: &str) -> LoadBalancer {
    LoadBalancer {
        id: id.into(),
        name: "seed".into(),
        state: BalancerState::Running,
        ip: None,
        port: 80,
        protocol: None,
        algorithm: None,
        extra: Default::default(),
    }
}

async fn call(op: usize, transport: Transport) -> Result<()> {
    let arn = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/seed/50dc6c495c0c9188";
    if op < 4 {
        let elb = ElbLoadBalancer::with_transport(config(), transport).unwrap();
        match op {
            0 => elb.list_balancers().await.map(drop),
            1 => elb.get_balancer("seed-web").await.map(drop),
            2 => elb
                .balancer_list_members(&balancer("seed-web"))
                .await
                .map(drop),
            _ => {
                let mut member = Member::new("10.0.0.3", 8080);
                member.id = Some("i-0seed3".into());
                elb.balancer_attach_member(&balancer("seed-web"), &member)
                    .await
                    .map(drop)
            }
        }
    } else {
        let alb = AlbLoadBalancer::with_transport(config(), transport).unwrap();
        match op {
            4 => alb.list_balancers().await.map(drop),
            5 => alb.get_balancer(arn).await.map(drop),
            _ => alb.balancer_list_members(&balancer(arn)).await.map(drop),
        }
    }
}

proptest! {
    #[test]
    fn answers_are_parsed_or_refused_with_a_typed_error(
        body in answers(),
        op in 0usize..7,
        status in prop::sample::select(STATUSES),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let result = runtime.block_on(call(op, answering(status, body)));
        if let Err(err) = result {
            let pager = err.message().is_some_and(|m| m.contains("same page token"));
            prop_assert!(pager || err.provider().is_some(), "{:?}", err);
            if status < 300 {
                // InvalidInput is what the driver says when the answer describes a balancer that
                // cannot do what was asked (no listener forwarding to a target group).
                prop_assert!(
                    matches!(
                        err.kind(),
                        ErrorKind::MalformedResponse
                            | ErrorKind::Provider { .. }
                            | ErrorKind::NotFound { .. }
                            | ErrorKind::InvalidInput
                    ),
                    "a {} answer to op {} failed as {:?}: {}", status, op, err.kind(), err
                );
            }
        }
    }
}

#[test]
fn every_seed_is_read_without_panicking() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/elb-xml");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let read = |file: &str, op: usize| {
        let body = std::fs::read(format!("{dir}/{file}")).unwrap();
        runtime.block_on(call(op, answering(200, body)))
    };
    // One description, no next page: the classic balancer is found.
    let mut seed = std::fs::read_to_string(format!("{dir}/classic-describe.xml")).unwrap();
    seed = seed.replace("<NextMarker>c2VlZA==</NextMarker>", "");
    let found = runtime.block_on(call(1, answering(200, seed.into_bytes())));
    assert!(found.is_ok(), "{found:?}");
    for (file, op) in [
        ("classic-describe.xml", 0),
        ("alb-describe.xml", 4),
        ("alb-target-health.xml", 6),
    ] {
        let _ = read(file, op);
    }
}
