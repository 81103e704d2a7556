//! Uploads: one `PutObject`, or a multipart upload through libcloud-core's generic writer, with
//! the checksums of [`ChecksumMode`] sent and checked.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, HeaderName};
use http::{HeaderMap, HeaderValue, Method};
use libcloud_aws::ErrorContext;
use libcloud_aws::encode::encode_query;
use libcloud_aws::sign::{CONTENT_SHA256, UNSIGNED_PAYLOAD};
use libcloud_core::multipart::{MultipartTarget, MultipartUpload, UploadedPart};
use libcloud_core::storage::guess_content_type;
use libcloud_core::{Body, Error, ErrorKind, Object, ResourceKind, Result, UploadOptions};
use serde_json::Value;

use crate::checksum::{Digest, composite_crc32c, is_md5_hex, multipart_etag, unquote};
use crate::client::{CHECKSUM_CRC32C, build, empty_request, map_error};
use crate::config::ChecksumMode;
use crate::storage::{Inner, S3Storage, object_ctx};
use crate::xml::{self, CompletePart};

const OP: &str = "upload_object";

/// The canned ACLs S3 knows.
pub const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// The storage classes S3 knows (given in any case, sent upper-case).
pub const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
    "OUTPOSTS",
    "SNOW",
    "EXPRESS_ONEZONE",
];

/// The headers every request that creates the object carries: content type, user metadata,
/// ACL and storage class, checked before anything is sent.
#[derive(Debug)]
pub(crate) struct ObjectHeaders {
    headers: HeaderMap,
    content_type: String,
    meta_data: BTreeMap<String, String>,
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

impl ObjectHeaders {
    /// Builds and checks the headers of `options` for the object `name`.
    ///
    /// Metadata keys are lower-cased and must be HTTP token characters; values, the content
    /// type, the ACL and the storage class must be printable ASCII (S3 signs headers as text).
    /// Anything else is [`ErrorKind::InvalidInput`].
    pub(crate) fn new(name: &str, options: &UploadOptions) -> Result<Self> {
        let mut headers = HeaderMap::new();
        let content_type = options
            .content_type
            .clone()
            .unwrap_or_else(|| guess_content_type(name));
        headers.insert(CONTENT_TYPE, text_value("the content type", &content_type)?);
        let mut meta_data = BTreeMap::new();
        for (key, value) in &options.meta_data {
            let key = key.trim().to_ascii_lowercase();
            if key.is_empty() || !key.bytes().all(is_token_char) {
                return Err(Error::invalid_input(format!(
                    "metadata key {key:?} must be letters, digits and -_.!#$%&'*+^`|~"
                )));
            }
            let header =
                HeaderName::from_bytes(format!("x-amz-meta-{key}").as_bytes()).map_err(|e| {
                    Error::invalid_input(format!("metadata key {key:?} cannot be a header"))
                        .with_source(e)
                })?;
            headers.insert(header, text_value(&format!("metadata {key:?}"), value)?);
            meta_data.insert(key, value.clone());
        }
        if let Some(acl) = &options.acl {
            let acl = acl.trim().to_ascii_lowercase();
            if !CANNED_ACLS.contains(&acl.as_str()) {
                return Err(Error::invalid_input(format!(
                    "{acl:?} is not a canned ACL ({})",
                    CANNED_ACLS.join(", ")
                )));
            }
            headers.insert("x-amz-acl", text_value("the ACL", &acl)?);
        }
        if let Some(class) = &options.storage_class {
            let class = class.trim().to_ascii_uppercase();
            if !STORAGE_CLASSES.contains(&class.as_str()) {
                return Err(Error::invalid_input(format!(
                    "{class:?} is not a storage class ({})",
                    STORAGE_CLASSES.join(", ")
                )));
            }
            headers.insert(
                "x-amz-storage-class",
                text_value("the storage class", &class)?,
            );
        }
        Ok(ObjectHeaders {
            headers,
            content_type,
            meta_data,
        })
    }
}

fn text_value(what: &str, value: &str) -> Result<HeaderValue> {
    if !value.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        return Err(Error::invalid_input(format!(
            "{what} must be printable ASCII, not {value:?}"
        )));
    }
    HeaderValue::from_str(value).map_err(|e| {
        Error::invalid_input(format!("{what} is not a valid header value")).with_source(e)
    })
}

