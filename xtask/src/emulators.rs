//! The local stand-ins for the clouds that live tests talk to.
//!
//! Each emulator is installed if missing, started on 127.0.0.1, waited for, and described to
//! the tests by environment variables (`LIBCLOUD_TEST_<NAME>_ENDPOINT` and friends), which `up`
//! also writes to `.emulators/env` so a developer can `source` them. PIDs are kept in
//! `.emulators/<name>.pid`; `down` stops only those processes.
//!
//! This is the one place where servers are added: a provider whose tests need a server adds an
//! entry to [`EMULATORS`].

use std::path::Path;

use crate::Result;

/// A server the live tests need.
pub struct Emulator {
    /// Short name (`moto`).
    pub name: &'static str,
    /// Installs (if needed) and starts the server; returns the variables the tests read.
    pub start: fn(state_dir: &Path) -> Result<Vec<(String, String)>>,
}

/// Every emulator the test suite needs. The drivers that exist so far (memory, local) need none.
pub const EMULATORS: &[Emulator] = &[];

/// Starts every emulator and returns the environment for the tests.
pub fn up(root: &Path) -> Result<Vec<(String, String)>> {
    let state = root.join(".emulators");
    std::fs::create_dir_all(&state).map_err(|e| format!("creating {}: {e}", state.display()))?;
    let mut env = Vec::new();
    for emulator in EMULATORS {
        println!("starting emulator {}", emulator.name);
        let vars = (emulator.start)(&state).map_err(|e| format!("emulator {} did not start: {e}", emulator.name))?;
        env.extend(vars);
    }
    if EMULATORS.is_empty() {
        println!("emulators: none needed by the current drivers");
    }
    let text: String = env.iter().map(|(k, v)| format!("export {k}={v}\n")).collect();
    std::fs::write(state.join("env"), text).map_err(|e| format!("writing emulator env: {e}"))?;
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
                    let _ = std::process::Command::new("kill").arg(pid).status();
                }
            }
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok(())
}

/// Prints the emulators and whether their PID is alive.
pub fn status(root: &Path) -> Result {
    let state = root.join(".emulators");
    if EMULATORS.is_empty() {
        println!("no emulators are configured");
    }
    for emulator in EMULATORS {
        let pid_file = state.join(format!("{}.pid", emulator.name));
        let alive = std::fs::read_to_string(&pid_file)
            .ok()
            .map(|pid| Path::new("/proc").join(pid.trim()).exists())
            .unwrap_or(false);
        println!("{:<12} {}", emulator.name, if alive { "running" } else { "stopped" });
    }
    Ok(())
}
