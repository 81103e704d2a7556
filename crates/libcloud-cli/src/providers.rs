//! `libcloud providers`: what this build can talk to.
//!
//! Each provider compiled in is listed with its APIs, the `libcloud` feature that brings it,
//! and, per API, the capabilities its driver reports. Capabilities belong to an open driver, so
//! each provider is opened with its defaults and environment (plus the command's `--option`s
//! when `--provider` names it); one that cannot open that way (it needs settings) shows the
//! reason instead of its capabilities.

use std::collections::BTreeMap;

use libcloud::registry::{Api, Config, KNOWN_PROVIDERS};
use libcloud::{Error, Result};
use serde_json::{Map, Value, json};

use crate::context::Ctx;
use crate::output::render_table;

const APIS: [Api; 4] = [Api::Compute, Api::Storage, Api::LoadBalancer, Api::Dns];

/// The API's name in JSON output and tables.
pub fn api_name(api: Api) -> &'static str {
    match api {
        Api::Compute => "compute",
        Api::Storage => "storage",
        Api::LoadBalancer => "load_balancer",
        Api::Dns => "dns",
    }
}

/// Lists the providers; with `all`, also those known to this version but not compiled in.
pub fn run(ctx: &Ctx<'_>, all: bool) -> Result<()> {
    let registry = ctx.session.registry();
    let mut compiled: BTreeMap<String, Vec<Api>> = BTreeMap::new();
    for api in APIS {
        for name in registry.providers(api) {
            compiled.entry(name.to_string()).or_default().push(api);
        }
    }
    let mut entries = Vec::new();
    for (name, apis) in &compiled {
        let mut capabilities = Map::new();
        let mut unavailable = Map::new();
        for api in apis {
            match probe(ctx, name, *api) {
                Ok(caps) => {
                    capabilities.insert(api_name(*api).into(), caps);
                }
                Err(e) => {
                    capabilities.insert(api_name(*api).into(), Value::Null);
                    unavailable.insert(api_name(*api).into(), e.to_string().into());
                }
            }
        }
        let mut entry = json!({
            "name": name,
            "compiled": true,
            "feature": feature_of(name),
            "apis": apis.iter().map(|a| api_name(*a)).collect::<Vec<_>>(),
            "capabilities": capabilities,
        });
        if !unavailable.is_empty()
            && let Some(map) = entry.as_object_mut()
        {
            map.insert("unavailable".into(), Value::Object(unavailable));
        }
        entries.push(entry);
    }
    if all {
        for (name, apis, feature) in KNOWN_PROVIDERS {
            if !compiled.contains_key(*name) {
                entries.push(json!({
                    "name": name,
                    "compiled": false,
                    "feature": feature,
                    "apis": apis.iter().map(|a| api_name(*a)).collect::<Vec<_>>(),
                    "capabilities": {},
                }));
            }
        }
    }
    if ctx.printer.is_json() {
        for entry in &entries {
            ctx.printer.json_line(entry)?;
        }
        return Ok(());
    }
    let mut rows = Vec::new();
    for entry in &entries {
        let name = entry["name"].as_str().unwrap_or_default().to_string();
        let feature = match (&entry["feature"], entry["compiled"].as_bool()) {
            (Value::String(f), Some(false)) => format!("{f} (not compiled in)"),
            (Value::String(f), _) => f.clone(),
            _ => "-".into(),
        };
        for api in entry["apis"].as_array().into_iter().flatten() {
            let api = api.as_str().unwrap_or_default();
            let caps = match (&entry["capabilities"][api], &entry["unavailable"][api]) {
                (Value::Object(map), _) => summarize(map),
                (_, Value::String(why)) => format!("(not opened: {why})"),
                _ => "-".into(),
            };
            rows.push(vec![name.clone(), api.to_string(), feature.clone(), caps]);
        }
    }
    let headings = ["provider", "api", "feature", "capabilities"].map(String::from);
    ctx.printer.text(&render_table(&headings, &rows))
}

/// The feature of the `libcloud` crate that compiles `name` in, when this version knows it.
fn feature_of(name: &str) -> Value {
    KNOWN_PROVIDERS
        .iter()
        .find(|(p, _, _)| *p == name)
        .map_or(Value::Null, |(_, _, f)| Value::from(*f))
}

/// Opens `name`'s driver for `api` and returns its capabilities as JSON.
fn probe(ctx: &Ctx<'_>, name: &str, api: Api) -> Result<Value> {
    let mut config = Config::new(name);
    if ctx.globals.provider.as_deref() == Some(name) {
        for (k, v) in &ctx.globals.options {
            config.options.insert(k.to_ascii_lowercase(), v.clone());
        }
    }
    let registry = ctx.session.registry();
    let value = match api {
        Api::Compute => serde_json::to_value(registry.open_compute(&config)?.capabilities()),
        Api::Storage => serde_json::to_value(registry.open_storage(&config)?.capabilities()),
        Api::LoadBalancer => {
            serde_json::to_value(registry.open_load_balancer(&config)?.capabilities())
        }
        Api::Dns => serde_json::to_value(registry.open_dns(&config)?.capabilities()),
    };
    value.map_err(|e| Error::malformed(format!("capabilities of {name}: {e}")))
}

/// Capabilities in one cell: the names of those that are true, and lists by their length.
fn summarize(map: &Map<String, Value>) -> String {
    let parts: Vec<String> = map
        .iter()
        .filter_map(|(k, v)| match v {
            Value::Bool(true) => Some(k.clone()),
            Value::Bool(false) | Value::Null => None,
            Value::Array(items) => Some(format!("{k}({})", items.len())),
            other => Some(format!("{k}={other}")),
        })
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_summaries_name_what_is_true() {
        let map = json!({"a": true, "b": false, "types": ["A", "MX"], "limit": 5});
        let map = map.as_object().cloned().unwrap_or_default();
        assert_eq!(summarize(&map), "a,limit=5,types(2)");
        assert_eq!(summarize(&Map::new()), "-");
    }
}
