//! Helpers shared by the test modules.

use libcloud_aws::Env;
use libcloud_ec2::{Ec2Compute, Ec2Config};
use libcloud_testkit::replay::{RecordedRequest, Replay, Route};

/// A driver for us-east-1 whose requests go to `replay`.
pub fn driver(replay: &Replay) -> Ec2Compute {
    let config = Ec2Config::from_options(
        [
            ("region", "us-east-1"),
            ("key", "AKIDLIBCLOUDTEST"),
            ("secret", "libcloud-test-secret"),
        ],
        Env::from_pairs::<_, &str, &str>([]),
    )
    .unwrap();
    Ec2Compute::with_transport(config, replay.transport()).unwrap()
}

/// A route for the query action `name` (`POST /` whose form names it).
pub fn action(name: &str) -> Route {
    Route::post("/").body_contains(&format!("Action={name}&"))
}

/// A route answering `name` with the recorded fixture `file`.
pub fn fixture(name: &str, file: &str) -> Route {
    action(name).fixture("ec2", file)
}

/// An EC2 error document.
pub fn ec2_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
         <Message>{message}</Message></Error></Errors><RequestID>req-test</RequestID></Response>"
    )
}

/// The decoded form parameters of a recorded query request, in order.
pub fn form(request: &RecordedRequest) -> Vec<(String, String)> {
    request
        .body_text()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The first value of form parameter `key` of a recorded request.
pub fn param(request: &RecordedRequest, key: &str) -> Option<String> {
    form(request)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The recorded requests for action `name`.
pub fn sent(replay: &Replay, name: &str) -> Vec<RecordedRequest> {
    replay
        .requests()
        .into_iter()
        .filter(|r| param(r, "Action").as_deref() == Some(name))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
