//! Cloud DNS over Apache Libcloud's recorded answers (`rackspace-dns`), and over answers
//! written here for what the recordings do not show: jobs that are still running, jobs that
//! fail, jobs that never end, and paging.

use std::time::Duration;

use libcloud_core::{
    CreateZone, DnsDriver, DnsDriverExt, ErrorKind, RecordSpec, RecordType, ResourceKind,
};
use libcloud_rackspace::{CloudDns, JobPolling, Region};
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;
use serde_json::{Value, json};

use crate::{DNS, config, recorded, replay};

/// The account's path in the recorded catalog.
const BASE: &str = "/v1.0/11111";
const HOST: &str = "dns.api.rackspacecloud.com";

fn driver() -> (Replay, CloudDns) {
    let (replay, transport) = replay(DNS, "auth_2_0.json");
    let dns = CloudDns::with_transport(&config(Region::Lon), transport)
        .unwrap()
        .with_job_polling(JobPolling {
            interval: Duration::from_millis(1),
            max_attempts: 10,
            timeout: Duration::from_secs(10),
        });
    (replay, dns)
}

fn route(method: http::Method, path: &str) -> Route {
    Route::new(method, &format!("{BASE}{path}")).host(HOST)
}

fn get(path: &str, file: &str) -> Route {
    recorded(route(http::Method::GET, path), DNS, file)
}

fn body_json(replay: &Replay, index: usize) -> Value {
    serde_json::from_slice(&replay.requests()[index].body).unwrap()
}

/// A job answer that is still running, with its callback on the service's host.
fn running(job: &str) -> Value {
    json!({
        "status": "RUNNING",
        "verb": "POST",
        "jobId": job,
        "callbackUrl": format!("https://{HOST}{BASE}/status/{job}"),
        "requestUrl": format!("https://{HOST}{BASE}/domains")
    })
}

fn status(job: &str) -> Route {
    route(http::Method::GET, &format!("/status/{job}")).query("showDetails", "true")
}

#[tokio::test]
async fn zones_are_listed() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    replay.add(
        get("/domains", "list_zones_success.json")
            .query("limit", "100")
            .query("offset", "0"),
    );
    let zones = dns.list_zones().await.unwrap();
    assert_eq!(zones.len(), 6);
    assert_eq!(
        (zones[0].id.as_str(), zones[0].domain.as_str()),
        ("2946063", "foo4.bar.com")
    );
    assert_eq!(zones[0].extra["comment"], json!("wazaaa"));
    assert_eq!(zones[0].extra["accountId"], json!(11111));
    assert_eq!(zones[5].domain, "foo9.bar.com");
    replay.assert_all_used();

    let (replay, dns) = driver();
    replay.add(get("/domains", "list_zones_no_results.json"));
    assert!(dns.list_zones().await.unwrap().is_empty());
    replay.assert_all_used();
}

#[tokio::test]
async fn zones_are_read_page_by_page() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    let page = |from: usize, to: usize| {
        let domains: Vec<Value> = (from..to)
            .map(|i| json!({"id": 1000 + i, "name": format!("d{i}.example.com")}))
            .collect();
        json!({"domains": domains, "totalEntries": 130})
    };
    replay
        .add(
            route(http::Method::GET, "/domains")
                .query("offset", "0")
                .json(&page(0, 100)),
        )
        .add(
            route(http::Method::GET, "/domains")
                .query("offset", "100")
                .json(&page(100, 130)),
        );
    let zones = dns.list_zones().await.unwrap();
    assert_eq!(zones.len(), 130);
    assert_eq!(zones[129].domain, "d129.example.com");
    replay.assert_all_used();
}

