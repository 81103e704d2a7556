//! The transport seam: how drivers send HTTP requests.
//!
//! A [`Transport`] is a boxed, cloneable [`tower::Service`] from `http::Request<Body>` to
//! `http::Response<Body>`. Retry, timeouts, tracing and fault injection are tower layers around it;
//! a test swaps the whole network for a fixture replay or a proxy. This crate names no HTTP
//! client: the default one lives in `libcloud-http`.

use std::borrow::Cow;

use futures::future::BoxFuture;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

use crate::body::Body;
use crate::error::{Error, Result};

/// The request type drivers send.
pub type Request = http::Request<Body>;
/// The response type drivers receive.
pub type Response = http::Response<Body>;

/// A boxed, cloneable HTTP service: the one seam between drivers and the network.
pub type Transport = BoxCloneSyncService<Request, Response, Error>;

/// Boxes any suitable tower service into a [`Transport`].
pub fn boxed<S>(service: S) -> Transport
where
    S: Service<Request, Response = Response, Error = Error> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
{
    BoxCloneSyncService::new(service)
}

/// A [`Transport`] made from an async function; handy for tests and adapters.
pub fn from_fn<F>(f: F) -> Transport
where
    F: Fn(Request) -> BoxFuture<'static, Result<Response>> + Clone + Send + Sync + 'static,
{
    boxed(tower::service_fn(f))
}

/// Sends one request through a transport.
pub async fn send(transport: &Transport, request: Request) -> Result<Response> {
    transport.clone().oneshot(request).await
}

/// Marks a request as safe to send more than once.
///
/// GET, HEAD, PUT, DELETE and OPTIONS are idempotent by their method; a POST is retried only when
/// the driver inserts this marker, because it carries an idempotency token (EC2's `ClientToken`)
/// or because the provider documents it as safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idempotent;

/// Names the libcloud operation a request belongs to, for tracing and errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation(pub Cow<'static, str>);

/// Whether a request may be retried: by its method, or by an [`Idempotent`] marker.
pub fn is_idempotent<B>(request: &http::Request<B>) -> bool {
    use http::Method;
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    ) || request.extensions().get::<Idempotent>().is_some()
}

/// Query parameters whose values are secrets (signatures, keys, tokens) and are never logged.
pub const SECRET_QUERY_PARAMS: &[&str] = &[
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "signature",
    "awsaccesskeyid",
    "temp_url_sig",
    "sig",
    "token",
    "password",
    "apikey",
];

/// A URI as it may be logged: the query values of [`SECRET_QUERY_PARAMS`] become `REDACTED`.
///
/// ```
/// let uri: http::Uri = "https://b.s3.amazonaws.com/k?X-Amz-Signature=abc&x-id=GetObject".parse().unwrap();
/// assert_eq!(
///     libcloud_core::transport::redact_uri(&uri),
///     "https://b.s3.amazonaws.com/k?X-Amz-Signature=REDACTED&x-id=GetObject"
/// );
/// ```
pub fn redact_uri(uri: &http::Uri) -> String {
    let mut out = String::new();
    if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
        out.push_str(scheme);
        out.push_str("://");
        // Never print user:password@ of an authority.
        let auth = authority.as_str();
        out.push_str(auth.rsplit('@').next().unwrap_or(auth));
    }
    out.push_str(uri.path());
    if let Some(query) = uri.query() {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    out
}

/// A query string with the values of [`SECRET_QUERY_PARAMS`] replaced by `REDACTED`.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let (key, _) = pair.split_once('=').unwrap_or((pair, ""));
            if SECRET_QUERY_PARAMS
                .iter()
                .any(|s| key.eq_ignore_ascii_case(s))
            {
                format!("{key}=REDACTED")
            } else {
                pair.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_needs_a_marker() {
        let mut req = http::Request::post("/").body(()).unwrap();
        assert!(!is_idempotent(&req));
        req.extensions_mut().insert(Idempotent);
        assert!(is_idempotent(&req));
        assert!(is_idempotent(&http::Request::delete("/").body(()).unwrap()));
    }

    #[test]
    fn redacts_userinfo_and_signatures() {
        let uri: http::Uri = "http://user:pw@host:9000/p?Signature=s&a=b&token"
            .parse()
            .unwrap();
        assert_eq!(
            redact_uri(&uri),
            "http://host:9000/p?Signature=REDACTED&a=b&token=REDACTED"
        );
    }
}
