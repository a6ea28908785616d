//! SID constraints: every SID is well-formed, a SID has one account name (and
//! the well-known service SIDs their own), and an account has one SID.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::facts::{Facts, text};
use super::{Constraint, Finding};

/// The names Windows gives the built-in service accounts. A Security
/// subject may also name them by the computer account (`WS-0142$`).
const WELL_KNOWN: [(&str, &str); 3] = [
    ("S-1-5-18", "system"),
    ("S-1-5-19", "local service"),
    ("S-1-5-20", "network service"),
];

/// The NULL SID: "no account", as Security events write an absent target.
const NULL_SID: &str = "S-1-0-0";

pub fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let mut names_of_sid: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    let mut sids_of_name: BTreeMap<(String, String), Vec<(String, usize)>> = BTreeMap::new();
    for e in &facts.events {
        for (field, sid) in sid_fields(&e.flat) {
            if !well_formed(sid) {
                out.push(Finding::new(
                    Constraint::SidFormat,
                    vec![e.index],
                    format!("{field} {sid:?} is not a SID (S-1-<authority>-<sub-authority>…)"),
                ));
                continue;
            }
            if sid == NULL_SID {
                continue;
            }
            let Some((domain, name)) = account_of(&e.flat, field) else {
                continue;
            };
            let name = name.to_lowercase();
            if name.ends_with('$') {
                continue;
            }
            if let Some((_, expected)) = WELL_KNOWN.iter().find(|(s, _)| *s == sid) {
                if name != *expected {
                    out.push(Finding::new(
                        Constraint::SidAccount,
                        vec![e.index],
                        format!("{field} {sid} is {expected} on every Windows host, not {name:?}"),
                    ));
                }
            }
            let list = names_of_sid.entry(sid.to_string()).or_default();
            if !list.iter().any(|(n, _)| *n == name) {
                list.push((name.clone(), e.index));
            }
            if let Some(domain) = domain {
                let list = sids_of_name
                    .entry((domain.to_lowercase(), name))
                    .or_default();
                if !list.iter().any(|(s, _)| s == sid) {
                    list.push((sid.to_string(), e.index));
                }
            }
        }
    }
    for (sid, names) in names_of_sid.iter().filter(|(_, n)| n.len() > 1) {
        out.push(Finding::new(
            Constraint::SidAccount,
            names.iter().map(|(_, e)| *e).collect(),
            format!("SID {sid} is given the accounts {}", listed(names)),
        ));
    }
    for ((domain, name), sids) in sids_of_name.iter().filter(|(_, s)| s.len() > 1) {
        out.push(Finding::new(
            Constraint::SidAccount,
            sids.iter().map(|(_, e)| *e).collect(),
            format!("account {domain}\\{name} has the SIDs {}", listed(sids)),
        ));
    }
}

fn listed(values: &[(String, usize)]) -> String {
    values
        .iter()
        .map(|(v, e)| format!("{v} (event {})", e + 1))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Fields holding a SID: `…Sid` columns and event-data fields, the record's
/// `Security.UserID`, and the integrity label of a 4688; `-`, empty and
/// unresolved `%%…` values are "none".
fn sid_fields(f: &Map<String, Value>) -> impl Iterator<Item = (&str, &str)> {
    f.iter().filter_map(|(k, v)| {
        let is_sid = k.ends_with("Sid") || k == "Security_UserID" || k == "MandatoryLabel";
        let v = v.as_str()?;
        // `%%1793` and the like are message-table references ("<value not
        // set>") that evtx_dump leaves unresolved: not a SID, not a claim.
        (is_sid && !v.is_empty() && v != "-" && !v.starts_with("%%")).then_some((k.as_str(), v))
    })
}

/// The account fields beside a SID field: `XUserSid` → `XDomainName`,
/// `XUserName` (Security); `XAccountSid` → `XAccountDomain`, `XAccountName`
/// (Defender); `TargetSid` → `TargetDomainName`, `TargetUserName`.
fn account_of<'a>(
    f: &'a Map<String, Value>,
    sid_field: &str,
) -> Option<(Option<&'a str>, &'a str)> {
    let (domain, name) = if let Some(p) = sid_field.strip_suffix("UserSid") {
        (format!("{p}DomainName"), format!("{p}UserName"))
    } else if let Some(p) = sid_field.strip_suffix("AccountSid") {
        (format!("{p}AccountDomain"), format!("{p}AccountName"))
    } else if sid_field == "TargetSid" {
        ("TargetDomainName".to_string(), "TargetUserName".to_string())
    } else {
        return None;
    };
    Some((text(f, &domain), text(f, &name)?))
}

/// `S-1-<identifier authority>-<sub-authority>…`: revision 1, an authority of
/// at most 48 bits (decimal, or `0x` and 12 hex digits), at most 15 32-bit
/// sub-authorities.
pub fn well_formed(sid: &str) -> bool {
    let Some(rest) = sid.strip_prefix("S-1-") else {
        return false;
    };
    let mut parts = rest.split('-');
    let authority_ok = match parts.next() {
        Some(a) => match a.strip_prefix("0x") {
            Some(hex) => hex.len() == 12 && u64::from_str_radix(hex, 16).is_ok(),
            None => a.parse::<u64>().is_ok_and(|n| n < 1 << 48) && !a.starts_with('+'),
        },
        None => false,
    };
    let subs: Vec<&str> = parts.collect();
    authority_ok
        && subs.len() <= 15
        && subs
            .iter()
            .all(|s| !s.is_empty() && !s.starts_with('+') && s.parse::<u32>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn sid_grammar() {
        for good in [
            "S-1-5-18",
            "S-1-0-0",
            "S-1-16-12288",
            "S-1-5-21-1537229476-3061498215-2870127409-1104",
            "S-1-5",
            "S-1-0x000000000005-18",
        ] {
            assert!(well_formed(good), "{good}");
        }
        for bad in [
            "S-2-5-18",
            "s-1-5-18",
            "S-1-5-",
            "S-1-5-21-x",
            "S-1-5-4294967296",
            "S-1-5--18",
            "S-1-281474976710656-1",
            "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
            "alice",
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }
}
