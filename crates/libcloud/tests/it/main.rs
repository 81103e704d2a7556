//! The facade: the registry opens the built-in drivers and explains what it cannot open.
#![allow(clippy::unwrap_used)]

mod registry;
