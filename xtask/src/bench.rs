//! `cargo xtask bench s3`: the S3 benchmark, libcloud against object_store, Apache Libcloud and a
//! minimal raw client, on the same local servers in one run.
//!
//! The Rust clients are the `libcloud-bench` binary of the separate `bench/` workspace (built
//! here in release mode), Apache Libcloud is `bench/python/libcloud_bench.py` in a cached virtual
//! environment. Every run of a client is its own process, which times only the operation and
//! reports its own peak resident set (`VmHWM`), so one run's memory never counts against the
//! next. Each operation is first run once unrecorded (to warm the server), then repeated in
//! rounds across the clients, each round starting with another client; the median is kept.
//!
//! The full run rewrites `docs/benchmarks.md`; `--quick` uses small sizes and one repetition, to
//! check that everything works, and writes nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::emulators::{self, Context};
use crate::{Result, cargo, root, run};

/// The Apache Libcloud release compared against.
const LIBCLOUD_PY: &str = "apache-libcloud==3.9.1";

/// The boto3 release compared against in the AWS benchmark (the one moto 5.2.5 installs).
const BOTO3: &str = "boto3==1.44.8";

/// What the benchmarks' Python virtual environment holds; one list for both benchmarks, so
/// that neither reinstalls it for the other.
const PYTHON_CLIENTS: [&str; 2] = [LIBCLOUD_PY, BOTO3];

/// The longest one client run may take before it is killed and the benchmark fails.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

/// libcloud's multipart defaults (`MultipartConfig`), for the memory target.
const PART_SIZE: u64 = 8 * MIB;
/// Parts in flight in libcloud's multipart writer by default.
const PART_CONCURRENCY: u64 = 4;

const MIB: u64 = 1024 * 1024;

/// The crates of this repository whose code the libcloud client runs.
const MEASURED_CRATES: [&str; 4] = [
    "libcloud-core",
    "libcloud-http",
    "libcloud-aws",
    "libcloud-s3",
];

/// The sizes of one benchmark run.
struct Plan {
    /// Bytes of the streamed upload and download.
    big: u64,
    /// Objects in the listed prefix.
    listed: usize,
    /// Small PUTs per run.
    puts: usize,
    /// Bytes per small PUT.
    small: u64,
    /// Small PUTs in flight in the concurrent run.
    in_flight: usize,
    /// Runs per client and operation.
    repeat: usize,
}

impl Plan {
    fn full() -> Self {
        Plan {
            big: 256 * MIB,
            listed: 2_000,
            puts: 200,
            small: 4 * 1024,
            in_flight: 16,
            repeat: 3,
        }
    }

    fn quick() -> Self {
        Plan {
            big: 24 * MIB,
            listed: 300,
            puts: 30,
            small: 4 * 1024,
            in_flight: 16,
            repeat: 1,
        }
    }
}

/// A server under test.
struct Server {
    name: &'static str,
    endpoint: String,
    region: String,
    access_key: String,
    secret_key: String,
}

/// A client under test.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ClientId {
    Raw,
    Libcloud,
    ObjectStore,
    LibcloudPy,
}

impl ClientId {
    const ALL: [ClientId; 4] = [
        ClientId::Raw,
        ClientId::Libcloud,
        ClientId::ObjectStore,
        ClientId::LibcloudPy,
    ];

    /// The name the benchmark programs know it by.
    fn flag(self) -> &'static str {
        match self {
            ClientId::Raw => "raw",
            ClientId::Libcloud => "libcloud",
            ClientId::ObjectStore => "object_store",
            ClientId::LibcloudPy => "libcloud-py",
        }
    }

    /// Its column title.
    fn title(self) -> &'static str {
        match self {
            ClientId::Raw => "raw (hyper + aws-sigv4)",
            ClientId::Libcloud => "libcloud-s3",
            ClientId::ObjectStore => "object_store 0.14",
            ClientId::LibcloudPy => "Apache Libcloud 3.9.1",
        }
    }
}

/// An operation under test.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum OpId {
    Upload,
    Download,
    List,
    PutSeq,
    PutPar,
}

impl OpId {
    const ALL: [OpId; 5] = [
        OpId::Upload,
        OpId::Download,
        OpId::List,
        OpId::PutSeq,
        OpId::PutPar,
    ];

    fn title(self, plan: &Plan) -> String {
        match self {
            OpId::Upload => format!("upload {} MiB (streamed)", plan.big / MIB),
            OpId::Download => format!("download {} MiB (streamed)", plan.big / MIB),
            OpId::List => format!("list {} objects", plan.listed),
            OpId::PutSeq => format!(
                "{} PUTs of {} KiB, sequential",
                plan.puts,
                plan.small / 1024
            ),
            OpId::PutPar => format!(
                "{} PUTs of {} KiB, {} in flight",
                plan.puts,
                plan.small / 1024,
                plan.in_flight
            ),
        }
    }

    /// The flags of one run of this operation by `client`.
    fn args(self, plan: &Plan, client: ClientId) -> Vec<String> {
        let c = client.flag();
        let v: Vec<String> = match self {
            OpId::Upload => vec![
                "--op".into(),
                "upload".into(),
                "--key".into(),
                format!("upload-{c}"),
                "--size".into(),
                plan.big.to_string(),
            ],
            OpId::Download => vec![
                "--op".into(),
                "download".into(),
                "--key".into(),
                "big".into(),
                "--size".into(),
                plan.big.to_string(),
            ],
            OpId::List => vec![
                "--op".into(),
                "list".into(),
                "--prefix".into(),
                "list/".into(),
                "--count".into(),
                plan.listed.to_string(),
            ],
            OpId::PutSeq | OpId::PutPar => vec![
                "--op".into(),
                if self == OpId::PutSeq {
                    "put-seq"
                } else {
                    "put-par"
                }
                .into(),
                "--prefix".into(),
                format!("small/{c}/"),
                "--size".into(),
                plan.small.to_string(),
                "--count".into(),
                plan.puts.to_string(),
                "--concurrency".into(),
                plan.in_flight.to_string(),
            ],
        };
        v
    }
}

/// One measured run.
#[derive(Clone, Copy)]
struct Sample {
    seconds: f64,
    peak_rss_kib: u64,
}

/// How to start the clients.
struct Programs {
    rust: PathBuf,
    python: PathBuf,
    script: PathBuf,
}

