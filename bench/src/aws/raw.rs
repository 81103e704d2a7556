//! The floor for the AWS operations: hyper's HTTP/1 client and `aws-sigv4`, no library around
//! them. It sends the requests libcloud sends for each call (the EC2 and ELB query forms, the
//! Route 53 REST calls, `DescribeInstances` pages of 1,000 followed by `DescribeAddresses` for
//! a listing), signs the body's SHA-256 as libcloud does, and reads answers with string
//! searches instead of an XML parser.

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::{Aws, AwsSettings, IMAGE, INSTANCE_TYPE, Zone};
use crate::client::Result;

/// The EC2 query API version.
const EC2_VERSION: &str = "2016-11-15";
/// The classic ELB query API version.
const ELB_VERSION: &str = "2012-06-01";
/// The Route 53 REST API version, the first segment of every path.
const R53: &str = "/2013-04-01";
/// Route 53 signs for this region whatever the others use.
const R53_REGION: &str = "us-east-1";
/// The most changes per `ChangeResourceRecordSets` request, as libcloud-route53's default.
const BATCH: usize = 1000;

/// The raw client.
pub struct RawAws {
    http: HttpClient<HttpConnector, Full<Bytes>>,
    settings: AwsSettings,
    identity: Identity,
}

/// Percent-encodes everything but the unreserved characters, as form values and paths need.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text of the first `<tag>...</tag>` in `xml` (no entities occur in what is read here).
fn element(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(xml[start..end].to_string())
}

/// Every `<tag>...</tag>` text in `xml`, in order.
fn elements(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let from = i + open.len();
        let Some(len) = rest[from..].find(&close) else {
            break;
        };
        out.push(rest[from..from + len].to_string());
        rest = &rest[from + len..];
    }
    out
}

impl RawAws {
    /// A client for `settings`' server.
    pub fn new(settings: &AwsSettings) -> Result<Self> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = HttpClient::builder(TokioExecutor::new()).build(connector);
        let identity = aws_credential_types::Credentials::new(
            settings.access_key.clone(),
            settings.secret_key.clone(),
            None,
            None,
            "bench",
        )
        .into();
        Ok(RawAws {
            http,
            settings: settings.clone(),
            identity,
        })
    }

    /// Signs and sends one request and reads its whole answer; a status other than 2xx is an
    /// error with the body.
    async fn send(
        &self,
        service: &str,
        region: &str,
        method: Method,
        path_and_query: &str,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<String> {
        let uri = format!("{}{path_and_query}", self.settings.endpoint);
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(region)
            .name(service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| format!("signing parameters: {e}"))?
            .into();
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| vec![("content-type", t)])
            .unwrap_or_default();
        let signable = SignableRequest::new(
            method.as_str(),
            uri.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(&body),
        )
        .map_err(|e| format!("signing {method} {uri}: {e}"))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| format!("signing {method} {uri}: {e}"))?
            .into_parts();
        let mut request = Request::builder().method(method.clone()).uri(&uri);
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let (signed, _) = instructions.into_parts();
        for header in signed {
            request = request.header(header.name(), header.value());
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| format!("building {method} {uri}: {e}"))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| format!("{method} {uri}: {e}"))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading the answer to {method} {uri}: {e}"))?
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if status.is_success() {
            Ok(text)
        } else {
            Err(format!("{method} {uri}: {status}: {text}"))
        }
    }

    /// One EC2 or ELB query call: a form POSTed to `/`.
    async fn query(
        &self,
        service: &str,
        version: &str,
        action: &str,
        params: &[(String, String)],
    ) -> Result<String> {
        let mut form = format!("Action={action}&Version={version}");
        for (k, v) in params {
            form.push('&');
            form.push_str(&encode(k));
            form.push('=');
            form.push_str(&encode(v));
        }
        self.send(
            service,
            &self.settings.region,
            Method::POST,
            "/",
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            Bytes::from(form),
        )
        .await
    }

    async fn ec2(&self, action: &str, params: &[(String, String)]) -> Result<String> {
        self.query("ec2", EC2_VERSION, action, params).await
    }

    async fn elb(&self, action: &str, params: &[(String, String)]) -> Result<String> {
        self.query("elasticloadbalancing", ELB_VERSION, action, params)
            .await
    }

    async fn route53(&self, method: Method, path: &str, body: Option<String>) -> Result<String> {
        let (content_type, body) = match body {
            Some(xml) => (Some("application/xml"), Bytes::from(xml)),
            None => (None, Bytes::new()),
        };
        self.send(
            "route53",
            R53_REGION,
            method,
            &format!("{R53}{path}"),
            content_type,
            body,
        )
        .await
    }

    /// Every page of `DescribeInstances` (1,000 a page) and the instance ids on them.
    async fn describe_instances(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut params = vec![("MaxResults".to_string(), "1000".to_string())];
            if let Some(t) = &token {
                params.push(("NextToken".into(), t.clone()));
            }
            let page = self.ec2("DescribeInstances", &params).await?;
            ids.extend(elements(&page, "instanceId"));
            token = element(&page, "nextToken").filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(dedup(ids));
            }
        }
    }

    fn changes(records: &[(String, String)], zone: &str) -> String {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
             <ChangeBatch><Changes>",
        );
        for (name, ip) in records {
            xml.push_str(&format!(
                "<Change><Action>CREATE</Action><ResourceRecordSet><Name>{name}.{zone}.</Name>\
                 <Type>A</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>{ip}</Value>\
                 </ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"
            ));
        }
        xml.push_str("</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>");
        xml
    }
}

