//! Conformance suites: the behaviour every driver of an API must show, one function per case.
//!
//! Each suite module ([`storage`], [`compute`], [`dns`], [`loadbalancer`]) offers:
//!
//! - one public async function per behaviour, taking the driver and returning a [`CaseResult`],
//!   so a driver's tests can call a single case;
//! - `report` (or `report_with`), which runs every case, prints one line per case to stdout
//!   (`conformance storage/<case>: ok`, `skipped: <why>` or `FAILED: <why>`) and returns a
//!   [`Report`];
//! - `run` (or `run_with`), which does the same and then panics listing every failure, and also
//!   when no case ran at all.
//!
//! A case whose capability the driver lacks returns [`Outcome::Skipped`] with
//! `driver lacks <capability>`. Every case creates uniquely named resources (`lc-<case>-<8 hex>`)
//! and removes them again, also when it fails (best effort), so the suites can run against
//! shared real servers. A case that panics, or runs longer than its time limit (5 minutes by
//! default), counts as failed.
//!
//! The suites need a Tokio runtime with its timer enabled (`#[tokio::test]` has one).

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use libcloud_core::{Error, ErrorKind, ResourceKind};
use rand::Rng;

pub mod compute;
pub mod dns;
pub mod loadbalancer;
pub mod storage;

/// What a case that did not fail found: it passed, or it could not apply to this driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every check of the case held.
    Passed,
    /// The case does not apply (the driver lacks a capability); the reason says why.
    Skipped(String),
}

/// Why a case failed: a message naming the step and what was expected and seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    message: String,
}

impl Failure {
    /// A failure with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Failure::new(format!("unexpected error: {err}"))
    }
}

/// The result of one conformance case.
pub type CaseResult = Result<Outcome, Failure>;

/// How one case of a suite run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It passed.
    Ok,
    /// It did not apply; the reason says why.
    Skipped(String),
    /// It failed; the message says how.
    Failed(String),
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Ok => f.write_str("ok"),
            Status::Skipped(why) => write!(f, "skipped: {why}"),
            Status::Failed(why) => write!(f, "FAILED: {why}"),
        }
    }
}

/// One case of a suite run: its name and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseReport {
    /// The case's name, as its function (`container_lifecycle`).
    pub name: String,
    /// How it ended.
    pub status: Status,
}

/// The outcome of a whole suite run, case by case, in the order they ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The API the suite covers (`storage`, `compute`, `dns`, `loadbalancer`).
    pub api: String,
    /// Every case, in the order it ran.
    pub cases: Vec<CaseReport>,
}

impl Report {
    /// An empty report for `api`.
    pub fn new(api: impl Into<String>) -> Self {
        Report {
            api: api.into(),
            cases: Vec::new(),
        }
    }

    /// How the case called `name` ended, if it is in the report.
    pub fn status(&self, name: &str) -> Option<&Status> {
        self.cases
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.status)
    }

    /// The cases that failed.
    pub fn failures(&self) -> Vec<&CaseReport> {
        self.cases
            .iter()
            .filter(|c| matches!(c.status, Status::Failed(_)))
            .collect()
    }

    /// How many cases ran (passed or failed, not skipped).
    pub fn ran(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| !matches!(c.status, Status::Skipped(_)))
            .count()
    }

    /// Panics listing every failed case, or when no case ran at all.
    pub fn assert_passed(&self) {
        let failures = self.failures();
        if !failures.is_empty() {
            let list: Vec<String> = failures
                .iter()
                .map(|c| format!("  {}/{}: {}", self.api, c.name, c.status))
                .collect();
            panic!(
                "conformance {}: {} of {} cases failed:\n{}",
                self.api,
                failures.len(),
                self.cases.len(),
                list.join("\n")
            );
        }
        if self.ran() == 0 {
            panic!(
                "conformance {}: no case ran ({} skipped)",
                self.api,
                self.cases.len()
            );
        }
    }
}

/// The default time limit of one case.
pub const DEFAULT_CASE_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs cases one after another, prints a line for each and collects the report.
pub(crate) struct Harness {
    report: Report,
    timeout: Duration,
}

impl Harness {
    pub(crate) fn new(api: &str, timeout: Duration) -> Self {
        Harness {
            report: Report::new(api),
            timeout,
        }
    }

    /// Runs one case, catching panics and enforcing the time limit.
    pub(crate) async fn case<F>(&mut self, name: &str, case: F)
    where
        F: Future<Output = CaseResult>,
    {
        let guarded = AssertUnwindSafe(case).catch_unwind();
        let status = match tokio::time::timeout(self.timeout, guarded).await {
            Err(_) => Status::Failed(format!(
                "did not finish within {} s",
                self.timeout.as_secs()
            )),
            Ok(Err(panic)) => Status::Failed(format!("panicked: {}", panic_message(&*panic))),
            Ok(Ok(Ok(Outcome::Passed))) => Status::Ok,
            Ok(Ok(Ok(Outcome::Skipped(why)))) => Status::Skipped(why),
            Ok(Ok(Err(failure))) => Status::Failed(failure.message),
        };
        println!("conformance {}/{name}: {status}", self.report.api);
        self.report.cases.push(CaseReport {
            name: name.to_string(),
            status,
        });
    }

    pub(crate) fn finish(self) -> Report {
        self.report
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_string()
    }
}

