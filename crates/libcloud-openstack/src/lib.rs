//! OpenStack for libcloud: identity, the service catalog, Nova compute and Swift storage.
//!
//! - [`identity`]: tokens from Keystone v2 (password, or Rackspace's API key), Keystone v3
//!   (password or application credential; project, domain or no scope; the token from
//!   `X-Subject-Token`) and Swift's tempauth v1.0; the [`ServiceCatalog`] with endpoint choice
//!   by type, name, region and interface; and the [`Session`], a token cache that
//!   authenticates again before the token expires and once more when a service answers 401.
//!   Other OpenStack-based drivers (Rackspace) build on these.
//! - [`NovaCompute`]: servers, flavors, images and key pairs (a
//!   [`ComputeDriver`](libcloud_core::ComputeDriver)).
//! - [`SwiftStorage`]: containers and objects, listings by marker, streamed uploads that become
//!   Static Large Objects above one segment, ranged downloads, MD5 checks both ways (a
//!   [`StorageDriver`](libcloud_core::StorageDriver)).
//! - [`OpenStackConfig`]: the settings, from code, from serde, or from the `OS_*` environment
//!   variables the OpenStack tools use ([`OpenStackConfig::from_env`]).
//! - [`rest`]: the request plumbing of any service in the catalog ([`rest::ServiceClient`],
//!   URL building and checking, JSON requests), which Nova and Swift use and other drivers
//!   reuse for their own services.
//!
//! Errors are [`libcloud_core::Error`]s: a refused login or token is
//! [`InvalidCredentials`](libcloud_core::ErrorKind::InvalidCredentials), a missing server,
//! image, container or object `NotFound` of it, a catalog without the wanted endpoint (or with
//! several) [`InvalidInput`](libcloud_core::ErrorKind::InvalidInput) whose message lists what
//! the catalog has; see each driver for the rest.
//!
//! ```
//! use libcloud_core::{StorageDriver, transport};
//! use libcloud_openstack::{AuthConfig, OpenStackConfig, SwiftStorage};
//!
//! let config = OpenStackConfig::new(AuthConfig::tempauth(
//!     "http://127.0.0.1:8080/auth/v1.0",
//!     "test:tester",
//!     "testing",
//! ));
//! // Any `Transport` works; `SwiftStorage::new` uses the default HTTP one.
//! let offline = transport::from_fn(|_req| {
//!     Box::pin(async { Err(libcloud_core::Error::transport(std::io::Error::other("offline"))) })
//! });
//! let swift = SwiftStorage::with_transport(config, offline).unwrap();
//! assert_eq!(swift.name(), "openstack_swift");
//! assert!(!format!("{swift:?}").contains("testing"));
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
pub mod compute;
mod config;
pub mod identity;
mod json;
pub mod rest;
pub mod storage;

pub use compute::{COMPUTE_SERVICE_TYPE, NovaCompute, NovaFeatures};
pub use config::{AuthConfig, AuthMethod, Interface, NameOrId, OpenStackConfig, Scope};
pub use identity::{
    Clock, Endpoint, EndpointFilter, Service, ServiceCatalog, Session, Token, authenticate,
};
pub use storage::{OBJECT_STORE_SERVICE_TYPE, SwiftStorage};
