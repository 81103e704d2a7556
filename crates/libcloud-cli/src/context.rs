//! Which provider a command talks to: driver configurations from URLs, `--provider` and
//! options, and the drivers opened from them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use libcloud::registry::{Api, Config, Registry, StorageUrl};
use libcloud::{ComputeDriver, DnsDriver, Error, LoadBalancerDriver, Result, StorageDriver};

use crate::args::Globals;
use crate::output::Printer;

/// Drivers opened so far in this process, by configuration, so that two URLs naming the same
/// provider and options share one driver (and one in-memory cloud) within a command and
/// across the lines of a batch.
pub struct Session {
    registry: Registry,
    compute: Mutex<HashMap<String, Arc<dyn ComputeDriver>>>,
    storage: Mutex<HashMap<String, Arc<dyn StorageDriver>>>,
    load_balancer: Mutex<HashMap<String, Arc<dyn LoadBalancerDriver>>>,
    dns: Mutex<HashMap<String, Arc<dyn DnsDriver>>>,
}

impl Session {
    /// A session over the providers compiled into this build.
    pub fn new() -> Self {
        Session {
            registry: Registry::builtin(),
            compute: Mutex::default(),
            storage: Mutex::default(),
            load_balancer: Mutex::default(),
            dns: Mutex::default(),
        }
    }

    /// The registry drivers are opened from.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// The key a configuration is cached under. It holds option values, so it is never printed.
fn cache_key(config: &Config) -> String {
    let mut key = config.provider.to_ascii_lowercase();
    for (k, v) in &config.options {
        key.push('\u{1f}');
        key.push_str(k);
        key.push('=');
        key.push_str(v);
    }
    key
}

fn cached<T: ?Sized>(
    map: &Mutex<HashMap<String, Arc<T>>>,
    config: &Config,
    open: impl FnOnce(&Config) -> Result<Arc<T>>,
) -> Result<Arc<T>> {
    let key = cache_key(config);
    if let Some(driver) = map
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&key)
    {
        return Ok(driver.clone());
    }
    let driver = open(config)?;
    map.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(key, driver.clone());
    Ok(driver)
}

/// A container and object named on the command line, with the driver configuration to reach
/// them.
#[derive(Debug, Clone)]
pub struct StorageRef {
    /// The driver to open.
    pub config: Config,
    /// The container, when named.
    pub container: Option<String>,
    /// The object name or prefix, when named.
    pub key: Option<String>,
    /// The text as the user wrote it, for messages.
    pub text: String,
}

impl StorageRef {
    /// The container, or an `InvalidInput` error saying the URL needs one.
    pub fn container(&self) -> Result<&str> {
        self.container.as_deref().ok_or_else(|| {
            Error::invalid_input(format!(
                "{:?} names no container; write SCHEME://CONTAINER/KEY",
                self.text
            ))
        })
    }

    /// The container and object name, or an `InvalidInput` error saying the URL needs both.
    pub fn object(&self) -> Result<(&str, &str)> {
        let container = self.container()?;
        match self.key.as_deref() {
            Some(key) if !key.ends_with('/') => Ok((container, key)),
            _ => Err(Error::invalid_input(format!(
                "{:?} names no object; write SCHEME://CONTAINER/KEY",
                self.text
            ))),
        }
    }
}

/// Whether `text` is written as a URL (`scheme://...`) rather than a path.
pub fn looks_like_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Everything one command needs: the session's drivers, the global options and the printer.
pub struct Ctx<'a> {
    /// Drivers and the registry.
    pub session: &'a Session,
    /// The global options of this command.
    pub globals: Globals,
    /// Where results go.
    pub printer: Printer,
}

impl<'a> Ctx<'a> {
    /// A context for one command.
    pub fn new(session: &'a Session, globals: Globals) -> Self {
        let printer = Printer::new(globals.output);
        Ctx {
            session,
            globals,
            printer,
        }
    }

    /// Whether progress bars and notices are off.
    pub fn quiet(&self) -> bool {
        self.globals.quiet
    }

