//! [`AlbLoadBalancer`]: application load balancers (Elastic Load Balancing v2, API 2015-12-01).

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use futures::stream::{self, StreamExt, TryStreamExt};
use libcloud_aws::{AwsClient, Service};
use libcloud_core::{
    Algorithm, BalancerState, CreateBalancer, Error, ErrorKind, Extra, LoadBalancer,
    LoadBalancerCapabilities, LoadBalancerDriver, Member, ResourceKind, Result, Transport,
};
use serde_json::{Value, json};

use crate::client::{Params, QueryClient, Target};
use crate::config::{ElbConfig, TargetType};
use crate::{extra_str, extra_u16, parse_tags, valid_balancer_name};
use libcloud_aws::xml::Element;

/// The ELBv2 API's version.
pub const ALB_API_VERSION: &str = "2015-12-01";

/// The protocols an application balancer's listeners speak.
pub const ALB_PROTOCOLS: &[&str] = &["http", "https"];

/// The algorithms an application balancer's target group can use: round robin, least
/// outstanding requests ([`Algorithm::LeastConnections`]) and weighted random
/// ([`Algorithm::Random`]).
pub const ALB_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RoundRobin,
    Algorithm::LeastConnections,
    Algorithm::Random,
];

/// The provider name of this driver and its errors.
const PROVIDER: &str = "alb";

/// The EC2 API version used to find default subnets.
const EC2_API_VERSION: &str = "2016-11-15";

/// How many balancers' listeners are read at once when listing.
const LISTENER_CONCURRENCY: usize = 4;

/// The value of the target group attribute `load_balancing.algorithm.type` for `algorithm`.
fn algorithm_value(algorithm: Algorithm) -> Option<&'static str> {
    match algorithm {
        Algorithm::RoundRobin => Some("round_robin"),
        Algorithm::LeastConnections => Some("least_outstanding_requests"),
        Algorithm::Random => Some("weighted_random"),
        _ => None,
    }
}

/// A target group.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetGroup {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// The protocol spoken to targets (`HTTP`, `HTTPS`).
    pub protocol: Option<String>,
    /// The port targets listen on.
    pub port: Option<u16>,
    /// The VPC it is in.
    pub vpc_id: Option<String>,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: Option<String>,
    /// The path health checks ask for.
    pub health_check_path: Option<String>,
    /// The protocol of health checks.
    pub health_check_protocol: Option<String>,
    /// The balancers that forward to it.
    pub load_balancer_arns: Vec<String>,
}

impl TargetGroup {
    fn from_element(e: &Element) -> Result<Self> {
        Ok(TargetGroup {
            arn: e.required("TargetGroupArn", "a target group")?.to_string(),
            name: e.text_of("TargetGroupName").unwrap_or_default().to_string(),
            protocol: e.text_of("Protocol").map(str::to_string),
            port: e.text_of("Port").and_then(|p| p.parse().ok()),
            vpc_id: e.text_of("VpcId").map(str::to_string),
            target_type: e.text_of("TargetType").map(str::to_string),
            health_check_path: e.text_of("HealthCheckPath").map(str::to_string),
            health_check_protocol: e.text_of("HealthCheckProtocol").map(str::to_string),
            load_balancer_arns: e.member_texts("LoadBalancerArns"),
        })
    }
}

/// A listener of an application balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlbListener {
    /// Its ARN.
    pub arn: String,
    /// The balancer's ARN.
    pub balancer_arn: String,
    /// Its protocol (`HTTP`, `HTTPS`).
    pub protocol: String,
    /// Its port.
    pub port: u16,
    /// Its TLS policy, for HTTPS.
    pub ssl_policy: Option<String>,
    /// The ARNs of its certificates.
    pub certificates: Vec<String>,
    /// The target group its default action forwards to.
    pub default_target_group_arn: Option<String>,
}

impl AlbListener {
    fn from_element(e: &Element) -> Result<Self> {
        Ok(AlbListener {
            arn: e.required("ListenerArn", "a listener")?.to_string(),
            balancer_arn: e.text_of("LoadBalancerArn").unwrap_or_default().to_string(),
            protocol: e.text_of("Protocol").unwrap_or_default().to_string(),
            port: e
                .required("Port", "a listener")?
                .parse()
                .map_err(|_| Error::malformed("a listener's port is not a port number"))?,
            ssl_policy: e.text_of("SslPolicy").map(str::to_string),
            certificates: e
                .members("Certificates")
                .filter_map(|c| c.text_of("CertificateArn"))
                .map(str::to_string)
                .collect(),
            default_target_group_arn: forward_target(e, "DefaultActions"),
        })
    }

    fn to_json(&self) -> Value {
        json!({
            "arn": self.arn,
            "protocol": self.protocol,
            "port": self.port,
            "ssl_policy": self.ssl_policy,
            "certificates": self.certificates,
            "default_target_group_arn": self.default_target_group_arn,
        })
    }
}

