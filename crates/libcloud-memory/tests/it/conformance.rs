//! The shared conformance suites, run on the memory drivers.

use libcloud_memory::{MemoryCompute, MemoryDns, MemoryLoadBalancer, MemoryStorage};
use libcloud_testkit::conformance;

#[tokio::test]
async fn storage_conformance() {
    conformance::storage::run(&MemoryStorage::new()).await;
}

#[tokio::test]
async fn compute_conformance() {
    conformance::compute::run(&MemoryCompute::new()).await;
}

#[tokio::test]
async fn dns_conformance() {
    conformance::dns::run(&MemoryDns::new()).await;
}

#[tokio::test]
async fn loadbalancer_conformance() {
    conformance::loadbalancer::run(&MemoryLoadBalancer::new()).await;
}
