//! EC2-specific settings of `create_node`, `create_volume` and image listings.

use std::collections::BTreeMap;

use libcloud_core::{CreateNode, CreateVolume, Error, Extra, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{PROVIDER, Params};

/// Reads a typed options struct from an `extra` map; unknown keys and wrong types are
/// `InvalidInput` naming the problem.
fn from_extra<T: DeserializeOwned>(extra: &Extra, what: &str) -> Result<T> {
    let object: serde_json::Map<String, Value> =
        extra.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    serde_json::from_value(Value::Object(object)).map_err(|e| {
        Error::invalid_input(format!("the {what} options in `extra` are not valid: {e}"))
            .with_provider(PROVIDER)
    })
}

fn to_extra<T: Serialize>(value: &T) -> Extra {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map.into_iter().filter(|(_, v)| !is_empty(v)).collect(),
        _ => Extra::new(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// An EBS volume of a [`BlockDeviceMapping`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EbsBlockDevice {
    /// Size in GiB; the snapshot's size when `None`.
    #[serde(default)]
    pub volume_size: Option<u64>,
    /// `gp3`, `gp2`, `io1`, `io2`, `st1`, `sc1` or `standard`.
    #[serde(default)]
    pub volume_type: Option<String>,
    /// The snapshot to create the volume from.
    #[serde(default)]
    pub snapshot_id: Option<String>,
    /// Whether the volume goes when the instance is terminated.
    #[serde(default)]
    pub delete_on_termination: Option<bool>,
    /// Provisioned IOPS (`io1`, `io2`, `gp3`).
    #[serde(default)]
    pub iops: Option<u64>,
    /// Throughput in MiB/s (`gp3`).
    #[serde(default)]
    pub throughput: Option<u64>,
    /// Whether the volume is encrypted.
    #[serde(default)]
    pub encrypted: Option<bool>,
    /// The KMS key that encrypts it.
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

impl EbsBlockDevice {
    /// An EBS volume of `size_gib` GiB.
    pub fn new(size_gib: u64) -> Self {
        EbsBlockDevice {
            volume_size: Some(size_gib),
            ..Default::default()
        }
    }

    /// Sets the volume type.
    pub fn volume_type(mut self, volume_type: impl Into<String>) -> Self {
        self.volume_type = Some(volume_type.into());
        self
    }

    /// Sets whether the volume is deleted with the instance.
    pub fn delete_on_termination(mut self, delete: bool) -> Self {
        self.delete_on_termination = Some(delete);
        self
    }
}

/// One entry of RunInstances' `BlockDeviceMapping`: an EBS volume, an instance store
/// (`virtual_name` `ephemeral0`...), or the suppression of the image's mapping (`no_device`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BlockDeviceMapping {
    /// The device name (`/dev/sda1`, `/dev/sdf`, `xvdb`).
    pub device_name: String,
    /// An instance store volume name (`ephemeral0`).
    #[serde(default)]
    pub virtual_name: Option<String>,
    /// Leaves out the device the image maps here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_device: bool,
    /// An EBS volume to create and attach.
    #[serde(default)]
    pub ebs: Option<EbsBlockDevice>,
}

impl BlockDeviceMapping {
    /// An EBS volume at `device_name`.
    pub fn ebs(device_name: impl Into<String>, ebs: EbsBlockDevice) -> Self {
        BlockDeviceMapping {
            device_name: device_name.into(),
            ebs: Some(ebs),
            ..Default::default()
        }
    }

    /// An instance store volume (`ephemeral0`, ...) at `device_name`.
    pub fn ephemeral(device_name: impl Into<String>, virtual_name: impl Into<String>) -> Self {
        BlockDeviceMapping {
            device_name: device_name.into(),
            virtual_name: Some(virtual_name.into()),
            ..Default::default()
        }
    }

    /// Leaves out whatever the image maps at `device_name`.
    pub fn no_device(device_name: impl Into<String>) -> Self {
        BlockDeviceMapping {
            device_name: device_name.into(),
            no_device: true,
            ..Default::default()
        }
    }

    fn add_to(&self, params: &mut Params, n: usize) -> Result<()> {
        let p = format!("BlockDeviceMapping.{n}");
        if self.device_name.trim().is_empty() {
            return Err(
                Error::invalid_input("a block device mapping needs a device name")
                    .with_provider(PROVIDER),
            );
        }
        params.set(format!("{p}.DeviceName"), self.device_name.trim());
        params.opt(&format!("{p}.VirtualName"), self.virtual_name.clone());
        if self.no_device {
            params.set(format!("{p}.NoDevice"), "");
        }
        if let Some(ebs) = &self.ebs {
            params.opt(
                &format!("{p}.Ebs.VolumeSize"),
                ebs.volume_size.map(|v| v.to_string()),
            );
            params.opt(&format!("{p}.Ebs.VolumeType"), ebs.volume_type.clone());
            params.opt(&format!("{p}.Ebs.SnapshotId"), ebs.snapshot_id.clone());
            params.opt(
                &format!("{p}.Ebs.DeleteOnTermination"),
                ebs.delete_on_termination.map(|v| v.to_string()),
            );
            params.opt(&format!("{p}.Ebs.Iops"), ebs.iops.map(|v| v.to_string()));
            params.opt(
                &format!("{p}.Ebs.Throughput"),
                ebs.throughput.map(|v| v.to_string()),
            );
            params.opt(
                &format!("{p}.Ebs.Encrypted"),
                ebs.encrypted.map(|v| v.to_string()),
            );
            params.opt(&format!("{p}.Ebs.KmsKeyId"), ebs.kms_key_id.clone());
        }
        Ok(())
    }
}

/// The EC2-specific settings of [`create_node`](libcloud_core::ComputeDriver::create_node),
/// carried in [`CreateNode::extra`] under these keys (Libcloud's `ex_*` arguments):
///
/// | key | RunInstances parameter |
/// |---|---|
/// | `security_groups` (names) | `SecurityGroup.N` |
/// | `security_group_ids` | `SecurityGroupId.N` |
/// | `subnet_id` | `SubnetId` |
/// | `block_device_mappings` | `BlockDeviceMapping.N.*` |
/// | `tags` (map; the node's name is the `Name` tag) | `TagSpecification.1` for the instance |
/// | `client_token` | `ClientToken` (a fresh one per call when absent) |
/// | `iam_instance_profile` (name or ARN) | `IamInstanceProfile.Name` / `.Arn` |
/// | `ebs_optimized`, `monitoring` | `EbsOptimized`, `Monitoring.Enabled` |
/// | `private_ip_address` | `PrivateIpAddress` |
/// | `placement_group` | `Placement.GroupName` |
/// | `spot` | `InstanceMarketOptions.MarketType=spot` |
/// | `shutdown_behavior` (`stop`, `terminate`) | `InstanceInitiatedShutdownBehavior` |
///
/// An unknown key or a value of the wrong type is
/// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
///
/// ```
/// use libcloud_core::CreateNode;
/// use libcloud_ec2::{BlockDeviceMapping, EbsBlockDevice, NodeOptions};
///
/// let options = NodeOptions::default()
///     .security_group("web")
///     .block_device(BlockDeviceMapping::ebs("/dev/sda1", EbsBlockDevice::new(20)))
///     .tag("team", "search");
/// let request = options.apply(CreateNode::new("web-1", "t3.micro", "ami-0abcdef1234567890"));
/// assert_eq!(NodeOptions::from_extra(&request.extra).unwrap().security_groups, ["web"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct NodeOptions {
    /// Security group names (EC2-Classic and default VPC).
    pub security_groups: Vec<String>,
    /// Security group ids.
    pub security_group_ids: Vec<String>,
    /// The subnet to launch in.
    pub subnet_id: Option<String>,
    /// Volumes to create or suppress.
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    /// Tags for the instance besides `Name`.
    pub tags: BTreeMap<String, String>,
    /// The idempotency token; give the same one to repeat a launch without launching twice.
    pub client_token: Option<String>,
    /// An instance profile name, or its ARN.
    pub iam_instance_profile: Option<String>,
    /// EBS-optimized I/O.
    pub ebs_optimized: Option<bool>,
    /// Detailed monitoring.
    pub monitoring: Option<bool>,
    /// The primary private IPv4 address.
    pub private_ip_address: Option<String>,
    /// A placement group.
    pub placement_group: Option<String>,
    /// Launches a spot instance.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub spot: bool,
    /// What an OS-initiated shutdown does: `stop` or `terminate`.
    pub shutdown_behavior: Option<String>,
}

impl NodeOptions {
    /// Adds a security group, by name.
    pub fn security_group(mut self, name: impl Into<String>) -> Self {
        self.security_groups.push(name.into());
        self
    }

    /// Adds a security group, by id.
    pub fn security_group_id(mut self, id: impl Into<String>) -> Self {
        self.security_group_ids.push(id.into());
        self
    }

    /// Launches in this subnet.
    pub fn subnet(mut self, id: impl Into<String>) -> Self {
        self.subnet_id = Some(id.into());
        self
    }

    /// Adds a block device mapping.
    pub fn block_device(mut self, mapping: BlockDeviceMapping) -> Self {
        self.block_device_mappings.push(mapping);
        self
    }

    /// Adds a tag (besides `Name`, which is the node's name).
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// Uses this idempotency token.
    pub fn client_token(mut self, token: impl Into<String>) -> Self {
        self.client_token = Some(token.into());
        self
    }

    /// Runs with this instance profile (name or ARN).
    pub fn iam_instance_profile(mut self, profile: impl Into<String>) -> Self {
        self.iam_instance_profile = Some(profile.into());
        self
    }

    /// Turns EBS-optimized I/O on or off.
    pub fn ebs_optimized(mut self, on: bool) -> Self {
        self.ebs_optimized = Some(on);
        self
    }

    /// Turns detailed monitoring on or off.
    pub fn monitoring(mut self, on: bool) -> Self {
        self.monitoring = Some(on);
        self
    }

    /// Sets the primary private IPv4 address.
    pub fn private_ip_address(mut self, ip: impl Into<String>) -> Self {
        self.private_ip_address = Some(ip.into());
        self
    }

    /// Launches in this placement group.
    pub fn placement_group(mut self, group: impl Into<String>) -> Self {
        self.placement_group = Some(group.into());
        self
    }

    /// Launches a spot instance.
    pub fn spot(mut self) -> Self {
        self.spot = true;
        self
    }

    /// Sets what an OS-initiated shutdown does: `stop` or `terminate`.
    pub fn shutdown_behavior(mut self, behavior: impl Into<String>) -> Self {
        self.shutdown_behavior = Some(behavior.into());
        self
    }

    /// The options in a [`CreateNode::extra`] map.
    pub fn from_extra(extra: &Extra) -> Result<Self> {
        from_extra(extra, "create_node")
    }

    /// These options as an `extra` map (unset fields left out).
    pub fn to_extra(&self) -> Extra {
        to_extra(self)
    }

    /// `request` with these options merged into its `extra`.
    pub fn apply(&self, mut request: CreateNode) -> CreateNode {
        request.extra.extend(self.to_extra());
        request
    }

    /// Adds the RunInstances parameters of these options (all but tags and the token).
    pub(crate) fn add_to(&self, params: &mut Params) -> Result<()> {
        params.list("SecurityGroup", self.security_groups.iter().cloned());
        params.list("SecurityGroupId", self.security_group_ids.iter().cloned());
        params.opt("SubnetId", self.subnet_id.clone());
        for (i, m) in self.block_device_mappings.iter().enumerate() {
            m.add_to(params, i + 1)?;
        }
        if let Some(profile) = self.iam_instance_profile.as_deref().map(str::trim) {
            if profile.starts_with("arn:") {
                params.set("IamInstanceProfile.Arn", profile);
            } else if !profile.is_empty() {
                params.set("IamInstanceProfile.Name", profile);
            }
        }
        params.opt("EbsOptimized", self.ebs_optimized.map(|v| v.to_string()));
        params.opt("Monitoring.Enabled", self.monitoring.map(|v| v.to_string()));
        params.opt("PrivateIpAddress", self.private_ip_address.clone());
        params.opt("Placement.GroupName", self.placement_group.clone());
        if self.spot {
            params.set("InstanceMarketOptions.MarketType", "spot");
        }
        if let Some(b) = &self.shutdown_behavior {
            if !matches!(b.as_str(), "stop" | "terminate") {
                return Err(Error::invalid_input(format!(
                    "shutdown_behavior must be \"stop\" or \"terminate\", not {b:?}"
                ))
                .with_provider(PROVIDER));
            }
            params.set("InstanceInitiatedShutdownBehavior", b.clone());
        }
        Ok(())
    }
}

/// The EC2-specific settings of [`create_volume`](libcloud_core::ComputeDriver::create_volume),
/// carried in [`CreateVolume::extra`]: `volume_type`, `iops`, `throughput`, `encrypted`,
/// `kms_key_id`, `multi_attach` and `tags` (besides `Name`, which is the volume's name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct VolumeOptions {
    /// `gp3`, `gp2`, `io1`, `io2`, `st1`, `sc1` or `standard`; EC2's default (`gp2`/`gp3`)
    /// when `None`.
    pub volume_type: Option<String>,
    /// Provisioned IOPS.
    pub iops: Option<u64>,
    /// Throughput in MiB/s (`gp3`).
    pub throughput: Option<u64>,
    /// Whether the volume is encrypted.
    pub encrypted: Option<bool>,
    /// The KMS key that encrypts it.
    pub kms_key_id: Option<String>,
    /// Whether several instances may attach it (`io1`/`io2`).
    pub multi_attach: Option<bool>,
    /// Tags besides `Name`.
    pub tags: BTreeMap<String, String>,
}

