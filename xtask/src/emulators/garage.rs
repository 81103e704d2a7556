//! Garage: a production S3 server, one node, data on disk under `.emulators/garage/`.
//!
//! Unlike moto it checks SigV4 signatures, so it proves that signing is right; it also serves
//! listings and large objects at the speed of a real server, which the benchmarks rely on.
//! It answers only in the region named in its config (`us-east-1`) and takes path-style
//! addressing. Each start wipes the data, applies a one-node layout, imports a fixed test key and
//! lets that key create buckets.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Context, Env, free_port, run_quiet, spawn, wait_http};
use crate::Result;

/// The version the tests are written against.
const VERSION: &str = "2.5.0";

/// The region Garage is configured to sign in.
const REGION: &str = "us-east-1";

/// The test key imported at each start (Garage's format: `GK` and 24 hex digits). It guards only
/// a throw-away server on 127.0.0.1.
const ACCESS_KEY: &str = "GK1b0c10ad5e7e57000000beef";

/// The secret of [`ACCESS_KEY`] (64 hex digits), for tests only.
const SECRET_KEY: &str = "5ec7e7000000000000000000000000000000000000000000000000000000c0de";

/// The name the key is imported under.
const KEY_NAME: &str = "libcloud-test";

/// Installs Garage if missing, starts it on free ports and prepares it for the tests.
pub fn start(ctx: &Context) -> Result<Env> {
    let binary = install(ctx)?;
    let dir = ctx.state.join("garage");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    }
    for sub in ["meta", "data"] {
        let path = dir.join(sub);
        std::fs::create_dir_all(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
    }
    let s3_port = free_port()?;
    let rpc_port = free_port()?;
    let admin_port = free_port()?;
    let config = dir.join("garage.toml");
    std::fs::write(&config, config_text(&dir, s3_port, rpc_port, admin_port)?)
        .map_err(|e| format!("writing {}: {e}", config.display()))?;

    spawn(
        ctx,
        "garage",
        Command::new(&binary).arg("-c").arg(&config).arg("server"),
    )?;
    wait_http(ctx, "garage", s3_port, "/", Duration::from_secs(60))?;

    // S3 calls fail until a layout is applied; the node may take a moment to answer RPCs.
    let garage = |args: &[&str]| {
        let mut cmd = Command::new(&binary);
        cmd.arg("-c").arg(&config).args(args);
        cmd
    };
    let node_id = retry(|| {
        let out = garage(&["node", "id", "-q"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running garage node id: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        match text.trim().split('@').next() {
            Some(id) if out.status.success() && !id.is_empty() => Ok(id.to_string()),
            _ => Err(format!(
                "garage node id failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )),
        }
    })?;
    retry(|| {
        run_quiet(&mut garage(&[
            "layout", "assign", "-z", "dc1", "-c", "1G", &node_id,
        ]))
    })?;
    retry(|| run_quiet(&mut garage(&["layout", "apply", "--version", "1"])))?;
    retry(|| {
        run_quiet(&mut garage(&[
            "key", "import", "--yes", "-n", KEY_NAME, ACCESS_KEY, SECRET_KEY,
        ]))
    })?;
    retry(|| run_quiet(&mut garage(&["key", "allow", "--create-bucket", KEY_NAME])))?;

    Ok(vec![
        (
            "LIBCLOUD_TEST_GARAGE_ENDPOINT".into(),
            format!("http://127.0.0.1:{s3_port}"),
        ),
        ("LIBCLOUD_TEST_GARAGE_ACCESS_KEY".into(), ACCESS_KEY.into()),
        ("LIBCLOUD_TEST_GARAGE_SECRET_KEY".into(), SECRET_KEY.into()),
        ("LIBCLOUD_TEST_GARAGE_REGION".into(), REGION.into()),
    ])
}

/// The Garage binary in the tools cache, built with `cargo install` when missing.
fn install(ctx: &Context) -> Result<PathBuf> {
    let root = ctx.tools.join("garage");
    let binary = root.join("bin").join("garage");
    if is_version(&binary) {
        return Ok(binary);
    }
    println!(
        "emulator garage: building garage {VERSION} from source with cargo install \
         (first run only; about 10-15 min on 2 cores), log in {}",
        ctx.state.join("garage-install.log").display()
    );
    let log_path = ctx.state.join("garage-install.log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
    let err = log.try_clone().map_err(|e| format!("log: {e}"))?;
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["install", "garage", "--version", VERSION, "--locked"])
        .args(["--no-default-features", "--features", "bundled-libs,lmdb"])
        .arg("--root")
        .arg(&root)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .status()
        .map_err(|e| format!("running cargo install garage: {e}"))?;
    if !status.success() || !is_version(&binary) {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "cargo install garage {VERSION} failed ({status}); log tail:\n{}",
            tail.join("\n")
        ));
    }
    Ok(binary)
}

/// Whether `binary` runs and reports the wanted version.
fn is_version(binary: &Path) -> bool {
    Command::new(binary)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| {
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains(VERSION)
        })
}

/// The server's configuration: one node, LMDB metadata, everything on 127.0.0.1.
fn config_text(dir: &Path, s3_port: u16, rpc_port: u16, admin_port: u16) -> Result<String> {
    let meta = toml_path(&dir.join("meta"))?;
    let data = toml_path(&dir.join("data"))?;
    let rpc_secret = random_hex(32)?;
    let admin_token = random_hex(16)?;
    Ok(format!(
        "metadata_dir = {meta}\n\
         data_dir = {data}\n\
         db_engine = \"lmdb\"\n\
         replication_factor = 1\n\
         rpc_bind_addr = \"127.0.0.1:{rpc_port}\"\n\
         rpc_public_addr = \"127.0.0.1:{rpc_port}\"\n\
         rpc_secret = \"{rpc_secret}\"\n\
         \n\
         [s3_api]\n\
         s3_region = \"{REGION}\"\n\
         api_bind_addr = \"127.0.0.1:{s3_port}\"\n\
         root_domain = \".s3.garage.localhost\"\n\
         \n\
         [admin]\n\
         api_bind_addr = \"127.0.0.1:{admin_port}\"\n\
         admin_token = \"{admin_token}\"\n"
    ))
}

/// A path as a TOML basic string.
fn toml_path(path: &Path) -> Result<String> {
    let text = path
        .to_str()
        .ok_or_else(|| format!("{} is not valid UTF-8", path.display()))?;
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => return Err(format!("{text:?} holds a control character")),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    Ok(quoted)
}

/// `len` random bytes from the kernel, as hex.
fn random_hex(len: usize) -> Result<String> {
    use std::io::Read;
    let mut bytes = vec![0u8; len];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Runs `step` until it succeeds, for up to 30 s, returning its last error otherwise.
fn retry<T>(mut step: impl FnMut() -> Result<T>) -> Result<T> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match step() {
            Ok(value) => return Ok(value),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    }
}
