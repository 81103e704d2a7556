//! AWS error responses, turned into libcloud's [`Error`].
//!
//! AWS services answer failures with one of three XML shapes, all read here by element local
//! name (so namespaces, or their absence, do not matter):
//!
//! - S3: `<Error><Code/><Message/><RequestId/>...</Error>`, sometimes with `<BucketName>`,
//!   `<Key>`, `<Region>` or `<Endpoint>`;
//! - EC2: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`;
//! - the other query APIs (ELB, IAM, STS) and Route 53:
//!   `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
//!
//! [`parse_error`] maps the code to an [`ErrorKind`] (see its table), takes the request id from
//! the body or from the `x-amz-request-id` / `x-amzn-RequestId` headers, and falls back to the
//! HTTP status when the body says nothing useful (it is empty, as for `HEAD`, or not XML).

use std::borrow::Cow;

use libcloud_core::transport::retry_after;
use libcloud_core::{Error, ErrorKind, ResourceKind};
use quick_xml::Reader;
use quick_xml::events::Event;

/// The longest text kept from any one element of an error body, in bytes.
const MAX_FIELD_LEN: usize = 1024;

/// The fields of an AWS error document that [`parse_error`] uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AwsErrorBody {
    /// The error code, such as `NoSuchBucket` or `InvalidInstanceID.NotFound`.
    pub code: Option<String>,
    /// The human-readable message.
    pub message: Option<String>,
    /// The request id (`RequestId` or `RequestID`).
    pub request_id: Option<String>,
    /// `Sender` or `Receiver`, in the query APIs' `ErrorResponse`.
    pub error_type: Option<String>,
    /// The bucket's region, in S3 redirect and wrong-region errors.
    pub region: Option<String>,
    /// The endpoint to use instead, in S3 redirect errors.
    pub endpoint: Option<String>,
    /// The bucket the error is about (S3).
    pub bucket: Option<String>,
    /// The object key the error is about (S3).
    pub key: Option<String>,
}

#[derive(Clone, Copy)]
enum Field {
    Code,
    Message,
    RequestId,
    Type,
    Region,
    Endpoint,
    Bucket,
    Key,
}

impl Field {
    fn of(local_name: &str) -> Option<Field> {
        Some(match local_name {
            "Code" => Field::Code,
            "Message" => Field::Message,
            "RequestId" | "RequestID" => Field::RequestId,
            "Type" => Field::Type,
            "Region" => Field::Region,
            "Endpoint" => Field::Endpoint,
            "BucketName" | "Bucket" => Field::Bucket,
            "Key" => Field::Key,
            _ => return None,
        })
    }

    fn slot(self, body: &mut AwsErrorBody) -> &mut Option<String> {
        match self {
            Field::Code => &mut body.code,
            Field::Message => &mut body.message,
            Field::RequestId => &mut body.request_id,
            Field::Type => &mut body.error_type,
            Field::Region => &mut body.region,
            Field::Endpoint => &mut body.endpoint,
            Field::Bucket => &mut body.bucket,
            Field::Key => &mut body.key,
        }
    }
}

fn push_limited(buf: &mut String, text: &str) {
    for c in text.chars() {
        if buf.len() + c.len_utf8() > MAX_FIELD_LEN {
            return;
        }
        buf.push(c);
    }
}

