//! EC2's provider-only operations (Libcloud's `ex_*`): security groups, tags, Elastic IPs,
//! subnets and VPCs.

use std::collections::BTreeMap;

use libcloud_aws::ErrorContext;
use libcloud_core::{Error, Node, ResourceKind, Result};

use crate::client::tag_list;
use crate::client::{PROVIDER, Params, Retry};
use crate::compute::Ec2Compute;
use crate::models::{
    ElasticIp, IpPermission, ResourceTag, SecurityGroup, Subnet, VolumeChange, VolumeModification,
    Vpc,
};
use crate::xml;

fn blank(what: &str, value: &str, op: &'static str) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::invalid_input(format!("the {what} is empty"))
            .with_provider(PROVIDER)
            .with_operation(op))
    } else {
        Ok(())
    }
}

/// Refuses an address that names neither a public IP nor an allocation id.
fn check_address(address: &ElasticIp, op: &'static str) -> Result<()> {
    if address.public_ip.trim().is_empty() && address.allocation_id.is_none() {
        return Err(Error::invalid_input(
            "the Elastic IP has neither a public address nor an allocation id",
        )
        .with_provider(PROVIDER)
        .with_operation(op));
    }
    Ok(())
}

fn annotate<T>(result: Result<T>, op: &'static str) -> Result<T> {
    result.map_err(|e| e.with_provider(PROVIDER).with_operation(op))
}

impl Ec2Compute {
    // -- Security groups -------------------------------------------------------------------

    /// Every security group, every page (Libcloud's `ex_get_security_groups`).
    pub async fn ex_list_security_groups(&self) -> Result<Vec<SecurityGroup>> {
        self.security_groups(&Params::new(), "list_security_groups", Some(1000))
            .await
    }

    /// The security group with this id.
    pub async fn ex_get_security_group(&self, group_id: &str) -> Result<SecurityGroup> {
        let not_found = || {
            Error::not_found(ResourceKind::Other, group_id)
                .with_provider(PROVIDER)
                .with_operation("get_security_group")
        };
        if group_id.trim().is_empty() {
            return Err(not_found());
        }
        let mut params = Params::new();
        params.list("GroupId", [group_id]);
        self.security_groups(&params, "get_security_group", None)
            .await?
            .into_iter()
            .find(|g| g.id == group_id)
            .ok_or_else(not_found)
    }

    async fn security_groups(
        &self,
        params: &Params,
        op: &'static str,
        max: Option<u32>,
    ) -> Result<Vec<SecurityGroup>> {
        let ctx = ErrorContext::new(op).resource(
            ResourceKind::Other,
            params.get("GroupId.1").unwrap_or_default().to_string(),
        );
        let groups = self
            .describe_all::<xml::DescribeSecurityGroups>(
                "DescribeSecurityGroups",
                params,
                &ctx,
                max,
            )
            .await?;
        annotate(
            groups.into_iter().map(SecurityGroup::from_wire).collect(),
            op,
        )
    }

    /// Creates a security group, in `vpc_id` when given (else the default VPC); returns its id.
    pub async fn ex_create_security_group(
        &self,
        name: &str,
        description: &str,
        vpc_id: Option<&str>,
    ) -> Result<String> {
        blank("security group name", name, "create_security_group")?;
        blank(
            "security group description",
            description,
            "create_security_group",
        )?;
        let ctx = ErrorContext::new("create_security_group").resource(ResourceKind::Other, name);
        let mut params = Params::new();
        params
            .set("GroupName", name)
            .set("GroupDescription", description)
            .opt("VpcId", vpc_id);
        let answer: xml::CreateSecurityGroup = self
            .fetch("CreateSecurityGroup", &params, &ctx, Retry::Once)
            .await?;
        let ret = xml::WireReturn {
            value: answer.value,
        };
        annotate(ret.check("CreateSecurityGroup"), "create_security_group")?;
        xml::text(&answer.group_id)
            .map(str::to_string)
            .ok_or_else(|| {
                Error::malformed("CreateSecurityGroup answered without a groupId")
                    .with_provider(PROVIDER)
                    .with_operation("create_security_group")
            })
    }

