//! Runs one ignored test of this binary in a child process with a chosen environment, to test
//! the macros that read the environment and `return` or panic.

use std::process::{Command, Output};

/// Runs the ignored test `name` (its full path, `live::child_require_live`) with `set` added to
/// and `unset` removed from the environment.
pub fn run_child(name: &str, set: &[(&str, &str)], unset: &[&str]) -> Output {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    command.args([
        "--ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads",
        "1",
    ]);
    for (k, v) in set {
        command.env(k, v);
    }
    for k in unset {
        command.env_remove(k);
    }
    command.output().unwrap()
}

/// The child's stdout and stderr as one text.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
