//! [`AwsClient`]: the request plumbing every AWS driver shares.
//!
//! A driver builds an `http::Request`, hands it to [`AwsClient::send`] with an [`ErrorContext`],
//! and gets either a successful response or an [`Error`] already mapped from AWS's error body.
//! In between the client fetches credentials, signs with SigV4 at the clock's time, and sends
//! through the [`Transport`].
//!
//! Retries are the transport's business (the retry layer of the default transport retries
//! 5xx, 429 and the throttling codes AWS sends with 400): a request is retried there only when it
//! is idempotent, by method or by an [`Idempotent`] marker (see [`mark_idempotent`]), and its body
//! is in memory. A retry there resends the same signature, which AWS accepts for 15 minutes.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::CONTENT_TYPE;
use libcloud_core::transport::{self, Idempotent, Operation, Request, Response};
use libcloud_core::{Body, Bytes, Credentials, Error, Result, Transport};

use crate::credentials::CredentialProvider;
use crate::encode::encode_query;
use crate::endpoint::{Endpoint, Service};
use crate::error::{ErrorContext, parse_error};
use crate::sign::{Clock, SigningConfig, presign, sign_request, system_clock};

/// How much of an error response body is read before it is given up on: 64 KiB.
pub const DEFAULT_ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Marks `request` as safe to send more than once, so the transport's retry layer may retry it
/// although its method (POST) says otherwise. Use it for calls that carry an idempotency token
/// (EC2's `ClientToken`) or that only read (the query APIs' `Describe*`).
pub fn mark_idempotent<B>(request: &mut http::Request<B>) {
    request.extensions_mut().insert(Idempotent);
}

/// `request`, [marked idempotent](mark_idempotent).
pub fn idempotent<B>(mut request: http::Request<B>) -> http::Request<B> {
    mark_idempotent(&mut request);
    request
}

/// A query-API call (EC2, ELB): `POST /` on `endpoint` with the form body
/// `Action=<action>&Version=<version>&<params>`, each part encoded as AWS signs it.
///
/// `params` keep their order; lists are numbered from 1 by the caller (`InstanceId.1`).
///
/// ```
/// use libcloud_aws::{Endpoint, Region, Service, query_request};
///
/// let ec2 = Endpoint::aws(Service::Ec2, &Region::US_EAST_1);
/// let req = query_request(&ec2, "DescribeInstances", "2016-11-15", [("InstanceId.1", "i-1")]).unwrap();
/// assert_eq!(req.uri(), "https://ec2.us-east-1.amazonaws.com/");
/// assert_eq!(
///     req.body().as_bytes().unwrap().as_ref(),
///     b"Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1"
/// );
/// ```
pub fn query_request<I, K, V>(
    endpoint: &Endpoint,
    action: &str,
    version: &str,
    params: I,
) -> Result<Request>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let head = encode_query([("Action", action), ("Version", version)]);
    let rest = encode_query(params);
    let body = if rest.is_empty() {
        head
    } else {
        format!("{head}&{rest}")
    };
    http::Request::post(endpoint.uri("/")?)
        .header(
            CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(Body::from(body))
        .map_err(|e| Error::invalid_input("the query request cannot be built").with_source(e))
}

/// Signs and sends requests to one AWS service endpoint, and maps its errors.
///
/// Cheap to clone: the transport and the credential provider are shared.
#[derive(Clone)]
pub struct AwsClient {
    transport: Transport,
    credentials: Arc<dyn CredentialProvider>,
    endpoint: Endpoint,
    signing: SigningConfig,
    provider: Cow<'static, str>,
    clock: Clock,
    error_body_limit: usize,
}

