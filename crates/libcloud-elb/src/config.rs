//! How to reach Elastic Load Balancing: credentials, region, endpoint, and where new balancers
//! are placed.

use std::str::FromStr;
use std::sync::Arc;

use libcloud_aws::{AwsSettings, CredentialProvider, Endpoint, Env, Region, Service};
use libcloud_core::{Credentials, Error, Result, Secret};
use serde::Deserialize;

/// Which Elastic Load Balancing API a driver speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ElbApi {
    /// Classic load balancers (API 2012-06-01): [`ElbLoadBalancer`](crate::ElbLoadBalancer).
    #[default]
    Classic,
    /// Application load balancers (ELBv2, API 2015-12-01):
    /// [`AlbLoadBalancer`](crate::AlbLoadBalancer).
    Application,
}

impl FromStr for ElbApi {
    type Err = Error;

    /// Parses `classic` (or `elb`) and `application` (or `alb`, `elbv2`, `v2`).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "classic" | "elb" => Ok(ElbApi::Classic),
            "application" | "alb" | "elbv2" | "v2" => Ok(ElbApi::Application),
            _ => Err(Error::invalid_input(format!(
                "{s:?} is not an ELB API (classic or application)"
            ))
            .with_provider(crate::PROVIDER)),
        }
    }
}

/// What an application load balancer's target group holds, and so what its members are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TargetType {
    /// EC2 instances, by id: members are compute nodes (Libcloud's way).
    #[default]
    Instance,
    /// IP addresses: members are an address and a port.
    Ip,
}

impl TargetType {
    /// The name ELBv2 uses (`instance`, `ip`).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Instance => "instance",
            TargetType::Ip => "ip",
        }
    }
}

impl FromStr for TargetType {
    type Err = Error;

    /// Parses `instance` or `ip`.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "instance" => Ok(TargetType::Instance),
            "ip" => Ok(TargetType::Ip),
            _ => Err(
                Error::invalid_input(format!("{s:?} is not a target type (instance or ip)"))
                    .with_provider(crate::PROVIDER),
            ),
        }
    }
}

/// The settings of an [`ElbLoadBalancer`](crate::ElbLoadBalancer) or
/// [`AlbLoadBalancer`](crate::AlbLoadBalancer).
///
/// Every field is optional. With none set a driver speaks the classic API in `us-east-1`,
/// signs with the default AWS credential chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
/// then the shared `~/.aws` files for `AWS_PROFILE`) and talks to AWS's regional endpoint.
///
/// Placement of new balancers: classic balancers go in [`zones`](Self::zones) (default: the
/// region's `a` zone, as Libcloud does) or [`subnets`](Self::subnets); application balancers
/// need subnets in two zones, and without [`subnets`](Self::subnets) use the default subnets of
/// the account's default VPC (found with EC2 `DescribeSubnets`).
///
/// Deserializes from a map with the keys below. `Debug` never shows the secrets.
///
/// ```
/// use libcloud_elb::{ElbApi, ElbConfig, TargetType};
///
/// let config = ElbConfig::new()
///     .with_api(ElbApi::Application)
///     .with_keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG")
///     .with_region("eu-west-1".parse().unwrap())
///     .with_target_type(TargetType::Ip);
/// assert_eq!(
///     config.resolve_endpoint().unwrap().url(),
///     "https://elasticloadbalancing.eu-west-1.amazonaws.com"
/// );
/// assert!(!format!("{config:?}").contains("wJalrXUtnFEMI"));
/// ```
#[derive(Clone, Debug, Default, Deserialize)]
#[non_exhaustive]
pub struct ElbConfig {
    /// The API: classic (default) or application.
    #[serde(default)]
    pub api: ElbApi,
    /// The access key id; with [`secret_access_key`](Self::secret_access_key) it replaces the
    /// credential chain.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// The secret access key.
    #[serde(default)]
    pub secret_access_key: Option<Secret>,
    /// A session token, for temporary credentials.
    #[serde(default)]
    pub session_token: Option<Secret>,
    /// The region; `us-east-1` when `None`.
    #[serde(default)]
    pub region: Option<Region>,
    /// A custom endpoint URL (an emulator, a proxy), used for ELB and, for subnet discovery,
    /// EC2; AWS's own when `None`, unless the environment sets `AWS_ENDPOINT_URL_*`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The profile of the shared `~/.aws` files to take credentials from.
    #[serde(default)]
    pub profile: Option<String>,
    /// Availability zones of new classic balancers (without subnets).
    #[serde(default)]
    pub zones: Vec<String>,
    /// Subnets of new balancers.
    #[serde(default)]
    pub subnets: Vec<String>,
    /// Security groups of new balancers.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// The scheme of new balancers: `internet-facing` (AWS's default) or `internal`.
    #[serde(default)]
    pub scheme: Option<String>,
    /// What application balancers' target groups hold; [`TargetType::Instance`] by default.
    #[serde(default)]
    pub target_type: TargetType,
    /// Where `AWS_*` variables are read from: the process environment unless replaced.
    #[serde(skip)]
    pub env: Env,
}

