//! Credentials never show: with a secret key and a session token of a known pattern, the
//! driver runs every operation against a proxy that answers with errors, resets and throttling,
//! with every `tracing` event recorded; then the log, the `Debug` of the configuration and the
//! driver, and the `Display` and `Debug` of every error (and their causes) are searched for the
//! secrets. A presigned URL, which must carry its signature and token, is fetched through the
//! transport, and its signature and token must not reach the log either.

use std::time::Duration;

use libcloud_aws::Region;
use libcloud_core::{Bytes, StorageDriver, StorageDriverExt, UploadOptions};
use libcloud_http::{HttpConfig, RetryPolicy};
use libcloud_s3::{S3Config, S3Storage};
use libcloud_testkit::fault::{Fault, FaultPlan, FaultProxy};
use libcloud_testkit::secrets::{assert_no_secrets, capture, error_text, secret};

/// The value of the query parameter `name` in `url`.
fn query_value(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            k.eq_ignore_ascii_case(name).then(|| v.to_string())
        })
        .unwrap_or_else(|| panic!("{name} missing from {url}"))
}

#[tokio::test]
async fn credentials_and_presigned_urls_never_reach_logs_or_errors() {
    let secret_key = secret("s3-secret-key");
    let token = secret("s3-session-token");
    let log = capture();
    // The upstream is a closed port: what the plan lets through is answered 502.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let plan = FaultPlan::random(
        11,
        0.8,
        [
            Fault::Status(500),
            Fault::Status(403),
            Fault::Status(404),
            Fault::SlowDown,
            Fault::ResetBeforeBody,
            Fault::ResetAfterBody,
            Fault::TooManyRequests {
                retry_after_secs: 0,
            },
        ],
    );
    let proxy = FaultProxy::start(&closed.to_string(), plan).await.unwrap();
    let config = S3Config::new()
        .with_endpoint(proxy.url())
        .with_region(Region::new("us-east-1").unwrap())
        .with_credentials("AKIDLEAKCHECK", secret_key.clone())
        .with_session_token(token.clone());
    let transport = HttpConfig::new()
        .with_retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(5))
                .with_budget(Duration::from_secs(2)),
        )
        .build()
        .unwrap();
    let credentials = config.credential_provider().unwrap();
    let s3 = S3Storage::with_transport(config.clone(), transport.clone(), credentials).unwrap();

    let mut shown = vec![format!("{config:?}"), format!("{s3:?}")];
    let mut errors = 0;
    let mut keep = |result: libcloud_core::Result<()>| {
        if let Err(e) = result {
            errors += 1;
            shown.push(error_text(&e));
        }
    };
    keep(s3.create_container("leak-check").await.map(drop));
    keep(s3.get_container("leak-check").await.map(drop));
    keep(s3.list_containers().await.map(drop));
    keep(
        s3.upload_bytes(
            "leak-check",
            "a/b.txt",
            Bytes::from_static(b"data"),
            &UploadOptions::default(),
        )
        .await
        .map(drop),
    );
    keep(s3.get_object("leak-check", "a/b.txt").await.map(drop));
    keep(
        s3.download_object_as_bytes("leak-check", "a/b.txt", 1024)
            .await
            .map(drop),
    );
    keep(
        s3.list_container_objects("leak-check", Some("a/"))
            .await
            .map(drop),
    );
    keep(s3.delete_object("leak-check", "a/b.txt").await);
    keep(s3.delete_container("leak-check").await);

    // A presigned URL carries its signature and the session token: that is what it is for.
    let url = s3
        .get_object_cdn_url("leak-check", "a/b.txt", Duration::from_secs(600))
        .await
        .unwrap();
    let signature = query_value(&url, "X-Amz-Signature");
    assert_eq!(query_value(&url, "X-Amz-Security-Token"), token);
    // Fetching it through the transport must not log them.
    let request = http::Request::get(url.as_str())
        .body(libcloud_core::Body::empty())
        .unwrap();
    match libcloud_core::transport::send(&transport, request).await {
        Ok(response) => shown.push(format!("{response:?}")),
        Err(e) => shown.push(error_text(&e)),
    }

    let logged = log.text();
    assert!(errors >= 5, "the faults should have made most calls fail");
    assert!(
        logged.contains("http_request") && logged.contains("leak-check"),
        "the log was recorded: {logged}"
    );
    let secrets = [secret_key.as_str(), token.as_str(), signature.as_str()];
    assert_no_secrets(&logged, &secrets, "the tracing log");
    assert_no_secrets(&shown.join("\n"), &secrets, "Debug and error output");
    assert!(proxy.stats().injected > 0);
}
