//! The EC2 driver's tests: recorded answers replayed (`fixtures`), the requests it sends
//! (`requests`), launch retries with a fault between request and response (`retry`), garbled
//! answers (`fuzz`), and moto, the AWS stand-in, when `LIBCLOUD_TEST_MOTO_ENDPOINT` names one
//! (`live`).
#![allow(clippy::unwrap_used)]

mod faults;
mod fixtures;
mod fuzz;
mod live;
mod requests;
mod retry;
mod support;
