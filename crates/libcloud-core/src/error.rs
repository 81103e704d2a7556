//! The one error type of libcloud, and the kinds it sorts failures into.
//!
//! Every driver returns [`Error`]. Its [`ErrorKind`] mirrors Apache Libcloud's exception classes
//! (`ContainerDoesNotExistError` is `NotFound { kind: Container, .. }`, `InvalidCredsError` is
//! [`ErrorKind::InvalidCredentials`], and so on), so a caller can branch on what went wrong without
//! knowing which cloud it talked to. The context fields say where: provider, operation, HTTP status,
//! the provider's request id, and whether trying again may help.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// A `Result` whose error is libcloud's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The kind of resource an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResourceKind {
    /// A compute node (server, instance).
    Node,
    /// A node size (flavor, instance type).
    Size,
    /// A node image.
    Image,
    /// A location (region, availability zone).
    Location,
    /// An SSH key pair.
    KeyPair,
    /// A block storage volume.
    Volume,
    /// A volume snapshot.
    Snapshot,
    /// A storage container (bucket).
    Container,
    /// A stored object.
    Object,
    /// A multipart upload in progress.
    Upload,
    /// A load balancer.
    LoadBalancer,
    /// A load balancer member.
    Member,
    /// A DNS zone.
    Zone,
    /// A DNS record.
    Record,
    /// Anything else.
    Other,
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResourceKind::Node => "node",
            ResourceKind::Size => "size",
            ResourceKind::Image => "image",
            ResourceKind::Location => "location",
            ResourceKind::KeyPair => "key pair",
            ResourceKind::Volume => "volume",
            ResourceKind::Snapshot => "snapshot",
            ResourceKind::Container => "container",
            ResourceKind::Object => "object",
            ResourceKind::Upload => "upload",
            ResourceKind::LoadBalancer => "load balancer",
            ResourceKind::Member => "member",
            ResourceKind::Zone => "zone",
            ResourceKind::Record => "record",
            ResourceKind::Other => "resource",
        })
    }
}

/// What went wrong, independent of the provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The resource does not exist (Libcloud's `*DoesNotExistError`).
    #[error("{kind} {id:?} not found")]
    NotFound {
        /// What kind of resource was looked for.
        kind: ResourceKind,
        /// Its name or id.
        id: String,
    },
    /// The resource exists already (Libcloud's `*AlreadyExistsError`).
    #[error("{kind} {id:?} already exists")]
    AlreadyExists {
        /// What kind of resource it is.
        kind: ResourceKind,
        /// Its name or id.
        id: String,
    },
    /// The resource still holds others and cannot be deleted (`ContainerIsNotEmptyError`).
    #[error("{kind} {id:?} is not empty")]
    NotEmpty {
        /// What kind of resource it is.
        kind: ResourceKind,
        /// Its name or id.
        id: String,
    },
    /// The credentials were refused (`InvalidCredsError`).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The credentials are valid but may not do this.
    #[error("permission denied")]
    PermissionDenied,
    /// The provider asks the caller to slow down (`RateLimitReachedError`).
    #[error("rate limited{}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// How long the provider asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The data stored or received does not match its checksum (`ObjectHashMismatchError`).
    #[error("hash mismatch (expected {expected}, got {actual})")]
    HashMismatch {
        /// The checksum that was expected.
        expected: String,
        /// The checksum that was computed.
        actual: String,
    },
    /// The caller's input was refused before or by the provider (bad name, bad range, bad value).
    #[error("invalid input")]
    InvalidInput,
    /// The driver or provider does not offer this operation.
    #[error("unsupported")]
    Unsupported,
    /// The operation did not finish in time.
    #[error("timed out")]
    Timeout,
    /// The network failed: connection refused or reset, TLS failure, a body cut short.
    #[error("transport error")]
    Transport,
    /// The provider answered something that could not be understood (`MalformedResponseError`).
    #[error("malformed response")]
    MalformedResponse,
    /// Any other error the provider reported, with its own code.
    #[error("provider error {code}")]
    Provider {
        /// The provider's error code (for example `InternalError`), or the HTTP status.
        code: String,
    },
}

