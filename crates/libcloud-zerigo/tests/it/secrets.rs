//! The API key never shows: the driver runs against a proxy answering errors, resets and
//! throttling, with every `tracing` event recorded, and the log, the `Debug` of the
//! configuration and the driver, and every error are searched for the key and for the Basic
//! credentials made from it.

use std::time::Duration;

use libcloud_core::{CreateZone, DnsDriver, DnsDriverExt, RecordSpec, RecordType, Zone, ZoneType};
use libcloud_http::{HttpConfig, RetryPolicy};
use libcloud_testkit::fault::{Fault, FaultPlan, FaultProxy};
use libcloud_testkit::secrets::{assert_no_secrets, capture, error_text, secret};
use libcloud_zerigo::{ZerigoConfig, ZerigoDns};

/// Standard base64, written here so as not to trust the driver's.
fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= c.len() {
                out.push(A[(n >> shift) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn the_api_key_never_reaches_logs_or_errors() {
    let email = "leak-check@example.com";
    let key = secret("zerigo-api-key");
    let basic = base64(format!("{email}:{key}").as_bytes());
    let log = capture();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let plan = FaultPlan::random(
        5,
        0.8,
        [
            Fault::Status(401),
            Fault::Status(404),
            Fault::Status(422),
            Fault::Status(500),
            Fault::ResetBeforeBody,
            Fault::ResetAfterBody,
            Fault::TooManyRequests {
                retry_after_secs: 0,
            },
        ],
    );
    let proxy = FaultProxy::start(&closed.to_string(), plan).await.unwrap();
    let config =
        ZerigoConfig::new(email, key.clone()).with_endpoint(format!("{}/api/1.1/", proxy.url()));
    let transport = HttpConfig::new()
        .with_retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(5))
                .with_budget(Duration::from_secs(2)),
        )
        .build()
        .unwrap();
    let dns = ZerigoDns::with_transport(config.clone(), transport).unwrap();
    let zone = Zone {
        id: "4100003".into(),
        domain: "leak-check.example".into(),
        zone_type: ZoneType::Master,
        ttl: None,
        extra: Default::default(),
    };
    let mut shown = vec![format!("{config:?}"), format!("{dns:?}")];
    let results = [
        dns.list_zones().await.map(drop),
        dns.get_zone("4100003").await.map(drop),
        dns.create_zone(&CreateZone::new("leak-check.example"))
            .await
            .map(drop),
        dns.list_records(&zone).await.map(drop),
        dns.create_record(&zone, &RecordSpec::new("www", RecordType::A, "192.0.2.1"))
            .await
            .map(drop),
        dns.delete_zone(&zone).await,
    ];
    let errors = results.iter().filter(|r| r.is_err()).count();
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        shown.push(error_text(err));
    }
    let logged = log.text();
    assert!(errors >= 3, "the faults should have made most calls fail");
    assert!(logged.contains("http_request"), "{logged}");
    assert_no_secrets(&logged, &[&key, &basic], "the tracing log");
    assert_no_secrets(&shown.join("\n"), &[&key, &basic], "Debug and error output");
}
