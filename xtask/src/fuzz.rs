//! `cargo xtask fuzz`: the fuzz targets, for longer than CI runs them.
//!
//! The targets exist in two forms:
//!
//! - proptest properties, in `crates/*/tests/it/<name>_props.rs`, drawing their inputs from
//!   the seed corpora in `tests/corpus/`. CI runs them with every `cargo test`, with proptest's
//!   default of 256 cases each (fewer for those that touch the disk). `cargo xtask fuzz
//!   [--cases N]` finds every such module and runs it with `PROPTEST_CASES=N` (20,000 by
//!   default). A failure is shrunk and saved in a `proptest-regressions` file beside the module;
//!   commit it with the fix, and every later run replays it.
//! - libFuzzer targets, in `fuzz/` (a workspace of its own), for coverage-guided runs with the
//!   address sanitizer. `cargo xtask fuzz --libfuzzer SECONDS` runs each target for that long
//!   with `cargo fuzz` (installed with `cargo install cargo-fuzz --locked`; the stable compiler
//!   takes its nightly flags through `RUSTC_BOOTSTRAP=1`), with memory capped (2 GiB in all,
//!   512 MiB for one allocation). Each grows its corpus in `fuzz/corpus/<target>/`; a crash is
//!   saved in `fuzz/artifacts/<target>/` and fails the run.
//!
//! ```text
//! cargo xtask fuzz [--cases N]
//! cargo xtask fuzz --libfuzzer SECONDS
//! ```

use std::path::Path;
use std::time::Instant;

use crate::{Result, cargo, root, run};

/// Every fuzz module: (package, module name), found as `crates/<package>/tests/it/*_props.rs`.
fn targets(root: &Path) -> Result<Vec<(String, String)>> {
    let crates = root.join("crates");
    let mut found = Vec::new();
    let entries = std::fs::read_dir(&crates).map_err(|e| format!("reading crates/: {e}"))?;
    for entry in entries.flatten() {
        let package = entry.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(entry.path().join("tests").join("it")) else {
            continue;
        };
        for file in files.flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if let Some(module) = name.strip_suffix("_props.rs") {
                found.push((package.clone(), format!("{module}_props")));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Runs the fuzz properties; see the module documentation.
pub fn fuzz(flags: &[&str]) -> Result {
    let cases = match flags {
        [] => 20_000,
        ["--cases", n] => n
            .parse::<u64>()
            .map_err(|_| format!("--cases needs a number, not {n}"))?,
        ["--libfuzzer", seconds] => {
            let seconds = seconds
                .parse::<u64>()
                .map_err(|_| format!("--libfuzzer needs a number of seconds, not {seconds}"))?;
            return libfuzzer(seconds);
        }
        other => return Err(format!("fuzz: unknown arguments {other:?}")),
    };
    let root = root();
    let targets = targets(&root)?;
    if targets.is_empty() {
        return Err("fuzz: no crates/*/tests/it/*_props.rs found".into());
    }
    let started = Instant::now();
    for (package, module) in &targets {
        let mut cmd = cargo();
        cmd.args(["test", "-p", package, "--test", "it", "--"])
            .arg(format!("{module}::"))
            .env("PROPTEST_CASES", cases.to_string());
        run(&format!("{package} {module}, {cases} cases each"), &mut cmd)?;
    }
    println!(
        "\nfuzz: {} modules, {cases} cases per property, {:.0} s, nothing found",
        targets.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The libFuzzer targets: the `[[bin]]` names of `fuzz/Cargo.toml`.
fn libfuzzer_targets(root: &Path) -> Result<Vec<String>> {
    let manifest = root.join("fuzz").join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("reading {}: {e}", manifest.display()))?;
    let mut targets = Vec::new();
    let mut in_bin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(value) = line.strip_prefix("name") {
            let name = value
                .trim()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"');
            targets.push(name.to_string());
        }
    }
    Ok(targets)
}

/// Runs every libFuzzer target for `seconds`; see the module documentation.
fn libfuzzer(seconds: u64) -> Result {
    let root = root();
    let installed = cargo()
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        return Err("fuzz --libfuzzer needs cargo-fuzz: cargo install cargo-fuzz --locked".into());
    }
    let targets = libfuzzer_targets(&root)?;
    let started = Instant::now();
    for target in &targets {
        let corpus = root.join("fuzz").join("corpus").join(target);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("creating {}: {e}", corpus.display()))?;
        let mut cmd = cargo();
        cmd.env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", target.as_str()])
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .args(["-rss_limit_mb=2048", "-malloc_limit_mb=512", "-timeout=20"]);
        run(
            &format!("cargo fuzz run {target} for {seconds} s"),
            &mut cmd,
        )?;
    }
    println!(
        "\nfuzz: {} libFuzzer targets, {seconds} s each, {:.0} s, nothing found",
        targets.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_fuzz_modules_of_this_workspace() {
        let found = targets(&root()).unwrap();
        assert!(
            found
                .iter()
                .any(|(p, m)| p == "libcloud-local" && m == "name_props"),
            "{found:?}"
        );
        let targets = libfuzzer_targets(&root()).unwrap();
        assert!(targets.iter().any(|t| t == "s3_xml"), "{targets:?}");
        assert!(targets.iter().all(|t| !t.is_empty() && !t.contains('"')));
    }
}