impl ErrorKind {
    /// Whether an error of this kind is, by default, worth retrying.
    pub fn is_temporary_by_default(&self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited { .. } | ErrorKind::Timeout | ErrorKind::Transport
        )
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failed libcloud operation: what kind of failure, and where it happened.
///
/// Build one with [`Error::new`] or a shortcut such as [`Error::not_found`], then add context
/// with the `with_*` methods. The message never contains credentials: drivers put only names,
/// ids and provider messages in it.
///
/// ```
/// use libcloud_core::{Error, ErrorKind, ResourceKind};
///
/// let err = Error::not_found(ResourceKind::Container, "photos")
///     .with_provider("s3")
///     .with_operation("get_container")
///     .with_status(404);
/// assert!(matches!(err.kind(), ErrorKind::NotFound { kind: ResourceKind::Container, .. }));
/// assert!(!err.is_temporary());
/// assert_eq!(
///     err.to_string(),
///     "s3: get_container: container \"photos\" not found (HTTP 404)"
/// );
/// ```
#[derive(thiserror::Error)]
#[error(transparent)]
pub struct Error(Box<Inner>);

/// The fields of an [`Error`], boxed so that `Result<T, Error>` stays one pointer wide.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
struct Inner {
    kind: ErrorKind,
    message: Option<String>,
    provider: Option<Cow<'static, str>>,
    operation: Option<Cow<'static, str>>,
    status: Option<u16>,
    request_id: Option<String>,
    temporary: bool,
    #[source]
    source: Option<BoxError>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.0.kind);
        if let Some(m) = &self.0.message {
            d.field("message", m);
        }
        if let Some(p) = &self.0.provider {
            d.field("provider", p);
        }
        if let Some(o) = &self.0.operation {
            d.field("operation", o);
        }
        if let Some(s) = &self.0.status {
            d.field("status", s);
        }
        if let Some(r) = &self.0.request_id {
            d.field("request_id", r);
        }
        d.field("temporary", &self.0.temporary);
        if let Some(s) = &self.0.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl Error {
    /// An error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::bare(kind).with_message_opt((!message.is_empty()).then_some(message))
    }

    /// An error of `kind` with no message beyond the kind itself.
    pub fn bare(kind: ErrorKind) -> Self {
        let temporary = kind.is_temporary_by_default();
        Error(Box::new(Inner {
            kind,
            message: None,
            provider: None,
            operation: None,
            status: None,
            request_id: None,
            temporary,
            source: None,
        }))
    }

    fn with_message_opt(mut self, message: Option<String>) -> Self {
        self.0.message = message;
        self
    }

    /// `NotFound` for the resource `kind` named `id`.
    pub fn not_found(kind: ResourceKind, id: impl Into<String>) -> Self {
        Self::bare(ErrorKind::NotFound {
            kind,
            id: id.into(),
        })
    }

    /// `AlreadyExists` for the resource `kind` named `id`.
    pub fn already_exists(kind: ResourceKind, id: impl Into<String>) -> Self {
        Self::bare(ErrorKind::AlreadyExists {
            kind,
            id: id.into(),
        })
    }

    /// `NotEmpty` for the resource `kind` named `id`.
    pub fn not_empty(kind: ResourceKind, id: impl Into<String>) -> Self {
        Self::bare(ErrorKind::NotEmpty {
            kind,
            id: id.into(),
        })
    }

    /// `InvalidInput` with a message saying what was wrong.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// `Unsupported` for the named operation.
    pub fn unsupported(operation: impl Into<Cow<'static, str>>) -> Self {
        Self::bare(ErrorKind::Unsupported).with_operation(operation)
    }

