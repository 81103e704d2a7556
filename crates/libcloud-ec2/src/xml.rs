//! EC2's XML: the wire types read with serde (elements matched by local name, so the namespace
//! with or without its trailing slash, or none at all, reads the same), and their conversion to
//! libcloud's models.
//!
//! Every leaf is read as optional text and converted by hand, so that an empty element, an
//! unexpected value or a missing field is either tolerated or reported as
//! [`ErrorKind::MalformedResponse`](libcloud_core::ErrorKind::MalformedResponse), never a panic.
//! Lists (`<fooSet><item>...</item></fooSet>`) are [`Items`]; top-level lists are read as
//! vectors of sets, since some servers repeat the set element.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;

use libcloud_core::common::parse_rfc3339;
use libcloud_core::{
    Error, Extra, KeyPair, Node, NodeImage, NodeLocation, NodeSize, NodeState, Result, Secret,
    SnapshotState, StorageVolume, VolumeSnapshot, VolumeState,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Reads a whole response document into `T`.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::malformed(format!("the {what} response is not UTF-8")))?;
    quick_xml::de::from_str(text)
        .map_err(|e| Error::malformed(format!("the {what} response cannot be read: {e}")))
}

/// The items of one `<...Set>` element.
#[derive(Debug, Deserialize)]
pub(crate) struct Items<T> {
    #[serde(rename = "item", default = "Vec::new")]
    pub(crate) items: Vec<T>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items { items: Vec::new() }
    }
}

/// The items of every set in `sets`, in order.
pub(crate) fn flatten<T>(sets: Vec<Items<T>>) -> Vec<T> {
    sets.into_iter().flat_map(|s| s.items).collect()
}

fn items<T>(set: Option<Items<T>>) -> Vec<T> {
    set.map(|s| s.items).unwrap_or_default()
}

