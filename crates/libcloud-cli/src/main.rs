//! The `libcloud` command: object storage, compute, DNS and load balancers of every provider
//! compiled into the `libcloud` crate, through one set of commands named after Apache
//! Libcloud's operations.
//!
//! Nothing here knows a provider: drivers are opened through the facade's
//! [`Registry`](libcloud::registry::Registry) from storage URLs (`SCHEME://CONTAINER/KEY`),
//! `--provider NAME` with `--option KEY=VALUE`, or `--url`, so a provider compiled into the
//! facade works here without a change. See `docs/cli.md` for the commands, the JSON output
//! and the exit codes.

mod args;
mod batch;
mod compute;
mod context;
mod dns;
mod lb;
mod output;
mod progress;
mod providers;
mod storage;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use libcloud::{Error, ErrorKind};

use crate::args::{Cli, Command, Globals};
use crate::context::{Ctx, Session};

/// Exit code: some other failure.
const EXIT_FAILURE: u8 = 1;
/// Exit code: invalid input (a bad argument, URL or value), as for usage errors.
const EXIT_INVALID_INPUT: u8 = 2;
/// Exit code: what was named does not exist.
const EXIT_NOT_FOUND: u8 = 3;
/// Exit code: the provider refused the credentials.
const EXIT_INVALID_CREDENTIALS: u8 = 4;
/// Exit code: the credentials may not do this.
const EXIT_PERMISSION_DENIED: u8 = 5;

/// Setting this variable to 1 prints the process's peak resident memory on standard error at
/// exit (Linux), to check that transfers stay bounded.
const PEAK_MEMORY_VAR: &str = "LIBCLOUD_REPORT_PEAK_MEMORY";

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "libcloud: {}", usage_error(&e));
            return ExitCode::from(EXIT_INVALID_INPUT);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            report("start", &Error::from(e));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let session = Session::new();
    let code = runtime.block_on(async {
        match cli.command {
            Command::Batch { file, keep_going } => {
                run_batch(&session, cli.globals, file, keep_going).await
            }
            command => execute(&session, cli.globals, command, "").await,
        }
    });
    drop(runtime);
    if std::env::var(PEAK_MEMORY_VAR).is_ok_and(|v| v == "1") {
        report_peak_memory();
    }
    ExitCode::from(code)
}

/// The exit code for an error.
fn exit_code(err: &Error) -> u8 {
    match err.kind() {
        ErrorKind::NotFound { .. } => EXIT_NOT_FOUND,
        ErrorKind::InvalidInput => EXIT_INVALID_INPUT,
        ErrorKind::InvalidCredentials => EXIT_INVALID_CREDENTIALS,
        ErrorKind::PermissionDenied => EXIT_PERMISSION_DENIED,
        _ => EXIT_FAILURE,
    }
}

/// Prints `libcloud: WHAT: WHY` as one line on standard error. The error names the provider,
/// the operation, the kind of failure, the provider's code, the HTTP status and the request id
/// where it has them.
fn report(what: &str, err: &Error) {
    let why = err.to_string().replace(['\n', '\r'], " ");
    let _ = writeln!(std::io::stderr(), "libcloud: {what}: {why}");
}

/// A usage error as one line: clap's message up to its usage section, with a pointer to
/// `--help`.
fn usage_error(err: &clap::Error) -> String {
    let text = err.to_string();
    let message: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    format!("{message} (see --help)")
}

/// Runs one command (not a batch) and returns its exit code.
async fn execute(session: &Session, globals: Globals, command: Command, prefix: &str) -> u8 {
    let what = format!("{prefix}{}", command.label());
    let ctx = Ctx::new(session, globals);
    let result = match command {
        Command::Storage(c) => storage::run(&ctx, c).await,
        Command::Compute(c) => compute::run(&ctx, c).await,
        Command::Dns(c) => dns::run(&ctx, c).await,
        Command::Lb(c) => lb::run(&ctx, c).await,
        Command::Providers { all } => providers::run(&ctx, all),
        Command::Batch { .. } => Err(Error::invalid_input("a batch cannot run another batch")),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            report(&what, &e);
            exit_code(&e)
        }
    }
}

/// Options of a batch line, with the batch's own options filling what the line leaves unset.
fn merge_globals(outer: &Globals, line: Globals) -> Globals {
    let mut options = line.options;
    options.extend(outer.options.iter().cloned());
    Globals {
        provider: line.provider.or_else(|| outer.provider.clone()),
        url: line.url.or_else(|| outer.url.clone()),
        options,
        endpoint: line.endpoint.or_else(|| outer.endpoint.clone()),
        profile: line.profile.or_else(|| outer.profile.clone()),
        output: line.output.or(outer.output),
        quiet: line.quiet || outer.quiet,
    }
}

async fn run_batch(
    session: &Session,
    globals: Globals,
    file: Option<PathBuf>,
    keep_going: bool,
) -> u8 {
    let lines = match batch::read_script(file.as_deref())
        .await
        .and_then(|text| batch::read_lines(&text))
    {
        Ok(lines) => lines,
        Err(e) => {
            report("batch", &e);
            return exit_code(&e);
        }
    };
    let mut first_failure = 0;
    for (number, words) in lines {
        let prefix = format!("line {number}: ");
        let code = match Cli::try_parse_from(std::iter::once("libcloud".to_string()).chain(words)) {
            Ok(cli) => {
                let line_globals = merge_globals(&globals, cli.globals);
                execute(session, line_globals, cli.command, &prefix).await
            }
            Err(e) if !e.use_stderr() => {
                // --help or --version on a line: print it and go on.
                let _ = e.print();
                0
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "libcloud: {prefix}{}", usage_error(&e));
                EXIT_INVALID_INPUT
            }
        };
        if code != 0 {
            if first_failure == 0 {
                first_failure = code;
            }
            if !keep_going {
                break;
            }
        }
    }
    first_failure
}

/// Prints the peak resident set size (`VmHWM` of `/proc/self/status`) on standard error.
fn report_peak_memory() {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return;
    };
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
        let value = line.trim_start_matches("VmHWM:").trim();
        let _ = writeln!(std::io::stderr(), "libcloud: peak memory {value}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_error_kind() {
        use libcloud::ResourceKind;
        assert_eq!(exit_code(&Error::not_found(ResourceKind::Object, "x")), 3);
        assert_eq!(exit_code(&Error::invalid_input("bad")), 2);
        assert_eq!(exit_code(&Error::bare(ErrorKind::InvalidCredentials)), 4);
        assert_eq!(exit_code(&Error::bare(ErrorKind::PermissionDenied)), 5);
        assert_eq!(exit_code(&Error::bare(ErrorKind::Timeout)), 1);
        assert_eq!(
            exit_code(&Error::already_exists(ResourceKind::Zone, "z")),
            1
        );
    }

    #[test]
    fn batch_lines_inherit_the_batch_options() {
        let outer = Globals {
            provider: Some("memory".into()),
            options: vec![("a".into(), "outer".into())],
            quiet: true,
            ..Globals::default()
        };
        let line = Globals {
            options: vec![("a".into(), "line".into())],
            url: Some("memory://x".into()),
            ..Globals::default()
        };
        let merged = merge_globals(&outer, line);
        assert_eq!(merged.provider.as_deref(), Some("memory"));
        assert_eq!(merged.url.as_deref(), Some("memory://x"));
        assert!(merged.quiet);
        assert_eq!(merged.options[0], ("a".to_string(), "line".to_string()));
    }
}
