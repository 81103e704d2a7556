//! Fuzzing the XML parsers with proptest: every answer, mutated from the seeds in
//! `tests/corpus/zerigo/` or generated from Zerigo's element names, under any status, gives a
//! result or a typed error that names the provider, never a panic. `PROPTEST_CASES` sets how
//! many inputs each property tries (256 by default; `cargo xtask fuzz` raises it).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use libcloud_core::transport::{self, Request};
use libcloud_core::{
    Body, CreateZone, DnsDriver, DnsDriverExt, ErrorKind, RecordSpec, RecordType, Result,
    Transport, Zone, ZoneType,
};
use libcloud_testkit::fuzz::{XML_DICTIONARY, corpus, inputs, xml_documents};
use proptest::prelude::*;

use crate::driver_with;

/// The element names Zerigo's answers are made of.
const ZONE_NAMES: &[&str] = &[
    "zone",
    "id",
    "domain",
    "ns-type",
    "default-ttl",
    "hostmaster",
    "custom-ns",
    "notes",
    "ns1",
    "nx-ttl",
    "slave-nameservers",
    "tag-list",
    "hosts-count",
    "created-at",
    "updated-at",
];
const ZONES_NAMES: &[&str] = &["zones", "zone", "id", "domain", "ns-type", "default-ttl"];
const HOST_NAMES: &[&str] = &[
    "host",
    "id",
    "hostname",
    "host-type",
    "data",
    "fqdn",
    "notes",
    "state",
    "priority",
    "ttl",
    "zone-id",
    "created-at",
];
const HOSTS_NAMES: &[&str] = &[
    "hosts",
    "host",
    "id",
    "hostname",
    "host-type",
    "data",
    "ttl",
];
const ERROR_NAMES: &[&str] = &["errors", "error"];

/// Statuses Zerigo answers with.
const STATUSES: &[u16] = &[200, 201, 401, 404, 422, 429, 500, 503];

fn answers() -> BoxedStrategy<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/zerigo");
    let generated = prop_oneof![
        xml_documents(ZONES_NAMES),
        xml_documents(ZONE_NAMES),
        xml_documents(HOSTS_NAMES),
        xml_documents(HOST_NAMES),
        xml_documents(ERROR_NAMES),
    ]
    .boxed();
    inputs(corpus(dir), XML_DICTIONARY, Some(generated))
}

/// A transport that answers the first two requests with `status`, `body` and, when given, an
/// `X-Query-Count`, and every later one with an empty 500, so that paging always ends.
fn answering(status: u16, count: Option<String>, body: Vec<u8>) -> Transport {
    let calls = Arc::new(AtomicUsize::new(0));
    transport::from_fn(move |_request: Request| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let (status, body) = if n < 2 {
            (status, body.clone())
        } else {
            (500, Vec::new())
        };
        let count = count.clone();
        Box::pin(async move {
            let mut response = http::Response::builder()
                .status(status)
                .header("content-type", "application/xml");
            if let Some(count) = count {
                response = response.header("x-query-count", count);
            }
            Ok(response.body(Body::from(body)).unwrap())
        })
    })
}

fn zone() -> Zone {
    Zone {
        id: "4100003".into(),
        domain: "single.example".into(),
        zone_type: ZoneType::Master,
        ttl: Some(3600),
        extra: Default::default(),
    }
}

async fn call(op: usize, transport: Transport) -> Result<()> {
    let dns = driver_with(transport);
    match op {
        0 => dns.list_zones().await.map(drop),
        1 => dns.get_zone("4100003").await.map(drop),
        2 => dns.list_records(&zone()).await.map(drop),
        3 => dns.get_record("4100003", "9200003").await.map(drop),
        4 => dns
            .create_zone(&CreateZone::new("new-zone.example"))
            .await
            .map(drop),
        5 => dns
            .create_record(&zone(), &RecordSpec::new("www", RecordType::A, "192.0.2.1"))
            .await
            .map(drop),
        _ => dns.ex_get_zone_by_domain("single.example").await.map(drop),
    }
}

proptest! {
    #[test]
    fn answers_are_parsed_or_refused_with_a_typed_error(
        body in answers(),
        op in 0usize..7,
        status in prop::sample::select(STATUSES),
        count in prop::option::weighted(0.2, prop_oneof![
            any::<u32>().prop_map(|n| n.to_string()),
            Just("18446744073709551616".to_string()),
            Just("many".to_string()),
        ]),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let result = runtime.block_on(call(op, answering(status, count, body)));
        if let Err(err) = result {
            prop_assert_eq!(err.provider(), Some("zerigo"), "{}", err);
            prop_assert!(err.operation().is_some(), "{}", err);
            if status < 300 {
                prop_assert!(
                    matches!(err.kind(), ErrorKind::MalformedResponse | ErrorKind::Provider { .. }),
                    "a 2xx answer failed as {:?}: {}", err.kind(), err
                );
            }
        }
    }
}

#[test]
fn every_seed_reads_as_intended() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/zerigo");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let read = |file: &str, op: usize, status: u16| {
        let body = std::fs::read(format!("{dir}/{file}")).unwrap();
        runtime.block_on(call(op, answering(status, None, body)))
    };
    // The seeds are realistic answers: each parses, so mutations start from valid documents.
    read("zones.xml", 0, 200).unwrap();
    read("zone.xml", 1, 200).unwrap();
    read("hosts.xml", 2, 200).unwrap();
    read("zone.xml", 4, 201).unwrap();
    read("host.xml", 5, 201).unwrap();
    let err = read("errors.xml", 4, 422).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::AlreadyExists { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn endless_answers_are_refused_at_the_bound() {
    use futures::StreamExt;
    const CHUNK: usize = 64 * 1024;
    static FILLER: [u8; CHUNK] = [b' '; CHUNK];
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let endless = transport::from_fn(move |_request: Request| {
        let counter = counter.clone();
        Box::pin(async move {
            let body = futures::stream::repeat_with(move || {
                counter.fetch_add(CHUNK, Ordering::SeqCst);
                Ok(libcloud_core::Bytes::from_static(&FILLER))
            })
            .boxed();
            Ok(http::Response::builder()
                .status(200)
                .body(Body::from_stream(body))
                .unwrap())
        })
    });
    let err = call(0, endless).await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{err}");
    // The driver's bound is 16 MiB: it stops there instead of buffering without end.
    let read = pulled.load(Ordering::SeqCst);
    assert!(read <= 16 * 1024 * 1024 + 2 * CHUNK, "read {read} bytes");
}
