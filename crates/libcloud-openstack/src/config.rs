//! How to reach an OpenStack cloud: the identity service, the credentials, and which endpoint
//! of the service catalog a driver talks to.

use std::fmt;

use libcloud_core::{Error, Result, Secret};
use serde::Deserialize;

use crate::client::PROVIDER;

/// A Keystone object (user, project, domain, application credential) named by its name or by
/// its id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameOrId {
    /// By name (unique within its domain).
    Name(String),
    /// By id.
    Id(String),
}

impl NameOrId {
    /// The name or id, whichever it is.
    pub fn value(&self) -> &str {
        match self {
            NameOrId::Name(v) | NameOrId::Id(v) => v,
        }
    }

    /// `{"name": ...}` or `{"id": ...}`, as Keystone v3 writes it.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            NameOrId::Name(n) => serde_json::json!({ "name": n }),
            NameOrId::Id(i) => serde_json::json!({ "id": i }),
        }
    }
}

/// What a Keystone v3 token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// No scope: the token proves who the user is, but its catalog is usually empty.
    #[default]
    Unscoped,
    /// A project, by id, or by name within a domain (the user's domain when `None`, and the
    /// `default` domain when that is not known either).
    Project {
        /// The project.
        project: NameOrId,
        /// The project's domain, needed when the project is named.
        #[serde(default)]
        domain: Option<NameOrId>,
    },
    /// A whole domain.
    Domain(NameOrId),
}

/// How to prove who the caller is.
///
/// Secrets are [`Secret`]s: `Debug` never shows them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthMethod {
    /// Keystone v2: `passwordCredentials` (user name and password), with an optional tenant.
    V2Password {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
        /// The tenant (project) to scope the token to.
        #[serde(default)]
        tenant: Option<NameOrId>,
    },
    /// Keystone v2 with Rackspace's `RAX-KSKEY:apiKeyCredentials` (user name and API key).
    V2ApiKey {
        /// The user name.
        username: String,
        /// The API key.
        api_key: Secret,
        /// The tenant to scope the token to.
        #[serde(default)]
        tenant: Option<NameOrId>,
    },
    /// Keystone v3: the `password` method.
    V3Password {
        /// The user, by name (within `user_domain`) or by id.
        user: NameOrId,
        /// The user's domain; the `default` domain when `None` and the user is named.
        #[serde(default)]
        user_domain: Option<NameOrId>,
        /// The password.
        password: Secret,
        /// What the token is scoped to.
        #[serde(default)]
        scope: Scope,
    },
    /// Keystone v3: the `application_credential` method. The credential carries its own
    /// project scope.
    V3ApplicationCredential {
        /// The application credential, by id, or by name (then `user` is needed too).
        credential: NameOrId,
        /// The owner of a named credential.
        #[serde(default)]
        user: Option<NameOrId>,
        /// The owner's domain, when the owner is named.
        #[serde(default)]
        user_domain: Option<NameOrId>,
        /// The credential's secret.
        secret: Secret,
    },
    /// Swift's tempauth (v1.0): `X-Auth-User` / `X-Auth-Key` on a `GET`, answered with a token
    /// and the storage URL. There is no catalog beyond that one URL.
    Tempauth {
        /// The user, as `account:user` (`test:tester`).
        user: String,
        /// The key.
        key: Secret,
    },
}

impl AuthMethod {
    /// The identity API version this method speaks: 1 (tempauth), 2 or 3.
    pub fn identity_version(&self) -> u8 {
        match self {
            AuthMethod::Tempauth { .. } => 1,
            AuthMethod::V2Password { .. } | AuthMethod::V2ApiKey { .. } => 2,
            AuthMethod::V3Password { .. } | AuthMethod::V3ApplicationCredential { .. } => 3,
        }
    }
}

/// Where and how to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuthConfig {
    /// The identity service's URL. For Keystone, with or without the version
    /// (`https://keystone:5000`, `.../v3`, `.../v2.0`, or the full `.../v3/auth/tokens`); for
    /// tempauth, the full URL (`http://127.0.0.1:8080/auth/v1.0`).
    pub auth_url: String,
    /// The credentials and their protocol.
    #[serde(flatten)]
    pub method: AuthMethod,
}

