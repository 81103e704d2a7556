//! [`S3Storage`]: the storage API over S3.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use http::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED, RANGE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use libcloud_aws::encode::encode_query;
use libcloud_aws::{
    AwsClient, Clock, CredentialProvider, Endpoint, Env, ErrorContext, Region, Service,
};
use libcloud_core::body::ByteStream;
use libcloud_core::hash::verify_stream;
use libcloud_core::multipart::{MultipartConfig, write_multipart};
use libcloud_core::paging::{Page, paginate};
use libcloud_core::{
    ByteRange, Container, Download, Error, Extra, ListResult, Object, ResourceKind, Result,
    StorageCapabilities, StorageDriver, Transport,
};
use serde_json::Value;

use crate::checksum::{is_md5_hex, unquote};
use crate::client::{PROVIDER, S3Client, empty_request, parse_http_date};
use crate::config::{ChecksumMode, S3Config};
use crate::upload::{ObjectHeaders, UploadTarget, etag_is_not_md5};
use crate::xml::{self, ObjectPage, PageStart};

/// Amazon S3, or an S3-compatible store, as a libcloud [`StorageDriver`].
///
/// Buckets are containers. Listings use `ListObjectsV2`, one page per request as the stream is
/// read. Downloads stream straight from the response body. Uploads below the multipart
/// threshold are one `PutObject`; larger ones are multipart uploads with parts sent
/// concurrently and the upload aborted on any failure. See the [crate docs](crate) for the
/// integrity checks and the choices made where S3 and Libcloud's contract differ.
///
/// Cheap to clone; clones share the connection pool.
///
/// ```
/// use libcloud_s3::{S3Config, S3Storage};
/// use libcloud_core::StorageDriver;
///
/// let config = S3Config::new()
///     .with_region("eu-west-1".parse().unwrap())
///     .with_credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG");
/// let s3 = S3Storage::new(config).unwrap();
/// assert_eq!(s3.name(), "s3");
/// assert_eq!(s3.endpoint().url(), "https://s3.eu-west-1.amazonaws.com");
/// assert!(s3.capabilities().server_side_delimiter);
/// ```
#[derive(Clone)]
pub struct S3Storage {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Clone)]
pub(crate) struct Inner {
    pub(crate) client: S3Client,
    pub(crate) name: String,
    pub(crate) region: Region,
    pub(crate) checksum: ChecksumMode,
    pub(crate) threshold: u64,
    pub(crate) multipart: MultipartConfig,
}

impl fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Storage")
            .field("name", &self.inner.name)
            .field("region", &self.inner.region)
            .field("endpoint", self.inner.client.aws.endpoint())
            .field("addressing", &self.inner.client.addressing)
            .field("checksum", &self.inner.checksum)
            .field("multipart_threshold", &self.inner.threshold)
            .field("multipart", &self.inner.multipart)
            .finish_non_exhaustive()
    }
}

/// A multipart upload left on the server (Libcloud's `S3MultipartUpload`), from
/// [`S3Storage::ex_iterate_multipart_uploads`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MultipartUploadInfo {
    /// The object name the upload is for.
    pub key: String,
    /// The upload's id.
    pub upload_id: String,
    /// When it was started.
    pub initiated: Option<SystemTime>,
    /// Its storage class.
    pub storage_class: Option<String>,
    /// Who started it (display name, else id).
    pub initiator: Option<String>,
    /// Who owns it (display name, else id).
    pub owner: Option<String>,
}

fn ctx(operation: &'static str) -> ErrorContext {
    ErrorContext::new(operation)
}

fn container_ctx(operation: &'static str, container: &str) -> ErrorContext {
    ErrorContext::new(operation)
        .resource(ResourceKind::Container, container)
        .bucket(container)
}

pub(crate) fn object_ctx(operation: &'static str, container: &str, name: &str) -> ErrorContext {
    ErrorContext::new(operation)
        .resource(ResourceKind::Object, name)
        .bucket(container)
}

