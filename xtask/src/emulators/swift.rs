//! OpenStack Swift all-in-one: a proxy with tempauth and one account, container and object
//! server each, one replica on a plain folder, and the memcached that tempauth keeps its
//! tokens in.
//!
//! Swift comes from PyPI into a cached virtual environment; memcached from Debian when it is
//! missing. Every server binds 127.0.0.1 on a free port. The tests sign in with tempauth:
//! user `test:tester`, key `testing`, at `LIBCLOUD_TEST_SWIFT_AUTH_URL`.

use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{Context, Env, free_port, python_venv, run_quiet, spawn, wait_http};
use crate::Result;

/// The Swift release the tests are written against.
const VERSION: &str = "2.38.3";

/// The tempauth user and key the tests use.
const USER: &str = "test:tester";
const KEY: &str = "testing";

/// Installs Swift and memcached if needed, writes a one-node configuration under
/// `.emulators/swift`, builds the rings and starts the five processes.
pub fn start(ctx: &Context) -> Result<Env> {
    let memcached = ensure_memcached()?;
    let bin = python_venv(ctx, "swift", &[&format!("swift=={VERSION}")])?;

    let dir = ctx.state.join("swift");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("clearing {}: {e}", dir.display()))?;
    }
    let etc = dir.join("etc");
    for sub in [&etc, &dir.join("node").join("d1"), &dir.join("cache")] {
        std::fs::create_dir_all(sub).map_err(|e| format!("creating {}: {e}", sub.display()))?;
    }
    let user = current_user();
    let memcached_port = free_port()?;
    let proxy_port = free_port()?;

    write(
        &etc.join("swift.conf"),
        "[swift-hash]\nswift_hash_path_suffix = libcloud-test-suffix\n\
         swift_hash_path_prefix = libcloud-test-prefix\n\
         [storage-policy:0]\nname = Policy-0\ndefault = yes\n",
    )?;

    let mut ports = Vec::new();
    for server in ["account", "container", "object"] {
        let port = free_port()?;
        ports.push((server, port));
        write(
            &etc.join(format!("{server}-server.conf")),
            &format!(
                "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 0\nuser = {user}\n\
                 swift_dir = {etc}\ndevices = {devices}\nmount_check = false\n\
                 disable_fallocate = true\nlog_name = {server}-server\n\
                 [pipeline:main]\npipeline = healthcheck recon {server}-server\n\
                 [app:{server}-server]\nuse = egg:swift#{server}\n\
                 [filter:healthcheck]\nuse = egg:swift#healthcheck\n\
                 [filter:recon]\nuse = egg:swift#recon\nrecon_cache_path = {cache}\n",
                etc = etc.display(),
                devices = dir.join("node").display(),
                cache = dir.join("cache").display(),
            ),
        )?;
        let builder = format!("{server}.builder");
        let ring = bin.join("swift-ring-builder");
        run_quiet(
            Command::new(&ring)
                .current_dir(&etc)
                .args([&builder, "create", "6", "1", "1"]),
        )?;
        run_quiet(Command::new(&ring).current_dir(&etc).args([
            &builder,
            "add",
            &format!("r1z1-127.0.0.1:{port}/d1"),
            "1",
        ]))?;
        run_quiet(
            Command::new(&ring)
                .current_dir(&etc)
                .args([&builder, "rebalance"]),
        )?;
    }

    let mut proxy = format!(
        "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {proxy_port}\nworkers = 0\nuser = {user}\n\
         swift_dir = {etc}\nlog_name = proxy-server\n\
         [pipeline:main]\npipeline = catch_errors gatekeeper healthcheck proxy-logging cache \
         listing_formats bulk tempurl tempauth copy slo dlo proxy-logging proxy-server\n\
         [app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n\
         allow_account_management = true\n\
         [filter:tempauth]\nuse = egg:swift#tempauth\n\
         user_admin_admin = admin .admin .reseller_admin\nuser_test_tester = {KEY} .admin\n\
         user_test2_tester2 = testing2 .admin\n\
         [filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = 127.0.0.1:{memcached_port}\n\
         [filter:slo]\nuse = egg:swift#slo\nmin_segment_size = 1\n",
        etc = etc.display(),
    );
    for (section, egg) in [
        ("catch_errors", "catch_errors"),
        ("gatekeeper", "gatekeeper"),
        ("healthcheck", "healthcheck"),
        ("proxy-logging", "proxy_logging"),
        ("listing_formats", "listing_formats"),
        ("bulk", "bulk"),
        ("tempurl", "tempurl"),
        ("copy", "copy"),
        ("dlo", "dlo"),
    ] {
        let _ = write!(proxy, "[filter:{section}]\nuse = egg:swift#{egg}\n");
    }
    write(&etc.join("proxy-server.conf"), &proxy)?;

    spawn(
        ctx,
        "swift-memcached",
        Command::new(&memcached).args([
            "-u",
            &user,
            "-l",
            "127.0.0.1",
            "-p",
            &memcached_port.to_string(),
            "-U",
            "0",
            "-m",
            "64",
        ]),
    )?;
    for (server, _) in &ports {
        spawn(
            ctx,
            &format!("swift-{server}"),
            Command::new(bin.join(format!("swift-{server}-server")))
                .arg(etc.join(format!("{server}-server.conf")))
                .arg("-v"),
        )?;
    }
    spawn(
        ctx,
        "swift",
        Command::new(bin.join("swift-proxy-server"))
            .arg(etc.join("proxy-server.conf"))
            .arg("-v"),
    )?;
    for (server, port) in &ports {
        wait_http(
            ctx,
            &format!("swift-{server}"),
            *port,
            "/healthcheck",
            Duration::from_secs(60),
        )?;
    }
    wait_http(
        ctx,
        "swift",
        proxy_port,
        "/healthcheck",
        Duration::from_secs(60),
    )?;
    // Tempauth answers only once memcached does: sign in once before saying it is ready.
    wait_for_login(proxy_port, Duration::from_secs(30))?;
    Ok(vec![
        (
            "LIBCLOUD_TEST_SWIFT_AUTH_URL".into(),
            format!("http://127.0.0.1:{proxy_port}/auth/v1.0"),
        ),
        ("LIBCLOUD_TEST_SWIFT_USER".into(), USER.into()),
        ("LIBCLOUD_TEST_SWIFT_KEY".into(), KEY.into()),
    ])
}

