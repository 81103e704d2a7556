//! Small pieces the four drivers share.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use libcloud_core::{Error, ErrorKind};
use ssh_key::rand_core::{OsRng, RngCore};

use crate::PROVIDER;

/// Locks a driver's state. A panic while the lock was held cannot leave the state half-changed
/// (every change is made on values computed before the state is touched), so a poisoned lock is
/// simply taken over.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Adds this provider and `operation` to an error that does not name them yet.
pub(crate) fn context(operation: &'static str) -> impl Fn(Error) -> Error {
    move |err| err.or_provider(PROVIDER).or_operation(operation)
}

/// The `Provider` error a real cloud returns when an account's quota is used up.
pub(crate) fn quota_exceeded(message: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::Provider {
            code: "QuotaExceeded".to_string(),
        },
        message,
    )
}

/// A time as RFC 3339 text, for `extra` maps.
pub(crate) fn rfc3339(t: SystemTime) -> serde_json::Value {
    serde_json::Value::String(libcloud_core::common::format_utc(t).replacen(' ', "T", 1) + "Z")
}

/// Finds the lowest address of `pools` (each a /24 network given by its first three octets) whose
/// host part is 1..=254 and that is not in `used`.
pub(crate) fn free_address(pools: &[[u8; 3]], used: &BTreeSet<Ipv4Addr>) -> Option<Ipv4Addr> {
    pools.iter().find_map(|[a, b, c]| {
        (1..=254u8)
            .map(|host| Ipv4Addr::new(*a, *b, *c, host))
            .find(|ip| !used.contains(ip))
    })
}

/// A random password of `len` characters, with at least one lower-case letter, one upper-case
/// letter and one digit, drawn from the operating system's random source.
pub(crate) fn generate_password(len: usize) -> String {
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let all: Vec<u8> = [LOWER, UPPER, DIGITS].concat();
    let len = len.max(3);
    let mut out: Vec<u8> = Vec::with_capacity(len);
    out.push(pick(LOWER));
    out.push(pick(UPPER));
    out.push(pick(DIGITS));
    while out.len() < len {
        out.push(pick(&all));
    }
    // Shuffle so the three guaranteed classes are not always in front (Fisher-Yates).
    for i in (1..out.len()).rev() {
        let j = uniform(i as u32 + 1) as usize;
        out.swap(i, j);
    }
    out.into_iter().map(char::from).collect()
}

fn pick(set: &[u8]) -> u8 {
    set[uniform(set.len() as u32) as usize]
}

/// A uniform random number below `bound` (which must be at least 1), without modulo bias.
fn uniform(bound: u32) -> u32 {
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let n = OsRng.next_u32();
        if n < zone {
            return n % bound;
        }
    }
}

/// Percent-encodes `text` for a URL path, leaving unreserved characters and `/` as they are.
pub(crate) fn percent_encode_path(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_mix_classes_and_differ() {
        let a = generate_password(20);
        let b = generate_password(20);
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(a.bytes().any(|c| c.is_ascii_lowercase()));
        assert!(a.bytes().any(|c| c.is_ascii_uppercase()));
        assert!(a.bytes().any(|c| c.is_ascii_digit()));
    }

    #[test]
    fn free_address_skips_used_and_moves_to_the_next_pool() {
        let pools = [[192, 0, 2], [203, 0, 113]];
        let mut used = BTreeSet::new();
        assert_eq!(
            free_address(&pools, &used),
            Some(Ipv4Addr::new(192, 0, 2, 1))
        );
        used.extend((1..=254).map(|h| Ipv4Addr::new(192, 0, 2, h)));
        assert_eq!(
            free_address(&pools, &used),
            Some(Ipv4Addr::new(203, 0, 113, 1))
        );
        used.extend((1..=254).map(|h| Ipv4Addr::new(203, 0, 113, h)));
        assert_eq!(free_address(&pools, &used), None);
    }

    #[test]
    fn path_encoding() {
        assert_eq!(percent_encode_path("a b/c%d"), "a%20b/c%25d");
        assert_eq!(percent_encode_path("é"), "%C3%A9");
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(
            rfc3339(SystemTime::UNIX_EPOCH),
            serde_json::Value::String("1970-01-01T00:00:00Z".into())
        );
    }
}
