//! AWS Signature Version 4, applied to libcloud requests with the `aws-sigv4` crate.
//!
//! [`sign_request`] adds `Authorization`, `X-Amz-Date`, `X-Amz-Security-Token` (for temporary
//! credentials) and, under S3's rules, `X-Amz-Content-SHA256` to a request in place.
//! [`presign`] puts the signature in the query string instead, for URLs that work without
//! credentials until they expire. The time is always a parameter, so that tests pin the clock;
//! drivers pass [`SystemTime::now`] (or a [`Clock`]).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use libcloud_core::{Body, Credentials, Error, Result};

use crate::encode::encode_component;
use crate::endpoint::{Endpoint, Service};
use crate::region::Region;

/// The header that carries the payload hash under S3's rules.
pub const CONTENT_SHA256: &str = "x-amz-content-sha256";

/// The payload hash that tells AWS the body is not part of the signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The longest validity of a presigned URL that AWS accepts: seven days.
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// The first instant `aws-sigv4` cannot format (year 10000).
const LATEST_SIGNABLE_SECS: u64 = 253_402_300_800;

/// A source of the current time, injectable so that tests can pin it.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The system's clock.
pub fn system_clock() -> Clock {
    Arc::new(SystemTime::now)
}

/// A clock that always says `time`.
pub fn fixed_clock(time: SystemTime) -> Clock {
    Arc::new(move || time)
}

/// How the body takes part in the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[non_exhaustive]
pub enum PayloadSigning {
    /// The SHA-256 of a body held in memory; `UNSIGNED-PAYLOAD` for a streamed body, whose bytes
    /// are not known when the request is signed (only S3 accepts that).
    #[default]
    Auto,
    /// `UNSIGNED-PAYLOAD` for every body (S3 only): no time is spent hashing; TLS protects the body.
    Unsigned,
}

/// What a signature is for: service, region, and the rules that differ between services.
///
/// ```
/// use libcloud_aws::{Endpoint, Region, Service, SigningConfig};
///
/// let region = Region::new("eu-west-1").unwrap();
/// let cfg = SigningConfig::for_endpoint(Service::S3, &Endpoint::aws(Service::S3, &region));
/// assert_eq!((cfg.service(), cfg.region().as_str(), cfg.s3_rules()), ("s3", "eu-west-1", true));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningConfig {
    service: Cow<'static, str>,
    region: Region,
    payload: PayloadSigning,
    s3_rules: bool,
}

impl SigningConfig {
    /// Signs for `service` (the credential-scope name, such as `ec2`) in `region`.
    ///
    /// S3's rules are on when `service` is `s3`: see [`SigningConfig::with_s3_rules`].
    pub fn new(service: impl Into<Cow<'static, str>>, region: Region) -> Self {
        let service = service.into();
        let s3_rules = service == "s3";
        SigningConfig {
            service,
            region,
            payload: PayloadSigning::Auto,
            s3_rules,
        }
    }

    /// Signs for `service` with the signing region of `endpoint`.
    pub fn for_endpoint(service: Service, endpoint: &Endpoint) -> Self {
        SigningConfig::new(service.signing_name(), endpoint.signing_region().clone())
    }

    /// Chooses how the body is signed (default [`PayloadSigning::Auto`]).
    pub fn with_payload(mut self, payload: PayloadSigning) -> Self {
        self.payload = payload;
        self
    }

    /// Switches S3's rules on or off: the path is used as sent (encoded once, never normalized,
    /// so keys such as `a/../b` or `a//b` keep their meaning) and the payload hash travels in an
    /// `X-Amz-Content-SHA256` header. Other services encode the path twice and normalize it.
    pub fn with_s3_rules(mut self, on: bool) -> Self {
        self.s3_rules = on;
        self
    }

    /// The credential-scope service name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The region the signature is for.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// How the body is signed.
    pub fn payload(&self) -> PayloadSigning {
        self.payload
    }

    /// Whether S3's rules apply.
    pub fn s3_rules(&self) -> bool {
        self.s3_rules
    }

