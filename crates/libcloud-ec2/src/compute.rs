//! [`Ec2Compute`]: the compute API over EC2's query API.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use libcloud_aws::{AwsClient, Endpoint, ErrorContext, Region, Service};
use libcloud_core::{
    ComputeCapabilities, ComputeDriver, CreateNode, CreateVolume, Error, ErrorKind, KeyPair, Node,
    NodeAuth, NodeImage, NodeLocation, NodeSize, ResourceKind, Result, StorageVolume, Transport,
    VolumeSnapshot,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{Client, PROVIDER, Params, Retry, tag_list};
use crate::config::Ec2Config;
use crate::options::{ImageQuery, NodeOptions, VolumeOptions};
use crate::util::{base64_encode, client_token, is_resource_id};
use crate::xml::{self, parse};

/// How many times `create_node` sends RunInstances at most, by default.
pub const DEFAULT_LAUNCH_ATTEMPTS: u32 = 3;

/// The most pages any listing follows before it gives up as malformed.
const MAX_PAGES: usize = 10_000;

/// The largest user data EC2 takes, before base64: 16 KiB.
pub const MAX_USER_DATA: usize = 16 * 1024;

/// The device names `attach_volume` picks from when none is given, as AWS recommends for EBS.
const FREE_DEVICES: &[&str] = &[
    "/dev/sdf", "/dev/sdg", "/dev/sdh", "/dev/sdi", "/dev/sdj", "/dev/sdk", "/dev/sdl", "/dev/sdm",
    "/dev/sdn", "/dev/sdo", "/dev/sdp",
];

/// A page of a `Describe*` listing: its items and the token of the next page.
pub(crate) trait Paged: DeserializeOwned {
    type Item;
    fn split(self) -> (Vec<Self::Item>, Option<String>);
}

macro_rules! paged {
    ($page:ty, $field:ident, $item:ty) => {
        impl Paged for $page {
            type Item = $item;
            fn split(self) -> (Vec<$item>, Option<String>) {
                (xml::flatten(self.$field), self.next_token)
            }
        }
    };
}

paged!(
    xml::DescribeInstances,
    reservation_set,
    xml::WireReservation
);
paged!(xml::DescribeImages, images_set, xml::WireImage);
paged!(xml::DescribeVolumes, volume_set, xml::WireVolume);
paged!(xml::DescribeSnapshots, snapshot_set, xml::WireSnapshot);
paged!(
    xml::DescribeOfferings,
    instance_type_offering_set,
    xml::WireOffering
);
paged!(
    xml::DescribeSecurityGroups,
    security_group_info,
    xml::WireSecurityGroup
);
paged!(xml::DescribeTags, tag_set, xml::WireResourceTag);
paged!(xml::DescribeSubnets, subnet_set, xml::WireSubnet);
paged!(xml::DescribeVpcs, vpc_set, xml::WireVpc);
paged!(
    xml::DescribeVolumeModifications,
    volume_modification_set,
    xml::WireVolumeModification
);

impl Paged for xml::DescribeInstanceTypes {
    type Item = Result<NodeSize>;
    fn split(self) -> (Vec<Result<NodeSize>>, Option<String>) {
        let aws = xml::flatten(self.instance_type_set)
            .into_iter()
            .map(xml::WireInstanceType::into_size);
        let euca = xml::flatten(self.instance_type_details)
            .into_iter()
            .map(xml::WireEucaType::into_size);
        (aws.chain(euca).collect(), self.next_token)
    }
}

/// Amazon EC2 as a libcloud [`ComputeDriver`].
///
/// Cheap to clone. Every request is a SigV4-signed `POST /` of the query API 2016-11-15; see
/// the crate documentation for which call serves which method.
#[derive(Clone, Debug)]
pub struct Ec2Compute {
    pub(crate) client: Client,
    region: Region,
    launch_attempts: u32,
}

impl Ec2Compute {
    /// A driver for `config` over libcloud's default HTTP transport (with its retries and
    /// timeouts).
    ///
    /// A bad endpoint URL or inconsistent keys are
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput); credentials are
    /// looked up at the first request, not here.
    pub fn new(config: Ec2Config) -> Result<Self> {
        let transport = libcloud_http::default_transport().map_err(|e| e.or_provider(PROVIDER))?;
        Self::with_transport(config, transport)
    }

    /// A driver for `config` that sends its requests through `transport`.
    pub fn with_transport(config: Ec2Config, transport: Transport) -> Result<Self> {
        let endpoint = config.endpoint()?;
        let credentials = config.credential_provider()?;
        let aws = AwsClient::new(transport, credentials, Service::Ec2, endpoint);
        Ok(Self::from_client(aws, config.region))
    }

    /// A driver over an [`AwsClient`] set up by the caller (its signing clock, its provider
    /// name); `region` names the driver's locations' region.
    pub fn from_client(aws: AwsClient, region: Region) -> Self {
        Ec2Compute {
            client: Client::new(aws),
            region,
            launch_attempts: DEFAULT_LAUNCH_ATTEMPTS,
        }
    }

    /// Sets how many times `create_node` sends RunInstances at most (default
    /// [`DEFAULT_LAUNCH_ATTEMPTS`]; 0 is taken as 1).
    pub fn with_launch_attempts(mut self, attempts: u32) -> Self {
        self.launch_attempts = attempts.max(1);
        self
    }

    /// The region the driver works in.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        self.client.aws().endpoint()
    }

    /// Sends `action` and reads its answer as `T`; a body that cannot be read is
    /// `MalformedResponse` carrying the provider and operation.
    pub(crate) async fn fetch<T: DeserializeOwned>(
        &self,
        action: &str,
        params: &Params,
        ctx: &ErrorContext,
        retry: Retry,
    ) -> Result<T> {
        let body = self.client.call(action, params, ctx, retry).await?;
        parse(&body, action).map_err(|e| {
            e.with_provider(PROVIDER)
                .with_operation(ctx.operation().to_string())
        })
    }

    /// Sends `action` and checks its `<return>`.
    pub(crate) async fn act(
        &self,
        action: &str,
        params: &Params,
        ctx: &ErrorContext,
        retry: Retry,
    ) -> Result<()> {
        let answer: xml::WireReturn = self.fetch(action, params, ctx, retry).await?;
        answer.check(action).map_err(|e| {
            e.with_provider(PROVIDER)
                .with_operation(ctx.operation().to_string())
        })
    }

    /// Every page of a `Describe*` listing; `max_results` is sent when given (EC2 refuses it
    /// together with explicit ids).
    pub(crate) async fn describe_all<P: Paged>(
        &self,
        action: &str,
        params: &Params,
        ctx: &ErrorContext,
        max_results: Option<u32>,
    ) -> Result<Vec<P::Item>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut page_params = params.clone();
            if let Some(n) = max_results {
                page_params.set("MaxResults", n.to_string());
            }
            if let Some(t) = &token {
                page_params.set("NextToken", t.clone());
            }
            let page: P = self.fetch(action, &page_params, ctx, Retry::Safe).await?;
            let (items, next) = page.split();
            out.extend(items);
            match next.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
                None => return Ok(out),
                Some(t) if token.as_deref() == Some(t.as_str()) => {
                    return Err(Error::malformed(format!(
                        "{action} returned the same NextToken twice"
                    ))
                    .with_provider(PROVIDER)
                    .with_operation(ctx.operation().to_string()));
                }
                Some(t) => token = Some(t),
            }
        }
        Err(
            Error::malformed(format!("{action} did not end after {MAX_PAGES} pages"))
                .with_provider(PROVIDER)
                .with_operation(ctx.operation().to_string()),
        )
    }

    /// The instances with these ids (all when empty) that pass these EC2 filters
    /// (`instance-state-name`, `tag:Name`, ...), every page, with their Elastic IPs among the
    /// public addresses (Libcloud's `list_nodes(ex_node_ids, ex_filters)`).
    pub async fn ex_list_nodes(
        &self,
        ids: &[String],
        filters: &BTreeMap<String, Vec<String>>,
    ) -> Result<Vec<Node>> {
        let ctx = match ids {
            [one] => ErrorContext::new("get_node").resource(ResourceKind::Node, one.clone()),
            _ => ErrorContext::new("list_nodes").resource(ResourceKind::Node, ids.join(",")),
        };
        let mut nodes = self.describe_instances(ids, filters, &ctx).await?;
        if !nodes.is_empty() {
            self.merge_elastic_ips(&mut nodes).await?;
        }
        Ok(nodes)
    }

    async fn describe_instances(
        &self,
        ids: &[String],
        filters: &BTreeMap<String, Vec<String>>,
        ctx: &ErrorContext,
    ) -> Result<Vec<Node>> {
        let mut params = Params::new();
        params.list("InstanceId", ids.iter().cloned());
        for (name, values) in filters {
            params.filter(name, values.iter().cloned());
        }
        let max = ids.is_empty().then_some(1000);
        let reservations = self
            .describe_all::<xml::DescribeInstances>("DescribeInstances", &params, ctx, max)
            .await?;
        xml::reservation_nodes(reservations).map_err(|e| {
            e.with_provider(PROVIDER)
                .with_operation(ctx.operation().to_string())
        })
    }

    async fn merge_elastic_ips(&self, nodes: &mut [Node]) -> Result<()> {
        let addresses = match self.ex_describe_all_addresses(true).await {
            Ok(a) => a,
            // Credentials that may list instances but not addresses still list the nodes, with
            // the addresses the instances show (which include their primary Elastic IP).
            Err(e) if *e.kind() == ErrorKind::PermissionDenied => return Ok(()),
            Err(e) => return Err(e),
        };
        for node in nodes.iter_mut() {
            let mine: Vec<&crate::ElasticIp> = addresses
                .iter()
                .filter(|a| a.instance_id.as_deref() == Some(node.id.as_str()))
                .collect();
            for a in &mine {
                if let Ok(ip) = a.public_ip.parse::<IpAddr>()
                    && !node.public_ips.contains(&ip)
                {
                    node.public_ips.push(ip);
                }
            }
            if !mine.is_empty() {
                node.extra.insert(
                    "elastic_ips".into(),
                    Value::Array(
                        mine.iter()
                            .map(|a| Value::from(a.public_ip.clone()))
                            .collect(),
                    ),
                );
            }
        }
        Ok(())
    }

    /// The images `query` selects (Libcloud's `list_images(ex_image_ids, ex_owner,
    /// ex_executableby, ex_filters)`).
    pub async fn ex_list_images(&self, query: &ImageQuery) -> Result<Vec<NodeImage>> {
        let op = if query.image_ids.len() == 1 {
            "get_image"
        } else {
            "list_images"
        };
        let ctx = ErrorContext::new(op).resource(ResourceKind::Image, query.image_ids.join(","));
        let mut params = Params::new();
        query.add_to(&mut params);
        // EC2 refuses MaxResults together with image ids.
        let max = query.image_ids.is_empty().then_some(1000);
        let images = self
            .describe_all::<xml::DescribeImages>("DescribeImages", &params, &ctx, max)
            .await?;
        images
            .into_iter()
            .map(xml::WireImage::into_image)
            .collect::<Result<_>>()
            .map_err(|e| e.with_provider(PROVIDER).with_operation(op))
    }

    /// The snapshots `owner` owns (`self` when `None`; an account id, `amazon`, ...), every
    /// page.
    pub async fn ex_list_snapshots(&self, owner: Option<&str>) -> Result<Vec<VolumeSnapshot>> {
        let mut params = Params::new();
        params.list("Owner", [owner.unwrap_or("self")]);
        self.snapshots(&params, "list_snapshots").await
    }

    async fn snapshots(&self, params: &Params, op: &'static str) -> Result<Vec<VolumeSnapshot>> {
        let ctx = ErrorContext::new(op);
        let snaps = self
            .describe_all::<xml::DescribeSnapshots>("DescribeSnapshots", params, &ctx, Some(1000))
            .await?;
        snaps
            .into_iter()
            .map(xml::WireSnapshot::into_snapshot)
            .collect::<Result<_>>()
            .map_err(|e| e.with_provider(PROVIDER).with_operation(op))
    }

    /// Makes an image (AMI) of a node (Libcloud's `create_image`); returns it with its new id.
    pub async fn ex_create_image(
        &self,
        node: &Node,
        name: &str,
        description: Option<&str>,
    ) -> Result<NodeImage> {
        let ctx = ErrorContext::new("create_image").resource(ResourceKind::Node, node.id.clone());
        require("node id", &node.id, "create_image")?;
        require("image name", name, "create_image")?;
        let mut params = Params::new();
        params
            .set("InstanceId", node.id.clone())
            .set("Name", name)
            .opt("Description", description);
        let answer: xml::ImageIdResponse = self
            .fetch("CreateImage", &params, &ctx, Retry::Once)
            .await?;
        image_from_id(answer, name, "create_image")
    }

    /// Copies an image from `source_region` into this driver's region (Libcloud's
    /// `copy_image`); returns the copy with its new id.
    pub async fn ex_copy_image(
        &self,
        source_region: &str,
        image_id: &str,
        name: &str,
        description: Option<&str>,
    ) -> Result<NodeImage> {
        let ctx = ErrorContext::new("copy_image").resource(ResourceKind::Image, image_id);
        require("source region", source_region, "copy_image")?;
        require("image id", image_id, "copy_image")?;
        let mut params = Params::new();
        params
            .set("SourceRegion", source_region)
            .set("SourceImageId", image_id)
            .set("Name", name)
            .opt("Description", description);
        let answer: xml::ImageIdResponse =
            self.fetch("CopyImage", &params, &ctx, Retry::Once).await?;
        image_from_id(answer, name, "copy_image")
    }

    /// Deregisters an image (Libcloud's `delete_image`).
    pub async fn ex_delete_image(&self, image: &NodeImage) -> Result<()> {
        let ctx = ErrorContext::new("delete_image").resource(ResourceKind::Image, image.id.clone());
        require("image id", &image.id, "delete_image")?;
        let mut params = Params::new();
        params.set("ImageId", image.id.clone());
        self.act("DeregisterImage", &params, &ctx, Retry::Once)
            .await
    }

    /// What a node wrote to its console, decoded.
    pub async fn ex_get_console_output(&self, node: &Node) -> Result<crate::ConsoleOutput> {
        let ctx =
            ErrorContext::new("get_console_output").resource(ResourceKind::Node, node.id.clone());
        require("node id", &node.id, "get_console_output")?;
        let mut params = Params::new();
        params.set("InstanceId", node.id.clone());
        let answer: xml::ConsoleOutput = self
            .fetch("GetConsoleOutput", &params, &ctx, Retry::Safe)
            .await?;
        let coded = crate::models::text_of(&answer.output).unwrap_or_default();
        let bytes = crate::util::base64_decode(coded).ok_or_else(|| {
            Error::malformed("the console output is not base64")
                .with_provider(PROVIDER)
                .with_operation("get_console_output")
        })?;
        Ok(crate::ConsoleOutput {
            instance_id: crate::models::text_of(&answer.instance_id)
                .unwrap_or(&node.id)
                .to_string(),
            timestamp: crate::models::text_of(&answer.timestamp).map(str::to_string),
            output: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// Registers `public_key` under a name derived from it (`libcloud-<hash>`), unless that
    /// name exists already; returns the name. This is how `NodeAuth::SshKey` reaches
    /// RunInstances, which only takes key pair names.
    async fn key_name_for(&self, public_key: &str) -> Result<String> {
        let normalized: Vec<&str> = public_key.split_whitespace().take(2).collect();
        if normalized.len() < 2 {
            return Err(Error::invalid_input(
                "NodeAuth::SshKey needs an OpenSSH public key line (\"ssh-ed25519 AAAA...\")",
            )
            .with_provider(PROVIDER)
            .with_operation("create_node"));
        }
        let digest = libcloud_core::hash::md5_hex(normalized.join(" ").as_bytes());
        let name = format!("libcloud-{}", &digest[..16]);
        match self.import_key_pair_from_string(&name, public_key).await {
            Ok(_) => Ok(name),
            Err(e) if matches!(e.kind(), ErrorKind::AlreadyExists { .. }) => Ok(name),
            Err(e) => Err(e),
        }
    }

    /// Sends RunInstances, and on a failure that may have happened after the request reached
    /// EC2 (a broken connection, a timeout, a 5xx, throttling) looks for instances launched
    /// with `token` before sending it again, so that a retry never launches twice, also on
    /// servers that ignore `ClientToken`.
    ///
    /// RunInstances is never resent blindly by the transport: it is not marked idempotent.
    async fn launch(&self, params: &Params, token: &str, name: &str) -> Result<Vec<Node>> {
        let ctx = ErrorContext::new("create_node").resource(ResourceKind::Node, name);
        let mut attempt = 1;
        loop {
            let err = match self
                .fetch::<xml::RunInstances>("RunInstances", params, &ctx, Retry::Once)
                .await
            {
                Ok(reservation) => {
                    return xml::reservation_nodes(vec![reservation])
                        .map_err(|e| e.with_provider(PROVIDER).with_operation("create_node"));
                }
                Err(e) if e.is_temporary() => e,
                Err(e) => return Err(e),
            };
            match self.find_launched(token, name).await {
                Ok(found) if !found.is_empty() => return Ok(found),
                Ok(_) if attempt < self.launch_attempts => {}
                Ok(_) => return Err(err),
                Err(check) => {
                    let said = err.message().unwrap_or_default().to_string();
                    return Err(err.with_message(format!(
                        "{said}{}whether an instance was launched could not be checked ({check}); \
                         repeat the call with client_token {token:?} to be safe",
                        if said.is_empty() { "" } else { "; " }
                    )));
                }
            }
            let wait = err
                .retry_after()
                .unwrap_or_else(|| Duration::from_millis(200 << (attempt - 1).min(5)))
                .min(Duration::from_secs(20));
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// The instances launched with `token` (and the `Name` tag `name`, when there is one).
    async fn find_launched(&self, token: &str, name: &str) -> Result<Vec<Node>> {
        let mut filters = BTreeMap::new();
        if !name.is_empty() {
            filters.insert("tag:Name".to_string(), vec![name.to_string()]);
        }
        let ctx = ErrorContext::new("create_node").resource(ResourceKind::Node, name);
        let nodes = self.describe_instances(&[], &filters, &ctx).await?;
        Ok(nodes
            .into_iter()
            .filter(|n| n.extra.get("client_token").and_then(Value::as_str) == Some(token))
            .collect())
    }

    /// The first availability zone, where volumes go when no location is given.
    async fn default_zone(&self) -> Result<String> {
        self.list_locations()
            .await?
            .into_iter()
            .next()
            .map(|l| l.id)
            .ok_or_else(|| {
                Error::not_found(ResourceKind::Location, self.region.as_str())
                    .with_provider(PROVIDER)
                    .with_message("the region lists no availability zone")
            })
    }

    /// The first device of [`FREE_DEVICES`] that `node` does not use.
    async fn free_device(&self, node_id: &str) -> Result<String> {
        let ctx = ErrorContext::new("attach_volume").resource(ResourceKind::Node, node_id);
        let mut params = Params::new();
        params.list("InstanceId", [node_id]);
        let reservations = self
            .describe_all::<xml::DescribeInstances>("DescribeInstances", &params, &ctx, None)
            .await?;
        let used: BTreeSet<String> = xml::used_devices(&reservations)
            .into_iter()
            .map(|d| d.trim_start_matches("/dev/").replacen("xvd", "sd", 1))
            .collect();
        FREE_DEVICES
            .iter()
            .find(|d| !used.contains(d.trim_start_matches("/dev/")))
            .map(|d| d.to_string())
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "node {node_id} has no free device name among /dev/sdf to /dev/sdp; name one"
                ))
                .with_provider(PROVIDER)
                .with_operation("attach_volume")
            })
    }

    /// The volumes with these ids (all when empty), every page.
    async fn describe_volumes(
        &self,
        ids: &[String],
        op: &'static str,
    ) -> Result<Vec<StorageVolume>> {
        let ctx = ErrorContext::new(op).resource(ResourceKind::Volume, ids.join(","));
        let mut params = Params::new();
        params.list("VolumeId", ids.iter().cloned());
        let max = ids.is_empty().then_some(500);
        self.describe_all::<xml::DescribeVolumes>("DescribeVolumes", &params, &ctx, max)
            .await?
            .into_iter()
            .map(xml::WireVolume::into_volume)
            .collect::<Result<_>>()
            .map_err(|e| e.with_provider(PROVIDER).with_operation(op))
    }

    async fn change_state(&self, action: &str, op: &'static str, node: &Node) -> Result<()> {
        let ctx = ErrorContext::new(op).resource(ResourceKind::Node, node.id.clone());
        require("node id", &node.id, op)?;
        let mut params = Params::new();
        params.list("InstanceId", [node.id.clone()]);
        self.act(action, &params, &ctx, Retry::Safe).await
    }
}

