//! Nova: servers, flavors, images and key pairs through the uniform
//! [`ComputeDriver`] API.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use futures::TryStreamExt;
use http::Method;
use libcloud_core::paging::{Page, paginate};
use libcloud_core::transport::percent_encode;
use libcloud_core::{
    ComputeCapabilities, ComputeDriver, CreateNode, Error, Extra, KeyPair, Node, NodeAuth,
    NodeImage, NodeLocation, NodeSize, NodeState, ResourceKind, Result, Secret, Transport,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::client::{Conflict, PROVIDER, Target, parse_json};
use crate::config::OpenStackConfig;
use crate::identity::Session;
use crate::json;
use crate::rest::{ServiceClient, join_url, json_request};

/// The catalog service type of Nova.
pub const COMPUTE_SERVICE_TYPE: &str = "compute";

/// The most pages a listing follows before it stops with an error (a loop guard).
const MAX_PAGES: usize = 10_000;

/// What a Nova deployment offers beyond the servers, flavors and images every one has.
///
/// All default to true, as upstream Nova has them. Some clouds lack them: Rackspace's Cloud
/// Servers never had `os-start`/`os-stop`, and Nova stopped generating key pairs at API
/// microversion 2.92. The driver's [`capabilities`](ComputeDriver::capabilities) follow these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct NovaFeatures {
    /// `os-start` / `os-stop` server actions.
    pub start_stop: bool,
    /// The `os-keypairs` API: list, get, import, delete.
    pub key_pairs: bool,
    /// Nova generates a key pair when `os-keypairs` is sent no public key.
    pub create_key_pair: bool,
}

impl Default for NovaFeatures {
    fn default() -> Self {
        NovaFeatures {
            start_stop: true,
            key_pairs: true,
            create_key_pair: true,
        }
    }
}

impl NovaFeatures {
    /// Sets whether `os-start` / `os-stop` are offered.
    pub fn with_start_stop(mut self, on: bool) -> Self {
        self.start_stop = on;
        self
    }

    /// Sets whether the key pair API is offered (and with it, generation).
    pub fn with_key_pairs(mut self, on: bool) -> Self {
        self.key_pairs = on;
        if !on {
            self.create_key_pair = false;
        }
        self
    }

    /// Sets whether Nova generates key pairs.
    pub fn with_create_key_pair(mut self, on: bool) -> Self {
        self.create_key_pair = on;
        self
    }
}

/// The OpenStack compute driver (Nova API v2 / v2.1, Libcloud's `OpenStack_1_1_NodeDriver`).
///
/// | libcloud | Nova |
/// |---|---|
/// | `list_nodes` | `GET /servers/detail`, following `servers_links` |
/// | `get_node` | `GET /servers/{id}` |
/// | `list_sizes` | `GET /flavors/detail` |
/// | `list_images`, `get_image` | `GET /images/detail`, `GET /images/{id}` |
/// | `list_locations` | the region of the compute endpoint (one location) |
/// | `create_node` | `GET /images/{id}` (a missing image is `NotFound`), `POST /servers`, `GET /servers/{id}` |
/// | `reboot_node` | `POST /servers/{id}/action` `{"reboot": {"type": "SOFT"}}` |
/// | `start_node`, `stop_node` | `os-start`, `os-stop` actions |
/// | `destroy_node` | `DELETE /servers/{id}` |
/// | key pairs | `/os-keypairs` |
///
/// `create_node` returns the password Nova generated (`adminPass`) in
/// [`Node::admin_password`], as Libcloud returns it in `extra["password"]`; a
/// [`NodeAuth::Password`] is sent as `adminPass`. Nova installs SSH keys only by key pair name
/// ([`CreateNode::key_pair`]), so [`NodeAuth::SshKey`] is refused. `CreateNode::extra` may carry
/// `security_groups` (names), `networks` (network ids or Nova's own objects),
/// `availability_zone`, `metadata` (an object of strings), `config_drive` and `disk_config`.
/// Server creation is never retried; everything else is by method (GET, DELETE), and POST
/// actions are sent once.
#[derive(Debug, Clone)]
pub struct NovaCompute {
    client: ServiceClient,
    features: NovaFeatures,
}

