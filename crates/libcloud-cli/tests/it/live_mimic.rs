//! Compute and load balancer commands on mimic, Rackspace's mock of its cloud, through
//! `--provider rackspace` (API-key sign-in) and `--provider openstack` on the same account.
//!
//! mimic ties a user name to the tenant of its first token, so each test signs in as a user of
//! its own. Its clock moves only when told, so a [`Ticker`] moves it while a test runs.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use libcloud_testkit::{require_live, unique_name};

use crate::live::{compiled_in, http};
use crate::util::{command, run_command};

const ENDPOINT_VAR: &str = "LIBCLOUD_TEST_MIMIC_ENDPOINT";
const API_KEY: &str = "0123456789abcdef";

/// Moves mimic's clock one second every 100 ms until dropped.
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ticker {
    fn start(endpoint: &str) -> Self {
        let url = format!("{endpoint}/mimic/v1.1/tick");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let answer = http(
                    "POST",
                    &url,
                    &[("Content-Type", "application/json")],
                    b"{\"amount\": 1.0}",
                );
                assert_eq!(answer.status, 200, "mimic's tick");
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Ticker {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A mimic account: one user name for the whole test, in ORD where mimic has every service.
struct Account {
    endpoint: String,
    user: String,
}

impl Account {
    fn new(endpoint: String) -> Self {
        Account {
            endpoint,
            user: unique_name("lc-cli"),
        }
    }

    /// `libcloud -p rackspace -o json` signed in with the Rackspace variables.
    fn rackspace(&self) -> Command {
        let mut cmd = command();
        clear_cloud_vars(&mut cmd);
        cmd.env("RACKSPACE_USERNAME", &self.user)
            .env("RACKSPACE_API_KEY", API_KEY)
            .env("RACKSPACE_REGION", "ORD")
            .env(
                "RACKSPACE_AUTH_URL",
                format!("{}/identity/v2.0", self.endpoint),
            )
            .args(["-q", "-o", "json", "-p", "rackspace"]);
        cmd
    }

    /// `libcloud -p openstack -o json` on the same account, through Keystone v2 with the API
    /// key; mimic's catalog has two compute services in ORD, so the option names one.
    fn openstack(&self) -> Command {
        let mut cmd = command();
        clear_cloud_vars(&mut cmd);
        cmd.env("OS_AUTH_URL", format!("{}/identity/v2.0", self.endpoint))
            .env("OS_USERNAME", &self.user)
            .env("OS_API_KEY", API_KEY)
            .env("OS_REGION_NAME", "ORD")
            .args([
                "-q",
                "-o",
                "json",
                "-p",
                "openstack",
                "-O",
                "service_name=cloudServersOpenStack",
            ]);
        cmd
    }
}

fn clear_cloud_vars(cmd: &mut Command) {
    for (var, _) in std::env::vars() {
        if var.starts_with("OS_") || var.starts_with("RACKSPACE_") || var.starts_with("RS_") {
            cmd.env_remove(var);
        }
    }
}

#[track_caller]
fn json(mut cmd: Command, args: &[&str]) -> Vec<serde_json::Value> {
    cmd.args(args);
    run_command(cmd, None).ok().json()
}

/// Nodes through their life on Cloud Servers: the listings, `create-node` waiting until the
/// node runs with its generated password saved to a private file (never printed), `wait`,
/// `reboot`, `destroy`, and the same node seen through the openstack provider.
#[test]
fn compute_on_mimic() {
    let endpoint = require_live!(ENDPOINT_VAR);
    if !compiled_in("rackspace") {
        return;
    }
    let _ticker = Ticker::start(&endpoint);
    let account = Account::new(endpoint);
    let dir = tempfile::tempdir().unwrap();

    let locations = json(account.rackspace(), &["compute", "locations"]);
    assert_eq!(locations.len(), 1, "{locations:?}");
    assert_eq!(locations[0]["id"], "ORD");
    let sizes = json(account.rackspace(), &["compute", "sizes"]);
    let images = json(account.rackspace(), &["compute", "images"]);
    assert!(!sizes.is_empty() && !images.is_empty());
    assert!(
        sizes.iter().all(|s| s["ram_mb"].as_u64().unwrap() > 0),
        "{sizes:?}"
    );
    assert!(
        json(account.rackspace(), &["compute", "nodes"]).is_empty(),
        "a new account has no nodes"
    );

    let name = unique_name("web");
    let size = sizes[0]["id"].as_str().unwrap().to_string();
    let image = images[0]["id"].as_str().unwrap().to_string();
    let password_file = dir.path().join("password");
    let mut create = account.rackspace();
    create
        .args([
            "compute",
            "create-node",
            &name,
            "--size",
            &size,
            "--image",
            &image,
        ])
        .arg("--save-password")
        .arg(&password_file)
        .args(["--wait", "--timeout", "30s", "--interval", "200ms"]);
    let created = run_command(create, None).ok();
    let node = &created.json()[0];
    assert_eq!(node["name"], name.as_str());
    assert_eq!(node["state"], "running");
    assert_eq!(node["size"], size.as_str());
    assert!(!node["public_ips"].as_array().unwrap().is_empty(), "{node}");
    let id = node["id"].as_str().unwrap().to_string();
    let password = std::fs::read_to_string(&password_file).unwrap();
    assert!(!password.trim().is_empty());
    assert!(
        !created.text().contains(password.trim()) && !created.stderr.contains(password.trim()),
        "the generated password is printed"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&password_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let nodes = json(account.rackspace(), &["compute", "nodes"]);
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["id"], id.as_str());
    let mut reboot = account.rackspace();
    reboot.args(["compute", "reboot", &name]);
    run_command(reboot, None).ok();
    // Wait for the reboot to finish before destroying: mimic would otherwise bring the node
    // back when the reboot it scheduled completes.
    let waited = json(
        account.rackspace(),
        &[
            "compute",
            "wait",
            &name,
            "--timeout",
            "30s",
            "--interval",
            "200ms",
        ],
    );
    assert_eq!(waited[0]["id"], id.as_str());
    assert_eq!(waited[0]["state"], "running");

    // The openstack provider on the same account sees the same node.
    let seen = json(account.openstack(), &["compute", "nodes"]);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["id"], id.as_str());
    assert_eq!(
        json(account.openstack(), &["compute", "locations"])[0]["id"],
        "ORD"
    );

    let mut destroy = account.rackspace();
    destroy.args(["compute", "destroy", &id]);
    run_command(destroy, None).ok();
    assert!(
        json(account.rackspace(), &["compute", "nodes"])
            .iter()
            .all(|n| n["id"] != id.as_str()),
        "the node is gone"
    );
    let mut again = account.rackspace();
    again.args(["compute", "destroy", &id]);
    run_command(again, None).fails(3);
}

/// A balancer through its life on Cloud Load Balancers: `create` with a member, `balancers`,
/// `members`, `attach`, `detach` by address and by id, `destroy`.
#[test]
fn load_balancers_on_mimic() {
    let endpoint = require_live!(ENDPOINT_VAR);
    if !compiled_in("rackspace") {
        return;
    }
    let _ticker = Ticker::start(&endpoint);
    let account = Account::new(endpoint);
    let lb = |args: &[&str]| {
        let mut all = vec!["lb"];
        all.extend_from_slice(args);
        json(account.rackspace(), &all)
    };

    let algorithms = lb(&["algorithms"]);
    assert!(
        algorithms.iter().any(|a| a["name"] == "round_robin"),
        "{algorithms:?}"
    );
    assert!(
        lb(&["balancers"]).is_empty(),
        "a new account has no balancers"
    );
    let name = unique_name("front");
    let created = lb(&[
        "create",
        &name,
        "--port",
        "80",
        "--protocol",
        "http",
        "--algorithm",
        "least_connections",
        "--member",
        "192.0.2.1:8080",
    ]);
    let balancer = &created[0];
    assert_eq!(balancer["name"], name.as_str());
    assert_eq!(balancer["port"], 80);
    assert_eq!(balancer["algorithm"], "least_connections");
    let id = balancer["id"].as_str().unwrap().to_string();
    let listed = lb(&["balancers"]);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());

    let members = lb(&["members", &name]);
    assert_eq!(members.len(), 1);
    assert_eq!(
        (&members[0]["ip"], &members[0]["port"]),
        (&"192.0.2.1".into(), &8080.into())
    );
    let attached = lb(&["attach", &id, "192.0.2.2:8081"]);
    assert_eq!(attached[0]["ip"], "192.0.2.2");
    assert_eq!(attached[0]["port"], 8081);
    let second = attached[0]["id"].as_str().unwrap().to_string();
    lb(&["attach", &name, "192.0.2.3:8082"]);
    assert_eq!(lb(&["members", &id]).len(), 3);

    lb(&["detach", &name, "192.0.2.1:8080"]);
    lb(&["detach", &id, &second]);
    let left = lb(&["members", &name]);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["ip"], "192.0.2.3");

    lb(&["destroy", &name]);
    assert!(
        lb(&["balancers"]).iter().all(|b| b["id"] != id.as_str()),
        "the balancer is gone"
    );
    let mut gone = account.rackspace();
    gone.args(["lb", "members", &id]);
    run_command(gone, None).fails(3);
}
