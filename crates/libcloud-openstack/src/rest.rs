//! Plumbing for the REST services reached through an OpenStack [`Session`]: Nova and Swift
//! here, and services that other providers list in the same catalog (Rackspace's load
//! balancers, DNS and CDN).
//!
//! [`ServiceClient`] finds a service's base URL (a fixed endpoint, or the catalog of the
//! current token), sends requests with the token and reads answers within a bound, leaving
//! what a failed answer means to the driver's own `parse_error`. The functions build and check
//! URLs and JSON requests, and tidy the text of error bodies; percent-encoding and
//! `Retry-After` are libcloud-core's ([`percent_encode`], [`retry_after`](libcloud_core::transport::retry_after)).
//!
//! Errors made here name the provider `openstack`; a driver for another provider relabels
//! them with [`Error::with_provider`].
//!
//! ```
//! use libcloud_core::transport::percent_encode;
//! use libcloud_openstack::rest::{check_base_url, join_url};
//!
//! let base = check_base_url("https://dns.example.com/v1.0/123/", "endpoint").unwrap();
//! let path = format!("domains/{}", percent_encode("a b", false));
//! let url = join_url(&base, &path, &[("limit", "10")]);
//! assert_eq!(url, "https://dns.example.com/v1.0/123/domains/a%20b?limit=10");
//! ```

use std::sync::Arc;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, Method};
use libcloud_core::transport::{self, Operation, Request, Response, percent_encode};
use libcloud_core::{Body, Error, Result};
use serde_json::Value;

use crate::client::PROVIDER;
use crate::config::OpenStackConfig;
use crate::identity::{Endpoint, EndpointFilter, Session};

/// Text with HTML tags removed and runs of white space collapsed, for the text of an error
/// page (Swift answers failures with HTML).
pub fn strip_tags(text: &str) -> String {
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

/// At most 300 characters of `text` (then `...`), for the messages of errors.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// Builds `base` + `/` + `path` + `?query`, with `base`'s trailing slashes removed and the
/// query keys and values encoded; a pair with an empty value is written as its key alone.
pub fn join_url(base: &str, path: &str, query: &[(&str, &str)]) -> String {
    let mut url = base.trim_end_matches('/').to_string();
    if !path.is_empty() {
        url.push('/');
        url.push_str(path.trim_start_matches('/'));
    }
    for (i, (k, v)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&percent_encode(k, false));
        if !v.is_empty() {
            url.push('=');
            url.push_str(&percent_encode(v, false));
        }
    }
    url
}

/// Checks a service URL as [`transport::check_base_url`] does (an absolute `http(s)` URL with
/// a host and without a query or fragment) and returns it trimmed, without trailing slashes.
///
/// Anything else is [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput),
/// naming the URL as `what`.
pub fn check_base_url(url: &str, what: &str) -> Result<String> {
    transport::check_base_url(url, what)
        .map(|url| url.trim_end_matches('/').to_string())
        .map_err(|e| e.with_provider(PROVIDER))
}

/// One service on a [`Session`]: how its base URL is found (a fixed endpoint, or the catalog
/// of the current token), and how requests to it are sent and read.
///
/// Cheap to clone: the session is shared.
#[derive(Debug, Clone)]
pub struct ServiceClient {
    session: Arc<Session>,
    filter: EndpointFilter,
    endpoint: Option<String>,
}

/// A successful answer, read whole.
#[derive(Debug)]
#[non_exhaustive]
pub struct Reply {
    /// The status, in 2xx.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl ServiceClient {
    /// A client for the service `filter` finds in the catalog, or at `endpoint` when one is
    /// given (checked with [`check_base_url`]).
    pub fn new(
        session: Arc<Session>,
        filter: EndpointFilter,
        endpoint: Option<&str>,
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

    /// A client for the service `config` names: its type (`default_type` when the config names
    /// none), name, region and interface, or its fixed endpoint.
    pub fn from_config(
        session: Arc<Session>,
        config: &OpenStackConfig,
        default_type: &str,
    ) -> Result<Self> {
        let mut filter = EndpointFilter::new(
            config
                .service_type
                .clone()
                .unwrap_or_else(|| default_type.to_string()),
        )
        .with_interface(config.interface);
        filter.name = config.service_name.clone();
        filter.region = config.region.clone();
        Self::new(session, filter, config.endpoint.as_deref())
    }

    /// The session requests are sent with.
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The service's endpoint: the fixed one, or the catalog's (authenticating first when
    /// there is no token yet).
    pub async fn endpoint(&self) -> Result<Endpoint> {
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
    pub async fn base(&self) -> Result<String> {
        Ok(self.endpoint().await?.url)
    }

    /// Sends a request through the session (token, renewal on 401) as part of `operation`,
    /// and returns the response whatever its status.
    pub async fn send(&self, mut request: Request, operation: &'static str) -> Result<Response> {
        request.extensions_mut().insert(Operation(operation.into()));
        self.session
            .send(request)
            .await
            .map_err(|e| e.or_provider(PROVIDER).or_operation(operation))
    }

    /// Sends a request and reads the whole answer, refusing more than `limit` bytes with
    /// [`ErrorKind::MalformedResponse`](libcloud_core::ErrorKind::MalformedResponse); a status
    /// other than 2xx becomes the error `parse_error` makes of the status, headers and body.
    pub async fn call_with(
        &self,
        request: Request,
        operation: &'static str,
        limit: usize,
        parse_error: impl FnOnce(u16, &HeaderMap, &Bytes) -> Error,
    ) -> Result<Reply> {
        let response = self.send(request, operation).await?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect(limit)
            .await
            .map_err(|e| e.or_provider(PROVIDER).or_operation(operation))?;
        let status = parts.status.as_u16();
        if !parts.status.is_success() {
            return Err(parse_error(status, &parts.headers, &body));
        }
        Ok(Reply {
            status,
            headers: parts.headers,
            body,
        })
    }
}

/// A request to `url` with `body` (JSON when it is a value) and the usual JSON headers
/// (`Accept`, and `Content-Type` with a body).
///
/// A URL that cannot be sent is [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
pub fn json_request(method: Method, url: &str, body: Option<&Value>) -> Result<Request> {
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

    #[test]
    fn urls() {
        assert_eq!(percent_encode("a b/c+d", true), "a%20b/c%2Bd");
        assert_eq!(percent_encode("a b/c", false), "a%20b%2Fc");
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
