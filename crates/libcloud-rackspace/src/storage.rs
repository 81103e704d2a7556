//! Cloud Files: Swift storage with Rackspace's identity and regions, and its CDN (publishing
//! containers, CDN URLs of containers and objects).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use http::{HeaderMap, HeaderValue, Method};
use libcloud_core::body::ByteStream;
use libcloud_core::{
    Body, ByteRange, Container, Download, Error, ListResult, Object, ResourceKind, Result,
    StorageCapabilities, StorageDriver, Transport, UploadOptions,
};
use libcloud_openstack::{OBJECT_STORE_SERVICE_TYPE, Session, SwiftStorage};

use crate::client::{ServiceClient, Target, encode, join_url, parse_error};
use crate::config::RackspaceConfig;

/// The name Cloud Files errors carry, as the driver's.
pub const STORAGE_PROVIDER: &str = "cloudfiles";

/// The catalog service name of Cloud Files.
pub const CLOUD_FILES_SERVICE_NAME: &str = "cloudFiles";

/// The catalog service type of the Cloud Files CDN.
pub const CDN_SERVICE_TYPE: &str = "rax:object-cdn";

/// The catalog service name of the Cloud Files CDN.
pub const CDN_SERVICE_NAME: &str = "cloudFilesCDN";

/// How long the CDN caches a published object unless told otherwise: 72 hours, the service's
/// default.
pub const DEFAULT_CDN_TTL: Duration = Duration::from_secs(72 * 3600);

/// A container's state on the CDN (`HEAD` of the container on the CDN service).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CdnContainer {
    /// Whether the container is published.
    pub enabled: bool,
    /// Its HTTP URL (`X-Cdn-Uri`).
    pub uri: Option<String>,
    /// Its HTTPS URL (`X-Cdn-Ssl-Uri`).
    pub ssl_uri: Option<String>,
    /// Its streaming URL (`X-Cdn-Streaming-Uri`).
    pub streaming_uri: Option<String>,
    /// Its iOS streaming URL (`X-Cdn-Ios-Uri`).
    pub ios_uri: Option<String>,
    /// How long the CDN caches objects (`X-Ttl`).
    pub ttl: Option<Duration>,
    /// Whether access logs are kept (`X-Log-Retention`).
    pub log_retention: bool,
}

/// What the account holds (`HEAD` of the storage URL).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountInfo {
    /// The number of containers.
    pub container_count: u64,
    /// The number of objects.
    pub object_count: u64,
    /// The bytes stored.
    pub bytes_used: u64,
    /// The account's metadata (`X-Account-Meta-*`), keys lower-case.
    pub meta_data: BTreeMap<String, String>,
}

fn relabel(err: Error) -> Error {
    err.with_provider(STORAGE_PROVIDER)
}

/// The Rackspace Cloud Files driver (Libcloud's `CloudFilesStorageDriver`): Swift from the
/// `object-store` service named `cloudFiles` in the configured region, and the CDN from
/// `rax:object-cdn` / `cloudFilesCDN`.
///
/// Storage is [`SwiftStorage`]'s (see there for listings, Static Large Objects, ranges and MD5
/// checks); errors carry the provider `cloudfiles`.
///
/// | libcloud | CDN service |
/// |---|---|
/// | `enable_container_cdn` | `HEAD` of the container (it must exist), then `PUT /{container}` with `X-Cdn-Enabled: True` and `X-Ttl` |
/// | `get_container_cdn_url` | `HEAD /{container}`: its `X-Cdn-Uri` |
/// | `get_object_cdn_url` | the container's CDN URL and the object's name |
/// | `ex_disable_container_cdn` | `POST /{container}` with `X-Cdn-Enabled: False` |
/// | `ex_purge_object_from_cdn` | `DELETE /{container}/{object}` |
///
/// A container that was never published is `NotFound` of the container on the CDN; one that
/// was published and then disabled has no usable CDN URL (`InvalidInput`). CDN URLs do not
/// expire: the `expires` of `get_object_cdn_url` is not used.
///
/// Over Swift's tempauth (a Cloud Files stand-in) the token's only service is the storage
/// URL: the CDN is then available only with a fixed CDN endpoint
/// ([`RackspaceConfig::with_cdn_endpoint`]), and the capabilities say so.
#[derive(Debug, Clone)]
pub struct CloudFiles {
    swift: SwiftStorage,
    cdn: Option<ServiceClient>,
}

impl CloudFiles {
    /// A driver for `config` over the default HTTP transport.
    pub fn new(config: &RackspaceConfig) -> Result<Self> {
        Self::with_transport(config, libcloud_http::default_transport()?)
    }

