//! Change batches: what one `ChangeResourceRecordSets` request carries, and how many changes
//! are cut into requests that Route 53 accepts.

use libcloud_core::{Error, Result};

use crate::rrset::RecordSet;
use libcloud_aws::xml::Element;

/// The XML namespace of Route 53 API 2013-04-01.
pub(crate) const NAMESPACE: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

/// How much one `ChangeResourceRecordSets` request may carry.
///
/// The defaults are Route 53's documented limits: 1,000 `ResourceRecord` elements and 32,000
/// characters of values per request, an `UPSERT` counting twice. Route 53's older
/// documentation also capped a request at 100 changes; [`max_changes`](Self::max_changes)
/// (default 1,000) keeps that possible for servers that still enforce it.
///
/// ```
/// use libcloud_route53::BatchLimits;
///
/// let limits = BatchLimits::default();
/// assert_eq!((limits.max_records, limits.max_value_chars, limits.max_changes), (1000, 32_000, 1000));
/// assert!(BatchLimits::new(0, 10, 10).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchLimits {
    /// The most `ResourceRecord` elements (values) in one request.
    pub max_records: usize,
    /// The most characters of all `Value` elements together in one request.
    pub max_value_chars: usize,
    /// The most `Change` elements in one request.
    pub max_changes: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            max_records: 1000,
            max_value_chars: 32_000,
            max_changes: 1000,
        }
    }
}

impl BatchLimits {
    /// Limits of these sizes; a zero is
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput).
    pub fn new(max_records: usize, max_value_chars: usize, max_changes: usize) -> Result<Self> {
        if max_records == 0 || max_value_chars == 0 || max_changes == 0 {
            return Err(Error::invalid_input("batch limits must be at least 1")
                .with_provider(crate::PROVIDER));
        }
        Ok(BatchLimits {
            max_records,
            max_value_chars,
            max_changes,
        })
    }
}

/// What a change does to its record set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Create,
    Delete,
    Upsert,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Create => "CREATE",
            Action::Delete => "DELETE",
            Action::Upsert => "UPSERT",
        }
    }
}

/// One change of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) action: Action,
    pub(crate) set: RecordSet,
}

impl Change {
    pub(crate) fn create(set: RecordSet) -> Self {
        Change {
            action: Action::Create,
            set,
        }
    }

    pub(crate) fn delete(set: RecordSet) -> Self {
        Change {
            action: Action::Delete,
            set,
        }
    }

    /// What the change counts against the limits: (values, characters).
    fn cost(&self) -> (usize, usize) {
        let (records, chars) = self.set.weight();
        let factor = if self.action == Action::Upsert { 2 } else { 1 };
        (records * factor, chars * factor)
    }
}

/// The request body of a batch.
pub(crate) fn change_batch_xml(changes: &[Change]) -> String {
    let mut changes_element = Element::new("Changes");
    for change in changes {
        changes_element.children.push(
            Element::new("Change")
                .with(Element::text("Action", change.action.as_str()))
                .with(change.set.element().clone()),
        );
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    out.push_str("<ChangeResourceRecordSetsRequest xmlns=\"");
    out.push_str(NAMESPACE);
    out.push_str("\">");
    Element::new("ChangeBatch")
        .with(changes_element)
        .write(&mut out);
    out.push_str("</ChangeResourceRecordSetsRequest>");
    out
}

/// Cuts `units` (groups of changes that must go in the same request, such as a DELETE and the
/// CREATE that replaces it) into requests within `limits`, keeping their order.
///
/// A unit that alone exceeds the limits is `InvalidInput`; nothing is cut then.
pub(crate) fn plan(units: Vec<Vec<Change>>, limits: &BatchLimits) -> Result<Vec<Vec<Change>>> {
    let mut batches: Vec<Vec<Change>> = Vec::new();
    let mut current: Vec<Change> = Vec::new();
    let (mut records, mut chars) = (0usize, 0usize);
    for unit in units {
        let (r, c) = unit.iter().fold((0, 0), |(r, c), change| {
            let (cr, cc) = change.cost();
            (r + cr, c + cc)
        });
        if r > limits.max_records || c > limits.max_value_chars || unit.len() > limits.max_changes {
            let name = unit
                .first()
                .map(|c| c.set.name().to_string())
                .unwrap_or_default();
            return Err(Error::invalid_input(format!(
                "the changes to {name:?} need {r} values and {c} characters, more than one \
                 request may carry ({} values, {} characters, {} changes)",
                limits.max_records, limits.max_value_chars, limits.max_changes
            ))
            .with_provider(crate::PROVIDER));
        }
        let fits = records + r <= limits.max_records
            && chars + c <= limits.max_value_chars
            && current.len() + unit.len() <= limits.max_changes;
        if !fits && !current.is_empty() {
            batches.push(std::mem::take(&mut current));
            records = 0;
            chars = 0;
        }
        records += r;
        chars += c;
        current.extend(unit);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    Ok(batches)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::{ErrorKind, RecordType};

    fn set(name: &str, values: &[&str]) -> RecordSet {
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        RecordSet::new(name, RecordType::A, 300, &values)
    }

    #[test]
    fn batches_respect_every_limit_and_keep_units_whole() {
        let limits = BatchLimits::new(3, 1000, 10).unwrap();
        let units = vec![
            vec![Change::create(set("a.", &["1.1.1.1", "1.1.1.2"]))],
            vec![
                Change::delete(set("b.", &["2.2.2.2"])),
                Change::create(set("b.", &["2.2.2.3"])),
            ],
            vec![Change::create(set("c.", &["3.3.3.3"]))],
        ];
        let batches = plan(units, &limits).unwrap();
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [1, 3]);

        let by_chars = BatchLimits::new(100, 16, 10).unwrap();
        let units = (0..4)
            .map(|i| vec![Change::create(set(&format!("n{i}."), &["10.0.0.1"]))])
            .collect();
        assert_eq!(plan(units, &by_chars).unwrap().len(), 2);

        let by_changes = BatchLimits::new(100, 1000, 2).unwrap();
        let units = (0..5)
            .map(|i| vec![Change::create(set(&format!("n{i}."), &["10.0.0.1"]))])
            .collect();
        let sizes: Vec<usize> = plan(units, &by_changes)
            .unwrap()
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [2, 2, 1]);

        let too_big = vec![vec![Change::create(set("x.", &["1.1.1.1"; 4]))]];
        let err = plan(too_big, &limits).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(plan(Vec::new(), &limits).unwrap().is_empty());
    }

    #[test]
    fn upserts_count_twice() {
        let limits = BatchLimits::new(3, 1000, 10).unwrap();
        let upsert = Change {
            action: Action::Upsert,
            set: set("a.", &["1.1.1.1", "1.1.1.2"]),
        };
        assert!(plan(vec![vec![upsert]], &limits).is_err());
    }

    #[test]
    fn the_body_is_a_change_batch() {
        let body = change_batch_xml(&[Change::create(set("a.example.com.", &["192.0.2.1"]))]);
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ChangeResourceRecordSetsRequest \
             xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><ChangeBatch><Changes>\
             <Change><Action>CREATE</Action><ResourceRecordSet><Name>a.example.com.</Name>\
             <Type>A</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1\
             </Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes>\
             </ChangeBatch></ChangeResourceRecordSetsRequest>"
        );
    }
}
