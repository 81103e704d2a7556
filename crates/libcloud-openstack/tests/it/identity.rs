//! Keystone v2 and v3 and tempauth over replayed answers, and the catalog's endpoint choice
//! on the recorded catalogs (several compute services, endpoints without a region, internal
//! and admin URLs).

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use libcloud_core::ErrorKind;
use libcloud_openstack::{AuthConfig, EndpointFilter, Interface, NameOrId, Scope, Session};
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;
use serde_json::{Value, json};

use crate::{OPENSTACK, TestClock, recorded};

/// 2014-08-10T17:00:00Z: before the recorded v3 token expires (19:15:57Z).
const BEFORE_V3_EXPIRY: u64 = 1_407_690_000;

fn body_json(replay: &Replay, index: usize) -> Value {
    serde_json::from_slice(&replay.requests()[index].body).unwrap()
}

#[tokio::test]
async fn keystone_v2_password_and_the_recorded_catalog() {
    require_fixtures!(OPENSTACK);
    let replay = Replay::new().with(recorded(
        Route::post("/v2.0/tokens").body_contains("passwordCredentials"),
        OPENSTACK,
        "openstack/_v2_0__auth.json",
    ));
    let auth = AuthConfig::v2_password("https://identity.example.com", "alice", "pw-1")
        .with_tenant(NameOrId::Name("alice-project".into()));
    let session = Session::new(auth, replay.transport());
    let token = session.token().await.unwrap();
    assert_eq!(token.id.expose(), "aaaaaaaaaaaa-bbb-cccccccccccccc");
    assert_eq!(token.identity_version, 2);
    // 2999-11-23T21:00:14.000-06:00
    let expires = token
        .expires_at
        .unwrap()
        .duration_since(UNIX_EPOCH)
        .unwrap();
    assert_eq!(expires.as_secs(), 32_500_407_614);
    assert_eq!(token.catalog.services.len(), 10);

    let sent = &replay.requests()[0];
    assert_eq!(
        sent.uri.to_string(),
        "https://identity.example.com/v2.0/tokens"
    );
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        body_json(&replay, 0),
        json!({"auth": {"passwordCredentials": {"username": "alice", "password": "pw-1"},
                         "tenantName": "alice-project"}})
    );

    // A second call reuses the cached token.
    session.token().await.unwrap();
    assert_eq!(session.authentications(), 1);
    replay.assert_all_used();

    let catalog = &token.catalog;
    let pick = |f: EndpointFilter| catalog.endpoint(&f).map(|e| e.url.clone());

    // Four compute services: asking by type alone is refused, not guessed.
    let err = pick(EndpointFilter::new("compute")).unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let msg = err.to_string();
    assert!(msg.contains("set the service name or region"), "{msg}");
    for name in [
        "name cloudServers,",
        "name nova,",
        "cloudServersOpenStack",
        "cloudServersPreprod",
    ] {
        assert!(msg.contains(name), "{name} missing from {msg}");
    }
    // A region alone still leaves two: cloudServersOpenStack and cloudServersPreprod.
    let err = pick(EndpointFilter::new("compute").with_region("DFW")).unwrap_err();
    assert!(err.to_string().contains("2 endpoints"), "{err}");

    assert_eq!(
        pick(
            EndpointFilter::new("compute")
                .with_name("nova")
                .with_region("RegionOne")
        )
        .unwrap(),
        "https://test_endpoint.com/v2/1337"
    );
    assert_eq!(
        pick(
            EndpointFilter::new("compute")
                .with_name("cloudServersOpenStack")
                .with_region("ORD")
        )
        .unwrap(),
        "https://ord.servers.api.rackspacecloud.com/v2/1337"
    );
    // An endpoint without a region is found by name, but not for a named region.
    assert_eq!(
        pick(EndpointFilter::new("compute").with_name("cloudServers")).unwrap(),
        "https://servers.api.rackspacecloud.com/v1.0/1337"
    );
    let err = pick(
        EndpointFilter::new("compute")
            .with_name("cloudServers")
            .with_region("DFW"),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("no endpoint"), "{msg}");
    assert!(msg.contains("compute/cloudServers [- public]"), "{msg}");

    // v2's internalURL is the internal interface.
    assert_eq!(
        pick(
            EndpointFilter::new("object-store")
                .with_region("LON")
                .with_interface(Interface::Internal)
        )
        .unwrap(),
        "https://snet-storage101.lon1.clouddrive.com/v1/MossoCloudFS_11111-111111111-1111111111-1111111"
    );
    // There is no admin URL anywhere.
    let err =
        pick(EndpointFilter::new("object-store").with_interface(Interface::Admin)).unwrap_err();
    assert!(err.to_string().contains("no endpoint"), "{err}");
    // A type the catalog lacks: the message lists every service.
    let err = pick(EndpointFilter::new("volume")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("type \"volume\""), "{msg}");
    assert!(
        msg.contains("rax:object-cdn/cloudFilesCDN [ORD public]"),
        "{msg}"
    );
    assert!(msg.contains("volumev3/cinderv3"), "{msg}");
}

