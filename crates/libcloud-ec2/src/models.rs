//! The models of EC2's provider-only operations: security groups, Elastic IPs, tags, subnets
//! and VPCs.

use std::collections::BTreeMap;

use libcloud_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::client::PROVIDER;
use crate::xml::{
    WireAddress, WirePermission, WireResourceTag, WireSecurityGroup, WireSubnet,
    WireVolumeModification, WireVpc, tag_map,
};
use crate::xml::{boolean, number, owned, text};

/// Another security group a rule names (`UserIdGroupPair`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupPair {
    /// The group's id.
    pub group_id: Option<String>,
    /// The group's name.
    pub group_name: Option<String>,
    /// The account that owns it.
    pub user_id: Option<String>,
}

/// One rule of a security group: a protocol, a port range and where traffic may come from
/// (or go to).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IpPermission {
    /// `tcp`, `udp`, `icmp`, a protocol number, or `-1` for all.
    pub protocol: String,
    /// The first port (or ICMP type); `None` for all.
    pub from_port: Option<i32>,
    /// The last port (or ICMP code); `None` for all.
    pub to_port: Option<i32>,
    /// IPv4 ranges in CIDR notation.
    pub cidr_ips: Vec<String>,
    /// IPv6 ranges in CIDR notation.
    pub cidr_ipv6s: Vec<String>,
    /// Security groups.
    pub groups: Vec<GroupPair>,
}

impl IpPermission {
    /// A rule for `protocol` on ports `from`..=`to`.
    pub fn new(protocol: impl Into<String>, from: i32, to: i32) -> Self {
        IpPermission {
            protocol: protocol.into(),
            from_port: Some(from),
            to_port: Some(to),
            ..Default::default()
        }
    }

    /// A TCP rule for one port.
    pub fn tcp(port: i32) -> Self {
        IpPermission::new("tcp", port, port)
    }

    /// Allows an IPv4 range (`0.0.0.0/0`).
    pub fn cidr(mut self, cidr: impl Into<String>) -> Self {
        self.cidr_ips.push(cidr.into());
        self
    }

    /// Allows an IPv6 range (`::/0`).
    pub fn cidr_ipv6(mut self, cidr: impl Into<String>) -> Self {
        self.cidr_ipv6s.push(cidr.into());
        self
    }

    /// Allows a security group, by id.
    pub fn group_id(mut self, id: impl Into<String>) -> Self {
        self.groups.push(GroupPair {
            group_id: Some(id.into()),
            ..Default::default()
        });
        self
    }

    pub(crate) fn add_to(&self, params: &mut crate::client::Params, n: usize) -> Result<()> {
        let p = format!("IpPermissions.{n}");
        if self.protocol.trim().is_empty() {
            return Err(
                Error::invalid_input("a security group rule needs a protocol")
                    .with_provider(PROVIDER),
            );
        }
        params.set(format!("{p}.IpProtocol"), self.protocol.trim());
        params.opt(
            &format!("{p}.FromPort"),
            self.from_port.map(|v| v.to_string()),
        );
        params.opt(&format!("{p}.ToPort"), self.to_port.map(|v| v.to_string()));
        for (i, c) in self.cidr_ips.iter().enumerate() {
            params.set(format!("{p}.IpRanges.{}.CidrIp", i + 1), c.clone());
        }
        for (i, c) in self.cidr_ipv6s.iter().enumerate() {
            params.set(format!("{p}.Ipv6Ranges.{}.CidrIpv6", i + 1), c.clone());
        }
        for (i, g) in self.groups.iter().enumerate() {
            let q = format!("{p}.Groups.{}", i + 1);
            params.opt(&format!("{q}.GroupId"), g.group_id.clone());
            params.opt(&format!("{q}.GroupName"), g.group_name.clone());
            params.opt(&format!("{q}.UserId"), g.user_id.clone());
        }
        Ok(())
    }

    fn from_wire(w: WirePermission) -> Result<Self> {
        Ok(IpPermission {
            protocol: owned(&w.ip_protocol).unwrap_or_else(|| "-1".into()),
            from_port: number(&w.from_port, "from port")?,
            to_port: number(&w.to_port, "to port")?,
            cidr_ips: w
                .ip_ranges
                .unwrap_or_default()
                .items
                .iter()
                .filter_map(|r| owned(&r.cidr_ip))
                .collect(),
            cidr_ipv6s: w
                .ipv6_ranges
                .unwrap_or_default()
                .items
                .iter()
                .filter_map(|r| owned(&r.cidr_ipv6))
                .collect(),
            groups: w
                .groups
                .unwrap_or_default()
                .items
                .into_iter()
                .map(|g| GroupPair {
                    group_id: owned(&g.group_id),
                    group_name: owned(&g.group_name),
                    user_id: owned(&g.user_id),
                })
                .collect(),
        })
    }
}

