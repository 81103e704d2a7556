//! Catching secrets that leak into logs, errors and debug output.
//!
//! A secrets test gives a driver credentials made by [`secret`] (every one holds
//! [`SECRET_MARK`], so a fragment of any of them is found too), runs it with every `tracing`
//! event and span recorded by [`capture`], formats its configuration, the driver and every error
//! it returned with `Debug` and `Display`, and hands all that text to [`assert_no_secrets`].
//!
//! ```
//! use libcloud_testkit::secrets::{assert_no_secrets, capture, secret};
//!
//! let key = secret("api-key");
//! let log = capture();
//! tracing::info!(user = "ops", "signed in");
//! assert_no_secrets(&log.text(), &[&key], "the log");
//! ```

use std::io::Write;
use std::sync::{Arc, Mutex};

use rand::Rng;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// What every secret made by [`secret`] starts with.
pub const SECRET_MARK: &str = "lcsecret";

/// A secret value for a test: `lcsecret-<label>-<16 hex>`, printable ASCII, unique per call.
pub fn secret(label: &str) -> String {
    let n: u64 = rand::thread_rng().r#gen();
    format!("{SECRET_MARK}-{label}-{n:016x}")
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

/// Everything `tracing` records on this thread while it is alive: events and spans of every
/// level, with all their fields, as text.
///
/// The subscriber is this thread's default, so run the code under test on the same thread (a
/// current-thread Tokio runtime, which `#[tokio::test]` gives).
pub struct Capture {
    buffer: Buffer,
    _guard: tracing::subscriber::DefaultGuard,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture").finish_non_exhaustive()
    }
}

/// Starts recording every `tracing` event and span of this thread, at every level.
pub fn capture() -> Capture {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(buffer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    Capture {
        buffer,
        _guard: guard,
    }
}

impl Capture {
    /// What has been recorded so far.
    pub fn text(&self) -> String {
        let bytes = self.buffer.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// An error and every cause under it, each with `Display` and `Debug`.
pub fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("{err}\n{err:?}\n");
    let mut cause = err.source();
    while let Some(c) = cause {
        out.push_str(&format!("{c}\n{c:?}\n"));
        cause = c.source();
    }
    out
}

/// Panics when `text` holds any of `secrets` or the [`SECRET_MARK`], showing where.
///
/// `what` names the text in the message ("the log", "the errors").
pub fn assert_no_secrets(text: &str, secrets: &[&str], what: &str) {
    let needles = secrets
        .iter()
        .copied()
        .filter(|s| !s.is_empty())
        .chain(std::iter::once(SECRET_MARK));
    for needle in needles {
        if let Some(at) = text.find(needle) {
            let start = text[..at]
                .char_indices()
                .rev()
                .nth(120)
                .map_or(0, |(i, _)| i);
            let end = (at + needle.len() + 120).min(text.len());
            let end = (end..=text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(text.len());
            panic!(
                "{what} leaks a secret ({needle:?}) here:\n...{}...",
                &text[start..end]
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_events_and_span_fields() {
        let log = capture();
        let span = tracing::debug_span!("outer", bucket = "b1");
        span.in_scope(|| tracing::trace!(key = "k1", "inside"));
        drop(span);
        let text = log.text();
        assert!(text.contains("outer"), "{text}");
        assert!(
            text.contains("bucket=\"b1\"") || text.contains("bucket=b1"),
            "{text}"
        );
        assert!(text.contains("inside") && text.contains("k1"), "{text}");
    }

    #[test]
    #[should_panic(expected = "leaks a secret")]
    fn finds_a_secret() {
        let s = secret("x");
        assert_no_secrets(&format!("Authorization: {s}"), &[&s], "the text");
    }

    #[test]
    #[should_panic(expected = "lcsecret")]
    fn finds_a_fragment_by_its_mark() {
        assert_no_secrets("token=lcsecret-tok-12", &["unrelated"], "the text");
    }

    #[test]
    fn clean_text_passes() {
        let s = secret("key");
        assert!(s.starts_with("lcsecret-key-"));
        assert_no_secrets("nothing to see", &[&s], "the text");
    }
}
