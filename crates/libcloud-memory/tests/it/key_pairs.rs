//! Key pairs: generated Ed25519 keys, imported public keys, fingerprints.

use libcloud_core::{ComputeDriver, CreateNode, ErrorKind, ResourceKind};
use libcloud_memory::MemoryCompute;
use ssh_key::{HashAlg, PrivateKey, PublicKey};

use crate::{assert_exists, assert_kind, assert_not_found};

const RSA_PUB: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCIG5Ct4iLK4BuupoHAR0xLyo4WZAH9APpzP6w4tplkKXKl4m2La4j8sMVPNYHtF/el9LEuZH8VH4y6I4uepgQkN9AwOetT7mmJNh7CzvH5AXZ0hA92kAj3vCXM1/oiO8YlSXNp8bgDbcr1BWh1Fb1iS3kxxlYO4j2v7MlVGKVfc1RPUp61rLJ8pdVdBmlz7qoE8GcRYtXgeBOTLbVzWgSs1fpATFF6cL96avare85Lz1r8L9Bz5co/lvmL4urucEcDwMsKRLvUkvohx/UjnP0W7YveF5ZOCXIv2gC9idsSSheS1projd5nVA9vhZFydWbWop32FxahZXZYg30H33xz imported@example";
/// What `ssh-keygen -l` prints for [`RSA_PUB`]: an independent check of the fingerprint.
const RSA_FINGERPRINT: &str = "SHA256:w4qQBZeUUg1zV48vMN/JsSKdY+ZOs8lgYEwfX4VlnqE";

const ECDSA_PUB: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBPEe2GsKNs/EuqbSKwEKyUdsNJRFTRkEsEdctwYP0ApMPH984traJNL+k6diugVEd/4XZgbIzkMnNLMp0R4jG9I=";
const ECDSA_FINGERPRINT: &str = "SHA256:zvqf4wYJSQaCR3nT/3k5gJoBiANG6ovh6SWqkveZRyQ";

