//! Cloud Files over Apache Libcloud's recorded answers (`cloudfiles`: the catalog with
//! `cloudFiles` and `cloudFilesCDN`, container and object listings, account totals) and the CDN,
//! whose answers are headers only and are written here.

use std::time::Duration;

use libcloud_core::{ErrorKind, ResourceKind, StorageDriver, StorageDriverExt};
use libcloud_openstack::{AuthConfig, Interface};
use libcloud_rackspace::{CloudFiles, RackspaceConfig, Region};
use libcloud_testkit::replay::{Replay, Route};
use libcloud_testkit::require_fixtures;
use serde_json::Value;

use crate::{CLOUDFILES, config, recorded, replay};

const STORAGE_HOST: &str = "storage4.ord1.clouddrive.com";
const CDN_HOST: &str = "cdn.clouddrive.com";
const ACCOUNT: &str = "/v1/MossoCloudFS";

fn driver(config: RackspaceConfig) -> (Replay, CloudFiles) {
    let (replay, transport) = replay(CLOUDFILES, "_v2_0__auth.json");
    (
        replay,
        CloudFiles::with_transport(&config, transport).unwrap(),
    )
}

fn cdn(method: http::Method, path: &str) -> Route {
    Route::new(method, &format!("{ACCOUNT}{path}")).host(CDN_HOST)
}

fn published(uri: &str) -> Route {
    cdn(http::Method::HEAD, "/photos")
        .status(204)
        .response_header("x-cdn-enabled", "True")
        .response_header("x-cdn-uri", uri)
        .response_header("x-cdn-ssl-uri", "https://e2.ssl.cf1.rackcdn.com")
        .response_header("x-cdn-streaming-uri", "http://s.cf1.rackcdn.com")
        .response_header("x-ttl", "259200")
        .response_header("x-log-retention", "False")
}

#[tokio::test]
async fn storage_comes_from_the_regions_cloud_files() {
    require_fixtures!(CLOUDFILES);
    let (replay, files) = driver(config(Region::Ord));
    replay
        .add(
            recorded(
                Route::get(ACCOUNT).host(STORAGE_HOST),
                CLOUDFILES,
                "list_containers.json",
            )
            .query("format", "json"),
        )
        .add(
            recorded(
                Route::get(&format!("{ACCOUNT}/container1")).host(STORAGE_HOST),
                CLOUDFILES,
                "list_container_objects.json",
            )
            .query("format", "json"),
        );
    let containers = files.list_containers().await.unwrap();
    let names: Vec<_> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["container1", "container2", "container3"]);
    assert_eq!(containers[1].extra["object_count"], serde_json::json!(120));
    let objects = files
        .list_container_objects("container1", None)
        .await
        .unwrap();
    assert_eq!(objects.len(), 4);
    assert_eq!(objects[0].name, "foo test 1");
    assert_eq!(objects[0].size, 1_160_520);
    assert_eq!(
        objects[0].hash.as_deref(),
        Some("16265549b5bda64ecdaa5156de4c97cc")
    );
    assert_eq!(objects[3].content_type.as_deref(), Some("application/text"));
    assert_eq!(files.name(), "cloudfiles");
    replay.assert_all_used();
}

#[tokio::test]
async fn region_and_service_net_choose_the_storage_url() {
    require_fixtures!(CLOUDFILES);
    let (replay, files) = driver(config(Region::Lon));
    replay.add(
        Route::head(ACCOUNT)
            .host("storage4.lon1.clouddrive.com")
            .status(204),
    );
    let (_, files_internal) = driver(config(Region::Ord).with_interface(Interface::Internal));
    files.ex_get_account_info().await.unwrap();
    replay.assert_all_used();
    assert_eq!(
        files_internal.swift().ex_storage_url().await.unwrap(),
        "https://snet-storage101.ord1.clouddrive.com/v1/MossoCloudFS_11111-111111111-1111111111-1111111"
    );
}

#[tokio::test]
async fn account_totals() {
    require_fixtures!(CLOUDFILES);
    // Libcloud's recording of the totals, served as the headers Cloud Files sends them in.
    let totals: Value = serde_json::from_slice(
        &libcloud_testkit::fixtures::read(CLOUDFILES, "meta_data.json").unwrap(),
    )
    .unwrap();
    let (replay, files) = driver(config(Region::Ord));
    replay.add(
        Route::head(ACCOUNT)
            .host(STORAGE_HOST)
            .status(204)
            .response_header(
                "x-account-container-count",
                &totals["container_count"].to_string(),
            )
            .response_header(
                "x-account-object-count",
                &totals["object_count"].to_string(),
            )
            .response_header("x-account-bytes-used", &totals["bytes_used"].to_string())
            .response_header("x-account-meta-temp-url-key", "k"),
    );
    let info = files.ex_get_account_info().await.unwrap();
    assert_eq!(
        (info.container_count, info.object_count, info.bytes_used),
        (10, 400, 1_234_567)
    );
    assert_eq!(info.meta_data["temp-url-key"], "k");
    replay.assert_all_used();
}