impl Programs {
    fn command(&self, client: ClientId, server: &Server) -> Command {
        let mut cmd = if client == ClientId::LibcloudPy {
            let mut cmd = Command::new(&self.python);
            cmd.arg(&self.script);
            cmd
        } else {
            Command::new(&self.rust)
        };
        cmd.args(["--client", client.flag()])
            .args(["--endpoint", &server.endpoint])
            .args(["--region", &server.region])
            .args(["--access-key", &server.access_key])
            .args(["--secret-key", &server.secret_key])
            .args(["--bucket", "bench"]);
        cmd
    }
}

/// Runs one client process to completion (or kills it after [`RUN_TIMEOUT`]) and reads the
/// line of JSON it prints.
fn measure(mut cmd: Command, what: &str) -> Result<Sample> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{what}: starting {cmd:?}: {e}"))?;
    let deadline = Instant::now() + RUN_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{what}: no result after {} s, stopped",
                    RUN_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("{what}: waiting: {e}")),
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{what}: reading its output: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let line = stdout.lines().last().unwrap_or_default();
    let seconds =
        json_number(line, "seconds").ok_or_else(|| format!("{what}: no seconds in {line:?}"))?;
    let peak = json_number(line, "peak_rss_kib")
        .ok_or_else(|| format!("{what}: no peak_rss_kib in {line:?}"))?;
    Ok(Sample {
        seconds,
        // A KiB count that came through an f64: exact far beyond any real memory size.
        peak_rss_kib: peak.max(0.0).round() as u64,
    })
}