fn require(what: &str, value: &str, op: &'static str) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::invalid_input(format!("the {what} is empty"))
            .with_provider(PROVIDER)
            .with_operation(op))
    } else {
        Ok(())
    }
}

fn image_from_id(answer: xml::ImageIdResponse, name: &str, op: &'static str) -> Result<NodeImage> {
    let id = xml::text(&answer.image_id).ok_or_else(|| {
        Error::malformed("the answer names no imageId")
            .with_provider(PROVIDER)
            .with_operation(op)
    })?;
    Ok(NodeImage {
        id: id.to_string(),
        name: name.to_string(),
        extra: Default::default(),
    })
}

#[async_trait]
impl ComputeDriver for Ec2Compute {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> ComputeCapabilities {
        let mut caps = ComputeCapabilities::default();
        caps.auth_ssh_key = true;
        caps.start_stop = true;
        caps.key_pairs = true;
        caps.create_key_pair = true;
        caps.import_key_pair = true;
        caps.volumes = true;
        caps.snapshots = true;
        caps
    }

    async fn list_nodes(&self) -> Result<Vec<Node>> {
        self.ex_list_nodes(&[], &BTreeMap::new()).await
    }

    async fn get_node(&self, node_id: &str) -> Result<Node> {
        let not_found = || Error::not_found(ResourceKind::Node, node_id).with_provider(PROVIDER);
        if node_id.trim().is_empty() {
            return Err(not_found().with_operation("get_node"));
        }
        self.ex_list_nodes(&[node_id.to_string()], &BTreeMap::new())
            .await?
            .into_iter()
            .find(|n| n.id == node_id)
            .ok_or_else(|| not_found().with_operation("get_node"))
    }