/// Whether the server encrypted the object in a way that makes its ETag something other than
/// the MD5 of the content (SSE-KMS, SSE-C).
pub(crate) fn etag_is_not_md5(headers: &HeaderMap) -> bool {
    let kms = headers
        .get("x-amz-server-side-encryption")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("aws:kms"));
    kms || headers.contains_key("x-amz-server-side-encryption-customer-algorithm")
}

fn mismatch(expected: String, actual: String, what: &str) -> Error {
    Error::bare(ErrorKind::HashMismatch { expected, actual }).with_message(what.to_string())
}

/// Compares what the server says it stored with the checksum sent.
fn check_echo(digest: &Digest, headers: &HeaderMap, what: &str) -> Result<()> {
    match digest {
        Digest::Md5(_) => {
            let Some(etag) = headers.get(ETAG).and_then(|v| v.to_str().ok()) else {
                return Ok(());
            };
            let etag = unquote(etag);
            let expected = digest.md5_hex().unwrap_or_default();
            if is_md5_hex(etag)
                && !etag_is_not_md5(headers)
                && !etag.eq_ignore_ascii_case(&expected)
            {
                return Err(mismatch(
                    expected,
                    etag.to_string(),
                    &format!("the ETag of {what} is not the MD5 of the bytes sent"),
                ));
            }
            Ok(())
        }
        Digest::Crc32c(_) => {
            let sent = digest.header().map(|(_, v)| v).unwrap_or_default();
            match headers.get(CHECKSUM_CRC32C).and_then(|v| v.to_str().ok()) {
                Some(echo) if echo.trim() != sent => Err(mismatch(
                    sent,
                    echo.trim().to_string(),
                    &format!("the server's CRC32C of {what} differs from the one sent"),
                )),
                _ => Ok(()),
            }
        }
        Digest::None => Ok(()),
    }
}

/// Where one upload goes, and the headers of the object it makes.
#[derive(Clone)]
pub(crate) struct UploadTarget {
    pub(crate) inner: Arc<Inner>,
    pub(crate) container: String,
    pub(crate) key: String,
    pub(crate) headers: Arc<ObjectHeaders>,
    pub(crate) verify: bool,
}

impl UploadTarget {
    fn ctx(&self) -> ErrorContext {
        object_ctx(OP, &self.container, &self.key)
    }

    fn tag(&self, err: Error) -> Error {
        self.inner.client.tag(err, OP)
    }

    fn object(&self, size: u64, response: &HeaderMap, etag: Option<&str>) -> Object {
        let mut object = S3Storage::object_from_headers(&self.container, &self.key, response, size);
        if let Some(e) = etag {
            object.hash = Some(unquote(e).to_string());
            object
                .extra
                .insert("etag".into(), Value::String(e.to_string()));
        }
        object.content_type = Some(self.headers.content_type.clone());
        object.meta_data = self.headers.meta_data.clone();
        object
    }

    /// Deletes an object that was stored with the wrong bytes, so that nothing damaged stays
    /// under its name.
    async fn discard(&self) {
        let client = &self.inner.client;
        let Ok(uri) = client.object_uri(&self.container, &self.key, None) else {
            return;
        };
        if let Ok(request) = empty_request(Method::DELETE, uri)
            && let Err(e) = client.send(request, &self.ctx()).await
        {
            tracing::warn!(error = %e, key = %self.key, "deleting an object stored with the wrong bytes failed");
        }
    }

    /// One `PutObject` of `data`, checksummed and checked.
    pub(crate) async fn put_object(&self, data: Bytes) -> Result<Object> {
        let client = &self.inner.client;
        let digest = Digest::of(self.inner.checksum, &data).await;
        let uri = client
            .object_uri(&self.container, &self.key, None)
            .map_err(|e| self.tag(e))?;
        let mut builder = http::Request::put(uri).header(CONTENT_SHA256, UNSIGNED_PAYLOAD);
        for (name, value) in &self.headers.headers {
            builder = builder.header(name, value);
        }
        if let Some((name, value)) = digest.header() {
            builder = builder.header(name, value);
        }
        let size = data.len() as u64;
        let request = build(builder, Body::from(data)).map_err(|e| self.tag(e))?;
        let response = client.send(request, &self.ctx()).await?;
        let headers = response.headers().clone();
        drop(response);
        if self.verify
            && let Err(e) = check_echo(&digest, &headers, "the object")
        {
            self.discard().await;
            return Err(self.tag(e));
        }
        let etag = headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(self.object(size, &headers, etag.as_deref()))
    }
}

