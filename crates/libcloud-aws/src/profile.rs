//! The shared AWS files: `~/.aws/credentials` and `~/.aws/config`.
//!
//! Both are small INI files. The credentials file names its sections after the profile
//! (`[default]`, `[work]`); the config file writes `[default]` and `[profile work]`. A profile's
//! settings are the union of both, the credentials file winning where both set a key.
//!
//! Rules of the format as read here: lines starting with `#` or `;` are comments; a section
//! header is `[name]`, optionally followed by a comment; a property is `key = value`, keys are
//! compared without regard to case, and values are kept verbatim after trimming (no inline
//! comments, as the AWS CLI reads them); an indented `key = value` line under a property whose
//! value is empty is a sub-property, stored as `parent.key` (`s3 =` / `  addressing_style = path`
//! gives `s3.addressing_style`). A property before any section, or a line that is none of these,
//! makes the file malformed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use libcloud_core::{Error, ErrorKind, Result};
use tokio::io::AsyncReadExt;

use crate::env::Env;
use crate::region::Region;

/// Files larger than this are refused rather than read whole.
const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// The profile used when neither the caller nor `AWS_PROFILE` names one.
pub const DEFAULT_PROFILE: &str = "default";

/// The name of the profile to use: `AWS_PROFILE`, else `default`.
pub fn profile_name(env: &Env) -> String {
    env.get("AWS_PROFILE")
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_PROFILE.to_string())
}

/// Where the credentials file is: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
///
/// `None` when neither that variable nor a home directory is set.
pub fn credentials_file_path(env: &Env) -> Option<PathBuf> {
    match env.get("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) => Some(env.expand_home(&p)),
        None => env.home_dir().map(|h| h.join(".aws").join("credentials")),
    }
}

/// Where the config file is: `AWS_CONFIG_FILE`, else `~/.aws/config`.
///
/// `None` when neither that variable nor a home directory is set.
pub fn config_file_path(env: &Env) -> Option<PathBuf> {
    match env.get("AWS_CONFIG_FILE") {
        Some(p) => Some(env.expand_home(&p)),
        None => env.home_dir().map(|h| h.join(".aws").join("config")),
    }
}

/// The settings of one profile, merged from both files.
///
/// `Debug` prints the keys but not the values, which include secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Profile {
    name: String,
    properties: BTreeMap<String, String>,
}

impl Profile {
    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of `key` (compared in lower case), if the profile sets it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The keys the profile sets, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.properties.keys().map(String::as_str)
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("keys", &self.properties.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What happened when one of the two files was looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Its path could not be worked out (no variable and no home directory).
    NoPath,
    /// Nothing is at the path.
    Missing(PathBuf),
    /// The file was read.
    Read(PathBuf),
}

impl fmt::Display for FileStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileStatus::NoPath => f.write_str("no path (HOME is not set)"),
            FileStatus::Missing(p) => write!(f, "{} (missing)", p.display()),
            FileStatus::Read(p) => write!(f, "{}", p.display()),
        }
    }
}

type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// Both shared files, read and parsed.
#[derive(Clone)]
pub struct ProfileFiles {
    credentials: Sections,
    config: Sections,
    credentials_status: FileStatus,
    config_status: FileStatus,
}

impl fmt::Debug for ProfileFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileFiles")
            .field("credentials", &self.credentials_status)
            .field("config", &self.config_status)
            .finish()
    }
}

impl ProfileFiles {
    /// Reads the files that `env` points to (see [`credentials_file_path`], [`config_file_path`]).
    ///
    /// Missing files are not an error: they count as empty. An unreadable or malformed file is
    /// [`ErrorKind::InvalidInput`], naming the file and line.
    pub async fn load(env: &Env) -> Result<Self> {
        Self::load_paths(
            credentials_file_path(env).as_deref(),
            config_file_path(env).as_deref(),
        )
        .await
    }

    /// Reads the files at these paths; `None` skips a file.
    pub async fn load_paths(credentials: Option<&Path>, config: Option<&Path>) -> Result<Self> {
        let (credentials, credentials_status) = read_sections(credentials).await?;
        let (config, config_status) = read_sections(config).await?;
        Ok(ProfileFiles {
            credentials,
            config,
            credentials_status,
            config_status,
        })
    }

    /// Parses the two files from text, for callers that hold them already.
    pub fn parse(credentials: &str, config: &str) -> Result<Self> {
        Ok(ProfileFiles {
            credentials: parse_ini(credentials, "credentials file")?,
            config: parse_ini(config, "config file")?,
            credentials_status: FileStatus::NoPath,
            config_status: FileStatus::NoPath,
        })
    }

    /// What was found of the credentials file.
    pub fn credentials_status(&self) -> &FileStatus {
        &self.credentials_status
    }

    /// What was found of the config file.
    pub fn config_status(&self) -> &FileStatus {
        &self.config_status
    }

