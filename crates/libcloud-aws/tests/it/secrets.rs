//! Signing never logs a secret: with every `tracing` event recorded at TRACE level, signing a
//! request and presigning a URL with a secret key and a session token of a known pattern leave
//! neither in the log, nor the signature of the presigned URL; and the credential types never
//! print them.

use std::time::{Duration, SystemTime};

use libcloud_aws::{Region, SigningConfig, StaticProvider, presign, sign_request};
use libcloud_core::{Body, Credentials};
use libcloud_testkit::secrets::{assert_no_secrets, capture, secret};

#[test]
fn signing_and_presigning_log_no_secret() {
    let secret_key = secret("aws-secret-key");
    let token = secret("aws-session-token");
    let creds =
        Credentials::new("AKIDLEAKCHECK", secret_key.clone()).with_session_token(token.clone());
    let config = SigningConfig::new("s3", Region::US_EAST_1);
    let log = capture();
    tracing::trace!("capture is on");

    let mut request = http::Request::put("https://bucket.s3.amazonaws.com/key?partNumber=1")
        .header("content-type", "text/plain")
        .body(Body::from("data"))
        .unwrap();
    sign_request(&mut request, &creds, &config, SystemTime::now()).unwrap();
    assert_eq!(request.headers()["x-amz-security-token"], token.as_str());

    let url = presign(
        &http::Method::GET,
        &"https://bucket.s3.amazonaws.com/photo.jpg".parse().unwrap(),
        &http::HeaderMap::new(),
        &creds,
        &config,
        SystemTime::now(),
        Duration::from_secs(600),
    )
    .unwrap()
    .to_string();
    assert!(url.contains(&token), "a presigned URL carries the token");
    let signature = url.rsplit("X-Amz-Signature=").next().unwrap().to_string();

    let logged = log.text();
    assert!(logged.contains("capture is on"), "{logged}");
    assert_no_secrets(
        &logged,
        &[&secret_key, &token, &signature],
        "the tracing log of signing",
    );
    let shown = format!(
        "{creds:?}\n{:?}\n{config:?}",
        StaticProvider::new(creds.clone())
    );
    assert_no_secrets(&shown, &[&secret_key, &token], "Debug output");
}