/// Fails the enclosing case with a formatted message unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::conformance::Failure::new(format!($($fmt)+)));
        }
    };
}
pub(crate) use ensure;

/// Turns a driver error into a failure that names the step, for `?`.
pub(crate) trait Context<T> {
    fn context(self, step: &str) -> Result<T, Failure>;
}

impl<T> Context<T> for libcloud_core::Result<T> {
    fn context(self, step: &str) -> Result<T, Failure> {
        self.map_err(|e| Failure::new(format!("{step}: unexpected error: {e}")))
    }
}

/// The skipped outcome for a missing capability.
pub(crate) fn lacks(capability: &str) -> CaseResult {
    Ok(Outcome::Skipped(format!("driver lacks {capability}")))
}

/// Expects an error and returns it; success is a failure of the case.
pub(crate) fn expect_err<T>(
    result: libcloud_core::Result<T>,
    step: &str,
) -> Result<Error, Failure> {
    match result {
        Ok(_) => Err(Failure::new(format!(
            "{step}: expected an error, but it succeeded"
        ))),
        Err(e) => Ok(e),
    }
}

/// Expects an error whose kind satisfies `pred` (described by `wanted`).
pub(crate) fn expect_kind<T>(
    result: libcloud_core::Result<T>,
    step: &str,
    wanted: &str,
    pred: impl Fn(&ErrorKind) -> bool,
) -> Result<Error, Failure> {
    let err = expect_err(result, step)?;
    if pred(err.kind()) {
        Ok(err)
    } else {
        Err(Failure::new(format!(
            "{step}: expected {wanted}, got {:?} ({err})",
            err.kind()
        )))
    }
}

/// Expects `NotFound` of resource kind `kind`.
pub(crate) fn expect_not_found<T>(
    result: libcloud_core::Result<T>,
    kind: ResourceKind,
    step: &str,
) -> Result<(), Failure> {
    expect_kind(
        result,
        step,
        &format!("NotFound {{ kind: {kind:?} }}"),
        |k| matches!(k, ErrorKind::NotFound { kind: got, .. } if *got == kind),
    )
    .map(drop)
}

/// Expects `AlreadyExists` of resource kind `kind`.
pub(crate) fn expect_already_exists<T>(
    result: libcloud_core::Result<T>,
    kind: ResourceKind,
    step: &str,
) -> Result<(), Failure> {
    expect_kind(
        result,
        step,
        &format!("AlreadyExists {{ kind: {kind:?} }}"),
        |k| matches!(k, ErrorKind::AlreadyExists { kind: got, .. } if *got == kind),
    )
    .map(drop)
}

/// A unique resource name for a case: `lc-<case>-<8 hex>`, lower-case letters, digits and
/// hyphens only, at most 63 characters (valid as an S3 bucket name).
pub fn case_name(case: &str) -> String {
    let mut stem = String::new();
    for c in case.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            stem.push(c);
        } else if !stem.ends_with('-') {
            stem.push('-');
        }
    }
    // "lc-" + stem + "-" + 8 hex <= 63.
    stem.truncate(63 - 3 - 1 - 8);
    let stem = stem.trim_matches('-');
    let suffix: u32 = rand::thread_rng().r#gen();
    if stem.is_empty() {
        format!("lc-{suffix:08x}")
    } else {
        format!("lc-{stem}-{suffix:08x}")
    }
}

/// Runs a clean-up step, ignoring its result, but giving up after `limit`.
pub(crate) async fn best_effort<F: Future>(limit: Duration, step: F) {
    let _ = tokio::time::timeout(limit, step).await;
}

/// Polls `check` every `interval` until it yields `Some`, or fails after `timeout` with a
/// message built from `what` and the last value seen.
pub(crate) async fn poll_until<T, F, Fut>(
    what: &str,
    interval: Duration,
    timeout: Duration,
    mut check: F,
) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, Failure>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Failure::new(format!(
                "{what}: not reached within {} ms",
                timeout.as_millis()
            )));
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_are_valid_bucket_names() {
        for case in [
            "container_lifecycle",
            "A",
            "",
            &"x".repeat(200),
            "Üñí code!",
        ] {
            let name = case_name(case);
            assert!((3..=63).contains(&name.len()), "{name}");
            assert!(name.starts_with("lc-"));
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name}"
            );
            assert!(!name.contains("--"), "{name}");
        }
        assert_ne!(case_name("x"), case_name("x"));
    }

    #[test]
    fn report_lists_failures_and_requires_a_run() {
        let mut report = Report::new("storage");
        report.cases.push(CaseReport {
            name: "a".into(),
            status: Status::Skipped("driver lacks x".into()),
        });
        let none_ran = std::panic::catch_unwind(|| report.assert_passed());
        assert!(none_ran.is_err());
        report.cases.push(CaseReport {
            name: "b".into(),
            status: Status::Ok,
        });
        report.assert_passed();
        report.cases.push(CaseReport {
            name: "c".into(),
            status: Status::Failed("boom".into()),
        });
        let err = std::panic::catch_unwind(|| report.assert_passed()).unwrap_err();
        let msg = panic_message(&*err);
        assert!(msg.contains("storage/c: FAILED: boom"), "{msg}");
        assert_eq!(report.ran(), 2);
    }
}
