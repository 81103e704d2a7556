//! A fault-injecting HTTP/1.1 proxy, placed between a driver and a real server.
//!
//! [`FaultProxy::start`] listens on `127.0.0.1` and forwards every request it reads to one
//! upstream server (an emulator such as moto), unchanged: the request line, the headers (`Host`
//! included, so signatures stay valid) and the body go out byte for byte. For each request a
//! [`FaultPlan`] decides whether to pass it or to inject a [`Fault`]: a refused connection, a
//! reset before or after the request body, an error status (500, 502, 503, S3's `SlowDown`, 429
//! with `Retry-After`), a response stalled past the client's timeout, a body cut short of its
//! `Content-Length`, or a body with one byte flipped.
//!
//! Plans are deterministic: a [`FaultPlan::script`] lists what happens to each request in turn,
//! and a [`FaultPlan::random`] plan draws from a generator seeded by its `seed`, so the same seed
//! and the same order of requests give the same faults at the same places. [`seed_from_env`]
//! lets a failing run be replayed with `LIBCLOUD_FAULT_SEED=<seed>`. Every fault injected is
//! logged ([`FaultProxy::log`]) and counted ([`FaultProxy::stats`]).
//!
//! How the proxy treats HTTP: it reads a request head (at most [`MAX_HEAD_BYTES`]), then its
//! body as `Content-Length` or chunked framing says (at most [`MAX_BODY_BYTES`]), answering
//! `Expect: 100-continue` itself. Each forwarded request gets a fresh upstream connection, which
//! is closed once the response has been read. The response body is read whole (chunked,
//! length-delimited or up to the end of the connection) and sent on with a `Content-Length`,
//! which is what lets a truncation be seen as one. Responses to `HEAD`, 204 and 304 are passed
//! on as they are. The client's connection is kept open between requests unless the client
//! asked for `Connection: close`. An upstream that cannot be reached gives a 502 with the header
//! `x-fault-proxy: upstream-error`, counted in [`FaultStats::upstream_errors`], never as an
//! injected fault.
//!
//! ```no_run
//! # async fn demo() {
//! use libcloud_testkit::fault::{Fault, FaultPlan, FaultProxy};
//!
//! // The first request gets a 503, the second is cut short, the rest pass.
//! let plan = FaultPlan::script([Some(Fault::Status(503)), Some(Fault::Truncate)]);
//! let proxy = FaultProxy::start("http://127.0.0.1:5000", plan).await.unwrap();
//! println!("point the driver at {}", proxy.url());
//! // ... run the driver ...
//! println!("{:?}", proxy.stats());
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use libcloud_core::transport::redact_query;

/// The largest request or response head the proxy reads, in bytes.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The largest request or response body the proxy buffers, in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024 * 1024;

/// The environment variable [`seed_from_env`] reads to replay a run.
pub const SEED_VAR: &str = "LIBCLOUD_FAULT_SEED";

/// How long a request to the upstream may take, connecting included, before the proxy gives up
/// with a 502.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(120);

/// The seed to use: `LIBCLOUD_FAULT_SEED` when it is set to a number, else `default`.
///
/// Tests print the seed they used, so a failure can be replayed exactly.
pub fn seed_from_env(default: u64) -> u64 {
    std::env::var(SEED_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// One fault the proxy can inject into one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Resets the client's connection as soon as the request head is read, and stops listening
    /// for the plan's [refuse window](FaultPlan::with_refuse_window), so that new connections
    /// are refused (`ECONNREFUSED`). The upstream never sees the request.
    Refuse,
    /// Resets the connection after the request head, before reading its body. The upstream
    /// never sees the request.
    ResetBeforeBody,
    /// Reads the whole request and forwards it, so the upstream acts on it, then resets the
    /// connection instead of answering. The client cannot know whether the request took effect.
    ResetAfterBody,
    /// Answers with this status and a short XML error body, without forwarding.
    Status(u16),
    /// Answers as S3 does when throttling: 503 with the error code `SlowDown`, without
    /// forwarding.
    SlowDown,
    /// Answers 429 with a `Retry-After` of this many seconds, without forwarding.
    TooManyRequests {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u32,
    },
    /// Forwards the request, then holds the response back for this long and closes the
    /// connection without answering: a server that stalls past the client's timeout.
    Stall(Duration),
    /// Forwards the request, sends the response head and the first half of its body, then holds
    /// the rest back for this long and closes the connection.
    StallBody(Duration),
    /// Forwards the request and answers with the full `Content-Length` but only part of the body
    /// (a seeded cut, at least one byte short), then closes the connection. Not applicable to
    /// empty bodies.
    Truncate,
    /// Forwards the request and answers with one byte of the body changed (at a seeded place,
    /// by a seeded non-zero mask); the length is right. Not applicable to empty bodies.
    FlipByte,
}

impl Fault {
    /// A short stable name, used as the key of [`FaultStats::by_fault`]: `refused`,
    /// `reset_before_body`, `reset_after_body`, `status_503`, `slow_down`, `too_many_requests`,
    /// `stall`, `stall_body`, `truncate`, `flip_byte`.
    pub fn name(&self) -> String {
        match self {
            Fault::Refuse => "refused".into(),
            Fault::ResetBeforeBody => "reset_before_body".into(),
            Fault::ResetAfterBody => "reset_after_body".into(),
            Fault::Status(s) => format!("status_{s}"),
            Fault::SlowDown => "slow_down".into(),
            Fault::TooManyRequests { .. } => "too_many_requests".into(),
            Fault::Stall(_) => "stall".into(),
            Fault::StallBody(_) => "stall_body".into(),
            Fault::Truncate => "truncate".into(),
            Fault::FlipByte => "flip_byte".into(),
        }
    }

    /// Whether the upstream server may have acted on a request that got this fault: true for
    /// the faults that forward the request first.
    pub fn reaches_upstream(&self) -> bool {
        matches!(
            self,
            Fault::ResetAfterBody
                | Fault::Stall(_)
                | Fault::StallBody(_)
                | Fault::Truncate
                | Fault::FlipByte
        )
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::TooManyRequests { retry_after_secs } => {
                write!(f, "too_many_requests(retry after {retry_after_secs} s)")
            }
            Fault::Stall(d) | Fault::StallBody(d) => {
                write!(f, "{}({} ms)", self.name(), d.as_millis())
            }
            other => f.write_str(&other.name()),
        }
    }
}

