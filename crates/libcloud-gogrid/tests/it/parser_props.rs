//! Fuzzing the JSON parsers with proptest: every answer, mutated from the seeds in
//! `tests/corpus/gogrid/` or generated from GoGrid's keys, under any status, gives a result or a
//! typed error that names the provider, never a panic. `PROPTEST_CASES` sets how many inputs
//! each property tries (256 by default; `cargo xtask fuzz` raises it).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use libcloud_core::transport::{self, Request};
use libcloud_core::{
    BalancerState, Body, CreateBalancer, ErrorKind, LoadBalancer, LoadBalancerDriver, Member,
    Result, Transport,
};
use libcloud_gogrid::{GoGridConfig, GoGridLoadBalancer};
use libcloud_testkit::fuzz::{JSON_DICTIONARY, corpus, inputs, json_documents};
use proptest::prelude::*;

use crate::{API_KEY, NOW, SECRET};

/// The keys GoGrid's answers are made of.
const KEYS: &[&str] = &[
    "status",
    "method",
    "summary",
    "list",
    "object",
    "id",
    "name",
    "description",
    "state",
    "type",
    "persistence",
    "os",
    "datacenter",
    "virtualip",
    "realiplist",
    "ip",
    "port",
    "public",
    "subnet",
    "errorcode",
    "message",
    "total",
    "returned",
];

const STATUSES: &[u16] = &[200, 400, 401, 403, 404, 500, 503];

fn answers() -> BoxedStrategy<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/gogrid");
    inputs(corpus(dir), JSON_DICTIONARY, Some(json_documents(KEYS)))
}

/// A transport that answers the first two requests with `status` and `body`, and every later
/// one with an empty 500.
fn answering(status: u16, body: Vec<u8>) -> Transport {
    let calls = Arc::new(AtomicUsize::new(0));
    transport::from_fn(move |_request: Request| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let (status, body) = if n < 2 {
            (status, body.clone())
        } else {
            (500, Vec::new())
        };
        Box::pin(async move {
            Ok(http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap())
        })
    })
}

fn balancer() -> LoadBalancer {
    LoadBalancer {
        id: "70001".into(),
        name: "web-front".into(),
        state: BalancerState::Running,
        ip: None,
        port: 80,
        protocol: None,
        algorithm: None,
        extra: Default::default(),
    }
}

async fn call(op: usize, transport: Transport) -> Result<()> {
    let lb = GoGridLoadBalancer::with_transport(GoGridConfig::new(API_KEY, SECRET), transport)
        .unwrap()
        .with_clock(|| UNIX_EPOCH + Duration::from_secs(NOW));
    let create = CreateBalancer::new("web-front", 80, "http").member(Member::new("10.1.0.10", 80));
    match op {
        0 => lb.list_balancers().await.map(drop),
        1 => lb.get_balancer("70001").await.map(drop),
        2 => lb.balancer_list_members(&balancer()).await.map(drop),
        3 => lb.ex_list_ips(Some(true), None, None).await.map(drop),
        4 => lb.ex_get_balancer_by_name("web-front").await.map(drop),
        5 => {
            let mut request = create;
            request
                .extra
                .insert("virtual_ip".into(), serde_json::json!("198.51.100.20"));
            lb.ex_create_balancer_nowait(&request).await.map(drop)
        }
        _ => lb
            .balancer_attach_member(&balancer(), &Member::new("10.1.0.12", 8080))
            .await
            .map(drop),
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
            prop_assert_eq!(err.provider(), Some("gogrid"), "{}", err);
            prop_assert!(err.operation().is_some(), "{}", err);
            if status < 300 {
                prop_assert!(
                    matches!(
                        err.kind(),
                        ErrorKind::MalformedResponse
                            | ErrorKind::NotFound { .. }
                            | ErrorKind::Provider { .. }
                    ),
                    "a 2xx answer failed as {:?}: {}", err.kind(), err
                );
            }
        }
    }
}

#[test]
fn every_seed_reads_as_intended() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/gogrid");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let read = |file: &str, op: usize, status: u16| {
        let body = std::fs::read(format!("{dir}/{file}")).unwrap();
        runtime.block_on(call(op, answering(status, body)))
    };
    read("balancers.json", 0, 200).unwrap();
    read("balancer.json", 1, 200).unwrap();
    read("balancer.json", 2, 200).unwrap();
    read("ips.json", 3, 200).unwrap();
    read("balancer.json", 5, 200).unwrap();
    let err = read("error.json", 5, 400).unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
}

#[tokio::test]
async fn endless_answers_are_refused_at_the_bound() {
    use libcloud_core::futures::StreamExt;
    const CHUNK: usize = 64 * 1024;
    static FILLER: [u8; CHUNK] = [b' '; CHUNK];
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let endless = transport::from_fn(move |_request: Request| {
        let counter = counter.clone();
        Box::pin(async move {
            let body = libcloud_core::futures::stream::repeat_with(move || {
                counter.fetch_add(CHUNK, Ordering::SeqCst);
                Ok(libcloud_core::Bytes::from_static(&FILLER))
            })
            .boxed();
            Ok(http::Response::builder()
                .status(200)
                .body(Body::from_stream(body))
                .unwrap())
        })
    });
    let err = call(0, endless).await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{err}");
    // The driver's bound is 16 MiB: it stops there instead of buffering without end.
    let read = pulled.load(Ordering::SeqCst);
    assert!(read <= 16 * 1024 * 1024 + 2 * CHUNK, "read {read} bytes");
}
