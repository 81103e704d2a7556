//! Small utilities: base64 (user data, key material, console output), idempotency tokens, and the
//! shape of EC2 resource ids.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4).
pub(crate) fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| ALPHABET[((n >> shift) & 63) as usize] as char;
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// Decodes standard base64, ignoring whitespace; `None` when the text is not base64.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut padding = 0usize;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            padding += 1;
            continue;
        }
        if padding > 0 {
            return None;
        }
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    (padding <= 2).then_some(out)
}

/// A fresh idempotency token for RunInstances: `lc-` and 32 hex digits, unique per call
/// (randomly keyed hashes of the time and a process-wide counter).
pub(crate) fn client_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut words = [0u64; 2];
    for (i, w) in words.iter_mut().enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(count);
        h.write_usize(i);
        *w = h.finish();
    }
    format!("lc-{:016x}{:016x}", words[0], words[1])
}

/// Whether `id` has the shape of an EC2 resource id: a lower-case prefix, `-`, and hex digits
/// (`ami-0abc...`, `i-12345678`, `emi-5F4A8E35` on Eucalyptus).
pub(crate) fn is_resource_id(id: &str) -> bool {
    match id.split_once('-') {
        Some((prefix, rest)) => {
            !prefix.is_empty()
                && prefix.len() <= 16
                && prefix.bytes().all(|b| b.is_ascii_lowercase())
                && !rest.is_empty()
                && rest.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), coded);
            assert_eq!(base64_decode(coded).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(
            base64_decode("VGVz\ndCBT dHJpbmc=").as_deref(),
            Some(&b"Test String"[..])
        );
        assert_eq!(base64_decode("a=b"), None);
        assert_eq!(base64_decode("*"), None);
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode(&base64_encode(&all)), Some(all));
    }

    #[test]
    fn tokens_are_unique_and_short() {
        let a = client_token();
        let b = client_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 35);
        assert!(a.starts_with("lc-"));
    }

    #[test]
    fn resource_id_shapes() {
        for ok in [
            "ami-0abcdef1234567890",
            "i-12345678",
            "emi-5F4A8E35",
            "ami-be3adfd7",
        ] {
            assert!(is_resource_id(ok), "{ok}");
        }
        for bad in [
            "",
            "ami-",
            "-123",
            "lc-no-such-image-1a2b3c4d",
            "AMI-123",
            "ami_123",
            "ami-xyz",
        ] {
            assert!(!is_resource_id(bad), "{bad}");
        }
    }
}
