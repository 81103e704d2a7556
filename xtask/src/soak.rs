//! `cargo xtask soak`: the fault and secret tests, longer than CI runs them.
//!
//! CI runs every fault test once, with its default seed and a short random run (30 to 40
//! operations). The soak starts the emulators (unless `--no-emulators` says the environment
//! already names them, as after `set -a; . .emulators/env`), then runs the fault tests of every
//! crate that has them once per seed with `LIBCLOUD_FAULT_OPS` operations, and the secret and
//! TLS tests once. Each run appends its figures to `target/soak/report.jsonl`; at the end the
//! totals are printed: operations, faults injected, bytes checked, objects lost or corrupted,
//! and the longest time to a typed error. Any lost or corrupted object fails the soak.
//!
//! ```text
//! cargo xtask soak [--seeds N] [--first-seed S] [--ops N] [--no-emulators]
//! ```
//!
//! Defaults: 5 seeds from 1, 1,000 operations per random run.

use std::path::Path;
use std::time::Instant;

use crate::emulators;
use crate::{Result, cargo, root, run};

/// The test binaries (package, test filter) that take `LIBCLOUD_FAULT_SEED` and
/// `LIBCLOUD_FAULT_OPS`.
const FAULT_TESTS: &[(&str, &str)] = &[
    ("libcloud-s3", "faults::"),
    ("libcloud-openstack", "faults::"),
];

/// The tests that do not depend on a seed: the proxy's own, secrets and TLS.
const ONCE_TESTS: &[(&str, &str)] = &[
    ("libcloud-testkit", "fault::"),
    ("libcloud-ec2", "faults::"),
    ("libcloud-aws", "secrets::"),
    ("libcloud-s3", "secrets::"),
    ("libcloud-zerigo", "secrets::"),
    ("libcloud-gogrid", "secrets::"),
    ("libcloud-openstack", "secrets::"),
    ("libcloud-http", "tls::"),
];

struct Options {
    seeds: u64,
    first_seed: u64,
    ops: u64,
    emulators: bool,
}

fn parse(flags: &[&str]) -> Result<Options> {
    let mut options = Options {
        seeds: 5,
        first_seed: 1,
        ops: 1000,
        emulators: true,
    };
    let mut it = flags.iter();
    while let Some(flag) = it.next() {
        let mut number = |name: &str| -> Result<u64> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match *flag {
            "--seeds" => options.seeds = number("--seeds")?.max(1),
            "--first-seed" => options.first_seed = number("--first-seed")?,
            "--ops" => options.ops = number("--ops")?.max(1),
            "--no-emulators" => options.emulators = false,
            other => return Err(format!("soak: unknown flag {other}")),
        }
    }
    Ok(options)
}

/// Runs the soak; see the module documentation.
pub fn soak(flags: &[&str]) -> Result {
    let options = parse(flags)?;
    let root = root();
    let report_dir = root.join("target").join("soak");
    std::fs::create_dir_all(&report_dir).map_err(|e| format!("creating target/soak: {e}"))?;
    let report = report_dir.join("report.jsonl");
    let _ = std::fs::remove_file(&report);
    let env = if options.emulators {
        emulators::up(&root)?
    } else {
        Vec::new()
    };
    let started = Instant::now();
    let result = run_all(&options, &env, &report);
    if options.emulators {
        emulators::down(&root)?;
    }
    result?;
    summarize(&report, started.elapsed().as_secs_f64())
}

fn run_all(options: &Options, env: &emulators::Env, report: &Path) -> Result {
    let test = |package: &str, filter: &str, extra: &[(&str, String)]| {
        let mut cmd = cargo();
        cmd.args(["test", "-p", package, "--test", "it", "--", filter]);
        cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        cmd.env("LIBCLOUD_REQUIRE_LIVE", "1");
        cmd.env("LIBCLOUD_FAULT_REPORT", report);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd
    };
    for seed in options.first_seed..options.first_seed + options.seeds {
        for (package, filter) in FAULT_TESTS {
            let extra = [
                ("LIBCLOUD_FAULT_SEED", seed.to_string()),
                ("LIBCLOUD_FAULT_OPS", options.ops.to_string()),
            ];
            run(
                &format!("{package} {filter} seed {seed}, {} operations", options.ops),
                &mut test(package, filter, &extra),
            )?;
        }
    }
    for (package, filter) in ONCE_TESTS {
        run(
            &format!("{package} {filter}"),
            &mut test(package, filter, &[]),
        )?;
    }
    Ok(())
}

/// The number after `"key":` in a JSON line (the report's lines are flat for these keys).
fn number(line: &str, key: &str) -> u64 {
    let pattern = format!("\"{key}\":");
    line.find(&pattern)
        .map(|i| &line[i + pattern.len()..])
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0)
}

fn summarize(report: &Path, seconds: f64) -> Result {
    let text = std::fs::read_to_string(report).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let sum = |key: &str| lines.iter().map(|l| number(l, key)).sum::<u64>();
    let max = |key: &str| lines.iter().map(|l| number(l, key)).max().unwrap_or(0);
    let (lost, corrupted) = (sum("lost"), sum("corrupted"));
    println!("\nsoak: {} runs in {seconds:.0} s", lines.len());
    println!("  operations run          {}", sum("ops"));
    println!("  requests through proxy  {}", sum("requests"));
    println!("  faults injected         {}", sum("faults_injected"));
    println!("  bytes checked           {}", sum("bytes_checked"));
    println!("  objects lost            {lost}");
    println!("  objects corrupted       {corrupted}");
    println!("  worst time to an error  {} ms", max("worst_error_ms"));
    println!("  worst time to success   {} ms", max("worst_ok_ms"));
    println!("  report                  {}", report.display());
    if lines.is_empty() {
        return Err("soak: no run reported its figures".into());
    }
    if lost + corrupted > 0 {
        return Err(format!(
            "soak: {lost} objects lost and {corrupted} corrupted"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_from_report_lines() {
        let line = r#"{"bytes_checked":622887,"lost":0,"ops":30,"worst_error_ms":1520}"#;
        assert_eq!(number(line, "bytes_checked"), 622_887);
        assert_eq!(number(line, "ops"), 30);
        assert_eq!(number(line, "worst_error_ms"), 1520);
        assert_eq!(number(line, "missing"), 0);
    }

    #[test]
    fn flags() {
        let o = parse(&["--seeds", "2", "--ops", "50", "--no-emulators"]).unwrap();
        assert_eq!(
            (o.seeds, o.first_seed, o.ops, o.emulators),
            (2, 1, 50, false)
        );
        assert!(parse(&["--ops"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
