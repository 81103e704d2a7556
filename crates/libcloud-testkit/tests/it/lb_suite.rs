//! The load balancer suite against a small in-test driver: correct, it passes every case;
//! with one deliberate bug, the case that covers it fails.

use std::collections::BTreeMap;
use std::sync::Mutex;

use libcloud_core::{
    Algorithm, BalancerState, CreateBalancer, Error, LoadBalancer, LoadBalancerCapabilities,
    LoadBalancerDriver, Member, ResourceKind, Result, UpdateBalancer, async_trait,
};
use libcloud_testkit::conformance::{Status, loadbalancer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    DetachKeepsMember,
    AcceptsAnyAlgorithm,
    UpdateIgnored,
    MissingIsUnsupported,
    ListsEveryAlgorithm,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    balancers: BTreeMap<String, (LoadBalancer, Vec<Member>)>,
}

#[derive(Debug, Default)]
struct FakeLb {
    state: Mutex<State>,
    fault: Option<Fault>,
}

impl FakeLb {
    fn with_fault(fault: Fault) -> Self {
        FakeLb {
            fault: Some(fault),
            ..Default::default()
        }
    }

    fn has(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }

    fn supported(&self) -> Vec<Algorithm> {
        if self.has(Fault::ListsEveryAlgorithm) {
            Algorithm::ALL.to_vec()
        } else {
            vec![Algorithm::RoundRobin, Algorithm::LeastConnections]
        }
    }
}

fn attach(state: &mut State, balancer_id: &str, member: &Member) -> Result<Member> {
    state.next += 1;
    let mut m = member.clone();
    m.id = Some(format!("m-{}", state.next));
    state
        .balancers
        .get_mut(balancer_id)
        .ok_or_else(|| Error::not_found(ResourceKind::LoadBalancer, balancer_id))?
        .1
        .push(m.clone());
    Ok(m)
}

#[async_trait]
impl LoadBalancerDriver for FakeLb {
    fn name(&self) -> &str {
        "fake"
    }

    fn capabilities(&self) -> LoadBalancerCapabilities {
        let mut caps = LoadBalancerCapabilities::default();
        caps.members_by_ip = true;
        caps.update_balancer = true;
        caps
    }

    async fn list_protocols(&self) -> Result<Vec<String>> {
        Ok(vec!["tcp".into(), "http".into()])
    }

    async fn list_supported_algorithms(&self) -> Result<Vec<Algorithm>> {
        Ok(self.supported())
    }

    async fn list_balancers(&self) -> Result<Vec<LoadBalancer>> {
        Ok(self
            .state
            .lock()
            .unwrap()
            .balancers
            .values()
            .map(|(b, _)| b.clone())
            .collect())
    }

    async fn get_balancer(&self, balancer_id: &str) -> Result<LoadBalancer> {
        match self.state.lock().unwrap().balancers.get(balancer_id) {
            Some((b, _)) => Ok(b.clone()),
            None if self.has(Fault::MissingIsUnsupported) => Err(Error::unsupported("get")),
            None => Err(Error::not_found(ResourceKind::LoadBalancer, balancer_id)),
        }
    }

    async fn create_balancer(&self, request: &CreateBalancer) -> Result<LoadBalancer> {
        if !self.supported().contains(&request.algorithm) && !self.has(Fault::AcceptsAnyAlgorithm) {
            return Err(Error::unsupported("create_balancer"));
        }
        let mut state = self.state.lock().unwrap();
        state.next += 1;
        let id = format!("lb-{}", state.next);
        let balancer = LoadBalancer {
            id: id.clone(),
            name: request.name.clone(),
            state: BalancerState::Running,
            ip: Some("203.0.113.1".into()),
            port: request.port,
            protocol: Some(request.protocol.clone()),
            algorithm: Some(request.algorithm),
            extra: Default::default(),
        };
        state
            .balancers
            .insert(id.clone(), (balancer.clone(), Vec::new()));
        for member in &request.members {
            attach(&mut state, &id, member)?;
        }
        Ok(balancer)
    }

