//! Checksums drivers share.

use md5::Digest;

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
