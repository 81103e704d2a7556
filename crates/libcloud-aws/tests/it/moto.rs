//! The client against moto, the AWS stand-in, when `LIBCLOUD_TEST_MOTO_ENDPOINT` names one
//! (`cargo xtask emulators up` sets it); without it these tests say so and pass.
//!
//! moto routes a request by the service in its credential scope alone, so a wrong scope or an
//! unsigned request lands in the wrong backend: these tests show the signer, the endpoint
//! resolution and the error parser agree with a real server, for each AWS service libcloud drives.
//! The transport is a minimal HTTP/1.1 client over loopback TCP, enough for plain `http://`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures::FutureExt;
use libcloud_aws::{
    AwsClient, Endpoint, Env, ErrorContext, Region, Service, StaticProvider, idempotent,
    query_request,
};
use libcloud_core::transport::{self, Request, Response};
use libcloud_core::{Body, Credentials, Error, ErrorKind, ResourceKind, Result, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn moto() -> Option<String> {
    match std::env::var("LIBCLOUD_TEST_MOTO_ENDPOINT") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "skipped: LIBCLOUD_TEST_MOTO_ENDPOINT is not set (run `cargo xtask emulators up`)"
            );
            None
        }
    }
}

/// Sends one request per connection (`Connection: close`) and reads the whole answer.
fn loopback_transport() -> Transport {
    transport::from_fn(|req: Request| exchange(req).boxed())
}

async fn exchange(req: Request) -> Result<Response> {
    let authority = req
        .uri()
        .authority()
        .ok_or_else(|| Error::invalid_input("no authority"))?
        .to_string();
    let target = req
        .uri()
        .path_and_query()
        .map_or("/".to_string(), |p| p.to_string());
    let (parts, body) = req.into_parts();
    let body = body.collect(64 << 20).await?;
    let mut head = format!(
        "{} {target} HTTP/1.1\r\nhost: {authority}\r\n",
        parts.method
    );
    for (name, value) in &parts.headers {
        let value = value
            .to_str()
            .map_err(|_| Error::invalid_input("header value"))?;
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut stream = tokio::net::TcpStream::connect(&authority)
        .await
        .map_err(Error::transport)?;
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(Error::transport)?;
    stream.write_all(&body).await.map_err(Error::transport)?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .map_err(|_| Error::bare(ErrorKind::Timeout))?
        .map_err(Error::transport)?;
    parse_response(&raw, parts.method == http::Method::HEAD)
}

fn parse_response(raw: &[u8], head_only: bool) -> Result<Response> {
    let bad = || Error::malformed("bad HTTP response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(bad)?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad())?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let mut builder = http::Response::builder().status(status);
    let mut chunked = false;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or_else(bad)?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        }
        builder = builder.header(name.trim(), value);
    }
    let mut body = raw[split + 4..].to_vec();
    if chunked && !head_only {
        body = dechunk(&body).ok_or_else(bad)?;
    }
    if head_only {
        body.clear();
    }
    builder.body(Body::from(body)).map_err(|_| bad())
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

fn client(url: &str, service: Service) -> AwsClient {
    let endpoint = Endpoint::resolve(
        service,
        &Region::US_EAST_1,
        &Env::from_pairs::<_, &str, &str>([]),
        Some(url),
    )
    .unwrap();
    let creds = Arc::new(StaticProvider::new(Credentials::new(
        "AKIDLIBCLOUDTEST",
        "libcloud-test-secret",
    )));
    AwsClient::new(loopback_transport(), creds, service, endpoint)
}

async fn text(response: Response) -> String {
    let bytes = response.into_body().collect(16 << 20).await.unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

#[tokio::test]
async fn ec2_query_calls_and_their_errors() {
    let Some(url) = moto() else { return };
    let ec2 = client(&url, Service::Ec2);
    let req = query_request(
        ec2.endpoint(),
        "DescribeRegions",
        "2016-11-15",
        Vec::<(&str, &str)>::new(),
    )
    .unwrap();
    let ok = ec2
        .send(idempotent(req), &ErrorContext::new("list_locations"))
        .await
        .unwrap();
    assert!(
        text(ok)
            .await
            .contains("<regionName>us-east-1</regionName>")
    );

    let req = query_request(
        ec2.endpoint(),
        "DescribeInstances",
        "2016-11-15",
        [("InstanceId.1", "i-1234567890abcdef0")],
    )
    .unwrap();
    let ctx = ErrorContext::new("get_node").resource(ResourceKind::Node, "i-1234567890abcdef0");
    let err = ec2.send(idempotent(req), &ctx).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Node,
            id: "i-1234567890abcdef0".into()
        }
    );
    assert_eq!(err.provider(), Some("ec2"));
    assert!(err.request_id().is_some(), "{err:?}");
}