    async fn list_sizes(&self, location: Option<&str>) -> Result<Vec<NodeSize>> {
        let ctx = ErrorContext::new("list_sizes");
        let sizes: Vec<NodeSize> = self
            .describe_all::<xml::DescribeInstanceTypes>(
                "DescribeInstanceTypes",
                &Params::new(),
                &ctx,
                Some(100),
            )
            .await?
            .into_iter()
            .collect::<Result<_>>()
            .map_err(|e| e.with_provider(PROVIDER).with_operation("list_sizes"))?;
        let zone = match location.map(str::trim) {
            None | Some("") => return Ok(sizes),
            Some(l) if l == self.region.as_str() => return Ok(sizes),
            Some(zone) => zone,
        };
        let mut params = Params::new();
        params
            .set("LocationType", "availability-zone")
            .filter("location", [zone]);
        let offered: BTreeSet<String> = self
            .describe_all::<xml::DescribeOfferings>(
                "DescribeInstanceTypeOfferings",
                &params,
                &ctx.clone().resource(ResourceKind::Location, zone),
                Some(1000),
            )
            .await?
            .into_iter()
            .filter_map(|o| xml::text(&o.instance_type).map(str::to_string))
            .collect();
        if offered.is_empty() && !self.list_locations().await?.iter().any(|l| l.id == zone) {
            return Err(Error::not_found(ResourceKind::Location, zone)
                .with_provider(PROVIDER)
                .with_operation("list_sizes"));
        }
        Ok(sizes
            .into_iter()
            .filter(|s| offered.contains(&s.id))
            .collect())
    }