/// What the proxy knows of a request when it decides on a fault: its number, method, target and
/// headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    /// The request's number on this proxy, from 0, in the order heads were read.
    pub index: u64,
    /// The method (`GET`, `PUT`, ...).
    pub method: String,
    /// The request target as sent (`/bucket/key?partNumber=2&uploadId=...`).
    pub target: String,
    /// The headers, names lower-case, values as text (lossy for non-UTF-8 values).
    pub headers: Vec<(String, String)>,
}

impl RequestInfo {
    /// The target's path, without the query string.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The target's query string, if there is one.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// Whether the query has the parameter `name` (with or without a value).
    pub fn has_query_param(&self, name: &str) -> bool {
        self.query().is_some_and(|q| {
            q.split('&')
                .any(|pair| pair.split('=').next() == Some(name))
        })
    }

    /// The first value of the header `name` (compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Filter = Arc<dyn Fn(&RequestInfo) -> bool + Send + Sync>;

#[derive(Clone)]
enum Mode {
    Pass,
    Script(Vec<Option<Fault>>),
    Random { rate: f64, faults: Vec<Fault> },
}

/// Which requests get which faults.
///
/// A plan passes everything ([`FaultPlan::none`]), follows a script ([`FaultPlan::script`]) or
/// injects at a rate ([`FaultPlan::random`]). [`FaultPlan::only`] restricts it to the requests
/// a filter accepts; the others pass and use up neither script steps nor random draws, so the
/// faults they would get do not depend on unrelated traffic.
///
/// Where a fault needs a place (the cut of a truncation, the byte to flip), it is drawn from the
/// same seeded generator, so a plan with the same seed gives the same bytes.
#[derive(Clone)]
pub struct FaultPlan {
    seed: u64,
    mode: Mode,
    filter: Option<Filter>,
    refuse_window: Duration,
}

impl fmt::Debug for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("FaultPlan");
        d.field("seed", &self.seed);
        match &self.mode {
            Mode::Pass => d.field("mode", &"pass"),
            Mode::Script(steps) => d.field("script", steps),
            Mode::Random { rate, faults } => d.field("rate", rate).field("faults", faults),
        };
        d.field("filtered", &self.filter.is_some())
            .field("refuse_window", &self.refuse_window)
            .finish()
    }
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan::none()
    }
}

impl FaultPlan {
    /// A plan that injects nothing: the proxy only forwards.
    pub fn none() -> Self {
        FaultPlan {
            seed: 0,
            mode: Mode::Pass,
            filter: None,
            refuse_window: Duration::from_millis(200),
        }
    }

    /// A plan that treats the n-th (matching) request as the n-th step says: `None` passes it,
    /// `Some(fault)` injects. Requests after the last step pass.
    pub fn script(steps: impl IntoIterator<Item = Option<Fault>>) -> Self {
        FaultPlan {
            mode: Mode::Script(steps.into_iter().collect()),
            ..FaultPlan::none()
        }
    }

    /// A plan that injects into each (matching) request with probability `rate` (clamped to
    /// 0..=1), picking the fault uniformly from `faults`, with a generator seeded by `seed`.
    /// An empty `faults` injects nothing.
    pub fn random(seed: u64, rate: f64, faults: impl IntoIterator<Item = Fault>) -> Self {
        let rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        FaultPlan {
            seed,
            mode: Mode::Random {
                rate,
                faults: faults.into_iter().collect(),
            },
            ..FaultPlan::none()
        }
    }

    /// Restricts the plan to requests that `filter` accepts; the others always pass.
    pub fn only(mut self, filter: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static) -> Self {
        self.filter = Some(Arc::new(filter));
        self
    }