/// A security group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SecurityGroup {
    /// Its id (`sg-...`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The VPC it belongs to, if any.
    pub vpc_id: Option<String>,
    /// The account that owns it.
    pub owner_id: Option<String>,
    /// Inbound rules.
    pub ingress: Vec<IpPermission>,
    /// Outbound rules.
    pub egress: Vec<IpPermission>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

impl SecurityGroup {
    pub(crate) fn from_wire(w: WireSecurityGroup) -> Result<Self> {
        let id = owned(&w.group_id)
            .ok_or_else(|| Error::malformed("a security group has no groupId"))?;
        Ok(SecurityGroup {
            name: owned(&w.group_name).unwrap_or_else(|| id.clone()),
            id,
            description: owned(&w.group_description).unwrap_or_default(),
            vpc_id: owned(&w.vpc_id),
            owner_id: owned(&w.owner_id),
            ingress: w
                .ip_permissions
                .unwrap_or_default()
                .items
                .into_iter()
                .map(IpPermission::from_wire)
                .collect::<Result<_>>()?,
            egress: w
                .ip_permissions_egress
                .unwrap_or_default()
                .items
                .into_iter()
                .map(IpPermission::from_wire)
                .collect::<Result<_>>()?,
            tags: tag_map(w.tag_set),
        })
    }
}

/// An Elastic IP address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ElasticIp {
    /// The address.
    pub public_ip: String,
    /// `vpc` or `standard` (EC2-Classic).
    pub domain: String,
    /// The allocation id of a VPC address (`eipalloc-...`).
    pub allocation_id: Option<String>,
    /// The instance it is associated with.
    pub instance_id: Option<String>,
    /// The association id of a VPC address (`eipassoc-...`).
    pub association_id: Option<String>,
    /// The network interface it is associated with.
    pub network_interface_id: Option<String>,
    /// The private address it maps to.
    pub private_ip: Option<String>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

impl ElasticIp {
    pub(crate) fn from_wire(w: WireAddress) -> Result<Self> {
        let public_ip =
            owned(&w.public_ip).ok_or_else(|| Error::malformed("an address has no publicIp"))?;
        Ok(ElasticIp {
            public_ip,
            domain: owned(&w.domain).unwrap_or_else(|| "standard".into()),
            allocation_id: owned(&w.allocation_id),
            instance_id: owned(&w.instance_id),
            association_id: owned(&w.association_id),
            network_interface_id: owned(&w.network_interface_id),
            private_ip: owned(&w.private_ip_address),
            tags: tag_map(w.tag_set),
        })
    }
}

/// One tag of one resource, as `DescribeTags` lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResourceTag {
    /// The resource's id.
    pub resource_id: String,
    /// Its type (`instance`, `volume`, ...).
    pub resource_type: String,
    /// The tag's key.
    pub key: String,
    /// The tag's value.
    pub value: String,
}

impl ResourceTag {
    pub(crate) fn from_wire(w: WireResourceTag) -> Result<Self> {
        Ok(ResourceTag {
            resource_id: owned(&w.resource_id)
                .ok_or_else(|| Error::malformed("a tag has no resourceId"))?,
            resource_type: owned(&w.resource_type).unwrap_or_default(),
            key: owned(&w.key).ok_or_else(|| Error::malformed("a tag has no key"))?,
            value: w.value.as_deref().unwrap_or_default().trim().to_string(),
        })
    }
}

/// A VPC subnet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Subnet {
    /// Its id (`subnet-...`).
    pub id: String,
    /// Its `Name` tag, else its id.
    pub name: String,
    /// Its state (`available`).
    pub state: String,
    /// The VPC it belongs to.
    pub vpc_id: Option<String>,
    /// Its IPv4 range.
    pub cidr_block: Option<String>,
    /// Its availability zone.
    pub availability_zone: Option<String>,
    /// How many addresses are free.
    pub available_ip_address_count: Option<u64>,
    /// Whether it is its zone's default subnet.
    pub default_for_az: bool,
    /// Whether instances launched in it get a public address.
    pub map_public_ip_on_launch: bool,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

impl Subnet {
    pub(crate) fn from_wire(w: WireSubnet) -> Result<Self> {
        let id = owned(&w.subnet_id).ok_or_else(|| Error::malformed("a subnet has no subnetId"))?;
        let tags = tag_map(w.tag_set);
        Ok(Subnet {
            name: tags.get("Name").cloned().unwrap_or_else(|| id.clone()),
            id,
            state: owned(&w.state).unwrap_or_default(),
            vpc_id: owned(&w.vpc_id),
            cidr_block: owned(&w.cidr_block),
            availability_zone: owned(&w.availability_zone),
            available_ip_address_count: number(&w.available_ip_address_count, "address count")?,
            default_for_az: boolean(&w.default_for_az).unwrap_or(false),
            map_public_ip_on_launch: boolean(&w.map_public_ip_on_launch).unwrap_or(false),
            tags,
        })
    }
}

