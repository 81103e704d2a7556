//! A tiny hyper server on 127.0.0.1 and real requests through `default_transport()`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use libcloud_core::transport::{self, Transport};
use libcloud_core::{Body, ErrorKind};
use libcloud_http::{HttpConfig, RetryPolicy};
use tokio::net::TcpListener;
use tokio::sync::Notify;

type ServerBody = BoxBody<Bytes, Infallible>;

fn full(bytes: impl Into<Bytes>) -> ServerBody {
    Full::new(bytes.into()).boxed()
}

/// What the test server does:
/// - `GET /hello`: "hello, world", echoing the `User-Agent` it saw in `x-seen-user-agent`;
/// - `PUT /echo`: the request body back, with the `Transfer-Encoding` it saw in `x-seen-te`;
/// - `GET /drip`: "one", then "two" only after `release` is notified;
/// - `GET /fail`: 500 the first two times it is asked, then "recovered";
/// - `GET /hang`: never answers.
struct Server {
    addr: SocketAddr,
    release: Arc<Notify>,
}

async fn start() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let release = Arc::new(Notify::new());
    let failures = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let release_for_server = release.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let release = release_for_server.clone();
            let failures = failures.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(req, release.clone(), failures.clone()));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Server { addr, release }
}

async fn handle(
    req: http::Request<Incoming>,
    release: Arc<Notify>,
    failures: Arc<std::sync::atomic::AtomicU32>,
) -> Result<http::Response<ServerBody>, Infallible> {
    let seen = |name: &str| {
        req.headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or("?").to_string())
            .unwrap_or_default()
    };
    let response = match (req.method().as_str(), req.uri().path()) {
        ("GET", "/hello") => http::Response::builder()
            .header("x-seen-user-agent", seen("user-agent"))
            .body(full("hello, world")),
        ("PUT", "/echo") => {
            let te = seen("transfer-encoding");
            let body = req.into_body().collect().await.unwrap().to_bytes();
            http::Response::builder()
                .status(201)
                .header("x-seen-te", te)
                .body(full(body))
        }
        ("GET", "/drip") => {
            let frames = futures::stream::once(async { Ok(Frame::data(Bytes::from("one"))) })
                .chain(futures::stream::once(async move {
                    release.notified().await;
                    Ok(Frame::data(Bytes::from("two")))
                }));
            http::Response::builder().body(BodyExt::boxed(StreamBody::new(frames)))
        }
        ("GET", "/fail") => {
            let n = failures.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if n < 2 {
                http::Response::builder()
                    .status(500)
                    .body(full("try again"))
            } else {
                http::Response::builder().body(full("recovered"))
            }
        }
        ("GET", "/hang") => {
            std::future::pending::<()>().await;
            unreachable!("a pending future never completes")
        }
        _ => http::Response::builder().status(404).body(full("")),
    };
    Ok(response.unwrap())
}

fn transport() -> Transport {
    libcloud_http::default_transport().unwrap()
}

fn url(server: &Server, path: &str) -> String {
    format!("http://{}{path}", server.addr)
}

#[tokio::test]
async fn get_over_plain_http() {
    let server = start().await;
    let request = http::Request::get(url(&server, "/hello"))
        .body(Body::empty())
        .unwrap();
    let response = transport::send(&transport(), request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-seen-user-agent"],
        libcloud_http::DEFAULT_USER_AGENT
    );
    let body = response.into_body().collect(1024).await.unwrap();
    assert_eq!(&body[..], b"hello, world");

    // A caller's own User-Agent wins.
    let request = http::Request::get(url(&server, "/hello"))
        .header("user-agent", "tool/2")
        .body(Body::empty())
        .unwrap();
    let response = transport::send(&transport(), request).await.unwrap();
    assert_eq!(response.headers()["x-seen-user-agent"], "tool/2");
}

#[tokio::test]
async fn streamed_put_goes_out_as_a_stream() {
    let server = start().await;
    let chunks: Vec<libcloud_core::Result<Bytes>> =
        (0..50u8).map(|i| Ok(Bytes::from(vec![i; 1000]))).collect();
    let expected: Vec<u8> = (0..50u8).flat_map(|i| vec![i; 1000]).collect();
    let stream = futures::stream::iter(chunks)
        .then(|chunk| async move {
            tokio::task::yield_now().await;
            chunk
        })
        .boxed();
    let request = http::Request::put(url(&server, "/echo"))
        .body(Body::from_stream(stream))
        .unwrap();
    let response = transport::send(&transport(), request).await.unwrap();
    assert_eq!(response.status(), 201);
    // No length was known up front, so it went out chunked.
    assert_eq!(response.headers()["x-seen-te"], "chunked");
    let body = response.into_body().collect(1 << 20).await.unwrap();
    assert_eq!(body.len(), expected.len());
    assert_eq!(&body[..], &expected[..]);
}

#[tokio::test]
async fn response_bodies_arrive_chunk_by_chunk() {
    let server = start().await;
    let request = http::Request::get(url(&server, "/drip"))
        .body(Body::empty())
        .unwrap();
    let response = transport::send(&transport(), request).await.unwrap();
    assert!(response.body().as_bytes().is_none(), "the body is a stream");
    let mut stream = response.into_body().into_stream();
    // The first chunk is readable while the server still holds back the second.
    let first = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(&first[..], b"one");
    server.release.notify_one();
    let mut rest = Vec::new();
    while let Some(chunk) = stream.next().await {
        rest.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(rest, b"two");
}

#[tokio::test]
async fn server_errors_are_retried_over_the_wire() {
    let server = start().await;
    let request = http::Request::get(url(&server, "/fail"))
        .body(Body::empty())
        .unwrap();
    let response = transport::send(&transport(), request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect(1024).await.unwrap();
    assert_eq!(&body[..], b"recovered");
}

#[tokio::test]
async fn bad_urls_are_invalid_input() {
    for uri in ["/relative", "ftp://127.0.0.1/x"] {
        let request = http::Request::get(uri).body(Body::empty()).unwrap();
        let err = transport::send(&transport(), request).await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{uri}");
    }
}

#[tokio::test]
async fn a_stalled_body_times_out_through_the_real_stack() {
    let server = start().await;
    let transport = HttpConfig::new()
        .with_idle_body_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let request = http::Request::get(url(&server, "/drip"))
        .body(Body::empty())
        .unwrap();
    let response = transport::send(&transport, request).await.unwrap();
    let mut stream = response.into_body().into_stream();
    assert_eq!(&stream.next().await.unwrap().unwrap()[..], b"one");
    // The server holds "two" back until released, which never happens here.
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn a_hung_server_times_out_through_the_real_stack() {
    let server = start().await;
    let transport = HttpConfig::new()
        .with_attempt_timeout(Duration::from_millis(300))
        .with_retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let request = http::Request::get(url(&server, "/hang"))
        .body(Body::empty())
        .unwrap();
    let err = transport::send(&transport, request).await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn https_to_a_plain_server_fails_the_handshake() {
    let server = start().await;
    let request = http::Request::get(format!("https://{}/hello", server.addr))
        .body(Body::empty())
        .unwrap();
    let err = transport::send(&transport(), request).await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport, "{err}");
}
