//! Zerigo's XML answers: zones, hosts and validation errors.
#![no_main]

use libcloud_core::{CreateZone, DnsDriver, DnsDriverExt, RecordSpec, RecordType, Zone, ZoneType};
use libcloud_fuzz::{answering, block_on, check, split};
use libcloud_zerigo::{ZerigoConfig, ZerigoDns};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = split(data) else { return };
    let config = ZerigoConfig::new("fuzz@example.com", "fuzz-key");
    let Ok(dns) = ZerigoDns::with_transport(config, answering(input.status, input.body, 2)) else {
        return;
    };
    let zone = Zone {
        id: "4100003".into(),
        domain: "fuzz.example".into(),
        zone_type: ZoneType::Master,
        ttl: None,
        extra: Default::default(),
    };
    check(block_on(async {
        match input.op % 5 {
            0 => dns.list_zones().await.map(drop),
            1 => dns.get_zone("4100003").await.map(drop),
            2 => dns.list_records(&zone).await.map(drop),
            3 => dns
                .create_zone(&CreateZone::new("new.fuzz.example"))
                .await
                .map(drop),
            _ => dns
                .create_record(&zone, &RecordSpec::new("www", RecordType::A, "192.0.2.1"))
                .await
                .map(drop),
        }
    }));
});
