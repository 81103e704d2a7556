//! The floor: hyper's HTTP/1 client and `aws-sigv4`, with no library around them.
//!
//! Every request is signed with `UNSIGNED-PAYLOAD` (no time spent hashing bodies), responses are
//! read with string searches instead of an XML parser, and a streamed upload is a multipart
//! upload with the same part size and concurrency as libcloud's defaults (8 MiB, 4 in flight),
//! so the comparison is of the code around the requests, not of the request pattern.

use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, FuturesUnordered, StreamExt};
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::client::{Client, Result, Settings};

/// Bytes per part of a streamed upload.
const PART_SIZE: usize = 8 * 1024 * 1024;

/// Parts in flight at once.
const CONCURRENCY: usize = 4;

/// The raw client.
pub struct Raw {
    http: HttpClient<HttpConnector, Full<Bytes>>,
    settings: Settings,
    identity: Identity,
}

/// Percent-encodes everything but S3's unreserved characters (and `/` when `keep_slash`).
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text of the first `<tag>...</tag>` in `xml`, with XML's five entities decoded.
fn element<'a>(xml: &'a str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end: usize = start + xml[start..].find(&close)?;
    let text: &'a str = &xml[start..end];
    Some(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

impl Raw {
    /// A client for `settings`' server.
    pub fn new(settings: &Settings) -> Result<Self> {
        // Small requests must not wait for Nagle's algorithm; every HTTP library here does this.
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = HttpClient::builder(TokioExecutor::new()).build(connector);
        let identity = aws_credential_types::Credentials::new(
            settings.access_key.clone(),
            settings.secret_key.clone(),
            None,
            None,
            "bench",
        )
        .into();
        Ok(Raw {
            http,
            settings: settings.clone(),
            identity,
        })
    }

    /// `/<bucket>/<key>` (path-style), encoded.
    fn path(&self, key: &str) -> String {
        format!(
            "/{}/{}",
            encode(&self.settings.bucket, false),
            encode(key, true)
        )
    }

    /// Signs and sends one request; a status other than 2xx is an error with the body.
    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Bytes,
    ) -> Result<Response<Incoming>> {
        let uri = format!("{}{path_and_query}", self.settings.endpoint);
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.settings.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| format!("signing parameters: {e}"))?
            .into();
        let signable = SignableRequest::new(
            method.as_str(),
            uri.as_str(),
            std::iter::empty(),
            SignableBody::UnsignedPayload,
        )
        .map_err(|e| format!("signing {method} {uri}: {e}"))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| format!("signing {method} {uri}: {e}"))?
            .into_parts();
        let mut request = Request::builder().method(method.clone()).uri(&uri);
        let (headers, _) = instructions.into_parts();
        for header in headers {
            request = request.header(header.name(), header.value());
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| format!("building {method} {uri}: {e}"))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| format!("{method} {uri}: {e}"))?;
        if response.status().is_success() {
            Ok(response)
        } else {
            let status = response.status();
            let text = read_text(response).await.unwrap_or_default();
            Err(format!("{method} {uri}: {status}: {text}"))
        }
    }

    async fn put_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        part: Bytes,
    ) -> Result<(u32, String)> {
        let query = format!(
            "{}?partNumber={number}&uploadId={}",
            self.path(key),
            encode(upload_id, false)
        );
        let response = self.send(Method::PUT, &query, part).await?;
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| format!("part {number} came back without an ETag"))?
            .to_string();
        drain(response).await?;
        Ok((number, etag))
    }
}

async fn read_text(response: Response<Incoming>) -> Result<String> {
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading a response: {e}"))?
        .to_bytes();
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("response is not UTF-8: {e}"))
}

/// Reads a response body to its end, returning its length.
async fn drain(response: Response<Incoming>) -> Result<u64> {
    let mut body = response.into_body();
    let mut total = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("reading a response: {e}"))?;
        if let Some(data) = frame.data_ref() {
            total += data.len() as u64;
        }
    }
    Ok(total)
}