/// A VPC (Libcloud's `EC2Network`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Vpc {
    /// Its id (`vpc-...`).
    pub id: String,
    /// Its `Name` tag, else its id.
    pub name: String,
    /// Its IPv4 range.
    pub cidr_block: Option<String>,
    /// Its state (`available`).
    pub state: String,
    /// Its DHCP options set.
    pub dhcp_options_id: Option<String>,
    /// `default` or `dedicated`.
    pub instance_tenancy: Option<String>,
    /// Whether it is the region's default VPC.
    pub is_default: bool,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

impl Vpc {
    pub(crate) fn from_wire(w: WireVpc) -> Result<Self> {
        let id = owned(&w.vpc_id).ok_or_else(|| Error::malformed("a VPC has no vpcId"))?;
        let tags = tag_map(w.tag_set);
        Ok(Vpc {
            name: tags.get("Name").cloned().unwrap_or_else(|| id.clone()),
            id,
            cidr_block: owned(&w.cidr_block),
            state: owned(&w.state).unwrap_or_default(),
            dhcp_options_id: owned(&w.dhcp_options_id),
            instance_tenancy: owned(&w.instance_tenancy),
            is_default: boolean(&w.is_default).unwrap_or(false),
            tags,
        })
    }
}

/// A change of a volume's size, type or performance, as
/// [`Ec2Compute::ex_modify_volume`](crate::Ec2Compute::ex_modify_volume) asks for it.
///
/// ```
/// use libcloud_ec2::VolumeChange;
/// let change = VolumeChange::default().size_gb(100).volume_type("gp3").iops(4000);
/// assert_eq!(change.size_gb, Some(100));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VolumeChange {
    /// The new size in GiB (volumes only grow).
    pub size_gb: Option<u64>,
    /// The new type.
    pub volume_type: Option<String>,
    /// The new provisioned IOPS.
    pub iops: Option<u64>,
    /// The new throughput in MiB/s.
    pub throughput: Option<u64>,
}

impl VolumeChange {
    /// Grows the volume to `size_gb` GiB.
    pub fn size_gb(mut self, size_gb: u64) -> Self {
        self.size_gb = Some(size_gb);
        self
    }

    /// Changes the volume type.
    pub fn volume_type(mut self, volume_type: impl Into<String>) -> Self {
        self.volume_type = Some(volume_type.into());
        self
    }

    /// Changes the provisioned IOPS.
    pub fn iops(mut self, iops: u64) -> Self {
        self.iops = Some(iops);
        self
    }

    /// Changes the throughput.
    pub fn throughput(mut self, mib_per_s: u64) -> Self {
        self.throughput = Some(mib_per_s);
        self
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.size_gb.is_none()
            && self.volume_type.is_none()
            && self.iops.is_none()
            && self.throughput.is_none()
    }
}

/// The state of a volume modification (`modifying`, `optimizing`, `completed`, `failed`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VolumeModification {
    /// The volume.
    pub volume_id: String,
    /// `modifying`, `optimizing`, `completed` or `failed`.
    pub state: String,
    /// Why it failed, when it did.
    pub status_message: Option<String>,
    /// Percent done.
    pub progress: Option<u64>,
    /// The size asked for, in GiB.
    pub target_size_gb: Option<u64>,
    /// The type asked for.
    pub target_volume_type: Option<String>,
    /// The IOPS asked for.
    pub target_iops: Option<u64>,
    /// The throughput asked for.
    pub target_throughput: Option<u64>,
    /// The size before, in GiB.
    pub original_size_gb: Option<u64>,
    /// The type before.
    pub original_volume_type: Option<String>,
    /// The IOPS before.
    pub original_iops: Option<u64>,
    /// When it started, as EC2 reports it.
    pub start_time: Option<String>,
    /// When it ended, as EC2 reports it.
    pub end_time: Option<String>,
}

impl VolumeModification {
    pub(crate) fn from_wire(w: WireVolumeModification) -> Result<Self> {
        Ok(VolumeModification {
            volume_id: owned(&w.volume_id)
                .ok_or_else(|| Error::malformed("a volume modification has no volumeId"))?,
            state: owned(&w.modification_state).unwrap_or_default(),
            status_message: owned(&w.status_message),
            progress: number(&w.progress, "progress")?,
            target_size_gb: number(&w.target_size, "target size")?,
            target_volume_type: owned(&w.target_volume_type),
            target_iops: number(&w.target_iops, "target IOPS")?,
            target_throughput: number(&w.target_throughput, "target throughput")?,
            original_size_gb: number(&w.original_size, "original size")?,
            original_volume_type: owned(&w.original_volume_type),
            original_iops: number(&w.original_iops, "original IOPS")?,
            start_time: owned(&w.start_time),
            end_time: owned(&w.end_time),
        })
    }
}

/// What an instance wrote to its console.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConsoleOutput {
    /// The instance.
    pub instance_id: String,
    /// When the output was captured, as EC2 reports it.
    pub timestamp: Option<String>,
    /// The text, decoded from base64 (invalid UTF-8 replaced).
    pub output: String,
}

pub(crate) fn text_of(field: &Option<String>) -> Option<&str> {
    text(field)
}
