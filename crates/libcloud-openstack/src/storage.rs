//! Swift: containers and objects through the uniform
//! [`StorageDriver`] API, with Static Large Objects for big
//! uploads.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, ETAG, RANGE};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libcloud_core::body::ByteStream;
use libcloud_core::hash::{Md5, md5_hex};
use libcloud_core::multipart::{
    MultipartConfig, MultipartTarget, MultipartUpload, UploadedPart, write_multipart,
};
use libcloud_core::paging::{Page, paginate};
use libcloud_core::storage::guess_content_type;
use libcloud_core::transport::{Request, percent_encode};
use libcloud_core::{
    Body, ByteRange, Container, Download, Error, ErrorKind, Extra, ListResult, Object,
    ResourceKind, Result, StorageCapabilities, StorageDriver, Transport, UploadOptions,
};
use rand::Rng;
use serde_json::json;

use crate::client::{BODY_LIMIT, Conflict, PROVIDER, Target, parse_error, parse_json};
use crate::config::OpenStackConfig;
use crate::identity::Session;
use crate::json;
use crate::rest::{Reply, ServiceClient, bad_request, join_url};

/// The catalog service type of Swift.
pub const OBJECT_STORE_SERVICE_TYPE: &str = "object-store";

/// The user metadata key (`X-Object-Meta-Libcloud-Content-Md5`) in which this driver stores
/// the MD5 of a Static Large Object's content, which Swift itself does not keep. It is read
/// back as the object's hash and not shown among its metadata.
pub const CONTENT_MD5_META: &str = "libcloud-content-md5";

/// The default segment size of large uploads, and so the size above which an upload becomes
/// a Static Large Object: 16 MiB.
pub const DEFAULT_SEGMENT_SIZE: usize = 16 * 1024 * 1024;

/// The most segments one manifest may list, as Swift's default `max_manifest_segments`.
pub const DEFAULT_MAX_SEGMENTS: u32 = 1000;

/// The default number of names asked for per listing page (Swift's own maximum).
pub const DEFAULT_PAGE_SIZE: u32 = 10_000;

/// The longest container name Swift accepts, in bytes.
const MAX_CONTAINER_NAME: usize = 256;
/// The longest object name Swift accepts by default, in bytes.
const MAX_OBJECT_NAME: usize = 1024;

const META_PREFIX: &str = "x-object-meta-";

/// The OpenStack Swift storage driver (Libcloud's `OpenStackSwiftStorageDriver`).
///
/// | libcloud | Swift |
/// |---|---|
/// | `iterate_containers` | `GET /?format=json&limit=N&marker=M`, page by page |
/// | `get_container` / `create_container` / `delete_container` | `HEAD` / `PUT` (202 means it existed) / `DELETE` (409 means not empty) |
/// | `iterate_container_objects` | `GET /{c}?format=json&prefix=P&limit=N&marker=M` |
/// | `list_with_delimiter` | the same with `delimiter` (`subdir` entries are the prefixes) |
/// | `get_object` | `HEAD /{c}/{o}` |
/// | `download_object_as_stream` | `GET /{c}/{o}` with `Range` |
/// | `upload_object_via_stream` | one `PUT` (with `ETag`) up to one segment; above, a Static Large Object: segments `PUT` to `{c}_segments`, then `PUT ?multipart-manifest=put` |
/// | `delete_object` | `DELETE ?multipart-manifest=delete` (removes an SLO's segments too), plain `DELETE` for other objects |
///
/// Hashes: an object's hash is the MD5 of its content. Every upload sends the MD5 it computed
/// (Swift refuses a mismatch) and checks the ETag that comes back; a Static Large Object
/// records its content's MD5 in [`CONTENT_MD5_META`], since Swift's ETag for one is an MD5 of
/// the segments' ETags. A whole-object download checks the MD5 and the length as it streams,
/// and ends with [`ErrorKind::HashMismatch`] or a `Transport` error when they are wrong. Large
/// objects written by other tools have no recorded MD5; their hash is `None` and
/// `extra["etag"]` holds Swift's.
///
/// Segments live in the container `<container>_segments` (see
/// [`with_segment_container_suffix`](SwiftStorage::with_segment_container_suffix)), under
/// `<name>/slo/<upload id>/`. A failed upload deletes the segments it wrote, and
/// `delete_object` deletes a large object's segments with it; replacing a large object by
/// uploading under its name does not (the old segments stay until deleted), so delete it
/// first.
///
/// User metadata goes to `X-Object-Meta-*` (keys come back lower-case). Swift has no canned
/// ACLs or storage classes; an upload that asks for one is refused with `InvalidInput`.
#[derive(Debug, Clone)]
pub struct SwiftStorage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: ServiceClient,
    multipart: MultipartConfig,
    segment_suffix: String,
    page_size: u32,
}

impl SwiftStorage {
    /// A driver for `config` over the default HTTP transport.
    pub fn new(config: OpenStackConfig) -> Result<Self> {
        Self::with_transport(config, libcloud_http::default_transport()?)
    }

    /// A driver for `config` sending through `transport`.
    pub fn with_transport(config: OpenStackConfig, transport: Transport) -> Result<Self> {
        let session = Arc::new(Session::new(config.auth.clone(), transport));
        Self::with_session(session, &config)
    }

