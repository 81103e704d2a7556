//! Fuzzing Rackspace's JSON parsers with proptest: Cloud DNS domains and records, and Cloud Load
//! Balancers' balancers and nodes, mutated from the seeds in `tests/corpus/rackspace-json/` or
//! generated from their keys, under any status, after a sign-in that always works. Each gives a
//! result or a typed error, never a panic. `PROPTEST_CASES` sets how many inputs each property
//! tries (256 by default).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use libcloud_core::transport::{self, Request};
use libcloud_core::{
    BalancerState, Body, DnsDriver, DnsDriverExt, ErrorKind, LoadBalancer, LoadBalancerDriver,
    Result, Transport, Zone, ZoneType,
};
use libcloud_rackspace::{CloudDns, CloudLoadBalancers, Region};
use libcloud_testkit::fuzz::{JSON_DICTIONARY, corpus, inputs, json_documents};
use proptest::prelude::*;

use crate::config;

const KEYS: &[&str] = &[
    "domains",
    "records",
    "loadBalancers",
    "loadBalancer",
    "nodes",
    "name",
    "id",
    "type",
    "data",
    "ttl",
    "priority",
    "comment",
    "totalEntries",
    "links",
    "rel",
    "href",
    "protocol",
    "port",
    "algorithm",
    "status",
    "virtualIps",
    "address",
    "ipVersion",
    "condition",
    "weight",
    "created",
    "updated",
    "time",
    "code",
    "message",
    "details",
    "emailAddress",
];

const STATUSES: &[u16] = &[200, 200, 200, 202, 400, 401, 404, 413, 422, 500, 503];

/// A Keystone v2 answer with the two services these drivers look up.
const SIGN_IN: &str = r#"{"access": {
  "token": {"id": "fuzz-token", "expires": "2099-01-01T00:00:00Z", "tenant": {"id": "1", "name": "1"}},
  "user": {"id": "u", "name": "fuzz"},
  "serviceCatalog": [
    {"name": "cloudDNS", "type": "rax:dns",
     "endpoints": [{"publicURL": "http://dns.test/v1.0/1", "tenantId": "1"}]},
    {"name": "cloudLoadBalancers", "type": "rax:load-balancer",
     "endpoints": [{"region": "DFW", "publicURL": "http://lb.test/v1.0/1", "tenantId": "1"}]}
  ]}}"#;

fn answers() -> BoxedStrategy<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/rackspace-json");
    inputs(corpus(dir), JSON_DICTIONARY, Some(json_documents(KEYS)))
}

/// Signs in with [`SIGN_IN`], answers the next two requests with `status` and `body`, and every
/// later one with an empty 500.
fn answering(status: u16, body: Vec<u8>) -> Transport {
    let calls = Arc::new(AtomicUsize::new(0));
    transport::from_fn(move |request: Request| {
        let sign_in = request.uri().path().ends_with("/tokens");
        let n = if sign_in {
            0
        } else {
            calls.fetch_add(1, Ordering::SeqCst)
        };
        let body = body.clone();
        Box::pin(async move {
            let response = http::Response::builder().header("content-type", "application/json");
            let response = if sign_in {
                response.status(200).body(Body::from(SIGN_IN))
            } else if n < 2 {
                response.status(status).body(Body::from(body))
            } else {
                response.status(500).body(Body::empty())
            };
            Ok(response.unwrap())
        })
    })
}

async fn call(op: usize, transport: Transport) -> Result<()> {
    let config = config(Region::Dfw);
    if op < 3 {
        let dns = CloudDns::with_transport(&config, transport)?;
        let zone = Zone {
            id: "2946063".into(),
            domain: "seed.example".into(),
            zone_type: ZoneType::Master,
            ttl: None,
            extra: Default::default(),
        };
        match op {
            0 => dns.list_zones().await.map(drop),
            1 => dns.get_zone("2946063").await.map(drop),
            _ => dns.list_records(&zone).await.map(drop),
        }
    } else {
        let lb = CloudLoadBalancers::with_transport(&config, transport)?;
        let balancer = LoadBalancer {
            id: "71".into(),
            name: "seed-web".into(),
            state: BalancerState::Running,
            ip: None,
            port: 80,
            protocol: None,
            algorithm: None,
            extra: Default::default(),
        };
        match op {
            3 => lb.list_balancers().await.map(drop),
            4 => lb.get_balancer("71").await.map(drop),
            _ => lb.balancer_list_members(&balancer).await.map(drop),
        }
    }
}

proptest! {
    #[test]
    fn answers_are_parsed_or_refused_with_a_typed_error(
        body in answers(),
        op in 0usize..6,
        status in prop::sample::select(STATUSES),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let result = runtime.block_on(call(op, answering(status, body)));
        if let Err(err) = result {
            let pager = err.message().is_some_and(|m| m.contains("same page token"));
            prop_assert!(pager || err.provider().is_some(), "{:?}", err);
            if status < 300 {
                prop_assert!(
                    matches!(
                        err.kind(),
                        ErrorKind::MalformedResponse
                            | ErrorKind::Provider { .. }
                            | ErrorKind::NotFound { .. }
                    ),
                    "a {} answer to op {} failed as {:?}: {}", status, op, err.kind(), err
                );
            }
        }
    }
}

#[test]
fn every_seed_reads_as_intended() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/rackspace-json");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let read = |file: &str, op: usize| {
        let body = std::fs::read(format!("{dir}/{file}")).unwrap();
        runtime.block_on(call(op, answering(200, body)))
    };
    read("dns-domains.json", 0).unwrap();
    read("lb-list.json", 3).unwrap();
    read("lb-detail.json", 4).unwrap();
    read("lb-nodes.json", 5).unwrap();
}
