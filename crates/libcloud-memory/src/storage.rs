//! The in-memory storage driver.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use libcloud_core::body::collect_stream;
use libcloud_core::futures::stream::{self, BoxStream, StreamExt};
use libcloud_core::hash::md5_hex;
use libcloud_core::paging::{Page, paginate};
use libcloud_core::storage::guess_content_type;
use libcloud_core::{
    ByteRange, ByteStream, Bytes, Container, Download, Error, Extra, Object, ResourceKind, Result,
    StorageCapabilities, StorageDriver, UploadOptions, async_trait,
};
use serde_json::json;

use crate::PROVIDER;
use crate::util::{context, lock, percent_encode_path, rfc3339};

/// Objects larger than this are refused unless the limit is changed.
const DEFAULT_MAX_OBJECT_SIZE: usize = 1024 * 1024 * 1024;

/// Listings are read in pages of this many entries, as a provider would send them.
const PAGE_SIZE: usize = 1000;

/// Downloads are streamed in chunks of this many bytes.
const CHUNK_SIZE: usize = 64 * 1024;

/// The longest container name, in bytes.
const MAX_CONTAINER_NAME: usize = 255;

/// The longest object name, in bytes (S3's key limit).
const MAX_OBJECT_NAME: usize = 1024;

/// The canned ACLs uploads may ask for.
const ACLS: [&str; 4] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
];

/// An in-memory object store: containers of objects, kept in name order.
///
/// Objects carry the hex MD5 of their content as their hash, a content type (the one given, or
/// one guessed from the name), user metadata (keys lower-cased) and the time they were written.
/// Uploads are atomic: the whole stream is read first, and an error in it stores nothing and
/// leaves any older object of that name in place. Objects larger than the size limit (1 GiB
/// unless set with [`with_max_object_size`](Self::with_max_object_size)) are refused with
/// `InvalidInput`. Ranged downloads, presigned-style object URLs
/// (`memory://container/name?expires=<unix seconds>`) and published containers
/// (`memory://container`) work as on a real provider; nothing is served at those URLs.
///
/// Container names must be 1 to 255 bytes without `/`; object names 1 to 1024 bytes; neither
/// may hold control characters.
///
/// Clones share one store; each [`new`](Self::new) is a separate one.
///
/// ```
/// use libcloud_core::{Bytes, StorageDriver, StorageDriverExt, UploadOptions};
/// use libcloud_memory::MemoryStorage;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStorage::new();
/// store.create_container("docs").await?;
/// let obj = store
///     .upload_bytes("docs", "hello.txt", Bytes::from("hi"), &UploadOptions::default())
///     .await?;
/// assert_eq!(obj.content_type.as_deref(), Some("text/plain"));
/// assert_eq!(store.download_object_as_bytes("docs", "hello.txt", 1024).await?, "hi");
/// # Ok::<(), libcloud_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct MemoryStorage {
    inner: Arc<Mutex<State>>,
}

impl std::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.inner);
        f.debug_struct("MemoryStorage")
            .field("max_object_size", &state.max_object_size)
            .field("containers", &state.containers.len())
            .field(
                "objects",
                &state
                    .containers
                    .values()
                    .map(|c| c.objects.len())
                    .sum::<usize>(),
            )
            .finish()
    }
}

impl Default for MemoryStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStorage {
    /// A new, empty store whose objects may be up to 1 GiB.
    pub fn new() -> Self {
        Self::with_max_object_size(DEFAULT_MAX_OBJECT_SIZE)
    }

    /// A new, empty store that refuses objects larger than `max_object_size` bytes.
    pub fn with_max_object_size(max_object_size: usize) -> Self {
        MemoryStorage {
            inner: Arc::new(Mutex::new(State {
                max_object_size,
                containers: BTreeMap::new(),
            })),
        }
    }

    /// The largest object this store accepts, in bytes.
    pub fn max_object_size(&self) -> usize {
        lock(&self.inner).max_object_size
    }
}

struct State {
    max_object_size: usize,
    containers: BTreeMap<String, ContainerRec>,
}

struct ContainerRec {
    created_at: SystemTime,
    cdn_enabled: bool,
    objects: BTreeMap<String, StoredObject>,
}

struct StoredObject {
    object: Object,
    data: Bytes,
}

impl State {
    fn container(&self, name: &str) -> Result<&ContainerRec> {
        self.containers
            .get(name)
            .ok_or_else(|| Error::not_found(ResourceKind::Container, name))
    }

    fn object(&self, container: &str, name: &str) -> Result<&StoredObject> {
        self.container(container)?
            .objects
            .get(name)
            .ok_or_else(|| Error::not_found(ResourceKind::Object, name))
    }

    fn describe(name: &str, rec: &ContainerRec) -> Container {
        let mut extra = Extra::new();
        extra.insert("created_at".into(), rfc3339(rec.created_at));
        extra.insert("object_count".into(), json!(rec.objects.len()));
        extra.insert(
            "bytes_used".into(),
            json!(rec.objects.values().map(|o| o.object.size).sum::<u64>()),
        );
        extra.insert("cdn_enabled".into(), json!(rec.cdn_enabled));
        Container {
            name: name.to_string(),
            extra,
        }
    }