/// The number after `"name":` in a flat line of JSON.
fn json_number(line: &str, name: &str) -> Option<f64> {
    let key = format!("\"{name}\":");
    let start = line.find(&key)? + key.len();
    let rest = &line[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Runs every client `repeat` times in rounds, each round starting with another client so that
/// none is always first, and sums up each client's runs: the median time, the spread and the
/// highest peak RSS. `what` names a run for the log, `command` builds it.
fn rounds<C: Copy + Ord>(
    clients: &[C],
    repeat: usize,
    what: impl Fn(C, usize) -> String,
    mut command: impl FnMut(C, usize) -> Command,
) -> Result<BTreeMap<C, Figure>> {
    let mut samples: BTreeMap<C, Vec<Sample>> = BTreeMap::new();
    for round in 0..repeat {
        let mut order = clients.to_vec();
        let len = order.len();
        if len > 0 {
            order.rotate_left(round % len);
        }
        for client in order {
            let what = what(client, round);
            let sample = measure(command(client, round), &what)?;
            println!(
                "{what}: {:.3} s, peak RSS {:.1} MiB",
                sample.seconds,
                sample.peak_rss_kib as f64 / 1024.0
            );
            samples.entry(client).or_default().push(sample);
        }
    }
    Ok(samples
        .into_iter()
        .map(|(client, runs)| (client, summarize(&runs)))
        .collect())
}

/// The median time, the spread and the highest peak RSS of some runs.
fn summarize(runs: &[Sample]) -> Figure {
    let mut seconds: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
    let rss = runs.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
    let mid = median(&mut seconds);
    let fast = seconds.first().copied().unwrap_or(mid);
    let slow = seconds.last().copied().unwrap_or(mid);
    Figure {
        seconds: mid,
        spread: (slow - fast) / 2.0 / mid,
        rss_mib: rss as f64 / 1024.0,
    }
}

/// The figures of one client on one operation.
#[derive(Clone, Copy)]
struct Figure {
    /// Median seconds.
    seconds: f64,
    /// Half the distance between the slowest and the fastest run, relative to the median.
    spread: f64,
    /// Highest peak RSS of the runs, in MiB.
    rss_mib: f64,
}

impl Figure {
    /// A results-table cell: the median, its spread, the ratio to the raw client's median and
    /// the speed.
    fn time_cell(&self, raw: f64, rate: &str) -> String {
        format!(
            " {:.3} s ±{:.0} % ({:.2}) {rate} |",
            self.seconds,
            self.spread * 100.0,
            self.seconds / raw
        )
    }

    /// A peak-memory table cell.
    fn rss_cell(&self) -> String {
        format!(" {:.1} |", self.rss_mib)
    }
}

/// The header and rule rows of a table with an operation column and one column per client.
fn table_head<'a>(clients: impl Iterator<Item = &'a str>) -> (String, String) {
    let mut header = String::from("| operation |");
    let mut rule = String::from("|---|");
    for title in clients {
        let _ = write!(header, " {title} |");
        rule.push_str("---:|");
    }
    (header, rule)
}

type Results = BTreeMap<(usize, OpId, ClientId), Figure>;

/// Runs the benchmark: `cargo xtask bench s3 [--quick] [--repeat N]`.
pub fn s3(flags: &[&str]) -> Result {
    let (quick, repeat) = bench_flags("s3", flags)?;
    let root = root();
    let mut plan = if quick { Plan::quick() } else { Plan::full() };
    if let Some(n) = repeat {
        plan.repeat = n;
    }
    let load_before = load_average();
    run(
        "build the benchmark clients (release)",
        // Not --locked: the lock file pins the third-party clients, and may need a new entry
        // when a libcloud crate the clients use gains a dependency.
        cargo().args(["build", "--release", "--manifest-path", "bench/Cargo.toml"]),
    )?;
    let ctx = Context {
        state: root.join(".emulators"),
        tools: emulators::tools_dir(),
    };
    std::fs::create_dir_all(&ctx.tools)
        .map_err(|e| format!("creating {}: {e}", ctx.tools.display()))?;
    let venv = emulators::python_venv(&ctx, "libcloud-py", &PYTHON_CLIENTS)?;
    let programs = Programs {
        rust: root.join("bench/target/release/libcloud-bench"),
        python: venv.join("python"),
        script: root.join("bench/python/libcloud_bench.py"),
    };

    let env = emulators::up(&root)?;
    let outcome = run_all(&plan, &programs, &env);
    let down = emulators::down(&root);
    let (servers, results) = outcome?;
    down?;

    let load = format!("{load_before} before the run, {} after", load_average());
    let machine = machine(&root, &programs, &ctx, &load)?;
    let tables = report(&plan, &servers, &results);
    println!("\n{tables}");
    if quick {
        println!("bench: quick run, docs/benchmarks.md left as it is");
    } else {
        write_section(&root, S3_HEADING, &page(&plan, &machine, &tables))?;
    }
    Ok(())
}

fn var(env: &emulators::Env, name: &str) -> Result<String> {
    env.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .ok_or_else(|| format!("the emulators did not set {name}"))
}

fn run_all(
    plan: &Plan,
    programs: &Programs,
    env: &emulators::Env,
) -> Result<(Vec<Server>, Results)> {
    let servers = vec![
        Server {
            name: "Garage",
            endpoint: var(env, "LIBCLOUD_TEST_GARAGE_ENDPOINT")?,
            region: var(env, "LIBCLOUD_TEST_GARAGE_REGION")?,
            access_key: var(env, "LIBCLOUD_TEST_GARAGE_ACCESS_KEY")?,
            secret_key: var(env, "LIBCLOUD_TEST_GARAGE_SECRET_KEY")?,
        },
        Server {
            name: "moto",
            endpoint: var(env, "LIBCLOUD_TEST_MOTO_ENDPOINT")?,
            region: "us-east-1".into(),
            access_key: "bench".into(),
            secret_key: "bench".into(),
        },
    ];
    let mut results = Results::new();
    for (s, server) in servers.iter().enumerate() {
        println!("\n==> {}: preparing the bucket", server.name);
        let mut prepare = programs.command(ClientId::Raw, server);
        prepare.args([
            "--op",
            "prepare",
            "--key",
            "big",
            "--size",
            &plan.big.to_string(),
            "--prefix",
            "list/",
            "--count",
            &plan.listed.to_string(),
        ]);
        measure(prepare, &format!("{}: prepare", server.name))?;
        for op in OpId::ALL {
            // One unrecorded run first, so that no client pays for the server's cold start.
            let mut warm_up = programs.command(ClientId::Raw, server);
            warm_up.args(op.args(plan, ClientId::Raw));
            measure(
                warm_up,
                &format!("{}: warm-up for {}", server.name, op.title(plan)),
            )?;
            let figures = rounds(
                &ClientId::ALL,
                plan.repeat,
                |client, round| {
                    format!(
                        "{}: {} with {} (run {})",
                        server.name,
                        op.title(plan),
                        client.flag(),
                        round + 1
                    )
                },
                |client, _| {
                    let mut cmd = programs.command(client, server);
                    cmd.args(op.args(plan, client));
                    cmd
                },
            )?;
            for (client, figure) in figures {
                results.insert((s, op, client), figure);
            }
        }
    }
    Ok((servers, results))
}

/// The speed of an operation for humans: throughput for the big transfers, requests per second
/// for the small PUTs, objects per second for listing.
fn rate(plan: &Plan, op: OpId, seconds: f64) -> String {
    match op {
        OpId::Upload | OpId::Download => {
            format!("{:.0} MiB/s", plan.big as f64 / MIB as f64 / seconds)
        }
        OpId::List => format!("{:.0} obj/s", plan.listed as f64 / seconds),
        OpId::PutSeq | OpId::PutPar => format!("{:.0} req/s", plan.puts as f64 / seconds),
    }
}

/// The result tables and the targets, as Markdown.
fn report(plan: &Plan, servers: &[Server], results: &Results) -> String {
    let mut out = String::new();
    let rss_limit = (PART_SIZE * (PART_CONCURRENCY + 2)) as f64 / MIB as f64 + 32.0;
    for (s, server) in servers.iter().enumerate() {
        let get = |op, client| results.get(&(s, op, client)).copied();
        let _ = writeln!(out, "#### {}\n", server.name);
        let _ = writeln!(
            out,
            "Median time of {} run(s) ± half the range between the fastest and the slowest; in \
             brackets, the median relative to the raw client's on the same server (1.00 = as \
             fast as the floor, 1.10 = 10 % slower); then the speed at the median.\n",
            plan.repeat
        );
        let (header, rule) = table_head(ClientId::ALL.iter().map(|c| c.title()));
        let _ = writeln!(out, "{header}\n{rule}");
        for op in OpId::ALL {
            let raw = get(op, ClientId::Raw).map(|f| f.seconds);
            let mut row = format!("| {} |", op.title(plan));
            for client in ClientId::ALL {
                match (get(op, client), raw) {
                    (Some(f), Some(raw)) => {
                        row.push_str(&f.time_cell(raw, &rate(plan, op, f.seconds)));
                    }
                    _ => row.push_str(" n/a |"),
                }
            }
            let _ = writeln!(out, "{row}");
        }
        let _ = writeln!(
            out,
            "\nClient peak RSS (MiB, highest of the runs; the Python figure includes the \
             interpreter):\n\n{header}\n{rule}"
        );
        for op in OpId::ALL {
            let mut row = format!("| {} |", op.title(plan));
            for client in ClientId::ALL {
                match get(op, client) {
                    Some(f) => {
                        row.push_str(&f.rss_cell());
                    }
                    None => row.push_str(" n/a |"),
                }
            }
            let _ = writeln!(out, "{row}");
        }

        let _ = writeln!(
            out,
            "\nTargets for libcloud-s3 on {}:\n\n| target | measured | met |\n|---|---|---|",
            server.name
        );
        let mark = |ok: bool| if ok { "yes" } else { "**no**" };
        for op in OpId::ALL {
            let (Some(lib), Some(raw), Some(os)) = (
                get(op, ClientId::Libcloud),
                get(op, ClientId::Raw),
                get(op, ClientId::ObjectStore),
            ) else {
                continue;
            };
            let vs_raw = lib.seconds / raw.seconds;
            let _ = writeln!(
                out,
                "| {}: within 10 % of raw | {:.2} x raw | {} |",
                op.title(plan),
                vs_raw,
                mark(vs_raw <= 1.10)
            );
            let vs_os = lib.seconds / os.seconds;
            let _ = writeln!(
                out,
                "| {}: at least object_store's speed | {:.2} x object_store's time | {} |",
                op.title(plan),
                vs_os,
                mark(vs_os <= 1.0)
            );
        }
        if let (Some(lib), Some(py)) = (
            get(OpId::Upload, ClientId::Libcloud),
            get(OpId::Upload, ClientId::LibcloudPy),
        ) {
            let speedup = py.seconds / lib.seconds;
            let _ = writeln!(
                out,
                "| upload: at least 3x Apache Libcloud | {speedup:.1}x | {} |",
                mark(speedup >= 3.0)
            );
            let _ = writeln!(
                out,
                "| upload: peak RSS <= part size x (concurrency + 2) + 32 MiB = {rss_limit:.0} MiB | {:.1} MiB | {} |",
                lib.rss_mib,
                mark(lib.rss_mib <= rss_limit)
            );
        }
        out.push('\n');
    }
    out
}

/// The machine and the versions, as Markdown lines.
/// The 1, 5 and 15 minute load averages, from `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

fn machine(root: &Path, programs: &Programs, ctx: &Context, load: &str) -> Result<String> {
    let common = machine_lines(root, &MEASURED_CRATES, load);
    let python = output(Command::new(&programs.python).arg("--version"));
    let garage = output(Command::new(ctx.tools.join("garage/bin/garage")).arg("--version"));
    let moto = output(
        Command::new(ctx.tools.join("moto-venv/bin/python"))
            .args(["-c", "import moto; print(moto.__version__)"]),
    );
    let libcloud_py = output(
        Command::new(&programs.python).args(["-c", "import libcloud; print(libcloud.__version__)"]),
    );
    let lock = std::fs::read_to_string(root.join("bench/Cargo.lock")).unwrap_or_default();
    Ok(format!(
        "{common}\
         - object_store {}, hyper {}, aws-sigv4 {} (from `bench/Cargo.lock`)\n\
         - Apache Libcloud {libcloud_py} on {python}\n\
         - servers: {garage}; moto {moto}\n",
        locked(&lock, "object_store"),
        locked(&lock, "hyper"),
        locked(&lock, "aws-sigv4"),
    ))
}

/// A command's standard output, trimmed, or `unknown` when it fails.
fn output(cmd: &mut Command) -> String {
    cmd.stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The version of the package `name` in a `Cargo.lock`'s text.
fn locked(lock: &str, name: &str) -> String {
    let key = format!("name = \"{name}\"\nversion = \"");
    lock.find(&key)
        .map(|i| &lock[i + key.len()..])
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("unknown")
        .to_string()
}

/// The lines both benchmarks give about the machine: CPU, memory, kernel, load, the commit
/// (and whether `crates` had uncommitted changes) and the compiler.
fn machine_lines(root: &Path, crates: &[&str], load: &str) -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = read("/proc/meminfo");
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(
            || "unknown".into(),
            |kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0),
        );
    let kernel = read("/proc/sys/kernel/osrelease").trim().to_string();
    let rustc = output(
        Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())).arg("--version"),
    );
    let commit =
        output(
            Command::new("git")
                .current_dir(root)
                .args(["rev-parse", "--short", "HEAD"]),
        );
    let changed = Command::new("git")
        .current_dir(root)
        .args(["status", "--porcelain", "--"])
        .args(crates.iter().map(|c| format!("crates/{c}/src")))
        .output()
        .is_ok_and(|o| !o.stdout.is_empty());
    let commit = if changed {
        format!("{commit} with uncommitted changes")
    } else {
        commit
    };
    format!(
        "- CPU: {cpu}, {cores} logical cores (`nproc`), shared by the clients and the servers\n\
         - memory: {memory}; Linux {kernel}\n\
         - load average (1, 5, 15 min): {load}; other work on the machine shows up as spread\n\
         - libcloud at commit {commit}; {rustc}; release profile\n"
    )
}

