//! Connecting to a port nobody listens on fails fast with a transport error.

use std::time::Duration;

use libcloud_core::transport;
use libcloud_core::{Body, ErrorKind};

#[tokio::test]
async fn a_closed_port_is_a_transport_error() {
    // Bind and release a loopback port, so that nothing listens on it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let transport = libcloud_http::default_transport().unwrap();
    let request = http::Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Body::empty())
        .unwrap();
    // Three attempts with at most 100 ms + 200 ms of backoff: far below this guard.
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        transport::send(&transport, request),
    )
    .await
    .expect("a refused connection must not hang")
    .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport, "{err}");
    assert!(err.is_temporary());
    assert!(
        std::error::Error::source(&err).is_some(),
        "hyper's error is attached"
    );
}
