//! libcloud's AWS drivers with their defaults, used through the uniform APIs as an application
//! would: `Ec2Compute` (`list_nodes`, `create_node`, `reboot_node`), `Route53Dns`
//! (`create_record`, `create_records`, `list_records`) and `ElbLoadBalancer`
//! (`balancer_attach_member`).

use std::collections::HashMap;
use std::sync::Mutex;

use libcloud_core::{
    ComputeDriver, CreateBalancer, CreateNode, CreateZone, DnsDriver, DnsDriverExt, LoadBalancer,
    LoadBalancerDriver, Member, Node, RecordSpec, RecordType,
};
use libcloud_ec2::{Ec2Compute, Ec2Config};
use libcloud_elb::{ElbConfig, ElbLoadBalancer};
use libcloud_route53::{Route53Config, Route53Dns};

use super::{Aws, AwsSettings, IMAGE, INSTANCE_TYPE, Zone};
use crate::client::Result;

/// The libcloud client: one driver per service, and what set-up handed back, by id.
pub struct LibcloudAws {
    ec2: Ec2Compute,
    dns: Route53Dns,
    elb: ElbLoadBalancer,
    nodes: Mutex<HashMap<String, Node>>,
    zones: Mutex<HashMap<String, libcloud_core::Zone>>,
    balancers: Mutex<HashMap<String, LoadBalancer>>,
}

fn fail(e: libcloud_core::Error) -> String {
    e.to_string()
}

impl LibcloudAws {
    /// Drivers for `settings`' server.
    pub fn new(settings: &AwsSettings) -> Result<Self> {
        let no_env = || libcloud_aws::Env::from_pairs::<_, &str, &str>([]);
        let ec2 = Ec2Config::from_options(
            [
                ("region", settings.region.as_str()),
                ("endpoint", settings.endpoint.as_str()),
                ("key", settings.access_key.as_str()),
                ("secret", settings.secret_key.as_str()),
            ],
            no_env(),
        )
        .and_then(Ec2Compute::new)
        .map_err(fail)?;
        let dns = Route53Dns::new(
            Route53Config::new()
                .with_env(no_env())
                .with_keys(settings.access_key.clone(), settings.secret_key.clone())
                .with_endpoint(settings.endpoint.clone()),
        )
        .map_err(fail)?;
        let region = settings
            .region
            .parse()
            .map_err(|e| format!("region {:?}: {e}", settings.region))?;
        let elb = ElbLoadBalancer::new(
            ElbConfig::new()
                .with_env(no_env())
                .with_keys(settings.access_key.clone(), settings.secret_key.clone())
                .with_region(region)
                .with_endpoint(settings.endpoint.clone())
                .with_zones([format!("{}a", settings.region)]),
        )
        .map_err(fail)?;
        Ok(LibcloudAws {
            ec2,
            dns,
            elb,
            nodes: Mutex::new(HashMap::new()),
            zones: Mutex::new(HashMap::new()),
            balancers: Mutex::new(HashMap::new()),
        })
    }

    fn zone(&self, zone: &Zone) -> Result<libcloud_core::Zone> {
        self.zones
            .lock()
            .map_err(|_| "a poisoned lock".to_string())?
            .get(&zone.id)
            .cloned()
            .ok_or_else(|| format!("zone {} was not set up", zone.id))
    }

    fn keep_zone(&self, zone: libcloud_core::Zone) -> Result<Zone> {
        let out = Zone {
            id: zone.id.clone(),
            domain: zone.domain.clone(),
        };
        self.zones
            .lock()
            .map_err(|_| "a poisoned lock".to_string())?
            .insert(zone.id.clone(), zone);
        Ok(out)
    }

    fn spec(name: &str, ip: &str) -> RecordSpec {
        RecordSpec::new(name, RecordType::A, ip).ttl(300)
    }
}

#[async_trait::async_trait]
impl Aws for LibcloudAws {
    async fn launch_instances(&self, _count: usize) -> Result<()> {
        Err("the libcloud client does not prepare; the raw client does".into())
    }