    /// Deletes a security group by id.
    pub async fn ex_delete_security_group(&self, group_id: &str) -> Result<()> {
        blank("security group id", group_id, "delete_security_group")?;
        let ctx =
            ErrorContext::new("delete_security_group").resource(ResourceKind::Other, group_id);
        let mut params = Params::new();
        params.set("GroupId", group_id);
        self.act("DeleteSecurityGroup", &params, &ctx, Retry::Once)
            .await
    }

    /// Adds inbound rules to a security group.
    pub async fn ex_authorize_security_group_ingress(
        &self,
        group_id: &str,
        rules: &[IpPermission],
    ) -> Result<()> {
        self.rules(
            "AuthorizeSecurityGroupIngress",
            "authorize_security_group_ingress",
            group_id,
            rules,
        )
        .await
    }

    /// Removes inbound rules from a security group.
    pub async fn ex_revoke_security_group_ingress(
        &self,
        group_id: &str,
        rules: &[IpPermission],
    ) -> Result<()> {
        self.rules(
            "RevokeSecurityGroupIngress",
            "revoke_security_group_ingress",
            group_id,
            rules,
        )
        .await
    }

    /// Adds outbound rules to a VPC security group.
    pub async fn ex_authorize_security_group_egress(
        &self,
        group_id: &str,
        rules: &[IpPermission],
    ) -> Result<()> {
        self.rules(
            "AuthorizeSecurityGroupEgress",
            "authorize_security_group_egress",
            group_id,
            rules,
        )
        .await
    }

    /// Removes outbound rules from a VPC security group.
    pub async fn ex_revoke_security_group_egress(
        &self,
        group_id: &str,
        rules: &[IpPermission],
    ) -> Result<()> {
        self.rules(
            "RevokeSecurityGroupEgress",
            "revoke_security_group_egress",
            group_id,
            rules,
        )
        .await
    }

    async fn rules(
        &self,
        action: &str,
        op: &'static str,
        group_id: &str,
        rules: &[IpPermission],
    ) -> Result<()> {
        blank("security group id", group_id, op)?;
        if rules.is_empty() {
            return Err(
                Error::invalid_input(format!("{op} needs at least one rule"))
                    .with_provider(PROVIDER)
                    .with_operation(op),
            );
        }
        let ctx = ErrorContext::new(op).resource(ResourceKind::Other, group_id);
        let mut params = Params::new();
        params.set("GroupId", group_id);
        for (i, rule) in rules.iter().enumerate() {
            annotate(rule.add_to(&mut params, i + 1), op)?;
        }
        // Adding a rule twice fails with InvalidPermission.Duplicate; removing one twice with
        // InvalidPermission.NotFound: neither may be resent blindly.
        self.act(action, &params, &ctx, Retry::Once).await
    }

    // -- Tags ------------------------------------------------------------------------------