impl NovaCompute {
    /// A driver for `config` over the default HTTP transport.
    pub fn new(config: OpenStackConfig) -> Result<Self> {
        Self::with_transport(config, libcloud_http::default_transport()?)
    }

    /// A driver for `config` sending through `transport`.
    pub fn with_transport(config: OpenStackConfig, transport: Transport) -> Result<Self> {
        let session = Arc::new(Session::new(config.auth.clone(), transport));
        Self::with_session(session, &config)
    }

    /// A driver on an existing session (shared with other drivers, so one token serves all);
    /// `config` chooses the endpoint, its `auth` is not used.
    pub fn with_session(session: Arc<Session>, config: &OpenStackConfig) -> Result<Self> {
        Ok(NovaCompute {
            client: ServiceClient::from_config(session, config, COMPUTE_SERVICE_TYPE)?,
            features: NovaFeatures::default(),
        })
    }

    /// Declares what the deployment offers; see [`NovaFeatures`].
    pub fn with_features(mut self, features: NovaFeatures) -> Self {
        self.features = features;
        self
    }

    /// The features declared.
    pub fn features(&self) -> NovaFeatures {
        self.features
    }

    /// The session the driver authenticates with.
    pub fn session(&self) -> &Arc<Session> {
        self.client.session()
    }

    /// Reboots a node the hard way (`{"reboot": {"type": "HARD"}}`), as pulling the plug.
    pub async fn ex_hard_reboot_node(&self, node: &Node) -> Result<()> {
        self.action(node, "reboot_node", json!({ "reboot": { "type": "HARD" } }))
            .await
    }

    /// The region nodes run in: the compute endpoint's, or `default` when it has none.
    async fn location(&self) -> Result<NodeLocation> {
        let endpoint = self.client.endpoint().await?;
        let region = endpoint.region.unwrap_or_else(|| "default".to_string());
        let mut extra = Extra::new();
        extra.insert("endpoint".into(), json!(endpoint.url));
        Ok(NodeLocation {
            id: region.clone(),
            name: region,
            country: String::new(),
            extra,
        })
    }

    /// Fails with `NotFound` of a location unless `location` is this driver's.
    async fn check_location(&self, location: Option<&str>) -> Result<()> {
        if let Some(wanted) = location {
            let ours = self.location().await?;
            if ours.id != wanted {
                return Err(Error::not_found(ResourceKind::Location, wanted)
                    .with_provider(PROVIDER)
                    .with_message(format!("this driver serves the location {:?}", ours.id)));
            }
        }
        Ok(())
    }

    async fn get_json<T: DeserializeOwned>(&self, url: &str, target: &Target) -> Result<T> {
        let reply = self
            .client
            .call(json_request(Method::GET, url, None)?, target)
            .await?;
        parse_json(&reply.body, target.operation).map_err(|e| e.with_operation(target.operation))
    }

    /// Follows a Nova listing's `*_links` until the last page.
    async fn list_all<T, L>(
        &self,
        first_path: &str,
        target: Target,
        split: impl Fn(L) -> (Vec<T>, Vec<json::Link>) + Send + Sync,
    ) -> Result<Vec<T>>
    where
        T: Send,
        L: DeserializeOwned,
    {
        let base = self.client.base().await?;
        let first = join_url(&base, first_path, &[]);
        let target = &target;
        let split = &split;
        let mut pages = 0usize;
        paginate(move |token: Option<String>| {
            let url = token.unwrap_or_else(|| first.clone());
            pages += 1;
            let too_many = pages > MAX_PAGES;
            async move {
                if too_many {
                    return Err(Error::malformed(format!(
                        "{}: more than {MAX_PAGES} pages; stopping",
                        target.operation
                    ))
                    .with_provider(PROVIDER));
                }
                let list: L = self.get_json(&url, target).await?;
                let (items, links) = split(list);
                let next = json::next_link(&links).filter(|_| !items.is_empty());
                Ok(Page::new(items, next))
            }
        })
        .try_collect()
        .await
    }

    async fn action(&self, node: &Node, operation: &'static str, body: Value) -> Result<()> {
        let base = self.client.base().await?;
        let url = join_url(
            &base,
            &format!("servers/{}/action", percent_encode(&node.id, false)),
            &[],
        );
        let target = Target::new(operation, ResourceKind::Node, node.id.clone());
        self.client
            .call(json_request(Method::POST, &url, Some(&body))?, &target)
            .await?;
        Ok(())
    }

