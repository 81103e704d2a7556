//! Retrying failed attempts: exponential backoff with full jitter, `Retry-After`, and two budgets.
//!
//! The rules, in one place:
//!
//! - **What is retried.** Errors that say trying again may help ([`Error::is_temporary`]: connect
//!   and transport failures, per-attempt timeouts, rate limiting), and responses with status 408,
//!   429, 500, 502, 503 or 504. A 4xx response whose body names one of the [`THROTTLING_CODES`]
//!   (as AWS-style APIs do with status 400) is retried too; to see that, the body is read ahead,
//!   but only when its `Content-Length` is at most [`PEEK_LIMIT`] bytes, and the bytes are put back
//!   so the caller still reads the whole body.
//! - **Which requests.** Only those that [`is_idempotent`] accepts (by method, or an
//!   [`Idempotent`](libcloud_core::transport::Idempotent) marker) and whose body is held in memory
//!   ([`Body::try_clone`] is `Some`). A streamed body is sent once. Every attempt carries the
//!   original request's method, URI, headers and extensions, plus an [`Attempt`] number.
//! - **How long to wait.** Before retry `k` (1 for the first retry) the delay is drawn uniformly
//!   from `[0, min(max_backoff, initial_backoff * 2^(k-1))]` ("full jitter"). A 429 or 503 that
//!   carries `Retry-After` (seconds or an HTTP date) waits exactly that long instead, and a
//!   [`ErrorKind::RateLimited`] error with a `retry_after` is treated the same way.
//! - **When to stop.** After [`RetryPolicy::max_attempts`] attempts in all, or when the total
//!   [`RetryPolicy::budget`] (measured from the first attempt) is spent: a backoff delay is cut to
//!   what is left of the budget, and a `Retry-After` that would end past the budget is not waited
//!   for at all. Giving up on a response returns that last response, so the driver's
//!   `parse_error` explains it; giving up on an error returns the error.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use http::{HeaderValue, StatusCode, header};
use libcloud_core::transport::{Request, Response, is_idempotent};
use libcloud_core::{Body, Error, ErrorKind, Result};
use tokio::time::Instant;
use tower::{Layer, Service};

/// The largest 4xx response body, in bytes, that is read ahead to look for a throttling code.
pub const PEEK_LIMIT: u64 = 64 * 1024;

/// Error codes that some APIs send with status 400 (or another 4xx) to mean "slow down".
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "SlowDown",
    "TooManyRequestsException",
    "PriorRequestNotComplete",
];

/// Which attempt at a request this is: 1 for the first, 2 for the first retry, and so on.
///
/// [`RetryLayer`] sets it on every attempt it sends, so that layers below it (such as
/// [`TraceLayer`](crate::TraceLayer)) can report it. A request without it is a first attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Attempt(pub u32);

/// How [`RetryLayer`] retries: attempts, backoff and the total time budget.
///
/// The defaults are 3 attempts in all (as AWS SDKs do in their standard mode), an initial backoff
/// of 100 ms doubling up to at most 20 s, and a total budget of 60 s. The budget is larger than
/// the default attempt timeout (30 s) on purpose: with a smaller one, an attempt that timed out
/// would never be retried.
///
/// ```
/// use std::time::Duration;
/// use libcloud_http::RetryPolicy;
///
/// let policy = RetryPolicy::default().with_max_attempts(5).with_budget(Duration::from_secs(60));
/// assert_eq!(policy.max_attempts(), 5);
/// assert_eq!(policy.backoff_cap(1), Duration::from_millis(100));
/// assert_eq!(policy.backoff_cap(3), Duration::from_millis(400));
/// assert_eq!(RetryPolicy::disabled().max_attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(20),
            budget: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The default policy; see [`RetryPolicy`] for its values.
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that never retries: every request is sent exactly once.
    pub fn disabled() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Sets how many attempts a request gets in all, the first one included.
    ///
    /// Default 3; 0 is taken as 1.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the upper bound of the delay before the first retry; it doubles for each later one.
    ///
    /// Default 100 ms.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the largest upper bound any backoff delay can have. Default 20 s.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Sets the total time, from the first attempt on, after which no retry is started.
    ///
    /// Default 60 s. An attempt already in flight is bounded by the attempt timeout, not by this,
    /// so a call can take up to about the budget plus one attempt timeout.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// How many attempts a request gets in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The upper bound of the delay before the first retry.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The largest upper bound any backoff delay can have.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The total time after which no retry is started.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The upper bound of the jittered delay before retry number `retry` (1 for the first retry):
    /// `min(max_backoff, initial_backoff * 2^(retry - 1))`.
    pub fn backoff_cap(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        self.initial_backoff
            .checked_mul(1u32 << exponent)
            .map_or(self.max_backoff, |d| d.min(self.max_backoff))
    }
}

