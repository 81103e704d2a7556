//! `libcloud compute ...`: nodes, sizes, images, locations, key pairs and volumes.

use std::path::Path;

use libcloud::compute::SshInterface;
use libcloud::{
    ComputeDriver, ComputeDriverExt, CreateNode, CreateVolume, Error, KeyPair, Node, NodeAuth,
    NodeImage, NodeLocation, NodeSize, ResourceKind, Result, Secret, StorageVolume, WaitOptions,
};

use crate::args::ComputeCommand;
use crate::context::{Ctx, extra_map};
use crate::output::{Column, joined, opt};

const NODE_COLUMNS: &[Column<Node>] = &[
    ("id", |n| n.id.clone()),
    ("name", |n| n.name.clone()),
    ("state", |n| n.state.to_string()),
    ("public_ips", |n| joined(&n.public_ips)),
    ("private_ips", |n| joined(&n.private_ips)),
    ("size", |n| opt(&n.size)),
    ("image", |n| opt(&n.image)),
];

const SIZE_COLUMNS: &[Column<NodeSize>] = &[
    ("id", |s| s.id.clone()),
    ("name", |s| s.name.clone()),
    ("ram_mb", |s| s.ram_mb.to_string()),
    ("disk_gb", |s| s.disk_gb.to_string()),
    ("price", |s| opt(&s.price)),
];

const IMAGE_COLUMNS: &[Column<NodeImage>] =
    &[("id", |i| i.id.clone()), ("name", |i| i.name.clone())];

const LOCATION_COLUMNS: &[Column<NodeLocation>] = &[
    ("id", |l| l.id.clone()),
    ("name", |l| l.name.clone()),
    ("country", |l| l.country.clone()),
];

const KEY_COLUMNS: &[Column<KeyPair>] = &[
    ("name", |k| k.name.clone()),
    ("fingerprint", |k| k.fingerprint.clone()),
];

const VOLUME_COLUMNS: &[Column<StorageVolume>] = &[
    ("id", |v| v.id.clone()),
    ("name", |v| v.name.clone()),
    ("size_gb", |v| v.size_gb.to_string()),
    ("state", |v| {
        serde_json::to_value(v.state)
            .ok()
            .and_then(|s| s.as_str().map(str::to_string))
            .unwrap_or_else(|| format!("{:?}", v.state))
    }),
    ("attached_to", |v| opt(&v.attached_to)),
];