impl AuthConfig {
    /// Keystone v2 with a user name and password; scope it with [`with_tenant`](Self::with_tenant).
    pub fn v2_password(
        auth_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        AuthConfig {
            auth_url: auth_url.into(),
            method: AuthMethod::V2Password {
                username: username.into(),
                password: password.into(),
                tenant: None,
            },
        }
    }

    /// Keystone v2 with Rackspace's user name and API key.
    pub fn v2_api_key(
        auth_url: impl Into<String>,
        username: impl Into<String>,
        api_key: impl Into<Secret>,
    ) -> Self {
        AuthConfig {
            auth_url: auth_url.into(),
            method: AuthMethod::V2ApiKey {
                username: username.into(),
                api_key: api_key.into(),
                tenant: None,
            },
        }
    }

    /// Keystone v3 with a user name (in the `default` domain unless
    /// [`with_user_domain`](Self::with_user_domain) says otherwise) and password; unscoped
    /// until [`with_scope`](Self::with_scope).
    pub fn v3_password(
        auth_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        AuthConfig {
            auth_url: auth_url.into(),
            method: AuthMethod::V3Password {
                user: NameOrId::Name(username.into()),
                user_domain: None,
                password: password.into(),
                scope: Scope::Unscoped,
            },
        }
    }

    /// Keystone v3 with an application credential's id and secret.
    pub fn v3_application_credential(
        auth_url: impl Into<String>,
        id: impl Into<String>,
        secret: impl Into<Secret>,
    ) -> Self {
        AuthConfig {
            auth_url: auth_url.into(),
            method: AuthMethod::V3ApplicationCredential {
                credential: NameOrId::Id(id.into()),
                user: None,
                user_domain: None,
                secret: secret.into(),
            },
        }
    }

    /// Swift tempauth with `account:user` and key.
    pub fn tempauth(
        auth_url: impl Into<String>,
        user: impl Into<String>,
        key: impl Into<Secret>,
    ) -> Self {
        AuthConfig {
            auth_url: auth_url.into(),
            method: AuthMethod::Tempauth {
                user: user.into(),
                key: key.into(),
            },
        }
    }

    /// Scopes a Keystone v2 token to a tenant. No effect on other methods.
    pub fn with_tenant(mut self, tenant: NameOrId) -> Self {
        if let AuthMethod::V2Password { tenant: t, .. } | AuthMethod::V2ApiKey { tenant: t, .. } =
            &mut self.method
        {
            *t = Some(tenant);
        }
        self
    }

    /// Sets the user's domain for Keystone v3. No effect on other methods.
    pub fn with_user_domain(mut self, domain: NameOrId) -> Self {
        match &mut self.method {
            AuthMethod::V3Password { user_domain, .. }
            | AuthMethod::V3ApplicationCredential { user_domain, .. } => {
                *user_domain = Some(domain)
            }
            _ => {}
        }
        self
    }

    /// Sets the scope of a Keystone v3 password token. No effect on other methods.
    pub fn with_scope(mut self, scope: Scope) -> Self {
        if let AuthMethod::V3Password { scope: s, .. } = &mut self.method {
            *s = scope;
        }
        self
    }
}

/// Which URL of a catalog entry to use (Keystone v3's `interface`, v2's `publicURL` /
/// `internalURL` / `adminURL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interface {
    /// The public URL (the default).
    #[default]
    Public,
    /// The URL inside the cloud's own network.
    Internal,
    /// The administrative URL.
    Admin,
}

impl Interface {
    /// `public`, `internal` or `admin`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Interface::Public => "public",
            Interface::Internal => "internal",
            Interface::Admin => "admin",
        }
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Interface {
    type Err = Error;

    /// Reads `public`, `internal`, `admin`, and v2's `publicURL`, `internalURL`, `adminURL`
    /// (any case).
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.strip_suffix("url").unwrap_or(&lower) {
            "public" => Ok(Interface::Public),
            "internal" => Ok(Interface::Internal),
            "admin" => Ok(Interface::Admin),
            _ => Err(Error::invalid_input(format!(
                "unknown endpoint interface {s:?} (expected public, internal or admin)"
            ))
            .with_provider(PROVIDER)),
        }
    }
}

