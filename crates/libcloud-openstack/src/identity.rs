//! Identity: getting a token from Keystone (v2, v3) or Swift's tempauth, the service catalog
//! that comes with it, and a [`Session`] that caches the token, renews it before it expires
//! and once more when a service answers 401.
//!
//! This module knows no compute or storage API; other OpenStack-based drivers (Rackspace) build
//! on it as the Nova and Swift drivers of this crate do.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderValue, Method, StatusCode};
use libcloud_core::transport::{self, Idempotent, Operation, Request, Response};
use libcloud_core::{Body, Error, ResourceKind, Result, Secret, Transport};
use serde_json::{Value, json};

use crate::client::{BODY_LIMIT, PROVIDER, Target, parse_error, parse_json};
use crate::config::{AuthConfig, AuthMethod, Interface, NameOrId, Scope, version_from_url};
use crate::json;
use crate::rest::{check_base_url, clip};

/// The header that carries the token on every request.
pub const AUTH_TOKEN_HEADER: &str = "x-auth-token";

/// How long before its expiry a cached token is replaced by default: 60 s.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// One URL of a service in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL (`https://nova.example.com:8774/v2.1/<project>`).
    pub url: String,
    /// Its region; `None` when the catalog gives none (or an empty one).
    pub region: Option<String>,
    /// Which interface it is.
    pub interface: Interface,
}

/// A service of the catalog: its type, its name, and its endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service type (`compute`, `object-store`, `rax:load-balancer`).
    pub service_type: String,
    /// The service name (`nova`, `swift`, `cloudServersOpenStack`), when the catalog gives one.
    pub name: Option<String>,
    /// Its endpoints.
    pub endpoints: Vec<Endpoint>,
}

/// What to look for in a [`ServiceCatalog`]: a type, and optionally a name and a region, on
/// one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointFilter {
    /// The service type; required.
    pub service_type: String,
    /// The service name; any when `None`.
    pub name: Option<String>,
    /// The region; any when `None`. An endpoint without a region does not match a filter
    /// that names one.
    pub region: Option<String>,
    /// The interface.
    pub interface: Interface,
}

impl EndpointFilter {
    /// A filter for the public endpoint of `service_type`, any name, any region.
    pub fn new(service_type: impl Into<String>) -> Self {
        EndpointFilter {
            service_type: service_type.into(),
            name: None,
            region: None,
            interface: Interface::Public,
        }
    }

    /// Narrows to a service name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Narrows to a region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Chooses the interface.
    pub fn with_interface(mut self, interface: Interface) -> Self {
        self.interface = interface;
        self
    }

    fn describe(&self) -> String {
        let mut out = format!("type {:?}", self.service_type);
        if let Some(name) = &self.name {
            out.push_str(&format!(", name {name:?}"));
        }
        if let Some(region) = &self.region {
            out.push_str(&format!(", region {region:?}"));
        }
        out.push_str(&format!(", interface {}", self.interface));
        out
    }
}

/// The services a token gives access to, and their endpoints.
///
/// [`endpoint`](Self::endpoint) chooses exactly one: no match is an error that lists what the
/// catalog has, and several different URLs matching is an error that lists them, never a
/// guess.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceCatalog {
    /// Every service, in the order the identity service listed them.
    pub services: Vec<Service>,
}

impl ServiceCatalog {
    /// A catalog of these services.
    pub fn new(services: Vec<Service>) -> Self {
        ServiceCatalog { services }
    }

    /// Every (service, endpoint) pair that `filter` matches.
    pub fn matching(&self, filter: &EndpointFilter) -> Vec<(&Service, &Endpoint)> {
        self.services
            .iter()
            .filter(|s| s.service_type == filter.service_type)
            .filter(|s| filter.name.is_none() || s.name == filter.name)
            .flat_map(|s| s.endpoints.iter().map(move |e| (s, e)))
            .filter(|(_, e)| e.interface == filter.interface)
            .filter(|(_, e)| filter.region.is_none() || e.region == filter.region)
            .collect()
    }

