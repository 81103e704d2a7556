//! How to reach S3: region, endpoint, addressing, credentials, checksums and multipart sizes.

use std::str::FromStr;
use std::sync::Arc;

use libcloud_aws::profile::{ProfileFiles, config_file_path, profile_name};
use libcloud_aws::{
    AddressingStyle, CachedProvider, CredentialProvider, Env, ProfileProvider, Region,
    StaticProvider, default_provider,
};
use libcloud_core::multipart::MultipartConfig;
use libcloud_core::{Credentials, Error, Result, Secret};
use serde::{Deserialize, Deserializer};

use crate::client::PROVIDER;

const MIB: u64 = 1024 * 1024;

/// The part size used unless configured: 8 MiB.
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;
/// The smallest part S3 accepts (all parts but the last): 5 MiB.
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// The largest part S3 accepts: 5 GiB.
pub const MAX_PART_SIZE: usize = 5 * 1024 * 1024 * 1024;
/// Bodies smaller than this go up as one `PutObject` unless configured: 8 MiB.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 8 * MIB;
/// The largest object one `PutObject` may store, and so the largest threshold: 5 GiB.
pub const MAX_SINGLE_PUT: u64 = 5 * 1024 * MIB;
/// Parts in flight at once unless configured: 4.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The most parts that may be in flight at once: 64.
pub const MAX_CONCURRENCY: usize = 64;

/// The option keys [`S3Config::from_options`] accepts.
pub const OPTION_KEYS: &[&str] = &[
    "region",
    "endpoint",
    "addressing",
    "path_style",
    "checksum",
    "multipart_threshold",
    "part_size",
    "concurrency",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "profile",
    "provider_name",
];

/// How uploaded bytes are checked on their way to the server.
///
/// Every request that carries object bytes (a single `PutObject`, each `UploadPart`) carries a
/// checksum the server verifies before it stores anything, so a body damaged in transit is
/// refused and the previous object, if any, stays in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ChecksumMode {
    /// `Content-MD5` on each request (every S3-compatible store checks it), and the ETag of the
    /// stored object compared with the MD5 computed while sending, as Apache Libcloud does: for a
    /// single `PutObject` the ETag is the MD5 of the body; for a multipart upload each part's
    /// ETag is the MD5 of the part and the final ETag is the MD5 of the parts' MD5s, `-`, and the
    /// number of parts. Each byte is hashed once.
    #[default]
    Md5,
    /// `x-amz-checksum-crc32c` on each request (multipart uploads are started with
    /// `x-amz-checksum-algorithm: CRC32C` and completed with each part's checksum), and the
    /// checksum the server echoes compared with the one sent. CRC32C is several times faster
    /// than MD5 where the CPU has an instruction for it; the server must support the flexible
    /// checksums of 2022 (AWS, Garage 1.1 and later, recent MinIO).
    Crc32c,
    /// No checksum: the server trusts TLS (or the network). The ETag is not compared.
    None,
}

impl FromStr for ChecksumMode {
    type Err = Error;

    /// Parses `md5`, `crc32c` or `none` (any case).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md5" | "content-md5" => Ok(ChecksumMode::Md5),
            "crc32c" => Ok(ChecksumMode::Crc32c),
            "none" | "off" => Ok(ChecksumMode::None),
            _ => Err(Error::invalid_input(format!(
                "{s:?} is not a checksum mode (md5, crc32c or none)"
            ))
            .with_provider(PROVIDER)),
        }
    }
}

