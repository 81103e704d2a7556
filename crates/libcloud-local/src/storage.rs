//! [`LocalStorage`]: the [`StorageDriver`] over a local folder.

use std::collections::BTreeMap;
use std::fs::{File, Metadata};
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::BytesMut;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use libcloud_core::hash::Md5;
use libcloud_core::storage::guess_content_type;
use libcloud_core::{
    ByteRange, ByteStream, Container, Download, Error, ErrorKind, Extra, Object, ResourceKind,
    Result, StorageCapabilities, StorageDriver, UploadOptions, async_trait,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::RwLock;

use crate::fsops::{self, CHUNK};
use crate::names::{check_container_name, object_segments};
use crate::sidecar::{self, Sidecar, Trust};

/// The provider name this driver reports.
const NAME: &str = "local";

/// The folder under the root that holds the driver's own files. Container names may not start
/// with `.`, so no container can take it.
pub const RESERVED_DIR: &str = ".libcloud";

/// Orders the steps that change which bytes and sidecar an object name points at (the two
/// renames of an upload, a delete, a container's creation or removal) against readers taking
/// a consistent look at a data file and its sidecar. One lock for the process, so that two
/// drivers on the same root are ordered too; it is held only for renames and unlinks, never
/// while a body streams.
static COMMIT: RwLock<()> = RwLock::const_new(());

/// Object storage in a local folder: containers are folders under the root, objects are files.
///
/// Cloning is cheap and clones share everything. See the [crate documentation](crate) for the
/// layout on disk, the name rules and the guarantees.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use libcloud_core::{Bytes, StorageDriver, StorageDriverExt, UploadOptions};
/// use libcloud_local::LocalStorage;
///
/// let dir = tempfile::tempdir()?;
/// let storage = LocalStorage::new(dir.path().join("data"))?;
/// storage.create_container("photos").await?;
/// let object = storage
///     .upload_bytes("photos", "2024/cat.txt", Bytes::from("meow"), &UploadOptions::default())
///     .await?;
/// assert_eq!(object.hash.as_deref(), Some("4a4be40c96ac6314e91d93f38043a634"));
/// assert_eq!(object.content_type.as_deref(), Some("text/plain"));
/// assert!(dir.path().join("data/photos/2024/cat.txt").is_file());
/// let bytes = storage.download_object_as_bytes("photos", "2024/cat.txt", 1024).await?;
/// assert_eq!(&bytes[..], b"meow");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct LocalStorage {
    layout: Arc<Layout>,
}

#[derive(Debug)]
struct Layout {
    /// The root; containers are its sub-folders.
    root: PathBuf,
    /// `<root>/.libcloud/meta`: sidecars, by container.
    meta: PathBuf,
    /// `<root>/.libcloud/tmp`: uploads in progress.
    tmp: PathBuf,
}