/// The ids in first-seen order without repeats (an instance's network interface repeats it).
fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().filter(|i| seen.insert(i.clone())).collect()
}

#[async_trait::async_trait]
impl Aws for RawAws {
    async fn launch_instances(&self, count: usize) -> Result<()> {
        let params = [
            ("ImageId".to_string(), IMAGE.to_string()),
            ("InstanceType".into(), INSTANCE_TYPE.into()),
            ("MinCount".into(), count.to_string()),
            ("MaxCount".into(), count.to_string()),
        ];
        self.ec2("RunInstances", &params).await.map(|_| ())
    }

    async fn list_instances(&self) -> Result<usize> {
        let ids = self.describe_instances().await?;
        self.ec2("DescribeAddresses", &[]).await?;
        Ok(ids.len())
    }

    async fn instance_ids(&self, count: usize) -> Result<Vec<String>> {
        let mut ids = self.describe_instances().await?;
        ids.truncate(count);
        Ok(ids)
    }

    async fn create_instance(&self, name: &str) -> Result<String> {
        let params = [
            ("ImageId".to_string(), IMAGE.to_string()),
            ("InstanceType".into(), INSTANCE_TYPE.into()),
            ("MinCount".into(), "1".into()),
            ("MaxCount".into(), "1".into()),
            ("TagSpecification.1.ResourceType".into(), "instance".into()),
            ("TagSpecification.1.Tag.1.Key".into(), "Name".into()),
            ("TagSpecification.1.Tag.1.Value".into(), name.into()),
            (
                "ClientToken".into(),
                format!("{name}-{}", std::process::id()),
            ),
        ];
        let text = self.ec2("RunInstances", &params).await?;
        element(&text, "instanceId").ok_or_else(|| format!("no instance id in {text}"))
    }

    async fn reboot_instance(&self, id: &str) -> Result<()> {
        self.ec2("RebootInstances", &[("InstanceId.1".into(), id.into())])
            .await
            .map(|_| ())
    }