    fn require_key_pairs(&self, operation: &'static str) -> Result<()> {
        if self.features.key_pairs {
            Ok(())
        } else {
            Err(Error::unsupported(operation)
                .with_provider(PROVIDER)
                .with_message("this cloud's Nova is declared without the key pair API"))
        }
    }
}

#[async_trait]
impl ComputeDriver for NovaCompute {
    fn name(&self) -> &str {
        "openstack"
    }

    fn capabilities(&self) -> ComputeCapabilities {
        let mut caps = ComputeCapabilities::default();
        caps.auth_ssh_key = false;
        caps.auth_password = true;
        caps.generates_password = true;
        caps.start_stop = self.features.start_stop;
        caps.key_pairs = self.features.key_pairs;
        caps.create_key_pair = self.features.key_pairs && self.features.create_key_pair;
        caps.import_key_pair = self.features.key_pairs;
        caps.volumes = false;
        caps.snapshots = false;
        caps
    }

    async fn list_nodes(&self) -> Result<Vec<Node>> {
        let servers = self
            .list_all(
                "servers/detail",
                Target::new("list_nodes", ResourceKind::Node, ""),
                |l: json::ServerList| (l.servers, l.servers_links),
            )
            .await?;
        Ok(servers.into_iter().map(to_node).collect())
    }

    async fn get_node(&self, node_id: &str) -> Result<Node> {
        if node_id.is_empty() {
            return Err(Error::not_found(ResourceKind::Node, node_id).with_provider(PROVIDER));
        }
        let base = self.client.base().await?;
        let url = join_url(
            &base,
            &format!("servers/{}", percent_encode(node_id, false)),
            &[],
        );
        let target = Target::new("get_node", ResourceKind::Node, node_id);
        let env: json::ServerEnvelope = self.get_json(&url, &target).await?;
        Ok(to_node(env.server))
    }

    async fn list_sizes(&self, location: Option<&str>) -> Result<Vec<NodeSize>> {
        self.check_location(location).await?;
        let flavors = self
            .list_all(
                "flavors/detail",
                Target::new("list_sizes", ResourceKind::Size, ""),
                |l: json::FlavorList| (l.flavors, l.flavors_links),
            )
            .await?;
        Ok(flavors.into_iter().map(to_size).collect())
    }

    async fn list_images(&self, location: Option<&str>) -> Result<Vec<NodeImage>> {
        self.check_location(location).await?;
        let images = self
            .list_all(
                "images/detail",
                Target::new("list_images", ResourceKind::Image, ""),
                |l: json::ImageList| (l.images, l.images_links),
            )
            .await?;
        Ok(images.into_iter().map(to_image).collect())
    }

    async fn get_image(&self, image_id: &str) -> Result<NodeImage> {
        if image_id.is_empty() {
            return Err(Error::not_found(ResourceKind::Image, image_id).with_provider(PROVIDER));
        }
        let base = self.client.base().await?;
        let url = join_url(
            &base,
            &format!("images/{}", percent_encode(image_id, false)),
            &[],
        );
        let target = Target::new("get_image", ResourceKind::Image, image_id);
        let env: json::ImageEnvelope = self.get_json(&url, &target).await?;
        Ok(to_image(env.image))
    }

    async fn list_locations(&self) -> Result<Vec<NodeLocation>> {
        Ok(vec![self.location().await?])
    }

