//! `libcloud lb ...`: load balancers and their members.

use libcloud::{
    Algorithm, CreateBalancer, Error, LoadBalancer, LoadBalancerDriver, Member, ResourceKind,
    Result,
};

use crate::args::LbCommand;
use crate::compute::find_by;
use crate::context::{Ctx, extra_map};
use crate::output::{Column, opt};

const BALANCER_COLUMNS: &[Column<LoadBalancer>] = &[
    ("id", |b| b.id.clone()),
    ("name", |b| b.name.clone()),
    ("state", |b| {
        serde_json::to_value(b.state)
            .ok()
            .and_then(|s| s.as_str().map(str::to_string))
            .unwrap_or_else(|| format!("{:?}", b.state))
    }),
    ("ip", |b| opt(&b.ip)),
    ("port", |b| b.port.to_string()),
    ("protocol", |b| opt(&b.protocol)),
    ("algorithm", |b| opt(&b.algorithm)),
];

const MEMBER_COLUMNS: &[Column<Member>] = &[
    ("id", |m| opt(&m.id)),
    ("ip", |m| opt(&m.ip)),
    ("port", |m| opt(&m.port)),
    ("weight", |m| opt(&m.weight)),
];

/// One name per line, for the protocol and algorithm listings.
#[derive(serde::Serialize)]
struct Named {
    name: String,
}

const NAME_COLUMNS: &[Column<Named>] = &[("name", |n| n.name.clone())];

/// Runs one load balancer command.
pub async fn run(ctx: &Ctx<'_>, command: LbCommand) -> Result<()> {
    let driver = ctx.load_balancer()?;
    let d = driver.as_ref();
    let p = ctx.printer;
    match command {
        LbCommand::Balancers => p.list(&d.list_balancers().await?, BALANCER_COLUMNS),
        LbCommand::Create {
            name,
            port,
            protocol,
            algorithm,
            members,
            extra,
        } => {
            let mut request = CreateBalancer::new(name, port, protocol)
                .algorithm(algorithm.parse::<Algorithm>()?);
            for member in &members {
                request = request.member(parse_member(member, port)?);
            }
            request.extra = extra_map(&extra);
            p.show(&d.create_balancer(&request).await?)
        }
        LbCommand::Destroy { balancer } => {
            let balancer = find_balancer(d, &balancer).await?;
            d.destroy_balancer(&balancer).await
        }
        LbCommand::Members { balancer } => {
            let balancer = find_balancer(d, &balancer).await?;
            p.list(&d.balancer_list_members(&balancer).await?, MEMBER_COLUMNS)
        }
        LbCommand::Attach {
            balancer,
            member,
            node,
            weight,
        } => {
            let balancer = find_balancer(d, &balancer).await?;
            let mut member = match (member, node) {
                (_, Some(node)) => Member::node(node),
                (Some(text), None) => parse_member(&text, balancer.port)?,
                (None, None) => {
                    return Err(Error::invalid_input("give IP:PORT or --node ID"));
                }
            };
            member.weight = weight;
            p.show(&d.balancer_attach_member(&balancer, &member).await?)
        }
        LbCommand::Detach { balancer, member } => {
            let balancer = find_balancer(d, &balancer).await?;
            let members = d.balancer_list_members(&balancer).await?;
            let found = members
                .iter()
                .find(|m| m.id.as_deref() == Some(member.as_str()))
                .or_else(|| {
                    let (ip, port) = split_address(&member)?;
                    members.iter().find(|m| {
                        m.ip.as_deref() == Some(ip)
                            && m.port.unwrap_or(balancer.port) == port.unwrap_or(balancer.port)
                    })
                })
                .ok_or_else(|| Error::not_found(ResourceKind::Member, member.clone()))?;
            d.balancer_detach_member(&balancer, found).await
        }
        LbCommand::Algorithms => {
            let names: Vec<Named> = d
                .list_supported_algorithms()
                .await?
                .into_iter()
                .map(|a| Named {
                    name: a.to_string(),
                })
                .collect();
            p.list(&names, NAME_COLUMNS)
        }
        LbCommand::Protocols => {
            let names: Vec<Named> = d
                .list_protocols()
                .await?
                .into_iter()
                .map(|name| Named { name })
                .collect();
            p.list(&names, NAME_COLUMNS)
        }
    }
}

async fn find_balancer(d: &dyn LoadBalancerDriver, wanted: &str) -> Result<LoadBalancer> {
    let all = d.list_balancers().await?;
    find_by(
        &all,
        wanted,
        |b| &b.id,
        |b| &b.name,
        ResourceKind::LoadBalancer,
        "balancer",
    )
}

/// Splits `IP:PORT`, `[IPv6]:PORT`, a bare IPv4 address or a bare IPv6 address.
fn split_address(text: &str) -> Option<(&str, Option<u16>)> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((ip, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((ip, None)),
            None => None,
        };
    }
    match text.matches(':').count() {
        0 => Some((text, None)),
        1 => {
            let (ip, port) = text.split_once(':')?;
            Some((ip, Some(port.parse().ok()?)))
        }
        _ => Some((text, None)),
    }
}

/// A member from `IP:PORT` (or a bare IP, on `default_port`).
fn parse_member(text: &str, default_port: u16) -> Result<Member> {
    match split_address(text) {
        Some((ip, port)) if !ip.is_empty() => Ok(Member::new(ip, port.unwrap_or(default_port))),
        _ => Err(Error::invalid_input(format!(
            "{text:?} is not a member address; write IP:PORT"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn member_addresses() {
        let m = parse_member("192.0.2.1:8080", 80).unwrap();
        assert_eq!((m.ip.as_deref(), m.port), (Some("192.0.2.1"), Some(8080)));
        let m = parse_member("192.0.2.1", 80).unwrap();
        assert_eq!(m.port, Some(80));
        let m = parse_member("[2001:db8::1]:443", 80).unwrap();
        assert_eq!((m.ip.as_deref(), m.port), (Some("2001:db8::1"), Some(443)));
        let m = parse_member("2001:db8::1", 80).unwrap();
        assert_eq!((m.ip.as_deref(), m.port), (Some("2001:db8::1"), Some(80)));
        for bad in ["192.0.2.1:http", ":80", "[::1", "[::1]x"] {
            assert!(parse_member(bad, 80).is_err(), "{bad}");
        }
    }
}
