//! Where AWS credentials come from: explicit keys, the environment, the shared files, or a chain.
//!
//! Every source is a [`CredentialProvider`]. A source that finds nothing answers
//! [`ErrorKind::InvalidCredentials`] with a message saying what it looked at; a [`ChainProvider`]
//! then asks the next one. A source that finds something broken (a key id without its secret, a
//! malformed file, a profile that needs a mechanism not supported here) answers another kind, and
//! the chain stops there rather than quietly using some other identity.
//!
//! The trait leaves room for sources that talk to the network (instance metadata, web identity):
//! they are async and may cache, see [`CachedProvider`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use libcloud_core::{Credentials, Error, ErrorKind, Result};
use tokio::sync::Mutex;

use crate::env::Env;
use crate::profile::{ProfileFiles, profile_name};

/// A source of AWS credentials.
#[async_trait]
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// The credentials to sign the next request with.
    ///
    /// [`ErrorKind::InvalidCredentials`] means "none here"; other kinds mean the source is
    /// misconfigured or failed.
    async fn credentials(&self) -> Result<Credentials>;
}

#[async_trait]
impl<T: CredentialProvider + ?Sized> CredentialProvider for Arc<T> {
    async fn credentials(&self) -> Result<Credentials> {
        (**self).credentials().await
    }
}

fn nothing_found(message: String) -> Error {
    Error::new(ErrorKind::InvalidCredentials, message).with_provider("aws")
}

fn check_not_blank(creds: Credentials, origin: &str) -> Result<Credentials> {
    if creds.key_id.trim().is_empty() || creds.secret.expose().trim().is_empty() {
        return Err(
            Error::invalid_input(format!("{origin}: the key id or secret is blank"))
                .with_provider("aws"),
        );
    }
    Ok(creds)
}

/// Credentials given in code or configuration; they never change.
#[derive(Debug, Clone)]
pub struct StaticProvider {
    credentials: Credentials,
}

impl StaticProvider {
    /// A provider that always answers `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        StaticProvider { credentials }
    }
}

#[async_trait]
impl CredentialProvider for StaticProvider {
    async fn credentials(&self) -> Result<Credentials> {
        check_not_blank(self.credentials.clone(), "explicit credentials")
    }
}

/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and, optionally,
/// `AWS_SESSION_TOKEN`.
///
/// Neither key set is "none here"; one set without the other is an
/// [`ErrorKind::InvalidInput`] error.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentProvider {
    env: Env,
}

impl EnvironmentProvider {
    /// A provider reading `env`.
    pub fn new(env: Env) -> Self {
        EnvironmentProvider { env }
    }
}

#[async_trait]
impl CredentialProvider for EnvironmentProvider {
    async fn credentials(&self) -> Result<Credentials> {
        let key = self.env.get("AWS_ACCESS_KEY_ID");
        let secret = self.env.get("AWS_SECRET_ACCESS_KEY");
        match (key, secret) {
            (Some(key), Some(secret)) => {
                let mut creds = Credentials::new(key.trim(), secret.trim());
                if let Some(token) = self.env.get("AWS_SESSION_TOKEN") {
                    creds = creds.with_session_token(token.trim());
                }
                check_not_blank(creds, "environment")
            }
            (None, None) => Err(nothing_found(
                "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set".into(),
            )),
            (Some(_), None) => Err(Error::invalid_input(
                "environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
            )
            .with_provider("aws")),
            (None, Some(_)) => Err(Error::invalid_input(
                "environment: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
            )
            .with_provider("aws")),
        }
    }
}

/// Profile settings that name a way of getting credentials this crate does not offer yet.
const UNSUPPORTED_SOURCES: &[&str] = &[
    "role_arn",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
    "credential_source",
];

/// Credentials from a profile of the shared files (`aws_access_key_id`,
/// `aws_secret_access_key`, `aws_session_token`).
///
/// The profile is the one given to [`ProfileProvider::with_profile`], else `AWS_PROFILE`, else
/// `default`; the files are found as [`ProfileFiles::load`] says, and read at each call.
#[derive(Debug, Clone, Default)]
pub struct ProfileProvider {
    env: Env,
    profile: Option<String>,
}