    /// A driver on an existing session (shared with other drivers, so one token serves all);
    /// `config` chooses the endpoint, its `auth` is not used.
    pub fn with_session(session: Arc<Session>, config: &OpenStackConfig) -> Result<Self> {
        Ok(SwiftStorage {
            inner: Arc::new(Inner {
                client: ServiceClient::from_config(session, config, OBJECT_STORE_SERVICE_TYPE)?,
                multipart: MultipartConfig {
                    part_size: DEFAULT_SEGMENT_SIZE,
                    concurrency: 4,
                    max_parts: DEFAULT_MAX_SEGMENTS,
                    min_part_size: 1,
                    grow_part_size: true,
                },
                segment_suffix: "_segments".into(),
                page_size: DEFAULT_PAGE_SIZE,
            }),
        })
    }

    fn inner_mut(&mut self) -> &mut Inner {
        // Builders run before the driver is shared; a shared one is copied.
        if Arc::get_mut(&mut self.inner).is_none() {
            let i = &self.inner;
            self.inner = Arc::new(Inner {
                client: i.client.clone(),
                multipart: i.multipart,
                segment_suffix: i.segment_suffix.clone(),
                page_size: i.page_size,
            });
        }
        Arc::get_mut(&mut self.inner).unwrap_or_else(|| unreachable!("just made unique"))
    }

    /// Sets the segment size (at least 1 byte): uploads up to this size are one `PUT`, larger
    /// ones Static Large Objects of segments this size. Default [`DEFAULT_SEGMENT_SIZE`].
    pub fn with_segment_size(mut self, bytes: usize) -> Self {
        self.inner_mut().multipart.part_size = bytes.max(1);
        self
    }

    /// Sets how many segments are uploaded at once. Default 4.
    pub fn with_upload_concurrency(mut self, parts: usize) -> Self {
        self.inner_mut().multipart.concurrency = parts.max(1);
        self
    }

    /// Sets the most segments a manifest may list (the cluster's `max_manifest_segments`).
    /// Default [`DEFAULT_MAX_SEGMENTS`].
    pub fn with_max_segments(mut self, segments: u32) -> Self {
        self.inner_mut().multipart.max_parts = segments.max(1);
        self
    }

    /// Sets the suffix of the container that holds a container's segments. Default
    /// `_segments`, as the `swift` command-line client.
    pub fn with_segment_container_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.inner_mut().segment_suffix = suffix.into();
        self
    }

    /// Sets how many names a listing asks for per page (1 to 10,000). Default
    /// [`DEFAULT_PAGE_SIZE`].
    pub fn with_page_size(mut self, names: u32) -> Self {
        self.inner_mut().page_size = names.clamp(1, DEFAULT_PAGE_SIZE);
        self
    }

    /// The session the driver authenticates with.
    pub fn session(&self) -> &Arc<Session> {
        self.inner.client.session()
    }

    /// The storage URL in use (`https://swift.example.com/v1/AUTH_<project>`).
    pub async fn ex_storage_url(&self) -> Result<String> {
        self.inner.client.base().await
    }

    /// The name of the container holding the segments of `container`'s large objects.
    pub fn ex_segment_container(&self, container: &str) -> String {
        format!("{container}{}", self.inner.segment_suffix)
    }
}

impl Inner {
    async fn container_url(&self, container: &str) -> Result<String> {
        check_container_name(container)?;
        Ok(join_url(
            &self.client.base().await?,
            &percent_encode(container, false),
            &[],
        ))
    }

    async fn object_url(
        &self,
        container: &str,
        name: &str,
        query: &[(&str, &str)],
    ) -> Result<String> {
        check_container_name(container)?;
        check_object_name(name)?;
        let path = format!(
            "{}/{}",
            percent_encode(container, false),
            percent_encode(name, true)
        );
        Ok(join_url(&self.client.base().await?, &path, query))
    }

    async fn list_page(
        &self,
        url_path: &str,
        params: &[(&str, &str)],
        marker: Option<&str>,
        target: &Target,
    ) -> Result<Bytes> {
        let limit = self.page_size.to_string();
        let mut query: Vec<(&str, &str)> = vec![("format", "json"), ("limit", &limit)];
        query.extend_from_slice(params);
        if let Some(m) = marker {
            query.push(("marker", m));
        }
        let url = join_url(&self.client.base().await?, url_path, &query);
        let reply = self
            .client
            .call(request(Method::GET, &url)?, target)
            .await?;
        Ok(reply.body)
    }

    /// A container listing page: objects (or, with a delimiter, objects and `subdir`s).
    async fn object_page(
        &self,
        container: &str,
        prefix: Option<&str>,
        delimiter: Option<&str>,
        marker: Option<String>,
        operation: &'static str,
    ) -> Result<Page<json::ObjectEntry, String>> {
        check_container_name(container)?;
        let mut params = Vec::new();
        if let Some(p) = prefix.filter(|p| !p.is_empty()) {
            params.push(("prefix", p));
        }
        if let Some(d) = delimiter {
            params.push(("delimiter", d));
        }
        let target = Target::new(operation, ResourceKind::Container, container);
        let body = self
            .list_page(
                &percent_encode(container, false),
                &params,
                marker.as_deref(),
                &target,
            )
            .await?;
        let entries: Vec<json::ObjectEntry> =
            parse_listing(&body, "container listing").map_err(|e| e.with_operation(operation))?;
        let last = entries
            .last()
            .and_then(|e| e.name.clone().or_else(|| e.subdir.clone()));
        let next = last.filter(|_| entries.len() >= self.page_size as usize);
        Ok(Page::new(entries, next))
    }

