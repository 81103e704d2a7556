//! What the libFuzzer targets share: inputs split into an operation, a status and a body; a
//! transport that answers with them; a runtime; and the check every result must pass.
//!
//! Each target in `fuzz_targets/` builds a driver over [`answering`], runs the operation the
//! input picks, and hands the result to [`check`]: a panic anywhere, or an error that does not
//! say which provider it came from, is a crash for libFuzzer to report and minimize.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use libcloud_core::transport::{self, Request};
use libcloud_core::{Body, Result, Transport};

/// The statuses an input's second byte picks from.
pub const STATUSES: &[u16] = &[
    200, 200, 200, 200, 201, 204, 206, 301, 400, 401, 403, 404, 409, 422, 429, 500, 503,
];

/// An input, split: the operation (first byte), the status (second byte) and the body.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Which operation to run, modulo the target's count.
    pub op: u8,
    /// The status every answered request gets.
    pub status: u16,
    /// The body every answered request gets.
    pub body: &'a [u8],
}

/// Splits `data`; `None` when it is shorter than two bytes.
pub fn split(data: &[u8]) -> Option<Input<'_>> {
    match data {
        [op, status, body @ ..] => Some(Input {
            op: *op,
            status: STATUSES[usize::from(*status) % STATUSES.len()],
            body,
        }),
        _ => None,
    }
}

/// A transport that answers a tempauth sign-in (`.../auth/v1.0`) with a token and a storage
/// URL, the first `answers` other requests with `status` and `body` (and the headers drivers
/// look for: `ETag`, `X-Subject-Token`), and every later one with an empty 500, so that paging
/// and retries always end.
pub fn answering(status: u16, body: &[u8], answers: usize) -> Transport {
    let body = body.to_vec();
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
            let builder = libcloud_core::http::Response::builder();
            let response = if tempauth {
                builder
                    .status(200)
                    .header("x-auth-token", "AUTH_tkfuzz")
                    .header("x-storage-url", "http://swift.test/v1/AUTH_fuzz")
                    .body(Body::empty())
            } else if n < answers {
                builder
                    .status(status)
                    .header("etag", "\"0cc175b9c0f1b6a831c399e269772661\"")
                    .header("x-subject-token", "fuzz-token")
                    .header("content-length", body.len().to_string())
                    .body(Body::from(body))
            } else {
                builder.status(500).body(Body::empty())
            };
            response.map_err(|e| libcloud_core::Error::invalid_input(e.to_string()))
        })
    })
}

/// Runs `future` to completion on a fresh current-thread runtime with timers.
pub fn block_on<F: Future>(future: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime.block_on(future),
        Err(e) => panic!("no runtime: {e}"),
    }
}

/// Panics unless `result` is a success or an error that names its provider. The shared
/// pager's refusal of a repeated page token is the one error allowed to name none.
pub fn check(result: Result<()>) {
    if let Err(err) = result {
        let pager = err.message().is_some_and(|m| m.contains("same page token"));
        assert!(pager || err.provider().is_some(), "untagged error: {err:?}");
    }
}
