//! Object storage on a local folder: libcloud's [`StorageDriver`] with no network at all.
//!
//! [`LocalStorage`] keeps containers as folders and objects as plain files, so the data stays
//! readable with any tool, while the driver adds what a cloud store promises: atomic writes,
//! MD5 hashes, content types, user metadata, ranged reads and listings in name order. It is the
//! embedded default, and a stand-in for a cloud store in tests.
//!
//! # Layout
//!
//! ```text
//! <root>/
//!   <container>/                 one folder per container
//!     a/b.txt                    object "a/b.txt": each "/" is a folder
//!   .libcloud/                   the driver's own files, never listed
//!     meta/<container>/<xx>/<md5 of the object name>.json
//!                                the object's sidecar: size, MD5, content type, user metadata
//!     tmp/                       uploads in progress
//! ```
//!
//! Sidecars are named by a hash of the object name rather than mirroring it, so that no object
//! name can collide with a sidecar (with a mirrored `x.json`, object `x` and object `x.json/y`
//! would need the same path as a file and as a folder), and a long name never yields a file
//! name that is too long. Each sidecar also holds the object's name, to be read on its own.
//! Temporary files live under the root, on the same filesystem as the objects, so the final
//! rename is atomic.
//!
//! # Names
//!
//! A name never reaches outside the root; a bad one is [`ErrorKind::InvalidInput`] before any
//! file is touched.
//!
//! - Container names: not empty, at most [`MAX_SEGMENT_BYTES`] bytes, no `/`, `\` or NUL, and
//!   not starting with `.` (which also keeps `.libcloud` out of reach).
//! - Object names: not empty, at most [`MAX_OBJECT_NAME_BYTES`] bytes, not starting with `/`;
//!   split at `/`, no segment may be empty (`a//b`, `a/`), `.` or `..`, longer than
//!   [`MAX_SEGMENT_BYTES`], or hold `\` or NUL.
//! - Because objects are files, an object and a "folder" of the same name cannot both exist:
//!   storing `a/b` while object `a` exists, or storing `a` while objects `a/...` exist, is
//!   [`ErrorKind::InvalidInput`] and changes nothing. Reading or deleting such a name is simply
//!   `NotFound`. Empty folders are not objects.
//! - Symbolic links are never followed: every path is walked from the root with
//!   `symlink_metadata`, and a link where a container, folder or object is expected is
//!   [`ErrorKind::InvalidInput`]. Listings skip links and other special files, files whose
//!   path is not a valid object name, and names that are not UTF-8. (This guards against links
//!   in the tree; it does not defend a root that a hostile user can write to concurrently.)
//!
//! # Writes
//!
//! An upload streams into a temporary file while computing its MD5 and size, syncs it to disk,
//! writes the sidecar the same way, then renames the sidecar and the data into place and syncs
//! the folders (best effort). Until the rename, readers see the previous object, or none. If the
//! body stream fails, or the upload is dropped half way, the temporary files are removed and
//! the previous object is untouched. A crash can leave a temporary file behind, which
//! [`LocalStorage::ex_remove_stale_temp_files`] clears; it never leaves a partial object.
//!
//! Within one process, uploads, deletes and container changes are ordered against each other
//! and against readers, so the data file and sidecar a reader sees always belong together.
//! Several processes may share a root; a write racing with a delete in the same folder from
//! another process may then fail, but never leaves a partial object.
//!
//! # Metadata
//!
//! The content type is the one given in [`UploadOptions`], otherwise guessed from the name.
//! User metadata keys are stored lower-case. The sidecar records the data file's size and
//! modification time, and is trusted only as far as they match: when both do, its hash is used
//! as is; when only the size does (the file was touched, or the tree copied without its
//! timestamps), the content type and metadata are kept and the hash is computed from the file;
//! when the sidecar is missing, unreadable or the size differs, the hash is computed and the
//! content type guessed. A read never fails because of a sidecar.
//!
//! # Reads and listings
//!
//! Downloads stream the file in chunks of 64 KiB. A range reads only its bytes (end exclusive,
//! clamped to the object's size); a range starting at or past the end is
//! [`ErrorKind::InvalidInput`]. A file that is truncated while being read ends the stream with
//! an error rather than short data.
//!
//! [`StorageDriver::iterate_container_objects`] walks the container folder (only into folders
//! that can hold a match for the prefix), sorts the names byte-wise, then yields each object as
//! the stream is read. Deleting an object removes the folders it leaves empty, up to the
//! container.
//!
//! # Errors
//!
//! Missing containers and objects are `NotFound` with [`ResourceKind::Container`] or
//! [`ResourceKind::Object`]; creating an existing container is `AlreadyExists`; deleting a
//! container that holds anything but empty folders is `NotEmpty`. Other I/O failures keep the
//! kind [`Error`]'s conversion from `std::io::Error` gives them.
//!
//! # Capabilities
//!
//! MD5 hashes, ranged downloads, user metadata, content types and strict names. No multipart
//! upload (every upload is streamed to a temporary file anyway), no delimiter listing in the
//! store (the default grouping is used), no CDN or presigned URLs.
//!
//! [`ErrorKind::InvalidInput`]: libcloud_core::ErrorKind::InvalidInput
//! [`ResourceKind::Container`]: libcloud_core::ResourceKind::Container
//! [`ResourceKind::Object`]: libcloud_core::ResourceKind::Object
//! [`StorageDriver`]: libcloud_core::StorageDriver
//! [`StorageDriver::iterate_container_objects`]: libcloud_core::StorageDriver::iterate_container_objects
//! [`UploadOptions`]: libcloud_core::UploadOptions
//! [`Error`]: libcloud_core::Error
#![cfg_attr(docsrs, feature(doc_cfg))]
// `libcloud_core::Error` is large by design (context fields); every fallible step here returns it.
#![allow(clippy::result_large_err)]

mod fsops;
mod names;
mod sidecar;
mod storage;

pub use names::{MAX_OBJECT_NAME_BYTES, MAX_SEGMENT_BYTES};
pub use storage::{LocalStorage, RESERVED_DIR};
