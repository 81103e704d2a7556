//! [`AwsSettings`]: the connection settings an AWS driver's configuration holds, and what
//! follows from them (the region in effect, the endpoint, the credential source).
//!
//! Each driver keeps these settings as fields of its own config struct, next to what only it
//! has, and borrows them as an [`AwsSettings`] to resolve them the same way as every other
//! driver.

use std::sync::Arc;

use libcloud_core::{Credentials, Error, Result, Secret};

use crate::credentials::{
    CachedProvider, CredentialProvider, ProfileProvider, StaticProvider, default_provider,
};
use crate::endpoint::{Endpoint, Service};
use crate::env::Env;
use crate::region::Region;

/// The connection settings of an AWS driver, borrowed from its config: keys, region, endpoint,
/// profile, and where `AWS_*` variables are read from.
///
/// Every setting is optional: without keys the credentials come from the named profile, else
/// from the default chain over [`env`](Self::env); without a region the driver works in
/// `us-east-1`; without an endpoint AWS's own is used unless `env` sets an
/// `AWS_ENDPOINT_URL[_<SERVICE>]` override. Errors carry [`provider`](Self::provider).
///
/// Build one from [`AwsSettings::new`] with the settings that are set, as below, so that a
/// setting added later takes its default.
///
/// ```
/// use libcloud_aws::{AwsSettings, Env, Service};
/// use libcloud_core::Secret;
///
/// let env = Env::from_pairs([("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")]);
/// let secret = Secret::from("wJalrXUtnFEMI/K7MDENG");
/// let settings = AwsSettings {
///     access_key_id: Some("AKIDEXAMPLE"),
///     secret_access_key: Some(&secret),
///     ..AwsSettings::new("route53", &env)
/// };
/// assert_eq!(settings.region_or_default().as_str(), "us-east-1");
/// assert_eq!(settings.resolve_endpoint(Service::Route53).unwrap().url(), "http://127.0.0.1:5000");
/// assert!(settings.credential_provider().is_ok());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AwsSettings<'a> {
    /// The provider name errors carry (`elb`, `route53`).
    pub provider: &'static str,
    /// The access key id; with [`secret_access_key`](Self::secret_access_key) it replaces the
    /// credential chain.
    pub access_key_id: Option<&'a str>,
    /// The secret access key.
    pub secret_access_key: Option<&'a Secret>,
    /// A session token that goes with the keys, for temporary credentials.
    pub session_token: Option<&'a Secret>,
    /// The region; `us-east-1` when `None`.
    pub region: Option<&'a Region>,
    /// A custom endpoint URL (an emulator, a proxy).
    pub endpoint: Option<&'a str>,
    /// The profile of the shared `~/.aws` files to take credentials from, when there are no
    /// keys.
    pub profile: Option<&'a str>,
    /// Where `AWS_*` variables are read from.
    pub env: &'a Env,
}

impl<'a> AwsSettings<'a> {
    /// Settings with nothing configured, reading `env`, whose errors name `provider`.
    pub fn new(provider: &'static str, env: &'a Env) -> Self {
        AwsSettings {
            provider,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            region: None,
            endpoint: None,
            profile: None,
            env,
        }
    }

    /// The region in effect: the configured one, else `us-east-1`.
    pub fn region_or_default(&self) -> Region {
        self.region.cloned().unwrap_or(Region::US_EAST_1)
    }

    /// The endpoint of `service`: the configured [`endpoint`](Self::endpoint), else the
    /// environment's override, else AWS's own for the region in effect (see
    /// [`Endpoint::resolve`]).
    ///
    /// A URL that cannot be an endpoint is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn resolve_endpoint(&self, service: Service) -> Result<Endpoint> {
        Endpoint::resolve(service, &self.region_or_default(), self.env, self.endpoint)
            .map_err(|e| e.with_provider(self.provider))
    }

    /// The credential source: the configured keys (with the session token), else the named
    /// profile (cached), else [`default_provider`] over [`env`](Self::env).
    ///
    /// A key id without a secret (or the reverse) is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn credential_provider(&self) -> Result<Arc<dyn CredentialProvider>> {
        match (self.access_key_id, self.secret_access_key) {
            (Some(id), Some(secret)) => {
                let mut creds = Credentials::new(id, secret.clone());
                creds.session_token = self.session_token.cloned();
                Ok(Arc::new(StaticProvider::new(creds)))
            }
            (None, None) => Ok(match self.profile {
                Some(profile) => Arc::new(CachedProvider::new(Arc::new(
                    ProfileProvider::new(self.env.clone()).with_profile(profile),
                ))),
                None => default_provider(self.env.clone()),
            }),
            _ => Err(Error::invalid_input(
                "an access key id and a secret access key go together; one of them is missing",
            )
            .with_provider(self.provider)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    #[tokio::test]
    async fn keys_then_profile_then_chain() {
        let env = Env::from_pairs([
            ("AWS_ACCESS_KEY_ID", "ENVKEY"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("HOME", "/nonexistent-home-for-tests"),
        ]);
        let secret = Secret::from("s3cr3t");
        let token = Secret::from("tok");
        let keys = AwsSettings {
            access_key_id: Some("AKID"),
            secret_access_key: Some(&secret),
            session_token: Some(&token),
            profile: Some("ignored"),
            ..AwsSettings::new("test", &env)
        };
        let creds = keys
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap();
        assert_eq!(creds.key_id, "AKID");
        assert_eq!(creds.session_token.unwrap().expose(), "tok");

        let chain = AwsSettings::new("test", &env);
        let creds = chain
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap();
        assert_eq!(creds.key_id, "ENVKEY");

        let profile = AwsSettings {
            profile: Some("missing"),
            ..AwsSettings::new("test", &env)
        };
        let err = profile
            .credential_provider()
            .unwrap()
            .credentials()
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);

        for half in [
            AwsSettings {
                access_key_id: Some("AKID"),
                ..AwsSettings::new("test", &env)
            },
            AwsSettings {
                secret_access_key: Some(&secret),
                ..AwsSettings::new("test", &env)
            },
        ] {
            let err = half.credential_provider().unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput);
            assert_eq!(err.provider(), Some("test"));
        }
    }

    #[test]
    fn region_and_endpoint() {
        let env = Env::from_pairs([(
            "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING",
            "http://127.0.0.1:7001",
        )]);
        let region: Region = "eu-west-1".parse().unwrap();
        let settings = AwsSettings {
            region: Some(&region),
            ..AwsSettings::new("test", &env)
        };
        assert_eq!(settings.region_or_default().as_str(), "eu-west-1");
        assert_eq!(
            settings
                .resolve_endpoint(Service::ElasticLoadBalancing)
                .unwrap()
                .url(),
            "http://127.0.0.1:7001"
        );
        assert_eq!(
            settings.resolve_endpoint(Service::Ec2).unwrap().url(),
            "https://ec2.eu-west-1.amazonaws.com"
        );
        let bare = AwsSettings::new("test", &env);
        assert_eq!(bare.region_or_default(), Region::US_EAST_1);
        let err = AwsSettings {
            endpoint: Some("ftp://x"),
            ..bare
        }
        .resolve_endpoint(Service::Ec2)
        .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.provider(), Some("test"));
    }
}
