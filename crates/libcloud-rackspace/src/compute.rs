//! Cloud Servers: the OpenStack compute driver with Rackspace's identity, service name and
//! regions.

use std::sync::Arc;

use async_trait::async_trait;
use libcloud_core::{
    ComputeCapabilities, ComputeDriver, CreateNode, Error, KeyPair, Node, NodeImage, NodeLocation,
    NodeSize, ResourceKind, Result, Transport,
};
use libcloud_openstack::{COMPUTE_SERVICE_TYPE, NovaCompute, NovaFeatures, Session};
use serde_json::json;

use crate::client::{PROVIDER, relabel};
use crate::config::{RackspaceConfig, Region};

/// The catalog service name of Cloud Servers (the OpenStack generation).
pub const CLOUD_SERVERS_SERVICE_NAME: &str = "cloudServersOpenStack";

/// What Cloud Servers offers of Nova's optional APIs: key pairs (listed, imported, generated),
/// but no `os-start` / `os-stop`.
pub fn cloud_servers_features() -> NovaFeatures {
    NovaFeatures::default().with_start_stop(false)
}

/// The Rackspace Cloud Servers driver (Libcloud's `RackspaceNodeDriver`): Nova from the
/// `compute` service named `cloudServersOpenStack` in the configured region.
///
/// Every operation is [`NovaCompute`]'s (see there for the requests, the `create_node` extras
/// and the generated password); errors carry the provider `rackspace`. The one location is the
/// configured region, its id the catalog's name (`DFW`), with its city and country; a location
/// given to `list_sizes`, `list_images` or `create_node` may be written in either case
/// (`dfw`). Start and stop are not offered ([`cloud_servers_features`]); a stand-in that lacks
/// more is described with [`with_features`](Self::with_features).
#[derive(Debug, Clone)]
pub struct CloudServers {
    nova: NovaCompute,
    region: Region,
}

impl CloudServers {
    /// A driver for `config` over the default HTTP transport.
    pub fn new(config: &RackspaceConfig) -> Result<Self> {
        Self::with_transport(config, libcloud_http::default_transport()?)
    }

    /// A driver for `config` sending through `transport`.
    pub fn with_transport(config: &RackspaceConfig, transport: Transport) -> Result<Self> {
        Self::with_session(config.session(transport), config)
    }

    /// A driver on an existing session (shared with other drivers, so one token serves all);
    /// `config` chooses the endpoint, its `auth` is not used.
    pub fn with_session(session: Arc<Session>, config: &RackspaceConfig) -> Result<Self> {
        let service = config.service(
            COMPUTE_SERVICE_TYPE,
            Some(CLOUD_SERVERS_SERVICE_NAME),
            true,
            config.endpoints.compute.as_ref(),
        );
        let nova = NovaCompute::with_session(session, &service)
            .map_err(relabel)?
            .with_features(cloud_servers_features());
        Ok(CloudServers {
            nova,
            region: config.region,
        })
    }

    /// Declares what the deployment offers of Nova's optional APIs.
    pub fn with_features(mut self, features: NovaFeatures) -> Self {
        self.nova = self.nova.with_features(features);
        self
    }

    /// The OpenStack driver underneath, for what only it offers.
    pub fn nova(&self) -> &NovaCompute {
        &self.nova
    }

    /// The region served.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The session the driver authenticates with.
    pub fn session(&self) -> &Arc<Session> {
        self.nova.session()
    }

    /// Reboots a node the hard way, as pulling the plug.
    pub async fn ex_hard_reboot_node(&self, node: &Node) -> Result<()> {
        self.nova.ex_hard_reboot_node(node).await.map_err(relabel)
    }

    /// The region's catalog name for a location the caller gave, or `NotFound` of it.
    fn location(&self, location: Option<&str>) -> Result<Option<&'static str>> {
        match location {
            None => Ok(None),
            Some(wanted) if wanted.trim().eq_ignore_ascii_case(self.region.as_str()) => {
                Ok(Some(self.region.catalog_name()))
            }
            Some(wanted) => Err(Error::not_found(ResourceKind::Location, wanted)
                .with_provider(PROVIDER)
                .with_message(format!(
                    "this driver serves the region {}",
                    self.region.catalog_name()
                ))),
        }
    }
}

#[async_trait]
impl ComputeDriver for CloudServers {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> ComputeCapabilities {
        self.nova.capabilities()
    }

    async fn list_nodes(&self) -> Result<Vec<Node>> {
        self.nova.list_nodes().await.map_err(relabel)
    }

    async fn get_node(&self, node_id: &str) -> Result<Node> {
        self.nova.get_node(node_id).await.map_err(relabel)
    }

    async fn list_sizes(&self, location: Option<&str>) -> Result<Vec<NodeSize>> {
        let location = self.location(location)?;
        self.nova.list_sizes(location).await.map_err(relabel)
    }

    async fn list_images(&self, location: Option<&str>) -> Result<Vec<NodeImage>> {
        let location = self.location(location)?;
        self.nova.list_images(location).await.map_err(relabel)
    }

    async fn get_image(&self, image_id: &str) -> Result<NodeImage> {
        self.nova.get_image(image_id).await.map_err(relabel)
    }

    async fn list_locations(&self) -> Result<Vec<NodeLocation>> {
        let mut locations = self.nova.list_locations().await.map_err(relabel)?;
        for location in &mut locations {
            if location.id.eq_ignore_ascii_case(self.region.as_str()) {
                location.name = self.region.city().to_string();
                location.country = self.region.country().to_string();
                location
                    .extra
                    .insert("region".into(), json!(self.region.as_str()));
            }
        }
        Ok(locations)
    }

    async fn create_node(&self, request: &CreateNode) -> Result<Node> {
        let mut request = request.clone();
        request.location = self
            .location(request.location.as_deref())?
            .map(str::to_string);
        self.nova.create_node(&request).await.map_err(relabel)
    }

    async fn reboot_node(&self, node: &Node) -> Result<()> {
        self.nova.reboot_node(node).await.map_err(relabel)
    }

    async fn start_node(&self, node: &Node) -> Result<()> {
        self.nova.start_node(node).await.map_err(relabel)
    }

    async fn stop_node(&self, node: &Node) -> Result<()> {
        self.nova.stop_node(node).await.map_err(relabel)
    }

    async fn destroy_node(&self, node: &Node) -> Result<()> {
        self.nova.destroy_node(node).await.map_err(relabel)
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        self.nova.list_key_pairs().await.map_err(relabel)
    }

    async fn get_key_pair(&self, name: &str) -> Result<KeyPair> {
        self.nova.get_key_pair(name).await.map_err(relabel)
    }

    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        self.nova.create_key_pair(name).await.map_err(relabel)
    }

    async fn import_key_pair_from_string(&self, name: &str, key_material: &str) -> Result<KeyPair> {
        self.nova
            .import_key_pair_from_string(name, key_material)
            .await
            .map_err(relabel)
    }

    async fn delete_key_pair(&self, key_pair: &KeyPair) -> Result<()> {
        self.nova.delete_key_pair(key_pair).await.map_err(relabel)
    }
}