/// A rule of a listener.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlbRule {
    /// Its ARN.
    pub arn: String,
    /// Its priority (`"10"`, or `"default"` for the listener's default rule).
    pub priority: String,
    /// Whether it is the listener's default rule.
    pub is_default: bool,
    /// Its conditions: a field (`path-pattern`, `host-header`) and the values it matches.
    pub conditions: Vec<(String, Vec<String>)>,
    /// The target group it forwards to.
    pub target_group_arn: Option<String>,
}

impl AlbRule {
    fn from_element(e: &Element) -> Result<Self> {
        Ok(AlbRule {
            arn: e.required("RuleArn", "a rule")?.to_string(),
            priority: e.text_of("Priority").unwrap_or_default().to_string(),
            is_default: e.text_of("IsDefault") == Some("true"),
            conditions: e
                .members("Conditions")
                .map(|c| {
                    (
                        c.text_of("Field").unwrap_or_default().to_string(),
                        c.member_texts("Values"),
                    )
                })
                .collect(),
            target_group_arn: forward_target(e, "Actions"),
        })
    }
}

/// The target group of the first `forward` action in the list `name`.
fn forward_target(e: &Element, name: &str) -> Option<String> {
    e.members(name)
        .find(|a| a.text_of("Type") == Some("forward"))
        .and_then(|a| a.text_of("TargetGroupArn"))
        .map(str::to_string)
}

fn list_of<T>(
    root: &Element,
    result: &str,
    list: &str,
    parse: impl Fn(&Element) -> Result<T>,
) -> Result<Vec<T>> {
    root.child(result)
        .into_iter()
        .flat_map(|r| r.members(list))
        .map(|e| parse(e).map_err(|err| err.with_provider(PROVIDER)))
        .collect()
}

fn next_marker(root: &Element, result: &str) -> Option<String> {
    root.child(result)
        .and_then(|r| r.text_of("NextMarker"))
        .map(str::to_string)
}

/// A name for a new target group: the balancer's name (cut to fit) and 8 hex digits, as
/// target group names must be unique and at most 32 characters.
fn target_group_name(balancer: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    hasher.write_u128(nanos);
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let stem: String = balancer
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(23)
        .collect();
    let stem = stem.trim_matches('-');
    let stem = if stem.is_empty() { "libcloud" } else { stem };
    format!("{stem}-{:08x}", hasher.finish() as u32)
}

fn alb_error(message: impl Into<String>, operation: &'static str) -> Error {
    Error::invalid_input(message)
        .with_provider(PROVIDER)
        .with_operation(operation)
}

/// The application load balancer driver (Libcloud's `ApplicationLBDriver`).
///
/// A balancer's id is its ARN (`get_balancer` also takes a name). A balancer made by
/// [`create_balancer`](LoadBalancerDriver::create_balancer) has one listener that forwards to
/// one target group of its own; its members are that group's targets: EC2 instances by id
/// ([`TargetType::Instance`], the default) or addresses and ports ([`TargetType::Ip`]), as
/// [`ElbConfig::target_type`] says. Its port and protocol are its first listener's, and
/// `extra["target_group_arn"]` names the group.
#[derive(Clone)]
pub struct AlbLoadBalancer {
    client: QueryClient,
    ec2: QueryClient,
    config: ElbConfig,
    default_subnets: Arc<Mutex<Option<Vec<String>>>>,
}

impl fmt::Debug for AlbLoadBalancer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbLoadBalancer")
            .field("endpoint", self.client.aws().endpoint())
            .field("region", &self.config.region_or_default())
            .field("target_type", &self.config.target_type)
            .finish_non_exhaustive()
    }
}

