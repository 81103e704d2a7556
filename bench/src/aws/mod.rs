//! The AWS operations of the benchmark: EC2 instances, Route 53 records and a classic ELB, on
//! moto, each run by one client in one process.
//!
//! Every client offers the same few calls ([`Aws`]); the operations below are made of them, so
//! that each client sends the same requests and only the code around them differs. Set-up that
//! an operation needs (a fresh zone, a fresh balancer, instance ids) happens before the clock
//! starts; checks happen after it stops.

use std::time::Instant;

use crate::client::Result;

pub mod libcloud;
pub mod raw;

/// Where the server is and who to be, for the AWS operations.
#[derive(Debug, Clone)]
pub struct AwsSettings {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub endpoint: String,
    /// The region EC2 and ELB calls go to.
    pub region: String,
    /// The access key id.
    pub access_key: String,
    /// The secret access key.
    pub secret_key: String,
}

/// The image every instance is started from (one of moto's built-in AMIs).
pub const IMAGE: &str = "ami-12c6146b";
/// The instance type every instance has.
pub const INSTANCE_TYPE: &str = "t2.micro";

/// A hosted zone as the operations hold it.
#[derive(Debug, Clone)]
pub struct Zone {
    /// Its id, without `/hostedzone/`.
    pub id: String,
    /// Its domain, without the final dot.
    pub domain: String,
}

/// One client library (or none, for the raw client) driving EC2, Route 53 and ELB.
#[async_trait::async_trait]
pub trait Aws: Send + Sync {
    /// Starts `count` instances with one request (set-up, not timed; only the raw client).
    async fn launch_instances(&self, count: usize) -> Result<()>;

    /// Lists every instance of the region; returns how many there are.
    async fn list_instances(&self) -> Result<usize>;

    /// The ids of up to `count` instances of the region (set-up, not timed).
    async fn instance_ids(&self, count: usize) -> Result<Vec<String>>;

    /// Starts one instance named `name`; returns its id.
    async fn create_instance(&self, name: &str) -> Result<String>;

    /// Reboots the instance `id`.
    async fn reboot_instance(&self, id: &str) -> Result<()>;

    /// Creates the hosted zone `domain` (set-up, not timed).
    async fn create_zone(&self, domain: &str) -> Result<Zone>;

    /// Finds the hosted zone `domain` (set-up, not timed).
    async fn find_zone(&self, domain: &str) -> Result<Zone>;

    /// Creates the A record `name` (relative to the zone) holding `ip`, with one request.
    async fn create_record(&self, zone: &Zone, name: &str, ip: &str) -> Result<()>;

    /// Creates many A records in as few requests as the client can.
    async fn create_records(&self, zone: &Zone, records: &[(String, String)]) -> Result<()>;

    /// Lists every record of a zone; returns how many A records there are (a new zone's SOA
    /// and NS records are left out of the count).
    async fn list_records(&self, zone: &Zone) -> Result<usize>;

    /// Creates the classic load balancer `name` listening on HTTP port 80 (set-up, not timed).
    async fn create_balancer(&self, name: &str) -> Result<()>;

    /// Registers the instance `id` with the balancer `name`, with one request.
    async fn attach_instance(&self, balancer: &str, id: &str) -> Result<()>;

    /// How many instances the balancer `name` has (a check, not timed).
    async fn balancer_members(&self, balancer: &str) -> Result<usize>;
}

/// What one AWS run does.
pub struct AwsArgs {
    /// The operation.
    pub op: String,
    /// A name that is new to the server for this run (zone, balancer, instance names).
    pub name: String,
    /// How many items the operation handles.
    pub count: Option<usize>,
    /// How many instances `aws-prepare` starts.
    pub instances: Option<usize>,
}

/// The operations this module runs.
pub const OPS: [&str; 7] = [
    "aws-prepare",
    "ec2-list",
    "ec2-create-reboot",
    "dns-create-each",
    "dns-create-batch",
    "dns-list",
    "elb-attach",
];

/// The zone that `aws-prepare` fills and `dns-list` lists.
pub const LIST_ZONE: &str = "list.bench.example";

/// The `count` A records the record operations create: `r0000` ... with distinct addresses.
fn records(count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            (
                format!("r{i:04}"),
                format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            )
        })
        .collect()
}

/// A DNS name from a run name: lower case, letters, digits and hyphens.
fn zone_name(name: &str) -> String {
    let label: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("{label}.bench.example")
}