    /// Prints a notice on standard error, unless quiet.
    pub fn notice(&self, text: &str) {
        if !self.quiet() {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "libcloud: {text}");
        }
    }

    /// Adds the global options (`--option`, `--endpoint`, `--profile`) to `config`, without
    /// replacing options it already has. With `--provider NAME` they go only to NAME's drivers,
    /// so that a copy between two providers can point one of them at another server.
    fn add_globals(&self, config: &mut Config) {
        let g = &self.globals;
        if let Some(provider) = g.provider.as_deref().filter(|p| !p.is_empty())
            && !config.provider.eq_ignore_ascii_case(provider)
        {
            return;
        }
        let extra = g
            .options
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .chain(
                g.endpoint
                    .iter()
                    .map(|e| ("endpoint".to_string(), e.clone())),
            )
            .chain(g.profile.iter().map(|p| ("profile".to_string(), p.clone())));
        for (k, v) in extra {
            config.options.entry(k).or_insert(v);
        }
    }

    /// The driver configuration of `--url`, else `--provider`, with the global options.
    pub fn driver_config(&self, api: Api) -> Result<Config> {
        let mut config = if let Some(url) = &self.globals.url {
            Config::from_url(url)?
        } else if let Some(provider) = self.globals.provider.as_deref().filter(|p| !p.is_empty()) {
            Config::new(provider.to_ascii_lowercase())
        } else {
            let available = self.session.registry.providers(api).join(", ");
            return Err(Error::invalid_input(format!(
                "no provider given: pass --provider NAME or --url URL, or set LIBCLOUD_PROVIDER \
                 ({api} providers in this build: {available})"
            )));
        };
        self.add_globals(&mut config);
        Ok(config)
    }

    /// Reads a storage location: a URL, or `CONTAINER/KEY` relative to `--provider`/`--url`.
    pub fn storage_ref(&self, text: &str) -> Result<StorageRef> {
        if looks_like_url(text) {
            let url = StorageUrl::parse(text)?;
            let mut config = url.config;
            self.add_globals(&mut config);
            return Ok(StorageRef {
                config,
                container: url.container,
                key: url.key,
                text: text.to_string(),
            });
        }
        if self.globals.url.is_none() && self.globals.provider.is_none() {
            return Err(Error::invalid_input(format!(
                "{text:?} is not a storage URL; write SCHEME://CONTAINER/KEY \
                 (memory://box/a.txt, local://box/a.txt?root=/srv/data) or pass --provider"
            )));
        }
        let config = self.driver_config(Api::Storage)?;
        let (container, key) = match text.split_once('/') {
            Some((c, k)) => (c, Some(k)),
            None => (text, None),
        };
        Ok(StorageRef {
            config,
            container: Some(container.to_string()).filter(|c| !c.is_empty()),
            key: key.filter(|k| !k.is_empty()).map(str::to_string),
            text: text.to_string(),
        })
    }

    /// The storage location of `ls` and friends when no URL is given: the provider's root.
    pub fn storage_root(&self) -> Result<StorageRef> {
        Ok(StorageRef {
            config: self.driver_config(Api::Storage)?,
            container: None,
            key: None,
            text: self
                .globals
                .url
                .clone()
                .or_else(|| self.globals.provider.clone())
                .unwrap_or_default(),
        })
    }

    /// Opens (or reuses) the storage driver of `config`.
    pub fn open_storage(&self, config: &Config) -> Result<Arc<dyn StorageDriver>> {
        let registry = &self.session.registry;
        cached(&self.session.storage, config, |c| registry.open_storage(c))
    }

    /// Opens (or reuses) the compute driver of the global options.
    pub fn compute(&self) -> Result<Arc<dyn ComputeDriver>> {
        let config = self.driver_config(Api::Compute)?;
        let registry = &self.session.registry;
        cached(&self.session.compute, &config, |c| registry.open_compute(c))
    }

    /// Opens (or reuses) the DNS driver of the global options.
    pub fn dns(&self) -> Result<Arc<dyn DnsDriver>> {
        let config = self.driver_config(Api::Dns)?;
        let registry = &self.session.registry;
        cached(&self.session.dns, &config, |c| registry.open_dns(c))
    }

    /// Opens (or reuses) the load balancer driver of the global options.
    pub fn load_balancer(&self) -> Result<Arc<dyn LoadBalancerDriver>> {
        let config = self.driver_config(Api::LoadBalancer)?;
        let registry = &self.session.registry;
        cached(&self.session.load_balancer, &config, |c| {
            registry.open_load_balancer(c)
        })
    }
}