impl AlbLoadBalancer {
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
        let credentials = config.credential_provider()?;
        let elb = AwsClient::new(
            transport.clone(),
            credentials.clone(),
            Service::ElasticLoadBalancingV2,
            config.endpoint_for(Service::ElasticLoadBalancingV2)?,
        )
        .with_provider_name(PROVIDER);
        let ec2 = AwsClient::new(
            transport,
            credentials,
            Service::Ec2,
            config.endpoint_for(Service::Ec2)?,
        )
        .with_provider_name(PROVIDER);
        Ok(Self::from_clients(elb, ec2, config))
    }

    /// A driver over clients set up by the caller: `elb` for ELBv2, `ec2` for finding default
    /// subnets; `config` says where new balancers go.
    pub fn from_clients(elb: AwsClient, ec2: AwsClient, config: ElbConfig) -> Self {
        AlbLoadBalancer {
            client: QueryClient::new(elb, ALB_API_VERSION),
            ec2: QueryClient::new(ec2, EC2_API_VERSION),
            config,
            default_subnets: Arc::default(),
        }
    }

    /// The client that signs and sends the ELBv2 requests.
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

    /// Every page of a `Describe*` call, following `NextMarker`.
    async fn describe_all(
        &self,
        action: &str,
        params: Params,
        target: &Target,
    ) -> Result<Vec<Element>> {
        let result = format!("{action}Result");
        let mut pages = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let root = self
                .call(
                    action,
                    params.clone().maybe("Marker", marker.clone()),
                    target,
                    true,
                )
                .await?;
            let next = next_marker(&root, &result);
            pages.push(root);
            match next {
                Some(n) if Some(&n) != marker.as_ref() => marker = Some(n),
                Some(_) => {
                    return Err(Error::malformed("the listing repeats its page marker")
                        .with_provider(PROVIDER)
                        .with_operation(target.operation));
                }
                None => return Ok(pages),
            }
        }
    }

    async fn describe_balancers(&self, params: Params, target: &Target) -> Result<Vec<Element>> {
        let pages = self
            .describe_all("DescribeLoadBalancers", params, target)
            .await?;
        Ok(pages
            .iter()
            .flat_map(|root| {
                root.child("DescribeLoadBalancersResult")
                    .into_iter()
                    .flat_map(|r| r.members("LoadBalancers"))
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect())
    }

    fn to_balancer(e: &Element, listeners: &[AlbListener]) -> Result<LoadBalancer> {
        let arn = e
            .required("LoadBalancerArn", "a load balancer")
            .map_err(|err| err.with_provider(PROVIDER))?
            .to_string();
        let name = e
            .text_of("LoadBalancerName")
            .unwrap_or_default()
            .to_string();
        let state = match e.at(&["State", "Code"]).map(|c| c.text.trim()) {
            Some("active" | "active_impaired") => BalancerState::Running,
            Some("provisioning") => BalancerState::Pending,
            Some("failed") => BalancerState::Error,
            _ => BalancerState::Unknown,
        };
        let mut sorted: Vec<&AlbListener> = listeners.iter().collect();
        sorted.sort_by_key(|l| l.port);
        let first = sorted.first();
        let mut extra = Extra::new();
        extra.insert("arn".into(), json!(arn));
        for (key, element) in [
            ("dns_name", "DNSName"),
            ("scheme", "Scheme"),
            ("vpc_id", "VpcId"),
            ("type", "Type"),
            ("created_time", "CreatedTime"),
            ("canonical_hosted_zone_id", "CanonicalHostedZoneId"),
            ("ip_address_type", "IpAddressType"),
        ] {
            if let Some(v) = e.text_of(element) {
                extra.insert(key.into(), json!(v));
            }
        }
        let zones: Vec<Value> = e
            .members("AvailabilityZones")
            .map(|z| json!({"zone": z.text_of("ZoneName"), "subnet": z.text_of("SubnetId")}))
            .collect();
        extra.insert("availability_zones".into(), Value::Array(zones));
        extra.insert(
            "security_groups".into(),
            json!(e.member_texts("SecurityGroups")),
        );
        extra.insert(
            "listeners".into(),
            Value::Array(sorted.iter().map(|l| l.to_json()).collect()),
        );
        if let Some(tg) = first.and_then(|l| l.default_target_group_arn.clone()) {
            extra.insert("target_group_arn".into(), json!(tg));
        }
        Ok(LoadBalancer {
            id: arn,
            name,
            state,
            ip: e.text_of("DNSName").map(str::to_string),
            port: first.map_or(0, |l| l.port),
            protocol: first.map(|l| l.protocol.to_ascii_lowercase()),
            algorithm: None,
            extra,
        })
    }

    /// The listeners of the balancer `arn`.
    async fn listeners_of(&self, arn: &str, operation: &'static str) -> Result<Vec<AlbListener>> {
        let target = Target::balancer(operation, arn);
        let pages = self
            .describe_all(
                "DescribeListeners",
                Params::new().add("LoadBalancerArn", arn),
                &target,
            )
            .await?;
        let mut out = Vec::new();
        for root in &pages {
            out.extend(list_of(
                root,
                "DescribeListenersResult",
                "Listeners",
                AlbListener::from_element,
            )?);
        }
        Ok(out)
    }

    /// A balancer element with its listeners read.
    async fn complete(&self, e: &Element, operation: &'static str) -> Result<LoadBalancer> {
        let arn = e
            .required("LoadBalancerArn", "a load balancer")
            .map_err(|err| err.with_provider(PROVIDER))?;
        let listeners = self.listeners_of(arn, operation).await?;
        Self::to_balancer(e, &listeners)
    }

    /// The ARN of a balancer given by ARN or name.
    async fn arn_of(&self, balancer: &LoadBalancer, operation: &'static str) -> Result<String> {
        if balancer.id.starts_with("arn:") {
            return Ok(balancer.id.clone());
        }
        let found = self
            .get_balancer(&balancer.id)
            .await
            .map_err(|e| e.with_operation(operation))?;
        Ok(found.id)
    }

    /// The target group holding `balancer`'s members.
    async fn target_group_of(
        &self,
        balancer: &LoadBalancer,
        operation: &'static str,
    ) -> Result<String> {
        if let Some(tg) = extra_str(&balancer.extra, "target_group_arn") {
            return Ok(tg);
        }
        let arn = self.arn_of(balancer, operation).await?;
        let mut listeners = self.listeners_of(&arn, operation).await?;
        listeners.sort_by_key(|l| l.port);
        listeners
            .into_iter()
            .find_map(|l| l.default_target_group_arn)
            .ok_or_else(|| {
                alb_error(
                    format!(
                        "balancer {} has no listener forwarding to a target group",
                        balancer.name
                    ),
                    operation,
                )
            })
    }

    /// The subnets of new balancers: the configured ones, else the default subnets of the
    /// default VPC (one per zone), found once with EC2 `DescribeSubnets`.
    async fn subnets(&self, operation: &'static str) -> Result<Vec<String>> {
        if !self.config.subnets.is_empty() {
            return Ok(self.config.subnets.clone());
        }
        let known = self
            .default_subnets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(subnets) = known {
            return Ok(subnets);
        }
        let params = Params::new()
            .add("Filter.1.Name", "default-for-az")
            .add("Filter.1.Value.1", "true");
        let root = self
            .ec2
            .call(
                "DescribeSubnets",
                params,
                &Target::other(operation, "default subnets"),
                true,
            )
            .await?;
        let mut by_zone: BTreeMap<String, String> = BTreeMap::new();
        if let Some(set) = root.child("subnetSet") {
            for item in set.all("item") {
                if let (Some(id), Some(zone)) =
                    (item.text_of("subnetId"), item.text_of("availabilityZone"))
                {
                    by_zone
                        .entry(zone.to_string())
                        .or_insert_with(|| id.to_string());
                }
            }
        }
        let subnets: Vec<String> = by_zone.into_values().collect();
        if subnets.len() < 2 {
            return Err(alb_error(
                "an application load balancer needs subnets in two zones, and the region has no \
                 default subnets to use: configure subnets",
                operation,
            ));
        }
        *self
            .default_subnets
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(subnets.clone());
        Ok(subnets)
    }

    /// The target id and port `member` stands for, under the configured target type.
    fn target_of(&self, member: &Member, operation: &'static str) -> Result<(String, Option<u16>)> {
        let id = match self.config.target_type {
            TargetType::Ip => {
                let ip = member.ip.as_deref().or(member.id.as_deref()).unwrap_or_default().trim();
                if ip.parse::<IpAddr>().is_err() {
                    return Err(alb_error(
                        format!("target groups of type ip take addresses, not {ip:?}"),
                        operation,
                    ));
                }
                ip.to_string()
            }
            TargetType::Instance => member
                .id
                .as_deref()
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .ok_or_else(|| {
                    alb_error(
                        "target groups of type instance take EC2 instances: the member needs an instance id",
                        operation,
                    )
                })?
                .to_string(),
        };
        Ok((id, member.port))
    }

    fn targets(params: Params, targets: &[(String, Option<u16>)]) -> Params {
        let mut params = params;
        for (i, (id, port)) in targets.iter().enumerate() {
            params = params
                .add(format!("Targets.member.{}.Id", i + 1), id)
                .maybe(
                    &format!("Targets.member.{}.Port", i + 1),
                    port.map(|p| p.to_string()),
                );
        }
        params
    }

    fn member_of(&self, id: String, port: Option<u16>, target_group: &str) -> Member {
        let mut extra = Extra::new();
        extra.insert("target_group_arn".into(), json!(target_group));
        Member {
            ip: (self.config.target_type == TargetType::Ip).then(|| id.clone()),
            id: Some(id),
            port,
            weight: None,
            extra,
        }
    }

    /// The target groups of `balancer` (every one when `None`), with `DescribeTargetGroups`.
    pub async fn ex_list_target_groups(
        &self,
        balancer: Option<&LoadBalancer>,
    ) -> Result<Vec<TargetGroup>> {
        let operation = "ex_list_target_groups";
        let params = match balancer {
            Some(b) => Params::new().add("LoadBalancerArn", self.arn_of(b, operation).await?),
            None => Params::new(),
        };
        let target = Target::balancer(
            operation,
            balancer.map(|b| b.id.clone()).unwrap_or_default(),
        );
        let pages = self
            .describe_all("DescribeTargetGroups", params, &target)
            .await?;
        let mut out = Vec::new();
        for root in &pages {
            out.extend(list_of(
                root,
                "DescribeTargetGroupsResult",
                "TargetGroups",
                TargetGroup::from_element,
            )?);
        }
        Ok(out)
    }

    /// Creates a target group (`CreateTargetGroup`) in `vpc_id`.
    pub async fn ex_create_target_group(
        &self,
        name: &str,
        protocol: &str,
        port: u16,
        vpc_id: &str,
        target_type: TargetType,
    ) -> Result<TargetGroup> {
        let operation = "ex_create_target_group";
        let params = Params::new()
            .add("Name", name)
            .add("Protocol", checked_protocol(protocol, operation)?)
            .add("Port", port.to_string())
            .add("VpcId", vpc_id)
            .add("TargetType", target_type.as_str());
        // Creating a group that exists with the same settings succeeds: safe to retry.
        let root = self
            .call(
                "CreateTargetGroup",
                params,
                &Target::other(operation, name),
                true,
            )
            .await?;
        list_of(
            &root,
            "CreateTargetGroupResult",
            "TargetGroups",
            TargetGroup::from_element,
        )?
        .into_iter()
        .next()
        .ok_or_else(|| Error::malformed("the answer holds no target group").with_provider(PROVIDER))
    }

    /// Deletes a target group (`DeleteTargetGroup`).
    pub async fn ex_delete_target_group(&self, target_group_arn: &str) -> Result<()> {
        let target = Target::other("ex_delete_target_group", target_group_arn);
        self.call(
            "DeleteTargetGroup",
            Params::new().add("TargetGroupArn", target_group_arn),
            &target,
            true,
        )
        .await?;
        Ok(())
    }

    /// Sets the balancing algorithm of a target group (`ModifyTargetGroupAttributes`);
    /// an algorithm outside [`ALB_ALGORITHMS`] is `Unsupported`.
    pub async fn ex_set_target_group_algorithm(
        &self,
        target_group_arn: &str,
        algorithm: Algorithm,
    ) -> Result<()> {
        let operation = "ex_set_target_group_algorithm";
        let value = algorithm_value(algorithm).ok_or_else(|| unsupported(algorithm, operation))?;
        let params = Params::new()
            .add("TargetGroupArn", target_group_arn)
            .add("Attributes.member.1.Key", "load_balancing.algorithm.type")
            .add("Attributes.member.1.Value", value);
        self.call(
            "ModifyTargetGroupAttributes",
            params,
            &Target::other(operation, target_group_arn),
            true,
        )
        .await?;
        Ok(())
    }

    /// The listeners of `balancer` (`DescribeListeners`).
    pub async fn ex_list_listeners(&self, balancer: &LoadBalancer) -> Result<Vec<AlbListener>> {
        let operation = "ex_list_listeners";
        let arn = self.arn_of(balancer, operation).await?;
        self.listeners_of(&arn, operation).await
    }

    /// Adds a listener on `port` speaking `protocol` that forwards to `target_group_arn`
    /// (`CreateListener`); HTTPS needs `certificate_arn`.
    pub async fn ex_create_listener(
        &self,
        balancer: &LoadBalancer,
        protocol: &str,
        port: u16,
        target_group_arn: &str,
        certificate_arn: Option<&str>,
        ssl_policy: Option<&str>,
    ) -> Result<AlbListener> {
        let operation = "ex_create_listener";
        let arn = self.arn_of(balancer, operation).await?;
        let mut params = Params::new()
            .add("LoadBalancerArn", &arn)
            .add("Protocol", checked_protocol(protocol, operation)?)
            .add("Port", port.to_string())
            .add("DefaultActions.member.1.Type", "forward")
            .add("DefaultActions.member.1.TargetGroupArn", target_group_arn)
            .maybe("SslPolicy", ssl_policy);
        if let Some(cert) = certificate_arn {
            params = params.add("Certificates.member.1.CertificateArn", cert);
        }
        // Creating a listener that exists with the same settings succeeds: safe to retry.
        let root = self
            .call(
                "CreateListener",
                params,
                &Target::balancer(operation, &arn),
                true,
            )
            .await?;
        list_of(
            &root,
            "CreateListenerResult",
            "Listeners",
            AlbListener::from_element,
        )?
        .into_iter()
        .next()
        .ok_or_else(|| Error::malformed("the answer holds no listener").with_provider(PROVIDER))
    }

    /// The rules of a listener (`DescribeRules`).
    pub async fn ex_list_rules(&self, listener_arn: &str) -> Result<Vec<AlbRule>> {
        let target = Target::other("ex_list_rules", listener_arn);
        let pages = self
            .describe_all(
                "DescribeRules",
                Params::new().add("ListenerArn", listener_arn),
                &target,
            )
            .await?;
        let mut out = Vec::new();
        for root in &pages {
            out.extend(list_of(
                root,
                "DescribeRulesResult",
                "Rules",
                AlbRule::from_element,
            )?);
        }
        Ok(out)
    }

    /// Adds a rule to a listener that forwards requests whose path matches one of
    /// `path_patterns` to `target_group_arn`, at `priority` (`CreateRule`).
    pub async fn ex_create_rule(
        &self,
        listener_arn: &str,
        priority: u32,
        path_patterns: &[&str],
        target_group_arn: &str,
    ) -> Result<AlbRule> {
        let operation = "ex_create_rule";
        let params = Params::new()
            .add("ListenerArn", listener_arn)
            .add("Priority", priority.to_string())
            .add("Conditions.member.1.Field", "path-pattern")
            .list("Conditions.member.1.Values", path_patterns.iter().copied())
            .add("Actions.member.1.Type", "forward")
            .add("Actions.member.1.TargetGroupArn", target_group_arn);
        let root = self
            .call(
                "CreateRule",
                params,
                &Target::other(operation, listener_arn),
                false,
            )
            .await?;
        list_of(&root, "CreateRuleResult", "Rules", AlbRule::from_element)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::malformed("the answer holds no rule").with_provider(PROVIDER))
    }

    /// Registers targets (an id and, optionally, a port each) in a target group
    /// (`RegisterTargets`).
    pub async fn ex_register_targets(
        &self,
        target_group_arn: &str,
        targets: &[(String, Option<u16>)],
    ) -> Result<()> {
        let operation = "ex_register_targets";
        let params = Self::targets(
            Params::new().add("TargetGroupArn", target_group_arn),
            targets,
        );
        self.call(
            "RegisterTargets",
            params,
            &Target::member(operation, target_group_arn),
            true,
        )
        .await?;
        Ok(())
    }

    /// The targets of a target group with their health (`DescribeTargetHealth`): members whose
    /// `extra["health"]` is the state (`healthy`, `initial`, `draining`, ...).
    pub async fn ex_target_health(&self, target_group_arn: &str) -> Result<Vec<Member>> {
        let operation = "ex_target_health";
        let root = self
            .call(
                "DescribeTargetHealth",
                Params::new().add("TargetGroupArn", target_group_arn),
                &Target::other(operation, target_group_arn),
                true,
            )
            .await?;
        let mut out = Vec::new();
        for d in root
            .child("DescribeTargetHealthResult")
            .into_iter()
            .flat_map(|r| r.members("TargetHealthDescriptions"))
        {
            let Some(t) = d.child("Target") else { continue };
            let Some(id) = t.text_of("Id") else { continue };
            let port = t.text_of("Port").and_then(|p| p.parse().ok());
            let mut member = self.member_of(id.to_string(), port, target_group_arn);
            if id.parse::<IpAddr>().is_ok() {
                member.ip = Some(id.to_string());
            }
            if let Some(state) = d.at(&["TargetHealth", "State"]) {
                member
                    .extra
                    .insert("health".into(), json!(state.text.trim()));
            }
            if let Some(reason) = d.at(&["TargetHealth", "Reason"]) {
                member
                    .extra
                    .insert("health_reason".into(), json!(reason.text.trim()));
            }
            out.push(member);
        }
        Ok(out)
    }

    /// The tags of `balancer` (`DescribeTags`).
    pub async fn ex_list_tags(&self, balancer: &LoadBalancer) -> Result<BTreeMap<String, String>> {
        let operation = "ex_list_tags";
        let arn = self.arn_of(balancer, operation).await?;
        let root = self
            .call(
                "DescribeTags",
                Params::new().list("ResourceArns", [arn.as_str()]),
                &Target::balancer(operation, &arn),
                true,
            )
            .await?;
        Ok(root
            .child("DescribeTagsResult")
            .and_then(|r| r.members("TagDescriptions").next())
            .map(parse_tags)
            .unwrap_or_default())
    }
}

