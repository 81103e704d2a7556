//! Plumbing every OpenStack request shares: URL encoding, reading bodies, request ids, and the
//! one `parse_error` that turns a failed answer into a libcloud [`Error`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, Method};
use libcloud_core::transport::{Operation, Request, Response};
use libcloud_core::{Body, Error, ErrorKind, ResourceKind, Result};
use serde_json::Value;

use crate::config::OpenStackConfig;
use crate::identity::{Endpoint, EndpointFilter, Session};

/// The provider name errors carry.
pub(crate) const PROVIDER: &str = "openstack";

/// The most of a JSON or error body the drivers read into memory.
pub(crate) const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// What a request is about, so that errors say which resource was missing or in conflict.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The libcloud operation (`get_node`).
    pub(crate) operation: &'static str,
    /// The resource a 404 is about.
    pub(crate) kind: ResourceKind,
    /// Its name or id.
    pub(crate) id: String,
    /// What a 409 means here: `AlreadyExists` or `NotEmpty` of a resource.
    pub(crate) conflict: Conflict,
}

/// How a `409 Conflict` is read for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conflict {
    /// A provider error (a server in the wrong state, say).
    Other,
    /// The named resource exists already.
    AlreadyExists(ResourceKind, String),
    /// The named resource still holds others.
    NotEmpty(ResourceKind, String),
}

impl Target {
    pub(crate) fn new(operation: &'static str, kind: ResourceKind, id: impl Into<String>) -> Self {
        Target {
            operation,
            kind,
            id: id.into(),
            conflict: Conflict::Other,
        }
    }

    pub(crate) fn on_conflict(mut self, conflict: Conflict) -> Self {
        self.conflict = conflict;
        self
    }
}

/// The request id an OpenStack service put in its answer.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    [
        "x-openstack-request-id",
        "x-compute-request-id",
        "x-trans-id",
        "x-request-id",
    ]
    .iter()
    .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
    .map(str::to_string)
}

/// Parses a JSON body, or says what was wrong with it.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Error::malformed(format!(
            "{what}: {e}: {}",
            clip(&String::from_utf8_lossy(body))
        ))
        .with_provider(PROVIDER)
    })
}

/// An OpenStack service's answer to a failed request, as a libcloud [`Error`].
///
/// The message comes from the JSON error body Nova and Keystone send
/// (`{"itemNotFound": {"message": ..., "code": 404}}`, `{"error": {"message": ...}}`) or from the
/// text Swift sends (HTML tags stripped). By status: 400 and 411-416 are `InvalidInput`, 401
/// `InvalidCredentials`, 403 `PermissionDenied` (or `RateLimited` when the body says
/// `overLimit`), 404 `NotFound` of the target, 409 what the target says a conflict means, 413
/// `RateLimited` for `overLimit` bodies and `InvalidInput` otherwise, 422 (Swift's answer to an
/// ETag that does not match the data) `HashMismatch`, 429 and 498 `RateLimited` with
/// `Retry-After`, and anything else a `Provider` error, temporary for 5xx.
pub(crate) fn parse_error(
    status: u16,
    headers: &HeaderMap,
    body: &Bytes,
    target: &Target,
) -> Error {
    let (code_name, message, retry_hint) = describe_body(body);
    let over_limit = code_name
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("overLimit"));
    let retry_after = retry_after(headers).or(retry_hint);
    let mut err = match status {
        400 | 411 | 412 | 414 | 415 | 416 => Error::bare(ErrorKind::InvalidInput),
        401 => Error::bare(ErrorKind::InvalidCredentials),
        403 | 413 if over_limit => Error::bare(ErrorKind::RateLimited { retry_after }),
        403 => Error::bare(ErrorKind::PermissionDenied),
        404 => Error::not_found(target.kind, target.id.clone()),
        409 => match &target.conflict {
            Conflict::AlreadyExists(kind, id) => Error::already_exists(*kind, id.clone()),
            Conflict::NotEmpty(kind, id) => Error::not_empty(*kind, id.clone()),
            Conflict::Other => Error::bare(ErrorKind::Provider {
                code: code_name.clone().unwrap_or_else(|| "409".into()),
            }),
        },
        413 => Error::bare(ErrorKind::InvalidInput),
        422 => Error::bare(ErrorKind::HashMismatch {
            expected: "the ETag sent".into(),
            actual: "the MD5 the server computed".into(),
        }),
        429 | 498 => Error::bare(ErrorKind::RateLimited { retry_after }),
        s => Error::bare(ErrorKind::Provider {
            code: code_name.clone().unwrap_or_else(|| s.to_string()),
        })
        .with_temporary(s >= 500),
    };
    if let Some(message) = message {
        err = err.with_message(message);
    }
    if let Some(id) = request_id(headers) {
        err = err.with_request_id(id);
    }
    err.with_provider(PROVIDER)
        .with_operation(target.operation)
        .with_status(status)
}

