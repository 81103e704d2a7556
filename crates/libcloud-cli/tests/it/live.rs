//! The CLI against live servers, for the providers compiled into this build that have one.
//!
//! Each test finds its server through the variable `cargo xtask emulators up` sets; without it
//! the test is skipped with a printed reason (or fails when `LIBCLOUD_REQUIRE_LIVE=1`). A test
//! whose provider is not compiled into this build says so and skips.

use crate::util::{command, local_url, pattern, run, run_command};

/// Whether `libcloud providers` lists `name`.
fn compiled_in(name: &str) -> bool {
    run(&["providers", "-o", "json"])
        .ok()
        .json()
        .iter()
        .any(|p| p["name"] == name)
}

fn required() -> bool {
    matches!(
        std::env::var("LIBCLOUD_REQUIRE_LIVE")
            .as_deref()
            .map(str::trim),
        Ok("1" | "true" | "yes")
    )
}

/// The value of `var`, or `None` after printing why the test is skipped.
fn live_endpoint(var: &str) -> Option<String> {
    match std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
        Some(v) => Some(v.trim().to_string()),
        None => {
            assert!(!required(), "{var} is not set, but LIBCLOUD_REQUIRE_LIVE=1");
            println!("skipped: {var} not set (run cargo xtask emulators up)");
            None
        }
    }
}

/// Every storage command on S3 (moto), and `cp` from local to S3 and from S3 to memory and
/// back to local, compared byte for byte.
#[test]
fn storage_on_moto() {
    let Some(endpoint) = live_endpoint("LIBCLOUD_TEST_MOTO_ENDPOINT") else {
        return;
    };
    if !compiled_in("s3") {
        println!("skipped: the s3 provider is not compiled into this build");
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
