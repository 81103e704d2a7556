//! Storage commands on Garage (S3 that checks every signature) and on the Swift all-in-one
//! (tempauth), and `cp` from S3 to Swift and back with the bytes compared.

use std::path::Path;
use std::process::Command;

use libcloud_testkit::{require_live, unique_name};

use crate::live::{compiled_in, http};
use crate::util::{command, pattern, run_command};

/// An S3 server and the keys it takes.
struct S3Server {
    endpoint: String,
    key: String,
    secret: String,
    region: String,
}

impl S3Server {
    fn garage(endpoint: String, key: String, secret: String) -> Self {
        let region = libcloud_testkit::live::endpoint("LIBCLOUD_TEST_GARAGE_REGION")
            .unwrap_or_else(|| "us-east-1".into());
        S3Server {
            endpoint,
            key,
            secret,
            region,
        }
    }

    /// `libcloud -p s3 --endpoint ENDPOINT` with this server's keys in the AWS variables, and
    /// no other AWS setting from the caller.
    fn command(&self) -> Command {
        self.command_with_secret(&self.secret)
    }

    fn command_with_secret(&self, secret: &str) -> Command {
        let mut cmd = command();
        for var in [
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_ENDPOINT_URL",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("AWS_ACCESS_KEY_ID", &self.key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_REGION", &self.region)
            .args(["-q", "-p", "s3", "--endpoint", &self.endpoint]);
        cmd
    }
}

/// The Swift all-in-one's tempauth account.
struct Swift {
    auth_url: String,
    user: String,
    key: String,
}

impl Swift {
    /// A command with tempauth in the OpenStack variables: the `/auth/v1.0` URL tells the
    /// driver to use tempauth.
    fn command(&self) -> Command {
        let mut cmd = Swift::bare();
        cmd.env("OS_AUTH_URL", &self.auth_url)
            .env("OS_USERNAME", &self.user)
            .env("OS_PASSWORD", &self.key)
            .arg("-q");
        cmd
    }

    /// A command with no OpenStack or Swift client variable from the caller.
    fn bare() -> Command {
        let mut cmd = command();
        for (var, _) in std::env::vars() {
            if var.starts_with("OS_") || var.starts_with("ST_") {
                cmd.env_remove(var);
            }
        }
        cmd
    }

    /// The account's storage URL, as tempauth hands it out.
    fn storage_url(&self) -> String {
        let answer = http(
            "GET",
            &self.auth_url,
            &[("X-Auth-User", &self.user), ("X-Auth-Key", &self.key)],
            b"",
        );
        assert!(answer.status < 300, "tempauth answered {}", answer.status);
        answer.header("x-storage-url").unwrap().to_string()
    }
}

macro_rules! swift {
    () => {
        Swift {
            auth_url: require_live!("LIBCLOUD_TEST_SWIFT_AUTH_URL"),
            user: require_live!("LIBCLOUD_TEST_SWIFT_USER"),
            key: require_live!("LIBCLOUD_TEST_SWIFT_KEY"),
        }
    };
}

/// Runs `cmd` with `args` and asserts success.
#[track_caller]
fn ok(mut cmd: Command, args: &[&str]) -> crate::util::Run {
    cmd.args(args);
    run_command(cmd, None).ok()
}

