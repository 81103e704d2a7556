//! What every benchmark client offers: the few S3 calls the operations are made of.

use bytes::Bytes;
use futures::stream::BoxStream;

/// Errors are messages: a failed run prints one and exits non-zero.
pub type Result<T> = std::result::Result<T, String>;

/// Where the server is and who to be.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub endpoint: String,
    /// The region to sign for.
    pub region: String,
    /// The access key id.
    pub access_key: String,
    /// The secret access key.
    pub secret_key: String,
    /// The bucket every operation works in.
    pub bucket: String,
}

/// One client library (or none, for the raw client) driving an S3 server.
#[async_trait::async_trait]
pub trait Client: Send + Sync {
    /// Creates the bucket; one that exists already is fine.
    async fn create_bucket(&self) -> Result<()>;

    /// Stores an object from a stream of chunks, the way the library does large uploads.
    async fn upload_stream(&self, key: &str, body: BoxStream<'static, Bytes>) -> Result<()>;

    /// Streams an object and returns how many bytes it had.
    async fn download(&self, key: &str) -> Result<u64>;

    /// Lists every object whose name starts with `prefix`; returns how many there are.
    async fn list(&self, prefix: &str) -> Result<usize>;

    /// Stores a small object with one request.
    async fn put(&self, key: &str, body: Bytes) -> Result<()>;

    /// The stored size of an object.
    async fn size(&self, key: &str) -> Result<u64>;

    /// Deletes an object.
    async fn delete(&self, key: &str) -> Result<()>;
}
