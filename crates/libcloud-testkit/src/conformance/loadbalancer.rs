//! The load balancer conformance suite: protocols, algorithms, balancers and members.
//!
//! Every case creates its balancer (`lc-<case>-<8 hex>`) and destroys it when it ends, whether
//! it passed or not. Members are addresses from the documentation range 192.0.2.0/24 unless
//! [`Options`] names others; they are data only, nothing is contacted.

use std::time::Duration;

use libcloud_core::{
    Algorithm, BalancerState, CreateBalancer, ErrorKind, LoadBalancer, LoadBalancerDriver, Member,
    ResourceKind, UpdateBalancer,
};

use super::{
    CaseResult, Context, DEFAULT_CASE_TIMEOUT, Failure, Harness, Outcome, Report, best_effort,
    case_name, ensure, expect_kind, expect_not_found, lacks,
};

/// What the load balancer suite creates.
///
/// Build it with struct update syntax: `Options { port: 8000, ..Default::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Member addresses; at least two. Default `192.0.2.10` and `192.0.2.11`.
    pub members: Vec<String>,
    /// The port members listen on. Default 8080.
    pub member_port: u16,
    /// The port balancers listen on. Default 80.
    pub port: u16,
    /// The protocol to create balancers with; `http` when the driver lists it, else the first
    /// listed, when `None`.
    pub protocol: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            members: vec!["192.0.2.10".into(), "192.0.2.11".into()],
            member_port: 8080,
            port: 80,
            protocol: None,
        }
    }
}

/// How long clean-up may take before it is abandoned.
const CLEANUP_LIMIT: Duration = Duration::from_secs(60);

/// Runs every load balancer case with default [`Options`]; see [`run_with`].
pub async fn run(driver: &dyn LoadBalancerDriver) {
    run_with(driver, &Options::default()).await;
}

/// Runs every load balancer case the driver's capabilities allow, prints one line per case,
/// and panics listing every failure (or when no case ran).
pub async fn run_with(driver: &dyn LoadBalancerDriver, options: &Options) {
    report_with(driver, options).await.assert_passed();
}

/// Runs every load balancer case, prints one line per case and returns the report without
/// panicking.
pub async fn report_with(driver: &dyn LoadBalancerDriver, options: &Options) -> Report {
    let (d, o) = (driver, options);
    let mut h = Harness::new("loadbalancer", DEFAULT_CASE_TIMEOUT);
    h.case("catalog", catalog(d)).await;
    h.case("balancer_lifecycle", balancer_lifecycle(d, o)).await;
    h.case("members", members(d, o)).await;
    h.case("create_with_members", create_with_members(d, o))
        .await;
    h.case("unsupported_algorithm", unsupported_algorithm(d, o))
        .await;
    h.case("missing_balancer", missing_balancer(d)).await;
    h.case("update_balancer", update_balancer(d, o)).await;
    h.finish()
}

/// `list_protocols` and `list_supported_algorithms` are non-empty, without blanks or
/// repeats.
pub async fn catalog(d: &dyn LoadBalancerDriver) -> CaseResult {
    let protocols = d.list_protocols().await.context("list_protocols")?;
    ensure!(!protocols.is_empty(), "list_protocols is empty");
    for (i, p) in protocols.iter().enumerate() {
        ensure!(!p.trim().is_empty(), "list_protocols has a blank entry");
        ensure!(
            !protocols[..i].iter().any(|q| q.eq_ignore_ascii_case(p)),
            "list_protocols lists {p:?} twice"
        );
    }
    let algorithms = d
        .list_supported_algorithms()
        .await
        .context("list_supported_algorithms")?;
    ensure!(!algorithms.is_empty(), "list_supported_algorithms is empty");
    for (i, a) in algorithms.iter().enumerate() {
        ensure!(
            !algorithms[..i].contains(a),
            "list_supported_algorithms lists {a} twice"
        );
    }
    Ok(Outcome::Passed)
}