    /// The profile `name`, or `None` when neither file has a section for it.
    ///
    /// In the config file, `[profile default]` is preferred to `[default]`; other profiles must be
    /// written `[profile name]`.
    pub fn profile(&self, name: &str) -> Option<Profile> {
        let from_config = {
            let prefixed = self.config.get(&format!("profile {name}"));
            if name == DEFAULT_PROFILE {
                prefixed.or_else(|| self.config.get(DEFAULT_PROFILE))
            } else {
                prefixed
            }
        };
        let from_credentials = self.credentials.get(name);
        if from_config.is_none() && from_credentials.is_none() {
            return None;
        }
        let mut properties = from_config.cloned().unwrap_or_default();
        if let Some(creds) = from_credentials {
            properties.extend(creds.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Some(Profile {
            name: name.to_string(),
            properties,
        })
    }

    /// The `region` the profile sets, if any; a value that is not a region name is an error.
    pub fn region(&self, profile: &str) -> Result<Option<Region>> {
        match self.profile(profile).as_ref().and_then(|p| p.get("region")) {
            None => Ok(None),
            Some(r) => Region::new(r.trim()).map(Some).map_err(|e| {
                e.with_message(format!(
                    "profile {profile:?} sets a region that is not a region name"
                ))
            }),
        }
    }
}

/// The region to use from the environment: `AWS_REGION`, `AWS_DEFAULT_REGION`, then the `region`
/// of the current profile in the config file; `None` when nothing names one.
pub async fn load_region(env: &Env) -> Result<Option<Region>> {
    if let Some(region) = Region::from_env(env)? {
        return Ok(Some(region));
    }
    let files = ProfileFiles::load(env).await?;
    files.region(&profile_name(env))
}

async fn read_sections(path: Option<&Path>) -> Result<(Sections, FileStatus)> {
    let Some(path) = path else {
        return Ok((Sections::new(), FileStatus::NoPath));
    };
    let file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Sections::new(), FileStatus::Missing(path.to_path_buf())));
        }
        Err(e) => return Err(file_error(path, "cannot be opened").with_source(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| file_error(path, "cannot be read").with_source(e))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(file_error(path, "is larger than 1 MiB"));
    }
    let text = String::from_utf8(bytes).map_err(|_| file_error(path, "is not UTF-8 text"))?;
    let sections = parse_ini(&text, &path.display().to_string())?;
    Ok((sections, FileStatus::Read(path.to_path_buf())))
}

fn file_error(path: &Path, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("{} {what}", path.display()),
    )
    .with_provider("aws")
}

/// Parses the INI dialect of the AWS shared files into sections of lower-cased keys.
///
/// `origin` names the text in error messages. Messages give line numbers, never line contents,
/// since the lines may hold secrets.
fn parse_ini(text: &str, origin: &str) -> Result<Sections> {
    let malformed = |line: usize, what: &str| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("{origin}, line {line}: {what}"),
        )
        .with_provider("aws")
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections = Sections::new();
    let mut section: Option<String> = None;
    // The last top-level property of the current section, for indented sub-properties.
    let mut parent: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            let Some(close) = line.find(']') else {
                return Err(malformed(number, "section header without ']'"));
            };
            let rest = line[close + 1..].trim_start();
            if !(rest.is_empty() || rest.starts_with('#') || rest.starts_with(';')) {
                return Err(malformed(number, "text after a section header"));
            }
            let name = normalize_section(&line[1..close]);
            if name.is_empty() {
                return Err(malformed(number, "empty section name"));
            }
            sections.entry(name.clone()).or_default();
            section = Some(name);
            parent = None;
            continue;
        }
        let Some(current) = section.as_ref() else {
            return Err(malformed(number, "a property before any [section]"));
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(malformed(number, "expected 'key = value'"));
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(malformed(number, "a property without a name"));
        }
        let value = value.trim().to_string();
        let indented = raw.starts_with([' ', '\t']);
        let props = sections.entry(current.clone()).or_default();
        match (&parent, indented) {
            (Some(p), true) if props.get(p).is_some_and(String::is_empty) => {
                props.insert(format!("{p}.{key}"), value);
            }
            _ => {
                props.insert(key.clone(), value);
                parent = Some(key);
            }
        }
    }
    Ok(sections)
}

