//! The shared storage conformance suite, run against a store in a temporary folder.

use libcloud_local::LocalStorage;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let storage = LocalStorage::new(dir.path().join("root")).unwrap();
    libcloud_testkit::conformance::storage::run(&storage).await;
    // Every case cleans up after itself: no container and no temporary file is left.
    let left: Vec<_> = std::fs::read_dir(storage.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != ".libcloud")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let tmp = storage.root().join(".libcloud/tmp");
    assert_eq!(std::fs::read_dir(tmp).unwrap().count(), 0);
}