/// The heading of the S3 section of `docs/benchmarks.md`.
const S3_HEADING: &str =
    "## S3: libcloud-s3 against object_store, Apache Libcloud and a raw client";

/// The top of `docs/benchmarks.md`, above the sections.
const PAGE_HEAD: &str = "# Benchmarks\n\
     \n\
     This page is written by `cargo xtask bench s3` and `cargo xtask bench aws`; each rewrites\n\
     its own section and keeps the other. Run them again to measure your own machine. Do not\n\
     edit the figures by hand.\n\
     \n";

/// Replaces (or adds) the section that starts with `heading` in `docs/benchmarks.md`, keeping
/// the other sections as they are.
fn write_section(root: &Path, heading: &str, section: &str) -> Result {
    let path = root.join("docs/benchmarks.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let page = with_section(&old, heading, section);
    std::fs::write(&path, page).map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("bench: wrote the section {heading:?} of docs/benchmarks.md");
    Ok(())
}

/// `page` with its `## ` section titled `heading` replaced by `section` (which starts with
/// that heading), or `section` added at the end; the page's head is [`PAGE_HEAD`].
fn with_section(page: &str, heading: &str, section: &str) -> String {
    let mut sections: Vec<String> = Vec::new();
    for line in page.lines() {
        if line.starts_with("## ") {
            sections.push(String::new());
        }
        if let Some(current) = sections.last_mut() {
            current.push_str(line);
            current.push('\n');
        }
    }
    let mut out = String::from(PAGE_HEAD);
    let mut placed = false;
    for old in &sections {
        if old.lines().next() == Some(heading) {
            out.push_str(section);
            placed = true;
        } else {
            out.push_str(old);
        }
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
    }
    if !placed {
        out.push_str(section);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The S3 section of `docs/benchmarks.md`.
fn page(plan: &Plan, machine: &str, tables: &str) -> String {
    let rss_limit = PART_SIZE * (PART_CONCURRENCY + 2) / MIB + 32;
    format!(
        "{S3_HEADING}\n\
         \n\
         ### Method\n\
         \n\
         - Servers, both on 127.0.0.1 and started by `cargo xtask emulators up`: Garage (a\n  \
           production S3 server: one node, LMDB metadata, data on the local disk, signatures\n  \
           checked) and moto (Python, objects in memory, signatures not checked). Only the\n  \
           comparison between clients on the same server means anything; the two servers differ\n  \
           far more than the clients do.\n\
         - Clients, each run in a process of its own:\n  \
           - **raw**: hyper's HTTP/1 client and `aws-sigv4`, no library around them, every body\n    \
             sent as `UNSIGNED-PAYLOAD`, responses read with string searches. It shows what the\n    \
             server allows. Its streamed upload is a multipart upload with libcloud's part size\n    \
             and concurrency ({part} MiB, {conc} in flight).\n  \
           - **libcloud-s3**: `S3Storage` with its defaults, through the `StorageDriver` API\n    \
             (`upload_object_via_stream`, `download_object_as_stream`,\n    \
             `iterate_container_objects`).\n  \
           - **object_store**: `AmazonS3Builder` with its defaults (plus the endpoint, HTTP\n    \
             allowed and the credentials), built with ring instead of aws-lc-rs; streamed\n    \
             uploads through its `BufWriter` (10 MiB parts, 8 in flight).\n  \
           - **Apache Libcloud**: the generic S3 driver (`MinIOStorageDriver`, its region set to\n    \
             the server's) from PyPI; uploads with `upload_object_via_stream` (5 MiB parts, one\n    \
             at a time), concurrent PUTs from a pool of threads, one driver per thread.\n\
         - Operations: a streamed upload and download of {big} MiB (generated data: 64 KiB\n  \
           chunks that never repeat, so nothing compresses or deduplicates); listing a prefix of\n  \
           {listed} objects; {puts} PUTs of {small} KiB one after the other, and the same with\n  \
           {in_flight} in flight. The clients check the result (sizes, counts) after the clock\n  \
           stops; a wrong result fails the run.\n\
         - Each client times only the operation itself (not its start-up). Each operation is run\n  \
           once unrecorded to warm the server, then {repeat} times per client in rounds (each\n  \
           round begins with another client), and the median is reported, with ± half the\n  \
           range between the fastest and the slowest run.\n\
         - Peak memory is the client process's peak resident set, `VmHWM` from\n  \
           `/proc/self/status`, read by the client just before it exits; the highest of the runs\n  \
           is reported.\n\
         - The targets: every operation within 10 % of the raw client's time on the same server\n  \
           and no slower than object_store; the upload at least 3 times as fast as Apache\n  \
           Libcloud's; the upload's peak RSS at most part size x (concurrency + 2) + 32 MiB =\n  \
           {rss_limit} MiB with the default {part} MiB parts, {conc} in flight. A missed target is\n  \
           shown as **no**.\n\
         \n\
         ### Machine\n\
         \n\
         {machine}\
         \n\
         ### Results\n\
         \n\
         {tables}",
        part = PART_SIZE / MIB,
        conc = PART_CONCURRENCY,
        big = plan.big / MIB,
        listed = plan.listed,
        puts = plan.puts,
        small = plan.small / 1024,
        in_flight = plan.in_flight,
        repeat = plan.repeat,
    )
}

// ---------------------------------------------------------------------------------------------
// `cargo xtask bench aws`
// ---------------------------------------------------------------------------------------------

/// The moto release the AWS benchmark runs, installed in the same cached environment as the
/// emulators' (the requirement must stay identical to `emulators/moto.rs`'s, or one would
/// reinstall the other's; a test checks it).
const MOTO: &str = "moto[server]==5.2.5";

/// The peak RSS libcloud's client must stay under in every AWS operation.
const AWS_RSS_LIMIT_MIB: f64 = 16.0;

/// The sizes of one AWS benchmark run.
struct AwsPlan {
    /// Instances listed (and started by the preparation).
    instances: usize,
    /// Instances created and rebooted one after the other.
    creates: usize,
    /// Records created, and listed.
    records: usize,
    /// Instances attached to a balancer.
    attach: usize,
    /// Runs per client and operation.
    repeat: usize,
}

impl AwsPlan {
    fn full() -> Self {
        AwsPlan {
            instances: 200,
            creates: 20,
            records: 1_000,
            attach: 50,
            repeat: 3,
        }
    }

    fn quick() -> Self {
        AwsPlan {
            instances: 30,
            creates: 3,
            records: 60,
            attach: 5,
            repeat: 1,
        }
    }
}

/// A client of the AWS benchmark.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AwsClient {
    Raw,
    Libcloud,
    Boto3,
    LibcloudPy,
}

impl AwsClient {
    const ALL: [AwsClient; 4] = [
        AwsClient::Raw,
        AwsClient::Libcloud,
        AwsClient::Boto3,
        AwsClient::LibcloudPy,
    ];

    fn flag(self) -> &'static str {
        match self {
            AwsClient::Raw => "raw",
            AwsClient::Libcloud => "libcloud",
            AwsClient::Boto3 => "boto3",
            AwsClient::LibcloudPy => "libcloud-py",
        }
    }

    fn title(self) -> &'static str {
        match self {
            AwsClient::Raw => "raw (hyper + aws-sigv4)",
            AwsClient::Libcloud => "libcloud",
            AwsClient::Boto3 => "boto3 1.44",
            AwsClient::LibcloudPy => "Apache Libcloud 3.9.1",
        }
    }

    fn is_python(self) -> bool {
        matches!(self, AwsClient::Boto3 | AwsClient::LibcloudPy)
    }
}

