//! How to reach EC2: the region, an optional endpoint, and where the credentials come from.

use std::sync::Arc;

use libcloud_aws::{
    CachedProvider, CredentialProvider, Endpoint, Env, ProfileProvider, Region, Service,
    StaticProvider, default_provider, load_region,
};
use libcloud_core::{Credentials, Error, Result, Secret};
use serde::Deserialize;

use crate::client::PROVIDER;

/// The option keys [`Ec2Config::from_options`] accepts (aliases in brackets):
/// `region`, `endpoint`, `access_key_id` (`key`), `secret_access_key` (`secret`),
/// `session_token` (`token`) and `profile`.
pub const OPTION_KEYS: &[&str] = &[
    "region",
    "endpoint",
    "access_key_id",
    "key",
    "secret_access_key",
    "secret",
    "session_token",
    "token",
    "profile",
];

fn default_region() -> Region {
    Region::US_EAST_1
}

/// The settings of an [`Ec2Compute`](crate::Ec2Compute) driver.
///
/// Only the region is needed. Without an explicit endpoint the driver uses
/// `AWS_ENDPOINT_URL_EC2`, else `AWS_ENDPOINT_URL`, else AWS's own endpoint for the region
/// (`https://ec2.<region>.amazonaws.com`). Without explicit keys it asks the default credential
/// chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, then the shared
/// `~/.aws` files of `AWS_PROFILE` or the configured profile), at each request, cached for five
/// minutes.
///
/// `Debug` never shows the secret key or the session token. It deserializes from a map with
/// the keys of [`OPTION_KEYS`] (the environment is then the process's).
///
/// ```
/// use libcloud_ec2::Ec2Config;
///
/// let config = Ec2Config::from_options(
///     [("region", "eu-west-1"), ("key", "AKIDEXAMPLE"), ("secret", "s3cr3t")],
///     libcloud_aws::Env::from_pairs::<_, &str, &str>([]),
/// )
/// .unwrap();
/// assert_eq!(config.region.as_str(), "eu-west-1");
/// assert_eq!(config.endpoint().unwrap().url(), "https://ec2.eu-west-1.amazonaws.com");
/// assert!(!format!("{config:?}").contains("s3cr3t"));
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Ec2Config {
    /// The region whose endpoint is used and whose name signs requests. Default `us-east-1`.
    #[serde(default = "default_region")]
    pub region: Region,
    /// A custom endpoint URL (`http://127.0.0.1:5000` for moto); see the type's documentation for
    /// the default.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The access key id, when the keys are given explicitly.
    #[serde(default, alias = "key")]
    pub access_key_id: Option<String>,
    /// The secret access key that goes with [`access_key_id`](Ec2Config::access_key_id).
    #[serde(default, alias = "secret")]
    pub secret_access_key: Option<Secret>,
    /// A session token, for temporary explicit keys.
    #[serde(default, alias = "token")]
    pub session_token: Option<Secret>,
    /// The profile of the shared `~/.aws` files to take credentials from, instead of
    /// `AWS_PROFILE` (or `default`).
    #[serde(default)]
    pub profile: Option<String>,
    /// Where `AWS_*` variables are read: the process environment unless replaced with
    /// [`Ec2Config::with_env`].
    #[serde(skip, default = "Env::process")]
    pub env: Env,
}

impl Ec2Config {
    /// Settings for `region`, everything else from the process environment and AWS's defaults.
    pub fn new(region: Region) -> Self {
        Ec2Config {
            region,
            endpoint: None,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            profile: None,
            env: Env::process(),
        }
    }