    /// HEAD of an object: its description, or `NotFound` of the object.
    async fn head_object(
        &self,
        container: &str,
        name: &str,
        operation: &'static str,
    ) -> Result<Object> {
        let url = self.object_url(container, name, &[]).await?;
        let target = Target::new(operation, ResourceKind::Object, name);
        let reply = self
            .client
            .call(request(Method::HEAD, &url)?, &target)
            .await?;
        object_from_headers(container, name, &reply.headers, None)
    }

    /// Creates a container; `Ok(false)` when it existed already.
    async fn put_container(&self, container: &str, operation: &'static str) -> Result<bool> {
        let url = self.container_url(container).await?;
        let target = Target::new(operation, ResourceKind::Container, container);
        let reply = self
            .client
            .call(request(Method::PUT, &url)?, &target)
            .await?;
        Ok(reply.status != 202)
    }

    async fn delete_url(&self, url: &str, target: &Target) -> Result<()> {
        self.client
            .call(request(Method::DELETE, url)?, target)
            .await?;
        Ok(())
    }
}

/// A JSON listing: an array of entries. No body (Swift's 204) and an empty object (which some
/// CloudFiles deployments answered) are empty listings.
fn parse_listing<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<Vec<T>> {
    let text = String::from_utf8_lossy(body);
    let compact: String = text.split_whitespace().collect();
    if compact.is_empty() || compact == "{}" {
        return Ok(Vec::new());
    }
    parse_json(body, what)
}

/// A bodiless request.
fn request(method: Method, url: &str) -> Result<Request> {
    http::Request::builder()
        .method(method)
        .uri(url)
        .body(Body::empty())
        .map_err(|e| bad_request(url, e))
}

fn check_container_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name.len() > MAX_CONTAINER_NAME {
        return Err(Error::invalid_input(format!(
            "container name {name:?} must be 1 to {MAX_CONTAINER_NAME} bytes without '/'"
        ))
        .with_provider(PROVIDER));
    }
    Ok(())
}

fn check_object_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_OBJECT_NAME {
        return Err(Error::invalid_input(format!(
            "object name {name:?} must be 1 to {MAX_OBJECT_NAME} bytes"
        ))
        .with_provider(PROVIDER));
    }
    Ok(())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn unquote(etag: &str) -> String {
    etag.trim().trim_matches('"').to_ascii_lowercase()
}

fn is_md5_hex(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The object a HEAD or GET described. `size` overrides `Content-Length` (for ranged GETs).
fn object_from_headers(
    container: &str,
    name: &str,
    headers: &HeaderMap,
    size: Option<u64>,
) -> Result<Object> {
    let size = match size {
        Some(s) => s,
        None => header_str(headers, "content-length")
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    Error::malformed(format!("Content-Length {v:?} is not a number"))
                        .with_provider(PROVIDER)
                })
            })
            .transpose()?
            .unwrap_or(0),
    };
    let etag = header_str(headers, "etag").map(unquote);
    let slo = header_str(headers, "x-static-large-object")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut meta_data = BTreeMap::new();
    let mut recorded_md5 = None;
    for (key, value) in headers {
        let key = key.as_str();
        if let Some(meta) = key.strip_prefix(META_PREFIX) {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            if meta == CONTENT_MD5_META {
                recorded_md5 = Some(value.trim().to_ascii_lowercase());
            } else {
                meta_data.insert(meta.to_string(), value);
            }
        }
    }
    let hash = if slo {
        recorded_md5.filter(|h| is_md5_hex(h))
    } else {
        etag.clone().filter(|e| is_md5_hex(e))
    };
    let mut extra = Extra::new();
    if let Some(etag) = &etag {
        extra.insert("etag".into(), json!(etag));
    }
    if slo {
        extra.insert("static_large_object".into(), json!(true));
    }
    if let Some(ts) = header_str(headers, "x-timestamp") {
        extra.insert("timestamp".into(), json!(ts));
    }
    if let Some(manifest) = header_str(headers, "x-object-manifest") {
        extra.insert("object_manifest".into(), json!(manifest));
    }
    Ok(Object {
        name: name.to_string(),
        container: container.to_string(),
        size,
        hash,
        content_type: header_str(headers, "content-type").map(str::to_string),
        last_modified: header_str(headers, "last-modified").and_then(json::parse_http_date),
        meta_data,
        extra,
    })
}

fn object_from_entry(container: &str, entry: json::ObjectEntry) -> Option<Object> {
    let name = entry.name?;
    let slo = entry.slo_etag.is_some();
    let hash = if slo {
        None
    } else {
        entry.hash.as_deref().map(unquote).filter(|h| is_md5_hex(h))
    };
    let mut extra = Extra::new();
    if let Some(etag) = entry.slo_etag.as_deref().or(entry.hash.as_deref()) {
        extra.insert("etag".into(), json!(unquote(etag)));
    }
    if slo {
        extra.insert("static_large_object".into(), json!(true));
    }
    Some(Object {
        name,
        container: container.to_string(),
        size: entry.bytes.unwrap_or(0),
        hash,
        content_type: entry.content_type,
        last_modified: entry
            .last_modified
            .as_deref()
            .and_then(json::parse_timestamp),
        meta_data: BTreeMap::new(),
        extra,
    })
}

