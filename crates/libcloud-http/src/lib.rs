//! The default HTTP transport of libcloud: hyper 1 with rustls, and the tower layers around it.
//!
//! [`default_transport`] (or [`HttpConfig::build`]) gives a
//! [`Transport`](libcloud_core::Transport) that every driver can send its requests through:
//!
//! - hyper's pooled client, HTTP/1.1 and HTTP/2 (chosen by ALPN), TLS by rustls with the ring
//!   provider and the Mozilla roots of `webpki-roots` (plus any CA you add); plain `http://` only
//!   where a URL asks for it;
//! - response bodies streamed chunk by chunk, never buffered whole; request bodies sent as they
//!   are, so streamed uploads stay streamed;
//! - a connect timeout, a per-attempt timeout until response headers ([`AttemptTimeoutLayer`])
//!   and an idle-body timeout between chunks ([`IdleBodyTimeoutLayer`]);
//! - retries with exponential backoff, full jitter and `Retry-After` ([`RetryLayer`],
//!   [`RetryPolicy`]; the [`retry`] module lists exactly what is retried), bounded by attempts
//!   and by a total time budget;
//! - one `tracing` span per attempt ([`TraceLayer`]) that never records a header value or a
//!   query string.
//!
//! Each layer is public and works on any `Transport`, so a test transport or a fault injector can
//! get the same behaviour through [`HttpConfig::wrap`].
//!
//! This is the only libcloud crate that names hyper; errors come out as
//! [`libcloud_core::Error`] with kind [`Transport`](libcloud_core::ErrorKind::Transport) or
//! [`Timeout`](libcloud_core::ErrorKind::Timeout) and hyper's error as their source.
//!
//! ```no_run
//! # async fn run() -> libcloud_core::Result<()> {
//! use libcloud_core::{Body, transport};
//!
//! let transport = libcloud_http::default_transport()?;
//! let request = http::Request::get("https://example.com/").body(Body::empty())
//!     .map_err(|e| libcloud_core::Error::invalid_input(e.to_string()))?;
//! let response = transport::send(&transport, request).await?;
//! let body = response.into_body().collect(1 << 20).await?;
//! # drop(body);
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod config;
pub mod retry;
mod timeout;
mod trace;

pub use config::{DEFAULT_USER_AGENT, HttpConfig, default_transport};
pub use retry::{Attempt, Retry, RetryLayer, RetryPolicy};
pub use timeout::{AttemptTimeout, AttemptTimeoutLayer, IdleBodyTimeout, IdleBodyTimeoutLayer};
pub use trace::{Trace, TraceLayer};

#[cfg(test)]
mod testing;
