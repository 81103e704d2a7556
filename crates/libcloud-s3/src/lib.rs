//! Amazon S3, and S3-compatible stores, for libcloud: the [`StorageDriver`] API over buckets and
//! objects, built on `libcloud-aws` (SigV4, credentials, endpoints, AWS errors).
//!
//! ```no_run
//! use libcloud_core::{StorageDriver, StorageDriverExt, UploadOptions};
//! use libcloud_s3::{S3Config, S3Storage};
//!
//! # async fn demo() -> libcloud_core::Result<()> {
//! // Region, endpoint and credentials as the AWS tools find them.
//! let s3 = S3Storage::new(S3Config::from_env()?)?;
//! s3.create_container("my-photos").await?;
//! let options = UploadOptions::default().meta("camera", "x100");
//! s3.upload_bytes("my-photos", "cat.jpg", "meow".into(), &options).await?;
//! let url = s3
//!     .get_object_cdn_url("my-photos", "cat.jpg", std::time::Duration::from_secs(3600))
//!     .await?;
//! println!("{url}");
//! # Ok(())
//! # }
//! ```
//!
//! # What it does, request by request
//!
//! | operation | S3 request |
//! |---|---|
//! | `iterate_containers` | `GET /` (`ListBuckets`), following `ContinuationToken` when the server pages |
//! | `get_container` | `HEAD /bucket` |
//! | `create_container` | `PUT /bucket`, with a `LocationConstraint` outside us-east-1; in us-east-1 a `HEAD` first (see below) |
//! | `delete_container` | `DELETE /bucket`: `BucketNotEmpty` is `NotEmpty`, `NoSuchBucket` is `NotFound` |
//! | `iterate_container_objects` | `GET /bucket?list-type=2&encoding-type=url&prefix=`, one page per request as the stream is read |
//! | `list_with_delimiter` | the same with `delimiter=`: the server groups the names |
//! | `get_object` | `HEAD /bucket/key`: size, ETag, content type, `x-amz-meta-*`, storage class |
//! | `download_object_as_stream` | `GET /bucket/key` with `Range: bytes=a-b`, streamed from the response body |
//! | `upload_object_via_stream` | one `PUT /bucket/key` below the multipart threshold; else `POST ?uploads`, concurrent `PUT ?partNumber=&uploadId=`, `POST ?uploadId=` (and `DELETE ?uploadId=` on any failure) |
//! | `delete_object` | `DELETE /bucket/key` |
//! | `get_object_cdn_url` | a presigned `GET` URL (no request) |
//!
//! Provider-only operations are inherent methods: [`S3Storage::ex_iterate_multipart_uploads`],
//! [`S3Storage::ex_abort_multipart_upload`], [`S3Storage::ex_cleanup_all_multipart_uploads`],
//! [`S3Storage::ex_upload_object_with_size`] and [`S3Storage::ex_presigned_url`].
//!
//! # Integrity
//!
//! Every request that carries object bytes carries a checksum that the server verifies before
//! storing anything ([`ChecksumMode`], `Content-MD5` by default, or `x-amz-checksum-crc32c`);
//! a body damaged on the way is refused (`BadDigest`, reported as
//! [`ErrorKind::HashMismatch`](libcloud_core::ErrorKind::HashMismatch)) and the previous
//! object stays. In MD5 mode the stored object's ETag is then compared with the MD5 computed
//! while sending, as Apache Libcloud does: a single `PutObject`'s ETag must be the body's MD5,
//! each part's ETag the part's MD5, and the completed upload's ETag the MD5 of the parts' MD5s
//! followed by `-<parts>`; ETags of another shape (SSE-KMS or SSE-C objects, stores with other
//! ETags) are not compared. In CRC32C mode the checksum the server echoes is compared instead.
//! A mismatch found after the object was stored deletes it and is `HashMismatch`, so nothing
//! damaged stays under the name; a mismatch on a part aborts the upload. Each byte is hashed
//! once (large bodies on the blocking pool, so that parts in flight hash on several cores); the
//! payload is sent as `UNSIGNED-PAYLOAD`, so no SHA-256 is spent on it. [`UploadOptions`]'s
//! `verify_hash: false` skips the comparisons but not the checksum headers.
//!
//! Downloads check themselves as they are read: a whole object must have the length its
//! `Content-Length` gave and, when its ETag is the MD5 of its content (a single `PutObject`
//! without SSE-KMS or SSE-C), that MD5; a ranged download must have the length of the range. A
//! body cut short ends the stream with a `Transport` error and a damaged one with `HashMismatch`,
//! so [`download_to_path`](libcloud_core::StorageDriverExt::download_to_path) leaves no file.
//!
//! CRC32C uses the `crc32c` crate: pure Rust, with the SSE 4.2 and ARMv8 instructions where the
//! CPU has them, and a software fallback.
//!
//! # Uploads and memory
//!
//! A body shorter than the multipart threshold (8 MiB by default) is buffered and sent with
//! one `PutObject`. A longer one goes through libcloud-core's
//! [`write_multipart`](libcloud_core::multipart::write_multipart): parts of the configured size
//! (8 MiB by default, at least 5 MiB), at most `concurrency` in flight (4 by default), the part
//! size growing so that no upload needs more than 10,000 parts (up front when the size is known,
//! see [`S3Storage::ex_upload_object_with_size`]), and the upload aborted when anything fails
//! or the future is dropped. Memory stays near `part size × (concurrency + 1)`.
//!
//! # Choices where S3 and Libcloud's contract differ
//!
//! - **Creating an existing bucket** must be `AlreadyExists`, but S3 in us-east-1 answers 200
//!   to re-creating a bucket one owns. In us-east-1 (the region of most S3-compatible stores)
//!   the driver therefore sends a `HEAD` first; elsewhere the `PUT`'s `BucketAlreadyOwnedByYou`
//!   or `BucketAlreadyExists` is mapped.
//! - **Hashes** are ETags, the MD5 of the content only for single-`PutObject` objects, so
//!   [`StorageCapabilities::hash_is_md5`](libcloud_core::StorageCapabilities) is false.
//! - **Deleting a missing object** succeeds, because S3 does not say whether it existed.
//! - **`get_object` of a missing bucket** is `NotFound` of the object: a `HEAD` answer has no
//!   body to tell the two apart.
//! - **Credentials**: `SignatureDoesNotMatch`, `InvalidAccessKeyId` and an `AccessDenied` that
//!   names the signature or the key (Garage's way) are
//!   [`ErrorKind::InvalidCredentials`](libcloud_core::ErrorKind::InvalidCredentials); other
//!   `AccessDenied` answers are `PermissionDenied`.
//! - **Metadata** keys are lower-cased; values must be printable ASCII (S3 signs headers as
//!   text), other values are `InvalidInput` before anything is sent.
//! - **S3-compatible stores**: a custom endpoint gets path-style addressing unless configured
//!   otherwise; a `200 OK` whose body is an `<Error>` (CompleteMultipartUpload) is an error.
//!
//! # Recorded responses
//!
//! The integration tests replay every file of Apache Libcloud's S3 fixtures:
//! `list_containers.xml`, `list_containers_empty.xml`, `list_container_objects.xml`,
//! `list_container_objects_empty.xml`, `list_container_objects_not_exhausted1.xml` and `2`
//! (a V1 page without a continuation token, followed with `start-after`),
//! `initiate_multipart.xml`, `complete_multipart.xml`, `list_multipart_1.xml` and `2`.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod checksum;
mod client;
pub mod config;
mod storage;
mod upload;
mod xml;

pub use config::{
    ChecksumMode, DEFAULT_CONCURRENCY, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE,
    MAX_CONCURRENCY, MAX_PART_SIZE, MAX_SINGLE_PUT, MIN_PART_SIZE, OPTION_KEYS, S3Config,
};
pub use storage::{MultipartUploadInfo, S3Storage};
pub use upload::{CANNED_ACLS, STORAGE_CLASSES};

#[doc(no_inline)]
pub use libcloud_aws::{AddressingStyle, CredentialProvider, Region};
#[doc(no_inline)]
pub use libcloud_core::{StorageDriver, UploadOptions};