fn checked_protocol(protocol: &str, operation: &'static str) -> Result<String> {
    let p = protocol.trim().to_ascii_lowercase();
    if ALB_PROTOCOLS.contains(&p.as_str()) {
        Ok(p.to_ascii_uppercase())
    } else {
        Err(alb_error(
            format!(
                "{protocol:?} is not an application load balancer protocol ({})",
                ALB_PROTOCOLS.join(", ")
            ),
            operation,
        ))
    }
}

fn unsupported(algorithm: Algorithm, operation: &'static str) -> Error {
    Error::unsupported(operation)
        .with_provider(PROVIDER)
        .with_message(format!(
            "application load balancers balance by {}, not {algorithm}",
            ALB_ALGORITHMS
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
}

fn is_in_use(err: &Error) -> bool {
    matches!(err.kind(), ErrorKind::Provider { code } if code == "ResourceInUse")
}

#[async_trait]
impl LoadBalancerDriver for AlbLoadBalancer {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> LoadBalancerCapabilities {
        let mut caps = LoadBalancerCapabilities::default();
        caps.members_by_ip = self.config.target_type == TargetType::Ip;
        caps.members_by_node = self.config.target_type == TargetType::Instance;
        caps.update_balancer = false;
        caps
    }

    async fn list_protocols(&self) -> Result<Vec<String>> {
        Ok(ALB_PROTOCOLS.iter().map(|p| p.to_string()).collect())
    }

    async fn list_supported_algorithms(&self) -> Result<Vec<Algorithm>> {
        Ok(ALB_ALGORITHMS.to_vec())
    }

    /// Every balancer, with its listeners read (a few balancers at a time) for its port,
    /// protocol and target group.
    async fn list_balancers(&self) -> Result<Vec<LoadBalancer>> {
        let operation = "list_balancers";
        let elements = self
            .describe_balancers(Params::new(), &Target::balancer(operation, ""))
            .await?;
        stream::iter(elements)
            .map(|e| async move { self.complete(&e, operation).await })
            .buffered(LISTENER_CONCURRENCY)
            .try_collect()
            .await
    }

    /// One balancer by ARN or by name; anything that can be neither is `NotFound`.
    async fn get_balancer(&self, balancer_id: &str) -> Result<LoadBalancer> {
        let operation = "get_balancer";
        let target = Target::balancer(operation, balancer_id);
        let params = if balancer_id.starts_with("arn:") {
            Params::new().list("LoadBalancerArns", [balancer_id])
        } else if valid_balancer_name(balancer_id) {
            Params::new().list("Names", [balancer_id])
        } else {
            return Err(Error::not_found(ResourceKind::LoadBalancer, balancer_id)
                .with_provider(PROVIDER)
                .with_operation(operation));
        };
        let found = self.describe_balancers(params, &target).await?;
        let element = found.first().ok_or_else(|| {
            Error::not_found(ResourceKind::LoadBalancer, balancer_id)
                .with_provider(PROVIDER)
                .with_operation(operation)
        })?;
        self.complete(element, operation).await
    }

    /// Creates the balancer (in the configured or default subnets), a target group of the
    /// configured target type set to `request.algorithm`, a listener on `request.port`
    /// forwarding to it, and registers the members. The target port is
    /// `extra["target_port"]`, else the first member's port, else the listener's port;
    /// `extra["certificate_arn"]` is the certificate of an HTTPS listener.
    ///
    /// An algorithm outside [`ALB_ALGORITHMS`] is `Unsupported`; a protocol other than `http`
    /// or `https`, or a member the target type cannot take, is `InvalidInput`. If a step after
    /// the balancer fails, what was made is deleted again.
    async fn create_balancer(&self, request: &CreateBalancer) -> Result<LoadBalancer> {
        let operation = "create_balancer";
        let Some(algorithm) = algorithm_value(request.algorithm) else {
            return Err(unsupported(request.algorithm, operation));
        };
        let protocol = checked_protocol(&request.protocol, operation)?;
        let targets: Vec<(String, Option<u16>)> = request
            .members
            .iter()
            .map(|m| self.target_of(m, operation))
            .collect::<Result<_>>()?;
        let target_port = extra_u16(&request.extra, "target_port")?
            .or_else(|| request.members.first().and_then(|m| m.port))
            .unwrap_or(request.port);
        let subnets = self.subnets(operation).await?;
        let params = Params::new()
            .add("Name", &request.name)
            .list("Subnets", subnets)
            .list(
                "SecurityGroups",
                self.config.security_groups.iter().cloned(),
            )
            .maybe("Scheme", self.config.scheme.clone())
            .add("Type", "application");
        let target = Target::balancer(operation, &request.name);
        // Creating a balancer that exists with the same settings succeeds: safe to retry.
        let root = self
            .call("CreateLoadBalancer", params, &target, true)
            .await?;
        let created = list_of(&root, "CreateLoadBalancerResult", "LoadBalancers", |e| {
            Ok(e.clone())
        })?;
        let element = created.first().ok_or_else(|| {
            Error::malformed("the answer holds no load balancer")
                .with_provider(PROVIDER)
                .with_operation(operation)
        })?;
        let arn = element
            .required("LoadBalancerArn", "a load balancer")
            .map_err(|e| e.with_provider(PROVIDER).with_operation(operation))?
            .to_string();

        let mut group: Option<String> = None;
        let rest: Result<AlbListener> = async {
            let vpc = element.text_of("VpcId").ok_or_else(|| {
                Error::malformed("the new load balancer has no VPC").with_provider(PROVIDER)
            })?;
            let tg = self
                .ex_create_target_group(
                    &target_group_name(&request.name),
                    &protocol,
                    target_port,
                    vpc,
                    self.config.target_type,
                )
                .await?;
            group = Some(tg.arn.clone());
            if request.algorithm != Algorithm::RoundRobin {
                let params = Params::new()
                    .add("TargetGroupArn", &tg.arn)
                    .add("Attributes.member.1.Key", "load_balancing.algorithm.type")
                    .add("Attributes.member.1.Value", algorithm);
                self.call("ModifyTargetGroupAttributes", params, &target, true)
                    .await?;
            }
            let mut params = Params::new()
                .add("LoadBalancerArn", &arn)
                .add("Protocol", &protocol)
                .add("Port", request.port.to_string())
                .add("DefaultActions.member.1.Type", "forward")
                .add("DefaultActions.member.1.TargetGroupArn", &tg.arn);
            if let Some(cert) = extra_str(&request.extra, "certificate_arn") {
                params = params.add("Certificates.member.1.CertificateArn", cert);
            }
            let root = self.call("CreateListener", params, &target, true).await?;
            let listener = list_of(
                &root,
                "CreateListenerResult",
                "Listeners",
                AlbListener::from_element,
            )?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::malformed("the answer holds no listener").with_provider(PROVIDER)
            })?;
            if !targets.is_empty() {
                let params = Self::targets(Params::new().add("TargetGroupArn", &tg.arn), &targets);
                self.call("RegisterTargets", params, &target, true).await?;
            }
            Ok(listener)
        }
        .await;
        let listener = match rest {
            Ok(listener) => listener,
            Err(e) => {
                let _ = self
                    .call(
                        "DeleteLoadBalancer",
                        Params::new().add("LoadBalancerArn", &arn),
                        &target,
                        true,
                    )
                    .await;
                if let Some(tg) = group {
                    let _ = self.ex_delete_target_group(&tg).await;
                }
                return Err(e.or_operation(operation));
            }
        };
        let mut balancer = Self::to_balancer(element, std::slice::from_ref(&listener))?;
        balancer.algorithm = Some(request.algorithm);
        Ok(balancer)
    }

    /// Deletes the balancer (its listeners and rules go with it), then the target groups that
    /// only it forwarded to, waiting briefly while AWS still counts them in use.
    async fn destroy_balancer(&self, balancer: &LoadBalancer) -> Result<()> {
        let operation = "destroy_balancer";
        let arn = self.arn_of(balancer, operation).await?;
        let groups: Vec<String> = self
            .ex_list_target_groups(Some(&LoadBalancer {
                id: arn.clone(),
                ..balancer.clone()
            }))
            .await?
            .into_iter()
            .filter(|g| g.load_balancer_arns.iter().all(|a| *a == arn))
            .map(|g| g.arn)
            .collect();
        self.call(
            "DeleteLoadBalancer",
            Params::new().add("LoadBalancerArn", &arn),
            &Target::balancer(operation, &arn),
            true,
        )
        .await?;
        for group in groups {
            let mut tries = 0;
            loop {
                match self.ex_delete_target_group(&group).await {
                    Ok(()) => break,
                    Err(e) if is_in_use(&e) && tries < 10 => {
                        tries += 1;
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Err(e) => return Err(e.with_operation(operation)),
                }
            }
        }
        Ok(())
    }

    /// Registers the member as a target of the balancer's target group.
    async fn balancer_attach_member(
        &self,
        balancer: &LoadBalancer,
        member: &Member,
    ) -> Result<Member> {
        let operation = "balancer_attach_member";
        let (id, port) = self.target_of(member, operation)?;
        let tg = self.target_group_of(balancer, operation).await?;
        let params = Self::targets(
            Params::new().add("TargetGroupArn", &tg),
            &[(id.clone(), port)],
        );
        self.call(
            "RegisterTargets",
            params,
            &Target::member(operation, &id),
            true,
        )
        .await?;
        Ok(self.member_of(id, port, &tg))
    }

    /// Deregisters the member from the balancer's target group.
    async fn balancer_detach_member(&self, balancer: &LoadBalancer, member: &Member) -> Result<()> {
        let operation = "balancer_detach_member";
        let (id, port) = self.target_of(member, operation)?;
        let tg = self.target_group_of(balancer, operation).await?;
        let params = Self::targets(
            Params::new().add("TargetGroupArn", &tg),
            &[(id.clone(), port)],
        );
        self.call(
            "DeregisterTargets",
            params,
            &Target::member(operation, &id),
            true,
        )
        .await?;
        Ok(())
    }

    /// The targets of the balancer's target group, but those draining after being detached.
    async fn balancer_list_members(&self, balancer: &LoadBalancer) -> Result<Vec<Member>> {
        let operation = "balancer_list_members";
        let tg = self.target_group_of(balancer, operation).await?;
        Ok(self
            .ex_target_health(&tg)
            .await
            .map_err(|e| e.with_operation(operation))?
            .into_iter()
            .filter(|m| m.extra.get("health") != Some(&json!("draining")))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn target_group_names_fit() {
        for name in [
            "lc-balancer-lifecycle-0123abcd",
            "",
            "---",
            &"x".repeat(40),
            "a.b_c",
        ] {
            let tg = target_group_name(name);
            assert!(tg.len() <= 32, "{tg}");
            assert!(!tg.starts_with('-'), "{tg}");
            assert!(
                tg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                "{tg}"
            );
        }
        assert_ne!(target_group_name("web"), target_group_name("web"));
    }

    #[test]
    fn algorithms_and_protocols() {
        for a in ALB_ALGORITHMS {
            assert!(algorithm_value(*a).is_some());
        }
        assert!(algorithm_value(Algorithm::PersistentIp).is_none());
        assert_eq!(checked_protocol("Https", "x").unwrap(), "HTTPS");
        assert!(checked_protocol("tcp", "x").is_err());
    }
}
