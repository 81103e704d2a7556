//! [`ElbLoadBalancer`]: classic Elastic Load Balancing (API 2012-06-01).

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use libcloud_aws::{AwsClient, Service};
use libcloud_core::{
    Algorithm, BalancerState, CreateBalancer, Error, Extra, LoadBalancer, LoadBalancerCapabilities,
    LoadBalancerDriver, Member, Result, Transport,
};
use serde_json::{Value, json};

use crate::client::{Params, QueryClient, Target};
use crate::config::ElbConfig;
use crate::{extra_str, extra_u16, parse_tags, valid_balancer_name};
use libcloud_aws::xml::Element;

/// The classic API's version.
pub const CLASSIC_API_VERSION: &str = "2012-06-01";

/// The protocols a classic balancer's listeners speak.
pub const CLASSIC_PROTOCOLS: &[&str] = &["tcp", "ssl", "http", "https"];

/// The algorithms a classic balancer offers: it balances in turn (HTTP listeners route to the
/// instance with the fewest outstanding requests, which is not selectable either).
pub const CLASSIC_ALGORITHMS: &[Algorithm] = &[Algorithm::RoundRobin];

/// One listener of a classic balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClassicListener {
    /// The protocol clients speak (`http`, `https`, `tcp`, `ssl`).
    pub protocol: String,
    /// The port the balancer listens on.
    pub port: u16,
    /// The protocol spoken to instances; the listener's when `None`.
    pub instance_protocol: Option<String>,
    /// The port instances listen on.
    pub instance_port: u16,
    /// The server certificate (ARN), for `https` and `ssl`.
    pub ssl_certificate_id: Option<String>,
    /// The policies applied to the listener (read only).
    pub policy_names: Vec<String>,
}

impl ClassicListener {
    /// A listener on `port` speaking `protocol`, forwarding to `instance_port`.
    pub fn new(protocol: impl Into<String>, port: u16, instance_port: u16) -> Self {
        ClassicListener {
            protocol: protocol.into(),
            port,
            instance_protocol: None,
            instance_port,
            ssl_certificate_id: None,
            policy_names: Vec::new(),
        }
    }

    /// Uses this server certificate (for `https` and `ssl`).
    pub fn with_certificate(mut self, arn: impl Into<String>) -> Self {
        self.ssl_certificate_id = Some(arn.into());
        self
    }

    fn from_element(e: &Element) -> Option<Self> {
        let l = e.child("Listener")?;
        Some(ClassicListener {
            protocol: l.text_of("Protocol")?.to_ascii_lowercase(),
            port: l.text_of("LoadBalancerPort")?.parse().ok()?,
            instance_protocol: l.text_of("InstanceProtocol").map(str::to_ascii_lowercase),
            instance_port: l.text_of("InstancePort")?.parse().ok()?,
            ssl_certificate_id: l.text_of("SSLCertificateId").map(str::to_string),
            policy_names: e.member_texts("PolicyNames"),
        })
    }

    fn params(&self, params: Params, n: usize) -> Result<Params> {
        let protocol = checked_protocol(&self.protocol)?;
        let instance_protocol = match &self.instance_protocol {
            Some(p) => checked_protocol(p)?,
            None => protocol.clone(),
        };
        let prefix = format!("Listeners.member.{n}");
        Ok(params
            .add(format!("{prefix}.Protocol"), protocol)
            .add(format!("{prefix}.LoadBalancerPort"), self.port.to_string())
            .add(format!("{prefix}.InstanceProtocol"), instance_protocol)
            .add(
                format!("{prefix}.InstancePort"),
                self.instance_port.to_string(),
            )
            .maybe(
                &format!("{prefix}.SSLCertificateId"),
                self.ssl_certificate_id.clone(),
            ))
    }

    fn to_json(&self) -> Value {
        json!({
            "protocol": self.protocol,
            "port": self.port,
            "instance_protocol": self.instance_protocol,
            "instance_port": self.instance_port,
            "ssl_certificate_id": self.ssl_certificate_id,
            "policy_names": self.policy_names,
        })
    }
}

