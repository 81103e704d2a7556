//! Against a live mimic (`cargo xtask emulators up`): Keystone v2 and the compute conformance
//! suite on its Nova.

use std::time::Duration;

use libcloud_core::{ComputeDriver, ErrorKind};
use libcloud_openstack::{
    AuthConfig, EndpointFilter, NameOrId, NovaCompute, NovaFeatures, OpenStackConfig, Session,
};
use libcloud_testkit::conformance::compute::{self, Options};
use libcloud_testkit::{require_live, unique_name};

const ENDPOINT_VAR: &str = "LIBCLOUD_TEST_MIMIC_ENDPOINT";

/// Settings for a user of its own (mimic ties a user to the tenant of its first token).
fn config(endpoint: &str) -> OpenStackConfig {
    let user = unique_name("lc-user");
    OpenStackConfig::new(
        AuthConfig::v2_password(format!("{endpoint}/identity/v2.0"), &user, "password")
            .with_tenant(NameOrId::Name(format!("{user}-tenant"))),
    )
    .with_service_name("cloudServersOpenStack")
    .with_region("ORD")
}

/// mimic's Nova has no `os-start`/`os-stop` and a key pair API too thin for the suite (no
/// generation, no conflict on a duplicate name); the driver is told so.
fn features() -> NovaFeatures {
    NovaFeatures::default()
        .with_start_stop(false)
        .with_key_pairs(false)
}

/// mimic's clock moves only when told (`POST /mimic/v1.1/tick`); servers finish rebooting
/// after 3 of its seconds. This moves it one second every 100 ms until dropped.
struct Ticker(tokio::task::JoinHandle<()>);

impl Ticker {
    fn start(endpoint: &str) -> Self {
        let url = format!("{endpoint}/mimic/v1.1/tick");
        let transport = libcloud_http::default_transport().unwrap();
        Ticker(tokio::spawn(async move {
            loop {
                let request = http::Request::post(&url)
                    .body(libcloud_core::Body::from("{\"amount\": 1.0}"))
                    .unwrap();
                let _ = libcloud_core::transport::send(&transport, request).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }))
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[tokio::test]
async fn compute_conformance_on_mimic() {
    let endpoint = require_live!(ENDPOINT_VAR);
    let _ticker = Ticker::start(&endpoint);
    let nova = NovaCompute::new(config(&endpoint))
        .unwrap()
        .with_features(features());
    let options = Options {
        wait_timeout: Duration::from_secs(30),
        poll_interval: Duration::from_millis(200),
        ..Default::default()
    };
    compute::run_with(&nova, &options).await;
}

#[tokio::test]
async fn keystone_v2_catalog_from_mimic() {
    let endpoint = require_live!(ENDPOINT_VAR);
    let config = config(&endpoint);
    let session = Session::new(
        config.auth.clone(),
        libcloud_http::default_transport().unwrap(),
    );
    let token = session.token().await.unwrap();
    assert_eq!(token.identity_version, 2);
    assert!(token.expires_at.is_some());
    // Two compute services: the type alone is ambiguous, the name decides.
    let err = token
        .catalog
        .endpoint(&EndpointFilter::new("compute").with_region("ORD"))
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("cloudServersBehavior"), "{err}");
    let nova = token
        .catalog
        .endpoint(
            &EndpointFilter::new("compute")
                .with_name("cloudServersOpenStack")
                .with_region("ORD"),
        )
        .unwrap();
    assert!(nova.url.starts_with(&endpoint), "{}", nova.url);
}

#[tokio::test]
async fn generated_passwords_and_key_pair_import_on_mimic() {
    let endpoint = require_live!(ENDPOINT_VAR);
    let nova = NovaCompute::new(config(&endpoint)).unwrap().with_features(
        NovaFeatures::default()
            .with_start_stop(false)
            .with_create_key_pair(false),
    );
    let key = libcloud_testkit::conformance::compute::generate_public_key("lc").unwrap();
    let name = unique_name("lc-key");
    let imported = nova.import_key_pair_from_string(&name, &key).await.unwrap();
    assert_eq!(imported.name, name);
    assert!(!imported.fingerprint.is_empty());
    let listed = nova.list_key_pairs().await.unwrap();
    assert!(listed.iter().any(|k| k.name == name));
    nova.delete_key_pair(&imported).await.unwrap();

    let sizes = nova.list_sizes(None).await.unwrap();
    let images = nova.list_images(None).await.unwrap();
    let request = libcloud_core::CreateNode::new(unique_name("lc-pw"), &sizes[0].id, &images[0].id)
        .key_pair(&name);
    let node = nova.create_node(&request).await.unwrap();
    assert!(
        node.admin_password
            .as_ref()
            .is_some_and(|p| !p.expose().is_empty())
    );
    assert_eq!(node.extra.get("key_name"), Some(&serde_json::json!(name)));
    nova.destroy_node(&node).await.unwrap();
    assert!(nova.get_node(&node.id).await.unwrap_err().is_not_found());
}
