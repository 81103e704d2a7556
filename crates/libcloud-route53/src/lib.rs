//! Amazon Route 53 for libcloud: hosted zones and record sets through the uniform
//! [`DnsDriver`](libcloud_core::DnsDriver) API, on Route 53's REST API 2013-04-01, signed with
//! SigV4 by `libcloud-aws`.
//!
//! | libcloud | Route 53 |
//! |---|---|
//! | [`iterate_zones`](libcloud_core::DnsDriver::iterate_zones) | `ListHostedZones`, 100 a page, by `NextMarker` |
//! | [`get_zone`](libcloud_core::DnsDriver::get_zone) | `GetHostedZone` (name servers in `extra`) |
//! | [`create_zone`](libcloud_core::DnsDriver::create_zone) | `ListHostedZonesByName` (a public zone of that name is `AlreadyExists`), then `CreateHostedZone` with a unique caller reference |
//! | [`delete_zone`](libcloud_core::DnsDriver::delete_zone) | `DeleteHostedZone`; when it is not empty, its record sets are deleted in batches and it is deleted again |
//! | [`iterate_records`](libcloud_core::DnsDriver::iterate_records) | `ListResourceRecordSets`, 300 sets a page, one record per value |
//! | [`get_record`](libcloud_core::DnsDriver::get_record) | `ListResourceRecordSets` from the set's name and type |
//! | [`create_record`](libcloud_core::DnsDriver::create_record) | `ChangeResourceRecordSets` CREATE; adding to an existing set: DELETE + CREATE |
//! | [`create_records`](libcloud_core::DnsDriver::create_records) | `ChangeResourceRecordSets` with up to 1,000 values per request ([`BatchLimits`]) |
//! | [`update_record`](libcloud_core::DnsDriver::update_record), [`delete_record`](libcloud_core::DnsDriver::delete_record) | `ChangeResourceRecordSets` DELETE (repeating TTL and values) + CREATE, atomic |
//! | [`Route53Dns::ex_delete_zone`], [`Route53Dns::ex_delete_all_records`] | delete a zone without emptying it; empty a zone |
//! | [`Route53Dns::ex_find_zones`] | `ListHostedZonesByName` |
//! | [`Route53Dns::ex_get_change_status`] | `GetChange` |
//!
//! BIND export comes from [`DnsDriverExt::export_zone_to_bind_format`](libcloud_core::DnsDriverExt).
//!
//! **Records.** Route 53 keeps record *sets*; as in Libcloud, each value of a set is one
//! [`Record`](libcloud_core::Record) and all of them share the id `TYPE:name`, the name relative
//! to the zone (`"A:www"`; `"A:"` at the apex). MX data is the host with the preference as
//! priority; SRV data is `weight port target` with the priority apart; TXT and SPF data is the
//! text, quoted (and cut into 255-byte strings) on the way in and unquoted on the way out.
//! Records of types libcloud has no name for (`HTTPS`, `SVCB`) are not listed. Sets with a
//! routing policy carry `set_identifier`, `weight`, `region`, ... in `extra`, and are written
//! back exactly as read.
//!
//! **Errors.** `NoSuchHostedZone` is `NotFound` of the zone, `HostedZoneNotEmpty` `NotEmpty`,
//! `InvalidChangeBatch` `AlreadyExists` or `NotFound` of the record when its message says so and
//! `InvalidInput` otherwise; everything else as [`libcloud_aws::parse_error`] maps it. Record
//! data is checked before anything is sent, so invalid data is `InvalidInput` on every server.
//!
//! ```
//! use libcloud_core::{DnsDriver, transport};
//! use libcloud_route53::{Route53Config, Route53Dns};
//!
//! let config = Route53Config::new()
//!     .with_keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG")
//!     .with_endpoint("http://127.0.0.1:5000");
//! // Any `Transport` works; here one that refuses every request.
//! let offline = transport::from_fn(|_req| {
//!     Box::pin(async { Err(libcloud_core::Error::transport(std::io::Error::other("offline"))) })
//! });
//! let dns = Route53Dns::with_transport(config, offline).unwrap();
//! assert_eq!(dns.name(), "route53");
//! assert!(dns.capabilities().batch_create);
//! assert_eq!(dns.endpoint().signing_region().as_str(), "us-east-1");
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod batch;
mod client;
mod config;
mod dns;
mod rrset;

pub use batch::BatchLimits;
pub use config::Route53Config;
pub use dns::{
    ChangeStatus, DEFAULT_TTL, RECORD_SETS_PER_PAGE, RECORD_TYPES, Route53Dns, ZONES_PER_PAGE,
};

/// The provider name errors carry.
pub(crate) const PROVIDER: &str = "route53";