/// The settings of an OpenStack driver: how to authenticate, and which catalog endpoint to
/// use.
///
/// The service type defaults to the driver's (`compute` for Nova, `object-store` for Swift);
/// name and region narrow the choice when the catalog has several. [`endpoint`](Self::endpoint)
/// skips the catalog altogether (the token is still obtained and sent).
///
/// ```
/// use libcloud_openstack::{AuthConfig, NameOrId, OpenStackConfig, Scope};
///
/// let auth = AuthConfig::v3_password("https://keystone.example.com:5000/v3", "demo", "s3cret")
///     .with_scope(Scope::Project { project: NameOrId::Name("demo".into()), domain: None });
/// let config = OpenStackConfig::new(auth).with_region("RegionOne");
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OpenStackConfig {
    /// How to authenticate.
    pub auth: AuthConfig,
    /// The catalog region (`OS_REGION_NAME`); any region when `None`.
    #[serde(default)]
    pub region: Option<String>,
    /// The catalog interface (`OS_INTERFACE`). Default public.
    #[serde(default)]
    pub interface: Interface,
    /// The catalog service type; the driver's own when `None`.
    #[serde(default)]
    pub service_type: Option<String>,
    /// The catalog service name (`nova`, `swift`, `cloudServersOpenStack`); any when `None`.
    #[serde(default)]
    pub service_name: Option<String>,
    /// A fixed service URL that replaces the catalog lookup.
    #[serde(default)]
    pub endpoint: Option<String>,
}

impl OpenStackConfig {
    /// Settings that authenticate with `auth` and take the driver's service from the catalog.
    pub fn new(auth: AuthConfig) -> Self {
        OpenStackConfig {
            auth,
            region: None,
            interface: Interface::Public,
            service_type: None,
            service_name: None,
            endpoint: None,
        }
    }

    /// Chooses the catalog region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Chooses the catalog interface.
    pub fn with_interface(mut self, interface: Interface) -> Self {
        self.interface = interface;
        self
    }

    /// Chooses the catalog service type instead of the driver's default.
    pub fn with_service_type(mut self, service_type: impl Into<String>) -> Self {
        self.service_type = Some(service_type.into());
        self
    }

    /// Chooses the catalog service by name.
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Uses `url` as the service's base URL instead of looking it up in the catalog (a test
    /// server, a proxy, a cloud whose catalog is wrong).
    pub fn with_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Settings from the environment, as the OpenStack command-line tools read them.
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `OS_AUTH_URL` | the identity URL (required, unless the `ST_*` variables are used) |
    /// | `OS_USERNAME` / `OS_USER_ID` | the user |
    /// | `OS_PASSWORD` | the password |
    /// | `OS_API_KEY` | a Rackspace API key (Keystone v2) instead of a password |
    /// | `OS_APPLICATION_CREDENTIAL_ID` / `_NAME`, `OS_APPLICATION_CREDENTIAL_SECRET` | a v3 application credential |
    /// | `OS_PROJECT_NAME` / `OS_TENANT_NAME`, `OS_PROJECT_ID` / `OS_TENANT_ID` | the project (tenant) scope |
    /// | `OS_USER_DOMAIN_NAME` / `_ID`, `OS_PROJECT_DOMAIN_NAME` / `_ID` | v3 domains of the user and project |
    /// | `OS_DOMAIN_NAME` / `OS_DOMAIN_ID` | a v3 domain scope (when no project is set) |
    /// | `OS_IDENTITY_API_VERSION` / `OS_AUTH_VERSION` | `1` (tempauth), `2` or `3`; otherwise guessed from the URL (`/v2.0`, `/v3`, `/auth/v1.0`), else 3 |
    /// | `OS_AUTH_TYPE` | `password`, `v2password`, `v3password`, `v3applicationcredential`, `v2apikey`, `tempauth` |
    /// | `OS_REGION_NAME` | the catalog region |
    /// | `OS_INTERFACE` / `OS_ENDPOINT_TYPE` | `public`, `internal`, `admin` (or `publicURL`, ...) |
    /// | `ST_AUTH`, `ST_USER`, `ST_KEY` | Swift tempauth, as the `swift` client reads them |
    ///
    /// A missing required variable, or a combination that names no method, is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput) naming the variable.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Settings from any variable lookup, as [`from_env`](Self::from_env) does with the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let first = |names: &[&str]| names.iter().find_map(|n| get(n));
        let missing =
            |what: &str| Error::invalid_input(format!("{what} is not set")).with_provider(PROVIDER);

