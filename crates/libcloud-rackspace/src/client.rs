//! Plumbing the Rackspace-only services (Cloud Load Balancers, Cloud DNS, the Cloud Files CDN)
//! share: OpenStack's [`rest`] plumbing (the session and endpoint, URL encoding) with errors
//! named `rackspace`, and the one `parse_error` that turns a failed answer into a libcloud
//! [`Error`].

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, Method};
use libcloud_core::transport::Request;
use libcloud_core::transport::retry_after;
use libcloud_core::{Error, ErrorKind, ResourceKind, Result};
use libcloud_openstack::rest::{self, strip_tags};
use libcloud_openstack::{OpenStackConfig, Session};
use serde_json::Value;

pub(crate) use libcloud_core::transport::percent_encode as encode;
pub(crate) use libcloud_openstack::rest::{Reply, clip, join_url};

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

/// A request to `url` with `body` (JSON when given) and the usual JSON headers; see
/// [`rest::json_request`].
pub(crate) fn json_request(method: Method, url: &str, body: Option<&Value>) -> Result<Request> {
    rest::json_request(method, url, body).map_err(relabel)
}

/// One Rackspace service: OpenStack's [`rest::ServiceClient`] (the session, and the base URL
/// from a fixed endpoint or the catalog of the current token), with errors named `rackspace`
/// and failed answers read by [`parse_error`].
#[derive(Debug, Clone)]
pub(crate) struct ServiceClient(rest::ServiceClient);

impl ServiceClient {
    /// A client for the service `service` names (as `RackspaceConfig::service` makes it),
    /// whose type is `service_type`.
    pub(crate) fn new(
        session: Arc<Session>,
        service: &OpenStackConfig,
        service_type: &str,
    ) -> Result<Self> {
        rest::ServiceClient::from_config(session, service, service_type)
            .map(ServiceClient)
            .map_err(relabel)
    }

    pub(crate) fn session(&self) -> &Arc<Session> {
        self.0.session()
    }

    /// The base URL of the service, without a trailing slash.
    pub(crate) async fn base(&self) -> Result<String> {
        self.0.base().await.map_err(relabel)
    }

    /// Sends a request and reads the whole answer (up to [`BODY_LIMIT`]); a status other than
    /// 2xx becomes the error [`parse_error`] makes of it.
    pub(crate) async fn call(&self, request: Request, target: &Target) -> Result<Reply> {
        self.0
            .call_with(
                request,
                target.operation,
                BODY_LIMIT,
                |status, headers, body| parse_error(status, headers, body, target),
            )
            .await
            .map_err(|e| relabel(e).with_operation(target.operation))
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
    use http::header::RETRY_AFTER;
    use libcloud_openstack::rest::check_base_url;

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
