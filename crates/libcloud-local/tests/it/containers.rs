//! Containers: creation, lookup, listing and deletion, with Libcloud's errors.

use libcloud_core::{
    Bytes, ErrorKind, ResourceKind, StorageDriver, StorageDriverExt, UploadOptions,
};
use libcloud_local::LocalStorage;

use crate::support::{Fixture, snapshot};

fn is_not_found(err: &libcloud_core::Error, kind: ResourceKind) -> bool {
    matches!(err.kind(), ErrorKind::NotFound { kind: k, .. } if *k == kind)
}

#[tokio::test]
async fn the_root_is_created_and_must_be_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("a/b/root");
    let storage = LocalStorage::new(&root).unwrap();
    assert!(root.is_dir());
    assert_eq!(storage.root(), root);
    assert_eq!(storage.name(), "local");
    // An existing root is fine, and nothing is written until the first upload.
    let again = LocalStorage::new(&root).unwrap();
    assert_eq!(std::fs::read_dir(again.root()).unwrap().count(), 0);

    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let err = LocalStorage::new(&file).unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn capabilities() {
    let f = Fixture::new();
    let caps = f.storage.capabilities();
    assert!(caps.hash_is_md5);
    assert!(caps.ranged_download);
    assert!(caps.user_metadata);
    assert!(caps.content_type);
    assert!(caps.strict_names);
    assert!(!caps.multipart_upload);
    assert!(!caps.server_side_delimiter);
    assert!(!caps.object_cdn_url);
    assert!(!caps.container_cdn);
    let err = f
        .storage
        .get_object_cdn_url("c", "x", std::time::Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn container_lifecycle() {
    let f = Fixture::new();
    let s = &f.storage;
    assert!(s.list_containers().await.unwrap().is_empty());
    for name in ["zeta", "alpha", "Mid"] {
        assert_eq!(s.create_container(name).await.unwrap().name, name);
    }
    // Files at the top and the driver's own folder are not containers.
    std::fs::write(f.root().join("stray-file"), b"x").unwrap();
    s.upload_bytes(
        "alpha",
        "x/y",
        Bytes::from_static(b"1"),
        &UploadOptions::default(),
    )
    .await
    .unwrap();
    let names: Vec<String> = s
        .list_containers()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Mid", "alpha", "zeta"]);
    assert_eq!(s.get_container("alpha").await.unwrap().name, "alpha");

    let err = s.create_container("alpha").await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::AlreadyExists {
                kind: ResourceKind::Container,
                ..
            }
        ),
        "{err}"
    );
    let err = s.create_container("stray-file").await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(is_not_found(
        &s.get_container("stray-file").await.unwrap_err(),
        ResourceKind::Container
    ));

    let before = snapshot(f.parent());
    let err = s.delete_container("alpha").await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::NotEmpty {
                kind: ResourceKind::Container,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        before,
        snapshot(f.parent()),
        "a refused delete changed the tree"
    );

    s.delete_object("alpha", "x/y").await.unwrap();
    s.delete_container("alpha").await.unwrap();
    assert!(!f.root().join("alpha").exists());
    assert!(!f.root().join(".libcloud/meta/alpha").exists());
    assert!(is_not_found(
        &s.get_container("alpha").await.unwrap_err(),
        ResourceKind::Container
    ));
    assert!(is_not_found(
        &s.delete_container("alpha").await.unwrap_err(),
        ResourceKind::Container
    ));
}

#[tokio::test]
async fn a_container_holding_only_empty_folders_can_be_deleted() {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    std::fs::create_dir_all(f.root().join("c/a/b/c")).unwrap();
    std::fs::create_dir_all(f.root().join("c/d")).unwrap();
    f.storage.delete_container("c").await.unwrap();
    assert!(!f.root().join("c").exists());
}

#[tokio::test]
async fn a_file_deep_inside_makes_a_container_not_empty() {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    std::fs::create_dir_all(f.root().join("c/a/b/c")).unwrap();
    std::fs::create_dir_all(f.root().join("c/e")).unwrap();
    std::fs::write(f.root().join("c/a/b/c/file"), b"x").unwrap();
    let before = snapshot(f.parent());
    let err = f.storage.delete_container("c").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotEmpty { .. }), "{err}");
    assert_eq!(before, snapshot(f.parent()));
}

#[tokio::test]
async fn objects_of_missing_containers_and_missing_objects_are_not_found() {
    let f = Fixture::new();
    let s = &f.storage;
    let opts = UploadOptions::default();
    assert!(is_not_found(
        &s.get_object("nope", "x").await.unwrap_err(),
        ResourceKind::Container
    ));
    assert!(is_not_found(
        &s.download_object_as_stream("nope", "x", None)
            .await
            .unwrap_err(),
        ResourceKind::Container
    ));
    assert!(is_not_found(
        &s.delete_object("nope", "x").await.unwrap_err(),
        ResourceKind::Container
    ));
    assert!(is_not_found(
        &s.upload_bytes("nope", "x", Bytes::from_static(b"1"), &opts)
            .await
            .unwrap_err(),
        ResourceKind::Container
    ));
    s.create_container("c").await.unwrap();
    let err = s.get_object("c", "missing").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NotFound { kind: ResourceKind::Object, id } if id == "missing"),
        "{err}"
    );
    assert!(is_not_found(
        &s.delete_object("c", "a/b/missing").await.unwrap_err(),
        ResourceKind::Object
    ));
    assert!(is_not_found(
        &s.download_object_as_stream("c", "missing", None)
            .await
            .unwrap_err(),
        ResourceKind::Object
    ));
}

#[tokio::test]
async fn recreating_a_container_forgets_old_sidecars() {
    let f = Fixture::new();
    let s = &f.storage;
    s.create_container("c").await.unwrap();
    let opts = UploadOptions::default().meta("old", "yes");
    s.upload_bytes("c", "x.txt", Bytes::from_static(b"abc"), &opts)
        .await
        .unwrap();
    // The container folder is removed behind the driver's back, then made again.
    std::fs::remove_dir_all(f.root().join("c")).unwrap();
    s.create_container("c").await.unwrap();
    std::fs::create_dir_all(f.root().join("c")).unwrap();
    std::fs::write(f.root().join("c/x.txt"), b"abc").unwrap();
    let object = s.get_object("c", "x.txt").await.unwrap();
    assert!(object.meta_data.is_empty(), "{:?}", object.meta_data);
}

#[tokio::test]
async fn clones_share_the_store() {
    let f = Fixture::new();
    let clone = f.storage.clone();
    clone.create_container("c").await.unwrap();
    f.put("c", "x", b"1").await;
    assert_eq!(clone.get_object("c", "x").await.unwrap().size, 1);
    assert!(format!("{:?}", f.storage).contains("LocalStorage"));
}
