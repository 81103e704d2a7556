//! The local driver's names: the input is split at the first 0xFF byte into a container name
//! and an object name (both as lossy UTF-8). Whatever they are, nothing is written outside the
//! root, and an object that was stored reads back under exactly its name.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libcloud_core::{Bytes, StorageDriver, StorageDriverExt, UploadOptions};
use libcloud_local::LocalStorage;
use libfuzzer_sys::fuzz_target;

/// A folder holding only `root/`, kept for the whole run.
fn parent() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("libcloud-fuzz-local-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("root")).unwrap_or_else(|e| panic!("{e}"));
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let (container, object) = match data.iter().position(|b| *b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"o"[..]),
    };
    let container = String::from_utf8_lossy(container).into_owned();
    let object = String::from_utf8_lossy(object).into_owned();
    let storage = match LocalStorage::new(parent().join("root")) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    libcloud_fuzz::block_on(async {
        let _ = storage.create_container(&container).await;
        let stored = storage
            .upload_bytes(
                &container,
                &object,
                Bytes::from_static(b"x"),
                &UploadOptions::default(),
            )
            .await;
        if stored.is_ok() {
            let back = storage
                .download_object_as_bytes(&container, &object, 16)
                .await;
            assert_eq!(
                back.ok().as_deref(),
                Some(&b"x"[..]),
                "{container:?}/{object:?}"
            );
            let _ = storage.delete_object(&container, &object).await;
        }
        let _ = storage.delete_container(&container).await;
    });
    let entries: Vec<_> = std::fs::read_dir(parent())
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.file_name())).collect())
        .unwrap_or_default();
    assert_eq!(
        entries,
        ["root"],
        "written outside the root: {container:?}/{object:?}"
    );
});