    fn containers_page(&self, after: Option<String>) -> Page<Container, String> {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut items: Vec<Container> = self
            .containers
            .range::<String, _>((start, Bound::Unbounded))
            .take(PAGE_SIZE + 1)
            .map(|(name, rec)| Self::describe(name, rec))
            .collect();
        let next = if items.len() > PAGE_SIZE {
            items.truncate(PAGE_SIZE);
            items.last().map(|c| c.name.clone())
        } else {
            None
        };
        Page::new(items, next)
    }

    fn objects_page(
        &self,
        container: &str,
        prefix: &str,
        after: Option<String>,
    ) -> Result<Page<Object, String>> {
        let rec = self.container(container)?;
        let start = match after {
            Some(after) => Bound::Excluded(after),
            None => Bound::Included(prefix.to_string()),
        };
        let mut items: Vec<Object> = rec
            .objects
            .range::<String, _>((start, Bound::Unbounded))
            .take_while(|(name, _)| name.starts_with(prefix))
            .take(PAGE_SIZE + 1)
            .map(|(_, o)| o.object.clone())
            .collect();
        let next = if items.len() > PAGE_SIZE {
            items.truncate(PAGE_SIZE);
            items.last().map(|o| o.name.clone())
        } else {
            None
        };
        Ok(Page::new(items, next))
    }
}

fn check_container_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid_input("the container name must not be empty"));
    }
    if name.len() > MAX_CONTAINER_NAME {
        return Err(Error::invalid_input(format!(
            "the container name is longer than {MAX_CONTAINER_NAME} bytes"
        )));
    }
    if name.contains('/') || name.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!(
            "the container name {name:?} contains '/' or control characters"
        )));
    }
    Ok(())
}

fn check_object_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid_input("the object name must not be empty"));
    }
    if name.len() > MAX_OBJECT_NAME {
        return Err(Error::invalid_input(format!(
            "the object name is longer than {MAX_OBJECT_NAME} bytes"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!(
            "the object name {name:?} contains control characters"
        )));
    }
    Ok(())
}

/// Checks the upload options and returns the content type, the metadata with lower-case keys,
/// and the `extra` entries they give the object.
fn check_options(
    name: &str,
    options: &UploadOptions,
) -> Result<(String, BTreeMap<String, String>, Extra)> {
    let content_type = match &options.content_type {
        Some(t) => {
            let t = t.trim();
            let valid = t
                .split_once('/')
                .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
                && !t.chars().any(char::is_control);
            if !valid {
                return Err(Error::invalid_input(format!(
                    "{t:?} is not a content type such as text/plain"
                )));
            }
            t.to_string()
        }
        None => guess_content_type(name),
    };
    let mut meta = BTreeMap::new();
    for (key, value) in &options.meta_data {
        let valid_key = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_key {
            return Err(Error::invalid_input(format!(
                "metadata key {key:?} must be letters, digits, '-' or '_'"
            )));
        }
        if value.chars().any(char::is_control) {
            return Err(Error::invalid_input(format!(
                "metadata value of {key:?} contains control characters"
            )));
        }
        meta.insert(key.to_ascii_lowercase(), value.clone());
    }
    let mut extra = Extra::new();
    if let Some(acl) = &options.acl {
        if !ACLS.contains(&acl.as_str()) {
            return Err(Error::invalid_input(format!(
                "unknown ACL {acl:?}; expected one of {}",
                ACLS.join(", ")
            )));
        }
        extra.insert("acl".into(), json!(acl));
    }
    if let Some(class) = &options.storage_class {
        if class.trim().is_empty() {
            return Err(Error::invalid_input("the storage class must not be empty"));
        }
        extra.insert("storage_class".into(), json!(class.to_ascii_uppercase()));
    }
    Ok((content_type, meta, extra))
}

/// Streams `data` in chunks, as a network download would arrive.
fn chunked(data: Bytes) -> ByteStream {
    let len = data.len();
    stream::iter((0..len).step_by(CHUNK_SIZE).map(move |start| {
        let end = (start + CHUNK_SIZE).min(len);
        Ok(data.slice(start..end))
    }))
    .boxed()
}

#[async_trait]
impl StorageDriver for MemoryStorage {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> StorageCapabilities {
        let mut caps = StorageCapabilities::default();
        caps.hash_is_md5 = true;
        caps.ranged_download = true;
        caps.multipart_upload = false;
        caps.user_metadata = true;
        caps.content_type = true;
        caps.server_side_delimiter = false;
        caps.object_cdn_url = true;
        caps.container_cdn = true;
        caps.strict_names = false;
        caps
    }