impl fmt::Debug for AwsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsClient")
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint)
            .field("signing", &self.signing)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl AwsClient {
    /// A client for `service` at `endpoint`, signing with the endpoint's region and the
    /// credentials `credentials` gives.
    ///
    /// Errors name the provider `service.provider_name()` (`s3`, `ec2`, `elb`, `route53`); the
    /// clock is the system's; error bodies are read up to [`DEFAULT_ERROR_BODY_LIMIT`].
    pub fn new(
        transport: Transport,
        credentials: Arc<dyn CredentialProvider>,
        service: Service,
        endpoint: Endpoint,
    ) -> Self {
        AwsClient {
            transport,
            credentials,
            signing: SigningConfig::for_endpoint(service, &endpoint),
            endpoint,
            provider: Cow::Borrowed(service.provider_name()),
            clock: system_clock(),
            error_body_limit: DEFAULT_ERROR_BODY_LIMIT,
        }
    }

    /// Replaces the signing settings (service name, region, payload signing, S3 rules).
    pub fn with_signing(mut self, signing: SigningConfig) -> Self {
        self.signing = signing;
        self
    }

    /// Replaces the clock that dates signatures (tests pin it with
    /// [`fixed_clock`](crate::sign::fixed_clock)).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Names the provider in errors differently (an S3-compatible store may call itself `garage`).
    pub fn with_provider_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.provider = name.into();
        self
    }

    /// Reads at most `limit` bytes of an error body; a longer one is mapped by status alone.
    pub fn with_error_body_limit(mut self, limit: usize) -> Self {
        self.error_body_limit = limit;
        self
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The signing settings.
    pub fn signing(&self) -> &SigningConfig {
        &self.signing
    }

    /// The provider name errors carry.
    pub fn provider_name(&self) -> &str {
        &self.provider
    }

    /// The transport requests are sent through.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The credentials the next request will be signed with.
    pub async fn credentials(&self) -> Result<Credentials> {
        self.credentials
            .credentials()
            .await
            .map_err(|e| e.or_provider(self.provider.clone()))
    }

    /// Signs `request` in place, as of the clock's now.
    pub async fn sign(&self, request: &mut Request) -> Result<()> {
        let creds = self.credentials().await?;
        sign_request(request, &creds, &self.signing, (self.clock)())
            .map_err(|e| e.with_provider(self.provider.clone()))
    }

    /// A presigned URL for `method` on `uri`, valid for `expires_in` from the clock's now; see
    /// [`presign`].
    pub async fn presign(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        expires_in: Duration,
    ) -> Result<http::Uri> {
        let creds = self.credentials().await?;
        presign(
            method,
            uri,
            headers,
            &creds,
            &self.signing,
            (self.clock)(),
            expires_in,
        )
        .map_err(|e| e.with_provider(self.provider.clone()))
    }

    /// Signs and sends `request`, and returns whatever response comes back, error statuses
    /// included (for calls where a 404 or 304 is an answer, not a failure).
    ///
    /// Failures to sign or to reach the server are errors carrying the provider name and the
    /// request's [`Operation`], if it has one.
    pub async fn send_raw(&self, mut request: Request) -> Result<Response> {
        let operation = request.extensions().get::<Operation>().map(|o| o.0.clone());
        let result = async {
            self.sign(&mut request).await?;
            transport::send(&self.transport, request).await
        }
        .await;
        result.map_err(|e| {
            let e = e.or_provider(self.provider.clone());
            match operation {
                Some(op) => e.or_operation(op),
                None => e,
            }
        })
    }

    /// Signs and sends `request`; a response with a status outside 2xx becomes the [`Error`]
    /// that [`parse_error`] makes of it, with `ctx` naming the operation and resource.
    pub async fn send(&self, mut request: Request, ctx: &ErrorContext) -> Result<Response> {
        request
            .extensions_mut()
            .insert(Operation(Cow::Owned(ctx.operation().to_string())));
        let response = self.send_raw(request).await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(self.error_from_response(response, ctx).await)
        }
    }

    /// Signs and sends `request`, and reads the whole body of a 2xx answer, refusing more than
    /// `limit` bytes with [`ErrorKind::MalformedResponse`](libcloud_core::ErrorKind::MalformedResponse).
    ///
    /// A status outside 2xx becomes the error `map_error` makes of the status, the headers and
    /// the error body (read up to the error body limit; a body that cannot be read counts as
    /// empty): the driver's own `parse_error`. Failures to sign, to reach the server or to
    /// read the body carry the provider name and the request's [`Operation`], if it has one.
    pub async fn send_and_read(
        &self,
        request: Request,
        limit: usize,
        map_error: impl FnOnce(u16, &http::HeaderMap, &[u8]) -> Error,
    ) -> Result<http::Response<Bytes>> {
        let operation = request.extensions().get::<Operation>().map(|o| o.0.clone());
        let response = self.send_raw(request).await?;
        let (parts, body) = response.into_parts();
        if !parts.status.is_success() {
            let bytes = body
                .collect(self.error_body_limit)
                .await
                .unwrap_or_default();
            return Err(map_error(parts.status.as_u16(), &parts.headers, &bytes));
        }
        let bytes = body.collect(limit).await.map_err(|e| {
            let e = e.or_provider(self.provider.clone());
            match operation {
                Some(op) => e.or_operation(op),
                None => e,
            }
        })?;
        Ok(http::Response::from_parts(parts, bytes))
    }

    /// The error a failed response stands for: its body is read (up to the limit) and
    /// [`parse_error`]d. A body that cannot be read, or is too long, counts as empty.
    pub async fn error_from_response(&self, response: Response, ctx: &ErrorContext) -> Error {
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect(self.error_body_limit)
            .await
            .unwrap_or_default();
        parse_error(parts.status.as_u16(), &parts.headers, &bytes, ctx)
            .with_provider(self.provider.clone())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::credentials::StaticProvider;
    use crate::region::Region;
    use crate::sign::fixed_clock;
    use futures::FutureExt;
    use libcloud_core::{ErrorKind, ResourceKind};
    use std::sync::Mutex;
    use std::time::UNIX_EPOCH;

    type Seen = Arc<Mutex<Vec<(http::Method, String, http::HeaderMap, Option<bool>)>>>;

    /// A transport that records what it was sent and answers with `status` and `body`.
    fn canned(status: u16, body: &'static str, seen: Seen) -> Transport {
        transport::from_fn(move |req: Request| {
            let seen = seen.clone();
            async move {
                let idem = Some(transport::is_idempotent(&req));
                seen.lock().unwrap().push((
                    req.method().clone(),
                    req.uri().to_string(),
                    req.headers().clone(),
                    idem,
                ));
                Ok(http::Response::builder()
                    .status(status)
                    .header("x-amz-request-id", "REQ-1")
                    .body(Body::from(body))
                    .unwrap())
            }
            .boxed()
        })
    }

    fn client(transport: Transport) -> AwsClient {
        let creds = Arc::new(StaticProvider::new(Credentials::new("AKIDTEST", "secret")));
        let endpoint = Endpoint::custom("http://127.0.0.1:5000", Region::US_EAST_1).unwrap();
        AwsClient::new(transport, creds, Service::S3, endpoint)
            .with_clock(fixed_clock(UNIX_EPOCH + Duration::from_secs(1_440_938_160)))
    }

    #[tokio::test]
    async fn send_signs_and_returns_success() {
        let seen = Seen::default();
        let c = client(canned(200, "ok", seen.clone()));
        let req = http::Request::get("http://127.0.0.1:5000/b")
            .body(Body::empty())
            .unwrap();
        let resp = c.send(req, &ErrorContext::new("list")).await.unwrap();
        assert_eq!(resp.status(), 200);
        let seen = seen.lock().unwrap();
        let (_, uri, headers, _) = &seen[0];
        assert_eq!(uri, "http://127.0.0.1:5000/b");
        let auth = headers["authorization"].to_str().unwrap();
        assert!(auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20150830/us-east-1/s3/aws4_request"
        ));
        assert_eq!(headers["x-amz-date"], "20150830T123600Z");
    }

    #[tokio::test]
    async fn errors_are_parsed_with_provider_and_context() {
        let body = "<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>";
        let c = client(canned(404, body, Seen::default()));
        let req = http::Request::get("http://127.0.0.1:5000/b/k")
            .body(Body::empty())
            .unwrap();
        let ctx = ErrorContext::new("get_object")
            .resource(ResourceKind::Object, "k")
            .bucket("b");
        let err = c.send(req, &ctx).await.unwrap_err();
        assert_eq!(
            *err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::Container,
                id: "b".into()
            }
        );
        assert_eq!(err.provider(), Some("s3"));
        assert_eq!(err.operation(), Some("get_object"));
        assert_eq!(err.request_id(), Some("REQ-1"));

        // send_raw hands the response back instead.
        let req = http::Request::head("http://127.0.0.1:5000/b")
            .body(Body::empty())
            .unwrap();
        assert_eq!(c.send_raw(req).await.unwrap().status(), 404);
    }

    #[tokio::test]
    async fn oversized_error_bodies_fall_back_to_the_status() {
        let body = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
        let c = client(canned(403, body, Seen::default())).with_error_body_limit(10);
        let req = http::Request::get("http://127.0.0.1:5000/b")
            .body(Body::empty())
            .unwrap();
        let err = c.send(req, &ErrorContext::new("x")).await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::PermissionDenied);
        assert_eq!(err.message(), None);
    }

    #[tokio::test]
    async fn send_and_read_reads_bounded_bodies_and_maps_errors() {
        let get = || {
            let mut req = http::Request::get("http://127.0.0.1:5000/b")
                .body(Body::empty())
                .unwrap();
            req.extensions_mut()
                .insert(Operation(Cow::Borrowed("list_things")));
            req
        };
        let c = client(canned(200, "<Ok/>", Seen::default()));
        let resp = c
            .send_and_read(get(), 5, |_, _, _| unreachable!("a 2xx is no error"))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["x-amz-request-id"], "REQ-1");
        assert_eq!(&resp.body()[..], b"<Ok/>");

        let err = c
            .send_and_read(get(), 4, |_, _, _| unreachable!("a 2xx is no error"))
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
        assert_eq!(err.provider(), Some("s3"));
        assert_eq!(err.operation(), Some("list_things"));

        let body = "<Error><Code>AccessDenied</Code></Error>";
        let c = client(canned(403, body, Seen::default()));
        let err = c
            .send_and_read(get(), 1024, |status, headers, bytes| {
                assert_eq!(headers["x-amz-request-id"], "REQ-1");
                assert_eq!(bytes, body.as_bytes());
                Error::from_status(status, ResourceKind::Other, "b").with_provider("mine")
            })
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(403));
        assert_eq!(err.provider(), Some("mine"));
    }

    #[tokio::test]
    async fn transport_and_credential_failures_carry_the_provider() {
        let failing = transport::from_fn(|_req: Request| {
            async { Err(Error::transport(std::io::Error::other("refused"))) }.boxed()
        });
        let c = client(failing).with_provider_name("garage");
        let req = http::Request::get("http://127.0.0.1:5000/")
            .body(Body::empty())
            .unwrap();
        let err = c
            .send(req, &ErrorContext::new("list_containers"))
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Transport);
        assert_eq!(err.provider(), Some("garage"));
        assert_eq!(err.operation(), Some("list_containers"));

        let nobody = Arc::new(crate::credentials::EnvironmentProvider::new(
            crate::Env::from_pairs::<_, &str, &str>([]),
        ));
        let endpoint = Endpoint::aws(Service::Ec2, &Region::US_EAST_1);
        let c = AwsClient::new(
            canned(200, "", Seen::default()),
            nobody,
            Service::Ec2,
            endpoint,
        );
        let req = http::Request::get("https://ec2.us-east-1.amazonaws.com/")
            .body(Body::empty())
            .unwrap();
        let err = c
            .send(req, &ErrorContext::new("list_nodes"))
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
        assert_eq!(err.provider(), Some("aws"));
    }

    #[tokio::test]
    async fn query_requests_are_posted_signed_and_marked() {
        let seen = Seen::default();
        let endpoint =
            Endpoint::custom("http://127.0.0.1:5000", Region::new("eu-west-1").unwrap()).unwrap();
        let creds = Arc::new(StaticProvider::new(Credentials::new("AKIDTEST", "secret")));
        let c = AwsClient::new(
            canned(200, "", seen.clone()),
            creds,
            Service::Ec2,
            endpoint.clone(),
        );
        let req = query_request(
            &endpoint,
            "DescribeImages",
            "2016-11-15",
            [("Owner.1", "self")],
        )
        .unwrap();
        c.send(idempotent(req), &ErrorContext::new("list_images"))
            .await
            .unwrap();
        let plain = query_request(
            &endpoint,
            "RunInstances",
            "2016-11-15",
            Vec::<(&str, &str)>::new(),
        )
        .unwrap();
        assert_eq!(
            plain.body().as_bytes().unwrap().as_ref(),
            b"Action=RunInstances&Version=2016-11-15"
        );
        c.send(plain, &ErrorContext::new("create_node"))
            .await
            .unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].0, http::Method::POST);
        assert_eq!(seen[0].1, "http://127.0.0.1:5000/");
        assert_eq!(seen[0].3, Some(true));
        assert_eq!(seen[1].3, Some(false));
        let auth = seen[0].2["authorization"].to_str().unwrap();
        assert!(auth.contains("/eu-west-1/ec2/aws4_request"), "{auth}");
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date"),
            "{auth}"
        );
    }

    #[tokio::test]
    async fn presign_uses_the_clock() {
        let c = client(canned(200, "", Seen::default()));
        let uri: http::Uri = "http://127.0.0.1:5000/b/k".parse().unwrap();
        let url = c
            .presign(
                &http::Method::GET,
                &uri,
                &http::HeaderMap::new(),
                Duration::from_secs(60),
            )
            .await
            .unwrap()
            .to_string();
        assert!(url.contains("X-Amz-Date=20150830T123600Z"), "{url}");
        assert!(url.contains("X-Amz-Expires=60"), "{url}");
        assert!(format!("{c:?}").contains("127.0.0.1:5000"));
        assert!(!format!("{c:?}").contains("secret\""));
    }
}