/// `[ profile   work ]` and `[profile work]` name the same section.
fn normalize_section(inner: &str) -> String {
    inner.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_sections_comments_and_sub_properties() {
        let text = "\u{feff}# leading comment\n\
                    [default]\n\
                    aws_access_key_id = AKID\n\
                    AWS_Secret_Access_Key=se=cret # not a comment\n\
                    ; another comment\n\
                    [ profile   work ] # trailing comment\n\
                    region = eu-west-1\n\
                    s3 =\n  addressing_style = path\n\tmax_concurrent_requests = 4\n\
                    output = json\n";
        let s = parse_ini(text, "t").unwrap();
        assert_eq!(s["default"]["aws_access_key_id"], "AKID");
        assert_eq!(
            s["default"]["aws_secret_access_key"],
            "se=cret # not a comment"
        );
        assert_eq!(s["profile work"]["region"], "eu-west-1");
        assert_eq!(s["profile work"]["s3.addressing_style"], "path");
        assert_eq!(s["profile work"]["s3.max_concurrent_requests"], "4");
        assert_eq!(s["profile work"]["output"], "json");
    }

    #[test]
    fn malformed_files_name_the_line_but_not_its_text() {
        for (text, line) in [
            ("key = value\n", 1),
            ("[default\n", 1),
            ("[default]\nno equals sign here SECRET\n", 2),
            ("[default]\n = v\n", 2),
            ("[]\n", 1),
            ("[a] junk\n", 1),
        ] {
            let err = parse_ini(text, "f").unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput);
            let shown = err.to_string();
            assert!(shown.contains(&format!("line {line}")), "{shown}");
            assert!(!shown.contains("SECRET"), "{shown}");
        }
    }

    #[test]
    fn profiles_merge_both_files_credentials_winning() {
        let files = ProfileFiles::parse(
            "[work]\naws_access_key_id = FROMCREDS\n",
            "[profile work]\naws_access_key_id = FROMCONFIG\nregion = us-west-2\n\
             [work2]\nregion = eu-west-1\n[default]\nregion = eu-north-1\n",
        )
        .unwrap();
        let work = files.profile("work").unwrap();
        assert_eq!(work.get("AWS_ACCESS_KEY_ID"), Some("FROMCREDS"));
        assert_eq!(work.get("region"), Some("us-west-2"));
        // In the config file a non-default profile needs the `profile ` prefix.
        assert!(files.profile("work2").is_none());
        assert_eq!(
            files.region("default").unwrap().unwrap().as_str(),
            "eu-north-1"
        );
        assert_eq!(files.region("nobody").unwrap(), None);
        assert!(!format!("{work:?}").contains("FROMCREDS"));
    }

    #[test]
    fn profile_default_prefers_the_prefixed_section() {
        let files = ProfileFiles::parse(
            "",
            "[default]\nregion = us-east-2\n[profile default]\nregion = ap-south-1\n",
        )
        .unwrap();
        assert_eq!(
            files.region("default").unwrap().unwrap().as_str(),
            "ap-south-1"
        );
        let bad = ProfileFiles::parse("", "[default]\nregion = not a region\n").unwrap();
        assert_eq!(
            *bad.region("default").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn paths_come_from_the_environment() {
        let env = Env::from_pairs([("HOME", "/home/u")]);
        assert_eq!(
            credentials_file_path(&env).unwrap(),
            PathBuf::from("/home/u/.aws/credentials")
        );
        assert_eq!(
            config_file_path(&env).unwrap(),
            PathBuf::from("/home/u/.aws/config")
        );
        assert_eq!(profile_name(&env), "default");
        let env = Env::from_pairs([
            ("HOME", "/home/u"),
            ("AWS_SHARED_CREDENTIALS_FILE", "~/creds"),
            ("AWS_CONFIG_FILE", "/etc/aws.conf"),
            ("AWS_PROFILE", "ci"),
        ]);
        assert_eq!(
            credentials_file_path(&env).unwrap(),
            PathBuf::from("/home/u/creds")
        );
        assert_eq!(
            config_file_path(&env).unwrap(),
            PathBuf::from("/etc/aws.conf")
        );
        assert_eq!(profile_name(&env), "ci");
        assert_eq!(
            credentials_file_path(&Env::from_pairs::<_, &str, &str>([])),
            None
        );
    }

    #[tokio::test]
    async fn load_reads_files_and_tolerates_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(&config, "[profile ci]\nregion = ca-west-1\n").unwrap();
        let env = Env::from_pairs([
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.path().join("nope").to_str().unwrap(),
            ),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("AWS_PROFILE", "ci"),
        ]);
        let files = ProfileFiles::load(&env).await.unwrap();
        assert!(matches!(files.credentials_status(), FileStatus::Missing(_)));
        assert!(matches!(files.config_status(), FileStatus::Read(_)));
        assert_eq!(
            load_region(&env).await.unwrap().unwrap().as_str(),
            "ca-west-1"
        );

        // The environment wins over the file.
        let mut pairs = vec![("AWS_REGION".to_string(), "sa-east-1".to_string())];
        pairs.push(("AWS_CONFIG_FILE".into(), config.to_str().unwrap().into()));
        let env2 = Env::from_pairs(pairs);
        assert_eq!(
            load_region(&env2).await.unwrap().unwrap().as_str(),
            "sa-east-1"
        );
    }

    #[tokio::test]
    async fn unreadable_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("bin");
        std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).unwrap();
        let err = ProfileFiles::load_paths(Some(&binary), None)
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("UTF-8"));
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'#'; (MAX_FILE_SIZE + 10) as usize]).unwrap();
        let err = ProfileFiles::load_paths(None, Some(&big))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("1 MiB"));
        // A directory where a file should be cannot be read.
        let err = ProfileFiles::load_paths(Some(dir.path()), None)
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    }
}