/// Whether a response status is retried on its own: 408, 429, 500, 502, 503 or 504.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether an error body names one of the [`THROTTLING_CODES`] as its error code.
///
/// A code counts when it is the whole text of an XML element (`<Code>SlowDown</Code>`), a whole
/// JSON string (`"code": "Throttling"`), or the part of a JSON string after `#`
/// (`"__type": "com.amazonaws.dynamodb#ThrottlingException"`). A code that only appears inside a
/// sentence does not count.
///
/// ```
/// use libcloud_http::retry::names_throttling_code;
/// assert!(names_throttling_code(b"<Error><Code>Throttling</Code></Error>"));
/// assert!(names_throttling_code(br#"{"__type":"svc#ThrottlingException"}"#));
/// assert!(!names_throttling_code(b"<Message>Throttling is off</Message>"));
/// ```
pub fn names_throttling_code(body: &[u8]) -> bool {
    THROTTLING_CODES.iter().any(|code| {
        let code = code.as_bytes();
        [(b'>', b'<'), (b'"', b'"'), (b'#', b'"')]
            .iter()
            .any(|&(open, close)| contains_delimited(body, open, code, close))
    })
}

fn contains_delimited(haystack: &[u8], open: u8, needle: &[u8], close: u8) -> bool {
    let len = needle.len() + 2;
    haystack
        .windows(len)
        .any(|w| w[0] == open && w[len - 1] == close && w[1..len - 1].eq_ignore_ascii_case(needle))
}

/// Reads a `Retry-After` header: delay-seconds, or an HTTP date (measured from `now`).
///
/// A date in the past is a zero delay. Anything unreadable is `None`.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use http::HeaderValue;
/// use libcloud_http::retry::parse_retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
/// assert_eq!(parse_retry_after(&HeaderValue::from_static("120"), now), Some(Duration::from_secs(120)));
/// assert_eq!(
///     parse_retry_after(&HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"), now),
///     Some(Duration::from_secs(7)),
/// );
/// assert_eq!(parse_retry_after(&HeaderValue::from_static("soon"), now), None);
/// ```
pub fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse(text)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A tower layer that retries failed attempts according to a [`RetryPolicy`].
///
/// It works on any service from `http::Request<Body>` to `http::Response<Body>` with libcloud's
/// [`Error`], such as a [`Transport`](libcloud_core::Transport). Put the per-attempt timeout
/// below it, so that a timed-out attempt is retried; the module documentation lists the rules.
///
/// ```
/// use libcloud_core::transport::{self, Transport};
/// use libcloud_http::{RetryLayer, RetryPolicy};
/// use tower::Layer;
///
/// fn with_retries(inner: Transport) -> Transport {
///     transport::boxed(RetryLayer::new(RetryPolicy::default()).layer(inner))
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryLayer {
    policy: RetryPolicy,
}

