//! Route 53's XML answers: hosted zones, record sets, change infos and created zones.
#![no_main]

use libcloud_core::{CreateZone, DnsDriver, DnsDriverExt, RecordSpec, RecordType, Zone, ZoneType};
use libcloud_fuzz::{answering, block_on, check, split};
use libcloud_route53::{Route53Config, Route53Dns};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = split(data) else { return };
    let config = Route53Config::new().with_keys("AKIDFUZZ", "fuzz-secret");
    let Ok(dns) = Route53Dns::with_transport(config, answering(input.status, input.body, 3)) else {
        return;
    };
    let zone = Zone {
        id: "ZFUZZ".into(),
        domain: "fuzz.example.".into(),
        zone_type: ZoneType::Master,
        ttl: None,
        extra: Default::default(),
    };
    check(block_on(async {
        match input.op % 5 {
            0 => dns.list_zones().await.map(drop),
            1 => dns.get_zone("ZFUZZ").await.map(drop),
            2 => dns.list_records(&zone).await.map(drop),
            3 => dns
                .create_zone(&CreateZone::new("new.fuzz.example."))
                .await
                .map(drop),
            _ => dns
                .create_record(&zone, &RecordSpec::new("www", RecordType::A, "192.0.2.1"))
                .await
                .map(drop),
        }
    }));
});
