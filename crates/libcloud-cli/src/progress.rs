//! Progress bars for transfers: bytes, rate and time left, on standard error.

use std::io::IsTerminal;

use futures::TryStreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use libcloud::ByteStream;

/// A progress bar for a transfer of `total` bytes (unknown for standard input), drawn on
/// standard error when it is a terminal and `quiet` is off; hidden otherwise.
pub fn transfer_bar(total: Option<u64>, label: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (bar, template) = match total {
        Some(total) => (
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(8)),
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        ),
        None => (
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8)),
            "{msg} {spinner} {bytes} {binary_bytes_per_sec} {elapsed}",
        ),
    };
    let style = ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(label.to_string());
    bar
}

/// Counts the bytes of `stream` on `bar` as they pass.
pub fn track(stream: ByteStream, bar: ProgressBar) -> ByteStream {
    Box::pin(stream.inspect_ok(move |chunk| bar.inc(chunk.len() as u64)))
}