#[tokio::test]
async fn get_zone_and_missing_zones() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    replay
        .add(get("/domains/2946063", "get_zone_success.json").query("showRecords", "false"))
        .add(get("/domains/4444", "does_not_exist.json").status(404));
    let zone = dns.get_zone("2946063").await.unwrap();
    assert_eq!(zone.domain, "foo4.bar.com");
    assert_eq!(zone.ttl, Some(855));
    assert_eq!(zone.extra["email"], json!("test@test.com"));
    assert!(!zone.extra.contains_key("recordsList"));
    let err = dns.get_zone("4444").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Zone,
            id: "4444".into()
        }
    );
    assert_eq!(err.message(), Some("Object not Found."));
    // Domain ids are numbers: a made-up one is NotFound without a request.
    assert!(
        dns.get_zone("no-such-zone")
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert_eq!(replay.requests().len(), 3);
    replay.assert_all_used();
}

#[tokio::test]
async fn records_are_listed_relative_to_the_zone() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    replay
        .add(get("/domains/2946063", "get_zone_success.json"))
        // Libcloud recorded the domain's details with its `recordsList`; the records call
        // answers the same records.
        .add(
            get("/domains/2946063/records", "list_records_success.json")
                .query("limit", "100")
                .query("offset", "0"),
        );
    let zone = dns.get_zone("2946063").await.unwrap();
    let records = dns.list_records(&zone).await.unwrap();
    assert_eq!(records.len(), 3);
    let r = &records[0];
    assert_eq!((r.id.as_str(), r.name.as_str()), ("A-7423034", "test3"));
    assert_eq!(r.record_type, RecordType::A);
    assert_eq!(r.data, "127.7.7.7");
    assert_eq!(r.ttl, Some(777));
    assert_eq!(r.zone_id, "2946063");
    assert_eq!(r.extra["comment"], json!("lulz"));
    assert_eq!(r.extra["fqdn"], json!("test3.foo4.bar.com"));
    assert_eq!(records[1].name, "");
    assert_eq!(records[1].record_type, RecordType::Ns);

    // The export lists the records again.
    replay.add(get("/domains/2946063/records", "list_records_success.json"));
    let bind = dns.export_zone_to_bind_format(&zone).await.unwrap();
    assert!(
        bind.contains("test3.foo4.bar.com.\t777\tIN\tA\t127.7.7.7\n"),
        "{bind}"
    );
    assert!(
        bind.contains("foo4.bar.com.\t3600\tIN\tNS\tdns1.stabletransit.com.\n"),
        "{bind}"
    );

    let (replay, dns) = driver();
    replay
        .add(get("/domains/2946063", "get_zone_success.json"))
        .add(get(
            "/domains/2946063/records",
            "list_records_no_results.json",
        ))
        .add(get("/domains/2946063/records", "does_not_exist.json").status(404));
    let zone = dns.get_zone("2946063").await.unwrap();
    assert!(dns.list_records(&zone).await.unwrap().is_empty());
    let err = dns.list_records(&zone).await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Zone,
            ..
        }
    ));
    replay.assert_all_used();
}

#[tokio::test]
async fn get_record_asks_for_the_zone_first() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    replay
        .add(get("/domains/12345678", "get_zone_success.json"))
        .add(get(
            "/domains/12345678/records/23456789",
            "get_record_success.json",
        ))
        .add(get("/domains/12345678", "get_zone_success.json"))
        .add(get("/domains/12345678/records/28536", "does_not_exist.json").status(404));
    let record = dns.get_record("12345678", "23456789").await.unwrap();
    assert_eq!(record.id, "A-7423034");
    assert_eq!(record.name, "test3");
    assert_eq!(record.zone_id, "12345678");
    assert_eq!(record.extra["comment"], json!("lulz"));
    let err = dns.get_record("12345678", "28536").await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Record,
            ..
        }
    ));
    replay.assert_all_used();
}

