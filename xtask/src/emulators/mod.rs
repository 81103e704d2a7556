//! The local stand-ins for the clouds that live tests talk to.
//!
//! Each emulator is installed if missing (into a cache outside the clone, so later runs reuse
//! it), started on 127.0.0.1 on a free port, waited for, and described to the tests by environment
//! variables (`LIBCLOUD_TEST_<NAME>_ENDPOINT` and friends), which `up` also writes to
//! `.emulators/env` so a developer can `source` it. PIDs are kept in `.emulators/<name>.pid` and
//! logs in `.emulators/<name>.log`; `down` stops only those processes.
//!
//! This is the one place where servers are added: write a module with a `start` function and add
//! it to [`EMULATORS`].

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

mod garage;
mod mimic;
mod moto;
mod swift;

/// Where an emulator's files live during a run.
pub struct Context {
    /// `.emulators/` in the workspace: PIDs, logs, data.
    pub state: PathBuf,
    /// The cache of installed servers, outside the clone.
    pub tools: PathBuf,
}

/// The environment variables an emulator gives the tests.
pub type Env = Vec<(String, String)>;

/// A server the live tests need.
pub struct Emulator {
    /// Short name (`moto`).
    pub name: &'static str,
    /// Installs (if needed) and starts the server; returns the variables the tests read.
    pub start: fn(&Context) -> Result<Env>,
}

/// Every emulator the test suite needs.
pub const EMULATORS: &[Emulator] = &[
    Emulator {
        name: "moto",
        start: moto::start,
    },
    Emulator {
        name: "garage",
        start: garage::start,
    },
    Emulator {
        name: "swift",
        start: swift::start,
    },
    Emulator {
        name: "mimic",
        start: mimic::start,
    },
];

/// Where installed servers are cached: `$LIBCLOUD_TOOLS_DIR`, else
/// `$XDG_CACHE_HOME/libcloud-rs/tools`, else `~/.cache/libcloud-rs/tools`.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LIBCLOUD_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("libcloud-rs").join("tools")
}

/// Starts every emulator and returns the environment for the tests. Any emulator that does not
/// come up fails the whole call, after stopping the ones already started.
pub fn up(root: &Path) -> Result<Env> {
    let ctx = Context {
        state: root.join(".emulators"),
        tools: tools_dir(),
    };
    for dir in [&ctx.state, &ctx.tools] {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let mut env = Vec::new();
    for emulator in EMULATORS {
        let started = Instant::now();
        println!("emulator {}: starting", emulator.name);
        match (emulator.start)(&ctx) {
            Ok(vars) => {
                println!(
                    "emulator {}: ready in {:.1} s",
                    emulator.name,
                    started.elapsed().as_secs_f64()
                );
                env.extend(vars);
            }
            Err(e) => {
                let _ = down(root);
                return Err(format!("emulator {} did not start: {e}", emulator.name));
            }
        }
    }
    let text: String = env
        .iter()
        .map(|(k, v)| format!("export {k}={v}\n"))
        .collect();
    std::fs::write(ctx.state.join("env"), text)
        .map_err(|e| format!("writing emulator env: {e}"))?;
    Ok(env)
}

/// Stops every emulator started by `up`.
pub fn down(root: &Path) -> Result {
    let state = root.join(".emulators");
    let Ok(entries) = std::fs::read_dir(&state) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "pid") {
            if let Ok(pid) = std::fs::read_to_string(&path) {
                let pid = pid.trim();
                if !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()) {
                    let _ = Command::new("kill").arg(pid).stderr(Stdio::null()).status();
                }
            }
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok(())
}

/// Prints the emulators and whether their process is alive.
pub fn status(root: &Path) -> Result {
    let state = root.join(".emulators");
    for emulator in EMULATORS {
        let pid_file = state.join(format!("{}.pid", emulator.name));
        let alive = std::fs::read_to_string(&pid_file)
            .ok()
            .is_some_and(|pid| Path::new("/proc").join(pid.trim()).exists());
        println!(
            "{:<12} {}",
            emulator.name,
            if alive { "running" } else { "stopped" }
        );
    }
    Ok(())
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// Runs a command to completion, failing with its output when it fails.
pub fn run_quiet(cmd: &mut Command) -> Result {
    let out = cmd.output().map_err(|e| format!("running {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A Python virtual environment under the tools cache with exactly `requirements` installed;
/// returns its `bin` folder. It is reinstalled only when the requirements change.
pub fn python_venv(ctx: &Context, name: &str, requirements: &[&str]) -> Result<PathBuf> {
    let venv = ctx.tools.join(format!("{name}-venv"));
    let bin = venv.join("bin");
    let marker = venv.join("libcloud-requirements.txt");
    let wanted = requirements.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(bin);
    }
    println!(
        "emulator {name}: installing {} (first run only)",
        requirements.join(" ")
    );
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run_quiet(
        Command::new(&python)
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )?;
    run_quiet(
        Command::new(bin.join("pip"))
            .args(["install", "-q", "--disable-pip-version-check"])
            .args(requirements),
    )?;
    std::fs::write(&marker, wanted).map_err(|e| format!("writing {}: {e}", marker.display()))?;
    Ok(bin)
}

/// Starts `cmd` in the background with its output in `.emulators/<name>.log` and its PID in
/// `.emulators/<name>.pid`.
pub fn spawn(ctx: &Context, name: &str, cmd: &mut Command) -> Result<u32> {
    let log_path = ctx.state.join(format!("{name}.log"));
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
    let err = log.try_clone().map_err(|e| format!("log: {e}"))?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("starting {cmd:?}: {e}"))?;
    let pid = child.id();
    std::fs::write(ctx.state.join(format!("{name}.pid")), pid.to_string())
        .map_err(|e| format!("writing pid: {e}"))?;
    Ok(pid)
}

/// Waits until `http://127.0.0.1:<port><path>` answers with any HTTP status, or fails after
/// `timeout` with the tail of the server's log.
pub fn wait_http(ctx: &Context, name: &str, port: u16, path: &str, timeout: Duration) -> Result {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let request = format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
            );
            let mut head = [0u8; 12];
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_exact(&mut head).is_ok()
                && head.starts_with(b"HTTP/1.")
            {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            let log =
                std::fs::read_to_string(ctx.state.join(format!("{name}.log"))).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "no HTTP answer on 127.0.0.1:{port}{path} after {} s; log tail:\n{}",
                timeout.as_secs(),
                tail.join("\n")
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
