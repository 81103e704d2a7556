//! Load balancer commands on the memory provider.

use crate::util::{batch, find, run};

#[test]
fn balancers_and_members_through_their_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let script = "\
        lb create web --port 80 --protocol http --algorithm least_connections --member 192.0.2.1:8080\n\
        lb balancers\n\
        lb attach web 192.0.2.2:8080 --weight 5\n\
        lb attach web 192.0.2.3\n\
        lb members web\n\
        lb detach web 192.0.2.1:8080\n\
        lb members web\n\
        lb destroy web\n\
        lb balancers\n";
    let lines = batch(dir.path(), &["-p", "memory", "-o", "json"], script)
        .ok()
        .json();
    let created = &lines[0];
    assert_eq!(created["name"], "web");
    assert_eq!(created["port"], 80);
    assert_eq!(created["algorithm"], "least_connections");
    assert_eq!(lines[1]["id"], created["id"]);
    assert_eq!(lines[2]["ip"], "192.0.2.2");
    assert_eq!(lines[2]["weight"], 5);
    assert_eq!(
        lines[3]["port"], 80,
        "a bare address takes the balancer's port"
    );
    let members = &lines[4..7];
    find(members, "ip", "192.0.2.1");
    let after = &lines[7..9];
    assert!(after.iter().all(|m| m["ip"] != "192.0.2.1"), "{after:?}");
    assert_eq!(lines.len(), 9, "nothing left after destroy");
}

#[test]
fn algorithms_and_protocols_are_listed() {
    let algorithms = run(&["lb", "algorithms", "-p", "memory", "-o", "json"])
        .ok()
        .json();
    find(&algorithms, "name", "round_robin");
    let protocols = run(&["lb", "protocols", "-p", "memory", "-o", "json"])
        .ok()
        .json();
    find(&protocols, "name", "https");
    let table = run(&["lb", "protocols", "-p", "memory", "-o", "table"])
        .ok()
        .text();
    assert_eq!(table.lines().next(), Some("NAME"));
}

#[test]
fn lb_errors() {
    run(&["lb", "members", "nope", "-p", "memory"]).fails(3);
    run(&[
        "lb",
        "create",
        "x",
        "--port",
        "80",
        "--algorithm",
        "fastest",
        "-p",
        "memory",
    ])
    .fails(2);
    run(&[
        "lb",
        "create",
        "x",
        "--port",
        "80",
        "--member",
        "not:an:addr:ess:x",
        "-p",
        "memory",
    ])
    .fails(2);
    run(&["lb", "attach", "web", "-p", "memory"]).fails(2);
}
