//! The replay transport: matching, answering, recording, and reporting what went unmatched or
//! unused.

use std::panic::catch_unwind;

use futures::StreamExt;
use futures::stream;
use libcloud_core::transport::send;
use libcloud_core::{Body, Bytes, ErrorKind};
use libcloud_testkit::replay::{Replay, Route};

fn request(method: &str, uri: &str) -> http::Request<Body> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap()
}

async fn body_of(response: http::Response<Body>) -> Bytes {
    response.into_body().collect(1 << 20).await.unwrap()
}

#[tokio::test]
async fn matches_method_path_and_query_subset_and_answers() {
    let replay = Replay::new().with(
        Route::get("/bucket")
            .query("list-type", "2")
            .query_present("prefix")
            .status(200)
            .response_header("content-type", "application/xml")
            .response_header("x-amz-request-id", "R1")
            .body("<ListBucketResult/>"),
    );
    let t = replay.transport();
    let response = send(
        &t,
        request(
            "GET",
            "https://s3.example.com/bucket?prefix=a%2Fb&list-type=2&x=y",
        ),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/xml");
    assert_eq!(response.headers()["x-amz-request-id"], "R1");
    assert_eq!(response.headers()["content-length"], "19");
    assert_eq!(&body_of(response).await[..], b"<ListBucketResult/>");
    let sent = replay.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].query("prefix").as_deref(), Some("a/b"));
    assert_eq!(sent[0].path(), "/bucket");
    replay.assert_all_used();
}

#[tokio::test]
async fn wrong_method_path_or_query_value_does_not_match() {
    let replay = Replay::new().with(Route::get("/bucket").query("list-type", "2").repeat());
    let t = replay.transport();
    for (method, uri) in [
        ("PUT", "http://h/bucket?list-type=2"),
        ("GET", "http://h/other?list-type=2"),
        ("GET", "http://h/bucket?list-type=1"),
        ("GET", "http://h/bucket"),
    ] {
        let err = send(&t, request(method, uri)).await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Transport, "{method} {uri}");
        assert!(
            !err.is_temporary(),
            "unmatched requests must not be retried"
        );
    }
    assert_eq!(replay.unmatched().len(), 4);
    assert_eq!(replay.requests().len(), 4);
}

#[tokio::test]
async fn one_shot_routes_answer_in_order_then_are_used_up() {
    let replay = Replay::new()
        .with(Route::get("/n").body("first"))
        .with(Route::get("/n").body("second"));
    let t = replay.transport();
    let a = send(&t, request("GET", "http://h/n")).await.unwrap();
    let b = send(&t, request("GET", "http://h/n")).await.unwrap();
    assert_eq!(&body_of(a).await[..], b"first");
    assert_eq!(&body_of(b).await[..], b"second");
    replay.assert_all_used();

    let err = send(&t, request("GET", "http://h/n?sig=secret"))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("no route matches GET http://h/n?sig=REDACTED"),
        "{message}"
    );
    assert!(message.contains("1. GET /n -> 200 [used up]"), "{message}");
    assert!(message.contains("2. GET /n -> 200 [used up]"), "{message}");
    assert_eq!(replay.unmatched().len(), 1);
    let panic = catch_unwind(|| replay.assert_all_used()).unwrap_err();
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("unmatched request"), "{text}");
}

#[tokio::test]
async fn repeating_routes_answer_every_time() {
    let replay = Replay::new().with(
        Route::head("/obj")
            .response_header("content-length", "42")
            .repeat(),
    );
    let t = replay.transport();
    for _ in 0..3 {
        let response = send(&t, request("HEAD", "http://h/obj")).await.unwrap();
        assert_eq!(response.headers()["content-length"], "42");
    }
    assert_eq!(replay.requests().len(), 3);
    replay.assert_all_used();
}

#[tokio::test]
async fn unused_routes_are_reported() {
    let replay = Replay::new()
        .with(Route::get("/used"))
        .with(Route::delete("/never").status(204));
    send(&replay.transport(), request("GET", "http://h/used"))
        .await
        .unwrap();
    assert_eq!(
        replay.unused_routes(),
        vec!["DELETE /never -> 204".to_string()]
    );
    let panic = catch_unwind(|| replay.assert_all_used()).unwrap_err();
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("DELETE /never"), "{text}");
    assert!(text.contains("GET http://h/used"), "{text}");
}

#[tokio::test]
async fn records_method_uri_headers_and_streamed_bodies() {
    let replay = Replay::new().with(Route::put("/bucket/key").status(200));
    let chunks = stream::iter(vec![
        Ok(Bytes::from_static(b"hello ")),
        Ok(Bytes::from_static(b"world")),
    ])
    .boxed();
    let req = http::Request::put("https://h/bucket/key")
        .header("x-amz-meta-color", "blue")
        .body(Body::from_stream(chunks))
        .unwrap();
    send(&replay.transport(), req).await.unwrap();
    let sent = replay.last_request().unwrap();
    assert_eq!(sent.method, http::Method::PUT);
    assert_eq!(sent.uri.to_string(), "https://h/bucket/key");
    assert_eq!(sent.header("x-amz-meta-color"), Some("blue"));
    assert_eq!(sent.body_text(), "hello world");
}

