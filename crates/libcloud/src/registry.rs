//! Opens drivers from a URL or a key/value configuration.
//!
//! A URL's scheme names the provider; the rest becomes its options:
//!
//! | URL | opens |
//! |---|---|
//! | `memory://` | a new in-memory cloud |
//! | `memory://NAME` | the in-memory cloud called NAME, shared by everything in the process that opens it |
//! | `local:///srv/data` | the folder `/srv/data` (created if missing) |
//! | `local:relative/dir` | a folder relative to the working directory |
//!
//! A URL that also names a container and an object, such as a command line takes, is split by
//! [`StorageUrl::parse`] with one rule for every provider: `SCHEME://CONTAINER/KEY?OPTIONS`.
//!
//! The same drivers open from key/value pairs, as read from a config file or the environment:
//! `provider=local`, `root=/srv/data`. An unknown provider, or one whose crate was not compiled in,
//! is an [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error that says which
//! providers are available and which feature of the `libcloud` crate to enable.
//!
//! Programs that bring their own drivers add them to a [`Registry`] with its `register_*`
//! methods (Libcloud's `set_driver`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use libcloud_core::{ComputeDriver, DnsDriver, Error, LoadBalancerDriver, Result, StorageDriver};

/// A provider's options: its name and key/value settings.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// The provider (`"local"`, `"memory"`).
    pub provider: String,
    /// Its settings. Keys are lower-case.
    pub options: BTreeMap<String, String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Options may hold secrets: print only their keys.
        f.debug_struct("Config")
            .field("provider", &self.provider)
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Config {
    /// A configuration for `provider` with no options.
    pub fn new(provider: impl Into<String>) -> Self {
        Config {
            provider: provider.into(),
            options: BTreeMap::new(),
        }
    }

    /// Adds an option.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options
            .insert(key.into().to_ascii_lowercase(), value.into());
        self
    }

    /// An option's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.options.get(key).map(String::as_str)
    }

    /// Reads key/value pairs; the `provider` key names the provider.
    pub fn from_pairs<I, K, V>(pairs: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut config = Config::default();
        for (k, v) in pairs {
            let key = k.as_ref().trim().to_ascii_lowercase();
            if key == "provider" {
                config.provider = v.into();
            } else {
                config.options.insert(key, v.into());
            }
        }
        if config.provider.is_empty() {
            return Err(Error::invalid_input(
                "the configuration has no `provider` key",
            ));
        }
        Ok(config)
    }

    /// Parses a driver URL: the scheme is the provider; the host becomes `name` (or `bucket`,
    /// as each provider documents), the path `root` (percent-decoded) and each query pair an
    /// option.
    pub fn from_url(text: &str) -> Result<Self> {
        let url = url::Url::parse(text)
            .map_err(|e| Error::invalid_input(format!("{text:?} is not a driver URL: {e}")))?;
        let mut config = Config::new(url.scheme());
        if let Some(host) = url.host_str().filter(|h| !h.is_empty()) {
            config.options.insert("host".into(), host.to_string());
        }
        let path = url.path();
        let host_root_only = url.has_host() && path == "/";
        if !path.is_empty() && !host_root_only {
            let decoded = percent_decode(path)?;
            config.options.insert("path".into(), decoded);
        }
        for (k, v) in url.query_pairs() {
            config
                .options
                .insert(k.to_ascii_lowercase(), v.into_owned());
        }
        Ok(config)
    }
}

fn percent_decode(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Error::invalid_input(format!("bad percent escape in {text:?}")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::invalid_input(format!("{text:?} is not UTF-8 once decoded")))
}

