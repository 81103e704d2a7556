//! Requests to EC2: query parameters, signing and sending through [`AwsClient`], and the one
//! `parse_error`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use bytes::Bytes;
use libcloud_aws::{AwsClient, ErrorContext, mark_idempotent, parse_error_body, query_request};
use libcloud_core::transport::Operation;
use libcloud_core::{Error, ErrorKind, ResourceKind, Result};

/// The provider name errors carry.
pub(crate) const PROVIDER: &str = "ec2";

/// The EC2 API version every request names.
pub const API_VERSION: &str = "2016-11-15";

/// The most bytes of a successful response read into memory: 64 MiB (the full list of
/// instance types is several MiB).
pub const RESPONSE_LIMIT: usize = 64 * 1024 * 1024;

/// The most bytes of an error response read before it is mapped by status alone.
const ERROR_LIMIT: usize = 64 * 1024;

/// The query parameters of one call, in order, with EC2's numbered lists (from 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
    filters: usize,
}

impl Params {
    pub(crate) fn new() -> Self {
        Params::default()
    }

    /// Adds `name=value`.
    pub(crate) fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.pairs.push((name.into(), value.into()));
        self
    }

    /// Adds `name=value` when there is a value.
    pub(crate) fn opt(&mut self, name: &str, value: Option<impl Into<String>>) -> &mut Self {
        if let Some(v) = value {
            self.set(name, v);
        }
        self
    }

    /// Adds `prefix.1=a&prefix.2=b...`.
    pub(crate) fn list<I, S>(&mut self, prefix: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for (i, v) in values.into_iter().enumerate() {
            self.set(format!("{prefix}.{}", i + 1), v);
        }
        self
    }

    /// Adds the next `Filter.N.Name=name&Filter.N.Value.M=value...`.
    pub(crate) fn filter<I, S>(&mut self, name: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.filters += 1;
        let n = self.filters;
        self.set(format!("Filter.{n}.Name"), name);
        self.list(&format!("Filter.{n}.Value"), values)
    }

    /// Adds `prefix.N.Key=k&prefix.N.Value=v` for each tag, numbered from 1.
    pub(crate) fn tags(&mut self, prefix: &str, tags: &[(String, String)]) -> &mut Self {
        for (i, (k, v)) in tags.iter().enumerate() {
            let n = i + 1;
            self.set(format!("{prefix}.{n}.Key"), k.clone());
            self.set(format!("{prefix}.{n}.Value"), v.clone());
        }
        self
    }

    /// Adds `TagSpecification.N` for `resource_type` with `tags`, unless there are none.
    pub(crate) fn tag_specification(
        &mut self,
        n: usize,
        resource_type: &str,
        tags: &[(String, String)],
    ) -> &mut Self {
        if !tags.is_empty() {
            self.set(format!("TagSpecification.{n}.ResourceType"), resource_type);
            self.tags(&format!("TagSpecification.{n}.Tag"), tags);
        }
        self
    }

    /// The value of the first parameter called `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// A `Name` tag first, then the others in key order, as EC2 takes them.
pub(crate) fn tag_list(
    name: Option<&str>,
    tags: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(tags.len() + 1);
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        out.push(("Name".to_string(), name.to_string()));
    }
    out.extend(
        tags.iter()
            .filter(|(k, _)| name.is_none_or(|n| n.is_empty()) || k.as_str() != "Name")
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    out
}

/// Whether a call may be resent by the transport's retry layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// It reads, or its effect is the same however often it lands (`Describe*`,
    /// `TerminateInstances`, `CreateTags`).
    Safe,
    /// A second landing would fail or act twice (`RunInstances`, `Create*`, `Delete*`).
    Once,
}

