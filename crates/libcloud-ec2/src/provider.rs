//! EC2's provider-only operations (Libcloud's `ex_*`): security groups, tags, Elastic IPs,
//! subnets and VPCs.

use std::collections::BTreeMap;

use libcloud_aws::ErrorContext;
use libcloud_core::{Error, Node, ResourceKind, Result};

use crate::client::{PROVIDER, Params, Retry};
use crate::compute::Ec2Compute;
use crate::models::{ElasticIp, IpPermission, ResourceTag, SecurityGroup, Subnet, Vpc};
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
}