/// `protocol` upper-cased, when it is one of [`CLASSIC_PROTOCOLS`].
fn checked_protocol(protocol: &str) -> Result<String> {
    let p = protocol.trim().to_ascii_lowercase();
    if CLASSIC_PROTOCOLS.contains(&p.as_str()) {
        Ok(p.to_ascii_uppercase())
    } else {
        Err(Error::invalid_input(format!(
            "{protocol:?} is not a classic ELB protocol ({})",
            CLASSIC_PROTOCOLS.join(", ")
        ))
        .with_provider(crate::PROVIDER))
    }
}

/// The classic Elastic Load Balancing driver (Libcloud's `ElasticLBDriver`).
///
/// A balancer's id is its name; its members are EC2 instances, by instance id
/// ([`Member::node`]), so [`balancer_attach_compute_node`](libcloud_core::LoadBalancerDriverExt)
/// attaches a node by its id. The balancer's port and protocol are its first listener's.
#[derive(Clone)]
pub struct ElbLoadBalancer {
    client: QueryClient,
    config: ElbConfig,
}

impl fmt::Debug for ElbLoadBalancer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElbLoadBalancer")
            .field("endpoint", self.client.aws().endpoint())
            .field("region", &self.config.region_or_default())
            .finish_non_exhaustive()
    }
}

