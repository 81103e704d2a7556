//! The generic multipart writer: one loop that every provider's multipart upload runs through.
//!
//! A provider implements [`MultipartTarget`] (a single PUT, and how to start an upload) and
//! [`MultipartUpload`] (put a part, complete, abort). [`write_multipart`] reads the body, sends
//! it as one PUT when it is smaller than one part, and otherwise splits it into parts sent with
//! bounded concurrency, aborting the upload on any error, and also when the future is dropped
//! before it finished.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::stream::{FuturesUnordered, StreamExt};

use crate::body::ByteStream;
use crate::error::{Error, Result};
use crate::storage::Object;

/// One part that has been stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedPart {
    /// Its number, from 1.
    pub part_number: u32,
    /// The provider's tag for it (S3's ETag).
    pub etag: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A multipart upload in progress on a provider.
#[async_trait]
pub trait MultipartUpload: Send + Sync + 'static {
    /// Stores one part. Parts may be sent concurrently and out of order.
    async fn put_part(&self, part_number: u32, data: Bytes) -> Result<UploadedPart>;

    /// Joins the parts, in part-number order, into the object.
    async fn complete(&self, parts: Vec<UploadedPart>) -> Result<Object>;

    /// Discards the upload and its parts.
    async fn abort(&self) -> Result<()>;
}

/// Where a multipart write goes: a provider's container and object name.
#[async_trait]
pub trait MultipartTarget: Send + Sync {
    /// The upload type this target starts.
    type Upload: MultipartUpload;

    /// Stores a body smaller than one part with a single request.
    async fn put_single(&self, data: Bytes) -> Result<Object>;

    /// Starts a multipart upload.
    async fn initiate(&self) -> Result<Self::Upload>;
}

/// How [`write_multipart`] splits and sends a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartConfig {
    /// Bytes per part (the last may be smaller). Default 8 MiB.
    pub part_size: usize,
    /// Parts in flight at once. Default 4.
    pub concurrency: usize,
    /// The most parts an upload may have. Default 10,000 (S3's limit).
    pub max_parts: u32,
    /// The smallest part the provider accepts (all but the last). Default 5 MiB (S3's limit).
    pub min_part_size: usize,
    /// Let the part size grow for bodies of unknown size, doubling every 1,000 parts, so that
    /// `max_parts` is not reached before the provider's object size limit. Providers that need
    /// equal part sizes (Cloudflare R2) set this to false. Default true.
    pub grow_part_size: bool,
}

impl Default for MultipartConfig {
    fn default() -> Self {
        MultipartConfig {
            part_size: 8 * 1024 * 1024,
            concurrency: 4,
            max_parts: 10_000,
            min_part_size: 5 * 1024 * 1024,
            grow_part_size: true,
        }
    }
}

impl MultipartConfig {
    /// The part size to use for a body of `total` bytes when that is known: at least
    /// `min_part_size`, and large enough that the body fits in `max_parts` parts.
    pub fn part_size_for(&self, total: Option<u64>) -> usize {
        let base = self.part_size.max(self.min_part_size).max(1);
        match total {
            Some(total) => {
                let needed = total.div_ceil(u64::from(self.max_parts.max(1)));
                base.max(usize::try_from(needed).unwrap_or(usize::MAX))
            }
            None => base,
        }
    }

    fn part_size_at(&self, base: usize, part_number: u32, size_known: bool) -> usize {
        if size_known || !self.grow_part_size {
            base
        } else {
            let doublings = ((part_number.saturating_sub(1)) / 1000).min(16);
            base.saturating_mul(1usize << doublings)
        }
    }
}

/// Aborts the upload if dropped before [`AbortGuard::disarm`].
struct AbortGuard<U: MultipartUpload> {
    upload: Arc<U>,
    armed: AtomicBool,
}

impl<U: MultipartUpload> AbortGuard<U> {
    fn disarm(&self) {
        self.armed.store(false, Ordering::SeqCst);
    }
}

impl<U: MultipartUpload> Drop for AbortGuard<U> {
    fn drop(&mut self) {
        if self.armed.load(Ordering::SeqCst)
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let upload = self.upload.clone();
            handle.spawn(async move {
                if let Err(e) = upload.abort().await {
                    tracing::warn!(error = %e, "aborting a dropped multipart upload failed");
                }
            });
        }
    }
}

