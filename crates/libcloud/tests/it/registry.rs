use libcloud::ErrorKind;
use libcloud::prelude::*;
use libcloud::registry::{Config, Registry};

#[tokio::test]
async fn memory_urls_open_fresh_or_named_clouds() {
    let a = libcloud::registry::storage("memory://").unwrap();
    a.create_container("one").await.unwrap();
    let b = libcloud::registry::storage("memory://").unwrap();
    assert!(
        b.list_containers().await.unwrap().is_empty(),
        "memory:// is a new cloud each time"
    );

    let named = libcloud::registry::storage("memory://registry-test").unwrap();
    named.create_container("shared").await.unwrap();
    let again = libcloud::registry::storage("memory://registry-test").unwrap();
    assert_eq!(again.list_containers().await.unwrap()[0].name, "shared");
}

#[tokio::test]
async fn local_urls_and_configs_open_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let url = format!("local://{}", root.display());
    let storage = libcloud::registry::storage(&url).unwrap();
    storage.create_container("c").await.unwrap();
    assert!(root.join("c").is_dir());

    let config =
        Config::from_pairs([("provider", "local"), ("root", root.to_str().unwrap())]).unwrap();
    let same = Registry::builtin().open_storage(&config).unwrap();
    assert_eq!(same.list_containers().await.unwrap()[0].name, "c");
}

#[test]
fn bad_configurations_are_typed_errors() {
    for (url, needle) in [
        ("local://somehost/x", "has no host"),
        ("local:///tmp/x?colour=blue", "has no option \"colour\""),
        ("ftp://example", "unknown storage provider \"ftp\""),
        ("memory://x?region=eu", "has no option \"region\""),
    ] {
        let err = libcloud::registry::storage(url).err().unwrap();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{url}");
        assert!(err.to_string().contains(needle), "{url}: {err}");
    }
    let err = libcloud::registry::compute("local:///tmp").err().unwrap();
    assert!(err.to_string().contains("has no compute API"), "{err}");
    assert!(Config::from_pairs([("root", "/x")]).is_err());
}

#[test]
fn builtin_registry_lists_compiled_providers() {
    let r = Registry::builtin();
    assert_eq!(
        r.providers(libcloud::registry::Api::Storage),
        ["local", "memory"]
    );
    assert_eq!(r.providers(libcloud::registry::Api::Dns), ["memory"]);
}