#[tokio::test]
async fn keystone_v2_api_key() {
    require_fixtures!(OPENSTACK);
    let replay = Replay::new().with(recorded(
        Route::post("/v2.0/tokens").body_contains("RAX-KSKEY:apiKeyCredentials"),
        OPENSTACK,
        "openstack/_v2_0__auth_lon.json",
    ));
    let session = Session::new(
        AuthConfig::v2_api_key("https://lon.identity.example.com/v2.0/", "bob", "key-9"),
        replay.transport(),
    );
    let endpoint = session
        .endpoint(
            &EndpointFilter::new("compute")
                .with_name("cloudServersOpenStack")
                .with_region("LON"),
        )
        .await
        .unwrap();
    assert_eq!(
        endpoint.url,
        "https://lon.servers.api.rackspacecloud.com/v2/1337"
    );
    assert_eq!(endpoint.region.as_deref(), Some("LON"));
    assert_eq!(
        replay.requests()[0].uri.to_string(),
        "https://lon.identity.example.com/v2.0/tokens"
    );
    assert_eq!(
        body_json(&replay, 0),
        json!({"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "bob", "apiKey": "key-9"}}})
    );
}

#[tokio::test]
async fn keystone_v3_password_with_project_scope() {
    require_fixtures!(OPENSTACK);
    let replay = Replay::new().with(
        recorded(
            Route::post("/v3/auth/tokens").body_contains("\"password\""),
            OPENSTACK,
            "openstack/_v3__auth.json",
        )
        .status(201)
        .response_header("x-subject-token", "gAAAAsubject-token"),
    );
    let auth = AuthConfig::v3_password("http://keystone.example.com:5000/v3", "admin", "pw")
        .with_user_domain(NameOrId::Name("Default".into()))
        .with_scope(Scope::Project {
            project: NameOrId::Name("admin".into()),
            domain: Some(NameOrId::Id("default".into())),
        });
    let clock = TestClock::at(BEFORE_V3_EXPIRY);
    let session = Session::new(auth, replay.transport()).with_clock(clock.clock());
    let token = session.token().await.unwrap();
    assert_eq!(token.id.expose(), "gAAAAsubject-token");
    assert_eq!(token.identity_version, 3);
    assert_eq!(
        token.project_id.as_deref(),
        Some("9c4693dce56b493b9b83197d900f7fba")
    );
    assert_eq!(token.project_name.as_deref(), Some("admin"));
    assert_eq!(
        token
            .expires_at
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        1_407_698_157
    );
    assert_eq!(
        replay.requests()[0].uri.to_string(),
        "http://keystone.example.com:5000/v3/auth/tokens"
    );
    assert_eq!(
        body_json(&replay, 0),
        json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"name": "Default"}, "password": "pw"}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    );

    let catalog = &token.catalog;
    let url = |f: EndpointFilter| catalog.endpoint(&f).unwrap().url.clone();
    assert_eq!(
        url(EndpointFilter::new("compute")),
        "http://192.168.18.100:8774/v2/9c4693dce56b493b9b83197d900f7fba"
    );
    assert_eq!(
        url(EndpointFilter::new("compute").with_interface(Interface::Internal)),
        "http://controller:8774/v2/9c4693dce56b493b9b83197d900f7fba"
    );
    assert_eq!(
        url(EndpointFilter::new("image")
            .with_region("regionOne")
            .with_interface(Interface::Internal)),
        "http://192.168.200.1:9292"
    );
    assert_eq!(
        url(EndpointFilter::new("identity").with_interface(Interface::Admin)),
        "http://192.168.18.100:35357/v2.0"
    );
    let err = catalog
        .endpoint(&EndpointFilter::new("object-store"))
        .unwrap_err();
    assert!(
        err.to_string().contains("compute/- [regionOne internal"),
        "{err}"
    );
}