#[async_trait]
impl MultipartTarget for UploadTarget {
    type Upload = S3Upload;

    async fn put_single(&self, data: Bytes) -> Result<Object> {
        self.put_object(data).await
    }

    async fn initiate(&self) -> Result<S3Upload> {
        let client = &self.inner.client;
        let uri = client
            .object_uri(&self.container, &self.key, Some("uploads="))
            .map_err(|e| self.tag(e))?;
        let mut builder = http::Request::post(uri);
        for (name, value) in &self.headers.headers {
            builder = builder.header(name, value);
        }
        if self.inner.checksum == ChecksumMode::Crc32c {
            builder = builder.header("x-amz-checksum-algorithm", "CRC32C");
        }
        let request = build(builder, Body::empty()).map_err(|e| self.tag(e))?;
        let response = client.send(request, &self.ctx()).await?;
        let body = client.read_body(response, OP).await?;
        let upload_id = xml::parse_initiate(&body).map_err(|e| self.tag(e))?;
        Ok(S3Upload {
            target: self.clone(),
            upload_id,
            digests: Mutex::new(BTreeMap::new()),
        })
    }
}

/// A multipart upload in progress.
pub(crate) struct S3Upload {
    target: UploadTarget,
    upload_id: String,
    digests: Mutex<BTreeMap<u32, Digest>>,
}

impl S3Upload {
    fn query(&self, part: Option<u32>) -> String {
        match part {
            Some(n) => encode_query([
                ("partNumber", n.to_string()),
                ("uploadId", self.upload_id.clone()),
            ]),
            None => encode_query([("uploadId", self.upload_id.as_str())]),
        }
    }