    /// Settings from the process environment: the region from `AWS_REGION`, else
    /// `AWS_DEFAULT_REGION`, else `us-east-1`; endpoint and credentials are resolved from the
    /// environment when the driver is built and used.
    ///
    /// A variable holding something that cannot be a region is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn from_env() -> Result<Self> {
        Self::from_env_in(Env::process())
    }

    /// Like [`Ec2Config::from_env`], reading the variables from `env`.
    pub fn from_env_in(env: Env) -> Result<Self> {
        let region = Region::from_env(&env)?.unwrap_or_else(default_region);
        Ok(Ec2Config::new(region).with_env(env))
    }

    /// Like [`Ec2Config::from_env_in`], but also looks for the region in the shared config file
    /// (`region` of the selected profile) when no variable names one.
    pub async fn load(env: Env) -> Result<Self> {
        let region = load_region(&env).await?.unwrap_or_else(default_region);
        Ok(Ec2Config::new(region).with_env(env))
    }

    /// Settings from key/value options such as a driver URL's query
    /// (`ec2://?region=eu-west-1&endpoint=http://127.0.0.1:5000`), with the keys of
    /// [`OPTION_KEYS`]; the region defaults as in [`Ec2Config::from_env_in`].
    ///
    /// An unknown key, a bad region, or a key id without its secret (or the other way round) is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn from_options<I, K, V>(options: I, env: Env) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut config = Ec2Config::from_env_in(env)?;
        for (key, value) in options {
            let value: String = value.into();
            let value = value.trim().to_string();
            match key.as_ref().trim().to_ascii_lowercase().as_str() {
                "region" => {
                    config.region = Region::new(value).map_err(|e| e.with_provider(PROVIDER))?;
                }
                "endpoint" => config.endpoint = Some(value),
                "access_key_id" | "key" => config.access_key_id = Some(value),
                "secret_access_key" | "secret" => {
                    config.secret_access_key = Some(Secret::new(value));
                }
                "session_token" | "token" => config.session_token = Some(Secret::new(value)),
                "profile" => config.profile = Some(value),
                other => {
                    return Err(Error::invalid_input(format!(
                        "EC2 has no option {other:?} (it takes: {})",
                        OPTION_KEYS.join(", ")
                    ))
                    .with_provider(PROVIDER));
                }
            }
        }
        config.check_keys()?;
        Ok(config)
    }

    /// Sends requests to `url` instead (an emulator, a proxy, an EC2-compatible cloud).
    pub fn with_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Signs with these keys instead of asking the credential chain.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.access_key_id = Some(credentials.key_id);
        self.secret_access_key = Some(credentials.secret);
        self.session_token = credentials.session_token;
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

    /// The endpoint requests go to, resolved as the type's documentation says.
    pub fn endpoint(&self) -> Result<Endpoint> {
        Endpoint::resolve(
            Service::Ec2,
            &self.region,
            &self.env,
            self.endpoint.as_deref().filter(|e| !e.trim().is_empty()),
        )
        .map_err(|e| e.with_provider(PROVIDER))
    }

    /// Where the driver's credentials come from: the explicit keys, else the named profile,
    /// else the default chain.
    pub fn credential_provider(&self) -> Result<Arc<dyn CredentialProvider>> {
        self.check_keys()?;
        if let (Some(key), Some(secret)) = (&self.access_key_id, &self.secret_access_key) {
            let mut creds = Credentials::new(key.clone(), secret.clone());
            if let Some(token) = &self.session_token {
                creds = creds.with_session_token(token.clone());
            }
            return Ok(Arc::new(StaticProvider::new(creds)));
        }
        if let Some(profile) = self.profile.as_deref().filter(|p| !p.trim().is_empty()) {
            let files = ProfileProvider::new(self.env.clone()).with_profile(profile.trim());
            return Ok(Arc::new(CachedProvider::new(Arc::new(files))));
        }
        Ok(default_provider(self.env.clone()))
    }

    fn check_keys(&self) -> Result<()> {
        let key = self.access_key_id.as_deref().map(str::trim);
        let secret = self.secret_access_key.as_ref().map(|s| s.expose().trim());
        match (key, secret) {
            (Some(k), Some(s)) if k.is_empty() || s.is_empty() => Err(Error::invalid_input(
                "the access key id and the secret access key must not be blank",
            )
            .with_provider(PROVIDER)),
            (Some(_), None) => Err(Error::invalid_input(
                "an access key id was given without its secret access key",
            )
            .with_provider(PROVIDER)),
            (None, Some(_)) => Err(Error::invalid_input(
                "a secret access key was given without its access key id",
            )
            .with_provider(PROVIDER)),
            _ if self.session_token.is_some() && key.is_none() => Err(Error::invalid_input(
                "a session token was given without an access key id and secret",
            )
            .with_provider(PROVIDER)),
            _ => Ok(()),
        }
    }
}

