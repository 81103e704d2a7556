//! Requests to Route 53: paths, XML bodies, sending through [`AwsClient`], and the one
//! `parse_error` that maps Route 53's error codes onto libcloud's kinds.

use std::borrow::Cow;

use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method};
use libcloud_aws::{
    AwsClient, ErrorContext, mark_idempotent, parse_error, parse_error_body, retag,
};
use libcloud_core::transport::Operation;
use libcloud_core::{Body, Error, ErrorKind, ResourceKind, Result};

use libcloud_aws::xml::{self, Element};

/// The API version every path starts with.
pub(crate) const API_VERSION: &str = "2013-04-01";

/// The most response body the driver reads into memory: 16 MiB.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// What a request is about, so that errors name the right resource.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The libcloud operation (`get_zone`).
    pub(crate) operation: &'static str,
    /// The hosted zone the request is in or about.
    pub(crate) zone_id: String,
    /// The record id, for record operations.
    pub(crate) record_id: Option<String>,
}

impl Target {
    /// A request about the zone `zone_id` (or about no zone in particular, with `""`).
    pub(crate) fn zone(operation: &'static str, zone_id: impl Into<String>) -> Self {
        Target {
            operation,
            zone_id: zone_id.into(),
            record_id: None,
        }
    }

    /// A request about the record `record_id` in the zone `zone_id`.
    pub(crate) fn record(
        operation: &'static str,
        zone_id: impl Into<String>,
        record_id: impl Into<String>,
    ) -> Self {
        Target {
            operation,
            zone_id: zone_id.into(),
            record_id: Some(record_id.into()),
        }
    }

    fn context(&self) -> ErrorContext {
        let ctx = ErrorContext::new(self.operation);
        match &self.record_id {
            Some(id) => ctx.resource(ResourceKind::Record, id.clone()),
            None => ctx.resource(ResourceKind::Zone, self.zone_id.clone()),
        }
    }
}

/// Sends Route 53 requests through an [`AwsClient`] and reads their XML answers.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    aws: AwsClient,
}

impl Client {
    pub(crate) fn new(aws: AwsClient) -> Self {
        Client { aws }
    }

    pub(crate) fn aws(&self) -> &AwsClient {
        &self.aws
    }

    /// `GET /2013-04-01/<path>`.
    pub(crate) async fn get(&self, path: &str, target: &Target) -> Result<Element> {
        self.call(Method::GET, path, None, target, true).await
    }

    /// `POST /2013-04-01/<path>` with an XML body; `idempotent` lets the transport retry it
    /// (for calls that carry a caller reference).
    pub(crate) async fn post(
        &self,
        path: &str,
        body: String,
        target: &Target,
        idempotent: bool,
    ) -> Result<Element> {
        self.call(Method::POST, path, Some(body), target, idempotent)
            .await
    }

    /// `DELETE /2013-04-01/<path>`.
    pub(crate) async fn delete(&self, path: &str, target: &Target) -> Result<Element> {
        self.call(Method::DELETE, path, None, target, true).await
    }

    /// Sends one request and reads the answer's root element (an empty element for an empty
    /// body); an error status becomes the [`Error`] [`route53_error`] makes of it.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        target: &Target,
        idempotent: bool,
    ) -> Result<Element> {
        let uri = self.aws.endpoint().uri(&format!("/{API_VERSION}/{path}"))?;
        let mut builder = http::Request::builder().method(method).uri(uri);
        if body.is_some() {
            // moto (and Route 53's front end) dispatch a POST by its XML content type.
            builder = builder.header(CONTENT_TYPE, "application/xml");
        }
        let mut request = builder
            .body(body.map(Body::from).unwrap_or_default())
            .map_err(|e| {
                Error::invalid_input("the request cannot be built")
                    .with_source(e)
                    .with_provider(crate::PROVIDER)
            })?;
        request
            .extensions_mut()
            .insert(Operation(Cow::Borrowed(target.operation)));
        if idempotent {
            mark_idempotent(&mut request);
        }
        let response = self
            .aws
            .send_and_read(request, BODY_LIMIT, |status, headers, body| {
                route53_error(status, headers, body, target)
            })
            .await?;
        let status = response.status().as_u16();
        let bytes = response.body();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Element::default());
        }
        xml::parse(bytes, "response").map_err(|e| {
            e.with_provider(crate::PROVIDER)
                .with_operation(target.operation)
                .with_status(status)
        })
    }
}

