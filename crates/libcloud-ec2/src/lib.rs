//! Amazon EC2 for libcloud: instances, sizes, images, zones, key pairs, volumes and snapshots
//! through the uniform [`ComputeDriver`](libcloud_core::ComputeDriver) API, plus security groups,
//! tags, Elastic IPs, subnets and VPCs as provider-only methods.
//!
//! [`Ec2Compute`] speaks the EC2 query API 2016-11-15: every call is a SigV4-signed
//! `POST /` form (`Action=...&Version=2016-11-15`, lists numbered from 1), and answers are read
//! by element local name, so AWS, moto and EC2-compatible clouds read alike.
//!
//! | libcloud | EC2 |
//! |---|---|
//! | [`list_nodes`](libcloud_core::ComputeDriver::list_nodes) | `DescribeInstances` (`MaxResults=1000`, every `NextToken` page) + `DescribeAddresses` |
//! | [`get_node`](libcloud_core::ComputeDriver::get_node) | `DescribeInstances InstanceId.1` + `DescribeAddresses` |
//! | [`create_node`](libcloud_core::ComputeDriver::create_node) | `RunInstances` with a `ClientToken` (and `ImportKeyPair` for [`NodeAuth::SshKey`](libcloud_core::NodeAuth)) |
//! | [`reboot_node`](libcloud_core::ComputeDriver::reboot_node), [`start_node`](libcloud_core::ComputeDriver::start_node), [`stop_node`](libcloud_core::ComputeDriver::stop_node), [`destroy_node`](libcloud_core::ComputeDriver::destroy_node) | `RebootInstances`, `StartInstances`, `StopInstances`, `TerminateInstances` |
//! | [`list_sizes`](libcloud_core::ComputeDriver::list_sizes) | `DescribeInstanceTypes` (+ `DescribeInstanceTypeOfferings` for a zone) |
//! | [`list_images`](libcloud_core::ComputeDriver::list_images), [`get_image`](libcloud_core::ComputeDriver::get_image) | `DescribeImages` |
//! | [`list_locations`](libcloud_core::ComputeDriver::list_locations) | `DescribeAvailabilityZones` |
//! | key pairs | `DescribeKeyPairs` (`IncludePublicKey`), `CreateKeyPair`, `ImportKeyPair`, `DeleteKeyPair` |
//! | volumes | `DescribeVolumes`, `CreateVolume`, `AttachVolume`, `DetachVolume`, `DeleteVolume` |
//! | snapshots | `DescribeSnapshots` (`Owner=self`, `volume-id`), `CreateSnapshot`, `DeleteSnapshot` |
//! | [`Ec2Compute::ex_list_security_groups`] and friends | `DescribeSecurityGroups`, `CreateSecurityGroup`, `DeleteSecurityGroup`, `Authorize`/`RevokeSecurityGroupIngress`/`Egress` |
//! | [`Ec2Compute::ex_create_tags`], [`ex_delete_tags`](Ec2Compute::ex_delete_tags), [`ex_describe_tags`](Ec2Compute::ex_describe_tags), [`ex_list_tags`](Ec2Compute::ex_list_tags) | `CreateTags`, `DeleteTags`, `DescribeTags` |
//! | [`Ec2Compute::ex_allocate_address`] and friends | `AllocateAddress`, `DescribeAddresses`, `AssociateAddress`, `DisassociateAddress`, `ReleaseAddress` |
//! | [`Ec2Compute::ex_create_image`], [`ex_copy_image`](Ec2Compute::ex_copy_image), [`ex_delete_image`](Ec2Compute::ex_delete_image) | `CreateImage`, `CopyImage`, `DeregisterImage` |
//! | [`Ec2Compute::ex_get_console_output`] | `GetConsoleOutput` |
//! | [`Ec2Compute::ex_list_networks`], [`ex_create_network`](Ec2Compute::ex_create_network), [`ex_delete_network`](Ec2Compute::ex_delete_network) | `DescribeVpcs`, `CreateVpc`, `DeleteVpc` |
//! | [`Ec2Compute::ex_list_subnets`], [`ex_create_subnet`](Ec2Compute::ex_create_subnet), [`ex_delete_subnet`](Ec2Compute::ex_delete_subnet) | `DescribeSubnets`, `CreateSubnet`, `DeleteSubnet` |
//! | [`Ec2Compute::ex_change_node_size`] | `ModifyInstanceAttribute` (`InstanceType`) |
//! | [`Ec2Compute::ex_modify_volume`], [`ex_describe_volumes_modifications`](Ec2Compute::ex_describe_volumes_modifications) | `ModifyVolume`, `DescribeVolumesModifications` |
//!
//! [`wait_until_running`](libcloud_core::ComputeDriverExt::wait_until_running) comes from
//! [`ComputeDriverExt`](libcloud_core::ComputeDriverExt).
//!
//! # Nodes
//!
//! A node's name is its `Name` tag (its id when it has none); its public addresses are the
//! instance's public IPv4 address, those of its network interfaces (IPv6 included) and its
//! Elastic IPs; its private addresses those of all its interfaces. States map as Libcloud's:
//! `pending`, `running`, `stopping`, `stopped`, `terminated` by name, `shutting-down` (and
//! anything new) to [`NodeState::Unknown`](libcloud_core::NodeState::Unknown), with the raw name in
//! `extra["status"]`. EC2-only settings of `create_node` (security groups, subnet, block device
//! mappings, tags, IAM profile, ...) go in [`CreateNode::extra`](libcloud_core::CreateNode),
//! as [`NodeOptions`] describes.
//!
//! # A retried launch never launches twice
//!
//! Every RunInstances carries a `ClientToken` (a fresh one per `create_node`, or the caller's
//! [`NodeOptions::client_token`]). RunInstances is not marked idempotent for the transport's
//! retry layer, because not every server honours the token (moto does not): when it fails in a
//! way that may have happened after the request arrived — a broken connection, a timeout, a
//! 5xx, throttling — the driver first looks for an instance carrying the token (by its `Name`
//! tag) and returns it if there is one; only if there is none does it send RunInstances again,
//! with the same token, up to [`DEFAULT_LAUNCH_ATTEMPTS`] times in all. If that check itself
//! fails, the error says so and names the token to repeat the call with. Read-only calls and
//! those whose repetition is harmless (`Describe*`, `Terminate`/`Start`/`Stop`/`RebootInstances`,
//! `CreateTags`, `DeleteTags`, `DeleteKeyPair`, `ModifyInstanceAttribute`) are marked idempotent
//! and retried by the transport; the others are sent once.
//!
//! # Errors
//!
//! [`parse_error`] maps EC2's `<Response><Errors>` documents: `Invalid<Resource>.NotFound`
//! is `NotFound` of that resource (`InvalidKeyPair.NotFound` of a key pair, `InvalidAMIID` of an
//! image, ...), `.Duplicate` is `AlreadyExists`, `AuthFailure` is `InvalidCredentials`,
//! `RequestLimitExceeded` is `RateLimited`, `IdempotentParameterMismatch` is `InvalidInput`, and
//! the rest as [`libcloud_aws::parse_error`] says.
//!
//! ```
//! use libcloud_core::{ComputeDriver, transport};
//! use libcloud_ec2::{Ec2Compute, Ec2Config};
//!
//! let config = Ec2Config::from_options(
//!     [("region", "eu-west-1"), ("endpoint", "http://127.0.0.1:5000"), ("key", "AKID"), ("secret", "s")],
//!     libcloud_aws::Env::from_pairs::<_, &str, &str>([]),
//! )
//! .unwrap();
//! // Any `Transport` works; here one that refuses every request.
//! let offline = transport::from_fn(|_req| {
//!     Box::pin(async { Err(libcloud_core::Error::transport(std::io::Error::other("offline"))) })
//! });
//! let ec2 = Ec2Compute::with_transport(config, offline).unwrap();
//! assert_eq!(ec2.name(), "ec2");
//! assert_eq!(ec2.endpoint().url(), "http://127.0.0.1:5000");
//! assert!(ec2.capabilities().volumes);
//! ```
//!
//! # Recorded fixtures
//!
//! The crate's tests replay Apache Libcloud's recorded EC2 answers for every call above (the
//! node, image, size, zone, key pair, volume, snapshot, address, security group, tag, image,
//! console, subnet, VPC and volume modification files, and the `InvalidKeyPair.NotFound` and
//! `IdempotentParameterMismatch` errors). The fixtures of calls this driver does not make
//! (internet gateways, network interfaces, placement groups, reserved instances, image
//! registration, image/snapshot/subnet attributes, snapshot import, account attributes) are not
//! read.
//!
//! `list_nodes` adds Elastic IPs from `DescribeAddresses`; credentials that may not call it
//! still list nodes, with the addresses the instances show.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod compute;
mod config;
mod models;
mod options;
mod provider;
mod util;
mod xml;

pub use client::{API_VERSION, RESPONSE_LIMIT, parse_error};
pub use compute::{DEFAULT_LAUNCH_ATTEMPTS, Ec2Compute, MAX_USER_DATA};
pub use config::{Ec2Config, OPTION_KEYS};
pub use models::{
    ConsoleOutput, ElasticIp, GroupPair, IpPermission, ResourceTag, SecurityGroup, Subnet,
    VolumeChange, VolumeModification, Vpc,
};
pub use options::{BlockDeviceMapping, EbsBlockDevice, ImageQuery, NodeOptions, VolumeOptions};
pub use xml::{node_state, region_country, snapshot_state, volume_state};
