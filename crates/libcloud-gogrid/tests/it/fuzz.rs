//! Truncated and garbled versions of every recording, fed to the driver: each must give an
//! answer or a typed error, never a panic.

use libcloud_core::{
    BalancerState, CreateBalancer, ErrorKind, LoadBalancer, LoadBalancerDriver, Member, Result,
};
use libcloud_testkit::fixtures;
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;

use crate::{FIXTURES, PROVIDER, driver};

fn balancer() -> LoadBalancer {
    LoadBalancer {
        id: "23530".into(),
        name: "test2".into(),
        state: BalancerState::Running,
        ip: None,
        port: 80,
        protocol: None,
        algorithm: None,
        extra: Default::default(),
    }
}

/// The call that reads `file`, with a route that serves `body` to it.
async fn call_with(file: &str, status: u16, body: Vec<u8>) -> Result<()> {
    let replay = Replay::new();
    let lb = driver(&replay);
    let route = |r: Route| r.status(status).body(body.clone());
    let members = || {
        Route::get("/api/grid/loadbalancer/get").body(
            r#"{"status":"success","list":[{"id":23530,"name":"test2",
                "virtualip":{"ip":{"ip":"10.0.0.68"},"port":80},"realiplist":[]}]}"#,
        )
    };
    let create = CreateBalancer::new("test2", 80, "http").member(Member::new("10.1.0.10", 80));
    match file {
        "loadbalancer_list.json" => {
            replay.add(route(Route::get("/api/grid/loadbalancer/list")));
            lb.list_balancers().await.map(drop)
        }
        "loadbalancer_get.json" => {
            replay.add(route(Route::get("/api/grid/loadbalancer/get")));
            lb.balancer_list_members(&balancer()).await.map(drop)
        }
        "loadbalancer_add.json" | "unexpected_error.json" => {
            replay.add(route(Route::post("/api/grid/loadbalancer/add")));
            let mut request = create.clone();
            request
                .extra
                .insert("virtual_ip".into(), serde_json::json!("10.0.0.68"));
            lb.create_balancer(&request).await.map(drop)
        }
        "loadbalancer_edit.json" => {
            replay.add(members());
            replay.add(route(Route::post("/api/grid/loadbalancer/edit")));
            lb.balancer_attach_member(&balancer(), &Member::new("10.0.0.75", 80))
                .await
                .map(drop)
        }
        "ip_list.json" => {
            replay.add(route(Route::get("/api/grid/ip/list")));
            lb.ex_list_ips(Some(true), Some(false), None)
                .await
                .map(drop)
        }
        other => panic!("no call reads {other}: add one"),
    }
}

fn status_of(file: &str) -> u16 {
    if file == "unexpected_error.json" {
        500
    } else {
        200
    }
}

/// Deterministic variants of `body`: cut at many points, and with bytes replaced by ones that
/// break JSON, numbers or UTF-8.
fn variants(body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let junk: &[&[u8]] = &[b"{", b"]", b"\"", b"\xff", b"x", b"-", b"null", b"1e999"];
    libcloud_testkit::fuzz::cut_and_garbled(body, junk, 0x2545_f491)
}

#[tokio::test]
async fn truncated_and_garbled_recordings_give_errors_not_panics() {
    require_fixtures!(PROVIDER);
    let mut errors = 0;
    let mut total = 0;
    for file in FIXTURES {
        let body = fixtures::read(PROVIDER, file).unwrap().to_vec();
        let status = status_of(file);
        let intact = call_with(file, status, body.clone()).await;
        assert_eq!(intact.is_ok(), status < 300, "{file}: {intact:?}");
        for (what, variant) in variants(&body) {
            total += 1;
            let Err(err) = call_with(file, status, variant.clone()).await else {
                continue;
            };
            errors += 1;
            let allowed = match status {
                500 => matches!(err.kind(), ErrorKind::Provider { .. }),
                _ => *err.kind() == ErrorKind::MalformedResponse,
            };
            assert!(
                allowed,
                "{file} ({what}): unexpected {:?}: {err}\n{}",
                err.kind(),
                String::from_utf8_lossy(&variant)
            );
            assert_eq!(err.provider(), Some("gogrid"), "{file} ({what})");
        }
    }
    assert!(
        errors * 2 > total,
        "only {errors} of {total} variants were refused"
    );
}

#[tokio::test]
async fn every_cut_of_a_success_is_malformed() {
    require_fixtures!(PROVIDER);
    for file in FIXTURES.iter().filter(|f| status_of(f) < 300) {
        let body = fixtures::read(PROVIDER, file).unwrap().to_vec();
        let end = String::from_utf8(body.clone()).unwrap().trim_end().len();
        for cut in (0..end).step_by(97) {
            let err = call_with(file, 200, body[..cut].to_vec())
                .await
                .unwrap_err();
            assert_eq!(
                *err.kind(),
                ErrorKind::MalformedResponse,
                "{file} cut at {cut}"
            );
        }
    }
}
