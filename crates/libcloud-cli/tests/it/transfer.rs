//! Transfers: progress bars on a terminal only, and memory that does not grow with the size
//! of what is copied.

use std::path::Path;
use std::process::Command;

use crate::util::{command, local_url, run, run_command};

/// Runs `libcloud ARGS...` on a pseudo-terminal (util-linux `script`), returning all it drew.
/// `None` when `script` is not installed.
fn on_terminal(args: &[String]) -> Option<String> {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_libcloud").to_string())
        .chain(args.iter().cloned())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let out = Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .env("COLUMNS", "120")
        .env_remove("LIBCLOUD_OUTPUT")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn big_file(dir: &Path, len: u64) -> std::path::PathBuf {
    let path = dir.join("big.bin");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(len).unwrap();
    path
}

#[test]
fn put_shows_a_progress_bar_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let file = big_file(dir.path(), 8 * 1024 * 1024);
    run(&["storage", "mb", &local_url(&root, "box", "")]).ok();
    let args = |quiet: bool| {
        let mut a = vec![
            "storage".to_string(),
            "put".into(),
            file.display().to_string(),
            local_url(&root, "box", "big.bin"),
        ];
        if quiet {
            a.push("--quiet".into());
        }
        a
    };
    let Some(drawn) = on_terminal(&args(false)) else {
        println!("skipped: `script` (util-linux) is not installed");
        return;
    };
    assert!(drawn.contains("put big.bin"), "{drawn:?}");
    assert!(
        drawn.contains("8.00 MiB/8.00 MiB"),
        "bytes done and total: {drawn:?}"
    );
    assert!(drawn.contains("/s"), "a rate: {drawn:?}");
    assert!(drawn.contains("ETA"), "time left: {drawn:?}");
    let quiet = on_terminal(&args(true)).unwrap();
    assert!(quiet.trim().is_empty(), "--quiet draws nothing: {quiet:?}");
    // Not a terminal: nothing on standard error either.
    let piped = run(&[
        "storage",
        "put",
        file.to_str().unwrap(),
        &local_url(&root, "box", "again.bin"),
    ])
    .ok();
    assert!(piped.stderr.is_empty(), "{:?}", piped.stderr);
}

#[test]
fn a_large_copy_keeps_memory_bounded() {
    const SIZE: u64 = 96 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let file = big_file(dir.path(), SIZE);
    run(&["storage", "mb", &local_url(&a, "src", "")]).ok();
    run(&["storage", "mb", &local_url(&b, "dst", "")]).ok();
    run(&[
        "storage",
        "put",
        file.to_str().unwrap(),
        &local_url(&a, "src", "big.bin"),
    ])
    .ok();
    let mut cmd = command();
    cmd.env("LIBCLOUD_REPORT_PEAK_MEMORY", "1").args([
        "storage",
        "cp",
        &local_url(&a, "src", "big.bin"),
        &local_url(&b, "dst", "big.bin"),
    ]);
    let done = run_command(cmd, None).ok();
    let kib: u64 = done
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("libcloud: peak memory "))
        .and_then(|v| v.trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak memory line: {:?}", done.stderr));
    assert!(
        kib < 48 * 1024,
        "copying {SIZE} bytes peaked at {kib} KiB: memory grows with the object"
    );
    let copied = std::fs::metadata(b.join("dst").join("big.bin")).unwrap();
    assert_eq!(copied.len(), SIZE);
}