/// Text trimmed, `None` when absent or blank.
pub(crate) fn text(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

pub(crate) fn owned(field: &Option<String>) -> Option<String> {
    text(field).map(str::to_string)
}

pub(crate) fn number<T: FromStr>(field: &Option<String>, what: &str) -> Result<Option<T>> {
    text(field)
        .map(|t| {
            t.parse::<T>()
                .map_err(|_| Error::malformed(format!("{what} {t:?} is not a valid number")))
        })
        .transpose()
}

pub(crate) fn boolean(field: &Option<String>) -> Option<bool> {
    match text(field)? {
        t if t.eq_ignore_ascii_case("true") => Some(true),
        t if t.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Inserts `value` under `key` when there is one.
fn put(extra: &mut Extra, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        extra.insert(key.to_string(), v);
    }
}

fn put_text(extra: &mut Extra, key: &str, field: &Option<String>) {
    put(
        extra,
        key,
        text(field).map(|t| Value::String(t.to_string())),
    );
}

fn put_bool(extra: &mut Extra, key: &str, field: &Option<String>) {
    put(extra, key, boolean(field).map(Value::Bool));
}

/// A `<tagSet>` item.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireTag {
    key: Option<String>,
    value: Option<String>,
}

/// The tags of a `<tagSet>` as a map; tags without a key are dropped.
pub(crate) fn tag_map(set: Option<Items<WireTag>>) -> BTreeMap<String, String> {
    items(set)
        .into_iter()
        .filter_map(|t| {
            let key = t.key?.trim().to_string();
            (!key.is_empty()).then(|| (key, t.value.unwrap_or_default().trim().to_string()))
        })
        .collect()
}

fn tags_value(tags: &BTreeMap<String, String>) -> Value {
    Value::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// `<return>true</return>`, the answer of actions that only succeed or fail.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireReturn {
    #[serde(rename = "return")]
    pub(crate) value: Option<String>,
}

impl WireReturn {
    /// Fails when the server said `false`; an absent `<return>` counts as success (moto leaves
    /// it out of `RebootInstances`).
    pub(crate) fn check(&self, action: &str) -> Result<()> {
        match boolean(&self.value) {
            Some(false) => Err(Error::new(
                libcloud_core::ErrorKind::Provider {
                    code: "ReturnFalse".into(),
                },
                format!("{action} answered <return>false</return>"),
            )),
            _ => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Instances

/// `<DescribeInstancesResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeInstances {
    #[serde(default)]
    pub(crate) reservation_set: Vec<Items<WireReservation>>,
    pub(crate) next_token: Option<String>,
}

/// A reservation: the instances of one `RunInstances`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireReservation {
    pub(crate) reservation_id: Option<String>,
    pub(crate) owner_id: Option<String>,
    #[serde(default)]
    pub(crate) instances_set: Vec<Items<WireInstance>>,
}

/// `<RunInstancesResponse>`: one reservation at the top level.
pub(crate) type RunInstances = WireReservation;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireInstanceState {
    code: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePlacement {
    availability_zone: Option<String>,
    group_name: Option<String>,
    tenancy: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireGroupRef {
    group_id: Option<String>,
    group_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireInstanceEbs {
    volume_id: Option<String>,
    status: Option<String>,
    attach_time: Option<String>,
    delete_on_termination: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireInstanceBdm {
    device_name: Option<String>,
    ebs: Option<WireInstanceEbs>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAssociation {
    public_ip: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePrivateIp {
    private_ip_address: Option<String>,
    association: Option<WireAssociation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireIpv6 {
    ipv6_address: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireInterface {
    network_interface_id: Option<String>,
    private_ip_address: Option<String>,
    association: Option<WireAssociation>,
    private_ip_addresses_set: Option<Items<WirePrivateIp>>,
    ipv6_addresses_set: Option<Items<WireIpv6>>,
}

#[derive(Debug, Default, Deserialize)]
struct WireIamProfile {
    arn: Option<String>,
    id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WireStateReason {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WireMonitoring {
    state: Option<String>,
    enabled: Option<String>,
}

/// One instance, from `DescribeInstances` or `RunInstances`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireInstance {
    pub(crate) instance_id: Option<String>,
    image_id: Option<String>,
    instance_state: Option<WireInstanceState>,
    private_dns_name: Option<String>,
    dns_name: Option<String>,
    key_name: Option<String>,
    instance_type: Option<String>,
    launch_time: Option<String>,
    placement: Option<WirePlacement>,
    kernel_id: Option<String>,
    ramdisk_id: Option<String>,
    subnet_id: Option<String>,
    vpc_id: Option<String>,
    private_ip_address: Option<String>,
    ip_address: Option<String>,
    group_set: Option<Items<WireGroupRef>>,
    architecture: Option<String>,
    root_device_type: Option<String>,
    root_device_name: Option<String>,
    block_device_mapping: Option<Items<WireInstanceBdm>>,
    virtualization_type: Option<String>,
    pub(crate) client_token: Option<String>,
    tag_set: Option<Items<WireTag>>,
    hypervisor: Option<String>,
    network_interface_set: Option<Items<WireInterface>>,
    ebs_optimized: Option<String>,
    iam_instance_profile: Option<WireIamProfile>,
    instance_lifecycle: Option<String>,
    spot_instance_request_id: Option<String>,
    platform: Option<String>,
    reason: Option<String>,
    state_reason: Option<WireStateReason>,
    monitoring: Option<WireMonitoring>,
}

/// EC2's instance state name as libcloud's [`NodeState`], as Libcloud maps it: `pending`,
/// `running`, `stopping`, `stopped` and `terminated` by name; `shutting-down` (on its way to
/// `terminated`) and anything else are `Unknown`, with the raw name kept in `extra["status"]`.
pub fn node_state(name: &str) -> NodeState {
    match name.trim() {
        "pending" => NodeState::Pending,
        "running" => NodeState::Running,
        "stopping" => NodeState::Stopping,
        "stopped" => NodeState::Stopped,
        "terminated" => NodeState::Terminated,
        _ => NodeState::Unknown,
    }
}

fn push_ip(list: &mut Vec<IpAddr>, field: &Option<String>) {
    if let Some(ip) = text(field).and_then(|t| t.parse::<IpAddr>().ok())
        && !list.contains(&ip)
    {
        list.push(ip);
    }
}

impl WireInstance {
    /// The instance as a [`Node`]; `reservation` supplies the reservation and owner ids.
    pub(crate) fn into_node(self, reservation: Option<&WireReservation>) -> Result<Node> {
        let id = owned(&self.instance_id)
            .ok_or_else(|| Error::malformed("an instance has no instanceId"))?;
        let tags = tag_map(self.tag_set);
        let name = tags
            .get("Name")
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| id.clone());
        let raw_state = self
            .instance_state
            .as_ref()
            .and_then(|s| owned(&s.name))
            .unwrap_or_default();
        let interfaces = items(self.network_interface_set);

        let mut public_ips = Vec::new();
        push_ip(&mut public_ips, &self.ip_address);
        let mut private_ips = Vec::new();
        push_ip(&mut private_ips, &self.private_ip_address);
        for eni in &interfaces {
            push_ip(&mut private_ips, &eni.private_ip_address);
            if let Some(a) = &eni.association {
                push_ip(&mut public_ips, &a.public_ip);
            }
            for p in eni.private_ip_addresses_set.iter().flat_map(|s| &s.items) {
                push_ip(&mut private_ips, &p.private_ip_address);
                if let Some(a) = &p.association {
                    push_ip(&mut public_ips, &a.public_ip);
                }
            }
            for v6 in eni.ipv6_addresses_set.iter().flat_map(|s| &s.items) {
                push_ip(&mut public_ips, &v6.ipv6_address);
            }
        }

        let mut extra = Extra::new();
        put(&mut extra, "status", Some(Value::String(raw_state.clone())));
        if let Some(s) = &self.instance_state {
            put(
                &mut extra,
                "state_code",
                number::<i64>(&s.code, "instance state code")?.map(Value::from),
            );
        }
        put_text(&mut extra, "image_id", &self.image_id);
        put_text(&mut extra, "instance_type", &self.instance_type);
        put_text(&mut extra, "key_name", &self.key_name);
        put_text(&mut extra, "launch_time", &self.launch_time);
        put_text(&mut extra, "private_dns", &self.private_dns_name);
        put_text(&mut extra, "dns_name", &self.dns_name);
        put_text(&mut extra, "subnet_id", &self.subnet_id);
        put_text(&mut extra, "vpc_id", &self.vpc_id);
        put_text(&mut extra, "kernel_id", &self.kernel_id);
        put_text(&mut extra, "ramdisk_id", &self.ramdisk_id);
        put_text(&mut extra, "architecture", &self.architecture);
        put_text(&mut extra, "root_device_type", &self.root_device_type);
        put_text(&mut extra, "root_device_name", &self.root_device_name);
        put_text(&mut extra, "virtualization_type", &self.virtualization_type);
        put_text(&mut extra, "hypervisor", &self.hypervisor);
        put_text(&mut extra, "client_token", &self.client_token);
        put_text(&mut extra, "platform", &self.platform);
        put_text(&mut extra, "reason", &self.reason);
        put_text(&mut extra, "instance_lifecycle", &self.instance_lifecycle);
        put_text(
            &mut extra,
            "spot_instance_request_id",
            &self.spot_instance_request_id,
        );
        put_bool(&mut extra, "ebs_optimized", &self.ebs_optimized);
        if let Some(p) = &self.placement {
            put_text(&mut extra, "availability", &p.availability_zone);
            put_text(&mut extra, "placement_group", &p.group_name);
            put_text(&mut extra, "tenancy", &p.tenancy);
        }
        if let Some(p) = &self.iam_instance_profile {
            put_text(&mut extra, "iam_profile", &p.arn);
            put_text(&mut extra, "iam_profile_id", &p.id);
        }
        if let Some(r) = &self.state_reason
            && let Some(code) = text(&r.code)
        {
            extra.insert(
                "state_reason".into(),
                json!({"code": code, "message": text(&r.message).unwrap_or_default()}),
            );
        }
        if let Some(m) = &self.monitoring {
            let state = text(&m.state).map(str::to_string).or_else(|| {
                boolean(&m.enabled).map(|on| if on { "enabled" } else { "disabled" }.to_string())
            });
            put(&mut extra, "monitoring", state.map(Value::String));
        }
        let groups: Vec<Value> = items(self.group_set)
            .iter()
            .map(|g| json!({"group_id": text(&g.group_id), "group_name": text(&g.group_name)}))
            .collect();
        extra.insert("groups".into(), Value::Array(groups));
        let bdm: Vec<Value> = items(self.block_device_mapping)
            .iter()
            .map(|b| {
                let ebs = b.ebs.as_ref();
                json!({
                    "device_name": text(&b.device_name),
                    "volume_id": ebs.and_then(|e| text(&e.volume_id)),
                    "status": ebs.and_then(|e| text(&e.status)),
                    "attach_time": ebs.and_then(|e| text(&e.attach_time)),
                    "delete_on_termination": ebs.and_then(|e| boolean(&e.delete_on_termination)),
                })
            })
            .collect();
        extra.insert("block_device_mapping".into(), Value::Array(bdm));
        let enis: Vec<Value> = interfaces
            .iter()
            .filter_map(|i| text(&i.network_interface_id).map(Value::from))
            .collect();
        extra.insert("network_interfaces".into(), Value::Array(enis));
        extra.insert("tags".into(), tags_value(&tags));
        if let Some(r) = reservation {
            put_text(&mut extra, "reservation_id", &r.reservation_id);
            put_text(&mut extra, "owner_id", &r.owner_id);
        }

        Ok(Node {
            id,
            name,
            state: node_state(&raw_state),
            public_ips,
            private_ips,
            size: owned(&self.instance_type),
            image: owned(&self.image_id),
            created_at: text(&self.launch_time).and_then(parse_rfc3339),
            admin_password: None,
            extra,
        })
    }
}

/// The nodes of a list of reservations, in order.
pub(crate) fn reservation_nodes(reservations: Vec<WireReservation>) -> Result<Vec<Node>> {
    let mut nodes = Vec::new();
    for mut r in reservations {
        let instances = flatten(std::mem::take(&mut r.instances_set));
        for i in instances {
            nodes.push(i.into_node(Some(&r))?);
        }
    }
    Ok(nodes)
}

/// The device names an instance uses, from a `DescribeInstances` answer.
pub(crate) fn used_devices(reservations: &[WireReservation]) -> Vec<String> {
    let mut out = Vec::new();
    for r in reservations {
        for i in r.instances_set.iter().flat_map(|s| &s.items) {
            out.extend(owned(&i.root_device_name));
            for b in i.block_device_mapping.iter().flat_map(|s| &s.items) {
                out.extend(owned(&b.device_name));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Sizes

/// `<DescribeInstanceTypesResponse>`, AWS's shape, or Eucalyptus's `instanceTypeDetails`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeInstanceTypes {
    #[serde(default)]
    pub(crate) instance_type_set: Vec<Items<WireInstanceType>>,
    #[serde(default)]
    pub(crate) instance_type_details: Vec<Items<WireEucaType>>,
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireProcessor {
    supported_architectures: Option<Items<String>>,
    sustained_clock_speed_in_ghz: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireVcpu {
    default_v_cpus: Option<String>,
    default_cores: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WireMemory {
    #[serde(rename = "sizeInMiB")]
    size_in_mib: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WireStorage {
    #[serde(rename = "totalSizeInGB")]
    total_size_in_gb: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireNetwork {
    network_performance: Option<String>,
}

/// One instance type in AWS's shape.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireInstanceType {
    pub(crate) instance_type: Option<String>,
    current_generation: Option<String>,
    free_tier_eligible: Option<String>,
    bare_metal: Option<String>,
    hypervisor: Option<String>,
    processor_info: Option<WireProcessor>,
    v_cpu_info: Option<WireVcpu>,
    memory_info: Option<WireMemory>,
    instance_storage_supported: Option<String>,
    instance_storage_info: Option<WireStorage>,
    network_info: Option<WireNetwork>,
}

impl WireInstanceType {
    pub(crate) fn into_size(self) -> Result<NodeSize> {
        let id = owned(&self.instance_type)
            .ok_or_else(|| Error::malformed("an instance type has no instanceType"))?;
        let ram_mb = self
            .memory_info
            .as_ref()
            .map(|m| number::<u64>(&m.size_in_mib, "memory size"))
            .transpose()?
            .flatten()
            .unwrap_or(0);
        let disk_gb = self
            .instance_storage_info
            .as_ref()
            .map(|s| number::<u64>(&s.total_size_in_gb, "instance storage size"))
            .transpose()?
            .flatten()
            .unwrap_or(0);
        let mut extra = Extra::new();
        if let Some(v) = &self.v_cpu_info {
            put(
                &mut extra,
                "vcpus",
                number::<u64>(&v.default_v_cpus, "vCPU count")?.map(Value::from),
            );
            put(
                &mut extra,
                "cores",
                number::<u64>(&v.default_cores, "core count")?.map(Value::from),
            );
        }
        if let Some(p) = &self.processor_info {
            let archs: Vec<Value> = p
                .supported_architectures
                .iter()
                .flat_map(|s| &s.items)
                .map(|a| Value::String(a.trim().to_string()))
                .collect();
            extra.insert("architectures".into(), Value::Array(archs));
            put(
                &mut extra,
                "clock_speed_ghz",
                number::<f64>(&p.sustained_clock_speed_in_ghz, "clock speed")?.map(Value::from),
            );
        }
        if let Some(n) = &self.network_info {
            put_text(&mut extra, "network_performance", &n.network_performance);
        }
        put_bool(&mut extra, "current_generation", &self.current_generation);
        put_bool(&mut extra, "free_tier_eligible", &self.free_tier_eligible);
        put_bool(&mut extra, "bare_metal", &self.bare_metal);
        put_bool(
            &mut extra,
            "instance_storage_supported",
            &self.instance_storage_supported,
        );
        put_text(&mut extra, "hypervisor", &self.hypervisor);
        Ok(NodeSize {
            name: id.clone(),
            id,
            ram_mb,
            disk_gb,
            bandwidth: None,
            price: None,
            extra,
        })
    }
}

/// One instance type in Eucalyptus's shape (`name`, `cpu`, `disk`, `memory`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireEucaType {
    name: Option<String>,
    cpu: Option<String>,
    disk: Option<String>,
    memory: Option<String>,
}

impl WireEucaType {
    pub(crate) fn into_size(self) -> Result<NodeSize> {
        let id =
            owned(&self.name).ok_or_else(|| Error::malformed("an instance type has no name"))?;
        let mut extra = Extra::new();
        put(
            &mut extra,
            "vcpus",
            number::<u64>(&self.cpu, "vCPU count")?.map(Value::from),
        );
        Ok(NodeSize {
            name: id.clone(),
            id,
            ram_mb: number(&self.memory, "memory size")?.unwrap_or(0),
            disk_gb: number(&self.disk, "disk size")?.unwrap_or(0),
            bandwidth: None,
            price: None,
            extra,
        })
    }
}

/// `<DescribeInstanceTypeOfferingsResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeOfferings {
    #[serde(default)]
    pub(crate) instance_type_offering_set: Vec<Items<WireOffering>>,
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireOffering {
    pub(crate) instance_type: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Locations

/// `<DescribeAvailabilityZonesResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeZones {
    #[serde(default)]
    pub(crate) availability_zone_info: Vec<Items<WireZone>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireZone {
    zone_name: Option<String>,
    zone_state: Option<String>,
    region_name: Option<String>,
    zone_id: Option<String>,
    zone_type: Option<String>,
    opt_in_status: Option<String>,
}

/// The ISO country code of the AWS region `region`, or `""` when unknown.
pub fn region_country(region: &str) -> &'static str {
    const TABLE: &[(&str, &str)] = &[
        ("us-gov-", "US"),
        ("us-", "US"),
        ("ca-", "CA"),
        ("mx-", "MX"),
        ("sa-", "BR"),
        ("eu-west-1", "IE"),
        ("eu-west-2", "GB"),
        ("eu-west-3", "FR"),
        ("eu-central-1", "DE"),
        ("eu-central-2", "CH"),
        ("eu-north-1", "SE"),
        ("eu-south-1", "IT"),
        ("eu-south-2", "ES"),
        ("ap-northeast-1", "JP"),
        ("ap-northeast-2", "KR"),
        ("ap-northeast-3", "JP"),
        ("ap-southeast-1", "SG"),
        ("ap-southeast-2", "AU"),
        ("ap-southeast-3", "ID"),
        ("ap-southeast-4", "AU"),
        ("ap-southeast-5", "MY"),
        ("ap-southeast-7", "TH"),
        ("ap-south-1", "IN"),
        ("ap-south-2", "IN"),
        ("ap-east-1", "HK"),
        ("me-south-1", "BH"),
        ("me-central-1", "AE"),
        ("af-south-1", "ZA"),
        ("il-central-1", "IL"),
        ("cn-", "CN"),
    ];
    TABLE
        .iter()
        .find(|(prefix, _)| {
            if prefix.ends_with('-') {
                region.starts_with(prefix)
            } else {
                region == *prefix
            }
        })
        .map_or("", |(_, c)| c)
}

impl WireZone {
    pub(crate) fn into_location(self) -> Result<NodeLocation> {
        let id = owned(&self.zone_name)
            .ok_or_else(|| Error::malformed("an availability zone has no zoneName"))?;
        let mut extra = Extra::new();
        put_text(&mut extra, "region_name", &self.region_name);
        put_text(&mut extra, "zone_id", &self.zone_id);
        put_text(&mut extra, "zone_state", &self.zone_state);
        put_text(&mut extra, "zone_type", &self.zone_type);
        put_text(&mut extra, "opt_in_status", &self.opt_in_status);
        Ok(NodeLocation {
            name: id.clone(),
            id,
            country: region_country(text(&self.region_name).unwrap_or_default()).to_string(),
            extra,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Images

/// `<DescribeImagesResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeImages {
    #[serde(default)]
    pub(crate) images_set: Vec<Items<WireImage>>,
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireImageEbs {
    snapshot_id: Option<String>,
    volume_size: Option<String>,
    delete_on_termination: Option<String>,
    volume_type: Option<String>,
    encrypted: Option<String>,
    iops: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireImageBdm {
    device_name: Option<String>,
    virtual_name: Option<String>,
    no_device: Option<String>,
    ebs: Option<WireImageEbs>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireImage {
    image_id: Option<String>,
    image_location: Option<String>,
    image_state: Option<String>,
    image_owner_id: Option<String>,
    image_owner_alias: Option<String>,
    is_public: Option<String>,
    architecture: Option<String>,
    image_type: Option<String>,
    kernel_id: Option<String>,
    ramdisk_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    root_device_type: Option<String>,
    root_device_name: Option<String>,
    block_device_mapping: Option<Items<WireImageBdm>>,
    virtualization_type: Option<String>,
    hypervisor: Option<String>,
    creation_date: Option<String>,
    platform: Option<String>,
    ena_support: Option<String>,
    tag_set: Option<Items<WireTag>>,
}

impl WireImage {
    pub(crate) fn into_image(self) -> Result<NodeImage> {
        let id =
            owned(&self.image_id).ok_or_else(|| Error::malformed("an image has no imageId"))?;
        let mut extra = Extra::new();
        put_text(&mut extra, "image_location", &self.image_location);
        put_text(&mut extra, "state", &self.image_state);
        put_text(&mut extra, "owner_id", &self.image_owner_id);
        put_text(&mut extra, "owner_alias", &self.image_owner_alias);
        put_bool(&mut extra, "is_public", &self.is_public);
        put_text(&mut extra, "architecture", &self.architecture);
        put_text(&mut extra, "image_type", &self.image_type);
        put_text(&mut extra, "kernel_id", &self.kernel_id);
        put_text(&mut extra, "ramdisk_id", &self.ramdisk_id);
        put_text(&mut extra, "description", &self.description);
        put_text(&mut extra, "root_device_type", &self.root_device_type);
        put_text(&mut extra, "root_device_name", &self.root_device_name);
        put_text(&mut extra, "virtualization_type", &self.virtualization_type);
        put_text(&mut extra, "hypervisor", &self.hypervisor);
        put_text(&mut extra, "creation_date", &self.creation_date);
        put_text(&mut extra, "platform", &self.platform);
        put_bool(&mut extra, "ena_support", &self.ena_support);
        let mut bdm = Vec::new();
        for b in items(self.block_device_mapping) {
            let mut entry = serde_json::Map::new();
            entry.insert("device_name".into(), json!(text(&b.device_name)));
            if let Some(v) = text(&b.virtual_name) {
                entry.insert("virtual_name".into(), json!(v));
            }
            if b.no_device.is_some() {
                entry.insert("no_device".into(), json!(true));
            }
            if let Some(e) = &b.ebs {
                entry.insert(
                    "ebs".into(),
                    json!({
                        "snapshot_id": text(&e.snapshot_id),
                        "volume_size": number::<u64>(&e.volume_size, "volume size")?,
                        "delete_on_termination": boolean(&e.delete_on_termination),
                        "volume_type": text(&e.volume_type),
                        "encrypted": boolean(&e.encrypted),
                        "iops": number::<u64>(&e.iops, "IOPS")?,
                    }),
                );
            }
            bdm.push(Value::Object(entry));
        }
        extra.insert("block_device_mapping".into(), Value::Array(bdm));
        extra.insert("tags".into(), tags_value(&tag_map(self.tag_set)));
        Ok(NodeImage {
            name: owned(&self.name).unwrap_or_else(|| id.clone()),
            id,
            extra,
        })
    }
}

/// `<CreateImageResponse>`, `<CopyImageResponse>` and `<RegisterImageResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageIdResponse {
    pub(crate) image_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Key pairs

/// `<DescribeKeyPairsResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeKeyPairs {
    #[serde(default)]
    pub(crate) key_set: Vec<Items<WireKeyPair>>,
}

/// A key pair, listed, created (with `keyMaterial`) or imported.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireKeyPair {
    key_name: Option<String>,
    key_fingerprint: Option<String>,
    key_material: Option<String>,
    key_pair_id: Option<String>,
    key_type: Option<String>,
    public_key: Option<String>,
    create_time: Option<String>,
    tag_set: Option<Items<WireTag>>,
}

impl WireKeyPair {
    pub(crate) fn into_key_pair(self) -> Result<KeyPair> {
        let name =
            owned(&self.key_name).ok_or_else(|| Error::malformed("a key pair has no keyName"))?;
        let mut extra = Extra::new();
        put_text(&mut extra, "key_pair_id", &self.key_pair_id);
        put_text(&mut extra, "key_type", &self.key_type);
        put_text(&mut extra, "create_time", &self.create_time);
        let tags = tag_map(self.tag_set);
        if !tags.is_empty() {
            extra.insert("tags".into(), tags_value(&tags));
        }
        Ok(KeyPair {
            name,
            public_key: owned(&self.public_key),
            fingerprint: owned(&self.key_fingerprint).unwrap_or_default(),
            private_key: self
                .key_material
                .as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(Secret::new),
            extra,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Volumes

/// `<DescribeVolumesResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeVolumes {
    #[serde(default)]
    pub(crate) volume_set: Vec<Items<WireVolume>>,
    pub(crate) next_token: Option<String>,
}

/// A volume attachment; also the whole `<AttachVolumeResponse>` and `<DetachVolumeResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireAttachment {
    pub(crate) instance_id: Option<String>,
    pub(crate) device: Option<String>,
    pub(crate) status: Option<String>,
    attach_time: Option<String>,
    delete_on_termination: Option<String>,
}

/// A volume; also the whole `<CreateVolumeResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireVolume {
    volume_id: Option<String>,
    size: Option<String>,
    snapshot_id: Option<String>,
    availability_zone: Option<String>,
    status: Option<String>,
    create_time: Option<String>,
    attachment_set: Option<Items<WireAttachment>>,
    volume_type: Option<String>,
    iops: Option<String>,
    throughput: Option<String>,
    encrypted: Option<String>,
    kms_key_id: Option<String>,
    multi_attach_enabled: Option<String>,
    tag_set: Option<Items<WireTag>>,
}

/// EC2's volume status as libcloud's [`VolumeState`], as Libcloud maps it.
pub fn volume_state(status: &str) -> VolumeState {
    match status.trim() {
        "available" => VolumeState::Available,
        "in-use" => VolumeState::InUse,
        "creating" => VolumeState::Creating,
        "deleting" => VolumeState::Deleting,
        "deleted" => VolumeState::Deleted,
        "error" | "error_deleting" => VolumeState::Error,
        _ => VolumeState::Unknown,
    }
}

impl WireVolume {
    pub(crate) fn into_volume(self) -> Result<StorageVolume> {
        let id =
            owned(&self.volume_id).ok_or_else(|| Error::malformed("a volume has no volumeId"))?;
        let tags = tag_map(self.tag_set);
        let attachments = items(self.attachment_set);
        let current = attachments
            .iter()
            .find(|a| !matches!(text(&a.status), Some("detached")));
        let status = owned(&self.status).unwrap_or_default();
        let mut extra = Extra::new();
        put(&mut extra, "status", Some(Value::String(status.clone())));
        put_text(&mut extra, "snapshot_id", &self.snapshot_id);
        put_text(&mut extra, "zone", &self.availability_zone);
        put_text(&mut extra, "create_time", &self.create_time);
        put_text(&mut extra, "volume_type", &self.volume_type);
        put(
            &mut extra,
            "iops",
            number::<u64>(&self.iops, "IOPS")?.map(Value::from),
        );
        put(
            &mut extra,
            "throughput",
            number::<u64>(&self.throughput, "throughput")?.map(Value::from),
        );
        put_bool(&mut extra, "encrypted", &self.encrypted);
        put_text(&mut extra, "kms_key_id", &self.kms_key_id);
        put_bool(
            &mut extra,
            "multi_attach_enabled",
            &self.multi_attach_enabled,
        );
        if let Some(a) = current {
            put_text(&mut extra, "device", &a.device);
            put_text(&mut extra, "attachment_status", &a.status);
            put_text(&mut extra, "attach_time", &a.attach_time);
            put_bool(
                &mut extra,
                "delete_on_termination",
                &a.delete_on_termination,
            );
        }
        extra.insert("tags".into(), tags_value(&tags));
        Ok(StorageVolume {
            name: tags
                .get("Name")
                .filter(|n| !n.is_empty())
                .cloned()
                .unwrap_or_else(|| id.clone()),
            id,
            size_gb: number(&self.size, "volume size")?.unwrap_or(0),
            state: volume_state(&status),
            attached_to: current.and_then(|a| owned(&a.instance_id)),
            extra,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/// `<DescribeSnapshotsResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeSnapshots {
    #[serde(default)]
    pub(crate) snapshot_set: Vec<Items<WireSnapshot>>,
    pub(crate) next_token: Option<String>,
}

/// A snapshot; also the whole `<CreateSnapshotResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireSnapshot {
    snapshot_id: Option<String>,
    volume_id: Option<String>,
    status: Option<String>,
    start_time: Option<String>,
    progress: Option<String>,
    owner_id: Option<String>,
    owner_alias: Option<String>,
    volume_size: Option<String>,
    description: Option<String>,
    encrypted: Option<String>,
    kms_key_id: Option<String>,
    state_message: Option<String>,
    storage_tier: Option<String>,
    tag_set: Option<Items<WireTag>>,
}

/// EC2's snapshot status as libcloud's [`SnapshotState`]: `pending` is `Creating`,
/// `completed` `Available`, `error` `Error`, `recoverable`/`recovering` `Restoring`.
pub fn snapshot_state(status: &str) -> SnapshotState {
    match status.trim() {
        "pending" => SnapshotState::Creating,
        "completed" => SnapshotState::Available,
        "error" => SnapshotState::Error,
        "recoverable" | "recovering" => SnapshotState::Restoring,
        _ => SnapshotState::Unknown,
    }
}

impl WireSnapshot {
    pub(crate) fn into_snapshot(self) -> Result<VolumeSnapshot> {
        let id = owned(&self.snapshot_id)
            .ok_or_else(|| Error::malformed("a snapshot has no snapshotId"))?;
        let tags = tag_map(self.tag_set);
        let status = owned(&self.status).unwrap_or_default();
        let mut extra = Extra::new();
        put(&mut extra, "status", Some(Value::String(status.clone())));
        put_text(&mut extra, "description", &self.description);
        put_text(&mut extra, "progress", &self.progress);
        put_text(&mut extra, "owner_id", &self.owner_id);
        put_text(&mut extra, "owner_alias", &self.owner_alias);
        put_bool(&mut extra, "encrypted", &self.encrypted);
        put_text(&mut extra, "kms_key_id", &self.kms_key_id);
        put_text(&mut extra, "state_message", &self.state_message);
        put_text(&mut extra, "storage_tier", &self.storage_tier);
        extra.insert("tags".into(), tags_value(&tags));
        Ok(VolumeSnapshot {
            name: tags.get("Name").filter(|n| !n.is_empty()).cloned(),
            id,
            volume_id: owned(&self.volume_id),
            size_gb: number(&self.volume_size, "snapshot size")?,
            state: snapshot_state(&status),
            created_at: text(&self.start_time).and_then(parse_rfc3339),
            extra,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses, security groups, tags, networks

/// `<DescribeAddressesResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeAddresses {
    #[serde(default)]
    pub(crate) addresses_set: Vec<Items<WireAddress>>,
}

/// An Elastic IP; also the whole `<AllocateAddressResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireAddress {
    pub(crate) public_ip: Option<String>,
    pub(crate) allocation_id: Option<String>,
    pub(crate) domain: Option<String>,
    pub(crate) instance_id: Option<String>,
    pub(crate) association_id: Option<String>,
    pub(crate) network_interface_id: Option<String>,
    pub(crate) private_ip_address: Option<String>,
    pub(crate) tag_set: Option<Items<WireTag>>,
}

/// `<AssociateAddressResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssociateAddress {
    #[serde(rename = "return")]
    pub(crate) value: Option<String>,
    pub(crate) association_id: Option<String>,
}

/// `<DescribeSecurityGroupsResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeSecurityGroups {
    #[serde(default)]
    pub(crate) security_group_info: Vec<Items<WireSecurityGroup>>,
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireGroupPair {
    pub(crate) user_id: Option<String>,
    pub(crate) group_id: Option<String>,
    pub(crate) group_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireIpRange {
    pub(crate) cidr_ip: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireIpv6Range {
    pub(crate) cidr_ipv6: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WirePermission {
    pub(crate) ip_protocol: Option<String>,
    pub(crate) from_port: Option<String>,
    pub(crate) to_port: Option<String>,
    pub(crate) groups: Option<Items<WireGroupPair>>,
    pub(crate) ip_ranges: Option<Items<WireIpRange>>,
    pub(crate) ipv6_ranges: Option<Items<WireIpv6Range>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireSecurityGroup {
    pub(crate) owner_id: Option<String>,
    pub(crate) group_id: Option<String>,
    pub(crate) group_name: Option<String>,
    pub(crate) group_description: Option<String>,
    pub(crate) vpc_id: Option<String>,
    pub(crate) ip_permissions: Option<Items<WirePermission>>,
    pub(crate) ip_permissions_egress: Option<Items<WirePermission>>,
    pub(crate) tag_set: Option<Items<WireTag>>,
}

/// `<CreateSecurityGroupResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateSecurityGroup {
    #[serde(rename = "return")]
    pub(crate) value: Option<String>,
    pub(crate) group_id: Option<String>,
}

/// `<DescribeTagsResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeTags {
    #[serde(default)]
    pub(crate) tag_set: Vec<Items<WireResourceTag>>,
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireResourceTag {
    pub(crate) resource_id: Option<String>,
    pub(crate) resource_type: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) value: Option<String>,
}

/// `<GetConsoleOutputResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConsoleOutput {
    pub(crate) instance_id: Option<String>,
    pub(crate) timestamp: Option<String>,
    pub(crate) output: Option<String>,
}

/// `<DescribeSubnetsResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeSubnets {
    #[serde(default)]
    pub(crate) subnet_set: Vec<Items<WireSubnet>>,
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireSubnet {
    pub(crate) subnet_id: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) vpc_id: Option<String>,
    pub(crate) cidr_block: Option<String>,
    pub(crate) available_ip_address_count: Option<String>,
    pub(crate) availability_zone: Option<String>,
    pub(crate) default_for_az: Option<String>,
    pub(crate) map_public_ip_on_launch: Option<String>,
    pub(crate) tag_set: Option<Items<WireTag>>,
}

/// `<CreateSubnetResponse>`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CreateSubnet {
    pub(crate) subnet: Option<WireSubnet>,
}

/// `<CreateVpcResponse>`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CreateVpc {
    pub(crate) vpc: Option<WireVpc>,
}

/// A volume modification, from `ModifyVolume` or `DescribeVolumesModifications`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireVolumeModification {
    pub(crate) volume_id: Option<String>,
    pub(crate) modification_state: Option<String>,
    pub(crate) status_message: Option<String>,
    pub(crate) progress: Option<String>,
    pub(crate) target_size: Option<String>,
    pub(crate) target_volume_type: Option<String>,
    pub(crate) target_iops: Option<String>,
    pub(crate) target_throughput: Option<String>,
    pub(crate) original_size: Option<String>,
    pub(crate) original_volume_type: Option<String>,
    pub(crate) original_iops: Option<String>,
    pub(crate) start_time: Option<String>,
    pub(crate) end_time: Option<String>,
}

/// `<ModifyVolumeResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModifyVolume {
    pub(crate) volume_modification: Option<WireVolumeModification>,
}

/// `<DescribeVolumesModificationsResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeVolumeModifications {
    #[serde(default)]
    pub(crate) volume_modification_set: Vec<Items<WireVolumeModification>>,
    pub(crate) next_token: Option<String>,
}

/// `<DescribeVpcsResponse>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeVpcs {
    #[serde(default)]
    pub(crate) vpc_set: Vec<Items<WireVpc>>,
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireVpc {
    pub(crate) vpc_id: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) cidr_block: Option<String>,
    pub(crate) dhcp_options_id: Option<String>,
    pub(crate) instance_tenancy: Option<String>,
    pub(crate) is_default: Option<String>,
    pub(crate) tag_set: Option<Items<WireTag>>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn empty_and_missing_elements_read_as_none() {
        let doc = r#"<?xml version="1.0"?>
<DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15">
  <volumeSet><item><volumeId>vol-1</volumeId><size>8</size><snapshotId/><status> in-use </status>
  <attachmentSet><item><instanceId>i-9</instanceId><status>attached</status><device>/dev/sdf</device></item></attachmentSet>
  </item></volumeSet></DescribeVolumesResponse>"#;
        let r: DescribeVolumes = parse(doc.as_bytes(), "DescribeVolumes").unwrap();
        let v = flatten(r.volume_set).pop().unwrap().into_volume().unwrap();
        assert_eq!(v.id, "vol-1");
        assert_eq!(v.name, "vol-1");
        assert_eq!(v.size_gb, 8);
        assert_eq!(v.state, VolumeState::InUse);
        assert_eq!(v.attached_to.as_deref(), Some("i-9"));
        assert!(!v.extra.contains_key("snapshot_id"));
        assert_eq!(v.extra["device"], "/dev/sdf");
    }

    #[test]
    fn prefixed_and_unqualified_names_match() {
        let doc = r#"<a:DescribeKeyPairsResponse xmlns:a="urn:x"><a:keySet><a:item>
            <a:keyName>k</a:keyName><a:keyFingerprint>
              ff:00
            </a:keyFingerprint></a:item></a:keySet></a:DescribeKeyPairsResponse>"#;
        let r: DescribeKeyPairs = parse(doc.as_bytes(), "DescribeKeyPairs").unwrap();
        let k = flatten(r.key_set).pop().unwrap().into_key_pair().unwrap();
        assert_eq!((k.name.as_str(), k.fingerprint.as_str()), ("k", "ff:00"));
        assert!(k.private_key.is_none());
    }

    #[test]
    fn bad_numbers_and_bad_documents_are_malformed() {
        let doc = "<DescribeVolumesResponse><volumeSet><item><volumeId>v</volumeId><size>big</size></item></volumeSet></DescribeVolumesResponse>";
        let r: DescribeVolumes = parse(doc.as_bytes(), "DescribeVolumes").unwrap();
        let err = flatten(r.volume_set)
            .pop()
            .unwrap()
            .into_volume()
            .unwrap_err();
        assert_eq!(*err.kind(), libcloud_core::ErrorKind::MalformedResponse);
        for bad in [&b"\xff\xfe"[..], b"<a><b></a>", b"<x><volumeSet>"] {
            if let Err(e) = parse::<DescribeVolumes>(bad, "DescribeVolumes") {
                assert_eq!(*e.kind(), libcloud_core::ErrorKind::MalformedResponse);
            }
        }
        let missing = "<R><volumeSet><item><size>1</size></item></volumeSet></R>";
        let r: DescribeVolumes = parse(missing.as_bytes(), "DescribeVolumes").unwrap();
        assert!(flatten(r.volume_set).pop().unwrap().into_volume().is_err());
    }

    #[test]
    fn states_map_as_libcloud() {
        assert_eq!(node_state("pending"), NodeState::Pending);
        assert_eq!(node_state("running"), NodeState::Running);
        assert_eq!(node_state("shutting-down"), NodeState::Unknown);
        assert_eq!(node_state("terminated"), NodeState::Terminated);
        assert_eq!(node_state("stopping"), NodeState::Stopping);
        assert_eq!(node_state("stopped"), NodeState::Stopped);
        assert_eq!(node_state("weird"), NodeState::Unknown);
        assert_eq!(volume_state("error_deleting"), VolumeState::Error);
        assert_eq!(volume_state("some-unknown-status"), VolumeState::Unknown);
        assert_eq!(snapshot_state("pending"), SnapshotState::Creating);
        assert_eq!(snapshot_state("completed"), SnapshotState::Available);
        assert_eq!(region_country("eu-west-1"), "IE");
        assert_eq!(region_country("us-gov-west-1"), "US");
        assert_eq!(region_country("cn-northwest-1"), "CN");
        assert_eq!(region_country("xx-nowhere-1"), "");
    }

    #[test]
    fn return_false_is_an_error() {
        let r: WireReturn = parse(b"<X><return>false</return></X>", "X").unwrap();
        assert!(r.check("X").is_err());
        let r: WireReturn = parse(b"<X><requestId>1</requestId></X>", "X").unwrap();
        assert!(r.check("X").is_ok());
    }
}