/// The headers of an upload: content type and user metadata.
fn upload_headers(name: &str, options: &UploadOptions) -> Result<HeaderMap> {
    if options.acl.is_some() {
        return Err(Error::invalid_input(
            "Swift has no canned ACLs; set the container's X-Container-Read instead",
        )
        .with_provider(PROVIDER));
    }
    if options.storage_class.is_some() {
        return Err(Error::invalid_input("Swift has no storage classes").with_provider(PROVIDER));
    }
    let mut headers = HeaderMap::new();
    let content_type = options
        .content_type
        .clone()
        .unwrap_or_else(|| guess_content_type(name));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&content_type).map_err(|_| {
            Error::invalid_input(format!(
                "content type {content_type:?} is not valid header text"
            ))
            .with_provider(PROVIDER)
        })?,
    );
    for (key, value) in &options.meta_data {
        let lower = key.to_ascii_lowercase();
        if lower == CONTENT_MD5_META {
            return Err(Error::invalid_input(format!(
                "the metadata key {key:?} is reserved for the driver"
            ))
            .with_provider(PROVIDER));
        }
        let header = HeaderName::try_from(format!("{META_PREFIX}{lower}")).map_err(|_| {
            Error::invalid_input(format!(
                "metadata key {key:?} is not valid in a header name"
            ))
            .with_provider(PROVIDER)
        })?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            Error::invalid_input(format!(
                "metadata value of {key:?} is not valid header text"
            ))
            .with_provider(PROVIDER)
        })?;
        headers.insert(header, value);
    }
    Ok(headers)
}

#[async_trait]
impl StorageDriver for SwiftStorage {
    fn name(&self) -> &str {
        "openstack_swift"
    }

    fn capabilities(&self) -> StorageCapabilities {
        let mut caps = StorageCapabilities::default();
        caps.hash_is_md5 = true;
        caps.ranged_download = true;
        caps.multipart_upload = true;
        caps.user_metadata = true;
        caps.content_type = true;
        caps.server_side_delimiter = true;
        caps.object_cdn_url = false;
        caps.container_cdn = false;
        caps.strict_names = false;
        caps
    }