    /// Sets tags on a resource (an instance, volume, snapshot, image, security group, ...);
    /// existing keys get the new values.
    pub async fn ex_create_tags(
        &self,
        resource_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<()> {
        blank("resource id", resource_id, "create_tags")?;
        if tags.is_empty() {
            return Ok(());
        }
        let ctx = ErrorContext::new("create_tags").resource(ResourceKind::Other, resource_id);
        let mut params = Params::new();
        params.list("ResourceId", [resource_id]);
        let list: Vec<(String, String)> =
            tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        params.tags("Tag", &list);
        self.act("CreateTags", &params, &ctx, Retry::Safe).await
    }

    /// Removes the tags with these keys from a resource, whatever their values.
    pub async fn ex_delete_tags(&self, resource_id: &str, keys: &[String]) -> Result<()> {
        blank("resource id", resource_id, "delete_tags")?;
        if keys.is_empty() {
            return Ok(());
        }
        let ctx = ErrorContext::new("delete_tags").resource(ResourceKind::Other, resource_id);
        let mut params = Params::new();
        params.list("ResourceId", [resource_id]);
        for (i, key) in keys.iter().enumerate() {
            params.set(format!("Tag.{}.Key", i + 1), key.clone());
        }
        self.act("DeleteTags", &params, &ctx, Retry::Safe).await
    }

    /// The tags of one resource (Libcloud's `ex_describe_tags`).
    pub async fn ex_describe_tags(&self, resource_id: &str) -> Result<BTreeMap<String, String>> {
        blank("resource id", resource_id, "describe_tags")?;
        let mut filters = BTreeMap::new();
        filters.insert("resource-id".to_string(), vec![resource_id.to_string()]);
        Ok(self
            .ex_list_tags(&filters)
            .await?
            .into_iter()
            .filter(|t| t.resource_id == resource_id)
            .map(|t| (t.key, t.value))
            .collect())
    }

    /// Every tag of every resource that passes these filters (`resource-id`,
    /// `resource-type`, `key`, `value`), every page.
    pub async fn ex_list_tags(
        &self,
        filters: &BTreeMap<String, Vec<String>>,
    ) -> Result<Vec<ResourceTag>> {
        let ctx = ErrorContext::new("list_tags");
        let mut params = Params::new();
        for (name, values) in filters {
            params.filter(name, values.iter().cloned());
        }
        let tags = self
            .describe_all::<xml::DescribeTags>("DescribeTags", &params, &ctx, Some(1000))
            .await?;
        annotate(
            tags.into_iter().map(ResourceTag::from_wire).collect(),
            "list_tags",
        )
    }

    // -- Elastic IPs -----------------------------------------------------------------------

    /// Allocates an Elastic IP, for use in a VPC when `vpc` (the usual case today), else in
    /// EC2-Classic.
    pub async fn ex_allocate_address(&self, vpc: bool) -> Result<ElasticIp> {
        let ctx = ErrorContext::new("allocate_address");
        let mut params = Params::new();
        if vpc {
            params.set("Domain", "vpc");
        }
        let answer: xml::WireAddress = self
            .fetch("AllocateAddress", &params, &ctx, Retry::Once)
            .await?;
        annotate(ElasticIp::from_wire(answer), "allocate_address")
    }

    /// The account's Elastic IPs; only those associated with something when
    /// `only_associated` (Libcloud's `ex_describe_all_addresses`).
    pub async fn ex_describe_all_addresses(&self, only_associated: bool) -> Result<Vec<ElasticIp>> {
        let ctx = ErrorContext::new("describe_addresses");
        let answer: xml::DescribeAddresses = self
            .fetch("DescribeAddresses", &Params::new(), &ctx, Retry::Safe)
            .await?;
        let all: Vec<ElasticIp> = annotate(
            xml::flatten(answer.addresses_set)
                .into_iter()
                .map(ElasticIp::from_wire)
                .collect(),
            "describe_addresses",
        )?;
        Ok(all
            .into_iter()
            .filter(|a| !only_associated || a.instance_id.is_some() || a.association_id.is_some())
            .collect())
    }

    /// Associates an Elastic IP with a node; returns the association id of a VPC address.
    pub async fn ex_associate_address_with_node(
        &self,
        node: &Node,
        address: &ElasticIp,
    ) -> Result<Option<String>> {
        blank("node id", &node.id, "associate_address")?;
        check_address(address, "associate_address")?;
        let ctx = ErrorContext::new("associate_address")
            .resource(ResourceKind::Other, address.public_ip.clone());
        let mut params = Params::new();
        params.set("InstanceId", node.id.clone());
        match &address.allocation_id {
            Some(id) => params.set("AllocationId", id.clone()),
            None => params.set("PublicIp", address.public_ip.clone()),
        };
        let answer: xml::AssociateAddress = self
            .fetch("AssociateAddress", &params, &ctx, Retry::Once)
            .await?;
        let ret = xml::WireReturn {
            value: answer.value,
        };
        annotate(ret.check("AssociateAddress"), "associate_address")?;
        Ok(xml::text(&answer.association_id).map(str::to_string))
    }

    /// Takes an Elastic IP off whatever it is associated with.
    pub async fn ex_disassociate_address(&self, address: &ElasticIp) -> Result<()> {
        check_address(address, "disassociate_address")?;
        let ctx = ErrorContext::new("disassociate_address")
            .resource(ResourceKind::Other, address.public_ip.clone());
        let mut params = Params::new();
        match (&address.association_id, &address.allocation_id) {
            (Some(id), _) => params.set("AssociationId", id.clone()),
            (None, Some(_)) => {
                return Err(Error::invalid_input(format!(
                    "the VPC address {} has no association id; describe it again first",
                    address.public_ip
                ))
                .with_provider(PROVIDER)
                .with_operation("disassociate_address"));
            }
            (None, None) => params.set("PublicIp", address.public_ip.clone()),
        };
        self.act("DisassociateAddress", &params, &ctx, Retry::Once)
            .await
    }

    /// Gives an Elastic IP back.
    pub async fn ex_release_address(&self, address: &ElasticIp) -> Result<()> {
        check_address(address, "release_address")?;
        let ctx = ErrorContext::new("release_address")
            .resource(ResourceKind::Other, address.public_ip.clone());
        let mut params = Params::new();
        match &address.allocation_id {
            Some(id) => params.set("AllocationId", id.clone()),
            None => params.set("PublicIp", address.public_ip.clone()),
        };
        self.act("ReleaseAddress", &params, &ctx, Retry::Once).await
    }

    // -- Networks --------------------------------------------------------------------------

    /// The VPC subnets, every page (Libcloud's `ex_list_subnets`).
    pub async fn ex_list_subnets(&self) -> Result<Vec<Subnet>> {
        let ctx = ErrorContext::new("list_subnets");
        let subnets = self
            .describe_all::<xml::DescribeSubnets>(
                "DescribeSubnets",
                &Params::new(),
                &ctx,
                Some(1000),
            )
            .await?;
        annotate(
            subnets.into_iter().map(Subnet::from_wire).collect(),
            "list_subnets",
        )
    }

    /// The VPCs, every page (Libcloud's `ex_list_networks`).
    pub async fn ex_list_networks(&self) -> Result<Vec<Vpc>> {
        let ctx = ErrorContext::new("list_networks");
        let vpcs = self
            .describe_all::<xml::DescribeVpcs>("DescribeVpcs", &Params::new(), &ctx, Some(1000))
            .await?;
        annotate(
            vpcs.into_iter().map(Vpc::from_wire).collect(),
            "list_networks",
        )
    }

    /// Creates a VPC with the IPv4 range `cidr_block` (Libcloud's `ex_create_network`);
    /// `name` becomes its `Name` tag, `tenancy` is `default` or `dedicated`.
    pub async fn ex_create_network(
        &self,
        cidr_block: &str,
        name: Option<&str>,
        tenancy: Option<&str>,
    ) -> Result<Vpc> {
        blank("CIDR block", cidr_block, "create_network")?;
        let ctx = ErrorContext::new("create_network").resource(ResourceKind::Other, cidr_block);
        let mut params = Params::new();
        params
            .set("CidrBlock", cidr_block)
            .opt("InstanceTenancy", tenancy);
        params.tag_specification(1, "vpc", &tag_list(name, &BTreeMap::new()));
        let answer: xml::CreateVpc = self.fetch("CreateVpc", &params, &ctx, Retry::Once).await?;
        let vpc = answer.vpc.ok_or_else(|| {
            Error::malformed("CreateVpc answered without a vpc")
                .with_provider(PROVIDER)
                .with_operation("create_network")
        })?;
        let mut vpc = annotate(Vpc::from_wire(vpc), "create_network")?;
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            vpc.name = n.to_string();
        }
        Ok(vpc)
    }

