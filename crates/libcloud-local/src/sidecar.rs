//! The metadata file kept beside each object: its hash, content type and user metadata.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use libcloud_core::hash::md5_hex;
use serde::{Deserialize, Serialize};

/// The sidecar format version written by this crate.
const FORMAT: u32 = 1;

/// What is stored about an object besides its bytes.
///
/// `size` and the modification time describe the data file as it was when the sidecar was
/// written, so that a data file changed behind the driver's back is noticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sidecar {
    /// The format version.
    pub format: u32,
    /// The object's full name, so that a sidecar file can be read on its own.
    pub name: String,
    /// The data file's size in bytes.
    pub size: u64,
    /// The data file's modification time: seconds since the Unix epoch.
    pub mtime_secs: u64,
    /// The data file's modification time: nanoseconds within the second.
    pub mtime_nanos: u32,
    /// The lower-case hex MD5 of the data.
    pub md5: String,
    /// The content type.
    pub content_type: String,
    /// User metadata.
    #[serde(default)]
    pub meta_data: BTreeMap<String, String>,
}

/// How far a sidecar can be trusted for the data file it sits beside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Size and modification time match: everything in it holds.
    Full,
    /// The size matches but the file was touched (or copied without its timestamps): the content
    /// type and metadata are kept, the hash must be computed again.
    KeepMetadata,
    /// Missing, unreadable, or about different bytes: ignore it.
    None,
}

impl Sidecar {
    /// A sidecar for a data file of `size` bytes last modified at `mtime`.
    pub fn new(
        name: &str,
        size: u64,
        mtime: SystemTime,
        md5: String,
        content_type: String,
        meta_data: BTreeMap<String, String>,
    ) -> Self {
        let since = mtime
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Sidecar {
            format: FORMAT,
            name: name.to_owned(),
            size,
            mtime_secs: since.as_secs(),
            mtime_nanos: since.subsec_nanos(),
            md5,
            content_type,
            meta_data,
        }
    }

    /// Parses a sidecar file's bytes; anything unreadable is `None`.
    pub fn parse(bytes: &[u8]) -> Option<Sidecar> {
        serde_json::from_slice(bytes).ok()
    }

    /// The sidecar as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain strings and numbers cannot fail; an empty file would only be read
        // back as "no sidecar".
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// How far this sidecar holds for object `name` whose data file has `size` bytes and was
    /// last modified at `mtime`.
    pub fn trust(&self, name: &str, size: u64, mtime: Option<SystemTime>) -> Trust {
        if self.format != FORMAT || self.name != name || self.size != size {
            return Trust::None;
        }
        let same_time = mtime
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .is_some_and(|d| {
                d.as_secs() == self.mtime_secs && d.subsec_nanos() == self.mtime_nanos
            });
        if same_time && is_md5_hex(&self.md5) {
            Trust::Full
        } else {
            Trust::KeepMetadata
        }
    }
}

fn is_md5_hex(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Where the sidecar of object `name` in `container` lives under the metadata folder `meta`:
/// `<meta>/<container>/<first two hex digits>/<md5 of the name>.json`.
///
/// Naming sidecars by a hash of the object name means no object name can collide with one (with
/// a mirrored tree, object `x` would own `x.json` while object `x.json/y` needs a folder of that
/// name), and a long name never makes a file name too long.
pub fn path(meta: &Path, container: &str, name: &str) -> PathBuf {
    let digest = md5_hex(name.as_bytes());
    meta.join(container)
        .join(&digest[..2])
        .join(format!("{digest}.json"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample(mtime: SystemTime) -> Sidecar {
        Sidecar::new(
            "a/b",
            3,
            mtime,
            md5_hex(b"abc"),
            "text/plain".into(),
            BTreeMap::from([("k".to_string(), "v".to_string())]),
        )
    }

    #[test]
    fn round_trips_through_json() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        let s = sample(t);
        assert_eq!(Sidecar::parse(&s.to_json()).unwrap(), s);
        assert_eq!(Sidecar::parse(b"{not json"), None);
    }

    #[test]
    fn trust_depends_on_name_size_and_time() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 5);
        let s = sample(t);
        assert_eq!(s.trust("a/b", 3, Some(t)), Trust::Full);
        assert_eq!(
            s.trust("a/b", 3, Some(t + Duration::from_nanos(1))),
            Trust::KeepMetadata
        );
        assert_eq!(s.trust("a/b", 3, None), Trust::KeepMetadata);
        assert_eq!(s.trust("a/b", 4, Some(t)), Trust::None);
        assert_eq!(s.trust("a/c", 3, Some(t)), Trust::None);
        let mut bad = s.clone();
        bad.md5 = "XYZ".into();
        assert_eq!(bad.trust("a/b", 3, Some(t)), Trust::KeepMetadata);
    }

    #[test]
    fn paths_are_spread_by_name_hash() {
        let p = path(Path::new("m"), "c", "x.json/y");
        let digest = md5_hex(b"x.json/y");
        assert_eq!(
            p,
            Path::new("m")
                .join("c")
                .join(&digest[..2])
                .join(format!("{digest}.json"))
        );
        assert_ne!(
            path(Path::new("m"), "c", "x"),
            path(Path::new("m"), "c", "x.json")
        );
    }
}