impl S3Storage {
    /// A driver for `config` over the default HTTP transport, with the credentials the config
    /// names (see [`S3Config::credential_provider`]).
    ///
    /// Invalid settings (a part size below 5 MiB, an endpoint that is not a URL, half a key
    /// pair) are [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput). No request is sent until the driver is used.
    pub fn new(config: S3Config) -> Result<Self> {
        let credentials = config.credential_provider()?;
        let transport = libcloud_http::default_transport()?;
        Self::with_transport(config, transport, credentials)
    }

    /// A driver for `config` sending through `transport` and signing with `credentials`; for
    /// tests (a fixture replay), a transport with other timeouts, or a credential source of the
    /// caller's own.
    pub fn with_transport(
        config: S3Config,
        transport: Transport,
        credentials: Arc<dyn CredentialProvider>,
    ) -> Result<Self> {
        config.validate()?;
        let region = config.effective_region();
        let no_env = Env::from_pairs::<_, String, String>([]);
        let endpoint = Endpoint::resolve(Service::S3, &region, &no_env, config.endpoint.as_deref())
            .map_err(|e| e.with_provider(PROVIDER))?;
        let name = config
            .provider_name
            .clone()
            .unwrap_or_else(|| PROVIDER.to_string());
        let aws = AwsClient::new(transport, credentials, Service::S3, endpoint)
            .with_provider_name(name.clone());
        Ok(S3Storage {
            inner: Arc::new(Inner {
                client: S3Client {
                    aws,
                    addressing: config.effective_addressing(),
                },
                name,
                region,
                checksum: config.checksum,
                threshold: config.multipart_threshold,
                multipart: config.multipart_config(),
            }),
        })
    }

    /// Dates signatures and presigned URLs with `clock` instead of the system's (for tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        let inner = Arc::make_mut(&mut self.inner);
        inner.client.aws = inner.client.aws.clone().with_clock(clock);
        self
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &Region {
        &self.inner.region
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        self.inner.client.aws.endpoint()
    }

    fn client(&self) -> &S3Client {
        &self.inner.client
    }

    /// One page of `ListObjectsV2`.
    async fn list_page(
        &self,
        container: &str,
        prefix: Option<&str>,
        delimiter: Option<&str>,
        start: Option<PageStart>,
        operation: &'static str,
    ) -> Result<ObjectPage> {
        let mut query: Vec<(&str, &str)> = vec![("list-type", "2"), ("encoding-type", "url")];
        if let Some(p) = prefix.filter(|p| !p.is_empty()) {
            query.push(("prefix", p));
        }
        if let Some(d) = delimiter {
            query.push(("delimiter", d));
        }
        match &start {
            Some(PageStart::Token(t)) => query.push(("continuation-token", t)),
            Some(PageStart::After(k)) => query.push(("start-after", k)),
            None => {}
        }
        let client = self.client();
        let uri = client
            .bucket_uri(container, Some(&encode_query(query)))
            .map_err(|e| client.tag(e, operation))?;
        let request = empty_request(Method::GET, uri).map_err(|e| client.tag(e, operation))?;
        let response = client
            .send(request, &container_ctx(operation, container))
            .await?;
        let body = client.read_body(response, operation).await?;
        xml::parse_object_page(&body).map_err(|e| client.tag(e, operation))
    }

    /// The object a `HEAD` or `GET` response describes.
    pub(crate) fn object_from_headers(
        container: &str,
        name: &str,
        headers: &HeaderMap,
        size: u64,
    ) -> Object {
        let text = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
        let etag = text(ETAG.as_str()).map(str::to_string);
        let mut meta_data = BTreeMap::new();
        for (key, value) in headers {
            if let Some(k) = key.as_str().strip_prefix("x-amz-meta-") {
                meta_data.insert(
                    k.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                );
            }
        }
        let mut extra = Extra::new();
        let mut put = |key: &str, header: &str| {
            if let Some(v) = text(header) {
                extra.insert(key.to_string(), Value::String(v.to_string()));
            }
        };
        put("etag", "etag");
        put("last_modified", "last-modified");
        put("content_encoding", "content-encoding");
        put("storage_class", "x-amz-storage-class");
        put("version_id", "x-amz-version-id");
        put("server_side_encryption", "x-amz-server-side-encryption");
        put("checksum_crc32c", "x-amz-checksum-crc32c");
        Object {
            name: name.to_string(),
            container: container.to_string(),
            size,
            hash: etag
                .as_deref()
                .map(|e| crate::checksum::unquote(e).to_string()),
            content_type: text(CONTENT_TYPE.as_str()).map(str::to_string),
            last_modified: text(LAST_MODIFIED.as_str()).and_then(parse_http_date),
            meta_data,
            extra,
        }
    }

