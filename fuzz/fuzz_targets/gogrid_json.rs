//! GoGrid's JSON answers: balancers, members and addresses.
#![no_main]

use libcloud_core::{BalancerState, LoadBalancer, LoadBalancerDriver};
use libcloud_fuzz::{answering, block_on, check, split};
use libcloud_gogrid::{GoGridConfig, GoGridLoadBalancer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = split(data) else { return };
    let config = GoGridConfig::new("fuzz-key", "fuzz-secret");
    let Ok(lb) = GoGridLoadBalancer::with_transport(config, answering(input.status, input.body, 2))
    else {
        return;
    };
    let balancer = LoadBalancer {
        id: "70001".into(),
        name: "fuzz".into(),
        state: BalancerState::Running,
        ip: None,
        port: 80,
        protocol: None,
        algorithm: None,
        extra: Default::default(),
    };
    check(block_on(async {
        match input.op % 4 {
            0 => lb.list_balancers().await.map(drop),
            1 => lb.get_balancer("70001").await.map(drop),
            2 => lb.balancer_list_members(&balancer).await.map(drop),
            _ => lb.ex_list_ips(Some(true), None, None).await.map(drop),
        }
    }));
});
