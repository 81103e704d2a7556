//! Requests to Zerigo: URLs, Basic authentication, sending, and the one `parse_error`.

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method};
use libcloud_core::transport::{self, Operation, retry_after};
use libcloud_core::{Body, Error, ErrorKind, ResourceKind, Result, Transport};

use crate::config::ZerigoConfig;
use crate::xml;

/// The provider name errors carry.
pub(crate) const PROVIDER: &str = "zerigo";

/// The most response body the driver reads into memory.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The content type of request and response bodies.
const XML: &str = "application/xml";

/// What a request is about, so that errors can say which resource was not found.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The libcloud operation (`get_zone`).
    pub(crate) operation: &'static str,
    /// The resource kind a 404 is about.
    pub(crate) kind: ResourceKind,
    /// The id (or name) a 404 is about.
    pub(crate) id: String,
    /// What a "name is taken" conflict is about, when not the same as a 404.
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

    /// Says that a conflict is about `kind` named `id` (a record, where a 404 is about its
    /// zone).
    pub(crate) fn on_conflict(mut self, kind: ResourceKind, id: impl Into<String>) -> Self {
        self.conflict = Some((kind, id.into()));
        self
    }
}

/// A successful response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// The shared plumbing of every Zerigo request.
#[derive(Clone)]
pub(crate) struct Client {
    transport: Transport,
    base: String,
    authorization: HeaderValue,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new(config: &ZerigoConfig, transport: Transport) -> Result<Self> {
        let base = normalize_endpoint(&config.endpoint)?;
        if config.email.is_empty() || config.email.contains(':') {
            return Err(Error::invalid_input(
                "the Zerigo e-mail address must be non-empty and must not contain ':'",
            )
            .with_provider(PROVIDER));
        }
        let token = base64(format!("{}:{}", config.email, config.api_key.expose()).as_bytes());
        let mut authorization = HeaderValue::from_str(&format!("Basic {token}"))
            .map_err(|_| Error::invalid_input("credentials are not valid header text"))?;
        authorization.set_sensitive(true);
        Ok(Client {
            transport,
            base,
            authorization,
        })
    }

    /// The base URL, ending in `/`.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The full URL of `path` (relative to the base) with `query`.
    pub(crate) fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut url = format!("{}{}", self.base, path);
        if !query.is_empty() {
            url.push('?');
            let pairs: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            url.push_str(&pairs.join("&"));
        }
        url
    }

    /// Sends one request and returns the response when its status is 2xx; any other status
    /// becomes the error [`parse_error`] makes of it.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<String>,
        target: &Target,
    ) -> Result<Reply> {
        let url = self.url(path, query);
        let mut builder = http::Request::builder()
            .method(method)
            .uri(&url)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, XML);
        if body.is_some() {
            builder = builder.header(CONTENT_TYPE, "application/xml; charset=UTF-8");
        }
        let mut request = builder
            .body(body.map(Body::from).unwrap_or_default())
            .map_err(|e| {
                Error::invalid_input(format!("cannot build a request for {path:?}"))
                    .with_source(e)
                    .with_provider(PROVIDER)
                    .with_operation(target.operation)
            })?;
        request
            .extensions_mut()
            .insert(Operation(target.operation.into()));
        let response =
            transport::send_and_read(&self.transport, request, BODY_LIMIT, PROVIDER).await?;
        let (parts, body) = response.into_parts();
        let status = parts.status.as_u16();
        if !parts.status.is_success() {
            return Err(parse_error(status, &parts.headers, &body, target));
        }
        Ok(Reply {
            headers: parts.headers,
            body,
        })
    }
}

/// Checks an endpoint ([`transport::check_base_url`]) and gives it a trailing `/`.
pub(crate) fn normalize_endpoint(endpoint: &str) -> Result<String> {
    let mut base = transport::check_base_url(endpoint, "endpoint")
        .map_err(|e| e.with_provider(PROVIDER))?
        .to_string();
    if !base.ends_with('/') {
        base.push('/');
    }
    Ok(base)
}

