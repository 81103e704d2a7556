//! `libcloud dns ...`: zones and records.

use libcloud::dns::ZoneType;
use libcloud::{
    CreateZone, DnsDriver, DnsDriverExt, Error, Record, RecordSpec, RecordType, ResourceKind,
    Result, Zone,
};

use crate::args::DnsCommand;
use crate::context::{Ctx, extra_map};
use crate::output::{Column, opt};

const ZONE_COLUMNS: &[Column<Zone>] = &[
    ("id", |z| z.id.clone()),
    ("domain", |z| z.domain.clone()),
    ("type", |z| match z.zone_type {
        ZoneType::Master => "master".into(),
        ZoneType::Slave => "slave".into(),
    }),
    ("ttl", |z| opt(&z.ttl)),
];

const RECORD_COLUMNS: &[Column<Record>] = &[
    ("id", |r| r.id.clone()),
    ("name", |r| {
        if r.name.is_empty() {
            "@".into()
        } else {
            r.name.clone()
        }
    }),
    ("type", |r| r.record_type.to_string()),
    ("data", |r| r.data.clone()),
    ("ttl", |r| opt(&r.ttl)),
    ("priority", |r| opt(&r.priority)),
];

/// Runs one DNS command.
pub async fn run(ctx: &Ctx<'_>, command: DnsCommand) -> Result<()> {
    let driver = ctx.dns()?;
    let d = driver.as_ref();
    let p = ctx.printer;
    match command {
        DnsCommand::Zones => p.list(&d.list_zones().await?, ZONE_COLUMNS),
        DnsCommand::Records { zone, record_type } => {
            let zone = find_zone(d, &zone).await?;
            let wanted = record_type
                .as_deref()
                .map(str::parse::<RecordType>)
                .transpose()?;
            let records: Vec<Record> = d
                .list_records(&zone)
                .await?
                .into_iter()
                .filter(|r| wanted.is_none_or(|t| r.record_type == t))
                .collect();
            p.list(&records, RECORD_COLUMNS)
        }
        DnsCommand::CreateZone {
            domain,
            ttl,
            slave,
            extra,
        } => {
            let mut request = CreateZone::new(domain);
            request.ttl = ttl;
            request.zone_type = if slave {
                ZoneType::Slave
            } else {
                ZoneType::Master
            };
            request.extra = extra_map(&extra);
            p.show(&d.create_zone(&request).await?)
        }
        DnsCommand::CreateRecord {
            zone,
            name,
            record_type,
            data,
            ttl,
            priority,
            extra,
        } => {
            let zone = find_zone(d, &zone).await?;
            let mut spec = RecordSpec::new(apex(name), record_type.parse()?, data);
            spec.ttl = ttl;
            spec.priority = priority;
            spec.extra = extra_map(&extra);
            p.show(&d.create_record(&zone, &spec).await?)
        }
        DnsCommand::UpdateRecord {
            zone,
            record,
            name,
            record_type,
            data,
            ttl,
            priority,
        } => {
            let zone = find_zone(d, &zone).await?;
            let current = d.get_record(&zone.id, &record).await?;
            let record_type = match record_type {
                Some(t) => t.parse()?,
                None => current.record_type,
            };
            let mut spec = RecordSpec::new(
                name.map(apex).unwrap_or_else(|| current.name.clone()),
                record_type,
                data.unwrap_or_else(|| current.data.clone()),
            );
            spec.ttl = ttl.or(current.ttl);
            spec.priority = priority.or(current.priority);
            p.show(&d.update_record(&current, &spec).await?)
        }
        DnsCommand::DeleteRecord { zone, record } => {
            let zone = find_zone(d, &zone).await?;
            let record = d.get_record(&zone.id, &record).await?;
            d.delete_record(&record).await
        }
        DnsCommand::DeleteZone { zone } => {
            let zone = find_zone(d, &zone).await?;
            d.delete_zone(&zone).await
        }
        DnsCommand::Export { zone } => {
            let zone = find_zone(d, &zone).await?;
            p.text(&d.export_zone_to_bind_format(&zone).await?)
        }
    }
}

/// `@` is the apex, as in zone files; the API writes it as the empty name.
fn apex(name: String) -> String {
    if name == "@" { String::new() } else { name }
}

/// Finds a zone by id, or by domain (any case, with or without the trailing dot).
async fn find_zone(d: &dyn DnsDriver, wanted: &str) -> Result<Zone> {
    let zones = d.list_zones().await?;
    if let Some(zone) = zones.iter().find(|z| z.id == wanted) {
        return Ok(zone.clone());
    }
    let domain = wanted.trim_end_matches('.');
    zones
        .into_iter()
        .find(|z| z.domain.trim_end_matches('.').eq_ignore_ascii_case(domain))
        .ok_or_else(|| Error::not_found(ResourceKind::Zone, wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_sign_means_the_apex() {
        assert_eq!(apex("@".into()), "");
        assert_eq!(apex("www".into()), "www");
    }
}