    /// Sets the seed of the generator that places truncations and flipped bytes (and, for
    /// [`FaultPlan::random`], picks the faults).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets how long the proxy stops listening after a [`Fault::Refuse`]. Default 200 ms.
    pub fn with_refuse_window(mut self, window: Duration) -> Self {
        self.refuse_window = window;
        self
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// One fault the proxy chose, and whether it could be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// The request's number ([`RequestInfo::index`]).
    pub request: u64,
    /// Its method.
    pub method: String,
    /// Its target, with secret query values (signatures, tokens) redacted.
    pub target: String,
    /// The fault.
    pub fault: Fault,
    /// False when the fault could not apply (a truncation of an empty body): the request was
    /// passed on unchanged.
    pub applied: bool,
}

impl fmt::Display for Injection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {} {}: {}{}",
            self.request,
            self.method,
            self.target,
            self.fault,
            if self.applied {
                ""
            } else {
                " (not applicable)"
            }
        )
    }
}

/// What the proxy has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Request heads read from clients.
    pub requests: u64,
    /// Requests sent to the upstream.
    pub forwarded: u64,
    /// Faults applied.
    pub injected: u64,
    /// Faults chosen that could not apply (the request passed unchanged).
    pub not_applicable: u64,
    /// Applied faults by [`Fault::name`].
    pub by_fault: BTreeMap<String, u64>,
    /// Requests the upstream could not answer (connection failed, bad response): answered 502.
    pub upstream_errors: u64,
    /// Response body bytes read from the upstream.
    pub upstream_body_bytes: u64,
}

struct PlanState {
    plan: FaultPlan,
    rng: StdRng,
    step: usize,
    next_index: u64,
    stats: FaultStats,
    log: Vec<Injection>,
}

struct Shared {
    upstream: String,
    state: Mutex<PlanState>,
    refuse: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, PlanState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Numbers the request and decides its fault, with a value to place it by.
    fn decide(&self, mut info: RequestInfo) -> (RequestInfo, Option<(Fault, u64)>) {
        let mut state = self.lock();
        info.index = state.next_index;
        state.next_index += 1;
        state.stats.requests += 1;
        if let Some(filter) = &state.plan.filter
            && !filter(&info)
        {
            return (info, None);
        }
        let fault = match state.plan.mode.clone() {
            Mode::Pass => None,
            Mode::Script(steps) => {
                let step = steps.get(state.step).copied().flatten();
                state.step += 1;
                step
            }
            Mode::Random { rate, faults } => {
                if !faults.is_empty() && state.rng.gen_bool(rate) {
                    let i = state.rng.gen_range(0..faults.len());
                    Some(faults[i])
                } else {
                    None
                }
            }
        };
        let decided = fault.map(|f| (f, state.rng.r#gen::<u64>()));
        (info, decided)
    }

    fn record(&self, info: &RequestInfo, fault: Fault, applied: bool) {
        let mut state = self.lock();
        if applied {
            state.stats.injected += 1;
            *state.stats.by_fault.entry(fault.name()).or_insert(0) += 1;
        } else {
            state.stats.not_applicable += 1;
        }
        let target = match info.target.split_once('?') {
            Some((path, query)) => format!("{path}?{}", redact_query(query)),
            None => info.target.clone(),
        };
        state.log.push(Injection {
            request: info.index,
            method: info.method.clone(),
            target,
            fault,
            applied,
        });
    }

    fn count(&self, f: impl FnOnce(&mut FaultStats)) {
        f(&mut self.lock().stats);
    }
}

/// A running fault-injecting proxy. Dropping it stops it and closes its connections.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream)
            .finish_non_exhaustive()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy on a free port of 127.0.0.1 that forwards to `upstream`, a plain-HTTP
    /// address as `http://host:port` (a path is ignored) or `host:port`, following `plan`.
    ///
    /// Must be called on a Tokio runtime, which runs the proxy until it is dropped.
    pub async fn start(upstream: &str, plan: FaultPlan) -> std::io::Result<FaultProxy> {
        let upstream = upstream_authority(upstream)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            state: Mutex::new(PlanState {
                rng: StdRng::seed_from_u64(plan.seed),
                plan,
                step: 0,
                next_index: 0,
                stats: FaultStats::default(),
                log: Vec::new(),
            }),
            refuse: Notify::new(),
        });
        let task = tokio::spawn(accept_loop(listener, addr, shared.clone()));
        Ok(FaultProxy { addr, shared, task })
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy's base URL, `http://127.0.0.1:<port>`: the endpoint to give the driver.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The upstream's `host:port`.
    pub fn upstream(&self) -> &str {
        &self.shared.upstream
    }

    /// Replaces the plan. The script starts again from its first step and the generator from
    /// the new plan's seed; request numbers, statistics and the log go on.
    pub fn set_plan(&self, plan: FaultPlan) {
        let mut state = self.shared.lock();
        state.rng = StdRng::seed_from_u64(plan.seed);
        state.plan = plan;
        state.step = 0;
    }

    /// What the proxy has done so far.
    pub fn stats(&self) -> FaultStats {
        self.shared.lock().stats.clone()
    }

