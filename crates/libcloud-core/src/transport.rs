//! The transport seam: how drivers send HTTP requests.
//!
//! A [`Transport`] is a boxed, cloneable [`tower::Service`] from `http::Request<Body>` to
//! `http::Response<Body>`. Retry, timeouts, tracing and fault injection are tower layers around it;
//! a test swaps the whole network for a fixture replay or a proxy. This crate names no HTTP
//! client: the default one lives in `libcloud-http`.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
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

/// Sends one request through a transport and reads the whole body of the answer, whatever its
/// status, refusing more than `limit` bytes with
/// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse).
///
/// Failures to send or to read carry `provider` and the request's [`Operation`] (when it has
/// one), unless they already name their own. What a status means is left to the driver.
///
/// ```
/// use libcloud_core::transport::{self, Operation};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let t = transport::from_fn(|_req| {
///     Box::pin(async { Ok(http::Response::builder().status(404).body("gone".into()).unwrap()) })
/// });
/// let mut request = http::Request::get("http://h/x").body(Default::default()).unwrap();
/// request.extensions_mut().insert(Operation("get_thing".into()));
/// let answer = transport::send_and_read(&t, request, 1024, "example").await.unwrap();
/// assert_eq!((answer.status().as_u16(), &answer.body()[..]), (404, &b"gone"[..]));
/// # });
/// ```
pub async fn send_and_read(
    transport: &Transport,
    request: Request,
    limit: usize,
    provider: impl Into<Cow<'static, str>>,
) -> Result<http::Response<Bytes>> {
    let provider = provider.into();
    let operation = request.extensions().get::<Operation>().map(|o| o.0.clone());
    let tag = |e: Error| {
        let e = e.or_provider(provider.clone());
        match &operation {
            Some(op) => e.or_operation(op.clone()),
            None => e,
        }
    };
    let response = send(transport, request).await.map_err(tag)?;
    let (parts, body) = response.into_parts();
    let body = body.collect(limit).await.map_err(tag)?;
    Ok(http::Response::from_parts(parts, body))
}

/// The `Retry-After` header of an answer, when it is a whole number of seconds (the form
/// providers send with 429 and 503; an HTTP date is not read here).
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Percent-encodes every byte of `text` but RFC 3986's unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`), and `/` when `keep_slash`, as `%XX` with upper-case hex: a query
/// name or value (`keep_slash` false) or a path (true).
///
/// ```
/// use libcloud_core::transport::percent_encode;
/// assert_eq!(percent_encode("a b/c+d~é", true), "a%20b/c%2Bd~%C3%A9");
/// assert_eq!(percent_encode("a b/c", false), "a%20b%2Fc");
/// ```
pub fn percent_encode(text: &str, keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

/// Checks that `url`, a service's base URL from configuration or a catalog, is an absolute
/// `http` or `https` URL with a host and without a query or fragment, and returns it without
/// surrounding white space (its path, trailing slashes included, as given).
///
/// Anything else is [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) naming the
/// URL as `what` (`endpoint`).
///
/// ```
/// use libcloud_core::transport::check_base_url;
/// assert_eq!(check_base_url(" https://api.example.com/v1/ ", "endpoint").unwrap(), "https://api.example.com/v1/");
/// assert!(check_base_url("ftp://h/", "endpoint").is_err());
/// ```
pub fn check_base_url<'a>(url: &'a str, what: &str) -> Result<&'a str> {
    let bad = |why: &str| Err(Error::invalid_input(format!("{what} {url:?} {why}")));
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
    Ok(trimmed)
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

    #[tokio::test]
    async fn send_and_read_tags_failures_and_bounds_the_body() {
        let answer = |body: &'static str| {
            from_fn(move |_req| {
                Box::pin(async move {
                    Ok(http::Response::builder()
                        .status(503)
                        .header("retry-after", " 7 ")
                        .body(Body::from(body))
                        .unwrap())
                })
            })
        };
        let request = || {
            let mut r = http::Request::get("http://h/").body(Body::empty()).unwrap();
            r.extensions_mut().insert(Operation("list_things".into()));
            r
        };
        let ok = send_and_read(&answer("busy"), request(), 4, "p")
            .await
            .unwrap();
        assert_eq!(ok.status(), 503);
        assert_eq!(&ok.body()[..], b"busy");
        assert_eq!(retry_after(ok.headers()), Some(Duration::from_secs(7)));

        let err = send_and_read(&answer("too long"), request(), 4, "p")
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), crate::ErrorKind::MalformedResponse);
        assert_eq!(
            (err.provider(), err.operation()),
            (Some("p"), Some("list_things"))
        );

        let down = from_fn(|_req| {
            Box::pin(async {
                Err(Error::transport(std::io::Error::other("down")).with_provider("proxy"))
            })
        });
        let err = send_and_read(&down, request(), 4, "p").await.unwrap_err();
        assert_eq!(
            (err.provider(), err.operation()),
            (Some("proxy"), Some("list_things"))
        );
        let bare = http::Request::get("http://h/").body(Body::empty()).unwrap();
        let err = send_and_read(&down, bare, 4, "p").await.unwrap_err();
        assert_eq!(err.operation(), None);
    }

    #[test]
    fn retry_after_is_whole_seconds_only() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", "120".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_bytes() {
        assert_eq!(percent_encode("a-b_c.d~e", false), "a-b_c.d~e");
        assert_eq!(
            percent_encode("a b/c?d&e=\u{e9}", false),
            "a%20b%2Fc%3Fd%26e%3D%C3%A9"
        );
        assert_eq!(percent_encode("a b/c", true), "a%20b/c");
        assert_eq!(percent_encode("\u{7f}\u{0}", true), "%7F%00");
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            check_base_url("http://h:1/x/", "e").unwrap(),
            "http://h:1/x/"
        );
        for bad in [
            "",
            "h/x",
            "ftp://h/",
            "http://h/?a=b",
            "http:///x",
            "http://h/#f",
        ] {
            let err = check_base_url(bad, "endpoint").unwrap_err();
            assert_eq!(*err.kind(), crate::ErrorKind::InvalidInput, "{bad}");
            assert!(err.to_string().contains("endpoint"), "{err}");
        }
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
