//! DNS commands on the memory provider.

use crate::util::{batch, find, run};

#[test]
fn zones_and_records_through_their_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
        dns create-zone example.com --ttl 900
        dns create-record example.com www A 192.0.2.10 --ttl 60
        dns create-record example.com @ MX mail.example.com --priority 10
        dns create-record example.com "" TXT "v=spf1 include:example.net -all"
        dns zones
        dns records example.com
        dns records EXAMPLE.COM. --type mx
        dns update-record example.com 1 --data 192.0.2.11
        dns export example.com
        dns delete-record example.com 1
        dns records example.com --type A
        dns delete-zone example.com
        dns zones
    "#;
    let done = batch(dir.path(), &["-p", "memory", "-o", "json"], script).ok();
    let text = done.text();
    let (json, bind): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| l.starts_with('{'));
    let lines: Vec<serde_json::Value> = json
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let zone = &lines[0];
    assert_eq!(zone["domain"], "example.com");
    assert_eq!(zone["ttl"], 900);
    assert_eq!(lines[1]["record_type"], "A");
    assert_eq!(lines[2]["priority"], 10);
    assert_eq!(lines[3]["data"], "v=spf1 include:example.net -all");
    assert_eq!(lines[4]["domain"], "example.com", "zones");
    let records = &lines[5..8];
    assert_eq!(find(records, "record_type", "A")["name"], "www");
    assert_eq!(
        lines[8]["record_type"], "MX",
        "filtered by type, zone found by domain"
    );
    assert_eq!(lines[9]["data"], "192.0.2.11", "updated");
    assert_eq!(lines[9]["ttl"], 60, "what was not given stays");
    assert_eq!(lines.len(), 10, "no A record left, no zone left: {text}");
    // The BIND export is text, whatever the output format.
    let bind = bind.join("\n");
    assert!(bind.contains("$ORIGIN example.com."), "{bind}");
    assert!(
        bind.contains("www.example.com.\t60\tIN\tA\t192.0.2.11"),
        "{bind}"
    );
    assert!(bind.contains("IN\tMX\t10 mail.example.com."), "{bind}");
}

#[test]
fn dns_errors() {
    run(&["dns", "records", "nope.example", "-p", "memory"]).fails(3);
    let dir = tempfile::tempdir().unwrap();
    let bad = batch(
        dir.path(),
        &["-p", "memory"],
        "dns create-zone example.com\ndns create-record example.com www A not-an-address\n",
    )
    .fails(2);
    assert!(
        bad.stderr.contains("line 2: dns create-record"),
        "{}",
        bad.stderr
    );
    run(&["dns", "records", "x", "--type", "BOGUS", "-p", "memory"]).fails(3);
    let table = run(&["dns", "zones", "-p", "memory", "-o", "table"]).ok();
    assert!(table.stdout.is_empty());
}
