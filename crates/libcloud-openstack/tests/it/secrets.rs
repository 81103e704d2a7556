//! Passwords, keys and tokens never show: with every `tracing` event recorded, a Keystone
//! sign-in with a password of a known pattern meets errors, resets and throttling, and a Swift
//! driver signs in with tempauth and works through a proxy that breaks some of its requests.
//! The log, the `Debug` of the configurations and drivers, and every error are searched for
//! the password, the key and the tokens Swift handed out (tempauth's start with `AUTH_tk`).

use std::time::Duration;

use libcloud_core::{Bytes, ComputeDriver, StorageDriver, StorageDriverExt, UploadOptions};
use libcloud_http::{HttpConfig, RetryPolicy};
use libcloud_openstack::{AuthConfig, NameOrId, NovaCompute, OpenStackConfig, SwiftStorage};
use libcloud_testkit::fault::{Fault, FaultPlan, FaultProxy};
use libcloud_testkit::secrets::{assert_no_secrets, capture, error_text, secret};
use libcloud_testkit::unique_name;

fn transport() -> libcloud_core::Transport {
    HttpConfig::new()
        .with_retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(5))
                .with_budget(Duration::from_secs(2)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_keystone_password_never_reaches_logs_or_errors() {
    let password = secret("keystone-password");
    let log = capture();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let plan = FaultPlan::random(
        8,
        0.8,
        [
            Fault::Status(401),
            Fault::Status(403),
            Fault::Status(500),
            Fault::ResetBeforeBody,
            Fault::ResetAfterBody,
            Fault::TooManyRequests {
                retry_after_secs: 0,
            },
        ],
    );
    let proxy = FaultProxy::start(&closed.to_string(), plan).await.unwrap();
    let mut shown = Vec::new();
    for v3 in [true, false] {
        let auth = if v3 {
            AuthConfig::v3_password(format!("{}/v3", proxy.url()), "alice", password.clone())
        } else {
            AuthConfig::v2_password(format!("{}/v2.0", proxy.url()), "alice", password.clone())
        }
        .with_tenant(NameOrId::Name("leak-check".into()));
        let config = OpenStackConfig::new(auth);
        shown.push(format!("{config:?}"));
        let nova = NovaCompute::with_transport(config.clone(), transport()).unwrap();
        let swift = SwiftStorage::with_transport(config, transport()).unwrap();
        shown.push(format!("{nova:?}\n{swift:?}"));
        for result in [
            nova.list_nodes().await.map(drop),
            nova.list_sizes(None).await.map(drop),
            swift.list_containers().await.map(drop),
        ] {
            let err = result.expect_err("nothing can sign in");
            shown.push(error_text(&err));
        }
    }
    let logged = log.text();
    assert!(logged.contains("http_request"), "{logged}");
    assert_no_secrets(&logged, &[&password], "the tracing log");
    assert_no_secrets(&shown.join("\n"), &[&password], "Debug and error output");
}

#[tokio::test]
async fn swift_keys_and_tokens_never_reach_logs_or_errors() {
    let auth_url = libcloud_testkit::require_live!("LIBCLOUD_TEST_SWIFT_AUTH_URL");
    let user = std::env::var("LIBCLOUD_TEST_SWIFT_USER").unwrap_or_else(|_| "test:tester".into());
    let key = std::env::var("LIBCLOUD_TEST_SWIFT_KEY").unwrap_or_else(|_| "testing".into());
    let log = capture();
    let origin = {
        let (scheme, rest) = auth_url.split_once("://").unwrap();
        format!("{scheme}://{}", rest.split('/').next().unwrap())
    };
    // Every fourth request or so is broken; the sign-in itself is answered.
    let plan = FaultPlan::random(
        9,
        0.25,
        [
            Fault::Status(500),
            Fault::Status(401),
            Fault::ResetAfterBody,
            Fault::Truncate,
        ],
    )
    .only(|r| !r.path().starts_with("/auth"));
    let proxy = FaultProxy::start(&origin, plan).await.unwrap();
    let config = OpenStackConfig::new(AuthConfig::tempauth(
        auth_url.replacen(&origin, &proxy.url(), 1),
        user,
        key.clone(),
    ));
    let swift = SwiftStorage::with_transport(config.clone(), transport()).unwrap();
    let storage_url = swift.ex_storage_url().await.unwrap();
    // The storage URL names the server; point it at the proxy too.
    let swift = SwiftStorage::with_transport(
        config
            .clone()
            .with_endpoint(storage_url.replacen(&origin, &proxy.url(), 1)),
        transport(),
    )
    .unwrap();
    let mut shown = vec![format!("{config:?}"), format!("{swift:?}")];
    let container = unique_name("lc-leak-check");
    let mut results = vec![swift.create_container(&container).await.map(drop)];
    for i in 0..6 {
        let name = format!("o{i}");
        results.push(
            swift
                .upload_bytes(
                    &container,
                    &name,
                    Bytes::from("x"),
                    &UploadOptions::default(),
                )
                .await
                .map(drop),
        );
        results.push(
            swift
                .download_object_as_bytes(&container, &name, 16)
                .await
                .map(drop),
        );
        results.push(swift.delete_object(&container, &name).await);
    }
    results.push(swift.delete_container(&container).await);
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        shown.push(error_text(err));
    }
    let logged = log.text();
    assert!(logged.contains(&container), "the log was recorded");
    assert!(proxy.stats().injected > 0, "no request was broken");
    // tempauth's tokens all start with AUTH_tk.
    assert_no_secrets(&logged, &[&key, "AUTH_tk"], "the tracing log");
    assert_no_secrets(
        &shown.join("\n"),
        &[&key, "AUTH_tk"],
        "Debug and error output",
    );
}