/// A balancer created with a supported protocol and algorithm has them, its name and port; it
/// is found by `get_balancer` and in the listing, and after `destroy_balancer` is gone
/// (`NotFound` of a load balancer, or `deleted`).
pub async fn balancer_lifecycle(d: &dyn LoadBalancerDriver, o: &Options) -> CaseResult {
    let name = case_name("balancer_lifecycle");
    let result: CaseResult = async {
        let (protocol, algorithm) = choose(d, o).await?;
        let request = CreateBalancer::new(&name, o.port, &protocol).algorithm(algorithm);
        let balancer = d
            .create_balancer(&request)
            .await
            .context("create_balancer")?;
        ensure!(
            !balancer.id.is_empty(),
            "create_balancer returned an empty id"
        );
        check_balancer(
            &balancer,
            &name,
            o.port,
            &protocol,
            algorithm,
            "create_balancer",
        )?;
        let got = d.get_balancer(&balancer.id).await.context("get_balancer")?;
        ensure!(
            got.id == balancer.id,
            "get_balancer({:?}) returned {:?}",
            balancer.id,
            got.id
        );
        check_balancer(&got, &name, o.port, &protocol, algorithm, "get_balancer")?;
        let listed = d.list_balancers().await.context("list_balancers")?;
        ensure!(
            listed.iter().any(|b| b.id == balancer.id),
            "list_balancers ({} balancers) lacks the new balancer {:?}",
            listed.len(),
            balancer.id
        );
        d.destroy_balancer(&balancer)
            .await
            .context("destroy_balancer")?;
        match d.get_balancer(&balancer.id).await {
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::NotFound {
                        kind: ResourceKind::LoadBalancer,
                        ..
                    }
                ) => {}
            Ok(b) if b.state == BalancerState::Deleted => {}
            other => {
                return Err(Failure::new(format!(
                    "get_balancer after destroy_balancer: expected NotFound of a load balancer \
                     or a deleted balancer, got {:?}",
                    other.map(|b| b.state)
                )));
            }
        }
        let listed = d
            .list_balancers()
            .await
            .context("list_balancers after destroy")?;
        ensure!(
            !listed
                .iter()
                .any(|b| b.id == balancer.id && b.state != BalancerState::Deleted),
            "list_balancers still lists the destroyed balancer {:?}",
            balancer.id
        );
        Ok(Outcome::Passed)
    }
    .await;
    destroy_quietly(d, &name).await;
    result
}

