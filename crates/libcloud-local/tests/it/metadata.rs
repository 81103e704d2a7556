//! Content types, user metadata and hashes round-trip, and survive a missing or stale sidecar.

use std::time::{Duration, SystemTime};

use libcloud_core::hash::md5_hex;
use libcloud_core::{Bytes, StorageDriver, StorageDriverExt, UploadOptions};

use crate::support::Fixture;

async fn fixture() -> Fixture {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    let opts = UploadOptions::default()
        .content_type("text/x-custom; charset=utf-8")
        .meta("Owner", "Ann")
        .meta("purpose", "test data");
    f.storage
        .upload_bytes(
            "c",
            "docs/report.bin",
            Bytes::from_static(b"report body"),
            &opts,
        )
        .await
        .unwrap();
    f
}

fn sidecars(f: &Fixture) -> std::path::PathBuf {
    f.root().join(".libcloud/meta")
}

#[tokio::test]
async fn metadata_and_content_type_round_trip() {
    let f = fixture().await;
    let object = f.storage.get_object("c", "docs/report.bin").await.unwrap();
    assert_eq!(
        object.content_type.as_deref(),
        Some("text/x-custom; charset=utf-8")
    );
    assert_eq!(object.meta_data.len(), 2);
    // Keys are stored lower-case.
    assert_eq!(object.meta_data["owner"], "Ann");
    assert_eq!(object.meta_data["purpose"], "test data");
    assert_eq!(
        object.hash.as_deref(),
        Some(md5_hex(b"report body").as_str())
    );
    assert_eq!(object.size, 11);
    let on_disk = std::fs::metadata(f.root().join("c/docs/report.bin")).unwrap();
    assert_eq!(object.last_modified, Some(on_disk.modified().unwrap()));
    let download = f
        .storage
        .download_object_as_stream("c", "docs/report.bin", None)
        .await
        .unwrap();
    assert_eq!(download.object, object);
}

#[tokio::test]
async fn content_types_are_guessed_from_the_name() {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    for (name, expected) in [
        ("a.json", "application/json"),
        ("dir/page.html", "text/html"),
        ("image.png", "image/png"),
        ("no-extension", "application/octet-stream"),
    ] {
        let object = f
            .storage
            .upload_bytes(
                "c",
                name,
                Bytes::from_static(b"{}"),
                &UploadOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(object.content_type.as_deref(), Some(expected), "{name}");
        let got = f.storage.get_object("c", name).await.unwrap();
        assert_eq!(got.content_type.as_deref(), Some(expected), "{name}");
        assert!(got.meta_data.is_empty());
    }
}

#[tokio::test]
async fn a_missing_sidecar_falls_back_to_the_file() {
    let f = fixture().await;
    std::fs::remove_dir_all(sidecars(&f)).unwrap();
    let object = f.storage.get_object("c", "docs/report.bin").await.unwrap();
    assert_eq!(
        object.hash.as_deref(),
        Some(md5_hex(b"report body").as_str())
    );
    assert_eq!(object.size, 11);
    assert_eq!(
        object.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert!(object.meta_data.is_empty());
    assert_eq!(f.read("c", "docs/report.bin").await, b"report body");
    let listed = f.storage.list_container_objects("c", None).await.unwrap();
    assert_eq!(listed, [object]);
    // Deleting still works without it.
    f.storage
        .delete_object("c", "docs/report.bin")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_corrupt_sidecar_is_ignored() {
    let f = fixture().await;
    let mut files = Vec::new();
    collect_files(&sidecars(&f), &mut files);
    assert_eq!(files.len(), 1);
    std::fs::write(&files[0], b"{ not json").unwrap();
    let object = f.storage.get_object("c", "docs/report.bin").await.unwrap();
    assert_eq!(
        object.hash.as_deref(),
        Some(md5_hex(b"report body").as_str())
    );
    assert!(object.meta_data.is_empty());
}

#[tokio::test]
async fn a_file_changed_by_hand_gets_a_fresh_hash() {
    let f = fixture().await;
    let path = f.root().join("c/docs/report.bin");
    // Same size, other bytes: the sidecar's timestamp no longer matches, so the hash is
    // computed again while the content type and metadata stay.
    std::fs::write(&path, b"REPORT BODY").unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    drop(file);
    let object = f.storage.get_object("c", "docs/report.bin").await.unwrap();
    assert_eq!(
        object.hash.as_deref(),
        Some(md5_hex(b"REPORT BODY").as_str())
    );
    assert_eq!(
        object.content_type.as_deref(),
        Some("text/x-custom; charset=utf-8")
    );
    assert_eq!(object.meta_data["owner"], "Ann");

    // Another size: the sidecar describes other bytes altogether and is ignored.
    std::fs::write(&path, b"a longer replacement body").unwrap();
    let object = f.storage.get_object("c", "docs/report.bin").await.unwrap();
    assert_eq!(object.size, 25);
    assert_eq!(
        object.hash.as_deref(),
        Some(md5_hex(b"a longer replacement body").as_str())
    );
    assert_eq!(
        object.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert!(object.meta_data.is_empty());
    let download = f
        .storage
        .download_object_as_stream("c", "docs/report.bin", None)
        .await
        .unwrap();
    assert_eq!(download.object, object);
}

#[tokio::test]
async fn download_to_path_checks_the_hash() {
    let f = fixture().await;
    let target = f.parent().join("copy.bin");
    let written = f
        .storage
        .download_to_path("c", "docs/report.bin", &target, None, false)
        .await
        .unwrap();
    assert_eq!(written, target);
    assert_eq!(std::fs::read(&target).unwrap(), b"report body");
}

fn collect_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            collect_files(&entry.path(), out);
        } else {
            out.push(entry.path());
        }
    }
}
