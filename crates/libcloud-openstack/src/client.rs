//! What OpenStack's own drivers share on top of [`rest`](crate::rest): request ids, JSON
//! bodies, and the one `parse_error` that turns a failed answer into a libcloud [`Error`].

use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use libcloud_core::transport::Request;
use libcloud_core::{Error, ErrorKind, ResourceKind, Result};
use serde_json::Value;

use libcloud_core::transport::retry_after;

use crate::rest::{Reply, ServiceClient, clip, strip_tags};

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

impl ServiceClient {
    /// Sends a request and reads the whole answer (up to [`BODY_LIMIT`]); a status other than
    /// 2xx becomes the error [`parse_error`] makes of it.
    pub(crate) async fn call(&self, request: Request, target: &Target) -> Result<Reply> {
        self.call_with(
            request,
            target.operation,
            BODY_LIMIT,
            |status, headers, body| parse_error(status, headers, body, target),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http::HeaderValue;
    use http::header::RETRY_AFTER;

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
}