    fn settings(&self) -> SigningSettings {
        let mut settings = SigningSettings::default();
        if self.s3_rules {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        settings
    }
}

fn signing_error(what: impl Into<String>) -> Error {
    Error::invalid_input(what).with_provider("aws")
}

/// Checks what `aws-sigv4` would otherwise panic on or send garbled.
fn check_inputs(uri: &http::Uri, credentials: &Credentials, time: SystemTime) -> Result<()> {
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(signing_error("only http and https URIs can be signed"));
    }
    match uri.authority() {
        Some(a) if !a.host().is_empty() && !a.as_str().contains('@') => {}
        _ => {
            return Err(signing_error(
                "the URI to sign needs a host and no user info",
            ));
        }
    }
    let visible = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
    if !visible(&credentials.key_id) {
        return Err(signing_error(
            "the access key id is empty or holds characters that cannot be sent",
        ));
    }
    if credentials.secret.expose().is_empty() {
        return Err(signing_error("the secret access key is empty"));
    }
    if let Some(token) = &credentials.session_token
        && !visible(token.expose())
    {
        return Err(signing_error(
            "the session token is empty or holds characters that cannot be sent",
        ));
    }
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_err(|_| signing_error("cannot sign with a time before 1970"))?
        .as_secs();
    if secs >= LATEST_SIGNABLE_SECS {
        return Err(signing_error("cannot sign with a time after the year 9999"));
    }
    Ok(())
}

fn identity(credentials: &Credentials) -> Identity {
    aws_credential_types::Credentials::new(
        credentials.key_id.clone(),
        credentials.secret.expose().to_string(),
        credentials
            .session_token
            .as_ref()
            .map(|t| t.expose().to_string()),
        None,
        "libcloud",
    )
    .into()
}

/// The request's headers as text, refusing values that are not visible ASCII (they would be
/// signed differently from how they are sent).
fn header_pairs(headers: &http::HeaderMap) -> Result<Vec<(&str, &str)>> {
    headers
        .iter()
        .map(|(name, value)| {
            value.to_str().map(|v| (name.as_str(), v)).map_err(|_| {
                signing_error(format!(
                    "header {name} has a value that is not visible ASCII and cannot be signed"
                ))
            })
        })
        .collect()
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Runs `f` (a call into aws-sigv4) with `tracing` switched off on this thread.
///
/// At TRACE level aws-sigv4 logs the request it signs and the canonical request; for a presigned
/// URL the canonical query holds the session token (`X-Amz-Security-Token`), so with a
/// subscriber listening at that level the token would reach the caller's log. Signing is
/// synchronous, so silencing the thread for the call silences exactly it.
fn quietly<T>(f: impl FnOnce() -> T) -> T {
    tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), f)
}

/// Signs `request` in place for `config`'s service and region, as of `time`.
///
/// The payload hash is, in this order: the request's own `X-Amz-Content-SHA256` header when it
/// has one (a SHA-256 the caller computed while streaming, or `UNSIGNED-PAYLOAD`); the SHA-256
/// of an in-memory body under [`PayloadSigning::Auto`]; else `UNSIGNED-PAYLOAD`. A request that
/// was signed before is signed afresh (for a retry), its old signature headers replaced.
///
/// Errors, all [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput): a URI without
/// an `http(s)` scheme and host, credentials that cannot be sent in a header, a header value that
/// is not visible ASCII, a malformed `X-Amz-Content-SHA256`, or a time outside 1970-9999.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use libcloud_aws::{Region, SigningConfig, sign_request};
/// use libcloud_core::{Body, Credentials};
///
/// let mut req = http::Request::get("https://ec2.eu-west-1.amazonaws.com/?Action=DescribeRegions")
///     .body(Body::empty())
///     .unwrap();
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let cfg = SigningConfig::new("ec2", Region::new("eu-west-1").unwrap());
/// sign_request(&mut req, &creds, &cfg, UNIX_EPOCH + Duration::from_secs(1_440_938_160)).unwrap();
/// let auth = req.headers()["authorization"].to_str().unwrap();
/// assert!(auth.starts_with(
///     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature="
/// ));
/// assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z");
/// ```
pub fn sign_request(
    request: &mut http::Request<Body>,
    credentials: &Credentials,
    config: &SigningConfig,
    time: SystemTime,
) -> Result<()> {
    check_inputs(request.uri(), credentials, time)?;
    // A retry signs again: drop what the previous signature added (but keep a caller's hash).
    for name in ["authorization", "x-amz-date", "x-amz-security-token"] {
        request.headers_mut().remove(name);
    }
    let body = match request.headers().get(CONTENT_SHA256) {
        Some(value) => match value.to_str() {
            Ok(UNSIGNED_PAYLOAD) => SignableBody::UnsignedPayload,
            Ok(hash) if is_sha256_hex(hash) => SignableBody::Precomputed(hash.to_string()),
            _ => {
                return Err(signing_error(
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a lower-case hex SHA-256",
                ));
            }
        },
        None => match (request.body().as_bytes(), config.payload) {
            (Some(bytes), PayloadSigning::Auto) => SignableBody::Bytes(bytes),
            _ => SignableBody::UnsignedPayload,
        },
    };
    let identity = identity(credentials);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(config.region.as_str())
        .name(&config.service)
        .time(time)
        .settings(config.settings())
        .build()
        .map_err(|e| signing_error("incomplete signing parameters").with_source(e))?
        .into();
    let uri = request.uri().to_string();
    let method = request.method().as_str().to_string();
    let instructions = {
        let headers = header_pairs(request.headers())?;
        let signable = SignableRequest::new(&method, uri, headers.into_iter(), body)
            .map_err(|e| signing_error("the request cannot be signed").with_source(e))?;
        quietly(|| sign(signable, &params))
            .map_err(|e| signing_error("the request cannot be signed").with_source(e))?
            .into_parts()
            .0
    };
    let (headers, _query) = instructions.into_parts();
    for header in headers {
        let name = HeaderName::from_bytes(header.name().as_bytes())
            .map_err(|e| signing_error("the signer produced a bad header name").with_source(e))?;
        let mut value = HeaderValue::from_str(header.value()).map_err(|e| {
            signing_error(format!("the signer produced a bad {name} header")).with_source(e)
        })?;
        value.set_sensitive(header.sensitive() || name == AUTHORIZATION);
        request.headers_mut().insert(name, value);
    }
    Ok(())
}

