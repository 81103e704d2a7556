//! AWS regions and the partitions they belong to.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use libcloud_core::{Error, Result};

use crate::env::Env;

/// The longest region name accepted.
const MAX_REGION_LEN: usize = 64;

/// A region name (`us-east-1`, `cn-north-1`, or the name an S3-compatible store expects).
///
/// The name is checked when the value is made: 1 to 64 ASCII letters, digits and `-`, starting
/// and ending with a letter or digit, since it becomes part of host names and of the SigV4
/// credential scope. Names that AWS does not know are accepted, because S3-compatible stores pick
/// their own (`garage`, `auto`, ...); [`Region::is_known`] tells the two apart.
///
/// ```
/// use libcloud_aws::{Partition, Region};
///
/// let r: Region = "cn-northwest-1".parse().unwrap();
/// assert_eq!(r.partition(), Partition::AwsCn);
/// assert_eq!(r.dns_suffix(), "amazonaws.com.cn");
/// assert!("eu_west_1".parse::<Region>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(Cow<'static, str>);

impl Region {
    /// US East (N. Virginia), the region of AWS's global endpoints and the default of many tools.
    pub const US_EAST_1: Region = Region(Cow::Borrowed("us-east-1"));

    /// A region of this name, or [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput)
    /// when the name could not be one.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        validate(&name)?;
        Ok(Region(Cow::Owned(name)))
    }

    /// The region's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The partition the region belongs to, by its name; unknown names belong to [`Partition::Aws`].
    pub fn partition(&self) -> Partition {
        Partition::of(self.as_str())
    }

    /// The DNS suffix of the region's endpoints, for example `amazonaws.com` or `amazonaws.com.cn`.
    pub fn dns_suffix(&self) -> &'static str {
        self.partition().dns_suffix()
    }

    /// Whether AWS runs a region of this name (from the list in [`KNOWN_REGIONS`]).
    pub fn is_known(&self) -> bool {
        KNOWN_REGIONS.contains(&self.as_str())
    }

    /// The region named by `AWS_REGION`, else `AWS_DEFAULT_REGION`; `None` when neither is set.
    ///
    /// A variable that is set to something that cannot be a region name is an
    /// [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput) error naming it.
    /// [`load_region`](crate::load_region) also looks at the shared config file.
    pub fn from_env(env: &Env) -> Result<Option<Region>> {
        for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let Some(value) = env.get(var) {
                let value = value.trim().to_string();
                return Region::new(value)
                    .map(Some)
                    .map_err(|e| e.with_message(format!("{var} does not name a region")));
            }
        }
        Ok(None)
    }
}

fn validate(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_REGION_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{name:?} is not a region name (1 to {MAX_REGION_LEN} letters, digits and '-')"
        ))
        .with_provider("aws"))
    }
}

impl FromStr for Region {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Region::new(s)
    }
}

impl TryFrom<String> for Region {
    type Error = Error;

    fn try_from(s: String) -> Result<Self> {
        Region::new(s)
    }
}

impl From<Region> for String {
    fn from(r: Region) -> String {
        r.0.into_owned()
    }
}

impl AsRef<str> for Region {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.as_str())
    }
}

impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Region::new(name).map_err(serde::de::Error::custom)
    }
}

/// A group of regions that share a DNS suffix and an identity system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Partition {
    /// The commercial regions (`amazonaws.com`).
    Aws,
    /// The China regions, `cn-*` (`amazonaws.com.cn`).
    AwsCn,
    /// AWS GovCloud (US), `us-gov-*` (`amazonaws.com`).
    AwsUsGov,
    /// US ISO, `us-iso-*` (`c2s.ic.gov`).
    AwsIso,
    /// US ISOB, `us-isob-*` (`sc2s.sgov.gov`).
    AwsIsoB,
    /// EU ISOE, `eu-isoe-*` (`cloud.adc-e.uk`).
    AwsIsoE,
    /// US ISOF, `us-isof-*` (`csp.hci.ic.gov`).
    AwsIsoF,
    /// The European Sovereign Cloud, `eusc-*` (`amazonaws.eu`).
    AwsEusc,
}

impl Partition {
    /// The partition of a region name; names that match no other partition are [`Partition::Aws`].
    pub fn of(region: &str) -> Partition {
        // Longer prefixes first: `us-isob-` also starts with `us-iso`.
        const PREFIXES: &[(&str, Partition)] = &[
            ("cn-", Partition::AwsCn),
            ("us-gov-", Partition::AwsUsGov),
            ("us-isob-", Partition::AwsIsoB),
            ("us-isof-", Partition::AwsIsoF),
            ("us-iso-", Partition::AwsIso),
            ("eu-isoe-", Partition::AwsIsoE),
            ("eusc-", Partition::AwsEusc),
        ];
        PREFIXES
            .iter()
            .find(|(prefix, _)| region.starts_with(prefix))
            .map_or(Partition::Aws, |(_, p)| *p)
    }

