//! ATT&CK identifiers: technique ids and Enterprise tactic short names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ATT&CK technique or sub-technique id such as `T1059` or `T1059.001`.
///
/// Stored upper-case; parsed case-insensitively so that Sigma tags
/// (`attack.t1059.001`) and spec files (`T1059.001`) meet in one form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TechniqueId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an ATT&CK technique id (expected T followed by 4 digits, optionally .NNN, e.g. T1059.001)"
)]
pub struct InvalidTechniqueId(pub String);

impl TechniqueId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The parent technique of a sub-technique (`T1059.001` → `T1059`), or itself.
    pub fn base(&self) -> &str {
        self.0.split('.').next().unwrap_or(&self.0)
    }

    /// Whether an expectation for `self` is satisfied by activity labelled `other`:
    /// equal ids, or `self` is the parent technique of the sub-technique `other`.
    pub fn covers(&self, other: &TechniqueId) -> bool {
        self == other || (!self.0.contains('.') && other.base() == self.0)
    }

    /// Parse the technique out of a Sigma tag such as `attack.t1059.001`;
    /// `None` for tags that are not technique tags (`attack.execution`, `cve.…`).
    pub fn from_sigma_tag(tag: &str) -> Option<TechniqueId> {
        let rest = tag.strip_prefix("attack.")?;
        rest.parse().ok()
    }
}

impl FromStr for TechniqueId {
    type Err = InvalidTechniqueId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let base_ok =
            bytes.len() >= 5 && bytes[0] == b'T' && bytes[1..5].iter().all(u8::is_ascii_digit);
        let rest_ok = match &bytes[5.min(bytes.len())..] {
            [] => true,
            [b'.', a, b, c] => [a, b, c].iter().all(|d| d.is_ascii_digit()),
            _ => false,
        };
        if base_ok && rest_ok {
            Ok(TechniqueId(upper))
        } else {
            Err(InvalidTechniqueId(s.to_string()))
        }
    }
}

impl TryFrom<String> for TechniqueId {
    type Error = InvalidTechniqueId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TechniqueId> for String {
    fn from(t: TechniqueId) -> String {
        t.0
    }
}

impl fmt::Display for TechniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 14 tactics of ATT&CK Enterprise, by the short names Sigma tags use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tactic {
    Reconnaissance,
    ResourceDevelopment,
    InitialAccess,
    Execution,
    Persistence,
    PrivilegeEscalation,
    DefenseEvasion,
    CredentialAccess,
    Discovery,
    LateralMovement,
    Collection,
    CommandAndControl,
    Exfiltration,
    Impact,
}

impl Tactic {
    pub const ALL: [Tactic; 14] = [
        Tactic::Reconnaissance,
        Tactic::ResourceDevelopment,
        Tactic::InitialAccess,
        Tactic::Execution,
        Tactic::Persistence,
        Tactic::PrivilegeEscalation,
        Tactic::DefenseEvasion,
        Tactic::CredentialAccess,
        Tactic::Discovery,
        Tactic::LateralMovement,
        Tactic::Collection,
        Tactic::CommandAndControl,
        Tactic::Exfiltration,
        Tactic::Impact,
    ];

    pub fn short_name(self) -> &'static str {
        match self {
            Tactic::Reconnaissance => "reconnaissance",
            Tactic::ResourceDevelopment => "resource-development",
            Tactic::InitialAccess => "initial-access",
            Tactic::Execution => "execution",
            Tactic::Persistence => "persistence",
            Tactic::PrivilegeEscalation => "privilege-escalation",
            Tactic::DefenseEvasion => "defense-evasion",
            Tactic::CredentialAccess => "credential-access",
            Tactic::Discovery => "discovery",
            Tactic::LateralMovement => "lateral-movement",
            Tactic::Collection => "collection",
            Tactic::CommandAndControl => "command-and-control",
            Tactic::Exfiltration => "exfiltration",
            Tactic::Impact => "impact",
        }
    }
}

impl fmt::Display for Tactic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_techniques_and_sub_techniques() {
        assert_eq!(
            "t1059.001".parse::<TechniqueId>().unwrap().as_str(),
            "T1059.001"
        );
        assert_eq!("T1547".parse::<TechniqueId>().unwrap().base(), "T1547");
        for bad in [
            "",
            "T105",
            "T10590",
            "T1059.01",
            "T1059.0011",
            "X1059",
            "T1059.",
        ] {
            assert!(
                bad.parse::<TechniqueId>().is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn sigma_tags_give_techniques_only_for_technique_tags() {
        assert_eq!(
            TechniqueId::from_sigma_tag("attack.t1059.001")
                .unwrap()
                .as_str(),
            "T1059.001"
        );
        assert!(TechniqueId::from_sigma_tag("attack.execution").is_none());
        assert!(TechniqueId::from_sigma_tag("cve.2021-1234").is_none());
    }

    #[test]
    fn parent_technique_covers_its_sub_techniques_but_not_the_reverse() {
        let parent: TechniqueId = "T1059".parse().unwrap();
        let sub: TechniqueId = "T1059.001".parse().unwrap();
        let other: TechniqueId = "T1059.003".parse().unwrap();
        assert!(parent.covers(&sub));
        assert!(sub.covers(&sub));
        assert!(!sub.covers(&parent));
        assert!(!sub.covers(&other));
        assert!(!parent.covers(&"T1105".parse().unwrap()));
    }
}
