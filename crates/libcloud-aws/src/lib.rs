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
//! - [`error`]: [`parse_error`] reads S3's and the query APIs' error documents; [`retag`]
//!   gives one of its answers a driver's more precise kind.
//! - [`settings`]: [`AwsSettings`], the keys, region, endpoint and profile a driver's config
//!   holds, resolved the same way for every driver.
//! - [`client`]: [`AwsClient`] ties them together: sign, send through the
//!   [`Transport`](libcloud_core::Transport), map errors.
//! - [`xml`]: a small element tree that the XML APIs' answers are read into (by local name,
//!   bounded in depth) and their request bodies are written from.
//!
//! Everything that reads `AWS_*` variables takes an [`Env`], so configuration can come from a map
//! as well as from the process.
//!
//! ```
//! use std::sync::Arc;
//! use libcloud_aws::{AwsClient, Endpoint, Env, Region, Service, default_provider};
//! # fn transport() -> libcloud_core::Transport {
//! #     libcloud_core::transport::from_fn(|_| Box::pin(async { unreachable!() }))
//! # }
//!
//! let env = Env::from_pairs([
//!     ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
//!     ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
//!     ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
//! ]);
//! let region = Region::from_env(&env).unwrap().unwrap_or(Region::US_EAST_1);
//! let endpoint = Endpoint::resolve(Service::Ec2, &region, &env, None).unwrap();
//! let client = AwsClient::new(transport(), default_provider(env), Service::Ec2, endpoint);
//! assert_eq!(client.endpoint().url(), "http://127.0.0.1:5000");
//! assert_eq!(client.signing().service(), "ec2");
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod credentials;
pub mod encode;
pub mod endpoint;
pub mod env;
pub mod error;
pub mod profile;
pub mod region;
pub mod settings;
pub mod sign;
pub mod xml;

pub use client::{AwsClient, DEFAULT_ERROR_BODY_LIMIT, idempotent, mark_idempotent, query_request};
pub use credentials::{
    CachedProvider, ChainProvider, CredentialProvider, EnvironmentProvider, ProfileProvider,
    StaticProvider, default_provider,
};
pub use endpoint::{
    AddressingStyle, Endpoint, Service, is_dns_compatible_bucket, s3_uri, uses_path_style,
};
pub use env::Env;
pub use error::{AwsErrorBody, ErrorContext, parse_error, parse_error_body, retag};
pub use profile::{Profile, ProfileFiles, load_region};
pub use region::{Partition, Region};
pub use settings::AwsSettings;
pub use sign::{
    Clock, PayloadSigning, SigningConfig, fixed_clock, presign, sign_request, system_clock,
};
