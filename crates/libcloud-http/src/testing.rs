//! A scripted in-memory transport for the unit tests: it answers each call with the next step of
//! a script (repeating the last step when the script runs out) and records every call.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use libcloud_core::body::once_stream;
use libcloud_core::transport::{self, Request, Response, Transport};
use libcloud_core::{Body, Bytes, Error, ErrorKind};
use tokio::time::Instant;

use crate::retry::Attempt;

/// A marker extension the tests put on requests to check that every attempt carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag(pub &'static str);

/// What the scripted transport does for one call.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// A response with this status and an empty body.
    Status(u16),
    /// A response with this status, headers and body; the body is a stream, as from the
    /// network, with its `Content-Length` set.
    Reply {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: &'static str,
    },
    /// A response with this status and a streamed body of unknown length.
    Unsized { status: u16, body: &'static str },
    /// An error of this kind.
    Fail(ErrorKind),
    /// Never answers.
    Hang,
}

/// What one call looked like.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub at: Instant,
    pub attempt: Option<u32>,
    pub tag: Option<Tag>,
    pub body: Option<Bytes>,
}

/// The scripted transport and its record of calls.
#[derive(Clone)]
pub(crate) struct Script {
    pub transport: Transport,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Script {
    pub fn new(steps: Vec<Step>) -> Self {
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let record = calls.clone();
        let steps = Arc::new(steps);
        let transport = transport::from_fn(move |request: Request| {
            let index = {
                let mut calls = record.lock().unwrap();
                calls.push(Call {
                    at: Instant::now(),
                    attempt: request.extensions().get::<Attempt>().map(|a| a.0),
                    tag: request.extensions().get::<Tag>().cloned(),
                    body: request.body().as_bytes().cloned(),
                });
                calls.len() - 1
            };
            let step = steps[index.min(steps.len() - 1)].clone();
            async move {
                match step {
                    Step::Status(status) => Ok(http::Response::builder()
                        .status(status)
                        .body(Body::empty())
                        .unwrap()),
                    Step::Reply {
                        status,
                        headers,
                        body,
                    } => {
                        let mut builder = http::Response::builder().status(status);
                        if !headers
                            .iter()
                            .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                        {
                            builder = builder.header("content-length", body.len().to_string());
                        }
                        for (name, value) in headers {
                            builder = builder.header(name, value);
                        }
                        Ok(builder
                            .body(Body::from_stream(once_stream(Bytes::from_static(
                                body.as_bytes(),
                            ))))
                            .unwrap())
                    }
                    Step::Unsized { status, body } => Ok(http::Response::builder()
                        .status(status)
                        .body(Body::from_stream(once_stream(Bytes::from_static(
                            body.as_bytes(),
                        ))))
                        .unwrap()),
                    Step::Fail(kind) => Err(Error::new(kind, "scripted failure")),
                    Step::Hang => {
                        tokio::time::sleep(Duration::from_secs(365 * 24 * 3600)).await;
                        Err(Error::new(
                            ErrorKind::Transport,
                            "woke from a year-long hang",
                        ))
                    }
                }
            }
            .boxed()
        });
        Script { transport, calls }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

/// A GET request with a [`Tag`].
pub(crate) fn get(uri: &str) -> Request {
    let mut request = http::Request::get(uri).body(Body::empty()).unwrap();
    request.extensions_mut().insert(Tag("get"));
    request
}

/// Sends `request` through `transport` wrapped in `layer`.
pub(crate) async fn send_through<L>(
    layer: L,
    transport: Transport,
    request: Request,
) -> libcloud_core::Result<Response>
where
    L: tower::Layer<Transport>,
    L::Service: tower::Service<Request, Response = Response, Error = Error>,
{
    use tower::ServiceExt;
    layer.layer(transport).oneshot(request).await
}

/// What the test-wide subscriber wrote on this thread since [`capture_traces`] was called.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
}

/// Writes to this thread's capture buffer, if it has one; otherwise nowhere.
struct ThreadWriter;

impl std::io::Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(captured) = &*c.borrow() {
                captured.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing the DEBUG output of `tracing` on this thread (where a `#[tokio::test]` runs).
///
/// One global subscriber serves every test: per-thread subscribers race with the callsite
/// interest cache when tests run in parallel.
pub(crate) fn capture_traces() -> Captured {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(|| ThreadWriter)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
    let captured = Captured::default();
    CAPTURE.with(|c| *c.borrow_mut() = Some(captured.clone()));
    captured
}