/// Waits until tempauth signs the test user in (`200` with a storage URL).
fn wait_for_login(port: u16, timeout: Duration) -> Result {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match try_login(port) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        if Instant::now() >= deadline {
            return Err(format!(
                "tempauth on 127.0.0.1:{port} did not sign {USER} in within {} s: {last}",
                timeout.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn try_login(port: u16) -> Result {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connecting: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!(
        "GET /auth/v1.0 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Auth-User: {USER}\r\n\
         X-Auth-Key: {KEY}\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending: {e}"))?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let head = answer.to_ascii_lowercase();
    if head.starts_with("http/1.1 200") && head.contains("x-storage-url:") {
        Ok(())
    } else {
        Err(answer.lines().next().unwrap_or("no answer").to_string())
    }
}

fn write(path: &Path, text: &str) -> Result {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The user the servers run as: this one (they refuse to run as another without root).
fn current_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            Command::new("id")
                .arg("-un")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|u| !u.is_empty())
        })
        .unwrap_or_else(|| "root".into())
}

/// The memcached binary, installed from Debian (without starting its service) when missing.
fn ensure_memcached() -> Result<String> {
    for candidate in ["/usr/bin/memcached", "/usr/local/bin/memcached"] {
        if Path::new(candidate).exists() {
            return Ok(candidate.into());
        }
    }
    println!("emulator swift: installing memcached from Debian (first run only)");
    apt_install(&["memcached"])?;
    if Path::new("/usr/bin/memcached").exists() {
        Ok("/usr/bin/memcached".into())
    } else {
        Err("memcached is still missing after apt-get install".into())
    }
}

/// Installs Debian packages without letting them start services (a `policy-rc.d` that says
/// no is put in place for the install when there is none).
fn apt_install(packages: &[&str]) -> Result {
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let placed = if policy.exists() {
        false
    } else {
        write(policy, "#!/bin/sh\nexit 101\n")?;
        run_quiet(Command::new("chmod").args(["+x", "/usr/sbin/policy-rc.d"]))?;
        true
    };
    let result = run_quiet(Command::new("apt-get").args(["update", "-q"])).and_then(|()| {
        run_quiet(
            Command::new("apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(packages),
        )
    });
    if placed {
        let _ = std::fs::remove_file(policy);
    }
    result
}
