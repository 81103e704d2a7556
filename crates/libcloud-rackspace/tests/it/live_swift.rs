//! Against a live Swift all-in-one with tempauth (`cargo xtask emulators up`): the storage
//! conformance suite through the Cloud Files driver. Cloud Files signs in with Rackspace API
//! keys; here it takes tempauth's storage URL instead, and has no CDN (the suite skips the CDN
//! cases, which the recorded answers cover).

use libcloud_core::StorageDriver;
use libcloud_openstack::AuthConfig;
use libcloud_rackspace::{CloudFiles, RackspaceConfig, Region};
use libcloud_testkit::{conformance, require_live};

const AUTH_VAR: &str = "LIBCLOUD_TEST_SWIFT_AUTH_URL";

fn driver(auth_url: &str) -> CloudFiles {
    let user = std::env::var("LIBCLOUD_TEST_SWIFT_USER").unwrap_or_else(|_| "test:tester".into());
    let key = std::env::var("LIBCLOUD_TEST_SWIFT_KEY").unwrap_or_else(|_| "testing".into());
    let config = RackspaceConfig::with_auth(AuthConfig::tempauth(auth_url, user, key), Region::Dfw);
    // 1 MiB segments, so that the suite's large object is a Static Large Object.
    CloudFiles::new(&config)
        .unwrap()
        .with_segment_size(1024 * 1024)
}

#[tokio::test]
async fn storage_conformance_on_swift() {
    let auth_url = require_live!(AUTH_VAR);
    let files = driver(&auth_url);
    assert!(!files.capabilities().container_cdn);
    conformance::storage::run(&files).await;
}

#[tokio::test]
async fn account_totals_on_swift() {
    let auth_url = require_live!(AUTH_VAR);
    let files = driver(&auth_url);
    let container = libcloud_testkit::unique_name("lc-rax-acct");
    files.create_container(&container).await.unwrap();
    let info = files.ex_get_account_info().await.unwrap();
    assert!(info.container_count >= 1, "{info:?}");
    files.delete_container(&container).await.unwrap();
}