    fn iterate_containers(&self) -> BoxStream<'_, Result<Container>> {
        let inner = &self.inner;
        paginate(move |marker: Option<String>| async move {
            let target = Target::new("iterate_containers", ResourceKind::Container, "");
            let body = inner.list_page("", &[], marker.as_deref(), &target).await?;
            let entries: Vec<json::ContainerEntry> = parse_listing(&body, "account listing")
                .map_err(|e| e.with_operation("iterate_containers"))?;
            let next = entries
                .last()
                .map(|e| e.name.clone())
                .filter(|_| entries.len() >= inner.page_size as usize);
            let items = entries
                .into_iter()
                .map(|e| {
                    let mut c = Container::new(e.name);
                    if let Some(count) = e.count {
                        c.extra.insert("object_count".into(), json!(count));
                    }
                    if let Some(bytes) = e.bytes {
                        c.extra.insert("size".into(), json!(bytes));
                    }
                    if let Some(lm) = e.last_modified {
                        c.extra.insert("last_modified".into(), json!(lm));
                    }
                    c
                })
                .collect();
            Ok(Page::new(items, next))
        })
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        let url = self.inner.container_url(name).await?;
        let target = Target::new("get_container", ResourceKind::Container, name);
        let reply = self
            .inner
            .client
            .call(request(Method::HEAD, &url)?, &target)
            .await?;
        let mut container = Container::new(name);
        for (header, key) in [
            ("x-container-object-count", "object_count"),
            ("x-container-bytes-used", "size"),
        ] {
            if let Some(n) = header_str(&reply.headers, header).and_then(|v| v.parse::<u64>().ok())
            {
                container.extra.insert(key.into(), json!(n));
            }
        }
        for (header, key) in [
            ("x-container-read", "read_acl"),
            ("x-container-write", "write_acl"),
            ("x-storage-policy", "storage_policy"),
        ] {
            if let Some(v) = header_str(&reply.headers, header) {
                container.extra.insert(key.into(), json!(v));
            }
        }
        Ok(container)
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        if self.inner.put_container(name, "create_container").await? {
            Ok(Container::new(name))
        } else {
            Err(Error::already_exists(ResourceKind::Container, name)
                .with_provider(PROVIDER)
                .with_operation("create_container")
                .with_status(202))
        }
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        let url = self.inner.container_url(name).await?;
        let target = Target::new("delete_container", ResourceKind::Container, name).on_conflict(
            Conflict::NotEmpty(ResourceKind::Container, name.to_string()),
        );
        self.inner.delete_url(&url, &target).await
    }

    fn iterate_container_objects<'a>(
        &'a self,
        container: &'a str,
        prefix: Option<&'a str>,
    ) -> BoxStream<'a, Result<Object>> {
        let inner = &self.inner;
        paginate(move |marker: Option<String>| async move {
            let page = inner
                .object_page(container, prefix, None, marker, "iterate_container_objects")
                .await?;
            let items = page
                .items
                .into_iter()
                .filter_map(|e| object_from_entry(container, e))
                .collect();
            Ok(Page::new(items, page.next))
        })
    }

    async fn list_with_delimiter(
        &self,
        container: &str,
        prefix: Option<&str>,
        delimiter: &str,
    ) -> Result<ListResult> {
        if delimiter.is_empty() {
            return Err(
                Error::invalid_input("the delimiter must not be empty").with_provider(PROVIDER)
            );
        }
        let inner = &self.inner;
        let entries: Vec<json::ObjectEntry> = paginate(move |marker: Option<String>| async move {
            inner
                .object_page(
                    container,
                    prefix,
                    Some(delimiter),
                    marker,
                    "list_with_delimiter",
                )
                .await
        })
        .try_collect()
        .await?;
        let mut result = ListResult::default();
        for entry in entries {
            if let Some(subdir) = &entry.subdir {
                result.common_prefixes.push(subdir.clone());
            } else if let Some(object) = object_from_entry(container, entry) {
                result.objects.push(object);
            }
        }
        Ok(result)
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        self.inner.head_object(container, name, "get_object").await
    }

    async fn download_object_as_stream(
        &self,
        container: &str,
        name: &str,
        range: Option<ByteRange>,
    ) -> Result<Download> {
        let url = self.inner.object_url(container, name, &[]).await?;
        let mut req = request(Method::GET, &url)?;
        if let Some(r) = &range {
            let value = HeaderValue::from_str(&r.to_header())
                .map_err(|_| Error::invalid_input("bad range").with_provider(PROVIDER))?;
            req.headers_mut().insert(RANGE, value);
        }
        let target = Target::new("download_object_as_stream", ResourceKind::Object, name);
        let response = self.inner.client.send(req, target.operation).await?;
        let (parts, body) = response.into_parts();
        let status = parts.status.as_u16();
        if !parts.status.is_success() {
            let body = body.collect(BODY_LIMIT).await.unwrap_or_default();
            return Err(parse_error(status, &parts.headers, &body, &target));
        }
        let content_length =
            header_str(&parts.headers, "content-length").and_then(|v| v.parse::<u64>().ok());
        let stream = body.into_stream();
        if status == 206 {
            let (start, end, total) = header_str(&parts.headers, "content-range")
                .and_then(parse_content_range)
                .ok_or_else(|| {
                    Error::malformed("a 206 answer without a readable Content-Range")
                        .with_provider(PROVIDER)
                        .with_operation(target.operation)
                })?;
            let object = object_from_headers(container, name, &parts.headers, Some(total))?;
            let expected = end + 1 - start;
            let stream = checked_stream(stream, Some(expected), None);
            return Ok(Download {
                object,
                range,
                stream,
            });
        }
        let object = object_from_headers(container, name, &parts.headers, None)?;
        match range {
            // The server sent the whole object for a range: cut the range out.
            Some(r) if r.start > 0 || r.end.is_some_and(|e| e < object.size) => {
                let (start, end) = r.clamp(object.size)?;
                let stream = checked_stream(stream, content_length, None);
                Ok(Download {
                    object,
                    range,
                    stream: slice_stream(stream, start, end),
                })
            }
            _ => {
                let expected_md5 = object.hash.clone();
                let stream = checked_stream(stream, content_length, expected_md5);
                Ok(Download {
                    object,
                    range,
                    stream,
                })
            }
        }
    }

    async fn upload_object_via_stream(
        &self,
        container: &str,
        name: &str,
        body: ByteStream,
        options: &UploadOptions,
    ) -> Result<Object> {
        check_container_name(container)?;
        check_object_name(name)?;
        let headers = upload_headers(name, options)?;
        let md5 = Arc::new(Mutex::new(Md5::new()));
        let hasher = md5.clone();
        let body = body
            .map(move |chunk| {
                if let Ok(bytes) = &chunk {
                    hasher
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .update(bytes);
                }
                chunk
            })
            .boxed();
        let target = SloTarget {
            inner: self.inner.clone(),
            container: container.to_string(),
            name: name.to_string(),
            headers,
            md5,
            verify: options.verify_hash,
        };
        write_multipart(&target, body, None, &self.inner.multipart)
            .await
            .map_err(|e| {
                e.or_provider(PROVIDER)
                    .or_operation("upload_object_via_stream")
            })
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        let inner = &self.inner;
        let target = Target::new("delete_object", ResourceKind::Object, name);
        let url = inner
            .object_url(container, name, &[("multipart-manifest", "delete")])
            .await?;
        let mut req = request(Method::DELETE, &url)?;
        req.headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        let reply = inner.client.call(req, &target).await?;
        if reply.status == 204 || reply.body.iter().all(u8::is_ascii_whitespace) {
            // No SLO middleware: the query was ignored and the object deleted.
            return Ok(());
        }
        let result: json::BulkDeleteResult = parse_json(&reply.body, "delete_object")
            .map_err(|e| e.with_operation("delete_object"))?;
        let not_a_manifest = result
            .errors
            .iter()
            .any(|e| e.iter().any(|m| m.contains("Not an SLO manifest")));
        if not_a_manifest {
            let url = inner.object_url(container, name, &[]).await?;
            return inner.delete_url(&url, &target).await;
        }
        if result.deleted > 0 {
            return Ok(());
        }
        if result.not_found > 0 {
            return Err(Error::not_found(ResourceKind::Object, name)
                .with_provider(PROVIDER)
                .with_operation("delete_object"));
        }
        Err(Error::new(
            ErrorKind::Provider {
                code: result.status.clone(),
            },
            format!("deleting the large object failed: {:?}", result.errors),
        )
        .with_provider(PROVIDER)
        .with_operation("delete_object"))
    }
}

