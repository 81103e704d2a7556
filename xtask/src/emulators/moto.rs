//! moto: EC2, S3, ELB, ELBv2 and Route 53 on one port, state in memory.
//!
//! It routes by the service in the SigV4 credential scope and does not check signatures; any
//! key is accepted. `POST /moto-api/reset` wipes its state.

use std::process::Command;
use std::time::Duration;

use super::{Context, Env, free_port, python_venv, spawn, wait_http};
use crate::Result;

/// The version the tests are written against.
const VERSION: &str = "5.2.5";

/// Installs moto in a cached virtual environment and starts it on a free port.
pub fn start(ctx: &Context) -> Result<Env> {
    let bin = python_venv(ctx, "moto", &[&format!("moto[server]=={VERSION}")])?;
    let port = free_port()?;
    spawn(
        ctx,
        "moto",
        Command::new(bin.join("moto_server")).args(["-H", "127.0.0.1", "-p", &port.to_string()]),
    )?;
    wait_http(
        ctx,
        "moto",
        port,
        "/moto-api/data.json",
        Duration::from_secs(60),
    )?;
    Ok(vec![(
        "LIBCLOUD_TEST_MOTO_ENDPOINT".into(),
        format!("http://127.0.0.1:{port}"),
    )])
}
