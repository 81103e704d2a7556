//! Bad names are refused with a typed error and change nothing on disk, inside or outside the root.

use futures::TryStreamExt;
use libcloud_core::{
    Bytes, ErrorKind, ResourceKind, Result, StorageDriver, StorageDriverExt, UploadOptions,
};

use crate::support::{Fixture, assert_invalid, snapshot};

const BAD_OBJECT_NAMES: &[&str] = &[
    "",
    "/",
    "/abs",
    "/etc/passwd",
    ".",
    "..",
    "../x",
    "../outside.txt",
    "../../x",
    "a/../../x",
    "d/../../outside.txt",
    "d/..",
    "d/.",
    "./d/e",
    "d/./e",
    "d//e",
    "d/",
    "nul\0byte",
    "d/e\0",
    "back\\slash",
    "..\\outside.txt",
    "d\\e",
];

const BAD_CONTAINER_NAMES: &[&str] = &[
    "",
    ".",
    "..",
    ".hidden",
    ".libcloud",
    "c/d",
    "/c",
    "/tmp",
    "../sib",
    "..\\sib",
    "c\\d",
    "c\0",
];

async fn fixture() -> Fixture {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    f.put("c", "a", b"object a").await;
    f.put("c", "d/e", b"object d/e").await;
    std::fs::write(f.parent().join("outside.txt"), b"not yours").unwrap();
    std::fs::create_dir(f.parent().join("sib")).unwrap();
    std::fs::write(f.parent().join("sib/inner.txt"), b"not yours either").unwrap();
    f
}

fn body() -> Bytes {
    Bytes::from_static(b"should never be written")
}

async fn object_ops(f: &Fixture, container: &str, name: &str) -> Vec<(&'static str, Result<()>)> {
    let s = &f.storage;
    let opts = UploadOptions::default();
    vec![
        (
            "upload",
            s.upload_bytes(container, name, body(), &opts)
                .await
                .map(drop),
        ),
        ("get", s.get_object(container, name).await.map(drop)),
        (
            "download",
            s.download_object_as_stream(container, name, None)
                .await
                .map(drop),
        ),
        ("delete", s.delete_object(container, name).await),
    ]
}

#[tokio::test]
async fn bad_object_names_are_invalid_input_and_touch_nothing() {
    let f = fixture().await;
    let before = snapshot(f.parent());
    let mut long_segment = "d/".to_string();
    long_segment.push_str(&"x".repeat(libcloud_local::MAX_SEGMENT_BYTES + 1));
    let long_name = vec!["y".repeat(200); 6].join("/");
    let mut names: Vec<String> = BAD_OBJECT_NAMES.iter().map(|s| s.to_string()).collect();
    names.push(long_segment);
    names.push(long_name);
    for name in &names {
        for (op, result) in object_ops(&f, "c", name).await {
            assert_invalid(result, &format!("{op} {name:?}"));
        }
    }
    assert_eq!(before, snapshot(f.parent()), "the tree changed");
    assert_eq!(f.read("c", "a").await, b"object a");
}

#[tokio::test]
async fn bad_container_names_are_invalid_input_and_touch_nothing() {
    let f = fixture().await;
    let before = snapshot(f.parent());
    let long = "c".repeat(libcloud_local::MAX_SEGMENT_BYTES + 1);
    let mut names: Vec<&str> = BAD_CONTAINER_NAMES.to_vec();
    names.push(&long);
    for name in names {
        let s = &f.storage;
        assert_invalid(s.create_container(name).await, &format!("create {name:?}"));
        assert_invalid(s.get_container(name).await, &format!("get {name:?}"));
        assert_invalid(s.delete_container(name).await, &format!("delete {name:?}"));
        assert_invalid(
            s.list_container_objects(name, None).await,
            &format!("list {name:?}"),
        );
        for (op, result) in object_ops(&f, name, "x").await {
            assert_invalid(result, &format!("{op} in container {name:?}"));
        }
    }
    assert_eq!(before, snapshot(f.parent()), "the tree changed");
}

#[tokio::test]
async fn a_name_under_an_existing_object_cannot_be_stored() {
    let f = fixture().await;
    let before = snapshot(f.parent());
    for name in ["a/b", "a/b/c", "d/e/f"] {
        let err = f
            .storage
            .upload_bytes("c", name, body(), &UploadOptions::default())
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{name}: {err}");
        assert!(
            err.to_string().contains("cannot be stored under it"),
            "{err}"
        );
        // Reading or deleting it is simply "no such object".
        let not_found = |e: libcloud_core::Error| {
            assert!(
                matches!(
                    e.kind(),
                    ErrorKind::NotFound {
                        kind: ResourceKind::Object,
                        ..
                    }
                ),
                "{name}: {e}"
            );
        };
        not_found(f.storage.get_object("c", name).await.unwrap_err());
        not_found(
            f.storage
                .download_object_as_stream("c", name, None)
                .await
                .unwrap_err(),
        );
        not_found(f.storage.delete_object("c", name).await.unwrap_err());
    }
    assert_eq!(before, snapshot(f.parent()), "the tree changed");
}

#[tokio::test]
async fn a_name_that_is_a_folder_cannot_be_stored_or_read() {
    let f = fixture().await;
    let before = snapshot(f.parent());
    let err = f
        .storage
        .upload_bytes("c", "d", body(), &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("folder"), "{err}");
    for err in [
        f.storage.get_object("c", "d").await.unwrap_err(),
        f.storage
            .download_object_as_stream("c", "d", None)
            .await
            .unwrap_err(),
        f.storage.delete_object("c", "d").await.unwrap_err(),
    ] {
        assert!(
            matches!(
                err.kind(),
                ErrorKind::NotFound {
                    kind: ResourceKind::Object,
                    ..
                }
            ),
            "{err}"
        );
    }
    assert_eq!(before, snapshot(f.parent()), "the tree changed");
    assert_eq!(f.read("c", "d/e").await, b"object d/e");
}

#[tokio::test]
async fn a_refused_upload_does_not_read_its_body() {
    let f = fixture().await;
    let polled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = polled.clone();
    let silent = futures::stream::poll_fn(move |_| {
        seen.store(true, std::sync::atomic::Ordering::SeqCst);
        std::task::Poll::Ready(None::<Result<Bytes>>)
    });
    let err = f
        .storage
        .upload_object_via_stream("c", "a/b", Box::pin(silent), &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert!(!polled.load(std::sync::atomic::Ordering::SeqCst));
    let missing = f
        .storage
        .upload_bytes("nope", "x", body(), &UploadOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(
        missing.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Container,
            ..
        }
    ));
    let listed: Vec<_> = f
        .storage
        .iterate_container_objects("c", None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
}

#[tokio::test]
async fn errors_name_the_provider_and_operation() {
    let f = fixture().await;
    let err = f.storage.get_object("c", "../x").await.unwrap_err();
    assert_eq!(err.provider(), Some("local"));
    assert_eq!(err.operation(), Some("get_object"));
    let err = f.storage.delete_container(".x").await.unwrap_err();
    assert_eq!(err.operation(), Some("delete_container"));
}
