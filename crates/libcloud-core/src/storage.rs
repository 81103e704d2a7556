//! The storage API: containers and objects, streamed both ways.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::body::{ByteStream, collect_stream, once_stream};
use crate::common::{Extra, rfc3339_opt};
use crate::error::{Error, ErrorKind, ResourceKind, Result};

/// A container (a bucket).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Container {
    /// Its name.
    pub name: String,
    /// Provider-specific attributes (region, creation date, CDN state, ...).
    #[serde(default)]
    pub extra: Extra,
}

impl Container {
    /// A container with no extra attributes.
    pub fn new(name: impl Into<String>) -> Self {
        Container {
            name: name.into(),
            extra: Extra::new(),
        }
    }
}

/// A stored object's metadata (Libcloud's `Object`, without the body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    /// Its name within the container; may contain `/`.
    pub name: String,
    /// The container's name.
    pub container: String,
    /// Size in bytes.
    pub size: u64,
    /// Its hash as the provider reports it: the hex MD5 of the content where
    /// [`StorageCapabilities::hash_is_md5`] is true, otherwise an opaque ETag.
    pub hash: Option<String>,
    /// Its content type.
    pub content_type: Option<String>,
    /// When it was last written.
    #[serde(with = "rfc3339_opt", default)]
    pub last_modified: Option<SystemTime>,
    /// User metadata (`x-amz-meta-*`, `X-Object-Meta-*`), keys lower-case.
    #[serde(default)]
    pub meta_data: BTreeMap<String, String>,
    /// Provider-specific attributes.
    #[serde(default)]
    pub extra: Extra,
}

/// A byte range of an object: `start` inclusive, `end` exclusive, as Libcloud.
///
/// ```
/// use libcloud_core::ByteRange;
/// assert_eq!(ByteRange::new(0, Some(100)).unwrap().to_header(), "bytes=0-99");
/// assert_eq!(ByteRange::from(5).to_header(), "bytes=5-");
/// assert!(ByteRange::new(7, Some(7)).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteRange {
    /// First byte, inclusive.
    pub start: u64,
    /// End, exclusive; `None` reads to the end of the object.
    pub end: Option<u64>,
}

impl ByteRange {
    /// A range from `start` up to `end` (exclusive). An empty or inverted range is
    /// [`ErrorKind::InvalidInput`], as Libcloud's `ValueError`.
    pub fn new(start: u64, end: Option<u64>) -> Result<Self> {
        if let Some(end) = end
            && end <= start
        {
            return Err(Error::invalid_input(format!(
                "byte range end ({end}) must be greater than start ({start})"
            )));
        }
        Ok(ByteRange { start, end })
    }

    /// The HTTP `Range` header value (`bytes=start-end-1`, or `bytes=start-`).
    pub fn to_header(&self) -> String {
        match self.end {
            Some(end) => format!("bytes={}-{}", self.start, end - 1),
            None => format!("bytes={}-", self.start),
        }
    }

    /// The range clamped to an object of `size` bytes, as `(start, end)` offsets.
    /// A start at or past the end is [`ErrorKind::InvalidInput`].
    pub fn clamp(&self, size: u64) -> Result<(u64, u64)> {
        if self.start >= size && !(self.start == 0 && size == 0) {
            return Err(Error::invalid_input(format!(
                "range start {} is beyond the object's {size} bytes",
                self.start
            )));
        }
        Ok((self.start, self.end.map_or(size, |e| e.min(size))))
    }
}

impl From<u64> for ByteRange {
    fn from(start: u64) -> Self {
        ByteRange { start, end: None }
    }
}

/// Options for uploads (Libcloud's `extra` and `headers` of `upload_object`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadOptions {
    /// The content type; guessed from the name when `None`, `application/octet-stream` failing that.
    pub content_type: Option<String>,
    /// User metadata to store with the object.
    pub meta_data: BTreeMap<String, String>,
    /// A canned ACL (`private`, `public-read`), for providers that have them.
    pub acl: Option<String>,
    /// A storage class (`STANDARD`, `GLACIER`), for providers that have them.
    pub storage_class: Option<String>,
    /// Check the stored object's hash against the data sent. Default true.
    pub verify_hash: bool,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            content_type: None,
            meta_data: BTreeMap::new(),
            acl: None,
            storage_class: None,
            verify_hash: true,
        }
    }
}

