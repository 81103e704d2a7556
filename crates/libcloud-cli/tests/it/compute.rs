//! Compute commands on the memory provider.

use crate::util::{batch, find, run};

#[test]
fn catalogue_listings_in_one_command_each() {
    let sizes = run(&["compute", "sizes", "--provider", "memory", "-o", "json"])
        .ok()
        .json();
    let small = find(&sizes, "id", "small");
    assert!(small["ram_mb"].as_u64().unwrap() > 0);
    let images = run(&["compute", "images", "-p", "memory", "-o", "json"])
        .ok()
        .json();
    find(&images, "id", "debian-12");
    let locations = run(&["compute", "locations", "-p", "memory", "-o", "json"])
        .ok()
        .json();
    find(&locations, "id", "eu-west");
    for listing in ["nodes", "keys", "volumes"] {
        let out = run(&["compute", listing, "-p", "memory", "-o", "json"]).ok();
        assert!(out.stdout.is_empty(), "a new memory cloud has no {listing}");
    }
    let table = run(&["compute", "sizes", "-p", "memory", "-o", "table"])
        .ok()
        .text();
    assert!(table.starts_with("ID"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("small ")), "{table}");
}

#[test]
fn nodes_keys_and_volumes_through_their_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let pubkey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g test@example";
    std::fs::write(dir.path().join("id.pub"), pubkey).unwrap();
    std::fs::write(dir.path().join("pw"), "correct horse battery staple\n").unwrap();
    let script = format!(
        "compute create-node web --size small --image debian-12 --save-password {d}/web.pw\n\
         compute create-node db --size medium --image rocky-9 --location eu-west --password-file {d}/pw\n\
         compute create-node ssh --size small --image debian-12 --ssh-key {d}/id.pub --wait --interval 50ms --timeout 30s\n\
         compute wait web db --interval 50ms --timeout 30s\n\
         compute reboot web\n\
         compute stop db\n\
         compute nodes\n\
         compute start db\n\
         compute create-key deploy --private-key-file {d}/deploy.key\n\
         compute import-key mine --public-key {d}/id.pub\n\
         compute keys\n\
         compute delete-key deploy\n\
         compute create-volume data --size 10 --location us-east\n\
         compute attach data web --device /dev/vdc\n\
         compute volumes\n\
         compute detach data\n\
         compute destroy-volume data\n\
         compute destroy web db ssh\n\
         compute nodes\n\
         compute volumes\n\
         compute keys\n"
    );
    let done = batch(dir.path(), &["-p", "memory", "-o", "json"], &script).ok();
    let lines = done.json();
    // create-node x3, wait x2 nodes, nodes x3, create-key, import-key, keys x2, create-volume,
    // volumes x1, final keys x1.
    let created = &lines[0];
    assert_eq!(created["name"], "web");
    assert!(
        created.get("admin_password").is_none(),
        "passwords are never printed"
    );
    let password = std::fs::read_to_string(dir.path().join("web.pw")).unwrap();
    assert_eq!(
        password.trim().len(),
        20,
        "the generated password was saved"
    );
    assert!(!done.text().contains(password.trim()), "and never printed");
    assert!(!done.stderr.contains(password.trim()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("web.pw"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(lines[1]["name"], "db");
    assert_eq!(lines[2]["name"], "ssh");
    assert_eq!(
        lines[2]["state"], "running",
        "--wait returns the running node"
    );
    assert!(!lines[2]["public_ips"].as_array().unwrap().is_empty());
    // wait: both nodes running with an address.
    assert_eq!(lines[3]["state"], "running");
    assert_eq!(lines[4]["state"], "running");
    // nodes after reboot and stop.
    let listed = &lines[5..8];
    assert_eq!(find(listed, "name", "web")["state"], "rebooting");
    assert_eq!(find(listed, "name", "db")["state"], "stopped");
    // create-key prints the key pair without its private half, which went to the file.
    let key = &lines[8];
    assert_eq!(key["name"], "deploy");
    assert!(key.get("private_key").is_none());
    let private = std::fs::read_to_string(dir.path().join("deploy.key")).unwrap();
    assert!(private.contains("PRIVATE KEY"), "{private}");
    assert!(!done.text().contains(private.trim()));
    assert_eq!(lines[9]["name"], "mine");
    let keys = &lines[10..12];
    find(keys, "name", "deploy");
    find(keys, "name", "mine");
    let volume = &lines[12];
    assert_eq!(volume["name"], "data");
    assert_eq!(volume["size_gb"], 10);
    let attached = &lines[13];
    assert_eq!(attached["state"], "inuse");
    assert_eq!(attached["attached_to"], created["id"]);
    // After destroying everything: no nodes, no volumes, one key left.
    assert_eq!(lines.len(), 15, "{lines:#?}");
    assert_eq!(lines[14]["name"], "mine");
}

#[test]
fn secrets_files_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("exists.key");
    std::fs::write(&key, "keep me").unwrap();
    let err = run(&[
        "compute",
        "create-key",
        "k",
        "--private-key-file",
        key.to_str().unwrap(),
        "-p",
        "memory",
    ])
    .fails(1);
    assert!(err.stderr.contains("already exists"), "{}", err.stderr);
    assert_eq!(std::fs::read_to_string(&key).unwrap(), "keep me");
}

#[test]
fn unknown_nodes_and_bad_requests_have_their_exit_codes() {
    run(&["compute", "reboot", "nope", "-p", "memory"]).fails(3);
    // An unknown size is refused by the provider as invalid input.
    let err = run(&[
        "compute",
        "create-node",
        "x",
        "--size",
        "colossal",
        "--image",
        "debian-12",
        "-p",
        "memory",
    ]);
    assert_ne!(err.code, 0);
    assert_eq!(err.stderr.lines().count(), 1, "{}", err.stderr);
    run(&["compute", "wait", "x", "--interval", "0s", "-p", "memory"]).fails(2);
}