/// The error code name, message and `retryAfter` of an error body, as far as they can be read.
fn describe_body(body: &[u8]) -> (Option<String>, Option<String>, Option<Duration>) {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return (None, None, None);
    }
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) {
        // {"itemNotFound": {"message": ..., "code": 404}} or {"error": {...}}
        if map.len() == 1
            && let Some((name, Value::Object(inner))) = map.iter().next()
        {
            let message = inner
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    inner
                        .get("title")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
            let retry = inner
                .get("retryAfter")
                .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
                .map(Duration::from_secs);
            let code = (name != "error").then(|| name.clone());
            return (code, message.map(|m| clip(&m)), retry);
        }
        if let Some(message) = map.get("message").and_then(Value::as_str) {
            return (None, Some(clip(message)), None);
        }
        return (None, Some(clip(text)), None);
    }
    (None, Some(clip(&strip_tags(text))), None)
}

/// Text with HTML tags removed and runs of white space collapsed.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// At most 300 characters of a message, for errors.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (and `/` when `keep_slash`).
pub(crate) fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds `base` + `/` + `path` + `?query`, with `base`'s trailing slashes removed and the
/// query values encoded.
pub(crate) fn join_url(base: &str, path: &str, query: &[(&str, &str)]) -> String {
    let mut url = base.trim_end_matches('/').to_string();
    if !path.is_empty() {
        url.push('/');
        url.push_str(path.trim_start_matches('/'));
    }
    for (i, (k, v)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&encode(k, false));
        if !v.is_empty() {
            url.push('=');
            url.push_str(&encode(v, false));
        }
    }
    url
}

/// Checks that a service URL is an absolute `http(s)` URL without a query.
pub(crate) fn check_base_url(url: &str, what: &str) -> Result<String> {
    let bad = |why: &str| {
        Err(Error::invalid_input(format!("{what} {url:?} {why}")).with_provider(PROVIDER))
    };
    let trimmed = url.trim();
    let Ok(uri) = trimmed.parse::<http::Uri>() else {
        return bad("is not a URL");
    };
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return bad("must start with http:// or https://");
    }
    if uri.host().is_none_or(str::is_empty) {
        return bad("has no host");
    }
    if uri.query().is_some() || trimmed.contains('#') {
        return bad("must not have a query or fragment");
    }
    Ok(trimmed.trim_end_matches('/').to_string())
}

/// The plumbing a driver of one OpenStack service shares: the session, and how its base URL
/// is found (a fixed endpoint, or the catalog of the current token).
#[derive(Debug, Clone)]
pub(crate) struct ServiceClient {
    session: Arc<Session>,
    filter: EndpointFilter,
    endpoint: Option<String>,
}

/// A successful answer, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl ServiceClient {
    /// A client for the service `default_type` (unless the config names another type), on
    /// `session`.
    pub(crate) fn new(
        session: Arc<Session>,
        config: &OpenStackConfig,
        default_type: &str,
    ) -> Result<Self> {
        let endpoint = config
            .endpoint
            .as_deref()
            .map(|e| check_base_url(e, "endpoint"))
            .transpose()?;
        let mut filter = EndpointFilter::new(
            config
                .service_type
                .clone()
                .unwrap_or_else(|| default_type.to_string()),
        )
        .with_interface(config.interface);
        filter.name = config.service_name.clone();
        filter.region = config.region.clone();
        Ok(ServiceClient {
            session,
            filter,
            endpoint,
        })
    }

    pub(crate) fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The service's endpoint: the fixed one, or the catalog's.
    pub(crate) async fn endpoint(&self) -> Result<Endpoint> {
        match &self.endpoint {
            Some(url) => Ok(Endpoint {
                url: url.clone(),
                region: self.filter.region.clone(),
                interface: self.filter.interface,
            }),
            None => {
                let endpoint = self.session.endpoint(&self.filter).await?;
                Ok(Endpoint {
                    url: check_base_url(&endpoint.url, "catalog endpoint")?,
                    ..endpoint
                })
            }
        }
    }

    /// The base URL of the service, without a trailing slash.
    pub(crate) async fn base(&self) -> Result<String> {
        Ok(self.endpoint().await?.url)
    }

    /// Sends a request through the session (token, renewal on 401) and returns the response
    /// whatever its status.
    pub(crate) async fn send(
        &self,
        mut request: Request,
        operation: &'static str,
    ) -> Result<Response> {
        request.extensions_mut().insert(Operation(operation.into()));
        self.session
            .send(request)
            .await
            .map_err(|e| e.or_provider(PROVIDER).or_operation(operation))
    }

    /// Sends a request and reads the whole answer; a status other than 2xx becomes the error
    /// [`parse_error`] makes of it.
    pub(crate) async fn call(&self, request: Request, target: &Target) -> Result<Reply> {
        let response = self.send(request, target.operation).await?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect(BODY_LIMIT)
            .await
            .map_err(|e| e.or_provider(PROVIDER).or_operation(target.operation))?;
        let status = parts.status.as_u16();
        if !parts.status.is_success() {
            return Err(parse_error(status, &parts.headers, &body, target));
        }
        Ok(Reply {
            status,
            headers: parts.headers,
            body,
        })
    }
}