    /// `MalformedResponse` with a message saying what could not be understood.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::MalformedResponse, message)
    }

    /// `Transport` wrapping the underlying I/O or network error.
    pub fn transport(source: impl Into<BoxError>) -> Self {
        Self::bare(ErrorKind::Transport).with_source(source)
    }

    /// The error for an HTTP status that the driver could not explain any better.
    ///
    /// 401 is [`ErrorKind::InvalidCredentials`], 403 [`ErrorKind::PermissionDenied`], 404 a
    /// `NotFound` of `kind`/`id`, 408 [`ErrorKind::Timeout`], 429 [`ErrorKind::RateLimited`];
    /// anything else is [`ErrorKind::Provider`] with the status as its code, temporary for 5xx.
    pub fn from_status(status: u16, kind: ResourceKind, id: impl Into<String>) -> Self {
        let err = match status {
            401 => Self::bare(ErrorKind::InvalidCredentials),
            403 => Self::bare(ErrorKind::PermissionDenied),
            404 => Self::not_found(kind, id),
            408 => Self::bare(ErrorKind::Timeout),
            429 => Self::bare(ErrorKind::RateLimited { retry_after: None }),
            s => Self::bare(ErrorKind::Provider {
                code: s.to_string(),
            })
            .with_temporary(s >= 500),
        };
        err.with_status(status)
    }

    /// Sets the provider's name (`"s3"`, `"memory"`, ...).
    pub fn with_provider(mut self, provider: impl Into<Cow<'static, str>>) -> Self {
        self.0.provider = Some(provider.into());
        self
    }

    /// Sets the operation that failed (`"get_container"`, ...).
    pub fn with_operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.0.operation = Some(operation.into());
        self
    }

    /// Sets the provider operation only if none is set yet.
    pub fn or_operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        if self.0.operation.is_none() {
            self.0.operation = Some(operation.into());
        }
        self
    }

    /// Sets the provider only if none is set yet.
    pub fn or_provider(mut self, provider: impl Into<Cow<'static, str>>) -> Self {
        if self.0.provider.is_none() {
            self.0.provider = Some(provider.into());
        }
        self
    }

    /// Sets the HTTP status of the response that carried the error.
    pub fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    /// Sets the provider's request id, for support tickets and logs.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.0.request_id = Some(request_id.into());
        self
    }

    /// Says whether trying the same call again may succeed.
    pub fn with_temporary(mut self, temporary: bool) -> Self {
        self.0.temporary = temporary;
        self
    }

    /// Replaces the message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.0.message = Some(message.into());
        self
    }

    /// Attaches the error that caused this one.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The message, if there is one beyond the kind.
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// The provider that reported the error.
    pub fn provider(&self) -> Option<&str> {
        self.0.provider.as_deref()
    }

    /// The operation that failed.
    pub fn operation(&self) -> Option<&str> {
        self.0.operation.as_deref()
    }

    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The provider's request id, when it gave one.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// Whether trying the same call again may succeed.
    pub fn is_temporary(&self) -> bool {
        self.0.temporary
    }

    /// Whether this is a `NotFound` error.
    pub fn is_not_found(&self) -> bool {
        matches!(self.0.kind, ErrorKind::NotFound { .. })
    }

    /// How long the provider asked to wait before the next try, for `RateLimited` errors.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.0.kind {
            ErrorKind::RateLimited { retry_after } => retry_after,
            _ => None,
        }
    }
}

impl Inner {
    fn render(&self) -> String {
        let mut out = String::new();
        if let Some(p) = &self.provider {
            out.push_str(p);
            out.push_str(": ");
        }
        if let Some(o) = &self.operation {
            out.push_str(o);
            out.push_str(": ");
        }
        out.push_str(&self.kind.to_string());
        if let Some(m) = &self.message {
            out.push_str(": ");
            out.push_str(m);
        }
        match (self.status, &self.request_id) {
            (Some(s), Some(r)) => out.push_str(&format!(" (HTTP {s}, request id {r})")),
            (Some(s), None) => out.push_str(&format!(" (HTTP {s})")),
            (None, Some(r)) => out.push_str(&format!(" (request id {r})")),
            (None, None) => {}
        }
        if let Some(source) = &self.source {
            out.push_str(": ");
            out.push_str(&source.to_string());
        }
        out
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match err.kind() {
            Io::TimedOut => ErrorKind::Timeout,
            Io::PermissionDenied => ErrorKind::PermissionDenied,
            Io::InvalidInput | Io::InvalidData => ErrorKind::InvalidInput,
            _ => ErrorKind::Transport,
        };
        Error::bare(kind).with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limited_is_temporary_and_carries_retry_after() {
        let err = Error::bare(ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(3)),
        });
        assert!(err.is_temporary());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn results_stay_small() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        let err = Error::transport(std::io::Error::other("reset"));
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn status_mapping() {
        assert_eq!(
            *Error::from_status(401, ResourceKind::Other, "").kind(),
            ErrorKind::InvalidCredentials
        );
        assert!(Error::from_status(503, ResourceKind::Other, "").is_temporary());
        assert!(!Error::from_status(400, ResourceKind::Other, "").is_temporary());
        assert!(Error::from_status(404, ResourceKind::Zone, "z").is_not_found());
    }

    #[test]
    fn display_includes_context_and_source() {
        let err = Error::transport(std::io::Error::other("connection reset"))
            .with_provider("s3")
            .with_operation("get_object")
            .with_request_id("ABC");
        assert_eq!(
            err.to_string(),
            "s3: get_object: transport error (request id ABC): connection reset"
        );
    }
}