    fn object_from_listing(container: &str, o: xml::WireObject) -> Object {
        let mut extra = Extra::new();
        if let Some(e) = &o.etag {
            extra.insert("etag".into(), Value::String(e.clone()));
        }
        if let Some(t) = o.last_modified_text {
            extra.insert("last_modified".into(), Value::String(t));
        }
        if let Some(c) = o.storage_class {
            extra.insert("storage_class".into(), Value::String(c));
        }
        if let Some(id) = o.owner_id {
            extra.insert("owner_id".into(), Value::String(id));
        }
        Object {
            hash: o
                .etag
                .as_deref()
                .map(|e| crate::checksum::unquote(e).to_string()),
            name: o.key,
            container: container.to_string(),
            size: o.size,
            content_type: None,
            last_modified: o.last_modified,
            meta_data: BTreeMap::new(),
            extra,
        }
    }

    async fn upload(
        &self,
        container: &str,
        name: &str,
        mut body: ByteStream,
        size_hint: Option<u64>,
        options: &libcloud_core::UploadOptions,
        operation: &'static str,
    ) -> Result<Object> {
        let client = self.client();
        // Check the names and options before reading a byte.
        client
            .object_uri(container, name, None)
            .map_err(|e| client.tag(e, operation))?;
        let headers = ObjectHeaders::new(name, options).map_err(|e| client.tag(e, operation))?;
        let target = UploadTarget {
            inner: self.inner.clone(),
            container: container.to_string(),
            key: name.to_string(),
            headers: Arc::new(headers),
            verify: options.verify_hash,
        };
        // Read up to the threshold: a body that ends before it goes as one PutObject.
        let threshold = self.inner.threshold;
        let mut head: Vec<Bytes> = Vec::new();
        let mut read = 0u64;
        while read < threshold {
            match body.next().await {
                None => {
                    let data = concat(head, read);
                    return target.put_object(data).await;
                }
                Some(chunk) => {
                    let chunk = chunk?;
                    read += chunk.len() as u64;
                    if !chunk.is_empty() {
                        head.push(chunk);
                    }
                }
            }
        }
        let rest = stream::iter(head.into_iter().map(Ok)).chain(body).boxed();
        write_multipart(&target, rest, size_hint, &self.inner.multipart).await
    }

    /// Stores an object whose size is known in advance: the part size of a multipart upload
    /// is then chosen up front so that the body fits in 10,000 parts (otherwise it grows as the
    /// upload proceeds). The body must yield exactly `size` bytes; more or fewer is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput) and nothing is stored.
    pub async fn ex_upload_object_with_size(
        &self,
        container: &str,
        name: &str,
        body: ByteStream,
        size: u64,
        options: &libcloud_core::UploadOptions,
    ) -> Result<Object> {
        let counted = exact_length(body, size);
        self.upload(
            container,
            name,
            counted,
            Some(size),
            options,
            "upload_object",
        )
        .await
    }

