//! The fault proxy against a tiny hyper server on 127.0.0.1, driven by the default transport
//! (hyper's client with the retry and timeout layers) and by raw sockets.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use libcloud_core::transport::{self, Idempotent, Transport};
use libcloud_core::{Body, ErrorKind};
use libcloud_http::{HttpConfig, RetryPolicy};
use libcloud_testkit::fault::{Fault, FaultPlan, FaultProxy, RequestInfo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type ServerBody = BoxBody<Bytes, Infallible>;

/// The bytes `GET /data/<n>` serves: a pattern that makes any shift or flip visible.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

/// The tiny upstream: what it stored and how many requests reached it, by "METHOD path".
#[derive(Default)]
struct Upstream {
    seen: Mutex<BTreeMap<String, u32>>,
    store: Mutex<BTreeMap<String, Bytes>>,
}

impl Upstream {
    fn seen(&self, key: &str) -> u32 {
        self.seen.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

/// Routes:
/// - `GET|HEAD /data/<n>`: `pattern(n)` with a `Content-Length`;
/// - `GET /chunked/<n>`: `pattern(n)` streamed in 100-byte chunks (chunked encoding);
/// - `PUT /store/<k>`: stores the body (any framing), answers 200 with its length;
/// - `GET /store/<k>`: the stored body, or 404;
/// - `POST /create`: answers 201 with the number of creates so far;
/// - `DELETE /store/<k>`: 204.
async fn start_upstream() -> (SocketAddr, Arc<Upstream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(Upstream::default());
    let for_server = state.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let state = for_server.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(req, state.clone()));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, state)
}

async fn handle(
    req: http::Request<Incoming>,
    state: Arc<Upstream>,
) -> Result<http::Response<ServerBody>, Infallible> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    *state
        .seen
        .lock()
        .unwrap()
        .entry(format!("{method} {path}"))
        .or_insert(0) += 1;
    let full = |b: Vec<u8>| Full::new(Bytes::from(b)).boxed();
    let number = |prefix: &str| path.strip_prefix(prefix).and_then(|n| n.parse().ok());
    let response = match method.as_str() {
        "GET" | "HEAD" if path.starts_with("/data/") => match number("/data/") {
            Some(n) => http::Response::new(full(pattern(n))),
            None => http::Response::builder()
                .status(400)
                .body(full(Vec::new()))
                .unwrap(),
        },
        "GET" if path.starts_with("/chunked/") => {
            let data = pattern(number("/chunked/").unwrap_or(0));
            let frames: Vec<Result<Frame<Bytes>, Infallible>> = data
                .chunks(100)
                .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
                .collect();
            http::Response::new(BodyExt::boxed(StreamBody::new(futures::stream::iter(
                frames,
            ))))
        }
        "PUT" if path.starts_with("/store/") => {
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let len = body.len();
            state.store.lock().unwrap().insert(path.clone(), body);
            http::Response::new(full(len.to_string().into_bytes()))
        }
        "GET" if path.starts_with("/store/") => match state.store.lock().unwrap().get(&path) {
            Some(b) => http::Response::new(full(b.to_vec())),
            None => http::Response::builder()
                .status(404)
                .body(full(Vec::new()))
                .unwrap(),
        },
        "DELETE" => http::Response::builder()
            .status(204)
            .body(full(Vec::new()))
            .unwrap(),
        "POST" if path == "/create" => http::Response::builder()
            .status(201)
            .body(full(state.seen("POST /create").to_string().into_bytes()))
            .unwrap(),
        _ => http::Response::builder()
            .status(404)
            .body(full(Vec::new()))
            .unwrap(),
    };
    Ok(response)
}

/// The default transport with short timeouts and the given retry policy.
fn client(retry: RetryPolicy) -> Transport {
    HttpConfig::new()
        .with_attempt_timeout(Duration::from_millis(800))
        .with_idle_body_timeout(Duration::from_millis(800))
        .with_retry(retry)
        .build()
        .unwrap()
}