impl LocalStorage {
    /// A driver storing under `root`, which is created (with its parents) if missing.
    ///
    /// A relative `root` is made absolute against the current directory now, so a later change
    /// of directory does not move the store. A `root` that exists but is not a folder is
    /// [`ErrorKind::InvalidInput`]; failing to create it is the I/O error's kind. The driver's own
    /// folder, `.libcloud`, is created on the first upload.
    pub fn new(root: impl Into<PathBuf>) -> Result<LocalStorage> {
        let root = root.into();
        let root = std::path::absolute(&root).map_err(|e| {
            Error::invalid_input(format!("cannot make {} absolute", root.display())).with_source(e)
        })?;
        match std::fs::metadata(&root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::invalid_input(format!(
                    "{} exists and is not a folder",
                    root.display()
                ))
                .with_provider(NAME));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&root).map_err(|e| {
                    Error::from(e)
                        .with_provider(NAME)
                        .with_message(format!("cannot create {}", root.display()))
                })?;
            }
            Err(e) => return Err(Error::from(e).with_provider(NAME)),
        }
        let own = root.join(RESERVED_DIR);
        Ok(LocalStorage {
            layout: Arc::new(Layout {
                meta: own.join("meta"),
                tmp: own.join("tmp"),
                root,
            }),
        })
    }

    /// The root folder (absolute), under which every container is a sub-folder.
    pub fn root(&self) -> &Path {
        &self.layout.root
    }

    /// Removes upload temporary files older than `older_than` and returns how many went.
    ///
    /// An upload cut short by a crash or a killed process leaves its temporary file behind in
    /// `<root>/.libcloud/tmp`; an upload that fails or is dropped cleans up after itself. Pick an
    /// age longer than any upload in progress may take, since a younger file may belong to one.
    pub async fn ex_remove_stale_temp_files(&self, older_than: Duration) -> Result<usize> {
        let tmp = self.layout.tmp.clone();
        blocking(move || {
            let entries = match std::fs::read_dir(&tmp) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                Err(e) => return Err(e.into()),
            };
            let now = SystemTime::now();
            let mut removed = 0;
            for entry in entries {
                let entry = entry?;
                let meta = entry.metadata()?;
                if !meta.is_file() {
                    continue;
                }
                let age = meta
                    .modified()
                    .ok()
                    .and_then(|t| now.duration_since(t).ok())
                    .unwrap_or(Duration::ZERO);
                if age >= older_than {
                    match std::fs::remove_file(entry.path()) {
                        Ok(()) => removed += 1,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Ok(removed)
        })
        .await
        .map_err(|e| ctx(e, "ex_remove_stale_temp_files"))
    }

    /// A fresh path in the temporary folder (the file is not created).
    fn temp_path(&self, kind: &str) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        self.layout
            .tmp
            .join(format!("{}-{n}-{nanos:08x}.{kind}", std::process::id()))
    }

    /// Opens an object's data file and reads its sidecar, as one consistent look.
    async fn open(&self, container: &str, name: &str) -> Result<Opened> {
        check_container_name(container)?;
        object_segments(name)?;
        let layout = self.layout.clone();
        let (container, name) = (container.to_owned(), name.to_owned());
        let _look = COMMIT.read().await;
        blocking(move || {
            let segments = object_segments(&name)?;
            let (file, meta) = fsops::open_object(&layout.root, &container, &name, &segments)?;
            let sidecar_path = sidecar::path(&layout.meta, &container, &name);
            let sidecar = match std::fs::read(&sidecar_path) {
                Ok(bytes) => Sidecar::parse(&bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    tracing::warn!(object = %name, error = %e, "cannot read the object's sidecar; ignoring it");
                    None
                }
            };
            Ok(Opened {
                file,
                meta,
                sidecar,
                container,
                name,
            })
        })
        .await
    }

    /// One object's metadata with its data file positioned at `start`; the hash is computed
    /// from the file when the sidecar cannot vouch for it.
    async fn describe(
        &self,
        container: &str,
        name: &str,
        start: Option<ByteRange>,
    ) -> Result<(Object, File, u64, u64)> {
        let opened = self.open(container, name).await?;
        blocking(move || {
            let Opened {
                mut file,
                meta,
                sidecar,
                container,
                name,
            } = opened;
            let object = object_from(&container, &name, &meta, sidecar, &mut file)?;
            let (start, end) = match start {
                None => (0, object.size),
                Some(range) => ByteRange::new(range.start, range.end)?.clamp(object.size)?,
            };
            file.seek(SeekFrom::Start(start))?;
            Ok((object, file, start, end))
        })
        .await
    }

    /// The upload itself, with the temporary files it makes recorded in `temps`.
    async fn upload(
        &self,
        container: &str,
        name: &str,
        mut body: ByteStream,
        options: &UploadOptions,
        temps: &mut TempFiles,
    ) -> Result<Object> {
        check_container_name(container)?;
        object_segments(name)?;
        let layout = self.layout.clone();
        let (c, n) = (container.to_owned(), name.to_owned());
        // Refuse a missing container or a name that cannot be stored before reading any byte.
        blocking(move || {
            let segments = object_segments(&n)?;
            fsops::prepare_target(&layout.root, &c, &n, &segments, false, &mut Vec::new()).map(drop)
        })
        .await?;

        tokio::fs::create_dir_all(&self.layout.tmp).await?;
        let data_temp = self.temp_path("data");
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&data_temp)
            .await?;
        temps.push(data_temp.clone());
        let mut hasher = Md5::new();
        let mut size = 0u64;
        while let Some(chunk) = body.try_next().await? {
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        file.sync_all().await?;
        let mtime = file.metadata().await?.modified().ok();
        drop(file);

        let md5 = hasher.hex();
        let content_type = options
            .content_type
            .clone()
            .unwrap_or_else(|| guess_content_type(name));
        let meta_data: BTreeMap<String, String> = options
            .meta_data
            .iter()
            .map(|(k, v)| (k.to_lowercase(), v.clone()))
            .collect();
        let record = Sidecar::new(
            name,
            size,
            mtime.unwrap_or(SystemTime::UNIX_EPOCH),
            md5.clone(),
            content_type.clone(),
            meta_data.clone(),
        );
        let sidecar_temp = self.temp_path("meta");
        let mut sidecar_file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&sidecar_temp)
            .await?;
        temps.push(sidecar_temp.clone());
        sidecar_file.write_all(&record.to_json()).await?;
        sidecar_file.flush().await?;
        sidecar_file.sync_all().await?;
        drop(sidecar_file);

        let layout = self.layout.clone();
        let (c, n) = (container.to_owned(), name.to_owned());
        let commit_lock = COMMIT.write().await;
        let backup = self.temp_path("old");
        let dirty =
            blocking(move || commit(&layout, &c, &n, &data_temp, &sidecar_temp, &backup)).await?;
        drop(commit_lock);
        temps.disarm();
        blocking(move || {
            for dir in dirty {
                fsops::sync_dir(&dir);
            }
            Ok(())
        })
        .await?;

        Ok(Object {
            name: name.to_owned(),
            container: container.to_owned(),
            size,
            hash: Some(md5),
            content_type: Some(content_type),
            last_modified: mtime,
            meta_data,
            extra: Extra::new(),
        })
    }
}

