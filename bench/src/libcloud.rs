//! libcloud's S3 driver, `S3Storage`, with its default settings (8 MiB parts, 4 in flight,
//! `Content-MD5` checksums, path-style addressing on a custom endpoint), used through the
//! `StorageDriver` API as an application would.

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use libcloud_core::{ErrorKind, StorageDriver, StorageDriverExt, UploadOptions};
use libcloud_s3::{S3Config, S3Storage};

use crate::client::{Client, Result, Settings};

/// The libcloud client.
pub struct Libcloud {
    driver: S3Storage,
    bucket: String,
}

impl Libcloud {
    /// A driver for `settings`' server.
    pub fn new(settings: &Settings) -> Result<Self> {
        let region = settings
            .region
            .parse()
            .map_err(|e| format!("region {:?}: {e}", settings.region))?;
        let config = S3Config::new()
            .with_region(region)
            .with_endpoint(settings.endpoint.clone())
            .with_credentials(settings.access_key.clone(), settings.secret_key.clone());
        let driver = S3Storage::new(config).map_err(|e| e.to_string())?;
        Ok(Libcloud {
            driver,
            bucket: settings.bucket.clone(),
        })
    }
}

fn fail(e: libcloud_core::Error) -> String {
    e.to_string()
}

#[async_trait::async_trait]
impl Client for Libcloud {
    async fn create_bucket(&self) -> Result<()> {
        match self.driver.create_container(&self.bucket).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.kind(), ErrorKind::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(fail(e)),
        }
    }

    async fn upload_stream(&self, key: &str, body: BoxStream<'static, Bytes>) -> Result<()> {
        self.driver
            .upload_object_via_stream(
                &self.bucket,
                key,
                body.map(Ok).boxed(),
                &UploadOptions::default(),
            )
            .await
            .map(|_| ())
            .map_err(fail)
    }

    async fn download(&self, key: &str) -> Result<u64> {
        let download = self
            .driver
            .download_object_as_stream(&self.bucket, key, None)
            .await
            .map_err(fail)?;
        download
            .stream
            .try_fold(0u64, |n, chunk| async move { Ok(n + chunk.len() as u64) })
            .await
            .map_err(fail)
    }

    async fn list(&self, prefix: &str) -> Result<usize> {
        self.driver
            .iterate_container_objects(&self.bucket, Some(prefix))
            .try_fold(0usize, |n, _| async move { Ok(n + 1) })
            .await
            .map_err(fail)
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.driver
            .upload_bytes(&self.bucket, key, body, &UploadOptions::default())
            .await
            .map(|_| ())
            .map_err(fail)
    }

    async fn size(&self, key: &str) -> Result<u64> {
        self.driver
            .get_object(&self.bucket, key)
            .await
            .map(|o| o.size)
            .map_err(fail)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.driver
            .delete_object(&self.bucket, key)
            .await
            .map_err(fail)
    }
}
