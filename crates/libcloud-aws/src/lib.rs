//! What every AWS driver of libcloud shares: SigV4 signing, the credential chain, regions and
//! endpoints, S3 addressing, and AWS's XML errors mapped onto libcloud's error kinds.
//!
//! The S3, EC2, ELB and Route 53 drivers are built on these pieces:
//!
//! - [`sign`]: [`sign_request`] signs an `http::Request<Body>` in place with `aws-sigv4`, and
//!   [`presign`] makes query-signed URLs; the time is a parameter ([`Clock`]).
//! - [`credentials`]: the [`CredentialProvider`] trait with [`StaticProvider`],
//!   [`EnvironmentProvider`], [`ProfileProvider`] (the shared `~/.aws` files, see [`profile`]),
//!   [`ChainProvider`] and [`CachedProvider`]; [`default_provider`] is what drivers use when
//!   given no keys.
//! - [`region`] and [`endpoint`]: [`Region`] with its [`Partition`], [`Endpoint`] resolution
//!   (AWS's own, `AWS_ENDPOINT_URL[_<SERVICE>]`, custom URLs), and S3's path-style versus
//!   virtual-hosted addressing ([`s3_uri`]).
//!
//! Everything that reads `AWS_*` variables takes an [`Env`], so configuration can come from a map
//! as well as from the process.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod credentials;
pub mod encode;
pub mod endpoint;
pub mod env;
pub mod profile;
pub mod region;
pub mod sign;

pub use credentials::{
    CachedProvider, ChainProvider, CredentialProvider, EnvironmentProvider, ProfileProvider,
    StaticProvider, default_provider,
};
pub use endpoint::{
    AddressingStyle, Endpoint, Service, is_dns_compatible_bucket, s3_uri, uses_path_style,
};
pub use env::Env;
pub use profile::{Profile, ProfileFiles, load_region};
pub use region::{Partition, Region};
pub use sign::{
    Clock, PayloadSigning, SigningConfig, fixed_clock, presign, sign_request, system_clock,
};
