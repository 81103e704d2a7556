//! Integration tests of the default transport against real sockets on the loopback interface.
#![allow(clippy::unwrap_used)]

mod closed_port;
mod loopback;
mod tls;
