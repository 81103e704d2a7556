//! Fixture lookup: explicit base directories, the default location, and the
//! `require_fixtures!` macro in a child process with `LIBCLOUD_FIXTURES_DIR` set.

use std::path::Path;

use libcloud_testkit::fixtures;

use crate::subprocess::{run_child, text};

#[test]
fn dir_in_finds_provider_directories_only() {
    let base = tempfile::tempdir().unwrap();
    std::fs::create_dir(base.path().join("s3")).unwrap();
    std::fs::write(base.path().join("not-a-dir"), "x").unwrap();
    assert_eq!(
        fixtures::dir_in(base.path(), "s3"),
        Some(base.path().join("s3"))
    );
    assert_eq!(fixtures::dir_in(base.path(), "ec2"), None);
    assert_eq!(fixtures::dir_in(base.path(), "not-a-dir"), None);
    assert_eq!(fixtures::dir_in(base.path(), ""), None);
    assert_eq!(fixtures::dir_in(base.path(), "s3/../s3"), None);
}

#[test]
fn read_in_reads_files_inside_the_provider_directory() {
    let base = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(base.path().join("s3/sub")).unwrap();
    std::fs::write(base.path().join("s3/list.xml"), "<List/>").unwrap();
    std::fs::write(base.path().join("s3/sub/deep.json"), "{}").unwrap();
    std::fs::write(base.path().join("secret.txt"), "outside").unwrap();
    assert_eq!(
        fixtures::read_in(base.path(), "s3", "list.xml").as_deref(),
        Some(&b"<List/>"[..])
    );
    assert_eq!(
        fixtures::read_in(base.path(), "s3", "sub/deep.json").as_deref(),
        Some(&b"{}"[..])
    );
    assert_eq!(fixtures::read_in(base.path(), "s3", "missing.xml"), None);
    assert_eq!(fixtures::read_in(base.path(), "s3", "../secret.txt"), None);
    assert_eq!(fixtures::read_in(base.path(), "s3", ""), None);
    assert_eq!(fixtures::read_in(base.path(), "gone", "list.xml"), None);
}

#[test]
fn the_default_base_sits_beside_the_workspace() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.parent().unwrap().parent().unwrap();
    assert!(workspace.join("Cargo.toml").is_file());
    assert_eq!(
        fixtures::default_base(),
        workspace.parent().unwrap().join("shared").join("fixtures")
    );
}

/// Run only as a child of the tests below.
#[test]
#[ignore = "run by require_fixtures_* in a child process"]
fn child_require_fixtures() {
    let dir = libcloud_testkit::require_fixtures!("provider-x");
    println!("FOUND {}", dir.display());
}

#[test]
fn require_fixtures_uses_the_environment_directory() {
    let base = tempfile::tempdir().unwrap();
    std::fs::create_dir(base.path().join("provider-x")).unwrap();
    let base_text = base.path().to_str().unwrap();
    let out = run_child(
        "fixtures::child_require_fixtures",
        &[(fixtures::ENV_VAR, base_text)],
        &[],
    );
    let text = text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "FOUND {}",
            base.path().join("provider-x").display()
        )),
        "{text}"
    );
}

#[test]
fn require_fixtures_skips_with_the_place_it_looked() {
    let base = tempfile::tempdir().unwrap();
    let base_text = base.path().to_str().unwrap();
    let out = run_child(
        "fixtures::child_require_fixtures",
        &[(fixtures::ENV_VAR, base_text)],
        &[],
    );
    let text = text(&out);
    assert!(out.status.success(), "{text}");
    let expected = format!(
        "skipped: fixtures for provider-x not found (looked in {})",
        base.path().join("provider-x").display()
    );
    assert!(text.contains(&expected), "{text}");
    assert!(!text.contains("FOUND"), "{text}");
}
