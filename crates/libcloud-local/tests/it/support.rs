//! Shared set-up: a driver in a temporary folder, and snapshots of the whole tree around it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use libcloud_core::hash::md5_hex;
use libcloud_core::{ByteStream, Bytes, Error, ErrorKind, Result, StorageDriverExt, UploadOptions};
use libcloud_local::LocalStorage;

/// A driver whose root is `<tempdir>/root`, so that the temporary folder around the root shows
/// anything written outside it.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub storage: LocalStorage,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let storage = LocalStorage::new(dir.path().join("root")).unwrap();
        Fixture { dir, storage }
    }

    pub fn parent(&self) -> &Path {
        self.dir.path()
    }

    pub fn root(&self) -> PathBuf {
        self.storage.root().to_path_buf()
    }

    pub async fn put(&self, container: &str, name: &str, data: &[u8]) {
        self.storage
            .upload_bytes(
                container,
                name,
                Bytes::copy_from_slice(data),
                &UploadOptions::default(),
            )
            .await
            .unwrap();
    }

    pub async fn read(&self, container: &str, name: &str) -> Vec<u8> {
        self.storage
            .download_object_as_bytes(container, name, 1 << 30)
            .await
            .unwrap()
            .to_vec()
    }

    /// The files left in the upload temporary folder.
    pub fn temp_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.root().join(".libcloud/tmp")) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// What a path in a snapshot is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    File { len: u64, md5: String },
    Link(PathBuf),
}

/// Every path under `dir` (links not followed), with what it is and, for files, their content.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Node> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            let kind = entry.file_type().unwrap();
            let node = if kind.is_symlink() {
                Node::Link(std::fs::read_link(&path).unwrap())
            } else if kind.is_dir() {
                pending.push(path.clone());
                Node::Dir
            } else {
                let data = std::fs::read(&path).unwrap();
                Node::File {
                    len: data.len() as u64,
                    md5: md5_hex(&data),
                }
            };
            out.insert(rel, node);
        }
    }
    out
}

/// Asserts an error is `InvalidInput`, with the operation for the message.
pub fn assert_invalid<T: std::fmt::Debug>(result: Result<T>, what: &str) {
    match result {
        Err(e) if *e.kind() == ErrorKind::InvalidInput => {}
        other => panic!("{what}: expected InvalidInput, got {other:?}"),
    }
}

/// A body that yields `chunks`, then fails.
pub fn failing_body(chunks: Vec<&'static [u8]>) -> ByteStream {
    let items: Vec<Result<Bytes>> = chunks
        .into_iter()
        .map(|c| Ok(Bytes::from_static(c)))
        .chain(std::iter::once(Err(Error::new(
            ErrorKind::Transport,
            "the sender went away",
        ))))
        .collect();
    futures::stream::iter(items).boxed()
}

/// `n` bytes of a pattern that does not repeat on chunk boundaries.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 7 + i / 251) % 256) as u8).collect()
}