fn no_retry() -> Transport {
    client(RetryPolicy::disabled())
}

fn retrying() -> Transport {
    client(
        RetryPolicy::default()
            .with_max_attempts(5)
            .with_initial_backoff(Duration::from_millis(20))
            .with_budget(Duration::from_secs(10)),
    )
}

async fn send(
    transport: &Transport,
    method: &str,
    url: String,
    body: Body,
) -> libcloud_core::Result<(u16, http::HeaderMap, libcloud_core::Result<Bytes>)> {
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .body(body)
        .unwrap();
    let response = transport::send(transport, request).await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect(64 << 20).await;
    Ok((status, headers, body))
}

async fn get(transport: &Transport, url: String) -> libcloud_core::Result<(u16, Bytes)> {
    let (status, _, body) = send(transport, "GET", url, Body::empty()).await?;
    Ok((status, body?))
}

#[tokio::test]
async fn passes_requests_through_unchanged() {
    let (upstream, state) = start_upstream().await;
    let proxy = FaultProxy::start(&format!("http://{upstream}"), FaultPlan::none())
        .await
        .unwrap();
    let t = no_retry();
    let (status, body) = get(&t, format!("{}/data/5000", proxy.url())).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(&body[..], &pattern(5000)[..]);
    // A chunked response is re-framed with a Content-Length, bytes intact.
    let (status, headers, body) = send(
        &t,
        "GET",
        format!("{}/chunked/1234", proxy.url()),
        Body::empty(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(headers["content-length"], "1234");
    assert_eq!(&body.unwrap()[..], &pattern(1234)[..]);
    // HEAD keeps the object's length and has no body.
    let (status, headers, body) = send(
        &t,
        "HEAD",
        format!("{}/data/777", proxy.url()),
        Body::empty(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(headers["content-length"], "777");
    assert!(body.unwrap().is_empty());
    // A streamed upload goes out chunked and arrives whole.
    let chunks: Vec<libcloud_core::Result<Bytes>> = (0..10)
        .map(|i| Ok(Bytes::from(vec![i as u8; 1000])))
        .collect();
    let stream = Body::from_stream(futures::stream::iter(chunks).boxed());
    let (status, _, body) = send(&t, "PUT", format!("{}/store/s", proxy.url()), stream)
        .await
        .unwrap();
    assert_eq!((status, &body.unwrap()[..]), (200, &b"10000"[..]));
    let (status, body) = get(&t, format!("{}/store/s", proxy.url())).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body.len(), 10_000);
    // 204 passes as it is.
    let (status, _, _) = send(
        &t,
        "DELETE",
        format!("{}/store/s", proxy.url()),
        Body::empty(),
    )
    .await
    .unwrap();
    assert_eq!(status, 204);
    let stats = proxy.stats();
    assert_eq!(stats.requests, 6);
    assert_eq!(stats.forwarded, 6);
    assert_eq!(stats.injected, 0);
    assert_eq!(stats.upstream_body_bytes, 5000 + 1234 + 5 + 10_000);
    assert_eq!(state.seen("GET /data/5000"), 1);
}

#[tokio::test]
async fn error_statuses_are_answered_without_reaching_the_server() {
    let (upstream, state) = start_upstream().await;
    let plan = FaultPlan::script([
        Some(Fault::Status(500)),
        Some(Fault::Status(502)),
        Some(Fault::SlowDown),
        Some(Fault::TooManyRequests {
            retry_after_secs: 0,
        }),
    ]);
    let proxy = FaultProxy::start(&upstream.to_string(), plan)
        .await
        .unwrap();
    let t = no_retry();
    let url = format!("{}/data/10", proxy.url());
    let (s1, _, _) = send(&t, "GET", url.clone(), Body::empty()).await.unwrap();
    let (s2, _, _) = send(&t, "GET", url.clone(), Body::empty()).await.unwrap();
    let (s3, h3, b3) = send(&t, "GET", url.clone(), Body::empty()).await.unwrap();
    let (s4, h4, _) = send(&t, "GET", url.clone(), Body::empty()).await.unwrap();
    assert_eq!([s1, s2, s3, s4], [500, 502, 503, 429]);
    assert!(String::from_utf8_lossy(&b3.unwrap()).contains("<Code>SlowDown</Code>"));
    assert_eq!(h3["x-fault-injected"], "slow_down");
    assert_eq!(h4["retry-after"], "0");
    assert_eq!(state.seen("GET /data/10"), 0, "no fault reached the server");
    // The script is used up: the next request passes.
    assert_eq!(get(&t, url).await.unwrap().0, 200);
    assert_eq!(state.seen("GET /data/10"), 1);
    let stats = proxy.stats();
    assert_eq!(stats.injected, 4);
    assert_eq!(stats.by_fault["slow_down"], 1);
    assert_eq!(stats.by_fault["status_502"], 1);
}

#[tokio::test]
async fn the_retry_layer_rides_over_throttling_and_server_errors() {
    let (upstream, state) = start_upstream().await;
    let plan = FaultPlan::script([
        Some(Fault::SlowDown),
        Some(Fault::Status(503)),
        Some(Fault::TooManyRequests {
            retry_after_secs: 1,
        }),
    ]);
    let proxy = FaultProxy::start(&upstream.to_string(), plan)
        .await
        .unwrap();
    let started = Instant::now();
    let (status, body) = get(&retrying(), format!("{}/data/300", proxy.url()))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(&body[..], &pattern(300)[..]);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(state.seen("GET /data/300"), 1);
    assert_eq!(proxy.stats().injected, 3);
}

#[tokio::test]
async fn a_reset_before_the_body_never_reaches_the_server() {
    let (upstream, state) = start_upstream().await;
    let proxy = FaultProxy::start(
        &upstream.to_string(),
        FaultPlan::script([Some(Fault::ResetBeforeBody)]),
    )
    .await
    .unwrap();
    let put = || Body::from(vec![9u8; 4096]);
    let err = send(
        &no_retry(),
        "PUT",
        format!("{}/store/a", proxy.url()),
        put(),
    )
    .await
    .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(state.seen("PUT /store/a"), 0);
    // A PUT is idempotent: with retries it goes through, once.
    proxy.set_plan(FaultPlan::script([Some(Fault::ResetBeforeBody)]));
    let (status, _, _) = send(
        &retrying(),
        "PUT",
        format!("{}/store/a", proxy.url()),
        put(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(state.seen("PUT /store/a"), 1);
}

#[tokio::test]
async fn a_reset_after_the_body_hides_a_create_that_happened() {
    let (upstream, state) = start_upstream().await;
    let proxy = FaultProxy::start(
        &upstream.to_string(),
        FaultPlan::script([Some(Fault::ResetAfterBody)]),
    )
    .await
    .unwrap();
    // A plain POST is not retried, so the create happens exactly once.
    let err = send(
        &retrying(),
        "POST",
        format!("{}/create", proxy.url()),
        Body::from("x"),
    )
    .await
    .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(state.seen("POST /create"), 1);
    // Marked idempotent, it is sent again: safe only with an idempotency token.
    proxy.set_plan(FaultPlan::script([Some(Fault::ResetAfterBody)]));
    let mut request = http::Request::post(format!("{}/create", proxy.url()))
        .body(Body::from("x"))
        .unwrap();
    request.extensions_mut().insert(Idempotent);
    let response = transport::send(&retrying(), request).await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(state.seen("POST /create"), 3);
    assert!(Fault::ResetAfterBody.reaches_upstream());
    assert!(!Fault::ResetBeforeBody.reaches_upstream());
}

#[tokio::test]
async fn a_refusal_closes_the_port_for_the_window() {
    let (upstream, state) = start_upstream().await;
    let plan =
        FaultPlan::script([Some(Fault::Refuse)]).with_refuse_window(Duration::from_millis(1500));
    let proxy = FaultProxy::start(&upstream.to_string(), plan)
        .await
        .unwrap();
    let started = Instant::now();
    let err = get(&no_retry(), format!("{}/data/1", proxy.url()))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    // Soon after, nothing listens (the listener closes as the reset goes out).
    let mut refused = false;
    while !refused && started.elapsed() < Duration::from_millis(1000) {
        match TcpStream::connect(proxy.addr()).await {
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
                refused = true;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    assert!(refused, "the port was never closed");
    // After the window, the port is back.
    let mut back = None;
    while back.is_none() && started.elapsed() < Duration::from_secs(6) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        back = get(&no_retry(), format!("{}/data/1", proxy.url()))
            .await
            .ok();
    }
    assert_eq!(back.map(|(s, _)| s), Some(200));
    assert!(started.elapsed() >= Duration::from_millis(1400));
    assert_eq!(state.seen("GET /data/1"), 1);
    assert_eq!(proxy.stats().by_fault["refused"], 1);
}

#[tokio::test]
async fn retries_get_through_a_refusal_window() {
    let (upstream, _) = start_upstream().await;
    let plan =
        FaultPlan::script([Some(Fault::Refuse)]).with_refuse_window(Duration::from_millis(150));
    let proxy = FaultProxy::start(&upstream.to_string(), plan)
        .await
        .unwrap();
    let t = client(
        RetryPolicy::default()
            .with_max_attempts(20)
            .with_initial_backoff(Duration::from_millis(50))
            .with_max_backoff(Duration::from_millis(100))
            .with_budget(Duration::from_secs(10)),
    );
    let (status, body) = get(&t, format!("{}/data/64", proxy.url())).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body.len(), 64);
}

#[tokio::test]
async fn stalls_end_in_timeouts() {
    let (upstream, state) = start_upstream().await;
    let plan = FaultPlan::script([
        Some(Fault::Stall(Duration::from_secs(3))),
        Some(Fault::StallBody(Duration::from_secs(3))),
    ]);
    let proxy = FaultProxy::start(&upstream.to_string(), plan)
        .await
        .unwrap();
    let started = Instant::now();
    let err = get(&no_retry(), format!("{}/data/100", proxy.url()))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Timeout, "{err}");
    // The stalled body: headers arrive, then the idle-body timeout ends the read.
    let (status, _, body) = send(
        &no_retry(),
        "GET",
        format!("{}/data/100", proxy.url()),
        Body::empty(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(*body.unwrap_err().kind(), ErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    // Both reached the server: a stall does not say the request was not done.
    assert_eq!(state.seen("GET /data/100"), 2);
}

/// How many body bytes arrive before the read fails.
async fn bytes_before_error(t: &Transport, url: String) -> (usize, ErrorKind) {
    let response = transport::send(t, http::Request::get(url).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.headers()["content-length"], "5000");
    let mut stream = response.into_body().into_stream();
    let mut n = 0;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => n += c.len(),
            Err(e) => return (n, e.kind().clone()),
        }
    }
    panic!("a truncated body ended cleanly after {n} bytes");
}

#[tokio::test]
async fn truncations_are_seen_and_placed_by_the_seed() {
    let (upstream, _) = start_upstream().await;
    let mut cuts = Vec::new();
    for seed in [7, 7, 8] {
        let plan = FaultPlan::script([Some(Fault::Truncate)]).with_seed(seed);
        let proxy = FaultProxy::start(&upstream.to_string(), plan)
            .await
            .unwrap();
        let (n, kind) = bytes_before_error(&no_retry(), format!("{}/data/5000", proxy.url())).await;
        assert_eq!(kind, ErrorKind::Transport);
        assert!(n < 5000);
        cuts.push(n);
    }
    assert_eq!(cuts[0], cuts[1], "the same seed cuts at the same place");
    assert_ne!(cuts[0], cuts[2], "another seed cuts elsewhere");
}

#[tokio::test]
async fn flipped_bytes_keep_the_length_and_change_one_byte() {
    let (upstream, _) = start_upstream().await;
    let mut places = Vec::new();
    for seed in [11, 11, 12] {
        let plan = FaultPlan::script([Some(Fault::FlipByte)]).with_seed(seed);
        let proxy = FaultProxy::start(&upstream.to_string(), plan)
            .await
            .unwrap();
        let (status, body) = get(&no_retry(), format!("{}/data/5000", proxy.url()))
            .await
            .unwrap();
        assert_eq!(status, 200);
        let expected = pattern(5000);
        assert_eq!(body.len(), expected.len());
        let diffs: Vec<usize> = (0..5000).filter(|&i| body[i] != expected[i]).collect();
        assert_eq!(diffs.len(), 1, "exactly one byte differs");
        places.push(diffs[0]);
    }
    assert_eq!(places[0], places[1]);
    assert_ne!(places[0], places[2]);
}

#[tokio::test]
async fn faults_that_need_a_body_do_not_apply_to_empty_ones() {
    let (upstream, _) = start_upstream().await;
    let plan = FaultPlan::script([Some(Fault::Truncate), Some(Fault::FlipByte)]);
    let proxy = FaultProxy::start(&upstream.to_string(), plan)
        .await
        .unwrap();
    let t = no_retry();
    let (s, h, _) = send(
        &t,
        "HEAD",
        format!("{}/data/50", proxy.url()),
        Body::empty(),
    )
    .await
    .unwrap();
    assert_eq!((s, h["content-length"].to_str().unwrap()), (200, "50"));
    let (s, _, _) = send(
        &t,
        "DELETE",
        format!("{}/store/x", proxy.url()),
        Body::empty(),
    )
    .await
    .unwrap();
    assert_eq!(s, 204);
    let stats = proxy.stats();
    assert_eq!((stats.injected, stats.not_applicable), (0, 2));
    assert!(proxy.log().iter().all(|i| !i.applied));
}

#[tokio::test]
async fn random_plans_replay_from_their_seed() {
    let (upstream, _) = start_upstream().await;
    let faults = [
        Fault::Status(500),
        Fault::SlowDown,
        Fault::FlipByte,
        Fault::Truncate,
    ];
    let run = |seed: u64| async move {
        let proxy = FaultProxy::start(&upstream.to_string(), FaultPlan::random(seed, 0.5, faults))
            .await
            .unwrap();
        let t = no_retry();
        for i in 0..40 {
            let _ = send(
                &t,
                "GET",
                format!("{}/data/{}", proxy.url(), 100 + i),
                Body::empty(),
            )
            .await;
        }
        let log: Vec<(u64, String)> = proxy
            .log()
            .iter()
            .map(|i| (i.request, i.fault.name()))
            .collect();
        (log, proxy.stats())
    };
    let (a, stats) = run(42).await;
    let (b, _) = run(42).await;
    let (c, _) = run(43).await;
    assert_eq!(a, b, "same seed, same faults at the same requests");
    assert_ne!(a, c);
    // About half of 40 requests; a fixed seed makes this exact, the bound only guards the rate.
    assert!((8..=32).contains(&a.len()), "{} faults", a.len());
    assert_eq!(stats.requests, 40);
}

#[tokio::test]
async fn filters_choose_which_requests_are_touched() {
    let (upstream, state) = start_upstream().await;
    let plan = FaultPlan::random(1, 1.0, [Fault::Status(503)])
        .only(|r: &RequestInfo| r.method == "PUT" && r.has_query_param("partNumber"));
    let proxy = FaultProxy::start(&upstream.to_string(), plan)
        .await
        .unwrap();
    let t = no_retry();
    let (s, _, _) = send(
        &t,
        "PUT",
        format!("{}/store/p?partNumber=1&uploadId=u", proxy.url()),
        Body::from("a"),
    )
    .await
    .unwrap();
    assert_eq!(s, 503);
    let (s, _, _) = send(
        &t,
        "PUT",
        format!("{}/store/p?uploadId=u", proxy.url()),
        Body::from("a"),
    )
    .await
    .unwrap();
    assert_eq!(s, 200);
    assert_eq!(
        get(&t, format!("{}/data/3", proxy.url())).await.unwrap().0,
        200
    );
    assert_eq!(state.seen("PUT /store/p"), 1);
    let log = proxy.log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].request, 0);
    assert!(
        proxy
            .log_text()
            .contains("PUT /store/p?partNumber=1&uploadId=u: status_503")
    );
}

#[tokio::test]
async fn logged_targets_hide_signatures() {
    let (upstream, _) = start_upstream().await;
    let proxy = FaultProxy::start(
        &upstream.to_string(),
        FaultPlan::script([Some(Fault::Status(500))]),
    )
    .await
    .unwrap();
    let _ = get(
        &no_retry(),
        format!("{}/data/1?X-Amz-Signature=deadbeefcafe&x=1", proxy.url()),
    )
    .await;
    let text = proxy.log_text();
    assert!(text.contains("X-Amz-Signature=REDACTED&x=1"), "{text}");
    assert!(!text.contains("deadbeefcafe"));
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_not_a_fault() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let proxy = FaultProxy::start(&format!("http://127.0.0.1:{port}/"), FaultPlan::none())
        .await
        .unwrap();
    let (s, h, _) = send(
        &no_retry(),
        "GET",
        format!("{}/x", proxy.url()),
        Body::empty(),
    )
    .await
    .unwrap();
    assert_eq!(s, 502);
    assert_eq!(h["x-fault-proxy"], "upstream-error");
    let stats = proxy.stats();
    assert_eq!((stats.upstream_errors, stats.injected), (1, 0));
}

#[tokio::test]
async fn raw_clients_expect_continue_and_keep_alive() {
    let (upstream, state) = start_upstream().await;
    let proxy = FaultProxy::start(&upstream.to_string(), FaultPlan::none())
        .await
        .unwrap();
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    s.write_all(
        b"PUT /store/e HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = vec![0u8; 25];
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(b"hello").await.unwrap();
    // Then a second request on the same connection, chunked, closing.
    s.write_all(
        b"PUT /store/f HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n\
          3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert!(text.ends_with("\r\n\r\n5"), "{text}");
    assert_eq!(
        state.store.lock().unwrap()["/store/e"],
        Bytes::from("hello")
    );
    assert_eq!(
        state.store.lock().unwrap()["/store/f"],
        Bytes::from("abcde")
    );
    // Garbage is a 400 and the end of the connection.
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    s.write_all(b"NOT HTTP\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert!(out.starts_with(b"HTTP/1.1 400"));
}

#[tokio::test]
async fn bad_upstreams_are_refused_up_front() {
    for bad in [
        "https://127.0.0.1:9000",
        "127.0.0.1",
        "http://",
        "http://u:p@h:1",
    ] {
        let err = FaultProxy::start(bad, FaultPlan::none()).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
    }
}

#[tokio::test]
async fn made_up_answers_to_head_have_no_body() {
    let (upstream, _) = start_upstream().await;
    let plan = FaultPlan::script([Some(Fault::Status(503)), Some(Fault::SlowDown)]);
    let proxy = FaultProxy::start(&upstream.to_string(), plan)
        .await
        .unwrap();
    let t = no_retry();
    for _ in 0..2 {
        let (s, h, body) = send(&t, "HEAD", format!("{}/data/9", proxy.url()), Body::empty())
            .await
            .unwrap();
        assert_eq!(s, 503);
        assert!(h.contains_key("x-fault-injected"));
        assert!(body.unwrap().is_empty());
    }
    // The kept-alive connection is still in step: the next answer is read whole.
    let (s, body) = get(&t, format!("{}/data/9", proxy.url())).await.unwrap();
    assert_eq!((s, &body[..]), (200, &pattern(9)[..]));
}
