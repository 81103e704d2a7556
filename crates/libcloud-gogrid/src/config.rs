//! How to reach GoGrid: the API key, its shared secret, the endpoint and the API version.

use libcloud_core::{Error, Result, Secret};
use serde::Deserialize;

/// The endpoint GoGrid's API was served from.
pub const DEFAULT_ENDPOINT: &str = "https://api.gogrid.com/api/";

/// The API version sent as `v`: the last one Apache Libcloud's GoGrid drivers spoke.
pub const DEFAULT_API_VERSION: &str = "1.8";

/// The environment variable [`GoGridConfig::from_env`] reads the API key from.
pub const ENV_API_KEY: &str = "GOGRID_API_KEY";
/// The environment variable [`GoGridConfig::from_env`] reads the shared secret from.
pub const ENV_SHARED_SECRET: &str = "GOGRID_SHARED_SECRET";
/// The environment variable [`GoGridConfig::from_env`] reads an endpoint override from.
pub const ENV_ENDPOINT: &str = "GOGRID_ENDPOINT";
/// The environment variable [`GoGridConfig::from_env`] reads an API version override from.
pub const ENV_API_VERSION: &str = "GOGRID_API_VERSION";

fn default_endpoint() -> String {
    DEFAULT_ENDPOINT.to_string()
}

fn default_api_version() -> String {
    DEFAULT_API_VERSION.to_string()
}

/// The settings of a [`GoGridLoadBalancer`](crate::GoGridLoadBalancer) driver.
///
/// `Debug` never shows the shared secret. Deserializes from a map with the keys `api_key`,
/// `shared_secret` and, optionally, `endpoint` and `api_version`.
///
/// ```
/// use libcloud_gogrid::GoGridConfig;
/// let config = GoGridConfig::new("my-key", "my-secret");
/// assert_eq!(config.endpoint, "https://api.gogrid.com/api/");
/// assert_eq!(config.api_version, "1.8");
/// assert!(!format!("{config:?}").contains("my-secret"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GoGridConfig {
    /// The API key, sent as `api_key` with every request.
    pub api_key: String,
    /// The key's shared secret; it only goes into the request signature.
    pub shared_secret: Secret,
    /// The base URL of the API, ending in `/`; [`DEFAULT_ENDPOINT`] unless overridden, for
    /// example to point at a compatible server.
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    /// The API version sent as `v`; [`DEFAULT_API_VERSION`] unless overridden.
    #[serde(default = "default_api_version")]
    pub api_version: String,
}

impl GoGridConfig {
    /// Settings for `api_key` with its `shared_secret`, at [`DEFAULT_ENDPOINT`] and
    /// [`DEFAULT_API_VERSION`].
    pub fn new(api_key: impl Into<String>, shared_secret: impl Into<Secret>) -> Self {
        GoGridConfig {
            api_key: api_key.into(),
            shared_secret: shared_secret.into(),
            endpoint: default_endpoint(),
            api_version: default_api_version(),
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

    /// Sends another API version as `v` (GoGrid accepted `1.0` to `1.9`).
    pub fn with_api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// Settings from the environment: [`ENV_API_KEY`] (`GOGRID_API_KEY`) and
    /// [`ENV_SHARED_SECRET`] (`GOGRID_SHARED_SECRET`) are required; [`ENV_ENDPOINT`]
    /// (`GOGRID_ENDPOINT`) and [`ENV_API_VERSION`] (`GOGRID_API_VERSION`) are optional.
    ///
    /// A missing or empty required variable is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Settings from any variable lookup, as [`GoGridConfig::from_env`] does with the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let required = |name: &str| {
            get(name).ok_or_else(|| {
                Error::invalid_input(format!("{name} is not set"))
                    .with_provider(crate::client::PROVIDER)
            })
        };
        let mut config = GoGridConfig::new(required(ENV_API_KEY)?, required(ENV_SHARED_SECRET)?);
        if let Some(endpoint) = get(ENV_ENDPOINT) {
            config.endpoint = endpoint.trim().to_string();
        }
        if let Some(version) = get(ENV_API_VERSION) {
            config.api_version = version.trim().to_string();
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
        let config = GoGridConfig::from_lookup(env(&[
            ("GOGRID_API_KEY", "key"),
            ("GOGRID_SHARED_SECRET", "secret"),
        ]))
        .unwrap();
        assert_eq!(config.api_key, "key");
        assert_eq!(config.shared_secret.expose(), "secret");
        assert_eq!(config.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(config.api_version, DEFAULT_API_VERSION);

        let config = GoGridConfig::from_lookup(env(&[
            ("GOGRID_API_KEY", "key"),
            ("GOGRID_SHARED_SECRET", "secret"),
            ("GOGRID_ENDPOINT", "http://127.0.0.1:7000/api"),
            ("GOGRID_API_VERSION", "1.5"),
        ]))
        .unwrap();
        assert_eq!(config.endpoint, "http://127.0.0.1:7000/api");
        assert_eq!(config.api_version, "1.5");
    }

    #[test]
    fn missing_variables_are_named() {
        let err = GoGridConfig::from_lookup(env(&[("GOGRID_API_KEY", "key")])).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("GOGRID_SHARED_SECRET"), "{err}");
        let err = GoGridConfig::from_lookup(env(&[("GOGRID_SHARED_SECRET", "s")])).unwrap_err();
        assert!(err.to_string().contains("GOGRID_API_KEY"), "{err}");
    }

    #[test]
    fn deserializes_from_a_map_with_defaults() {
        let config: GoGridConfig =
            serde_json::from_str(r#"{"api_key": "k", "shared_secret": "s"}"#).unwrap();
        assert_eq!(config.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(config.api_version, DEFAULT_API_VERSION);
    }

    #[test]
    fn debug_hides_the_secret() {
        let shown = format!("{:?}", GoGridConfig::new("visible-key", "hidden-secret"));
        assert!(shown.contains("visible-key"));
        assert!(!shown.contains("hidden-secret"));
    }
}