/// Reads `bytes a-b/total` into `(a, b, total)`.
fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes")?.trim();
    let (span, total) = rest.split_once('/')?;
    let (a, b) = span.split_once('-')?;
    let (a, b, total) = (
        a.trim().parse().ok()?,
        b.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (a <= b && b < total).then_some((a, b, total))
}

/// Passes a download through, checking at its end that it had `expected_len` bytes and, when
/// given, the MD5 `expected_md5`.
fn checked_stream(
    inner: ByteStream,
    expected_len: Option<u64>,
    expected_md5: Option<String>,
) -> ByteStream {
    struct State {
        inner: ByteStream,
        seen: u64,
        md5: Option<(Md5, String)>,
        expected_len: Option<u64>,
        done: bool,
    }
    let state = State {
        inner,
        seen: 0,
        md5: expected_md5.map(|h| (Md5::new(), h)),
        expected_len,
        done: false,
    };
    stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        match st.inner.next().await {
            Some(Ok(chunk)) => {
                st.seen += chunk.len() as u64;
                if let Some((md5, _)) = &mut st.md5 {
                    md5.update(&chunk);
                }
                if st.expected_len.is_some_and(|e| st.seen > e) {
                    st.done = true;
                    let err = Error::malformed(format!(
                        "the download is longer than the {} bytes announced",
                        st.expected_len.unwrap_or(0)
                    ))
                    .with_provider(PROVIDER);
                    return Some((Err(err), st));
                }
                Some((Ok(chunk), st))
            }
            Some(Err(e)) => {
                st.done = true;
                Some((Err(e.or_provider(PROVIDER)), st))
            }
            None => {
                st.done = true;
                if let Some(expected) = st.expected_len
                    && st.seen != expected
                {
                    let err = Error::new(
                        ErrorKind::Transport,
                        format!("the download ended after {} of {expected} bytes", st.seen),
                    )
                    .with_provider(PROVIDER)
                    .with_temporary(true);
                    return Some((Err(err), st));
                }
                if let Some((md5, expected)) = st.md5.take() {
                    let actual = md5.hex();
                    if !actual.eq_ignore_ascii_case(&expected) {
                        let err = Error::bare(ErrorKind::HashMismatch { expected, actual })
                            .with_provider(PROVIDER)
                            .with_operation("download_object_as_stream");
                        return Some((Err(err), st));
                    }
                }
                None
            }
        }
    })
    .boxed()
}

/// The bytes `start..end` of a stream.
fn slice_stream(inner: ByteStream, start: u64, end: u64) -> ByteStream {
    let mut offset = 0u64;
    inner
        .try_filter_map(move |chunk: Bytes| {
            let chunk_start = offset;
            let chunk_end = offset + chunk.len() as u64;
            offset = chunk_end;
            let from = start.max(chunk_start);
            let to = end.min(chunk_end);
            let piece = (from < to)
                .then(|| chunk.slice((from - chunk_start) as usize..(to - chunk_start) as usize));
            async move { Ok(piece) }
        })
        .boxed()
}

/// Where an upload goes: one `PUT` for a body up to one segment, else a Static Large Object.
struct SloTarget {
    inner: Arc<Inner>,
    container: String,
    name: String,
    headers: HeaderMap,
    md5: Arc<Mutex<Md5>>,
    verify: bool,
}

/// Uploaded bytes as a `PUT` request with its MD5 as `ETag`.
fn put_request(url: &str, data: Bytes, md5: &str, headers: &HeaderMap) -> Result<Request> {
    let mut req = http::Request::builder()
        .method(Method::PUT)
        .uri(url)
        .header(CONTENT_LENGTH, data.len())
        .header(ETAG, md5)
        .body(Body::from(data))
        .map_err(|e| bad_request(url, e))?;
    for (k, v) in headers {
        req.headers_mut().insert(k.clone(), v.clone());
    }
    Ok(req)
}

/// Checks that the ETag Swift answered is `expected`.
fn check_etag(reply: &Reply, expected: &str, what: &str) -> Result<()> {
    let got = header_str(&reply.headers, "etag").map(unquote);
    match got {
        Some(got) if got.eq_ignore_ascii_case(expected) => Ok(()),
        Some(got) => Err(Error::bare(ErrorKind::HashMismatch {
            expected: expected.to_string(),
            actual: got,
        })
        .with_message(format!(
            "Swift stored {what} with another ETag than the data sent"
        ))
        .with_provider(PROVIDER)),
        None => Err(
            Error::malformed(format!("Swift stored {what} without answering an ETag"))
                .with_provider(PROVIDER),
        ),
    }
}