    async fn update_balancer(
        &self,
        balancer: &LoadBalancer,
        changes: &UpdateBalancer,
    ) -> Result<LoadBalancer> {
        let mut state = self.state.lock().unwrap();
        let (current, _) = state
            .balancers
            .get_mut(&balancer.id)
            .ok_or_else(|| Error::not_found(ResourceKind::LoadBalancer, &balancer.id))?;
        let mut updated = current.clone();
        if let Some(name) = &changes.name {
            updated.name = name.clone();
        }
        if let Some(a) = changes.algorithm {
            updated.algorithm = Some(a);
        }
        if !self.has(Fault::UpdateIgnored) {
            *current = updated.clone();
        }
        Ok(updated)
    }

    async fn destroy_balancer(&self, balancer: &LoadBalancer) -> Result<()> {
        self.state
            .lock()
            .unwrap()
            .balancers
            .remove(&balancer.id)
            .map(drop)
            .ok_or_else(|| Error::not_found(ResourceKind::LoadBalancer, &balancer.id))
    }

    async fn balancer_attach_member(
        &self,
        balancer: &LoadBalancer,
        member: &Member,
    ) -> Result<Member> {
        attach(&mut self.state.lock().unwrap(), &balancer.id, member)
    }

    async fn balancer_detach_member(&self, balancer: &LoadBalancer, member: &Member) -> Result<()> {
        let mut state = self.state.lock().unwrap();
        let (_, members) = state
            .balancers
            .get_mut(&balancer.id)
            .ok_or_else(|| Error::not_found(ResourceKind::LoadBalancer, &balancer.id))?;
        let before = members.len();
        if !self.has(Fault::DetachKeepsMember) {
            members.retain(|m| m.id != member.id);
        }
        if before == members.len() && !self.has(Fault::DetachKeepsMember) {
            return Err(Error::not_found(ResourceKind::Member, "member"));
        }
        Ok(())
    }

    async fn balancer_list_members(&self, balancer: &LoadBalancer) -> Result<Vec<Member>> {
        self.state
            .lock()
            .unwrap()
            .balancers
            .get(&balancer.id)
            .map(|(_, m)| m.clone())
            .ok_or_else(|| Error::not_found(ResourceKind::LoadBalancer, &balancer.id))
    }
}

#[tokio::test]
async fn a_correct_driver_passes_every_case() {
    let driver = FakeLb::default();
    let report = loadbalancer::report_with(&driver, &Default::default()).await;
    assert!(report.failures().is_empty(), "{report:#?}");
    assert_eq!(report.ran(), report.cases.len());
    assert!(driver.state.lock().unwrap().balancers.is_empty());
    loadbalancer::run(&driver).await;
}

#[tokio::test]
async fn every_algorithm_supported_skips_the_unsupported_case() {
    let driver = FakeLb::with_fault(Fault::ListsEveryAlgorithm);
    let report = loadbalancer::report_with(&driver, &Default::default()).await;
    assert_eq!(
        report.status("unsupported_algorithm"),
        Some(&Status::Skipped(
            "the driver supports every algorithm".into()
        ))
    );
}

#[tokio::test]
async fn each_bug_fails_the_case_that_covers_it() {
    for (fault, case) in [
        (Fault::DetachKeepsMember, "members"),
        (Fault::AcceptsAnyAlgorithm, "unsupported_algorithm"),
        (Fault::UpdateIgnored, "update_balancer"),
        (Fault::MissingIsUnsupported, "missing_balancer"),
        (Fault::MissingIsUnsupported, "balancer_lifecycle"),
    ] {
        let driver = FakeLb::with_fault(fault);
        let report = loadbalancer::report_with(&driver, &Default::default()).await;
        assert!(
            matches!(report.status(case), Some(Status::Failed(_))),
            "{fault:?} should fail {case}: {report:#?}"
        );
        assert!(
            driver.state.lock().unwrap().balancers.is_empty(),
            "{fault:?}: balancers left behind"
        );
    }
}

#[tokio::test]
async fn too_few_member_addresses_fail_clearly() {
    let driver = FakeLb::default();
    let options = loadbalancer::Options {
        members: vec!["192.0.2.99".into()],
        ..Default::default()
    };
    let failure = loadbalancer::members(&driver, &options).await.unwrap_err();
    assert!(failure.message().contains("fewer than two"), "{failure}");
}
