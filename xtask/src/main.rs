//! Project automation, run as `cargo xtask <command>`.
//!
//! - `ci`: what continuous integration runs: format check, clippy with warnings denied, the
//!   dependency check of the facade's lean build, the test suite (with the emulators up), the
//!   quickstart example, and the docs with warnings denied.
//! - `emulators up|down|status`: the local stand-ins for the clouds that live tests talk to.
//!   `up` starts each on 127.0.0.1, waits until it answers and writes the variables tests read
//!   to `.emulators/env`; it fails if one does not come up.
//! - `bench s3 [--quick] [--repeat N]`: the S3 benchmark (libcloud-s3 against object_store, Apache Libcloud
//!   and a raw client on Garage and moto); the full run rewrites its section of `docs/benchmarks.md`.
//! - `bench aws [--quick] [--repeat N]`: the AWS benchmark (libcloud's EC2, Route 53 and ELB
//!   drivers against boto3, Apache Libcloud and a raw client on a moto of its own); the full run
//!   rewrites its section of `docs/benchmarks.md`.
//! - `soak [--seeds N] [--ops N] [--no-emulators]`: the fault and secret tests, longer than CI
//!   runs them, with the totals of faults injected, bytes checked and objects lost.
//! - `fuzz [--cases N]`: every fuzz property (`crates/*/tests/it/*_props.rs`) with many cases.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod bench;
mod emulators;
mod fuzz;
mod soak;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["ci"] => ci(),
        ["emulators", "up"] => emulators::up(&root()).map(|_| ()),
        ["emulators", "down"] => emulators::down(&root()),
        ["emulators", "status"] => emulators::status(&root()),
        ["bench", "s3", flags @ ..] => bench::s3(flags),
        ["bench", "aws", flags @ ..] => bench::aws(flags),
        ["soak", flags @ ..] => soak::soak(flags),
        ["fuzz", flags @ ..] => fuzz::fuzz(flags),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n\
                 commands:\n  \
                 ci                 format check, clippy, tests (with emulators), example, docs\n  \
                 emulators up       start the local cloud stand-ins the live tests use\n  \
                 emulators down     stop them\n  \
                 emulators status   show which are running\n  \
                 bench s3           S3 benchmark [--quick] [--repeat N]; writes docs/benchmarks.md\n  \
                 bench aws          EC2, Route 53 and ELB benchmark on moto [--quick] [--repeat N]\n  \
                 soak               fault and secret tests, long [--seeds N] [--ops N] [--no-emulators]\n  \
                 fuzz               fuzz properties with many cases [--cases N]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

fn run(step: &str, cmd: &mut Command) -> Result {
    println!("\n==> {step}");
    let started = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("{step}: could not start: {e}"))?;
    println!(
        "<== {step}: {} in {:.1} s",
        if status.success() { "ok" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

fn ci() -> Result {
    let root = root();
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
    run(
        "cargo clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    lean_facade_check()?;
    let env = emulators::up(&root)?;
    let tests = {
        let mut cmd = cargo();
        cmd.args(["test", "--workspace", "--all-features", "--locked"]);
        cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        // Live tests fail instead of skipping when their server is missing.
        cmd.env("LIBCLOUD_REQUIRE_LIVE", "1");
        run("cargo test --workspace --all-features", &mut cmd)
    };
    let down = emulators::down(&root);
    tests?;
    down?;
    run(
        "quickstart example",
        cargo().args([
            "run",
            "--locked",
            "-p",
            "libcloud",
            "--example",
            "quickstart",
        ]),
    )?;
    run(
        "cargo doc",
        cargo()
            .args([
                "doc",
                "--workspace",
                "--all-features",
                "--no-deps",
                "--locked",
            ])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    println!("\nci: all steps passed");
    Ok(())
}

/// The facade with only local storage must not pull in an HTTP client.
fn lean_facade_check() -> Result {
    println!("\n==> lean facade: cargo tree -p libcloud --no-default-features --features local");
    let out = cargo()
        .args([
            "tree",
            "-p",
            "libcloud",
            "--no-default-features",
            "--features",
            "local",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let tree = String::from_utf8_lossy(&out.stdout);
    let heavy: Vec<&str> = tree
        .lines()
        .filter(|l| {
            ["hyper ", "hyper-util ", "rustls ", "ring "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    if heavy.is_empty() {
        println!(
            "<== lean facade: ok ({} crates, no HTTP client)",
            tree.lines().count()
        );
        Ok(())
    } else {
        Err(format!(
            "the local-only facade depends on: {}",
            heavy.join(", ")
        ))
    }
}