impl ElbConfig {
    /// Settings with nothing configured: classic API, credential chain, `us-east-1`.
    pub fn new() -> Self {
        ElbConfig::default()
    }

    /// Settings from the process environment; see [`ElbConfig::from_env_with`].
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(Env::process())
    }

    /// Settings from `env`: the region from `AWS_REGION` or `AWS_DEFAULT_REGION` (a value that
    /// is not a region name is [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput)).
    ///
    /// Credentials and the endpoint are looked up from `env` when the driver is built and
    /// used: keys by the default chain, the endpoint from
    /// `AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING` (or `..._V2`) or `AWS_ENDPOINT_URL`.
    pub fn from_env_with(env: Env) -> Result<Self> {
        let region = Region::from_env(&env).map_err(|e| e.with_provider(crate::PROVIDER))?;
        Ok(ElbConfig {
            region,
            env,
            ..ElbConfig::default()
        })
    }

    /// Speaks `api`.
    pub fn with_api(mut self, api: ElbApi) -> Self {
        self.api = api;
        self
    }

    /// Signs with these keys instead of the credential chain.
    pub fn with_keys(
        mut self,
        access_key_id: impl Into<String>,
        secret: impl Into<Secret>,
    ) -> Self {
        self.access_key_id = Some(access_key_id.into());
        self.secret_access_key = Some(secret.into());
        self
    }

    /// Signs with these credentials (session token included) instead of the credential chain.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.access_key_id = Some(credentials.key_id);
        self.secret_access_key = Some(credentials.secret);
        self.session_token = credentials.session_token;
        self
    }

    /// Works in `region`.
    pub fn with_region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// Sends requests to `url` (`http://127.0.0.1:5000`) instead of AWS.
    pub fn with_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Takes credentials from this profile of the shared files.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Places new classic balancers in these availability zones.
    pub fn with_zones<I: IntoIterator<Item = S>, S: Into<String>>(mut self, zones: I) -> Self {
        self.zones = zones.into_iter().map(Into::into).collect();
        self
    }

    /// Places new balancers in these subnets.
    pub fn with_subnets<I: IntoIterator<Item = S>, S: Into<String>>(mut self, subnets: I) -> Self {
        self.subnets = subnets.into_iter().map(Into::into).collect();
        self
    }

    /// Gives new balancers these security groups.
    pub fn with_security_groups<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        groups: I,
    ) -> Self {
        self.security_groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Creates balancers with this scheme (`internet-facing` or `internal`).
    pub fn with_scheme(mut self, scheme: impl Into<String>) -> Self {
        self.scheme = Some(scheme.into());
        self
    }

    /// Gives application balancers' target groups this target type.
    pub fn with_target_type(mut self, target_type: TargetType) -> Self {
        self.target_type = target_type;
        self
    }

    /// Reads `AWS_*` variables from `env` instead of the process environment.
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// The connection settings among these, as every AWS driver resolves them.
    fn aws(&self) -> AwsSettings<'_> {
        AwsSettings {
            access_key_id: self.access_key_id.as_deref(),
            secret_access_key: self.secret_access_key.as_ref(),
            session_token: self.session_token.as_ref(),
            region: self.region.as_ref(),
            endpoint: self.endpoint.as_deref(),
            profile: self.profile.as_deref(),
            ..AwsSettings::new(crate::PROVIDER, &self.env)
        }
    }

    /// The region used: the configured one, else `us-east-1`.
    pub fn region_or_default(&self) -> Region {
        self.aws().region_or_default()
    }

    /// The service of the configured API.
    pub(crate) fn service(&self) -> Service {
        match self.api {
            ElbApi::Classic => Service::ElasticLoadBalancing,
            ElbApi::Application => Service::ElasticLoadBalancingV2,
        }
    }

    /// The endpoint ELB requests go to: [`endpoint`](Self::endpoint), else the environment's
    /// override, else AWS's regional endpoint. A URL that cannot be an endpoint is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn resolve_endpoint(&self) -> Result<Endpoint> {
        self.endpoint_for(self.service())
    }

    /// The endpoint for `service` (ELB, or EC2 for subnet discovery) under these settings.
    pub(crate) fn endpoint_for(&self, service: Service) -> Result<Endpoint> {
        self.aws().resolve_endpoint(service)
    }

    /// The credential source: the configured keys, else the named profile, else the default
    /// chain over [`env`](Self::env).
    ///
    /// A key id without a secret (or the reverse) is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn credential_provider(&self) -> Result<Arc<dyn CredentialProvider>> {
        self.aws().credential_provider()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    #[test]
    fn environment_region_and_endpoints() {
        let env = Env::from_pairs([
            ("AWS_DEFAULT_REGION", "ap-south-1"),
            (
                "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
                "http://127.0.0.1:7001",
            ),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:7000"),
        ]);
        let config = ElbConfig::from_env_with(env).unwrap();
        assert_eq!(config.region_or_default().as_str(), "ap-south-1");
        assert_eq!(
            config.resolve_endpoint().unwrap().url(),
            "http://127.0.0.1:7000"
        );
        let v2 = config.clone().with_api(ElbApi::Application);
        assert_eq!(
            v2.resolve_endpoint().unwrap().url(),
            "http://127.0.0.1:7001"
        );
        assert_eq!(
            v2.endpoint_for(Service::Ec2).unwrap().url(),
            "http://127.0.0.1:7000"
        );
        let aws = ElbConfig::from_env_with(Env::from_pairs::<_, &str, &str>([])).unwrap();
        assert_eq!(
            aws.resolve_endpoint().unwrap().url(),
            "https://elasticloadbalancing.us-east-1.amazonaws.com"
        );
        assert_eq!(
            aws.endpoint_for(Service::Ec2).unwrap().url(),
            "https://ec2.us-east-1.amazonaws.com"
        );
        let err =
            ElbConfig::from_env_with(Env::from_pairs([("AWS_REGION", "no region")])).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn names_parse() {
        assert_eq!("ALB".parse::<ElbApi>().unwrap(), ElbApi::Application);
        assert_eq!("classic".parse::<ElbApi>().unwrap(), ElbApi::Classic);
        assert!("nlb".parse::<ElbApi>().is_err());
        assert_eq!("ip".parse::<TargetType>().unwrap(), TargetType::Ip);
        assert_eq!(TargetType::Instance.as_str(), "instance");
        assert!("lambda".parse::<TargetType>().is_err());
    }

    #[tokio::test]
    async fn credentials_and_deserialization() {
        let config: ElbConfig = serde_json::from_str(
            r#"{"api": "application", "access_key_id": "AKID", "secret_access_key": "hunter2",
                "subnets": ["subnet-1", "subnet-2"], "target_type": "ip"}"#,
        )
        .unwrap();
        assert_eq!(config.api, ElbApi::Application);
        assert_eq!(config.target_type, TargetType::Ip);
        assert_eq!(config.subnets.len(), 2);
        assert!(!format!("{config:?}").contains("hunter2"));
        let creds = config
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap();
        assert_eq!(creds.key_id, "AKID");
        let mut half = ElbConfig::new();
        half.secret_access_key = Some("x".into());
        assert_eq!(
            *half.credential_provider().unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let profile = ElbConfig::new()
            .with_env(Env::from_pairs([("HOME", "/nonexistent-home-for-tests")]))
            .with_profile("nobody");
        let err = profile
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
    }
}
