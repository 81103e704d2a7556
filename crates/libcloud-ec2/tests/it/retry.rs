//! A retried launch never launches twice: RunInstances fails between request and response (or
//! before the request arrives, or with a 5xx or throttling), under libcloud-http's retry layer,
//! against a small stateful stand-in for EC2 that, like moto, ignores `ClientToken`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use libcloud_aws::Env;
use libcloud_core::transport::{self, Request, Response};
use libcloud_core::{Body, ComputeDriver, CreateNode, Error, ErrorKind, Result, Transport};
use libcloud_ec2::{Ec2Compute, Ec2Config, NodeOptions};
use libcloud_http::{RetryLayer, RetryPolicy};
use tower::Layer;

/// What goes wrong with the next RunInstances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// The server launches the instance, then the connection breaks before the answer.
    AfterSend,
    /// The connection breaks before the request arrives.
    BeforeSend,
    /// The server answers 503 without launching.
    Unavailable,
    /// The server answers RequestLimitExceeded without launching.
    Throttled,
}

#[derive(Default)]
struct State {
    /// Launched instances: id, client token, Name tag.
    launched: Vec<(String, String, String)>,
    /// The ClientToken of every RunInstances that arrived or was attempted.
    run_tokens: Vec<String>,
    /// How many DescribeInstances were answered.
    describes: usize,
    faults: VecDeque<Fault>,
    /// When set, DescribeInstances fails with 403.
    describe_forbidden: bool,
    /// When set, DescribeInstances breaks its connection once.
    describe_breaks_once: bool,
}

#[derive(Clone, Default)]
struct FakeEc2 {
    state: Arc<Mutex<State>>,
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(text: &str) -> String {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
            );
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn reply(status: u16, body: String) -> Result<Response> {
    Ok(http::Response::builder()
        .status(status)
        .body(Body::from(body))
        .unwrap())
}

fn error_body(code: &str) -> String {
    format!(
        "<Response><Errors><Error><Code>{code}</Code><Message>{code}</Message></Error></Errors>\
         <RequestID>r</RequestID></Response>"
    )
}

fn broken() -> Error {
    Error::transport(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "connection reset by peer",
    ))
}

fn instance_xml(id: &str, token: &str, name: &str) -> String {
    format!(
        "<item><instanceId>{id}</instanceId><imageId>ami-12345678</imageId>\
         <instanceState><code>0</code><name>pending</name></instanceState>\
         <instanceType>t3.micro</instanceType><clientToken>{token}</clientToken>\
         <tagSet><item><key>Name</key><value>{name}</value></item></tagSet></item>"
    )
}

impl FakeEc2 {
    fn transport(&self) -> Transport {
        let fake = self.clone();
        transport::from_fn(move |req: Request| {
            let fake = fake.clone();
            async move { fake.handle(req).await }.boxed()
        })
    }

    async fn handle(&self, req: Request) -> Result<Response> {
        let body = req.into_body().collect(1 << 20).await?;
        let params = form(&body);
        let mut s = self.state.lock().unwrap();
        match get(&params, "Action") {
            Some("RunInstances") => {
                let token = get(&params, "ClientToken").unwrap_or_default().to_string();
                let name = get(&params, "TagSpecification.1.Tag.1.Value")
                    .unwrap_or_default()
                    .to_string();
                s.run_tokens.push(token.clone());
                let fault = s.faults.pop_front();
                match fault {
                    Some(Fault::BeforeSend) => return Err(broken()),
                    Some(Fault::Unavailable) => return reply(503, error_body("Unavailable")),
                    Some(Fault::Throttled) => {
                        return reply(400, error_body("RequestLimitExceeded"));
                    }
                    _ => {}
                }
                // Like moto: a token seen before launches another instance all the same.
                let id = format!("i-{:08x}", s.launched.len() + 1);
                s.launched.push((id.clone(), token.clone(), name.clone()));
                if fault == Some(Fault::AfterSend) {
                    return Err(broken());
                }
                reply(
                    200,
                    format!(
                        "<RunInstancesResponse><reservationId>r-1</reservationId><instancesSet>{}\
                         </instancesSet></RunInstancesResponse>",
                        instance_xml(&id, &token, &name)
                    ),
                )
            }
            Some("DescribeInstances") => {
                if s.describe_forbidden {
                    return reply(403, error_body("UnauthorizedOperation"));
                }
                if s.describe_breaks_once {
                    s.describe_breaks_once = false;
                    return Err(broken());
                }
                s.describes += 1;
                let wanted = (get(&params, "Filter.1.Name") == Some("tag:Name")).then(|| {
                    get(&params, "Filter.1.Value.1")
                        .unwrap_or_default()
                        .to_string()
                });
                let items: String = s
                    .launched
                    .iter()
                    .filter(|(_, _, name)| wanted.as_ref().is_none_or(|w| w == name))
                    .map(|(id, token, name)| instance_xml(id, token, name))
                    .collect();
                reply(
                    200,
                    format!(
                        "<DescribeInstancesResponse><reservationSet><item><instancesSet>{items}\
                         </instancesSet></item></reservationSet></DescribeInstancesResponse>"
                    ),
                )
            }
            Some("DescribeAddresses") => reply(200, "<DescribeAddressesResponse/>".into()),
            other => reply(400, error_body(&format!("InvalidAction{other:?}"))),
        }
    }

    fn launched(&self) -> usize {
        self.state.lock().unwrap().launched.len()
    }