/// With `members_by_ip`: an attached member gets an id and keeps its address and port, is
/// listed, a second one joins it, and after detaching the first only the second is listed.
pub async fn members(d: &dyn LoadBalancerDriver, o: &Options) -> CaseResult {
    if !d.capabilities().members_by_ip {
        return lacks("members_by_ip");
    }
    let [first_ip, second_ip] = two_members(o)?;
    with_balancer(d, o, "members", Vec::new(), async |balancer| {
        let before = d
            .balancer_list_members(balancer)
            .await
            .context("balancer_list_members of a new balancer")?;
        ensure!(
            before.is_empty(),
            "a balancer created without members lists {} members",
            before.len()
        );
        let first = attach(d, balancer, first_ip, o.member_port).await?;
        let listed = d
            .balancer_list_members(balancer)
            .await
            .context("balancer_list_members")?;
        ensure!(
            listed.len() == 1
                && listed[0].id == first.id
                && listed[0].ip.as_deref() == Some(first_ip),
            "after one attach the members are {:?}, expected only {first_ip}",
            member_summary(&listed)
        );
        let second = attach(d, balancer, second_ip, o.member_port).await?;
        ensure!(
            second.id != first.id,
            "two members got the same id {:?}",
            first.id
        );
        let listed = d
            .balancer_list_members(balancer)
            .await
            .context("balancer_list_members")?;
        ensure!(
            listed.len() == 2,
            "after two attaches the members are {:?}",
            member_summary(&listed)
        );
        d.balancer_detach_member(balancer, &first)
            .await
            .context("balancer_detach_member")?;
        let listed = d
            .balancer_list_members(balancer)
            .await
            .context("balancer_list_members after detach")?;
        ensure!(
            listed.len() == 1 && listed[0].id == second.id,
            "after detaching {first_ip} the members are {:?}, expected only {second_ip}",
            member_summary(&listed)
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// With `members_by_ip`: members given at creation are listed with their addresses.
pub async fn create_with_members(d: &dyn LoadBalancerDriver, o: &Options) -> CaseResult {
    if !d.capabilities().members_by_ip {
        return lacks("members_by_ip");
    }
    let [first_ip, second_ip] = two_members(o)?;
    let initial = vec![
        Member::new(first_ip, o.member_port),
        Member::new(second_ip, o.member_port),
    ];
    with_balancer(d, o, "create_with_members", initial, async |balancer| {
        let listed = d
            .balancer_list_members(balancer)
            .await
            .context("balancer_list_members")?;
        let mut ips: Vec<&str> = listed.iter().filter_map(|m| m.ip.as_deref()).collect();
        ips.sort_unstable();
        let mut expected = vec![first_ip, second_ip];
        expected.sort_unstable();
        ensure!(
            ips == expected && listed.len() == 2,
            "the members are {:?}, expected {expected:?}",
            member_summary(&listed)
        );
        for m in &listed {
            ensure!(m.id.is_some(), "member {:?} has no id", m.ip);
        }
        Ok(Outcome::Passed)
    })
    .await
}

/// Creating a balancer with an algorithm the driver does not list is `Unsupported` or
/// `InvalidInput` (skipped when it lists every algorithm).
pub async fn unsupported_algorithm(d: &dyn LoadBalancerDriver, o: &Options) -> CaseResult {
    let supported = d
        .list_supported_algorithms()
        .await
        .context("list_supported_algorithms")?;
    let Some(unsupported) = Algorithm::ALL.into_iter().find(|a| !supported.contains(a)) else {
        return Ok(Outcome::Skipped(
            "the driver supports every algorithm".into(),
        ));
    };
    let (protocol, _) = choose(d, o).await?;
    let name = case_name("unsupported_algorithm");
    let request = CreateBalancer::new(&name, o.port, &protocol).algorithm(unsupported);
    let result = d.create_balancer(&request).await;
    if result.is_ok() {
        destroy_quietly(d, &name).await;
    }
    expect_kind(
        result,
        &format!("create_balancer with the unlisted algorithm {unsupported}"),
        "Unsupported or InvalidInput",
        |k| matches!(k, ErrorKind::Unsupported | ErrorKind::InvalidInput),
    )?;
    Ok(Outcome::Passed)
}

/// `get_balancer` of a made-up id is `NotFound` of a load balancer.
pub async fn missing_balancer(d: &dyn LoadBalancerDriver) -> CaseResult {
    expect_not_found(
        d.get_balancer(&case_name("missing-balancer")).await,
        ResourceKind::LoadBalancer,
        "get_balancer of a made-up id",
    )?;
    Ok(Outcome::Passed)
}

/// With `update_balancer`: a new name (and a new algorithm, where two are supported) is
/// returned and kept.
pub async fn update_balancer(d: &dyn LoadBalancerDriver, o: &Options) -> CaseResult {
    if !d.capabilities().update_balancer {
        return lacks("update_balancer");
    }
    with_balancer(d, o, "update_balancer", Vec::new(), async |balancer| {
        let new_name = case_name("update_balancer_renamed");
        let mut changes = UpdateBalancer::default();
        changes.name = Some(new_name.clone());
        let supported = d
            .list_supported_algorithms()
            .await
            .context("list_supported_algorithms")?;
        let other_algorithm = supported
            .iter()
            .copied()
            .find(|a| Some(*a) != balancer.algorithm);
        changes.algorithm = other_algorithm;
        let updated = d
            .update_balancer(balancer, &changes)
            .await
            .context("update_balancer")?;
        ensure!(
            updated.id == balancer.id && updated.name == new_name,
            "update_balancer returned {:?} named {:?}, expected {:?} named {new_name:?}",
            updated.id,
            updated.name,
            balancer.id
        );
        let got = d
            .get_balancer(&balancer.id)
            .await
            .context("get_balancer after update")?;
        ensure!(
            got.name == new_name,
            "after update_balancer get_balancer returns the name {:?}, expected {new_name:?}",
            got.name
        );
        if let (Some(wanted), Some(now)) = (other_algorithm, got.algorithm) {
            ensure!(
                now == wanted,
                "after update_balancer the algorithm is {now}, expected {wanted}"
            );
        }
        Ok(Outcome::Passed)
    })
    .await
}

// ---------------------------------------------------------------------------------------------

/// The protocol and algorithm balancers are created with.
async fn choose(d: &dyn LoadBalancerDriver, o: &Options) -> Result<(String, Algorithm), Failure> {
    let protocols = d.list_protocols().await.context("list_protocols")?;
    let protocol = match &o.protocol {
        Some(p) => p.clone(),
        None => protocols
            .iter()
            .find(|p| p.eq_ignore_ascii_case("http"))
            .or_else(|| protocols.first())
            .cloned()
            .ok_or_else(|| Failure::new("list_protocols is empty"))?,
    };
    let algorithms = d
        .list_supported_algorithms()
        .await
        .context("list_supported_algorithms")?;
    let algorithm = if algorithms.contains(&Algorithm::RoundRobin) {
        Algorithm::RoundRobin
    } else {
        *algorithms
            .first()
            .ok_or_else(|| Failure::new("list_supported_algorithms is empty"))?
    };
    Ok((protocol, algorithm))
}

fn two_members(o: &Options) -> Result<[&str; 2], Failure> {
    match o.members.as_slice() {
        [a, b, ..] => Ok([a.as_str(), b.as_str()]),
        _ => Err(Failure::new(
            "the options name fewer than two member addresses",
        )),
    }
}

/// Creates a balancer for `case` with `members`, runs `body` with it, and destroys it
/// afterwards, whatever the outcome.
async fn with_balancer<F>(
    d: &dyn LoadBalancerDriver,
    o: &Options,
    case: &str,
    members: Vec<Member>,
    body: F,
) -> CaseResult
where
    F: AsyncFnOnce(&LoadBalancer) -> CaseResult,
{
    let (protocol, algorithm) = choose(d, o).await?;
    let name = case_name(case);
    let mut request = CreateBalancer::new(&name, o.port, &protocol).algorithm(algorithm);
    request.members = members;
    match d.create_balancer(&request).await {
        Ok(balancer) => {
            let result = body(&balancer).await;
            // By id: the body may have renamed it.
            best_effort(CLEANUP_LIMIT, async {
                let _ = d.destroy_balancer(&balancer).await;
            })
            .await;
            result
        }
        Err(e) => {
            destroy_quietly(d, &name).await;
            Err(Failure::new(format!(
                "create_balancer: unexpected error: {e}"
            )))
        }
    }
}

/// Destroys every balancer named `name`, ignoring errors.
async fn destroy_quietly(d: &dyn LoadBalancerDriver, name: &str) {
    best_effort(CLEANUP_LIMIT, async {
        if let Ok(balancers) = d.list_balancers().await {
            for b in balancers.iter().filter(|b| b.name == name) {
                let _ = d.destroy_balancer(b).await;
            }
        }
    })
    .await;
}

async fn attach(
    d: &dyn LoadBalancerDriver,
    balancer: &LoadBalancer,
    ip: &str,
    port: u16,
) -> Result<Member, Failure> {
    let member = d
        .balancer_attach_member(balancer, &Member::new(ip, port))
        .await
        .context(&format!("balancer_attach_member({ip}:{port})"))?;
    ensure!(
        member.id.as_deref().is_some_and(|id| !id.is_empty()),
        "balancer_attach_member({ip}) returned a member without an id"
    );
    ensure!(
        member.ip.as_deref() == Some(ip),
        "balancer_attach_member({ip}) returned the address {:?}",
        member.ip
    );
    ensure!(
        member.port.is_none_or(|p| p == port),
        "balancer_attach_member({ip}:{port}) returned the port {:?}",
        member.port
    );
    Ok(member)
}

fn check_balancer(
    b: &LoadBalancer,
    name: &str,
    port: u16,
    protocol: &str,
    algorithm: Algorithm,
    what: &str,
) -> Result<(), Failure> {
    ensure!(
        b.name == name,
        "{what}: name {:?}, expected {name:?}",
        b.name
    );
    ensure!(b.port == port, "{what}: port {}, expected {port}", b.port);
    if let Some(p) = &b.protocol {
        ensure!(
            p.eq_ignore_ascii_case(protocol),
            "{what}: protocol {p:?}, expected {protocol:?}"
        );
    }
    if let Some(a) = b.algorithm {
        ensure!(
            a == algorithm,
            "{what}: algorithm {a}, expected {algorithm}"
        );
    }
    ensure!(
        !matches!(b.state, BalancerState::Deleted | BalancerState::Error),
        "{what}: the new balancer is in state {:?}",
        b.state
    );
    Ok(())
}

fn member_summary(members: &[Member]) -> Vec<(Option<String>, Option<String>, Option<u16>)> {
    members
        .iter()
        .map(|m| (m.id.clone(), m.ip.clone(), m.port))
        .collect()
}