impl ProfileProvider {
    /// A provider for the profile that `env` selects.
    pub fn new(env: Env) -> Self {
        ProfileProvider { env, profile: None }
    }

    /// Uses the profile `name` whatever `AWS_PROFILE` says.
    pub fn with_profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    fn profile_name(&self) -> String {
        self.profile
            .clone()
            .unwrap_or_else(|| profile_name(&self.env))
    }
}

#[async_trait]
impl CredentialProvider for ProfileProvider {
    async fn credentials(&self) -> Result<Credentials> {
        let name = self.profile_name();
        let files = ProfileFiles::load(&self.env).await?;
        let looked_at = format!(
            "looked in {} and {}",
            files.credentials_status(),
            files.config_status()
        );
        let Some(profile) = files.profile(&name) else {
            return Err(nothing_found(format!(
                "profile {name:?}: no such profile; {looked_at}"
            )));
        };
        let key = profile.get("aws_access_key_id");
        let secret = profile.get("aws_secret_access_key");
        match (key, secret) {
            (Some(key), Some(secret)) => {
                let mut creds = Credentials::new(key, secret);
                if let Some(token) = profile.get("aws_session_token") {
                    creds = creds.with_session_token(token);
                }
                check_not_blank(creds, &format!("profile {name:?}"))
            }
            (None, None) => {
                if let Some(source) = UNSUPPORTED_SOURCES
                    .iter()
                    .find(|k| profile.get(k).is_some())
                {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!(
                            "profile {name:?} gets its credentials through {source}, \
                             which is not supported; give keys instead"
                        ),
                    )
                    .with_provider("aws"));
                }
                Err(nothing_found(format!(
                    "profile {name:?}: no aws_access_key_id; {looked_at}"
                )))
            }
            (Some(_), None) => Err(Error::invalid_input(format!(
                "profile {name:?} sets aws_access_key_id but not aws_secret_access_key"
            ))
            .with_provider("aws")),
            (None, Some(_)) => Err(Error::invalid_input(format!(
                "profile {name:?} sets aws_secret_access_key but not aws_access_key_id"
            ))
            .with_provider("aws")),
        }
    }
}

/// Asks providers in turn and answers with the first credentials found.
///
/// A provider answering [`ErrorKind::InvalidCredentials`] ("none here") passes to the next; any
/// other error ends the search. When every provider has nothing, the error is
/// `InvalidCredentials` with each provider's reason.
#[derive(Debug, Clone)]
pub struct ChainProvider {
    providers: Vec<Arc<dyn CredentialProvider>>,
}

impl ChainProvider {
    /// A chain of these providers, asked in order.
    pub fn new(providers: Vec<Arc<dyn CredentialProvider>>) -> Self {
        ChainProvider { providers }
    }

    /// The usual order: the environment, then the shared files' profile.
    pub fn default_chain(env: Env) -> Self {
        ChainProvider::new(vec![
            Arc::new(EnvironmentProvider::new(env.clone())),
            Arc::new(ProfileProvider::new(env)),
        ])
    }

    /// Adds a provider to ask after the others.
    pub fn push(mut self, provider: Arc<dyn CredentialProvider>) -> Self {
        self.providers.push(provider);
        self
    }
}

#[async_trait]
impl CredentialProvider for ChainProvider {
    async fn credentials(&self) -> Result<Credentials> {
        let mut reasons = Vec::new();
        for provider in &self.providers {
            match provider.credentials().await {
                Ok(creds) => return Ok(creds),
                Err(e) if *e.kind() == ErrorKind::InvalidCredentials => {
                    reasons.push(e.message().unwrap_or("no credentials").to_string());
                }
                Err(e) => return Err(e),
            }
        }
        if reasons.is_empty() {
            reasons.push("no credential sources are configured".into());
        }
        Err(nothing_found(format!(
            "no AWS credentials found ({})",
            reasons.join("; ")
        )))
    }
}

/// Remembers another provider's answer for a while, so that files are not read on every request.
///
/// Only successes are kept; after `ttl` the next call asks again. Concurrent callers wait for one
/// refresh instead of each asking.
#[derive(Debug)]
pub struct CachedProvider {
    inner: Arc<dyn CredentialProvider>,
    ttl: Duration,
    cached: Mutex<Option<(Credentials, Instant)>>,
}

