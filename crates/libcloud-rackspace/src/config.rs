//! How to reach Rackspace: the identity service, the credentials, the region, and optional
//! fixed endpoints that replace the service catalog.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use libcloud_core::{Error, Result, Secret, Transport};
use libcloud_openstack::{AuthConfig, AuthMethod, Interface, OpenStackConfig, Session};
use serde::Deserialize;

use crate::client::PROVIDER;

/// Rackspace's identity service (Keystone v2 with API keys), for every region.
pub const DEFAULT_AUTH_URL: &str = "https://identity.api.rackspacecloud.com/v2.0";

/// A Rackspace region.
///
/// Its lower-case name (`dfw`) is how users write it, as in Apache Libcloud; the service
/// catalog names it in upper case (`DFW`), see [`catalog_name`](Region::catalog_name).
///
/// ```
/// use libcloud_rackspace::Region;
/// let r: Region = "ORD".parse().unwrap();
/// assert_eq!((r, r.as_str(), r.catalog_name()), (Region::Ord, "ord", "ORD"));
/// assert!("mars".parse::<Region>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum Region {
    /// Dallas-Fort Worth, Texas (the default, as Libcloud's).
    #[default]
    Dfw,
    /// Chicago, Illinois.
    Ord,
    /// Northern Virginia.
    Iad,
    /// London.
    Lon,
    /// Sydney.
    Syd,
    /// Hong Kong.
    Hkg,
}

impl Region {
    /// Every region.
    pub const ALL: [Region; 6] = [
        Region::Dfw,
        Region::Ord,
        Region::Iad,
        Region::Lon,
        Region::Syd,
        Region::Hkg,
    ];

    /// The lower-case name (`dfw`).
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Dfw => "dfw",
            Region::Ord => "ord",
            Region::Iad => "iad",
            Region::Lon => "lon",
            Region::Syd => "syd",
            Region::Hkg => "hkg",
        }
    }

    /// The name the service catalog uses (`DFW`).
    pub fn catalog_name(self) -> &'static str {
        match self {
            Region::Dfw => "DFW",
            Region::Ord => "ORD",
            Region::Iad => "IAD",
            Region::Lon => "LON",
            Region::Syd => "SYD",
            Region::Hkg => "HKG",
        }
    }

    /// Where the data centre is, for locations (`Dallas-Fort Worth, TX`).
    pub fn city(self) -> &'static str {
        match self {
            Region::Dfw => "Dallas-Fort Worth, TX",
            Region::Ord => "Chicago, IL",
            Region::Iad => "Northern Virginia, VA",
            Region::Lon => "London, UK",
            Region::Syd => "Sydney, Australia",
            Region::Hkg => "Hong Kong",
        }
    }

    /// The ISO country code of the data centre.
    pub fn country(self) -> &'static str {
        match self {
            Region::Dfw | Region::Ord | Region::Iad => "US",
            Region::Lon => "GB",
            Region::Syd => "AU",
            Region::Hkg => "HK",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Region {
    type Err = Error;

    /// Reads a region name in any case (`dfw`, `DFW`). An unknown one is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput) listing the regions.
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim();
        Region::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "unknown Rackspace region {s:?} (expected one of dfw, ord, iad, lon, syd, hkg)"
                ))
                .with_provider(PROVIDER)
            })
    }
}

impl TryFrom<String> for Region {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        value.parse()
    }
}

/// Fixed service URLs that replace the catalog lookup, one per service. The token is still
/// obtained and sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Endpoints {
    /// Cloud Servers (`https://dfw.servers.api.rackspacecloud.com/v2/<tenant>`).
    #[serde(default)]
    pub compute: Option<String>,
    /// Cloud Files storage (`https://storage101.dfw1.clouddrive.com/v1/MossoCloudFS_<id>`).
    #[serde(default)]
    pub storage: Option<String>,
    /// The Cloud Files CDN management service (`https://cdn1.clouddrive.com/v1/MossoCloudFS_<id>`).
    #[serde(default)]
    pub cdn: Option<String>,
    /// Cloud Load Balancers (`https://dfw.loadbalancers.api.rackspacecloud.com/v1.0/<tenant>`).
    #[serde(default)]
    pub load_balancer: Option<String>,
    /// Cloud DNS (`https://dns.api.rackspacecloud.com/v1.0/<tenant>`).
    #[serde(default)]
    pub dns: Option<String>,
}