impl UploadOptions {
    /// Sets the content type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Adds one user metadata entry.
    pub fn meta(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.meta_data.insert(key.into(), value.into());
        self
    }
}

/// A download in progress: the object's metadata and a stream of its bytes.
pub struct Download {
    /// The object as the provider described it when the download started.
    pub object: Object,
    /// The range being read, `None` for the whole object.
    pub range: Option<ByteRange>,
    /// The bytes.
    pub stream: ByteStream,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("object", &self.object)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// Reads the whole download into memory, refusing more than `limit` bytes.
    pub async fn bytes(self, limit: usize) -> Result<Bytes> {
        collect_stream(self.stream, limit).await
    }
}

/// A listing split at a delimiter, as a directory listing (object_store's `ListResult`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListResult {
    /// Objects directly under the prefix.
    pub objects: Vec<Object>,
    /// The "sub-folders": each distinct prefix up to and including the next delimiter.
    pub common_prefixes: Vec<String>,
}

/// How the driver's [`Object::hash`] is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum HashKind {
    /// The hex MD5 of the content.
    #[default]
    Md5,
    /// An opaque value (a multipart ETag, a provider digest) that only changes with the content.
    Opaque,
}

/// What a storage driver can do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StorageCapabilities {
    /// Object hashes are the MD5 of the content.
    pub hash_is_md5: bool,
    /// Ranged downloads are served by the provider (otherwise an error).
    pub ranged_download: bool,
    /// Large uploads are split into concurrent parts.
    pub multipart_upload: bool,
    /// User metadata is stored.
    pub user_metadata: bool,
    /// Content types are stored.
    pub content_type: bool,
    /// `list_with_delimiter` is answered by the provider rather than by filtering.
    pub server_side_delimiter: bool,
    /// `get_object_cdn_url` works (presigned or CDN URLs).
    pub object_cdn_url: bool,
    /// Containers can be published on a CDN.
    pub container_cdn: bool,
    /// Names must be valid as path segments (no `..`, no leading `/`).
    pub strict_names: bool,
}

/// The storage API every storage driver implements (Libcloud's `StorageDriver`).
///
/// Containers and objects are addressed by name. Bodies are [`ByteStream`]s both ways, so memory
/// stays bounded whatever the object's size. Conveniences (`upload_file`, `download_to_path`,
/// `list_container_objects`, ...) are in [`StorageDriverExt`].
#[async_trait]
pub trait StorageDriver: Send + Sync + std::fmt::Debug {
    /// The provider's short name (`"local"`, `"s3"`).
    fn name(&self) -> &str;

    /// What this driver can do.
    fn capabilities(&self) -> StorageCapabilities;

    /// Every container, read page by page as the stream is polled.
    fn iterate_containers(&self) -> BoxStream<'_, Result<Container>>;

    /// One container by name.
    async fn get_container(&self, name: &str) -> Result<Container>;

    /// Creates a container. An existing one is [`ErrorKind::AlreadyExists`].
    async fn create_container(&self, name: &str) -> Result<Container>;

    /// Deletes an empty container. One that holds objects is [`ErrorKind::NotEmpty`].
    async fn delete_container(&self, name: &str) -> Result<()>;