    /// The multipart uploads in progress in `container` (whose keys start with `prefix`), page
    /// by page as the stream is read (Libcloud's `ex_iterate_multipart_uploads`).
    pub fn ex_iterate_multipart_uploads<'a>(
        &'a self,
        container: &'a str,
        prefix: Option<&'a str>,
    ) -> BoxStream<'a, Result<MultipartUploadInfo>> {
        const OP: &str = "ex_iterate_multipart_uploads";
        paginate(move |marker: Option<(String, String)>| async move {
            let client = self.client();
            let mut query: Vec<(&str, &str)> = vec![("uploads", ""), ("encoding-type", "url")];
            if let Some(p) = prefix.filter(|p| !p.is_empty()) {
                query.push(("prefix", p));
            }
            if let Some((key, id)) = &marker {
                query.push(("key-marker", key));
                if !id.is_empty() {
                    query.push(("upload-id-marker", id));
                }
            }
            let uri = client
                .bucket_uri(container, Some(&encode_query(query)))
                .map_err(|e| client.tag(e, OP))?;
            let request = empty_request(Method::GET, uri).map_err(|e| client.tag(e, OP))?;
            let response = client.send(request, &container_ctx(OP, container)).await?;
            let body = client.read_body(response, OP).await?;
            let page = xml::parse_upload_page(&body).map_err(|e| client.tag(e, OP))?;
            let items = page
                .uploads
                .into_iter()
                .map(|u| MultipartUploadInfo {
                    initiated: u
                        .initiated
                        .as_deref()
                        .and_then(libcloud_core::common::parse_rfc3339),
                    key: u.key,
                    upload_id: u.upload_id,
                    storage_class: u.storage_class,
                    initiator: u.initiator,
                    owner: u.owner,
                })
                .collect();
            Ok(Page::new(items, page.next))
        })
    }

    /// Aborts one multipart upload, discarding its parts.
    pub async fn ex_abort_multipart_upload(
        &self,
        container: &str,
        name: &str,
        upload_id: &str,
    ) -> Result<()> {
        crate::upload::abort(&self.inner, container, name, upload_id).await
    }

    /// Aborts every multipart upload in progress in `container` whose key starts with `prefix`
    /// (Libcloud's `ex_cleanup_all_multipart_uploads`), and says how many it aborted. An upload
    /// that vanished meanwhile is not an error.
    pub async fn ex_cleanup_all_multipart_uploads(
        &self,
        container: &str,
        prefix: Option<&str>,
    ) -> Result<usize> {
        let uploads: Vec<MultipartUploadInfo> = self
            .ex_iterate_multipart_uploads(container, prefix)
            .try_collect()
            .await?;
        let mut aborted = 0;
        for u in uploads {
            match self
                .ex_abort_multipart_upload(container, &u.key, &u.upload_id)
                .await
            {
                Ok(()) => aborted += 1,
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(aborted)
    }

    /// A presigned URL for `method` (GET, PUT, HEAD or DELETE) on an object, valid for
    /// `expires` (one second to seven days). A PUT through it stores the body as given, with no
    /// content type unless the uploader sends one.
    pub async fn ex_presigned_url(
        &self,
        method: Method,
        container: &str,
        name: &str,
        expires: Duration,
    ) -> Result<String> {
        const OP: &str = "get_object_cdn_url";
        let client = self.client();
        if !matches!(
            method,
            Method::GET | Method::PUT | Method::HEAD | Method::DELETE
        ) {
            return Err(client.tag(
                Error::invalid_input(format!("cannot presign a {method} request")),
                OP,
            ));
        }
        let uri = client
            .object_uri(container, name, None)
            .map_err(|e| client.tag(e, OP))?;
        let url = client
            .aws
            .presign(&method, &uri, &HeaderMap::new(), expires)
            .await
            .map_err(|e| client.tag(e, OP))?;
        Ok(url.to_string())
    }
}

/// Joins buffered chunks (no copy when there is one).
fn concat(mut chunks: Vec<Bytes>, len: u64) -> Bytes {
    match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => {
            let mut buf = BytesMut::with_capacity(usize::try_from(len).unwrap_or(0));
            for c in chunks {
                buf.extend_from_slice(&c);
            }
            buf.freeze()
        }
    }
}