/// Reads up to `size` bytes from the stream, keeping what is left of the last chunk in `carry`.
async fn read_part(
    stream: &mut ByteStream,
    carry: &mut Bytes,
    size: usize,
) -> Result<(Bytes, bool)> {
    let mut buf = BytesMut::new();
    loop {
        if !carry.is_empty() {
            let take = (size - buf.len()).min(carry.len());
            if buf.is_empty() && take == carry.len() && take == size {
                // A chunk that is exactly one part: no copy.
                return Ok((std::mem::take(carry), false));
            }
            buf.extend_from_slice(&carry.split_to(take));
            if buf.len() == size {
                return Ok((buf.freeze(), false));
            }
        }
        match stream.next().await {
            Some(chunk) => *carry = chunk?,
            None => return Ok((buf.freeze(), true)),
        }
    }
}

/// Uploads `body` to `target`: one PUT when it fits in one part, else a multipart upload with at
/// most `config.concurrency` parts in flight.
///
/// `size_hint` is the body's length when known; it lets the part size grow so the body fits in
/// `max_parts`. Memory stays below `part_size × (concurrency + 1)`. On any error the upload is
/// aborted and the error returned; nothing is left half-written under the object's name.
pub async fn write_multipart<T: MultipartTarget>(
    target: &T,
    mut body: ByteStream,
    size_hint: Option<u64>,
    config: &MultipartConfig,
) -> Result<Object> {
    let base = config.part_size_for(size_hint);
    let mut carry = Bytes::new();
    let (first, ended) = read_part(&mut body, &mut carry, base).await?;
    if ended {
        return target.put_single(first).await;
    }
    let upload = Arc::new(target.initiate().await?);
    let guard = AbortGuard {
        upload: upload.clone(),
        armed: AtomicBool::new(true),
    };
    let result = run_parts(
        &upload,
        body,
        carry,
        first,
        base,
        size_hint.is_some(),
        config,
    )
    .await;
    match result {
        Ok(parts) => {
            let object = upload.complete(parts).await;
            if object.is_ok() {
                guard.disarm();
            }
            object
        }
        Err(e) => {
            guard.disarm();
            if let Err(abort_err) = upload.abort().await {
                tracing::warn!(error = %abort_err, "aborting a failed multipart upload failed");
            }
            Err(e)
        }
    }
}

