//! The records of a bundle read into one shape: each event's host, source and
//! time, and what it says about processes (creations, actions, exits) and
//! logons, whichever schema it is in (Windows event logs as evtx_dump JSON,
//! Defender XDR rows, Sentinel `SecurityEvent` rows).

use chrono::{DateTime, NaiveDateTime};
use serde_json::{Map, Value};

use crate::action::Micros;
use crate::bundle::Bundle;
use crate::engine::view::flatten;

/// The fields that carry an event's own time, by schema: the log's write time
/// of event-log records, a Defender row's `Timestamp`, a Sentinel row's
/// `TimeGenerated`, an Elastic document's `@timestamp`.
const TIME_FIELDS: [&str; 4] = [
    "TimeCreated_SystemTime",
    "Timestamp",
    "TimeGenerated",
    "@timestamp",
];

/// Which family of records an event belongs to; fields mean different things
/// in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Schema {
    Sysmon,
    /// The Security log, as event-log records or Sentinel `SecurityEvent` rows.
    Security,
    Defender,
    Other,
}

pub struct Event {
    pub index: usize,
    /// The bundle label: the log or table.
    pub source: String,
    pub schema: Schema,
    pub event_id: Option<u64>,
    /// `Computer` or `DeviceName`, lower case (Defender lower-cases it).
    pub host: String,
    /// The event's own time, when it has one that parses.
    pub time: Option<Micros>,
    pub flat: Map<String, Value>,
}

/// A process as one record describes it; every part may be missing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessView {
    pub guid: Option<String>,
    pub pid: Option<u64>,
    pub image: Option<String>,
    pub command_line: Option<String>,
    /// Creation time, when the record states it.
    pub start: Option<Micros>,
    pub logon_id: Option<u64>,
    /// The account's name, lower case and without its domain; machine
    /// accounts (`WS-0142$`), which stand for SYSTEM in Security subjects, are
    /// left out.
    pub user: Option<String>,
}

/// A process creation: the new process and its parent as one record tells it.
pub struct Creation {
    pub event: usize,
    pub child: ProcessView,
    pub parent: ProcessView,
}

/// A record of something a process did (network, file, registry, DNS, image
/// load, …), or of a Defender row's initiating process.
pub struct Act {
    pub event: usize,
    pub time: Micros,
    pub actor: ProcessView,
    /// The actor's parent, when the record names it (Defender's
    /// `InitiatingProcessParent*`); alive when it created the actor.
    pub parent: ProcessView,
}

/// A process exit (Sysmon 5, Security 4689).
pub struct Exit {
    pub event: usize,
    pub time: Micros,
    pub process: ProcessView,
}

/// An account as a record names it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    pub sid: Option<String>,
    pub domain: Option<String>,
    pub name: Option<String>,
}

impl Account {
    pub fn shown(&self) -> String {
        let name = match (&self.domain, &self.name) {
            (Some(d), Some(n)) => format!("{d}\\{n}"),
            (None, Some(n)) => n.clone(),
            _ => String::new(),
        };
        match (&self.sid, name.is_empty()) {
            (Some(s), true) => s.clone(),
            (Some(s), false) => format!("{name} ({s})"),
            (None, _) => name,
        }
    }
}

/// A successful logon (Security 4624, `DeviceLogonEvents`).
pub struct Logon {
    pub event: usize,
    pub time: Micros,
    pub logon_id: u64,
    pub linked: Option<u64>,
    pub account: Account,
}

/// A LogonId used by a record together with the account it belongs to.
pub struct LogonUse {
    pub event: usize,
    pub logon_id: u64,
    pub account: Account,
    /// When a process of this logon was created, if this use is a creation.
    pub process_start: Option<Micros>,
}

pub struct Facts {
    pub events: Vec<Event>,
    pub creations: Vec<Creation>,
    pub acts: Vec<Act>,
    pub exits: Vec<Exit>,
    pub logons: Vec<Logon>,
    pub logon_uses: Vec<LogonUse>,
}