/// A presigned URL for `method` on `uri`: the signature, credential scope, date, expiry and any
/// session token go in the query string, so anyone holding the URL may make that one request
/// until `time + expires_in`.
///
/// `headers` are signed too, and the eventual request must then carry them with the same values
/// (for example `content-type` for a PUT); the host always is. The payload is `UNSIGNED-PAYLOAD`.
/// `expires_in` must be between one second and [`MAX_PRESIGN_EXPIRY`]; other failures are as for
/// [`sign_request`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use libcloud_aws::{Region, SigningConfig, presign};
/// use libcloud_core::Credentials;
///
/// let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
/// let url = presign(
///     &http::Method::GET,
///     &"https://examplebucket.s3.amazonaws.com/test.txt".parse().unwrap(),
///     &http::HeaderMap::new(),
///     &creds,
///     &SigningConfig::new("s3", Region::US_EAST_1),
///     UNIX_EPOCH + Duration::from_secs(1_369_353_600),
///     Duration::from_secs(86_400),
/// )
/// .unwrap();
/// assert!(url.to_string().ends_with(
///     "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
/// ));
/// ```
pub fn presign(
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    credentials: &Credentials,
    config: &SigningConfig,
    time: SystemTime,
    expires_in: Duration,
) -> Result<http::Uri> {
    check_inputs(uri, credentials, time)?;
    if expires_in < Duration::from_secs(1) || expires_in > MAX_PRESIGN_EXPIRY {
        return Err(signing_error(
            "a presigned URL must expire between one second and seven days from now",
        ));
    }
    let identity = identity(credentials);
    let mut settings = config.settings();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(expires_in);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(config.region.as_str())
        .name(&config.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| signing_error("incomplete signing parameters").with_source(e))?
        .into();
    let pairs = header_pairs(headers)?;
    let signable = SignableRequest::new(
        method.as_str(),
        uri.to_string(),
        pairs.into_iter(),
        SignableBody::UnsignedPayload,
    )
    .map_err(|e| signing_error("the URL cannot be signed").with_source(e))?;
    let (instructions, _signature) = quietly(|| sign(signable, &params))
        .map_err(|e| signing_error("the URL cannot be signed").with_source(e))?
        .into_parts();
    let (_headers, query) = instructions.into_parts();
    let mut text = uri.to_string();
    let mut sep = if uri.query().is_some() { '&' } else { '?' };
    for (name, value) in query {
        text.push(sep);
        text.push_str(&encode_component(name));
        text.push('=');
        text.push_str(&encode_component(&value));
        sep = '&';
    }
    text.parse()
        .map_err(|e| signing_error("the presigned URL is not a valid URI").with_source(e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn creds() -> Credentials {
        Credentials::new("AKID", "secret")
    }

    fn get(uri: &str) -> http::Request<Body> {
        http::Request::get(uri).body(Body::empty()).unwrap()
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        let cfg = SigningConfig::new("s3", Region::US_EAST_1);
        let now = at(1_700_000_000);
        for uri in ["/relative", "ftp://host/x", "https://user@host/"] {
            let mut req = get(uri);
            let err = sign_request(&mut req, &creds(), &cfg, now).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{uri}");
        }
        let mut req = get("https://h/");
        for bad in [
            Credentials::new("", "s"),
            Credentials::new("AK ID", "s"),
            Credentials::new("AKID\n", "s"),
            Credentials::new("AKID", ""),
            Credentials::new("AKID", "s").with_session_token("zzsec\r\nretzz"),
            Credentials::new("AKID", "s").with_session_token("zzsecr\u{e9}tzz"),
        ] {
            let err = sign_request(&mut req, &bad, &cfg, now).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput);
            assert!(!err.to_string().contains("zzsec"));
        }
        let far = UNIX_EPOCH + Duration::from_secs(LATEST_SIGNABLE_SECS + 5);
        assert!(sign_request(&mut req, &creds(), &cfg, far).is_err());
        let past = UNIX_EPOCH - Duration::from_secs(5);
        assert!(sign_request(&mut req, &creds(), &cfg, past).is_err());

        let mut req = get("https://h/");
        req.headers_mut().insert(
            "x-amz-meta-name",
            HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
        );
        let err = sign_request(&mut req, &creds(), &cfg, now).unwrap_err();
        assert!(err.to_string().contains("x-amz-meta-name"));

        let mut req = get("https://h/");
        req.headers_mut()
            .insert(CONTENT_SHA256, HeaderValue::from_static("abc"));
        assert!(sign_request(&mut req, &creds(), &cfg, now).is_err());

        let m = http::Method::GET;
        let h = http::HeaderMap::new();
        let uri: http::Uri = "https://h/k".parse().unwrap();
        for expiry in [Duration::ZERO, MAX_PRESIGN_EXPIRY + Duration::from_secs(1)] {
            let err = presign(&m, &uri, &h, &creds(), &cfg, now, expiry).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        }
        assert!(presign(&m, &uri, &h, &creds(), &cfg, now, MAX_PRESIGN_EXPIRY).is_ok());
    }

    #[test]
    fn s3_rules_add_the_payload_hash_and_streams_go_unsigned() {
        let cfg = SigningConfig::new("s3", Region::US_EAST_1);
        let mut req = http::Request::put("https://b.s3.amazonaws.com/k")
            .body(Body::from("hello"))
            .unwrap();
        sign_request(&mut req, &creds(), &cfg, at(1_700_000_000)).unwrap();
        assert_eq!(
            req.headers()[CONTENT_SHA256],
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(req.headers()[AUTHORIZATION].is_sensitive());

        let stream = libcloud_core::body::once_stream("hello");
        let mut req = http::Request::put("https://b.s3.amazonaws.com/k")
            .body(Body::from_stream(stream))
            .unwrap();
        sign_request(&mut req, &creds(), &cfg, at(1_700_000_000)).unwrap();
        assert_eq!(req.headers()[CONTENT_SHA256], UNSIGNED_PAYLOAD);

        let unsigned = cfg.clone().with_payload(PayloadSigning::Unsigned);
        let mut req = http::Request::put("https://b.s3.amazonaws.com/k")
            .body(Body::from("hello"))
            .unwrap();
        sign_request(&mut req, &creds(), &unsigned, at(1_700_000_000)).unwrap();
        assert_eq!(req.headers()[CONTENT_SHA256], UNSIGNED_PAYLOAD);

        // Other services carry no hash header.
        let mut req = get("https://ec2.us-east-1.amazonaws.com/");
        sign_request(
            &mut req,
            &creds(),
            &SigningConfig::new("ec2", Region::US_EAST_1),
            at(0),
        )
        .unwrap();
        assert!(req.headers().get(CONTENT_SHA256).is_none());
    }

    #[test]
    fn signing_again_replaces_the_old_signature() {
        let cfg = SigningConfig::new("s3", Region::US_EAST_1);
        let mut req = get("https://b.s3.amazonaws.com/k");
        sign_request(
            &mut req,
            &creds().with_session_token("token1"),
            &cfg,
            at(1_700_000_000),
        )
        .unwrap();
        let first = req.headers()[AUTHORIZATION].clone();
        sign_request(&mut req, &creds(), &cfg, at(1_700_000_060)).unwrap();
        assert_ne!(req.headers()[AUTHORIZATION], first);
        assert!(req.headers().get("x-amz-security-token").is_none());
        assert_eq!(req.headers()["x-amz-date"], "20231114T221420Z");
        let auth = req.headers()[AUTHORIZATION].to_str().unwrap();
        assert!(
            auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"),
            "{auth}"
        );
    }

    #[test]
    fn clocks() {
        let t = at(42);
        assert_eq!(fixed_clock(t)(), t);
        assert!(system_clock()() > at(1_600_000_000));
    }
}
