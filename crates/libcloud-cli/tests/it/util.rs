//! Running the binary and reading what it printed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// What one run of `libcloud` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns the run.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code,
            0,
            "expected success; stderr: {}\nstdout: {}",
            self.stderr,
            self.text()
        );
        self
    }

    /// Asserts failure with `code` and returns the run.
    #[track_caller]
    pub fn fails(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            code,
            "expected exit code {code}; stderr: {}\nstdout: {}",
            self.stderr,
            self.text()
        );
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "an error is one line: {:?}",
            self.stderr
        );
        assert!(self.stderr.starts_with("libcloud: "), "{}", self.stderr);
        self
    }

    /// Standard output as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard output as JSON lines.
    #[track_caller]
    pub fn json(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
            .collect()
    }
}

/// A `libcloud` command with a clean environment: no LIBCLOUD_* defaults from the caller.
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_libcloud"));
    for var in [
        "LIBCLOUD_PROVIDER",
        "LIBCLOUD_OUTPUT",
        "LIBCLOUD_LOCAL_ROOT",
        "LIBCLOUD_REPORT_PEAK_MEMORY",
        "ZERIGO_EMAIL",
        "ZERIGO_API_KEY",
        "ZERIGO_ENDPOINT",
        "GOGRID_API_KEY",
        "GOGRID_SHARED_SECRET",
        "GOGRID_ENDPOINT",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `cmd`, feeding `stdin` when given.
pub fn run_command(mut cmd: Command, stdin: Option<&[u8]>) -> Run {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(data) = stdin {
        let mut input = child.stdin.take().unwrap();
        let data = data.to_vec();
        // Write from a thread so a large input cannot dead-lock against a full stdout pipe.
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(&data);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        return Run {
            code: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `libcloud ARGS...`.
pub fn run(args: &[&str]) -> Run {
    let mut cmd = command();
    cmd.args(args);
    run_command(cmd, None)
}

/// Runs `libcloud ARGS...` with `stdin`.
pub fn run_stdin(args: &[&str], stdin: &[u8]) -> Run {
    let mut cmd = command();
    cmd.args(args);
    run_command(cmd, Some(stdin))
}

/// Runs `libcloud ARGS... batch SCRIPT` with the script in a file.
pub fn batch(dir: &Path, args: &[&str], script: &str) -> Run {
    let path = dir.join(format!("script-{}.txt", rand_suffix()));
    std::fs::write(&path, script).unwrap();
    let mut cmd = command();
    cmd.args(args).arg("batch").arg(&path);
    run_command(cmd, None)
}

/// A suffix that differs between calls in one process.
pub fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// `local://CONTAINER/KEY?root=ROOT`.
pub fn local_url(root: &Path, container: &str, key: &str) -> String {
    let key = if key.is_empty() {
        String::new()
    } else {
        format!("/{key}")
    };
    format!("local://{container}{key}?root={}", root.display())
}

/// Bytes that are not all the same, so that a misplaced chunk shows.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// The JSON line whose `key` is `value`.
#[track_caller]
pub fn find<'a>(lines: &'a [Value], key: &str, value: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l[key] == value)
        .unwrap_or_else(|| panic!("no line with {key}={value} in {lines:#?}"))
}