fn de_addressing<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<AddressingStyle, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// The settings of an [`S3Storage`](crate::S3Storage) driver.
///
/// Every field has a default: region `us-east-1`, AWS's own endpoint, [`AddressingStyle::Auto`]
/// (virtual-hosted on AWS, path style on a custom endpoint), [`ChecksumMode::Md5`], a multipart
/// threshold and part size of 8 MiB, 4 parts in flight, and credentials from the default AWS
/// chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, then the `AWS_PROFILE` profile of the
/// shared files). `Debug` never shows the secret key or session token.
///
/// It deserializes from a map with the same keys as [`S3Config::from_options`] (`region`,
/// `endpoint`, `addressing` or `path_style`, `checksum`, `multipart_threshold`, `part_size`,
/// `concurrency`, `access_key_id`, `secret_access_key`, `session_token`, `profile`,
/// `provider_name`), sizes as numbers of bytes.
///
/// ```
/// use libcloud_s3::{ChecksumMode, S3Config};
///
/// let config = S3Config::new()
///     .with_region("eu-west-1".parse().unwrap())
///     .with_endpoint("http://127.0.0.1:9000")
///     .with_path_style(true)
///     .with_checksum(ChecksumMode::Crc32c)
///     .with_part_size(16 * 1024 * 1024)
///     .with_credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG");
/// assert!(config.validate().is_ok());
/// assert!(!format!("{config:?}").contains("wJalrXUtnFEMI"));
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct S3Config {
    /// The region requests are signed for and buckets are created in; `us-east-1` when `None`.
    pub region: Option<Region>,
    /// A custom endpoint URL (an S3-compatible store, an emulator); AWS's own when `None`.
    pub endpoint: Option<String>,
    /// How buckets appear in URLs.
    #[serde(deserialize_with = "de_addressing")]
    pub addressing: AddressingStyle,
    /// Shorthand for `addressing`: `true` is path style, `false` virtual-hosted. Wins over
    /// `addressing` when set.
    pub path_style: Option<bool>,
    /// How uploads are checksummed.
    pub checksum: ChecksumMode,
    /// Bodies smaller than this many bytes are sent with one `PutObject`, larger ones as a
    /// multipart upload. At most [`MAX_SINGLE_PUT`].
    pub multipart_threshold: u64,
    /// Bytes per part of a multipart upload, from [`MIN_PART_SIZE`] to [`MAX_PART_SIZE`]. It
    /// grows, as needed, so that no upload needs more than 10,000 parts.
    pub part_size: usize,
    /// Parts in flight at once, from 1 to [`MAX_CONCURRENCY`].
    pub concurrency: usize,
    /// The access key id; with `secret_access_key`, it replaces the credential chain.
    pub access_key_id: Option<String>,
    /// The secret access key.
    pub secret_access_key: Option<Secret>,
    /// A session token, for temporary credentials.
    pub session_token: Option<Secret>,
    /// A profile of the shared AWS files to take credentials from instead of the default chain.
    pub profile: Option<String>,
    /// The name errors carry (`s3` unless set; an S3-compatible store may say `garage`).
    pub provider_name: Option<String>,
    /// Where the credential chain and `from_env` read variables.
    #[serde(skip)]
    env: Env,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            region: None,
            endpoint: None,
            addressing: AddressingStyle::Auto,
            path_style: None,
            checksum: ChecksumMode::Md5,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            part_size: DEFAULT_PART_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            profile: None,
            provider_name: None,
            env: Env::process(),
        }
    }
}

fn bad(message: impl Into<String>) -> Error {
    Error::invalid_input(message).with_provider(PROVIDER)
}

/// Parses a size: a number of bytes, optionally followed by `K`/`KiB`, `M`/`MiB` or `G`/`GiB`
/// (powers of 1024).
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| bad(format!("{text:?} is not a size (bytes, or with K, M or G)")))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => MIB,
        "g" | "gb" | "gib" => 1024 * MIB,
        _ => return Err(bad(format!("{text:?} has an unknown size unit"))),
    };
    n.checked_mul(factor)
        .ok_or_else(|| bad(format!("{text:?} is too large")))
}

fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(bad(format!("{key} must be true or false, not {value:?}"))),
    }
}

