//! The request plumbing of the S3 driver: URLs, sending through [`AwsClient`], and S3's errors.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::HeaderMap;
use libcloud_aws::error::parse_error_body;
use libcloud_aws::{AddressingStyle, AwsClient, ErrorContext, parse_error, retag, s3_uri};
use libcloud_core::transport::{Operation, Request, Response};
use libcloud_core::{Body, Error, ErrorKind, Result};

/// The provider name errors carry unless configured otherwise.
pub(crate) const PROVIDER: &str = "s3";

/// How much of an error body is read: 64 KiB.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// How much of an XML answer (a listing page) is read: 32 MiB.
pub(crate) const XML_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The header that carries a request's Content-MD5.
pub(crate) const CONTENT_MD5: &str = "content-md5";
/// The header that carries a request's CRC32C checksum.
pub(crate) const CHECKSUM_CRC32C: &str = "x-amz-checksum-crc32c";

/// Signs and sends S3 requests, and turns S3's failures into libcloud errors.
#[derive(Clone, Debug)]
pub(crate) struct S3Client {
    pub(crate) aws: AwsClient,
    pub(crate) addressing: AddressingStyle,
}

impl S3Client {
    /// The URI of the endpoint's root (`ListBuckets`), with an optional query.
    pub(crate) fn root_uri(&self, query: Option<&str>) -> Result<http::Uri> {
        match query {
            Some(q) if !q.is_empty() => self.aws.endpoint().uri(&format!("/?{q}")),
            _ => self.aws.endpoint().uri("/"),
        }
    }

    /// The URI of a bucket.
    pub(crate) fn bucket_uri(&self, bucket: &str, query: Option<&str>) -> Result<http::Uri> {
        check_bucket(bucket)?;
        s3_uri(self.aws.endpoint(), self.addressing, bucket, "", query)
            .map_err(|e| e.with_provider(self.provider()))
    }

    /// The URI of an object.
    pub(crate) fn object_uri(
        &self,
        bucket: &str,
        key: &str,
        query: Option<&str>,
    ) -> Result<http::Uri> {
        check_bucket(bucket)?;
        check_key(key)?;
        s3_uri(self.aws.endpoint(), self.addressing, bucket, key, query)
            .map_err(|e| e.with_provider(self.provider()))
    }

    /// The provider name errors carry.
    pub(crate) fn provider(&self) -> Cow<'static, str> {
        Cow::Owned(self.aws.provider_name().to_string())
    }

    /// Tags an error made here (not from a response) with the provider and operation.
    pub(crate) fn tag(&self, err: Error, operation: &'static str) -> Error {
        err.or_provider(self.provider()).or_operation(operation)
    }

    /// Signs and sends `request` and returns the response, error statuses included.
    pub(crate) async fn send_raw(&self, mut request: Request, operation: &str) -> Result<Response> {
        request
            .extensions_mut()
            .insert(Operation(Cow::Owned(operation.to_string())));
        self.aws.send_raw(request).await
    }

    /// Signs and sends `request`; a status outside 2xx becomes the error [`map_error`] makes of
    /// it.
    pub(crate) async fn send(&self, request: Request, ctx: &ErrorContext) -> Result<Response> {
        let sent = sent_digest(request.headers());
        let response = self.send_raw(request, ctx.operation()).await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(self.error(response, ctx, sent.as_deref()).await)
        }
    }

    /// The error a failed response stands for.
    pub(crate) async fn error(
        &self,
        response: Response,
        ctx: &ErrorContext,
        sent_digest: Option<&str>,
    ) -> Error {
        let (parts, body) = response.into_parts();
        let bytes = body.collect(ERROR_BODY_LIMIT).await.unwrap_or_default();
        map_error(
            parts.status.as_u16(),
            &parts.headers,
            &bytes,
            ctx,
            sent_digest,
        )
        .with_provider(self.provider())
    }

    /// Reads an XML answer, refusing more than [`XML_BODY_LIMIT`] bytes.
    pub(crate) async fn read_body(
        &self,
        response: Response,
        operation: &'static str,
    ) -> Result<Bytes> {
        response
            .into_body()
            .collect(XML_BODY_LIMIT)
            .await
            .map_err(|e| self.tag(e, operation))
    }
}

/// A request builder for `method` on `uri` with an empty body.
pub(crate) fn empty_request(method: http::Method, uri: http::Uri) -> Result<Request> {
    build(
        http::Request::builder().method(method).uri(uri),
        Body::empty(),
    )
}

/// Finishes a request builder.
pub(crate) fn build(builder: http::request::Builder, body: Body) -> Result<Request> {
    builder
        .body(body)
        .map_err(|e| Error::invalid_input("the request cannot be built").with_source(e))
}