/// A data file opened for reading, with the sidecar read at the same moment.
struct Opened {
    file: File,
    meta: Metadata,
    sidecar: Option<Sidecar>,
    container: String,
    name: String,
}

/// Builds the [`Object`] for an opened data file, trusting the sidecar as far as it holds.
fn object_from(
    container: &str,
    name: &str,
    meta: &Metadata,
    sidecar: Option<Sidecar>,
    file: &mut File,
) -> Result<Object> {
    let size = meta.len();
    let mtime = meta.modified().ok();
    let trust = sidecar
        .as_ref()
        .map_or(Trust::None, |s| s.trust(name, size, mtime));
    let (hash, content_type, meta_data) = match (trust, sidecar) {
        (Trust::Full, Some(s)) => (s.md5, s.content_type, s.meta_data),
        (Trust::KeepMetadata, Some(s)) => (fsops::md5_of(file)?, s.content_type, s.meta_data),
        _ => (
            fsops::md5_of(file)?,
            guess_content_type(name),
            BTreeMap::new(),
        ),
    };
    Ok(Object {
        name: name.to_owned(),
        container: container.to_owned(),
        size,
        hash: Some(hash),
        content_type: Some(content_type),
        last_modified: mtime,
        meta_data,
        extra: Extra::new(),
    })
}

/// Puts an uploaded object in place: makes its folders, swaps in the sidecar, then renames the
/// data over the name. If the data cannot be put in place, the previous sidecar is restored.
/// Returns the folders whose entries changed, to be synced.
fn commit(
    layout: &Layout,
    container: &str,
    name: &str,
    data_temp: &Path,
    sidecar_temp: &Path,
    backup: &Path,
) -> Result<Vec<PathBuf>> {
    let segments = object_segments(name)?;
    let mut created = Vec::new();
    let target =
        fsops::prepare_target(&layout.root, container, name, &segments, true, &mut created)?;
    let sidecar_path = sidecar::path(&layout.meta, container, name);
    let sidecar_dir = sidecar_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| layout.meta.clone());
    std::fs::create_dir_all(&sidecar_dir)?;
    let previous = std::fs::read(&sidecar_path).ok();
    std::fs::rename(sidecar_temp, &sidecar_path)?;
    if let Err(e) = std::fs::rename(data_temp, &target) {
        let restored = match &previous {
            Some(bytes) => fsops::write_atomically(backup, &sidecar_path, bytes),
            None => std::fs::remove_file(&sidecar_path),
        };
        if let Err(r) = restored {
            tracing::warn!(object = %name, error = %r, "could not restore the previous sidecar");
        }
        for dir in created.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
        return Err(e.into());
    }
    let mut dirty: Vec<PathBuf> = created
        .iter()
        .filter_map(|d| d.parent().map(Path::to_path_buf))
        .collect();
    if let Some(parent) = target.parent() {
        dirty.push(parent.to_path_buf());
    }
    dirty.push(sidecar_dir);
    dirty.sort();
    dirty.dedup();
    Ok(dirty)
}

