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

type Results = BTreeMap<(usize, OpId, ClientId), Figure>;

/// Runs the benchmark: `cargo xtask bench s3 [--quick] [--repeat N]`.
pub fn s3(flags: &[&str]) -> Result {
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
            other => return Err(format!("bench s3: unknown flag {other:?}")),
        }
    }
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
    let venv = emulators::python_venv(&ctx, "libcloud-py", &[LIBCLOUD_PY])?;
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
        let page = page(&plan, &machine, &tables);
        let path = root.join("docs/benchmarks.md");
        std::fs::write(&path, page).map_err(|e| format!("writing {}: {e}", path.display()))?;
        println!("bench: wrote docs/benchmarks.md");
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
            let mut samples: BTreeMap<ClientId, Vec<Sample>> = BTreeMap::new();
            for round in 0..plan.repeat {
                // Each round starts with another client, so that none is always first.
                let mut order = ClientId::ALL;
                order.rotate_left(round % ClientId::ALL.len());
                for client in order {
                    let what = format!(
                        "{}: {} with {} (run {})",
                        server.name,
                        op.title(plan),
                        client.flag(),
                        round + 1
                    );
                    let mut cmd = programs.command(client, server);
                    cmd.args(op.args(plan, client));
                    let sample = measure(cmd, &what)?;
                    println!(
                        "{what}: {:.3} s, peak RSS {:.1} MiB",
                        sample.seconds,
                        sample.peak_rss_kib as f64 / 1024.0
                    );
                    samples.entry(client).or_default().push(sample);
                }
            }
            for (client, runs) in samples {
                let mut seconds: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
                let rss = runs.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
                let mid = median(&mut seconds);
                let fast = seconds.first().copied().unwrap_or(mid);
                let slow = seconds.last().copied().unwrap_or(mid);
                results.insert(
                    (s, op, client),
                    Figure {
                        seconds: mid,
                        spread: (slow - fast) / 2.0 / mid,
                        rss_mib: rss as f64 / 1024.0,
                    },
                );
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
        let mut header = String::from("| operation |");
        let mut rule = String::from("|---|");
        for client in ClientId::ALL {
            let _ = write!(header, " {} |", client.title());
            rule.push_str("---:|");
        }
        let _ = writeln!(out, "{header}\n{rule}");
        for op in OpId::ALL {
            let raw = get(op, ClientId::Raw).map(|f| f.seconds);
            let mut row = format!("| {} |", op.title(plan));
            for client in ClientId::ALL {
                match (get(op, client), raw) {
                    (Some(f), Some(raw)) => {
                        let _ = write!(
                            row,
                            " {:.3} s ±{:.0} % ({:.2}) {} |",
                            f.seconds,
                            f.spread * 100.0,
                            f.seconds / raw,
                            rate(plan, op, f.seconds)
                        );
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
                        let _ = write!(row, " {:.1} |", f.rss_mib);
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
    let output = |cmd: &mut Command| {
        cmd.stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    let rustc = output(
        Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())).arg("--version"),
    );
    let python = output(Command::new(&programs.python).arg("--version"));
    let garage = output(Command::new(ctx.tools.join("garage/bin/garage")).arg("--version"));
    let moto = output(
        Command::new(ctx.tools.join("moto-venv/bin/python"))
            .args(["-c", "import moto; print(moto.__version__)"]),
    );
    let libcloud_py = output(
        Command::new(&programs.python).args(["-c", "import libcloud; print(libcloud.__version__)"]),
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
        .args(MEASURED_CRATES.map(|c| format!("crates/{c}/src")))
        .output()
        .is_ok_and(|o| !o.stdout.is_empty());
    let commit = if changed {
        format!("{commit} with uncommitted changes")
    } else {
        commit
    };
    let lock = std::fs::read_to_string(root.join("bench/Cargo.lock")).unwrap_or_default();
    let locked = |name: &str| {
        let key = format!("name = \"{name}\"\nversion = \"");
        lock.find(&key)
            .map(|i| &lock[i + key.len()..])
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("unknown")
            .to_string()
    };
    Ok(format!(
        "- CPU: {cpu}, {cores} logical cores (`nproc`), shared by the clients and the servers\n\
         - memory: {memory}; Linux {kernel}\n\
         - load average (1, 5, 15 min): {load}; other work on the machine shows up as spread\n\
         - libcloud at commit {commit}; {rustc}; release profile\n\
         - object_store {}, hyper {}, aws-sigv4 {} (from `bench/Cargo.lock`)\n\
         - Apache Libcloud {libcloud_py} on {python}\n\
         - servers: {garage}; moto {moto}\n",
        locked("object_store"),
        locked("hyper"),
        locked("aws-sigv4"),
    ))
}

/// The whole of `docs/benchmarks.md`.
fn page(plan: &Plan, machine: &str, tables: &str) -> String {
    let rss_limit = PART_SIZE * (PART_CONCURRENCY + 2) / MIB + 32;
    format!(
        "# Benchmarks\n\
         \n\
         This page is written by `cargo xtask bench s3`; run it again to measure your own machine.\n\
         Do not edit the figures by hand.\n\
         \n\
         ## S3: libcloud-s3 against object_store, Apache Libcloud and a raw client\n\
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
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }
}