#[async_trait]
impl MultipartTarget for SloTarget {
    type Upload = SloUpload;

    async fn put_single(&self, data: Bytes) -> Result<Object> {
        let md5 = md5_hex(&data);
        let url = self
            .inner
            .object_url(&self.container, &self.name, &[])
            .await?;
        let size = data.len() as u64;
        let target = Target::new(
            "upload_object_via_stream",
            ResourceKind::Container,
            &self.container,
        );
        let reply = self
            .inner
            .client
            .call(put_request(&url, data, &md5, &self.headers)?, &target)
            .await?;
        if self.verify {
            check_etag(&reply, &md5, "the object")?;
        }
        Ok(self.uploaded(size, md5, &reply.headers, false))
    }

    async fn initiate(&self) -> Result<SloUpload> {
        // The container must exist: a segment container alone would hide a typo.
        let url = self.inner.container_url(&self.container).await?;
        let target = Target::new(
            "upload_object_via_stream",
            ResourceKind::Container,
            &self.container,
        );
        self.inner
            .client
            .call(request(Method::HEAD, &url)?, &target)
            .await?;
        let segments = format!("{}{}", self.container, self.inner.segment_suffix);
        self.inner
            .put_container(&segments, "upload_object_via_stream")
            .await?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let nonce: u32 = rand::thread_rng().r#gen();
        let prefix = format!(
            "{}/slo/{}.{:09}-{nonce:08x}/",
            self.name,
            now.as_secs(),
            now.subsec_nanos()
        );
        Ok(SloUpload {
            target: SloTarget {
                inner: self.inner.clone(),
                container: self.container.clone(),
                name: self.name.clone(),
                headers: self.headers.clone(),
                md5: self.md5.clone(),
                verify: self.verify,
            },
            segments,
            prefix,
        })
    }
}

impl SloTarget {
    fn uploaded(&self, size: u64, md5: String, headers: &HeaderMap, slo: bool) -> Object {
        let mut meta_data = BTreeMap::new();
        for (k, v) in &self.headers {
            if let Some(meta) = k.as_str().strip_prefix(META_PREFIX) {
                meta_data.insert(
                    meta.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                );
            }
        }
        let mut extra = Extra::new();
        if let Some(etag) = header_str(headers, "etag") {
            extra.insert("etag".into(), json!(unquote(etag)));
        }
        if slo {
            extra.insert("static_large_object".into(), json!(true));
        }
        Object {
            name: self.name.clone(),
            container: self.container.clone(),
            size,
            hash: Some(md5),
            content_type: header_str(&self.headers, "content-type").map(str::to_string),
            last_modified: header_str(headers, "last-modified").and_then(json::parse_http_date),
            meta_data,
            extra,
        }
    }
}

/// A Static Large Object being written: segments under `prefix` in the `segments` container.
struct SloUpload {
    target: SloTarget,
    segments: String,
    prefix: String,
}

#[async_trait]
impl MultipartUpload for SloUpload {
    async fn put_part(&self, part_number: u32, data: Bytes) -> Result<UploadedPart> {
        let md5 = md5_hex(&data);
        let size = data.len() as u64;
        let segment = format!("{}{part_number:08}", self.prefix);
        let inner = &self.target.inner;
        let url = inner.object_url(&self.segments, &segment, &[]).await?;
        let target = Target::new(
            "upload_object_via_stream",
            ResourceKind::Container,
            &self.segments,
        );
        let reply = inner
            .client
            .call(put_request(&url, data, &md5, &HeaderMap::new())?, &target)
            .await?;
        check_etag(&reply, &md5, "a segment")?;
        Ok(UploadedPart {
            part_number,
            etag: md5,
            size,
        })
    }

