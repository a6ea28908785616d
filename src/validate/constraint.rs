//! The constraints a coherent bundle satisfies, with their stable ids (the
//! contract of `rulecheck validate --format json`, listed in
//! `docs/validation.md`).

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Constraint {
    /// An event's time field is present but is not a time.
    TimeFormat,
    /// Within one host and log, a later event (file order) has an earlier time.
    TimeOrder,
    /// An event's time lies outside the header's `start`…`reference_time`.
    TimeWindow,
    /// A child process starts before the parent that created it.
    ProcessParentOrder,
    /// A child's record describes its parent differently from the parent's own creation record.
    ProcessParentMismatch,
    /// Two records of the same process creation (Sysmon 1, 4688, `DeviceProcessEvents`) disagree.
    ProcessCrossSource,
    /// A record naming a process (by GUID, or PID and creation time) disagrees with its creation record.
    ProcessIdentity,
    /// An action of a process before it started or after it exited.
    ProcessNotLive,
    /// Two live processes share a PID on one host.
    ProcessPidReuse,
    /// One LogonId names two accounts.
    LogonAccount,
    /// A process of a logon session starts before the session's logon.
    LogonOrder,
    /// The two logons of a UAC split token do not name each other, or name different accounts.
    LogonLinked,
    /// A SID that is not `S-1-<authority>-<sub-authorities>`.
    SidFormat,
    /// A SID given two account names, or an account given two SIDs.
    SidAccount,
    /// A path field that is not an absolute Windows path.
    PathForm,
    /// A path cased unlike Windows writes it.
    PathCase,
    /// A file-name column that is not the last component of its path column.
    PathFileName,
    /// An IP address field that is not an address, or disagrees with its `Is…Ipv6` flag.
    NetworkIp,
    /// A port that is not 0–65535, or 0 where a connection needs a port.
    NetworkPort,
}

/// How sure the finding is that no real host writes this: `error` for
/// contradictions between records, `warning` for values that are unusual but
/// not impossible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl Constraint {
    pub const ALL: [Constraint; 19] = [
        Constraint::TimeFormat,
        Constraint::TimeOrder,
        Constraint::TimeWindow,
        Constraint::ProcessParentOrder,
        Constraint::ProcessParentMismatch,
        Constraint::ProcessCrossSource,
        Constraint::ProcessIdentity,
        Constraint::ProcessNotLive,
        Constraint::ProcessPidReuse,
        Constraint::LogonAccount,
        Constraint::LogonOrder,
        Constraint::LogonLinked,
        Constraint::SidFormat,
        Constraint::SidAccount,
        Constraint::PathForm,
        Constraint::PathCase,
        Constraint::PathFileName,
        Constraint::NetworkIp,
        Constraint::NetworkPort,
    ];

    /// The stable id reports and documentation use.
    pub fn id(self) -> &'static str {
        match self {
            Constraint::TimeFormat => "time-format",
            Constraint::TimeOrder => "time-order",
            Constraint::TimeWindow => "time-window",
            Constraint::ProcessParentOrder => "process-parent-order",
            Constraint::ProcessParentMismatch => "process-parent-mismatch",
            Constraint::ProcessCrossSource => "process-cross-source",
            Constraint::ProcessIdentity => "process-identity",
            Constraint::ProcessNotLive => "process-not-live",
            Constraint::ProcessPidReuse => "process-pid-reuse",
            Constraint::LogonAccount => "logon-account",
            Constraint::LogonOrder => "logon-order",
            Constraint::LogonLinked => "logon-linked",
            Constraint::SidFormat => "sid-format",
            Constraint::SidAccount => "sid-account",
            Constraint::PathForm => "path-form",
            Constraint::PathCase => "path-case",
            Constraint::PathFileName => "path-file-name",
            Constraint::NetworkIp => "network-ip",
            Constraint::NetworkPort => "network-port",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Constraint::PathCase => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl Serialize for Constraint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let doc = include_str!("../../docs/validation.md");
        let mut ids: Vec<&str> = Constraint::ALL.iter().map(|c| c.id()).collect();
        for id in &ids {
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
            assert!(
                doc.contains(&format!("`{id}`")),
                "{id} not in docs/validation.md"
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Constraint::ALL.len());
    }
}
