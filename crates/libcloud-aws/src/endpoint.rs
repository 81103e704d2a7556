//! Where requests go: AWS's endpoint for a service and region, an override from the environment,
//! or a custom endpoint (an S3-compatible store, an emulator); and how S3 addresses a bucket.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use libcloud_core::{Error, Result};

use crate::encode::{encode_component, encode_path};
use crate::env::Env;
use crate::region::{Partition, Region};

/// An AWS service that libcloud drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// Amazon S3.
    S3,
    /// Amazon EC2.
    Ec2,
    /// Classic Elastic Load Balancing (API 2012-06-01).
    ElasticLoadBalancing,
    /// Elastic Load Balancing v2, application and network load balancers (API 2015-12-01).
    ElasticLoadBalancingV2,
    /// Amazon Route 53, a global service.
    Route53,
}

impl Service {
    /// The name in the SigV4 credential scope (`s3`, `ec2`, `elasticloadbalancing`, `route53`).
    ///
    /// Emulators such as moto route requests by this name alone.
    pub fn signing_name(&self) -> &'static str {
        match self {
            Service::S3 => "s3",
            Service::Ec2 => "ec2",
            Service::ElasticLoadBalancing | Service::ElasticLoadBalancingV2 => {
                "elasticloadbalancing"
            }
            Service::Route53 => "route53",
        }
    }

    /// The environment variable that overrides this service's endpoint
    /// (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_ROUTE_53`, ...).
    pub fn endpoint_env_var(&self) -> &'static str {
        match self {
            Service::S3 => "AWS_ENDPOINT_URL_S3",
            Service::Ec2 => "AWS_ENDPOINT_URL_EC2",
            Service::ElasticLoadBalancing => "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING",
            Service::ElasticLoadBalancingV2 => "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
            Service::Route53 => "AWS_ENDPOINT_URL_ROUTE_53",
        }
    }

    /// The provider name errors from this service carry: `s3`, `ec2`, `elb`, `elbv2` or `route53`.
    pub fn provider_name(&self) -> &'static str {
        match self {
            Service::S3 => "s3",
            Service::Ec2 => "ec2",
            Service::ElasticLoadBalancing => "elb",
            Service::ElasticLoadBalancingV2 => "elbv2",
            Service::Route53 => "route53",
        }
    }

    /// Whether the service has one endpoint per partition rather than one per region.
    pub fn is_global(&self) -> bool {
        matches!(self, Service::Route53)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.signing_name())
    }
}

/// A base URL requests are sent to, and the region that signs them.
///
/// ```
/// use libcloud_aws::{Endpoint, Region, Service};
///
/// let eu = Region::new("eu-west-1").unwrap();
/// assert_eq!(Endpoint::aws(Service::Ec2, &eu).url(), "https://ec2.eu-west-1.amazonaws.com");
/// assert_eq!(Endpoint::aws(Service::S3, &Region::US_EAST_1).url(), "https://s3.amazonaws.com");
///
/// let r53 = Endpoint::aws(Service::Route53, &eu);
/// assert_eq!(r53.url(), "https://route53.amazonaws.com");
/// assert_eq!(r53.signing_region().as_str(), "us-east-1");
///
/// let local = Endpoint::custom("http://127.0.0.1:5000", eu).unwrap();
/// assert!(local.is_custom());
/// assert_eq!(local.authority(), "127.0.0.1:5000");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: String,
    authority: String,
    host_len: usize,
    base_path: String,
    signing_region: Region,
    custom: bool,
}

impl Endpoint {
    /// AWS's own endpoint for `service` in `region`.
    ///
    /// Regional services are `https://<service>.<region>.<dns suffix>`; S3 in `us-east-1` is
    /// `https://s3.amazonaws.com`; Route 53 is one endpoint per partition
    /// (`https://route53.amazonaws.com`), signed with the partition's global region.
    pub fn aws(service: Service, region: &Region) -> Endpoint {
        let partition = region.partition();
        let suffix = partition.dns_suffix();
        let (host, signing_region) = match service {
            Service::Route53 => {
                let host = match partition {
                    Partition::AwsUsGov => "route53.us-gov.amazonaws.com".to_string(),
                    _ => format!("route53.{suffix}"),
                };
                (host, partition.global_region())
            }
            Service::S3 if region.as_str() == "us-east-1" => {
                ("s3.amazonaws.com".to_string(), region.clone())
            }
            Service::S3 => (format!("s3.{region}.{suffix}"), region.clone()),
            Service::Ec2 => (format!("ec2.{region}.{suffix}"), region.clone()),
            Service::ElasticLoadBalancing | Service::ElasticLoadBalancingV2 => (
                format!("elasticloadbalancing.{region}.{suffix}"),
                region.clone(),
            ),
        };
        Endpoint {
            scheme: "https".into(),
            host_len: host.len(),
            authority: host,
            base_path: String::new(),
            signing_region,
            custom: false,
        }
    }

