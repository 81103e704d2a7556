//! Listings come in byte order of the full name, filtered by prefix, without folders.

use futures::TryStreamExt;
use libcloud_core::{ErrorKind, ResourceKind, StorageDriver, StorageDriverExt};

use crate::support::Fixture;

/// Stored in an order unrelated to the listing order.
const NAMES: &[&str] = &[
    "b", "a/c/d", "ä", "a0", "a-b", "B", "a/b", "a.txt", ".hidden", "a/c.e",
];

async fn fixture() -> Fixture {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    for name in NAMES {
        f.put("c", name, name.as_bytes()).await;
    }
    f
}

async fn names(f: &Fixture, prefix: Option<&str>) -> Vec<String> {
    f.storage
        .iterate_container_objects("c", prefix)
        .map_ok(|o| o.name)
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn objects_are_listed_in_byte_order_of_the_full_name() {
    let f = fixture().await;
    // A depth-first walk of sorted folders would put "a/..." before "a-b"; byte order does not.
    assert_eq!(
        names(&f, None).await,
        [
            ".hidden", "B", "a-b", "a.txt", "a/b", "a/c.e", "a/c/d", "a0", "b", "ä"
        ]
    );
    assert_eq!(names(&f, Some("")).await, names(&f, None).await);
}

#[tokio::test]
async fn prefixes_filter_by_name_not_by_folder() {
    let f = fixture().await;
    assert_eq!(
        names(&f, Some("a")).await,
        ["a-b", "a.txt", "a/b", "a/c.e", "a/c/d", "a0"]
    );
    assert_eq!(names(&f, Some("a/")).await, ["a/b", "a/c.e", "a/c/d"]);
    assert_eq!(names(&f, Some("a/c")).await, ["a/c.e", "a/c/d"]);
    assert_eq!(names(&f, Some("a/c/")).await, ["a/c/d"]);
    assert_eq!(names(&f, Some("a/c/d")).await, ["a/c/d"]);
    assert_eq!(names(&f, Some("a/c/d/")).await, Vec::<String>::new());
    assert_eq!(names(&f, Some("b")).await, ["b"]);
    assert_eq!(names(&f, Some("zzz")).await, Vec::<String>::new());
    assert_eq!(names(&f, Some("../")).await, Vec::<String>::new());
}

#[tokio::test]
async fn listed_objects_carry_their_metadata() {
    let f = fixture().await;
    let objects = f
        .storage
        .list_container_objects("c", Some("a/c/"))
        .await
        .unwrap();
    assert_eq!(objects.len(), 1);
    let o = &objects[0];
    assert_eq!(o.container, "c");
    assert_eq!(o.size, 5);
    assert_eq!(
        o.hash.as_deref(),
        Some(libcloud_core::hash::md5_hex(b"a/c/d").as_str())
    );
    assert_eq!(o, &f.storage.get_object("c", "a/c/d").await.unwrap());
}

#[tokio::test]
async fn delimiter_listings_group_folders() {
    let f = fixture().await;
    let top = f.storage.list_with_delimiter("c", None, "/").await.unwrap();
    let objects: Vec<_> = top.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(objects, [".hidden", "B", "a-b", "a.txt", "a0", "b", "ä"]);
    assert_eq!(top.common_prefixes, ["a/"]);
    let under = f
        .storage
        .list_with_delimiter("c", Some("a/"), "/")
        .await
        .unwrap();
    let objects: Vec<_> = under.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(objects, ["a/b", "a/c.e"]);
    assert_eq!(under.common_prefixes, ["a/c/"]);
}

#[tokio::test]
async fn empty_folders_and_foreign_files_are_not_objects() {
    let f = fixture().await;
    let root = f.root();
    std::fs::create_dir_all(root.join("c/empty/deeper")).unwrap();
    std::fs::create_dir_all(root.join("c/a/hollow")).unwrap();
    // A file put there by hand is an object (without a sidecar); one whose name the driver
    // would refuse is not.
    std::fs::write(root.join("c/a/by-hand.txt"), b"hand made").unwrap();
    std::fs::write(root.join("c/a/back\\slash"), b"refused name").unwrap();
    let listed = names(&f, None).await;
    assert!(
        !listed
            .iter()
            .any(|n| n.starts_with("empty") || n.contains("hollow")),
        "{listed:?}"
    );
    assert!(listed.contains(&"a/by-hand.txt".to_string()));
    assert!(!listed.iter().any(|n| n.contains('\\')), "{listed:?}");
    let by_hand = f.storage.get_object("c", "a/by-hand.txt").await.unwrap();
    assert_eq!(
        by_hand.hash.as_deref(),
        Some(libcloud_core::hash::md5_hex(b"hand made").as_str())
    );
    assert_eq!(by_hand.content_type.as_deref(), Some("text/plain"));
    let err = f.storage.get_object("c", "empty").await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Object,
            ..
        }
    ));
}

#[tokio::test]
async fn deleting_the_last_object_of_a_folder_removes_the_folder() {
    let f = fixture().await;
    let root = f.root();
    f.storage.delete_object("c", "a/c/d").await.unwrap();
    assert!(!root.join("c/a/c").exists());
    assert!(root.join("c/a").is_dir());
    f.storage.delete_object("c", "a/c.e").await.unwrap();
    f.storage.delete_object("c", "a/b").await.unwrap();
    assert!(!root.join("c/a").exists());
    assert!(root.join("c").is_dir());
    assert_eq!(names(&f, Some("a/")).await, Vec::<String>::new());
    // The sidecars went with them.
    let sidecars: usize = walk_files(&root.join(".libcloud/meta/c"));
    assert_eq!(sidecars, NAMES.len() - 3);
}

fn walk_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk_files(&e.path())
            } else {
                1
            }
        })
        .sum()
}

#[tokio::test]
async fn listing_a_missing_container_is_not_found() {
    let f = Fixture::new();
    let err = f
        .storage
        .list_container_objects("nope", None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::NotFound {
                kind: ResourceKind::Container,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.operation(), Some("iterate_container_objects"));
}
