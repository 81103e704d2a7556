//! Checksums drivers share.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::{Stream, StreamExt};
use md5::Digest;

use crate::body::ByteStream;
use crate::error::{Error, ErrorKind, Result};

/// An incremental MD5, the hash Libcloud checks uploads and downloads with.
#[derive(Clone, Default)]
pub struct Md5(md5::Md5);

impl std::fmt::Debug for Md5 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Md5")
    }
}

impl Md5 {
    /// A fresh hasher.
    pub fn new() -> Self {
        Md5::default()
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The digest as raw bytes.
    pub fn finish(self) -> [u8; 16] {
        self.0.finalize().into()
    }

    /// The digest as lower-case hex, consuming the hasher.
    pub fn hex(self) -> String {
        to_hex(&self.finish())
    }
}

/// The lower-case hex MD5 of `data`.
///
/// ```
/// assert_eq!(libcloud_core::hash::md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
/// ```
pub fn md5_hex(data: &[u8]) -> String {
    let mut h = Md5::new();
    h.update(data);
    h.hex()
}

/// Wraps a download so that it checks itself: when the stream ends, the bytes counted must be
/// `expected_len` and their MD5 must be `expected_md5` (lower- or upper-case hex), when given.
///
/// The chunks pass through unchanged. A stream that ends short or long ends instead with a
/// [`ErrorKind::Transport`] error (one that runs past `expected_len` fails as soon as it does),
/// and one whose MD5 differs ends with [`ErrorKind::HashMismatch`]; so a caller that reads to the
/// end (as [`download_to_path`](crate::StorageDriverExt::download_to_path) does) never takes
/// truncated or damaged bytes for the object. Errors of the inner stream pass through, and
/// nothing is read after an error.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use libcloud_core::body::{collect_stream, once_stream};
/// use libcloud_core::hash::{md5_hex, verify_stream};
/// use libcloud_core::ErrorKind;
///
/// let good = verify_stream(once_stream("hello"), Some(5), Some(md5_hex(b"hello")));
/// assert_eq!(collect_stream(good, 64).await.unwrap(), "hello");
/// let flipped = verify_stream(once_stream("hellp"), Some(5), Some(md5_hex(b"hello")));
/// let err = collect_stream(flipped, 64).await.unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::HashMismatch { .. }));
/// let short = verify_stream(once_stream("hell"), Some(5), None);
/// assert_eq!(*collect_stream(short, 64).await.unwrap_err().kind(), ErrorKind::Transport);
/// # });
/// ```
pub fn verify_stream(
    stream: ByteStream,
    expected_len: Option<u64>,
    expected_md5: Option<String>,
) -> ByteStream {
    Verified {
        inner: stream,
        md5: expected_md5.map(|e| (Md5::new(), e)),
        expected_len,
        seen: 0,
        done: false,
    }
    .boxed()
}

/// The stream [`verify_stream`] returns.
struct Verified {
    inner: ByteStream,
    md5: Option<(Md5, String)>,
    expected_len: Option<u64>,
    seen: u64,
    done: bool,
}

impl Verified {
    fn finish(&mut self) -> Option<Error> {
        if let Some(expected) = self.expected_len
            && self.seen != expected
        {
            return Some(Error::new(
                ErrorKind::Transport,
                format!("the body ended after {} of {expected} bytes", self.seen),
            ));
        }
        if let Some((md5, expected)) = self.md5.take() {
            let actual = md5.hex();
            if !actual.eq_ignore_ascii_case(&expected) {
                return Some(
                    Error::bare(ErrorKind::HashMismatch { expected, actual })
                        .with_message("the bytes received do not match the object's MD5"),
                );
            }
        }
        None
    }
}

impl Stream for Verified {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let next = match self.inner.poll_next_unpin(cx) {
            Poll::Ready(next) => next,
            Poll::Pending => return Poll::Pending,
        };
        match next {
            Some(Ok(chunk)) => {
                self.seen += chunk.len() as u64;
                if let Some(expected) = self.expected_len
                    && self.seen > expected
                {
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::new(
                        ErrorKind::Transport,
                        format!("the body ran past its {expected} bytes"),
                    ))));
                }
                if let Some((md5, _)) = &mut self.md5 {
                    md5.update(&chunk);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Some(Err(e)) => {
                self.done = true;
                Poll::Ready(Some(Err(e)))
            }
            None => {
                self.done = true;
                Poll::Ready(self.finish().map(Err))
            }
        }
    }
}

/// Lower-case hex of bytes.
pub fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0xf) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::body::collect_stream;

    fn chunks(parts: &[&'static [u8]]) -> ByteStream {
        let parts: Vec<Result<Bytes>> = parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        futures::stream::iter(parts).boxed()
    }

    #[tokio::test]
    async fn verified_streams_pass_good_bytes_and_stop_bad_ones() {
        let all = md5_hex(b"abcdef");
        let ok = verify_stream(
            chunks(&[b"ab", b"cd", b"ef"]),
            Some(6),
            Some(all.to_uppercase()),
        );
        assert_eq!(collect_stream(ok, 64).await.unwrap(), "abcdef");
        // Too long fails on the chunk that overruns, before it is handed out.
        let mut long = verify_stream(chunks(&[b"abc", b"defg"]), Some(6), None);
        assert_eq!(long.next().await.unwrap().unwrap(), "abc");
        assert_eq!(
            *long.next().await.unwrap().unwrap_err().kind(),
            ErrorKind::Transport
        );
        assert!(long.next().await.is_none());
        // A flipped byte is a hash mismatch naming both sums.
        let flipped = verify_stream(chunks(&[b"abcdeF"]), Some(6), Some(all.clone()));
        let err = collect_stream(flipped, 64).await.unwrap_err();
        match err.kind() {
            ErrorKind::HashMismatch { expected, actual } => {
                assert_eq!(expected, &all);
                assert_eq!(actual, &md5_hex(b"abcdeF"));
            }
            other => panic!("{other:?}"),
        }
        // Errors of the inner stream pass through and end it.
        let failing: ByteStream = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"ab")),
            Err(Error::bare(ErrorKind::Timeout)),
            Ok(Bytes::from_static(b"cd")),
        ])
        .boxed();
        let mut s = verify_stream(failing, Some(4), Some(all));
        assert!(s.next().await.unwrap().is_ok());
        assert_eq!(
            *s.next().await.unwrap().unwrap_err().kind(),
            ErrorKind::Timeout
        );
        assert!(s.next().await.is_none());
        // Without expectations it only passes bytes on.
        let plain = verify_stream(chunks(&[b"x"]), None, None);
        assert_eq!(collect_stream(plain, 64).await.unwrap(), "x");
    }
}