/// An operation of the AWS benchmark.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AwsOp {
    List,
    CreateReboot,
    DnsEach,
    DnsBatch,
    DnsList,
    Attach,
}

impl AwsOp {
    const ALL: [AwsOp; 6] = [
        AwsOp::List,
        AwsOp::CreateReboot,
        AwsOp::DnsEach,
        AwsOp::DnsBatch,
        AwsOp::DnsList,
        AwsOp::Attach,
    ];

    /// The operation's name for the benchmark programs.
    fn flag(self) -> &'static str {
        match self {
            AwsOp::List => "ec2-list",
            AwsOp::CreateReboot => "ec2-create-reboot",
            AwsOp::DnsEach => "dns-create-each",
            AwsOp::DnsBatch => "dns-create-batch",
            AwsOp::DnsList => "dns-list",
            AwsOp::Attach => "elb-attach",
        }
    }

    /// The region EC2 and ELB calls go to: the created instances go to another region than the
    /// listed ones, so the listing always finds the same number.
    fn region(self) -> &'static str {
        match self {
            AwsOp::CreateReboot => "us-west-2",
            _ => "us-east-1",
        }
    }

    fn count(self, plan: &AwsPlan) -> usize {
        match self {
            AwsOp::List => plan.instances,
            AwsOp::CreateReboot => plan.creates,
            AwsOp::DnsEach | AwsOp::DnsBatch | AwsOp::DnsList => plan.records,
            AwsOp::Attach => plan.attach,
        }
    }

    fn title(self, plan: &AwsPlan) -> String {
        let n = self.count(plan);
        match self {
            AwsOp::List => format!("list {n} instances"),
            AwsOp::CreateReboot => format!("{n} creates and reboots, sequential"),
            AwsOp::DnsEach => format!("{n} records, one per call"),
            AwsOp::DnsBatch => format!("{n} records, batched"),
            AwsOp::DnsList => format!("list {n} records"),
            AwsOp::Attach => format!("attach {n} instances to a balancer"),
        }
    }

    /// The speed at `seconds`, in the unit that suits the operation.
    fn rate(self, plan: &AwsPlan, seconds: f64) -> String {
        let n = self.count(plan) as f64;
        match self {
            AwsOp::List => format!("{:.0} instances/s", n / seconds),
            AwsOp::CreateReboot => format!("{:.0} calls/s", 2.0 * n / seconds),
            AwsOp::DnsEach | AwsOp::DnsBatch | AwsOp::DnsList => {
                format!("{:.0} records/s", n / seconds)
            }
            AwsOp::Attach => format!("{:.0} calls/s", n / seconds),
        }
    }

    /// Whether `client` can do this at all (Apache Libcloud cannot batch records).
    fn offered_by(self, client: AwsClient) -> bool {
        !(self == AwsOp::DnsBatch && client == AwsClient::LibcloudPy)
    }
}

