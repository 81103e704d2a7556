//! `libcloud providers`: what this build holds.

use crate::util::{command, find, run, run_command};

#[test]
fn providers_lists_what_is_compiled_in_with_capabilities() {
    let lines = run(&["providers", "--output", "json"]).ok().json();
    let registry = libcloud::registry::Registry::builtin();
    for api in [
        libcloud::registry::Api::Compute,
        libcloud::registry::Api::Storage,
        libcloud::registry::Api::LoadBalancer,
        libcloud::registry::Api::Dns,
    ] {
        for name in registry.providers(api) {
            find(&lines, "name", name);
        }
    }
    let memory = find(&lines, "name", "memory");
    assert_eq!(memory["compiled"], true);
    assert_eq!(memory["feature"], "memory");
    assert_eq!(
        memory["apis"],
        serde_json::json!(["compute", "storage", "load_balancer", "dns"])
    );
    assert_eq!(memory["capabilities"]["storage"]["hash_is_md5"], true);
    assert_eq!(memory["capabilities"]["compute"]["key_pairs"], true);
    assert!(
        memory["capabilities"]["dns"]["record_types"]
            .as_array()
            .unwrap()
            .len()
            > 3
    );

    // local needs a root to open: it is listed, with the reason instead of capabilities.
    let local = find(&lines, "name", "local");
    assert_eq!(local["apis"], serde_json::json!(["storage"]));
    assert!(local["capabilities"]["storage"].is_null());
    assert!(
        local["unavailable"]["storage"]
            .as_str()
            .unwrap()
            .contains("root")
    );
}

#[test]
fn configured_providers_show_their_capabilities() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command();
    cmd.env("LIBCLOUD_LOCAL_ROOT", dir.path())
        .args(["providers", "-o", "json"]);
    let lines = run_command(cmd, None).ok().json();
    let local = find(&lines, "name", "local");
    assert_eq!(local["capabilities"]["storage"]["strict_names"], true);
    assert!(local.get("unavailable").is_none());
}

#[test]
fn all_adds_known_providers_and_tables_read_well() {
    let lines = run(&["providers", "--all", "-o", "json"]).ok().json();
    let known = libcloud::registry::KNOWN_PROVIDERS;
    for (name, _, _) in known {
        find(&lines, "name", name);
    }
    let table = run(&["providers", "-o", "table"]).ok().text();
    assert!(table.starts_with("PROVIDER"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("memory") && l.contains("storage") && l.contains("hash_is_md5")),
        "{table}"
    );
}