        let auth_url = match get("OS_AUTH_URL") {
            Some(url) => url,
            None => {
                // The swift client's variables: tempauth.
                if let Some(url) = get("ST_AUTH") {
                    let user = get("ST_USER").ok_or_else(|| missing("ST_USER"))?;
                    let key = get("ST_KEY").ok_or_else(|| missing("ST_KEY"))?;
                    let mut config = OpenStackConfig::new(AuthConfig::tempauth(url, user, key));
                    config.region = get("OS_REGION_NAME");
                    return Ok(config);
                }
                return Err(missing("OS_AUTH_URL"));
            }
        };
        let version = first(&["OS_IDENTITY_API_VERSION", "OS_AUTH_VERSION"]);
        let auth_type = get("OS_AUTH_TYPE").map(|t| t.to_ascii_lowercase().replace(['-', '_'], ""));
        let username = get("OS_USERNAME");
        let user_id = get("OS_USER_ID");
        let password = get("OS_PASSWORD");
        let api_key = get("OS_API_KEY");
        let app_secret = get("OS_APPLICATION_CREDENTIAL_SECRET");
        let project = match (
            first(&["OS_PROJECT_ID", "OS_TENANT_ID"]),
            first(&["OS_PROJECT_NAME", "OS_TENANT_NAME"]),
        ) {
            (Some(id), _) => Some(NameOrId::Id(id)),
            (None, Some(name)) => Some(NameOrId::Name(name)),
            (None, None) => None,
        };
        let name_or_id = |id: &str, name: &str| match (get(id), get(name)) {
            (Some(id), _) => Some(NameOrId::Id(id)),
            (None, Some(name)) => Some(NameOrId::Name(name)),
            (None, None) => None,
        };
        let user_domain = name_or_id("OS_USER_DOMAIN_ID", "OS_USER_DOMAIN_NAME");
        let project_domain = name_or_id("OS_PROJECT_DOMAIN_ID", "OS_PROJECT_DOMAIN_NAME");
        let domain_scope = name_or_id("OS_DOMAIN_ID", "OS_DOMAIN_NAME");

