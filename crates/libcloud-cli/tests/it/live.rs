//! The CLI against live servers, for the providers compiled into this build that have one.
//!
//! Each test finds its server through the variable `cargo xtask emulators up` sets; without it
//! the test is skipped with a printed reason (or fails when `LIBCLOUD_REQUIRE_LIVE=1`). A test
//! whose provider is not compiled into this build says so and skips. This module holds the
//! test on moto and what the live tests share; `live_storage` and `live_mimic` hold the rest.

use libcloud_testkit::require_live;

use crate::util::{command, local_url, pattern, run, run_command};

/// Whether `libcloud providers` lists `name`; prints why the test is skipped when it does not.
pub fn compiled_in(name: &str) -> bool {
    let listed = run(&["providers", "-o", "json"])
        .ok()
        .json()
        .iter()
        .any(|p| p["name"] == name);
    if !listed {
        println!("skipped: the {name} provider is not compiled into this build");
    }
    listed
}

/// What a plain HTTP/1.1 exchange returned: status, headers (names lower-case) and body.
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpAnswer {
    /// The first value of the header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request to an `http://` URL over a fresh connection, without any client library,
/// so that what the tests check about a server does not go through the code under test.
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpAnswer {
    use std::io::{Read, Write};
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not an http:// URL: {url}"));
    let (authority, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers from {url}"));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line from {url}: {head}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut answer = HttpAnswer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    };
    if answer
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        answer.body = dechunk(&answer.body);
    }
    answer
}

/// The payload of a chunked body.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = String::from_utf8_lossy(&data[..eol]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}

/// Every storage command on S3 (moto), and `cp` from local to S3 and from S3 to memory and
/// back to local, compared byte for byte.
#[test]
fn storage_on_moto() {
    let endpoint = require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT");
    if !compiled_in("s3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bucket = format!("cli-{}", std::process::id());
    let data = pattern(12 * 1024 * 1024 + 5);
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("in")).unwrap();
    std::fs::write(src.join("in").join("blob.bin"), &data).unwrap();
    let back = dir.path().join("back");
    let script = format!(
        "storage mb s3://{bucket}\n\
         storage cp {from} s3://{bucket}/dir/blob.bin\n\
         storage ls s3://{bucket}/dir/\n\
         storage stat s3://{bucket}/dir/blob.bin\n\
         storage mb memory://mem\n\
         storage cp s3://{bucket}/dir/blob.bin memory://mem/blob.bin\n\
         storage mb {back_box}\n\
         storage cp memory://mem/blob.bin {to}\n\
         storage get s3://{bucket}/dir/blob.bin {part} --range 100-199\n\
         storage ls s3://{bucket} -d /\n\
         storage url s3://{bucket}/dir/blob.bin --expires 10m\n\
         storage rm s3://{bucket}/dir/blob.bin\n\
         storage rb s3://{bucket}\n",
        from = local_url(&src, "in", "blob.bin"),
        back_box = local_url(&back, "out", ""),
        to = local_url(&back, "out", "blob.bin"),
        part = dir.path().join("part.bin").display(),
    );
    // With --provider s3, --endpoint goes to the S3 driver only, not to memory or local.
    let path = dir.path().join("script");
    std::fs::write(&path, script).unwrap();
    let mut cmd = aws_command();
    cmd.args([
        "-o",
        "json",
        "-q",
        "-p",
        "s3",
        "--endpoint",
        &endpoint,
        "batch",
    ])
    .arg(&path);
    let done = run_command(cmd, None).ok();
    let copied = std::fs::read(back.join("out").join("blob.bin")).unwrap();
    assert!(
        copied == data,
        "local -> s3 -> memory -> local changed the bytes"
    );
    // JSON lines from mb, ls and stat; the presigned URL is a plain line.
    let text = done.text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stat = lines
        .iter()
        .rfind(|l| l["name"] == "dir/blob.bin")
        .unwrap_or_else(|| panic!("no stat line: {text}"));
    assert_eq!(stat["size"], data.len());
    assert!(
        lines.iter().any(|l| l["prefix"] == "dir/"),
        "the delimiter groups dir/: {text}"
    );
    let part = std::fs::read(dir.path().join("part.bin")).unwrap();
    assert_eq!(part, data[100..200], "a ranged get");
    let url = text
        .lines()
        .find(|l| l.starts_with("http"))
        .unwrap_or_else(|| panic!("no presigned URL: {text}"));
    assert!(
        url.contains(&bucket) && url.contains("X-Amz-Signature="),
        "{url}"
    );

    // Errors from a live server keep their kind: a missing object is exit 3.
    let missing = format!("s3://{bucket}-gone/none?endpoint={endpoint}");
    let mut cmd = aws_command();
    cmd.args(["storage", "stat", &missing]);
    run_command(cmd, None).fails(3);
}

/// A command with the credentials moto takes (it checks none).
fn aws_command() -> std::process::Command {
    let mut cmd = command();
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1");
    cmd
}