/// The shared plumbing of every EC2 request: the signed query POST and its error mapping.
#[derive(Clone, Debug)]
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

    /// Sends `action` with `params`; returns the body of a 2xx answer, or the error
    /// [`parse_error`] makes of any other.
    pub(crate) async fn call(
        &self,
        action: &str,
        params: &Params,
        ctx: &ErrorContext,
        retry: Retry,
    ) -> Result<Bytes> {
        let operation: Cow<'static, str> = Cow::Owned(ctx.operation().to_string());
        let mut request = query_request(
            self.aws.endpoint(),
            action,
            API_VERSION,
            params.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .map_err(|e| e.with_provider(PROVIDER).with_operation(operation.clone()))?;
        if retry == Retry::Safe {
            mark_idempotent(&mut request);
        }
        request
            .extensions_mut()
            .insert(Operation(operation.clone()));
        let response = self.aws.send_raw(request).await?;
        let (parts, body) = response.into_parts();
        if !parts.status.is_success() {
            let bytes = body.collect(ERROR_LIMIT).await.unwrap_or_default();
            return Err(
                parse_error(parts.status.as_u16(), &parts.headers, &bytes, ctx)
                    .with_provider(PROVIDER),
            );
        }
        body.collect(RESPONSE_LIMIT)
            .await
            .map_err(|e| e.or_provider(PROVIDER).or_operation(operation))
    }
}

/// The resource an EC2 error code is about, by its prefix (`InvalidKeyPair.NotFound` is about
/// a key pair).
fn resource_of(code: &str) -> Option<ResourceKind> {
    let stem = code.split('.').next().unwrap_or(code);
    Some(match stem {
        "InvalidInstanceID" => ResourceKind::Node,
        "InvalidAMIID" => ResourceKind::Image,
        "InvalidKeyPair" => ResourceKind::KeyPair,
        "InvalidVolume" | "InvalidVolumeID" => ResourceKind::Volume,
        "InvalidSnapshot" | "InvalidSnapshotID" => ResourceKind::Snapshot,
        "InvalidZone" | "InvalidAvailabilityZone" => ResourceKind::Location,
        "InvalidGroup"
        | "InvalidGroupId"
        | "InvalidAddress"
        | "InvalidAllocationID"
        | "InvalidAssociationID"
        | "InvalidSubnetID"
        | "InvalidVpcID"
        | "InvalidNetworkInterfaceID" => ResourceKind::Other,
        _ => return None,
    })
}

/// The name an error message quotes (`'i-1'`, `'[ami-1]'`, moto's `'{'key'}'`), if any.
fn quoted_id(message: &str) -> Option<String> {
    let clean = |s: &str| -> Option<String> {
        let id: String = s
            .chars()
            .filter(|c| !matches!(c, '[' | ']' | '{' | '}' | '"' | '\''))
            .collect();
        let id = id.trim().to_string();
        (!id.is_empty() && !id.contains(char::is_whitespace)).then_some(id)
    };
    let first = message.find('\'')?;
    let last = message.rfind('\'')?;
    if last > first
        && let Some(id) = clean(&message[first + 1..last])
    {
        return Some(id);
    }
    let rest = &message[first + 1..];
    clean(&rest[..rest.find('\'')?])
}

/// Whether the operation looks something up by id (`get_node`), so that an id that cannot
/// exist is "not found" rather than "invalid".
fn is_lookup(operation: &str) -> bool {
    operation.starts_with("get_")
}