#[tokio::test]
async fn created_key_pairs_are_real_ed25519_keys() {
    let cloud = MemoryCompute::new();
    let kp = cloud.create_key_pair("deploy").await.unwrap();
    assert_eq!(kp.name, "deploy");
    let public_text = kp.public_key.clone().unwrap();
    assert!(public_text.starts_with("ssh-ed25519 "), "{public_text}");

    // The public key parses back, and its fingerprint is the one reported.
    let public = PublicKey::from_openssh(&public_text).unwrap();
    assert_eq!(public.algorithm(), ssh_key::Algorithm::Ed25519);
    assert_eq!(
        public.fingerprint(HashAlg::Sha256).to_string(),
        kp.fingerprint
    );
    assert!(kp.fingerprint.starts_with("SHA256:"));

    // The private key is an OpenSSH private key whose public half is that public key.
    let private_text = kp.private_key.as_ref().unwrap().expose();
    assert!(private_text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    let private = PrivateKey::from_openssh(private_text).unwrap();
    assert_eq!(private.public_key().key_data(), public.key_data());
    assert_eq!(private.public_key().to_openssh().unwrap(), public_text);
    assert!(!private.is_encrypted());

    // And the pair works: what the private key signs, the public key verifies.
    let signature = private
        .sign("libcloud-test", HashAlg::Sha512, b"hello")
        .unwrap();
    public
        .verify("libcloud-test", b"hello", &signature)
        .unwrap();
    assert!(
        public
            .verify("libcloud-test", b"tampered", &signature)
            .is_err()
    );

    // The private key is never printed and is not kept by the cloud.
    assert!(!format!("{kp:?}").contains(private_text));
    let stored = cloud.get_key_pair("deploy").await.unwrap();
    assert!(stored.private_key.is_none());
    assert_eq!(stored.public_key.as_deref(), Some(public_text.as_str()));
    assert_eq!(stored.fingerprint, kp.fingerprint);
    assert_eq!(stored.extra["algorithm"], "ssh-ed25519");
}

#[tokio::test]
async fn every_created_key_is_new() {
    let cloud = MemoryCompute::new();
    let a = cloud.create_key_pair("a").await.unwrap();
    let b = cloud.create_key_pair("b").await.unwrap();
    assert_ne!(a.fingerprint, b.fingerprint);
    assert_ne!(a.public_key, b.public_key);
    let names: Vec<String> = cloud
        .list_key_pairs()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
}

#[tokio::test]
async fn imported_keys_get_the_fingerprint_ssh_keygen_gives() {
    let cloud = MemoryCompute::new();
    let rsa = cloud
        .import_key_pair_from_string("rsa", RSA_PUB)
        .await
        .unwrap();
    assert_eq!(rsa.fingerprint, RSA_FINGERPRINT);
    assert!(rsa.private_key.is_none());
    assert_eq!(rsa.public_key.as_deref(), Some(RSA_PUB));
    assert_eq!(rsa.extra["algorithm"], "ssh-rsa");

    // Surrounding whitespace (a trailing newline from a file) does not matter.
    let ecdsa = cloud
        .import_key_pair_from_string("ecdsa", &format!("  {ECDSA_PUB}\n"))
        .await
        .unwrap();
    assert_eq!(ecdsa.fingerprint, ECDSA_FINGERPRINT);
    assert_eq!(cloud.get_key_pair("ecdsa").await.unwrap(), ecdsa);

    // A key made by create_key_pair elsewhere imports with the same fingerprint.
    let elsewhere = MemoryCompute::new().create_key_pair("x").await.unwrap();
    let imported = cloud
        .import_key_pair_from_string("x", elsewhere.public_key.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(imported.fingerprint, elsewhere.fingerprint);
}

#[tokio::test]
async fn invalid_key_material_is_refused() {
    let cloud = MemoryCompute::new();
    let private = MemoryCompute::new().create_key_pair("p").await.unwrap();
    let truncated = &RSA_PUB[..RSA_PUB.len() / 2];
    for material in [
        "",
        "not a key",
        "ssh-rsa",
        "ssh-rsa !!!!",
        truncated,
        private.private_key.as_ref().unwrap().expose(),
    ] {
        assert_kind(
            cloud.import_key_pair_from_string("bad", material).await,
            ErrorKind::InvalidInput,
        );
    }
    assert!(cloud.list_key_pairs().await.unwrap().is_empty());
}

#[tokio::test]
async fn key_pair_names_are_unique_and_checked() {
    let cloud = MemoryCompute::new();
    cloud.create_key_pair("k").await.unwrap();
    assert_exists(cloud.create_key_pair("k").await, ResourceKind::KeyPair);
    assert_exists(
        cloud.import_key_pair_from_string("k", RSA_PUB).await,
        ResourceKind::KeyPair,
    );
    assert_kind(cloud.create_key_pair("").await, ErrorKind::InvalidInput);
    assert_kind(
        cloud.import_key_pair_from_string(" ", RSA_PUB).await,
        ErrorKind::InvalidInput,
    );
}

#[tokio::test]
async fn deleting_key_pairs() {
    let cloud = MemoryCompute::new();
    let kp = cloud.create_key_pair("gone").await.unwrap();
    cloud.delete_key_pair(&kp).await.unwrap();
    assert_not_found(cloud.get_key_pair("gone").await, ResourceKind::KeyPair);
    assert_not_found(cloud.delete_key_pair(&kp).await, ResourceKind::KeyPair);
    assert!(cloud.list_key_pairs().await.unwrap().is_empty());
    // The name is free again.
    cloud.create_key_pair("gone").await.unwrap();
}

#[tokio::test]
async fn nodes_can_be_given_a_registered_key_pair() {
    let cloud = MemoryCompute::new();
    let kp = cloud
        .import_key_pair_from_string("ops", RSA_PUB)
        .await
        .unwrap();
    let node = cloud
        .create_node(&CreateNode::new("n", "small", "debian-12").key_pair("ops"))
        .await
        .unwrap();
    assert_eq!(node.extra["key_name"], "ops");
    assert_eq!(node.extra["key_fingerprint"], kp.fingerprint.as_str());
    // Deleting the key pair later leaves the node alone.
    cloud.delete_key_pair(&kp).await.unwrap();
    assert_eq!(
        cloud.get_node(&node.id).await.unwrap().extra["key_name"],
        "ops"
    );
}