/// A storage URL split into the driver to open and the container and object it names.
///
/// One rule for every provider: `SCHEME://CONTAINER/KEY?OPTIONS`.
///
/// - The scheme names the provider (`memory`, `local`, `s3`, ...).
/// - The host is the container (the bucket), and the path after it the object name or, for
///   listings, a prefix. Both are percent-decoded, so a name holding `?` or `%` is written with
///   `%3F` or `%25`; a `/` in the key is kept as it is.
/// - Each query pair becomes a driver option (`?region=eu-west-1`, `?root=/srv/data`,
///   `?endpoint=http://127.0.0.1:9000`), form-decoded as [`Config::from_url`] does.
/// - An empty host names no container: `SCHEME:///PATH` puts `/PATH` in the `path` option, as
///   [`Config::from_url`] does, so `local:///srv/data` is the root folder itself.
///
/// | URL | provider | container | key | options |
/// |---|---|---|---|---|
/// | `s3://photos/2024/cat.jpg` | `s3` | `photos` | `2024/cat.jpg` | |
/// | `memory://photos/cat.jpg?name=lab` | `memory` | `photos` | `cat.jpg` | `name=lab` |
/// | `local://photos/cat.jpg?root=/srv/data` | `local` | `photos` | `cat.jpg` | `root=/srv/data` |
/// | `local:///srv/data` | `local` | | | `path=/srv/data` |
/// | `memory://` | `memory` | | | |
///
/// The local provider takes its root from the `root` option, else the `path` option, else the
/// `LIBCLOUD_LOCAL_ROOT` environment variable, so `local://photos/cat.jpg` works once that
/// variable is set.
///
/// ```
/// use libcloud::registry::StorageUrl;
/// let url = StorageUrl::parse("s3://photos/2024/my%20cat.jpg?region=eu-west-1")?;
/// assert_eq!(url.config.provider, "s3");
/// assert_eq!(url.config.get("region"), Some("eu-west-1"));
/// assert_eq!(url.container.as_deref(), Some("photos"));
/// assert_eq!(url.key.as_deref(), Some("2024/my cat.jpg"));
/// # Ok::<(), libcloud::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageUrl {
    /// The driver to open: the provider and the options from the query.
    pub config: Config,
    /// The container, when the URL names one.
    pub container: Option<String>,
    /// The object name or prefix within the container, when the URL has one.
    pub key: Option<String>,
}

impl StorageUrl {
    /// Splits `text` by the rule above. Text without `SCHEME://`, a scheme that is not letters,
    /// digits, `+`, `-` or `.` after a letter, or a bad percent escape is
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::invalid_input(format!(
                "{text:?} is not a storage URL ({why}); write SCHEME://CONTAINER/KEY"
            ))
        };
        let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("no `://`"))?;
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return Err(bad("the scheme must be a provider name"));
        }
        let (location, query) = match rest.split_once('?') {
            Some((location, query)) => (location, Some(query)),
            None => (rest, None),
        };
        let (host, path) = match location.split_once('/') {
            Some((host, path)) => (host, Some(path)),
            None => (location, None),
        };
        let mut config = Config::new(scheme.to_ascii_lowercase());
        let mut container = None;
        let mut key = None;
        if host.is_empty() {
            if let Some(path) = path.filter(|p| !p.is_empty()) {
                let decoded = percent_decode(&format!("/{path}"))?;
                config.options.insert("path".into(), decoded);
            }
        } else {
            container = Some(percent_decode(host)?);
            key = path
                .filter(|p| !p.is_empty())
                .map(percent_decode)
                .transpose()?;
        }
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            config
                .options
                .insert(k.to_ascii_lowercase(), v.into_owned());
        }
        Ok(StorageUrl {
            config,
            container,
            key,
        })
    }
}

type Factory<T> = Arc<dyn Fn(&Config) -> Result<Arc<T>> + Send + Sync>;

/// The four APIs a provider may serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Api {
    /// Compute.
    Compute,
    /// Object storage.
    Storage,
    /// Load balancers.
    LoadBalancer,
    /// DNS.
    Dns,
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Api::Compute => "compute",
            Api::Storage => "storage",
            Api::LoadBalancer => "load balancer",
            Api::Dns => "dns",
        })
    }
}

/// Providers this version of `libcloud` knows, whether or not they were compiled in: the
/// provider's name, the APIs it serves and the feature that turns it on.
pub const KNOWN_PROVIDERS: &[(&str, &[Api], &str)] = &[
    (
        "memory",
        &[Api::Compute, Api::Storage, Api::LoadBalancer, Api::Dns],
        "memory",
    ),
    ("local", &[Api::Storage], "local"),
    ("zerigo", &[Api::Dns], "zerigo"),
    ("gogrid", &[Api::LoadBalancer], "gogrid"),
    ("s3", &[Api::Storage], "s3"),
    ("ec2", &[Api::Compute], "ec2"),
    ("route53", &[Api::Dns], "route53"),
    ("elb", &[Api::LoadBalancer], "elb"),
    ("alb", &[Api::LoadBalancer], "elb"),
    ("openstack", &[Api::Compute, Api::Storage], "openstack"),
    ("swift", &[Api::Storage], "openstack"),
    (
        "rackspace",
        &[Api::Compute, Api::LoadBalancer, Api::Dns],
        "rackspace",
    ),
    ("cloudfiles", &[Api::Storage], "rackspace"),
];