/// Runs one compute command.
pub async fn run(ctx: &Ctx<'_>, command: ComputeCommand) -> Result<()> {
    let driver = ctx.compute()?;
    let d = driver.as_ref();
    let p = ctx.printer;
    match command {
        ComputeCommand::Nodes => p.list(&d.list_nodes().await?, NODE_COLUMNS),
        ComputeCommand::Sizes { location } => {
            p.list(&d.list_sizes(location.as_deref()).await?, SIZE_COLUMNS)
        }
        ComputeCommand::Images { location } => {
            p.list(&d.list_images(location.as_deref()).await?, IMAGE_COLUMNS)
        }
        ComputeCommand::Locations => p.list(&d.list_locations().await?, LOCATION_COLUMNS),
        ComputeCommand::Keys => p.list(&d.list_key_pairs().await?, KEY_COLUMNS),
        ComputeCommand::CreateNode {
            name,
            size,
            image,
            location,
            ssh_key,
            password_file,
            key_pair,
            user_data,
            extra,
            save_password,
            wait,
            timeout,
            interval,
        } => {
            if wait && interval.is_zero() {
                return Err(Error::invalid_input("the interval must be more than 0"));
            }
            if let Some(path) = &save_password {
                refuse_existing(path).await?;
            }
            let mut request = CreateNode::new(name, size, image);
            request.location = location;
            request.key_pair = key_pair;
            request.extra = extra_map(&extra);
            if let Some(path) = ssh_key {
                let key = read_text(&path).await?;
                request.auth = Some(NodeAuth::SshKey(key.trim().to_string()));
            } else if let Some(path) = password_file {
                let password = read_secret(&path).await?;
                request.auth = Some(NodeAuth::Password(password));
            }
            if let Some(path) = user_data {
                request.user_data = Some(read_text(&path).await?);
            }
            let mut node = d.create_node(&request).await?;
            if let Some(password) = node.admin_password.take() {
                match &save_password {
                    Some(path) => write_private(path, password.expose()).await?,
                    None => ctx.notice(&format!(
                        "the provider generated a password for node {}; it is not shown: \
                         pass --save-password FILE to keep it",
                        node.id
                    )),
                }
            }
            if wait {
                let options = WaitOptions {
                    timeout,
                    poll_interval: interval,
                    ..WaitOptions::default()
                };
                let ready = d.wait_until_running(&[node], options).await?;
                let nodes: Vec<Node> = ready.into_iter().map(|(n, _)| n).collect();
                return match nodes.first() {
                    Some(n) => p.show(n),
                    None => Err(Error::malformed("the wait returned no node")),
                };
            }
            p.show(&node)
        }
        ComputeCommand::Reboot { nodes } => {
            for node in find_nodes(d, &nodes).await? {
                d.reboot_node(&node).await?;
            }
            Ok(())
        }
        ComputeCommand::Start { nodes } => {
            for node in find_nodes(d, &nodes).await? {
                d.start_node(&node).await?;
            }
            Ok(())
        }
        ComputeCommand::Stop { nodes } => {
            for node in find_nodes(d, &nodes).await? {
                d.stop_node(&node).await?;
            }
            Ok(())
        }
        ComputeCommand::Destroy { nodes } => {
            for node in find_nodes(d, &nodes).await? {
                d.destroy_node(&node).await?;
            }
            Ok(())
        }
        ComputeCommand::Wait {
            nodes,
            timeout,
            interval,
            private,
            ipv6,
        } => {
            if interval.is_zero() {
                return Err(Error::invalid_input("the interval must be more than 0"));
            }
            let nodes = find_nodes(d, &nodes).await?;
            let options = WaitOptions {
                poll_interval: interval,
                timeout,
                interface: if private {
                    SshInterface::PrivateIps
                } else {
                    SshInterface::PublicIps
                },
                force_ipv4: !ipv6,
            };
            let ready = d.wait_until_running(&nodes, options).await?;
            let nodes: Vec<Node> = ready.into_iter().map(|(n, _)| n).collect();
            p.list(&nodes, NODE_COLUMNS)
        }
        ComputeCommand::CreateKey {
            name,
            private_key_file,
        } => {
            refuse_existing(&private_key_file).await?;
            let mut key = d.create_key_pair(&name).await?;
            match key.private_key.take() {
                Some(private) => write_private(&private_key_file, private.expose()).await?,
                None => ctx.notice(&format!(
                    "the provider returned no private key for {name}; nothing was written"
                )),
            }
            p.show(&key)
        }
        ComputeCommand::ImportKey { name, public_key } => {
            let material = read_text(&public_key).await?;
            p.show(
                &d.import_key_pair_from_string(&name, material.trim())
                    .await?,
            )
        }
        ComputeCommand::DeleteKey { name } => {
            let key = d.get_key_pair(&name).await?;
            d.delete_key_pair(&key).await
        }
        ComputeCommand::Volumes => p.list(&d.list_volumes().await?, VOLUME_COLUMNS),
        ComputeCommand::CreateVolume {
            name,
            size,
            location,
            snapshot,
            extra,
        } => {
            let mut request = CreateVolume::new(name, size);
            request.location = location;
            request.snapshot = snapshot;
            request.extra = extra_map(&extra);
            p.show(&d.create_volume(&request).await?)
        }
        ComputeCommand::DestroyVolume { volume } => {
            let volume = find_volume(d, &volume).await?;
            d.destroy_volume(&volume).await
        }
        ComputeCommand::Attach {
            volume,
            node,
            device,
        } => {
            let volume = find_volume(d, &volume).await?;
            let node = find_node(&d.list_nodes().await?, &node)?;
            d.attach_volume(&node, &volume, device.as_deref()).await
        }
        ComputeCommand::Detach { volume } => {
            let volume = find_volume(d, &volume).await?;
            d.detach_volume(&volume).await
        }
    }
}

