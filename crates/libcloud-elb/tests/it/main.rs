//! Tests of the classic ELB and application load balancer drivers: Apache Libcloud's recorded
//! answers (found through `libcloud_testkit::fixtures`), requests checked parameter by
//! parameter against answers written here, and the load balancer conformance suite plus the
//! provider-only operations against moto when `LIBCLOUD_TEST_MOTO_ENDPOINT` names one.
#![allow(clippy::unwrap_used)]

mod alb_fixtures;
mod alb_requests;
mod classic_fixtures;
mod classic_requests;
mod live;
mod xml_props;

use libcloud_core::{Algorithm, BalancerState, Extra, LoadBalancer};
use libcloud_elb::{AlbLoadBalancer, ElbConfig, ElbLoadBalancer, TargetType};
use libcloud_testkit::replay::{RecordedRequest, Replay, Route};

/// The classic API's recordings.
pub const ELB: &str = "elb";
/// The application API's recordings.
pub const ALB: &str = "alb";

/// Settings with fixed keys, at AWS's endpoints in `us-east-1`.
pub fn config() -> ElbConfig {
    ElbConfig::new().with_keys("AKIDTEST", "secret")
}

/// A classic driver sending to `replay`.
pub fn classic(replay: &Replay, config: ElbConfig) -> ElbLoadBalancer {
    ElbLoadBalancer::with_transport(config, replay.transport()).unwrap()
}

/// An application driver sending to `replay`.
pub fn application(replay: &Replay, config: ElbConfig) -> AlbLoadBalancer {
    AlbLoadBalancer::with_transport(config, replay.transport()).unwrap()
}

/// A replay serving `routes`.
pub fn replay_of(routes: Vec<Route>) -> Replay {
    let replay = Replay::new();
    for route in routes {
        replay.add(route);
    }
    replay
}

/// A route for the query call `action`.
pub fn action(name: &str) -> Route {
    Route::post("/").body_contains(&format!("Action={name}&"))
}

/// A route for `action` answering with the recording `file` of `provider`.
pub fn recorded(name: &str, provider: &str, file: &str) -> Route {
    action(name)
        .response_header("content-type", "text/xml")
        .fixture(provider, file)
}

/// A route for `action` answering with XML written here.
pub fn answer(name: &str, body: impl Into<String>) -> Route {
    action(name)
        .response_header("content-type", "text/xml")
        .body(body.into())
}

/// An error document of the query APIs.
pub fn error_body(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>\
         </Error><RequestId>req-{code}</RequestId></ErrorResponse>"
    )
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// The form parameters of a query call, decoded, in order.
pub fn params(request: &RecordedRequest) -> Vec<(String, String)> {
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

/// The parameters of a query call without `Action` and `Version`, as `key=value` lines.
pub fn args(request: &RecordedRequest) -> Vec<String> {
    params(request)
        .into_iter()
        .filter(|(k, _)| k != "Action" && k != "Version")
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

/// The `Action` of a query call.
pub fn action_of(request: &RecordedRequest) -> String {
    params(request)
        .into_iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// Checks a call went to the regional endpoint, signed for `service` in us-east-1, with
/// `version`.
pub fn assert_call(request: &RecordedRequest, service: &str, version: &str) {
    let auth = request.header("authorization").unwrap();
    assert!(
        auth.contains(&format!("/us-east-1/{service}/aws4_request")),
        "{auth}"
    );
    assert_eq!(request.path(), "/");
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert!(
        params(request).contains(&("Version".to_string(), version.to_string())),
        "{}",
        request.body_text()
    );
}

/// A balancer as a caller holds it, with no `extra`.
pub fn balancer(id: &str, name: &str) -> LoadBalancer {
    LoadBalancer {
        id: id.into(),
        name: name.into(),
        state: BalancerState::Running,
        ip: None,
        port: 80,
        protocol: Some("http".into()),
        algorithm: Some(Algorithm::RoundRobin),
        extra: Extra::new(),
    }
}

/// Application settings with fixed subnets and the target type `target_type`.
pub fn alb_config(target_type: TargetType) -> ElbConfig {
    config()
        .with_api(libcloud_elb::ElbApi::Application)
        .with_subnets(["subnet-1", "subnet-2"])
        .with_target_type(target_type)
}