        let version = match version.as_deref() {
            Some(v) => Some(match v.trim_start_matches(['v', 'V']) {
                "1" | "1.0" => 1,
                "2" | "2.0" => 2,
                "3" | "3.0" => 3,
                other => {
                    return Err(Error::invalid_input(format!(
                        "OS_IDENTITY_API_VERSION {other:?} is not 1, 2 or 3"
                    ))
                    .with_provider(PROVIDER));
                }
            }),
            None => None,
        };
        let method = match auth_type.as_deref() {
            Some("tempauth" | "v1password") => "tempauth",
            Some("v2apikey" | "apikey" | "raxkskey") => "v2apikey",
            Some("v3applicationcredential" | "applicationcredential") => "appcred",
            Some("v2password") => "v2password",
            Some("v3password") => "v3password",
            Some("password") | None => {
                if auth_type.is_none() && app_secret.is_some() {
                    "appcred"
                } else if auth_type.is_none() && api_key.is_some() && password.is_none() {
                    "v2apikey"
                } else {
                    match version.or_else(|| version_from_url(&auth_url)) {
                        Some(1) => "tempauth",
                        Some(2) => "v2password",
                        _ => "v3password",
                    }
                }
            }
            Some(other) => {
                return Err(Error::invalid_input(format!(
                    "OS_AUTH_TYPE {other:?} is not supported (password, v2password, \
                     v3password, v3applicationcredential, v2apikey or tempauth)"
                ))
                .with_provider(PROVIDER));
            }
        };
        let need_username = || username.clone().ok_or_else(|| missing("OS_USERNAME"));
        let need_password = || {
            password
                .clone()
                .map(Secret::new)
                .ok_or_else(|| missing("OS_PASSWORD"))
        };
        let method = match method {
            "tempauth" => AuthMethod::Tempauth {
                user: need_username()?,
                key: need_password()?,
            },
            "v2apikey" => AuthMethod::V2ApiKey {
                username: need_username()?,
                api_key: Secret::new(api_key.clone().ok_or_else(|| missing("OS_API_KEY"))?),
                tenant: project,
            },
            "v2password" => AuthMethod::V2Password {
                username: need_username()?,
                password: need_password()?,
                tenant: project,
            },
            "appcred" => {
                let credential = name_or_id(
                    "OS_APPLICATION_CREDENTIAL_ID",
                    "OS_APPLICATION_CREDENTIAL_NAME",
                )
                .ok_or_else(|| missing("OS_APPLICATION_CREDENTIAL_ID"))?;
                let user = match (&user_id, &username) {
                    (Some(id), _) => Some(NameOrId::Id(id.clone())),
                    (None, Some(name)) => Some(NameOrId::Name(name.clone())),
                    (None, None) => None,
                };
                if matches!(credential, NameOrId::Name(_)) && user.is_none() {
                    return Err(missing(
                        "OS_USERNAME (a named application credential needs its user)",
                    ));
                }
                AuthMethod::V3ApplicationCredential {
                    credential,
                    user,
                    user_domain,
                    secret: Secret::new(
                        app_secret
                            .clone()
                            .ok_or_else(|| missing("OS_APPLICATION_CREDENTIAL_SECRET"))?,
                    ),
                }
            }
            _ => {
                let user = match (user_id, username.clone()) {
                    (Some(id), _) => NameOrId::Id(id),
                    (None, Some(name)) => NameOrId::Name(name),
                    (None, None) => return Err(missing("OS_USERNAME")),
                };
                let scope = match (project, domain_scope) {
                    (Some(project), _) => Scope::Project {
                        project,
                        domain: project_domain,
                    },
                    (None, Some(domain)) => Scope::Domain(domain),
                    (None, None) => Scope::Unscoped,
                };
                AuthMethod::V3Password {
                    user,
                    user_domain,
                    password: need_password()?,
                    scope,
                }
            }
        };
        let mut config = OpenStackConfig::new(AuthConfig { auth_url, method });
        config.region = get("OS_REGION_NAME");
        if let Some(interface) = first(&["OS_INTERFACE", "OS_ENDPOINT_TYPE"]) {
            config.interface = interface.parse()?;
        }
        Ok(config)
    }
}

