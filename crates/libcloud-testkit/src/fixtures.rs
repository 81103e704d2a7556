//! Finding recorded provider responses (Apache Libcloud's fixtures) for replay tests.
//!
//! The fixtures are not part of this project; they live beside the workspace, in
//! `<workspace root>/../shared/fixtures/<provider>/`, or wherever the environment variable
//! [`ENV_VAR`] (`LIBCLOUD_FIXTURES_DIR`) points: a directory holding one sub-directory per
//! provider. Tests that need them start with [`require_fixtures!`](crate::require_fixtures),
//! which skips them with a printed reason when the fixtures are absent.

use std::path::{Path, PathBuf};

use bytes::Bytes;

/// The environment variable that overrides where the fixture directories are.
pub const ENV_VAR: &str = "LIBCLOUD_FIXTURES_DIR";

/// The default base directory: `<workspace root>/../shared/fixtures`, found from where this
/// crate's sources are (`<workspace root>/crates/libcloud-testkit`).
pub fn default_base() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/libcloud-testkit -> crates -> workspace root -> its parent.
    let outside = manifest
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .unwrap_or(manifest);
    outside.join("shared").join("fixtures")
}

/// The base directory in use: [`ENV_VAR`] when set and not empty, else [`default_base`].
pub fn base() -> PathBuf {
    match std::env::var_os(ENV_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => default_base(),
    }
}

/// The fixture directory of `provider` (`"s3"`, `"ec2"`), if it exists.
pub fn dir(provider: &str) -> Option<PathBuf> {
    dir_in(&base(), provider)
}

/// The directory `provider` under `base`, if it exists and is a directory.
pub fn dir_in(base: &Path, provider: &str) -> Option<PathBuf> {
    if provider.is_empty() || provider.contains(['/', '\\']) || provider == ".." {
        return None;
    }
    let dir = base.join(provider);
    dir.is_dir().then_some(dir)
}

/// The bytes of fixture `file` of `provider`, if both exist.
///
/// `file` may name a sub-directory (`"v3/list.json"`) but may not leave the provider's
/// directory.
pub fn read(provider: &str, file: &str) -> Option<Bytes> {
    read_in(&base(), provider, file)
}

/// Like [`read`], under an explicit base directory.
pub fn read_in(base: &Path, provider: &str, file: &str) -> Option<Bytes> {
    let dir = dir_in(base, provider)?;
    let relative = Path::new(file);
    let escapes = relative.is_absolute()
        || relative
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)));
    if file.is_empty() || escapes {
        return None;
    }
    std::fs::read(dir.join(relative)).ok().map(Bytes::from)
}

/// Evaluates to the fixture directory of a provider, or prints
/// `skipped: fixtures for <provider> not found (looked in <dir>)` and returns from the
/// enclosing test (which must return `()`).
///
/// ```no_run
/// #[test]
/// fn parses_list_buckets() {
///     let dir = libcloud_testkit::require_fixtures!("s3");
///     let body = std::fs::read(dir.join("list_containers.xml")).unwrap();
///     assert!(!body.is_empty());
/// }
/// ```
#[macro_export]
macro_rules! require_fixtures {
    ($provider:expr) => {
        match $crate::fixtures::dir($provider) {
            ::std::option::Option::Some(dir) => dir,
            ::std::option::Option::None => {
                ::std::println!(
                    "skipped: fixtures for {} not found (looked in {})",
                    $provider,
                    $crate::fixtures::base().join($provider).display()
                );
                return;
            }
        }
    };
}