    async fn create_node(&self, request: &CreateNode) -> Result<Node> {
        if request.name.trim().is_empty() {
            return Err(
                Error::invalid_input("the node name must not be empty").with_provider(PROVIDER)
            );
        }
        if request.size.is_empty() {
            return Err(
                Error::invalid_input("the node size must not be empty").with_provider(PROVIDER)
            );
        }
        self.check_location(request.location.as_deref()).await?;
        let mut server = serde_json::Map::new();
        server.insert("name".into(), json!(request.name));
        server.insert("flavorRef".into(), json!(request.size));
        server.insert("imageRef".into(), json!(request.image));
        match &request.auth {
            None => {}
            Some(NodeAuth::Password(password)) => {
                server.insert("adminPass".into(), json!(password.expose()));
            }
            Some(NodeAuth::SshKey(_)) => {
                return Err(Error::unsupported("create_node")
                    .with_provider(PROVIDER)
                    .with_message(
                        "Nova installs SSH keys by key pair name: import the key and set \
                         CreateNode::key_pair",
                    ));
            }
        }
        if let Some(key) = &request.key_pair {
            server.insert("key_name".into(), json!(key));
        }
        if let Some(data) = &request.user_data {
            server.insert("user_data".into(), json!(json::base64(data.as_bytes())));
        }
        for (key, value) in &request.extra {
            match key.as_str() {
                "security_groups" => {
                    let names = value.as_array().ok_or_else(|| {
                        Error::invalid_input("extra.security_groups must be a list of names")
                    })?;
                    let groups: Vec<Value> = names
                        .iter()
                        .map(|n| match n {
                            Value::String(s) => Ok(json!({ "name": s })),
                            Value::Object(_) => Ok(n.clone()),
                            _ => Err(Error::invalid_input(
                                "extra.security_groups must be a list of names",
                            )),
                        })
                        .collect::<Result<_>>()?;
                    server.insert("security_groups".into(), Value::Array(groups));
                }
                "networks" => {
                    let networks = match value {
                        Value::String(s) => json!(s),
                        Value::Array(items) => Value::Array(
                            items
                                .iter()
                                .map(|n| match n {
                                    Value::String(s) => json!({ "uuid": s }),
                                    other => other.clone(),
                                })
                                .collect(),
                        ),
                        _ => {
                            return Err(Error::invalid_input(
                                "extra.networks must be a list of network ids, or \"auto\"",
                            ));
                        }
                    };
                    server.insert("networks".into(), networks);
                }
                "metadata" => {
                    if !value.is_object() {
                        return Err(Error::invalid_input("extra.metadata must be an object"));
                    }
                    server.insert("metadata".into(), value.clone());
                }
                "availability_zone" | "config_drive" => {
                    server.insert(key.clone(), value.clone());
                }
                "disk_config" => {
                    server.insert("OS-DCF:diskConfig".into(), value.clone());
                }
                other => {
                    return Err(Error::invalid_input(format!(
                        "unknown create_node extra {other:?} (known: security_groups, networks, \
                         metadata, availability_zone, config_drive, disk_config)"
                    ))
                    .with_provider(PROVIDER));
                }
            }
        }
        // Nova's answer to a made-up image differs between versions; asking first makes it
        // a plain NotFound everywhere, before a server is requested.
        self.get_image(&request.image)
            .await
            .map_err(|e| e.with_operation("create_node"))?;

        let base = self.client.base().await?;
        let url = join_url(&base, "servers", &[]);
        let body = json!({ "server": Value::Object(server) });
        let target = Target::new("create_node", ResourceKind::Image, request.image.clone());
        let reply = self
            .client
            .call(json_request(Method::POST, &url, Some(&body))?, &target)
            .await?;
        let created: json::CreatedServerEnvelope =
            parse_json(&reply.body, "create_node").map_err(|e| e.with_operation("create_node"))?;
        let admin_password = created
            .server
            .admin_pass
            .filter(|p| !p.is_empty())
            .map(Secret::new)
            .or_else(|| match &request.auth {
                Some(NodeAuth::Password(p)) => Some(p.clone()),
                _ => None,
            });
        let mut node = match self.get_node(&created.server.id).await {
            Ok(node) => node,
            // The server exists even if describing it failed: say what is known.
            Err(e) => {
                tracing::warn!(error = %e, "describing the new server failed");
                Node {
                    id: created.server.id.clone(),
                    name: request.name.clone(),
                    state: NodeState::Pending,
                    public_ips: Vec::new(),
                    private_ips: Vec::new(),
                    size: Some(request.size.clone()),
                    image: Some(request.image.clone()),
                    created_at: None,
                    admin_password: None,
                    extra: Extra::new(),
                }
            }
        };
        node.admin_password = admin_password;
        Ok(node)
    }

    async fn reboot_node(&self, node: &Node) -> Result<()> {
        self.action(node, "reboot_node", json!({ "reboot": { "type": "SOFT" } }))
            .await
    }