/// How to start the AWS clients against the private moto.
struct AwsPrograms {
    rust: PathBuf,
    python: PathBuf,
    script: PathBuf,
    endpoint: String,
}

impl AwsPrograms {
    fn command(&self, client: AwsClient, op: AwsOp, plan: &AwsPlan, name: &str) -> Command {
        let mut cmd = if client.is_python() {
            let mut cmd = Command::new(&self.python);
            cmd.arg(&self.script);
            cmd
        } else {
            Command::new(&self.rust)
        };
        cmd.args(["--client", client.flag()])
            .args(["--op", op.flag()])
            .args(["--endpoint", &self.endpoint])
            .args(["--region", op.region()])
            .args(["--access-key", "bench", "--secret-key", "bench"])
            .args(["--name", name])
            .args(["--count", &op.count(plan).to_string()]);
        cmd
    }
}

/// A moto server of the benchmark's own, stopped (by its PID) when dropped.
struct PrivateMoto {
    pid: u32,
    pid_file: PathBuf,
    endpoint: String,
}

impl PrivateMoto {
    /// Starts moto from the emulators' cached environment on a free port of 127.0.0.1, with
    /// its PID and log under `.emulators/bench-aws/`, where `emulators down` does not look.
    fn start(root: &Path) -> Result<Self> {
        let ctx = Context {
            state: root.join(".emulators").join("bench-aws"),
            tools: emulators::tools_dir(),
        };
        for dir in [&ctx.state, &ctx.tools] {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        let bin = emulators::python_venv(&ctx, "moto", &[MOTO])?;
        let port = emulators::free_port()?;
        let pid = emulators::spawn(
            &ctx,
            "moto",
            Command::new(bin.join("moto_server")).args([
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ]),
        )?;
        let moto = PrivateMoto {
            pid,
            pid_file: ctx.state.join("moto.pid"),
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        emulators::wait_http(
            &ctx,
            "moto",
            port,
            "/moto-api/data.json",
            Duration::from_secs(60),
        )?;
        Ok(moto)
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.pid.to_string())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

type AwsResults = BTreeMap<(AwsOp, AwsClient), Figure>;

/// Runs the AWS benchmark: `cargo xtask bench aws [--quick] [--repeat N]`.
pub fn aws(flags: &[&str]) -> Result {
    let (quick, repeat) = bench_flags("aws", flags)?;
    let root = root();
    let mut plan = if quick {
        AwsPlan::quick()
    } else {
        AwsPlan::full()
    };
    if let Some(n) = repeat {
        plan.repeat = n;
    }
    let load_before = load_average();
    run(
        "build the benchmark clients (release)",
        cargo().args(["build", "--release", "--manifest-path", "bench/Cargo.toml"]),
    )?;
    let ctx = Context {
        state: root.join(".emulators"),
        tools: emulators::tools_dir(),
    };
    std::fs::create_dir_all(&ctx.tools)
        .map_err(|e| format!("creating {}: {e}", ctx.tools.display()))?;
    let venv = emulators::python_venv(&ctx, "libcloud-py", &PYTHON_CLIENTS)?;
    println!("\n==> starting a moto of the benchmark's own");
    let moto = PrivateMoto::start(&root)?;
    let programs = AwsPrograms {
        rust: root.join("bench/target/release/libcloud-bench"),
        python: venv.join("python"),
        script: root.join("bench/python/aws_bench.py"),
        endpoint: moto.endpoint.clone(),
    };
    let mut loads = vec![load_one_minute()];
    let results = run_aws(&plan, &programs, &mut loads);
    drop(moto);
    let results = results?;
    loads.push(load_one_minute());

    let (low, high) = loads
        .iter()
        .flatten()
        .fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(*v), h.max(*v)));
    let load = format!(
        "{load_before} before the run, {} after; the 1-minute figure between {low:.2} and \
         {high:.2} while it ran",
        load_average()
    );
    let machine = aws_machine(&root, &programs, &ctx, &load)?;
    let tables = aws_report(&plan, &results);
    println!("\n{tables}");
    if quick {
        println!("bench: quick run, docs/benchmarks.md left as it is");
    } else {
        write_section(&root, AWS_HEADING, &aws_page(&plan, &machine, &tables))?;
    }
    Ok(())
}

/// `--quick` and `--repeat N`, the flags both benchmarks take.
fn bench_flags(name: &str, flags: &[&str]) -> Result<(bool, Option<usize>)> {
    let mut quick = false;
    let mut repeat = None;
    let mut rest = flags.iter();
    while let Some(flag) = rest.next() {
        match *flag {
            "--quick" => quick = true,
            "--repeat" => {
                let n = rest
                    .next()
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| (1..=50).contains(n))
                    .ok_or("--repeat needs a number from 1 to 50")?;
                repeat = Some(n);
            }
            other => return Err(format!("bench {name}: unknown flag {other:?}")),
        }
    }
    Ok((quick, repeat))
}