#[tokio::test]
async fn s3_buckets_objects_and_presigned_urls() {
    let Some(url) = moto() else { return };
    let s3 = client(&url, Service::S3);
    let bucket = unique("libcloud-aws-it");
    let style = libcloud_aws::AddressingStyle::Auto;
    let bucket_uri = libcloud_aws::s3_uri(s3.endpoint(), style, &bucket, "", None).unwrap();
    assert!(
        bucket_uri
            .to_string()
            .starts_with(&format!("{url}/{bucket}"))
    );

    // A bucket that does not exist yet: NoSuchBucket from GET, a bare 404 from HEAD.
    let ctx = ErrorContext::new("get_container").resource(ResourceKind::Container, bucket.clone());
    let get = http::Request::get(bucket_uri.clone())
        .body(Body::empty())
        .unwrap();
    let err = s3.send(get, &ctx).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Container,
            id: bucket.clone()
        },
        "{err}"
    );
    let head = http::Request::head(bucket_uri.clone())
        .body(Body::empty())
        .unwrap();
    assert!(s3.send(head, &ctx).await.unwrap_err().is_not_found());

    let put = http::Request::put(bucket_uri.clone())
        .body(Body::empty())
        .unwrap();
    s3.send(put, &ErrorContext::new("create_container"))
        .await
        .unwrap();

    let key = "dir/a b+c$.txt";
    let object_uri = libcloud_aws::s3_uri(s3.endpoint(), style, &bucket, key, None).unwrap();
    let put = http::Request::put(object_uri.clone())
        .body(Body::from("hello from libcloud"))
        .unwrap();
    s3.send(put, &ErrorContext::new("upload_object"))
        .await
        .unwrap();

    let get = http::Request::get(object_uri.clone())
        .body(Body::empty())
        .unwrap();
    let got = s3
        .send(get, &ErrorContext::new("download_object"))
        .await
        .unwrap();
    assert_eq!(text(got).await, "hello from libcloud");

    let url = s3
        .presign(
            &http::Method::GET,
            &object_uri,
            &http::HeaderMap::new(),
            Duration::from_secs(300),
        )
        .await
        .unwrap();
    let plain = http::Request::get(url).body(Body::empty()).unwrap();
    let got = transport::send(&loopback_transport(), plain).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(text(got).await, "hello from libcloud");

    let missing = libcloud_aws::s3_uri(s3.endpoint(), style, &bucket, "nope", None).unwrap();
    let ctx = ErrorContext::new("get_object")
        .resource(ResourceKind::Object, "nope")
        .bucket(bucket.clone());
    let get = http::Request::get(missing).body(Body::empty()).unwrap();
    let err = s3.send(get, &ctx).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Object,
            id: "nope".into()
        },
        "{err}"
    );

    let delete = http::Request::delete(bucket_uri.clone())
        .body(Body::empty())
        .unwrap();
    let ctx =
        ErrorContext::new("delete_container").resource(ResourceKind::Container, bucket.clone());
    let err = s3.send(delete, &ctx).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotEmpty {
            kind: ResourceKind::Container,
            id: bucket.clone()
        },
        "{err}"
    );
    let delete = http::Request::delete(object_uri)
        .body(Body::empty())
        .unwrap();
    s3.send(delete, &ErrorContext::new("delete_object"))
        .await
        .unwrap();
    let delete = http::Request::delete(bucket_uri)
        .body(Body::empty())
        .unwrap();
    s3.send(delete, &ctx).await.unwrap();
}

#[tokio::test]
async fn route53_and_elb_are_reached_through_their_scopes() {
    let Some(url) = moto() else { return };
    let r53 = client(&url, Service::Route53);
    assert_eq!(r53.signing().region().as_str(), "us-east-1");
    let uri = r53.endpoint().uri("/2013-04-01/hostedzone").unwrap();
    let ok = r53
        .send(
            http::Request::get(uri).body(Body::empty()).unwrap(),
            &ErrorContext::new("list_zones"),
        )
        .await
        .unwrap();
    assert!(text(ok).await.contains("ListHostedZonesResponse"));

    let uri = r53
        .endpoint()
        .uri("/2013-04-01/hostedzone/ZNOSUCHZONE")
        .unwrap();
    let ctx = ErrorContext::new("get_zone").resource(ResourceKind::Zone, "ZNOSUCHZONE");
    let err = r53
        .send(http::Request::get(uri).body(Body::empty()).unwrap(), &ctx)
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Zone,
            id: "ZNOSUCHZONE".into()
        },
        "{err}"
    );

    let elb = client(&url, Service::ElasticLoadBalancing);
    let req = query_request(
        elb.endpoint(),
        "DescribeLoadBalancers",
        "2012-06-01",
        Vec::<(&str, &str)>::new(),
    )
    .unwrap();
    let ok = elb
        .send(idempotent(req), &ErrorContext::new("list_balancers"))
        .await
        .unwrap();
    assert!(text(ok).await.contains("DescribeLoadBalancersResponse"));
}