    async fn complete(&self, parts: Vec<UploadedPart>) -> Result<Object> {
        let content_md5 = self
            .target
            .md5
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .hex();
        let manifest: Vec<json::SloSegment> = parts
            .iter()
            .map(|p| json::SloSegment {
                path: format!("/{}/{}{:08}", self.segments, self.prefix, p.part_number),
                etag: p.etag.clone(),
                size_bytes: p.size,
            })
            .collect();
        let size = parts.iter().map(|p| p.size).sum();
        let body = serde_json::to_vec(&manifest).map_err(|e| {
            Error::invalid_input("the manifest could not be written").with_source(e)
        })?;
        let etags: String = parts.iter().map(|p| p.etag.as_str()).collect();
        let manifest_etag = md5_hex(etags.as_bytes());
        let inner = &self.target.inner;
        let url = inner
            .object_url(
                &self.target.container,
                &self.target.name,
                &[("multipart-manifest", "put")],
            )
            .await?;
        let mut headers = self.target.headers.clone();
        headers.insert(
            HeaderName::from_static("x-object-meta-libcloud-content-md5"),
            HeaderValue::from_str(&content_md5)
                .map_err(|_| Error::malformed("an MD5 that is not header text"))?,
        );
        let mut req = http::Request::builder()
            .method(Method::PUT)
            .uri(&url)
            .header(CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .map_err(|e| bad_request(&url, e))?;
        for (k, v) in &headers {
            req.headers_mut().insert(k.clone(), v.clone());
        }
        let target = Target::new(
            "upload_object_via_stream",
            ResourceKind::Container,
            &self.target.container,
        );
        let reply = inner.client.call(req, &target).await?;
        if self.target.verify {
            check_etag(&reply, &manifest_etag, "the large object's manifest")?;
        }
        Ok(self
            .target
            .uploaded(size, content_md5, &reply.headers, true))
    }

    async fn abort(&self) -> Result<()> {
        let inner = &self.target.inner;
        let segments = &self.segments;
        let prefix = self.prefix.as_str();
        let names: Vec<String> = paginate(move |marker: Option<String>| async move {
            inner
                .object_page(
                    segments,
                    Some(prefix),
                    None,
                    marker,
                    "upload_object_via_stream",
                )
                .await
        })
        .try_filter_map(|e| async move { Ok(e.name) })
        .try_collect()
        .await?;
        for name in names {
            let url = inner.object_url(segments, &name, &[]).await?;
            let target = Target::new("upload_object_via_stream", ResourceKind::Object, &name);
            match inner.delete_url(&url, &target).await {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes 2-4/7"), Some((2, 4, 7)));
        assert_eq!(parse_content_range("bytes 5-4/7"), None);
        assert_eq!(parse_content_range("bytes 0-7/7"), None);
        assert_eq!(parse_content_range("items 0-1/7"), None);
        assert_eq!(parse_content_range("bytes */7"), None);
    }

    #[tokio::test]
    async fn slicing_and_checking_streams() {
        let chunks = || -> ByteStream {
            stream::iter(vec![
                Ok(Bytes::from_static(b"0123")),
                Ok(Bytes::from_static(b"4567")),
                Ok(Bytes::from_static(b"89")),
            ])
            .boxed()
        };
        let s = slice_stream(chunks(), 3, 9);
        let got = libcloud_core::body::collect_stream(s, 100).await.unwrap();
        assert_eq!(&got[..], b"345678");

        let good = md5_hex(b"0123456789");
        let s = checked_stream(chunks(), Some(10), Some(good));
        assert_eq!(
            libcloud_core::body::collect_stream(s, 100)
                .await
                .unwrap()
                .len(),
            10
        );

        let s = checked_stream(chunks(), Some(10), Some(md5_hex(b"other")));
        let err = libcloud_core::body::collect_stream(s, 100)
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::HashMismatch { .. }),
            "{err}"
        );

        let s = checked_stream(chunks(), Some(11), None);
        let err = libcloud_core::body::collect_stream(s, 100)
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Transport);

        let s = checked_stream(chunks(), Some(5), None);
        let err = libcloud_core::body::collect_stream(s, 100)
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    }

    #[test]
    fn headers_describe_objects() {
        let mut h = HeaderMap::new();
        h.insert("content-length", HeaderValue::from_static("7"));
        h.insert(
            "etag",
            HeaderValue::from_static("\"c86e524620297d4f2a1e1fe10278806c\""),
        );
        h.insert("x-static-large-object", HeaderValue::from_static("True"));
        h.insert("x-object-meta-color", HeaderValue::from_static("blue"));
        h.insert(
            "x-object-meta-libcloud-content-md5",
            HeaderValue::from_static("6D3B1C3A2D0D43D1E7E5C5B2C1B1A2F3"),
        );
        h.insert(
            "last-modified",
            HeaderValue::from_static("Sun, 10 Aug 2014 19:15:57 GMT"),
        );
        let o = object_from_headers("c", "big", &h, None).unwrap();
        assert_eq!(o.size, 7);
        assert_eq!(o.hash.as_deref(), Some("6d3b1c3a2d0d43d1e7e5c5b2c1b1a2f3"));
        assert_eq!(o.meta_data.len(), 1);
        assert_eq!(o.meta_data["color"], "blue");
        assert_eq!(o.extra["static_large_object"], json!(true));
        assert!(o.last_modified.is_some());

        h.remove("x-object-meta-libcloud-content-md5");
        let o = object_from_headers("c", "big", &h, None).unwrap();
        assert_eq!(o.hash, None);
        assert_eq!(o.extra["etag"], json!("c86e524620297d4f2a1e1fe10278806c"));

        h.insert("content-length", HeaderValue::from_static("seven"));
        assert_eq!(
            *object_from_headers("c", "big", &h, None)
                .unwrap_err()
                .kind(),
            ErrorKind::MalformedResponse
        );
    }

    #[test]
    fn upload_headers_refuse_what_swift_lacks() {
        let h = upload_headers("a.json", &UploadOptions::default().meta("Color", "blue")).unwrap();
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(h["x-object-meta-color"], "blue");
        let mut o = UploadOptions::default();
        o.acl = Some("public-read".into());
        assert_eq!(
            *upload_headers("a", &o).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let o = UploadOptions::default().meta("bad key", "v");
        assert_eq!(
            *upload_headers("a", &o).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let o = UploadOptions::default().meta("k", "line\nbreak");
        assert_eq!(
            *upload_headers("a", &o).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let o = UploadOptions::default().meta(CONTENT_MD5_META, "x");
        assert_eq!(
            *upload_headers("a", &o).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(check_container_name("a/b").is_err());
        assert!(check_container_name("").is_err());
        assert!(check_container_name(&"x".repeat(257)).is_err());
        assert!(check_object_name("").is_err());
        assert!(check_object_name("a/b c").is_ok());
    }
}
