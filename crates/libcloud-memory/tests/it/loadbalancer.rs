//! Balancers and their members.

use std::collections::BTreeSet;
use std::time::Duration;

use libcloud_core::{
    Algorithm, BalancerState, ComputeDriver, CreateBalancer, CreateNode, ErrorKind, LoadBalancer,
    LoadBalancerDriver, LoadBalancerDriverExt, Member, ResourceKind, UpdateBalancer,
};
use libcloud_memory::{MemoryCompute, MemoryLoadBalancer};

use crate::{assert_exists, assert_kind, assert_not_found};

async fn balancer(lb: &MemoryLoadBalancer, name: &str) -> LoadBalancer {
    lb.create_balancer(&CreateBalancer::new(name, 80, "http"))
        .await
        .unwrap()
}

fn update() -> UpdateBalancer {
    UpdateBalancer::default()
}

#[tokio::test]
async fn name_capabilities_protocols_and_algorithms() {
    let lb = MemoryLoadBalancer::default();
    assert_eq!(lb.name(), "memory");
    let caps = lb.capabilities();
    assert!(caps.members_by_ip && caps.update_balancer && !caps.members_by_node);
    assert_eq!(lb.list_protocols().await.unwrap(), ["http", "https", "tcp"]);
    assert_eq!(
        lb.list_supported_algorithms().await.unwrap(),
        [
            Algorithm::RoundRobin,
            Algorithm::LeastConnections,
            Algorithm::Random,
            Algorithm::WeightedRoundRobin
        ]
    );
    assert_eq!(lb.provision_time(), Duration::ZERO);
}

#[tokio::test]
async fn balancers_are_created_listed_and_destroyed() {
    let lb = MemoryLoadBalancer::new();
    let b = lb
        .create_balancer(
            &CreateBalancer::new("web", 443, "HTTPS").algorithm(Algorithm::LeastConnections),
        )
        .await
        .unwrap();
    assert_eq!(b.name, "web");
    assert_eq!(b.port, 443);
    assert_eq!(b.protocol.as_deref(), Some("https"));
    assert_eq!(b.algorithm, Some(Algorithm::LeastConnections));
    assert_eq!(b.state, BalancerState::Running);
    let ip: std::net::Ipv4Addr = b.ip.as_deref().unwrap().parse().unwrap();
    assert_eq!(ip.octets()[..3], [198, 51, 100]);

    let other = balancer(&lb, "api").await;
    assert_ne!(other.id, b.id);
    assert_ne!(other.ip, b.ip);
    let listed = lb.list_balancers().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(lb.get_balancer(&b.id).await.unwrap().name, "web");

    lb.destroy_balancer(&b).await.unwrap();
    assert_not_found(lb.get_balancer(&b.id).await, ResourceKind::LoadBalancer);
    assert_not_found(lb.destroy_balancer(&b).await, ResourceKind::LoadBalancer);
    assert_not_found(
        lb.balancer_list_members(&b).await,
        ResourceKind::LoadBalancer,
    );
    assert_not_found(
        lb.balancer_attach_member(&b, &Member::new("192.0.2.1", 80))
            .await,
        ResourceKind::LoadBalancer,
    );
    assert_not_found(
        lb.balancer_detach_member(&b, &Member::new("192.0.2.1", 80))
            .await,
        ResourceKind::LoadBalancer,
    );
    assert_not_found(
        lb.update_balancer(&b, &update()).await,
        ResourceKind::LoadBalancer,
    );
    assert_eq!(lb.list_balancers().await.unwrap().len(), 1);
    for id in ["", "lb-0", "lb-01", "lb-x", "1"] {
        assert_not_found(lb.get_balancer(id).await, ResourceKind::LoadBalancer);
    }
}

#[tokio::test]
async fn create_balancer_checks_its_request() {
    let lb = MemoryLoadBalancer::new();
    assert_kind(
        lb.create_balancer(&CreateBalancer::new("", 80, "http"))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        lb.create_balancer(&CreateBalancer::new("web", 0, "http"))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        lb.create_balancer(&CreateBalancer::new("web", 80, "udp"))
            .await,
        ErrorKind::InvalidInput,
    );
    for algorithm in Algorithm::ALL {
        let result = lb
            .create_balancer(&CreateBalancer::new("alg", 80, "tcp").algorithm(algorithm))
            .await;
        let supported = matches!(
            algorithm,
            Algorithm::RoundRobin
                | Algorithm::LeastConnections
                | Algorithm::Random
                | Algorithm::WeightedRoundRobin
        );
        if supported {
            assert_eq!(result.unwrap().algorithm, Some(algorithm));
        } else {
            assert_kind(result, ErrorKind::Unsupported);
        }
    }
    // A refused member refuses the whole balancer.
    let with_bad_member = CreateBalancer::new("m", 80, "http")
        .member(Member::new("192.0.2.1", 8080))
        .member(Member::new("bogus", 8080));
    assert_kind(
        lb.create_balancer(&with_bad_member).await,
        ErrorKind::InvalidInput,
    );
    assert_eq!(lb.list_balancers().await.unwrap().len(), 4);
}

