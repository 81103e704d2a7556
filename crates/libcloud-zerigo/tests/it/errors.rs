//! Zerigo's error answers and the error kinds they become.

use libcloud_core::{
    CreateZone, DnsDriver, DnsDriverExt, ErrorKind, RecordSpec, RecordType, ResourceKind, Zone,
    ZoneType,
};
use libcloud_testkit::replay::Route;

use crate::serve;

fn zone(id: &str) -> Zone {
    Zone {
        id: id.into(),
        domain: "example.com".into(),
        zone_type: ZoneType::Master,
        ttl: None,
        extra: Default::default(),
    }
}

#[tokio::test]
async fn a_missing_zone_is_not_found_of_the_zone() {
    let (replay, dns) = serve(vec![
        Route::get("/api/1.1/zones/404.xml").status(404),
        Route::get("/api/1.1/zones/404/hosts.xml").status(404),
        Route::delete("/api/1.1/zones/404.xml").status(404),
        Route::post("/api/1.1/zones/404/hosts.xml").status(404),
    ]);
    let wanted = ErrorKind::NotFound {
        kind: ResourceKind::Zone,
        id: "404".into(),
    };
    let err = dns.get_zone("404").await.unwrap_err();
    assert_eq!(*err.kind(), wanted);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.operation(), Some("get_zone"));
    assert_eq!(
        *dns.list_records(&zone("404")).await.unwrap_err().kind(),
        wanted
    );
    assert_eq!(
        *dns.delete_zone(&zone("404")).await.unwrap_err().kind(),
        wanted
    );
    let spec = RecordSpec::new("www", RecordType::A, "192.0.2.1");
    assert_eq!(
        *dns.create_record(&zone("404"), &spec)
            .await
            .unwrap_err()
            .kind(),
        wanted
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn a_missing_record_is_not_found_of_the_record() {
    let (replay, dns) = serve(vec![
        Route::get("/api/1.1/zones/1.xml")
            .body("<zone><id>1</id><domain>example.com</domain></zone>"),
        Route::get("/api/1.1/hosts/9.xml").status(404),
        Route::delete("/api/1.1/hosts/9.xml").status(404),
    ]);
    let err = dns.get_record("1", "9").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Record,
            id: "9".into()
        }
    );
    let record = libcloud_core::Record {
        id: "9".into(),
        name: "www".into(),
        record_type: RecordType::A,
        data: "192.0.2.1".into(),
        zone_id: "1".into(),
        ttl: None,
        priority: None,
        extra: Default::default(),
    };
    assert!(matches!(
        dns.delete_record(&record).await.unwrap_err().kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Record,
            ..
        }
    ));
    replay.assert_all_used();
}

#[tokio::test]
async fn refused_credentials() {
    let (_replay, dns) = serve(vec![
        Route::get("/api/1.1/zones.xml")
            .status(401)
            .body("HTTP Basic: Access denied.\n"),
    ]);
    let err = dns.list_zones().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidCredentials);
    assert_eq!(err.message(), Some("HTTP Basic: Access denied."));
    assert!(!err.to_string().contains(crate::API_KEY));
}

#[tokio::test]
async fn a_taken_domain_is_already_exists() {
    let (_replay, dns) =
        serve(vec![Route::post("/api/1.1/zones.xml").status(422).body(
            "<errors>\n  <error>Domain has already been taken</error>\n</errors>\n",
        )]);
    let err = dns
        .create_zone(&CreateZone::new("example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::Zone,
            id: "example.com".into()
        }
    );
    assert_eq!(err.status(), Some(422));
}

#[tokio::test]
async fn a_taken_host_name_is_already_exists_of_the_record() {
    let (_replay, dns) = serve(vec![
        Route::post("/api/1.1/zones/1/hosts.xml")
            .status(422)
            .body("<errors><error>Hostname has already been taken</error></errors>"),
    ]);
    let err = dns
        .create_record(
            &zone("1"),
            &RecordSpec::new("www", RecordType::Cname, "example.org"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::AlreadyExists {
            kind: ResourceKind::Record,
            id: "www".into()
        }
    );
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.operation(), Some("create_record"));
}

#[tokio::test]
async fn server_errors_are_temporary_and_rate_limits_say_when() {
    let (_replay, dns) = serve(vec![
        Route::get("/api/1.1/zones/1.xml").status(503),
        Route::get("/api/1.1/zones/2.xml")
            .status(429)
            .response_header("retry-after", "12"),
    ]);
    let err = dns.get_zone("1").await.unwrap_err();
    assert!(err.is_temporary());
    assert_eq!(*err.kind(), ErrorKind::Provider { code: "503".into() });
    let err = dns.get_zone("2").await.unwrap_err();
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(12)));
}

#[tokio::test]
async fn record_types_zerigo_lacks_are_unsupported_before_sending() {
    let (replay, dns) = serve(vec![]);
    let err = dns
        .create_record(
            &zone("1"),
            &RecordSpec::new("x", RecordType::Caa, "0 issue \"ca.example\""),
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    assert!(replay.requests().is_empty());
    assert_eq!(dns.list_record_types(), libcloud_zerigo::RECORD_TYPES);
}

#[tokio::test]
async fn transport_failures_name_the_provider_and_operation() {
    let (_replay, dns) = serve(vec![
        Route::get("/api/1.1/zones/1.xml").fail(ErrorKind::Transport, "connection reset"),
    ]);
    let err = dns.get_zone("1").await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    assert_eq!(err.provider(), Some("zerigo"));
    assert_eq!(err.operation(), Some("get_zone"));
}
