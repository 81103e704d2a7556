//! Small pieces the four APIs share: the `extra` map and timestamps.

use std::collections::BTreeMap;
use std::time::SystemTime;

/// Provider-specific attributes of a model that the uniform API has no field for.
///
/// Keys are the provider's own names; values are JSON so that any shape fits.
pub type Extra = BTreeMap<String, serde_json::Value>;

/// Serializes an optional [`SystemTime`] as an RFC 3339 string (`2026-11-27T06:34:13Z`).
pub mod rfc3339_opt {
    use super::SystemTime;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the time as RFC 3339 text, or `null`.
    pub fn serialize<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&humantime::format_rfc3339(*t).to_string()),
            None => s.serialize_none(),
        }
    }

    /// Reads RFC 3339 text, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemTime>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| humantime::parse_rfc3339_weak(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Formats a time as Libcloud's BIND header does: `2026-11-27 06:34:13`.
pub fn format_utc(t: SystemTime) -> String {
    let s = humantime::format_rfc3339_seconds(t).to_string();
    s.trim_end_matches('Z').replacen('T', " ", 1)
}

/// Parses an RFC 3339 / ISO 8601 timestamp as clouds send them (`2026-01-02T03:04:05.000Z`).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(text.trim()).ok()
}