#[tokio::test]
async fn create_zone_finished_at_once() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    replay.add(
        recorded(
            route(http::Method::POST, "/domains"),
            DNS,
            "create_zone_success.json",
        )
        .status(202),
    );
    let mut request = CreateZone::new("bar.foo1.com");
    request.extra.insert("email".into(), json!("test@test.com"));
    let zone = dns.create_zone(&request).await.unwrap();
    assert_eq!(
        (zone.id.as_str(), zone.domain.as_str()),
        ("2946173", "bar.foo1.com")
    );
    assert_eq!(zone.ttl, Some(3600));
    assert_eq!(zone.extra["email"], json!("test@test.com"));
    assert_eq!(
        body_json(&replay, 1),
        json!({"domains": [{"name": "bar.foo1.com", "emailAddress": "test@test.com",
                            "recordsList": {"records": []}}]})
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn a_running_job_is_polled_at_its_callback() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    let job = "288795f9-e74d-48be-880b-a9e36e0de61e";
    replay
        .add(
            route(http::Method::POST, "/domains")
                .status(202)
                .json(&running(job)),
        )
        .add(status(job).json(&running(job)))
        .add(recorded(status(job), DNS, "create_zone_success.json"));
    let zone = dns
        .create_zone(&CreateZone::new("bar.foo1.com").ttl(600))
        .await
        .unwrap();
    assert_eq!(zone.id, "2946173");
    let requests = replay.requests();
    assert_eq!(requests.len(), 4);
    for poll in &requests[2..] {
        assert_eq!(
            poll.header("x-auth-token"),
            Some("aaaaaaaaaaaa-bbb-cccccccccccccc")
        );
    }
    // No e-mail given: the zone's hostmaster.
    assert_eq!(
        body_json(&replay, 1)["domains"][0]["emailAddress"],
        json!("hostmaster@bar.foo1.com")
    );
    assert_eq!(body_json(&replay, 1)["domains"][0]["ttl"], json!(600));
    replay.assert_all_used();
}

#[tokio::test]
async fn a_job_finished_without_details_is_asked_for_them() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    let job = "288795f9-e74d-48be-880b-a9e36e0de61e";
    let mut done = running(job);
    done["status"] = json!("COMPLETED");
    replay
        .add(
            route(http::Method::POST, "/domains")
                .status(202)
                .json(&done),
        )
        .add(recorded(status(job), DNS, "create_zone_success.json"));
    let zone = dns
        .create_zone(&CreateZone::new("bar.foo1.com"))
        .await
        .unwrap();
    assert_eq!(zone.domain, "bar.foo1.com");
    assert_eq!(replay.requests().len(), 3);
    replay.assert_all_used();
}

