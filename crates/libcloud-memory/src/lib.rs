//! In-memory drivers for all four libcloud APIs: a whole cloud inside one process
//! (Apache Libcloud's "dummy" drivers).
//!
//! - [`MemoryCompute`]: nodes that boot, reboot, stop and start as time passes, a small catalogue
//!   of sizes, images and locations, real Ed25519 key pairs, volumes and snapshots;
//! - [`MemoryStorage`]: containers and objects with MD5 hashes, content types, user metadata,
//!   ranged downloads and atomic uploads;
//! - [`MemoryDns`]: zones and records, checked the way a DNS provider checks them (an `A` record
//!   must hold an IPv4 address, a `CNAME` stands alone, duplicates are refused);
//! - [`MemoryLoadBalancer`]: balancers whose members must be real addresses.
//!
//! Nothing here touches the network. Each driver keeps its state behind an `Arc<Mutex<..>>`:
//! clones share one cloud, while two calls to `new()` make two separate clouds. Every driver's
//! [`name`](libcloud_core::ComputeDriver::name) is `"memory"`, and every error it returns names
//! that provider and the operation that failed.
//!
//! Node and balancer states are derived from [`tokio::time::Instant`], so tests can pause the
//! clock and step it with `tokio::time::advance`.
//!
//! ```
//! use libcloud_core::{CreateNode, ComputeDriver, NodeState};
//! use libcloud_memory::MemoryCompute;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let cloud = MemoryCompute::new();
//! let node = cloud.create_node(&CreateNode::new("web-1", "small", "debian-12")).await?;
//! assert_eq!(node.state, NodeState::Pending);
//! assert!(node.admin_password.is_some()); // no login was given, so one was generated
//! # Ok::<(), libcloud_core::Error>(())
//! # }).unwrap();
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod compute;
mod dns;
mod loadbalancer;
mod storage;
mod util;

pub use compute::MemoryCompute;
pub use dns::MemoryDns;
pub use loadbalancer::MemoryLoadBalancer;
pub use storage::MemoryStorage;

/// The provider name every memory driver reports, and puts on its errors.
pub const PROVIDER: &str = "memory";