    /// A custom endpoint at `url` (`http://127.0.0.1:9000`, `https://storage.example.com/s3`),
    /// signed for `signing_region`.
    ///
    /// The URL needs an `http` or `https` scheme and a host; it may carry a path prefix but no
    /// query, fragment or user info. Anything else is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn custom(url: &str, signing_region: Region) -> Result<Endpoint> {
        let url = url.trim();
        let shown = redact_userinfo(url);
        let bad = |why: &str| {
            Error::invalid_input(format!("endpoint {shown:?} {why}")).with_provider("aws")
        };
        if url.contains('#') {
            return Err(bad("has a fragment"));
        }
        let uri: http::Uri = url.parse().map_err(|_| bad("is not a URL"))?;
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => "http",
            Some(s) if s.eq_ignore_ascii_case("https") => "https",
            Some(_) => return Err(bad("must start with http:// or https://")),
            None => return Err(bad("has no scheme (http:// or https://)")),
        };
        let authority = uri.authority().ok_or_else(|| bad("has no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("must not carry user info"));
        }
        if authority.host().is_empty() {
            return Err(bad("has no host"));
        }
        if uri.query().is_some() {
            return Err(bad("must not have a query"));
        }
        let base_path = uri.path().trim_end_matches('/').to_string();
        Ok(Endpoint {
            scheme: scheme.into(),
            authority: authority.as_str().to_ascii_lowercase(),
            host_len: authority.host().len(),
            base_path,
            signing_region,
            custom: true,
        })
    }

    /// The endpoint to use for `service` in `region`, in this order: `explicit` (a URL the caller
    /// configured), then `AWS_ENDPOINT_URL_<SERVICE>` and `AWS_ENDPOINT_URL` from `env` (unless
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`), then [AWS's own](Endpoint::aws).
    ///
    /// A global service (Route 53) is signed with its partition's global region whichever
    /// endpoint is used. A URL that cannot be an endpoint is an error naming where it came from.
    pub fn resolve(
        service: Service,
        region: &Region,
        env: &Env,
        explicit: Option<&str>,
    ) -> Result<Endpoint> {
        let signing_region = if service.is_global() {
            region.partition().global_region()
        } else {
            region.clone()
        };
        if let Some(url) = explicit {
            return Endpoint::custom(url, signing_region);
        }
        let ignore = env
            .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if !ignore {
            for var in [service.endpoint_env_var(), "AWS_ENDPOINT_URL"] {
                if let Some(url) = env.get(var) {
                    return Endpoint::custom(&url, signing_region.clone()).map_err(|e| {
                        e.with_message(format!("{var} is not a usable endpoint URL"))
                    });
                }
            }
        }
        Ok(Endpoint::aws(service, region))
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Host and, when it is not the scheme's default, port: `s3.amazonaws.com`, `127.0.0.1:9000`.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The host alone.
    pub fn host(&self) -> &str {
        &self.authority[..self.host_len]
    }

    /// The path prefix of a custom endpoint, without a trailing `/` (usually empty).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The region requests to this endpoint are signed for.
    pub fn signing_region(&self) -> &Region {
        &self.signing_region
    }

    /// Whether the endpoint was configured rather than AWS's own.
    pub fn is_custom(&self) -> bool {
        self.custom
    }

    /// The endpoint as a URL without a trailing `/`.
    pub fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.base_path)
    }

    /// The URI of `path_and_query` (already encoded, starting with `/`) under this endpoint.
    ///
    /// A string that does not make a valid URI is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn uri(&self, path_and_query: &str) -> Result<http::Uri> {
        self.uri_on(&self.authority, path_and_query)
    }

    fn uri_on(&self, authority: &str, path_and_query: &str) -> Result<http::Uri> {
        let sep = if path_and_query.starts_with('/') {
            ""
        } else {
            "/"
        };
        let text = format!(
            "{}://{}{}{}{}",
            self.scheme, authority, self.base_path, sep, path_and_query
        );
        text.parse().map_err(|_| {
            Error::invalid_input(format!("{path_and_query:?} does not make a valid URI"))
                .with_provider("aws")
        })
    }
}

/// `url` with any `user:password@` replaced by `***@`, for error messages.
fn redact_userinfo(url: &str) -> Cow<'_, str> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}***{}", &url[..start], &rest[at..])),
        None => Cow::Borrowed(url),
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url())
            .field("signing_region", &self.signing_region)
            .field("custom", &self.custom)
            .finish()
    }
}

/// How a bucket appears in S3 URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[non_exhaustive]
pub enum AddressingStyle {
    /// Virtual-hosted on AWS's endpoints, path-style on custom endpoints and for bucket names
    /// that cannot be host names.
    #[default]
    Auto,
    /// `https://endpoint/bucket/key`, always.
    Path,
    /// `https://bucket.endpoint/key`; bucket names that cannot be host names are refused.
    VirtualHosted,
}

