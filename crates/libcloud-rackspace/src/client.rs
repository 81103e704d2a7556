//! Plumbing the Rackspace-only services (Cloud Load Balancers, Cloud DNS, the Cloud Files CDN)
//! share: the session and endpoint, URL encoding, and the one `parse_error` that turns a failed
//! answer into a libcloud [`Error`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, Method};
use libcloud_core::transport::{Operation, Request, Response};
use libcloud_core::{Body, Error, ErrorKind, ResourceKind, Result};
use libcloud_openstack::{EndpointFilter, Session};
use serde_json::Value;

/// The provider name errors carry.
pub(crate) const PROVIDER: &str = "rackspace";

/// The most of a JSON or error body the drivers read into memory.
pub(crate) const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// What a request is about, so that errors say which resource was missing or in conflict.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The libcloud operation (`get_balancer`).
    pub(crate) operation: &'static str,
    /// The resource a 404 is about.
    pub(crate) kind: ResourceKind,
    /// Its name or id.
    pub(crate) id: String,
    /// What a 409 means here.
    pub(crate) conflict: Option<(ResourceKind, String)>,
}

impl Target {
    pub(crate) fn new(operation: &'static str, kind: ResourceKind, id: impl Into<String>) -> Self {
        Target {
            operation,
            kind,
            id: id.into(),
            conflict: None,
        }
    }

    /// A 409 means the named resource exists already.
    pub(crate) fn conflict_is(mut self, kind: ResourceKind, id: impl Into<String>) -> Self {
        self.conflict = Some((kind, id.into()));
        self
    }
}

/// The code that marks a Cloud Load Balancers refusal because the balancer is busy (HTTP 422:
/// it is being built or updated and is "considered immutable").
pub const IMMUTABLE_CODE: &str = "immutable";

/// A Rackspace service's answer to a failed request, as a libcloud [`Error`].
///
/// The message comes from the JSON bodies the services send: `{"message": ..., "code": 404,
/// "details": ...}`, the same wrapped in one key (`{"itemNotFound": {...}}`,
/// `{"overLimit": {...}}`), or `{"validationErrors": {"messages": [...]}}`, which becomes
/// `Validation errors: ...` as in Libcloud. By status: 400 is `InvalidInput`, 401
/// `InvalidCredentials`, 403 `PermissionDenied`, 404 `NotFound` of the target, 409
/// `AlreadyExists` where the target says what would exist (a `Provider` error otherwise), 413
/// `RateLimited` when the body says `overLimit` (with its `retryAfter`) and `InvalidInput`
/// otherwise, 422 a temporary `Provider` error with code [`IMMUTABLE_CODE`], 429
/// `RateLimited` with `Retry-After`, 5xx a temporary `Provider` error, and anything else a
/// `Provider` error with the status as its code.
pub(crate) fn parse_error(status: u16, headers: &HeaderMap, body: &[u8], target: &Target) -> Error {
    let described = describe_body(body);
    let retry_after = retry_after(headers).or(described.retry_after);
    let mut err = match status {
        400 => Error::bare(ErrorKind::InvalidInput),
        401 => Error::bare(ErrorKind::InvalidCredentials),
        403 => Error::bare(ErrorKind::PermissionDenied),
        404 => Error::not_found(target.kind, target.id.clone()),
        409 => match &target.conflict {
            Some((kind, id)) => Error::already_exists(*kind, id.clone()),
            None => Error::bare(ErrorKind::Provider {
                code: described.code.clone().unwrap_or_else(|| "409".into()),
            }),
        },
        413 if described.over_limit => Error::bare(ErrorKind::RateLimited { retry_after }),
        413 => Error::bare(ErrorKind::InvalidInput),
        422 => Error::bare(ErrorKind::Provider {
            code: IMMUTABLE_CODE.into(),
        })
        .with_temporary(true),
        429 => Error::bare(ErrorKind::RateLimited { retry_after }),
        s => Error::bare(ErrorKind::Provider {
            code: described.code.clone().unwrap_or_else(|| s.to_string()),
        })
        .with_temporary(s >= 500),
    };
    if let Some(message) = described.message {
        err = err.with_message(message);
    }
    if let Some(id) = request_id(headers) {
        err = err.with_request_id(id);
    }
    err.with_provider(PROVIDER)
        .with_operation(target.operation)
        .with_status(status)
}

/// What could be read from an error body.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Described {
    /// The wrapping key (`itemNotFound`), as a code name.
    pub(crate) code: Option<String>,
    /// The message, with the details and validation messages.
    pub(crate) message: Option<String>,
    /// `retryAfter`, in seconds.
    pub(crate) retry_after: Option<Duration>,
    /// The body says `overLimit`.
    pub(crate) over_limit: bool,
}