/// Finds nodes by id, or by name when the name is unique.
async fn find_nodes(d: &dyn ComputeDriver, wanted: &[String]) -> Result<Vec<Node>> {
    let all = d.list_nodes().await?;
    wanted.iter().map(|w| find_node(&all, w)).collect()
}

fn find_node(all: &[Node], wanted: &str) -> Result<Node> {
    find_by(
        all,
        wanted,
        |n| &n.id,
        |n| &n.name,
        ResourceKind::Node,
        "node",
    )
}

async fn find_volume(d: &dyn ComputeDriver, wanted: &str) -> Result<StorageVolume> {
    let all = d.list_volumes().await?;
    find_by(
        &all,
        wanted,
        |v| &v.id,
        |v| &v.name,
        ResourceKind::Volume,
        "volume",
    )
}

/// The item whose id is `wanted`, else the one item whose name is; several of that name is an
/// `InvalidInput` error asking for the id.
pub fn find_by<T: Clone>(
    all: &[T],
    wanted: &str,
    id: fn(&T) -> &String,
    name: fn(&T) -> &String,
    kind: ResourceKind,
    noun: &str,
) -> Result<T> {
    if let Some(item) = all.iter().find(|i| id(i) == wanted) {
        return Ok(item.clone());
    }
    let named: Vec<&T> = all.iter().filter(|i| name(i) == wanted).collect();
    match named.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::not_found(kind, wanted)),
        many => Err(Error::invalid_input(format!(
            "{} {noun}s are named {wanted:?} ({}); give the id",
            many.len(),
            many.iter()
                .map(|i| id(i).as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

async fn read_text(path: &Path) -> Result<String> {
    tokio::fs::read_to_string(path).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::not_found(ResourceKind::Other, path.display().to_string())
                .with_operation("read file")
        } else {
            Error::from(e).with_message(path.display().to_string())
        }
    })
}

/// Reads a password from a file (or standard input for `-`), without its line ending.
async fn read_secret(path: &Path) -> Result<Secret> {
    let text = if path == Path::new("-") {
        let mut text = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut tokio::io::stdin(), &mut text).await?;
        text
    } else {
        read_text(path).await?
    };
    let value = text.trim_end_matches(['\r', '\n']);
    if value.is_empty() {
        return Err(Error::invalid_input(format!(
            "{} holds no password",
            path.display()
        )));
    }
    Ok(Secret::new(value))
}

/// Refuses a path that exists, before anything is created that would need it.
async fn refuse_existing(path: &Path) -> Result<()> {
    if tokio::fs::try_exists(path).await.unwrap_or(false) {
        return Err(
            Error::already_exists(ResourceKind::Other, path.display().to_string())
                .with_message("refusing to replace an existing file"),
        );
    }
    Ok(())
}

/// Writes a secret to a new file that only its owner may read.
async fn write_private(path: &Path, secret: &str) -> Result<()> {
    let path = path.to_path_buf();
    let mut text = secret.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(|e| {
            Error::from(e).with_message(format!("cannot create {}", path.display()))
        })?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::from(e).with_message(format!("cannot write {}", path.display())))
    })
    .await
    .map_err(|e| Error::new(libcloud::ErrorKind::Transport, e.to_string()))?
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Item {
        id: String,
        name: String,
    }

    fn item(id: &str, name: &str) -> Item {
        Item {
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn lookup_prefers_ids_and_refuses_ambiguous_names() {
        let all = vec![
            item("1", "web"),
            item("2", "db"),
            item("3", "db"),
            item("web", "x"),
        ];
        let find = |w: &str| find_by(&all, w, |i| &i.id, |i| &i.name, ResourceKind::Node, "node");
        assert_eq!(find("2").unwrap(), item("2", "db"));
        assert_eq!(
            find("web").unwrap(),
            item("web", "x"),
            "an id wins over a name"
        );
        assert_eq!(find("x").unwrap(), item("web", "x"));
        let err = find("db").unwrap_err();
        assert_eq!(*err.kind(), libcloud::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("2, 3"), "{err}");
        assert!(find("nope").unwrap_err().is_not_found());
    }
}
