//! The token cache in use: a token that expires mid-run, or that a service stops accepting,
//! is replaced without the caller seeing an error.

use std::time::Duration;

use futures::TryStreamExt;
use libcloud_core::{ErrorKind, StorageDriver, StorageDriverExt};
use libcloud_openstack::{AuthConfig, OpenStackConfig, Session, SwiftStorage};
use libcloud_testkit::replay::{Replay, Route};

use crate::TestClock;

const STORAGE: &str = "http://swift.example.com/v1/AUTH_test";

fn login(token: &str, expires_in: &str) -> Route {
    Route::get("/auth/v1.0")
        .response_header("x-auth-token", token)
        .response_header("x-storage-url", STORAGE)
        .response_header("x-auth-token-expires", expires_in)
}

fn listing(token: &str) -> Route {
    Route::get("/v1/AUTH_test")
        .query("format", "json")
        .header("x-auth-token", token)
        .json(&serde_json::json!([{"name": "photos", "count": 2, "bytes": 10}]))
}

fn driver(replay: &Replay, clock: &TestClock) -> SwiftStorage {
    let config = OpenStackConfig::new(AuthConfig::tempauth(
        "http://swift.example.com/auth/v1.0",
        "test:tester",
        "testing",
    ));
    let session = Session::new(config.auth.clone(), replay.transport())
        .with_clock(clock.clock())
        .with_refresh_margin(Duration::from_secs(30));
    SwiftStorage::with_session(std::sync::Arc::new(session), &config).unwrap()
}

fn tokens_sent(replay: &Replay) -> Vec<String> {
    replay
        .requests()
        .iter()
        .map(|r| match r.header("x-auth-token") {
            Some(t) => format!("{} {}", r.path(), t),
            None => format!("{} (login)", r.path()),
        })
        .collect()
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_use() {
    let replay = Replay::new()
        .with(login("AUTH_first", "120"))
        .with(listing("AUTH_first").repeat())
        .with(login("AUTH_second", "120"))
        .with(listing("AUTH_second"));
    let clock = TestClock::at(5_000_000);
    let swift = driver(&replay, &clock);

    assert_eq!(swift.list_containers().await.unwrap().len(), 1);
    // 80 s later 40 s are left: more than the 30 s margin, the token is kept.
    clock.advance(Duration::from_secs(80));
    assert_eq!(swift.list_containers().await.unwrap().len(), 1);
    // 20 s more and only 20 s are left: the driver signs in again first.
    clock.advance(Duration::from_secs(20));
    let containers = swift.list_containers().await.unwrap();
    assert_eq!(containers[0].name, "photos");
    assert_eq!(swift.session().authentications(), 2);
    assert_eq!(
        tokens_sent(&replay),
        [
            "/auth/v1.0 (login)",
            "/v1/AUTH_test AUTH_first",
            "/v1/AUTH_test AUTH_first",
            "/auth/v1.0 (login)",
            "/v1/AUTH_test AUTH_second",
        ]
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn a_refused_token_is_replaced_and_the_request_sent_again() {
    let replay = Replay::new()
        .with(login("AUTH_old", "86400"))
        .with(listing("AUTH_old"))
        // The server forgets the token mid-run (a restart, a revocation).
        .with(
            Route::get("/v1/AUTH_test")
                .header("x-auth-token", "AUTH_old")
                .status(401)
                .body("<html><h1>Unauthorized</h1></html>"),
        )
        .with(login("AUTH_new", "86400"))
        .with(listing("AUTH_new"));
    let clock = TestClock::at(5_000_000);
    let swift = driver(&replay, &clock);
    swift.list_containers().await.unwrap();
    let containers: Vec<_> = swift.iterate_containers().try_collect().await.unwrap();
    assert_eq!(containers.len(), 1);
    assert_eq!(swift.session().authentications(), 2);
    assert_eq!(
        tokens_sent(&replay),
        [
            "/auth/v1.0 (login)",
            "/v1/AUTH_test AUTH_old",
            "/v1/AUTH_test AUTH_old",
            "/auth/v1.0 (login)",
            "/v1/AUTH_test AUTH_new",
        ]
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn a_second_refusal_is_invalid_credentials() {
    let replay = Replay::new()
        .with(login("AUTH_a", "86400"))
        .with(Route::get("/v1/AUTH_test").status(401).repeat())
        .with(login("AUTH_b", "86400"));
    let clock = TestClock::at(5_000_000);
    let swift = driver(&replay, &clock);
    let err = swift.list_containers().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.operation(), Some("iterate_containers"));
    // One renewal, not a loop.
    assert_eq!(swift.session().authentications(), 2);
    assert_eq!(replay.requests().len(), 4);
}