/// The error a failed Route 53 response stands for.
///
/// On top of [`parse_error`]'s mapping: `NoSuchHostedZone` is `NotFound` of the zone (also in
/// record calls), `HostedZoneNotEmpty` is `NotEmpty` of the zone, `HostedZoneAlreadyExists` and
/// `ConflictingDomainExists` are `AlreadyExists` of the zone, and `InvalidChangeBatch` is
/// `AlreadyExists` of the record when its message says the set already exists, `NotFound` of the
/// record when it says the set was not found, and `InvalidInput` otherwise.
pub(crate) fn route53_error(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    target: &Target,
) -> Error {
    let base = parse_error(status, headers, body, &target.context()).with_provider(crate::PROVIDER);
    let Some(parsed) = parse_error_body(body) else {
        return base;
    };
    let code = parsed.code.as_deref().unwrap_or_default();
    let message = parsed.message.as_deref().unwrap_or_default();
    let record = || target.record_id.clone().unwrap_or_default();
    let zone = || target.zone_id.clone();
    let kind = match code {
        "NoSuchHostedZone" => ErrorKind::NotFound {
            kind: ResourceKind::Zone,
            id: zone(),
        },
        "HostedZoneNotEmpty" => ErrorKind::NotEmpty {
            kind: ResourceKind::Zone,
            id: zone(),
        },
        "HostedZoneAlreadyExists" | "ConflictingDomainExists" => ErrorKind::AlreadyExists {
            kind: ResourceKind::Zone,
            id: zone(),
        },
        "InvalidChangeBatch" if message.contains("already exists") => ErrorKind::AlreadyExists {
            kind: ResourceKind::Record,
            id: record(),
        },
        "InvalidChangeBatch" if message.contains("not found") => ErrorKind::NotFound {
            kind: ResourceKind::Record,
            id: record(),
        },
        "InvalidChangeBatch" => ErrorKind::InvalidInput,
        _ => return base,
    };
    retag(&base, kind)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn body(code: &str, message: &str) -> Vec<u8> {
        format!(
            "<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error>\
             <Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
             <RequestId>RID-1</RequestId></ErrorResponse>"
        )
        .into_bytes()
    }

    fn kind(status: u16, code: &str, message: &str, target: &Target) -> ErrorKind {
        route53_error(status, &HeaderMap::new(), &body(code, message), target)
            .kind()
            .clone()
    }

    #[test]
    fn codes_map_to_the_right_resource() {
        let rec = Target::record("get_record", "Z1", "A:www");
        let zone = Target::zone("delete_zone", "Z1");
        let nf = |kind, id: &str| ErrorKind::NotFound {
            kind,
            id: id.into(),
        };
        assert_eq!(
            kind(404, "NoSuchHostedZone", "No hosted zone", &rec),
            nf(ResourceKind::Zone, "Z1")
        );
        assert_eq!(
            kind(400, "HostedZoneNotEmpty", "not empty", &zone),
            ErrorKind::NotEmpty {
                kind: ResourceKind::Zone,
                id: "Z1".into()
            }
        );
        assert_eq!(
            kind(409, "HostedZoneAlreadyExists", "exists", &zone),
            ErrorKind::AlreadyExists {
                kind: ResourceKind::Zone,
                id: "Z1".into()
            }
        );
        let exists = "[Tried to create resource record set [name='www.example.com.', type='A'] \
                      but it already exists]";
        assert_eq!(
            kind(400, "InvalidChangeBatch", exists, &rec),
            ErrorKind::AlreadyExists {
                kind: ResourceKind::Record,
                id: "A:www".into()
            }
        );
        let missing =
            "[Tried to delete resource record set [name='x.', type='A'] but it was not found]";
        assert_eq!(
            kind(400, "InvalidChangeBatch", missing, &rec),
            nf(ResourceKind::Record, "A:www")
        );
        assert_eq!(
            kind(400, "InvalidChangeBatch", "Invalid change", &rec),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(400, "Throttling", "Rate exceeded", &rec),
            ErrorKind::RateLimited { retry_after: None }
        );
        let err = route53_error(
            404,
            &HeaderMap::new(),
            &body("NoSuchHostedZone", "gone"),
            &rec,
        );
        assert_eq!(err.request_id(), Some("RID-1"));
        assert_eq!(err.provider(), Some("route53"));
        assert_eq!(err.operation(), Some("get_record"));
        assert_eq!(err.status(), Some(404));
        assert!(err.to_string().contains("gone"), "{err}");
        // No body: the status decides, about the target.
        let err = route53_error(404, &HeaderMap::new(), b"", &zone);
        assert_eq!(*err.kind(), nf(ResourceKind::Zone, "Z1"));
        let err = route53_error(503, &HeaderMap::new(), b"<html/>", &zone);
        assert!(err.is_temporary());
    }
}
