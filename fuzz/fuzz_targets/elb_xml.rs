//! Elastic Load Balancing's XML answers, classic and application.
#![no_main]

use libcloud_core::{BalancerState, LoadBalancer, LoadBalancerDriver};
use libcloud_elb::{AlbLoadBalancer, ElbConfig, ElbLoadBalancer};
use libcloud_fuzz::{answering, block_on, check, split};
use libfuzzer_sys::fuzz_target;

const ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/fuzz/50dc6c495c0c9188";

fn balancer(id: &str) -> LoadBalancer {
    LoadBalancer {
        id: id.into(),
        name: "fuzz".into(),
        state: BalancerState::Running,
        ip: None,
        port: 80,
        protocol: None,
        algorithm: None,
        extra: Default::default(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = split(data) else { return };
    let config = ElbConfig::new().with_keys("AKIDFUZZ", "fuzz-secret");
    let transport = answering(input.status, input.body, 4);
    let op = input.op % 6;
    check(block_on(async {
        if op < 3 {
            let Ok(elb) = ElbLoadBalancer::with_transport(config, transport) else {
                return Ok(());
            };
            match op {
                0 => elb.list_balancers().await.map(drop),
                1 => elb.get_balancer("fuzz").await.map(drop),
                _ => elb.balancer_list_members(&balancer("fuzz")).await.map(drop),
            }
        } else {
            let Ok(alb) = AlbLoadBalancer::with_transport(config, transport) else {
                return Ok(());
            };
            match op {
                3 => alb.list_balancers().await.map(drop),
                4 => alb.get_balancer(ARN).await.map(drop),
                _ => alb.balancer_list_members(&balancer(ARN)).await.map(drop),
            }
        }
    }));
});
