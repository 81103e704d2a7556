//! One async Rust API over the clouds' compute, object storage, load balancers and DNS.
//!
//! `libcloud` is the facade of a family of crates: [`libcloud_core`] holds the traits and models,
//! and one crate per provider implements them. This crate re-exports them behind feature flags,
//! so a program compiles only the providers it uses, and opens drivers by URL or by key/value
//! configuration through the [`registry`].
//!
//! | feature | what it turns on | default |
//! |---|---|---|
//! | `local` | `libcloud_local::LocalStorage`: storage on a local folder (`local:///srv/data`) | yes |
//! | `memory` | `libcloud::memory`: in-memory compute, storage, DNS and load balancers (`memory://`) | yes |
//! | `http` | `libcloud::http`: the default HTTP transport (hyper, rustls with ring) | no |
//! | `zerigo` | `libcloud::zerigo`: Zerigo DNS (`zerigo://`; service retired, verified on recorded responses) | no |
//! | `s3` | `libcloud::s3`: Amazon S3 and S3-compatible stores (`s3://bucket?region=...&endpoint=...`) | no |
//! | `ec2` | `libcloud::ec2`: Amazon EC2 (`ec2://?region=...`) | no |
//! | `route53` | `libcloud::route53`: Amazon Route 53 (`route53://`) | no |
//! | `elb` | `libcloud::elb`: Elastic Load Balancing, classic (`elb://`) and application (`alb://`) | no |
//! | `aws` | all four Amazon drivers | no |
//! | `openstack` | `libcloud::openstack`: Keystone v2/v3 and tempauth, Nova compute, Swift storage (`openstack://`, `swift://`) | no |
//! | `rackspace` | `libcloud::rackspace`: Cloud Servers, Cloud Load Balancers, Cloud DNS (`rackspace://`) and Cloud Files (`cloudfiles://`) | no |
//! | `gogrid` | `libcloud::gogrid`: GoGrid load balancers (`gogrid://`; service retired, verified on recorded responses) | no |
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> libcloud::Result<()> {
//! use libcloud::prelude::*;
//!
//! let storage = libcloud::registry::storage("memory://")?;
//! storage.create_container("photos").await?;
//! storage
//!     .upload_bytes("photos", "cat.txt", Bytes::from_static(b"meow"), &UploadOptions::default())
//!     .await?;
//! let objects = storage.list_container_objects("photos", None).await?;
//! assert_eq!(objects[0].name, "cat.txt");
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use libcloud_core as core;
pub use libcloud_core::*;

/// Storage on a local folder.
#[cfg(feature = "local")]
pub use libcloud_local as local;

/// In-memory drivers for all four APIs.
#[cfg(feature = "memory")]
pub use libcloud_memory as memory;

/// The default HTTP transport.
#[cfg(feature = "http")]
pub use libcloud_http as http;

/// Zerigo DNS.
#[cfg(feature = "zerigo")]
pub use libcloud_zerigo as zerigo;

/// What the Amazon Web Services drivers share: signing, credentials, regions, endpoints.
#[cfg(any(feature = "s3", feature = "ec2", feature = "route53", feature = "elb"))]
pub use libcloud_aws as aws;

/// Amazon S3 and S3-compatible stores.
#[cfg(feature = "s3")]
pub use libcloud_s3 as s3;

/// Amazon EC2.
#[cfg(feature = "ec2")]
pub use libcloud_ec2 as ec2;

/// Amazon Route 53.
#[cfg(feature = "route53")]
pub use libcloud_route53 as route53;

/// Elastic Load Balancing (classic and application).
#[cfg(feature = "elb")]
pub use libcloud_elb as elb;

/// OpenStack: Keystone identity, Nova compute, Swift storage.
#[cfg(feature = "openstack")]
pub use libcloud_openstack as openstack;

/// Rackspace: Cloud Servers, Cloud Files, Cloud Load Balancers, Cloud DNS.
#[cfg(feature = "rackspace")]
pub use libcloud_rackspace as rackspace;

/// GoGrid load balancers.
#[cfg(feature = "gogrid")]
pub use libcloud_gogrid as gogrid;

pub mod registry;

/// The traits, their conveniences and the models most programs use, in one import.
pub mod prelude {
    pub use libcloud_core::{
        ByteRange, Bytes, ComputeDriver, ComputeDriverExt, CreateBalancer, CreateNode, CreateZone,
        DnsDriver, DnsDriverExt, Error, ErrorKind, LoadBalancerDriver, LoadBalancerDriverExt,
        Member, RecordSpec, RecordType, ResourceKind, Result, StorageDriver, StorageDriverExt,
        UploadOptions, WaitOptions,
    };
}