/// A request to `url` with `body` (JSON when it is a value) and the usual JSON headers.
pub(crate) fn json_request(method: Method, url: &str, body: Option<&Value>) -> Result<Request> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(url)
        .header(ACCEPT, "application/json");
    if body.is_some() {
        builder = builder.header(CONTENT_TYPE, "application/json");
    }
    builder
        .body(body.map(|b| Body::from(b.to_string())).unwrap_or_default())
        .map_err(|e| bad_request(url, e))
}

/// The error for a request that could not be built (a URL with bad characters).
pub(crate) fn bad_request(url: &str, source: http::Error) -> Error {
    Error::invalid_input(format!("cannot build a request for {}", clip(url)))
        .with_source(source)
        .with_provider(PROVIDER)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http::HeaderValue;

    fn target() -> Target {
        Target::new("get_node", ResourceKind::Node, "abc")
    }

    #[test]
    fn nova_json_errors() {
        let body = Bytes::from_static(
            br#"{"itemNotFound": {"message": "Instance could not be found", "code": 404}}"#,
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-compute-request-id", HeaderValue::from_static("req-1"));
        let err = parse_error(404, &headers, &body, &target());
        assert_eq!(
            *err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::Node,
                id: "abc".into()
            }
        );
        assert_eq!(err.message(), Some("Instance could not be found"));
        assert_eq!(err.request_id(), Some("req-1"));
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.provider(), Some("openstack"));

        let body = Bytes::from_static(
            br#"{"overLimit": {"message": "slow down", "code": 413, "retryAfter": "7"}}"#,
        );
        let err = parse_error(413, &HeaderMap::new(), &body, &target());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));

        let body = Bytes::from_static(br#"{"badRequest": {"message": "bad flavor", "code": 400}}"#);
        let err = parse_error(400, &HeaderMap::new(), &body, &target());
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.message(), Some("bad flavor"));

        let err = parse_error(409, &HeaderMap::new(), &Bytes::new(), &target());
        assert_eq!(*err.kind(), ErrorKind::Provider { code: "409".into() });
        let err = parse_error(503, &HeaderMap::new(), &Bytes::new(), &target());
        assert!(err.is_temporary());
    }

    #[test]
    fn swift_text_errors_and_conflicts() {
        let body = Bytes::from_static(
            b"<html><h1>Conflict</h1><p>There was a conflict when trying to complete your request.</p></html>",
        );
        let t = Target::new("delete_container", ResourceKind::Container, "c")
            .on_conflict(Conflict::NotEmpty(ResourceKind::Container, "c".into()));
        let err = parse_error(409, &HeaderMap::new(), &body, &t);
        assert!(matches!(err.kind(), ErrorKind::NotEmpty { .. }));
        assert_eq!(
            err.message(),
            Some("Conflict There was a conflict when trying to complete your request.")
        );
        let err = parse_error(422, &HeaderMap::new(), &Bytes::new(), &t);
        assert!(matches!(err.kind(), ErrorKind::HashMismatch { .. }));
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        let err = parse_error(498, &headers, &Bytes::new(), &t);
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn keystone_errors() {
        let body = Bytes::from_static(
            br#"{"error": {"message": "The request you have made requires authentication.", "code": 401, "title": "Unauthorized"}}"#,
        );
        let err = parse_error(401, &HeaderMap::new(), &body, &target());
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
        assert!(err.message().unwrap().contains("requires authentication"));
    }

    #[test]
    fn urls() {
        assert_eq!(encode("a b/c+d", true), "a%20b/c%2Bd");
        assert_eq!(encode("a b/c", false), "a%20b%2Fc");
        assert_eq!(
            join_url(
                "http://h/v1/AUTH_x/",
                "c",
                &[("format", "json"), ("marker", "a b")]
            ),
            "http://h/v1/AUTH_x/c?format=json&marker=a%20b"
        );
        assert_eq!(
            check_base_url("http://h:1/x/", "e").unwrap(),
            "http://h:1/x"
        );
        for bad in ["", "h/x", "ftp://h/", "http://h/?a=b", "http:///x"] {
            assert!(check_base_url(bad, "e").is_err(), "{bad}");
        }
    }
}