/// Runs `cmd` with `args` and asserts it fails with `code`.
#[track_caller]
fn fails(mut cmd: Command, args: &[&str], code: i32) -> crate::util::Run {
    cmd.args(args);
    run_command(cmd, None).fails(code)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every storage command on Garage, whose answers depend on the request being signed right:
/// uploads in one piece and in parts, listings with and without a delimiter, whole and ranged
/// downloads, a presigned URL that Garage accepts (and refuses once altered), and a wrong
/// secret that ends with the invalid-credentials exit code.
#[test]
fn storage_on_garage() {
    let endpoint = require_live!("LIBCLOUD_TEST_GARAGE_ENDPOINT");
    let key = require_live!("LIBCLOUD_TEST_GARAGE_ACCESS_KEY");
    let secret = require_live!("LIBCLOUD_TEST_GARAGE_SECRET_KEY");
    if !compiled_in("s3") {
        return;
    }
    let garage = S3Server::garage(endpoint, key, secret);
    let dir = tempfile::tempdir().unwrap();
    let bucket = unique_name("cli-garage");
    let big = pattern(9 * 1024 * 1024 + 17); // over the 8 MiB multipart threshold
    let big_file = dir.path().join("big.bin");
    std::fs::write(&big_file, &big).unwrap();
    let small = b"small object, sent on standard input\n".to_vec();

    let made = ok(
        garage.command(),
        &["-o", "json", "storage", "mb", &format!("s3://{bucket}")],
    );
    assert_eq!(made.json()[0]["name"], bucket.as_str());
    ok(
        garage.command(),
        &[
            "storage",
            "put",
            path(&big_file),
            &format!("s3://{bucket}/data/big.bin"),
        ],
    );
    let mut put = garage.command();
    put.args([
        "storage",
        "put",
        "-",
        &format!("s3://{bucket}/data/notes/small.txt"),
        "--content-type",
        "text/plain",
        "--meta",
        "origin=cli-test",
    ]);
    run_command(put, Some(&small)).ok();

    let all = ok(
        garage.command(),
        &["-o", "json", "storage", "ls", &format!("s3://{bucket}")],
    )
    .json();
    let names: Vec<&str> = all.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["data/big.bin", "data/notes/small.txt"]);
    assert_eq!(all[0]["size"], big.len());
    let level = ok(
        garage.command(),
        &[
            "-o",
            "json",
            "storage",
            "ls",
            &format!("s3://{bucket}/data/"),
            "-d",
            "/",
        ],
    )
    .json();
    assert!(
        level.iter().any(|l| l["prefix"] == "data/notes/")
            && level.iter().any(|l| l["name"] == "data/big.bin")
            && level.len() == 2,
        "one level under data/: {level:?}"
    );

    let stat = ok(
        garage.command(),
        &[
            "-o",
            "json",
            "storage",
            "stat",
            &format!("s3://{bucket}/data/notes/small.txt"),
        ],
    )
    .json();
    assert_eq!(stat[0]["size"], small.len());
    assert_eq!(stat[0]["content_type"], "text/plain");
    assert_eq!(stat[0]["meta_data"]["origin"], "cli-test");

    let back = dir.path().join("back.bin");
    ok(
        garage.command(),
        &[
            "storage",
            "get",
            &format!("s3://{bucket}/data/big.bin"),
            path(&back),
        ],
    );
    assert!(
        std::fs::read(&back).unwrap() == big,
        "the multipart upload read back changed"
    );
    let range = ok(
        garage.command(),
        &[
            "storage",
            "get",
            &format!("s3://{bucket}/data/big.bin"),
            "-",
            "--range",
            "8388600-8388700",
        ],
    );
    assert_eq!(
        range.stdout,
        big[8_388_600..=8_388_700],
        "a range across the part boundary"
    );

    // The presigned URL works for anyone who has it, and only as signed.
    let url = ok(
        garage.command(),
        &[
            "storage",
            "url",
            &format!("s3://{bucket}/data/notes/small.txt"),
            "--expires",
            "5m",
        ],
    )
    .text();
    let url = url.trim();
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let fetched = http("GET", url, &[], b"");
    assert_eq!(
        fetched.status,
        200,
        "{}",
        String::from_utf8_lossy(&fetched.body)
    );
    assert_eq!(fetched.body, small);
    let altered = url.replace("small.txt", "small.tx");
    assert_eq!(
        http("GET", &altered, &[], b"").status,
        403,
        "a changed path breaks the signature"
    );

    // A wrong secret: Garage refuses the signature, the command says so with exit code 4, and
    // neither secret shows.
    let wrong = "0000000000000000000000000000000000000000000000000000000000000000";
    for args in [
        vec!["storage".to_string(), "ls".into(), format!("s3://{bucket}")],
        vec!["storage".to_string(), "ls".into()],
        vec![
            "storage".to_string(),
            "rm".into(),
            format!("s3://{bucket}/data/big.bin"),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let refused = fails(garage.command_with_secret(wrong), &args, 4);
        assert!(
            refused.stderr.contains("invalid credentials"),
            "{}",
            refused.stderr
        );
        assert!(!refused.stderr.contains(wrong) && !refused.stderr.contains(&garage.secret));
    }
    let mut put = garage.command_with_secret(wrong);
    put.args(["storage", "put", "-", &format!("s3://{bucket}/refused.txt")]);
    run_command(put, Some(b"never stored")).fails(4);
    let still = ok(
        garage.command(),
        &["-o", "json", "storage", "ls", &format!("s3://{bucket}")],
    )
    .json();
    assert_eq!(
        still.len(),
        2,
        "nothing changed with the wrong secret: {still:?}"
    );

    ok(
        garage.command(),
        &["storage", "rm", &format!("s3://{bucket}/data/big.bin")],
    );
    fails(
        garage.command(),
        &["storage", "stat", &format!("s3://{bucket}/data/big.bin")],
        3,
    );
    ok(
        garage.command(),
        &[
            "storage",
            "rm",
            &format!("s3://{bucket}/data/notes/small.txt"),
        ],
    );
    ok(
        garage.command(),
        &["storage", "rb", &format!("s3://{bucket}")],
    );
    fails(
        garage.command(),
        &["storage", "ls", &format!("s3://{bucket}")],
        3,
    );
}

/// Every storage command on Swift with tempauth, configured three ways: the OpenStack
/// variables, the `swift` client's `ST_*` variables, and options in the URL (the key still from
/// the environment); `--endpoint` replaces the catalog's storage URL; a wrong key is exit 4.
#[test]
fn storage_on_swift_with_tempauth() {
    let swift = swift!();
    if !compiled_in("swift") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let container = unique_name("cli-swift");
    let data = pattern(3 * 1024 * 1024 + 5);
    let file = dir.path().join("blob.bin");
    std::fs::write(&file, &data).unwrap();
    let at = |key: &str| format!("swift://{container}/{key}");

    ok(
        swift.command(),
        &["storage", "mb", &format!("swift://{container}")],
    );
    ok(
        swift.command(),
        &["storage", "put", path(&file), &at("dir/blob.bin")],
    );
    let mut put = swift.command();
    put.args([
        "storage",
        "put",
        "-",
        &at("dir/sub/note.txt"),
        "--content-type",
        "text/plain",
        "--meta",
        "colour=blue",
    ]);
    run_command(put, Some(b"a note")).ok();

    let all = ok(
        swift.command(),
        &[
            "-o",
            "json",
            "storage",
            "ls",
            &format!("swift://{container}"),
        ],
    )
    .json();
    let names: Vec<&str> = all.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dir/blob.bin", "dir/sub/note.txt"]);
    let level = ok(
        swift.command(),
        &["-o", "json", "storage", "ls", &at("dir/"), "-d", "/"],
    )
    .json();
    assert!(
        level.len() == 2
            && level.iter().any(|l| l["prefix"] == "dir/sub/")
            && level.iter().any(|l| l["name"] == "dir/blob.bin"),
        "{level:?}"
    );
    let stat = ok(
        swift.command(),
        &["-o", "json", "storage", "stat", &at("dir/sub/note.txt")],
    )
    .json();
    assert_eq!(stat[0]["size"], 6);
    assert_eq!(stat[0]["content_type"], "text/plain");
    assert_eq!(stat[0]["meta_data"]["colour"], "blue");
    let back = dir.path().join("back.bin");
    ok(
        swift.command(),
        &["storage", "get", &at("dir/blob.bin"), path(&back)],
    );
    assert!(
        std::fs::read(&back).unwrap() == data,
        "Swift changed the bytes"
    );
    let range = ok(
        swift.command(),
        &[
            "storage",
            "get",
            &at("dir/blob.bin"),
            "-",
            "--range",
            "1000-1999",
        ],
    );
    assert_eq!(range.stdout, data[1000..2000]);

    // The swift client's variables.
    let mut st = Swift::bare();
    st.env("ST_AUTH", &swift.auth_url)
        .env("ST_USER", &swift.user)
        .env("ST_KEY", &swift.key);
    let listed = ok(
        st,
        &[
            "-o",
            "json",
            "storage",
            "ls",
            &format!("swift://{container}"),
        ],
    )
    .json();
    assert_eq!(listed.len(), 2);

    // Options in the URL: tempauth named outright, the key from OS_PASSWORD.
    let query = format!(
        "?auth_url={}&username={}&auth_type=tempauth",
        swift.auth_url, swift.user
    );
    let mut options = Swift::bare();
    options.env("OS_PASSWORD", &swift.key);
    let got = ok(
        options,
        &[
            "storage",
            "get",
            &format!("{}{query}", at("dir/sub/note.txt")),
            "-",
        ],
    );
    assert_eq!(got.stdout, b"a note");

    // --endpoint is the storage URL itself; sign-in still goes to the auth URL. A closed port
    // there fails, which shows the catalog's URL is not used instead.
    let storage_url = swift.storage_url();
    let mut direct = swift.command();
    direct.args(["-p", "swift", "--endpoint", &storage_url]);
    let listed = ok(
        direct,
        &[
            "-o",
            "json",
            "storage",
            "ls",
            &format!("swift://{container}"),
        ],
    )
    .json();
    assert_eq!(listed.len(), 2);
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}/v1/AUTH_nowhere")
    };
    let mut elsewhere = swift.command();
    elsewhere.args(["-p", "swift", "--endpoint", &closed]);
    fails(
        elsewhere,
        &["storage", "ls", &format!("swift://{container}")],
        1,
    );

    // A wrong key is refused at sign-in, and the key is not printed.
    let mut wrong = swift.command();
    wrong.env("OS_PASSWORD", "not-the-key");
    let refused = fails(
        wrong,
        &["storage", "ls", &format!("swift://{container}")],
        4,
    );
    assert!(!refused.stderr.contains("not-the-key") && !refused.stderr.contains(&swift.key));

    ok(swift.command(), &["storage", "rm", &at("dir/blob.bin")]);
    fails(
        swift.command(),
        &["storage", "stat", &at("dir/blob.bin")],
        3,
    );
    ok(swift.command(), &["storage", "rm", &at("dir/sub/note.txt")]);
    ok(
        swift.command(),
        &["storage", "rb", &format!("swift://{container}")],
    );
    fails(
        swift.command(),
        &["storage", "ls", &format!("swift://{container}")],
        3,
    );
}