impl Default for Ec2Config {
    fn default() -> Self {
        Ec2Config::new(default_region())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn region_comes_from_the_environment_or_defaults() {
        let c = Ec2Config::from_env_in(env(&[])).unwrap();
        assert_eq!(c.region.as_str(), "us-east-1");
        let c = Ec2Config::from_env_in(env(&[("AWS_DEFAULT_REGION", "ap-south-1")])).unwrap();
        assert_eq!(c.region.as_str(), "ap-south-1");
        let c = Ec2Config::from_env_in(env(&[
            ("AWS_DEFAULT_REGION", "ap-south-1"),
            ("AWS_REGION", "eu-north-1"),
        ]))
        .unwrap();
        assert_eq!(c.region.as_str(), "eu-north-1");
        let err = Ec2Config::from_env_in(env(&[("AWS_REGION", "not a region")])).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn endpoints_resolve_explicit_then_environment_then_aws() {
        let c =
            Ec2Config::from_env_in(env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")])).unwrap();
        assert_eq!(c.endpoint().unwrap().url(), "http://127.0.0.1:5000");
        let c = Ec2Config::from_env_in(env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:6000"),
        ]))
        .unwrap();
        assert_eq!(c.endpoint().unwrap().url(), "http://127.0.0.1:6000");
        let c = c.with_endpoint("http://localhost:7000");
        assert_eq!(c.endpoint().unwrap().url(), "http://localhost:7000");
        let c = Ec2Config::new(Region::new("cn-north-1").unwrap()).with_env(env(&[]));
        assert_eq!(
            c.endpoint().unwrap().url(),
            "https://ec2.cn-north-1.amazonaws.com.cn"
        );
        let err = Ec2Config::default()
            .with_env(env(&[]))
            .with_endpoint("ftp://x")
            .endpoint()
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn options_are_checked() {
        let c = Ec2Config::from_options(
            [
                ("Region", "sa-east-1"),
                ("endpoint", " http://127.0.0.1:9 "),
                ("access_key_id", "AKID"),
                ("secret_access_key", "sec"),
                ("token", "tok"),
            ],
            env(&[]),
        )
        .unwrap();
        assert_eq!(c.region.as_str(), "sa-east-1");
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(c.session_token.as_ref().unwrap().expose(), "tok");
        for bad in [
            vec![("bogus", "1")],
            vec![("region", "no way")],
            vec![("key", "AKID")],
            vec![("secret", "x")],
            vec![("key", " "), ("secret", "x")],
            vec![("token", "t")],
        ] {
            let err = Ec2Config::from_options(bad.clone(), env(&[])).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn credential_providers_follow_the_settings() {
        let explicit = Ec2Config::default()
            .with_env(env(&[
                ("AWS_ACCESS_KEY_ID", "FROMENV"),
                ("AWS_SECRET_ACCESS_KEY", "x"),
            ]))
            .with_credentials(Credentials::new("AKIDEXPLICIT", "s").with_session_token("t"));
        let creds = explicit
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap();
        assert_eq!(creds.key_id, "AKIDEXPLICIT");
        assert_eq!(creds.session_token.unwrap().expose(), "t");

        let chain = Ec2Config::default().with_env(env(&[
            ("AWS_ACCESS_KEY_ID", "FROMENV"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ]));
        let creds = chain
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap();
        assert_eq!(creds.key_id, "FROMENV");

        let none = Ec2Config::default()
            .with_env(env(&[("HOME", "/nonexistent-home")]))
            .with_profile("nobody");
        let err = none
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
    }

    #[test]
    fn deserializes_from_a_map() {
        let c: Ec2Config = serde_json::from_str(
            r#"{"region": "eu-west-3", "key": "AKID", "secret": "sssh", "endpoint": "http://h:1"}"#,
        )
        .unwrap();
        assert_eq!(c.region.as_str(), "eu-west-3");
        assert_eq!(c.access_key_id.as_deref(), Some("AKID"));
        assert!(!format!("{c:?}").contains("sssh"));
        assert!(serde_json::from_str::<Ec2Config>(r#"{"regio": "x"}"#).is_err());
        let d: Ec2Config = serde_json::from_str("{}").unwrap();
        assert_eq!(d.region.as_str(), "us-east-1");
    }
}
