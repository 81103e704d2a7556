//! Time limits on one attempt: until the response headers arrive, and between body chunks.
//!
//! The connect timeout is a setting of the connector itself (see
//! [`HttpConfig::with_connect_timeout`](crate::HttpConfig::with_connect_timeout)); the two layers
//! here work on any [`Transport`](libcloud_core::Transport).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use futures::future::BoxFuture;
use futures::stream::StreamExt;
use libcloud_core::body::ByteStream;
use libcloud_core::transport::{Request, Response};
use libcloud_core::{Body, Bytes, Error, ErrorKind, Result};
use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A tower layer that fails an attempt with [`ErrorKind::Timeout`] when its response headers do
/// not arrive in time.
///
/// It bounds one attempt, not the whole call: put it below [`RetryLayer`](crate::RetryLayer) so a
/// slow attempt is retried. Reading the body is bounded by [`IdleBodyTimeoutLayer`] instead.
/// The default is 30 s.
#[derive(Debug, Clone, Copy)]
pub struct AttemptTimeoutLayer {
    timeout: Duration,
}

impl Default for AttemptTimeoutLayer {
    fn default() -> Self {
        AttemptTimeoutLayer::new(Duration::from_secs(30))
    }
}

impl AttemptTimeoutLayer {
    /// A layer that allows each attempt `timeout` to produce its response headers.
    pub fn new(timeout: Duration) -> Self {
        AttemptTimeoutLayer { timeout }
    }
}

impl<S> Layer<S> for AttemptTimeoutLayer {
    type Service = AttemptTimeout<S>;

    fn layer(&self, inner: S) -> AttemptTimeout<S> {
        AttemptTimeout {
            inner: tower::timeout::Timeout::new(inner, self.timeout),
            timeout: self.timeout,
        }
    }
}

/// The service made by [`AttemptTimeoutLayer`].
#[derive(Debug, Clone)]
pub struct AttemptTimeout<S> {
    inner: tower::timeout::Timeout<S>,
    timeout: Duration,
}

impl<S> Service<Request> for AttemptTimeout<S>
where
    S: Service<Request, Response = Response, Error = Error>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Error;
    type Future = BoxFuture<'static, Result<Response>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let timeout = self.timeout;
        self.inner
            .poll_ready(cx)
            .map_err(|e| from_tower_error(e, timeout))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let timeout = self.timeout;
        let future = self.inner.call(request);
        Box::pin(async move { future.await.map_err(|e| from_tower_error(e, timeout)) })
    }
}

/// Turns the boxed error of `tower::timeout` back into libcloud's error.
fn from_tower_error(err: BoxError, timeout: Duration) -> Error {
    if err.is::<tower::timeout::error::Elapsed>() {
        return Error::new(
            ErrorKind::Timeout,
            format!("no response within {} ms", timeout.as_millis()),
        )
        .with_source(err);
    }
    match err.downcast::<Error>() {
        Ok(err) => *err,
        Err(other) => Error::transport(other),
    }
}

/// A tower layer that fails a response body with [`ErrorKind::Timeout`] when it yields no chunk
/// for too long.
///
/// The clock runs only while the reader waits for the next chunk: a caller that is slow to read
/// is not penalised, a server that stalls is. Bodies already in memory are left alone.
/// The default is 30 s.
#[derive(Debug, Clone, Copy)]
pub struct IdleBodyTimeoutLayer {
    idle: Duration,
}

impl Default for IdleBodyTimeoutLayer {
    fn default() -> Self {
        IdleBodyTimeoutLayer::new(Duration::from_secs(30))
    }
}

impl IdleBodyTimeoutLayer {
    /// A layer that allows a response body to go `idle` between chunks.
    pub fn new(idle: Duration) -> Self {
        IdleBodyTimeoutLayer { idle }
    }
}

impl<S> Layer<S> for IdleBodyTimeoutLayer {
    type Service = IdleBodyTimeout<S>;

    fn layer(&self, inner: S) -> IdleBodyTimeout<S> {
        IdleBodyTimeout {
            inner,
            idle: self.idle,
        }
    }
}

/// The service made by [`IdleBodyTimeoutLayer`].
#[derive(Debug, Clone)]
pub struct IdleBodyTimeout<S> {
    inner: S,
    idle: Duration,
}

impl<S> Service<Request> for IdleBodyTimeout<S>
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
        let idle = self.idle;
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            Ok(response.map(|body| {
                if body.as_bytes().is_some() {
                    body
                } else {
                    Body::from_stream(IdleTimeoutStream::new(body.into_stream(), idle).boxed())
                }
            }))
        })
    }
}

/// A byte stream that ends with a `Timeout` error when its inner stream stays pending too long.
struct IdleTimeoutStream {
    inner: ByteStream,
    idle: Duration,
    /// Made on the first wait (so that no timer exists before the body is read), then reused.
    timer: Option<Pin<Box<Sleep>>>,
    /// Whether the timer is running for the current wait.
    armed: bool,
    done: bool,
}

impl IdleTimeoutStream {
    fn new(inner: ByteStream, idle: Duration) -> Self {
        IdleTimeoutStream {
            inner,
            idle,
            timer: None,
            armed: false,
            done: false,
        }
    }
}