    /// Deletes a VPC (Libcloud's `ex_delete_network`).
    pub async fn ex_delete_network(&self, vpc_id: &str) -> Result<()> {
        blank("VPC id", vpc_id, "delete_network")?;
        let ctx = ErrorContext::new("delete_network").resource(ResourceKind::Other, vpc_id);
        let mut params = Params::new();
        params.set("VpcId", vpc_id);
        self.act("DeleteVpc", &params, &ctx, Retry::Once).await
    }

    /// Creates a subnet of `vpc_id` with the range `cidr_block`, in `availability_zone` when
    /// given (Libcloud's `ex_create_subnet`); `name` becomes its `Name` tag.
    pub async fn ex_create_subnet(
        &self,
        vpc_id: &str,
        cidr_block: &str,
        availability_zone: Option<&str>,
        name: Option<&str>,
    ) -> Result<Subnet> {
        blank("VPC id", vpc_id, "create_subnet")?;
        blank("CIDR block", cidr_block, "create_subnet")?;
        let ctx = ErrorContext::new("create_subnet").resource(ResourceKind::Other, vpc_id);
        let mut params = Params::new();
        params
            .set("VpcId", vpc_id)
            .set("CidrBlock", cidr_block)
            .opt("AvailabilityZone", availability_zone);
        params.tag_specification(1, "subnet", &tag_list(name, &BTreeMap::new()));
        let answer: xml::CreateSubnet = self
            .fetch("CreateSubnet", &params, &ctx, Retry::Once)
            .await?;
        let subnet = answer.subnet.ok_or_else(|| {
            Error::malformed("CreateSubnet answered without a subnet")
                .with_provider(PROVIDER)
                .with_operation("create_subnet")
        })?;
        let mut subnet = annotate(Subnet::from_wire(subnet), "create_subnet")?;
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            subnet.name = n.to_string();
        }
        Ok(subnet)
    }

    /// Deletes a subnet (Libcloud's `ex_delete_subnet`).
    pub async fn ex_delete_subnet(&self, subnet_id: &str) -> Result<()> {
        blank("subnet id", subnet_id, "delete_subnet")?;
        let ctx = ErrorContext::new("delete_subnet").resource(ResourceKind::Other, subnet_id);
        let mut params = Params::new();
        params.set("SubnetId", subnet_id);
        self.act("DeleteSubnet", &params, &ctx, Retry::Once).await
    }

    // -- Resizing --------------------------------------------------------------------------

    /// Changes a stopped node's instance type (Libcloud's `ex_change_node_size`).
    pub async fn ex_change_node_size(&self, node: &Node, size: &str) -> Result<()> {
        blank("node id", &node.id, "change_node_size")?;
        blank("size", size, "change_node_size")?;
        let ctx =
            ErrorContext::new("change_node_size").resource(ResourceKind::Node, node.id.clone());
        let mut params = Params::new();
        params
            .set("InstanceId", node.id.clone())
            .set("InstanceType.Value", size);
        self.act("ModifyInstanceAttribute", &params, &ctx, Retry::Safe)
            .await
    }

    /// Grows a volume or changes its type or performance (Libcloud's `ex_modify_volume`);
    /// returns the modification, which goes on after this returns.
    pub async fn ex_modify_volume(
        &self,
        volume: &libcloud_core::StorageVolume,
        change: &VolumeChange,
    ) -> Result<VolumeModification> {
        blank("volume id", &volume.id, "modify_volume")?;
        if change.is_empty() {
            return Err(Error::invalid_input("the volume change changes nothing")
                .with_provider(PROVIDER)
                .with_operation("modify_volume"));
        }
        let ctx =
            ErrorContext::new("modify_volume").resource(ResourceKind::Volume, volume.id.clone());
        let mut params = Params::new();
        params
            .set("VolumeId", volume.id.clone())
            .opt("Size", change.size_gb.map(|v| v.to_string()))
            .opt("VolumeType", change.volume_type.clone())
            .opt("Iops", change.iops.map(|v| v.to_string()))
            .opt("Throughput", change.throughput.map(|v| v.to_string()));
        let answer: xml::ModifyVolume = self
            .fetch("ModifyVolume", &params, &ctx, Retry::Once)
            .await?;
        let modification = answer.volume_modification.ok_or_else(|| {
            Error::malformed("ModifyVolume answered without a volumeModification")
                .with_provider(PROVIDER)
                .with_operation("modify_volume")
        })?;
        annotate(VolumeModification::from_wire(modification), "modify_volume")
    }

    /// The modifications of these volumes (all when empty), every page (Libcloud's
    /// `ex_describe_volumes_modifications`).
    pub async fn ex_describe_volumes_modifications(
        &self,
        volume_ids: &[String],
    ) -> Result<Vec<VolumeModification>> {
        let ctx = ErrorContext::new("describe_volumes_modifications")
            .resource(ResourceKind::Volume, volume_ids.join(","));
        let mut params = Params::new();
        params.list("VolumeId", volume_ids.iter().cloned());
        let max = volume_ids.is_empty().then_some(500);
        let mods = self
            .describe_all::<xml::DescribeVolumeModifications>(
                "DescribeVolumesModifications",
                &params,
                &ctx,
                max,
            )
            .await?;
        annotate(
            mods.into_iter()
                .map(VolumeModification::from_wire)
                .collect(),
            "describe_volumes_modifications",
        )
    }
}