/// `body`, failing unless it yields exactly `size` bytes: a longer body fails as soon as it
/// passes `size`, a shorter one instead of ending.
fn exact_length(body: ByteStream, size: u64) -> ByteStream {
    stream::try_unfold((body, 0u64), move |(mut body, seen)| async move {
        match body.next().await {
            Some(chunk) => {
                let chunk = chunk?;
                let seen = seen + chunk.len() as u64;
                if seen > size {
                    return Err(Error::invalid_input(format!(
                        "the body is longer than the {size} bytes announced"
                    )));
                }
                Ok(Some((chunk, (body, seen))))
            }
            None if seen < size => Err(Error::invalid_input(format!(
                "the body ended after {seen} of the {size} bytes announced"
            ))),
            None => Ok(None),
        }
    })
    .boxed()
}

/// A whole-object response served in place of a range: only the bytes of the range pass.
fn slice_stream(body: ByteStream, start: u64, end: Option<u64>) -> ByteStream {
    let mut offset = 0u64;
    body.map_ok(move |chunk| {
        let len = chunk.len() as u64;
        let from = start.saturating_sub(offset).min(len);
        let to = end.map_or(len, |e| e.saturating_sub(offset).min(len));
        offset += len;
        if from >= to {
            Bytes::new()
        } else {
            // Both bounds are within `len`, which is a usize.
            chunk.slice(from as usize..to as usize)
        }
    })
    .try_filter(|c| futures::future::ready(!c.is_empty()))
    .boxed()
}

/// The total size in a `Content-Range: bytes a-b/total` header.
fn content_range_total(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_RANGE)?
        .to_str()
        .ok()?
        .rsplit('/')
        .next()?
        .trim()
        .parse()
        .ok()
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[async_trait]
impl StorageDriver for S3Storage {
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// Ranged downloads, multipart uploads, user metadata, content types, server-side
    /// delimiter listings and presigned URLs. Hashes are ETags, which are the MD5 of the content
    /// only for objects stored with one `PutObject` (and not encrypted with KMS), so
    /// `hash_is_md5` is false.
    fn capabilities(&self) -> StorageCapabilities {
        let mut caps = StorageCapabilities::default();
        caps.hash_is_md5 = false;
        caps.ranged_download = true;
        caps.multipart_upload = true;
        caps.user_metadata = true;
        caps.content_type = true;
        caps.server_side_delimiter = true;
        caps.object_cdn_url = true;
        caps.container_cdn = false;
        caps.strict_names = false;
        caps
    }

