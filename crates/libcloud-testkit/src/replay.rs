//! A [`Transport`] that replays scripted responses and records every request.
//!
//! A [`Replay`] holds [`Route`]s. Each route matches a method and a path, and optionally a
//! host, query parameters, request headers and text in the request body; it answers with a
//! status, headers and a body (bytes, JSON, a file or a recorded fixture), or with an error.
//! Routes are tried in the order they were added; the first one that matches and is not used up
//! answers. A route answers once unless it is made to [`repeat`](Route::repeat).
//!
//! Every request is recorded, body included, for assertions afterwards. A request no route
//! matches gets an error whose message lists the request and every route, and is recorded too,
//! so [`Replay::assert_all_used`] fails the test even if the driver swallowed the error.
//!
//! ```
//! use libcloud_testkit::replay::{Replay, Route};
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let replay = Replay::new().with(
//!     Route::get("/bucket")
//!         .query("list-type", "2")
//!         .response_header("content-type", "application/xml")
//!         .body("<ListBucketResult/>"),
//! );
//! let transport = replay.transport();
//! let request = http::Request::get("https://s3.example.com/bucket?list-type=2&prefix=a")
//!     .body(libcloud_core::Body::empty())
//!     .unwrap();
//! let response = libcloud_core::transport::send(&transport, request).await.unwrap();
//! assert_eq!(response.status(), 200);
//! assert_eq!(replay.requests()[0].query("prefix").as_deref(), Some("a"));
//! replay.assert_all_used();
//! # });
//! ```

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode, Uri};
use libcloud_core::transport::{self, Request, Response, redact_uri};
use libcloud_core::{Body, Error, ErrorKind, Transport};

/// The most request body bytes a replay reads and records.
pub const MAX_RECORDED_BODY: usize = 1024 * 1024 * 1024;

type HeaderPredicate = Arc<dyn Fn(&HeaderMap) -> bool + Send + Sync>;

/// What a route answers.
#[derive(Clone)]
enum Answer {
    Response {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    Error {
        kind: ErrorKind,
        message: String,
    },
}

/// One scripted exchange: what request it matches and what it answers.
///
/// Built with [`Route::new`] or a method shortcut, then refined with the builder methods. By
/// default it answers `200 OK` with an empty body, once.
#[derive(Clone)]
pub struct Route {
    method: Method,
    host: Option<String>,
    path: String,
    query: Vec<(String, Option<String>)>,
    headers: Vec<(HeaderName, String)>,
    predicates: Vec<(String, HeaderPredicate)>,
    body_contains: Vec<String>,
    answer: Answer,
    repeat: bool,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Route {
    /// A route for `method` on `path`. A query string in `path` (`"/?Action=DescribeImages"`)
    /// adds one required parameter per pair, as [`query`](Route::query).
    ///
    /// Paths are compared percent-decoded, so `/a%20b` and `/a b` are the same route.
    pub fn new(method: Method, path: &str) -> Self {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let mut route = Route {
            method,
            host: None,
            path: percent_decode(path, false),
            query: Vec::new(),
            headers: Vec::new(),
            predicates: Vec::new(),
            body_contains: Vec::new(),
            answer: Answer::Response {
                status: StatusCode::OK,
                headers: HeaderMap::new(),
                body: Bytes::new(),
            },
            repeat: false,
        };
        if let Some(q) = query {
            for (k, v) in parse_query(q) {
                route.query.push((k, Some(v)));
            }
        }
        route
    }

    /// A `GET` route.
    pub fn get(path: &str) -> Self {
        Route::new(Method::GET, path)
    }

    /// A `HEAD` route.
    pub fn head(path: &str) -> Self {
        Route::new(Method::HEAD, path)
    }

    /// A `PUT` route.
    pub fn put(path: &str) -> Self {
        Route::new(Method::PUT, path)
    }

    /// A `POST` route.
    pub fn post(path: &str) -> Self {
        Route::new(Method::POST, path)
    }

    /// A `DELETE` route.
    pub fn delete(path: &str) -> Self {
        Route::new(Method::DELETE, path)
    }

    /// Matches only requests to this host (compared without case, port ignored).
    pub fn host(mut self, host: &str) -> Self {
        self.host = Some(host.to_ascii_lowercase());
        self
    }

    /// Matches only requests whose query has `key` with exactly `value` (decoded). Other
    /// parameters of the request are ignored.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.query.push((key.to_string(), Some(value.to_string())));
        self
    }