    /// The partition's id as AWS writes it in ARNs (`aws`, `aws-cn`, `aws-us-gov`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsIso => "aws-iso",
            Partition::AwsIsoB => "aws-iso-b",
            Partition::AwsIsoE => "aws-iso-e",
            Partition::AwsIsoF => "aws-iso-f",
            Partition::AwsEusc => "aws-eusc",
        }
    }

    /// The DNS suffix of the partition's endpoints.
    pub fn dns_suffix(&self) -> &'static str {
        match self {
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
            Partition::AwsCn => "amazonaws.com.cn",
            Partition::AwsIso => "c2s.ic.gov",
            Partition::AwsIsoB => "sc2s.sgov.gov",
            Partition::AwsIsoE => "cloud.adc-e.uk",
            Partition::AwsIsoF => "csp.hci.ic.gov",
            Partition::AwsEusc => "amazonaws.eu",
        }
    }

    /// The region that signs requests to the partition's global services (Route 53, IAM).
    pub fn global_region(&self) -> Region {
        Region(Cow::Borrowed(match self {
            Partition::Aws => "us-east-1",
            Partition::AwsCn => "cn-northwest-1",
            Partition::AwsUsGov => "us-gov-west-1",
            Partition::AwsIso => "us-iso-east-1",
            Partition::AwsIsoB => "us-isob-east-1",
            Partition::AwsIsoE => "eu-isoe-west-1",
            Partition::AwsIsoF => "us-isof-south-1",
            Partition::AwsEusc => "eusc-de-east-1",
        }))
    }
}

/// The regions AWS runs, across all partitions, as listed in the SDKs' partition table.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "eusc-de-east-1",
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    #[test]
    fn names_are_validated() {
        for good in ["us-east-1", "garage", "auto", "fr-par", "us-west-004", "A1"] {
            assert_eq!(Region::new(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "-us",
            "us-",
            "eu_west_1",
            "us east",
            "r\u{e9}gion",
            "a/b",
            "x.y",
        ] {
            let err = Region::new(bad).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
        assert!(Region::new("a".repeat(65)).is_err());
        assert!(Region::new("a".repeat(64)).is_ok());
    }

    #[test]
    fn partitions_and_suffixes() {
        let cases = [
            ("us-east-1", Partition::Aws, "amazonaws.com"),
            ("eu-central-2", Partition::Aws, "amazonaws.com"),
            ("cn-north-1", Partition::AwsCn, "amazonaws.com.cn"),
            ("us-gov-west-1", Partition::AwsUsGov, "amazonaws.com"),
            ("us-iso-east-1", Partition::AwsIso, "c2s.ic.gov"),
            ("us-isob-east-1", Partition::AwsIsoB, "sc2s.sgov.gov"),
            ("us-isof-south-1", Partition::AwsIsoF, "csp.hci.ic.gov"),
            ("eu-isoe-west-1", Partition::AwsIsoE, "cloud.adc-e.uk"),
            ("eusc-de-east-1", Partition::AwsEusc, "amazonaws.eu"),
            ("garage", Partition::Aws, "amazonaws.com"),
        ];
        for (name, partition, suffix) in cases {
            let r = Region::new(name).unwrap();
            assert_eq!(r.partition(), partition, "{name}");
            assert_eq!(r.dns_suffix(), suffix, "{name}");
        }
        assert_eq!(Partition::AwsCn.global_region().as_str(), "cn-northwest-1");
        assert_eq!(Partition::Aws.name(), "aws");
        assert!(Region::US_EAST_1.is_known());
        assert!(!Region::new("garage").unwrap().is_known());
        for name in KNOWN_REGIONS {
            assert!(Region::new(*name).is_ok(), "{name}");
        }
    }

    #[test]
    fn region_from_env_prefers_aws_region() {
        let env = Env::from_pairs([
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
        ]);
        assert_eq!(
            Region::from_env(&env).unwrap().unwrap().as_str(),
            "eu-west-1"
        );
        let env = Env::from_pairs([("AWS_DEFAULT_REGION", " us-west-2 ")]);
        assert_eq!(
            Region::from_env(&env).unwrap().unwrap().as_str(),
            "us-west-2"
        );
        assert_eq!(
            Region::from_env(&Env::from_pairs::<_, &str, &str>([])).unwrap(),
            None
        );
        let err = Region::from_env(&Env::from_pairs([("AWS_REGION", "not a region")])).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("AWS_REGION"));
    }

    #[test]
    fn serde_round_trip_validates() {
        let r: Region = serde_json::from_str("\"ap-south-2\"").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"ap-south-2\"");
        assert!(serde_json::from_str::<Region>("\"no way\"").is_err());
    }
}