/// The 1-minute load average, from `/proc/loadavg`.
fn load_one_minute() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn run_aws(
    plan: &AwsPlan,
    programs: &AwsPrograms,
    loads: &mut Vec<Option<f64>>,
) -> Result<AwsResults> {
    // Names that are new to the server: a zone, balancer or instance name per run.
    let nonce = std::process::id() % 100_000;
    println!(
        "\n==> preparing {} instances and {} records",
        plan.instances, plan.records
    );
    let mut prepare = Command::new(&programs.rust);
    prepare
        .args(["--client", "raw", "--op", "aws-prepare"])
        .args(["--endpoint", &programs.endpoint, "--region", "us-east-1"])
        .args(["--access-key", "bench", "--secret-key", "bench"])
        .args(["--count", &plan.records.to_string()])
        .args(["--instances", &plan.instances.to_string()]);
    measure(prepare, "aws: prepare")?;
    let mut results = AwsResults::new();
    for op in AwsOp::ALL {
        measure(
            programs.command(
                AwsClient::Raw,
                op,
                plan,
                &format!("warm-{}-{nonce}", op.flag()),
            ),
            &format!("aws: warm-up for {}", op.title(plan)),
        )?;
        let clients: Vec<AwsClient> = AwsClient::ALL
            .into_iter()
            .filter(|c| op.offered_by(*c))
            .collect();
        let figures = rounds(
            &clients,
            plan.repeat,
            |client, round| {
                format!(
                    "aws: {} with {} (run {})",
                    op.title(plan),
                    client.flag(),
                    round + 1
                )
            },
            |client, round| {
                let name = format!("{}-{}-{round}-{nonce}", client.flag(), op.flag());
                programs.command(client, op, plan, &name)
            },
        )?;
        for (client, figure) in figures {
            results.insert((op, client), figure);
        }
        loads.push(load_one_minute());
    }
    Ok(results)
}

/// The AWS result tables and the targets, as Markdown.
fn aws_report(plan: &AwsPlan, results: &AwsResults) -> String {
    let mut out = String::new();
    let get = |op, client| results.get(&(op, client)).copied();
    let _ = writeln!(
        out,
        "Median time of {} run(s) ± half the range between the fastest and the slowest; in \
         brackets, the median relative to the raw client's (1.00 = as fast as the floor, 1.10 = \
         10 % slower); then the speed at the median.\n",
        plan.repeat
    );
    let (header, rule) = table_head(AwsClient::ALL.iter().map(|c| c.title()));
    let _ = writeln!(out, "{header}\n{rule}");
    for op in AwsOp::ALL {
        let raw = get(op, AwsClient::Raw).map(|f| f.seconds);
        let mut row = format!("| {} |", op.title(plan));
        for client in AwsClient::ALL {
            match (get(op, client), raw) {
                (Some(f), Some(raw)) => {
                    row.push_str(&f.time_cell(raw, &op.rate(plan, f.seconds)));
                }
                _ => row.push_str(" cannot |"),
            }
        }
        let _ = writeln!(out, "{row}");
    }
    let _ = writeln!(
        out,
        "\nClient peak RSS (MiB, highest of the runs; the Python figures include the \
         interpreter):\n\n{header}\n{rule}"
    );
    for op in AwsOp::ALL {
        let mut row = format!("| {} |", op.title(plan));
        for client in AwsClient::ALL {
            match get(op, client) {
                Some(f) => {
                    row.push_str(&f.rss_cell());
                }
                None => row.push_str(" cannot |"),
            }
        }
        let _ = writeln!(out, "{row}");
    }

    let _ = writeln!(
        out,
        "\nTargets for libcloud:\n\n| target | measured | met |\n|---|---|---|"
    );
    let mark = |ok: bool| if ok { "yes" } else { "**no**" };
    for op in AwsOp::ALL {
        let (Some(lib), Some(raw)) = (get(op, AwsClient::Libcloud), get(op, AwsClient::Raw)) else {
            continue;
        };
        let ratio = lib.seconds / raw.seconds;
        let _ = writeln!(
            out,
            "| {}: within 10 % of raw | {ratio:.2} x raw | {} |",
            op.title(plan),
            mark(ratio <= 1.10)
        );
    }
    if let (Some(batch), Some(each)) = (
        get(AwsOp::DnsBatch, AwsClient::Libcloud),
        get(AwsOp::DnsEach, AwsClient::LibcloudPy),
    ) {
        let speedup = each.seconds / batch.seconds;
        let _ = writeln!(
            out,
            "| {} records, batched: at least 10x Apache Libcloud's rate (one per call) | {speedup:.1}x | {} |",
            plan.records,
            mark(speedup >= 10.0)
        );
    }
    let peak = AwsOp::ALL
        .iter()
        .filter_map(|op| get(*op, AwsClient::Libcloud))
        .map(|f| f.rss_mib)
        .fold(0.0f64, f64::max);
    let _ = writeln!(
        out,
        "| peak RSS under {AWS_RSS_LIMIT_MIB:.0} MiB in every operation | {peak:.1} MiB at most | {} |",
        mark(peak < AWS_RSS_LIMIT_MIB)
    );
    out
}

/// The machine and the versions for the AWS section, as Markdown lines.
fn aws_machine(root: &Path, programs: &AwsPrograms, ctx: &Context, load: &str) -> Result<String> {
    let common = machine_lines(root, &AWS_MEASURED_CRATES, load);
    let version = |module: &str| {
        output(Command::new(&programs.python).args([
            "-c",
            &format!("import {module}; print({module}.__version__)"),
        ]))
    };
    let python = output(Command::new(&programs.python).arg("--version"));
    let moto = output(
        Command::new(ctx.tools.join("moto-venv/bin/python"))
            .args(["-c", "import moto; print(moto.__version__)"]),
    );
    let lock = std::fs::read_to_string(root.join("bench/Cargo.lock")).unwrap_or_default();
    Ok(format!(
        "{common}\
         - hyper {}, aws-sigv4 {} (from `bench/Cargo.lock`)\n\
         - Apache Libcloud {} and boto3 {} on {python}\n\
         - server: moto {moto}, started by the benchmark for itself\n",
        locked(&lock, "hyper"),
        locked(&lock, "aws-sigv4"),
        version("libcloud"),
        version("boto3"),
    ))
}

/// The crates of this repository whose code the AWS libcloud client runs.
const AWS_MEASURED_CRATES: [&str; 6] = [
    "libcloud-core",
    "libcloud-http",
    "libcloud-aws",
    "libcloud-ec2",
    "libcloud-route53",
    "libcloud-elb",
];

/// The heading of the AWS section of `docs/benchmarks.md`.
const AWS_HEADING: &str = "## AWS: libcloud's EC2, Route 53 and ELB drivers against boto3, Apache Libcloud and a raw client";

