//! OpenStack's JSON answers: Keystone v3 and v2 sign-ins (the service catalog), Swift's
//! listings and Nova's servers and flavors.
#![no_main]

use libcloud_core::{ComputeDriver, StorageDriver, StorageDriverExt};
use libcloud_fuzz::{answering, block_on, check, split};
use libcloud_openstack::{AuthConfig, NameOrId, NovaCompute, OpenStackConfig, SwiftStorage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = split(data) else { return };
    let transport = answering(input.status, input.body, 2);
    let tempauth = || AuthConfig::tempauth("http://swift.test/auth/v1.0", "test:tester", "testing");
    check(block_on(async {
        match input.op % 6 {
            0 => {
                let auth = AuthConfig::v3_password("http://keystone.test/v3", "fuzz", "pw")
                    .with_tenant(NameOrId::Name("fuzz".into()));
                let swift = SwiftStorage::with_transport(OpenStackConfig::new(auth), transport)?;
                swift.list_containers().await.map(drop)
            }
            1 => {
                let auth = AuthConfig::v2_password("http://keystone.test/v2.0", "fuzz", "pw")
                    .with_tenant(NameOrId::Id("1337".into()));
                let nova = NovaCompute::with_transport(OpenStackConfig::new(auth), transport)?;
                nova.list_nodes().await.map(drop)
            }
            2 => {
                let swift =
                    SwiftStorage::with_transport(OpenStackConfig::new(tempauth()), transport)?;
                swift.list_containers().await.map(drop)
            }
            3 => {
                let swift =
                    SwiftStorage::with_transport(OpenStackConfig::new(tempauth()), transport)?;
                swift
                    .list_with_delimiter("c", Some("p/"), "/")
                    .await
                    .map(drop)
            }
            op => {
                let config =
                    OpenStackConfig::new(tempauth()).with_endpoint("http://nova.test/v2/1337");
                let nova = NovaCompute::with_transport(config, transport)?;
                if op == 4 {
                    nova.list_nodes().await.map(drop)
                } else {
                    nova.list_sizes(None).await.map(drop)
                }
            }
        }
    }));
});