impl ElbLoadBalancer {
    /// A driver for `config` (its `api` is not looked at), sending through the default HTTP
    /// transport ([`libcloud_http::default_transport`]).
    ///
    /// A bad endpoint URL or half a key pair is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn new(config: ElbConfig) -> Result<Self> {
        Self::with_transport(config, libcloud_http::default_transport()?)
    }

    /// A driver for `config`, sending through `transport`.
    pub fn with_transport(config: ElbConfig, transport: Transport) -> Result<Self> {
        let service = Service::ElasticLoadBalancing;
        let aws = AwsClient::new(
            transport,
            config.credential_provider()?,
            service,
            config.endpoint_for(service)?,
        );
        Ok(Self::from_client(aws, config))
    }

    /// A driver over an [`AwsClient`] set up by the caller; `config` says where new balancers
    /// go.
    pub fn from_client(client: AwsClient, config: ElbConfig) -> Self {
        ElbLoadBalancer {
            client: QueryClient::new(client, CLASSIC_API_VERSION),
            config,
        }
    }

    /// The client that signs and sends the requests.
    pub fn client(&self) -> &AwsClient {
        self.client.aws()
    }

    async fn call(
        &self,
        action: &str,
        params: Params,
        target: &Target,
        idempotent: bool,
    ) -> Result<Element> {
        self.client.call(action, params, target, idempotent).await
    }

    /// Every balancer description, following `NextMarker`.
    async fn describe(&self, names: &[&str], target: &Target) -> Result<Vec<Element>> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let params = Params::new()
                .list("LoadBalancerNames", names.iter().copied())
                .maybe("Marker", marker.clone());
            let root = self
                .call("DescribeLoadBalancers", params, target, true)
                .await?;
            let result = root.child("DescribeLoadBalancersResult");
            if let Some(list) = result.and_then(|r| r.child("LoadBalancerDescriptions")) {
                out.extend(list.all("member").cloned());
            }
            match result.and_then(|r| r.text_of("NextMarker")) {
                Some(next) if Some(next) != marker.as_deref() => marker = Some(next.to_string()),
                Some(_) => {
                    return Err(Error::malformed("the listing repeats its page marker")
                        .with_provider(crate::PROVIDER)
                        .with_operation(target.operation));
                }
                None => return Ok(out),
            }
        }
    }

    fn to_balancer(e: &Element) -> Result<LoadBalancer> {
        let name = e
            .required("LoadBalancerName", "a load balancer")
            .map_err(|err| err.with_provider(crate::PROVIDER))?
            .to_string();
        let listeners: Vec<ClassicListener> = e
            .members("ListenerDescriptions")
            .filter_map(ClassicListener::from_element)
            .collect();
        let first = listeners.first();
        let dns = e.text_of("DNSName").map(str::to_string);
        let mut extra = Extra::new();
        extra.insert(
            "listeners".into(),
            Value::Array(listeners.iter().map(ClassicListener::to_json).collect()),
        );
        let instances: Vec<String> = e
            .members("Instances")
            .filter_map(|m| m.text_of("InstanceId"))
            .map(str::to_string)
            .collect();
        extra.insert("instances".into(), json!(instances));
        for (key, list) in [
            ("availability_zones", "AvailabilityZones"),
            ("subnets", "Subnets"),
            ("security_groups", "SecurityGroups"),
        ] {
            extra.insert(key.into(), json!(e.member_texts(list)));
        }
        for (key, element) in [
            ("dns_name", "DNSName"),
            ("vpc_id", "VPCId"),
            ("scheme", "Scheme"),
            ("created_time", "CreatedTime"),
            ("canonical_hosted_zone_name", "CanonicalHostedZoneName"),
            ("canonical_hosted_zone_name_id", "CanonicalHostedZoneNameID"),
        ] {
            if let Some(v) = e.text_of(element) {
                extra.insert(key.into(), json!(v));
            }
        }
        if let Some(hc) = e.child("HealthCheck") {
            let fields: serde_json::Map<String, Value> = hc
                .children
                .iter()
                .map(|c| (c.name.clone(), json!(c.text.trim())))
                .collect();
            extra.insert("health_check".into(), Value::Object(fields));
        }
        if let Some(policies) = e.child("Policies") {
            let mut names = Vec::new();
            for kind in ["AppCookieStickinessPolicies", "LBCookieStickinessPolicies"] {
                names.extend(
                    policies
                        .members(kind)
                        .filter_map(|m| m.text_of("PolicyName"))
                        .map(str::to_string),
                );
            }
            names.extend(policies.member_texts("OtherPolicies"));
            extra.insert("policies".into(), json!(names));
        }
        Ok(LoadBalancer {
            id: name.clone(),
            name,
            state: BalancerState::Running,
            ip: dns,
            port: first.map_or(0, |l| l.port),
            protocol: first.map(|l| l.protocol.clone()),
            algorithm: None,
            extra,
        })
    }

    fn instance_port(balancer: &LoadBalancer) -> Option<u16> {
        balancer
            .extra
            .get("listeners")
            .and_then(|l| l.get(0))
            .and_then(|l| l.get("instance_port"))
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
    }

    fn instance_id(member: &Member, operation: &'static str) -> Result<String> {
        member
            .id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                Error::invalid_input(
                    "classic ELB balances EC2 instances: the member needs an instance id",
                )
                .with_provider(crate::PROVIDER)
                .with_operation(operation)
            })
    }

    /// The names of the policies defined for `balancer` (`DescribeLoadBalancerPolicies`).
    pub async fn ex_list_balancer_policies(&self, balancer: &LoadBalancer) -> Result<Vec<String>> {
        let target = Target::balancer("ex_list_balancer_policies", &balancer.id);
        let root = self
            .call(
                "DescribeLoadBalancerPolicies",
                Params::new().add("LoadBalancerName", &balancer.id),
                &target,
                true,
            )
            .await?;
        Ok(root
            .child("DescribeLoadBalancerPoliciesResult")
            .map(|r| {
                r.members("PolicyDescriptions")
                    .filter_map(|m| m.text_of("PolicyName"))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The names of the policy types ELB offers (`DescribeLoadBalancerPolicyTypes`).
    pub async fn ex_list_balancer_policy_types(&self) -> Result<Vec<String>> {
        let target = Target::other("ex_list_balancer_policy_types", "");
        let root = self
            .call(
                "DescribeLoadBalancerPolicyTypes",
                Params::new(),
                &target,
                true,
            )
            .await?;
        Ok(root
            .child("DescribeLoadBalancerPolicyTypesResult")
            .map(|r| {
                r.members("PolicyTypeDescriptions")
                    .filter_map(|m| m.text_of("PolicyTypeName"))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Defines the policy `policy_name` of type `policy_type` with `attributes` on `balancer`
    /// (`CreateLoadBalancerPolicy`).
    pub async fn ex_create_balancer_policy(
        &self,
        balancer: &LoadBalancer,
        policy_name: &str,
        policy_type: &str,
        attributes: &[(&str, &str)],
    ) -> Result<()> {
        let mut params = Params::new()
            .add("LoadBalancerName", &balancer.id)
            .add("PolicyName", policy_name)
            .add("PolicyTypeName", policy_type);
        for (i, (name, value)) in attributes.iter().enumerate() {
            params = params
                .add(
                    format!("PolicyAttributes.member.{}.AttributeName", i + 1),
                    *name,
                )
                .add(
                    format!("PolicyAttributes.member.{}.AttributeValue", i + 1),
                    *value,
                );
        }
        let target = Target::other("ex_create_balancer_policy", policy_name);
        self.call("CreateLoadBalancerPolicy", params, &target, false)
            .await?;
        Ok(())
    }

    /// Deletes the policy `policy_name` of `balancer` (`DeleteLoadBalancerPolicy`).
    pub async fn ex_delete_balancer_policy(
        &self,
        balancer: &LoadBalancer,
        policy_name: &str,
    ) -> Result<()> {
        let params = Params::new()
            .add("LoadBalancerName", &balancer.id)
            .add("PolicyName", policy_name);
        let target = Target::other("ex_delete_balancer_policy", policy_name);
        self.call("DeleteLoadBalancerPolicy", params, &target, true)
            .await?;
        Ok(())
    }

    /// Applies exactly `policies` to the listener on `port` (`SetLoadBalancerPoliciesOfListener`;
    /// an empty list removes them all).
    pub async fn ex_set_balancer_policies_listener(
        &self,
        balancer: &LoadBalancer,
        port: u16,
        policies: &[&str],
    ) -> Result<()> {
        let mut params = Params::new()
            .add("LoadBalancerName", &balancer.id)
            .add("LoadBalancerPort", port.to_string());
        params = if policies.is_empty() {
            params.add("PolicyNames", "")
        } else {
            params.list("PolicyNames", policies.iter().copied())
        };
        let target = Target::balancer("ex_set_balancer_policies_listener", &balancer.id);
        self.call("SetLoadBalancerPoliciesOfListener", params, &target, true)
            .await?;
        Ok(())
    }

    /// Applies exactly `policies` to the instances' `instance_port`
    /// (`SetLoadBalancerPoliciesForBackendServer`; an empty list removes them all).
    pub async fn ex_set_balancer_policies_backend_server(
        &self,
        balancer: &LoadBalancer,
        instance_port: u16,
        policies: &[&str],
    ) -> Result<()> {
        let mut params = Params::new()
            .add("LoadBalancerName", &balancer.id)
            .add("InstancePort", instance_port.to_string());
        params = if policies.is_empty() {
            params.add("PolicyNames", "")
        } else {
            params.list("PolicyNames", policies.iter().copied())
        };
        let target = Target::balancer("ex_set_balancer_policies_backend_server", &balancer.id);
        self.call(
            "SetLoadBalancerPoliciesForBackendServer",
            params,
            &target,
            true,
        )
        .await?;
        Ok(())
    }

    /// Adds listeners to `balancer` (`CreateLoadBalancerListeners`).
    pub async fn ex_create_balancer_listeners(
        &self,
        balancer: &LoadBalancer,
        listeners: &[ClassicListener],
    ) -> Result<()> {
        let mut params = Params::new().add("LoadBalancerName", &balancer.id);
        for (i, l) in listeners.iter().enumerate() {
            params = l.params(params, i + 1)?;
        }
        let target = Target::balancer("ex_create_balancer_listeners", &balancer.id);
        self.call("CreateLoadBalancerListeners", params, &target, true)
            .await?;
        Ok(())
    }

    /// The tags of `balancer` (`DescribeTags`).
    pub async fn ex_list_tags(&self, balancer: &LoadBalancer) -> Result<BTreeMap<String, String>> {
        let target = Target::balancer("ex_list_tags", &balancer.id);
        let root = self
            .call(
                "DescribeTags",
                Params::new().list("LoadBalancerNames", [balancer.id.as_str()]),
                &target,
                true,
            )
            .await?;
        Ok(root
            .child("DescribeTagsResult")
            .and_then(|r| {
                r.members("TagDescriptions")
                    .find(|d| d.text_of("LoadBalancerName") == Some(balancer.id.as_str()))
            })
            .map(parse_tags)
            .unwrap_or_default())
    }
}

#[async_trait]
impl LoadBalancerDriver for ElbLoadBalancer {
    fn name(&self) -> &str {
        "elb"
    }

    fn capabilities(&self) -> LoadBalancerCapabilities {
        let mut caps = LoadBalancerCapabilities::default();
        caps.members_by_ip = false;
        caps.members_by_node = true;
        caps.update_balancer = false;
        caps
    }

    async fn list_protocols(&self) -> Result<Vec<String>> {
        Ok(CLASSIC_PROTOCOLS.iter().map(|p| p.to_string()).collect())
    }

    async fn list_supported_algorithms(&self) -> Result<Vec<Algorithm>> {
        Ok(CLASSIC_ALGORITHMS.to_vec())
    }

    async fn list_balancers(&self) -> Result<Vec<LoadBalancer>> {
        let target = Target::balancer("list_balancers", "");
        self.describe(&[], &target)
            .await?
            .iter()
            .map(Self::to_balancer)
            .collect()
    }

    /// One balancer by name; a name that cannot be a balancer's is `NotFound`.
    async fn get_balancer(&self, balancer_id: &str) -> Result<LoadBalancer> {
        let operation = "get_balancer";
        let target = Target::balancer(operation, balancer_id);
        let not_found = || {
            Error::not_found(libcloud_core::ResourceKind::LoadBalancer, balancer_id)
                .with_provider(crate::PROVIDER)
                .with_operation(operation)
        };
        if !valid_balancer_name(balancer_id) {
            return Err(not_found());
        }
        let found = self.describe(&[balancer_id], &target).await?;
        found
            .iter()
            .find(|e| e.text_of("LoadBalancerName") == Some(balancer_id))
            .map(Self::to_balancer)
            .unwrap_or_else(|| Err(not_found()))
    }

    /// Creates a balancer with one listener (`request.port` speaking `request.protocol`,
    /// forwarding to `extra["instance_port"]`, else the first member's port, else the same
    /// port), in the configured zones or subnets, then registers the members (instances, by
    /// id). `extra["ssl_certificate_id"]` is the certificate of an `https`/`ssl` listener.
    ///
    /// Only round robin is offered: another algorithm is `Unsupported`. A member without an
    /// instance id is `InvalidInput`. If registering the members fails the balancer is
    /// deleted again.
    async fn create_balancer(&self, request: &CreateBalancer) -> Result<LoadBalancer> {
        let operation = "create_balancer";
        if !CLASSIC_ALGORITHMS.contains(&request.algorithm) {
            return Err(Error::unsupported(operation)
                .with_provider(crate::PROVIDER)
                .with_message(format!(
                    "classic ELB balances round robin only, not {}",
                    request.algorithm
                )));
        }
        let instances: Vec<String> = request
            .members
            .iter()
            .map(|m| Self::instance_id(m, operation))
            .collect::<Result<_>>()?;
        let instance_port = extra_u16(&request.extra, "instance_port")?
            .or_else(|| request.members.first().and_then(|m| m.port))
            .unwrap_or(request.port);
        let mut listener = ClassicListener::new(&request.protocol, request.port, instance_port);
        listener.ssl_certificate_id = extra_str(&request.extra, "ssl_certificate_id");
        let mut params = listener
            .params(Params::new().add("LoadBalancerName", &request.name), 1)
            .map_err(|e| e.with_operation(operation))?;
        if self.config.subnets.is_empty() {
            let zones = if self.config.zones.is_empty() {
                vec![format!("{}a", self.config.region_or_default())]
            } else {
                self.config.zones.clone()
            };
            params = params.list("AvailabilityZones", zones);
        } else {
            params = params.list("Subnets", self.config.subnets.iter().cloned());
        }
        params = params
            .list(
                "SecurityGroups",
                self.config.security_groups.iter().cloned(),
            )
            .maybe("Scheme", self.config.scheme.clone());
        let target = Target::balancer(operation, &request.name);
        // Creating a balancer that exists with the same settings succeeds: safe to retry.
        let root = self
            .call("CreateLoadBalancer", params, &target, true)
            .await?;
        let dns = root
            .at(&["CreateLoadBalancerResult", "DNSName"])
            .or_else(|| root.child("DNSName"))
            .map(|e| e.text.trim().to_string());
        if !instances.is_empty() {
            let params = Params::new()
                .add("LoadBalancerName", &request.name)
                .list_instances(&instances);
            let registered = self
                .call("RegisterInstancesWithLoadBalancer", params, &target, true)
                .await;
            if let Err(e) = registered {
                let _ = self
                    .call(
                        "DeleteLoadBalancer",
                        Params::new().add("LoadBalancerName", &request.name),
                        &target,
                        true,
                    )
                    .await;
                return Err(e);
            }
        }
        let mut extra = Extra::new();
        extra.insert("listeners".into(), json!([listener.to_json()]));
        extra.insert("instances".into(), json!(instances));
        if let Some(d) = &dns {
            extra.insert("dns_name".into(), json!(d));
        }
        Ok(LoadBalancer {
            id: request.name.clone(),
            name: request.name.clone(),
            state: BalancerState::Running,
            ip: dns,
            port: request.port,
            protocol: Some(request.protocol.trim().to_ascii_lowercase()),
            algorithm: Some(request.algorithm),
            extra,
        })
    }

    async fn destroy_balancer(&self, balancer: &LoadBalancer) -> Result<()> {
        let target = Target::balancer("destroy_balancer", &balancer.id);
        self.call(
            "DeleteLoadBalancer",
            Params::new().add("LoadBalancerName", &balancer.id),
            &target,
            true,
        )
        .await?;
        Ok(())
    }

    /// Registers the instance `member.id` (`RegisterInstancesWithLoadBalancer`).
    async fn balancer_attach_member(
        &self,
        balancer: &LoadBalancer,
        member: &Member,
    ) -> Result<Member> {
        let operation = "balancer_attach_member";
        let id = Self::instance_id(member, operation)?;
        let params = Params::new()
            .add("LoadBalancerName", &balancer.id)
            .list_instances(std::slice::from_ref(&id));
        self.call(
            "RegisterInstancesWithLoadBalancer",
            params,
            &Target::balancer(operation, &balancer.id),
            true,
        )
        .await?;
        Ok(Member {
            id: Some(id),
            ip: None,
            port: member.port.or_else(|| Self::instance_port(balancer)),
            weight: None,
            extra: member.extra.clone(),
        })
    }

    /// Deregisters the instance `member.id` (`DeregisterInstancesFromLoadBalancer`).
    async fn balancer_detach_member(&self, balancer: &LoadBalancer, member: &Member) -> Result<()> {
        let operation = "balancer_detach_member";
        let id = Self::instance_id(member, operation)?;
        let params = Params::new()
            .add("LoadBalancerName", &balancer.id)
            .list_instances(std::slice::from_ref(&id));
        self.call(
            "DeregisterInstancesFromLoadBalancer",
            params,
            &Target::balancer(operation, &balancer.id),
            true,
        )
        .await?;
        Ok(())
    }

    /// The registered instances, read fresh; their port is the first listener's instance port.
    async fn balancer_list_members(&self, balancer: &LoadBalancer) -> Result<Vec<Member>> {
        let current = self
            .get_balancer(&balancer.id)
            .await
            .map_err(|e| e.with_operation("balancer_list_members"))?;
        let port = Self::instance_port(&current);
        let ids: Vec<String> = current
            .extra
            .get("instances")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(ids
            .into_iter()
            .map(|id| {
                let mut m = Member::node(id);
                m.port = port;
                m
            })
            .collect())
    }
}

trait InstanceList {
    fn list_instances(self, ids: &[String]) -> Self;
}

impl InstanceList for Params {
    /// `Instances.member.<n>.InstanceId=<id>`, from 1.
    fn list_instances(mut self, ids: &[String]) -> Self {
        for (i, id) in ids.iter().enumerate() {
            self = self.add(format!("Instances.member.{}.InstanceId", i + 1), id);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn protocols_are_checked() {
        assert_eq!(checked_protocol(" Https ").unwrap(), "HTTPS");
        assert!(checked_protocol("udp").is_err());
        let mut l = ClassicListener::new("http", 80, 8080);
        l.instance_protocol = Some("quic".into());
        assert!(l.params(Params::new(), 1).is_err());
    }
}