/// Reads the fields of an AWS error document; `None` when `body` holds neither a `Code` nor a
/// `Message` element (it is empty, HTML, JSON, or XML of some other kind).
///
/// The first occurrence of each field wins, so of several `<Error>`s the first is reported.
/// Malformed XML ends the reading; what was read before still counts. Each field is cut to
/// 1 KiB. This never panics, whatever the bytes.
///
/// ```
/// use libcloud_aws::error::parse_error_body;
///
/// let body = br#"<?xml version="1.0" encoding="UTF-8"?>
/// <Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>
/// <Message>The instance ID 'i-1' does not exist</Message></Error></Errors>
/// <RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"#;
/// let parsed = parse_error_body(body).unwrap();
/// assert_eq!(parsed.code.as_deref(), Some("InvalidInstanceID.NotFound"));
/// assert_eq!(parsed.request_id.as_deref(), Some("ea966190-f9aa-478e-9ede-example"));
/// assert!(parse_error_body(b"<html><body>Bad Gateway</body></html>").is_none());
/// ```
pub fn parse_error_body(body: &[u8]) -> Option<AwsErrorBody> {
    let text = String::from_utf8_lossy(body);
    let mut reader = Reader::from_str(&text);
    let mut out = AwsErrorBody::default();
    let mut depth = 0usize;
    // The field being read, the depth of its element, and the text so far.
    let mut capture: Option<(Field, usize, String)> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                depth += 1;
                if capture.is_none()
                    && let Some(field) = Field::of(start.local_name().as_ref())
                    && field.slot(&mut out).is_none()
                {
                    capture = Some((field, depth, String::new()));
                }
            }
            Ok(Event::End(_)) => {
                if let Some((field, at, text)) = capture.take() {
                    if at == depth {
                        let text = text.trim();
                        if !text.is_empty() {
                            *field.slot(&mut out) = Some(text.to_string());
                        }
                    } else {
                        capture = Some((field, at, text));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Ok(Event::Text(t)) => {
                if let Some((_, at, buf)) = capture.as_mut()
                    && *at == depth
                {
                    push_limited(buf, &t.xml10_content());
                }
            }
            Ok(Event::CData(t)) => {
                if let Some((_, at, buf)) = capture.as_mut()
                    && *at == depth
                {
                    push_limited(buf, &t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some((_, at, buf)) = capture.as_mut()
                    && *at == depth
                {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        push_limited(buf, c.encode_utf8(&mut [0; 4]));
                    } else if let Some(s) =
                        quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                    {
                        push_limited(buf, s);
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    (out.code.is_some() || out.message.is_some()).then_some(out)
}

/// What a failed call was about, so that `NotFound` and friends name the right thing.
///
/// ```
/// use libcloud_aws::ErrorContext;
/// use libcloud_core::ResourceKind;
///
/// let ctx = ErrorContext::new("get_object")
///     .resource(ResourceKind::Object, "photos/cat.jpg")
///     .bucket("pets");
/// assert_eq!(ctx.id(), "photos/cat.jpg");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorContext {
    operation: Cow<'static, str>,
    kind: ResourceKind,
    id: String,
    bucket: Option<String>,
}

impl ErrorContext {
    /// The context of `operation` (a libcloud method name such as `get_container`), about no
    /// resource in particular.
    pub fn new(operation: impl Into<Cow<'static, str>>) -> Self {
        ErrorContext {
            operation: operation.into(),
            kind: ResourceKind::Other,
            id: String::new(),
            bucket: None,
        }
    }

    /// The resource the call is about: a `NotFound` that the code does not pin down names it.
    pub fn resource(mut self, kind: ResourceKind, id: impl Into<String>) -> Self {
        self.kind = kind;
        self.id = id.into();
        self
    }

    /// The bucket that holds the resource (for object calls), named by `NoSuchBucket`.
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = Some(bucket.into());
        self
    }

    /// The operation.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// The resource kind.
    pub fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// The resource id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn bucket_name(&self, body: Option<&AwsErrorBody>) -> String {
        body.and_then(|b| b.bucket.clone())
            .or_else(|| self.bucket.clone())
            .unwrap_or_else(|| self.id.clone())
    }
}

/// Codes that mean "slow down"; they are temporary.
pub const THROTTLING_CODES: &[&str] = &[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "TooManyRequests",
    "TooManyRequestsException",
    "PriorRequestNotComplete",
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
];

const CREDENTIAL_CODES: &[&str] = &[
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "AuthFailure",
    "InvalidToken",
    "TokenRefreshRequired",
    "UnrecognizedClientException",
    "MissingAuthenticationToken",
    "IncompleteSignature",
    "InvalidSignatureException",
    "RequestExpired",
];

const PERMISSION_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AllAccessDisabled",
    "OptInRequired",
];

const INPUT_CODES: &[&str] = &[
    "InvalidBucketName",
    "InvalidArgument",
    "MalformedXML",
    "InvalidParameterValue",
    "InvalidParameterCombination",
    "InvalidParameter",
    "MissingParameter",
    "ValidationError",
    "InvalidInput",
    "KeyTooLongError",
    "EntityTooLarge",
    "EntityTooSmall",
    "InvalidPart",
    "InvalidPartOrder",
    "InvalidRange",
    "InvalidDigest",
    "BadDigest",
    "MalformedQueryString",
    "InvalidChangeBatch",
    "InvalidDomainName",
    "InvalidLocationConstraint",
];

const SERVER_CODES: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
];

const REDIRECT_CODES: &[&str] = &["PermanentRedirect", "TemporaryRedirect", "Redirect"];

/// Turns an AWS error response into libcloud's [`Error`].
///
/// `body` is the response body, already read (and bounded by the caller); it may be empty.
/// The mapping, by error code:
///
/// | code | kind |
/// |---|---|
/// | `NoSuchBucket` | `NotFound` container (the body's `BucketName`, else the context's bucket or id) |
/// | `NoSuchKey` | `NotFound` object |
/// | `NoSuchUpload` | `NotFound` upload |
/// | `BucketAlreadyExists`, `BucketAlreadyOwnedByYou` | `AlreadyExists` container |
/// | `BucketNotEmpty` | `NotEmpty` container |
/// | `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `ExpiredToken`, `InvalidClientTokenId`, `AuthFailure`, ... | `InvalidCredentials` |
/// | `AccessDenied`, `UnauthorizedOperation`, ... | `PermissionDenied` |
/// | `InvalidBucketName`, `InvalidArgument`, `MalformedXML`, `InvalidParameterValue`, ... | `InvalidInput` |
/// | [`THROTTLING_CODES`] (`SlowDown`, `Throttling`, `RequestLimitExceeded`, ...), or any code with status 429 | `RateLimited`, temporary, with `Retry-After` if sent |
/// | `InternalError`, `ServiceUnavailable`, ... | `Provider`, temporary |
/// | `RequestTimeout` | `Timeout`, temporary |
/// | `NotImplemented` | `Unsupported` |
/// | `PermanentRedirect`, `TemporaryRedirect`, or status 301/307 | `Provider`, with a message naming the bucket's region (`x-amz-bucket-region`, else the body's `Region` or `Endpoint`) |
/// | `AuthorizationHeaderMalformed` naming a `Region` | the same wrong-region `Provider` error |
/// | other codes ending in `NotFound`/`.NotFound` or starting with `NoSuch` | `NotFound` of the context's resource |
/// | other codes ending in `.Duplicate`, starting with `Duplicate` or containing `AlreadyExists` | `AlreadyExists` of the context's resource |
/// | anything else | `Provider { code }`, temporary for 5xx |
///
/// With no code at all, the status decides ([`Error::from_status`] with the context's
/// resource). The error carries the status, the operation, the provider's message and the
/// request id; its provider name is left for the caller to set.
///
/// ```
/// use libcloud_aws::{ErrorContext, parse_error};
/// use libcloud_core::{ErrorKind, ResourceKind};
///
/// let body = b"<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>\
///              <BucketName>pets</BucketName><RequestId>4442587FB7D0A2F9</RequestId></Error>";
/// let ctx = ErrorContext::new("get_object").resource(ResourceKind::Object, "cat.jpg");
/// let err = parse_error(404, &http::HeaderMap::new(), body, &ctx);
/// assert_eq!(
///     *err.kind(),
///     ErrorKind::NotFound { kind: ResourceKind::Container, id: "pets".into() }
/// );
/// assert_eq!(err.request_id(), Some("4442587FB7D0A2F9"));
/// ```
pub fn parse_error(
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
    ctx: &ErrorContext,
) -> Error {
    let parsed = parse_error_body(body);
    let header_request_id = ["x-amz-request-id", "x-amzn-requestid"]
        .iter()
        .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .map(clean);
    let request_id = parsed
        .as_ref()
        .and_then(|p| p.request_id.clone())
        .map(|r| clean(&r))
        .or(header_request_id)
        .filter(|r| !r.is_empty());
    let code = parsed
        .as_ref()
        .and_then(|p| p.code.clone())
        .map(|c| clean(&c));
    let message = parsed
        .as_ref()
        .and_then(|p| p.message.clone())
        .map(|m| clean(&m));

    let mut err = match code.as_deref() {
        Some(code) => from_code(code, status, headers, parsed.as_ref(), ctx),
        None if matches!(status, 301 | 307) => {
            wrong_region(code_for_status(status), headers, parsed.as_ref(), ctx)
        }
        None => Error::from_status(status, ctx.kind, ctx.id.clone()),
    };
    if err.message().is_none() {
        let text = match (&code, &message) {
            (Some(c), Some(m)) if !matches!(err.kind(), ErrorKind::Provider { .. }) => {
                Some(format!("{c}: {m}"))
            }
            (_, Some(m)) => Some(m.clone()),
            (Some(c), None) if !matches!(err.kind(), ErrorKind::Provider { .. }) => Some(c.clone()),
            _ => None,
        };
        if let Some(text) = text {
            err = err.with_message(text);
        }
    }
    err = err
        .with_status(status)
        .with_operation(ctx.operation.clone());
    if let Some(id) = request_id {
        err = err.with_request_id(id);
    }
    err
}

/// A copy of `base` with another kind: for a driver's own `parse_error`, which starts from
/// [`parse_error`]'s answer and gives some of its codes a more precise meaning.
///
/// The message, provider, operation, status and request id are kept; whether the error is
/// temporary follows `kind` ([`ErrorKind::is_temporary_by_default`]); a source is not kept.
///
/// ```
/// use libcloud_aws::{ErrorContext, parse_error, retag};
/// use libcloud_core::{ErrorKind, ResourceKind};
///
/// let body = b"<ErrorResponse><Error><Code>HostedZoneNotEmpty</Code><Message>has records</Message>\
///              </Error><RequestId>R1</RequestId></ErrorResponse>";
/// let ctx = ErrorContext::new("delete_zone").resource(ResourceKind::Zone, "Z1");
/// let base = parse_error(400, &http::HeaderMap::new(), body, &ctx).with_provider("route53");
/// let err = retag(&base, ErrorKind::NotEmpty { kind: ResourceKind::Zone, id: "Z1".into() });
/// assert_eq!(err.request_id(), Some("R1"));
/// assert_eq!((err.provider(), err.operation(), err.status()), (Some("route53"), Some("delete_zone"), Some(400)));
/// assert!(!err.is_temporary());
/// ```
pub fn retag(base: &Error, kind: ErrorKind) -> Error {
    let mut err = Error::bare(kind);
    if let Some(m) = base.message() {
        err = err.with_message(m);
    }
    if let Some(p) = base.provider() {
        err = err.with_provider(p.to_string());
    }
    if let Some(o) = base.operation() {
        err = err.with_operation(o.to_string());
    }
    if let Some(s) = base.status() {
        err = err.with_status(s);
    }
    if let Some(r) = base.request_id() {
        err = err.with_request_id(r);
    }
    err
}

fn code_for_status(status: u16) -> &'static str {
    if status == 307 {
        "TemporaryRedirect"
    } else {
        "PermanentRedirect"
    }
}

