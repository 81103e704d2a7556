use libcloud::ErrorKind;
use libcloud::prelude::*;
use libcloud::registry::{Config, Registry};

#[tokio::test]
async fn memory_urls_open_fresh_or_named_clouds() {
    let a = libcloud::registry::storage("memory://").unwrap();
    a.create_container("one").await.unwrap();
    let b = libcloud::registry::storage("memory://").unwrap();
    assert!(
        b.list_containers().await.unwrap().is_empty(),
        "memory:// is a new cloud each time"
    );

    let named = libcloud::registry::storage("memory://registry-test").unwrap();
    named.create_container("shared").await.unwrap();
    let again = libcloud::registry::storage("memory://registry-test").unwrap();
    assert_eq!(again.list_containers().await.unwrap()[0].name, "shared");
}

#[tokio::test]
async fn local_urls_and_configs_open_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let url = format!("local://{}", root.display());
    let storage = libcloud::registry::storage(&url).unwrap();
    storage.create_container("c").await.unwrap();
    assert!(root.join("c").is_dir());

    let config =
        Config::from_pairs([("provider", "local"), ("root", root.to_str().unwrap())]).unwrap();
    let same = Registry::builtin().open_storage(&config).unwrap();
    assert_eq!(same.list_containers().await.unwrap()[0].name, "c");
}

#[test]
fn bad_configurations_are_typed_errors() {
    for (url, needle) in [
        ("local://somehost/x", "has no host"),
        ("local:///tmp/x?colour=blue", "has no option \"colour\""),
        ("ftp://example", "unknown storage provider \"ftp\""),
        ("memory://x?region=eu", "has no option \"region\""),
    ] {
        let err = libcloud::registry::storage(url).err().unwrap();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{url}");
        assert!(err.to_string().contains(needle), "{url}: {err}");
    }
    let err = libcloud::registry::compute("local:///tmp").err().unwrap();
    assert!(err.to_string().contains("has no compute API"), "{err}");
    assert!(Config::from_pairs([("root", "/x")]).is_err());
}

#[test]
fn builtin_registry_lists_compiled_providers() {
    let r = Registry::builtin();
    let storage = r.providers(libcloud::registry::Api::Storage);
    assert!(
        storage.contains(&"local") && storage.contains(&"memory"),
        "{storage:?}"
    );
    assert_eq!(storage.contains(&"swift"), cfg!(feature = "openstack"));
    let dns = r.providers(libcloud::registry::Api::Dns);
    assert!(dns.contains(&"memory"));
    assert_eq!(dns.contains(&"zerigo"), cfg!(feature = "zerigo"));
}

#[cfg(feature = "zerigo")]
#[test]
fn zerigo_opens_from_options_and_says_what_is_missing() {
    let dns = libcloud::registry::dns("zerigo://?email=ops@example.com&api_key=k3y").unwrap();
    assert_eq!(dns.name(), "zerigo");
    // Without credentials in the URL it falls back to the environment; this test process does
    // not set ZERIGO_EMAIL, so the error names the variable.
    if std::env::var_os("ZERIGO_EMAIL").is_none() {
        let err = libcloud::registry::dns("zerigo://").err().unwrap();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("ZERIGO_EMAIL"), "{err}");
    }
    let err = libcloud::registry::dns("zerigo://?password=x")
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("has no option \"password\""),
        "{err}"
    );
}

#[cfg(feature = "gogrid")]
#[test]
fn gogrid_opens_from_options() {
    let lb = libcloud::registry::load_balancer(
        "gogrid://?api_key=key&shared_secret=s3cret&endpoint=http://127.0.0.1:9/api/",
    )
    .unwrap();
    assert_eq!(lb.name(), "gogrid");
    assert!(!format!("{lb:?}").contains("s3cret"));
}

#[cfg(feature = "openstack")]
#[test]
fn openstack_opens_from_options_without_contacting_the_cloud() {
    let url = "openstack://?auth_url=http://127.0.0.1:9/v3&username=demo&password=pw&project_name=demo&user_domain_name=Default&project_domain_name=Default";
    let compute = libcloud::registry::compute(url).unwrap();
    assert_eq!(compute.name(), "openstack");
    let storage = libcloud::registry::storage(&url.replacen("openstack", "swift", 1)).unwrap();
    assert!(!format!("{storage:?}").contains("pw&"));
    let err = libcloud::registry::storage("swift://?auth_url=http://127.0.0.1:9/v3&colour=blue")
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("has no option \"colour\""),
        "{err}"
    );
}

#[cfg(feature = "aws")]
#[test]
fn aws_drivers_open_from_urls_without_contacting_aws() {
    let keys = "access_key_id=AKIDEXAMPLE&secret_access_key=very-secret-value";
    let s3 = libcloud::registry::storage(&format!(
        "s3://photos?region=eu-west-1&endpoint=http://127.0.0.1:9&{keys}"
    ))
    .unwrap();
    assert_eq!(s3.name(), "s3");
    assert!(!format!("{s3:?}").contains("very-secret-value"));
    let ec2 = libcloud::registry::compute(&format!("ec2://?region=eu-west-1&{keys}")).unwrap();
    assert_eq!(ec2.name(), "ec2");
    let r53 = libcloud::registry::dns(&format!("route53://?{keys}")).unwrap();
    assert_eq!(r53.name(), "route53");
    let elb =
        libcloud::registry::load_balancer(&format!("elb://?region=us-west-2&{keys}")).unwrap();
    assert_eq!(elb.name(), "elb");
    let alb = libcloud::registry::load_balancer(&format!("alb://?{keys}")).unwrap();
    assert_eq!(alb.name(), "alb");

    for url in [
        "s3://b?colour=blue",
        "ec2://?colour=blue",
        "route53://?access_key_id=AKID",
        "elb://?api=sideways",
        "ec2://?region=not%20a%20region",
    ] {
        let err = match url.split(':').next().unwrap() {
            "s3" => libcloud::registry::storage(url).err(),
            "ec2" => libcloud::registry::compute(url).err(),
            "route53" => libcloud::registry::dns(url).err(),
            _ => libcloud::registry::load_balancer(url).err(),
        }
        .unwrap();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{url}: {err}");
    }
}

#[cfg(feature = "rackspace")]
#[test]
fn rackspace_opens_every_service_from_options() {
    let q = "username=demo&api_key=k3y-value&region=lon&auth_url=http://127.0.0.1:9/v2.0";
    assert_eq!(
        libcloud::registry::compute(&format!("rackspace://?{q}"))
            .unwrap()
            .name(),
        "rackspace"
    );
    assert_eq!(
        libcloud::registry::dns(&format!("rackspace://?{q}"))
            .unwrap()
            .name(),
        "rackspace"
    );
    assert_eq!(
        libcloud::registry::load_balancer(&format!("rackspace://?{q}"))
            .unwrap()
            .name(),
        "rackspace"
    );
    let files = libcloud::registry::storage(&format!("cloudfiles://?{q}")).unwrap();
    assert_eq!(files.name(), "cloudfiles");
    assert!(!format!("{files:?}").contains("k3y-value"));
    let err = libcloud::registry::compute("rackspace://?username=demo&api_key=k&region=mars")
        .err()
        .unwrap();
    assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{err}");
}