    /// A driver for `config` sending through `transport`.
    pub fn with_transport(config: &RackspaceConfig, transport: Transport) -> Result<Self> {
        Self::with_session(config.session(transport), config)
    }

    /// A driver on an existing session (shared with other drivers, so one token serves all);
    /// `config` chooses the endpoints, its `auth` is not used.
    pub fn with_session(session: Arc<Session>, config: &RackspaceConfig) -> Result<Self> {
        let tempauth = config.is_tempauth();
        // Tempauth's catalog is one storage URL, named `swift` and in no region.
        let name = (!tempauth).then_some(CLOUD_FILES_SERVICE_NAME);
        let service = config.service(
            OBJECT_STORE_SERVICE_TYPE,
            name,
            !tempauth,
            config.endpoints.storage.as_ref(),
        );
        let swift = SwiftStorage::with_session(session.clone(), &service).map_err(relabel)?;
        let cdn = if tempauth && config.endpoints.cdn.is_none() {
            None
        } else {
            let cdn = config.service(
                CDN_SERVICE_TYPE,
                Some(CDN_SERVICE_NAME),
                true,
                config.endpoints.cdn.as_ref(),
            );
            Some(ServiceClient::new(session, &cdn, CDN_SERVICE_TYPE).map_err(relabel)?)
        };
        Ok(CloudFiles { swift, cdn })
    }

    /// Sets the segment size of large uploads; see [`SwiftStorage::with_segment_size`].
    pub fn with_segment_size(mut self, bytes: usize) -> Self {
        self.swift = self.swift.with_segment_size(bytes);
        self
    }

    /// Sets how many segments are uploaded at once; see
    /// [`SwiftStorage::with_upload_concurrency`].
    pub fn with_upload_concurrency(mut self, parts: usize) -> Self {
        self.swift = self.swift.with_upload_concurrency(parts);
        self
    }

    /// The Swift driver underneath, for what only it offers.
    pub fn swift(&self) -> &SwiftStorage {
        &self.swift
    }

    /// The session the driver authenticates with.
    pub fn session(&self) -> &Arc<Session> {
        self.swift.session()
    }

    /// Whether the CDN service is available to this driver.
    pub fn has_cdn(&self) -> bool {
        self.cdn.is_some()
    }

    fn cdn(&self, operation: &'static str) -> Result<&ServiceClient> {
        self.cdn.as_ref().ok_or_else(|| {
            Error::unsupported(operation)
                .with_provider(STORAGE_PROVIDER)
                .with_message(
                    "no CDN service: tempauth gives only a storage URL; set a CDN endpoint",
                )
        })
    }

    async fn cdn_url(
        &self,
        client: &ServiceClient,
        container: &str,
        object: Option<&str>,
    ) -> Result<String> {
        if container.is_empty() || container.contains('/') {
            return Err(Error::invalid_input(format!(
                "container name {container:?} must be non-empty and without '/'"
            ))
            .with_provider(STORAGE_PROVIDER));
        }
        let mut path = encode(container, false);
        if let Some(object) = object {
            if object.is_empty() {
                return Err(Error::invalid_input("the object name must not be empty")
                    .with_provider(STORAGE_PROVIDER));
            }
            path.push('/');
            path.push_str(&encode(object, true));
        }
        Ok(join_url(&client.base().await.map_err(relabel)?, &path, &[]))
    }