    /// Every fault chosen so far, in order.
    pub fn log(&self) -> Vec<Injection> {
        self.shared.lock().log.clone()
    }

    /// The log as text, one injection per line, for assertion messages.
    pub fn log_text(&self) -> String {
        self.log()
            .iter()
            .map(|i| format!("{i}\n"))
            .collect::<String>()
    }
}

/// `host:port` of an upstream given as `http://host:port/...` or `host:port`.
fn upstream_authority(upstream: &str) -> std::io::Result<String> {
    let invalid = |why: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("fault proxy upstream {upstream:?}: {why}"),
        )
    };
    let rest = match upstream.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some(_) => return Err(invalid("only plain http upstreams can be proxied")),
        None => upstream,
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return Err(invalid("no host:port"));
    }
    if authority
        .rsplit_once(':')
        .is_none_or(|(_, port)| port.parse::<u16>().is_err())
        || authority.ends_with(']')
    {
        return Err(invalid("the port must be given"));
    }
    Ok(authority.to_string())
}

async fn accept_loop(mut listener: TcpListener, addr: SocketAddr, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, shared.clone()));
                }
                while connections.try_join_next().is_some() {}
            }
            () = shared.refuse.notified() => {
                drop(listener);
                let window = shared.lock().plan.refuse_window;
                tokio::time::sleep(window).await;
                // The port was ours a moment ago; retry briefly should another socket hold it.
                let mut rebound = None;
                for _ in 0..50 {
                    match TcpListener::bind(addr).await {
                        Ok(l) => {
                            rebound = Some(l);
                            break;
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
                match rebound {
                    Some(l) => listener = l,
                    None => return,
                }
            }
        }
    }
}

/// A parsed request head.
struct RequestHead {
    raw: Vec<u8>,
    info: RequestInfo,
    body: BodyFraming,
    keep_alive: bool,
    expect_continue: bool,
    is_head: bool,
}

#[derive(Clone, Copy)]
enum BodyFraming {
    Length(usize),
    Chunked,
    /// Responses only: until the connection closes.
    UntilClose,
}

fn io_error(message: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.into())
}