    async fn create_zone(&self, domain: &str) -> Result<Zone> {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <CreateHostedZoneRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
             <Name>{domain}.</Name><CallerReference>{domain}-{}</CallerReference>\
             </CreateHostedZoneRequest>",
            std::process::id()
        );
        let text = self.route53(Method::POST, "/hostedzone", Some(xml)).await?;
        let id = element(&text, "Id")
            .map(|id| id.trim_start_matches("/hostedzone/").to_string())
            .ok_or_else(|| format!("no zone id in {text}"))?;
        Ok(Zone {
            id,
            domain: domain.to_string(),
        })
    }

    async fn find_zone(&self, domain: &str) -> Result<Zone> {
        let text = self
            .route53(
                Method::GET,
                &format!("/hostedzonesbyname?dnsname={}.&maxitems=1", encode(domain)),
                None,
            )
            .await?;
        let wanted = format!("{domain}.");
        for zone in elements(&text, "HostedZone") {
            if element(&zone, "Name").as_deref() == Some(wanted.as_str()) {
                let id = element(&zone, "Id")
                    .map(|id| id.trim_start_matches("/hostedzone/").to_string())
                    .ok_or_else(|| format!("no zone id in {zone}"))?;
                return Ok(Zone {
                    id,
                    domain: domain.to_string(),
                });
            }
        }
        Err(format!("no zone {domain}"))
    }

    async fn create_record(&self, zone: &Zone, name: &str, ip: &str) -> Result<()> {
        self.route53(
            Method::POST,
            &format!("/hostedzone/{}/rrset", zone.id),
            Some(Self::changes(&[(name.into(), ip.into())], &zone.domain)),
        )
        .await
        .map(|_| ())
    }

    async fn create_records(&self, zone: &Zone, records: &[(String, String)]) -> Result<()> {
        for batch in records.chunks(BATCH) {
            self.route53(
                Method::POST,
                &format!("/hostedzone/{}/rrset", zone.id),
                Some(Self::changes(batch, &zone.domain)),
            )
            .await?;
        }
        Ok(())
    }

    async fn list_records(&self, zone: &Zone) -> Result<usize> {
        let zone_id = &zone.id;
        let mut count = 0;
        let mut next: Option<(String, String)> = None;
        loop {
            let mut path = format!("/hostedzone/{zone_id}/rrset");
            if let Some((name, kind)) = &next {
                path.push_str(&format!("?name={}&type={}", encode(name), encode(kind)));
            }
            let text = self.route53(Method::GET, &path, None).await?;
            count += text.matches("<Type>A</Type>").count();
            if element(&text, "IsTruncated").as_deref() != Some("true") {
                return Ok(count);
            }
            next = element(&text, "NextRecordName").zip(element(&text, "NextRecordType"));
            if next.is_none() {
                return Err("a truncated record listing without a next name".into());
            }
        }
    }

    async fn create_balancer(&self, name: &str) -> Result<()> {
        let params = [
            ("LoadBalancerName".to_string(), name.to_string()),
            ("Listeners.member.1.Protocol".into(), "HTTP".into()),
            ("Listeners.member.1.LoadBalancerPort".into(), "80".into()),
            ("Listeners.member.1.InstancePort".into(), "80".into()),
            (
                "AvailabilityZones.member.1".into(),
                format!("{}a", self.settings.region),
            ),
        ];
        self.elb("CreateLoadBalancer", &params).await.map(|_| ())
    }

    async fn attach_instance(&self, balancer: &str, id: &str) -> Result<()> {
        let params = [
            ("LoadBalancerName".to_string(), balancer.to_string()),
            ("Instances.member.1.InstanceId".into(), id.to_string()),
        ];
        self.elb("RegisterInstancesWithLoadBalancer", &params)
            .await
            .map(|_| ())
    }

    async fn balancer_members(&self, balancer: &str) -> Result<usize> {
        let params = [(
            "LoadBalancerNames.member.1".to_string(),
            balancer.to_string(),
        )];
        let text = self.elb("DescribeLoadBalancers", &params).await?;
        let instances = element(&text, "Instances").unwrap_or_default();
        Ok(instances.matches("<InstanceId>").count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_found_in_order() {
        let xml = "<a><Id>1</Id><b><Id>2</Id></b><Id>3</Id></a>";
        assert_eq!(element(xml, "Id").as_deref(), Some("1"));
        assert_eq!(elements(xml, "Id"), ["1", "2", "3"]);
        assert_eq!(element(xml, "None"), None);
    }

    #[test]
    fn form_values_are_encoded() {
        assert_eq!(encode("a b/c=d"), "a%20b%2Fc%3Dd");
    }

    #[test]
    fn change_batches_name_records_in_the_zone() {
        let xml = RawAws::changes(&[("r1".into(), "10.0.0.1".into())], "z.example");
        assert!(xml.contains("<Name>r1.z.example.</Name>"));
        assert!(xml.contains("<Value>10.0.0.1</Value>"));
        assert_eq!(xml.matches("<Change>").count(), 1);
    }
}
