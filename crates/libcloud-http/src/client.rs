//! The bottom of the stack: hyper's pooled client over rustls, as a tower service.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{StreamExt, TryStreamExt};
use http::{HeaderValue, header};
use http_body_util::BodyExt;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use libcloud_core::transport::{Request, Response};
use libcloud_core::{Body, Error, ErrorKind, Result};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tower::Service;

/// How long an unused pooled connection is kept open.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Sends requests over hyper's pooled client and streams the responses back.
#[derive(Clone)]
pub(crate) struct HyperService {
    client: Client<HttpsConnector<HttpConnector>, Body>,
    user_agent: HeaderValue,
}

impl std::fmt::Debug for HyperService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperService")
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl HyperService {
    /// A client that connects within `connect_timeout` and trusts the webpki roots plus the
    /// certificates in `extra_roots_pem`.
    pub(crate) fn new(
        connect_timeout: Duration,
        user_agent: HeaderValue,
        extra_roots_pem: &[Vec<u8>],
    ) -> Result<Self> {
        let tls = tls_config(extra_roots_pem)?;
        let mut http = HttpConnector::new();
        // The TLS connector above decides by scheme; the TCP connector must accept both.
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(https);
        Ok(HyperService { client, user_agent })
    }
}

fn tls_config(extra_roots_pem: &[Vec<u8>]) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for pem in extra_roots_pem {
        let mut found = 0usize;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| {
                Error::invalid_input("extra root certificate is not valid PEM").with_source(e)
            })?;
            roots.add(cert).map_err(|e| {
                Error::invalid_input("extra root certificate could not be read").with_source(e)
            })?;
            found += 1;
        }
        if found == 0 {
            return Err(Error::invalid_input(
                "extra root certificate PEM holds no CERTIFICATE block",
            ));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorKind::Transport, "TLS setup failed").with_source(e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

impl Service<Request> for HyperService {
    type Response = Response;
    type Error = Error;
    type Future = BoxFuture<'static, Result<Response>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        // The pooled client is always ready; it queues on its own.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        if let Err(err) = check_uri(request.uri()) {
            return Box::pin(futures::future::ready(Err(err)));
        }
        if !request.headers().contains_key(header::USER_AGENT) {
            request
                .headers_mut()
                .insert(header::USER_AGENT, self.user_agent.clone());
        }
        let future = self.client.request(request);
        Box::pin(async move {
            let response = future.await.map_err(from_client_error)?;
            Ok(response.map(|incoming| {
                Body::from_stream(
                    incoming
                        .into_data_stream()
                        .map_err(from_hyper_error)
                        .boxed(),
                )
            }))
        })
    }
}

/// Only absolute `http` and `https` URIs can be sent.
fn check_uri(uri: &http::Uri) -> Result<()> {
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {}
        Some(_) => {
            return Err(Error::invalid_input("only http and https URIs can be sent"));
        }
        None => return Err(Error::invalid_input("request URI must be absolute")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(Error::invalid_input("request URI has no host"));
    }
    Ok(())
}

/// Whether an I/O timeout is anywhere in an error's chain of causes.
fn timed_out(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        if e.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_timeout)
        {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The rustls error of a failed TLS handshake, when one is anywhere in an error's chain of
/// causes. It travels as the payload of an I/O error (itself wrapped in another by
/// hyper-rustls), which `source()` skips, so payloads are opened too.
fn tls_failure<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        let mut payload = Some(e);
        while let Some(p) = payload {
            if let Some(tls) = p.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            payload = p
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .map(|inner| inner as &(dyn std::error::Error + 'static));
        }
        cause = e.source();
    }
    None
}

fn from_client_error(err: hyper_util::client::legacy::Error) -> Error {
    // hyper's own message only says "client error (Connect)"; a failed handshake must say why.
    // Trying again cannot make a refused certificate acceptable, so that is not temporary.
    if let Some(tls) = tls_failure(&err) {
        let certificate = matches!(
            tls,
            rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
        );
        let message = if certificate {
            format!("TLS handshake failed, the server's certificate was not accepted: {tls}")
        } else {
            format!("TLS handshake failed: {tls}")
        };
        return Error::new(ErrorKind::Transport, message)
            .with_temporary(!certificate)
            .with_source(err);
    }
    let what = if err.is_connect() {
        "connect failed"
    } else {
        "request failed"
    };
    let kind = if timed_out(&err) {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    };
    Error::new(kind, what).with_source(err)
}

fn from_hyper_error(err: hyper::Error) -> Error {
    let kind = if timed_out(&err) {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    };
    Error::new(kind, "reading the response body failed").with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_relative_and_foreign_uris() {
        for uri in ["/path", "ftp://example.com/x", "ws://example.com/x"] {
            let uri: http::Uri = uri.parse().unwrap();
            assert_eq!(
                *check_uri(&uri).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{uri}"
            );
        }
        assert!(check_uri(&"HTTPS://example.com/".parse().unwrap()).is_ok());
        assert!(check_uri(&"http://127.0.0.1:9/".parse().unwrap()).is_ok());
    }

    #[test]
    fn io_timeouts_are_found_in_the_chain() {
        let inner = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        let outer = Error::transport(inner);
        assert!(timed_out(&outer));
        let refused = Error::transport(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(!timed_out(&refused));
    }

    #[test]
    fn bad_extra_roots_are_invalid_input() {
        let none = tls_config(&[b"just text".to_vec()]).unwrap_err();
        assert_eq!(*none.kind(), ErrorKind::InvalidInput);
        let bad_der = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec();
        assert_eq!(
            *tls_config(&[bad_der]).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert!(tls_config(&[]).is_ok());
    }
}
