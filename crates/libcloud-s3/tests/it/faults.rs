//! The S3 driver under injected faults: a `FaultProxy` sits between the driver and moto (and
//! Garage, which checks every signature, so these runs also show that the proxy keeps requests
//! intact) and refuses connections, resets them before and after the body, answers 5xx,
//! `SlowDown` and 429, stalls, cuts bodies short and flips bytes.
//!
//! What is proved:
//! - every operation finishes, or fails with a typed error, within its time budget;
//! - nothing acknowledged is lost and nothing stored is damaged: after a faulty run, every
//!   object is read back from the server directly (not through the proxy) and compared with
//!   what the run was told;
//! - a multipart upload survives failed parts and is stored byte for byte;
//! - a download cut short or damaged fails (`Transport`, `HashMismatch`) and
//!   `download_to_path` leaves no file behind;
//! - retries stop at the attempt count and at the time budget;
//! - a request that is not idempotent (starting a multipart upload) is never sent twice.
//!
//! The seed is `LIBCLOUD_FAULT_SEED` when set (printed on every run, to replay a failure);
//! `LIBCLOUD_FAULT_OPS` sets the length of the random run (40 by default, as CI runs it;
//! `cargo xtask soak` runs thousands) and `LIBCLOUD_FAULT_REPORT` names a file to which each
//! run appends its figures as one JSON line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use libcloud_aws::{CredentialProvider, Region, StaticProvider};
use libcloud_core::transport::Transport;
use libcloud_core::{
    Credentials, Error, ErrorKind, ResourceKind, StorageDriver, StorageDriverExt, UploadOptions,
};
use libcloud_http::{HttpConfig, RetryPolicy};
use libcloud_s3::{S3Config, S3Storage};
use libcloud_testkit::fault::{
    Fault, FaultPlan, FaultProxy, RequestInfo, RunFigures, StorageRun, ops_from_env, seed_from_env,
    storage_run,
};
use libcloud_testkit::{require_live, unique_name};

use crate::support::{MIB, pattern};

/// A server to run against, and how to reach it directly.
struct Server {
    name: &'static str,
    endpoint: String,
    key: String,
    secret: String,
    region: String,
}

impl Server {
    fn config(&self, endpoint: &str) -> S3Config {
        S3Config::new()
            .with_endpoint(endpoint.to_string())
            .with_region(Region::new(self.region.clone()).unwrap())
            .with_credentials(self.key.clone(), self.secret.clone())
    }

    fn credentials(&self) -> Arc<dyn CredentialProvider> {
        Arc::new(StaticProvider::new(Credentials::new(
            self.key.clone(),
            self.secret.clone(),
        )))
    }

    /// A driver that talks to the server itself, for set-up and for checking what was stored.
    fn direct(&self) -> S3Storage {
        S3Storage::new(self.config(&self.endpoint)).unwrap()
    }

    /// A driver that talks through `proxy`, with `transport`.
    fn through(&self, proxy: &FaultProxy, config: S3Config, transport: Transport) -> S3Storage {
        let config = config.with_endpoint(proxy.url());
        S3Storage::with_transport(config, transport, self.credentials()).unwrap()
    }
}

macro_rules! moto {
    () => {{
        Server {
            name: "moto",
            endpoint: require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT"),
            key: "testing".into(),
            secret: "testing".into(),
            region: "us-east-1".into(),
        }
    }};
}

macro_rules! garage {
    () => {{
        Server {
            name: "garage",
            endpoint: require_live!("LIBCLOUD_TEST_GARAGE_ENDPOINT"),
            key: require_live!("LIBCLOUD_TEST_GARAGE_ACCESS_KEY"),
            secret: require_live!("LIBCLOUD_TEST_GARAGE_SECRET_KEY"),
            region: libcloud_testkit::live::endpoint("LIBCLOUD_TEST_GARAGE_REGION")
                .unwrap_or_else(|| "us-east-1".into()),
        }
    }};
}

/// The timeouts and retries of the faulty runs: short, so that stalls cost little.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
const BUDGET: Duration = Duration::from_secs(4);

fn retrying() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(6)
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(200))
        .with_budget(BUDGET)
}

