//! The checksums sent with uploads: MD5 (Content-MD5) or CRC32C, each computed once per byte.

use bytes::Bytes;
use libcloud_core::hash::{Md5, to_hex};

use crate::config::ChecksumMode;

/// Bodies at least this large are hashed on the blocking pool, so that parts in flight are
/// hashed on several cores at once.
const OFFLOAD_AT: usize = 1024 * 1024;

/// The checksum of one request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Digest {
    /// No checksum.
    None,
    /// The raw MD5.
    Md5([u8; 16]),
    /// The CRC32C.
    Crc32c(u32),
}

impl Digest {
    /// Computes the checksum `mode` asks for over `data`.
    pub(crate) fn compute(mode: ChecksumMode, data: &[u8]) -> Digest {
        match mode {
            ChecksumMode::Md5 => {
                let mut h = Md5::new();
                h.update(data);
                Digest::Md5(h.finish())
            }
            ChecksumMode::Crc32c => Digest::Crc32c(crc32c::crc32c(data)),
            ChecksumMode::None => Digest::None,
        }
    }

    /// [`compute`](Self::compute), on the blocking pool for large bodies when a Tokio runtime
    /// is running (inline otherwise).
    pub(crate) async fn of(mode: ChecksumMode, data: &Bytes) -> Digest {
        if mode == ChecksumMode::None {
            return Digest::None;
        }
        if data.len() >= OFFLOAD_AT
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let shared = data.clone();
            if let Ok(digest) = handle
                .spawn_blocking(move || Digest::compute(mode, &shared))
                .await
            {
                return digest;
            }
        }
        Digest::compute(mode, data)
    }

    /// The header that carries it and its value: `Content-MD5` or `x-amz-checksum-crc32c`, both
    /// base64 of the raw bytes (the CRC big-endian).
    pub(crate) fn header(&self) -> Option<(&'static str, String)> {
        match self {
            Digest::None => None,
            Digest::Md5(raw) => Some((crate::client::CONTENT_MD5, base64(raw))),
            Digest::Crc32c(crc) => {
                Some((crate::client::CHECKSUM_CRC32C, base64(&crc.to_be_bytes())))
            }
        }
    }

    /// The hex MD5, when this is one.
    pub(crate) fn md5_hex(&self) -> Option<String> {
        match self {
            Digest::Md5(raw) => Some(to_hex(raw)),
            _ => None,
        }
    }
}

/// The ETag S3 gives an object made of parts with these MD5s: the MD5 of the raw MD5s, `-`, and
/// the number of parts.
pub(crate) fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut h = Md5::new();
    for m in part_md5s {
        h.update(m);
    }
    format!("{}-{}", h.hex(), part_md5s.len())
}

/// The composite CRC32C S3 reports for an object made of parts with these CRCs: the CRC32C of
/// the big-endian CRCs, base64, `-`, and the number of parts.
pub(crate) fn composite_crc32c(part_crcs: &[u32]) -> String {
    let mut bytes = Vec::with_capacity(part_crcs.len() * 4);
    for c in part_crcs {
        bytes.extend_from_slice(&c.to_be_bytes());
    }
    format!(
        "{}-{}",
        base64(&crc32c::crc32c(&bytes).to_be_bytes()),
        part_crcs.len()
    )
}

/// Standard base64 with padding.
pub(crate) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An ETag without its quotes (and without a weak `W/` prefix).
pub(crate) fn unquote(etag: &str) -> &str {
    let e = etag.trim();
    let e = e.strip_prefix("W/").unwrap_or(e);
    e.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(e)
}

/// Whether `s` looks like a hex MD5.
pub(crate) fn is_md5_hex(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn digests_and_headers() {
        let (name, value) = Digest::compute(ChecksumMode::Md5, b"hello")
            .header()
            .unwrap();
        assert_eq!(
            (name, value.as_str()),
            ("content-md5", "XUFAKrxLKna5cZ2REBfFkg==")
        );
        // The CRC32C check value of "123456789" is 0xE3069283.
        let d = Digest::compute(ChecksumMode::Crc32c, b"123456789");
        assert_eq!(d, Digest::Crc32c(0xE306_9283));
        assert_eq!(d.header().unwrap().1, base64(&[0xE3, 0x06, 0x92, 0x83]));
        assert_eq!(Digest::compute(ChecksumMode::None, b"x").header(), None);
        assert_eq!(
            Digest::compute(ChecksumMode::Md5, b"").md5_hex().unwrap(),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }

    #[tokio::test]
    async fn large_bodies_hash_the_same_off_thread() {
        let data = Bytes::from(vec![7u8; OFFLOAD_AT + 3]);
        assert_eq!(
            Digest::of(ChecksumMode::Md5, &data).await,
            Digest::compute(ChecksumMode::Md5, &data)
        );
    }

    #[test]
    fn multipart_etags() {
        // Two parts: the ETag is the MD5 of both raw MD5s, then "-2".
        let a = match Digest::compute(ChecksumMode::Md5, b"a") {
            Digest::Md5(m) => m,
            _ => unreachable!(),
        };
        let b = match Digest::compute(ChecksumMode::Md5, b"b") {
            Digest::Md5(m) => m,
            _ => unreachable!(),
        };
        let mut joined = a.to_vec();
        joined.extend_from_slice(&b);
        let expected = format!("{}-2", libcloud_core::hash::md5_hex(&joined));
        assert_eq!(multipart_etag(&[a, b]), expected);
        assert!(composite_crc32c(&[1, 2]).ends_with("-2"));
        assert_eq!(unquote("\"abc\""), "abc");
        assert_eq!(unquote("W/\"abc\""), "abc");
        assert_eq!(unquote("abc"), "abc");
        assert!(is_md5_hex("d41d8cd98f00b204e9800998ecf8427e"));
        assert!(!is_md5_hex("d41d8cd98f00b204e9800998ecf8427e-2"));
    }
}
