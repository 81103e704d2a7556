//! Helpers for live tests against real servers (the emulators `cargo xtask emulators up`
//! starts, or a real cloud).
//!
//! A live test finds its server through an environment variable such as
//! `LIBCLOUD_TEST_S3_ENDPOINT`. Without it the test is skipped with a printed reason, unless
//! [`REQUIRE_LIVE_VAR`] (`LIBCLOUD_REQUIRE_LIVE=1`, set by CI) says the servers must be there:
//! then a missing variable fails the test instead of skipping it.

use rand::Rng;

/// The environment variable that turns a missing endpoint from a skip into a failure.
pub const REQUIRE_LIVE_VAR: &str = "LIBCLOUD_REQUIRE_LIVE";

/// The value of the environment variable `var`, trimmed, when it is set and not blank.
pub fn endpoint(var: &str) -> Option<String> {
    endpoint_from(std::env::var(var).ok())
}

/// The endpoint in a raw variable value: trimmed, `None` when missing or blank.
pub fn endpoint_from(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether live tests must run rather than skip: [`REQUIRE_LIVE_VAR`] is `1` or `true`.
pub fn live_required() -> bool {
    required_from(std::env::var(REQUIRE_LIVE_VAR).ok().as_deref())
}

/// Whether a raw value of [`REQUIRE_LIVE_VAR`] requires live tests.
pub fn required_from(value: Option<&str>) -> bool {
    matches!(
        value.map(str::trim),
        Some(v) if v == "1" || v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("yes")
    )
}

/// The message a test skipped for lack of `var` prints.
pub fn skip_message(var: &str) -> String {
    format!("skipped: {var} not set (run cargo xtask emulators up)")
}

/// Handles a missing endpoint variable: panics when `required`, otherwise prints the skip
/// message. [`require_live!`](crate::require_live) calls this with [`live_required`].
pub fn missing(var: &str, required: bool) {
    if required {
        panic!("{var} is not set, but {REQUIRE_LIVE_VAR}=1 requires live tests to run");
    }
    println!("{}", skip_message(var));
}

/// A unique name for a resource a test creates: `<prefix>-<8 hex>`.
///
/// The prefix is kept as given, so it should already be valid where the name is used (S3
/// bucket names: lower-case letters, digits and hyphens).
pub fn unique_name(prefix: &str) -> String {
    let suffix: u32 = rand::thread_rng().r#gen();
    format!("{prefix}-{suffix:08x}")
}

/// Evaluates to the value of an endpoint environment variable, or, when it is missing,
/// prints `skipped: <var> not set (run cargo xtask emulators up)` and returns from the
/// enclosing test (which must return `()`) — unless `LIBCLOUD_REQUIRE_LIVE=1`, when it panics
/// so that CI fails rather than skips.
///
/// ```no_run
/// #[tokio::test]
/// async fn s3_against_minio() {
///     let endpoint = libcloud_testkit::require_live!("LIBCLOUD_TEST_S3_ENDPOINT");
///     println!("testing against {endpoint}");
/// }
/// ```
#[macro_export]
macro_rules! require_live {
    ($var:expr) => {
        match $crate::live::endpoint($var) {
            ::std::option::Option::Some(value) => value,
            ::std::option::Option::None => {
                $crate::live::missing($var, $crate::live::live_required());
                return;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_trimmed_and_blank_is_missing() {
        assert_eq!(endpoint_from(None), None);
        assert_eq!(endpoint_from(Some("  ".into())), None);
        assert_eq!(
            endpoint_from(Some(" http://127.0.0.1:9000\n".into())).as_deref(),
            Some("http://127.0.0.1:9000")
        );
    }

    #[test]
    fn require_live_values() {
        assert!(required_from(Some("1")));
        assert!(required_from(Some("true")));
        assert!(!required_from(Some("0")));
        assert!(!required_from(Some("")));
        assert!(!required_from(None));
    }
}
