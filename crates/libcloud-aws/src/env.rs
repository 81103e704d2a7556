//! Where configuration is read from: the process environment, or a map that stands in for it.
//!
//! Every function in this crate that looks at `AWS_*` variables takes an [`Env`], so tests (and
//! programs that keep their configuration elsewhere) can hand over an explicit map instead of
//! changing the process environment, which is shared by every thread.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A source of environment variables: the real process environment, or a fixed map.
///
/// Empty values count as unset, as the AWS tools treat them. `Debug` prints neither names nor
/// values, because the environment holds secrets.
///
/// ```
/// use libcloud_aws::Env;
///
/// let env = Env::from_pairs([("AWS_REGION", "eu-west-1"), ("AWS_PROFILE", "")]);
/// assert_eq!(env.get("AWS_REGION").as_deref(), Some("eu-west-1"));
/// assert_eq!(env.get("AWS_PROFILE"), None);
/// ```
#[derive(Clone, Default)]
pub struct Env {
    vars: Option<Arc<BTreeMap<String, String>>>,
}

impl Env {
    /// The environment of this process, read at each [`Env::get`].
    pub fn process() -> Self {
        Env { vars: None }
    }

    /// An environment made of exactly these variables and no others.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Env {
            vars: Some(Arc::new(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
        }
    }

    /// The value of `name`, or `None` when it is unset, empty, or not valid Unicode.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &self.vars {
            None => std::env::var(name).ok(),
            Some(map) => map.get(name).cloned(),
        };
        value.filter(|v| !v.is_empty())
    }

    /// The user's home directory: `HOME`, or `USERPROFILE` where `HOME` is unset.
    pub fn home_dir(&self) -> Option<PathBuf> {
        self.get("HOME")
            .or_else(|| self.get("USERPROFILE"))
            .map(PathBuf::from)
    }

    /// `path` with a leading `~/` replaced by the home directory, when there is one.
    pub fn expand_home(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), self.home_dir()) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.vars {
            None => f.write_str("Env(process)"),
            Some(map) => write!(f, "Env({} variables)", map.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_hide_their_values_and_expand_home() {
        let env = Env::from_pairs([("HOME", "/home/u"), ("SECRET", "s3cr3t")]);
        assert_eq!(format!("{env:?}"), "Env(2 variables)");
        assert_eq!(env.expand_home("~/x/y"), PathBuf::from("/home/u/x/y"));
        assert_eq!(env.expand_home("/abs"), PathBuf::from("/abs"));
        let no_home = Env::from_pairs([("USERPROFILE", "C:\\Users\\u")]);
        assert_eq!(no_home.home_dir(), Some(PathBuf::from("C:\\Users\\u")));
        assert_eq!(Env::from_pairs::<_, String, String>([]).home_dir(), None);
    }
}
