//! `cargo xtask fuzz`: the fuzz properties, with many more cases than CI gives them.
//!
//! Every crate's fuzz properties live in `tests/it/<name>_props.rs` (response parsers, the
//! local driver's names) and draw their inputs from the seed corpora in `tests/corpus/`. CI runs
//! them as part of the test suite with proptest's default of 256 cases each (fewer for those
//! that touch the disk). This command finds every such module, and runs each with
//! `PROPTEST_CASES` set to `--cases` (default 20,000). A failure is shrunk by proptest and saved
//! in a `proptest-regressions` file beside the module; commit it, fix the bug, and the case is
//! replayed by every later run.
//!
//! ```text
//! cargo xtask fuzz [--cases N]
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
    }
}
