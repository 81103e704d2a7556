//! A launch is never duplicated, over a real network path: the driver talks to moto through the
//! `FaultProxy`, which breaks `RunInstances` at the TCP level after moto has launched the
//! instance (a reset, or a stall past the attempt timeout), before the request reaches moto (a
//! reset), or answers it with 503 or throttling without passing it on. Whatever happens, exactly
//! one instance with the node's name exists afterwards, counted on moto directly. moto ignores
//! `ClientToken`, so this rests on the driver, not on the server.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use libcloud_aws::Env;
use libcloud_core::{ComputeDriver, CreateNode, Node};
use libcloud_ec2::{Ec2Compute, Ec2Config, ImageQuery};
use libcloud_http::{HttpConfig, RetryPolicy};
use libcloud_testkit::fault::{Fault, FaultPlan, FaultProxy, seed_from_env};
use libcloud_testkit::{require_live, unique_name};

fn config(endpoint: &str) -> Ec2Config {
    Ec2Config::from_options(
        [
            ("region", "us-east-1"),
            ("endpoint", endpoint),
            ("key", "AKIDLIBCLOUDTEST"),
            ("secret", "libcloud-test-secret"),
        ],
        Env::from_pairs::<_, &str, &str>([]),
    )
    .unwrap()
}

async fn named(d: &Ec2Compute, name: &str) -> Vec<Node> {
    let filters = BTreeMap::from([("tag:Name".to_string(), vec![name.to_string()])]);
    d.ex_list_nodes(&[], &filters).await.unwrap()
}

/// Long enough for moto on a busy machine; the stall outlasts it.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_launch_starts_exactly_one_instance() {
    let endpoint = require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT");
    let direct = Ec2Compute::new(config(&endpoint)).unwrap();
    let image = direct
        .ex_list_images(&ImageQuery::default().owner("amazon"))
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .next()
        .expect("moto lists Amazon's images");
    let proxy = FaultProxy::start(&endpoint, FaultPlan::none())
        .await
        .unwrap();
    let transport = HttpConfig::new()
        .with_attempt_timeout(ATTEMPT_TIMEOUT)
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(4)
                .with_initial_backoff(Duration::from_millis(20))
                .with_budget(Duration::from_secs(15)),
        )
        .build()
        .unwrap();
    let ec2 = Ec2Compute::with_transport(config(&proxy.url()), transport).unwrap();
    let seed = seed_from_env(3);
    for fault in [
        Fault::ResetAfterBody,
        Fault::Stall(ATTEMPT_TIMEOUT + Duration::from_secs(1)),
        Fault::ResetBeforeBody,
        Fault::Status(503),
        Fault::SlowDown,
    ] {
        let name = unique_name("lc-ec2-fault");
        // Without SSH keys, the first request of create_node is RunInstances.
        proxy.set_plan(FaultPlan::script([Some(fault)]).with_seed(seed));
        let before = proxy.stats().injected;
        let started = Instant::now();
        let result = ec2
            .create_node(&CreateNode::new(&name, "t2.micro", &image))
            .await;
        let elapsed = started.elapsed();
        let launched = named(&direct, &name).await;
        for node in &launched {
            let _ = direct.destroy_node(node).await;
        }
        assert_eq!(proxy.stats().injected, before + 1, "{fault} was injected");
        assert_eq!(
            launched.len(),
            1,
            "{fault}: {} instances for one create_node ({result:?})\n{}",
            launched.len(),
            proxy.log_text()
        );
        let node = result.unwrap_or_else(|e| panic!("{fault}: {e:?}\n{}", proxy.log_text()));
        assert_eq!(node.id, launched[0].id, "{fault}");
        assert!(elapsed < Duration::from_secs(40), "{fault}: {elapsed:?}");
    }
}
