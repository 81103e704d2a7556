//! Swift under injected faults: a `FaultProxy` sits between the driver and the Swift
//! all-in-one (sign-in included) and refuses connections, resets them before and after the
//! body, answers 5xx and 429, stalls, cuts bodies short and flips bytes, while a random mix of
//! uploads (some of them Static Large Objects), downloads, HEADs, listings and deletes runs.
//! Every call must finish or fail with a typed error within its budget; afterwards every
//! object is read from Swift directly and compared with what the run was told: nothing
//! acknowledged may be lost or damaged. Cut and damaged downloads must fail and leave no file.
//!
//! `LIBCLOUD_FAULT_SEED` replays a run; `LIBCLOUD_FAULT_OPS` sets its length (30 by default);
//! `LIBCLOUD_FAULT_REPORT` collects the figures (see `cargo xtask soak`).

use std::time::Duration;

use libcloud_core::transport::Transport;
use libcloud_core::{
    Error, ErrorKind, ResourceKind, StorageDriver, StorageDriverExt, UploadOptions,
};
use libcloud_http::{HttpConfig, RetryPolicy};
use libcloud_openstack::{AuthConfig, OpenStackConfig, SwiftStorage};
use libcloud_testkit::fault::{
    Fault, FaultPlan, FaultProxy, RequestInfo, StorageRun, ops_from_env, seed_from_env, storage_run,
};
use libcloud_testkit::{require_live, unique_name};

const AUTH_VAR: &str = "LIBCLOUD_TEST_SWIFT_AUTH_URL";
const MIB: usize = 1024 * 1024;
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
const BUDGET: Duration = Duration::from_secs(4);

fn config(auth_url: &str) -> OpenStackConfig {
    let user = std::env::var("LIBCLOUD_TEST_SWIFT_USER").unwrap_or_else(|_| "test:tester".into());
    let key = std::env::var("LIBCLOUD_TEST_SWIFT_KEY").unwrap_or_else(|_| "testing".into());
    OpenStackConfig::new(AuthConfig::tempauth(auth_url, user, key))
}

fn transport(retry: RetryPolicy) -> Transport {
    HttpConfig::new()
        .with_attempt_timeout(ATTEMPT_TIMEOUT)
        .with_idle_body_timeout(ATTEMPT_TIMEOUT)
        .with_connect_timeout(Duration::from_secs(2))
        .with_retry(retry)
        .build()
        .unwrap()
}

fn retrying() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(6)
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(200))
        .with_budget(BUDGET)
}

/// `http://host:port` of a URL.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    format!("{scheme}://{}", rest.split('/').next().unwrap())
}

/// A driver to Swift itself, and one through `proxy` (the sign-in as well as the storage
/// requests), with 1 MiB segments so that larger uploads are Static Large Objects.
async fn drivers(
    auth_url: &str,
    plan: FaultPlan,
    retry: RetryPolicy,
) -> (SwiftStorage, SwiftStorage, FaultProxy) {
    let direct = SwiftStorage::new(config(auth_url))
        .unwrap()
        .with_segment_size(MIB);
    let storage_url = direct.ex_storage_url().await.unwrap();
    let proxy = FaultProxy::start(&origin(&storage_url), plan)
        .await
        .unwrap();
    let through = |url: &str| url.replacen(&origin(url), &proxy.url(), 1);
    let faulty_config = config(&through(auth_url)).with_endpoint(through(&storage_url));
    let faulty = SwiftStorage::with_transport(faulty_config, transport(retry))
        .unwrap()
        .with_segment_size(MIB)
        .with_upload_concurrency(2);
    (direct, faulty, proxy)
}

fn all_faults() -> Vec<Fault> {
    vec![
        Fault::Refuse,
        Fault::ResetBeforeBody,
        Fault::ResetAfterBody,
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        Fault::Stall(ATTEMPT_TIMEOUT + Duration::from_millis(500)),
        Fault::StallBody(ATTEMPT_TIMEOUT + Duration::from_millis(500)),
        Fault::Truncate,
        Fault::FlipByte,
    ]
}