/// Temporary files of an upload in progress, removed unless the upload put them in place —
/// also when the upload's future is dropped half way.
#[derive(Default)]
struct TempFiles {
    paths: Vec<PathBuf>,
}

impl TempFiles {
    fn push(&mut self, path: PathBuf) {
        self.paths.push(path);
    }

    /// The files were renamed into place: nothing to remove.
    fn disarm(&mut self) {
        self.paths.clear();
    }

    /// Removes the files now, waiting for it.
    async fn remove(&mut self) {
        for path in self.paths.drain(..) {
            if let Err(e) = tokio::fs::remove_file(&path).await
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %e, "could not remove a temporary file");
            }
        }
    }
}

impl Drop for TempFiles {
    fn drop(&mut self) {
        let paths = std::mem::take(&mut self.paths);
        if paths.is_empty() {
            return;
        }
        let remove = move || {
            for path in paths {
                let _ = std::fs::remove_file(path);
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn_blocking(remove)),
            Err(_) => remove(),
        }
    }
}

/// Runs blocking filesystem work on tokio's blocking pool.
async fn blocking<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        Error::new(ErrorKind::Transport, "a filesystem task did not finish").with_source(e)
    })?
}

/// Adds the provider and operation to an error.
fn ctx(err: Error, operation: &'static str) -> Error {
    err.or_provider(NAME).or_operation(operation)
}

/// Streams `len` bytes of `file` from where it stands, in chunks of at most [`CHUNK`] bytes.
/// A file that ends early (truncated meanwhile) ends the stream with an error, not short data.
fn read_stream(file: tokio::fs::File, len: u64) -> ByteStream {
    stream::try_unfold((file, len), |(mut file, left)| async move {
        if left == 0 {
            return Ok(None);
        }
        let want = left.min(CHUNK as u64);
        let mut buf = BytesMut::with_capacity(want as usize);
        let n = (&mut file).take(want).read_buf(&mut buf).await?;
        if n == 0 {
            return Err(Error::new(
                ErrorKind::Transport,
                format!("the file ended {left} bytes early; it was truncated while being read"),
            )
            .with_provider(NAME)
            .with_operation("download_object_as_stream"));
        }
        Ok(Some((buf.freeze(), (file, left - n as u64))))
    })
    .boxed()
}

#[async_trait]
impl StorageDriver for LocalStorage {
    fn name(&self) -> &str {
        NAME
    }

    fn capabilities(&self) -> StorageCapabilities {
        let mut caps = StorageCapabilities::default();
        caps.hash_is_md5 = true;
        caps.ranged_download = true;
        caps.user_metadata = true;
        caps.content_type = true;
        caps.strict_names = true;
        caps
    }