    /// Matches only requests whose query has `key`, with any value.
    pub fn query_present(mut self, key: &str) -> Self {
        self.query.push((key.to_string(), None));
        self
    }

    /// Matches only requests carrying the header `name` with exactly `value`.
    ///
    /// # Panics
    ///
    /// When `name` is not a valid header name.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name)
            .unwrap_or_else(|e| panic!("Route::header: bad header name {name:?}: {e}"));
        self.headers.push((name, value.to_string()));
        self
    }

    /// Matches only requests whose headers satisfy `predicate`; `description` names the
    /// condition in error messages.
    pub fn header_matches(
        mut self,
        description: &str,
        predicate: impl Fn(&HeaderMap) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.predicates
            .push((description.to_string(), Arc::new(predicate)));
        self
    }

    /// Matches only requests whose body, read as UTF-8, contains `text`.
    pub fn body_contains(mut self, text: &str) -> Self {
        self.body_contains.push(text.to_string());
        self
    }

    /// Answers with this status. Default 200.
    ///
    /// # Panics
    ///
    /// When `status` is not a valid HTTP status code.
    pub fn status(mut self, status: u16) -> Self {
        let code = StatusCode::from_u16(status)
            .unwrap_or_else(|e| panic!("Route::status: bad status {status}: {e}"));
        if let Answer::Response { status, .. } = &mut self.answer {
            *status = code;
        } else {
            self.answer = Answer::Response {
                status: code,
                headers: HeaderMap::new(),
                body: Bytes::new(),
            };
        }
        self
    }

    /// Adds a response header.
    ///
    /// # Panics
    ///
    /// When the name or value is not valid in HTTP.
    pub fn response_header(mut self, name: &str, value: &str) -> Self {
        let header = HeaderName::try_from(name)
            .unwrap_or_else(|e| panic!("Route::response_header: bad name {name:?}: {e}"));
        let value = HeaderValue::try_from(value)
            .unwrap_or_else(|e| panic!("Route::response_header: bad value {value:?}: {e}"));
        self.response_mut().1.append(header, value);
        self
    }