    async fn start_node(&self, node: &Node) -> Result<()> {
        if !self.features.start_stop {
            return Err(Error::unsupported("start_node").with_provider(PROVIDER));
        }
        self.action(node, "start_node", json!({ "os-start": null }))
            .await
    }

    async fn stop_node(&self, node: &Node) -> Result<()> {
        if !self.features.start_stop {
            return Err(Error::unsupported("stop_node").with_provider(PROVIDER));
        }
        self.action(node, "stop_node", json!({ "os-stop": null }))
            .await
    }

    async fn destroy_node(&self, node: &Node) -> Result<()> {
        let base = self.client.base().await?;
        let url = join_url(
            &base,
            &format!("servers/{}", percent_encode(&node.id, false)),
            &[],
        );
        let target = Target::new("destroy_node", ResourceKind::Node, node.id.clone());
        self.client
            .call(json_request(Method::DELETE, &url, None)?, &target)
            .await?;
        Ok(())
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        self.require_key_pairs("list_key_pairs")?;
        let base = self.client.base().await?;
        let url = join_url(&base, "os-keypairs", &[]);
        let target = Target::new("list_key_pairs", ResourceKind::KeyPair, "");
        let list: json::KeyPairList = self.get_json(&url, &target).await?;
        Ok(list
            .keypairs
            .into_iter()
            .map(|k| to_key_pair(k.keypair, false))
            .collect())
    }

    async fn get_key_pair(&self, name: &str) -> Result<KeyPair> {
        self.require_key_pairs("get_key_pair")?;
        if name.is_empty() {
            return Err(Error::not_found(ResourceKind::KeyPair, name).with_provider(PROVIDER));
        }
        let base = self.client.base().await?;
        let url = join_url(
            &base,
            &format!("os-keypairs/{}", percent_encode(name, false)),
            &[],
        );
        let target = Target::new("get_key_pair", ResourceKind::KeyPair, name);
        let env: json::KeyPairEnvelope = self.get_json(&url, &target).await?;
        Ok(to_key_pair(env.keypair, false))
    }

    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        self.require_key_pairs("create_key_pair")?;
        if !self.features.create_key_pair {
            return Err(Error::unsupported("create_key_pair")
                .with_provider(PROVIDER)
                .with_message("this cloud's Nova is declared not to generate key pairs"));
        }
        self.post_key_pair("create_key_pair", name, None).await
    }

    async fn import_key_pair_from_string(&self, name: &str, key_material: &str) -> Result<KeyPair> {
        self.require_key_pairs("import_key_pair_from_string")?;
        let material = key_material.trim();
        if material.is_empty() {
            return Err(Error::invalid_input("the public key is empty").with_provider(PROVIDER));
        }
        self.post_key_pair("import_key_pair_from_string", name, Some(material))
            .await
    }

    async fn delete_key_pair(&self, key_pair: &KeyPair) -> Result<()> {
        self.require_key_pairs("delete_key_pair")?;
        let base = self.client.base().await?;
        let url = join_url(
            &base,
            &format!("os-keypairs/{}", percent_encode(&key_pair.name, false)),
            &[],
        );
        let target = Target::new(
            "delete_key_pair",
            ResourceKind::KeyPair,
            key_pair.name.clone(),
        );
        self.client
            .call(json_request(Method::DELETE, &url, None)?, &target)
            .await?;
        Ok(())
    }
}

impl NovaCompute {
    async fn post_key_pair(
        &self,
        operation: &'static str,
        name: &str,
        public_key: Option<&str>,
    ) -> Result<KeyPair> {
        if name.trim().is_empty() {
            return Err(
                Error::invalid_input("the key pair name must not be empty").with_provider(PROVIDER)
            );
        }
        let base = self.client.base().await?;
        let url = join_url(&base, "os-keypairs", &[]);
        let mut keypair = json!({ "name": name });
        if let (Some(key), Value::Object(map)) = (public_key, &mut keypair) {
            map.insert("public_key".into(), json!(key));
        }
        let body = json!({ "keypair": keypair });
        let target = Target::new(operation, ResourceKind::KeyPair, name).on_conflict(
            Conflict::AlreadyExists(ResourceKind::KeyPair, name.to_string()),
        );
        let reply = self
            .client
            .call(json_request(Method::POST, &url, Some(&body))?, &target)
            .await?;
        let env: json::KeyPairEnvelope =
            parse_json(&reply.body, operation).map_err(|e| e.with_operation(operation))?;
        Ok(to_key_pair(env.keypair, public_key.is_none()))
    }
}

