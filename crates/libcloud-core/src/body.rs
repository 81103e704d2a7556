//! Byte streams and the HTTP body type that carries them.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, Stream, StreamExt};
use http_body::Frame;

use crate::error::{Error, ErrorKind, Result};

/// A stream of byte chunks: the shape of every object body, up or down.
///
/// Memory stays bounded by the chunks in flight, whatever the object's size.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// Turns anything that yields bytes into a [`ByteStream`].
pub fn byte_stream<S, B>(stream: S) -> ByteStream
where
    S: Stream<Item = Result<B>> + Send + 'static,
    B: Into<Bytes>,
{
    stream.map(|r| r.map(Into::into)).boxed()
}

/// A [`ByteStream`] that yields `bytes` once (or nothing, when empty).
pub fn once_stream(bytes: impl Into<Bytes>) -> ByteStream {
    let bytes = bytes.into();
    if bytes.is_empty() {
        futures::stream::empty().boxed()
    } else {
        futures::stream::once(async move { Ok(bytes) }).boxed()
    }
}

/// Reads a whole [`ByteStream`] into memory, refusing more than `limit` bytes.
///
/// Exceeding the limit is [`ErrorKind::InvalidInput`] for data the caller supplied; drivers that
/// read responses use [`Body::collect`], which reports [`ErrorKind::MalformedResponse`] instead.
pub async fn collect_stream(mut stream: ByteStream, limit: usize) -> Result<Bytes> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if buf.len() + chunk.len() > limit {
            return Err(Error::invalid_input(format!(
                "body larger than the {limit} byte limit"
            )));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

enum Inner {
    Full(Bytes),
    Stream(ByteStream),
}

/// The body of a request or response on the [`Transport`](crate::Transport) seam.
///
/// A body is either whole bytes in memory, which a retry can send again, or a stream, which can
/// be sent once. It implements [`http_body::Body`], so any HTTP client can send it.
pub struct Body {
    inner: Inner,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Full(b) => f.debug_tuple("Body").field(&b.len()).finish(),
            Inner::Stream(_) => f.write_str("Body(stream)"),
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl Body {
    /// An empty body.
    pub fn empty() -> Self {
        Body {
            inner: Inner::Full(Bytes::new()),
        }
    }

    /// A body streamed from `stream`; it can be sent only once.
    pub fn from_stream(stream: ByteStream) -> Self {
        Body {
            inner: Inner::Stream(stream),
        }
    }

    /// The bytes of a body held in memory; `None` for a stream.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.inner {
            Inner::Full(b) => Some(b),
            Inner::Stream(_) => None,
        }
    }

    /// A copy of the body if it is held in memory (cheap: `Bytes` is reference-counted).
    pub fn try_clone(&self) -> Option<Body> {
        self.as_bytes().map(|b| Body::from(b.clone()))
    }

    /// The body as a stream of chunks.
    pub fn into_stream(self) -> ByteStream {
        match self.inner {
            Inner::Full(b) => once_stream(b),
            Inner::Stream(s) => s,
        }
    }

    /// Reads the whole body, refusing more than `limit` bytes with
    /// [`ErrorKind::MalformedResponse`] rather than buffering without end.
    pub async fn collect(self, limit: usize) -> Result<Bytes> {
        match self.inner {
            Inner::Full(b) if b.len() <= limit => Ok(b),
            inner => collect_stream(Body { inner }.into_stream(), limit)
                .await
                .map_err(|e| match e.kind() {
                    ErrorKind::InvalidInput => Error::malformed(format!(
                        "response body larger than the {limit} byte limit"
                    )),
                    _ => e,
                }),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body {
            inner: Inner::Full(b),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body::from(Bytes::from(v))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::from(Bytes::from(s))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::from(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Body::from(Bytes::from_static(s))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>>>> {
        match &mut self.inner {
            Inner::Full(b) => {
                if b.is_empty() {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Ok(Frame::data(std::mem::take(b)))))
                }
            }
            Inner::Stream(s) => s.poll_next_unpin(cx).map(|o| o.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(&self.inner, Inner::Full(b) if b.is_empty())
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.inner {
            Inner::Full(b) => http_body::SizeHint::with_exact(b.len() as u64),
            Inner::Stream(_) => http_body::SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn collect_refuses_oversized_bodies() {
        let stream = futures::stream::iter((0..3).map(|_| Ok(Bytes::from(vec![0u8; 10])))).boxed();
        let err = Body::from_stream(stream).collect(25).await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
        let ok = Body::from("hello").collect(5).await.unwrap();
        assert_eq!(&ok[..], b"hello");
    }

    #[test]
    fn only_in_memory_bodies_clone() {
        assert!(Body::from("x").try_clone().is_some());
        assert!(Body::from_stream(once_stream("x")).try_clone().is_none());
    }
}
