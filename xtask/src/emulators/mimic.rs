//! mimic: Rackspace's mock of its cloud (Identity v2, Nova, Cloud Load Balancers, ...), state
//! in memory.
//!
//! Any user name and password are accepted; a user is tied to the tenant of its first token,
//! so each test should sign in as a user of its own. The identity endpoint is
//! `LIBCLOUD_TEST_MIMIC_ENDPOINT` + `/identity/v2.0`.

use std::process::Command;
use std::time::Duration;

use super::{Context, Env, free_port, python_venv, spawn, wait_http};
use crate::Result;

/// mimic 2.2.0 (2016) needs `attr.validators.provides`, which attrs 24 removed; the other pins
/// are releases that work with that attrs.
const REQUIREMENTS: &[&str] = &[
    "mimic==2.2.0",
    "attrs==23.2.0",
    "Twisted==26.10.0",
    "klein==24.8.0",
    "treq==26.7.0",
];

/// Installs mimic in a cached virtual environment and starts it on a free port.
pub fn start(ctx: &Context) -> Result<Env> {
    let bin = python_venv(ctx, "mimic", REQUIREMENTS)?;
    let port = free_port()?;
    // twistd writes files into its working directory; keep them with the other state.
    let run_dir = ctx.state.join("mimic-run");
    std::fs::create_dir_all(&run_dir)
        .map_err(|e| format!("creating {}: {e}", run_dir.display()))?;
    spawn(
        ctx,
        "mimic",
        Command::new(bin.join("twistd"))
            .current_dir(&run_dir)
            .args(["-n", "--pidfile=", "mimic", "--listen"])
            .arg(format!("tcp:{port}:interface=127.0.0.1")),
    )?;
    wait_http(ctx, "mimic", port, "/", Duration::from_secs(60))?;
    Ok(vec![(
        "LIBCLOUD_TEST_MIMIC_ENDPOINT".into(),
        format!("http://127.0.0.1:{port}"),
    )])
}
