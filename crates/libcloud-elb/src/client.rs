//! Query-API calls (`POST /` with `Action=...&Version=...`) through [`AwsClient`], and the one
//! `parse_error` that maps Elastic Load Balancing's error codes onto libcloud's kinds.

use std::borrow::Cow;

use http::HeaderMap;
use libcloud_aws::{
    AwsClient, ErrorContext, mark_idempotent, parse_error, parse_error_body, query_request, retag,
};
use libcloud_core::transport::Operation;
use libcloud_core::{Error, ErrorKind, ResourceKind, Result};

use libcloud_aws::xml::{self, Element};

/// The most response body read into memory: 16 MiB.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Query parameters, in order; lists are numbered from 1.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn new() -> Self {
        Params::default()
    }

    /// Adds `key=value`.
    pub(crate) fn add(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.push((key.into(), value.into()));
        self
    }

    /// Adds `key=value` when there is a value.
    pub(crate) fn maybe(self, key: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.add(key, v),
            None => self,
        }
    }

    /// Adds `<prefix>.member.<n>=<item>` for each item, from 1.
    pub(crate) fn list<I, S>(mut self, prefix: &str, items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for (i, item) in items.into_iter().enumerate() {
            self.0
                .push((format!("{prefix}.member.{}", i + 1), item.into()));
        }
        self
    }

    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// What a call is about, so that errors name the right resource.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The libcloud operation (`get_balancer`).
    pub(crate) operation: &'static str,
    /// The kind of resource a not-found is about.
    pub(crate) kind: ResourceKind,
    /// Its id or name.
    pub(crate) id: String,
}

impl Target {
    /// A call about the balancer `id`.
    pub(crate) fn balancer(operation: &'static str, id: impl Into<String>) -> Self {
        Target {
            operation,
            kind: ResourceKind::LoadBalancer,
            id: id.into(),
        }
    }

    /// A call about the member `id` of a balancer.
    pub(crate) fn member(operation: &'static str, id: impl Into<String>) -> Self {
        Target {
            operation,
            kind: ResourceKind::Member,
            id: id.into(),
        }
    }

    /// A call about some other resource (a target group, a listener, a policy).
    pub(crate) fn other(operation: &'static str, id: impl Into<String>) -> Self {
        Target {
            operation,
            kind: ResourceKind::Other,
            id: id.into(),
        }
    }
}

/// Sends one query API's calls (ELB, ELBv2 or EC2) and reads their answers.
#[derive(Debug, Clone)]
pub(crate) struct QueryClient {
    aws: AwsClient,
    version: &'static str,
}

impl QueryClient {
    pub(crate) fn new(aws: AwsClient, version: &'static str) -> Self {
        QueryClient { aws, version }
    }

    pub(crate) fn aws(&self) -> &AwsClient {
        &self.aws
    }

    /// Calls `action` and reads the answer's root element. `idempotent` lets the transport
    /// retry the call (reads, and the calls AWS documents as safe to repeat).
    pub(crate) async fn call(
        &self,
        action: &str,
        params: Params,
        target: &Target,
        idempotent: bool,
    ) -> Result<Element> {
        let mut request = query_request(self.aws.endpoint(), action, self.version, params.pairs())
            .map_err(|e| e.with_provider(crate::PROVIDER))?;
        request
            .extensions_mut()
            .insert(Operation(Cow::Borrowed(target.operation)));
        if idempotent {
            mark_idempotent(&mut request);
        }
        let provider = self.aws.provider_name();
        let response = self
            .aws
            .send_and_read(request, BODY_LIMIT, |status, headers, body| {
                elb_error(status, headers, body, target, provider)
            })
            .await?;
        let status = response.status().as_u16();
        xml::parse(response.body(), "response").map_err(|e| {
            e.with_provider(self.aws.provider_name().to_string())
                .with_operation(target.operation)
                .with_status(status)
        })
    }
}

/// Codes that mean the caller asked for something impossible: a bad instance, target,
/// certificate, subnet, security group or combination of settings.
const INPUT_CODES: &[&str] = &[
    "InvalidInstance",
    "InvalidTarget",
    "CertificateNotFound",
    "SubnetNotFound",
    "InvalidSubnet",
    "InvalidSecurityGroup",
    "InvalidConfigurationRequest",
    "InvalidScheme",
    "UnsupportedProtocol",
    "IncompatibleProtocols",
    "InvalidLoadBalancerAction",
];