    fn iterate_containers(&self) -> BoxStream<'_, Result<Container>> {
        const OP: &str = "list_containers";
        paginate(move |token: Option<String>| async move {
            let client = self.client();
            let query = token.map(|t| encode_query([("continuation-token", t)]));
            let uri = client
                .root_uri(query.as_deref())
                .map_err(|e| client.tag(e, OP))?;
            let request = empty_request(Method::GET, uri).map_err(|e| client.tag(e, OP))?;
            let response = client.send(request, &ctx(OP)).await?;
            let body = client.read_body(response, OP).await?;
            let list = xml::parse_bucket_list(&body).map_err(|e| client.tag(e, OP))?;
            let containers = list
                .buckets
                .into_iter()
                .map(|b| {
                    let mut c = Container::new(b.name);
                    if let Some(d) = b.creation_date {
                        c.extra.insert("creation_date".into(), Value::String(d));
                    }
                    if let Some(r) = b.region {
                        c.extra.insert("region".into(), Value::String(r));
                    }
                    c
                })
                .collect();
            Ok(Page::new(containers, list.continuation_token))
        })
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        const OP: &str = "get_container";
        let client = self.client();
        let uri = client
            .bucket_uri(name, None)
            .map_err(|e| client.tag(e, OP))?;
        let request = empty_request(Method::HEAD, uri).map_err(|e| client.tag(e, OP))?;
        let response = client.send(request, &container_ctx(OP, name)).await?;
        let mut container = Container::new(name);
        if let Some(region) = response
            .headers()
            .get("x-amz-bucket-region")
            .and_then(|v| v.to_str().ok())
        {
            container
                .extra
                .insert("region".into(), Value::String(region.to_string()));
        }
        Ok(container)
    }

    /// Creates a bucket in the configured region (with a `LocationConstraint` outside
    /// us-east-1).
    ///
    /// In us-east-1 S3 answers 200 when the caller re-creates a bucket it owns, so there a
    /// `HEAD` is sent first and an existing bucket is [`ErrorKind::AlreadyExists`](libcloud_core::ErrorKind::AlreadyExists) without a
    /// `PUT`. Elsewhere S3 answers `BucketAlreadyOwnedByYou` or `BucketAlreadyExists`, both
    /// `AlreadyExists`.
    async fn create_container(&self, name: &str) -> Result<Container> {
        const OP: &str = "create_container";
        let client = self.client();
        let cctx = container_ctx(OP, name);
        let uri = client
            .bucket_uri(name, None)
            .map_err(|e| client.tag(e, OP))?;
        let us_east_1 = self.inner.region == Region::US_EAST_1;
        if us_east_1 {
            let head = empty_request(Method::HEAD, uri.clone()).map_err(|e| client.tag(e, OP))?;
            let response = client.send_raw(head, OP).await?;
            let status = response.status();
            if status.is_success() || status == StatusCode::MOVED_PERMANENTLY {
                return Err(Error::already_exists(ResourceKind::Container, name)
                    .with_provider(client.provider())
                    .with_operation(OP)
                    .with_status(status.as_u16()));
            }
        }
        let request = if us_east_1 {
            empty_request(Method::PUT, uri)
        } else {
            let body = xml::create_bucket_body(self.inner.region.as_str());
            crate::client::build(
                http::Request::put(uri).header(CONTENT_TYPE, "application/xml"),
                libcloud_core::Body::from(body),
            )
        }
        .map_err(|e| client.tag(e, OP))?;
        client.send(request, &cctx).await?;
        let mut container = Container::new(name);
        container.extra.insert(
            "region".into(),
            Value::String(self.inner.region.as_str().to_string()),
        );
        Ok(container)
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        const OP: &str = "delete_container";
        let client = self.client();
        let uri = client
            .bucket_uri(name, None)
            .map_err(|e| client.tag(e, OP))?;
        let request = empty_request(Method::DELETE, uri).map_err(|e| client.tag(e, OP))?;
        client.send(request, &container_ctx(OP, name)).await?;
        Ok(())
    }

    fn iterate_container_objects<'a>(
        &'a self,
        container: &'a str,
        prefix: Option<&'a str>,
    ) -> BoxStream<'a, Result<Object>> {
        paginate(move |start: Option<PageStart>| async move {
            let page = self
                .list_page(container, prefix, None, start, "list_container_objects")
                .await?;
            let next = page.next_start();
            let objects = page
                .objects
                .into_iter()
                .map(|o| Self::object_from_listing(container, o))
                .collect();
            Ok(Page::new(objects, next))
        })
    }

    /// `ListObjectsV2` with the delimiter: the server groups the names.
    async fn list_with_delimiter(
        &self,
        container: &str,
        prefix: Option<&str>,
        delimiter: &str,
    ) -> Result<ListResult> {
        const OP: &str = "list_with_delimiter";
        if delimiter.is_empty() {
            return Err(self
                .client()
                .tag(Error::invalid_input("the delimiter must not be empty"), OP));
        }
        let mut result = ListResult::default();
        let mut start = None;
        loop {
            let page = self
                .list_page(container, prefix, Some(delimiter), start.clone(), OP)
                .await?;
            let next = page.next_start();
            result.objects.extend(
                page.objects
                    .into_iter()
                    .map(|o| Self::object_from_listing(container, o)),
            );
            result.common_prefixes.extend(page.common_prefixes);
            match next {
                Some(n) if Some(&n) == start.as_ref() => {
                    return Err(self.client().tag(
                        Error::malformed("the server returned the same page token twice"),
                        OP,
                    ));
                }
                Some(n) => start = Some(n),
                None => break,
            }
        }
        result.common_prefixes.sort();
        result.common_prefixes.dedup();
        Ok(result)
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        const OP: &str = "get_object";
        let client = self.client();
        let uri = client
            .object_uri(container, name, None)
            .map_err(|e| client.tag(e, OP))?;
        let request = empty_request(Method::HEAD, uri).map_err(|e| client.tag(e, OP))?;
        let response = client
            .send(request, &object_ctx(OP, container, name))
            .await?;
        let size = content_length(response.headers()).ok_or_else(|| {
            client.tag(
                Error::malformed("the object's HEAD answer has no Content-Length"),
                OP,
            )
        })?;
        Ok(Self::object_from_headers(
            container,
            name,
            response.headers(),
            size,
        ))
    }

    async fn download_object_as_stream(
        &self,
        container: &str,
        name: &str,
        range: Option<ByteRange>,
    ) -> Result<Download> {
        const OP: &str = "download_object";
        let client = self.client();
        let uri = client
            .object_uri(container, name, None)
            .map_err(|e| client.tag(e, OP))?;
        let mut builder = http::Request::get(uri);
        if let Some(r) = &range {
            let value = HeaderValue::from_str(&r.to_header())
                .map_err(|e| client.tag(Error::invalid_input("bad range").with_source(e), OP))?;
            builder = builder.header(RANGE, value);
        }
        let request = crate::client::build(builder, libcloud_core::Body::empty())
            .map_err(|e| client.tag(e, OP))?;
        let response = client
            .send(request, &object_ctx(OP, container, name))
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let length = content_length(&headers);
        let (size, partial) = if status == StatusCode::PARTIAL_CONTENT {
            (content_range_total(&headers).or(length), true)
        } else {
            (length, false)
        };
        let size = size.ok_or_else(|| {
            client.tag(
                Error::malformed("the download has neither Content-Length nor Content-Range"),
                OP,
            )
        })?;
        let object = Self::object_from_headers(container, name, &headers, size);
        let mut stream = response.into_body().into_stream();
        if partial {
            stream = verify_stream(stream, length, None);
        } else {
            // The whole object: its length is checked and, where the ETag is the MD5 of the
            // content, its bytes too, so that a body cut short or damaged on the way ends in an
            // error (`Transport`, `HashMismatch`) instead of passing for the object.
            let md5 = headers
                .get(ETAG)
                .and_then(|v| v.to_str().ok())
                .map(unquote)
                .filter(|etag| is_md5_hex(etag) && !etag_is_not_md5(&headers))
                .map(str::to_string);
            stream = verify_stream(stream, Some(size), md5);
        }
        // Errors met while reading the body (a reset, a timeout, a failed check) say where.
        let provider = client.provider();
        stream = stream
            .map_err(move |e| e.or_provider(provider.clone()).or_operation(OP))
            .boxed();
        if let (Some(r), false) = (&range, partial) {
            // The server sent the whole object: pass on only the range.
            r.clamp(size).map_err(|e| client.tag(e, OP))?;
            stream = slice_stream(stream, r.start, r.end);
        }
        Ok(Download {
            object,
            range,
            stream,
        })
    }

    /// Stores an object: one `PutObject` below the multipart threshold, a multipart upload
    /// above it. See the [crate docs](crate) for the checks made.
    async fn upload_object_via_stream(
        &self,
        container: &str,
        name: &str,
        body: ByteStream,
        options: &libcloud_core::UploadOptions,
    ) -> Result<Object> {
        self.upload(container, name, body, None, options, "upload_object")
            .await
    }

    /// Deletes an object. S3 does not say whether the object existed, so deleting a missing
    /// object succeeds; a missing container is `NotFound`.
    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        const OP: &str = "delete_object";
        let client = self.client();
        let uri = client
            .object_uri(container, name, None)
            .map_err(|e| client.tag(e, OP))?;
        let request = empty_request(Method::DELETE, uri).map_err(|e| client.tag(e, OP))?;
        client
            .send(request, &object_ctx(OP, container, name))
            .await?;
        Ok(())
    }

    /// A presigned `GET` URL, valid for `expires` (one second to seven days). Nothing is
    /// checked on the server: the URL of a missing object answers 404 when used.
    async fn get_object_cdn_url(
        &self,
        container: &str,
        name: &str,
        expires: Duration,
    ) -> Result<String> {
        self.ex_presigned_url(Method::GET, container, name, expires)
            .await
    }
}