/// Maps provider names to driver factories, per API.
#[derive(Clone, Default)]
pub struct Registry {
    compute: BTreeMap<String, Factory<dyn ComputeDriver>>,
    storage: BTreeMap<String, Factory<dyn StorageDriver>>,
    load_balancer: BTreeMap<String, Factory<dyn LoadBalancerDriver>>,
    dns: BTreeMap<String, Factory<dyn DnsDriver>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("compute", &self.compute.keys().collect::<Vec<_>>())
            .field("storage", &self.storage.keys().collect::<Vec<_>>())
            .field(
                "load_balancer",
                &self.load_balancer.keys().collect::<Vec<_>>(),
            )
            .field("dns", &self.dns.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn empty() -> Self {
        Registry::default()
    }

    /// A registry with every provider compiled into this build.
    pub fn builtin() -> Self {
        #[allow(unused_mut)]
        let mut registry = Registry::empty();
        #[cfg(feature = "memory")]
        builtin::memory(&mut registry);
        #[cfg(feature = "local")]
        builtin::local(&mut registry);
        #[cfg(feature = "zerigo")]
        builtin::zerigo(&mut registry);
        #[cfg(feature = "gogrid")]
        builtin::gogrid(&mut registry);
        #[cfg(feature = "openstack")]
        builtin::openstack(&mut registry);
        #[cfg(feature = "rackspace")]
        builtin::rackspace(&mut registry);
        #[cfg(feature = "s3")]
        builtin::s3(&mut registry);
        #[cfg(feature = "ec2")]
        builtin::ec2(&mut registry);
        #[cfg(feature = "route53")]
        builtin::route53(&mut registry);
        #[cfg(feature = "elb")]
        builtin::elb(&mut registry);
        registry
    }

    /// Adds (or replaces) a compute provider.
    pub fn register_compute<F>(&mut self, provider: &str, factory: F) -> &mut Self
    where
        F: Fn(&Config) -> Result<Arc<dyn ComputeDriver>> + Send + Sync + 'static,
    {
        self.compute.insert(provider.to_string(), Arc::new(factory));
        self
    }

    /// Adds (or replaces) a storage provider.
    pub fn register_storage<F>(&mut self, provider: &str, factory: F) -> &mut Self
    where
        F: Fn(&Config) -> Result<Arc<dyn StorageDriver>> + Send + Sync + 'static,
    {
        self.storage.insert(provider.to_string(), Arc::new(factory));
        self
    }

    /// Adds (or replaces) a load balancer provider.
    pub fn register_load_balancer<F>(&mut self, provider: &str, factory: F) -> &mut Self
    where
        F: Fn(&Config) -> Result<Arc<dyn LoadBalancerDriver>> + Send + Sync + 'static,
    {
        self.load_balancer
            .insert(provider.to_string(), Arc::new(factory));
        self
    }

    /// Adds (or replaces) a DNS provider.
    pub fn register_dns<F>(&mut self, provider: &str, factory: F) -> &mut Self
    where
        F: Fn(&Config) -> Result<Arc<dyn DnsDriver>> + Send + Sync + 'static,
    {
        self.dns.insert(provider.to_string(), Arc::new(factory));
        self
    }

    /// The providers registered for `api`, in name order.
    pub fn providers(&self, api: Api) -> Vec<&str> {
        match api {
            Api::Compute => self.compute.keys().map(String::as_str).collect(),
            Api::Storage => self.storage.keys().map(String::as_str).collect(),
            Api::LoadBalancer => self.load_balancer.keys().map(String::as_str).collect(),
            Api::Dns => self.dns.keys().map(String::as_str).collect(),
        }
    }

    /// Opens a compute driver.
    pub fn open_compute(&self, config: &Config) -> Result<Arc<dyn ComputeDriver>> {
        self.open(Api::Compute, &self.compute, config)
    }

    /// Opens a storage driver.
    pub fn open_storage(&self, config: &Config) -> Result<Arc<dyn StorageDriver>> {
        self.open(Api::Storage, &self.storage, config)
    }

    /// Opens a load balancer driver.
    pub fn open_load_balancer(&self, config: &Config) -> Result<Arc<dyn LoadBalancerDriver>> {
        self.open(Api::LoadBalancer, &self.load_balancer, config)
    }

    /// Opens a DNS driver.
    pub fn open_dns(&self, config: &Config) -> Result<Arc<dyn DnsDriver>> {
        self.open(Api::Dns, &self.dns, config)
    }

    fn open<T: ?Sized>(
        &self,
        api: Api,
        factories: &BTreeMap<String, Factory<T>>,
        config: &Config,
    ) -> Result<Arc<T>> {
        let name = config.provider.to_ascii_lowercase();
        if let Some(factory) = factories.get(&name) {
            return factory(config).map_err(|e| e.or_provider(name.clone()));
        }
        let available = factories.keys().cloned().collect::<Vec<_>>().join(", ");
        let message = match KNOWN_PROVIDERS.iter().find(|(p, _, _)| *p == name) {
            Some((_, apis, _)) if !apis.contains(&api) => format!(
                "provider {name:?} has no {api} API (it serves: {}); {api} providers available: {available}",
                apis.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some((_, _, feature)) => format!(
                "provider {name:?} is not compiled in: enable the `{feature}` feature of the `libcloud` crate"
            ),
            None => format!("unknown {api} provider {name:?}; available: {available}"),
        };
        Err(Error::invalid_input(message).with_operation("registry"))
    }
}

/// Opens a compute driver from a URL with the built-in providers.
pub fn compute(url: &str) -> Result<Arc<dyn ComputeDriver>> {
    Registry::builtin().open_compute(&Config::from_url(url)?)
}

/// Opens a storage driver from a URL with the built-in providers.
pub fn storage(url: &str) -> Result<Arc<dyn StorageDriver>> {
    Registry::builtin().open_storage(&Config::from_url(url)?)
}

/// Opens a load balancer driver from a URL with the built-in providers.
pub fn load_balancer(url: &str) -> Result<Arc<dyn LoadBalancerDriver>> {
    Registry::builtin().open_load_balancer(&Config::from_url(url)?)
}

/// Opens a DNS driver from a URL with the built-in providers.
pub fn dns(url: &str) -> Result<Arc<dyn DnsDriver>> {
    Registry::builtin().open_dns(&Config::from_url(url)?)
}

/// The factories of the providers compiled into this build, one function per feature.
mod builtin {
    #[allow(unused_imports)]
    use super::*;

    /// Refuses options a provider does not know, so a typo is an error and not a silent default.
    #[allow(dead_code)]
    fn only_options(config: &Config, allowed: &[&str]) -> Result<()> {
        match config
            .options
            .keys()
            .find(|k| !allowed.contains(&k.as_str()))
        {
            Some(k) => Err(Error::invalid_input(format!(
                "provider {:?} has no option {k:?} (it takes: {})",
                config.provider,
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            ))),
            None => Ok(()),
        }
    }

    #[cfg(feature = "memory")]
    pub(super) fn memory(registry: &mut Registry) {
        use libcloud_memory::{MemoryCompute, MemoryDns, MemoryLoadBalancer, MemoryStorage};
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock};

        /// Opens the named in-memory cloud of type `T`, or a new one when the URL names none.
        fn shared<T: Clone + Default + Send + 'static>(
            config: &Config,
            slot: &'static OnceLock<Mutex<HashMap<String, T>>>,
        ) -> Result<T> {
            only_options(config, &["host", "name"])?;
            let name = config.get("name").or_else(|| config.get("host"));
            let Some(name) = name else {
                return Ok(T::default());
            };
            let map = slot.get_or_init(Default::default);
            let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Ok(map.entry(name.to_string()).or_default().clone())
        }

        static COMPUTE: OnceLock<Mutex<HashMap<String, MemoryCompute>>> = OnceLock::new();
        static STORAGE: OnceLock<Mutex<HashMap<String, MemoryStorage>>> = OnceLock::new();
        static LB: OnceLock<Mutex<HashMap<String, MemoryLoadBalancer>>> = OnceLock::new();
        static DNS: OnceLock<Mutex<HashMap<String, MemoryDns>>> = OnceLock::new();

        registry
            .register_compute("memory", |c| Ok(Arc::new(shared(c, &COMPUTE)?)))
            .register_storage("memory", |c| Ok(Arc::new(shared(c, &STORAGE)?)))
            .register_load_balancer("memory", |c| Ok(Arc::new(shared(c, &LB)?)))
            .register_dns("memory", |c| Ok(Arc::new(shared(c, &DNS)?)));
    }

