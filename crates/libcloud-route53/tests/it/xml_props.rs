//! Fuzzing Route 53's XML parsers with proptest: hosted zones, record sets, change infos and
//! created zones, mutated from the seeds in `tests/corpus/route53-xml/` or generated from the
//! API's element names, under any status. Each gives a result or a typed error, never a panic.
//! `PROPTEST_CASES` sets how many inputs each property tries (256 by default).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use libcloud_core::transport::{self, Request};
use libcloud_core::{
    Body, CreateZone, DnsDriver, DnsDriverExt, ErrorKind, RecordSpec, RecordType, Result, Transport,
};
use libcloud_route53::{Route53Config, Route53Dns};
use libcloud_testkit::fuzz::{XML_DICTIONARY, corpus, inputs, xml_documents};
use proptest::prelude::*;

use crate::zone;

const ZONES: &[&str] = &[
    "ListHostedZonesResponse",
    "HostedZones",
    "HostedZone",
    "Id",
    "Name",
    "CallerReference",
    "Config",
    "Comment",
    "PrivateZone",
    "ResourceRecordSetCount",
    "IsTruncated",
    "NextMarker",
    "MaxItems",
];
const RRSETS: &[&str] = &[
    "ListResourceRecordSetsResponse",
    "ResourceRecordSets",
    "ResourceRecordSet",
    "Name",
    "Type",
    "TTL",
    "ResourceRecords",
    "ResourceRecord",
    "Value",
    "AliasTarget",
    "SetIdentifier",
    "Weight",
    "IsTruncated",
    "NextRecordName",
    "NextRecordType",
    "NextRecordIdentifier",
];
const CHANGES: &[&str] = &[
    "CreateHostedZoneResponse",
    "ChangeResourceRecordSetsResponse",
    "GetHostedZoneResponse",
    "HostedZone",
    "ChangeInfo",
    "Id",
    "Status",
    "SubmittedAt",
    "DelegationSet",
    "NameServers",
    "NameServer",
    "Name",
];

const STATUSES: &[u16] = &[200, 200, 201, 400, 403, 404, 409, 500, 503];

fn answers() -> BoxedStrategy<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/route53-xml");
    let generated = prop_oneof![
        xml_documents(ZONES),
        xml_documents(RRSETS),
        xml_documents(CHANGES),
    ]
    .boxed();
    inputs(corpus(dir), XML_DICTIONARY, Some(generated))
}

/// Answers the first three requests with `status` and `body`, later ones with an empty 500.
fn answering(status: u16, body: Vec<u8>) -> Transport {
    let calls = Arc::new(AtomicUsize::new(0));
    transport::from_fn(move |_request: Request| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let (status, body) = if n < 3 {
            (status, body.clone())
        } else {
            (500, Vec::new())
        };
        Box::pin(async move {
            Ok(http::Response::builder()
                .status(status)
                .header("content-type", "text/xml")
                .body(Body::from(body))
                .unwrap())
        })
    })
}

async fn call(op: usize, transport: Transport) -> Result<()> {
    let config = Route53Config::new().with_keys("AKIDTEST", "secret");
    let dns = Route53Dns::with_transport(config, transport).unwrap();
    let z = zone("ZSEED0000000001", "seed.example.");
    match op {
        0 => dns.list_zones().await.map(drop),
        1 => dns.get_zone("ZSEED0000000001").await.map(drop),
        2 => dns.list_records(&z).await.map(drop),
        3 => dns
            .create_zone(&CreateZone::new("new.seed.example."))
            .await
            .map(drop),
        4 => dns
            .create_record(&z, &RecordSpec::new("www", RecordType::A, "192.0.2.1"))
            .await
            .map(drop),
        _ => dns.ex_find_zones("seed.example").await.map(drop),
    }
}

proptest! {
    #[test]
    fn answers_are_parsed_or_refused_with_a_typed_error(
        body in answers(),
        op in 0usize..6,
        status in prop::sample::select(STATUSES),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let result = runtime.block_on(call(op, answering(status, body)));
        if let Err(err) = result {
            let pager = err.message().is_some_and(|m| m.contains("same page token"));
            prop_assert!(pager || err.provider().is_some(), "{:?}", err);
            if status < 300 {
                prop_assert!(
                    matches!(
                        err.kind(),
                        ErrorKind::MalformedResponse
                            | ErrorKind::Provider { .. }
                            | ErrorKind::NotFound { .. }
                    ),
                    "a {} answer to op {} failed as {:?}: {}", status, op, err.kind(), err
                );
            }
        }
    }
}

#[test]
fn every_seed_reads_as_intended() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/route53-xml");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let read = |file: &str, op: usize| {
        let body = std::fs::read(format!("{dir}/{file}")).unwrap();
        runtime.block_on(call(op, answering(200, body)))
    };
    read("get-hosted-zone.xml", 1).unwrap();
    // The truncated listings ask for the next page and get the same marker back: refused.
    let err = read("list-hosted-zones.xml", 0).unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{err}");
    read("create-zone.xml", 3).unwrap();
}

/// Found by the libFuzzer target: a zone listing whose `<HostedZone>` has no `<Id>` was refused
/// without naming the provider or the operation.
#[test]
fn a_listed_zone_without_an_id_is_refused_with_its_context() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/route53-xml");
    let seed = std::fs::read_to_string(format!("{dir}/list-hosted-zones.xml")).unwrap();
    let body = seed.replace("<Id>/hostedzone/ZSEED0000000001</Id>", "");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    for (op, operation) in [
        (0, "iterate_zones"),
        (3, "ex_find_zones"),
        (5, "ex_find_zones"),
    ] {
        let err = runtime
            .block_on(call(op, answering(200, body.clone().into_bytes())))
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{err}");
        assert_eq!(err.provider(), Some("route53"), "{err}");
        assert_eq!(err.operation(), Some(operation), "{err}");
    }
}
