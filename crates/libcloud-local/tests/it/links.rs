//! Symbolic links in the tree are never followed, so nothing outside the root is read or written.
#![cfg(unix)]

use std::os::unix::fs::symlink;

use futures::TryStreamExt;
use libcloud_core::{Bytes, StorageDriver, StorageDriverExt, UploadOptions};

use crate::support::{Fixture, assert_invalid, snapshot};

async fn fixture() -> Fixture {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    f.put("c", "real/file", b"real").await;
    let outside = f.parent().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), b"secret").unwrap();
    let root = f.root();
    // A folder link, a file link and a container link, all pointing out of the root.
    symlink(&outside, root.join("c/linkdir")).unwrap();
    symlink(outside.join("secret.txt"), root.join("c/linkfile")).unwrap();
    symlink(&outside, root.join("c/real/nested")).unwrap();
    symlink(&outside, root.join("linkc")).unwrap();
    f
}

#[tokio::test]
async fn links_are_refused_for_every_operation() {
    let f = fixture().await;
    let before = snapshot(f.parent());
    let s = &f.storage;
    let opts = UploadOptions::default();
    let data = || Bytes::from_static(b"overwrite");
    for name in [
        "linkdir/secret.txt",
        "linkdir/new.txt",
        "linkfile",
        "real/nested/secret.txt",
        "real/nested/x/y",
    ] {
        assert_invalid(
            s.upload_bytes("c", name, data(), &opts).await,
            &format!("upload {name}"),
        );
        if name.ends_with("new.txt") || name.ends_with("x/y") {
            continue;
        }
        assert_invalid(s.get_object("c", name).await, &format!("get {name}"));
        assert_invalid(
            s.download_object_as_stream("c", name, None).await,
            &format!("download {name}"),
        );
        assert_invalid(s.delete_object("c", name).await, &format!("delete {name}"));
    }
    assert_invalid(s.get_container("linkc").await, "get linked container");
    assert_invalid(s.create_container("linkc").await, "create over a link");
    assert_invalid(s.delete_container("linkc").await, "delete linked container");
    assert_invalid(
        s.list_container_objects("linkc", None).await,
        "list linked container",
    );
    assert_invalid(
        s.upload_bytes("linkc", "x", data(), &opts).await,
        "upload into linked container",
    );
    assert_invalid(
        s.get_object("linkc", "secret.txt").await,
        "get through linked container",
    );
    assert_eq!(before, snapshot(f.parent()), "the tree changed");
}

#[tokio::test]
async fn listings_skip_links() {
    let f = fixture().await;
    let names: Vec<String> = f
        .storage
        .iterate_container_objects("c", None)
        .map_ok(|o| o.name)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["real/file"]);
    let containers: Vec<String> = f
        .storage
        .list_containers()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(containers, ["c"]);
}

#[tokio::test]
async fn a_container_holding_a_link_is_not_empty() {
    let f = fixture().await;
    f.storage.delete_object("c", "real/file").await.unwrap();
    std::fs::remove_file(f.root().join("c/real/nested")).unwrap();
    std::fs::remove_file(f.root().join("c/linkdir")).unwrap();
    let before = snapshot(f.parent());
    let err = f.storage.delete_container("c").await.unwrap_err();
    assert!(
        matches!(err.kind(), libcloud_core::ErrorKind::NotEmpty { .. }),
        "{err}"
    );
    assert_eq!(before, snapshot(f.parent()));
    assert_eq!(
        std::fs::read(f.parent().join("outside/secret.txt")).unwrap(),
        b"secret"
    );
}