#[tokio::test]
async fn create_with_members() {
    let lb = MemoryLoadBalancer::new();
    let b = lb
        .create_balancer(
            &CreateBalancer::new("m", 80, "http")
                .member(Member::new("192.0.2.1", 8080))
                .member(Member::new("192.0.2.2", 8080)),
        )
        .await
        .unwrap();
    assert_eq!(b.extra["member_count"], 2);
    let members = lb.balancer_list_members(&b).await.unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].id.as_deref(), Some("1"));
    assert_eq!(members[1].ip.as_deref(), Some("192.0.2.2"));
    let duplicated = CreateBalancer::new("d", 80, "http")
        .member(Member::new("192.0.2.1", 8080))
        .member(Member::new("192.0.2.1", 8080));
    assert_exists(lb.create_balancer(&duplicated).await, ResourceKind::Member);
}

#[tokio::test(start_paused = true)]
async fn balancers_are_pending_while_provisioned() {
    let lb = MemoryLoadBalancer::with_provision_time(Duration::from_secs(5));
    assert_eq!(lb.provision_time(), Duration::from_secs(5));
    let b = balancer(&lb, "slow").await;
    assert_eq!(b.state, BalancerState::Pending);
    tokio::time::advance(Duration::from_millis(4_999)).await;
    assert_eq!(
        lb.get_balancer(&b.id).await.unwrap().state,
        BalancerState::Pending
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(
        lb.get_balancer(&b.id).await.unwrap().state,
        BalancerState::Running
    );
    assert_eq!(
        lb.list_balancers().await.unwrap()[0].state,
        BalancerState::Running
    );
}

#[tokio::test]
async fn members_must_be_addresses() {
    let lb = MemoryLoadBalancer::new();
    let b = balancer(&lb, "web").await;
    for ip in ["", "web-1", "192.0.2", "192.0.2.300", "http://192.0.2.1"] {
        assert_kind(
            lb.balancer_attach_member(&b, &Member::new(ip, 8080)).await,
            ErrorKind::InvalidInput,
        );
    }
    assert_kind(
        lb.balancer_attach_member(&b, &Member::node("node-1")).await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        lb.balancer_attach_member(&b, &Member::new("192.0.2.1", 0))
            .await,
        ErrorKind::InvalidInput,
    );
    assert!(lb.balancer_list_members(&b).await.unwrap().is_empty());

    let v4 = lb
        .balancer_attach_member(&b, &Member::new("192.0.2.1", 8080))
        .await
        .unwrap();
    assert_eq!(v4.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(v4.port, Some(8080));
    let v6 = lb
        .balancer_attach_member(&b, &Member::new("2001:DB8::10", 65535))
        .await
        .unwrap();
    assert_eq!(v6.ip.as_deref(), Some("2001:db8::10"));
    let mut default_port = Member::new("192.0.2.2", 1);
    default_port.port = None;
    default_port.weight = Some(3);
    let m = lb.balancer_attach_member(&b, &default_port).await.unwrap();
    assert_eq!(m.port, Some(80));
    assert_eq!(m.weight, Some(3));

    let ids: BTreeSet<String> = [&v4, &v6, &m]
        .iter()
        .map(|m| m.id.clone().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        lb.balancer_list_members(&b).await.unwrap(),
        vec![v4.clone(), v6.clone(), m.clone()]
    );
}

#[tokio::test]
async fn duplicate_members_already_exist() {
    let lb = MemoryLoadBalancer::new();
    let b = balancer(&lb, "web").await;
    lb.balancer_attach_member(&b, &Member::new("192.0.2.1", 8080))
        .await
        .unwrap();
    assert_exists(
        lb.balancer_attach_member(&b, &Member::new("192.0.2.1", 8080))
            .await,
        ResourceKind::Member,
    );
    lb.balancer_attach_member(&b, &Member::new("2001:db8::1", 80))
        .await
        .unwrap();
    assert_exists(
        lb.balancer_attach_member(&b, &Member::new("2001:db8:0::1", 80))
            .await,
        ResourceKind::Member,
    );
    // Another port of the same address is another member.
    lb.balancer_attach_member(&b, &Member::new("192.0.2.1", 8081))
        .await
        .unwrap();
    // The same member on another balancer is fine.
    let other = balancer(&lb, "other").await;
    lb.balancer_attach_member(&other, &Member::new("192.0.2.1", 8080))
        .await
        .unwrap();
    assert_eq!(lb.balancer_list_members(&b).await.unwrap().len(), 3);
}

#[tokio::test]
async fn detaching_members() {
    let lb = MemoryLoadBalancer::new();
    let b = balancer(&lb, "web").await;
    let m1 = lb
        .balancer_attach_member(&b, &Member::new("192.0.2.1", 8080))
        .await
        .unwrap();
    let m2 = lb
        .balancer_attach_member(&b, &Member::new("192.0.2.2", 80))
        .await
        .unwrap();
    lb.balancer_detach_member(&b, &m1).await.unwrap();
    assert_not_found(
        lb.balancer_detach_member(&b, &m1).await,
        ResourceKind::Member,
    );
    assert_eq!(
        lb.balancer_list_members(&b).await.unwrap(),
        vec![m2.clone()]
    );

    let mut unknown = m2.clone();
    unknown.id = Some("99".into());
    assert_not_found(
        lb.balancer_detach_member(&b, &unknown).await,
        ResourceKind::Member,
    );

    // Without an id, the member at that address and port (by default the balancer's) goes.
    let mut by_address = Member::new("192.0.2.2", 1);
    by_address.port = None;
    lb.balancer_detach_member(&b, &by_address).await.unwrap();
    assert!(lb.balancer_list_members(&b).await.unwrap().is_empty());
    assert_not_found(
        lb.balancer_detach_member(&b, &Member::new("192.0.2.2", 80))
            .await,
        ResourceKind::Member,
    );

    // Member ids are not reused.
    let m3 = lb
        .balancer_attach_member(&b, &Member::new("192.0.2.1", 8080))
        .await
        .unwrap();
    assert_eq!(m3.id.as_deref(), Some("3"));
}

#[tokio::test]
async fn balancers_can_be_updated() {
    let lb = MemoryLoadBalancer::new();
    let b = balancer(&lb, "web").await;
    let mut changes = update();
    changes.name = Some("renamed".into());
    changes.port = Some(8443);
    changes.protocol = Some("TCP".into());
    changes.algorithm = Some(Algorithm::WeightedRoundRobin);
    let updated = lb.update_balancer(&b, &changes).await.unwrap();
    assert_eq!(updated.id, b.id);
    assert_eq!(updated.name, "renamed");
    assert_eq!(updated.port, 8443);
    assert_eq!(updated.protocol.as_deref(), Some("tcp"));
    assert_eq!(updated.algorithm, Some(Algorithm::WeightedRoundRobin));
    assert_eq!(updated.ip, b.ip);
    assert_eq!(lb.get_balancer(&b.id).await.unwrap(), updated);

    // No changes change nothing.
    assert_eq!(lb.update_balancer(&b, &update()).await.unwrap(), updated);

    let mut bad = update();
    bad.algorithm = Some(Algorithm::PredictiveNode);
    bad.name = Some("never".into());
    assert_kind(lb.update_balancer(&b, &bad).await, ErrorKind::Unsupported);
    let mut bad = update();
    bad.protocol = Some("smtp".into());
    assert_kind(lb.update_balancer(&b, &bad).await, ErrorKind::InvalidInput);
    let mut bad = update();
    bad.port = Some(0);
    assert_kind(lb.update_balancer(&b, &bad).await, ErrorKind::InvalidInput);
    let mut bad = update();
    bad.name = Some(String::new());
    assert_kind(lb.update_balancer(&b, &bad).await, ErrorKind::InvalidInput);
    // The refused updates changed nothing.
    assert_eq!(lb.get_balancer(&b.id).await.unwrap(), updated);
}

#[tokio::test]
async fn compute_nodes_join_by_their_public_address() {
    let compute = MemoryCompute::new();
    let node = compute
        .create_node(&CreateNode::new("web-1", "small", "debian-12"))
        .await
        .unwrap();
    let lb = MemoryLoadBalancer::new();
    let b = balancer(&lb, "web").await;
    let member = lb.balancer_attach_compute_node(&b, &node).await.unwrap();
    assert_eq!(member.ip, Some(node.public_ips[0].to_string()));
    assert_eq!(member.port, Some(80));
}

#[tokio::test]
async fn running_out_of_addresses_is_a_quota_error() {
    let lb = MemoryLoadBalancer::new();
    let mut all = Vec::new();
    for i in 0..254 {
        all.push(balancer(&lb, &format!("b{i}")).await);
    }
    let ips: BTreeSet<_> = all.iter().map(|b| b.ip.clone()).collect();
    assert_eq!(ips.len(), 254);
    let err = lb
        .create_balancer(&CreateBalancer::new("more", 80, "http"))
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Provider {
            code: "QuotaExceeded".into()
        }
    );
    lb.destroy_balancer(&all[3]).await.unwrap();
    let again = balancer(&lb, "again").await;
    assert_eq!(again.ip, all[3].ip);
}

#[tokio::test]
async fn clones_share_and_new_is_separate() {
    let lb = MemoryLoadBalancer::new();
    let b = balancer(&lb.clone(), "shared").await;
    assert_eq!(lb.get_balancer(&b.id).await.unwrap().name, "shared");
    assert_not_found(
        MemoryLoadBalancer::new().get_balancer(&b.id).await,
        ResourceKind::LoadBalancer,
    );
    assert!(format!("{lb:?}").contains("balancers: 1"));
}
