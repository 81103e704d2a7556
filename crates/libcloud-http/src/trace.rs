//! One `tracing` span per HTTP request sent.

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use libcloud_core::transport::{Operation, Request, Response};
use libcloud_core::{Error, Result};
use tokio::time::Instant;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing::field::Empty;

use crate::retry::Attempt;

/// A tower layer that opens a `tracing` span, named `http_request` at DEBUG level, for each
/// request it passes on.
///
/// The span carries `method`, `host`, `path` (never the query string, which may hold a
/// signature), `operation` (from the [`Operation`] extension, empty when absent) and `attempt`
/// (from the [`Attempt`] extension, 1 when absent); when the response headers arrive it records
/// `status` and `latency_ms`, or `error` when the attempt failed, and emits one DEBUG event.
/// No header value is ever recorded. Put it below [`RetryLayer`](crate::RetryLayer) to get one
/// span per attempt with its number.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceLayer {
    _private: (),
}

impl TraceLayer {
    /// The tracing layer.
    pub fn new() -> Self {
        TraceLayer::default()
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Trace<S> {
        Trace { inner }
    }
}

/// The service made by [`TraceLayer`].
#[derive(Debug, Clone)]
pub struct Trace<S> {
    inner: S,
}

impl<S> Service<Request> for Trace<S>
where
    S: Service<Request, Response = Response, Error = Error>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Error;
    type Future = BoxFuture<'static, Result<Response>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let operation = request
            .extensions()
            .get::<Operation>()
            .map(|o| o.0.clone())
            .unwrap_or_default();
        let attempt = request.extensions().get::<Attempt>().map_or(1, |a| a.0);
        let span = tracing::debug_span!(
            "http_request",
            method = %request.method(),
            host = %request.uri().host().unwrap_or(""),
            path = %request.uri().path(),
            operation = %operation,
            attempt,
            status = Empty,
            latency_ms = Empty,
            error = Empty,
        );
        let future = span.in_scope(|| self.inner.call(request));
        let started = Instant::now();
        Box::pin(
            async move {
                let result = future.await;
                let span = tracing::Span::current();
                let latency_ms = started.elapsed().as_millis() as u64;
                span.record("latency_ms", latency_ms);
                match &result {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        span.record("status", status);
                        tracing::debug!(status, latency_ms, "response");
                    }
                    Err(err) => {
                        span.record("error", tracing::field::display(err.kind()));
                        tracing::debug!(error = %err, latency_ms, "request failed");
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::testing::{Script, Step, capture_traces, send_through};
    use crate::{RetryLayer, RetryPolicy};
    use libcloud_core::Body;
    use tower::ServiceBuilder;

    #[tokio::test(start_paused = true)]
    async fn spans_name_the_request_but_never_its_secrets() {
        let captured = capture_traces();

        let script = Script::new(vec![Step::Status(503), Step::Status(200)]);
        let mut request = http::Request::get(
            "https://bucket.s3.example.com/photos/cat.jpg?X-Amz-Signature=SIGSECRET&x-id=GetObject",
        )
        .header("authorization", "AWS4-HMAC-SHA256 Credential=AUTHSECRET")
        .header("x-amz-security-token", "TOKENSECRET")
        .body(Body::empty())
        .unwrap();
        request
            .extensions_mut()
            .insert(Operation("get_object".into()));
        let layers = ServiceBuilder::new()
            .layer(RetryLayer::new(RetryPolicy::default()))
            .layer(TraceLayer::new());
        let response = send_through(layers, script.transport.clone(), request)
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);

        let out = captured.text();
        for expected in [
            "http_request",
            "method=GET",
            "host=bucket.s3.example.com",
            "path=/photos/cat.jpg",
            "operation=get_object",
            "attempt=1",
            "attempt=2",
            "status=503",
            "status=200",
            "latency_ms=",
        ] {
            assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
        }
        for secret in [
            "SIGSECRET",
            "AUTHSECRET",
            "TOKENSECRET",
            "x-id",
            "GetObject",
        ] {
            assert!(!out.contains(secret), "{secret:?} leaked into:\n{out}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn failures_are_recorded_too() {
        let captured = capture_traces();

        let script = Script::new(vec![Step::Fail(libcloud_core::ErrorKind::Transport)]);
        let request = http::Request::delete("http://127.0.0.1:9/x")
            .body(Body::empty())
            .unwrap();
        let err = send_through(TraceLayer::new(), script.transport.clone(), request)
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), libcloud_core::ErrorKind::Transport);
        let out = captured.text();
        assert!(out.contains("method=DELETE"), "{out}");
        assert!(out.contains("request failed"), "{out}");
        assert!(out.contains("attempt=1"), "{out}");
    }
}
