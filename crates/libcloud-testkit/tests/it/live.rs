//! Live-test helpers: `require_live!` in a child process with and without its variable, and
//! with `LIBCLOUD_REQUIRE_LIVE=1`.

use libcloud_testkit::live;

use crate::subprocess::{run_child, text};

const PROBE: &str = "LIBCLOUD_TESTKIT_PROBE_ENDPOINT";

/// Run only as a child of the tests below.
#[test]
#[ignore = "run by require_live_* in a child process"]
fn child_require_live() {
    let endpoint = libcloud_testkit::require_live!(PROBE);
    println!("GOT {endpoint}");
}

#[test]
fn require_live_returns_the_value() {
    let out = run_child(
        "live::child_require_live",
        &[(PROBE, " http://127.0.0.1:9000 ")],
        &[live::REQUIRE_LIVE_VAR],
    );
    let text = text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("GOT http://127.0.0.1:9000\n"), "{text}");
}

#[test]
fn require_live_skips_when_the_variable_is_missing() {
    let out = run_child(
        "live::child_require_live",
        &[],
        &[PROBE, live::REQUIRE_LIVE_VAR],
    );
    let text = text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "skipped: {PROBE} not set (run cargo xtask emulators up)"
        )),
        "{text}"
    );
    assert!(!text.contains("GOT"), "{text}");
}

#[test]
fn require_live_fails_when_live_tests_are_required() {
    let out = run_child(
        "live::child_require_live",
        &[(live::REQUIRE_LIVE_VAR, "1")],
        &[PROBE],
    );
    let text = text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&format!("{PROBE} is not set")), "{text}");
}

#[test]
fn missing_panics_only_when_required() {
    live::missing("SOME_VAR", false);
    let panic = std::panic::catch_unwind(|| live::missing("SOME_VAR", true)).unwrap_err();
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("SOME_VAR is not set"), "{text}");
    assert_eq!(
        live::skip_message("X"),
        "skipped: X not set (run cargo xtask emulators up)"
    );
}

#[test]
fn unique_names_have_a_hex_suffix() {
    let a = live::unique_name("lc-s3");
    let b = live::unique_name("lc-s3");
    assert_ne!(a, b);
    let suffix = a.strip_prefix("lc-s3-").unwrap();
    assert_eq!(suffix.len(), 8);
    assert!(
        suffix
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}