    /// The objects of a container whose names start with `prefix`, in name order.
    fn iterate_container_objects<'a>(
        &'a self,
        container: &'a str,
        prefix: Option<&'a str>,
    ) -> BoxStream<'a, Result<Object>>;

    /// The objects and common prefixes directly under `prefix`, split at `delimiter`.
    ///
    /// The default groups the flat listing; drivers whose provider can do it override this.
    async fn list_with_delimiter(
        &self,
        container: &str,
        prefix: Option<&str>,
        delimiter: &str,
    ) -> Result<ListResult> {
        if delimiter.is_empty() {
            return Err(Error::invalid_input("the delimiter must not be empty"));
        }
        let base = prefix.unwrap_or("");
        let mut result = ListResult::default();
        let mut prefixes = BTreeSet::new();
        let mut stream = self.iterate_container_objects(container, prefix);
        while let Some(object) = stream.try_next().await? {
            let rest = &object.name[base.len()..];
            match rest.find(delimiter) {
                Some(i) => {
                    prefixes.insert(format!("{base}{}", &rest[..i + delimiter.len()]));
                }
                None => result.objects.push(object),
            }
        }
        result.common_prefixes = prefixes.into_iter().collect();
        Ok(result)
    }

    /// One object's metadata (a HEAD).
    async fn get_object(&self, container: &str, name: &str) -> Result<Object>;

    /// Streams an object, or the `range` of it (Libcloud's `download_object_as_stream` and
    /// `download_object_range_as_stream`).
    async fn download_object_as_stream(
        &self,
        container: &str,
        name: &str,
        range: Option<ByteRange>,
    ) -> Result<Download>;

    /// Stores an object from a stream, replacing any object of that name. Nothing is visible
    /// under the name until the whole stream has been stored; a failed stream leaves the old
    /// object (or none) in place.
    async fn upload_object_via_stream(
        &self,
        container: &str,
        name: &str,
        body: ByteStream,
        options: &UploadOptions,
    ) -> Result<Object>;

    /// Deletes an object.
    async fn delete_object(&self, container: &str, name: &str) -> Result<()>;

    /// A URL that gives read access to the object for `expires` without credentials: a presigned
    /// URL or a CDN URL (Libcloud's `get_object_cdn_url`).
    async fn get_object_cdn_url(
        &self,
        _container: &str,
        _name: &str,
        _expires: Duration,
    ) -> Result<String> {
        Err(Error::unsupported("get_object_cdn_url"))
    }

    /// The CDN URL of a container published with [`enable_container_cdn`](Self::enable_container_cdn).
    async fn get_container_cdn_url(&self, _container: &str) -> Result<String> {
        Err(Error::unsupported("get_container_cdn_url"))
    }

    /// Publishes a container on the provider's CDN.
    async fn enable_container_cdn(&self, _container: &str) -> Result<()> {
        Err(Error::unsupported("enable_container_cdn"))
    }
}

/// Guesses a content type from an object name, `application/octet-stream` failing that.
pub fn guess_content_type(name: &str) -> String {
    mime_guess::from_path(name)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_string()
}

/// Conveniences over [`StorageDriver`], for every driver.
#[async_trait]
pub trait StorageDriverExt: StorageDriver {
    /// Every container, collected.
    async fn list_containers(&self) -> Result<Vec<Container>> {
        self.iterate_containers().try_collect().await
    }

    /// Every object under `prefix`, collected.
    async fn list_container_objects(
        &self,
        container: &str,
        prefix: Option<&str>,
    ) -> Result<Vec<Object>> {
        self.iterate_container_objects(container, prefix)
            .try_collect()
            .await
    }

    /// Stores `data` as an object.
    async fn upload_bytes(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        options: &UploadOptions,
    ) -> Result<Object> {
        self.upload_object_via_stream(container, name, once_stream(data), options)
            .await
    }

    /// Streams a local file up as an object (Libcloud's `upload_object`).
    #[doc(alias = "upload_object")]
    async fn upload_file(
        &self,
        container: &str,
        name: &str,
        path: &Path,
        options: &UploadOptions,
    ) -> Result<Object> {
        let file = tokio::fs::File::open(path).await?;
        let stream = file_stream(file);
        self.upload_object_via_stream(container, name, stream, options)
            .await
    }

    /// A range of an object as a stream (Libcloud's `download_object_range_as_stream`; `end`
    /// exclusive).
    async fn download_object_range_as_stream(
        &self,
        container: &str,
        name: &str,
        start: u64,
        end: Option<u64>,
    ) -> Result<ByteStream> {
        let range = ByteRange::new(start, end)?;
        Ok(self
            .download_object_as_stream(container, name, Some(range))
            .await?
            .stream)
    }