/// Reads until `buf` holds a complete head; returns its length, or `None` at a clean end of
/// stream before any byte.
async fn read_head_bytes(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
) -> std::io::Result<Option<usize>> {
    loop {
        if let Some(pos) = find(buf, b"\r\n\r\n") {
            return Ok(Some(pos + 4));
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(io_error("head too large"));
        }
        if stream.read_buf(buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn header_has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn framing_from(headers: &[(String, String)]) -> std::io::Result<Option<BodyFraming>> {
    let mut framing = None;
    for (name, value) in headers {
        if name == "transfer-encoding" && header_has_token(value, "chunked") {
            return Ok(Some(BodyFraming::Chunked));
        }
        if name == "content-length" {
            let n = value
                .trim()
                .parse::<usize>()
                .map_err(|_| io_error("bad content-length"))?;
            if n > MAX_BODY_BYTES {
                return Err(io_error("body too large"));
            }
            framing = Some(BodyFraming::Length(n));
        }
    }
    Ok(framing)
}

async fn read_request_head(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
) -> std::io::Result<Option<RequestHead>> {
    let Some(len) = read_head_bytes(stream, buf).await? else {
        return Ok(None);
    };
    let raw = buf.split_to(len).to_vec();
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(&raw) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(io_error("malformed request head")),
    }
    let method = request.method.unwrap_or("").to_string();
    let target = request.path.unwrap_or("").to_string();
    let version = request.version.unwrap_or(1);
    let pairs: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let connection = pairs
        .iter()
        .filter(|(k, _)| k == "connection")
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let keep_alive = if version == 0 {
        header_has_token(&connection, "keep-alive")
    } else {
        !header_has_token(&connection, "close")
    };
    let expect_continue = pairs
        .iter()
        .any(|(k, v)| k == "expect" && v.trim().eq_ignore_ascii_case("100-continue"));
    let body = framing_from(&pairs)?.unwrap_or(BodyFraming::Length(0));
    Ok(Some(RequestHead {
        raw,
        is_head: method.eq_ignore_ascii_case("HEAD"),
        info: RequestInfo {
            index: 0,
            method,
            target,
            headers: pairs,
        },
        body,
        keep_alive,
        expect_continue,
    }))
}

/// Makes sure `buf` holds at least `n` bytes.
async fn fill(stream: &mut TcpStream, buf: &mut BytesMut, n: usize) -> std::io::Result<()> {
    while buf.len() < n {
        if stream.read_buf(buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

/// Reads one line ending in CRLF, CRLF included.
async fn read_line(stream: &mut TcpStream, buf: &mut BytesMut) -> std::io::Result<Vec<u8>> {
    loop {
        if let Some(pos) = find(buf, b"\r\n") {
            return Ok(buf.split_to(pos + 2).to_vec());
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(io_error("line too long"));
        }
        if stream.read_buf(buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
}

/// Reads a body framed as `framing`. Returns the bytes as they were on the wire (chunk framing
/// included) and the decoded content.
async fn read_body(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    framing: BodyFraming,
) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    match framing {
        BodyFraming::Length(n) => {
            fill(stream, buf, n).await?;
            let body = buf.split_to(n).to_vec();
            Ok((body.clone(), body))
        }
        BodyFraming::UntilClose => {
            loop {
                if buf.len() > MAX_BODY_BYTES {
                    return Err(io_error("body too large"));
                }
                if stream.read_buf(buf).await? == 0 {
                    break;
                }
            }
            let body = buf.split().to_vec();
            Ok((body.clone(), body))
        }
        BodyFraming::Chunked => {
            let mut raw = Vec::new();
            let mut decoded = Vec::new();
            loop {
                let line = read_line(stream, buf).await?;
                raw.extend_from_slice(&line);
                let text = std::str::from_utf8(&line).map_err(|_| io_error("bad chunk size"))?;
                let size_text = text.trim_end().split(';').next().unwrap_or("").trim();
                let size =
                    usize::from_str_radix(size_text, 16).map_err(|_| io_error("bad chunk size"))?;
                if decoded.len() + size > MAX_BODY_BYTES {
                    return Err(io_error("body too large"));
                }
                if size == 0 {
                    // Trailers, up to an empty line.
                    loop {
                        let trailer = read_line(stream, buf).await?;
                        raw.extend_from_slice(&trailer);
                        if trailer == b"\r\n" {
                            return Ok((raw, decoded));
                        }
                    }
                }
                fill(stream, buf, size + 2).await?;
                let chunk = buf.split_to(size + 2);
                if &chunk[size..] != b"\r\n" {
                    return Err(io_error("chunk not followed by CRLF"));
                }
                raw.extend_from_slice(&chunk);
                decoded.extend_from_slice(&chunk[..size]);
            }
        }
    }
}

/// A response read from the upstream.
struct UpstreamResponse {
    status_line: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    bodiless: bool,
}

impl UpstreamResponse {
    /// The head to send the client: as received for bodiless responses, else with the body
    /// re-framed by a `Content-Length` of `length`.
    fn head(&self, length: usize, close: bool) -> Vec<u8> {
        let mut out = self.status_line.clone();
        for (name, value) in &self.headers {
            let hop = matches!(name.as_str(), "connection" | "keep-alive");
            let framing = matches!(name.as_str(), "content-length" | "transfer-encoding");
            if hop || (framing && !self.bodiless) {
                continue;
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        if !self.bodiless {
            out.extend_from_slice(format!("content-length: {length}\r\n").as_bytes());
        }
        if close {
            out.extend_from_slice(b"connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// Sends the request to the upstream on a fresh connection and reads the whole response.
async fn forward(
    upstream: &str,
    head: &RequestHead,
    body: &[u8],
) -> std::io::Result<UpstreamResponse> {
    let mut stream = TcpStream::connect(upstream).await?;
    let _ = stream.set_nodelay(true);
    stream.write_all(&head.raw).await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    let mut buf = BytesMut::new();
    loop {
        let len = read_head_bytes(&mut stream, &mut buf)
            .await?
            .ok_or_else(|| io_error("upstream closed without answering"))?;
        let raw = buf.split_to(len).to_vec();
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&raw) {
            Ok(httparse::Status::Complete(_)) => {}
            _ => return Err(io_error("malformed response head")),
        }
        let status = response.code.unwrap_or(0);
        if (100..200).contains(&status) && status != 101 {
            // An interim response (100 Continue): the real one follows.
            continue;
        }
        let line_end = find(&raw, b"\r\n").map_or(raw.len(), |p| p + 2);
        let status_line = raw[..line_end].to_vec();
        let headers: Vec<(String, Vec<u8>)> = response
            .headers
            .iter()
            .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
            .collect();
        let bodiless = head.is_head || status == 204 || status == 304 || status < 200;
        let body = if bodiless {
            Vec::new()
        } else {
            let text: Vec<(String, String)> = headers
                .iter()
                .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
                .collect();
            let framing = framing_from(&text)?.unwrap_or(BodyFraming::UntilClose);
            read_body(&mut stream, &mut buf, framing).await?.1
        };
        return Ok(UpstreamResponse {
            status_line,
            headers,
            body,
            bodiless,
        });
    }
}

/// Closes the connection with a TCP reset rather than an orderly close.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// A response the proxy makes up itself for `head`; an answer to `HEAD` has no body.
fn canned(status: u16, code: &str, extra_headers: &str, name: &str, head: &RequestHead) -> Vec<u8> {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Injected");
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>fault injected by the test proxy</Message>\
         <RequestId>fault-proxy</RequestId></Error>"
    );
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/xml\r\n\
         x-fault-injected: {name}\r\n{extra_headers}content-length: {}\r\n{}\r\n{}",
        body.len(),
        if head.keep_alive {
            ""
        } else {
            "connection: close\r\n"
        },
        if head.is_head { "" } else { body.as_str() }
    )
    .into_bytes()
}

async fn serve_connection(mut client: TcpStream, shared: Arc<Shared>) {
    let mut buf = BytesMut::with_capacity(16 * 1024);
    loop {
        let head = match read_request_head(&mut client, &mut buf).await {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(_) => {
                let _ = client
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                return;
            }
        };
        let (info, decided) = shared.decide(head.info.clone());
        let fault = decided.map(|(f, _)| f);
        let salt = decided.map_or(0, |(_, s)| s);
        match fault {
            Some(f @ Fault::Refuse) => {
                shared.record(&info, f, true);
                shared.refuse.notify_one();
                reset(client);
                return;
            }
            Some(f @ Fault::ResetBeforeBody) => {
                shared.record(&info, f, true);
                reset(client);
                return;
            }
            _ => {}
        }
        if head.expect_continue
            && client
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await
                .is_err()
        {
            return;
        }
        let body = match read_body(&mut client, &mut buf, head.body).await {
            Ok((raw, _)) => raw,
            Err(_) => return,
        };
        let keep_alive = head.keep_alive;
        let answer = match fault {
            Some(Fault::Status(status)) => {
                let code = match status {
                    500 => "InternalError",
                    502 => "BadGateway",
                    503 => "ServiceUnavailable",
                    _ => "InjectedFault",
                };
                Some(canned(status, code, "", &format!("status_{status}"), &head))
            }
            Some(Fault::SlowDown) => Some(canned(503, "SlowDown", "", "slow_down", &head)),
            Some(Fault::TooManyRequests { retry_after_secs }) => Some(canned(
                429,
                "TooManyRequests",
                &format!("retry-after: {retry_after_secs}\r\n"),
                "too_many_requests",
                &head,
            )),
            _ => None,
        };
        if let (Some(answer), Some(f)) = (answer, fault) {
            shared.record(&info, f, true);
            if client.write_all(&answer).await.is_err() || !keep_alive {
                return;
            }
            continue;
        }
        shared.count(|s| s.forwarded += 1);
        let response =
            match tokio::time::timeout(UPSTREAM_TIMEOUT, forward(&shared.upstream, &head, &body))
                .await
            {
                Ok(Ok(response)) => response,
                Ok(Err(_)) | Err(_) => {
                    shared.count(|s| s.upstream_errors += 1);
                    let _ = client
                        .write_all(
                            b"HTTP/1.1 502 Bad Gateway\r\nx-fault-proxy: upstream-error\r\n\
                              content-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                    return;
                }
            };
        let mut body = response.body.clone();
        shared.count(|s| s.upstream_body_bytes += body.len() as u64);
        match fault {
            Some(f @ Fault::ResetAfterBody) => {
                shared.record(&info, f, true);
                reset(client);
                return;
            }
            Some(f @ Fault::Stall(d)) => {
                shared.record(&info, f, true);
                tokio::time::sleep(d).await;
                return;
            }
            Some(f @ Fault::StallBody(d)) => {
                shared.record(&info, f, true);
                let half = body.len() / 2;
                if client
                    .write_all(&response.head(body.len(), false))
                    .await
                    .is_ok()
                    && client.write_all(&body[..half]).await.is_ok()
                {
                    let _ = client.flush().await;
                    tokio::time::sleep(d).await;
                }
                return;
            }
            Some(f @ Fault::Truncate) if !response.bodiless && !body.is_empty() => {
                shared.record(&info, f, true);
                let cut = (salt % body.len() as u64) as usize;
                if client
                    .write_all(&response.head(body.len(), true))
                    .await
                    .is_ok()
                    && client.write_all(&body[..cut]).await.is_ok()
                {
                    let _ = client.shutdown().await;
                }
                return;
            }
            Some(f @ Fault::FlipByte) if !response.bodiless && !body.is_empty() => {
                shared.record(&info, f, true);
                let at = (salt % body.len() as u64) as usize;
                let mask = ((salt >> 32) as u8).max(1);
                body[at] ^= mask;
            }
            Some(f @ (Fault::Truncate | Fault::FlipByte)) => shared.record(&info, f, false),
            _ => {}
        }
        let mut out = response.head(body.len(), !keep_alive);
        out.extend_from_slice(&body);
        if client.write_all(&out).await.is_err() || !keep_alive {
            return;
        }
    }
}

/// A random storage workload to run through a [`FaultProxy`]: see [`storage_run`].
#[derive(Debug, Clone)]
pub struct StorageRun {
    /// The test's name, for the report.
    pub test: String,
    /// The server's name, for the report.
    pub server: String,
    /// The seed of the workload's choices (the proxy's plan has its own).
    pub seed: u64,
    /// How many operations to run.
    pub ops: usize,
    /// The size of the occasional large upload (above a multipart threshold), 0 for none.
    pub large: usize,
    /// The longest one call may take, from its start to its result.
    pub call_bound: Duration,
    /// The errors a call may end with; any other fails the run.
    pub allowed: fn(&libcloud_core::Error) -> bool,
}

/// What a [`storage_run`] did and found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFigures {
    /// Operations run.
    pub ops: u64,
    /// Operations that succeeded.
    pub ok: u64,
    /// Operations that ended with an (allowed) error.
    pub failed: u64,
    /// Bytes compared with what they should be, during the run and in the final check.
    pub bytes_checked: u64,
    /// Objects acknowledged as stored but missing at the end.
    pub lost: u64,
    /// Objects whose content at the end is none that the run could have left.
    pub corrupted: u64,
    /// The longest successful call.
    pub worst_ok: Duration,
    /// The longest call that ended in an error.
    pub worst_error: Duration,
    /// The errors met, by kind.
    pub errors: BTreeMap<String, u64>,
}

impl RunFigures {
    fn record(&mut self, elapsed: Duration, result: &libcloud_core::Result<()>) {
        self.ops += 1;
        match result {
            Ok(()) => {
                self.ok += 1;
                self.worst_ok = self.worst_ok.max(elapsed);
            }
            Err(e) => {
                self.failed += 1;
                self.worst_error = self.worst_error.max(elapsed);
                *self.errors.entry(error_kind_name(e)).or_insert(0) += 1;
            }
        }
    }

    /// Prints the figures as one JSON line, with the proxy's, and appends that line to the
    /// file named by `LIBCLOUD_FAULT_REPORT` when it is set (as `cargo xtask soak` does).
    pub fn report(&self, test: &str, server: &str, seed: u64, proxy: &FaultProxy) {
        let stats = proxy.stats();
        let line = serde_json::json!({
            "test": test,
            "server": server,
            "seed": seed,
            "ops": self.ops,
            "ok": self.ok,
            "failed": self.failed,
            "requests": stats.requests,
            "faults_injected": stats.injected,
            "faults_by_kind": stats.by_fault,
            "bytes_checked": self.bytes_checked,
            "lost": self.lost,
            "corrupted": self.corrupted,
            "worst_ok_ms": u64::try_from(self.worst_ok.as_millis()).unwrap_or(u64::MAX),
            "worst_error_ms": u64::try_from(self.worst_error.as_millis()).unwrap_or(u64::MAX),
            "errors": self.errors,
        });
        println!("fault figures: {line}");
        if let Ok(path) = std::env::var(REPORT_VAR) {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .unwrap_or_else(|e| panic!("opening {path}: {e}"));
            writeln!(file, "{line}").unwrap_or_else(|e| panic!("writing {path}: {e}"));
        }
    }
}

/// The environment variable naming the file that runs append their figures to.
pub const REPORT_VAR: &str = "LIBCLOUD_FAULT_REPORT";

/// The environment variable that sets the length of random runs (see [`ops_from_env`]).
pub const OPS_VAR: &str = "LIBCLOUD_FAULT_OPS";

/// The number of operations a random run should do: `LIBCLOUD_FAULT_OPS` when it is set to a
/// number, else `default`.
pub fn ops_from_env(default: usize) -> usize {
    std::env::var(OPS_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// A short name for an error's kind, as the figures count them (`transport`, `timeout`,
/// `hash_mismatch`, `provider:SlowDown`, ...).
pub fn error_kind_name(err: &libcloud_core::Error) -> String {
    use libcloud_core::ErrorKind;
    match err.kind() {
        ErrorKind::Provider { code } => format!("provider:{code}"),
        ErrorKind::RateLimited { .. } => "rate_limited".into(),
        ErrorKind::HashMismatch { .. } => "hash_mismatch".into(),
        ErrorKind::NotFound { kind, .. } => format!("not_found:{kind}"),
        ErrorKind::Transport => "transport".into(),
        ErrorKind::Timeout => "timeout".into(),
        ErrorKind::MalformedResponse => "malformed_response".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The contents a key may hold after the operations so far: several when a write or delete
/// failed (it may or may not have taken effect). `None` is "absent".
#[derive(Debug, Clone)]
struct Allowed(Vec<Option<bytes::Bytes>>);

impl Allowed {
    fn exactly(v: Option<bytes::Bytes>) -> Allowed {
        Allowed(vec![v])
    }

    fn or(&self, v: Option<bytes::Bytes>) -> Allowed {
        let mut all = self.0.clone();
        if !all.contains(&v) {
            all.push(v);
        }
        Allowed(all)
    }

    fn certain(&self) -> Option<&Option<bytes::Bytes>> {
        match self.0.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// `len` bytes of a pattern that differs between `salt`s.
fn run_data(len: usize, salt: usize) -> bytes::Bytes {
    (0..len)
        .map(|i| ((i * 31 + salt * 7) % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// Runs `run.ops` random operations (uploads, whole downloads, HEADs, listings, deletes) on six
/// keys of `container` through `faulty` (a driver pointed at `proxy`), then reads every key back
/// through `direct` (a driver talking to the server itself) and compares it with what the run
/// was told.
///
/// During the run, every call must end within `run.call_bound`, with success or an error that
/// `run.allowed` accepts; a download whose content is known must return exactly it, and one
/// whose content is uncertain must return one of the possible contents. At the end, a key
/// acknowledged as written must hold what was written (else it counts as lost, or corrupted),
/// and a key whose last write failed may hold the old or the new content only. The run panics,
/// with the seed and the proxy's log, on any violation, after reporting its figures.
pub async fn storage_run(
    run: &StorageRun,
    faulty: &dyn libcloud_core::StorageDriver,
    direct: &dyn libcloud_core::StorageDriver,
    container: &str,
    proxy: &FaultProxy,
) -> RunFigures {
    use libcloud_core::{StorageDriverExt, UploadOptions};

    const LIMIT: usize = 1 << 30;
    let seed = run.seed;
    let keys: Vec<String> = (0..6).map(|i| format!("k{i}/object-{i}.bin")).collect();
    let mut model: BTreeMap<String, Allowed> = keys
        .iter()
        .map(|k| (k.clone(), Allowed::exactly(None)))
        .collect();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut figures = RunFigures::default();
    let mut violations = Vec::new();
    for i in 0..run.ops {
        let key = keys[rng.gen_range(0..keys.len())].clone();
        let op = rng.gen_range(0..100);
        let started = tokio::time::Instant::now();
        let result: libcloud_core::Result<()> = if op < 35 {
            let len = if run.large > 0 && rng.gen_bool(0.08) {
                run.large + rng.gen_range(1..64 * 1024)
            } else {
                rng.gen_range(0..200_000)
            };
            let data = run_data(len, i);
            let r = faulty
                .upload_bytes(container, &key, data.clone(), &UploadOptions::default())
                .await;
            let state = model.entry(key.clone()).or_insert(Allowed::exactly(None));
            *state = match &r {
                Ok(object) if object.size == data.len() as u64 => Allowed::exactly(Some(data)),
                Ok(object) => {
                    violations.push(format!(
                        "op {i}: {key} stored as {} bytes, {} sent",
                        object.size,
                        data.len()
                    ));
                    state.or(Some(data))
                }
                Err(_) => state.or(Some(data)),
            };
            r.map(drop)
        } else if op < 65 {
            let r = faulty
                .download_object_as_bytes(container, &key, LIMIT)
                .await;
            let state = &model[&key];
            if let Ok(bytes) = &r {
                figures.bytes_checked += bytes.len() as u64;
                if !state.0.iter().any(|v| v.as_ref() == Some(bytes)) {
                    figures.corrupted += 1;
                    violations.push(format!(
                        "op {i}: {key} read as {} bytes that were never written",
                        bytes.len()
                    ));
                }
            }
            match r {
                Err(e) if e.is_not_found() && state.0.contains(&None) => Ok(()),
                other => other.map(drop),
            }
        } else if op < 75 {
            let r = faulty.get_object(container, &key).await;
            let state = &model[&key];
            if let (Ok(object), Some(Some(expected))) = (&r, state.certain())
                && object.size != expected.len() as u64
            {
                violations.push(format!(
                    "op {i}: {key} has {} bytes, {} were written",
                    object.size,
                    expected.len()
                ));
            }
            match r {
                Err(e) if e.is_not_found() && state.0.contains(&None) => Ok(()),
                other => other.map(drop),
            }
        } else if op < 87 {
            faulty
                .list_container_objects(container, Some("k"))
                .await
                .map(drop)
        } else {
            let r = faulty.delete_object(container, &key).await;
            let state = model.entry(key.clone()).or_insert(Allowed::exactly(None));
            // Some stores say NotFound when the object was absent already, or when a retry
            // follows a delete whose answer was lost: the object is gone either way (and the
            // final check would find it if it were not).
            let gone = matches!(&r, Err(e) if e.is_not_found());
            *state = match &r {
                Ok(()) => Allowed::exactly(None),
                Err(_) if gone => Allowed::exactly(None),
                Err(_) => state.or(None),
            };
            if gone { Ok(()) } else { r }
        };
        let elapsed = started.elapsed();
        if let Err(e) = &result
            && !(run.allowed)(e)
        {
            violations.push(format!("op {i} on {key}: unexpected error {e:?}"));
        }
        if elapsed > run.call_bound {
            violations.push(format!("op {i} on {key} took {elapsed:?}"));
        }
        figures.record(elapsed, &result);
    }
    for (key, allowed) in &model {
        let stored = match direct.download_object_as_bytes(container, key, LIMIT).await {
            Ok(bytes) => Some(bytes),
            Err(e) if e.is_not_found() => None,
            Err(e) => panic!("seed {seed}: reading {key} back directly: {e}"),
        };
        if let Some(bytes) = &stored {
            figures.bytes_checked += bytes.len() as u64;
        }
        if !allowed.0.contains(&stored) {
            if stored.is_none() {
                figures.lost += 1;
            } else {
                figures.corrupted += 1;
            }
            violations.push(format!(
                "{key}: holds {:?} bytes, allowed {:?}",
                stored.as_ref().map(|b| b.len()),
                allowed
                    .0
                    .iter()
                    .map(|v| v.as_ref().map(|b| b.len()))
                    .collect::<Vec<_>>()
            ));
        }
    }
    figures.report(&run.test, &run.server, seed, proxy);
    assert!(
        violations.is_empty(),
        "{} on {}, seed {seed} (replay with {SEED_VAR}={seed}):\n{}\nfaults:\n{}",
        run.test,
        run.server,
        violations.join("\n"),
        proxy.log_text()
    );
    figures
}