    /// The one endpoint `filter` matches.
    ///
    /// Several matches with the same URL count as one. No match, or several URLs, is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput) whose message says what was asked for and what the catalog
    /// offers, so that the region or service name can be set to choose.
    pub fn endpoint(&self, filter: &EndpointFilter) -> Result<&Endpoint> {
        let found = self.matching(filter);
        let Some((_, first)) = found.first() else {
            return Err(Error::invalid_input(format!(
                "no endpoint in the service catalog matches {}; the catalog has: {}",
                filter.describe(),
                self.describe()
            ))
            .with_provider(PROVIDER));
        };
        if found.iter().all(|(_, e)| e.url == first.url) {
            return Ok(first);
        }
        let choices: Vec<String> = found
            .iter()
            .map(|(s, e)| {
                format!(
                    "{} (name {}, region {}) {}",
                    s.service_type,
                    s.name.as_deref().unwrap_or("-"),
                    e.region.as_deref().unwrap_or("-"),
                    e.url
                )
            })
            .collect();
        Err(Error::invalid_input(format!(
            "{} endpoints in the service catalog match {}; set the service name or region to \
             choose one of: {}",
            found.len(),
            filter.describe(),
            choices.join("; ")
        ))
        .with_provider(PROVIDER))
    }

    /// One line per service: `type/name: region interface, ...`, for error messages.
    pub fn describe(&self) -> String {
        if self.services.is_empty() {
            return "no services (is the token scoped to a project?)".into();
        }
        self.services
            .iter()
            .map(|s| {
                let endpoints: Vec<String> = s
                    .endpoints
                    .iter()
                    .map(|e| format!("{} {}", e.region.as_deref().unwrap_or("-"), e.interface))
                    .collect();
                format!(
                    "{}/{} [{}]",
                    s.service_type,
                    s.name.as_deref().unwrap_or("-"),
                    endpoints.join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A token from the identity service, with what came with it.
///
/// `Debug` never shows the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token, sent as `X-Auth-Token`.
    pub id: Secret,
    /// When it expires; `None` when the service did not say (it is then used until a 401).
    pub expires_at: Option<SystemTime>,
    /// The service catalog.
    pub catalog: ServiceCatalog,
    /// The project (tenant) the token is scoped to, by id, when known.
    pub project_id: Option<String>,
    /// The project's name, when known.
    pub project_name: Option<String>,
    /// The user's id, when known.
    pub user_id: Option<String>,
    /// The user's name, when known.
    pub user_name: Option<String>,
    /// The identity API that issued it: 1 (tempauth), 2 or 3.
    pub identity_version: u8,
}

impl Token {
    /// A token with no catalog, for a service URL given by hand.
    pub fn new(id: impl Into<Secret>, expires_at: Option<SystemTime>) -> Self {
        Token {
            id: id.into(),
            expires_at,
            catalog: ServiceCatalog::default(),
            project_id: None,
            project_name: None,
            user_id: None,
            user_name: None,
            identity_version: 0,
        }
    }

    /// Whether the token is still good at `now` for at least `margin`.
    pub fn is_fresh(&self, now: SystemTime, margin: Duration) -> bool {
        match self.expires_at {
            None => true,
            Some(expiry) => now.checked_add(margin).is_some_and(|t| t < expiry),
        }
    }
}

/// A source of the current time, replaceable in tests.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// An authenticated connection to an OpenStack cloud: the credentials, the transport, and the
/// current token.
///
/// [`token`](Self::token) returns the cached token while it has more than the refresh margin
/// (default [`DEFAULT_REFRESH_MARGIN`]) left, and authenticates again otherwise; concurrent
/// callers share one authentication. [`send`](Self::send) adds the token to a request and, when
/// the service answers 401 (a token revoked or expired early), authenticates again and resends
/// the request once, if its body is held in memory. Drivers built on one session share its
/// token.
pub struct Session {
    auth: AuthConfig,
    transport: Transport,
    cached: tokio::sync::Mutex<Option<Arc<Token>>>,
    margin: Duration,
    clock: Clock,
    authentications: AtomicU64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("auth_url", &self.auth.auth_url)
            .field("identity_version", &self.auth.method.identity_version())
            .field("refresh_margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session that authenticates with `auth` over `transport`. Nothing is sent until a
    /// token is needed.
    pub fn new(auth: AuthConfig, transport: Transport) -> Self {
        Session {
            auth,
            transport,
            cached: tokio::sync::Mutex::new(None),
            margin: DEFAULT_REFRESH_MARGIN,
            clock: Arc::new(SystemTime::now),
            authentications: AtomicU64::new(0),
        }
    }

    /// Sets how long before expiry a token is replaced. Default [`DEFAULT_REFRESH_MARGIN`].
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Replaces the clock that expiry is judged by (for tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The credentials this session authenticates with.
    pub fn auth(&self) -> &AuthConfig {
        &self.auth
    }

    /// The transport requests go through.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// How many times this session has authenticated.
    pub fn authentications(&self) -> u64 {
        self.authentications.load(Ordering::Relaxed)
    }

    /// The current token: the cached one while it is fresh, else a new one.
    pub async fn token(&self) -> Result<Arc<Token>> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref()
            && token.is_fresh((self.clock)(), self.margin)
        {
            return Ok(token.clone());
        }
        let token = Arc::new(self.fetch().await?);
        *cached = Some(token.clone());
        Ok(token)
    }

    /// Authenticates now, replacing any cached token.
    pub async fn authenticate(&self) -> Result<Arc<Token>> {
        let mut cached = self.cached.lock().await;
        let token = Arc::new(self.fetch().await?);
        *cached = Some(token.clone());
        Ok(token)
    }

    /// Installs a token obtained elsewhere (Libcloud's `ex_force_auth_token`). It is used
    /// until it expires or a service refuses it; then the session authenticates itself.
    pub async fn set_token(&self, token: Token) {
        *self.cached.lock().await = Some(Arc::new(token));
    }

    /// Forgets the cached token if it is still `token`, so that the next call authenticates.
    pub async fn invalidate(&self, token: &Token) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.id == token.id) {
            *cached = None;
        }
    }

    /// The endpoint the catalog of the current token gives for `filter`.
    ///
    /// Tempauth tokens have a single storage URL and no regions; the region of the filter is
    /// not applied to them.
    pub async fn endpoint(&self, filter: &EndpointFilter) -> Result<Endpoint> {
        let token = self.token().await?;
        if token.identity_version == 1 {
            let mut filter = filter.clone();
            filter.region = None;
            return token.catalog.endpoint(&filter).cloned();
        }
        token.catalog.endpoint(filter).cloned()
    }

    /// Sends `request` with the current token in `X-Auth-Token` and returns the response,
    /// whatever its status.
    ///
    /// A 401 answer makes the session forget that token, authenticate again and resend the
    /// request once with the new token, when the body can be sent again (it is held in
    /// memory). A second 401 is returned as it is, for the driver to report.
    pub async fn send(&self, request: Request) -> Result<Response> {
        let token = self.token().await?;
        let (parts, body) = request.into_parts();
        let again = body.try_clone().map(|b| (parts.clone(), b));
        let response = self
            .send_with(&token, Request::from_parts(parts, body))
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let Some((parts, body)) = again else {
            return Ok(response);
        };
        tracing::debug!("the token was refused; authenticating again");
        self.invalidate(&token).await;
        let token = self.token().await?;
        self.send_with(&token, Request::from_parts(parts, body))
            .await
    }

    async fn send_with(&self, token: &Token, mut request: Request) -> Result<Response> {
        let mut value = HeaderValue::from_str(token.id.expose()).map_err(|_| {
            Error::malformed("the identity service gave a token that is not valid header text")
                .with_provider(PROVIDER)
        })?;
        value.set_sensitive(true);
        request.headers_mut().insert(AUTH_TOKEN_HEADER, value);
        transport::send(&self.transport, request)
            .await
            .map_err(|e| e.or_provider(PROVIDER))
    }

    async fn fetch(&self) -> Result<Token> {
        let token = authenticate(&self.transport, &self.auth, (self.clock)()).await?;
        self.authentications.fetch_add(1, Ordering::Relaxed);
        Ok(token)
    }
}

/// Authenticates once with `auth` and returns the token; `now` dates tempauth's relative expiry.
///
/// - Keystone v2: `POST <url>/v2.0/tokens` with `passwordCredentials` or
///   `RAX-KSKEY:apiKeyCredentials` (and `tenantName` / `tenantId`); the token is
///   `access.token.id`, the catalog `access.serviceCatalog`.
/// - Keystone v3: `POST <url>/v3/auth/tokens` with the `password` or `application_credential`
///   method and the scope; the token is the `X-Subject-Token` header, the catalog
///   `token.catalog`.
/// - Tempauth: `GET <url>` with `X-Auth-User` and `X-Auth-Key`; the token is `X-Auth-Token`,
///   and the catalog one `object-store` service (named `swift`) at `X-Storage-Url`.
///
/// A refusal is [`InvalidCredentials`](libcloud_core::ErrorKind::InvalidCredentials); an answer without a token or with a body
/// that cannot be read is [`MalformedResponse`](libcloud_core::ErrorKind::MalformedResponse). The POSTs carry the
/// [`Idempotent`] marker: asking for a token twice does no harm.
pub async fn authenticate(
    transport: &Transport,
    auth: &AuthConfig,
    now: SystemTime,
) -> Result<Token> {
    let base = check_base_url(&auth.auth_url, "auth URL")?;
    match &auth.method {
        AuthMethod::Tempauth { user, key } => tempauth(transport, &base, user, key, now).await,
        AuthMethod::V2Password { .. } | AuthMethod::V2ApiKey { .. } => {
            let url = keystone_url(&base, 2);
            let body = v2_body(&auth.method);
            let (status, headers, body) = post_json(transport, &url, &body).await?;
            if !matches!(status, 200 | 201 | 203) {
                return Err(auth_error(status, &headers, &body));
            }
            parse_v2(&body)
        }
        AuthMethod::V3Password { .. } | AuthMethod::V3ApplicationCredential { .. } => {
            let url = keystone_url(&base, 3);
            let body = v3_body(&auth.method);
            let (status, headers, body) = post_json(transport, &url, &body).await?;
            if !matches!(status, 200 | 201) {
                return Err(auth_error(status, &headers, &body));
            }
            let subject = headers
                .get("x-subject-token")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    Error::malformed("Keystone v3 answered without an X-Subject-Token header")
                        .with_provider(PROVIDER)
                        .with_operation("authenticate")
                        .with_status(status)
                })?;
            parse_v3(subject, &body)
        }
    }
}

/// The token URL of Keystone `version` under `base` (which may already name it).
pub(crate) fn keystone_url(base: &str, version: u8) -> String {
    let base = base.trim_end_matches('/');
    let (suffix, versioned) = match version {
        2 => ("/tokens", "/v2.0"),
        _ => ("/auth/tokens", "/v3"),
    };
    if base.ends_with(suffix) {
        base.to_string()
    } else if version_from_url(base) == Some(version) {
        format!("{base}{suffix}")
    } else {
        format!("{base}{versioned}{suffix}")
    }
}

fn v2_body(method: &AuthMethod) -> Value {
    let (credentials, tenant) = match method {
        AuthMethod::V2Password {
            username,
            password,
            tenant,
        } => (
            json!({ "passwordCredentials": { "username": username, "password": password.expose() } }),
            tenant,
        ),
        AuthMethod::V2ApiKey {
            username,
            api_key,
            tenant,
        } => (
            json!({ "RAX-KSKEY:apiKeyCredentials": { "username": username, "apiKey": api_key.expose() } }),
            tenant,
        ),
        _ => (json!({}), &None),
    };
    let mut auth = credentials;
    if let (Some(tenant), Value::Object(map)) = (tenant, &mut auth) {
        match tenant {
            NameOrId::Name(n) => map.insert("tenantName".into(), json!(n)),
            NameOrId::Id(i) => map.insert("tenantId".into(), json!(i)),
        };
    }
    json!({ "auth": auth })
}

/// The `user` object of a v3 request: by id, or by name within a domain (`default` if none).
fn v3_user(user: &NameOrId, domain: &Option<NameOrId>) -> Value {
    match user {
        NameOrId::Id(id) => json!({ "id": id }),
        NameOrId::Name(name) => {
            let domain = domain
                .as_ref()
                .map(NameOrId::to_json)
                .unwrap_or_else(|| json!({ "id": "default" }));
            json!({ "name": name, "domain": domain })
        }
    }
}

fn v3_body(method: &AuthMethod) -> Value {
    match method {
        AuthMethod::V3Password {
            user,
            user_domain,
            password,
            scope,
        } => {
            let mut user = v3_user(user, user_domain);
            if let Value::Object(map) = &mut user {
                map.insert("password".into(), json!(password.expose()));
            }
            let mut auth = json!({
                "identity": { "methods": ["password"], "password": { "user": user } }
            });
            let scope = match scope {
                Scope::Unscoped => None,
                Scope::Domain(domain) => Some(json!({ "domain": domain.to_json() })),
                Scope::Project { project, domain } => Some(match project {
                    NameOrId::Id(id) => json!({ "project": { "id": id } }),
                    NameOrId::Name(name) => {
                        let domain = domain
                            .as_ref()
                            .or(user_domain.as_ref())
                            .map(NameOrId::to_json)
                            .unwrap_or_else(|| json!({ "id": "default" }));
                        json!({ "project": { "name": name, "domain": domain } })
                    }
                }),
            };
            if let (Some(scope), Value::Object(map)) = (scope, &mut auth) {
                map.insert("scope".into(), scope);
            }
            json!({ "auth": auth })
        }
        AuthMethod::V3ApplicationCredential {
            credential,
            user,
            user_domain,
            secret,
        } => {
            let mut cred = match credential {
                NameOrId::Id(id) => json!({ "id": id, "secret": secret.expose() }),
                NameOrId::Name(name) => json!({ "name": name, "secret": secret.expose() }),
            };
            if let (Some(user), Value::Object(map)) = (user, &mut cred)
                && matches!(credential, NameOrId::Name(_))
            {
                map.insert("user".into(), v3_user(user, user_domain));
            }
            json!({ "auth": { "identity": {
                "methods": ["application_credential"],
                "application_credential": cred
            } } })
        }
        _ => json!({}),
    }
}

async fn post_json(
    transport: &Transport,
    url: &str,
    body: &Value,
) -> Result<(u16, http::HeaderMap, Bytes)> {
    let mut request = http::Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .body(Body::from(body.to_string()))
        .map_err(|e| {
            Error::invalid_input(format!("cannot build the request to {url:?}"))
                .with_source(e)
                .with_provider(PROVIDER)
        })?;
    request.extensions_mut().insert(Idempotent);
    request
        .extensions_mut()
        .insert(Operation("authenticate".into()));
    let response = transport::send(transport, request)
        .await
        .map_err(|e| e.or_provider(PROVIDER).or_operation("authenticate"))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect(BODY_LIMIT)
        .await
        .map_err(|e| e.or_provider(PROVIDER).or_operation("authenticate"))?;
    Ok((parts.status.as_u16(), parts.headers, body))
}

fn auth_error(status: u16, headers: &http::HeaderMap, body: &Bytes) -> Error {
    let target = Target::new("authenticate", ResourceKind::Other, "identity service");
    let err = parse_error(status, headers, body, &target);
    if status == 401 && err.message().is_none() {
        return err.with_message("the identity service refused the credentials");
    }
    err
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn parse_v2(body: &[u8]) -> Result<Token> {
    let answer: json::V2Response = parse_json(body, "Keystone v2 token answer")
        .map_err(|e| e.with_operation("authenticate"))?;
    let access = answer.access;
    if access.token.id.trim().is_empty() {
        return Err(
            Error::malformed("Keystone v2 answered with an empty token id")
                .with_provider(PROVIDER)
                .with_operation("authenticate"),
        );
    }
    let services = access
        .service_catalog
        .into_iter()
        .map(|s| {
            let mut endpoints = Vec::new();
            for e in s.endpoints {
                let region = non_empty(e.region);
                for (url, interface) in [
                    (e.public_url, Interface::Public),
                    (e.internal_url, Interface::Internal),
                    (e.admin_url, Interface::Admin),
                ] {
                    if let Some(url) = non_empty(url) {
                        endpoints.push(Endpoint {
                            url,
                            region: region.clone(),
                            interface,
                        });
                    }
                }
            }
            Service {
                service_type: s.kind,
                name: non_empty(s.name),
                endpoints,
            }
        })
        .collect();
    let expires_at = match access.token.expires.as_deref() {
        None => None,
        Some(text) => Some(json::parse_timestamp(text).ok_or_else(|| {
            Error::malformed(format!(
                "Keystone v2 token expiry {text:?} is not a timestamp"
            ))
            .with_provider(PROVIDER)
            .with_operation("authenticate")
        })?),
    };
    let tenant = access.token.tenant.unwrap_or_default();
    let user = access.user.unwrap_or_default();
    Ok(Token {
        id: Secret::new(access.token.id),
        expires_at,
        catalog: ServiceCatalog::new(services),
        project_id: tenant.id,
        project_name: tenant.name,
        user_id: user.id,
        user_name: user.name,
        identity_version: 2,
    })
}

fn parse_v3(subject: &str, body: &[u8]) -> Result<Token> {
    let answer: json::V3Response = parse_json(body, "Keystone v3 token answer")
        .map_err(|e| e.with_operation("authenticate"))?;
    let token = answer.token;
    let mut services = Vec::new();
    for s in token.catalog {
        let mut endpoints = Vec::new();
        for e in s.endpoints {
            let Some(url) = non_empty(e.url) else {
                continue;
            };
            let interface = match e.interface.as_deref() {
                Some(i) => match i.parse::<Interface>() {
                    Ok(i) => i,
                    // An interface this crate does not know is skipped, not fatal.
                    Err(_) => continue,
                },
                None => Interface::Public,
            };
            endpoints.push(Endpoint {
                url,
                region: non_empty(e.region).or(non_empty(e.region_id)),
                interface,
            });
        }
        services.push(Service {
            service_type: s.kind,
            name: non_empty(s.name),
            endpoints,
        });
    }
    let expires_at = match token.expires_at.as_deref() {
        None => None,
        Some(text) => Some(json::parse_timestamp(text).ok_or_else(|| {
            Error::malformed(format!(
                "Keystone v3 token expiry {text:?} is not a timestamp"
            ))
            .with_provider(PROVIDER)
            .with_operation("authenticate")
        })?),
    };
    let project = token.project.or(token.domain).unwrap_or_default();
    let user = token.user.unwrap_or_default();
    Ok(Token {
        id: Secret::new(subject),
        expires_at,
        catalog: ServiceCatalog::new(services),
        project_id: project.id,
        project_name: project.name,
        user_id: user.id,
        user_name: user.name,
        identity_version: 3,
    })
}

async fn tempauth(
    transport: &Transport,
    url: &str,
    user: &str,
    key: &Secret,
    now: SystemTime,
) -> Result<Token> {
    let url = if version_from_url(url).is_some() {
        url.to_string()
    } else {
        format!("{url}/auth/v1.0")
    };
    let bad_input = |what: &str| {
        Error::invalid_input(format!("the tempauth {what} is not valid header text"))
            .with_provider(PROVIDER)
    };
    let user_value = HeaderValue::from_str(user).map_err(|_| bad_input("user"))?;
    let mut key_value = HeaderValue::from_str(key.expose()).map_err(|_| bad_input("key"))?;
    key_value.set_sensitive(true);
    let mut request = http::Request::builder()
        .method(Method::GET)
        .uri(&url)
        .header("x-auth-user", user_value)
        .header("x-auth-key", key_value)
        .body(Body::empty())
        .map_err(|e| {
            Error::invalid_input(format!("cannot build the request to {url:?}"))
                .with_source(e)
                .with_provider(PROVIDER)
        })?;
    request
        .extensions_mut()
        .insert(Operation("authenticate".into()));
    let response = transport::send(transport, request)
        .await
        .map_err(|e| e.or_provider(PROVIDER).or_operation("authenticate"))?;
    let (parts, body) = response.into_parts();
    let status = parts.status.as_u16();
    let body = body
        .collect(BODY_LIMIT)
        .await
        .map_err(|e| e.or_provider(PROVIDER).or_operation("authenticate"))?;
    if !parts.status.is_success() {
        return Err(auth_error(status, &parts.headers, &body));
    }
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let missing = |what: &str| {
        Error::malformed(format!("tempauth answered without {what}"))
            .with_provider(PROVIDER)
            .with_operation("authenticate")
            .with_status(status)
    };
    let token = header("x-auth-token")
        .or_else(|| header("x-storage-token"))
        .ok_or_else(|| missing("an X-Auth-Token header"))?;
    let storage_url = header("x-storage-url").ok_or_else(|| missing("an X-Storage-Url header"))?;
    let expires_at = match header("x-auth-token-expires") {
        None => None,
        Some(text) => {
            let secs: f64 = text.parse().map_err(|_| {
                Error::malformed(format!(
                    "tempauth's X-Auth-Token-Expires {} is not a number of seconds",
                    clip(&text)
                ))
                .with_provider(PROVIDER)
                .with_operation("authenticate")
            })?;
            Some(now + Duration::from_secs_f64(secs.clamp(0.0, 1e10)))
        }
    };
    let account = storage_url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .map(str::to_string);
    Ok(Token {
        id: Secret::new(token),
        expires_at,
        catalog: ServiceCatalog::new(vec![Service {
            service_type: "object-store".into(),
            name: Some("swift".into()),
            endpoints: vec![Endpoint {
                url: storage_url,
                region: None,
                interface: Interface::Public,
            }],
        }]),
        project_id: account,
        project_name: None,
        user_id: None,
        user_name: Some(user.to_string()),
        identity_version: 1,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    #[test]
    fn keystone_urls() {
        assert_eq!(
            keystone_url("http://h:5000", 3),
            "http://h:5000/v3/auth/tokens"
        );
        assert_eq!(
            keystone_url("http://h:5000/v3", 3),
            "http://h:5000/v3/auth/tokens"
        );
        assert_eq!(
            keystone_url("http://h:5000/v3/auth/tokens", 3),
            "http://h:5000/v3/auth/tokens"
        );
        assert_eq!(
            keystone_url("http://h:5000", 2),
            "http://h:5000/v2.0/tokens"
        );
        assert_eq!(
            keystone_url("http://h/identity/v2.0", 2),
            "http://h/identity/v2.0/tokens"
        );
        assert_eq!(
            keystone_url("http://h/identity/v2.0/tokens", 2),
            "http://h/identity/v2.0/tokens"
        );
    }

    #[test]
    fn v2_bodies() {
        let body = v2_body(&AuthMethod::V2ApiKey {
            username: "u".into(),
            api_key: Secret::new("k"),
            tenant: Some(NameOrId::Id("123".into())),
        });
        assert_eq!(
            body,
            json!({"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "u", "apiKey": "k"},
                             "tenantId": "123"}})
        );
        let body = v2_body(&AuthMethod::V2Password {
            username: "u".into(),
            password: Secret::new("p"),
            tenant: Some(NameOrId::Name("t".into())),
        });
        assert_eq!(
            body,
            json!({"auth": {"passwordCredentials": {"username": "u", "password": "p"},
                             "tenantName": "t"}})
        );
    }

    #[test]
    fn v3_bodies() {
        let body = v3_body(&AuthMethod::V3Password {
            user: NameOrId::Name("u".into()),
            user_domain: Some(NameOrId::Name("Users".into())),
            password: Secret::new("p"),
            scope: Scope::Project {
                project: NameOrId::Name("proj".into()),
                domain: None,
            },
        });
        assert_eq!(
            body,
            json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": "u", "domain": {"name": "Users"}, "password": "p"}}},
                "scope": {"project": {"name": "proj", "domain": {"name": "Users"}}}}})
        );
        let body = v3_body(&AuthMethod::V3Password {
            user: NameOrId::Id("uid".into()),
            user_domain: None,
            password: Secret::new("p"),
            scope: Scope::Domain(NameOrId::Id("d1".into())),
        });
        assert_eq!(body["auth"]["scope"], json!({"domain": {"id": "d1"}}));
        assert_eq!(
            body["auth"]["identity"]["password"]["user"],
            json!({"id": "uid", "password": "p"})
        );
        let body = v3_body(&AuthMethod::V3ApplicationCredential {
            credential: NameOrId::Name("ci".into()),
            user: Some(NameOrId::Name("u".into())),
            user_domain: None,
            secret: Secret::new("s"),
        });
        assert_eq!(
            body,
            json!({"auth": {"identity": {"methods": ["application_credential"],
                "application_credential": {"name": "ci", "secret": "s",
                    "user": {"name": "u", "domain": {"id": "default"}}}}}})
        );
        assert!(body.get("scope").is_none());
    }

