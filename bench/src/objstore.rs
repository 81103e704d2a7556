//! object_store 0.14's S3 store with its default settings (path-style, HTTP allowed, nothing
//! else changed), and its `BufWriter` for streamed uploads (10 MiB parts, 8 in flight, its
//! defaults).

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;

use crate::client::{Client, Result, Settings};

/// The object_store client.
pub struct ObjStore {
    store: Arc<AmazonS3>,
}

impl ObjStore {
    /// A store for `settings`' bucket.
    pub fn new(settings: &Settings) -> Result<Self> {
        // Fails only when a provider is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = AmazonS3Builder::new()
            .with_endpoint(&settings.endpoint)
            .with_allow_http(true)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key)
            .with_secret_access_key(&settings.secret_key)
            .with_bucket_name(&settings.bucket)
            .build()
            .map_err(|e| format!("building the store: {e}"))?;
        Ok(ObjStore {
            store: Arc::new(store),
        })
    }
}

fn fail(e: object_store::Error) -> String {
    e.to_string()
}

#[async_trait::async_trait]
impl Client for ObjStore {
    async fn create_bucket(&self) -> Result<()> {
        Err("object_store cannot create buckets".into())
    }

    async fn upload_stream(&self, key: &str, mut body: BoxStream<'static, Bytes>) -> Result<()> {
        let store: Arc<dyn ObjectStore> = self.store.clone();
        let mut writer = BufWriter::new(store, Path::from(key));
        while let Some(chunk) = body.next().await {
            writer.put(chunk).await.map_err(fail)?;
        }
        writer
            .shutdown()
            .await
            .map_err(|e| format!("finishing the upload: {e}"))
    }

    async fn download(&self, key: &str) -> Result<u64> {
        let result = self.store.get(&Path::from(key)).await.map_err(fail)?;
        let mut stream = result.into_stream();
        let mut total = 0u64;
        while let Some(chunk) = stream.try_next().await.map_err(fail)? {
            total += chunk.len() as u64;
        }
        Ok(total)
    }

    async fn list(&self, prefix: &str) -> Result<usize> {
        let prefix = Path::from(prefix);
        self.store
            .list(Some(&prefix))
            .try_fold(0usize, |n, _| async move { Ok(n + 1) })
            .await
            .map_err(fail)
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.store
            .put(&Path::from(key), body.into())
            .await
            .map(|_| ())
            .map_err(fail)
    }

    async fn size(&self, key: &str) -> Result<u64> {
        self.store
            .head(&Path::from(key))
            .await
            .map(|meta| meta.size)
            .map_err(fail)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.store.delete(&Path::from(key)).await.map_err(fail)
    }
}