#[tokio::test]
async fn keystone_v3_application_credential_and_domain_scope() {
    require_fixtures!(OPENSTACK);
    let replay = Replay::new()
        .with(
            recorded(
                Route::post("/v3/auth/tokens").body_contains("application_credential"),
                OPENSTACK,
                "openstack/_v3__auth.json",
            )
            .status(201)
            .response_header("x-subject-token", "appcred-token"),
        )
        .with(
            recorded(
                Route::post("/v3/auth/tokens").body_contains("\"domain\":{\"name\":\"Ops\"}"),
                OPENSTACK,
                "openstack/_v3__auth.json",
            )
            .status(201)
            .response_header("x-subject-token", "domain-token"),
        );
    let clock = TestClock::at(BEFORE_V3_EXPIRY);
    let session = Session::new(
        AuthConfig::v3_application_credential("http://keystone.example.com:5000", "ac-1", "s3c"),
        replay.transport(),
    )
    .with_clock(clock.clock());
    assert_eq!(session.token().await.unwrap().id.expose(), "appcred-token");
    assert_eq!(
        body_json(&replay, 0),
        json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": "ac-1", "secret": "s3c"}}}})
    );

    let session = Session::new(
        AuthConfig::v3_password(
            "http://keystone.example.com:5000/v3/auth/tokens",
            "ops",
            "pw",
        )
        .with_scope(Scope::Domain(NameOrId::Name("Ops".into()))),
        replay.transport(),
    )
    .with_clock(clock.clock());
    assert_eq!(session.token().await.unwrap().id.expose(), "domain-token");
    let body = body_json(&replay, 1);
    assert_eq!(body["auth"]["scope"], json!({"domain": {"name": "Ops"}}));
    assert_eq!(
        body["auth"]["identity"]["password"]["user"]["domain"],
        json!({"id": "default"})
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn refused_and_broken_logins_are_typed() {
    require_fixtures!(OPENSTACK);
    let replay = Replay::new()
        .with(recorded(
            Route::post("/v3/auth/tokens").status(401),
            OPENSTACK,
            "openstack/_v3__auth_unauthorized.json",
        ))
        // A v3 answer without the token header.
        .with(recorded(
            Route::post("/v3/auth/tokens").status(201),
            OPENSTACK,
            "openstack/_v3__auth.json",
        ))
        .with(
            Route::post("/v2.0/tokens")
                .body_contains("first")
                .response_header("content-type", "application/json")
                .body("{\"access\": {\"token\": "),
        )
        .with(
            Route::post("/v2.0/tokens")
                .body_contains("second")
                .json(&json!({"access": {"token": {"id": "t", "expires": "next week"}}})),
        )
        .with(
            Route::post("/v2.0/tokens")
                .body_contains("third")
                .status(503),
        );
    let v3 = || AuthConfig::v3_password("http://ks.example.com/v3", "u", "wrong");
    let err = Session::new(v3(), replay.transport())
        .token()
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
    assert_eq!(err.status(), Some(401));
    assert!(
        err.message().unwrap().contains("requires authentication"),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong"), "{err}");

    let err = Session::new(v3(), replay.transport())
        .token()
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    assert!(err.to_string().contains("X-Subject-Token"), "{err}");

    let v2 = |user: &str| AuthConfig::v2_password("http://ks.example.com/v2.0", user, "pw");
    let err = Session::new(v2("first"), replay.transport())
        .token()
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    let err = Session::new(v2("second"), replay.transport())
        .token()
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    assert!(err.to_string().contains("next week"), "{err}");
    let err = Session::new(v2("third"), replay.transport())
        .token()
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err}");
    replay.assert_all_used();

    // A bad auth URL never reaches the network.
    let err = Session::new(
        AuthConfig::v2_password("keystone:5000", "u", "p"),
        replay.transport(),
    )
    .token()
    .await
    .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert_eq!(replay.requests().len(), 5);
}

#[tokio::test]
async fn tempauth_gives_the_storage_url() {
    let replay = Replay::new()
        .with(
            Route::get("/auth/v1.0")
                .header("x-auth-user", "test:tester")
                .header("x-auth-key", "testing")
                .response_header("x-auth-token", "AUTH_tk1")
                .response_header("x-storage-url", "http://127.0.0.1:8080/v1/AUTH_test")
                .response_header("x-auth-token-expires", "86399"),
        )
        .with(
            Route::get("/auth/v1.0")
                .header("x-auth-key", "nope")
                .status(401),
        )
        .with(
            Route::get("/auth/v1.0")
                .header("x-auth-key", "half")
                .response_header("x-auth-token", "AUTH_tk2"),
        );
    let clock = TestClock::at(1_000_000);
    let session = Session::new(
        AuthConfig::tempauth("http://127.0.0.1:8080/auth/v1.0", "test:tester", "testing"),
        replay.transport(),
    )
    .with_clock(clock.clock());
    let token = session.token().await.unwrap();
    assert_eq!(token.id.expose(), "AUTH_tk1");
    assert_eq!(token.identity_version, 1);
    assert_eq!(token.project_id.as_deref(), Some("AUTH_test"));
    assert_eq!(
        token.expires_at,
        Some(clock.now() + Duration::from_secs(86_399))
    );
    // Tempauth has no regions: a region in the filter does not hide the one URL.
    let endpoint = session
        .endpoint(&EndpointFilter::new("object-store").with_region("RegionOne"))
        .await
        .unwrap();
    assert_eq!(endpoint.url, "http://127.0.0.1:8080/v1/AUTH_test");

    let err = Session::new(
        AuthConfig::tempauth("http://127.0.0.1:8080", "test:tester", "nope"),
        replay.transport(),
    )
    .token()
    .await
    .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);

    let err = Session::new(
        AuthConfig::tempauth("http://127.0.0.1:8080/auth/v1.0", "test:tester", "half"),
        replay.transport(),
    )
    .token()
    .await
    .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
    assert!(err.to_string().contains("X-Storage-Url"), "{err}");
    replay.assert_all_used();
}

#[tokio::test]
async fn concurrent_callers_share_one_authentication() {
    let replay = Replay::new().with(
        Route::get("/auth/v1.0")
            .response_header("x-auth-token", "AUTH_shared")
            .response_header("x-storage-url", "http://swift.example.com/v1/AUTH_a"),
    );
    let session = Arc::new(Session::new(
        AuthConfig::tempauth("http://swift.example.com/auth/v1.0", "a:b", "c"),
        replay.transport(),
    ));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let s = session.clone();
            tokio::spawn(async move { s.token().await.map(|t| t.id.expose().to_string()) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "AUTH_shared");
    }
    assert_eq!(session.authentications(), 1);
    replay.assert_all_used();
}