    fn catalog() -> ServiceCatalog {
        let e = |url: &str, region: Option<&str>, interface| Endpoint {
            url: url.into(),
            region: region.map(str::to_string),
            interface,
        };
        ServiceCatalog::new(vec![
            Service {
                service_type: "compute".into(),
                name: Some("nova".into()),
                endpoints: vec![
                    e("http://a/v2", Some("R1"), Interface::Public),
                    e("http://a-int/v2", Some("R1"), Interface::Internal),
                    e("http://b/v2", Some("R2"), Interface::Public),
                ],
            },
            Service {
                service_type: "compute".into(),
                name: Some("legacy".into()),
                endpoints: vec![e("http://old/v1", None, Interface::Public)],
            },
            Service {
                service_type: "object-store".into(),
                name: Some("swift".into()),
                endpoints: vec![
                    e("http://s/v1", Some("R1"), Interface::Public),
                    e("http://s/v1", Some("R2"), Interface::Public),
                ],
            },
        ])
    }

    #[test]
    fn one_endpoint_or_a_clear_error() {
        let c = catalog();
        let f = EndpointFilter::new("compute").with_region("R1");
        assert_eq!(c.endpoint(&f).unwrap().url, "http://a/v2");
        let f = f.with_interface(Interface::Internal);
        assert_eq!(c.endpoint(&f).unwrap().url, "http://a-int/v2");
        let f = EndpointFilter::new("compute").with_name("legacy");
        assert_eq!(c.endpoint(&f).unwrap().url, "http://old/v1");
        // Same URL in two regions: one answer.
        assert_eq!(
            c.endpoint(&EndpointFilter::new("object-store"))
                .unwrap()
                .url,
            "http://s/v1"
        );

        let err = c.endpoint(&EndpointFilter::new("compute")).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        let msg = err.to_string();
        assert!(msg.contains("3 endpoints"), "{msg}");
        assert!(
            msg.contains("http://old/v1") && msg.contains("http://b/v2"),
            "{msg}"
        );

        let err = c
            .endpoint(&EndpointFilter::new("compute").with_region("R9"))
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("no endpoint"), "{msg}");
        assert!(
            msg.contains("compute/nova [R1 public, R1 internal, R2 public]"),
            "{msg}"
        );
        assert!(msg.contains("object-store/swift"), "{msg}");

        let err = ServiceCatalog::default()
            .endpoint(&EndpointFilter::new("compute"))
            .unwrap_err();
        assert!(err.to_string().contains("no services"), "{err}");
    }

    #[test]
    fn freshness() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let mut t = Token::new("x", Some(now + Duration::from_secs(61)));
        assert!(t.is_fresh(now, Duration::from_secs(60)));
        assert!(!t.is_fresh(now + Duration::from_secs(1), Duration::from_secs(60)));
        t.expires_at = None;
        assert!(t.is_fresh(now, Duration::from_secs(60)));
        assert!(!format!("{t:?}").contains("\"x\""));
    }
}
