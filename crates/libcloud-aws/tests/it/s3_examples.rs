//! The worked examples of AWS's S3 documentation ("Authenticating Requests: Using the
//! Authorization Header" and "Using Query Parameters"), signed through the public API:
//! endpoint, addressing and key encoding from this crate, signature from its signer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libcloud_aws::{
    AddressingStyle, Endpoint, Region, Service, SigningConfig, presign, s3_uri, sign_request,
};
use libcloud_core::{Body, Credentials};

/// 2013-05-24T00:00:00Z.
fn example_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_369_353_600)
}

fn creds() -> Credentials {
    Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
}

fn endpoint() -> Endpoint {
    Endpoint::aws(Service::S3, &Region::US_EAST_1)
}

fn uri(key: &str, query: Option<&str>) -> http::Uri {
    s3_uri(
        &endpoint(),
        AddressingStyle::Auto,
        "examplebucket",
        key,
        query,
    )
    .unwrap()
}

fn config() -> SigningConfig {
    SigningConfig::for_endpoint(Service::S3, &endpoint())
}

fn signed(mut req: http::Request<Body>) -> (String, http::HeaderMap) {
    sign_request(&mut req, &creds(), &config(), example_time()).unwrap();
    let auth = req.headers()["authorization"].to_str().unwrap().to_string();
    (auth, req.headers().clone())
}

fn authorization(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
         SignedHeaders={signed_headers}, Signature={signature}"
    )
}

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[test]
fn get_object_with_a_range() {
    let req = http::Request::get(uri("test.txt", None))
        .header("range", "bytes=0-9")
        .body(Body::empty())
        .unwrap();
    let (auth, headers) = signed(req);
    assert_eq!(
        auth,
        authorization(
            "host;range;x-amz-content-sha256;x-amz-date",
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    );
    assert_eq!(headers["x-amz-content-sha256"], EMPTY_SHA256);
}

#[test]
fn put_object_with_an_encoded_key_and_a_hashed_body() {
    let target = uri("test$file.text", None);
    assert_eq!(
        target,
        "https://examplebucket.s3.amazonaws.com/test%24file.text"
    );
    let req = http::Request::put(target)
        .header("date", "Fri, 24 May 2013 00:00:00 GMT")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .body(Body::from("Welcome to Amazon S3."))
        .unwrap();
    let (auth, headers) = signed(req);
    assert_eq!(
        auth,
        authorization(
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        )
    );
    assert_eq!(
        headers["x-amz-content-sha256"],
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    );
}

#[test]
fn put_object_with_a_precomputed_hash_signs_the_same() {
    // A driver that hashed a streamed body itself passes the hash in the header.
    let stream = libcloud_core::body::once_stream("Welcome to Amazon S3.");
    let req = http::Request::put(uri("test$file.text", None))
        .header("date", "Fri, 24 May 2013 00:00:00 GMT")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .header(
            "x-amz-content-sha256",
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        )
        .body(Body::from_stream(stream))
        .unwrap();
    let (auth, _) = signed(req);
    assert!(auth.ends_with("98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
}

#[test]
fn get_bucket_lifecycle() {
    let req = http::Request::get(uri("", Some("lifecycle")))
        .body(Body::empty())
        .unwrap();
    let (auth, _) = signed(req);
    assert_eq!(
        auth,
        authorization(
            "host;x-amz-content-sha256;x-amz-date",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        )
    );
}

#[test]
fn list_objects_with_query_parameters() {
    let req = http::Request::get(uri("", Some("max-keys=2&prefix=J")))
        .body(Body::empty())
        .unwrap();
    let (auth, _) = signed(req);
    assert_eq!(
        auth,
        authorization(
            "host;x-amz-content-sha256;x-amz-date",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        )
    );
}

#[test]
fn presigned_get_matches_the_documented_url() {
    let url = presign(
        &http::Method::GET,
        &uri("test.txt", None),
        &http::HeaderMap::new(),
        &creds(),
        &config(),
        example_time(),
        Duration::from_secs(86_400),
    )
    .unwrap();
    assert_eq!(
        url,
        "https://examplebucket.s3.amazonaws.com/test.txt\
         ?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20130524T000000Z\
         &X-Amz-Expires=86400\
         &X-Amz-SignedHeaders=host\
         &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
}

#[test]
fn presigned_urls_change_with_the_secret_and_carry_the_token() {
    let sign = |creds: Credentials| {
        presign(
            &http::Method::GET,
            &uri("test.txt", None),
            &http::HeaderMap::new(),
            &creds,
            &config(),
            example_time(),
            Duration::from_secs(86_400),
        )
        .unwrap()
        .to_string()
    };
    let good = sign(creds());
    let wrong = sign(Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ",
    ));
    assert_ne!(good, wrong);
    let with_token = sign(creds().with_session_token("tok/en+1="));
    assert!(
        with_token.contains("&X-Amz-Security-Token=tok%2Fen%2B1%3D"),
        "{with_token}"
    );
    assert_ne!(
        with_token.rsplit("X-Amz-Signature=").next(),
        good.rsplit("X-Amz-Signature=").next()
    );
    // The query already present (a response override) stays and is signed.
    let with_query = presign(
        &http::Method::GET,
        &uri("test.txt", Some("response-content-type=text%2Fplain")),
        &http::HeaderMap::new(),
        &creds(),
        &config(),
        example_time(),
        Duration::from_secs(60),
    )
    .unwrap()
    .to_string();
    assert!(with_query.starts_with(
        "https://examplebucket.s3.amazonaws.com/test.txt?response-content-type=text%2Fplain&X-Amz-Algorithm="
    ));
}