/// A classic balancer's name from a run name: at most 32 letters, digits and hyphens.
fn balancer_name(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(32)
        .collect();
    name.trim_matches('-').to_string()
}

/// Runs one operation; returns the seconds it took and the items it handled.
pub async fn run(args: &AwsArgs, client: &dyn Aws) -> Result<(f64, u64)> {
    let need_count = || args.count.ok_or("--count is required for this operation");
    match args.op.as_str() {
        "aws-prepare" => {
            // The instances `ec2-list` lists and `elb-attach` attaches, and the records
            // `dns-list` lists.
            let count = need_count()?;
            let instances = args
                .instances
                .ok_or("--instances is required for aws-prepare")?;
            let started = Instant::now();
            client.launch_instances(instances).await?;
            let listed = client.list_instances().await?;
            if listed != instances {
                return Err(format!("{listed} instances after starting {instances}"));
            }
            let zone = client.create_zone(LIST_ZONE).await?;
            client.create_records(&zone, &records(count)).await?;
            let listed = client.list_records(&zone).await?;
            if listed != count {
                return Err(format!(
                    "{listed} A records in {LIST_ZONE} after creating {count}"
                ));
            }
            Ok((started.elapsed().as_secs_f64(), count as u64))
        }
        "ec2-list" => {
            let started = Instant::now();
            let listed = client.list_instances().await?;
            let elapsed = started.elapsed().as_secs_f64();
            if let Some(count) = args.count
                && listed != count
            {
                return Err(format!("listed {listed} instances, expected {count}"));
            }
            Ok((elapsed, listed as u64))
        }
        "ec2-create-reboot" => {
            let count = need_count()?;
            let started = Instant::now();
            for i in 0..count {
                let id = client
                    .create_instance(&format!("{}-{i:03}", args.name))
                    .await?;
                client.reboot_instance(&id).await?;
            }
            Ok((started.elapsed().as_secs_f64(), count as u64))
        }
        "dns-create-each" | "dns-create-batch" => {
            let count = need_count()?;
            let zone = client.create_zone(&zone_name(&args.name)).await?;
            let wanted = records(count);
            let started = Instant::now();
            if args.op == "dns-create-each" {
                for (name, ip) in &wanted {
                    client.create_record(&zone, name, ip).await?;
                }
            } else {
                client.create_records(&zone, &wanted).await?;
            }
            let elapsed = started.elapsed().as_secs_f64();
            let listed = client.list_records(&zone).await?;
            if listed != count {
                return Err(format!(
                    "{listed} A records in the zone after creating {count}"
                ));
            }
            Ok((elapsed, count as u64))
        }
        "dns-list" => {
            let zone = client.find_zone(LIST_ZONE).await?;
            let started = Instant::now();
            let listed = client.list_records(&zone).await?;
            let elapsed = started.elapsed().as_secs_f64();
            if let Some(count) = args.count
                && listed != count
            {
                return Err(format!("listed {listed} A records, expected {count}"));
            }
            Ok((elapsed, listed as u64))
        }
        "elb-attach" => {
            let count = need_count()?;
            let balancer = balancer_name(&args.name);
            let ids = client.instance_ids(count).await?;
            if ids.len() < count {
                return Err(format!(
                    "only {} instances to attach, not {count}",
                    ids.len()
                ));
            }
            client.create_balancer(&balancer).await?;
            let started = Instant::now();
            for id in &ids {
                client.attach_instance(&balancer, id).await?;
            }
            let elapsed = started.elapsed().as_secs_f64();
            let members = client.balancer_members(&balancer).await?;
            if members != count {
                return Err(format!("{members} members after attaching {count}"));
            }
            Ok((elapsed, count as u64))
        }
        other => Err(format!("unknown operation {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_valid() {
        assert_eq!(
            zone_name("libcloud_py Run.2"),
            "libcloud-py-run-2.bench.example"
        );
        assert_eq!(balancer_name("-a_b-"), "a-b");
        assert_eq!(balancer_name(&"x".repeat(40)).len(), 32);
    }

    #[test]
    fn records_are_distinct() {
        let r = records(300);
        assert_eq!(r[0], ("r0000".to_string(), "10.0.0.0".to_string()));
        assert_eq!(r[299], ("r0299".to_string(), "10.0.1.43".to_string()));
        let names: std::collections::BTreeSet<_> = r.iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), 300);
    }
}