impl S3Config {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        S3Config::default()
    }

    /// Settings from the process environment, by the AWS tools' conventions: the region from
    /// `AWS_REGION`, `AWS_DEFAULT_REGION` or the `region` of the current profile in the shared
    /// config file; the endpoint from `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (unless
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`); the addressing style from the profile's
    /// `s3.addressing_style`; credentials from the default chain when the driver is built.
    ///
    /// A variable or profile setting that cannot be used (a region name with a space, an unknown
    /// addressing style) is [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput);
    /// the shared config file is read if it exists and is ignored if it does not.
    pub fn from_env() -> Result<Self> {
        Self::from_env_in(&Env::process())
    }

    /// [`from_env`](Self::from_env) over the variables of `env` instead of the process's; the
    /// credential chain of the built driver reads `env` too.
    pub fn from_env_in(env: &Env) -> Result<Self> {
        let mut config = S3Config {
            env: env.clone(),
            ..S3Config::default()
        };
        config.region = Region::from_env(env)?;
        let profile = read_profile_config(env)?;
        if config.region.is_none()
            && let Some(files) = &profile
        {
            config.region = files.region(&profile_name(env))?;
        }
        if let Some(files) = &profile
            && let Some(style) = files
                .profile(&profile_name(env))
                .and_then(|p| p.get("s3.addressing_style").map(str::to_string))
        {
            config.addressing = style.parse()?;
        }
        let ignore = env
            .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if !ignore {
            config.endpoint = env
                .get("AWS_ENDPOINT_URL_S3")
                .or_else(|| env.get("AWS_ENDPOINT_URL"))
                .map(|u| u.trim().to_string());
        }
        Ok(config)
    }

    /// [`from_env_in`](Self::from_env_in) with `options` applied over it: what a driver URL
    /// (`s3://bucket?region=eu-west-1&endpoint=http://127.0.0.1:9000`) or a configuration file
    /// gives. The keys are [`OPTION_KEYS`]; sizes take `K`, `M` and `G` suffixes (`16M`),
    /// `path_style` is `true` or `false`, `checksum` is `md5`, `crc32c` or `none`, and
    /// `addressing` is `auto`, `path` or `virtual`.
    ///
    /// An unknown key or a value that cannot be parsed is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput); the result is
    /// [validated](Self::validate).
    ///
    /// ```
    /// use libcloud_aws::Env;
    /// use libcloud_s3::S3Config;
    ///
    /// let env = Env::from_pairs([("AWS_REGION", "eu-west-1")]);
    /// let config = S3Config::from_options([("endpoint", "http://127.0.0.1:9000"), ("part_size", "16M")], &env)
    ///     .unwrap();
    /// assert_eq!(config.region.unwrap().as_str(), "eu-west-1");
    /// assert_eq!(config.part_size, 16 * 1024 * 1024);
    /// assert!(S3Config::from_options([("colour", "blue")], &env).is_err());
    /// ```
    pub fn from_options<I, K, V>(options: I, env: &Env) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut config = Self::from_env_in(env)?;
        for (key, value) in options {
            let key = key.as_ref().trim().to_ascii_lowercase();
            let value = value.as_ref().trim();
            match key.as_str() {
                "region" => config.region = Some(Region::new(value)?),
                "endpoint" => config.endpoint = Some(value.to_string()),
                "addressing" => config.addressing = value.parse()?,
                "path_style" => config.path_style = Some(parse_bool(&key, value)?),
                "checksum" => config.checksum = value.parse()?,
                "multipart_threshold" => config.multipart_threshold = parse_size(value)?,
                "part_size" => {
                    config.part_size = usize::try_from(parse_size(value)?)
                        .map_err(|_| bad("the part size is too large"))?;
                }
                "concurrency" => {
                    config.concurrency = value
                        .parse()
                        .map_err(|_| bad(format!("concurrency {value:?} is not a number")))?;
                }
                "access_key_id" => config.access_key_id = Some(value.to_string()),
                "secret_access_key" => config.secret_access_key = Some(Secret::new(value)),
                "session_token" => config.session_token = Some(Secret::new(value)),
                "profile" => config.profile = Some(value.to_string()),
                "provider_name" => config.provider_name = Some(value.to_string()),
                other => {
                    return Err(bad(format!(
                        "s3 has no option {other:?} (it takes: {})",
                        OPTION_KEYS.join(", ")
                    )));
                }
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Sets the region.
    pub fn with_region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// Sets a custom endpoint URL.
    pub fn with_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Sets the addressing style.
    pub fn with_addressing(mut self, style: AddressingStyle) -> Self {
        self.addressing = style;
        self.path_style = None;
        self
    }

    /// Forces path style (`true`) or virtual-hosted style (`false`).
    pub fn with_path_style(mut self, on: bool) -> Self {
        self.path_style = Some(on);
        self
    }

    /// Sets the checksum mode.
    pub fn with_checksum(mut self, mode: ChecksumMode) -> Self {
        self.checksum = mode;
        self
    }

    /// Sets the size below which a body goes up as one `PutObject`.
    pub fn with_multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// Sets the part size of multipart uploads.
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes;
        self
    }

    /// Sets how many parts are in flight at once.
    pub fn with_concurrency(mut self, parts: usize) -> Self {
        self.concurrency = parts;
        self
    }

    /// Uses these keys instead of the credential chain.
    pub fn with_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Self {
        self.access_key_id = Some(access_key_id.into());
        self.secret_access_key = Some(secret_access_key.into());
        self
    }

    /// Adds a session token to the keys.
    pub fn with_session_token(mut self, token: impl Into<Secret>) -> Self {
        self.session_token = Some(token.into());
        self
    }

    /// Takes credentials from this profile of the shared AWS files.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Names the provider differently in errors and in [`StorageDriver::name`](libcloud_core::StorageDriver::name).
    pub fn with_provider_name(mut self, name: impl Into<String>) -> Self {
        self.provider_name = Some(name.into());
        self
    }

    /// The region in effect: the configured one, else `us-east-1`.
    pub fn effective_region(&self) -> Region {
        self.region.clone().unwrap_or(Region::US_EAST_1)
    }

    /// The addressing style in effect: `path_style` when set, else `addressing`.
    pub fn effective_addressing(&self) -> AddressingStyle {
        match self.path_style {
            Some(true) => AddressingStyle::Path,
            Some(false) => AddressingStyle::VirtualHosted,
            None => self.addressing,
        }
    }

    /// Checks the limits: part size from 5 MiB to 5 GiB, concurrency from 1 to 64, threshold at
    /// most 5 GiB, and keys given in pairs. A breach is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput) saying which.
    pub fn validate(&self) -> Result<()> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.part_size) {
            return Err(bad(format!(
                "the part size must be between 5 MiB and 5 GiB, not {} bytes",
                self.part_size
            )));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(bad(format!(
                "the concurrency must be between 1 and {MAX_CONCURRENCY}, not {}",
                self.concurrency
            )));
        }
        if self.multipart_threshold > MAX_SINGLE_PUT {
            return Err(bad(format!(
                "the multipart threshold must be at most 5 GiB, not {} bytes",
                self.multipart_threshold
            )));
        }
        match (&self.access_key_id, &self.secret_access_key) {
            (Some(_), None) => Err(bad("access_key_id is set but secret_access_key is not")),
            (None, Some(_)) => Err(bad("secret_access_key is set but access_key_id is not")),
            _ if self.session_token.is_some() && self.access_key_id.is_none() => {
                Err(bad("session_token is set without access_key_id"))
            }
            _ => Ok(()),
        }
    }

    /// The credential source these settings name: the given keys, else the given profile, else
    /// the default chain (environment, then shared files), cached.
    pub fn credential_provider(&self) -> Result<Arc<dyn CredentialProvider>> {
        self.validate()?;
        if let (Some(key), Some(secret)) = (&self.access_key_id, &self.secret_access_key) {
            let mut creds = Credentials::new(key.clone(), secret.clone());
            if let Some(token) = &self.session_token {
                creds = creds.with_session_token(token.clone());
            }
            return Ok(Arc::new(StaticProvider::new(creds)));
        }
        if let Some(profile) = &self.profile {
            let provider = ProfileProvider::new(self.env.clone()).with_profile(profile.clone());
            return Ok(Arc::new(CachedProvider::new(Arc::new(provider))));
        }
        Ok(default_provider(self.env.clone()))
    }

    /// How the generic multipart writer splits bodies under these settings.
    pub fn multipart_config(&self) -> MultipartConfig {
        MultipartConfig {
            part_size: self.part_size,
            concurrency: self.concurrency,
            max_parts: 10_000,
            min_part_size: MIN_PART_SIZE,
            grow_part_size: true,
        }
    }
}