async fn run_parts<U: MultipartUpload>(
    upload: &Arc<U>,
    mut body: ByteStream,
    mut carry: Bytes,
    first: Bytes,
    base: usize,
    size_known: bool,
    config: &MultipartConfig,
) -> Result<Vec<UploadedPart>> {
    let concurrency = config.concurrency.max(1);
    let mut in_flight = FuturesUnordered::new();
    let mut done = Vec::new();
    let mut next = Some(first);
    let mut ended = false;
    let mut part_number = 0u32;
    while let Some(data) = next.take() {
        part_number += 1;
        if part_number > config.max_parts {
            return Err(Error::invalid_input(format!(
                "the body needs more than {} parts of {} bytes; raise the part size",
                config.max_parts, base
            )));
        }
        while in_flight.len() >= concurrency {
            if let Some(part) = in_flight.next().await {
                done.push(part?);
            }
        }
        let u = upload.clone();
        let n = part_number;
        in_flight.push(async move { u.put_part(n, data).await });
        if !ended {
            let size = config.part_size_at(base, part_number + 1, size_known);
            let (data, at_end) = read_part(&mut body, &mut carry, size).await?;
            ended = at_end;
            if !data.is_empty() {
                next = Some(data);
            }
        }
    }
    while let Some(part) = in_flight.next().await {
        done.push(part?);
    }
    done.sort_by_key(|p| p.part_number);
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::byte_stream;
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    #[derive(Default)]
    struct Recorder {
        parts: Mutex<BTreeMap<u32, Bytes>>,
        in_flight: AtomicUsize,
        max_in_flight: AtomicUsize,
        aborted: AtomicBool,
        completed: AtomicBool,
        fail_part: Option<u32>,
    }

    struct Upload(Arc<Recorder>);
    struct Target(Arc<Recorder>);

    fn object(size: u64) -> Object {
        Object {
            name: "o".into(),
            container: "c".into(),
            size,
            hash: None,
            content_type: None,
            last_modified: None,
            meta_data: BTreeMap::new(),
            extra: Default::default(),
        }
    }

    #[async_trait]
    impl MultipartUpload for Upload {
        async fn put_part(&self, n: u32, data: Bytes) -> Result<UploadedPart> {
            let now = self.0.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.0.max_in_flight.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
            if self.0.fail_part == Some(n) {
                return Err(Error::transport(std::io::Error::other("part failed")));
            }
            let size = data.len() as u64;
            self.0.parts.lock().unwrap().insert(n, data);
            Ok(UploadedPart {
                part_number: n,
                etag: format!("e{n}"),
                size,
            })
        }
        async fn complete(&self, parts: Vec<UploadedPart>) -> Result<Object> {
            let numbers: Vec<u32> = parts.iter().map(|p| p.part_number).collect();
            assert_eq!(numbers, (1..=numbers.len() as u32).collect::<Vec<_>>());
            self.0.completed.store(true, Ordering::SeqCst);
            Ok(object(parts.iter().map(|p| p.size).sum()))
        }
        async fn abort(&self) -> Result<()> {
            self.0.aborted.store(true, Ordering::SeqCst);
            Ok(())
        }
    }

    #[async_trait]
    impl MultipartTarget for Target {
        type Upload = Upload;
        async fn put_single(&self, data: Bytes) -> Result<Object> {
            self.0.parts.lock().unwrap().insert(0, data.clone());
            Ok(object(data.len() as u64))
        }
        async fn initiate(&self) -> Result<Upload> {
            Ok(Upload(self.0.clone()))
        }
    }

    fn chunks(total: usize, chunk: usize) -> (ByteStream, Vec<u8>) {
        let data: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
        let pieces: Vec<Result<Vec<u8>>> = data.chunks(chunk).map(|c| Ok(c.to_vec())).collect();
        (byte_stream(futures::stream::iter(pieces)), data)
    }

    fn config() -> MultipartConfig {
        MultipartConfig {
            part_size: 100,
            concurrency: 3,
            max_parts: 10_000,
            min_part_size: 10,
            grow_part_size: false,
        }
    }

    #[tokio::test]
    async fn small_bodies_go_in_one_put() {
        let rec = Arc::new(Recorder::default());
        let (body, data) = chunks(99, 7);
        let obj = write_multipart(&Target(rec.clone()), body, None, &config())
            .await
            .unwrap();
        assert_eq!(obj.size, 99);
        assert_eq!(&rec.parts.lock().unwrap()[&0][..], &data[..]);
    }

    #[tokio::test]
    async fn large_bodies_are_split_in_order_with_bounded_concurrency() {
        let rec = Arc::new(Recorder::default());
        let (body, data) = chunks(1050, 33);
        let obj = write_multipart(&Target(rec.clone()), body, None, &config())
            .await
            .unwrap();
        assert_eq!(obj.size, 1050);
        let parts = rec.parts.lock().unwrap();
        assert_eq!(parts.len(), 11);
        let joined: Vec<u8> = parts.values().flat_map(|b| b.to_vec()).collect();
        assert_eq!(joined, data);
        assert!(parts.values().take(10).all(|p| p.len() == 100));
        assert!(rec.max_in_flight.load(Ordering::SeqCst) <= 3);
        assert!(rec.completed.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_failed_part_aborts_the_upload() {
        let rec = Arc::new(Recorder {
            fail_part: Some(4),
            ..Default::default()
        });
        let (body, _) = chunks(1000, 100);
        let err = write_multipart(&Target(rec.clone()), body, None, &config())
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), crate::ErrorKind::Transport);
        assert!(rec.aborted.load(Ordering::SeqCst));
        assert!(!rec.completed.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_failing_body_aborts_the_upload() {
        let rec = Arc::new(Recorder::default());
        let pieces: Vec<Result<Vec<u8>>> = vec![
            Ok(vec![1; 150]),
            Err(Error::transport(std::io::Error::other("source broke"))),
        ];
        let body = byte_stream(futures::stream::iter(pieces));
        assert!(
            write_multipart(&Target(rec.clone()), body, None, &config())
                .await
                .is_err()
        );
        assert!(rec.aborted.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn dropping_the_future_aborts_the_upload() {
        let rec = Arc::new(Recorder::default());
        let pending = futures::stream::iter(vec![Ok::<_, Error>(Bytes::from(vec![0u8; 250]))])
            .chain(futures::stream::pending());
        let target = Target(rec.clone());
        let cfg = config();
        let fut = write_multipart(&target, pending.boxed(), None, &cfg);
        let _ = tokio::time::timeout(std::time::Duration::from_millis(50), fut).await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(rec.aborted.load(Ordering::SeqCst));
    }

    #[test]
    fn part_size_grows_to_fit_max_parts() {
        let c = MultipartConfig::default();
        assert_eq!(c.part_size_for(Some(1024)), 8 * 1024 * 1024);
        let huge = 5u64 * 1024 * 1024 * 1024 * 1024; // 5 TiB
        assert!(c.part_size_for(Some(huge)) as u64 * 10_000 >= huge);
        assert_eq!(c.part_size_at(100, 1000, false), 100);
        assert_eq!(c.part_size_at(100, 1001, false), 200);
        assert_eq!(c.part_size_at(100, 2001, false), 400);
        assert_eq!(c.part_size_at(100, 1001, true), 100);
    }
}