/// Reads the message of an error body (JSON as Rackspace sends it, or text).
pub(crate) fn describe_body(body: &[u8]) -> Described {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return Described::default();
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return Described {
            message: Some(clip(&strip_tags(text))),
            ..Described::default()
        };
    };
    // {"itemNotFound": {...}} wraps the fields; {"message": ..., "code": ...} does not.
    let (code, inner) = match map.iter().next() {
        Some((name, Value::Object(inner)))
            if map.len() == 1 && !matches!(name.as_str(), "validationErrors") =>
        {
            (Some(name.clone()), inner)
        }
        _ => (None, &map),
    };
    Described {
        over_limit: code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("overLimit")),
        code,
        message: message_of(inner).map(|m| clip(&m)),
        retry_after: inner
            .get("retryAfter")
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()))
            .map(Duration::from_secs),
    }
}

/// The message of an error object: validation messages, else `message` and `details`.
pub(crate) fn message_of(map: &serde_json::Map<String, Value>) -> Option<String> {
    let validation: Vec<&str> = map
        .get("validationErrors")
        .and_then(|v| v.get("messages"))
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !validation.is_empty() {
        return Some(format!("Validation errors: {}", validation.join("; ")));
    }
    let message = map
        .get("message")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let details = map
        .get("details")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|d| !d.is_empty());
    match (message, details) {
        (Some(m), Some(d)) if m != d => Some(format!("{m}: {d}")),
        (Some(m), _) => Some(m.to_string()),
        (None, Some(d)) => Some(d.to_string()),
        (None, None) => None,
    }
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

/// The request id a Rackspace service put in its answer.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    [
        "x-response-id",
        "x-compute-request-id",
        "x-trans-id",
        "x-request-id",
    ]
    .iter()
    .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
    .map(str::to_string)
}

/// At most 300 characters of a message, for errors.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// Parses a JSON body, or says what was wrong with it.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    operation: &'static str,
) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Error::malformed(format!(
            "the answer is not what was expected: {e}: {}",
            clip(&String::from_utf8_lossy(body))
        ))
        .with_provider(PROVIDER)
        .with_operation(operation)
    })
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

/// Builds `base` + `/` + `path` + `?query`, with the query values encoded.
pub(crate) fn join_url(base: &str, path: &str, query: &[(&str, &str)]) -> String {
    let mut url = base.trim_end_matches('/').to_string();
    if !path.is_empty() {
        url.push('/');
        url.push_str(path.trim_start_matches('/'));
    }
    for (i, (k, v)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&encode(k, false));
        url.push('=');
        url.push_str(&encode(v, false));
    }
    url
}

/// Checks that a service URL is an absolute `http(s)` URL without a query; returns it
/// without trailing slashes.
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

/// The scheme and authority of a URL (`https://dns.api.rackspacecloud.com`), for comparing
/// origins.
pub(crate) fn origin(url: &str) -> Option<String> {
    let uri: http::Uri = url.trim().parse().ok()?;
    Some(format!(
        "{}://{}",
        uri.scheme_str()?.to_ascii_lowercase(),
        uri.authority()?.as_str().to_ascii_lowercase()
    ))
}

/// A request to `url` with `body` (JSON when given) and the usual JSON headers.
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
        .map_err(|e| {
            Error::invalid_input(format!("cannot build a request for {}", clip(url)))
                .with_source(e)
                .with_provider(PROVIDER)
        })
}

/// A successful answer, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// One Rackspace service: the session, and how its base URL is found (a fixed endpoint, or the
/// catalog of the current token).
#[derive(Debug, Clone)]
pub(crate) struct ServiceClient {
    session: Arc<Session>,
    filter: EndpointFilter,
    endpoint: Option<String>,
}

impl ServiceClient {
    pub(crate) fn new(
        session: Arc<Session>,
        filter: EndpointFilter,
        endpoint: Option<&String>,
    ) -> Result<Self> {
        let endpoint = endpoint
            .map(|e| check_base_url(e, "endpoint"))
            .transpose()?;
        Ok(ServiceClient {
            session,
            filter,
            endpoint,
        })
    }

    pub(crate) fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The base URL of the service, without a trailing slash.
    pub(crate) async fn base(&self) -> Result<String> {
        match &self.endpoint {
            Some(url) => Ok(url.clone()),
            None => {
                let endpoint = self.session.endpoint(&self.filter).await.map_err(relabel)?;
                check_base_url(&endpoint.url, "catalog endpoint")
            }
        }
    }

    /// Sends a request through the session (token, renewal on 401); any status comes back.
    pub(crate) async fn send(
        &self,
        mut request: Request,
        operation: &'static str,
    ) -> Result<Response> {
        request.extensions_mut().insert(Operation(operation.into()));
        self.session
            .send(request)
            .await
            .map_err(|e| relabel(e).with_operation(operation))
    }

