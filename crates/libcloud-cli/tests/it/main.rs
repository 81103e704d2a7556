//! End-to-end tests of the `libcloud` binary: each test runs the built command as a user
//! would, and checks its standard output, standard error, exit code and the files it leaves.
#![allow(clippy::unwrap_used)]

mod batch;
mod compute;
mod dns;
mod errors;
mod lb;
mod live;
mod live_mimic;
mod live_storage;
mod providers;
mod storage;
mod transfer;
mod util;