    fn digests(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, Digest>> {
        self.digests.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check_complete(
        &self,
        parts: &[UploadedPart],
        etag: Option<&str>,
        crc: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<()> {
        let digests = self.digests();
        let ordered: Vec<Digest> = parts
            .iter()
            .map(|p| digests.get(&p.part_number).copied().unwrap_or(Digest::None))
            .collect();
        drop(digests);
        match self.target.inner.checksum {
            ChecksumMode::Md5 => {
                let md5s: Option<Vec<[u8; 16]>> = ordered
                    .iter()
                    .map(|d| match d {
                        Digest::Md5(m) => Some(*m),
                        _ => None,
                    })
                    .collect();
                let (Some(md5s), Some(etag)) = (md5s, etag) else {
                    return Ok(());
                };
                let etag = unquote(etag);
                let expected = multipart_etag(&md5s);
                let multipart_shaped = etag
                    .split_once('-')
                    .is_some_and(|(h, n)| is_md5_hex(h) && n.parse::<u32>().is_ok());
                if multipart_shaped
                    && !etag_is_not_md5(headers)
                    && !etag.eq_ignore_ascii_case(&expected)
                {
                    return Err(mismatch(
                        expected,
                        etag.to_string(),
                        "the ETag of the completed upload is not the MD5 of the parts' MD5s",
                    ));
                }
                Ok(())
            }
            ChecksumMode::Crc32c => {
                let crcs: Option<Vec<u32>> = ordered
                    .iter()
                    .map(|d| match d {
                        Digest::Crc32c(c) => Some(*c),
                        _ => None,
                    })
                    .collect();
                let echo =
                    crc.or_else(|| headers.get(CHECKSUM_CRC32C).and_then(|v| v.to_str().ok()));
                let (Some(crcs), Some(echo)) = (crcs, echo) else {
                    return Ok(());
                };
                let echo = echo.trim();
                // Only the composite form ("<base64>-<parts>") can be computed from the parts.
                if echo.contains('-') {
                    let expected = composite_crc32c(&crcs);
                    if echo != expected {
                        return Err(mismatch(
                            expected,
                            echo.to_string(),
                            "the composite CRC32C of the completed upload differs from the parts sent",
                        ));
                    }
                }
                Ok(())
            }
            ChecksumMode::None => Ok(()),
        }
    }
}

#[async_trait]
impl MultipartUpload for S3Upload {
    async fn put_part(&self, part_number: u32, data: Bytes) -> Result<UploadedPart> {
        let target = &self.target;
        let client = &target.inner.client;
        let digest = Digest::of(target.inner.checksum, &data).await;
        let uri = client
            .object_uri(
                &target.container,
                &target.key,
                Some(&self.query(Some(part_number))),
            )
            .map_err(|e| target.tag(e))?;
        let mut builder = http::Request::put(uri).header(CONTENT_SHA256, UNSIGNED_PAYLOAD);
        if let Some((name, value)) = digest.header() {
            builder = builder.header(name, value);
        }
        let size = data.len() as u64;
        let request = build(builder, Body::from(data)).map_err(|e| target.tag(e))?;
        let ctx = ErrorContext::new(OP)
            .resource(ResourceKind::Upload, self.upload_id.clone())
            .bucket(target.container.clone());
        let response = client.send(request, &ctx).await?;
        let headers = response.headers();
        let etag = headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| {
                target.tag(Error::malformed(format!(
                    "part {part_number} was stored without an ETag"
                )))
            })?;
        if target.verify {
            check_echo(&digest, headers, &format!("part {part_number}"))
                .map_err(|e| target.tag(e))?;
        }
        self.digests().insert(part_number, digest);
        Ok(UploadedPart {
            part_number,
            etag,
            size,
        })
    }

    async fn complete(&self, parts: Vec<UploadedPart>) -> Result<Object> {
        let target = &self.target;
        let client = &target.inner.client;
        let crc_texts: Vec<Option<String>> = {
            let digests = self.digests();
            parts
                .iter()
                .map(|p| match digests.get(&p.part_number) {
                    Some(d @ Digest::Crc32c(_)) => d.header().map(|(_, v)| v),
                    _ => None,
                })
                .collect()
        };
        let body = xml::complete_body(parts.iter().zip(&crc_texts).map(|(p, crc)| CompletePart {
            number: p.part_number,
            etag: &p.etag,
            checksum_crc32c: crc.as_deref(),
        }));
        let uri = client
            .object_uri(&target.container, &target.key, Some(&self.query(None)))
            .map_err(|e| target.tag(e))?;
        let request = build(
            http::Request::post(uri).header(CONTENT_TYPE, "application/xml"),
            Body::from(body),
        )
        .map_err(|e| target.tag(e))?;
        let ctx = target.ctx();
        let response = client.send(request, &ctx).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = client.read_body(response, OP).await?;
        let done = match xml::parse_complete(&bytes).map_err(|e| target.tag(e))? {
            Some(done) => done,
            // A 200 whose body is an <Error>: the upload did not complete.
            None => {
                return Err(map_error(status, &headers, &bytes, &ctx, None)
                    .with_provider(client.provider()));
            }
        };
        if target.verify
            && let Err(e) = self.check_complete(
                &parts,
                done.etag.as_deref(),
                done.checksum_crc32c.as_deref(),
                &headers,
            )
        {
            target.discard().await;
            return Err(target.tag(e));
        }
        let size = parts.iter().map(|p| p.size).sum();
        let etag = done.etag.or_else(|| {
            headers
                .get(ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
        let mut object = target.object(size, &headers, etag.as_deref());
        object
            .extra
            .insert("parts".into(), Value::from(parts.len()));
        Ok(object)
    }

    async fn abort(&self) -> Result<()> {
        abort(
            &self.target.inner,
            &self.target.container,
            &self.target.key,
            &self.upload_id,
        )
        .await
    }
}

/// `AbortMultipartUpload`.
pub(crate) async fn abort(
    inner: &Inner,
    container: &str,
    key: &str,
    upload_id: &str,
) -> Result<()> {
    const ABORT: &str = "abort_multipart_upload";
    let client = &inner.client;
    let query = encode_query([("uploadId", upload_id)]);
    let uri = client
        .object_uri(container, key, Some(&query))
        .map_err(|e| client.tag(e, ABORT))?;
    let request = empty_request(Method::DELETE, uri).map_err(|e| client.tag(e, ABORT))?;
    let ctx = ErrorContext::new(ABORT)
        .resource(ResourceKind::Upload, upload_id)
        .bucket(container);
    client.send(request, &ctx).await?;
    Ok(())
}