fn from_code(
    code: &str,
    status: u16,
    headers: &http::HeaderMap,
    body: Option<&AwsErrorBody>,
    ctx: &ErrorContext,
) -> Error {
    let key_id = || {
        if ctx.kind == ResourceKind::Object {
            ctx.id.clone()
        } else {
            body.and_then(|b| b.key.clone())
                .unwrap_or_else(|| ctx.id.clone())
        }
    };
    let has_region = header_region(headers).is_some() || body.is_some_and(|b| b.region.is_some());
    match code {
        "NoSuchBucket" => Error::not_found(ResourceKind::Container, ctx.bucket_name(body)),
        "NoSuchKey" => Error::not_found(ResourceKind::Object, key_id()),
        "NoSuchUpload" => Error::not_found(ResourceKind::Upload, ctx.id.clone()),
        "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => {
            Error::already_exists(ResourceKind::Container, ctx.bucket_name(body))
        }
        "BucketNotEmpty" => Error::not_empty(ResourceKind::Container, ctx.bucket_name(body)),
        "RequestTimeout" => Error::bare(ErrorKind::Timeout),
        "NotImplemented" => Error::bare(ErrorKind::Unsupported),
        c if REDIRECT_CODES.contains(&c) => wrong_region(c, headers, body, ctx),
        "AuthorizationHeaderMalformed" if has_region => wrong_region(code, headers, body, ctx),
        c if THROTTLING_CODES.contains(&c) || status == 429 => {
            Error::bare(ErrorKind::RateLimited {
                retry_after: retry_after(headers),
            })
        }
        c if CREDENTIAL_CODES.contains(&c) => Error::bare(ErrorKind::InvalidCredentials),
        c if PERMISSION_CODES.contains(&c) => Error::bare(ErrorKind::PermissionDenied),
        c if INPUT_CODES.contains(&c) => Error::bare(ErrorKind::InvalidInput),
        c if SERVER_CODES.contains(&c) => provider(c).with_temporary(true),
        c if c.ends_with("NotFound") || c.starts_with("NoSuch") => {
            Error::not_found(ctx.kind, ctx.id.clone())
        }
        c if c.ends_with(".Duplicate")
            || c.starts_with("Duplicate")
            || c.contains("AlreadyExists") =>
        {
            Error::already_exists(ctx.kind, ctx.id.clone())
        }
        c => provider(c).with_temporary(status >= 500),
    }
}