/// Typed failures of the network, the server or the data, saying where they came from.
/// `NotFound` of the upload is accepted as in the S3 runs (see docs/reliability.md); the
/// object's final state is checked either way.
fn is_typed_failure(err: &Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::Transport
            | ErrorKind::Timeout
            | ErrorKind::RateLimited { .. }
            | ErrorKind::HashMismatch { .. }
            | ErrorKind::MalformedResponse
            | ErrorKind::Provider { .. }
            | ErrorKind::NotFound {
                kind: ResourceKind::Upload,
                ..
            }
    ) && err.provider().is_some()
}

async fn cleanup(direct: &SwiftStorage, container: &str) {
    for c in [
        container.to_string(),
        direct.ex_segment_container(container),
    ] {
        if let Ok(objects) = direct.list_container_objects(&c, None).await {
            for o in objects {
                let _ = direct.delete_object(&c, &o.name).await;
            }
        }
        let _ = direct.delete_container(&c).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_faults_lose_nothing_on_swift() {
    let auth_url = require_live!(AUTH_VAR);
    let seed = seed_from_env(4_242);
    println!("random faults on swift: seed {seed} (replay with LIBCLOUD_FAULT_SEED={seed})");
    let plan =
        FaultPlan::random(seed, 0.3, all_faults()).with_refuse_window(Duration::from_millis(150));
    let (direct, faulty, proxy) = drivers(&auth_url, plan, retrying()).await;
    let container = unique_name("lc-swift-faults");
    direct.create_container(&container).await.unwrap();
    let run = StorageRun {
        test: "random_faults".into(),
        server: "swift".into(),
        seed,
        ops: ops_from_env(30),
        large: MIB,
        call_bound: BUDGET + ATTEMPT_TIMEOUT * 2 + Duration::from_secs(3),
        allowed: is_typed_failure,
    };
    let figures = storage_run(&run, &faulty, &direct, &container, &proxy).await;
    assert_eq!((figures.lost, figures.corrupted), (0, 0));
    cleanup(&direct, &container).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_downloads_fail_and_leave_no_file_on_swift() {
    let auth_url = require_live!(AUTH_VAR);
    let gets = |r: &RequestInfo| r.method == "GET" && r.path().matches('/').count() >= 4;
    let (direct, faulty, proxy) =
        drivers(&auth_url, FaultPlan::none(), RetryPolicy::disabled()).await;
    let container = unique_name("lc-swift-damage");
    direct.create_container(&container).await.unwrap();
    let data = libcloud_core::Bytes::from(vec![7u8; 200_000]);
    direct
        .upload_bytes(&container, "o.bin", data.clone(), &UploadOptions::default())
        .await
        .unwrap();
    // Sign in before the faults start, so that each fault meets the object's GET.
    faulty.get_object(&container, "o.bin").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("o.bin");
    for (seed, fault) in [
        (1, Fault::Truncate),
        (2, Fault::FlipByte),
        (3, Fault::Truncate),
    ] {
        proxy.set_plan(FaultPlan::script([Some(fault)]).with_seed(seed).only(gets));
        let err = faulty
            .download_to_path(&container, "o.bin", &dest, None, false)
            .await
            .unwrap_err();
        let expected = match fault {
            Fault::FlipByte => matches!(err.kind(), ErrorKind::HashMismatch { .. }),
            _ => *err.kind() == ErrorKind::Transport,
        };
        assert!(expected, "{fault}: {err:?}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{fault} left a file"
        );
    }
    proxy.set_plan(FaultPlan::none());
    faulty
        .download_to_path(&container, "o.bin", &dest, None, false)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(proxy.stats().injected, 3, "{}", proxy.log_text());
    cleanup(&direct, &container).await;
}
