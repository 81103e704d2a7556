//! Fuzzing the OpenStack JSON parsers with proptest: Keystone v2 and v3 sign-in answers (the
//! service catalog), Swift's account and container listings and Nova's servers, flavors and
//! errors, mutated from the seeds in `tests/corpus/openstack-json/` or generated from their
//! keys, under any status. Each gives a result or a typed error, never a panic.
//! `PROPTEST_CASES` sets how many inputs each property tries (256 by default).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use libcloud_core::transport::{self, Request};
use libcloud_core::{
    Body, ComputeDriver, ErrorKind, Result, StorageDriver, StorageDriverExt, Transport,
};
use libcloud_openstack::{AuthConfig, NameOrId, NovaCompute, OpenStackConfig, SwiftStorage};
use libcloud_testkit::fuzz::{JSON_DICTIONARY, corpus, inputs, json_documents};
use proptest::prelude::*;

const KEYS: &[&str] = &[
    "token",
    "access",
    "catalog",
    "serviceCatalog",
    "type",
    "name",
    "id",
    "endpoints",
    "interface",
    "region",
    "region_id",
    "url",
    "publicURL",
    "internalURL",
    "expires_at",
    "expires",
    "project",
    "tenant",
    "user",
    "domain",
    "servers",
    "server",
    "status",
    "addresses",
    "addr",
    "version",
    "flavor",
    "flavors",
    "image",
    "ram",
    "disk",
    "vcpus",
    "metadata",
    "created",
    "count",
    "bytes",
    "hash",
    "subdir",
    "content_type",
    "last_modified",
    "servers_links",
    "href",
    "rel",
    "itemNotFound",
    "code",
    "message",
];

const STATUSES: &[u16] = &[
    200, 200, 201, 203, 204, 300, 401, 403, 404, 409, 413, 500, 503,
];

fn answers() -> BoxedStrategy<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/openstack-json");
    inputs(corpus(dir), JSON_DICTIONARY, Some(json_documents(KEYS)))
}

/// Where the fuzzed answer goes.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The Keystone sign-in (v2 or v3) itself.
    SignIn,
    /// The requests after a tempauth sign-in that always works.
    Service,
}

/// A transport that signs in with tempauth as a Swift proxy does (when `target` is `Service`),
/// answers the next two requests (or the Keystone sign-in) with `status` and `body`, and any
/// later one with an empty 500.
fn answering(target: Target, status: u16, body: Vec<u8>) -> Transport {
    let calls = Arc::new(AtomicUsize::new(0));
    transport::from_fn(move |request: Request| {
        let tempauth = request.uri().path().ends_with("/auth/v1.0");
        let n = if tempauth {
            0
        } else {
            calls.fetch_add(1, Ordering::SeqCst)
        };
        let body = body.clone();
        Box::pin(async move {
            let response = http::Response::builder().header("content-type", "application/json");
            let response = match (target, tempauth) {
                (Target::Service, true) => response
                    .status(200)
                    .header("x-auth-token", "AUTH_tkseed")
                    .header("x-storage-url", "http://swift.test/v1/AUTH_seed")
                    .body(Body::empty()),
                _ if n < 2 => response
                    .status(status)
                    .header("x-subject-token", "seed-v3-token")
                    .body(Body::from(body)),
                _ => response.status(500).body(Body::empty()),
            };
            Ok(response.unwrap())
        })
    })
}

async fn call(op: usize, transport: Transport) -> Result<()> {
    let tempauth = || AuthConfig::tempauth("http://swift.test/auth/v1.0", "test:tester", "testing");
    match op {
        0 => {
            let auth = AuthConfig::v3_password("http://keystone.test/v3", "seed", "pw")
                .with_tenant(NameOrId::Name("seed-project".into()));
            let swift = SwiftStorage::with_transport(OpenStackConfig::new(auth), transport)?;
            swift.list_containers().await.map(drop)
        }
        1 => {
            let auth = AuthConfig::v2_password("http://keystone.test/v2.0", "seed", "pw")
                .with_tenant(NameOrId::Id("1337".into()));
            let nova = NovaCompute::with_transport(OpenStackConfig::new(auth), transport)?;
            nova.list_nodes().await.map(drop)
        }
        2 => {
            let swift = SwiftStorage::with_transport(OpenStackConfig::new(tempauth()), transport)?;
            swift.list_containers().await.map(drop)
        }
        3 => {
            let swift = SwiftStorage::with_transport(OpenStackConfig::new(tempauth()), transport)?;
            swift
                .list_with_delimiter("seed-one", Some("photos/"), "/")
                .await
                .map(drop)
        }
        _ => {
            let config = OpenStackConfig::new(tempauth()).with_endpoint("http://nova.test/v2/1337");
            let nova = NovaCompute::with_transport(config, transport)?;
            match op {
                4 => nova.list_nodes().await.map(drop),
                5 => nova.list_sizes(None).await.map(drop),
                _ => nova.list_images(None).await.map(drop),
            }
        }
    }
}

proptest! {
    #[test]
    fn answers_are_parsed_or_refused_with_a_typed_error(
        body in answers(),
        op in 0usize..7,
        status in prop::sample::select(STATUSES),
    ) {
        let target = if op < 2 { Target::SignIn } else { Target::Service };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let result = runtime.block_on(call(op, answering(target, status, body)));
        if let Err(err) = result {
            let pager = err.message().is_some_and(|m| m.contains("same page token"));
            prop_assert!(pager || err.provider().is_some(), "{:?}", err);
            if (200..300).contains(&status) {
                // A sign-in whose catalog lacks the service is InvalidInput: the configuration
                // (service type, region, scope) names something the cloud does not offer.
                prop_assert!(
                    matches!(
                        err.kind(),
                        ErrorKind::MalformedResponse
                            | ErrorKind::Provider { .. }
                            | ErrorKind::NotFound { .. }
                            | ErrorKind::InvalidCredentials
                    ) || (op < 2 && *err.kind() == ErrorKind::InvalidInput),
                    "a {} answer to op {} failed as {:?}: {}", status, op, err.kind(), err
                );
            }
        }
    }
}

#[test]
fn every_seed_reads_as_intended() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/openstack-json");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let read = |file: &str, op: usize, target: Target| {
        let body = std::fs::read(format!("{dir}/{file}")).unwrap();
        runtime.block_on(call(op, answering(target, 200, body)))
    };
    // The sign-ins are read; what follows them meets the fuzzed answer again or the 500.
    let v3 = read("keystone-v3-token.json", 0, Target::SignIn).unwrap_err();
    assert_ne!(*v3.kind(), ErrorKind::InvalidCredentials, "{v3}");
    read("swift-containers.json", 2, Target::Service).unwrap();
    read("swift-objects.json", 3, Target::Service).unwrap();
    read("nova-flavors.json", 5, Target::Service).unwrap();
}