impl VolumeOptions {
    /// Sets the volume type.
    pub fn volume_type(mut self, volume_type: impl Into<String>) -> Self {
        self.volume_type = Some(volume_type.into());
        self
    }

    /// Sets the provisioned IOPS.
    pub fn iops(mut self, iops: u64) -> Self {
        self.iops = Some(iops);
        self
    }

    /// Sets the throughput in MiB/s.
    pub fn throughput(mut self, mib_per_s: u64) -> Self {
        self.throughput = Some(mib_per_s);
        self
    }

    /// Encrypts the volume (with `kms_key_id` when given, else the account's default key).
    pub fn encrypted(mut self, kms_key_id: Option<String>) -> Self {
        self.encrypted = Some(true);
        self.kms_key_id = kms_key_id;
        self
    }

    /// Lets several instances attach the volume.
    pub fn multi_attach(mut self, on: bool) -> Self {
        self.multi_attach = Some(on);
        self
    }

    /// Adds a tag (besides `Name`, which is the volume's name).
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// The options in a [`CreateVolume::extra`] map.
    pub fn from_extra(extra: &Extra) -> Result<Self> {
        from_extra(extra, "create_volume")
    }

    /// These options as an `extra` map (unset fields left out).
    pub fn to_extra(&self) -> Extra {
        to_extra(self)
    }