impl RetryLayer {
    /// A layer that retries by `policy`.
    pub fn new(policy: RetryPolicy) -> Self {
        RetryLayer { policy }
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Retry<S> {
        Retry {
            policy: self.policy,
            inner: PeekThrottle { inner },
        }
    }
}

/// The service made by [`RetryLayer`].
#[derive(Debug, Clone)]
pub struct Retry<S> {
    policy: RetryPolicy,
    inner: PeekThrottle<S>,
}

impl<S> Service<Request> for Retry<S>
where
    S: Service<Request, Response = Response, Error = Error> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Error;
    type Future = BoxFuture<'static, Result<Response>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // The clone left behind must be driven to readiness again by the next caller; the ready
        // service goes with this request.
        let fresh = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, fresh);
        request.extensions_mut().insert(Attempt(1));
        let state = AttemptState {
            policy: self.policy,
            attempt: 1,
            started: Instant::now(),
            rng: XorShift::seeded(),
        };
        let mut service = tower::retry::Retry::new(state, ready);
        Box::pin(service.call(request))
    }
}

/// Why an attempt is worth another try, and how long the server asked to wait.
struct Verdict {
    reason: &'static str,
    retry_after: Option<Duration>,
}

fn judge(result: &Result<Response>) -> Option<Verdict> {
    match result {
        Ok(response) => {
            let status = response.status();
            if is_retryable_status(status) {
                let retry_after = if matches!(status.as_u16(), 429 | 503) {
                    response
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| parse_retry_after(v, SystemTime::now()))
                } else {
                    None
                };
                Some(Verdict {
                    reason: "status",
                    retry_after,
                })
            } else if status.is_client_error()
                && response
                    .body()
                    .as_bytes()
                    .is_some_and(|b| names_throttling_code(b))
            {
                Some(Verdict {
                    reason: "throttling code",
                    retry_after: None,
                })
            } else {
                None
            }
        }
        Err(err) if err.is_temporary() => Some(Verdict {
            reason: match err.kind() {
                ErrorKind::Timeout => "timeout",
                ErrorKind::RateLimited { .. } => "rate limited",
                _ => "transport error",
            },
            retry_after: err.retry_after(),
        }),
        Err(_) => None,
    }
}

/// The per-request state of [`Retry`]: which attempt this is, when the first began, the jitter RNG.
#[derive(Debug, Clone)]
struct AttemptState {
    policy: RetryPolicy,
    attempt: u32,
    started: Instant,
    rng: XorShift,
}

impl tower::retry::Policy<Request, Response, Error> for AttemptState {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        request: &mut Request,
        result: &mut Result<Response>,
    ) -> Option<Self::Future> {
        let verdict = judge(result)?;
        if self.attempt >= self.policy.max_attempts {
            tracing::debug!(attempt = self.attempt, "giving up: no attempts left");
            return None;
        }
        let remaining = self.policy.budget.saturating_sub(self.started.elapsed());
        let delay = match verdict.retry_after {
            Some(asked) if asked > remaining => {
                tracing::debug!(
                    attempt = self.attempt,
                    retry_after_ms = asked.as_millis() as u64,
                    "giving up: Retry-After ends past the retry budget"
                );
                return None;
            }
            Some(asked) => asked,
            None if remaining.is_zero() => {
                tracing::debug!(attempt = self.attempt, "giving up: retry budget spent");
                return None;
            }
            None => self
                .rng
                .below(self.policy.backoff_cap(self.attempt))
                .min(remaining),
        };
        self.attempt += 1;
        request.extensions_mut().insert(Attempt(self.attempt));
        tracing::debug!(
            next_attempt = self.attempt,
            reason = verdict.reason,
            status = result.as_ref().ok().map(|r| r.status().as_u16()),
            delay_ms = delay.as_millis() as u64,
            "retrying"
        );
        Some(tokio::time::sleep(delay))
    }

    fn clone_request(&mut self, request: &Request) -> Option<Request> {
        if self.attempt >= self.policy.max_attempts || !is_idempotent(request) {
            return None;
        }
        let body = request.body().try_clone()?;
        let mut copy = http::Request::new(body);
        *copy.method_mut() = request.method().clone();
        *copy.uri_mut() = request.uri().clone();
        *copy.version_mut() = request.version();
        *copy.headers_mut() = request.headers().clone();
        *copy.extensions_mut() = request.extensions().clone();
        Some(copy)
    }
}

/// Reads small 4xx bodies of retryable requests into memory, so the policy can look for a
/// throttling code in them; the caller gets the same bytes back as an in-memory body.
#[derive(Debug, Clone)]
struct PeekThrottle<S> {
    inner: S,
}