/// The shared config file, parsed, when there is one.
fn read_profile_config(env: &Env) -> Result<Option<ProfileFiles>> {
    let Some(path) = config_file_path(env) else {
        return Ok(None);
    };
    let text = match std::fs::read(&path) {
        Ok(bytes) if bytes.len() as u64 <= MIB => String::from_utf8(bytes)
            .map_err(|_| bad(format!("{} is not UTF-8 text", path.display())))?,
        Ok(_) => return Err(bad(format!("{} is larger than 1 MiB", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(bad(format!("{} cannot be read", path.display())).with_source(e));
        }
    };
    ProfileFiles::parse("", &text).map(Some)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("5").unwrap(), 5);
        assert_eq!(parse_size("16M").unwrap(), 16 * MIB);
        assert_eq!(parse_size(" 2 GiB ").unwrap(), 2048 * MIB);
        assert_eq!(parse_size("8kb").unwrap(), 8192);
        for bad in ["", "M", "-1", "5X", "99999999999999999999G", "1.5M"] {
            assert_eq!(
                *parse_size(bad).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn limits_are_checked() {
        assert!(S3Config::new().validate().is_ok());
        for config in [
            S3Config::new().with_part_size(MIN_PART_SIZE - 1),
            S3Config::new().with_part_size(MAX_PART_SIZE + 1),
            S3Config::new().with_concurrency(0),
            S3Config::new().with_concurrency(MAX_CONCURRENCY + 1),
            S3Config::new().with_multipart_threshold(MAX_SINGLE_PUT + 1),
            S3Config {
                access_key_id: Some("AKID".into()),
                ..S3Config::new()
            },
            S3Config {
                secret_access_key: Some("s".into()),
                ..S3Config::new()
            },
            S3Config::new().with_session_token("t"),
        ] {
            assert_eq!(
                *config.validate().unwrap_err().kind(),
                ErrorKind::InvalidInput
            );
            assert!(config.credential_provider().is_err());
        }
    }

    #[test]
    fn from_env_follows_aws_conventions() {
        let dir = std::env::temp_dir().join(format!("libcloud-s3-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config");
        std::fs::write(
            &file,
            "[profile work]\nregion = ap-south-1\ns3 =\n  addressing_style = path\n",
        )
        .unwrap();
        let file_text = file.display().to_string();
        let env = Env::from_pairs([
            ("AWS_CONFIG_FILE", file_text.as_str()),
            ("AWS_PROFILE", "work"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
        ]);
        let config = S3Config::from_env_in(&env).unwrap();
        assert_eq!(config.effective_region().as_str(), "ap-south-1");
        assert_eq!(config.effective_addressing(), AddressingStyle::Path);
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:1"));

        let env = Env::from_pairs([
            ("AWS_REGION", "eu-west-1"),
            ("AWS_CONFIG_FILE", file_text.as_str()),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        let config = S3Config::from_env_in(&env).unwrap();
        assert_eq!(config.effective_region().as_str(), "eu-west-1");
        assert_eq!(config.endpoint, None);
        assert_eq!(config.effective_addressing(), AddressingStyle::Auto);
        std::fs::remove_dir_all(&dir).unwrap();

        let env = Env::from_pairs([("AWS_REGION", "not a region")]);
        assert!(S3Config::from_env_in(&env).is_err());
    }

    #[test]
    fn options_override_the_environment() {
        let env = Env::from_pairs([("AWS_REGION", "eu-west-1")]);
        let config = S3Config::from_options(
            [
                ("Region", "us-west-2"),
                ("path_style", "true"),
                ("checksum", "CRC32C"),
                ("multipart_threshold", "1M"),
                ("concurrency", "8"),
                ("access_key_id", "AKID"),
                ("secret_access_key", "zzsecretzz"),
                ("provider_name", "garage"),
            ],
            &env,
        )
        .unwrap();
        assert_eq!(config.effective_region().as_str(), "us-west-2");
        assert_eq!(config.effective_addressing(), AddressingStyle::Path);
        assert_eq!(config.checksum, ChecksumMode::Crc32c);
        assert_eq!(config.multipart_threshold, MIB);
        assert_eq!(config.concurrency, 8);
        assert!(!format!("{config:?}").contains("zzsecretzz"));
        for bad in [
            ("path_style", "maybe"),
            ("checksum", "sha1"),
            ("concurrency", "many"),
            ("part_size", "1K"),
            ("addressing", "sideways"),
            ("bucket", "x"),
        ] {
            let err = S3Config::from_options([bad], &env).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn deserializes_from_a_map() {
        let config: S3Config = serde_json::from_value(serde_json::json!({
            "region": "eu-central-1",
            "endpoint": "http://127.0.0.1:9000",
            "addressing": "virtual",
            "checksum": "none",
            "part_size": 6291456,
            "access_key_id": "AKID",
            "secret_access_key": "zzsecretzz",
        }))
        .unwrap();
        assert_eq!(
            config.effective_addressing(),
            AddressingStyle::VirtualHosted
        );
        assert_eq!(config.checksum, ChecksumMode::None);
        assert_eq!(config.part_size, 6 * MIB as usize);
        assert!(config.validate().is_ok());
        assert!(!format!("{config:?}").contains("zzsecretzz"));
        assert!(serde_json::from_value::<S3Config>(serde_json::json!({"nope": 1})).is_err());
        assert!(serde_json::from_value::<S3Config>(serde_json::json!({"region": "a b"})).is_err());
    }
}