fn transport(retry: RetryPolicy, attempt_timeout: Duration) -> Transport {
    HttpConfig::new()
        .with_attempt_timeout(attempt_timeout)
        .with_idle_body_timeout(attempt_timeout)
        .with_connect_timeout(Duration::from_secs(2))
        .with_retry(retry)
        .build()
        .unwrap()
}

/// The longest one call may take: the retry budget, plus the attempt in flight when it ran out
/// (its headers and then its body), plus scheduling slack.
fn call_bound() -> Duration {
    BUDGET + ATTEMPT_TIMEOUT * 2 + Duration::from_secs(2)
}

/// Every fault the proxy has, with stalls longer than the attempt timeout.
fn all_faults() -> Vec<Fault> {
    vec![
        Fault::Refuse,
        Fault::ResetBeforeBody,
        Fault::ResetAfterBody,
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::SlowDown,
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
        Fault::Stall(ATTEMPT_TIMEOUT + Duration::from_millis(500)),
        Fault::StallBody(ATTEMPT_TIMEOUT + Duration::from_millis(500)),
        Fault::Truncate,
        Fault::FlipByte,
    ]
}

/// Whether an error is one a caller can act on: a typed failure of the network, the server or
/// the data, saying which provider and operation it came from.
///
/// `NotFound` of the upload (S3's `NoSuchUpload`) is among them: a multipart upload under
/// faults ended so once in about 12,000 calls on Garage, with the object's final state still
/// one the run allowed. Its cause is not pinned down; see docs/reliability.md.
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
        && err.operation().is_some()
}

/// Runs `ops` random operations on a handful of keys through a proxy that injects every fault
/// at `rate`, then checks every key against the server directly.
async fn random_run(server: &Server, test: &str, default_seed: u64, ops: usize, rate: f64) {
    let seed = seed_from_env(default_seed);
    println!(
        "{test} on {}: seed {seed} (replay with LIBCLOUD_FAULT_SEED={seed})",
        server.name
    );
    let direct = server.direct();
    let bucket = unique_name("lc-faults");
    direct.create_container(&bucket).await.unwrap();
    let proxy = FaultProxy::start(
        &server.endpoint,
        FaultPlan::random(seed, rate, all_faults()).with_refuse_window(Duration::from_millis(150)),
    )
    .await
    .unwrap();
    // A small multipart threshold so that some uploads go in parts.
    let config = server
        .config(&server.endpoint)
        .with_part_size(5 * MIB)
        .with_multipart_threshold(5 * MIB as u64)
        .with_concurrency(2);
    let s3 = server.through(&proxy, config, transport(retrying(), ATTEMPT_TIMEOUT));
    let run = StorageRun {
        test: test.to_string(),
        server: server.name.to_string(),
        seed,
        ops,
        large: 5 * MIB,
        call_bound: call_bound(),
        allowed: is_typed_failure,
    };
    let figures = storage_run(&run, &s3, &direct, &bucket, &proxy).await;
    assert!(
        proxy.stats().injected > 0 || ops < 10,
        "a run of {ops} operations injected no fault"
    );
    assert_eq!((figures.lost, figures.corrupted), (0, 0));
    cleanup(&direct, &bucket).await;
}