#[tokio::test]
async fn header_host_and_body_conditions_select_routes() {
    let replay = Replay::new()
        .with(Route::post("/").host("a.example.com").body("host a"))
        .with(Route::post("/").header("x-kind", "one").body("header one"))
        .with(
            Route::post("/")
                .header_matches("authorization starts with AWS4", |h| {
                    h.get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256"))
                })
                .body("signed"),
        )
        .with(Route::post("/").body_contains("<Name>x</Name>").body("xml"));
    let t = replay.transport();
    let post = |uri: &str, header: Option<(&str, &str)>, body: &'static str| {
        let mut b = http::Request::post(uri.to_string());
        if let Some((k, v)) = header {
            b = b.header(k, v);
        }
        b.body(Body::from(body)).unwrap()
    };
    let cases = [
        (post("http://A.example.com:8080/", None, ""), "host a"),
        (
            post("http://b.example.com/", Some(("x-kind", "one")), ""),
            "header one",
        ),
        (
            post(
                "http://b.example.com/",
                Some(("authorization", "AWS4-HMAC-SHA256 Credential=x")),
                "",
            ),
            "signed",
        ),
        (
            post("http://b.example.com/", None, "<Zone><Name>x</Name></Zone>"),
            "xml",
        ),
    ];
    for (req, expected) in cases {
        let response = send(&t, req).await.unwrap();
        assert_eq!(&body_of(response).await[..], expected.as_bytes());
    }
    // Nothing left for a request that meets no condition.
    let err = send(
        &t,
        post("http://b.example.com/", Some(("x-kind", "two")), ""),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("[x-kind: one]"), "{err}");
    assert!(
        err.to_string().contains("[authorization starts with AWS4]"),
        "{err}"
    );
}

#[tokio::test]
async fn paths_compare_decoded_and_queries_can_sit_in_the_path() {
    let replay = Replay::new().with(Route::get("/b/with space.txt")).with(
        Route::get("/?Action=DescribeInstances&Version=2016-11-15")
            .json(&serde_json::json!({"ok": true})),
    );
    let t = replay.transport();
    send(&t, request("GET", "http://h/b/with%20space.txt"))
        .await
        .unwrap();
    let response = send(
        &t,
        request(
            "GET",
            "http://h/?Version=2016-11-15&Action=DescribeInstances&InstanceId.1=i-1",
        ),
    )
    .await
    .unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(&body_of(response).await[..], br#"{"ok":true}"#);
    replay.assert_all_used();
}

#[tokio::test]
async fn routes_can_fail_like_a_network() {
    let replay = Replay::new().with(Route::get("/flaky").fail(ErrorKind::Timeout, "took too long"));
    let err = send(&replay.transport(), request("GET", "http://h/flaky"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Timeout);
    assert!(err.to_string().contains("took too long"));
    replay.assert_all_used();
}

#[tokio::test]
async fn head_responses_get_no_automatic_content_length() {
    let replay = Replay::new().with(Route::head("/h").body("ignored"));
    let response = send(&replay.transport(), request("HEAD", "http://h/h"))
        .await
        .unwrap();
    assert!(response.headers().get("content-length").is_none());
}

#[tokio::test]
async fn bodies_can_come_from_files_and_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answer.xml");
    std::fs::write(&file, "<a/>").unwrap();
    let replay = Replay::new().with(Route::get("/file").body_file(&file));
    let response = send(&replay.transport(), request("GET", "http://h/file"))
        .await
        .unwrap();
    assert_eq!(&body_of(response).await[..], b"<a/>");

    // A recorded fixture, where the shared fixtures are present.
    let fixtures = libcloud_testkit::require_fixtures!("s3");
    let name = std::fs::read_dir(&fixtures)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xml"))
        .min()
        .expect("the s3 fixtures hold XML files");
    let expected = std::fs::read(fixtures.join(&name)).unwrap();
    let replay = Replay::new().with(Route::get("/").fixture("s3", &name));
    let response = send(&replay.transport(), request("GET", "http://h/"))
        .await
        .unwrap();
    assert_eq!(&body_of(response).await[..], &expected[..]);
}

#[test]
#[should_panic(expected = "no fixture")]
fn a_missing_fixture_panics_with_its_name() {
    let _ = Route::get("/").fixture("no-such-provider-here", "nothing.xml");
}

#[test]
fn routes_describe_themselves() {
    let route = Route::get("/x?a=1")
        .query_present("b")
        .header("h", "v")
        .repeat();
    assert_eq!(format!("{route:?}"), "GET /x?a=1&b [h: v] -> 200 (repeats)");
}