    /// `request` with these options merged into its `extra`.
    pub fn apply(&self, mut request: CreateVolume) -> CreateVolume {
        request.extra.extend(self.to_extra());
        request
    }

    pub(crate) fn add_to(&self, params: &mut Params) {
        params.opt("VolumeType", self.volume_type.clone());
        params.opt("Iops", self.iops.map(|v| v.to_string()));
        params.opt("Throughput", self.throughput.map(|v| v.to_string()));
        params.opt("Encrypted", self.encrypted.map(|v| v.to_string()));
        params.opt("KmsKeyId", self.kms_key_id.clone());
        params.opt(
            "MultiAttachEnabled",
            self.multi_attach.map(|v| v.to_string()),
        );
    }
}

/// Which images [`Ec2Compute::ex_list_images`](crate::Ec2Compute::ex_list_images) lists
/// (Libcloud's `ex_image_ids`, `ex_owner`, `ex_executableby`, `ex_filters`).
///
/// The default lists every image the account may launch, as `list_images` does.
///
/// ```
/// use libcloud_ec2::ImageQuery;
/// let q = ImageQuery::default().owner("amazon").filter("architecture", ["x86_64"]);
/// assert_eq!(q.owners, ["amazon"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageQuery {
    /// Only these image ids.
    pub image_ids: Vec<String>,
    /// Only images of these owners: account ids, `self`, `amazon`, `aws-marketplace`.
    pub owners: Vec<String>,
    /// Only images these accounts (or `self`, `all`) may launch.
    pub executable_by: Vec<String>,
    /// EC2 filters: name to accepted values (`architecture`, `name`, `tag:Key`, ...).
    pub filters: BTreeMap<String, Vec<String>>,
}