    /// Sends a request and reads the whole answer; a status other than 2xx becomes the error
    /// [`parse_error`] makes of it.
    pub(crate) async fn call(&self, request: Request, target: &Target) -> Result<Reply> {
        let response = self.send(request, target.operation).await?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect(BODY_LIMIT)
            .await
            .map_err(|e| relabel(e).with_operation(target.operation))?;
        let status = parts.status.as_u16();
        if !parts.status.is_success() {
            return Err(parse_error(status, &parts.headers, &body, target));
        }
        Ok(Reply {
            headers: parts.headers,
            body,
        })
    }

    /// A `GET` of JSON.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        target: &Target,
    ) -> Result<T> {
        let reply = self
            .call(json_request(Method::GET, url, None)?, target)
            .await?;
        parse_json(&reply.body, target.operation)
    }
}

/// Marks an error from the OpenStack layer as this provider's.
pub(crate) fn relabel(err: Error) -> Error {
    err.with_provider(PROVIDER)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http::HeaderValue;

    fn target() -> Target {
        Target::new("get_balancer", ResourceKind::LoadBalancer, "8290")
    }

    #[test]
    fn plain_and_wrapped_errors() {
        let err = parse_error(
            404,
            &HeaderMap::new(),
            br#"{"message": "Load balancer not found", "code": 404}"#,
            &target(),
        );
        assert_eq!(
            *err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::LoadBalancer,
                id: "8290".into()
            }
        );
        assert_eq!(err.message(), Some("Load balancer not found"));
        assert_eq!(err.provider(), Some("rackspace"));
        assert_eq!(err.operation(), Some("get_balancer"));

        let err = parse_error(
            401,
            &HeaderMap::new(),
            br#"{"unauthorized":{"message":"Username or api key is invalid","code":401}}"#,
            &target(),
        );
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
        assert_eq!(err.message(), Some("Username or api key is invalid"));

        let err = parse_error(
            413,
            &HeaderMap::new(),
            br#"{"overLimit": {"code": 413, "message": "slow down", "retryAfter": "12"}}"#,
            &target(),
        );
        assert_eq!(err.retry_after(), Some(Duration::from_secs(12)));
        assert!(err.is_temporary());
    }

    #[test]
    fn validation_details_and_immutable() {
        let err = parse_error(
            400,
            &HeaderMap::new(),
            br#"{"validationErrors":{"messages":["Domain TTL is required and must be greater than or equal to 300"]},"code":400}"#,
            &target(),
        );
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            err.message(),
            Some(
                "Validation errors: Domain TTL is required and must be greater than or equal to 300"
            )
        );
        let err = parse_error(
            404,
            &HeaderMap::new(),
            br#"{"message":"Object not Found.","code":404,"details":"No such domain"}"#,
            &target(),
        );
        assert_eq!(err.message(), Some("Object not Found.: No such domain"));
        let err = parse_error(
            422,
            &HeaderMap::new(),
            br#"{"message":"Load Balancer '8290' has a status of 'BUILD' and is considered immutable.","code":422}"#,
            &target(),
        );
        assert_eq!(
            *err.kind(),
            ErrorKind::Provider {
                code: IMMUTABLE_CODE.into()
            }
        );
        assert!(err.is_temporary());
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("4"));
        let err = parse_error(429, &headers, b"", &target());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(4)));
        let err = parse_error(409, &HeaderMap::new(), b"", &target());
        assert_eq!(*err.kind(), ErrorKind::Provider { code: "409".into() });
        let err = parse_error(
            409,
            &HeaderMap::new(),
            b"",
            &target().conflict_is(ResourceKind::Zone, "example.com"),
        );
        assert!(matches!(err.kind(), ErrorKind::AlreadyExists { .. }));
        let err = parse_error(502, &HeaderMap::new(), b"<h1>Bad gateway</h1>", &target());
        assert!(err.is_temporary());
        assert_eq!(err.message(), Some("Bad gateway"));
    }

    #[test]
    fn urls() {
        assert_eq!(encode("a b/c+d", true), "a%20b/c%2Bd");
        assert_eq!(
            join_url(
                "http://h/v1.0/1/",
                "domains",
                &[("limit", "100"), ("offset", "0")]
            ),
            "http://h/v1.0/1/domains?limit=100&offset=0"
        );
        assert_eq!(
            check_base_url("http://h:1/x/", "e").unwrap(),
            "http://h:1/x"
        );
        for bad in ["", "h/x", "ftp://h/", "http://h/?a=b", "http:///x"] {
            assert!(check_base_url(bad, "e").is_err(), "{bad}");
        }
        assert_eq!(
            origin("HTTPS://Dns.Example.com:443/v1.0/1/status/x").as_deref(),
            Some("https://dns.example.com:443")
        );
        assert_eq!(origin("/relative"), None);
    }
}