#[tokio::test]
async fn enabling_the_cdn() {
    require_fixtures!(CLOUDFILES);
    let (replay, files) = driver(config(Region::Ord));
    assert!(files.capabilities().container_cdn && files.capabilities().object_cdn_url);
    replay
        .add(
            Route::head(&format!("{ACCOUNT}/photos"))
                .host(STORAGE_HOST)
                .status(204),
        )
        .add(
            cdn(http::Method::PUT, "/photos")
                .header("x-cdn-enabled", "True")
                .header("x-ttl", "259200")
                .status(201),
        )
        .add(
            Route::head(&format!("{ACCOUNT}/photos"))
                .host(STORAGE_HOST)
                .status(204),
        )
        .add(
            cdn(http::Method::PUT, "/photos")
                .header("x-ttl", "900")
                .status(202),
        )
        .add(
            Route::head(&format!("{ACCOUNT}/missing"))
                .host(STORAGE_HOST)
                .status(404),
        );
    files.enable_container_cdn("photos").await.unwrap();
    files
        .ex_enable_container_cdn("photos", Some(Duration::from_secs(900)))
        .await
        .unwrap();
    let err = files.enable_container_cdn("missing").await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Container,
            ..
        }
    ));
    assert_eq!(err.provider(), Some("cloudfiles"));
    assert_eq!(err.operation(), Some("enable_container_cdn"));
    // The token goes to the CDN service too.
    assert_eq!(
        replay.requests()[2].header("x-auth-token"),
        Some("aaaaaaaaaaaa-bbb-cccccccccccccc")
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn cdn_urls_of_containers_and_objects() {
    require_fixtures!(CLOUDFILES);
    let (replay, files) = driver(config(Region::Ord));
    let uri = "http://6e8f4bf5.r2.cf1.rackcdn.com";
    replay
        .add(published(uri))
        .add(published(uri))
        .add(published(uri))
        .add(published(uri));
    assert_eq!(files.get_container_cdn_url("photos").await.unwrap(), uri);
    assert_eq!(
        files
            .get_object_cdn_url("photos", "2024/a b+c.jpg", Duration::from_secs(60))
            .await
            .unwrap(),
        format!("{uri}/2024/a%20b%2Bc.jpg")
    );
    assert_eq!(
        files.ex_get_container_cdn_ssl_url("photos").await.unwrap(),
        "https://e2.ssl.cf1.rackcdn.com"
    );
    let state = files.ex_get_container_cdn("photos").await.unwrap();
    assert!(state.enabled && !state.log_retention);
    assert_eq!(state.ttl, Some(Duration::from_secs(259_200)));
    assert_eq!(
        state.streaming_uri.as_deref(),
        Some("http://s.cf1.rackcdn.com")
    );
    replay.assert_all_used();
}

#[tokio::test]
async fn containers_the_cdn_does_not_serve() {
    require_fixtures!(CLOUDFILES);
    let (replay, files) = driver(config(Region::Ord));
    replay
        .add(cdn(http::Method::HEAD, "/photos").status(404))
        .add(
            cdn(http::Method::HEAD, "/photos")
                .status(204)
                .response_header("x-cdn-enabled", "False")
                .response_header("x-cdn-uri", "http://6e8f4bf5.r2.cf1.rackcdn.com"),
        );
    let err = files.get_container_cdn_url("photos").await.unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NotFound {
            kind: ResourceKind::Container,
            ..
        }
    ));
    assert!(err.to_string().contains("never published"), "{err}");
    let err = files
        .get_object_cdn_url("photos", "a.jpg", Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("not published"), "{err}");
    replay.assert_all_used();
}

#[tokio::test]
async fn disabling_and_purging() {
    require_fixtures!(CLOUDFILES);
    let (replay, files) = driver(config(Region::Ord));
    replay
        .add(
            cdn(http::Method::POST, "/photos")
                .header("x-cdn-enabled", "False")
                .status(202),
        )
        .add(
            cdn(http::Method::DELETE, "/photos/a%20b.jpg")
                .header("x-purge-email", "ops@example.com")
                .status(204),
        );
    files.ex_disable_container_cdn("photos").await.unwrap();
    files
        .ex_purge_object_from_cdn("photos", "a b.jpg", Some("ops@example.com"))
        .await
        .unwrap();
    replay.assert_all_used();
}

#[tokio::test]
async fn tempauth_has_no_cdn_unless_one_is_given() {
    let replay = Replay::new();
    let tempauth = RackspaceConfig::with_auth(
        AuthConfig::tempauth("http://127.0.0.1:1/auth/v1.0", "test:tester", "testing"),
        Region::Dfw,
    );
    let files = CloudFiles::with_transport(&tempauth, replay.transport()).unwrap();
    assert!(!files.has_cdn());
    assert!(!files.capabilities().container_cdn);
    let err = files.enable_container_cdn("c").await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    let err = files
        .get_object_cdn_url("c", "o", Duration::from_secs(1))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Unsupported);
    assert!(replay.requests().is_empty());

    let with_cdn = tempauth.with_cdn_endpoint("https://cdn.example.com/v1/AUTH_test");
    let files = CloudFiles::with_transport(&with_cdn, replay.transport()).unwrap();
    assert!(files.capabilities().object_cdn_url);
    let bad = RackspaceConfig::new("u", "k", Region::Dfw).with_cdn_endpoint("ftp://cdn/");
    assert_eq!(
        *CloudFiles::with_transport(&bad, replay.transport())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}