impl Stream for IdleTimeoutStream {
    type Item = Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = this.inner.poll_next_unpin(cx) {
            this.armed = false;
            if item.is_none() {
                this.done = true;
            }
            return Poll::Ready(item);
        }
        let deadline = Instant::now() + this.idle;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !this.armed {
            timer.as_mut().reset(deadline);
            this.armed = true;
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.done = true;
                Poll::Ready(Some(Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "response body sent nothing for {} ms",
                        this.idle.as_millis()
                    ),
                ))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::testing::{Script, Step, get, send_through};
    use crate::{HttpConfig, RetryPolicy};
    use futures::FutureExt;
    use libcloud_core::transport::{self, Transport};
    use tower::ServiceExt;

    /// A transport whose response body is `body`.
    fn body_transport(make: fn() -> ByteStream) -> Transport {
        transport::from_fn(move |_req| {
            async move { Ok(http::Response::new(Body::from_stream(make()))) }.boxed()
        })
    }

    fn idle(secs: u64) -> IdleBodyTimeoutLayer {
        IdleBodyTimeoutLayer::new(Duration::from_secs(secs))
    }

    #[tokio::test(start_paused = true)]
    async fn attempt_timeout_fires_on_a_hung_attempt() {
        let script = Script::new(vec![Step::Hang]);
        let started = Instant::now();
        let err = send_through(
            AttemptTimeoutLayer::default(),
            script.transport.clone(),
            get("http://h/x"),
        )
        .await
        .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Timeout);
        assert!(err.is_temporary());
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn attempt_timeout_passes_answers_and_errors_through() {
        let script = Script::new(vec![Step::Status(204), Step::Fail(ErrorKind::InvalidInput)]);
        let layer = AttemptTimeoutLayer::new(Duration::from_secs(1));
        let ok = send_through(layer, script.transport.clone(), get("http://h/x"))
            .await
            .unwrap();
        assert_eq!(ok.status().as_u16(), 204);
        let err = send_through(layer, script.transport.clone(), get("http://h/x"))
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.message(), Some("scripted failure"));
    }

    #[tokio::test(start_paused = true)]
    async fn timed_out_attempts_are_retried_by_the_full_stack() {
        let script = Script::new(vec![Step::Hang, Step::Hang, Step::Status(200)]);
        let config = HttpConfig::new().with_attempt_timeout(Duration::from_secs(10));
        let started = Instant::now();
        let response = config
            .wrap(script.transport.clone())
            .oneshot(get("http://h/x"))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(script.count(), 3);
        assert!(started.elapsed() >= Duration::from_secs(20));

        // With a budget shorter than one attempt, the timeout is final.
        let script = Script::new(vec![Step::Hang, Step::Status(200)]);
        let config = HttpConfig::new()
            .with_attempt_timeout(Duration::from_secs(10))
            .with_retry(RetryPolicy::default().with_budget(Duration::from_secs(5)));
        let err = config
            .wrap(script.transport.clone())
            .oneshot(get("http://h/x"))
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Timeout);
        assert_eq!(script.count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_body_timeout_fires_on_a_stalled_body() {
        let stalled: fn() -> ByteStream = || {
            futures::stream::once(async { Ok(Bytes::from_static(b"first")) })
                .chain(futures::stream::pending())
                .boxed()
        };
        let response = send_through(idle(7), body_transport(stalled), get("http://h/x"))
            .await
            .unwrap();
        let mut stream = response.into_body().into_stream();
        assert_eq!(&stream.next().await.unwrap().unwrap()[..], b"first");
        let started = Instant::now();
        let err = stream.next().await.unwrap().unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Timeout);
        assert_eq!(started.elapsed(), Duration::from_secs(7));
        assert!(
            stream.next().await.is_none(),
            "the stream ends after the timeout"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_but_steady_body_is_not_cut() {
        let steady: fn() -> ByteStream = || {
            futures::stream::unfold(0u8, |n| async move {
                if n == 5 {
                    return None;
                }
                tokio::time::sleep(Duration::from_secs(6)).await;
                Some((Ok(Bytes::from(vec![n])), n + 1))
            })
            .boxed()
        };
        let response = send_through(idle(7), body_transport(steady), get("http://h/x"))
            .await
            .unwrap();
        let started = Instant::now();
        let body = response.into_body().collect(1024).await.unwrap();
        assert_eq!(&body[..], &[0, 1, 2, 3, 4]);
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_is_not_penalised() {
        let ready: fn() -> ByteStream = || {
            futures::stream::iter([Ok(Bytes::from_static(b"a")), Ok(Bytes::from_static(b"b"))])
                .boxed()
        };
        let response = send_through(idle(1), body_transport(ready), get("http://h/x"))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        let body = response.into_body().collect(16).await.unwrap();
        assert_eq!(&body[..], b"ab");
    }

    #[tokio::test(start_paused = true)]
    async fn in_memory_bodies_are_left_alone() {
        let transport = transport::from_fn(|_req| {
            async { Ok(http::Response::new(Body::from("whole"))) }.boxed()
        });
        let response = send_through(idle(1), transport, get("http://h/x"))
            .await
            .unwrap();
        assert_eq!(
            response.body().as_bytes().map(|b| &b[..]),
            Some(&b"whole"[..])
        );
    }
}