    /// A variable lookup for providers configured from the environment: the option named like
    /// the variable without its prefix (`ZERIGO_API_KEY` -> `api_key`) wins over the variable.
    #[allow(dead_code)]
    fn options_then_env<'a>(
        config: &'a Config,
        prefix: &'static str,
    ) -> impl Fn(&str) -> Option<String> + 'a {
        move |var: &str| {
            let key = var.strip_prefix(prefix).unwrap_or(var).to_ascii_lowercase();
            config
                .get(&key)
                .map(str::to_string)
                .or_else(|| std::env::var(var).ok())
        }
    }

    /// Options an S3 URL may carry besides the driver's own: `s3://BUCKET/PREFIX` names a
    /// container and key for tools, not a setting of the driver.
    #[cfg(feature = "s3")]
    pub(super) fn s3(registry: &mut Registry) {
        registry.register_storage("s3", |config| {
            let options = config
                .options
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "host" | "path"));
            let settings =
                libcloud_s3::S3Config::from_options(options, &libcloud_aws::Env::process())?;
            Ok(Arc::new(libcloud_s3::S3Storage::new(settings)?))
        });
    }

    #[cfg(feature = "ec2")]
    pub(super) fn ec2(registry: &mut Registry) {
        registry.register_compute("ec2", |config| {
            only_options(config, libcloud_ec2::OPTION_KEYS)?;
            let settings = libcloud_ec2::Ec2Config::from_options(
                config.options.iter(),
                libcloud_aws::Env::process(),
            )?;
            Ok(Arc::new(libcloud_ec2::Ec2Compute::new(settings)?))
        });
    }

    /// The settings Route 53 and ELB take from a URL, applied through their builders.
    #[cfg(any(feature = "route53", feature = "elb"))]
    struct AwsOptions {
        region: Option<libcloud_aws::Region>,
        endpoint: Option<String>,
        keys: Option<(String, libcloud_core::Secret)>,
        profile: Option<String>,
    }

    #[cfg(any(feature = "route53", feature = "elb"))]
    impl AwsOptions {
        const KEYS: &'static [&'static str] = &[
            "region",
            "endpoint",
            "access_key_id",
            "secret_access_key",
            "profile",
        ];

        fn parse(config: &Config, extra: &[&str]) -> Result<Self> {
            let allowed: Vec<&str> = Self::KEYS.iter().chain(extra).copied().collect();
            only_options(config, &allowed)?;
            let keys = match (config.get("access_key_id"), config.get("secret_access_key")) {
                (Some(id), Some(secret)) => {
                    Some((id.to_string(), libcloud_core::Secret::new(secret)))
                }
                (None, None) => None,
                _ => {
                    return Err(Error::invalid_input(
                        "access_key_id and secret_access_key go together",
                    ));
                }
            };
            Ok(AwsOptions {
                region: config
                    .get("region")
                    .map(libcloud_aws::Region::new)
                    .transpose()?,
                endpoint: config.get("endpoint").map(str::to_string),
                keys,
                profile: config.get("profile").map(str::to_string),
            })
        }
    }

    #[cfg(feature = "route53")]
    pub(super) fn route53(registry: &mut Registry) {
        registry.register_dns("route53", |config| {
            let o = AwsOptions::parse(config, &[])?;
            let mut settings = libcloud_route53::Route53Config::from_env()?;
            if let Some(region) = o.region {
                settings = settings.with_region(region);
            }
            if let Some(endpoint) = o.endpoint {
                settings = settings.with_endpoint(endpoint);
            }
            if let Some((id, secret)) = o.keys {
                settings = settings.with_keys(id, secret);
            }
            if let Some(profile) = o.profile {
                settings = settings.with_profile(profile);
            }
            Ok(Arc::new(libcloud_route53::Route53Dns::new(settings)?))
        });
    }

    #[cfg(feature = "elb")]
    pub(super) fn elb(registry: &mut Registry) {
        fn open(
            config: &Config,
            default_api: libcloud_elb::ElbApi,
        ) -> Result<Arc<dyn LoadBalancerDriver>> {
            let o = AwsOptions::parse(config, &["api"])?;
            let api = match config.get("api") {
                Some(api) => api.parse()?,
                None => default_api,
            };
            let mut settings = libcloud_elb::ElbConfig::from_env()?.with_api(api);
            if let Some(region) = o.region {
                settings = settings.with_region(region);
            }
            if let Some(endpoint) = o.endpoint {
                settings = settings.with_endpoint(endpoint);
            }
            if let Some((id, secret)) = o.keys {
                settings = settings.with_keys(id, secret);
            }
            if let Some(profile) = o.profile {
                settings = settings.with_profile(profile);
            }
            libcloud_elb::driver(settings)
        }
        registry
            .register_load_balancer("elb", |c| open(c, libcloud_elb::ElbApi::Classic))
            .register_load_balancer("alb", |c| open(c, libcloud_elb::ElbApi::Application));
    }

    #[cfg(feature = "rackspace")]
    pub(super) fn rackspace(registry: &mut Registry) {
        fn settings(config: &Config) -> Result<libcloud_rackspace::RackspaceConfig> {
            only_options(
                config,
                &["username", "api_key", "region", "auth_url", "interface"],
            )?;
            libcloud_rackspace::RackspaceConfig::from_lookup(options_then_env(config, "RACKSPACE_"))
        }
        registry
            .register_compute("rackspace", |c| {
                Ok(Arc::new(libcloud_rackspace::CloudServers::new(&settings(
                    c,
                )?)?))
            })
            .register_load_balancer("rackspace", |c| {
                Ok(Arc::new(libcloud_rackspace::CloudLoadBalancers::new(
                    &settings(c)?,
                )?))
            })
            .register_dns("rackspace", |c| {
                Ok(Arc::new(libcloud_rackspace::CloudDns::new(&settings(c)?)?))
            })
            .register_storage("cloudfiles", |c| {
                Ok(Arc::new(libcloud_rackspace::CloudFiles::new(&settings(
                    c,
                )?)?))
            });
    }

    /// The settings an OpenStack cloud takes, named like its `OS_*` variables without the prefix.
    #[cfg(feature = "openstack")]
    const OPENSTACK_OPTIONS: &[&str] = &[
        "auth_url",
        "auth_type",
        "auth_version",
        "identity_api_version",
        "username",
        "user_id",
        "password",
        "api_key",
        "application_credential_id",
        "application_credential_name",
        "application_credential_secret",
        "project_name",
        "project_id",
        "tenant_name",
        "tenant_id",
        "user_domain_name",
        "user_domain_id",
        "project_domain_name",
        "project_domain_id",
        "domain_name",
        "domain_id",
        "region_name",
        "interface",
        "endpoint_type",
        "service_name",
        "service_type",
        "endpoint",
    ];

    /// The `OS_*` settings (options first, then the environment), then the catalog choice from
    /// options only: `service_name` and `service_type` pick a catalog entry, and `endpoint`
    /// (what `--endpoint` sets) replaces the catalog lookup with a fixed service URL while
    /// sign-in still goes to `auth_url`.
    #[cfg(feature = "openstack")]
    pub(super) fn openstack_settings(
        config: &Config,
    ) -> Result<libcloud_openstack::OpenStackConfig> {
        only_options(config, OPENSTACK_OPTIONS)?;
        let mut settings =
            libcloud_openstack::OpenStackConfig::from_lookup(options_then_env(config, "OS_"))?;
        let option = |key: &str| {
            config
                .get(key)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        if let Some(name) = option("service_name") {
            settings = settings.with_service_name(name);
        }
        if let Some(kind) = option("service_type") {
            settings = settings.with_service_type(kind);
        }
        if let Some(url) = option("endpoint") {
            settings = settings.with_endpoint(url);
        }
        Ok(settings)
    }

    #[cfg(feature = "openstack")]
    pub(super) fn openstack(registry: &mut Registry) {
        use openstack_settings as settings;
        registry
            .register_compute("openstack", |config| {
                Ok(Arc::new(libcloud_openstack::NovaCompute::new(settings(
                    config,
                )?)?))
            })
            .register_storage("openstack", |config| {
                Ok(Arc::new(libcloud_openstack::SwiftStorage::new(settings(
                    config,
                )?)?))
            })
            .register_storage("swift", |config| {
                Ok(Arc::new(libcloud_openstack::SwiftStorage::new(settings(
                    config,
                )?)?))
            });
    }

    #[cfg(feature = "zerigo")]
    pub(super) fn zerigo(registry: &mut Registry) {
        registry.register_dns("zerigo", |config| {
            only_options(config, &["email", "api_key", "endpoint"])?;
            let settings =
                libcloud_zerigo::ZerigoConfig::from_lookup(options_then_env(config, "ZERIGO_"))?;
            Ok(Arc::new(libcloud_zerigo::ZerigoDns::new(settings)?))
        });
    }

    #[cfg(feature = "gogrid")]
    pub(super) fn gogrid(registry: &mut Registry) {
        registry.register_load_balancer("gogrid", |config| {
            only_options(
                config,
                &["api_key", "shared_secret", "endpoint", "api_version"],
            )?;
            let settings =
                libcloud_gogrid::GoGridConfig::from_lookup(options_then_env(config, "GOGRID_"))?;
            Ok(Arc::new(libcloud_gogrid::GoGridLoadBalancer::new(
                settings,
            )?))
        });
    }

    #[cfg(feature = "local")]
    pub(super) fn local(registry: &mut Registry) {
        registry.register_storage("local", |config| {
            if config.get("host").is_some() {
                return Err(Error::invalid_input(
                    "a local URL has no host: write local:///absolute/path or local:relative/path",
                ));
            }
            only_options(config, &["path", "root"])?;
            let root = local_root(config, std::env::var(LOCAL_ROOT_VAR).ok())?;
            Ok(Arc::new(libcloud_local::LocalStorage::new(root)?))
        });
    }

    /// The variable the local provider's root comes from when the configuration names none.
    #[cfg(feature = "local")]
    pub(super) const LOCAL_ROOT_VAR: &str = "LIBCLOUD_LOCAL_ROOT";

    /// The local root: the `root` option, else `path`, else the value of [`LOCAL_ROOT_VAR`].
    #[cfg(feature = "local")]
    pub(super) fn local_root(config: &Config, from_env: Option<String>) -> Result<String> {
        config
            .get("root")
            .or_else(|| config.get("path"))
            .map(str::to_string)
            .or(from_env)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "the local provider needs a root folder: write local:///absolute/path, \
                     add ?root=/absolute/path, or set {LOCAL_ROOT_VAR}"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_into_options() {
        let c = Config::from_url("local:///srv/my%20data").unwrap();
        assert_eq!(c.provider, "local");
        assert_eq!(c.get("path"), Some("/srv/my data"));
        let c = Config::from_url("s3://bucket?region=eu-west-1&endpoint=http://127.0.0.1:9000")
            .unwrap();
        assert_eq!(c.get("host"), Some("bucket"));
        assert_eq!(c.get("region"), Some("eu-west-1"));
        assert_eq!(c.get("endpoint"), Some("http://127.0.0.1:9000"));
        assert!(Config::from_url("not a url").is_err());
    }

    #[test]
    fn config_debug_hides_option_values() {
        let c = Config::new("s3").option("secret_access_key", "very-secret");
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[test]
    fn unknown_providers_are_named() {
        let err = Registry::empty()
            .open_storage(&Config::new("nosuch"))
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("unknown storage provider \"nosuch\""),
            "{err}"
        );
        let err = Registry::empty()
            .open_storage(&Config::new("local"))
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("enable the `local` feature"),
            "{err}"
        );
        let err = Registry::empty()
            .open_compute(&Config::new("local"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("has no compute API"), "{err}");
    }

    #[test]
    fn storage_urls_split_into_driver_container_and_key() {
        let u = StorageUrl::parse("s3://photos/2024/a%3Fb%25c.jpg?Region=eu-west-1").unwrap();
        assert_eq!(u.config.provider, "s3");
        assert_eq!(u.config.get("region"), Some("eu-west-1"));
        assert_eq!(u.config.get("host"), None);
        assert_eq!(u.container.as_deref(), Some("photos"));
        assert_eq!(u.key.as_deref(), Some("2024/a?b%c.jpg"));

        let u = StorageUrl::parse("memory://box/dir/").unwrap();
        assert_eq!(u.key.as_deref(), Some("dir/"), "a prefix keeps its slash");
        let u = StorageUrl::parse("MEMORY://box").unwrap();
        assert_eq!(u.config.provider, "memory");
        assert_eq!((u.container.as_deref(), u.key), (Some("box"), None));
        let u = StorageUrl::parse("memory://box/").unwrap();
        assert_eq!(u.key, None);
        let u = StorageUrl::parse("memory://").unwrap();
        assert_eq!((u.container, u.key), (None, None));
        assert!(u.config.options.is_empty());

        let u = StorageUrl::parse("local:///srv/my%20data?x=1").unwrap();
        assert_eq!(u.config.get("path"), Some("/srv/my data"));
        assert_eq!(u.config.get("x"), Some("1"));
        assert_eq!(u.container, None);
        let u = StorageUrl::parse("local://c/k?root=/srv/a+b").unwrap();
        assert_eq!(
            u.config.get("root"),
            Some("/srv/a b"),
            "query values are form-decoded"
        );

        for bad in [
            "photos/cat.jpg",
            "://x/y",
            "1s3://b/k",
            "s 3://b/k",
            "s3://b/%zz",
        ] {
            let err = StorageUrl::parse(bad).unwrap_err();
            assert_eq!(*err.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[cfg(feature = "local")]
    #[test]
    fn local_root_comes_from_options_then_the_environment() {
        use builtin::local_root;
        let env = Some("/from/env".to_string());
        let c = Config::new("local")
            .option("root", "/r")
            .option("path", "/p");
        assert_eq!(local_root(&c, env.clone()).unwrap(), "/r");
        let c = Config::new("local").option("path", "/p");
        assert_eq!(local_root(&c, env.clone()).unwrap(), "/p");
        assert_eq!(local_root(&Config::new("local"), env).unwrap(), "/from/env");
        let err = local_root(&Config::new("local"), None).unwrap_err();
        assert!(err.to_string().contains("LIBCLOUD_LOCAL_ROOT"), "{err}");
        assert!(local_root(&Config::new("local"), Some(String::new())).is_err());
    }

    #[cfg(feature = "local")]
    #[test]
    fn storage_urls_open_local_containers_under_a_root() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("local://box/k?root={}", dir.path().display());
        let url = StorageUrl::parse(&text).unwrap();
        let storage = Registry::builtin().open_storage(&url.config).unwrap();
        assert_eq!(storage.name(), "local");
    }

    #[cfg(feature = "openstack")]
    #[test]
    fn openstack_options_choose_the_catalog_entry_or_a_fixed_endpoint() {
        use builtin::openstack_settings;
        // Tempauth from options alone, the identity version taken from the URL.
        let base = Config::new("swift")
            .option("auth_url", "http://127.0.0.1:8080/auth/v1.0")
            .option("username", "test:tester")
            .option("password", "testing");
        let plain = openstack_settings(&base).unwrap();
        assert_eq!(plain.auth.auth_url, "http://127.0.0.1:8080/auth/v1.0");
        assert!(
            matches!(
                plain.auth.method,
                libcloud_openstack::AuthMethod::Tempauth { .. }
            ),
            "{:?}",
            plain.auth.method
        );
        assert_eq!((plain.endpoint, plain.service_name), (None, None));

        let chosen = openstack_settings(
            &base
                .clone()
                .option("endpoint", " http://127.0.0.1:8080/v1/AUTH_test ")
                .option("service_name", "cloudFiles")
                .option("service_type", "object-store"),
        )
        .unwrap();
        assert_eq!(
            chosen.endpoint.as_deref(),
            Some("http://127.0.0.1:8080/v1/AUTH_test")
        );
        assert_eq!(chosen.service_name.as_deref(), Some("cloudFiles"));
        assert_eq!(chosen.service_type.as_deref(), Some("object-store"));
        // Sign-in still goes to the identity URL.
        assert_eq!(chosen.auth.auth_url, "http://127.0.0.1:8080/auth/v1.0");

        let blank = openstack_settings(&base.clone().option("endpoint", "  ")).unwrap();
        assert_eq!(blank.endpoint, None);
        let typo = openstack_settings(&base.option("service_nam", "x")).unwrap_err();
        assert!(
            matches!(typo.kind(), crate::ErrorKind::InvalidInput)
                && typo.to_string().contains("service_nam"),
            "{typo}"
        );
    }
}