impl<S> Service<Request> for PeekThrottle<S>
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
        let retryable = is_idempotent(&request) && request.body().as_bytes().is_some();
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            if !(retryable && worth_peeking(&response)) {
                return Ok(response);
            }
            let (parts, body) = response.into_parts();
            // PEEK_LIMIT is small, so the cast cannot truncate.
            let bytes = body.collect(PEEK_LIMIT as usize).await?;
            Ok(Response::from_parts(parts, Body::from(bytes)))
        })
    }
}

fn worth_peeking(response: &Response) -> bool {
    let status = response.status();
    if !status.is_client_error() || is_retryable_status(status) {
        return false;
    }
    if response.body().as_bytes().is_some() {
        return false; // already in memory
    }
    response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|len| len <= PEEK_LIMIT)
}

/// A small xorshift64* generator for jitter; it only needs to spread clients apart, not be secure.
#[derive(Debug, Clone)]
struct XorShift(u64);

impl XorShift {
    fn seeded() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // RandomState carries per-process random keys; hashing a counter gives distinct seeds.
        XorShift(RandomState::new().hash_one(n) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A duration drawn uniformly from `[0, cap]`.
    fn below(&mut self, cap: Duration) -> Duration {
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.next() % nanos.saturating_add(1))
    }
}

/// HTTP dates (RFC 9110 section 5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms.
mod httpdate {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];

    fn month(name: &str) -> Option<u32> {
        let index = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))?;
        u32::try_from(index + 1).ok()
    }

    /// Parses `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` or
    /// `Sun Nov  6 08:49:37 1994`.
    pub(super) fn parse(text: &str) -> Option<SystemTime> {
        let parts: Vec<&str> = text
            .split([' ', ',', '-'])
            .filter(|p| !p.is_empty())
            .collect();
        let (day, mon, year, time) = match parts.as_slice() {
            // IMF-fixdate and RFC 850: weekday, day, month, year, time, GMT.
            [_, day, mon, year, time, zone] if zone.eq_ignore_ascii_case("GMT") => {
                (*day, *mon, *year, *time)
            }
            // asctime: weekday, month, day, time, year.
            [_, mon, day, time, year] => (*day, *mon, *year, *time),
            _ => return None,
        };
        let day: u32 = day.parse().ok()?;
        let month = month(mon)?;
        let mut year: i64 = year.parse().ok()?;
        if year < 100 {
            // RFC 850's two-digit years: pick the century that keeps the date near today.
            year += if year < 70 { 2000 } else { 1900 };
        }
        let mut hms = time.split(':').map(|t| t.parse::<u64>().ok());
        let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
        if hms.next().is_some() || day == 0 || day > 31 || h > 23 || m > 59 || s > 60 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + s;
        UNIX_EPOCH.checked_add(Duration::from_secs(secs))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn at(secs: u64) -> Option<SystemTime> {
            Some(UNIX_EPOCH + Duration::from_secs(secs))
        }

        #[test]
        fn reads_all_three_forms() {
            assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT"), at(784_111_777));
            assert_eq!(parse("Sunday, 06-Nov-94 08:49:37 GMT"), at(784_111_777));
            assert_eq!(parse("Sun Nov  6 08:49:37 1994"), at(784_111_777));
            assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT"), at(0));
            assert_eq!(parse("Tue, 29 Feb 2028 12:00:00 GMT"), at(1_835_438_400));
        }

        #[test]
        fn refuses_nonsense() {
            assert_eq!(parse(""), None);
            assert_eq!(parse("Sun, 06 Foo 1994 08:49:37 GMT"), None);
            assert_eq!(parse("Sun, 06 Nov 1994 25:49:37 GMT"), None);
            assert_eq!(parse("Sun, 06 Nov 1994 08:49 GMT"), None);
            assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 CET"), None);
            assert_eq!(parse("Sun, 00 Nov 1994 08:49:37 GMT"), None);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::testing::{Script, Step, Tag, get, send_through};
    use libcloud_core::body::once_stream;
    use libcloud_core::transport::Idempotent;

    fn layer() -> RetryLayer {
        RetryLayer::new(RetryPolicy::default())
    }

    fn reply(status: u16, body: &'static str) -> Step {
        Step::Reply {
            status,
            headers: Vec::new(),
            body,
        }
    }

    async fn calls_for(step: Step) -> (usize, Result<Response>) {
        let script = Script::new(vec![step]);
        let result = send_through(layer(), script.transport.clone(), get("http://h/x")).await;
        (script.count(), result)
    }

    #[tokio::test(start_paused = true)]
    async fn retryable_statuses_use_every_attempt_and_return_the_last_response() {
        for status in [408, 429, 500, 502, 503, 504] {
            let (count, result) = calls_for(Step::Status(status)).await;
            assert_eq!(count, 3, "status {status}");
            assert_eq!(result.unwrap().status().as_u16(), status);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn other_statuses_are_sent_once() {
        for status in [200, 201, 204, 301, 400, 401, 403, 404, 409, 412, 501] {
            let (count, result) = calls_for(Step::Status(status)).await;
            assert_eq!(count, 1, "status {status}");
            assert_eq!(result.unwrap().status().as_u16(), status);
        }
        let (count, _) = calls_for(reply(400, "<Error><Code>InvalidArgument</Code></Error>")).await;
        assert_eq!(count, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_codes_in_small_4xx_bodies_are_retried_and_the_body_kept() {
        let xml = "<Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>";
        let (count, result) = calls_for(reply(400, xml)).await;
        assert_eq!(count, 3);
        let response = result.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let body = response.into_body().collect(1 << 20).await.unwrap();
        assert_eq!(&body[..], xml.as_bytes());

        let json = r#"{"__type":"com.amazonaws.svc#ThrottlingException","message":"slow"}"#;
        assert_eq!(calls_for(reply(400, json)).await.0, 3);
        let ec2 = "<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>";
        assert_eq!(calls_for(reply(400, ec2)).await.0, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn large_or_unsized_4xx_bodies_are_not_read_ahead() {
        // The body says Throttling but claims to be larger than the peek limit: left alone.
        let step = Step::Reply {
            status: 400,
            headers: vec![("content-length", (PEEK_LIMIT + 1).to_string())],
            body: "<Code>Throttling</Code>",
        };
        let (count, result) = calls_for(step).await;
        assert_eq!(count, 1);
        assert!(
            result.unwrap().body().as_bytes().is_none(),
            "body stays a stream"
        );

        // No Content-Length at all: not read ahead either.
        let step = Step::Unsized {
            status: 400,
            body: "<Code>Throttling</Code>",
        };
        let (count, result) = calls_for(step).await;
        assert_eq!(count, 1);
        let body = result.unwrap().into_body().collect(1024).await.unwrap();
        assert_eq!(&body[..], b"<Code>Throttling</Code>");
    }

    #[tokio::test(start_paused = true)]
    async fn recovers_when_a_later_attempt_succeeds() {
        let script = Script::new(vec![
            Step::Status(503),
            Step::Fail(ErrorKind::Transport),
            Step::Status(200),
        ]);
        let response = send_through(layer(), script.transport.clone(), get("http://h/x"))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let attempts: Vec<_> = script.calls().iter().map(|c| c.attempt).collect();
        assert_eq!(attempts, [Some(1), Some(2), Some(3)]);
    }

    #[tokio::test(start_paused = true)]
    async fn temporary_errors_are_retried_and_the_last_one_returned() {
        for kind in [ErrorKind::Transport, ErrorKind::Timeout] {
            let (count, result) = calls_for(Step::Fail(kind.clone())).await;
            assert_eq!(count, 3);
            assert_eq!(*result.unwrap_err().kind(), kind);
        }
        let (count, result) = calls_for(Step::Fail(ErrorKind::InvalidInput)).await;
        assert_eq!(count, 1);
        assert_eq!(*result.unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    fn post(idempotent: bool) -> Request {
        let mut request = http::Request::post("http://h/action")
            .body(Body::from("Action=RunInstances&ClientToken=abc"))
            .unwrap();
        request.extensions_mut().insert(Tag("post"));
        if idempotent {
            request.extensions_mut().insert(Idempotent);
        }
        request
    }

    #[tokio::test(start_paused = true)]
    async fn post_is_sent_once_unless_marked_idempotent() {
        let script = Script::new(vec![Step::Status(503)]);
        send_through(layer(), script.transport.clone(), post(false))
            .await
            .unwrap();
        assert_eq!(script.count(), 1);

        let script = Script::new(vec![Step::Status(503)]);
        send_through(layer(), script.transport.clone(), post(true))
            .await
            .unwrap();
        let calls = script.calls();
        assert_eq!(calls.len(), 3);
        for call in &calls {
            // Extensions and body reach every attempt.
            assert_eq!(call.tag, Some(Tag("post")));
            assert_eq!(
                call.body.as_deref(),
                Some(&b"Action=RunInstances&ClientToken=abc"[..])
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn streaming_bodies_are_sent_once() {
        let script = Script::new(vec![Step::Status(500)]);
        let request = http::Request::put("http://h/object")
            .body(Body::from_stream(once_stream("chunk")))
            .unwrap();
        let response = send_through(layer(), script.transport.clone(), request)
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 500);
        assert_eq!(script.count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn max_attempts_is_honoured() {
        for attempts in [1, 2, 5] {
            let script = Script::new(vec![Step::Status(500)]);
            let policy = RetryPolicy::default().with_max_attempts(attempts);
            send_through(
                RetryLayer::new(policy),
                script.transport.clone(),
                get("http://h/x"),
            )
            .await
            .unwrap();
            assert_eq!(script.count(), attempts as usize);
        }
        let script = Script::new(vec![Step::Status(500)]);
        send_through(
            RetryLayer::new(RetryPolicy::disabled()),
            script.transport.clone(),
            get("http://h/x"),
        )
        .await
        .unwrap();
        assert_eq!(script.count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_delays_stay_under_the_doubling_cap() {
        let policy = RetryPolicy::default()
            .with_max_attempts(8)
            .with_initial_backoff(Duration::from_secs(1))
            .with_max_backoff(Duration::from_secs(4))
            .with_budget(Duration::from_secs(600));
        let script = Script::new(vec![Step::Status(502)]);
        send_through(
            RetryLayer::new(policy),
            script.transport.clone(),
            get("http://h/x"),
        )
        .await
        .unwrap();
        let calls = script.calls();
        assert_eq!(calls.len(), 8);
        for (k, pair) in calls.windows(2).enumerate() {
            let gap = pair[1].at - pair[0].at;
            let cap = policy.backoff_cap(k as u32 + 1);
            assert!(gap <= cap, "retry {}: waited {gap:?}, cap {cap:?}", k + 1);
        }
        assert_eq!(policy.backoff_cap(1), Duration::from_secs(1));
        assert_eq!(policy.backoff_cap(2), Duration::from_secs(2));
        assert_eq!(policy.backoff_cap(3), Duration::from_secs(4));
        assert_eq!(policy.backoff_cap(30), Duration::from_secs(4));
        assert_eq!(policy.backoff_cap(u32::MAX), Duration::from_secs(4));
    }

    #[test]
    fn jitter_spreads_over_the_whole_range() {
        let mut rng = XorShift::seeded();
        let cap = Duration::from_millis(1000);
        let draws: Vec<Duration> = (0..1000).map(|_| rng.below(cap)).collect();
        assert!(draws.iter().all(|d| *d <= cap));
        assert!(draws.iter().any(|d| *d < Duration::from_millis(100)));
        assert!(draws.iter().any(|d| *d > Duration::from_millis(900)));
        assert_eq!(rng.below(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_time_budget_bounds_the_waiting() {
        let budget = Duration::from_secs(5);
        let policy = RetryPolicy::default()
            .with_max_attempts(1000)
            .with_initial_backoff(Duration::from_secs(2))
            .with_max_backoff(Duration::from_secs(2))
            .with_budget(budget);
        let script = Script::new(vec![Step::Status(500)]);
        let started = Instant::now();
        let response = send_through(
            RetryLayer::new(policy),
            script.transport.clone(),
            get("http://h/x"),
        )
        .await
        .unwrap();
        assert_eq!(response.status().as_u16(), 500);
        assert!(started.elapsed() <= budget, "slept {:?}", started.elapsed());
        // Far fewer than 1000 attempts, but more than one.
        let count = script.count();
        assert!(count > 1 && count < 1000, "{count} attempts");
        let last = script.calls().last().unwrap().at;
        assert!(last - started <= budget);
    }

    fn retry_after(status: u16, value: &str) -> Step {
        Step::Reply {
            status,
            headers: vec![("retry-after", value.to_string())],
            body: "",
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_seconds_is_waited_for() {
        for status in [429, 503] {
            let script = Script::new(vec![retry_after(status, "7"), Step::Status(200)]);
            let response = send_through(layer(), script.transport.clone(), get("http://h/x"))
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            let calls = script.calls();
            assert_eq!(calls.len(), 2);
            assert!(calls[1].at - calls[0].at >= Duration::from_secs(7));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_as_a_date_is_waited_for() {
        // Whole seconds, as an HTTP date has them, at least 3 s ahead.
        let ahead = SystemTime::now() + Duration::from_secs(4);
        let secs = ahead
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let date = imf_fixdate(secs);
        let script = Script::new(vec![retry_after(503, &date), Step::Status(200)]);
        send_through(layer(), script.transport.clone(), get("http://h/x"))
            .await
            .unwrap();
        let calls = script.calls();
        assert_eq!(calls.len(), 2);
        assert!(calls[1].at - calls[0].at >= Duration::from_secs(3));
    }

    /// Formats seconds since the epoch as an IMF-fixdate, for the test above.
    fn imf_fixdate(secs: u64) -> String {
        let days = secs / 86_400;
        let rem = secs % 86_400;
        // Civil date from days (the inverse of days_from_civil).
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
            months[(month - 1) as usize],
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    #[test]
    fn the_test_date_formatter_round_trips() {
        assert_eq!(imf_fixdate(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_835_438_400);
        assert_eq!(httpdate::parse(&imf_fixdate(1_835_438_400)), Some(t));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_past_the_budget_gives_up_at_once() {
        let script = Script::new(vec![retry_after(429, "3600"), Step::Status(200)]);
        let started = Instant::now();
        let response = send_through(layer(), script.transport.clone(), get("http://h/x"))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(script.count(), 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_on_other_statuses_is_ignored() {
        // 500 is retried, but its Retry-After is not the server's promise: backoff applies.
        let script = Script::new(vec![retry_after(500, "3600"), Step::Status(200)]);
        send_through(layer(), script.transport.clone(), get("http://h/x"))
            .await
            .unwrap();
        let calls = script.calls();
        assert_eq!(calls.len(), 2);
        assert!(calls[1].at - calls[0].at <= RetryPolicy::default().backoff_cap(1));
    }

    #[test]
    fn retry_after_values() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let parse = |v: &'static str| parse_retry_after(&HeaderValue::from_static(v), now);
        assert_eq!(parse("0"), Some(Duration::ZERO));
        assert_eq!(parse(" 42 "), Some(Duration::from_secs(42)));
        assert_eq!(parse("-1"), None);
        assert_eq!(parse("1.5"), None);
        assert_eq!(parse(""), None);
        // A date in the past asks for no wait at all.
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
    }

    #[test]
    fn throttling_codes_are_matched_as_whole_codes() {
        for code in THROTTLING_CODES {
            assert!(names_throttling_code(
                format!("<Code>{code}</Code>").as_bytes()
            ));
            assert!(names_throttling_code(
                format!(r#"{{"code": "{code}"}}"#).as_bytes()
            ));
        }
        assert!(!names_throttling_code(b"<Code>ThrottlingSoon</Code>"));
        assert!(!names_throttling_code(b"<Code>NoSuchKey</Code>"));
        assert!(!names_throttling_code(b""));
        assert!(!names_throttling_code(b"Throttling"));
    }
}