#[tokio::test]
async fn a_callback_on_another_host_is_not_followed() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    let job = "j-elsewhere";
    let mut answer = running(job);
    answer["callbackUrl"] = json!(format!("https://collector.example.net/steal/{job}"));
    replay
        .add(
            route(http::Method::DELETE, "/domains/2946063")
                .status(202)
                .json(&answer),
        )
        .add(status(job).json(&json!({"status": "COMPLETED", "jobId": job})));
    let zone = libcloud_core::Zone {
        id: "2946063".into(),
        domain: "foo4.bar.com".into(),
        zone_type: libcloud_core::ZoneType::Master,
        ttl: None,
        extra: Default::default(),
    };
    dns.delete_zone(&zone).await.unwrap();
    assert!(
        replay
            .requests()
            .iter()
            .all(|r| r.uri.host() != Some("collector.example.net"))
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn failed_and_endless_jobs() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    let job = "j-conflict";
    replay
        .add(
            route(http::Method::POST, "/domains")
                .status(202)
                .json(&running(job)),
        )
        .add(status(job).json(&json!({
            "status": "ERROR", "jobId": job,
            "error": {"failedItems": {"faults": [
                {"code": 409, "message": "Conflict", "details": "Domain already exists"}]},
                "code": 500, "message": "One or more items could not be created."}
        })));
    let err = dns
        .create_zone(&CreateZone::new("taken.example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::Zone,
            id: "taken.example.com".into()
        }
    );
    assert!(
        err.message().unwrap().contains("Domain already exists"),
        "{err}"
    );
    assert!(err.message().unwrap().contains(job), "{err}");
    replay.assert_all_used();

    // A job that never ends: given up after the bound, saying which job.
    let (replay, dns) = driver();
    let dns = dns.with_job_polling(JobPolling {
        interval: Duration::from_millis(1),
        max_attempts: 3,
        timeout: Duration::from_secs(10),
    });
    let job = "j-forever";
    replay
        .add(
            route(http::Method::POST, "/domains")
                .status(202)
                .json(&running(job)),
        )
        .add(status(job).json(&running(job)).repeat());
    let err = dns
        .create_zone(&CreateZone::new("slow.example.com"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Timeout);
    assert!(err.message().unwrap().contains(job), "{err}");
    assert_eq!(err.operation(), Some("create_zone"));
    assert_eq!(replay.requests().len(), 2 + 3);

    // The time bound holds as well as the count.
    let (replay, dns) = driver();
    let dns = dns.with_job_polling(JobPolling {
        interval: Duration::from_millis(20),
        max_attempts: 1_000_000,
        timeout: Duration::from_millis(100),
    });
    replay
        .add(
            route(http::Method::POST, "/domains")
                .status(202)
                .json(&running(job)),
        )
        .add(status(job).json(&running(job)).repeat());
    let started = std::time::Instant::now();
    let err = dns
        .create_zone(&CreateZone::new("slow.example.com"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn validation_errors() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    replay.add(
        recorded(
            route(http::Method::POST, "/domains"),
            DNS,
            "create_zone_validation_error.json",
        )
        .status(400),
    );
    let err = dns
        .create_zone(&CreateZone::new("foo.bar.com").ttl(10))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.message(),
        Some("Validation errors: Domain TTL is required and must be greater than or equal to 300")
    );
    replay.assert_all_used();

    // Refused before sending.
    let (replay, dns) = driver();
    assert_eq!(
        *dns.create_zone(&CreateZone::new("not a domain"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let mut slave = CreateZone::new("example.com");
    slave.zone_type = libcloud_core::ZoneType::Slave;
    assert_eq!(
        *dns.create_zone(&slave).await.unwrap_err().kind(),
        ErrorKind::Unsupported
    );
    assert!(replay.requests().is_empty());
}

#[tokio::test]
async fn update_and_delete_zone() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    replay
        .add(get("/domains", "list_zones_success.json"))
        .add(
            recorded(
                route(http::Method::PUT, "/domains/2946063"),
                DNS,
                "update_zone_success.json",
            )
            .status(202),
        )
        .add(
            recorded(
                route(http::Method::DELETE, "/domains/2946063"),
                DNS,
                "delete_zone_success.json",
            )
            .status(202),
        )
        .add(
            recorded(
                route(http::Method::DELETE, "/domains/2946063"),
                DNS,
                "does_not_exist.json",
            )
            .status(404),
        );
    let zone = dns.list_zones().await.unwrap().remove(0);
    let mut changes = CreateZone::new("foo4.bar.com");
    changes.extra.insert("comment".into(), json!("bar foo"));
    let updated = dns.update_zone(&zone, &changes).await.unwrap();
    assert_eq!(updated.id, zone.id);
    assert_eq!(updated.extra["comment"], json!("bar foo"));
    assert_eq!(zone.extra["comment"], json!("wazaaa"));
    assert_eq!(body_json(&replay, 2), json!({"comment": "bar foo"}));

    let err = dns
        .update_zone(&zone, &CreateZone::new("libcloud.org"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);

    dns.delete_zone(&zone).await.unwrap();
    let err = dns.delete_zone(&zone).await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Zone,
            ..
        }
    ));
    replay.assert_all_used();
}

#[tokio::test]
async fn records_are_created_updated_and_deleted() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    replay
        .add(get("/domains/2946063", "get_zone_success.json"))
        .add(
            recorded(
                route(http::Method::POST, "/domains/2946063/records"),
                DNS,
                "create_record_success.json",
            )
            .status(202),
        )
        .add(get("/domains/2946063/records", "list_records_success.json"))
        .add(
            recorded(
                route(http::Method::PUT, "/domains/2946063/records/A-7423034"),
                DNS,
                "update_record_success.json",
            )
            .status(202),
        )
        .add(
            recorded(
                route(http::Method::DELETE, "/domains/2946063/records/A-7423034"),
                DNS,
                "delete_record_success.json",
            )
            .status(202),
        );
    let zone = dns.get_zone("2946063").await.unwrap();
    let record = dns
        .create_record(&zone, &RecordSpec::new("www", RecordType::A, "127.1.1.1"))
        .await
        .unwrap();
    assert_eq!(record.id, "A-7423317");
    assert_eq!(record.name, "www");
    assert_eq!(record.data, "127.1.1.1");
    assert_eq!(record.extra["fqdn"], json!("www.foo4.bar.com"));
    assert_eq!(
        body_json(&replay, 2),
        json!({"records": [{"name": "www.foo4.bar.com", "type": "A", "data": "127.1.1.1"}]})
    );

    let existing = dns.list_records(&zone).await.unwrap().remove(0);
    let changes = RecordSpec::new("test3", RecordType::A, "127.3.3.3").ttl(777);
    let updated = dns.update_record(&existing, &changes).await.unwrap();
    assert_eq!(updated.id, existing.id);
    assert_eq!(updated.name, "test3");
    assert_eq!(updated.data, "127.3.3.3");
    assert_eq!(existing.data, "127.7.7.7");
    assert_eq!(
        body_json(&replay, 4),
        json!({"name": "test3.foo4.bar.com", "data": "127.3.3.3", "ttl": 777})
    );
    let retype = RecordSpec::new("test3", RecordType::Aaaa, "2001:db8::1");
    assert_eq!(
        *dns.update_record(&existing, &retype)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    dns.delete_record(&existing).await.unwrap();
    replay.assert_all_used();
}

#[tokio::test]
async fn records_in_one_batch() {
    require_fixtures!(DNS);
    let (replay, dns) = driver();
    let job = "j-batch";
    let done = json!({
        "status": "COMPLETED", "jobId": job,
        "response": {"records": [
            {"name": "example.com", "id": "MX-1", "type": "MX", "data": "mail.example.com",
             "priority": 10, "ttl": 3600},
            {"name": "www.example.com", "id": "AAAA-2", "type": "AAAA", "data": "2001:db8::1",
             "ttl": 300}
        ]}
    });
    replay
        .add(
            route(http::Method::POST, "/domains/77/records")
                .status(202)
                .json(&running(job)),
        )
        .add(status(job).json(&done));
    let zone = libcloud_core::Zone {
        id: "77".into(),
        domain: "example.com".into(),
        zone_type: libcloud_core::ZoneType::Master,
        ttl: None,
        extra: Default::default(),
    };
    assert!(dns.capabilities().batch_create);
    let created = dns
        .create_records(
            &zone,
            &[
                RecordSpec::new("", RecordType::Mx, "mail.example.com").priority(10),
                RecordSpec::new("www", RecordType::Aaaa, "2001:db8::1").ttl(300),
            ],
        )
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!(
        (created[0].name.as_str(), created[0].priority),
        ("", Some(10))
    );
    assert_eq!(created[1].name, "www");
    assert_eq!(
        body_json(&replay, 1),
        json!({"records": [
            {"name": "example.com", "type": "MX", "data": "mail.example.com", "priority": 10},
            {"name": "www.example.com", "type": "AAAA", "data": "2001:db8::1", "ttl": 300}
        ]})
    );
    replay.assert_all_used();

    // Refused before sending: an MX without priority, a type Cloud DNS lacks.
    let (replay, dns) = driver();
    let err = dns
        .create_record(
            &zone,
            &RecordSpec::new("", RecordType::Mx, "mail.example.com"),
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    let err = dns
        .create_record(&zone, &RecordSpec::new("x", RecordType::Sshfp, "1 1 abcd"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    assert!(replay.requests().is_empty());
}

#[tokio::test]
async fn refused_credentials() {
    require_fixtures!(DNS);
    let replay = Replay::new()
        .with(recorded(Route::post("/v2.0/tokens"), DNS, "unauthorized.json").status(401));
    let dns = CloudDns::with_transport(&config(Region::Dfw), replay.transport()).unwrap();
    let err = dns.list_zones().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
    assert_eq!(err.provider(), Some("rackspace"));
    assert!(
        err.to_string().contains("Username or api key is invalid"),
        "{err}"
    );
}