impl CachedProvider {
    /// How long answers are kept unless told otherwise: five minutes.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

    /// Caches `inner`'s answers for [`CachedProvider::DEFAULT_TTL`].
    pub fn new(inner: Arc<dyn CredentialProvider>) -> Self {
        Self::with_ttl(inner, Self::DEFAULT_TTL)
    }

    /// Caches `inner`'s answers for `ttl`.
    pub fn with_ttl(inner: Arc<dyn CredentialProvider>, ttl: Duration) -> Self {
        CachedProvider {
            inner,
            ttl,
            cached: Mutex::new(None),
        }
    }

    /// Forgets the cached answer, for example after the provider refused the credentials.
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }
}

#[async_trait]
impl CredentialProvider for CachedProvider {
    async fn credentials(&self) -> Result<Credentials> {
        let mut cached = self.cached.lock().await;
        if let Some((creds, at)) = cached.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(creds.clone());
        }
        let creds = self.inner.credentials().await?;
        *cached = Some((creds.clone(), Instant::now()));
        Ok(creds)
    }
}

/// The provider a driver uses when the caller gives no keys: the [default
/// chain](ChainProvider::default_chain) over `env`, cached.
pub fn default_provider(env: Env) -> Arc<dyn CredentialProvider> {
    Arc::new(CachedProvider::new(Arc::new(ChainProvider::default_chain(
        env,
    ))))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[tokio::test]
    async fn static_credentials_are_returned_but_blank_ones_refused() {
        let p = StaticProvider::new(Credentials::new("AKID", "secret"));
        assert_eq!(p.credentials().await.unwrap().key_id, "AKID");
        let blank = StaticProvider::new(Credentials::new("AKID", " "));
        assert_eq!(
            *blank.credentials().await.unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert!(!format!("{p:?}").contains("secret\""));
    }

    #[tokio::test]
    async fn environment_keys_and_token() {
        let p = EnvironmentProvider::new(env(&[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "envsecret"),
            ("AWS_SESSION_TOKEN", "envtoken"),
        ]));
        let c = p.credentials().await.unwrap();
        assert_eq!(c.key_id, "AKIDENV");
        assert_eq!(c.secret.expose(), "envsecret");
        assert_eq!(c.session_token.unwrap().expose(), "envtoken");

        let none = EnvironmentProvider::new(env(&[]))
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*none.kind(), ErrorKind::InvalidCredentials);
        assert!(none.to_string().contains("AWS_ACCESS_KEY_ID"));

        let half = EnvironmentProvider::new(env(&[("AWS_ACCESS_KEY_ID", "AKID")]))
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*half.kind(), ErrorKind::InvalidInput);
        let other_half = EnvironmentProvider::new(env(&[("AWS_SECRET_ACCESS_KEY", "s")]))
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*other_half.kind(), ErrorKind::InvalidInput);
        assert!(!other_half.to_string().contains("\"s\""));
    }

    fn files(dir: &std::path::Path, credentials: &str, config: &str) -> Vec<(String, String)> {
        let c = dir.join("credentials");
        let f = dir.join("config");
        std::fs::write(&c, credentials).unwrap();
        std::fs::write(&f, config).unwrap();
        vec![
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                c.to_str().unwrap().into(),
            ),
            ("AWS_CONFIG_FILE".into(), f.to_str().unwrap().into()),
        ]
    }

    #[tokio::test]
    async fn profile_from_credentials_and_config_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut vars = files(
            dir.path(),
            "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\
             [ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = s2\naws_session_token = t2\n",
            "[profile cfg]\naws_access_key_id = AKIDCFG\naws_secret_access_key = s3\n\
             [profile role]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = ci\n\
             [profile half]\naws_access_key_id = AKIDHALF\n\
             [profile empty]\nregion = us-east-1\n",
        );
        let base = Env::from_pairs(vars.clone());
        let c = ProfileProvider::new(base.clone())
            .credentials()
            .await
            .unwrap();
        assert_eq!(
            (c.key_id.as_str(), c.secret.expose()),
            ("AKIDDEFAULT", "s1")
        );

        vars.push(("AWS_PROFILE".into(), "ci".into()));
        let c = ProfileProvider::new(Env::from_pairs(vars))
            .credentials()
            .await
            .unwrap();
        assert_eq!(c.key_id, "AKIDCI");
        assert_eq!(c.session_token.unwrap().expose(), "t2");

        let p = ProfileProvider::new(base.clone());
        let c = p.clone().with_profile("cfg").credentials().await.unwrap();
        assert_eq!(c.key_id, "AKIDCFG");

        let err = p
            .clone()
            .with_profile("role")
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Unsupported);
        assert!(err.to_string().contains("role_arn"));
        let err = p
            .clone()
            .with_profile("half")
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        let err = p
            .clone()
            .with_profile("empty")
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
        let err = p.with_profile("missing").credentials().await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
        let shown = err.to_string();
        assert!(
            shown.contains("\"missing\"") && shown.contains("credentials"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn profile_uses_home_when_no_paths_are_given() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = h\n",
        )
        .unwrap();
        let env = Env::from_pairs([("HOME", home.path().to_str().unwrap())]);
        let c = ProfileProvider::new(env).credentials().await.unwrap();
        assert_eq!(c.key_id, "AKIDHOME");
    }

    #[tokio::test]
    async fn chain_takes_the_first_and_explains_when_nothing_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut vars = files(
            dir.path(),
            "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = f\n",
            "",
        );
        let from_file = ChainProvider::default_chain(Env::from_pairs(vars.clone()))
            .credentials()
            .await
            .unwrap();
        assert_eq!(from_file.key_id, "AKIDFILE");

        vars.push(("AWS_ACCESS_KEY_ID".into(), "AKIDENV".into()));
        vars.push(("AWS_SECRET_ACCESS_KEY".into(), "e".into()));
        let from_env = ChainProvider::default_chain(Env::from_pairs(vars))
            .credentials()
            .await
            .unwrap();
        assert_eq!(from_env.key_id, "AKIDENV");

        let nothing = Env::from_pairs([(
            "HOME",
            dir.path().join("nowhere").to_str().unwrap().to_string(),
        )]);
        let err = ChainProvider::default_chain(nothing)
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
        let shown = err.to_string();
        assert!(shown.contains("AWS_ACCESS_KEY_ID"), "{shown}");
        assert!(
            shown.contains("nowhere/.aws/credentials (missing)"),
            "{shown}"
        );
        assert!(shown.contains("profile \"default\""), "{shown}");

        let empty = ChainProvider::new(vec![]).credentials().await.unwrap_err();
        assert_eq!(*empty.kind(), ErrorKind::InvalidCredentials);
    }

    #[tokio::test]
    async fn chain_stops_at_a_broken_source() {
        let broken = EnvironmentProvider::new(env(&[("AWS_ACCESS_KEY_ID", "AKID")]));
        let fine = StaticProvider::new(Credentials::new("AKIDSTATIC", "x"));
        let chain = ChainProvider::new(vec![Arc::new(broken)]).push(Arc::new(fine));
        assert_eq!(
            *chain.credentials().await.unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }

    #[derive(Debug)]
    struct Counting(AtomicUsize);

    #[async_trait]
    impl CredentialProvider for Counting {
        async fn credentials(&self) -> Result<Credentials> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Credentials::new(format!("AKID{n}"), "s"))
        }
    }

    #[tokio::test]
    async fn cache_keeps_answers_for_its_ttl() {
        let counting = Arc::new(Counting(AtomicUsize::new(0)));
        let cached = CachedProvider::with_ttl(counting.clone(), Duration::from_secs(3600));
        assert_eq!(cached.credentials().await.unwrap().key_id, "AKID0");
        assert_eq!(cached.credentials().await.unwrap().key_id, "AKID0");
        cached.invalidate().await;
        assert_eq!(cached.credentials().await.unwrap().key_id, "AKID1");

        let expiring = CachedProvider::with_ttl(counting.clone(), Duration::ZERO);
        let a = expiring.credentials().await.unwrap().key_id;
        let b = expiring.credentials().await.unwrap().key_id;
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn default_provider_reads_the_environment() {
        let p = default_provider(env(&[
            ("AWS_ACCESS_KEY_ID", "AKIDDEF"),
            ("AWS_SECRET_ACCESS_KEY", "d"),
        ]));
        assert_eq!(p.credentials().await.unwrap().key_id, "AKIDDEF");
    }
}
