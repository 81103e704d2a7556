//! The bytes that are uploaded: generated, not read from disk, and never repeating.
//!
//! A chunk is a fixed 64 KiB block of pseudo-random bytes (xorshift64 from a fixed seed) whose
//! first 8 bytes are replaced by the chunk's index, little-endian. Every chunk differs, so a
//! server that deduplicates blocks by hash (Garage does) stores every byte, and the data does not
//! compress. The Python client builds the same bytes.

use std::sync::OnceLock;

use bytes::{BufMut, Bytes, BytesMut};
use futures::stream::{self, BoxStream, StreamExt};

/// Bytes per chunk of a streamed upload.
pub const CHUNK: usize = 64 * 1024;

fn block() -> &'static [u8] {
    static BLOCK: OnceLock<Vec<u8>> = OnceLock::new();
    BLOCK.get_or_init(|| {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut out = Vec::with_capacity(CHUNK);
        while out.len() < CHUNK {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(&x.to_le_bytes());
        }
        out
    })
}

/// Chunk number `index`, cut to `len` bytes (at most [`CHUNK`]).
pub fn chunk(index: u64, len: usize) -> Bytes {
    let block = block();
    let len = len.min(CHUNK);
    let mut out = BytesMut::with_capacity(len);
    let tag = index.to_le_bytes();
    let head = len.min(tag.len());
    out.put_slice(&tag[..head]);
    out.put_slice(&block[head..len]);
    out.freeze()
}

/// `size` bytes as a stream of [`CHUNK`]-sized chunks, generated as they are polled.
pub fn payload(size: u64) -> BoxStream<'static, Bytes> {
    stream::unfold(0u64, move |sent| async move {
        if sent >= size {
            return None;
        }
        let len = usize::try_from(size - sent).map_or(CHUNK, |rest| rest.min(CHUNK));
        Some((chunk(sent / CHUNK as u64, len), sent + len as u64))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn payload_has_the_asked_size_and_no_two_equal_chunks() {
        let chunks: Vec<Bytes> = payload(3 * CHUNK as u64 + 10).collect().await;
        assert_eq!(chunks.len(), 4);
        assert_eq!(chunks.iter().map(Bytes::len).sum::<usize>(), 3 * CHUNK + 10);
        assert_ne!(chunks[0], chunks[1]);
        assert_eq!(&chunks[2][..8], &2u64.to_le_bytes());
        assert_eq!(chunks[0][8..], chunks[1][8..]);
    }

    #[test]
    fn block_starts_with_the_same_bytes_as_the_python_client() {
        // The first xorshift64 word from the fixed seed, computed independently in Python.
        assert_eq!(
            &block()[..8],
            &[0xad, 0x4d, 0xf3, 0x0b, 0xae, 0x77, 0x1b, 0xdc]
        );
        assert_eq!(chunk(0, 4).len(), 4);
        assert_eq!(&chunk(1, CHUNK)[..8], &1u64.to_le_bytes());
        assert_eq!(chunk(1, CHUNK)[8..], block()[8..]);
    }
}