/// `cp` from S3 (Garage, else moto) to Swift and back in one command line each, streamed
/// between the two servers, with the content compared byte for byte at every step.
#[test]
fn cp_between_s3_and_swift() {
    let swift = swift!();
    let s3 = match (
        libcloud_testkit::live::endpoint("LIBCLOUD_TEST_GARAGE_ENDPOINT"),
        libcloud_testkit::live::endpoint("LIBCLOUD_TEST_GARAGE_ACCESS_KEY"),
        libcloud_testkit::live::endpoint("LIBCLOUD_TEST_GARAGE_SECRET_KEY"),
    ) {
        (Some(endpoint), Some(key), Some(secret)) => S3Server::garage(endpoint, key, secret),
        _ => S3Server {
            endpoint: require_live!("LIBCLOUD_TEST_MOTO_ENDPOINT"),
            key: "testing".into(),
            secret: "testing".into(),
            region: "us-east-1".into(),
        },
    };
    if !compiled_in("s3") || !compiled_in("swift") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bucket = unique_name("cli-cross");
    let container = unique_name("cli-cross");
    let data = pattern(9 * 1024 * 1024 + 333);
    let file = dir.path().join("src.bin");
    std::fs::write(&file, &data).unwrap();

    // One command line sees both servers: S3 through -p s3 --endpoint, Swift through OS_*.
    let both = || {
        let mut cmd = s3.command();
        cmd.env("OS_AUTH_URL", &swift.auth_url)
            .env("OS_USERNAME", &swift.user)
            .env("OS_PASSWORD", &swift.key);
        cmd
    };
    ok(both(), &["storage", "mb", &format!("s3://{bucket}")]);
    ok(both(), &["storage", "mb", &format!("swift://{container}")]);
    ok(
        both(),
        &[
            "storage",
            "put",
            path(&file),
            &format!("s3://{bucket}/in/src.bin"),
        ],
    );
    ok(
        both(),
        &[
            "storage",
            "cp",
            &format!("s3://{bucket}/in/src.bin"),
            &format!("swift://{container}/copied/src.bin"),
        ],
    );
    let on_swift = ok(
        swift.command(),
        &[
            "storage",
            "get",
            &format!("swift://{container}/copied/src.bin"),
            "-",
        ],
    );
    assert!(on_swift.stdout == data, "S3 -> Swift changed the bytes");
    ok(
        both(),
        &[
            "storage",
            "cp",
            &format!("swift://{container}/copied/src.bin"),
            &format!("s3://{bucket}/back/src.bin"),
        ],
    );
    let stat = ok(
        s3.command(),
        &[
            "-o",
            "json",
            "storage",
            "stat",
            &format!("s3://{bucket}/back/src.bin"),
        ],
    )
    .json();
    assert_eq!(stat[0]["size"], data.len());
    let back = dir.path().join("back.bin");
    ok(
        s3.command(),
        &[
            "storage",
            "get",
            &format!("s3://{bucket}/back/src.bin"),
            path(&back),
        ],
    );
    assert!(
        std::fs::read(&back).unwrap() == data,
        "Swift -> S3 changed the bytes"
    );

    for key in ["in/src.bin", "back/src.bin"] {
        ok(
            s3.command(),
            &["storage", "rm", &format!("s3://{bucket}/{key}")],
        );
    }
    ok(s3.command(), &["storage", "rb", &format!("s3://{bucket}")]);
    ok(
        swift.command(),
        &[
            "storage",
            "rm",
            &format!("swift://{container}/copied/src.bin"),
        ],
    );
    ok(
        swift.command(),
        &["storage", "rb", &format!("swift://{container}")],
    );
}