    async fn list_images(&self, _location: Option<&str>) -> Result<Vec<NodeImage>> {
        // Images are regional: every zone of the region sees the same ones.
        self.ex_list_images(&ImageQuery::default()).await
    }

    async fn get_image(&self, image_id: &str) -> Result<NodeImage> {
        let not_found = || {
            Error::not_found(ResourceKind::Image, image_id)
                .with_provider(PROVIDER)
                .with_operation("get_image")
        };
        if image_id.trim().is_empty() {
            return Err(not_found());
        }
        self.ex_list_images(&ImageQuery::default().image_id(image_id))
            .await?
            .into_iter()
            .find(|i| i.id == image_id)
            .ok_or_else(not_found)
    }

    async fn list_locations(&self) -> Result<Vec<NodeLocation>> {
        let ctx = ErrorContext::new("list_locations");
        let zones: xml::DescribeZones = self
            .fetch(
                "DescribeAvailabilityZones",
                &Params::new(),
                &ctx,
                Retry::Safe,
            )
            .await?;
        xml::flatten(zones.availability_zone_info)
            .into_iter()
            .map(xml::WireZone::into_location)
            .collect::<Result<_>>()
            .map_err(|e| e.with_provider(PROVIDER).with_operation("list_locations"))
    }

    async fn create_node(&self, request: &CreateNode) -> Result<Node> {
        let bad = |msg: String| {
            Error::invalid_input(msg)
                .with_provider(PROVIDER)
                .with_operation("create_node")
        };
        if request.size.trim().is_empty() {
            return Err(bad(
                "create_node needs a size (an instance type such as t3.micro)".into(),
            ));
        }
        if !is_resource_id(request.image.trim()) {
            return Err(bad(format!(
                "{:?} is not an image id (ami-<hex digits>)",
                request.image
            )));
        }
        let options =
            NodeOptions::from_extra(&request.extra).map_err(|e| e.with_operation("create_node"))?;
        let key_name = match (&request.auth, &request.key_pair) {
            (Some(NodeAuth::Password(_)), _) => {
                return Err(bad(
                    "EC2 does not set passwords; log in with a key pair (NodeAuth::SshKey or key_pair)"
                        .into(),
                ));
            }
            (Some(NodeAuth::SshKey(_)), Some(_)) => {
                return Err(bad(
                    "give either NodeAuth::SshKey or key_pair, not both".into()
                ));
            }
            (Some(NodeAuth::SshKey(public_key)), None) => {
                Some(self.key_name_for(public_key).await?)
            }
            (None, key) => key.clone(),
        };
        let mut params = Params::new();
        params
            .set("ImageId", request.image.trim())
            .set("InstanceType", request.size.trim())
            .set("MinCount", "1")
            .set("MaxCount", "1")
            .opt("KeyName", key_name)
            .opt("Placement.AvailabilityZone", request.location.clone());
        if let Some(data) = &request.user_data {
            if data.len() > MAX_USER_DATA {
                return Err(bad(format!(
                    "user data is {} bytes; EC2 takes at most {MAX_USER_DATA}",
                    data.len()
                )));
            }
            params.set("UserData", base64_encode(data.as_bytes()));
        }
        options
            .add_to(&mut params)
            .map_err(|e| e.with_operation("create_node"))?;
        let tags = tag_list(Some(&request.name), &options.tags);
        params.tag_specification(1, "instance", &tags);
        let token = options
            .client_token
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(client_token);
        if token.len() > 64 || !token.is_ascii() {
            return Err(bad("a client_token is at most 64 ASCII characters".into()));
        }
        params.set("ClientToken", token.clone());
        let mut nodes = self.launch(&params, &token, &request.name).await?;
        if nodes.is_empty() {
            return Err(Error::malformed("RunInstances answered with no instance")
                .with_provider(PROVIDER)
                .with_operation("create_node"));
        }
        let mut node = nodes.swap_remove(0);
        if !request.name.is_empty() {
            node.name = request.name.clone();
        }
        node.extra
            .entry("client_token".to_string())
            .or_insert_with(|| Value::from(token));
        Ok(node)
    }