/// Turns `KEY=VALUE` pairs into a model's `extra` map; a value that parses as JSON is taken as
/// JSON (`--extra tags='["a","b"]'`), anything else as a string.
pub fn extra_map(pairs: &[(String, String)]) -> libcloud::Extra {
    pairs
        .iter()
        .map(|(k, v)| {
            let value = serde_json::from_str(v).unwrap_or_else(|_| v.clone().into());
            (k.clone(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ctx(session: &Session, globals: Globals) -> Ctx<'_> {
        Ctx::new(session, globals)
    }

    #[test]
    fn urls_and_paths_are_told_apart() {
        assert!(looks_like_url("s3://b/k"));
        assert!(looks_like_url("memory://"));
        assert!(!looks_like_url("./s3://x"));
        assert!(!looks_like_url("photos/cat.jpg"));
        assert!(!looks_like_url("-"));
    }

    #[test]
    fn url_options_win_over_global_ones() {
        let session = Session::new();
        let globals = Globals {
            options: vec![("Root".into(), "/global".into()), ("x".into(), "1".into())],
            endpoint: Some("http://127.0.0.1:9".into()),
            ..Globals::default()
        };
        let c = ctx(&session, globals);
        let r = c.storage_ref("local://box/a/b.txt?root=/mine").unwrap();
        assert_eq!(r.config.get("root"), Some("/mine"));
        assert_eq!(r.config.get("x"), Some("1"));
        assert_eq!(r.config.get("endpoint"), Some("http://127.0.0.1:9"));
        assert_eq!(r.object().unwrap(), ("box", "a/b.txt"));
    }

    #[test]
    fn with_a_provider_global_options_go_to_its_drivers_only() {
        let session = Session::new();
        let globals = Globals {
            provider: Some("s3".into()),
            endpoint: Some("http://127.0.0.1:9".into()),
            ..Globals::default()
        };
        let c = ctx(&session, globals);
        let s3 = c.storage_ref("s3://bucket/k").unwrap();
        assert_eq!(s3.config.get("endpoint"), Some("http://127.0.0.1:9"));
        let memory = c.storage_ref("memory://box/k").unwrap();
        assert_eq!(memory.config.get("endpoint"), None);
    }

    #[test]
    fn bare_paths_need_a_provider() {
        let session = Session::new();
        let err = ctx(&session, Globals::default())
            .storage_ref("box/a.txt")
            .unwrap_err();
        assert_eq!(*err.kind(), libcloud::ErrorKind::InvalidInput);
        let globals = Globals {
            provider: Some("memory".into()),
            ..Globals::default()
        };
        let c = ctx(&session, globals);
        let r = c.storage_ref("box/dir/").unwrap();
        assert_eq!(r.container.as_deref(), Some("box"));
        assert!(r.object().is_err(), "a prefix is not an object");
        assert!(c.storage_ref("box").unwrap().key.is_none());
    }

    #[test]
    fn no_provider_is_an_error_that_lists_what_is_there() {
        let session = Session::new();
        let err = ctx(&session, Globals::default())
            .driver_config(Api::Dns)
            .unwrap_err();
        assert!(err.to_string().contains("memory"), "{err}");
    }

    #[test]
    fn drivers_are_shared_per_configuration() {
        let session = Session::new();
        let c = ctx(&session, Globals::default());
        let a = c.open_storage(&Config::new("memory")).unwrap();
        let b = c.open_storage(&Config::new("memory")).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let other = c
            .open_storage(&Config::new("memory").option("name", "x"))
            .unwrap();
        assert!(!Arc::ptr_eq(&a, &other));
    }

    #[test]
    fn extra_values_are_json_when_they_parse() {
        let extra = extra_map(&[
            ("n".into(), "3".into()),
            ("s".into(), "plain".into()),
            ("l".into(), "[\"a\"]".into()),
        ]);
        assert_eq!(extra["n"], serde_json::json!(3));
        assert_eq!(extra["s"], serde_json::json!("plain"));
        assert_eq!(extra["l"], serde_json::json!(["a"]));
    }
}