/// Nova's server status as a libcloud state.
pub fn node_state(status: &str) -> NodeState {
    match status.to_ascii_uppercase().as_str() {
        "ACTIVE" | "VERIFY_RESIZE" => NodeState::Running,
        "BUILD" | "REBUILD" | "PREP_RESIZE" | "PASSWORD" | "RESCUE" | "SHELVED_OFFLOADING" => {
            NodeState::Pending
        }
        "REBOOT" | "HARD_REBOOT" => NodeState::Rebooting,
        "RESIZE" | "REVERT_RESIZE" => NodeState::Reconfiguring,
        "SUSPENDED" => NodeState::Suspended,
        "PAUSED" => NodeState::Paused,
        "SHUTOFF" | "STOPPED" | "SHELVED" | "SHELVED_OFFLOADED" => NodeState::Stopped,
        "DELETED" | "SOFT_DELETED" => NodeState::Terminated,
        "ERROR" => NodeState::Error,
        "MIGRATING" => NodeState::Migrating,
        _ => NodeState::Unknown,
    }
}

/// The `id` of a `{"id": ...}` reference, or `None` (an image of `""` means a volume boot).
fn ref_id(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => map.get("id").and_then(|v| match v {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Whether an address is reachable from the internet (not private, loopback, link-local,
/// shared or unique-local).
fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            // Unique-local fc00::/7, link-local fe80::/10, site-local fec0::/10.
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0)
        }
    }
}

fn push_unique(list: &mut Vec<IpAddr>, ip: IpAddr) {
    if !list.contains(&ip) {
        list.push(ip);
    }
}

fn to_node(server: json::Server) -> Node {
    let mut public_ips = Vec::new();
    let mut private_ips = Vec::new();
    for (label, addresses) in &server.addresses {
        let public_label = matches!(label.to_ascii_lowercase().as_str(), "public" | "internet");
        for address in addresses {
            let Ok(ip) = address.addr.parse::<IpAddr>() else {
                continue;
            };
            let floating = address.ip_type.as_deref() == Some("floating");
            if floating || public_label || is_public(&ip) {
                push_unique(&mut public_ips, ip);
            } else {
                push_unique(&mut private_ips, ip);
            }
        }
    }
    for access in [&server.access_ipv4, &server.access_ipv6]
        .into_iter()
        .flatten()
    {
        if let Ok(ip) = access.parse::<IpAddr>()
            && !private_ips.contains(&ip)
        {
            push_unique(&mut public_ips, ip);
        }
    }
    let status = server.status.clone().unwrap_or_default();
    let mut extra = Extra::new();
    extra.insert("status".into(), json!(status));
    for key in [
        "OS-EXT-STS:task_state",
        "OS-EXT-STS:vm_state",
        "OS-EXT-STS:power_state",
        "OS-EXT-AZ:availability_zone",
        "OS-DCF:diskConfig",
        "key_name",
        "metadata",
        "tenant_id",
        "user_id",
        "hostId",
        "updated",
        "progress",
        "security_groups",
        "config_drive",
    ] {
        if let Some(value) = server.rest.get(key)
            && !value.is_null()
        {
            let name = key.rsplit(':').next().unwrap_or(key);
            extra.insert(name.to_string(), value.clone());
        }
    }
    if !server.addresses.is_empty() {
        let addresses: BTreeMap<&String, Vec<&String>> = server
            .addresses
            .iter()
            .map(|(k, v)| (k, v.iter().map(|a| &a.addr).collect()))
            .collect();
        extra.insert("addresses".into(), json!(addresses));
    }
    Node {
        name: server.name.clone().unwrap_or_default(),
        id: server.id,
        state: node_state(&status),
        public_ips,
        private_ips,
        size: ref_id(&server.flavor),
        image: ref_id(&server.image),
        created_at: server.created.as_deref().and_then(json::parse_timestamp),
        admin_password: server.admin_pass.filter(|p| !p.is_empty()).map(Secret::new),
        extra,
    }
}

