//! Route 53's error answers, and answers that are not what they should be, mapped onto
//! libcloud's error kinds.

use libcloud_core::{DnsDriver, DnsDriverExt, ErrorKind, RecordSpec, RecordType, ResourceKind};
use libcloud_testkit::replay::Route;

use crate::{answer, error_body, serve, zone};

/// A `GetHostedZone` answer for `id` named `domain`.
pub fn zone_xml(id: &str, domain: &str) -> String {
    format!(
        "<GetHostedZoneResponse xmlns=\"{}\"><HostedZone><Id>/hostedzone/{id}</Id>\
         <Name>{domain}.</Name><CallerReference>r</CallerReference><Config>\
         <PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount>\
         </HostedZone><DelegationSet><NameServers><NameServer>ns-1.awsdns-1.com</NameServer>\
         </NameServers></DelegationSet></GetHostedZoneResponse>",
        crate::NS
    )
}

#[tokio::test]
async fn service_errors_keep_their_meaning() {
    let (replay, dns) = serve(vec![
        answer(
            Route::get("/2013-04-01/hostedzone").status(400),
            error_body("Throttling", "Rate exceeded"),
        )
        .response_header("retry-after", "3"),
        answer(
            Route::get("/2013-04-01/hostedzone/Z1").status(403),
            error_body("SignatureDoesNotMatch", "bad signature"),
        ),
        answer(
            Route::get("/2013-04-01/hostedzone/Z2").status(403),
            error_body("AccessDenied", "not allowed"),
        ),
        answer(
            Route::get("/2013-04-01/hostedzone/Z3").status(500),
            error_body("InternalFailure", "oops"),
        ),
        Route::get("/2013-04-01/hostedzone/Z4").status(404),
    ]);
    let err = dns.list_zones().await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(3))
        }
    );
    assert!(err.is_temporary());
    assert_eq!(err.request_id(), Some("req-Throttling"));
    assert_eq!(
        *dns.get_zone("Z1").await.unwrap_err().kind(),
        ErrorKind::InvalidCredentials
    );
    assert_eq!(
        *dns.get_zone("Z2").await.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    let err = dns.get_zone("Z3").await.unwrap_err();
    assert!(err.is_temporary(), "{err}");
    let err = dns.get_zone("Z4").await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Zone,
            id: "Z4".into()
        }
    );
    assert_eq!(err.provider(), Some("route53"));
    replay.assert_all_used();
}

#[tokio::test]
async fn answers_that_cannot_be_read_are_malformed() {
    let bad = [
        "<GetHostedZoneResponse><HostedZone><Name>x.</Name></HostedZone></GetHostedZoneResponse>",
        "<GetHostedZoneResponse/>",
        "<GetHostedZoneResponse><HostedZone>",
        "not xml at all",
        "<a/><b/>",
    ];
    let (replay, dns) = serve(
        bad.iter()
            .map(|body| answer(Route::get("/2013-04-01/hostedzone/Z1"), *body))
            .collect(),
    );
    for body in bad {
        let err = dns.get_zone("Z1").await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{body}: {err}");
        assert_eq!(err.provider(), Some("route53"), "{body}");
    }
    replay.assert_all_used();

    // A truncated listing without the token of its next page cannot be followed.
    let (replay, dns) = serve(vec![
        answer(
            Route::get("/2013-04-01/hostedzone"),
            "<ListHostedZonesResponse><HostedZones/><IsTruncated>true</IsTruncated></ListHostedZonesResponse>",
        ),
        answer(
            Route::get("/2013-04-01/hostedzone/Z1/rrset"),
            "<ListResourceRecordSetsResponse><ResourceRecordSets/><IsTruncated>true</IsTruncated>\
             <NextRecordName>a.</NextRecordName></ListResourceRecordSetsResponse>",
        ),
        answer(
            Route::get("/2013-04-01/hostedzone/Z2/rrset"),
            "<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet><Type>A</Type>\
             </ResourceRecordSet></ResourceRecordSets></ListResourceRecordSetsResponse>",
        ),
    ]);
    assert_eq!(
        *dns.list_zones().await.unwrap_err().kind(),
        ErrorKind::MalformedResponse
    );
    for id in ["Z1", "Z2"] {
        let err = dns
            .list_records(&zone(id, "example.com"))
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{id}: {err}");
    }
    replay.assert_all_used();
}

#[tokio::test]
async fn a_conflict_found_by_route53_names_the_record() {
    let (replay, dns) = serve(vec![answer(
        Route::post("/2013-04-01/hostedzone/Z1/rrset").status(400),
        error_body(
            "InvalidChangeBatch",
            "[RRSet of type CNAME with DNS name www.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com.]",
        ),
    )]);
    let err = dns
        .create_record(
            &zone("Z1", "example.com"),
            &RecordSpec::new("www", RecordType::Cname, "other.example.org"),
        )
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("conflicts"), "{err}");
    replay.assert_all_used();
}

#[tokio::test]
async fn network_failures_carry_the_operation() {
    let (replay, dns) = serve(vec![
        Route::get("/2013-04-01/hostedzone/Z1").fail(ErrorKind::Transport, "connection reset"),
    ]);
    let err = dns.get_zone("Z1").await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    assert_eq!(err.provider(), Some("route53"));
    assert_eq!(err.operation(), Some("get_zone"));
    replay.assert_all_used();
}
