//! Secrets and credentials that never print.

use std::fmt;

/// A secret string (a password, an API key, a secret access key).
///
/// `Debug` and `Display` print `***`; only [`Secret::expose`] gives the value, so a secret cannot
/// reach a log or an error message by accident.
///
/// ```
/// use libcloud_core::Secret;
/// let s = Secret::new("hunter2");
/// assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
/// assert_eq!(s.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value. Call it only where the value is sent or used to sign.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An access key and its secret, with an optional session token (AWS, GoGrid, API-key clouds).
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Credentials {
    /// The public key id (`AWS_ACCESS_KEY_ID`, an API key, a user name).
    pub key_id: String,
    /// The secret that proves it.
    pub secret: Secret,
    /// A session token, for temporary credentials.
    #[serde(default)]
    pub session_token: Option<Secret>,
}

impl Credentials {
    /// Credentials from a key id and its secret.
    pub fn new(key_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Credentials {
            key_id: key_id.into(),
            secret: secret.into(),
            session_token: None,
        }
    }

    /// Adds a session token.
    pub fn with_session_token(mut self, token: impl Into<Secret>) -> Self {
        self.session_token = Some(token.into());
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key_id", &self.key_id)
            .field("secret", &self.secret)
            .field("session_token", &self.session_token.as_ref().map(|_| "***"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI").with_session_token("tok-123");
        let shown = format!("{c:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("wJalrXUtnFEMI"));
        assert!(!shown.contains("tok-123"));
    }
}