/// The error a failed Elastic Load Balancing response stands for.
///
/// On top of [`parse_error`]'s mapping: `LoadBalancerNotFound` (`AccessPointNotFound`) is
/// `NotFound` of the load balancer, `DuplicateLoadBalancerName` (`DuplicateAccessPointName`)
/// `AlreadyExists` of it; `TargetGroupNotFound`, `ListenerNotFound`, `RuleNotFound` and
/// `PolicyNotFound` are `NotFound` of the thing called; `DuplicateTargetGroupName`,
/// `DuplicateListener` and `DuplicatePolicyName` are `AlreadyExists` of it; a bad instance,
/// target, certificate, subnet or security group (`InvalidInstance`, `CertificateNotFound`,
/// `SubnetNotFound`, ...) is `InvalidInput`.
pub(crate) fn elb_error(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    target: &Target,
    provider: &str,
) -> Error {
    let ctx = ErrorContext::new(target.operation).resource(target.kind, target.id.clone());
    let base = parse_error(status, headers, body, &ctx).with_provider(provider.to_string());
    let Some(code) = parse_error_body(body).and_then(|b| b.code) else {
        return base;
    };
    let balancer = || {
        if target.kind == ResourceKind::LoadBalancer {
            target.id.clone()
        } else {
            String::new()
        }
    };
    let kind = match code.as_str() {
        "LoadBalancerNotFound" | "AccessPointNotFound" => ErrorKind::NotFound {
            kind: ResourceKind::LoadBalancer,
            id: balancer(),
        },
        "DuplicateLoadBalancerName" | "DuplicateAccessPointName" => ErrorKind::AlreadyExists {
            kind: ResourceKind::LoadBalancer,
            id: balancer(),
        },
        "TargetGroupNotFound"
        | "ListenerNotFound"
        | "RuleNotFound"
        | "PolicyNotFound"
        | "PolicyTypeNotFound" => ErrorKind::NotFound {
            kind: target.kind,
            id: target.id.clone(),
        },
        "DuplicateTargetGroupName" | "DuplicateListener" | "DuplicatePolicyName" => {
            ErrorKind::AlreadyExists {
                kind: ResourceKind::Other,
                id: target.id.clone(),
            }
        }
        c if INPUT_CODES.contains(&c) => ErrorKind::InvalidInput,
        _ => return base,
    };
    retag(&base, kind)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn body(code: &str) -> Vec<u8> {
        format!(
            "<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/\">\
             <Error><Type>Sender</Type><Code>{code}</Code><Message>about {code}</Message></Error>\
             <RequestId>RID</RequestId></ErrorResponse>"
        )
        .into_bytes()
    }

    fn kind(code: &str, target: &Target) -> ErrorKind {
        elb_error(400, &HeaderMap::new(), &body(code), target, "elb")
            .kind()
            .clone()
    }

    #[test]
    fn codes_map_to_kinds() {
        let lb = Target::balancer("get_balancer", "web");
        let tg = Target::other("ex_list_rules", "arn:listener");
        assert_eq!(
            kind("LoadBalancerNotFound", &lb),
            ErrorKind::NotFound {
                kind: ResourceKind::LoadBalancer,
                id: "web".into()
            }
        );
        assert_eq!(
            kind("AccessPointNotFound", &lb),
            ErrorKind::NotFound {
                kind: ResourceKind::LoadBalancer,
                id: "web".into()
            }
        );
        assert_eq!(
            kind("DuplicateLoadBalancerName", &lb),
            ErrorKind::AlreadyExists {
                kind: ResourceKind::LoadBalancer,
                id: "web".into()
            }
        );
        assert_eq!(
            kind("ListenerNotFound", &tg),
            ErrorKind::NotFound {
                kind: ResourceKind::Other,
                id: "arn:listener".into()
            }
        );
        assert_eq!(
            kind("DuplicateListener", &tg),
            ErrorKind::AlreadyExists {
                kind: ResourceKind::Other,
                id: "arn:listener".into()
            }
        );
        assert_eq!(kind("InvalidInstance", &lb), ErrorKind::InvalidInput);
        assert_eq!(kind("CertificateNotFound", &lb), ErrorKind::InvalidInput);
        assert_eq!(kind("ValidationError", &lb), ErrorKind::InvalidInput);
        assert_eq!(
            kind("Throttling", &lb),
            ErrorKind::RateLimited { retry_after: None }
        );
        let err = elb_error(
            400,
            &HeaderMap::new(),
            &body("LoadBalancerNotFound"),
            &lb,
            "elb",
        );
        assert_eq!(err.request_id(), Some("RID"));
        assert_eq!(err.provider(), Some("elb"));
        assert_eq!(err.operation(), Some("get_balancer"));
        assert!(
            err.to_string().contains("about LoadBalancerNotFound"),
            "{err}"
        );
    }

    #[test]
    fn params_number_lists_from_one() {
        let p = Params::new()
            .add("Name", "a")
            .list("Subnets", ["s1", "s2"])
            .maybe("Scheme", None::<String>)
            .maybe("Type", Some("application"));
        let pairs: Vec<(&str, &str)> = p.pairs().collect();
        assert_eq!(
            pairs,
            [
                ("Name", "a"),
                ("Subnets.member.1", "s1"),
                ("Subnets.member.2", "s2"),
                ("Type", "application")
            ]
        );
    }
}
