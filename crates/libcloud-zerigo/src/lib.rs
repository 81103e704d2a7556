//! Zerigo DNS for libcloud: zones and records through the uniform [`DnsDriver`](libcloud_core::DnsDriver) API.
//!
//! Zerigo's DNS service (API 1.1, XML over HTTPS with Basic authentication) has shut down, but
//! scripts and recorded traffic against it live on, and compatible servers can be pointed at with
//! [`ZerigoConfig::with_endpoint`]. [`ZerigoDns`] speaks that API:
//!
//! | libcloud | Zerigo |
//! |---|---|
//! | [`iterate_zones`](libcloud_core::DnsDriver::iterate_zones) | `GET zones.xml?per_page=100&page=N`, until `page * 100 >= X-Query-Count` |
//! | [`get_zone`](libcloud_core::DnsDriver::get_zone) | `GET zones/{id}.xml` |
//! | [`create_zone`](libcloud_core::DnsDriver::create_zone) | `POST zones.xml` |
//! | [`update_zone`](libcloud_core::DnsDriver::update_zone) | `PUT zones/{id}.xml` |
//! | [`delete_zone`](libcloud_core::DnsDriver::delete_zone) | `DELETE zones/{id}.xml` |
//! | [`iterate_records`](libcloud_core::DnsDriver::iterate_records) | `GET zones/{id}/hosts.xml?per_page=100&page=N` |
//! | [`get_record`](libcloud_core::DnsDriver::get_record) | `GET zones/{zone}.xml`, then `GET hosts/{id}.xml` |
//! | [`create_record`](libcloud_core::DnsDriver::create_record) | `POST zones/{id}/hosts.xml` |
//! | [`update_record`](libcloud_core::DnsDriver::update_record) | `PUT hosts/{id}.xml` |
//! | [`delete_record`](libcloud_core::DnsDriver::delete_record) | `DELETE hosts/{id}.xml` |
//! | [`ZerigoDns::ex_get_zone_by_domain`] | `GET zones/{domain}.xml` |
//! | [`ZerigoDns::ex_force_slave_axfr`] | `POST zones/{id}/force_slave_axfr.xml` |
//!
//! BIND export comes from [`DnsDriverExt::export_zone_to_bind_format`](libcloud_core::DnsDriverExt).
//!
//! Errors: 401 is [`ErrorKind::InvalidCredentials`](libcloud_core::ErrorKind::InvalidCredentials);
//! 404 is `NotFound` of the zone or record asked for; a 422 list of validation errors is
//! [`ErrorKind::AlreadyExists`](libcloud_core::ErrorKind::AlreadyExists) when a message says the
//! name is taken, else [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput) carrying
//! every message; a body that cannot be read is
//! [`ErrorKind::MalformedResponse`](libcloud_core::ErrorKind::MalformedResponse).
//!
//! Ids are Zerigo's own (decimal numbers, as text). A record at the zone apex has the name `""`.
//!
//! ```
//! use libcloud_core::{DnsDriver, transport};
//! use libcloud_zerigo::{ZerigoConfig, ZerigoDns};
//!
//! let config = ZerigoConfig::new("ops@example.com", "api-key")
//!     .with_endpoint("http://127.0.0.1:8080/api/1.1/");
//! // Any `Transport` works; here one that refuses every request.
//! let offline = transport::from_fn(|_req| {
//!     Box::pin(async { Err(libcloud_core::Error::transport(std::io::Error::other("offline"))) })
//! });
//! let dns = ZerigoDns::with_transport(config, offline).unwrap();
//! assert_eq!(dns.name(), "zerigo");
//! assert!(!format!("{dns:?}").contains("api-key"));
//! ```
//!
//! # Recorded fixtures
//!
//! The crate's tests replay Apache Libcloud's recorded Zerigo responses; every file of that set
//! is used by at least one test: `list_zones.xml`, `list_zones_no_results.xml`, `get_zone.xml`,
//! `create_zone.xml`, `create_zone_validation_error.xml`, `list_records.xml`,
//! `list_records_no_results.xml`, `get_record.xml` and `create_record.xml`.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod config;
mod dns;
mod xml;

pub use config::{DEFAULT_ENDPOINT, ENV_API_KEY, ENV_EMAIL, ENV_ENDPOINT, ZerigoConfig};
pub use dns::{ITEMS_PER_PAGE, RECORD_TYPES, ZerigoDns};