    async fn reboot_node(&self, node: &Node) -> Result<()> {
        let ctx = ErrorContext::new("reboot_node").resource(ResourceKind::Node, node.id.clone());
        require("node id", &node.id, "reboot_node")?;
        let mut params = Params::new();
        params.list("InstanceId", [node.id.clone()]);
        self.act("RebootInstances", &params, &ctx, Retry::Safe)
            .await
    }

    async fn start_node(&self, node: &Node) -> Result<()> {
        self.change_state("StartInstances", "start_node", node)
            .await
    }

    async fn stop_node(&self, node: &Node) -> Result<()> {
        self.change_state("StopInstances", "stop_node", node).await
    }

    async fn destroy_node(&self, node: &Node) -> Result<()> {
        self.change_state("TerminateInstances", "destroy_node", node)
            .await
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        let ctx = ErrorContext::new("list_key_pairs");
        let mut params = Params::new();
        params.set("IncludePublicKey", "true");
        let keys: xml::DescribeKeyPairs = self
            .fetch("DescribeKeyPairs", &params, &ctx, Retry::Safe)
            .await?;
        key_pairs(keys, "list_key_pairs")
    }

    async fn get_key_pair(&self, name: &str) -> Result<KeyPair> {
        let not_found = || {
            Error::not_found(ResourceKind::KeyPair, name)
                .with_provider(PROVIDER)
                .with_operation("get_key_pair")
        };
        if name.trim().is_empty() {
            return Err(not_found());
        }
        let ctx = ErrorContext::new("get_key_pair").resource(ResourceKind::KeyPair, name);
        let mut params = Params::new();
        params
            .set("IncludePublicKey", "true")
            .list("KeyName", [name]);
        let keys: xml::DescribeKeyPairs = self
            .fetch("DescribeKeyPairs", &params, &ctx, Retry::Safe)
            .await?;
        key_pairs(keys, "get_key_pair")?
            .into_iter()
            .find(|k| k.name == name)
            .ok_or_else(not_found)
    }

    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        require("key pair name", name, "create_key_pair")?;
        let ctx = ErrorContext::new("create_key_pair").resource(ResourceKind::KeyPair, name);
        let mut params = Params::new();
        params.set("KeyName", name);
        let key: xml::WireKeyPair = self
            .fetch("CreateKeyPair", &params, &ctx, Retry::Once)
            .await?;
        key.into_key_pair()
            .map_err(|e| e.with_provider(PROVIDER).with_operation("create_key_pair"))
    }

    async fn import_key_pair_from_string(&self, name: &str, key_material: &str) -> Result<KeyPair> {
        require("key pair name", name, "import_key_pair_from_string")?;
        require("public key", key_material, "import_key_pair_from_string")?;
        let ctx =
            ErrorContext::new("import_key_pair_from_string").resource(ResourceKind::KeyPair, name);
        let material = key_material.trim();
        let mut params = Params::new();
        params
            .set("KeyName", name)
            .set("PublicKeyMaterial", base64_encode(material.as_bytes()));
        let key: xml::WireKeyPair = self
            .fetch("ImportKeyPair", &params, &ctx, Retry::Once)
            .await?;
        let mut key = key.into_key_pair().map_err(|e| {
            e.with_provider(PROVIDER)
                .with_operation("import_key_pair_from_string")
        })?;
        key.public_key.get_or_insert_with(|| material.to_string());
        Ok(key)
    }

    async fn delete_key_pair(&self, key_pair: &KeyPair) -> Result<()> {
        require("key pair name", &key_pair.name, "delete_key_pair")?;
        let ctx = ErrorContext::new("delete_key_pair")
            .resource(ResourceKind::KeyPair, key_pair.name.clone());
        let mut params = Params::new();
        params.set("KeyName", key_pair.name.clone());
        self.act("DeleteKeyPair", &params, &ctx, Retry::Safe).await
    }

    async fn list_volumes(&self) -> Result<Vec<StorageVolume>> {
        self.describe_volumes(&[], "list_volumes").await
    }

    async fn create_volume(&self, request: &CreateVolume) -> Result<StorageVolume> {
        let options = VolumeOptions::from_extra(&request.extra)
            .map_err(|e| e.with_operation("create_volume"))?;
        if request.size_gb == 0 && request.snapshot.is_none() {
            return Err(
                Error::invalid_input("a volume needs a size of at least 1 GB")
                    .with_provider(PROVIDER)
                    .with_operation("create_volume"),
            );
        }
        let zone = match request.location.as_deref().map(str::trim) {
            Some(z) if !z.is_empty() => z.to_string(),
            _ => self.default_zone().await?,
        };
        let ctx =
            ErrorContext::new("create_volume").resource(ResourceKind::Volume, request.name.clone());
        let mut params = Params::new();
        params.set("AvailabilityZone", zone);
        if request.size_gb > 0 {
            params.set("Size", request.size_gb.to_string());
        }
        params.opt("SnapshotId", request.snapshot.clone());
        options.add_to(&mut params);
        params.tag_specification(1, "volume", &tag_list(Some(&request.name), &options.tags));
        let volume: xml::WireVolume = self
            .fetch("CreateVolume", &params, &ctx, Retry::Once)
            .await?;
        let mut volume = volume
            .into_volume()
            .map_err(|e| e.with_provider(PROVIDER).with_operation("create_volume"))?;
        if !request.name.is_empty() {
            volume.name = request.name.clone();
        }
        Ok(volume)
    }

    async fn attach_volume(
        &self,
        node: &Node,
        volume: &StorageVolume,
        device: Option<&str>,
    ) -> Result<()> {
        require("node id", &node.id, "attach_volume")?;
        require("volume id", &volume.id, "attach_volume")?;
        let device = match device.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => d.to_string(),
            None => self.free_device(&node.id).await?,
        };
        let ctx =
            ErrorContext::new("attach_volume").resource(ResourceKind::Volume, volume.id.clone());
        let mut params = Params::new();
        params
            .set("VolumeId", volume.id.clone())
            .set("InstanceId", node.id.clone())
            .set("Device", device);
        let _: xml::WireAttachment = self
            .fetch("AttachVolume", &params, &ctx, Retry::Once)
            .await?;
        Ok(())
    }

    async fn detach_volume(&self, volume: &StorageVolume) -> Result<()> {
        require("volume id", &volume.id, "detach_volume")?;
        let ctx =
            ErrorContext::new("detach_volume").resource(ResourceKind::Volume, volume.id.clone());
        let instance = match &volume.attached_to {
            Some(i) => Some(i.clone()),
            None => {
                self.describe_volumes(std::slice::from_ref(&volume.id), "detach_volume")
                    .await?
                    .into_iter()
                    .find(|v| v.id == volume.id)
                    .ok_or_else(|| {
                        Error::not_found(ResourceKind::Volume, volume.id.clone())
                            .with_provider(PROVIDER)
                            .with_operation("detach_volume")
                    })?
                    .attached_to
            }
        };
        let mut params = Params::new();
        params
            .set("VolumeId", volume.id.clone())
            .opt("InstanceId", instance);
        let _: xml::WireAttachment = self
            .fetch("DetachVolume", &params, &ctx, Retry::Once)
            .await?;
        Ok(())
    }

    async fn destroy_volume(&self, volume: &StorageVolume) -> Result<()> {
        require("volume id", &volume.id, "destroy_volume")?;
        let ctx =
            ErrorContext::new("destroy_volume").resource(ResourceKind::Volume, volume.id.clone());
        let mut params = Params::new();
        params.set("VolumeId", volume.id.clone());
        self.act("DeleteVolume", &params, &ctx, Retry::Once).await
    }

    async fn list_volume_snapshots(&self, volume: &StorageVolume) -> Result<Vec<VolumeSnapshot>> {
        require("volume id", &volume.id, "list_volume_snapshots")?;
        let mut params = Params::new();
        params
            .list("Owner", ["self"])
            .filter("volume-id", [volume.id.clone()]);
        self.snapshots(&params, "list_volume_snapshots").await
    }

    async fn create_volume_snapshot(
        &self,
        volume: &StorageVolume,
        name: Option<&str>,
    ) -> Result<VolumeSnapshot> {
        require("volume id", &volume.id, "create_volume_snapshot")?;
        let ctx = ErrorContext::new("create_volume_snapshot")
            .resource(ResourceKind::Volume, volume.id.clone());
        let mut params = Params::new();
        params
            .set("VolumeId", volume.id.clone())
            .opt("Description", name);
        params.tag_specification(1, "snapshot", &tag_list(name, &BTreeMap::new()));
        let snapshot: xml::WireSnapshot = self
            .fetch("CreateSnapshot", &params, &ctx, Retry::Once)
            .await?;
        let mut snapshot = snapshot.into_snapshot().map_err(|e| {
            e.with_provider(PROVIDER)
                .with_operation("create_volume_snapshot")
        })?;
        if snapshot.name.is_none() {
            snapshot.name = name.filter(|n| !n.is_empty()).map(str::to_string);
        }
        Ok(snapshot)
    }

    async fn destroy_volume_snapshot(&self, snapshot: &VolumeSnapshot) -> Result<()> {
        require("snapshot id", &snapshot.id, "destroy_volume_snapshot")?;
        let ctx = ErrorContext::new("destroy_volume_snapshot")
            .resource(ResourceKind::Snapshot, snapshot.id.clone());
        let mut params = Params::new();
        params.set("SnapshotId", snapshot.id.clone());
        self.act("DeleteSnapshot", &params, &ctx, Retry::Once).await
    }
}

fn key_pairs(keys: xml::DescribeKeyPairs, op: &'static str) -> Result<Vec<KeyPair>> {
    xml::flatten::<xml::WireKeyPair>(keys.key_set)
        .into_iter()
        .map(xml::WireKeyPair::into_key_pair)
        .collect::<Result<_>>()
        .map_err(|e| e.with_provider(PROVIDER).with_operation(op))
}