/// The identity version a URL names in its path, if any.
pub(crate) fn version_from_url(url: &str) -> Option<u8> {
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segments.iter().rev().find_map(|s| match *s {
        "v3" => Some(3),
        "v2.0" | "v2" => Some(2),
        "v1.0" | "v1" => Some(1),
        _ => None,
    })
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
    fn v3_password_with_project_scope() {
        let c = OpenStackConfig::from_lookup(env(&[
            ("OS_AUTH_URL", "https://keystone:5000/v3"),
            ("OS_USERNAME", "demo"),
            ("OS_PASSWORD", "pw"),
            ("OS_PROJECT_NAME", "proj"),
            ("OS_USER_DOMAIN_NAME", "Users"),
            ("OS_PROJECT_DOMAIN_ID", "default"),
            ("OS_REGION_NAME", "RegionOne"),
            ("OS_INTERFACE", "internal"),
        ]))
        .unwrap();
        assert_eq!(c.region.as_deref(), Some("RegionOne"));
        assert_eq!(c.interface, Interface::Internal);
        assert_eq!(
            c.auth.method,
            AuthMethod::V3Password {
                user: NameOrId::Name("demo".into()),
                user_domain: Some(NameOrId::Name("Users".into())),
                password: Secret::new("pw"),
                scope: Scope::Project {
                    project: NameOrId::Name("proj".into()),
                    domain: Some(NameOrId::Id("default".into()))
                },
            }
        );
    }

    #[test]
    fn version_comes_from_the_variable_or_the_url() {
        let base = [
            ("OS_USERNAME", "u"),
            ("OS_PASSWORD", "p"),
            ("OS_TENANT_NAME", "t"),
        ];
        let mut pairs = base.to_vec();
        pairs.push(("OS_AUTH_URL", "http://h:5000/v2.0"));
        let c = OpenStackConfig::from_lookup(env(&pairs)).unwrap();
        assert_eq!(c.auth.method.identity_version(), 2);
        assert!(matches!(
            c.auth.method,
            AuthMethod::V2Password { tenant: Some(NameOrId::Name(ref t)), .. } if t == "t"
        ));

        let mut pairs = base.to_vec();
        pairs.push(("OS_AUTH_URL", "http://h:5000"));
        pairs.push(("OS_IDENTITY_API_VERSION", "2"));
        assert_eq!(
            OpenStackConfig::from_lookup(env(&pairs))
                .unwrap()
                .auth
                .method
                .identity_version(),
            2
        );

        let mut pairs = base.to_vec();
        pairs.push(("OS_AUTH_URL", "http://h:5000"));
        assert_eq!(
            OpenStackConfig::from_lookup(env(&pairs))
                .unwrap()
                .auth
                .method
                .identity_version(),
            3
        );

        let mut pairs = base.to_vec();
        pairs.push(("OS_AUTH_URL", "http://h:8080/auth/v1.0"));
        let c = OpenStackConfig::from_lookup(env(&pairs)).unwrap();
        assert!(matches!(c.auth.method, AuthMethod::Tempauth { ref user, .. } if user == "u"));
    }

    #[test]
    fn api_keys_application_credentials_and_swift_variables() {
        let c = OpenStackConfig::from_lookup(env(&[
            ("OS_AUTH_URL", "https://identity.example.com/v2.0"),
            ("OS_USERNAME", "rax"),
            ("OS_API_KEY", "k"),
        ]))
        .unwrap();
        assert!(matches!(c.auth.method, AuthMethod::V2ApiKey { .. }));

        let c = OpenStackConfig::from_lookup(env(&[
            ("OS_AUTH_URL", "https://keystone/v3"),
            ("OS_APPLICATION_CREDENTIAL_ID", "ac1"),
            ("OS_APPLICATION_CREDENTIAL_SECRET", "s"),
        ]))
        .unwrap();
        assert!(matches!(
            c.auth.method,
            AuthMethod::V3ApplicationCredential { credential: NameOrId::Id(ref id), .. } if id == "ac1"
        ));

        let c = OpenStackConfig::from_lookup(env(&[
            ("ST_AUTH", "http://127.0.0.1:8080/auth/v1.0"),
            ("ST_USER", "test:tester"),
            ("ST_KEY", "testing"),
        ]))
        .unwrap();
        assert_eq!(c.auth.method.identity_version(), 1);
    }

    #[test]
    fn missing_and_bad_variables_are_named() {
        let err = OpenStackConfig::from_lookup(env(&[])).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("OS_AUTH_URL"), "{err}");

        let err = OpenStackConfig::from_lookup(env(&[
            ("OS_AUTH_URL", "http://h/v3"),
            ("OS_USERNAME", "u"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("OS_PASSWORD"), "{err}");

        let err = OpenStackConfig::from_lookup(env(&[
            ("OS_AUTH_URL", "http://h/v3"),
            ("OS_USERNAME", "u"),
            ("OS_PASSWORD", "p"),
            ("OS_IDENTITY_API_VERSION", "4"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("OS_IDENTITY_API_VERSION"), "{err}");

        let err = OpenStackConfig::from_lookup(env(&[
            ("OS_AUTH_URL", "http://h/v3"),
            ("OS_USERNAME", "u"),
            ("OS_PASSWORD", "p"),
            ("OS_INTERFACE", "sideways"),
        ]))
        .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn interfaces_and_url_versions() {
        assert_eq!("publicURL".parse::<Interface>().unwrap(), Interface::Public);
        assert_eq!("adminurl".parse::<Interface>().unwrap(), Interface::Admin);
        assert_eq!(version_from_url("http://h:5000/v3/"), Some(3));
        assert_eq!(
            version_from_url("http://h:5000/identity/v2.0/tokens"),
            Some(2)
        );
        assert_eq!(version_from_url("http://h:8080/auth/v1.0"), Some(1));
        assert_eq!(version_from_url("http://v3.example.com:5000"), None);
    }

    #[test]
    fn deserializes_and_hides_secrets() {
        let c: OpenStackConfig = serde_json::from_str(
            r#"{"auth": {"auth_url": "http://h/v3", "method": "v3_password",
                "user": {"name": "u"}, "password": "hunter2",
                "scope": {"project": {"project": {"id": "p1"}}}},
                "region": "R1"}"#,
        )
        .unwrap();
        assert_eq!(c.region.as_deref(), Some("R1"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