    /// Answers with this body. A `Content-Length` of its size is added unless a response
    /// header sets one (or the request is a `HEAD`).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        *self.response_mut().2 = body.into();
        self
    }

    /// Answers with this JSON value as the body, and `Content-Type: application/json`.
    pub fn json(self, value: &serde_json::Value) -> Self {
        self.response_header("content-type", "application/json")
            .body(value.to_string())
    }

    /// Answers with the contents of a file.
    ///
    /// # Panics
    ///
    /// When the file cannot be read.
    pub fn body_file(self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .unwrap_or_else(|e| panic!("Route::body_file: cannot read {}: {e}", path.display()));
        self.body(bytes)
    }

    /// Answers with a recorded fixture of `provider` (see [`crate::fixtures`]).
    ///
    /// # Panics
    ///
    /// When the fixture cannot be found; guard the test with
    /// [`require_fixtures!`](crate::require_fixtures).
    pub fn fixture(self, provider: &str, file: &str) -> Self {
        let bytes = crate::fixtures::read(provider, file).unwrap_or_else(|| {
            panic!(
                "Route::fixture: no fixture {file:?} for {provider:?} under {}",
                crate::fixtures::base().display()
            )
        });
        self.body(bytes)
    }

    /// Answers with an error of `kind` instead of a response, as a failing network would.
    pub fn fail(mut self, kind: ErrorKind, message: &str) -> Self {
        self.answer = Answer::Error {
            kind,
            message: message.to_string(),
        };
        self
    }

    /// Lets the route answer any number of requests instead of one.
    pub fn repeat(mut self) -> Self {
        self.repeat = true;
        self
    }

    fn response_mut(&mut self) -> (&mut StatusCode, &mut HeaderMap, &mut Bytes) {
        if let Answer::Error { .. } = self.answer {
            self.answer = Answer::Response {
                status: StatusCode::OK,
                headers: HeaderMap::new(),
                body: Bytes::new(),
            };
        }
        match &mut self.answer {
            Answer::Response {
                status,
                headers,
                body,
            } => (status, headers, body),
            Answer::Error { .. } => unreachable!("the answer was just made a response"),
        }
    }

    /// Whether this route matches a request.
    fn matches(&self, request: &RecordedRequest) -> bool {
        if request.method != self.method {
            return false;
        }
        if let Some(host) = &self.host
            && request.uri.host().map(str::to_ascii_lowercase).as_deref() != Some(host.as_str())
        {
            return false;
        }
        if percent_decode(request.uri.path(), false) != self.path {
            return false;
        }
        let pairs = request.query_pairs();
        let query_ok = self.query.iter().all(|(k, v)| {
            pairs
                .iter()
                .any(|(pk, pv)| pk == k && v.as_ref().is_none_or(|v| v == pv))
        });
        if !query_ok {
            return false;
        }
        let headers_ok = self.headers.iter().all(|(name, value)| {
            request
                .headers
                .get_all(name)
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v == value))
        });
        if !headers_ok || !self.predicates.iter().all(|(_, p)| p(&request.headers)) {
            return false;
        }
        let text = String::from_utf8_lossy(&request.body);
        self.body_contains.iter().all(|t| text.contains(t.as_str()))
    }

    /// One line describing what the route matches.
    fn describe(&self) -> String {
        let mut out = format!("{} ", self.method);
        if let Some(host) = &self.host {
            out.push_str("//");
            out.push_str(host);
        }
        out.push_str(&self.path);
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(k);
            if let Some(v) = v {
                out.push('=');
                out.push_str(v);
            }
        }
        for (name, value) in &self.headers {
            out.push_str(&format!(" [{name}: {value}]"));
        }
        for (description, _) in &self.predicates {
            out.push_str(&format!(" [{description}]"));
        }
        for text in &self.body_contains {
            out.push_str(&format!(" [body contains {text:?}]"));
        }
        match &self.answer {
            Answer::Response { status, .. } => out.push_str(&format!(" -> {}", status.as_u16())),
            Answer::Error { kind, .. } => out.push_str(&format!(" -> error {kind:?}")),
        }
        if self.repeat {
            out.push_str(" (repeats)");
        }
        out
    }

    fn respond(&self, request: &RecordedRequest) -> libcloud_core::Result<Response> {
        match &self.answer {
            Answer::Error { kind, message } => Err(Error::new(kind.clone(), message.clone())),
            Answer::Response {
                status,
                headers,
                body,
            } => {
                let mut response = http::Response::new(Body::from(body.clone()));
                *response.status_mut() = *status;
                *response.headers_mut() = headers.clone();
                if request.method != Method::HEAD && !headers.contains_key(CONTENT_LENGTH) {
                    response
                        .headers_mut()
                        .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
                }
                Ok(response)
            }
        }
    }
}

/// A request the replay received: everything the driver sent, body included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The full URI, query and all.
    pub uri: Uri,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The path of the URI, as sent (not decoded).
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// Every query parameter, decoded, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.uri.query().map(parse_query).unwrap_or_default()
    }

    /// The first value of query parameter `key`, decoded.
    pub fn query(&self, key: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The first value of header `name`, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn describe(&self) -> String {
        format!(
            "{} {} ({} body bytes)",
            self.method,
            redact_uri(&self.uri),
            self.body.len()
        )
    }
}

struct Entry {
    route: Route,
    hits: usize,
}

impl Entry {
    fn available(&self) -> bool {
        self.route.repeat || self.hits == 0
    }
}

#[derive(Default)]
struct State {
    routes: Vec<Entry>,
    requests: Vec<RecordedRequest>,
    unmatched: Vec<String>,
}

/// A scripted transport: serves [`Route`]s in order and records every request.
///
/// Cheap to clone; clones share routes and records, so a test keeps one handle while the
/// driver owns the [`Transport`] from [`transport`](Replay::transport).
#[derive(Clone, Default)]
pub struct Replay {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Replay")
            .field("routes", &state.routes.len())
            .field("requests", &state.requests.len())
            .field("unmatched", &state.unmatched.len())
            .finish()
    }
}