    fn iterate_containers(&self) -> BoxStream<'_, Result<Container>> {
        let root = self.layout.root.clone();
        let names = blocking(move || {
            let mut names = Vec::new();
            for entry in std::fs::read_dir(&root)? {
                let entry = entry?;
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                if entry.file_type()?.is_dir() && check_container_name(&name).is_ok() {
                    names.push(name);
                }
            }
            names.sort_unstable();
            Ok(names)
        });
        stream::once(names)
            .map_ok(|names| stream::iter(names.into_iter().map(|n| Ok(Container::new(n)))))
            .try_flatten()
            .map_err(|e| ctx(e, "iterate_containers"))
            .boxed()
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        let result = async {
            check_container_name(name)?;
            let root = self.layout.root.clone();
            let owned = name.to_owned();
            blocking(move || fsops::container_dir(&root, &owned)).await?;
            Ok(Container::new(name))
        };
        result.await.map_err(|e| ctx(e, "get_container"))
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        let result = async {
            check_container_name(name)?;
            let layout = self.layout.clone();
            let owned = name.to_owned();
            let _commit = COMMIT.write().await;
            blocking(move || {
                let dir = layout.root.join(&owned);
                match std::fs::create_dir(&dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        return match std::fs::symlink_metadata(&dir) {
                            Ok(m) if m.is_dir() => {
                                Err(Error::already_exists(ResourceKind::Container, owned))
                            }
                            _ => Err(Error::invalid_input(format!(
                                "{owned:?} is taken by a file or link that is not a container"
                            ))),
                        };
                    }
                    Err(e) => return Err(e.into()),
                }
                fsops::sync_dir(&layout.root);
                // Sidecars left by a container of that name removed behind the driver's back
                // describe nothing now.
                fsops::remove_sidecars(&layout.meta.join(&owned));
                Ok(())
            })
            .await?;
            Ok(Container::new(name))
        };
        result.await.map_err(|e| ctx(e, "create_container"))
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        let result = async {
            check_container_name(name)?;
            let layout = self.layout.clone();
            let owned = name.to_owned();
            let _commit = COMMIT.write().await;
            blocking(move || {
                let dir = fsops::container_dir(&layout.root, &owned)?;
                let folders = fsops::empty_tree(&dir, &owned)?;
                for folder in &folders {
                    fsops::remove_empty_dir(folder, &owned)?;
                }
                fsops::remove_empty_dir(&dir, &owned)?;
                fsops::sync_dir(&layout.root);
                fsops::remove_sidecars(&layout.meta.join(&owned));
                Ok(())
            })
            .await
        };
        result.await.map_err(|e| ctx(e, "delete_container"))
    }

    fn iterate_container_objects<'a>(
        &'a self,
        container: &'a str,
        prefix: Option<&'a str>,
    ) -> BoxStream<'a, Result<Object>> {
        let names = async move {
            check_container_name(container)?;
            let root = self.layout.root.clone();
            let (c, p) = (container.to_owned(), prefix.unwrap_or("").to_owned());
            blocking(move || {
                let dir = fsops::container_dir(&root, &c)?;
                fsops::list_names(&dir, &p)
            })
            .await
        };
        stream::once(names)
            .map_ok(move |names| {
                stream::iter(names)
                    .then(move |name| async move {
                        match self.describe(container, &name, None).await {
                            Ok((object, ..)) => Ok(Some(object)),
                            // Deleted since the folder was read.
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    ErrorKind::NotFound {
                                        kind: ResourceKind::Object,
                                        ..
                                    }
                                ) =>
                            {
                                Ok(None)
                            }
                            Err(e) => Err(e),
                        }
                    })
                    .try_filter_map(|o| futures::future::ready(Ok(o)))
            })
            .try_flatten()
            .map_err(|e| ctx(e, "iterate_container_objects"))
            .boxed()
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        self.describe(container, name, None)
            .await
            .map(|(object, ..)| object)
            .map_err(|e| ctx(e, "get_object"))
    }

    async fn download_object_as_stream(
        &self,
        container: &str,
        name: &str,
        range: Option<ByteRange>,
    ) -> Result<Download> {
        let (object, file, start, end) = self
            .describe(container, name, range)
            .await
            .map_err(|e| ctx(e, "download_object_as_stream"))?;
        Ok(Download {
            object,
            range,
            stream: read_stream(tokio::fs::File::from_std(file), end - start),
        })
    }

    async fn upload_object_via_stream(
        &self,
        container: &str,
        name: &str,
        body: ByteStream,
        options: &UploadOptions,
    ) -> Result<Object> {
        let mut temps = TempFiles::default();
        let result = self
            .upload(container, name, body, options, &mut temps)
            .await;
        if result.is_err() {
            temps.remove().await;
        }
        result.map_err(|e| ctx(e, "upload_object_via_stream"))
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        let result = async {
            check_container_name(container)?;
            object_segments(name)?;
            let layout = self.layout.clone();
            let (c, n) = (container.to_owned(), name.to_owned());
            let _commit = COMMIT.write().await;
            blocking(move || {
                let segments = object_segments(&n)?;
                let (path, _) = fsops::find_object(&layout.root, &c, &n, &segments)?;
                std::fs::remove_file(&path)?;
                let sidecar_path = sidecar::path(&layout.meta, &c, &n);
                match std::fs::remove_file(&sidecar_path) {
                    Ok(()) => {
                        if let Some(dir) = sidecar_path.parent() {
                            let _ = std::fs::remove_dir(dir);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(object = %n, error = %e, "could not remove the sidecar");
                    }
                }
                let container_dir = layout.root.join(&c);
                if let Some(parent) = path.parent() {
                    fsops::sync_dir(parent);
                    fsops::prune_empty_dirs(parent, &container_dir);
                }
                Ok(())
            })
            .await
        };
        result.await.map_err(|e| ctx(e, "delete_object"))
    }
}