impl Facts {
    pub fn read(bundle: &Bundle) -> Facts {
        let mut facts = Facts {
            events: Vec::new(),
            creations: Vec::new(),
            acts: Vec::new(),
            exits: Vec::new(),
            logons: Vec::new(),
            logon_uses: Vec::new(),
        };
        for (index, line) in bundle.events.iter().enumerate() {
            let flat = flatten(&line.record);
            let source = line.labels.source.clone();
            let schema = match source.as_str() {
                "sysmon" => Schema::Sysmon,
                "security" | "SecurityEvent" => Schema::Security,
                s if s.starts_with("Device") => Schema::Defender,
                _ => Schema::Other,
            };
            let event = Event {
                index,
                event_id: number(&flat, "EventID"),
                host: ["Computer", "DeviceName"]
                    .iter()
                    .find_map(|k| text(&flat, k))
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                time: TIME_FIELDS
                    .iter()
                    .find_map(|k| text(&flat, k))
                    .and_then(parse_time),
                source,
                schema,
                flat,
            };
            facts.read_event(&event);
            facts.events.push(event);
        }
        facts
    }

    fn read_event(&mut self, e: &Event) {
        match (e.schema, e.event_id) {
            (Schema::Sysmon, Some(1)) => self.sysmon_creation(e),
            (Schema::Sysmon, Some(5)) => {
                if let Some(time) = sysmon_time(e) {
                    self.exits.push(Exit {
                        event: e.index,
                        time,
                        process: sysmon_process(&e.flat),
                    });
                }
            }
            (Schema::Sysmon, _) => {
                if let Some(time) = sysmon_time(e) {
                    let actor = sysmon_process(&e.flat);
                    if actor.guid.is_some() || actor.pid.is_some() {
                        self.acts.push(Act {
                            event: e.index,
                            time,
                            actor,
                            parent: ProcessView::default(),
                        });
                    }
                }
            }
            (Schema::Security, Some(4688)) => self.security_creation(e),
            (Schema::Security, Some(4689)) => {
                if let Some(time) = e.time {
                    self.exits.push(Exit {
                        event: e.index,
                        time,
                        process: ProcessView {
                            pid: number(&e.flat, "ProcessId"),
                            image: owned(&e.flat, "ProcessName"),
                            ..ProcessView::default()
                        },
                    });
                }
            }
            (Schema::Security, Some(4624)) => self.security_logon(e),
            (Schema::Defender, _) => self.defender_row(e),
            _ => {}
        }
    }

    fn sysmon_creation(&mut self, e: &Event) {
        let f = &e.flat;
        let mut child = sysmon_process(f);
        child.start = sysmon_time(e);
        child.logon_id = number(f, "LogonId");
        child.user = user_name(text(f, "User"));
        let parent = ProcessView {
            guid: guid(f, "ParentProcessGuid"),
            pid: number(f, "ParentProcessId"),
            image: owned(f, "ParentImage"),
            command_line: owned(f, "ParentCommandLine"),
            user: user_name(text(f, "ParentUser")),
            ..ProcessView::default()
        };
        if let Some(logon_id) = child.logon_id {
            self.logon_uses.push(LogonUse {
                event: e.index,
                logon_id,
                account: name_account(f, "User"),
                process_start: child.start,
            });
        }
        self.creations.push(Creation {
            event: e.index,
            child,
            parent,
        });
    }

