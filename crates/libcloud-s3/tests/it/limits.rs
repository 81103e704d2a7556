//! Limits: an answer that never ends is refused once it passes the driver's bound, not buffered
//! without end; and a multipart upload never has more parts in flight than its concurrency.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use libcloud_aws::{Region, StaticProvider};
use libcloud_core::transport::{self, Request, Transport};
use libcloud_core::{Body, Credentials, ErrorKind, StorageDriver, StorageDriverExt, UploadOptions};
use libcloud_s3::{S3Config, S3Storage};
use libcloud_testkit::{require_live, unique_name};

use crate::support::{MIB, pattern};

const CHUNK: usize = 64 * 1024;
static FILLER: [u8; CHUNK] = [b' '; CHUNK];

/// A transport whose every answer is `status` with a body that never ends; `pulled` counts the
/// bytes the driver read from it.
fn endless(status: u16, pulled: Arc<AtomicU64>) -> Transport {
    transport::from_fn(move |_request: Request| {
        let pulled = pulled.clone();
        Box::pin(async move {
            let body = futures::stream::repeat_with(move || {
                pulled.fetch_add(CHUNK as u64, Ordering::SeqCst);
                Ok(Bytes::from_static(&FILLER))
            })
            .boxed();
            Ok(http::Response::builder()
                .status(status)
                .header("content-type", "application/xml")
                .body(Body::from_stream(body))
                .unwrap())
        })
    })
}

fn driver(transport: Transport) -> S3Storage {
    let config = S3Config::new()
        .with_endpoint("http://s3.test")
        .with_credentials("AKIDTEST", "test-secret");
    let creds = config.credential_provider().unwrap();
    S3Storage::with_transport(config, transport, creds).unwrap()
}

#[tokio::test]
async fn endless_listings_are_refused_at_the_bound() {
    // The driver's bound for XML answers is 32 MiB; a listing page is far smaller.
    const BOUND: u64 = 32 * 1024 * 1024;
    for (what, status) in [("objects", 200), ("buckets", 200), ("error", 500)] {
        let pulled = Arc::new(AtomicU64::new(0));
        let s3 = driver(endless(status, pulled.clone()));
        let result = tokio::time::timeout(Duration::from_secs(60), async {
            match what {
                "objects" => s3.list_container_objects("bucket", None).await.map(drop),
                "buckets" => s3.list_containers().await.map(drop),
                _ => s3.get_container("bucket").await.map(drop),
            }
        })
        .await
        .expect("an endless answer must not hang the driver");
        let err = result.unwrap_err();
        let read = pulled.load(Ordering::SeqCst);
        match status {
            200 => {
                assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{what}: {err}");
                assert!(
                    read <= BOUND + 2 * CHUNK as u64,
                    "{what}: read {read} bytes"
                );
            }
            _ => {
                // An error body is read only up to 64 KiB, then the status speaks.
                assert!(err.is_temporary(), "{err}");
                assert!(read <= 64 * 1024 + 2 * CHUNK as u64, "read {read} bytes");
            }
        }
    }
}

/// A transport in front of `inner` that counts the part uploads in flight (from the request
/// until its response headers) and keeps the highest count; each part is held 30 ms so that
/// parts overlap whenever the writer lets them.
fn counting(inner: Transport, now: Arc<AtomicUsize>, peak: Arc<AtomicUsize>) -> Transport {
    transport::from_fn(move |request: Request| {
        let inner = inner.clone();
        let now = now.clone();
        let peak = peak.clone();
        let is_part = request.method() == http::Method::PUT
            && request
                .uri()
                .query()
                .is_some_and(|q| q.contains("partNumber="));
        Box::pin(async move {
            if !is_part {
                return transport::send(&inner, request).await;
            }
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(30)).await;
            let result = transport::send(&inner, request).await;
            now.fetch_sub(1, Ordering::SeqCst);
            result
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_in_flight_never_exceed_the_concurrency() {
    let endpoint = require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT");
    let data = pattern(26 * MIB);
    for concurrency in [1usize, 2, 4] {
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let config = S3Config::new()
            .with_endpoint(endpoint.clone())
            .with_region(Region::new("us-east-1").unwrap())
            .with_credentials("testing", "testing")
            .with_part_size(5 * MIB)
            .with_multipart_threshold(5 * MIB as u64)
            .with_concurrency(concurrency);
        let inner = libcloud_http::default_transport().unwrap();
        let creds = Arc::new(StaticProvider::new(Credentials::new("testing", "testing")));
        let s3 =
            S3Storage::with_transport(config, counting(inner, now, peak.clone()), creds).unwrap();
        let bucket = unique_name("lc-limits");
        s3.create_container(&bucket).await.unwrap();
        let chunks: Vec<libcloud_core::Result<Bytes>> = (0..data.len())
            .step_by(MIB)
            .map(|s| Ok(data.slice(s..(s + MIB).min(data.len()))))
            .collect();
        let object = s3
            .upload_object_via_stream(
                &bucket,
                "parts.bin",
                futures::stream::iter(chunks).boxed(),
                &UploadOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(object.size, data.len() as u64);
        let peak = peak.load(Ordering::SeqCst);
        assert!(
            peak <= concurrency,
            "{peak} parts in flight with a concurrency of {concurrency}"
        );
        // Six parts and a 30 ms hold: the writer does use what it is allowed.
        assert!(
            peak >= concurrency.min(2),
            "only {peak} in flight with {concurrency} allowed"
        );
        s3.delete_object(&bucket, "parts.bin").await.unwrap();
        s3.delete_container(&bucket).await.unwrap();
    }
}