fn to_size(flavor: json::Flavor) -> NodeSize {
    let mut extra = Extra::new();
    if let Some(vcpus) = flavor.vcpus {
        extra.insert("vcpus".into(), json!(vcpus));
    }
    for key in [
        "swap",
        "rxtx_factor",
        "OS-FLV-EXT-DATA:ephemeral",
        "OS-FLV-WITH-EXT-SPECS:extra_specs",
        "os-flavor-access:is_public",
        "OS-FLV-DISABLED:disabled",
        "description",
    ] {
        if let Some(value) = flavor.rest.get(key)
            && !value.is_null()
        {
            let name = key.rsplit(':').next().unwrap_or(key);
            extra.insert(name.to_string(), value.clone());
        }
    }
    NodeSize {
        name: flavor.name.unwrap_or_else(|| flavor.id.clone()),
        id: flavor.id,
        ram_mb: flavor.ram.unwrap_or(0),
        disk_gb: flavor.disk.unwrap_or(0),
        bandwidth: None,
        price: None,
        extra,
    }
}

fn to_image(image: json::Image) -> NodeImage {
    let mut extra = Extra::new();
    for key in [
        "status",
        "progress",
        "minRam",
        "minDisk",
        "created",
        "updated",
        "metadata",
        "server",
        "OS-EXT-IMG-SIZE:size",
    ] {
        if let Some(value) = image.rest.get(key)
            && !value.is_null()
        {
            let name = key.rsplit(':').next().unwrap_or(key);
            extra.insert(name.to_string(), value.clone());
        }
    }
    NodeImage {
        name: image.name.unwrap_or_else(|| image.id.clone()),
        id: image.id,
        extra,
    }
}

fn to_key_pair(key: json::KeyPair, with_private: bool) -> KeyPair {
    let mut extra = Extra::new();
    for (k, v) in key.rest {
        if !v.is_null() {
            extra.insert(k, v);
        }
    }
    KeyPair {
        name: key.name,
        public_key: key.public_key.filter(|k| !k.is_empty()),
        fingerprint: key.fingerprint.unwrap_or_default(),
        private_key: if with_private {
            key.private_key.filter(|k| !k.is_empty()).map(Secret::new)
        } else {
            None
        },
        extra,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn states() {
        assert_eq!(node_state("ACTIVE"), NodeState::Running);
        assert_eq!(node_state("build"), NodeState::Pending);
        assert_eq!(node_state("HARD_REBOOT"), NodeState::Rebooting);
        assert_eq!(node_state("SHUTOFF"), NodeState::Stopped);
        assert_eq!(node_state("DELETED"), NodeState::Terminated);
        assert_eq!(node_state("RESIZE"), NodeState::Reconfiguring);
        assert_eq!(node_state("ERROR"), NodeState::Error);
        assert_eq!(node_state("whatever"), NodeState::Unknown);
    }

    #[test]
    fn addresses_are_sorted_into_public_and_private() {
        let server: json::Server = serde_json::from_value(json!({
            "id": 12,
            "name": "n",
            "status": "ACTIVE",
            "addresses": {
                "private": [{"addr": "10.0.0.5", "version": 4},
                            {"addr": "172.24.4.9", "version": 4, "OS-EXT-IPS:type": "floating"}],
                "public": [{"addr": "10.9.9.9", "version": 4}],
                "mynet": [{"addr": "8.8.4.4", "version": 4}, {"addr": "fd00::1", "version": 6},
                          {"addr": "not an ip"}]
            },
            "accessIPv4": "",
            "image": "",
            "flavor": {"id": "2"}
        }))
        .unwrap();
        let node = to_node(server);
        assert_eq!(node.id, "12");
        let public: Vec<String> = node.public_ips.iter().map(|i| i.to_string()).collect();
        let private: Vec<String> = node.private_ips.iter().map(|i| i.to_string()).collect();
        assert_eq!(public, ["8.8.4.4", "172.24.4.9", "10.9.9.9"]);
        assert_eq!(private, ["fd00::1", "10.0.0.5"]);
        assert_eq!(node.image, None);
        assert_eq!(node.size.as_deref(), Some("2"));
    }

    #[test]
    fn features_follow_each_other() {
        let f = NovaFeatures::default().with_key_pairs(false);
        assert!(!f.key_pairs && !f.create_key_pair && f.start_stop);
    }
}