    fn security_creation(&mut self, e: &Event) {
        let f = &e.flat;
        let subject = account(f, "Subject");
        let target = account(f, "Target");
        let subject_logon = number(f, "SubjectLogonId");
        // `Target*` names the new process's account only when it differs from
        // the creator's; otherwise it is the NULL SID and LogonId 0.
        let target_logon = number(f, "TargetLogonId").filter(|id| *id != 0);
        let child = ProcessView {
            pid: number(f, "NewProcessId"),
            image: owned(f, "NewProcessName"),
            command_line: owned(f, "CommandLine"),
            start: e.time,
            logon_id: target_logon,
            user: user_name(target.name.as_deref()),
            ..ProcessView::default()
        };
        let parent = ProcessView {
            pid: number(f, "ProcessId"),
            image: owned(f, "ParentProcessName"),
            // The subject is the account that asked for the process, which may
            // be a client the creator impersonates, not the creator's own.
            logon_id: None,
            ..ProcessView::default()
        };
        if let Some(logon_id) = subject_logon {
            self.logon_uses.push(LogonUse {
                event: e.index,
                logon_id,
                account: subject,
                process_start: None,
            });
        }
        if let Some(logon_id) = target_logon {
            self.logon_uses.push(LogonUse {
                event: e.index,
                logon_id,
                account: target,
                process_start: e.time,
            });
        }
        self.creations.push(Creation {
            event: e.index,
            child,
            parent,
        });
    }

    fn security_logon(&mut self, e: &Event) {
        let f = &e.flat;
        let (Some(time), Some(logon_id)) = (e.time, number(f, "TargetLogonId")) else {
            return;
        };
        if let Some(subject_logon) = number(f, "SubjectLogonId").filter(|id| *id != 0) {
            self.logon_uses.push(LogonUse {
                event: e.index,
                logon_id: subject_logon,
                account: account(f, "Subject"),
                process_start: None,
            });
        }
        self.logons.push(Logon {
            event: e.index,
            time,
            logon_id,
            linked: number(f, "TargetLinkedLogonId").filter(|id| *id != 0),
            account: account(f, "Target"),
        });
    }

    fn defender_row(&mut self, e: &Event) {
        let f = &e.flat;
        let Some(time) = e.time else { return };
        let initiating = ProcessView {
            pid: number(f, "InitiatingProcessId"),
            image: owned(f, "InitiatingProcessFolderPath"),
            command_line: owned(f, "InitiatingProcessCommandLine"),
            start: text(f, "InitiatingProcessCreationTime").and_then(parse_time),
            logon_id: number(f, "InitiatingProcessLogonId"),
            user: user_name(text(f, "InitiatingProcessAccountName")),
            ..ProcessView::default()
        };
        let initiating_parent = ProcessView {
            pid: number(f, "InitiatingProcessParentId"),
            image: None,
            start: text(f, "InitiatingProcessParentCreationTime").and_then(parse_time),
            ..ProcessView::default()
        };
        let initiating_account = Account {
            sid: owned(f, "InitiatingProcessAccountSid"),
            domain: owned(f, "InitiatingProcessAccountDomain"),
            name: owned(f, "InitiatingProcessAccountName"),
        };
        if let Some(logon_id) = initiating.logon_id.filter(|id| *id != 0) {
            self.logon_uses.push(LogonUse {
                event: e.index,
                logon_id,
                account: initiating_account,
                process_start: None,
            });
        }
        let action = text(f, "ActionType").unwrap_or_default();
        if e.source == "DeviceProcessEvents" && action == "ProcessCreated" {
            let child = ProcessView {
                pid: number(f, "ProcessId"),
                image: owned(f, "FolderPath"),
                command_line: owned(f, "ProcessCommandLine"),
                start: text(f, "ProcessCreationTime").and_then(parse_time),
                logon_id: number(f, "LogonId"),
                user: user_name(text(f, "AccountName")),
                ..ProcessView::default()
            };
            if let Some(logon_id) = child.logon_id.filter(|id| *id != 0) {
                self.logon_uses.push(LogonUse {
                    event: e.index,
                    logon_id,
                    account: Account {
                        sid: owned(f, "AccountSid"),
                        domain: owned(f, "AccountDomain"),
                        name: owned(f, "AccountName"),
                    },
                    process_start: child.start,
                });
            }
            self.creations.push(Creation {
                event: e.index,
                child,
                parent: initiating.clone(),
            });
        } else if e.source == "DeviceLogonEvents" && action == "LogonSuccess" {
            if let Some(logon_id) = number(f, "LogonId").filter(|id| *id != 0) {
                self.logons.push(Logon {
                    event: e.index,
                    time,
                    logon_id,
                    linked: None,
                    account: Account {
                        sid: owned(f, "AccountSid"),
                        domain: owned(f, "AccountDomain"),
                        name: owned(f, "AccountName"),
                    },
                });
            }
        }
        if initiating.pid.is_some() {
            self.acts.push(Act {
                event: e.index,
                time,
                actor: initiating,
                parent: initiating_parent,
            });
        }
    }
}