#[async_trait::async_trait]
impl Client for Raw {
    async fn create_bucket(&self) -> Result<()> {
        let path = format!("/{}", encode(&self.settings.bucket, false));
        match self.send(Method::PUT, &path, Bytes::new()).await {
            Ok(response) => drain(response).await.map(|_| ()),
            Err(e) if e.contains("BucketAlreadyOwnedByYou") => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn upload_stream(&self, key: &str, mut body: BoxStream<'static, Bytes>) -> Result<()> {
        let path = self.path(key);
        let response = self
            .send(Method::POST, &format!("{path}?uploads"), Bytes::new())
            .await?;
        let text = read_text(response).await?;
        let upload_id = element(&text, "UploadId")
            .ok_or_else(|| format!("no UploadId in the answer: {text}"))?;
        let mut in_flight = FuturesUnordered::new();
        let mut parts = Vec::new();
        let mut buffer = BytesMut::with_capacity(PART_SIZE);
        let mut number = 0u32;
        loop {
            let chunk = body.next().await;
            let done = chunk.is_none();
            if let Some(chunk) = chunk {
                buffer.extend_from_slice(&chunk);
            }
            while buffer.len() >= PART_SIZE || (done && !buffer.is_empty()) {
                let take = buffer.len().min(PART_SIZE);
                let part = buffer.split_to(take).freeze();
                if buffer.is_empty() {
                    buffer = BytesMut::with_capacity(PART_SIZE);
                }
                number += 1;
                if in_flight.len() >= CONCURRENCY
                    && let Some(finished) = in_flight.next().await
                {
                    parts.push(finished?);
                }
                in_flight.push(self.put_part(key, &upload_id, number, part));
            }
            if done {
                break;
            }
        }
        while let Some(done) = in_flight.next().await {
            parts.push(done?);
        }
        parts.sort_by_key(|(n, _)| *n);
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (n, etag) in &parts {
            xml.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let query = format!("{path}?uploadId={}", encode(&upload_id, false));
        let response = self.send(Method::POST, &query, Bytes::from(xml)).await?;
        let text = read_text(response).await?;
        // S3 may report a failed completion in a 200 answer.
        if text.contains("<Error>") {
            return Err(format!("completing the upload failed: {text}"));
        }
        Ok(())
    }

    async fn download(&self, key: &str) -> Result<u64> {
        let response = self
            .send(Method::GET, &self.path(key), Bytes::new())
            .await?;
        drain(response).await
    }

    async fn list(&self, prefix: &str) -> Result<usize> {
        let bucket = encode(&self.settings.bucket, false);
        let mut count = 0;
        let mut token: Option<String> = None;
        loop {
            let mut query = format!("/{bucket}?list-type=2&prefix={}", encode(prefix, false));
            if let Some(token) = &token {
                query.push_str(&format!("&continuation-token={}", encode(token, false)));
            }
            let response = self.send(Method::GET, &query, Bytes::new()).await?;
            let text = read_text(response).await?;
            count += text.matches("<Contents>").count();
            token = element(&text, "NextContinuationToken");
            let truncated = element(&text, "IsTruncated").is_some_and(|t| t == "true");
            if !truncated {
                return Ok(count);
            }
            if token.is_none() {
                return Err("a truncated listing without a continuation token".into());
            }
        }
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        let response = self.send(Method::PUT, &self.path(key), body).await?;
        drain(response).await.map(|_| ())
    }

    async fn size(&self, key: &str) -> Result<u64> {
        let response = self
            .send(Method::HEAD, &self.path(key), Bytes::new())
            .await?;
        let size = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or("HEAD came back without a Content-Length")?;
        drain(response).await?;
        Ok(size)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let response = self
            .send(Method::DELETE, &self.path(key), Bytes::new())
            .await?;
        drain(response).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn encoding_keeps_only_unreserved_bytes() {
        assert_eq!(encode("a b/c+d=", true), "a%20b/c%2Bd%3D");
        assert_eq!(encode("a/b", false), "a%2Fb");
    }

    #[test]
    fn elements_are_found_and_unescaped() {
        let xml = "<R><UploadId>x&amp;y</UploadId><IsTruncated>true</IsTruncated></R>";
        assert_eq!(element(xml, "UploadId").unwrap(), "x&y");
        assert_eq!(element(xml, "IsTruncated").unwrap(), "true");
        assert_eq!(element(xml, "Missing"), None);
    }
}