    async fn cdn_call(
        &self,
        client: &ServiceClient,
        method: Method,
        url: &str,
        headers: &[(&'static str, String)],
        target: &Target,
    ) -> Result<HeaderMap> {
        let mut builder = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::invalid_input(format!("{name} {value:?} is not valid header text"))
                    .with_provider(STORAGE_PROVIDER)
            })?;
            builder = builder.header(*name, value);
        }
        let request = builder.body(Body::empty()).map_err(|e| {
            Error::invalid_input(format!("cannot build a request for {url}"))
                .with_source(e)
                .with_provider(STORAGE_PROVIDER)
        })?;
        let reply = client.call(request, target).await.map_err(relabel)?;
        Ok(reply.headers)
    }

    /// A container's state on the CDN. A container the CDN has never published is `NotFound`
    /// of the container.
    pub async fn ex_get_container_cdn(&self, container: &str) -> Result<CdnContainer> {
        let client = self.cdn("get_container_cdn_url")?;
        let url = self.cdn_url(client, container, None).await?;
        let target = Target::new("get_container_cdn_url", ResourceKind::Container, container);
        let headers = self
            .cdn_call(client, Method::HEAD, &url, &[], &target)
            .await
            .map_err(|e| {
                if e.is_not_found() {
                    e.with_message("the CDN has never published this container")
                } else {
                    e
                }
            })?;
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let truthy = |name: &str| text(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Ok(CdnContainer {
            enabled: truthy("x-cdn-enabled"),
            uri: text("x-cdn-uri"),
            ssl_uri: text("x-cdn-ssl-uri"),
            streaming_uri: text("x-cdn-streaming-uri"),
            ios_uri: text("x-cdn-ios-uri"),
            ttl: text("x-ttl")
                .and_then(|t| t.parse::<u64>().ok())
                .map(Duration::from_secs),
            log_retention: truthy("x-log-retention"),
        })
    }

    /// Publishes a container on the CDN, with objects cached for `ttl` (whole seconds;
    /// [`DEFAULT_CDN_TTL`] when `None`).
    pub async fn ex_enable_container_cdn(
        &self,
        container: &str,
        ttl: Option<Duration>,
    ) -> Result<()> {
        let client = self.cdn("enable_container_cdn")?;
        // The CDN takes any name; a missing container is caught here.
        self.swift
            .get_container(container)
            .await
            .map_err(|e| relabel(e).with_operation("enable_container_cdn"))?;
        let url = self.cdn_url(client, container, None).await?;
        let ttl = ttl.unwrap_or(DEFAULT_CDN_TTL).as_secs().max(1);
        let target = Target::new("enable_container_cdn", ResourceKind::Container, container);
        self.cdn_call(
            client,
            Method::PUT,
            &url,
            &[("x-cdn-enabled", "True".into()), ("x-ttl", ttl.to_string())],
            &target,
        )
        .await?;
        Ok(())
    }

    /// Stops publishing a container on the CDN (what is cached stays until its TTL ends).
    pub async fn ex_disable_container_cdn(&self, container: &str) -> Result<()> {
        let client = self.cdn("ex_disable_container_cdn")?;
        let url = self.cdn_url(client, container, None).await?;
        let target = Target::new(
            "ex_disable_container_cdn",
            ResourceKind::Container,
            container,
        );
        self.cdn_call(
            client,
            Method::POST,
            &url,
            &[("x-cdn-enabled", "False".into())],
            &target,
        )
        .await?;
        Ok(())
    }

    /// Removes an object from the CDN's caches before its TTL ends; `email` is told when it
    /// is done.
    pub async fn ex_purge_object_from_cdn(
        &self,
        container: &str,
        name: &str,
        email: Option<&str>,
    ) -> Result<()> {
        let client = self.cdn("ex_purge_object_from_cdn")?;
        let url = self.cdn_url(client, container, Some(name)).await?;
        let target = Target::new("ex_purge_object_from_cdn", ResourceKind::Object, name);
        let headers: Vec<(&'static str, String)> = email
            .map(|e| vec![("x-purge-email", e.to_string())])
            .unwrap_or_default();
        self.cdn_call(client, Method::DELETE, &url, &headers, &target)
            .await?;
        Ok(())
    }

    /// The HTTPS CDN URL of a published container.
    pub async fn ex_get_container_cdn_ssl_url(&self, container: &str) -> Result<String> {
        let cdn = self
            .published(container, "ex_get_container_cdn_ssl_url")
            .await?;
        cdn.ssl_uri.ok_or_else(|| {
            Error::malformed("the CDN gave the container no HTTPS URL")
                .with_provider(STORAGE_PROVIDER)
                .with_operation("ex_get_container_cdn_ssl_url")
        })
    }

    /// The account's totals and metadata (`HEAD` of the storage URL).
    pub async fn ex_get_account_info(&self) -> Result<AccountInfo> {
        let url = self.swift.ex_storage_url().await.map_err(relabel)?;
        let request = http::Request::builder()
            .method(Method::HEAD)
            .uri(&url)
            .body(Body::empty())
            .map_err(|e| {
                Error::invalid_input(format!("cannot build a request for {url}"))
                    .with_source(e)
                    .with_provider(STORAGE_PROVIDER)
            })?;
        let response = self.session().send(request).await.map_err(relabel)?;
        let (parts, body) = response.into_parts();
        let target = Target::new("ex_get_account_info", ResourceKind::Other, "account");
        if !parts.status.is_success() {
            let body = body.collect(64 * 1024).await.unwrap_or_default();
            return Err(relabel(parse_error(
                parts.status.as_u16(),
                &parts.headers,
                &body,
                &target,
            )));
        }
        let number = |name: &str| -> Result<u64> {
            match parts.headers.get(name).and_then(|v| v.to_str().ok()) {
                None => Ok(0),
                Some(v) => v.trim().parse().map_err(|_| {
                    Error::malformed(format!("{name} {v:?} is not a number"))
                        .with_provider(STORAGE_PROVIDER)
                        .with_operation("ex_get_account_info")
                }),
            }
        };
        let meta_data = parts
            .headers
            .iter()
            .filter_map(|(k, v)| {
                let key = k.as_str().strip_prefix("x-account-meta-")?;
                Some((
                    key.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                ))
            })
            .collect();
        Ok(AccountInfo {
            container_count: number("x-account-container-count")?,
            object_count: number("x-account-object-count")?,
            bytes_used: number("x-account-bytes-used")?,
            meta_data,
        })
    }

    /// The CDN state of a container that must be published.
    async fn published(&self, container: &str, operation: &'static str) -> Result<CdnContainer> {
        let cdn = self
            .ex_get_container_cdn(container)
            .await
            .map_err(|e| e.with_operation(operation))?;
        if !cdn.enabled {
            return Err(Error::invalid_input(format!(
                "container {container:?} is not published on the CDN (enable_container_cdn)"
            ))
            .with_provider(STORAGE_PROVIDER)
            .with_operation(operation));
        }
        Ok(cdn)
    }
}

#[async_trait]
impl StorageDriver for CloudFiles {
    fn name(&self) -> &str {
        STORAGE_PROVIDER
    }

    fn capabilities(&self) -> StorageCapabilities {
        let mut caps = self.swift.capabilities();
        caps.object_cdn_url = self.cdn.is_some();
        caps.container_cdn = self.cdn.is_some();
        caps
    }

    fn iterate_containers(&self) -> BoxStream<'_, Result<Container>> {
        self.swift.iterate_containers().map_err(relabel).boxed()
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        self.swift.get_container(name).await.map_err(relabel)
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        self.swift.create_container(name).await.map_err(relabel)
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        self.swift.delete_container(name).await.map_err(relabel)
    }

    fn iterate_container_objects<'a>(
        &'a self,
        container: &'a str,
        prefix: Option<&'a str>,
    ) -> BoxStream<'a, Result<Object>> {
        self.swift
            .iterate_container_objects(container, prefix)
            .map_err(relabel)
            .boxed()
    }

    async fn list_with_delimiter(
        &self,
        container: &str,
        prefix: Option<&str>,
        delimiter: &str,
    ) -> Result<ListResult> {
        self.swift
            .list_with_delimiter(container, prefix, delimiter)
            .await
            .map_err(relabel)
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        self.swift
            .get_object(container, name)
            .await
            .map_err(relabel)
    }

    async fn download_object_as_stream(
        &self,
        container: &str,
        name: &str,
        range: Option<ByteRange>,
    ) -> Result<Download> {
        let download = self
            .swift
            .download_object_as_stream(container, name, range)
            .await
            .map_err(relabel)?;
        Ok(Download {
            stream: download.stream.map_err(relabel).boxed(),
            ..download
        })
    }

    async fn upload_object_via_stream(
        &self,
        container: &str,
        name: &str,
        body: ByteStream,
        options: &UploadOptions,
    ) -> Result<Object> {
        self.swift
            .upload_object_via_stream(container, name, body, options)
            .await
            .map_err(relabel)
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        self.swift
            .delete_object(container, name)
            .await
            .map_err(relabel)
    }

    async fn get_object_cdn_url(
        &self,
        container: &str,
        name: &str,
        _expires: Duration,
    ) -> Result<String> {
        self.cdn("get_object_cdn_url")?;
        if name.is_empty() {
            return Err(Error::invalid_input("the object name must not be empty")
                .with_provider(STORAGE_PROVIDER)
                .with_operation("get_object_cdn_url"));
        }
        let base = self
            .get_container_cdn_url(container)
            .await
            .map_err(|e| e.with_operation("get_object_cdn_url"))?;
        Ok(format!(
            "{}/{}",
            base.trim_end_matches('/'),
            encode(name, true)
        ))
    }

    async fn get_container_cdn_url(&self, container: &str) -> Result<String> {
        let cdn = self.published(container, "get_container_cdn_url").await?;
        cdn.uri.ok_or_else(|| {
            Error::malformed("the CDN gave the container no URL")
                .with_provider(STORAGE_PROVIDER)
                .with_operation("get_container_cdn_url")
        })
    }

    async fn enable_container_cdn(&self, container: &str) -> Result<()> {
        self.ex_enable_container_cdn(container, None).await
    }
}