/// Turns an EC2 error response into libcloud's [`Error`].
///
/// EC2 answers `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>`. On top
/// of [`libcloud_aws::parse_error`]'s table:
///
/// | code | kind |
/// |---|---|
/// | `Invalid<Resource>.NotFound` (`InvalidInstanceID`, `InvalidAMIID`, `InvalidKeyPair`, `InvalidVolume`, `InvalidSnapshot`, `InvalidGroup`, `InvalidAllocationID`, ...) | `NotFound` of that resource: a node, image, key pair, volume, snapshot, location, or other |
/// | `Invalid<Resource>.Duplicate` | `AlreadyExists` of that resource |
/// | `Invalid<Resource>.Malformed` | `NotFound` of that resource for a lookup (`get_node`), else `InvalidInput` |
/// | `IdempotentParameterMismatch` | `InvalidInput`: a `ClientToken` was reused with other arguments |
/// | `UnsupportedOperation`, `InvalidAction` | `Unsupported` |
/// | `InsufficientInstanceCapacity`, `InsufficientAddressCapacity` | `Provider`, temporary |
///
/// The resource's id is the context's when the context is about the same kind of resource,
/// else the first name quoted in the message.
///
/// ```
/// use libcloud_aws::ErrorContext;
/// use libcloud_core::{ErrorKind, ResourceKind};
///
/// let body = br#"<Response><Errors><Error><Code>InvalidKeyPair.NotFound</Code>
/// <Message>The key pair 'deploy' does not exist</Message></Error></Errors>
/// <RequestID>r-1</RequestID></Response>"#;
/// let ctx = ErrorContext::new("create_node").resource(ResourceKind::Node, "web-1");
/// let err = libcloud_ec2::parse_error(400, &http::HeaderMap::new(), body, &ctx);
/// assert_eq!(
///     *err.kind(),
///     ErrorKind::NotFound { kind: ResourceKind::KeyPair, id: "deploy".into() }
/// );
/// assert_eq!(err.request_id(), Some("r-1"));
/// ```
pub fn parse_error(
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
    ctx: &ErrorContext,
) -> Error {
    let parsed = parse_error_body(body);
    let code = parsed
        .as_ref()
        .and_then(|p| p.code.clone())
        .unwrap_or_default();
    let code = code.trim();
    let message = parsed
        .as_ref()
        .and_then(|p| p.message.clone())
        .unwrap_or_default();
    let resource = resource_of(code);
    let refined = match resource {
        Some(kind) if kind == ctx.kind() => ctx.clone(),
        Some(kind) => {
            let id = quoted_id(&message).unwrap_or_else(|| ctx.id().to_string());
            ErrorContext::new(ctx.operation().to_string()).resource(kind, id)
        }
        None => ctx.clone(),
    };
    let base = libcloud_aws::parse_error(status, headers, body, &refined);
    let rebuilt = |kind: ErrorKind, temporary: bool| {
        let text = if message.trim().is_empty() {
            code.to_string()
        } else {
            format!("{code}: {}", message.trim())
        };
        let mut err = Error::new(kind, text)
            .with_status(status)
            .with_operation(ctx.operation().to_string())
            .with_temporary(temporary);
        if let Some(id) = base.request_id() {
            err = err.with_request_id(id.to_string());
        }
        err
    };
    if code.ends_with(".Malformed") {
        return match resource {
            Some(kind) if is_lookup(ctx.operation()) => rebuilt(
                ErrorKind::NotFound {
                    kind,
                    id: refined.id().to_string(),
                },
                false,
            ),
            _ => rebuilt(ErrorKind::InvalidInput, false),
        };
    }
    match code {
        "IdempotentParameterMismatch" => rebuilt(ErrorKind::InvalidInput, false),
        "UnsupportedOperation" | "InvalidAction" => rebuilt(ErrorKind::Unsupported, false),
        "InsufficientInstanceCapacity" | "InsufficientAddressCapacity" => rebuilt(
            ErrorKind::Provider {
                code: code.to_string(),
            },
            true,
        ),
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ec2(code: &str, message: &str) -> Vec<u8> {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
             <Message>{message}</Message></Error></Errors><RequestID>req-9</RequestID></Response>"
        )
        .into_bytes()
    }

    fn kind(code: &str, message: &str, ctx: &ErrorContext) -> ErrorKind {
        parse_error(400, &http::HeaderMap::new(), &ec2(code, message), ctx)
            .kind()
            .clone()
    }

    #[test]
    fn codes_name_their_resource() {
        let node = ErrorContext::new("get_node").resource(ResourceKind::Node, "i-1");
        assert_eq!(
            kind(
                "InvalidInstanceID.NotFound",
                "The instance ID 'i-1' does not exist",
                &node
            ),
            ErrorKind::NotFound {
                kind: ResourceKind::Node,
                id: "i-1".into()
            }
        );
        assert_eq!(
            kind("InvalidInstanceID.Malformed", "Invalid id: \"x\"", &node),
            ErrorKind::NotFound {
                kind: ResourceKind::Node,
                id: "i-1".into()
            }
        );
        let create = ErrorContext::new("create_node").resource(ResourceKind::Node, "web");
        assert_eq!(
            kind("InvalidAMIID.Malformed", "Invalid id: \"x\"", &create),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(
                "InvalidAMIID.NotFound",
                "The image id '[ami-12345678]' does not exist",
                &create
            ),
            ErrorKind::NotFound {
                kind: ResourceKind::Image,
                id: "ami-12345678".into()
            }
        );
        assert_eq!(
            kind(
                "InvalidKeyPair.NotFound",
                "The keypair '{'nope'}' does not exist.",
                &create
            ),
            ErrorKind::NotFound {
                kind: ResourceKind::KeyPair,
                id: "nope".into()
            }
        );
        let key = ErrorContext::new("create_key_pair").resource(ResourceKind::KeyPair, "k1");
        assert_eq!(
            kind(
                "InvalidKeyPair.Duplicate",
                "The keypair 'k1' already exists.",
                &key
            ),
            ErrorKind::AlreadyExists {
                kind: ResourceKind::KeyPair,
                id: "k1".into()
            }
        );
        assert_eq!(
            kind("InvalidGroup.NotFound", "no message quotes", &key),
            ErrorKind::NotFound {
                kind: ResourceKind::Other,
                id: "k1".into()
            }
        );
    }

    #[test]
    fn special_codes() {
        let ctx = ErrorContext::new("create_node");
        let err = parse_error(
            400,
            &http::HeaderMap::new(),
            &ec2("IdempotentParameterMismatch", "inconsistent"),
            &ctx,
        );
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.request_id(), Some("req-9"));
        assert_eq!(err.operation(), Some("create_node"));
        assert!(
            err.to_string().contains("IdempotentParameterMismatch"),
            "{err}"
        );
        assert_eq!(
            kind("UnsupportedOperation", "no", &ctx),
            ErrorKind::Unsupported
        );
        let err = parse_error(
            500,
            &http::HeaderMap::new(),
            &ec2("InsufficientInstanceCapacity", "none left"),
            &ctx,
        );
        assert!(err.is_temporary());
        assert_eq!(
            kind("AuthFailure", "x", &ctx),
            ErrorKind::InvalidCredentials
        );
        assert_eq!(
            kind("RequestLimitExceeded", "x", &ctx),
            ErrorKind::RateLimited { retry_after: None }
        );
        let html = parse_error(500, &http::HeaderMap::new(), b"<html>oops</html>", &ctx);
        assert!(html.is_temporary());
    }

    #[test]
    fn params_number_from_one() {
        let mut p = Params::new();
        p.list("InstanceId", ["i-1", "i-2"])
            .filter("tag:Name", ["a"])
            .filter("instance-state-name", ["running", "stopped"])
            .opt("Missing", None::<String>)
            .tag_specification(1, "instance", &[("Name".into(), "n".into())]);
        let text: Vec<String> = p.pairs().iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            text,
            [
                "InstanceId.1=i-1",
                "InstanceId.2=i-2",
                "Filter.1.Name=tag:Name",
                "Filter.1.Value.1=a",
                "Filter.2.Name=instance-state-name",
                "Filter.2.Value.1=running",
                "Filter.2.Value.2=stopped",
                "TagSpecification.1.ResourceType=instance",
                "TagSpecification.1.Tag.1.Key=Name",
                "TagSpecification.1.Tag.1.Value=n",
            ]
        );
        assert_eq!(p.get("InstanceId.2"), Some("i-2"));
        let tags = BTreeMap::from([
            ("b".to_string(), "2".to_string()),
            ("Name".into(), "x".into()),
        ]);
        assert_eq!(
            tag_list(Some("web"), &tags),
            [
                ("Name".to_string(), "web".to_string()),
                ("b".into(), "2".into())
            ]
        );
        assert_eq!(tag_list(None, &tags).len(), 2);
    }
}