/// The settings of the Rackspace drivers.
///
/// By default they sign in at [`DEFAULT_AUTH_URL`] with a user name and API key (Keystone v2's
/// `RAX-KSKEY:apiKeyCredentials`) and take each service's endpoint for the region from the
/// catalog; [`with_auth`](Self::with_auth) accepts any identity method the OpenStack crate
/// knows (a password, or Swift tempauth for a Cloud Files stand-in), and [`Endpoints`] fixes
/// URLs by hand. Secrets never print.
///
/// ```
/// use libcloud_rackspace::{RackspaceConfig, Region};
///
/// let config = RackspaceConfig::new("alice", "0123456789abcdef", Region::Lon);
/// assert_eq!(config.region, Region::Lon);
/// assert!(!format!("{config:?}").contains("0123456789abcdef"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RackspaceConfig {
    /// How to authenticate.
    pub auth: AuthConfig,
    /// The region whose endpoints are used (Cloud DNS is global and ignores it).
    #[serde(default)]
    pub region: Region,
    /// Which catalog URL to use: public (the default), or internal for Rackspace's ServiceNet.
    #[serde(default)]
    pub interface: Interface,
    /// Fixed endpoints that replace the catalog.
    #[serde(default)]
    pub endpoints: Endpoints,
}

impl RackspaceConfig {
    /// Settings for `username` with `api_key` in `region`, at [`DEFAULT_AUTH_URL`].
    pub fn new(username: impl Into<String>, api_key: impl Into<Secret>, region: Region) -> Self {
        RackspaceConfig {
            auth: AuthConfig::v2_api_key(DEFAULT_AUTH_URL, username, api_key),
            region,
            interface: Interface::Public,
            endpoints: Endpoints::default(),
        }
    }

    /// Settings that authenticate with `auth` (any method of the OpenStack crate) in `region`.
    pub fn with_auth(auth: AuthConfig, region: Region) -> Self {
        RackspaceConfig {
            auth,
            region,
            interface: Interface::Public,
            endpoints: Endpoints::default(),
        }
    }

    /// Replaces the identity service's URL (a Keystone v2 URL, with or without `/v2.0`).
    pub fn with_auth_url(mut self, url: impl Into<String>) -> Self {
        self.auth.auth_url = url.into();
        self
    }

    /// Chooses the region.
    pub fn with_region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Chooses the catalog interface; [`Interface::Internal`] is Rackspace's ServiceNet.
    pub fn with_interface(mut self, interface: Interface) -> Self {
        self.interface = interface;
        self
    }