impl FromStr for AddressingStyle {
    type Err = Error;

    /// Parses `auto`, `path` or `virtual` (the values of the AWS config's `addressing_style`).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(AddressingStyle::Auto),
            "path" => Ok(AddressingStyle::Path),
            "virtual" | "virtual-hosted" | "virtual_hosted" => Ok(AddressingStyle::VirtualHosted),
            _ => Err(Error::invalid_input(format!(
                "{s:?} is not an addressing style (auto, path or virtual)"
            ))
            .with_provider("s3")),
        }
    }
}

/// Whether `bucket` can be the first label of a host name: 3 to 63 lower-case letters, digits,
/// `-` and `.`, starting and ending with a letter or digit, no empty label, no label that starts
/// or ends with `-`, and not shaped like an IPv4 address.
pub fn is_dns_compatible_bucket(bucket: &str) -> bool {
    let ok_chars = bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !(3..=63).contains(&bucket.len()) || !ok_chars {
        return false;
    }
    let labels_ok = bucket
        .split('.')
        .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    let ip_like = bucket.split('.').count() == 4
        && bucket
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
    labels_ok && !ip_like
}

/// Whether a request for `bucket` on `endpoint` uses path-style addressing under `style`.
///
/// `Auto` chooses path style for custom endpoints, for names that are not DNS-compatible, and
/// for names with a `.` over HTTPS (they would not match the endpoint's wildcard certificate).
pub fn uses_path_style(endpoint: &Endpoint, style: AddressingStyle, bucket: &str) -> bool {
    match style {
        AddressingStyle::Path => true,
        AddressingStyle::VirtualHosted => false,
        AddressingStyle::Auto => {
            endpoint.is_custom()
                || !is_dns_compatible_bucket(bucket)
                || (bucket.contains('.') && endpoint.scheme() == "https")
        }
    }
}