fn provider(code: &str) -> Error {
    Error::bare(ErrorKind::Provider {
        code: code.to_string(),
    })
}

fn header_region(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("x-amz-bucket-region")
        .and_then(|v| v.to_str().ok())
        .map(clean)
        .filter(|r| !r.is_empty())
}

/// The error for a request sent to the wrong region: it names the right one when AWS said.
fn wrong_region(
    code: &str,
    headers: &http::HeaderMap,
    body: Option<&AwsErrorBody>,
    ctx: &ErrorContext,
) -> Error {
    let region =
        header_region(headers).or_else(|| body.and_then(|b| b.region.as_deref().map(clean)));
    let endpoint = body.and_then(|b| b.endpoint.as_deref().map(clean));
    let bucket = ctx.bucket_name(body);
    let subject = if bucket.is_empty() {
        "the bucket".to_string()
    } else {
        format!("bucket {bucket:?}")
    };
    let message = match (region, endpoint) {
        (Some(r), Some(e)) => format!("{subject} is in region {r} (endpoint {e}); use that region"),
        (Some(r), None) => format!("{subject} is in region {r}; use that region"),
        (None, Some(e)) => format!("{subject} must be addressed through endpoint {e}"),
        (None, None) => format!("{subject} is in another region than the one configured"),
    };
    provider(code).with_message(message)
}

