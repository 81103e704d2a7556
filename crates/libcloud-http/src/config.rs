//! The settings of the default transport, and the function that builds it.

use std::time::Duration;

use http::HeaderValue;
use libcloud_core::transport::{self, Transport};
use libcloud_core::{Error, Result};
use tower::ServiceBuilder;

use crate::client::HyperService;
use crate::retry::{RetryLayer, RetryPolicy};
use crate::timeout::{AttemptTimeoutLayer, IdleBodyTimeoutLayer};
use crate::trace::TraceLayer;

/// The `User-Agent` sent when a request has none: `libcloud-rs/<version of this crate>`.
pub const DEFAULT_USER_AGENT: &str = concat!("libcloud-rs/", env!("CARGO_PKG_VERSION"));

/// Settings of the default HTTP transport: timeouts, retries, user agent and trusted roots.
///
/// | setting | default |
/// | --- | --- |
/// | connect timeout | 5 s |
/// | attempt timeout (until response headers) | 30 s |
/// | idle-body timeout (between body chunks) | 30 s |
/// | retries | [`RetryPolicy::default`]: 3 attempts, 100 ms doubling to 20 s, 60 s budget |
/// | user agent | [`DEFAULT_USER_AGENT`] |
/// | trusted roots | the Mozilla set from `webpki-roots`, plus any added here |
///
/// TLS is rustls with the ring provider; HTTP/2 is used when the server offers it by ALPN, and
/// plain `http://` only when a request's URL says so.
///
/// ```
/// use std::time::Duration;
/// use libcloud_http::{HttpConfig, RetryPolicy};
///
/// let transport = HttpConfig::new()
///     .with_connect_timeout(Duration::from_secs(2))
///     .with_retry(RetryPolicy::default().with_max_attempts(5))
///     .with_user_agent("my-tool/1.0")
///     .build()
///     .unwrap();
/// # drop(transport);
/// ```
#[derive(Debug, Clone)]
pub struct HttpConfig {
    connect_timeout: Duration,
    attempt_timeout: Duration,
    idle_body_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    extra_roots_pem: Vec<Vec<u8>>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(30),
            idle_body_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            extra_roots_pem: Vec::new(),
        }
    }
}

impl HttpConfig {
    /// The default settings; see [`HttpConfig`] for their values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how long opening a TCP connection may take. Default 5 s; must not be zero.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how long one attempt may take until its response headers arrive, connecting and
    /// the TLS handshake included. Default 30 s; must not be zero.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Sets how long a response body may go without sending a chunk. Default 30 s; must not be
    /// zero.
    pub fn with_idle_body_timeout(mut self, timeout: Duration) -> Self {
        self.idle_body_timeout = timeout;
        self
    }

    /// Sets the retry policy. Default [`RetryPolicy::default`]; [`RetryPolicy::disabled`] turns
    /// retries off.
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the `User-Agent` sent when a request has none. Default [`DEFAULT_USER_AGENT`].
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Trusts the CA certificates in `pem` (one or more `CERTIFICATE` blocks) besides the
    /// built-in roots, for private clouds and test servers. May be called more than once.
    pub fn with_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots_pem.push(pem.into());
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The per-attempt timeout until response headers.
    pub fn attempt_timeout(&self) -> Duration {
        self.attempt_timeout
    }

    /// The idle-body timeout.
    pub fn idle_body_timeout(&self) -> Duration {
        self.idle_body_timeout
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The default `User-Agent`.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Wraps `inner` in this configuration's layers, outermost first: retry, tracing (one span
    /// per attempt), attempt timeout, idle-body timeout.
    ///
    /// [`build`](Self::build) does this around the hyper client; it is public so that the same
    /// behaviour can be had around any other [`Transport`], such as a fixture replay or a fault
    /// injector. The connect timeout, user agent and roots belong to the client and are not used.
    pub fn wrap(&self, inner: Transport) -> Transport {
        transport::boxed(
            ServiceBuilder::new()
                .layer(RetryLayer::new(self.retry))
                .layer(TraceLayer::new())
                .layer(AttemptTimeoutLayer::new(self.attempt_timeout))
                .layer(IdleBodyTimeoutLayer::new(self.idle_body_timeout))
                .service(inner),
        )
    }

    /// Builds the transport: hyper's pooled client over rustls, wrapped as [`wrap`](Self::wrap)
    /// says.
    ///
    /// Fails with [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput) for a zero
    /// timeout, a user agent that is not a valid header value, or a root certificate that cannot
    /// be read. It needs no runtime to build, but the transport must be used on a Tokio runtime.
    pub fn build(self) -> Result<Transport> {
        for (name, value) in [
            ("connect timeout", self.connect_timeout),
            ("attempt timeout", self.attempt_timeout),
            ("idle-body timeout", self.idle_body_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::invalid_input(format!("the {name} must not be zero")));
            }
        }
        let user_agent = HeaderValue::from_str(&self.user_agent).map_err(|e| {
            Error::invalid_input("the user agent is not a valid header value").with_source(e)
        })?;
        let client = HyperService::new(self.connect_timeout, user_agent, &self.extra_roots_pem)?;
        Ok(self.wrap(transport::boxed(client)))
    }
}

/// The default transport: [`HttpConfig::default`] built.
///
/// ```
/// let transport = libcloud_http::default_transport().unwrap();
/// # drop(transport);
/// ```
pub fn default_transport() -> Result<Transport> {
    HttpConfig::default().build()
}
