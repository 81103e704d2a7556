//! Both drivers against moto (`LIBCLOUD_TEST_MOTO_ENDPOINT`, set by `cargo xtask emulators
//! up`): the load balancer conformance suite, then what only ELB and ALB have. Every balancer
//! is named uniquely and destroyed; moto's state is never reset, so other tests may share the
//! server.

use libcloud_core::{
    CreateBalancer, LoadBalancerDriver, LoadBalancerDriverExt, Member, Node, NodeState,
};
use libcloud_elb::{
    AlbLoadBalancer, ClassicListener, ElbApi, ElbConfig, ElbLoadBalancer, TargetType,
};
use libcloud_testkit::conformance::loadbalancer;
use libcloud_testkit::{require_live, unique_name};

const MOTO: &str = "LIBCLOUD_TEST_MOTO_ENDPOINT";

fn config(endpoint: &str) -> ElbConfig {
    ElbConfig::new()
        .with_keys("testing", "testing")
        .with_endpoint(endpoint)
}

fn node(id: &str) -> Node {
    Node {
        id: id.into(),
        name: id.into(),
        state: NodeState::Running,
        public_ips: vec!["203.0.113.7".parse().unwrap()],
        private_ips: Vec::new(),
        size: None,
        image: None,
        created_at: None,
        admin_password: None,
        extra: Default::default(),
    }
}

fn ids(members: &[Member]) -> Vec<String> {
    let mut ids: Vec<String> = members.iter().filter_map(|m| m.id.clone()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn classic_conformance() {
    let endpoint = require_live!(MOTO);
    let lb = ElbLoadBalancer::new(config(&endpoint)).unwrap();
    loadbalancer::run(&lb).await;
}

#[tokio::test]
async fn classic_instances_policies_and_listeners() {
    let endpoint = require_live!(MOTO);
    let lb = ElbLoadBalancer::new(config(&endpoint)).unwrap();
    let name = unique_name("lc-elb");
    let created = lb
        .create_balancer(&CreateBalancer::new(&name, 80, "http").member(Member::node("i-0000000a")))
        .await
        .unwrap();
    let result = async {
        lb.balancer_attach_compute_node(&created, &node("i-0000000b"))
            .await
            .unwrap();
        let members = lb.balancer_list_members(&created).await.unwrap();
        assert_eq!(ids(&members), ["i-0000000a", "i-0000000b"]);
        assert!(members.iter().all(|m| m.port == Some(80)));
        lb.balancer_detach_member(&created, &Member::node("i-0000000a"))
            .await
            .unwrap();
        assert_eq!(
            ids(&lb.balancer_list_members(&created).await.unwrap()),
            ["i-0000000b"]
        );

        lb.ex_create_balancer_policy(
            &created,
            "lc-sticky",
            "LBCookieStickinessPolicyType",
            &[("CookieExpirationPeriod", "60")],
        )
        .await
        .unwrap();
        assert!(
            lb.ex_list_balancer_policies(&created)
                .await
                .unwrap()
                .contains(&"lc-sticky".to_string())
        );
        lb.ex_set_balancer_policies_listener(&created, 80, &["lc-sticky"])
            .await
            .unwrap();
        lb.ex_create_balancer_listeners(&created, &[ClassicListener::new("tcp", 2222, 22)])
            .await
            .unwrap();
        let got = lb.get_balancer(&name).await.unwrap();
        let ports: Vec<u64> = got.extra["listeners"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l["port"].as_u64())
            .collect();
        assert!(ports.contains(&80) && ports.contains(&2222), "{ports:?}");
        assert!(lb.ex_list_tags(&created).await.unwrap().is_empty());
    };
    // Clean up whatever the checks found.
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(result)).await;
    lb.destroy_balancer(&created).await.unwrap();
    assert!(lb.get_balancer(&name).await.unwrap_err().is_not_found());
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn application_conformance_with_instance_targets() {
    let endpoint = require_live!(MOTO);
    let config = config(&endpoint).with_api(ElbApi::Application);
    loadbalancer::run(&*libcloud_elb::driver(config).unwrap()).await;
}

#[tokio::test]
async fn application_conformance_with_ip_targets() {
    let endpoint = require_live!(MOTO);
    let lb = AlbLoadBalancer::new(config(&endpoint).with_target_type(TargetType::Ip)).unwrap();
    loadbalancer::run(&lb).await;
}

#[tokio::test]
async fn application_groups_rules_and_instances() {
    let endpoint = require_live!(MOTO);
    let lb = AlbLoadBalancer::new(config(&endpoint)).unwrap();
    let name = unique_name("lc-alb");
    let created = lb
        .create_balancer(&CreateBalancer::new(&name, 80, "http"))
        .await
        .unwrap();
    let result = async {
        let groups = lb.ex_list_target_groups(Some(&created)).await.unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].target_type.as_deref(), Some("instance"));
        assert_eq!(
            created.extra["target_group_arn"].as_str(),
            Some(groups[0].arn.as_str())
        );

        lb.balancer_attach_compute_node(&created, &node("i-0000000c"))
            .await
            .unwrap();
        let members = lb.balancer_list_members(&created).await.unwrap();
        assert_eq!(ids(&members), ["i-0000000c"]);

        let listeners = lb.ex_list_listeners(&created).await.unwrap();
        assert_eq!(listeners.len(), 1);
        assert_eq!(listeners[0].port, 80);
        let rule = lb
            .ex_create_rule(&listeners[0].arn, 10, &["/img/*"], &groups[0].arn)
            .await
            .unwrap();
        assert_eq!(rule.priority, "10");
        let rules = lb.ex_list_rules(&listeners[0].arn).await.unwrap();
        assert!(rules.iter().any(|r| r.arn == rule.arn));
        assert!(lb.ex_list_tags(&created).await.unwrap().is_empty());

        let by_name = lb.get_balancer(&name).await.unwrap();
        assert_eq!(by_name.id, created.id);
        groups[0].arn.clone()
    };
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(result)).await;
    lb.destroy_balancer(&created).await.unwrap();
    assert!(
        lb.get_balancer(&created.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    match outcome {
        Ok(group) => {
            let left = lb.ex_list_target_groups(None).await.unwrap();
            assert!(
                !left.iter().any(|g| g.arn == group),
                "the balancer's target group was deleted with it"
            );
        }
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
