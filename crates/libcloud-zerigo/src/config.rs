//! How to reach Zerigo: the account's e-mail address, its API key and the endpoint.

use libcloud_core::{Error, Result, Secret};
use serde::Deserialize;

/// The endpoint Zerigo's DNS API 1.1 was served from.
pub const DEFAULT_ENDPOINT: &str = "https://ns.zerigo.com/api/1.1/";

/// The environment variable [`ZerigoConfig::from_env`] reads the account's e-mail address from.
pub const ENV_EMAIL: &str = "ZERIGO_EMAIL";
/// The environment variable [`ZerigoConfig::from_env`] reads the API key from.
pub const ENV_API_KEY: &str = "ZERIGO_API_KEY";
/// The environment variable [`ZerigoConfig::from_env`] reads an endpoint override from.
pub const ENV_ENDPOINT: &str = "ZERIGO_ENDPOINT";

fn default_endpoint() -> String {
    DEFAULT_ENDPOINT.to_string()
}

/// The settings of a [`ZerigoDns`](crate::ZerigoDns) driver.
///
/// `Debug` never shows the API key. Deserializes from a map with the keys `email`, `api_key`
/// and, optionally, `endpoint`.
///
/// ```
/// use libcloud_zerigo::ZerigoConfig;
/// let config = ZerigoConfig::new("ops@example.com", "s3cr3t");
/// assert_eq!(config.endpoint, "https://ns.zerigo.com/api/1.1/");
/// assert!(!format!("{config:?}").contains("s3cr3t"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ZerigoConfig {
    /// The account's e-mail address: the user name of Basic authentication.
    pub email: String,
    /// The account's API key: the password of Basic authentication.
    pub api_key: Secret,
    /// The base URL of the API, ending in `/`; [`DEFAULT_ENDPOINT`] unless overridden, for
    /// example to point at a compatible server.
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
}

impl ZerigoConfig {
    /// Settings for the account `email` with `api_key`, at [`DEFAULT_ENDPOINT`].
    pub fn new(email: impl Into<String>, api_key: impl Into<Secret>) -> Self {
        ZerigoConfig {
            email: email.into(),
            api_key: api_key.into(),
            endpoint: default_endpoint(),
        }
    }

    /// Points the driver at another base URL (a compatible server, a recording proxy).
    ///
    /// The URL must be `http` or `https`; a missing trailing `/` is added when the driver is
    /// built.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Settings from the environment: [`ENV_EMAIL`] (`ZERIGO_EMAIL`) and [`ENV_API_KEY`]
    /// (`ZERIGO_API_KEY`) are required, [`ENV_ENDPOINT`] (`ZERIGO_ENDPOINT`) is optional.
    ///
    /// A missing or empty required variable is [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Settings from any variable lookup, as [`ZerigoConfig::from_env`] does with the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let required = |name: &str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| {
                    Error::invalid_input(format!("{name} is not set"))
                        .with_provider(crate::client::PROVIDER)
                })
        };
        let mut config = ZerigoConfig::new(required(ENV_EMAIL)?, required(ENV_API_KEY)?);
        if let Some(endpoint) = lookup(ENV_ENDPOINT).filter(|v| !v.trim().is_empty()) {
            config.endpoint = endpoint.trim().to_string();
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn reads_required_and_optional_variables() {
        let config = ZerigoConfig::from_lookup(env(&[
            ("ZERIGO_EMAIL", "ops@example.com"),
            ("ZERIGO_API_KEY", "k3y"),
        ]))
        .unwrap();
        assert_eq!(config.email, "ops@example.com");
        assert_eq!(config.api_key.expose(), "k3y");
        assert_eq!(config.endpoint, DEFAULT_ENDPOINT);

        let config = ZerigoConfig::from_lookup(env(&[
            ("ZERIGO_EMAIL", "ops@example.com"),
            ("ZERIGO_API_KEY", "k3y"),
            ("ZERIGO_ENDPOINT", "http://localhost:9000/api/1.1"),
        ]))
        .unwrap();
        assert_eq!(config.endpoint, "http://localhost:9000/api/1.1");
    }

    #[test]
    fn missing_variables_are_named() {
        let err =
            ZerigoConfig::from_lookup(env(&[("ZERIGO_EMAIL", "ops@example.com")])).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("ZERIGO_API_KEY"), "{err}");
        let err = ZerigoConfig::from_lookup(env(&[("ZERIGO_EMAIL", " "), ("ZERIGO_API_KEY", "k")]))
            .unwrap_err();
        assert!(err.to_string().contains("ZERIGO_EMAIL"), "{err}");
    }

    #[test]
    fn deserializes_from_a_map_with_a_default_endpoint() {
        let config: ZerigoConfig =
            serde_json::from_str(r#"{"email": "a@example.com", "api_key": "x"}"#).unwrap();
        assert_eq!(config.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(config.api_key.expose(), "x");
    }

    #[test]
    fn debug_hides_the_key() {
        let shown = format!("{:?}", ZerigoConfig::new("a@example.com", "topsecret"));
        assert!(shown.contains("a@example.com"));
        assert!(!shown.contains("topsecret"));
    }
}