fn check_bucket(bucket: &str) -> Result<()> {
    if bucket.is_empty() || bucket.contains('/') {
        return Err(Error::invalid_input(format!(
            "{bucket:?} is not a bucket name: it must not be empty or contain '/'"
        ))
        .with_provider(PROVIDER));
    }
    Ok(())
}

/// The longest key S3 stores, in bytes.
const MAX_KEY_LEN: usize = 1024;

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid_input("the object name is empty").with_provider(PROVIDER));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::invalid_input(format!(
            "the object name is {} bytes long; S3 takes at most {MAX_KEY_LEN}",
            key.len()
        ))
        .with_provider(PROVIDER));
    }
    Ok(())
}

/// The checksum a request carries, for the message of a `HashMismatch`.
fn sent_digest(headers: &HeaderMap) -> Option<String> {
    [CONTENT_MD5, CHECKSUM_CRC32C]
        .iter()
        .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .map(str::to_string)
}

/// Codes that say the body that arrived does not match the checksum sent with it.
const DIGEST_CODES: &[&str] = &["BadDigest", "XAmzContentSHA256Mismatch"];

/// Whether an `AccessDenied` message is about the signature or the key rather than a policy:
/// S3-compatible stores (Garage among them) answer a wrong secret or an unknown key with
/// `AccessDenied` instead of `SignatureDoesNotMatch` or `InvalidAccessKeyId`.
fn is_credential_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("signature") || m.contains("no such key") || m.contains("access key")
}

/// S3's error mapping: [`parse_error`], and then
///
/// - `BadDigest` and `XAmzContentSHA256Mismatch` (the server received bytes that do not match
///   the checksum sent) are [`ErrorKind::HashMismatch`];
/// - `AccessDenied` whose message is about the signature or the access key is
///   [`ErrorKind::InvalidCredentials`].
pub(crate) fn map_error(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &ErrorContext,
    sent_digest: Option<&str>,
) -> Error {
    let base = parse_error(status, headers, body, ctx);
    let Some(parsed) = parse_error_body(body) else {
        return base;
    };
    let code = parsed.code.as_deref().unwrap_or("");
    let message = parsed.message.as_deref().unwrap_or("");
    let kind = if DIGEST_CODES.contains(&code) {
        ErrorKind::HashMismatch {
            expected: sent_digest.unwrap_or("the checksum sent").to_string(),
            actual: "a different checksum computed by the server".to_string(),
        }
    } else if code == "AccessDenied" && is_credential_message(message) {
        ErrorKind::InvalidCredentials
    } else {
        return base;
    };
    retag(&base, kind)
}

/// Parses an HTTP date in the IMF-fixdate form servers send (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    let mut fields = text.split_ascii_whitespace();
    let _weekday = fields.next()?;
    let day: u32 = fields.next()?.parse().ok()?;
    let month = match fields.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = fields.next()?.parse().ok()?;
    let mut clock = fields.next()?.split(':');
    let hour: u64 = clock.next()?.parse().ok()?;
    let minute: u64 = clock.next()?.parse().ok()?;
    let second: u64 = clock.next()?.parse().ok()?;
    if fields.next()? != "GMT"
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ResourceKind;

    #[test]
    fn http_dates() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 784_111_777);
        let t = parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_709_164_800
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 06 Nov 1969 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn s3_specific_mapping() {
        let ctx = ErrorContext::new("upload_object").resource(ResourceKind::Object, "k");
        let h = HeaderMap::new();
        let body = b"<Error><Code>BadDigest</Code><Message>The Content-MD5 you specified did not match</Message><RequestId>R1</RequestId></Error>";
        let err = map_error(400, &h, body, &ctx, Some("XrY7u+Ae7tCTyyK7j1rNww=="));
        assert_eq!(
            *err.kind(),
            ErrorKind::HashMismatch {
                expected: "XrY7u+Ae7tCTyyK7j1rNww==".into(),
                actual: "a different checksum computed by the server".into()
            }
        );
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.request_id(), Some("R1"));
        assert_eq!(err.operation(), Some("upload_object"));

        let garage = b"<Error><Code>AccessDenied</Code><Message>Forbidden: Invalid signature</Message></Error>";
        assert_eq!(
            *map_error(403, &h, garage, &ctx, None).kind(),
            ErrorKind::InvalidCredentials
        );
        let policy = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
        assert_eq!(
            *map_error(403, &h, policy, &ctx, None).kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            *map_error(403, &h, b"", &ctx, None).kind(),
            ErrorKind::PermissionDenied
        );
    }
}
