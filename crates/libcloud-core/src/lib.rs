//! The core of libcloud: one async API over compute, object storage, load balancers and DNS.
//!
//! This crate holds what every driver shares and nothing provider-specific:
//!
//! - the four object-safe driver traits, [`ComputeDriver`], [`StorageDriver`],
//!   [`LoadBalancerDriver`] and [`DnsDriver`], with their models and `...Ext` conveniences;
//! - capability structs ([`StorageCapabilities`] and its siblings) that say what a driver can do before it is asked;
//! - one [`Error`] type whose [`ErrorKind`] mirrors Apache Libcloud's exceptions;
//! - [`paging::paginate`], which turns "fetch one page" into a `Stream`;
//! - [`multipart::write_multipart`], the generic concurrent multipart writer;
//! - the [`Transport`] seam, a boxed `tower::Service` over `http` types, so that retry,
//!   timeouts, tracing and fault injection are layers and tests can replace the network;
//! - [`Secret`] and [`Credentials`], which never print their secrets.
//!
//! No HTTP client is named here; the default one is in `libcloud-http`.
//!
//! ```
//! use libcloud_core::{ByteRange, ErrorKind, RecordType};
//! assert_eq!("aaaa".parse::<RecordType>().unwrap(), RecordType::Aaaa);
//! assert_eq!(*ByteRange::new(9, Some(3)).unwrap_err().kind(), ErrorKind::InvalidInput);
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod body;
pub mod common;
pub mod compute;
pub mod credentials;
pub mod dns;
pub mod error;
pub mod hash;
pub mod loadbalancer;
pub mod multipart;
pub mod paging;
pub mod storage;
pub mod transport;

pub use body::{Body, ByteStream};
pub use common::Extra;
pub use compute::{
    ComputeCapabilities, ComputeDriver, ComputeDriverExt, CreateNode, CreateVolume, KeyPair, Node,
    NodeAuth, NodeImage, NodeLocation, NodeSize, NodeState, SnapshotState, SshInterface,
    StorageVolume, VolumeSnapshot, VolumeState, WaitOptions,
};
pub use credentials::{Credentials, Secret};
pub use dns::{
    CreateZone, DnsCapabilities, DnsDriver, DnsDriverExt, Record, RecordSpec, RecordType, Zone,
    ZoneType,
};
pub use error::{Error, ErrorKind, ResourceKind, Result};
pub use loadbalancer::{
    Algorithm, BalancerState, CreateBalancer, LoadBalancer, LoadBalancerCapabilities,
    LoadBalancerDriver, LoadBalancerDriverExt, Member, UpdateBalancer,
};
pub use storage::{
    ByteRange, Container, Download, HashKind, ListResult, Object, StorageCapabilities,
    StorageDriver, StorageDriverExt, UploadOptions,
};
pub use transport::Transport;

/// Re-exported so drivers and their users name the same versions.
pub use async_trait::async_trait;
pub use bytes::Bytes;
pub use futures;
pub use http;
