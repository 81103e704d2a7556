//! Uploads are atomic: a failed or abandoned stream leaves the previous object and no temporary file.

use std::time::Duration;

use futures::StreamExt;
use libcloud_core::hash::md5_hex;
use libcloud_core::{
    Bytes, ErrorKind, ResourceKind, StorageDriver, StorageDriverExt, UploadOptions,
};

use crate::support::{Fixture, failing_body, pattern, snapshot};

#[tokio::test]
async fn a_failing_stream_keeps_the_previous_object() {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    let opts = UploadOptions::default()
        .content_type("text/x-old")
        .meta("v", "1");
    f.storage
        .upload_bytes("c", "dir/x", Bytes::from_static(b"old bytes"), &opts)
        .await
        .unwrap();
    let old = f.storage.get_object("c", "dir/x").await.unwrap();
    let before = snapshot(f.parent());

    let err = f
        .storage
        .upload_object_via_stream(
            "c",
            "dir/x",
            failing_body(vec![b"new ", b"bytes that never finish"]),
            &UploadOptions::default().meta("v", "2"),
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport, "{err}");
    assert!(err.to_string().contains("the sender went away"), "{err}");

    assert_eq!(f.read("c", "dir/x").await, b"old bytes");
    assert_eq!(f.storage.get_object("c", "dir/x").await.unwrap(), old);
    assert!(f.temp_files().is_empty(), "{:?}", f.temp_files());
    assert_eq!(before, snapshot(f.parent()), "the tree changed");
}

#[tokio::test]
async fn a_failing_stream_for_a_new_name_leaves_nothing() {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    f.put("c", "other", b"x").await;
    let before = snapshot(f.parent());
    let err = f
        .storage
        .upload_object_via_stream(
            "c",
            "new/deep/name",
            failing_body(vec![b"partial"]),
            &UploadOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    let missing = f
        .storage
        .get_object("c", "new/deep/name")
        .await
        .unwrap_err();
    assert!(matches!(
        missing.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Object,
            ..
        }
    ));
    assert!(f.temp_files().is_empty());
    // Not even the folders of the name were made.
    assert_eq!(before, snapshot(f.parent()), "the tree changed");
}

#[tokio::test]
async fn an_abandoned_upload_removes_its_temporary_file() {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    f.put("c", "x", b"old").await;
    let body = futures::stream::once(async { Ok(Bytes::from_static(b"first chunk")) })
        .chain(futures::stream::pending())
        .boxed();
    let opts = UploadOptions::default();
    let upload = f.storage.upload_object_via_stream("c", "x", body, &opts);
    let timed_out = tokio::time::timeout(Duration::from_millis(200), upload).await;
    assert!(timed_out.is_err(), "the upload cannot finish");
    // The temporary file is removed on the blocking pool; give it a moment.
    for _ in 0..100 {
        if f.temp_files().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(f.temp_files().is_empty(), "{:?}", f.temp_files());
    assert_eq!(f.read("c", "x").await, b"old");
}

#[tokio::test]
async fn uploads_stream_many_chunks_and_replace() {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    let data = pattern(300_000);
    let chunks: Vec<_> = data
        .chunks(10_007)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let object = f
        .storage
        .upload_object_via_stream(
            "c",
            "big.bin",
            futures::stream::iter(chunks).boxed(),
            &UploadOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(object.size, 300_000);
    assert_eq!(object.hash.as_deref(), Some(md5_hex(&data).as_str()));
    assert_eq!(object.name, "big.bin");
    assert_eq!(object.container, "c");
    assert!(object.last_modified.is_some());
    assert_eq!(f.read("c", "big.bin").await, data);
    assert_eq!(std::fs::read(f.root().join("c/big.bin")).unwrap(), data);

    let replaced = f
        .storage
        .upload_bytes(
            "c",
            "big.bin",
            Bytes::from_static(b"small"),
            &UploadOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(replaced.size, 5);
    assert_eq!(f.read("c", "big.bin").await, b"small");
    assert!(f.temp_files().is_empty());
}

#[tokio::test]
async fn empty_objects_are_objects() {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    let object = f
        .storage
        .upload_object_via_stream(
            "c",
            "empty",
            futures::stream::empty().boxed(),
            &UploadOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(object.size, 0);
    assert_eq!(
        object.hash.as_deref(),
        Some("d41d8cd98f00b204e9800998ecf8427e")
    );
    assert_eq!(f.read("c", "empty").await, b"");
    assert_eq!(
        f.storage
            .list_container_objects("c", None)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn concurrent_uploads_to_one_name_keep_data_and_sidecar_together() {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let storage = f.storage.clone();
            tokio::spawn(async move {
                // Same size for all, so only the sidecar's timestamp tells them apart.
                let data = format!("content number {i:02}");
                let opts = UploadOptions::default().meta("n", i.to_string());
                storage
                    .upload_bytes("c", "same", Bytes::from(data), &opts)
                    .await
                    .unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let object = f.storage.get_object("c", "same").await.unwrap();
    let data = f.read("c", "same").await;
    assert_eq!(object.hash.as_deref(), Some(md5_hex(&data).as_str()));
    let n: usize = object.meta_data["n"].parse().unwrap();
    assert_eq!(data, format!("content number {n:02}").into_bytes());
    assert!(f.temp_files().is_empty());
}

#[tokio::test]
async fn stale_temporary_files_can_be_cleared() {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    f.put("c", "x", b"x").await;
    let tmp = f.root().join(".libcloud/tmp");
    let old = tmp.join("crashed.data");
    let young = tmp.join("running.data");
    std::fs::write(&old, b"left over").unwrap();
    std::fs::write(&young, b"in progress").unwrap();
    let file = std::fs::File::options().write(true).open(&old).unwrap();
    file.set_modified(std::time::SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
    drop(file);
    let removed = f
        .storage
        .ex_remove_stale_temp_files(Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert!(!old.exists());
    assert!(young.exists());
    assert_eq!(f.read("c", "x").await, b"x");
}
