//! Errors: one line, a distinct exit code per kind, no secret ever printed, and `--endpoint`
//! pointing an HTTP driver at a server of the test's own.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use crate::util::{command, run, run_command};

#[test]
fn usage_errors_are_one_line_with_code_2() {
    let err = run(&["storage", "cp", "only-one-argument"]).fails(2);
    assert!(err.stderr.contains("required"), "{}", err.stderr);
    assert!(err.stderr.contains("--help"), "{}", err.stderr);
    run(&["no-such-command"]).fails(2);
    run(&["storage", "ls", "-o", "yaml"]).fails(2);
    let help = run(&["--help"]).ok();
    assert!(help.text().contains("Exit codes"));
    let version = run(&["--version"]).ok();
    assert!(version.text().starts_with("libcloud "));
}

#[test]
fn bad_urls_and_missing_providers_are_invalid_input() {
    let err = run(&["storage", "ls", "box/key"]).fails(2);
    assert!(err.stderr.contains("not a storage URL"), "{}", err.stderr);
    let err = run(&["storage", "ls", "ftp://box"]).fails(2);
    assert!(
        err.stderr.contains("unknown storage provider \"ftp\""),
        "{}",
        err.stderr
    );
    let err = run(&["compute", "nodes"]).fails(2);
    assert!(err.stderr.contains("--provider"), "{}", err.stderr);
    let err = run(&["compute", "nodes", "-p", "local"]).fails(2);
    assert!(err.stderr.contains("has no compute API"), "{}", err.stderr);
    let err = run(&["storage", "ls", "memory://b/%zz"]).fails(2);
    assert!(err.stderr.contains("percent"), "{}", err.stderr);
    run(&["storage", "mb", "memory://box/key"]).fails(2);
}

#[test]
fn option_values_never_reach_the_screen() {
    let secret = "hunter2-very-secret";
    let option = format!("secret_access_key={secret}");
    let err = run(&["storage", "ls", "memory://box", "-O", &option]).fails(2);
    assert!(
        err.stderr.contains("secret_access_key"),
        "the key is named: {}",
        err.stderr
    );
    assert!(!err.stderr.contains(secret), "{}", err.stderr);
    let url = format!("memory://box?password={secret}");
    let err = run(&["storage", "ls", &url]).fails(2);
    assert!(!err.stderr.contains(secret), "{}", err.stderr);
}

/// A one-shot HTTP server on loopback: answers every request with `status` and `body`, and
/// sends each request line it receives down the channel.
fn answer_with(status: u16, body: &'static str) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // A bounded number of connections: the command retries a few times at most.
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut length = 0usize;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body_in = vec![0u8; length];
            let _ = reader.read_exact(&mut body_in);
            let _ = tx.send(request_line.trim().to_string());
            let reply = format!(
                "HTTP/1.1 {status} Status\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nx-request-id: req-42\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (format!("http://127.0.0.1:{}", addr.port()), rx)
}

#[cfg(feature = "gogrid")]
#[test]
fn refused_credentials_exit_4_and_endpoint_redirects_the_driver() {
    let (endpoint, requests) = answer_with(
        403,
        r#"{"status":"failure","list":[{"object":"error","message":"Authentication failed"}]}"#,
    );
    let mut cmd = command();
    cmd.env("GOGRID_API_KEY", "key-id")
        .env("GOGRID_SHARED_SECRET", "shared-secret-value")
        .args(["lb", "balancers", "-p", "gogrid", "--endpoint"])
        .arg(format!("{endpoint}/api/"));
    let err = run_command(cmd, None).fails(4);
    assert!(err.stderr.contains("invalid credentials"), "{}", err.stderr);
    assert!(
        !err.stderr.contains("shared-secret-value"),
        "{}",
        err.stderr
    );
    let first = requests
        .try_recv()
        .expect("the driver called the --endpoint server");
    assert!(first.contains("/api/"), "{first}");
}

#[cfg(feature = "zerigo")]
#[test]
fn permission_denied_exits_5() {
    let (endpoint, requests) = answer_with(403, "");
    let mut cmd = command();
    cmd.env("ZERIGO_EMAIL", "ops@example.com")
        .env("ZERIGO_API_KEY", "api-key-value")
        .args(["dns", "zones", "-p", "zerigo", "--endpoint"])
        .arg(format!("{endpoint}/api/1.1/"));
    let err = run_command(cmd, None).fails(5);
    assert!(err.stderr.contains("permission denied"), "{}", err.stderr);
    assert!(!err.stderr.contains("api-key-value"), "{}", err.stderr);
    assert!(
        requests.try_recv().is_ok(),
        "the driver called the --endpoint server"
    );
}