/// Zerigo's answer to a failed request, as a libcloud [`Error`].
///
/// 401 is `InvalidCredentials`; 404 is `NotFound` of the target; 422 carries Zerigo's list of
/// validation messages, as `AlreadyExists` of the target when one says the name is taken and as
/// `InvalidInput` otherwise (an unreadable 422 body is `MalformedResponse`); 429 is
/// `RateLimited` with `Retry-After`; anything else goes by status (403 `PermissionDenied`, 5xx a
/// temporary `Provider` error), with the messages of an `<errors>` body when there is one.
pub(crate) fn parse_error(status: u16, headers: &HeaderMap, body: &[u8], target: &Target) -> Error {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let err = match status {
        401 => {
            let message = if text.is_empty() || text.starts_with('<') {
                "the e-mail address or API key was refused".to_string()
            } else {
                clip(text)
            };
            Error::new(ErrorKind::InvalidCredentials, message)
        }
        404 => Error::not_found(target.kind, target.id.clone()),
        422 => match xml::parse_errors(body) {
            Ok(messages) if messages.iter().any(|m| says_taken(m)) => {
                let (kind, id) = target
                    .conflict
                    .clone()
                    .unwrap_or_else(|| (target.kind, target.id.clone()));
                Error::already_exists(kind, id).with_message(messages.join("; "))
            }
            Ok(messages) if !messages.is_empty() => Error::invalid_input(messages.join("; ")),
            Ok(_) => Error::invalid_input("Zerigo refused the request without saying why"),
            Err(e) => e.with_message(format!(
                "a 422 answer that is not a list of errors: {}",
                clip(text)
            )),
        },
        429 => Error::bare(ErrorKind::RateLimited {
            retry_after: retry_after(headers),
        }),
        _ => {
            let err = Error::from_status(status, target.kind, target.id.clone());
            match xml::parse_errors(body) {
                Ok(messages) if !messages.is_empty() => err.with_message(messages.join("; ")),
                _ if !text.is_empty() && !text.starts_with('<') => err.with_message(clip(text)),
                _ => err,
            }
        }
    };
    err.with_provider(PROVIDER)
        .with_operation(target.operation)
        .with_status(status)
}

/// Whether a validation message says the name or domain is in use already.
fn says_taken(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("already been taken") || m.contains("already exists") || m.contains("is taken")
}

/// At most 300 characters of a message, for errors.
fn clip(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// Percent-encodes one path segment or query name or value ([`transport::percent_encode`]).
pub(crate) fn encode(text: &str) -> String {
    transport::percent_encode(text, false)
}

/// Standard base64 with padding, for the Basic authorization header.
pub(crate) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| ALPHABET[((n >> shift) & 0x3f) as usize] as char;
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http::header::RETRY_AFTER;
    use std::time::Duration;

    fn target() -> Target {
        Target::new("create_zone", ResourceKind::Zone, "example.com")
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn encoding_keeps_unreserved_characters_only() {
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(encode("a b/c?d&e=é"), "a%20b%2Fc%3Fd%26e%3D%C3%A9");
    }

    #[test]
    fn endpoints_are_checked_and_get_a_trailing_slash() {
        assert_eq!(
            normalize_endpoint("http://localhost:8080/api/1.1").unwrap(),
            "http://localhost:8080/api/1.1/"
        );
        assert_eq!(
            normalize_endpoint(crate::DEFAULT_ENDPOINT).unwrap(),
            crate::DEFAULT_ENDPOINT
        );
        for bad in [
            "",
            "ns.zerigo.com/api/1.1/",
            "ftp://h/",
            "http://h/?x=1",
            "http:///x",
            "http://h/#f",
        ] {
            let err = normalize_endpoint(bad).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn maps_statuses_to_kinds() {
        let h = HeaderMap::new();
        let err = parse_error(401, &h, b"", &target());
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
        assert_eq!(err.status(), Some(401));
        assert_eq!(err.provider(), Some("zerigo"));
        assert_eq!(err.operation(), Some("create_zone"));

        let err = parse_error(
            404,
            &h,
            b"",
            &Target::new("get_record", ResourceKind::Record, "42"),
        );
        assert_eq!(
            *err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::Record,
                id: "42".into()
            }
        );

        assert_eq!(
            *parse_error(403, &h, b"", &target()).kind(),
            ErrorKind::PermissionDenied
        );
        let err = parse_error(503, &h, b"", &target());
        assert!(err.is_temporary());

        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        let err = parse_error(429, &h, b"", &target());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    }

    #[test]
    fn validation_errors_carry_every_message() {
        let body = b"<errors><error>Default ttl must be greater than or equal to 60</error>\
                     <error>Ns type is not included in the list</error></errors>";
        let err = parse_error(422, &HeaderMap::new(), body, &target());
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        let msg = err.message().unwrap();
        assert!(
            msg.contains("Default ttl") && msg.contains("Ns type"),
            "{msg}"
        );
    }

    #[test]
    fn a_taken_domain_is_already_exists() {
        let body = b"<errors><error>Domain has already been taken</error></errors>";
        let err = parse_error(422, &HeaderMap::new(), body, &target());
        assert_eq!(
            *err.kind(),
            ErrorKind::AlreadyExists {
                kind: ResourceKind::Zone,
                id: "example.com".into()
            }
        );
    }

    #[test]
    fn an_unreadable_422_is_malformed() {
        let err = parse_error(422, &HeaderMap::new(), b"<errors><error>x</err", &target());
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
        let err = parse_error(422, &HeaderMap::new(), b"oops", &target());
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    }

    #[test]
    fn other_statuses_keep_zerigo_messages() {
        let body = b"<errors><error>Something broke</error></errors>";
        let err = parse_error(400, &HeaderMap::new(), body, &target());
        assert_eq!(*err.kind(), ErrorKind::Provider { code: "400".into() });
        assert_eq!(err.message(), Some("Something broke"));
    }
}