    /// A whole object in memory, refusing more than `limit` bytes.
    async fn download_object_as_bytes(
        &self,
        container: &str,
        name: &str,
        limit: usize,
    ) -> Result<Bytes> {
        self.download_object_as_stream(container, name, None)
            .await?
            .bytes(limit)
            .await
    }

    /// Downloads an object (or a range of it) to a file (Libcloud's `download_object`).
    ///
    /// The bytes go to a temporary file beside `destination`, which is renamed into place only
    /// when the length (and, for whole objects of drivers whose hash is an MD5, the checksum)
    /// matches; on any failure the temporary file is removed and `destination` is untouched. A
    /// `destination` that is a directory gets the object's base name. An existing file is
    /// replaced only with `overwrite`.
    #[doc(alias = "download_object")]
    async fn download_to_path(
        &self,
        container: &str,
        name: &str,
        destination: &Path,
        range: Option<ByteRange>,
        overwrite: bool,
    ) -> Result<PathBuf> {
        let mut target = destination.to_path_buf();
        if tokio::fs::metadata(&target)
            .await
            .map(|m| m.is_dir())
            .unwrap_or(false)
        {
            let base = name.rsplit('/').next().unwrap_or(name);
            if base.is_empty() || base == "." || base == ".." {
                return Err(Error::invalid_input(format!(
                    "object name {name:?} has no usable file name"
                )));
            }
            target.push(base);
        }
        if !overwrite && tokio::fs::try_exists(&target).await? {
            return Err(
                Error::already_exists(ResourceKind::Other, target.display().to_string())
                    .with_message("destination exists and overwrite is false"),
            );
        }
        let download = self
            .download_object_as_stream(container, name, range)
            .await?;
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let expected_len = match range {
            None => Some(download.object.size),
            Some(r) => r.clamp(download.object.size).ok().map(|(s, e)| e - s),
        };
        let check_md5 = range.is_none() && self.capabilities().hash_is_md5;
        let expected_hash = download.object.hash.clone();
        let temp = temp_path_in(&dir);
        let result = async {
            let mut file = tokio::fs::File::create(&temp).await?;
            let mut stream = download.stream;
            let mut written = 0u64;
            let mut md5 = crate::hash::Md5::new();
            while let Some(chunk) = stream.try_next().await? {
                written += chunk.len() as u64;
                if check_md5 {
                    md5.update(&chunk);
                }
                file.write_all(&chunk).await?;
            }
            file.flush().await?;
            file.sync_all().await?;
            if let Some(expected) = expected_len
                && written != expected
            {
                return Err(Error::new(
                    ErrorKind::Transport,
                    format!("download ended after {written} of {expected} bytes"),
                )
                .with_operation("download_to_path"));
            }
            if let (true, Some(expected)) = (check_md5, expected_hash) {
                let actual = md5.hex();
                if !expected.eq_ignore_ascii_case(&actual) {
                    return Err(Error::bare(ErrorKind::HashMismatch { expected, actual })
                        .with_operation("download_to_path"));
                }
            }
            tokio::fs::rename(&temp, &target).await?;
            Ok(())
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        result.map(|()| target)
    }
}

impl<T: StorageDriver + ?Sized> StorageDriverExt for T {}

/// Reads a file as a [`ByteStream`] in 64 KiB chunks.
pub fn file_stream(file: tokio::fs::File) -> ByteStream {
    use tokio::io::AsyncReadExt;
    futures::stream::try_unfold(file, |mut file| async move {
        let mut buf = bytes::BytesMut::with_capacity(64 * 1024);
        let n = file.read_buf(&mut buf).await?;
        if n == 0 {
            Ok(None)
        } else {
            Ok(Some((buf.freeze(), file)))
        }
    })
    .boxed()
}

/// A fresh temporary file name in `dir` (the file is not created).
fn temp_path_in(dir: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(
        ".libcloud-download-{}-{nanos:x}-{n}.part",
        std::process::id()
    ))
}