impl Replay {
    /// A replay with no routes.
    pub fn new() -> Self {
        Replay::default()
    }

    /// Adds a route after the existing ones.
    pub fn add(&self, route: Route) -> &Self {
        self.lock().routes.push(Entry { route, hits: 0 });
        self
    }

    /// Adds a route after the existing ones; the builder form of [`add`](Replay::add).
    pub fn with(self, route: Route) -> Self {
        self.add(route);
        self
    }

    /// The transport to give the driver under test.
    pub fn transport(&self) -> Transport {
        let replay = self.clone();
        transport::from_fn(move |request: Request| {
            let replay = replay.clone();
            Box::pin(async move { replay.serve(request).await })
        })
    }

    /// Every request received so far, in order (matched or not).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// The last request received.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.lock().requests.last().cloned()
    }

    /// The error messages of the requests no route matched.
    pub fn unmatched(&self) -> Vec<String> {
        self.lock().unmatched.clone()
    }

    /// The routes that never answered.
    pub fn unused_routes(&self) -> Vec<String> {
        self.lock()
            .routes
            .iter()
            .filter(|e| e.hits == 0)
            .map(|e| e.route.describe())
            .collect()
    }

    /// Panics unless every route answered at least once and every request was matched.
    pub fn assert_all_used(&self) {
        self.assert_no_unmatched();
        let unused = self.unused_routes();
        if !unused.is_empty() {
            panic!(
                "replay: {} route(s) never used:\n  {}\nrequests received:\n  {}",
                unused.len(),
                unused.join("\n  "),
                self.describe_requests()
            );
        }
    }

    /// Panics if any request matched no route.
    pub fn assert_no_unmatched(&self) {
        let unmatched = self.unmatched();
        if !unmatched.is_empty() {
            panic!(
                "replay: {} unmatched request(s):\n{}",
                unmatched.len(),
                unmatched.join("\n")
            );
        }
    }

    fn describe_requests(&self) -> String {
        let state = self.lock();
        if state.requests.is_empty() {
            return "(none)".to_string();
        }
        state
            .requests
            .iter()
            .map(RecordedRequest::describe)
            .collect::<Vec<_>>()
            .join("\n  ")
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn serve(&self, request: Request) -> libcloud_core::Result<Response> {
        let (parts, body) = request.into_parts();
        let body = body.collect(MAX_RECORDED_BODY).await.map_err(|e| {
            Error::new(
                ErrorKind::Transport,
                "replay: reading the request body failed",
            )
            .with_source(e)
            .with_temporary(false)
        })?;
        let recorded = RecordedRequest {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        };
        let mut state = self.lock();
        state.requests.push(recorded.clone());
        let found = state
            .routes
            .iter_mut()
            .find(|e| e.available() && e.route.matches(&recorded));
        if let Some(entry) = found {
            entry.hits += 1;
            return entry.route.respond(&recorded);
        }
        let mut message = format!("replay: no route matches {}", recorded.describe());
        if state.routes.is_empty() {
            message.push_str("; there are no routes");
        } else {
            message.push_str("; routes:");
            for (i, entry) in state.routes.iter().enumerate() {
                let used = if entry.available() { "" } else { " [used up]" };
                message.push_str(&format!("\n  {}. {}{used}", i + 1, entry.route.describe()));
            }
        }
        state.unmatched.push(message.clone());
        Err(Error::new(ErrorKind::Transport, message).with_temporary(false))
    }
}

/// Splits a query string into decoded pairs (`+` is a space; a key without `=` has an empty
/// value).
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); malformed escapes are
/// kept as they are.
fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("a%20b+c", false), "a b+c");
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(percent_decode("%zz%4", false), "%zz%4");
        assert_eq!(percent_decode("%C3%BC", false), "\u{fc}");
        assert_eq!(
            parse_query("a=1&b&c=x%3Dy&&d=e+f"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "x=y".into()),
                ("d".into(), "e f".into())
            ]
        );
    }
}