/// The process a Sysmon event is about (`ProcessGuid`, `ProcessId`, `Image`).
fn sysmon_process(f: &Map<String, Value>) -> ProcessView {
    ProcessView {
        guid: guid(f, "ProcessGuid"),
        pid: number(f, "ProcessId"),
        image: owned(f, "Image"),
        command_line: owned(f, "CommandLine"),
        ..ProcessView::default()
    }
}

/// Sysmon's own time of the event (`UtcTime`: when it happened, not when
/// the log wrote it), else the log time.
fn sysmon_time(e: &Event) -> Option<Micros> {
    text(&e.flat, "UtcTime").and_then(parse_time).or(e.time)
}

/// `Subject*`/`Target*` account of a Security record.
fn account(f: &Map<String, Value>, prefix: &str) -> Account {
    Account {
        sid: owned(f, &format!("{prefix}UserSid")).filter(|s| s != "S-1-0-0"),
        domain: owned(f, &format!("{prefix}DomainName")),
        name: owned(f, &format!("{prefix}UserName")),
    }
}

/// A `DOMAIN\name` field (Sysmon's `User`).
fn name_account(f: &Map<String, Value>, key: &str) -> Account {
    match text(f, key).map(|t| t.split_once('\\')) {
        Some(Some((domain, name))) => Account {
            sid: None,
            domain: Some(domain.to_string()),
            name: Some(name.to_string()),
        },
        Some(None) => Account {
            name: owned(f, key),
            ..Account::default()
        },
        None => Account::default(),
    }
}

/// An account name as [`ProcessView::user`] holds it, from `name` or
/// `DOMAIN\name`.
fn user_name(account: Option<&str>) -> Option<String> {
    let name = account?.rsplit('\\').next()?;
    (!name.is_empty() && !name.ends_with('$')).then(|| name.to_lowercase())
}

/// A string field with content: not empty and not Windows' `-` for "none".
pub fn text<'a>(f: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    f.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && *s != "-")
}

pub fn owned(f: &Map<String, Value>, key: &str) -> Option<String> {
    text(f, key).map(str::to_string)
}

/// A number as Windows logs write them: a JSON number, a decimal string or a
/// `0x` hexadecimal string (Security's PIDs and LogonIds).
pub fn number(f: &Map<String, Value>, key: &str) -> Option<u64> {
    match f.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => s.parse().ok(),
            }
        }
        _ => None,
    }
}

/// A GUID without braces, upper case (evtx_dump writes Sysmon's without
/// braces, Sentinel with them). The all-zero GUID, which Sysmon writes when it
/// cannot tell the process, identifies nothing.
fn guid(f: &Map<String, Value>, key: &str) -> Option<String> {
    text(f, key)
        .map(|g| {
            g.trim_start_matches('{')
                .trim_end_matches('}')
                .to_ascii_uppercase()
        })
        .filter(|g| g.chars().any(|c| c.is_ascii_alphanumeric() && c != '0'))
}

/// RFC 3339 (event logs, Defender, Sentinel) or Sysmon's `2026-03-02
/// 09:14:39.597` (UTC), to microseconds.
pub fn parse_time(text: &str) -> Option<Micros> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_micros());
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_micros())
}

/// A time for messages: RFC 3339 with microseconds.
pub fn shown_time(t: Micros) -> String {
    DateTime::from_timestamp_micros(t)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// The first time field of an event that is present, with its name.
pub fn time_field(f: &Map<String, Value>) -> Option<(&'static str, &Value)> {
    TIME_FIELDS
        .iter()
        .find_map(|k| f.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
}