    fn iterate_containers(&self) -> BoxStream<'_, Result<Container>> {
        paginate(move |after: Option<String>| {
            let page = lock(&self.inner).containers_page(after);
            async move { Ok(page) }
        })
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        let state = lock(&self.inner);
        state
            .container(name)
            .map(|rec| State::describe(name, rec))
            .map_err(context("get_container"))
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        let op = context("create_container");
        check_container_name(name).map_err(&op)?;
        let mut state = lock(&self.inner);
        if state.containers.contains_key(name) {
            return Err(op(Error::already_exists(ResourceKind::Container, name)));
        }
        let rec = ContainerRec {
            created_at: SystemTime::now(),
            cdn_enabled: false,
            objects: BTreeMap::new(),
        };
        let container = State::describe(name, &rec);
        state.containers.insert(name.to_string(), rec);
        Ok(container)
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        let op = context("delete_container");
        let mut state = lock(&self.inner);
        let rec = state.container(name).map_err(&op)?;
        if !rec.objects.is_empty() {
            return Err(op(Error::not_empty(ResourceKind::Container, name)));
        }
        state.containers.remove(name);
        Ok(())
    }

    fn iterate_container_objects<'a>(
        &'a self,
        container: &'a str,
        prefix: Option<&'a str>,
    ) -> BoxStream<'a, Result<Object>> {
        let prefix = prefix.unwrap_or("");
        paginate(move |after: Option<String>| {
            let page = lock(&self.inner)
                .objects_page(container, prefix, after)
                .map_err(context("iterate_container_objects"));
            async move { page }
        })
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        lock(&self.inner)
            .object(container, name)
            .map(|o| o.object.clone())
            .map_err(context("get_object"))
    }

    async fn download_object_as_stream(
        &self,
        container: &str,
        name: &str,
        range: Option<ByteRange>,
    ) -> Result<Download> {
        let op = context("download_object_as_stream");
        let (object, data) = {
            let state = lock(&self.inner);
            let stored = state.object(container, name).map_err(&op)?;
            (stored.object.clone(), stored.data.clone())
        };
        let data = match range {
            Some(range) => {
                let (start, end) = range.clamp(object.size).map_err(&op)?;
                // Both offsets are at most the object's length, which is a `usize`.
                data.slice(start as usize..end as usize)
            }
            None => data,
        };
        Ok(Download {
            object,
            range,
            stream: chunked(data),
        })
    }

    async fn upload_object_via_stream(
        &self,
        container: &str,
        name: &str,
        body: ByteStream,
        options: &UploadOptions,
    ) -> Result<Object> {
        let op = context("upload_object_via_stream");
        check_container_name(container).map_err(&op)?;
        check_object_name(name).map_err(&op)?;
        let (content_type, meta_data, extra) = check_options(name, options).map_err(&op)?;
        let limit = {
            let state = lock(&self.inner);
            state.container(container).map_err(&op)?;
            state.max_object_size
        };
        let data = collect_stream(body, limit).await.map_err(&op)?;
        let object = Object {
            name: name.to_string(),
            container: container.to_string(),
            size: data.len() as u64,
            hash: Some(md5_hex(&data)),
            content_type: Some(content_type),
            last_modified: Some(SystemTime::now()),
            meta_data,
            extra,
        };
        let mut state = lock(&self.inner);
        // The container may have been deleted while the body was read.
        let rec = state
            .containers
            .get_mut(container)
            .ok_or_else(|| op(Error::not_found(ResourceKind::Container, container)))?;
        rec.objects.insert(
            name.to_string(),
            StoredObject {
                object: object.clone(),
                data,
            },
        );
        Ok(object)
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        let op = context("delete_object");
        let mut state = lock(&self.inner);
        state.object(container, name).map_err(&op)?;
        if let Some(rec) = state.containers.get_mut(container) {
            rec.objects.remove(name);
        }
        Ok(())
    }

    async fn get_object_cdn_url(
        &self,
        container: &str,
        name: &str,
        expires: Duration,
    ) -> Result<String> {
        let op = context("get_object_cdn_url");
        if expires.is_zero() {
            return Err(op(Error::invalid_input(
                "the URL must be valid for more than 0 seconds",
            )));
        }
        lock(&self.inner).object(container, name).map_err(&op)?;
        let until = SystemTime::now()
            .checked_add(expires)
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .ok_or_else(|| op(Error::invalid_input("the expiry is too far in the future")))?;
        Ok(format!(
            "memory://{}/{}?expires={}",
            percent_encode_path(container),
            percent_encode_path(name),
            until.as_secs()
        ))
    }

    async fn get_container_cdn_url(&self, container: &str) -> Result<String> {
        let op = context("get_container_cdn_url");
        let state = lock(&self.inner);
        let rec = state.container(container).map_err(&op)?;
        if !rec.cdn_enabled {
            return Err(op(Error::invalid_input(format!(
                "container {container} is not published; call enable_container_cdn first"
            ))));
        }
        Ok(format!("memory://{}", percent_encode_path(container)))
    }

    async fn enable_container_cdn(&self, container: &str) -> Result<()> {
        let mut state = lock(&self.inner);
        let rec = state
            .containers
            .get_mut(container)
            .ok_or_else(|| Error::not_found(ResourceKind::Container, container))
            .map_err(context("enable_container_cdn"))?;
        rec.cdn_enabled = true;
        Ok(())
    }
}
