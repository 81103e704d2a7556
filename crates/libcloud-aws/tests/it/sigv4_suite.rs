//! AWS's published Signature Version 4 test suite: the requests, credentials and time it uses,
//! and the signatures it documents for them. A signer that is wrong anywhere (canonical request,
//! string to sign, key derivation) fails these.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;
use libcloud_aws::{Region, SigningConfig, sign_request};
use libcloud_core::{Body, Credentials};

const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// The suite's session token, for the `post-sts-token` cases.
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

/// 2015-08-30T12:36:00Z, the suite's `X-Amz-Date`.
fn suite_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn config() -> SigningConfig {
    SigningConfig::new("service", Region::US_EAST_1)
}

struct Case {
    method: &'static str,
    uri: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
}

impl Case {
    fn request(&self) -> http::Request<Body> {
        let mut builder = http::Request::builder().method(self.method).uri(self.uri);
        for (name, value) in self.headers {
            builder = builder.header(*name, HeaderValue::from_static(value));
        }
        builder.body(Body::from(self.body)).unwrap()
    }

    fn sign_with(&self, creds: &Credentials, cfg: &SigningConfig, time: SystemTime) -> String {
        let mut req = self.request();
        sign_request(&mut req, creds, cfg, time).unwrap();
        assert_eq!(req.headers()["x-amz-date"], time_header(time));
        req.headers()["authorization"].to_str().unwrap().to_string()
    }

    fn sign(&self) -> String {
        self.sign_with(&Credentials::new(KEY_ID, SECRET), &config(), suite_time())
    }
}

fn time_header(time: SystemTime) -> &'static str {
    if time == suite_time() {
        "20150830T123600Z"
    } else {
        "20150830T123700Z"
    }
}

fn authorization(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders={signed_headers}, Signature={signature}"
    )
}

const GET_VANILLA: Case = Case {
    method: "GET",
    uri: "https://example.amazonaws.com/",
    headers: &[],
    body: "",
};

#[test]
fn get_vanilla() {
    assert_eq!(
        GET_VANILLA.sign(),
        authorization(
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )
    );
}

#[test]
fn get_vanilla_query_order_key_case() {
    let case = Case {
        uri: "https://example.amazonaws.com/?Param2=value2&Param1=value1",
        ..GET_VANILLA
    };
    assert_eq!(
        case.sign(),
        authorization(
            "host;x-amz-date",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        )
    );
}

#[test]
fn get_header_value_trim() {
    let case = Case {
        headers: &[("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")],
        ..GET_VANILLA
    };
    assert_eq!(
        case.sign(),
        authorization(
            "host;my-header1;my-header2;x-amz-date",
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
        )
    );
}

#[test]
fn post_vanilla() {
    let case = Case {
        method: "POST",
        ..GET_VANILLA
    };
    assert_eq!(
        case.sign(),
        authorization(
            "host;x-amz-date",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        )
    );
}

#[test]
fn post_vanilla_query() {
    let case = Case {
        method: "POST",
        uri: "https://example.amazonaws.com/?Param1=value1",
        ..GET_VANILLA
    };
    assert_eq!(
        case.sign(),
        authorization(
            "host;x-amz-date",
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"
        )
    );
}

#[test]
fn post_x_www_form_urlencoded() {
    let case = Case {
        method: "POST",
        headers: &[("Content-Type", "application/x-www-form-urlencoded")],
        body: "Param1=value1",
        ..GET_VANILLA
    };
    assert_eq!(
        case.sign(),
        authorization(
            "content-type;host;x-amz-date",
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        )
    );
}

#[test]
fn post_sts_header_before() {
    let case = Case {
        method: "POST",
        ..GET_VANILLA
    };
    let creds = Credentials::new(KEY_ID, SECRET).with_session_token(TOKEN);
    let mut req = case.request();
    sign_request(&mut req, &creds, &config(), suite_time()).unwrap();
    assert_eq!(
        req.headers()["authorization"],
        authorization(
            "host;x-amz-date;x-amz-security-token",
            "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"
        )
        .as_str()
    );
    assert_eq!(req.headers()["x-amz-security-token"], TOKEN);
    assert!(req.headers()["x-amz-security-token"].is_sensitive());
}

/// The vectors prove something only if a wrong input gives a different answer.
#[test]
fn a_wrong_secret_time_region_or_service_breaks_the_signature() {
    let good = GET_VANILLA.sign();
    let mut broken_secret = SECRET.to_string();
    broken_secret.replace_range(0..1, "W");
    let variants = [
        GET_VANILLA.sign_with(
            &Credentials::new(KEY_ID, broken_secret),
            &config(),
            suite_time(),
        ),
        GET_VANILLA.sign_with(
            &Credentials::new(KEY_ID, SECRET),
            &config(),
            suite_time() + Duration::from_secs(60),
        ),
        GET_VANILLA.sign_with(
            &Credentials::new(KEY_ID, SECRET),
            &SigningConfig::new("service", Region::new("us-east-2").unwrap()),
            suite_time(),
        ),
        GET_VANILLA.sign_with(
            &Credentials::new(KEY_ID, SECRET),
            &SigningConfig::new("ec2", Region::US_EAST_1),
            suite_time(),
        ),
    ];
    let signature = |auth: &str| auth.rsplit("Signature=").next().unwrap().to_string();
    for variant in &variants {
        assert_ne!(signature(variant), signature(&good));
    }
}