    fn run_tokens(&self) -> Vec<String> {
        self.state.lock().unwrap().run_tokens.clone()
    }
}

/// The driver over `fake`, under libcloud-http's retry layer (quick backoff).
fn driver(fake: &FakeEc2) -> Ec2Compute {
    let policy = RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_attempts(3);
    let retrying = transport::boxed(RetryLayer::new(policy).layer(fake.transport()));
    let config = Ec2Config::from_options(
        [("key", "AKID"), ("secret", "s")],
        Env::from_pairs::<_, &str, &str>([]),
    )
    .unwrap();
    Ec2Compute::with_transport(config, retrying).unwrap()
}

fn request(name: &str) -> CreateNode {
    CreateNode::new(name, "t3.micro", "ami-12345678")
}

#[tokio::test]
async fn a_launch_whose_answer_is_lost_is_found_not_repeated() {
    let fake = FakeEc2::default();
    fake.state
        .lock()
        .unwrap()
        .faults
        .push_back(Fault::AfterSend);
    let node = driver(&fake).create_node(&request("web-1")).await.unwrap();
    assert_eq!(fake.launched(), 1, "exactly one instance");
    assert_eq!(node.id, "i-00000001");
    assert_eq!(node.name, "web-1");
    let tokens = fake.run_tokens();
    assert_eq!(
        tokens.len(),
        1,
        "RunInstances was not sent again: {tokens:?}"
    );
    assert_eq!(node.extra["client_token"], tokens[0].as_str());
    assert_eq!(fake.state.lock().unwrap().describes, 1);
}

#[tokio::test]
async fn a_launch_that_never_arrived_is_sent_again_with_the_same_token() {
    let fake = FakeEc2::default();
    fake.state
        .lock()
        .unwrap()
        .faults
        .push_back(Fault::BeforeSend);
    let node = driver(&fake).create_node(&request("web-2")).await.unwrap();
    assert_eq!(fake.launched(), 1);
    let tokens = fake.run_tokens();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0], tokens[1], "the retry repeats the ClientToken");
    assert_eq!(node.extra["client_token"], tokens[0].as_str());
}

#[tokio::test]
async fn unavailable_and_throttled_launches_are_retried_once_checked() {
    let fake = FakeEc2::default();
    fake.state
        .lock()
        .unwrap()
        .faults
        .extend([Fault::Unavailable, Fault::Throttled]);
    let node = driver(&fake).create_node(&request("web-3")).await.unwrap();
    assert_eq!(fake.launched(), 1);
    assert_eq!(fake.run_tokens().len(), 3);
    assert_eq!(fake.state.lock().unwrap().describes, 2);
    assert_eq!(node.name, "web-3");
}

#[tokio::test]
async fn a_caller_token_is_kept_across_calls() {
    let fake = FakeEc2::default();
    fake.state
        .lock()
        .unwrap()
        .faults
        .push_back(Fault::AfterSend);
    let options = NodeOptions::default().client_token("deploy-42");
    let d = driver(&fake);
    let first = d
        .create_node(&options.apply(request("web-4")))
        .await
        .unwrap();
    assert_eq!(first.extra["client_token"], "deploy-42");
    assert_eq!(fake.run_tokens(), ["deploy-42"]);
    assert_eq!(fake.launched(), 1);
}

#[tokio::test]
async fn giving_up_after_the_attempts_launches_nothing() {
    let fake = FakeEc2::default();
    fake.state
        .lock()
        .unwrap()
        .faults
        .extend([Fault::BeforeSend; 3]);
    let err = driver(&fake)
        .with_launch_attempts(3)
        .create_node(&request("web-5"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    assert_eq!(err.operation(), Some("create_node"));
    assert_eq!(fake.launched(), 0);
    assert_eq!(fake.run_tokens().len(), 3);
}

#[tokio::test]
async fn an_unverifiable_launch_is_not_repeated() {
    let fake = FakeEc2::default();
    {
        let mut s = fake.state.lock().unwrap();
        s.faults.push_back(Fault::AfterSend);
        s.describe_forbidden = true;
    }
    let err = driver(&fake)
        .create_node(&request("web-6"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    let token = fake.run_tokens()[0].clone();
    assert!(err.to_string().contains(&token), "{err}");
    assert!(err.to_string().contains("could not be checked"), "{err}");
    assert_eq!(fake.run_tokens().len(), 1);
    assert_eq!(fake.launched(), 1);
}

#[tokio::test]
async fn the_retry_layer_resends_the_check_itself() {
    let fake = FakeEc2::default();
    {
        let mut s = fake.state.lock().unwrap();
        s.faults.push_back(Fault::AfterSend);
        s.describe_breaks_once = true;
    }
    let node = driver(&fake).create_node(&request("web-7")).await.unwrap();
    assert_eq!(node.id, "i-00000001");
    assert_eq!(fake.launched(), 1);
    assert_eq!(fake.run_tokens().len(), 1);
}

#[tokio::test]
async fn non_temporary_failures_are_not_retried() {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let config = Ec2Config::from_options(
        [("key", "AKID"), ("secret", "s")],
        Env::from_pairs::<_, &str, &str>([]),
    )
    .unwrap();
    let refusing = transport::from_fn(move |_req: Request| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { reply(400, error_body("InvalidParameterValue")) }.boxed()
    });
    let d = Ec2Compute::with_transport(config, refusing).unwrap();
    let err = d.create_node(&request("web-8")).await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}