    async fn list_instances(&self) -> Result<usize> {
        self.ec2.list_nodes().await.map(|n| n.len()).map_err(fail)
    }

    async fn instance_ids(&self, count: usize) -> Result<Vec<String>> {
        let nodes = self.ec2.list_nodes().await.map_err(fail)?;
        Ok(nodes.into_iter().take(count).map(|n| n.id).collect())
    }

    async fn create_instance(&self, name: &str) -> Result<String> {
        let node = self
            .ec2
            .create_node(&CreateNode::new(name, INSTANCE_TYPE, IMAGE))
            .await
            .map_err(fail)?;
        let id = node.id.clone();
        self.nodes
            .lock()
            .map_err(|_| "a poisoned lock".to_string())?
            .insert(id.clone(), node);
        Ok(id)
    }

    async fn reboot_instance(&self, id: &str) -> Result<()> {
        let node = self
            .nodes
            .lock()
            .map_err(|_| "a poisoned lock".to_string())?
            .get(id)
            .cloned()
            .ok_or_else(|| format!("instance {id} was not created here"))?;
        self.ec2.reboot_node(&node).await.map_err(fail)
    }

    async fn create_zone(&self, domain: &str) -> Result<Zone> {
        let zone = self
            .dns
            .create_zone(&CreateZone::new(domain))
            .await
            .map_err(fail)?;
        self.keep_zone(zone)
    }

    async fn find_zone(&self, domain: &str) -> Result<Zone> {
        let zone = self
            .dns
            .ex_find_zones(domain)
            .await
            .map_err(fail)?
            .into_iter()
            .find(|z| z.domain.trim_end_matches('.') == domain)
            .ok_or_else(|| format!("no zone {domain}"))?;
        self.keep_zone(zone)
    }

    async fn create_record(&self, zone: &Zone, name: &str, ip: &str) -> Result<()> {
        let zone = self.zone(zone)?;
        self.dns
            .create_record(&zone, &Self::spec(name, ip))
            .await
            .map(|_| ())
            .map_err(fail)
    }

    async fn create_records(&self, zone: &Zone, records: &[(String, String)]) -> Result<()> {
        let zone = self.zone(zone)?;
        let specs: Vec<RecordSpec> = records
            .iter()
            .map(|(name, ip)| Self::spec(name, ip))
            .collect();
        let created = self.dns.create_records(&zone, &specs).await.map_err(fail)?;
        if created.len() != records.len() {
            return Err(format!(
                "{} records back after creating {}",
                created.len(),
                records.len()
            ));
        }
        Ok(())
    }

    async fn list_records(&self, zone: &Zone) -> Result<usize> {
        let zone = self.zone(zone)?;
        self.dns
            .list_records(&zone)
            .await
            .map(|r| r.iter().filter(|r| r.record_type == RecordType::A).count())
            .map_err(fail)
    }

    async fn create_balancer(&self, name: &str) -> Result<()> {
        let balancer = self
            .elb
            .create_balancer(&CreateBalancer::new(name, 80, "http"))
            .await
            .map_err(fail)?;
        self.balancers
            .lock()
            .map_err(|_| "a poisoned lock".to_string())?
            .insert(name.to_string(), balancer);
        Ok(())
    }

    async fn attach_instance(&self, balancer: &str, id: &str) -> Result<()> {
        let balancer = self
            .balancers
            .lock()
            .map_err(|_| "a poisoned lock".to_string())?
            .get(balancer)
            .cloned()
            .ok_or_else(|| format!("balancer {balancer} was not set up"))?;
        self.elb
            .balancer_attach_member(&balancer, &Member::node(id))
            .await
            .map(|_| ())
            .map_err(fail)
    }

    async fn balancer_members(&self, balancer: &str) -> Result<usize> {
        let balancer = self.elb.get_balancer(balancer).await.map_err(fail)?;
        self.elb
            .balancer_list_members(&balancer)
            .await
            .map(|m| m.len())
            .map_err(fail)
    }
}