/// The URI of an object (or, with an empty `key`, of the bucket itself) on an S3 endpoint.
///
/// `key` is encoded with [`encode_path`]; `query` is appended as given (build it with
/// [`encode_query`](crate::encode::encode_query)). Path style gives
/// `endpoint/bucket/key`, virtual-hosted style `bucket.endpoint/key`.
///
/// An empty bucket name, or virtual-hosted style for a name that cannot be a host name, is
/// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
///
/// ```
/// use libcloud_aws::{AddressingStyle, Endpoint, Region, Service, s3_uri};
///
/// let aws = Endpoint::aws(Service::S3, &Region::new("eu-west-1").unwrap());
/// let uri = s3_uri(&aws, AddressingStyle::Auto, "photos", "2024/a b.jpg", None).unwrap();
/// assert_eq!(uri, "https://photos.s3.eu-west-1.amazonaws.com/2024/a%20b.jpg");
///
/// let local = Endpoint::custom("http://127.0.0.1:9000", Region::US_EAST_1).unwrap();
/// let uri = s3_uri(&local, AddressingStyle::Auto, "photos", "", Some("list-type=2")).unwrap();
/// assert_eq!(uri, "http://127.0.0.1:9000/photos?list-type=2");
/// ```
pub fn s3_uri(
    endpoint: &Endpoint,
    style: AddressingStyle,
    bucket: &str,
    key: &str,
    query: Option<&str>,
) -> Result<http::Uri> {
    if bucket.is_empty() {
        return Err(Error::invalid_input("the bucket name is empty").with_provider("s3"));
    }
    let query = match query {
        Some(q) if !q.is_empty() => format!("?{q}"),
        _ => String::new(),
    };
    if uses_path_style(endpoint, style, bucket) {
        let mut path = format!("/{}", encode_component(bucket));
        if !key.is_empty() {
            path.push('/');
            path.push_str(&encode_path(key));
        }
        endpoint.uri(&format!("{path}{query}"))
    } else {
        if !is_dns_compatible_bucket(bucket) {
            return Err(Error::invalid_input(format!(
                "bucket {bucket:?} cannot be addressed virtual-hosted style: it is not a valid host name"
            ))
            .with_provider("s3"));
        }
        let authority = format!("{bucket}.{}", endpoint.authority());
        endpoint.uri_on(&authority, &format!("/{}{query}", encode_path(key)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    fn region(name: &str) -> Region {
        Region::new(name).unwrap()
    }

    #[test]
    fn aws_endpoints_per_service_and_partition() {
        let cases = [
            (
                Service::Ec2,
                "us-west-2",
                "https://ec2.us-west-2.amazonaws.com",
                "us-west-2",
            ),
            (
                Service::Ec2,
                "cn-north-1",
                "https://ec2.cn-north-1.amazonaws.com.cn",
                "cn-north-1",
            ),
            (
                Service::S3,
                "us-east-1",
                "https://s3.amazonaws.com",
                "us-east-1",
            ),
            (
                Service::S3,
                "eu-central-1",
                "https://s3.eu-central-1.amazonaws.com",
                "eu-central-1",
            ),
            (
                Service::S3,
                "cn-northwest-1",
                "https://s3.cn-northwest-1.amazonaws.com.cn",
                "cn-northwest-1",
            ),
            (
                Service::ElasticLoadBalancing,
                "ap-south-1",
                "https://elasticloadbalancing.ap-south-1.amazonaws.com",
                "ap-south-1",
            ),
            (
                Service::ElasticLoadBalancingV2,
                "us-gov-west-1",
                "https://elasticloadbalancing.us-gov-west-1.amazonaws.com",
                "us-gov-west-1",
            ),
            (
                Service::Route53,
                "eu-west-3",
                "https://route53.amazonaws.com",
                "us-east-1",
            ),
            (
                Service::Route53,
                "cn-north-1",
                "https://route53.amazonaws.com.cn",
                "cn-northwest-1",
            ),
            (
                Service::Route53,
                "us-gov-east-1",
                "https://route53.us-gov.amazonaws.com",
                "us-gov-west-1",
            ),
        ];
        for (service, r, url, signing) in cases {
            let e = Endpoint::aws(service, &region(r));
            assert_eq!(e.url(), url, "{service} {r}");
            assert_eq!(e.signing_region().as_str(), signing, "{service} {r}");
            assert!(!e.is_custom());
        }
        assert_eq!(
            Service::ElasticLoadBalancingV2.signing_name(),
            "elasticloadbalancing"
        );
        assert_eq!(
            Service::Route53.endpoint_env_var(),
            "AWS_ENDPOINT_URL_ROUTE_53"
        );
    }

    #[test]
    fn custom_endpoints_are_checked() {
        let e = Endpoint::custom("HTTP://LocalHost:9000/prefix/", region("garage")).unwrap();
        assert_eq!(e.scheme(), "http");
        assert_eq!(e.authority(), "localhost:9000");
        assert_eq!(e.host(), "localhost");
        assert_eq!(e.base_path(), "/prefix");
        assert_eq!(e.url(), "http://localhost:9000/prefix");
        assert_eq!(
            e.uri("/b/k?x=1").unwrap(),
            "http://localhost:9000/prefix/b/k?x=1"
        );
        assert_eq!(e.uri("b").unwrap(), "http://localhost:9000/prefix/b");
        assert_eq!(e.signing_region().as_str(), "garage");
        assert!(e.uri("/a b").is_err());
        for bad in [
            "localhost:9000",
            "ftp://host",
            "http://",
            "http://user:pw@host",
            "http://host/?q=1",
            "http://host/#frag",
            "not a url",
            "",
        ] {
            let err = Endpoint::custom(bad, Region::US_EAST_1).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{bad:?}");
            assert!(!err.to_string().contains("pw@"), "{err}");
        }
        let err = Endpoint::custom("ftp://me:hunter2@host/x", Region::US_EAST_1).unwrap_err();
        assert!(err.to_string().contains("\"ftp://***@host/x\""), "{err}");
        assert_eq!(redact_userinfo("http://h/a@b"), "http://h/a@b");
        assert_eq!(redact_userinfo("u:p@h"), "***@h");
    }

    #[test]
    fn resolution_order() {
        let eu = region("eu-west-1");
        let env = Env::from_pairs([
            ("AWS_ENDPOINT_URL", "http://global:1"),
            ("AWS_ENDPOINT_URL_S3", "http://s3-only:2"),
        ]);
        let e = Endpoint::resolve(Service::S3, &eu, &env, None).unwrap();
        assert_eq!(e.url(), "http://s3-only:2");
        let e = Endpoint::resolve(Service::Ec2, &eu, &env, None).unwrap();
        assert_eq!(e.url(), "http://global:1");
        let e = Endpoint::resolve(Service::Ec2, &eu, &env, Some("https://mine")).unwrap();
        assert_eq!(e.url(), "https://mine");
        let e = Endpoint::resolve(Service::Route53, &eu, &env, None).unwrap();
        assert_eq!(e.signing_region().as_str(), "us-east-1");
        assert!(e.is_custom());

        let ignoring = Env::from_pairs([
            ("AWS_ENDPOINT_URL", "http://global:1"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"),
        ]);
        let e = Endpoint::resolve(Service::Ec2, &eu, &ignoring, None).unwrap();
        assert_eq!(e.url(), "https://ec2.eu-west-1.amazonaws.com");

        let broken = Env::from_pairs([("AWS_ENDPOINT_URL_EC2", "nonsense")]);
        let err = Endpoint::resolve(Service::Ec2, &eu, &broken, None).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("AWS_ENDPOINT_URL_EC2"));
    }

    #[test]
    fn dns_compatible_bucket_names() {
        for good in [
            "abc",
            "my-bucket",
            "my.bucket.name",
            "a1b2",
            "123",
            &"a".repeat(63),
        ] {
            assert!(is_dns_compatible_bucket(good), "{good}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "My-Bucket",
            "under_score",
            "-start",
            "end-",
            "a..b",
            "a.-b",
            "a-.b",
            "192.168.1.1",
            "sp ace",
            "ünï",
        ] {
            assert!(!is_dns_compatible_bucket(bad), "{bad}");
        }
    }

    #[test]
    fn s3_addressing_styles() {
        let aws = Endpoint::aws(Service::S3, &region("us-west-2"));
        let local = Endpoint::custom("http://127.0.0.1:5000", region("us-east-1")).unwrap();
        let auto = AddressingStyle::Auto;

        let uri = s3_uri(&aws, auto, "bucket", "a/b c/d+e", None).unwrap();
        assert_eq!(
            uri,
            "https://bucket.s3.us-west-2.amazonaws.com/a/b%20c/d%2Be"
        );
        let uri = s3_uri(&aws, auto, "bucket", "", Some("location")).unwrap();
        assert_eq!(uri, "https://bucket.s3.us-west-2.amazonaws.com/?location");
        // Not DNS-compatible, or dotted over HTTPS: path style.
        let uri = s3_uri(&aws, auto, "Upper_Case", "k", None).unwrap();
        assert_eq!(uri, "https://s3.us-west-2.amazonaws.com/Upper_Case/k");
        let uri = s3_uri(&aws, auto, "my.bucket", "k", None).unwrap();
        assert_eq!(uri, "https://s3.us-west-2.amazonaws.com/my.bucket/k");
        // Custom endpoints: path style unless told otherwise.
        let uri = s3_uri(&local, auto, "bucket", "k", None).unwrap();
        assert_eq!(uri, "http://127.0.0.1:5000/bucket/k");
        let uri = s3_uri(&local, AddressingStyle::VirtualHosted, "bucket", "k", None).unwrap();
        assert_eq!(uri, "http://bucket.127.0.0.1:5000/k");
        let uri = s3_uri(&aws, AddressingStyle::Path, "bucket", "", None).unwrap();
        assert_eq!(uri, "https://s3.us-west-2.amazonaws.com/bucket");

        let err = s3_uri(&aws, AddressingStyle::VirtualHosted, "Bad_Name", "k", None).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        let err = s3_uri(&aws, auto, "", "k", None).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        // A bucket name that would escape its path segment is encoded, never interpreted.
        let uri = s3_uri(&local, auto, "a/../b?c", "k", None).unwrap();
        assert_eq!(uri, "http://127.0.0.1:5000/a%2F..%2Fb%3Fc/k");
    }

    #[test]
    fn addressing_style_parses() {
        assert_eq!(
            "Path".parse::<AddressingStyle>().unwrap(),
            AddressingStyle::Path
        );
        assert_eq!(
            "virtual".parse::<AddressingStyle>().unwrap(),
            AddressingStyle::VirtualHosted
        );
        assert_eq!(
            "auto".parse::<AddressingStyle>().unwrap(),
            AddressingStyle::Auto
        );
        assert!("sideways".parse::<AddressingStyle>().is_err());
    }
}