impl ImageQuery {
    /// Adds an image id.
    pub fn image_id(mut self, id: impl Into<String>) -> Self {
        self.image_ids.push(id.into());
        self
    }

    /// Adds an owner.
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owners.push(owner.into());
        self
    }

    /// Adds an account that must be allowed to launch the images.
    pub fn executable_by(mut self, who: impl Into<String>) -> Self {
        self.executable_by.push(who.into());
        self
    }

    /// Adds a filter.
    pub fn filter<I, S>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.filters
            .entry(name.into())
            .or_default()
            .extend(values.into_iter().map(Into::into));
        self
    }

    pub(crate) fn add_to(&self, params: &mut Params) {
        params.list("ImageId", self.image_ids.iter().cloned());
        params.list("Owner", self.owners.iter().cloned());
        params.list("ExecutableBy", self.executable_by.iter().cloned());
        for (name, values) in &self.filters {
            params.filter(name, values.iter().cloned());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;
    use serde_json::json;

    #[test]
    fn node_options_round_trip_through_extra() {
        let mut o = NodeOptions {
            security_group_ids: vec!["sg-1".into()],
            subnet_id: Some("subnet-1".into()),
            client_token: Some("tok".into()),
            spot: true,
            ..Default::default()
        };
        o.block_device_mappings.push(BlockDeviceMapping::ebs(
            "/dev/sda1",
            EbsBlockDevice::new(30)
                .volume_type("gp3")
                .delete_on_termination(true),
        ));
        let extra = o.to_extra();
        assert!(!extra.contains_key("security_groups"));
        assert_eq!(NodeOptions::from_extra(&extra).unwrap(), o);
        let mut params = Params::new();
        o.add_to(&mut params).unwrap();
        assert_eq!(
            params.get("BlockDeviceMapping.1.Ebs.VolumeSize"),
            Some("30")
        );
        assert_eq!(
            params.get("BlockDeviceMapping.1.Ebs.VolumeType"),
            Some("gp3")
        );
        assert_eq!(
            params.get("BlockDeviceMapping.1.Ebs.DeleteOnTermination"),
            Some("true")
        );
        assert_eq!(params.get("SecurityGroupId.1"), Some("sg-1"));
        assert_eq!(params.get("InstanceMarketOptions.MarketType"), Some("spot"));
    }

    #[test]
    fn bad_options_are_invalid_input() {
        for bad in [
            json!({"securitygroups": ["x"]}),
            json!({"security_groups": "x"}),
            json!({"block_device_mappings": [{"ebs": {}}]}),
            json!({"spot": "yes"}),
        ] {
            let extra: Extra = serde_json::from_value(bad.clone()).unwrap();
            let err = NodeOptions::from_extra(&extra).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{bad}");
        }
        let o = NodeOptions {
            shutdown_behavior: Some("hibernate".into()),
            ..Default::default()
        };
        assert!(o.add_to(&mut Params::new()).is_err());
        let o = NodeOptions {
            block_device_mappings: vec![BlockDeviceMapping::default()],
            ..Default::default()
        };
        assert!(o.add_to(&mut Params::new()).is_err());
        let extra: Extra = serde_json::from_value(json!({"size": 3})).unwrap();
        assert!(VolumeOptions::from_extra(&extra).is_err());
    }

    #[test]
    fn image_queries_become_parameters() {
        let q = ImageQuery::default()
            .owner("self")
            .owner("amazon")
            .image_id("ami-1")
            .executable_by("all")
            .filter("architecture", ["x86_64", "arm64"]);
        let mut p = Params::new();
        q.add_to(&mut p);
        assert_eq!(p.get("Owner.2"), Some("amazon"));
        assert_eq!(p.get("ImageId.1"), Some("ami-1"));
        assert_eq!(p.get("ExecutableBy.1"), Some("all"));
        assert_eq!(p.get("Filter.1.Name"), Some("architecture"));
        assert_eq!(p.get("Filter.1.Value.2"), Some("arm64"));
    }
}