    /// Fixes the Cloud Servers URL.
    pub fn with_compute_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoints.compute = Some(url.into());
        self
    }

    /// Fixes the Cloud Files storage URL.
    pub fn with_storage_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoints.storage = Some(url.into());
        self
    }

    /// Fixes the Cloud Files CDN management URL.
    pub fn with_cdn_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoints.cdn = Some(url.into());
        self
    }

    /// Fixes the Cloud Load Balancers URL.
    pub fn with_load_balancer_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoints.load_balancer = Some(url.into());
        self
    }

    /// Fixes the Cloud DNS URL.
    pub fn with_dns_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoints.dns = Some(url.into());
        self
    }

    /// Whether the identity method is Swift's tempauth, whose catalog holds one storage URL
    /// and nothing else.
    pub fn is_tempauth(&self) -> bool {
        matches!(self.auth.method, AuthMethod::Tempauth { .. })
    }

    /// A new session signing in with these credentials through `transport`, for drivers to
    /// share.
    pub(crate) fn session(&self, transport: Transport) -> Arc<Session> {
        Arc::new(Session::new(self.auth.clone(), transport))
    }

    /// The OpenStack settings of one service: its catalog type and name in this region (no
    /// region for a global service), or its fixed endpoint.
    pub(crate) fn service(
        &self,
        service_type: &str,
        service_name: Option<&str>,
        regional: bool,
        endpoint: Option<&String>,
    ) -> OpenStackConfig {
        let mut config = OpenStackConfig::new(self.auth.clone())
            .with_interface(self.interface)
            .with_service_type(service_type);
        if let Some(name) = service_name {
            config = config.with_service_name(name);
        }
        if regional {
            config = config.with_region(self.region.catalog_name());
        }
        if let Some(url) = endpoint {
            config = config.with_endpoint(url.clone());
        }
        config
    }

    /// Settings from the environment.
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `RACKSPACE_USERNAME` (or `RS_USERNAME`) | the user name; required |
    /// | `RACKSPACE_API_KEY` (or `RS_API_KEY`) | the API key; required |
    /// | `RACKSPACE_REGION` (or `RS_REGION_NAME`) | the region; `dfw` when unset |
    /// | `RACKSPACE_AUTH_URL` (or `RS_AUTH_URL`) | the identity URL; [`DEFAULT_AUTH_URL`] when unset |
    /// | `RACKSPACE_INTERFACE` | `public` (the default) or `internal` (ServiceNet) |
    ///
    /// A missing user name or key, or an unknown region or interface, is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput) naming the variable.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Settings from any variable lookup, as [`from_env`](Self::from_env) reads the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |names: &[&str]| {
            names.iter().find_map(|name| {
                lookup(name)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            })
        };
        let missing =
            |what: &str| Error::invalid_input(format!("{what} is not set")).with_provider(PROVIDER);
        let username = get(&["RACKSPACE_USERNAME", "RS_USERNAME"])
            .ok_or_else(|| missing("RACKSPACE_USERNAME"))?;
        let api_key = get(&["RACKSPACE_API_KEY", "RS_API_KEY"])
            .ok_or_else(|| missing("RACKSPACE_API_KEY"))?;
        let region = match get(&["RACKSPACE_REGION", "RS_REGION_NAME"]) {
            Some(r) => r.parse().map_err(|e: Error| {
                let message = e.message().unwrap_or_default().to_string();
                e.with_message(format!("RACKSPACE_REGION: {message}"))
            })?,
            None => Region::default(),
        };
        let mut config = RackspaceConfig::new(username, api_key, region);
        if let Some(url) = get(&["RACKSPACE_AUTH_URL", "RS_AUTH_URL"]) {
            config = config.with_auth_url(url);
        }
        if let Some(interface) = get(&["RACKSPACE_INTERFACE"]) {
            config.interface = interface.parse().map_err(|e: Error| {
                let message = e.message().unwrap_or_default().to_string();
                e.with_provider(PROVIDER)
                    .with_message(format!("RACKSPACE_INTERFACE: {message}"))
            })?;
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
    fn regions_round_trip() {
        for r in Region::ALL {
            assert_eq!(r.as_str().parse::<Region>().unwrap(), r);
            assert_eq!(r.catalog_name().parse::<Region>().unwrap(), r);
            assert_eq!(r.catalog_name(), r.as_str().to_ascii_uppercase());
        }
        let err = "us".parse::<Region>().unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("hkg"), "{err}");
    }

    #[test]
    fn from_the_environment() {
        let c = RackspaceConfig::from_lookup(env(&[
            ("RACKSPACE_USERNAME", "alice"),
            ("RACKSPACE_API_KEY", "k3y"),
            ("RACKSPACE_REGION", "LON"),
            ("RACKSPACE_INTERFACE", "internalURL"),
        ]))
        .unwrap();
        assert_eq!(c.region, Region::Lon);
        assert_eq!(c.interface, Interface::Internal);
        assert_eq!(c.auth.auth_url, DEFAULT_AUTH_URL);
        assert!(matches!(
            c.auth.method,
            AuthMethod::V2ApiKey { ref username, ref api_key, .. }
                if username == "alice" && api_key.expose() == "k3y"
        ));

        let c = RackspaceConfig::from_lookup(env(&[
            ("RS_USERNAME", "bob"),
            ("RS_API_KEY", "k"),
            ("RS_AUTH_URL", "http://127.0.0.1:9/identity/v2.0"),
        ]))
        .unwrap();
        assert_eq!(c.region, Region::Dfw);
        assert_eq!(c.auth.auth_url, "http://127.0.0.1:9/identity/v2.0");
    }

    #[test]
    fn missing_or_bad_variables_are_named() {
        let err = RackspaceConfig::from_lookup(env(&[("RACKSPACE_USERNAME", "a")])).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("RACKSPACE_API_KEY"), "{err}");
        let err = RackspaceConfig::from_lookup(env(&[
            ("RACKSPACE_USERNAME", "a"),
            ("RACKSPACE_API_KEY", "k"),
            ("RACKSPACE_REGION", "us"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("RACKSPACE_REGION"), "{err}");
    }

    #[test]
    fn deserializes_and_hides_the_key() {
        let c: RackspaceConfig = serde_json::from_str(
            r#"{"auth": {"auth_url": "https://identity.example/v2.0", "method": "v2_api_key",
                 "username": "u", "api_key": "sekrit"},
                "region": "SYD", "endpoints": {"dns": "https://dns.example/v1.0/1"}}"#,
        )
        .unwrap();
        assert_eq!(c.region, Region::Syd);
        assert_eq!(
            c.endpoints.dns.as_deref(),
            Some("https://dns.example/v1.0/1")
        );
        assert!(!format!("{c:?}").contains("sekrit"));
        assert!(
            serde_json::from_str::<RackspaceConfig>(
                r#"{"auth": {"auth_url": "x", "method": "v2_api_key", "username": "u",
                 "api_key": "k"}, "region": "mars"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn service_settings() {
        let c = RackspaceConfig::new("u", "k", Region::Iad);
        let s = c.service("compute", Some("cloudServersOpenStack"), true, None);
        assert_eq!(s.region.as_deref(), Some("IAD"));
        assert_eq!(s.service_name.as_deref(), Some("cloudServersOpenStack"));
        assert_eq!(s.service_type.as_deref(), Some("compute"));
        let s = c.service(
            "rax:dns",
            Some("cloudDNS"),
            false,
            Some(&"http://h/".to_string()),
        );
        assert_eq!(s.region, None);
        assert_eq!(s.endpoint.as_deref(), Some("http://h/"));
    }
}