/// The AWS section of `docs/benchmarks.md`.
fn aws_page(plan: &AwsPlan, machine: &str, tables: &str) -> String {
    format!(
        "{AWS_HEADING}\n\
         \n\
         ### Method\n\
         \n\
         - Server: moto (Python, state in memory, signatures not checked) on 127.0.0.1, one\n  \
           process of the benchmark's own, started fresh for the run. moto is the ceiling here:\n  \
           most of every call's time is the server's, so the columns differ by less than the\n  \
           clients' costs do.\n\
         - Clients, each run in a process of its own:\n  \
           - **raw**: hyper's HTTP/1 client and `aws-sigv4`, no library around them: the same\n    \
             requests libcloud sends for each call (bodies signed with their SHA-256), answers\n    \
             read with string searches, nothing parsed into values. It shows what the server\n    \
             allows.\n  \
           - **libcloud**: `Ec2Compute`, `Route53Dns` and `ElbLoadBalancer` (classic) with their\n    \
             defaults, through the uniform APIs (`list_nodes`, `create_node`, `reboot_node`,\n    \
             `create_record`, `create_records`, `list_records`, `balancer_attach_member`).\n  \
           - **boto3**: its clients with their defaults, sending the same requests as raw.\n  \
           - **Apache Libcloud 3.9.1**: its EC2, Route 53 and ELB drivers. They do not reach moto\n    \
             as shipped; `bench/python/aws_bench.py` changes, at run time and in its own process\n    \
             only: EC2 is built with `signature_version=\"4\"` (SigV2 by default, which moto\n    \
             cannot route) and its response namespace loses its final slash (moto writes it\n    \
             without; Libcloud then finds no instances at all); ELB requests go to `/` instead\n    \
             of `/2012-06-01/` and the driver is given the server's host and port (its\n    \
             constructor always names AWS's); Route 53 is moved from API 2012-02-29 to\n    \
             2013-04-01 (`API_ROOT`, `NAMESPACE`: the documents it builds and reads have the same\n    \
             shape) and signed with Libcloud's own SigV4 connection instead of the retired\n    \
             `AWS3-HTTPS` scheme. Its ELB driver attaches members only through\n    \
             `balancer_attach_compute_node` (`balancer_attach_member` is not implemented), and it\n    \
             has no call that creates many records at once, so its batched column says\n    \
             *cannot*. moto's `RebootInstances` answer lacks `<return>true</return>`, so\n    \
             Libcloud's `reboot_node` returns `False` there; the request is accepted all the same.\n\
         - Operations: listing {instances} instances (`DescribeInstances` pages of 1,000, then\n  \
           `DescribeAddresses`, as Libcloud's `list_nodes` does); {creates} instances created and\n  \
           each rebooted, one call after the other ({calls} calls, in another region, so the\n  \
           listing stays at {instances}); {records} A records created in a new zone, one\n  \
           `ChangeResourceRecordSets` per record, and the same batched (1,000 changes per\n  \
           request); listing a zone of {records} records (plus its SOA and NS); attaching\n  \
           {attach} instances to a new classic balancer, one `RegisterInstancesWithLoadBalancer`\n  \
           each. Zones and balancers are created before the clock starts; the clients check the\n  \
           result (counts of instances, records, members) after it stops; a wrong result fails\n  \
           the run.\n\
         - Each client times only the operation itself (not its start-up). Each operation is run\n  \
           once unrecorded with the raw client to warm the server, then {repeat} times per\n  \
           client in rounds (each round begins with another client), and the median is\n  \
           reported, with ± half the range between the fastest and the slowest run.\n\
         - Peak memory is the client process's peak resident set, `VmHWM` from\n  \
           `/proc/self/status`, read by the client just before it exits; the highest of the runs\n  \
           is reported.\n\
         - The targets: every operation within 10 % of the raw client's time; the batched\n  \
           records at least 10 times Apache Libcloud's rate (it can only create one per call);\n  \
           peak RSS under {rss:.0} MiB in every operation. A missed target is shown as **no**.\n\
         \n\
         ### Machine\n\
         \n\
         {machine}\
         \n\
         ### Results\n\
         \n\
         {tables}",
        instances = plan.instances,
        creates = plan.creates,
        calls = 2 * plan.creates,
        records = plan.records,
        attach = plan.attach,
        repeat = plan.repeat,
        rss = AWS_RSS_LIMIT_MIB,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbers_are_read_from_a_line_of_json() {
        let line =
            r#"{"client":"raw","op":"list","seconds":0.010542,"items":1500,"peak_rss_kib":5752}"#;
        assert_eq!(json_number(line, "seconds"), Some(0.010542));
        assert_eq!(json_number(line, "peak_rss_kib"), Some(5752.0));
        assert_eq!(json_number(line, "bytes"), None);
        assert_eq!(json_number(r#"{"seconds":"x"}"#, "seconds"), None);
    }

    #[test]
    fn a_section_is_replaced_and_the_others_kept() {
        let page = "# Benchmarks\n\nold head\n\n## S3: x\n\ns3 figures\n\n## AWS: y\n\naws old\n";
        let out = with_section(page, "## AWS: y", "## AWS: y\n\naws new\n");
        assert!(out.starts_with(PAGE_HEAD));
        assert!(out.contains("## S3: x\n\ns3 figures\n\n## AWS: y\n\naws new\n"));
        assert!(!out.contains("aws old") && !out.contains("old head"));
        let added = with_section("", "## AWS: y", "## AWS: y\n\nfirst\n");
        assert_eq!(added, format!("{PAGE_HEAD}## AWS: y\n\nfirst\n"));
        let kept = with_section(&out, "## S3: x", "## S3: x\n\ns3 new\n");
        assert!(kept.contains("s3 new") && kept.contains("aws new"));
    }

    #[test]
    fn the_benchmark_installs_the_same_moto_as_the_emulators() {
        let emulator = include_str!("emulators/moto.rs");
        let version = MOTO.trim_start_matches("moto[server]==");
        assert!(emulator.contains(&format!("const VERSION: &str = \"{version}\";")));
        assert!(emulator.contains("moto[server]=="));
    }

    #[test]
    fn runs_are_summed_up_by_their_median() {
        let runs = [
            Sample {
                seconds: 2.0,
                peak_rss_kib: 2048,
            },
            Sample {
                seconds: 1.0,
                peak_rss_kib: 4096,
            },
            Sample {
                seconds: 4.0,
                peak_rss_kib: 1024,
            },
        ];
        let f = summarize(&runs);
        assert_eq!(f.seconds, 2.0);
        assert_eq!(f.spread, 0.75);
        assert_eq!(f.rss_mib, 4.0);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }
}