async fn cleanup(direct: &S3Storage, bucket: &str) {
    let _ = direct.ex_cleanup_all_multipart_uploads(bucket, None).await;
    let names: Vec<String> = direct
        .iterate_container_objects(bucket, None)
        .map_ok(|o| o.name)
        .try_collect()
        .await
        .unwrap_or_default();
    for name in names {
        let _ = direct.delete_object(bucket, &name).await;
    }
    let _ = direct.delete_container(bucket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_random_faults_lose_nothing() {
    let server = moto!();
    random_run(&server, "random_faults", 20_261_127, ops_from_env(40), 0.3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_random_faults_lose_nothing() {
    let server = garage!();
    random_run(&server, "random_faults", 7_031_977, ops_from_env(30), 0.3).await;
}

/// A 16 MiB upload in 5 MiB parts, whose part requests meet a 503, a reset before the body, a
/// reset after the body (the part was stored, the answer lost), `SlowDown` and a stall.
async fn multipart_survives_failed_parts(server: &Server) {
    let seed = seed_from_env(5);
    let direct = server.direct();
    let bucket = unique_name("lc-faults-mp");
    direct.create_container(&bucket).await.unwrap();
    let plan = FaultPlan::script([
        Some(Fault::Status(503)),
        Some(Fault::ResetBeforeBody),
        None,
        Some(Fault::ResetAfterBody),
        Some(Fault::SlowDown),
        Some(Fault::Stall(Duration::from_secs(4))),
    ])
    .with_seed(seed)
    .only(|r: &RequestInfo| r.method == "PUT" && r.has_query_param("partNumber"));
    let proxy = FaultProxy::start(&server.endpoint, plan).await.unwrap();
    let config = server
        .config(&server.endpoint)
        .with_part_size(5 * MIB)
        .with_multipart_threshold(5 * MIB as u64)
        .with_concurrency(3);
    let policy = RetryPolicy::default()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(20))
        .with_budget(Duration::from_secs(20));
    let s3 = server.through(&proxy, config, transport(policy, Duration::from_secs(3)));
    let data = pattern(16 * MIB + 4321);
    let chunks: Vec<libcloud_core::Result<Bytes>> = (0..data.len())
        .step_by(300_000)
        .map(|s| Ok(data.slice(s..(s + 300_000).min(data.len()))))
        .collect();
    let object = s3
        .upload_object_via_stream(
            &bucket,
            "big.bin",
            futures::stream::iter(chunks).boxed(),
            &UploadOptions::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("the upload failed: {e}\n{}", proxy.log_text()));
    assert_eq!(object.size, data.len() as u64);
    let stats = proxy.stats();
    assert!(stats.injected >= 5, "{}", proxy.log_text());
    // Read back from the server itself, not through the proxy.
    let back = direct
        .download_object_as_bytes(&bucket, "big.bin", 64 * MIB)
        .await
        .unwrap();
    assert!(back == data, "the stored object differs from what was sent");
    let leftovers: Vec<_> = direct
        .ex_iterate_multipart_uploads(&bucket, None)
        .try_collect()
        .await
        .unwrap();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let figures = RunFigures {
        ops: 1,
        ok: 1,
        bytes_checked: back.len() as u64,
        ..RunFigures::default()
    };
    figures.report("multipart_failed_parts", server.name, seed, &proxy);
    cleanup(&direct, &bucket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_multipart_survives_failed_parts() {
    multipart_survives_failed_parts(&moto!()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_multipart_survives_failed_parts() {
    multipart_survives_failed_parts(&garage!()).await;
}

/// Files in `dir`, by name.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Cut and damaged downloads fail, as streams and to files, and leave no file behind; an
/// existing file is kept as it was.
async fn downloads_detect_damage(server: &Server) {
    let direct = server.direct();
    let bucket = unique_name("lc-faults-dl");
    direct.create_container(&bucket).await.unwrap();
    let data = pattern(300_000);
    direct
        .upload_bytes(
            &bucket,
            "photo.jpg",
            data.clone(),
            &UploadOptions::default(),
        )
        .await
        .unwrap();
    let proxy = FaultProxy::start(&server.endpoint, FaultPlan::none())
        .await
        .unwrap();
    let s3 = server.through(
        &proxy,
        server.config(&server.endpoint),
        transport(RetryPolicy::disabled(), Duration::from_millis(800)),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("photo.jpg");
    std::fs::write(&dest, b"the old file").unwrap();
    let get_only = |r: &RequestInfo| r.method == "GET";
    for (seed, fault, expect) in [
        (1, Fault::Truncate, "transport"),
        (2, Fault::FlipByte, "hash"),
        (3, Fault::StallBody(Duration::from_secs(2)), "timeout"),
        (4, Fault::Truncate, "transport"),
        (5, Fault::FlipByte, "hash"),
    ] {
        for to_file in [false, true] {
            proxy.set_plan(
                FaultPlan::script([Some(fault)])
                    .with_seed(seed)
                    .only(get_only),
            );
            let err = if to_file {
                s3.download_to_path(&bucket, "photo.jpg", &dest, None, true)
                    .await
                    .unwrap_err()
            } else {
                s3.download_object_as_bytes(&bucket, "photo.jpg", MIB)
                    .await
                    .unwrap_err()
            };
            let ok = match expect {
                "transport" => *err.kind() == ErrorKind::Transport,
                "hash" => matches!(err.kind(), ErrorKind::HashMismatch { .. }),
                _ => *err.kind() == ErrorKind::Timeout,
            };
            assert!(ok, "{fault} (to file: {to_file}): got {err:?}");
            assert_eq!(
                files_in(dir.path()),
                ["photo.jpg"],
                "no partial file is left"
            );
            assert_eq!(std::fs::read(&dest).unwrap(), b"the old file");
        }
    }
    // Without a fault the same calls work.
    proxy.set_plan(FaultPlan::none());
    s3.download_to_path(&bucket, "photo.jpg", &dest, None, true)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    let stats = proxy.stats();
    assert_eq!(stats.injected, 10, "{}", proxy.log_text());
    let figures = RunFigures {
        ops: 11,
        ok: 1,
        failed: 10,
        bytes_checked: data.len() as u64,
        ..RunFigures::default()
    };
    figures.report("download_damage", server.name, 0, &proxy);
    cleanup(&direct, &bucket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_downloads_detect_damage() {
    downloads_detect_damage(&moto!()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garage_downloads_detect_damage() {
    downloads_detect_damage(&garage!()).await;
}

/// Against a server that always answers 503, retries stop after the attempts allowed, and
/// when there are many, at the time budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_stop_at_attempts_and_budget() {
    let server = moto!();
    let proxy = FaultProxy::start(
        &server.endpoint,
        FaultPlan::random(9, 1.0, [Fault::Status(503)]),
    )
    .await
    .unwrap();
    let config = server.config(&server.endpoint);
    let three = RetryPolicy::default()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(10));
    let s3 = server.through(&proxy, config.clone(), transport(three, ATTEMPT_TIMEOUT));
    let err = s3.get_object("any-bucket", "any-key").await.unwrap_err();
    assert!(err.is_temporary(), "{err}");
    assert_eq!(err.status(), Some(503));
    assert_eq!(proxy.stats().requests, 3, "three attempts, no more");
    // Many attempts allowed, one second of budget: the budget ends it.
    let budget = Duration::from_secs(1);
    let many = RetryPolicy::default()
        .with_max_attempts(1000)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(100))
        .with_budget(budget);
    let s3 = server.through(&proxy, config, transport(many, ATTEMPT_TIMEOUT));
    let before = proxy.stats().requests;
    let started = Instant::now();
    let err = s3.get_object("any-bucket", "any-key").await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.status(), Some(503), "{err}");
    assert!(elapsed >= budget / 2, "gave up early: {elapsed:?}");
    assert!(elapsed < budget + Duration::from_millis(900), "{elapsed:?}");
    let sent = proxy.stats().requests - before;
    assert!((3..100).contains(&sent), "{sent} attempts in one second");
}

/// Starting a multipart upload is a POST: when its answer is lost, it is not sent again, so
/// there is at most one upload on the server, which the clean-up finds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_a_multipart_upload_is_never_repeated() {
    let server = moto!();
    let direct = server.direct();
    let bucket = unique_name("lc-faults-post");
    direct.create_container(&bucket).await.unwrap();
    let plan = FaultPlan::script([Some(Fault::ResetAfterBody)])
        .only(|r: &RequestInfo| r.method == "POST" && r.has_query_param("uploads"));
    let proxy = FaultProxy::start(&server.endpoint, plan).await.unwrap();
    let config = server
        .config(&server.endpoint)
        .with_part_size(5 * MIB)
        .with_multipart_threshold(5 * MIB as u64);
    let s3 = server.through(&proxy, config, transport(retrying(), ATTEMPT_TIMEOUT));
    let data = pattern(6 * MIB);
    let err = s3
        .upload_bytes(&bucket, "big.bin", data, &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport, "{err}");
    let log = proxy.log();
    assert_eq!(log.len(), 1, "{}", proxy.log_text());
    let posts = proxy.stats().requests;
    assert_eq!(posts, 1, "the POST was sent once and nothing followed it");
    let uploads: Vec<_> = direct
        .ex_iterate_multipart_uploads(&bucket, None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(uploads.len(), 1, "exactly one upload was started");
    assert!(
        direct
            .get_object(&bucket, "big.bin")
            .await
            .unwrap_err()
            .is_not_found()
    );
    cleanup(&direct, &bucket).await;
}
