//! How to reach Route 53: credentials, the partition's region, and an optional endpoint.

use std::sync::Arc;

use libcloud_aws::{AwsSettings, CredentialProvider, Endpoint, Env, Region, Service};
use libcloud_core::{Credentials, Result, Secret};
use serde::Deserialize;

/// The settings of a [`Route53Dns`](crate::Route53Dns) driver.
///
/// Every field is optional. With none set the driver signs with the default AWS credential
/// chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, then the shared `~/.aws` files for
/// `AWS_PROFILE`), talks to `https://route53.amazonaws.com` and signs for `us-east-1`.
///
/// Route 53 is a global service: the region only picks the partition (a `cn-*` region means
/// `route53.amazonaws.com.cn`, signed for `cn-northwest-1`).
///
/// Deserializes from a map with the keys `access_key_id`, `secret_access_key`,
/// `session_token`, `region`, `endpoint` and `profile`. `Debug` never shows the secrets.
///
/// ```
/// use libcloud_route53::Route53Config;
///
/// let config = Route53Config::new()
///     .with_keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG")
///     .with_endpoint("http://127.0.0.1:5000");
/// assert!(!format!("{config:?}").contains("wJalrXUtnFEMI"));
/// assert_eq!(config.resolve_endpoint().unwrap().url(), "http://127.0.0.1:5000");
/// ```
#[derive(Clone, Debug, Default, Deserialize)]
#[non_exhaustive]
pub struct Route53Config {
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
    /// The region whose partition to use; `us-east-1` when `None`.
    #[serde(default)]
    pub region: Option<Region>,
    /// A custom endpoint URL (an emulator, a proxy); AWS's own when `None`, unless the
    /// environment sets `AWS_ENDPOINT_URL_ROUTE_53` or `AWS_ENDPOINT_URL`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The profile of the shared `~/.aws` files to take credentials from, instead of
    /// `AWS_PROFILE`.
    #[serde(default)]
    pub profile: Option<String>,
    /// Where `AWS_*` variables are read from: the process environment unless replaced.
    #[serde(skip)]
    pub env: Env,
}

impl Route53Config {
    /// Settings with nothing configured: the credential chain, AWS's endpoint, `us-east-1`.
    pub fn new() -> Self {
        Route53Config::default()
    }

    /// Settings from the process environment; see [`Route53Config::from_env_with`].
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(Env::process())
    }

    /// Settings from `env`: the region from `AWS_REGION` or `AWS_DEFAULT_REGION` (a value that
    /// is not a region name is [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput)).
    ///
    /// Credentials and the endpoint are looked up from `env` when the driver is built and
    /// used: keys by the default chain, the endpoint from `AWS_ENDPOINT_URL_ROUTE_53` or
    /// `AWS_ENDPOINT_URL`.
    pub fn from_env_with(env: Env) -> Result<Self> {
        let region = Region::from_env(&env).map_err(|e| e.with_provider(crate::PROVIDER))?;
        Ok(Route53Config {
            region,
            env,
            ..Route53Config::default()
        })
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

    /// Uses the partition of `region`.
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

    /// The endpoint requests go to: [`endpoint`](Self::endpoint), else the environment's
    /// override, else AWS's own for the partition; always signed with the partition's global
    /// region. A URL that cannot be an endpoint is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn resolve_endpoint(&self) -> Result<Endpoint> {
        self.aws().resolve_endpoint(Service::Route53)
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
    fn environment_region_and_endpoint() {
        let env = Env::from_pairs([
            ("AWS_REGION", "cn-north-1"),
            ("AWS_ENDPOINT_URL_ROUTE_53", "http://127.0.0.1:7000"),
        ]);
        let config = Route53Config::from_env_with(env).unwrap();
        assert_eq!(config.region_or_default().as_str(), "cn-north-1");
        let endpoint = config.resolve_endpoint().unwrap();
        assert_eq!(endpoint.url(), "http://127.0.0.1:7000");
        assert_eq!(endpoint.signing_region().as_str(), "cn-northwest-1");

        let plain = Route53Config::from_env_with(Env::from_pairs::<_, &str, &str>([])).unwrap();
        assert_eq!(
            plain.resolve_endpoint().unwrap().url(),
            "https://route53.amazonaws.com"
        );
        let err = Route53Config::from_env_with(Env::from_pairs([("AWS_REGION", "bad region")]))
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        let err = Route53Config::new()
            .with_endpoint("ftp://x")
            .resolve_endpoint()
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.provider(), Some("route53"));
    }

    #[tokio::test]
    async fn credentials_from_keys_profile_or_chain() {
        let config = Route53Config::new()
            .with_credentials(Credentials::new("AKID", "s3cr3t").with_session_token("tok"));
        let creds = config
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap();
        assert_eq!(creds.key_id, "AKID");
        assert_eq!(creds.session_token.unwrap().expose(), "tok");

        let mut half = Route53Config::new();
        half.access_key_id = Some("AKID".into());
        let err = half.credential_provider().unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);

        let env = Env::from_pairs([
            ("AWS_ACCESS_KEY_ID", "ENVKEY"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ]);
        let chain = Route53Config::new().with_env(env);
        let creds = chain
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap();
        assert_eq!(creds.key_id, "ENVKEY");

        let nothing = Env::from_pairs([("HOME", "/nonexistent-home-for-tests")]);
        let profile = Route53Config::new()
            .with_env(nothing)
            .with_profile("missing");
        let err = profile
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
    }

    #[test]
    fn deserializes_and_hides_secrets() {
        let config: Route53Config = serde_json::from_str(
            r#"{"access_key_id": "AKID", "secret_access_key": "hunter2", "region": "eu-west-1"}"#,
        )
        .unwrap();
        assert_eq!(config.region.as_ref().unwrap().as_str(), "eu-west-1");
        let shown = format!("{config:?}");
        assert!(
            shown.contains("AKID") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(serde_json::from_str::<Route53Config>(r#"{"region": "no such"}"#).is_err());
    }
}