/// `Retry-After` in seconds, when the response has it.
/// Text from a response made safe to print: control characters dropped, length bounded.
fn clean(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > MAX_FIELD_LEN {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    fn ctx() -> ErrorContext {
        ErrorContext::new("op")
            .resource(ResourceKind::Object, "key.txt")
            .bucket("bkt")
    }

    fn s3(code: &str) -> Vec<u8> {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>msg for {code}</Message><RequestId>RID</RequestId><HostId>h</HostId></Error>"
        )
        .into_bytes()
    }

    fn kind_of(status: u16, code: &str) -> ErrorKind {
        parse_error(status, &http::HeaderMap::new(), &s3(code), &ctx())
            .kind()
            .clone()
    }

    #[test]
    fn the_three_shapes_parse() {
        let s3 = parse_error_body(&s3("NoSuchKey")).unwrap();
        assert_eq!(s3.code.as_deref(), Some("NoSuchKey"));
        assert_eq!(s3.message.as_deref(), Some("msg for NoSuchKey"));
        assert_eq!(s3.request_id.as_deref(), Some("RID"));

        let ec2 = br#"<?xml version="1.0" encoding="UTF-8"?>
<Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><Errors><Error><Code>AuthFailure</Code><Message>bad</Message></Error><Error><Code>Second</Code></Error></Errors><RequestID>R-EC2</RequestID></Response>"#;
        let ec2 = parse_error_body(ec2).unwrap();
        assert_eq!(ec2.code.as_deref(), Some("AuthFailure"));
        assert_eq!(ec2.request_id.as_deref(), Some("R-EC2"));

        let query =
            br#"<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/">
  <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>
  <RequestId>R-ELB</RequestId>
</ErrorResponse>"#;
        let query = parse_error_body(query).unwrap();
        assert_eq!(query.error_type.as_deref(), Some("Sender"));
        assert_eq!(query.code.as_deref(), Some("Throttling"));
        assert_eq!(query.request_id.as_deref(), Some("R-ELB"));

        // Prefixed names match by local name; entities and CDATA are decoded.
        let prefixed = br#"<a:Error xmlns:a="urn:x"><a:Code>X</a:Code><a:Message>a &amp; b &#233; <![CDATA[<c>]]></a:Message></a:Error>"#;
        let prefixed = parse_error_body(prefixed).unwrap();
        assert_eq!(prefixed.code.as_deref(), Some("X"));
        assert_eq!(prefixed.message.as_deref(), Some("a & b \u{e9} <c>"));
    }

    #[test]
    fn codes_map_to_kinds() {
        use ErrorKind::*;
        let nf = |kind, id: &str| NotFound {
            kind,
            id: id.into(),
        };
        assert_eq!(
            kind_of(404, "NoSuchBucket"),
            nf(ResourceKind::Container, "bkt")
        );
        assert_eq!(
            kind_of(404, "NoSuchKey"),
            nf(ResourceKind::Object, "key.txt")
        );
        assert_eq!(
            kind_of(404, "NoSuchUpload"),
            nf(ResourceKind::Upload, "key.txt")
        );
        assert_eq!(
            kind_of(409, "BucketAlreadyExists"),
            AlreadyExists {
                kind: ResourceKind::Container,
                id: "bkt".into()
            }
        );
        assert_eq!(
            kind_of(409, "BucketAlreadyOwnedByYou"),
            AlreadyExists {
                kind: ResourceKind::Container,
                id: "bkt".into()
            }
        );
        assert_eq!(
            kind_of(409, "BucketNotEmpty"),
            NotEmpty {
                kind: ResourceKind::Container,
                id: "bkt".into()
            }
        );
        for code in [
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId",
            "ExpiredToken",
            "InvalidClientTokenId",
            "AuthFailure",
        ] {
            assert_eq!(kind_of(403, code), InvalidCredentials, "{code}");
        }
        assert_eq!(kind_of(403, "AccessDenied"), PermissionDenied);
        for code in ["InvalidBucketName", "InvalidArgument", "MalformedXML"] {
            assert_eq!(kind_of(400, code), InvalidInput, "{code}");
        }
        for code in [
            "RequestLimitExceeded",
            "ThrottlingException",
            "TooManyRequestsException",
            "SlowDown",
            "Throttling",
            "PriorRequestNotComplete",
        ] {
            assert_eq!(
                kind_of(400, code),
                RateLimited { retry_after: None },
                "{code}"
            );
        }
        assert_eq!(kind_of(400, "RequestTimeout"), Timeout);
        assert_eq!(kind_of(501, "NotImplemented"), Unsupported);
        assert_eq!(
            kind_of(400, "InvalidInstanceID.NotFound"),
            nf(ResourceKind::Object, "key.txt")
        );
        assert_eq!(
            kind_of(404, "NoSuchHostedZone"),
            nf(ResourceKind::Object, "key.txt")
        );
        assert_eq!(
            kind_of(400, "InvalidKeyPair.Duplicate"),
            AlreadyExists {
                kind: ResourceKind::Object,
                id: "key.txt".into()
            }
        );
        assert_eq!(
            kind_of(400, "HostedZoneAlreadyExists"),
            AlreadyExists {
                kind: ResourceKind::Object,
                id: "key.txt".into()
            }
        );
        assert_eq!(
            kind_of(400, "Weird"),
            Provider {
                code: "Weird".into()
            }
        );
    }

    #[test]
    fn temporariness() {
        let temp = |status, code: &str| {
            parse_error(status, &http::HeaderMap::new(), &s3(code), &ctx()).is_temporary()
        };
        assert!(temp(503, "SlowDown"));
        assert!(temp(400, "Throttling"));
        assert!(temp(500, "InternalError"));
        assert!(temp(503, "ServiceUnavailable"));
        assert!(temp(503, "SomethingNew"));
        assert!(!temp(400, "SomethingNew"));
        assert!(!temp(404, "NoSuchKey"));
        assert!(!temp(403, "SignatureDoesNotMatch"));
    }

    #[test]
    fn retag_keeps_the_context_and_follows_the_new_kind() {
        let ctx = ErrorContext::new("get_thing").resource(ResourceKind::Other, "t1");
        let base = parse_error(503, &http::HeaderMap::new(), &s3("InternalError"), &ctx)
            .with_provider("elb");
        assert!(base.is_temporary());
        let err = retag(&base, ErrorKind::InvalidInput);
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(!err.is_temporary());
        assert_eq!(err.message(), base.message());
        assert_eq!(err.request_id(), base.request_id());
        assert_eq!(err.provider(), Some("elb"));
        assert_eq!(err.operation(), Some("get_thing"));
        assert_eq!(err.status(), Some(503));
        let limited = retag(&base, ErrorKind::RateLimited { retry_after: None });
        assert!(limited.is_temporary());
        let bare = retag(&Error::bare(ErrorKind::Timeout), ErrorKind::InvalidInput);
        assert_eq!(
            (bare.provider(), bare.status(), bare.message()),
            (None, None, None)
        );
    }

    #[test]
    fn context_fields_and_rendering() {
        let mut headers = http::HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        let err = parse_error(503, &headers, &s3("SlowDown"), &ctx()).with_provider("s3");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(err.status(), Some(503));
        assert_eq!(err.operation(), Some("op"));
        assert_eq!(err.request_id(), Some("RID"));
        assert_eq!(
            err.to_string(),
            "s3: op: rate limited (retry after 7000 ms): SlowDown: msg for SlowDown (HTTP 503, request id RID)"
        );
        let err = parse_error(500, &http::HeaderMap::new(), &s3("InternalError"), &ctx());
        assert_eq!(
            err.to_string(),
            "op: provider error InternalError: msg for InternalError (HTTP 500, request id RID)"
        );
    }

    #[test]
    fn request_id_falls_back_to_headers() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-amzn-RequestId", "HDR-ID".parse().unwrap());
        let err = parse_error(404, &headers, b"", &ctx());
        assert_eq!(err.request_id(), Some("HDR-ID"));
        let mut headers = http::HeaderMap::new();
        headers.insert("x-amz-request-id", "S3-ID".parse().unwrap());
        let body = b"<Error><Code>NoSuchKey</Code></Error>";
        assert_eq!(
            parse_error(404, &headers, body, &ctx()).request_id(),
            Some("S3-ID")
        );
    }

    #[test]
    fn empty_and_foreign_bodies_fall_back_to_the_status() {
        let none = http::HeaderMap::new();
        let bucket_ctx = ErrorContext::new("get_container").resource(ResourceKind::Container, "b");
        let err = parse_error(404, &none, b"", &bucket_ctx);
        assert_eq!(
            *err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::Container,
                id: "b".into()
            }
        );
        assert_eq!(
            *parse_error(403, &none, b"", &ctx()).kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            *parse_error(401, &none, b"", &ctx()).kind(),
            ErrorKind::InvalidCredentials
        );
        assert_eq!(
            *parse_error(429, &none, b"", &ctx()).kind(),
            ErrorKind::RateLimited { retry_after: None }
        );
        let too_many = b"<Error><Code>TooManyRequests</Code><Message>slow down</Message></Error>";
        let err = parse_error(429, &none, too_many, &ctx());
        assert_eq!(*err.kind(), ErrorKind::RateLimited { retry_after: None });
        assert!(err.is_temporary());
        let odd = b"<Error><Code>SomethingNew</Code></Error>";
        assert!(matches!(
            parse_error(429, &none, odd, &ctx()).kind(),
            ErrorKind::RateLimited { .. }
        ));
        let html = b"<html><head><title>502 Bad Gateway</title></head></html>";
        let err = parse_error(502, &none, html, &ctx());
        assert_eq!(*err.kind(), ErrorKind::Provider { code: "502".into() });
        assert!(err.is_temporary());
        let json = br#"{"__type":"Throttling","message":"x"}"#;
        assert_eq!(
            *parse_error(400, &none, json, &ctx()).kind(),
            ErrorKind::Provider { code: "400".into() }
        );
    }

    #[test]
    fn redirects_name_the_region() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-amz-bucket-region", "eu-west-1".parse().unwrap());
        // A HEAD gets a bare 301.
        let err = parse_error(301, &headers, b"", &ctx());
        assert_eq!(
            *err.kind(),
            ErrorKind::Provider {
                code: "PermanentRedirect".into()
            }
        );
        let shown = err.to_string();
        assert!(
            shown.contains("bucket \"bkt\" is in region eu-west-1"),
            "{shown}"
        );
        assert!(!err.is_temporary());

        let body = b"<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting \
                     to access must be addressed using the specified endpoint.</Message>\
                     <Endpoint>bkt.s3.eu-central-1.amazonaws.com</Endpoint><Bucket>bkt</Bucket></Error>";
        let err = parse_error(301, &http::HeaderMap::new(), body, &ctx());
        assert!(
            err.to_string()
                .contains("endpoint bkt.s3.eu-central-1.amazonaws.com"),
            "{err}"
        );

        let body =
            b"<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' \
                     is wrong; expecting 'ap-south-1'</Message><Region>ap-south-1</Region></Error>";
        let err = parse_error(400, &http::HeaderMap::new(), body, &ctx());
        assert!(err.to_string().contains("is in region ap-south-1"), "{err}");
        let err = parse_error(307, &http::HeaderMap::new(), b"", &ErrorContext::new("x"));
        assert_eq!(
            *err.kind(),
            ErrorKind::Provider {
                code: "TemporaryRedirect".into()
            }
        );
        assert!(
            err.to_string().contains("the bucket is in another region"),
            "{err}"
        );
    }

    #[test]
    fn long_and_control_text_is_cleaned() {
        let long = "x".repeat(10_000);
        let body = format!("<Error><Code>Weird</Code><Message>{long}\u{1b}[31m</Message></Error>");
        let err = parse_error(400, &http::HeaderMap::new(), body.as_bytes(), &ctx());
        let msg = err.message().unwrap();
        assert!(msg.len() <= MAX_FIELD_LEN);
        assert!(!msg.contains('\u{1b}'));
    }

    /// A small deterministic generator, so the garbling below is the same on every run.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            self.0 >> 33
        }
    }

    #[test]
    fn garbled_inputs_never_panic() {
        let samples: Vec<Vec<u8>> = vec![
            s3("NoSuchKey"),
            br#"<Response><Errors><Error><Code>AuthFailure</Code></Error></Errors><RequestID>r</RequestID></Response>"#.to_vec(),
            br#"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code></Error></ErrorResponse>"#.to_vec(),
        ];
        let fixed: Vec<&[u8]> = vec![
            b"",
            b"<",
            b"<Error>",
            b"<Error><Code>",
            b"<Error><Code>NoSuchKey</Error></Code>",
            b"<Code>A</Code><Code>B</Code>",
            b"</Code>NoSuchKey<Code>",
            b"<!DOCTYPE x [<!ENTITY a \"&a;&a;\">]><Error><Code>&a;</Code></Error>",
            b"<Error><Code>&bogus;&#xFFFFFFFF;&#0;</Code></Error>",
            b"\xff\xfe<\x00E\x00",
            b"<?xml version=\"1.0\"?><?pi?><!-- c --><Error><Code><![CDATA[X",
        ];
        let none = http::HeaderMap::new();
        for body in &fixed {
            let _ = parse_error(400, &none, body, &ctx());
        }
        let mut rng = Lcg(0x5eed);
        for sample in &samples {
            for cut in 0..sample.len() {
                let _ = parse_error(500, &none, &sample[..cut], &ctx());
            }
            for _ in 0..300 {
                let mut garbled = sample.clone();
                for _ in 0..(1 + rng.next() % 4) {
                    let i = (rng.next() as usize) % garbled.len();
                    garbled[i] = (rng.next() % 256) as u8;
                }
                let err = parse_error(400, &none, &garbled, &ctx());
                assert_eq!(err.status(), Some(400));
            }
        }
        // Unbalanced nesting inside a field does not leak the field into the next one.
        let odd = parse_error_body(b"<Error><Code>A<b>x</b>B</Code><Message>m</Message></Error>")
            .unwrap();
        assert_eq!(odd.code.as_deref(), Some("AB"));
        assert_eq!(odd.message.as_deref(), Some("m"));
    }
}
