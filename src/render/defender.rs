//! Microsoft Defender XDR advanced-hunting rows, one per action, in the tables
//! Defender for Endpoint fills: `DeviceProcessEvents` (`ProcessCreated`),
//! `DeviceNetworkEvents` (`ConnectionSuccess`), `DeviceFileEvents`
//! (`FileCreated`), `DeviceRegistryEvents` (`RegistryValueSet`),
//! `DeviceImageLoadEvents` (`ImageLoaded`), `DeviceLogonEvents`
//! (`LogonSuccess`) and `DeviceEvents` (`DnsQueryResponse`).
//!
//! Columns and their order come from `data/tables.yaml`. Values follow what
//! Defender shows: account names and domains in lower case, the initiating
//! process's path in lower case, hashes in lower-case hex, `long` ids as
//! numbers. What the model does not know (Entra object ids, file origins, the
//! signer type) stays empty, as Defender leaves columns it has nothing for.

mod values;

pub use values::{
    device_id, dns_additional_fields, ip_type, logon_type_name, registry_key, registry_value_data,
    registry_value_type, token_elevation,
};

use std::net::IpAddr;

use serde_json::{Value, json};

use super::row::{Row, kql_datetime};
use super::sysmon::integrity_name;
use super::{Rendered, Source};
use crate::action::{Action, FileFacts, LogonSession, Micros, Process, TimedAction};
use crate::binaries::PeInfo;
use crate::environment::{Environment, User};
use crate::plan::Plan;
use crate::plan::rng::Rng;
use crate::spec::model::{AuthPackage, Protocol};

/// Defender's cloud ingests an event a few seconds after the device saw it.
const INGESTION_DELAY_US: (u64, u64) = (2_000_000, 9_000_000);

pub fn render(
    plan: &Plan,
    env: &Environment,
    action: &TimedAction,
    rng: &mut Rng,
) -> Vec<Rendered> {
    let time = action.time;
    let process = |i: usize| &plan.processes[i];
    let (source, row) = match &action.action {
        Action::ProcessCreate { process: p } => (
            Source::DeviceProcessEvents,
            process_created(plan, env, time, process(*p)),
        ),
        Action::NetworkConnect {
            process: p,
            protocol,
            source_ip,
            source_port,
            destination_ip,
            destination_port,
            destination_hostname,
        } => {
            let mut row = head("DeviceNetworkEvents", env, time, "ConnectionSuccess");
            row.set("RemoteIP", destination_ip.to_string());
            row.set("RemotePort", *destination_port);
            row.set(
                "RemoteUrl",
                destination_hostname.clone().unwrap_or_default(),
            );
            row.set("LocalIP", source_ip.to_string());
            row.set("LocalPort", *source_port);
            row.set(
                "Protocol",
                match protocol {
                    Protocol::Tcp => "Tcp",
                    Protocol::Udp => "Udp",
                },
            );
            row.set("LocalIPType", ip_type(*source_ip));
            row.set("RemoteIPType", ip_type(*destination_ip));
            row.set_present(initiating(plan, env, process(*p)));
            (Source::DeviceNetworkEvents, row)
        }
        Action::FileCreate { process: p, path } => {
            let mut row = head("DeviceFileEvents", env, time, "FileCreated");
            set_file(&mut row, path, &crate::plan::file_facts(path));
            // Created on the device itself, not over SMB or NFS.
            row.set("RequestProtocol", "Local");
            row.set_present(initiating(plan, env, process(*p)));
            (Source::DeviceFileEvents, row)
        }
        Action::RegistrySet {
            process: p,
            key,
            value_name,
            value_type,
            data,
            ..
        } => {
            let p = process(*p);
            let mut row = head("DeviceRegistryEvents", env, time, "RegistryValueSet");
            row.set("RegistryKey", registry_key(key, &user_of(env, p).sid));
            row.set("RegistryValueType", registry_value_type(*value_type));
            row.set("RegistryValueName", value_name.clone());
            row.set("RegistryValueData", registry_value_data(*value_type, data));
            row.set_present(initiating(plan, env, p));
            (Source::DeviceRegistryEvents, row)
        }
        Action::ImageLoad { process: p, module } => {
            let mut row = head("DeviceImageLoadEvents", env, time, "ImageLoaded");
            set_file(&mut row, &module.path, &module.file);
            row.set_present(initiating(plan, env, process(*p)));
            (Source::DeviceImageLoadEvents, row)
        }
        Action::Logon { session } => (
            Source::DeviceLogonEvents,
            logon(plan, env, time, &plan.sessions[*session]),
        ),
        Action::DnsQuery {
            process: p,
            query,
            answers,
            ..
        } => {
            let mut row = head("DeviceEvents", env, time, "DnsQueryResponse");
            row.set("AdditionalFields", dns_additional_fields(query, answers));
            row.set_present(initiating(plan, env, process(*p)));
            (Source::DeviceEvents, row)
        }
        // Cloud activity happens in the tenant, not on a device.
        Action::EntraSignIn(_) | Action::DirectoryChange(_) | Action::ArmOperation(_) => {
            return Vec::new();
        }
    };
    let (min, max) = INGESTION_DELAY_US;
    vec![Rendered {
        time,
        source,
        record: row.into_value(),
        ingested: Some(time + rng.between(min, max) as Micros),
    }]
}

/// A row with the columns every Defender table starts with.
fn head(table: &str, env: &Environment, time: Micros, action_type: &str) -> Row {
    let mut row = Row::new(table);
    row.set("Timestamp", kql_datetime(time));
    row.set("DeviceId", device_id(env));
    row.set("DeviceName", env.host.fqdn.to_ascii_lowercase());
    row.set("ActionType", action_type);
    row
}

fn process_created(plan: &Plan, env: &Environment, time: Micros, p: &Process) -> Row {
    let mut row = head("DeviceProcessEvents", env, time, "ProcessCreated");
    set_file(&mut row, &p.image, &p.file);
    for (column, value) in version_info(&p.pe) {
        row.set(&format!("Process{column}"), value);
    }
    row.set("ProcessId", p.pid);
    row.set("ProcessCommandLine", p.command_line.clone());
    row.set("ProcessIntegrityLevel", integrity_name(p.integrity));
    let user = user_of(env, p);
    row.set("ProcessTokenElevation", token_elevation(user, p.integrity));
    row.set("ProcessCreationTime", kql_datetime(p.start));
    row.set("AccountDomain", account_domain(user));
    row.set("AccountName", account_name(user));
    row.set("AccountSid", user.sid.clone());
    row.set("AccountUpn", user.upn.clone().unwrap_or_default());
    row.set("LogonId", p.logon_id);
    if let Some(parent) = p.parent {
        row.set_present(initiating(plan, env, &plan.processes[parent]));
    }
    row.set("CreatedProcessSessionId", p.terminal_session_id);
    let remote = remote_session(plan, p);
    row.set("IsProcessRemoteSession", remote.is_some());
    row.set(
        "ProcessRemoteSessionDeviceName",
        remote
            .and_then(|s| s.workstation.clone())
            .unwrap_or_default(),
    );
    row.set(
        "ProcessRemoteSessionIP",
        remote
            .and_then(|s| s.source_ip)
            .map(|ip| ip.to_string())
            .unwrap_or_default(),
    );
    row
}

fn logon(plan: &Plan, env: &Environment, time: Micros, s: &LogonSession) -> Row {
    let user = env
        .user(&s.user)
        .expect("logon users come from the environment");
    let mut row = head("DeviceLogonEvents", env, time, "LogonSuccess");
    row.set("LogonType", logon_type_name(s.logon_type));
    row.set("AccountDomain", account_domain(user));
    row.set("AccountName", account_name(user));
    row.set("AccountSid", user.sid.clone());
    row.set(
        "Protocol",
        match s.auth {
            AuthPackage::Ntlm => "NTLM",
            AuthPackage::Kerberos => "Kerberos",
            AuthPackage::Negotiate => "Negotiate",
        },
    );
    row.set("IsLocalAdmin", user.admin);
    // A UAC administrator's logon has two tokens; the session is the limited one.
    row.set("LogonId", s.logon_id);
    row.set(
        "RemoteDeviceName",
        s.workstation.clone().unwrap_or_default(),
    );
    let network = matches!(s.logon_type, 3 | 8);
    // As in the 4624 it comes from: local logons come from the loopback address.
    let remote = match s.source_ip {
        Some(ip) => Some((ip, s.source_port.unwrap_or(0))),
        None if network => None,
        None => Some((IpAddr::from([127, 0, 0, 1]), 0)),
    };
    if let Some((ip, port)) = remote {
        row.set("RemoteIP", ip.to_string());
        row.set("RemoteIPType", ip_type(ip));
        row.set("RemotePort", port);
    }
    if let Some(initiator) = logon_initiator(plan, s.logon_type) {
        row.set_present(initiating(plan, env, initiator));
    }
    let local = !network && s.logon_type != 10 && s.source_ip.is_none();
    row.set(
        "AdditionalFields",
        json!({ "IsLocalLogon": local }).to_string(),
    );
    row
}

/// The process that performs a logon, as Security 4624 names it: winlogon for
/// interactive logons, services for batch and service logons, none for
/// network logons (the kernel's SMB server).
fn logon_initiator(plan: &Plan, logon_type: u8) -> Option<&Process> {
    let suffix = match logon_type {
        3 | 8 => return None,
        4 | 5 => r"\services.exe",
        _ => r"\winlogon.exe",
    };
    plan.processes
        .iter()
        .find(|p| p.parent.is_none() && p.image.to_ascii_lowercase().ends_with(suffix))
}

/// `FileName`, `FolderPath` (the full path, as Defender fills it), hashes, size.
fn set_file(row: &mut Row, path: &str, file: &FileFacts) {
    row.set("FileName", file_name(path));
    row.set("FolderPath", path);
    row.set("SHA1", file.sha1.to_ascii_lowercase());
    row.set("SHA256", file.sha256.to_ascii_lowercase());
    row.set("MD5", file.md5.to_ascii_lowercase());
    row.set("FileSize", file.size);
}

/// The `InitiatingProcess*` columns for the process that acted, and
/// `InitiatingProcessParent*` for its parent. Tables carry different subsets,
/// so each row keeps those of its schema ([`Row::set_present`]).
fn initiating(plan: &Plan, env: &Environment, p: &Process) -> Vec<(String, Value)> {
    let user = user_of(env, p);
    let parent = p.parent.map(|i| &plan.processes[i]);
    let remote = remote_session(plan, p);
    let mut columns: Vec<(&str, Value)> = vec![
        ("AccountDomain", account_domain(user).into()),
        ("AccountName", account_name(user).into()),
        ("AccountSid", user.sid.clone().into()),
        ("AccountUpn", user.upn.clone().unwrap_or_default().into()),
        ("LogonId", p.logon_id.into()),
        ("IntegrityLevel", integrity_name(p.integrity).into()),
        ("TokenElevation", token_elevation(user, p.integrity).into()),
        ("SHA1", p.file.sha1.to_ascii_lowercase().into()),
        ("SHA256", p.file.sha256.to_ascii_lowercase().into()),
        ("MD5", p.file.md5.to_ascii_lowercase().into()),
        ("FileName", file_name(&p.image).into()),
        ("FileSize", p.file.size.into()),
        ("Id", p.pid.into()),
        ("CommandLine", p.command_line.clone().into()),
        ("CreationTime", kql_datetime(p.start).into()),
        ("FolderPath", p.image.to_ascii_lowercase().into()),
        ("ParentId", parent.map_or(Value::Null, |q| q.pid.into())),
        (
            "ParentFileName",
            parent.map_or(String::new(), |q| file_name(&q.image)).into(),
        ),
        (
            "ParentCreationTime",
            parent.map_or(Value::Null, |q| kql_datetime(q.start).into()),
        ),
        ("SessionId", p.terminal_session_id.into()),
        (
            "RemoteSessionDeviceName",
            remote
                .and_then(|s| s.workstation.clone())
                .unwrap_or_default()
                .into(),
        ),
        (
            "RemoteSessionIP",
            remote
                .and_then(|s| s.source_ip)
                .map(|ip| ip.to_string())
                .unwrap_or_default()
                .into(),
        ),
    ];
    let version = version_info(&p.pe);
    columns.extend(version.iter().map(|(c, v)| (*c, Value::from(v.as_str()))));
    let mut named: Vec<(String, Value)> = columns
        .into_iter()
        .map(|(c, v)| (format!("InitiatingProcess{c}"), v))
        .collect();
    named.push((
        "IsInitiatingProcessRemoteSession".to_string(),
        remote.is_some().into(),
    ));
    named
}

/// Version-resource columns (`VersionInfo…`, prefixed `Process` or
/// `InitiatingProcess` by the caller). Sysmon's `-` for "no version resource"
/// is an empty string here. The internal file name is not in the catalog, so
/// it stays empty rather than guessed.
fn version_info(pe: &PeInfo) -> [(&'static str, String); 6] {
    let text = |s: &str| {
        if s == "-" {
            String::new()
        } else {
            s.to_string()
        }
    };
    // "10.0.22621.3085 (WinBuild.160101.0800)": the product version is the number.
    let product_version = text(pe.file_version.split_whitespace().next().unwrap_or(""));
    [
        ("VersionInfoCompanyName", text(&pe.company)),
        ("VersionInfoProductName", text(&pe.product)),
        ("VersionInfoProductVersion", product_version),
        ("VersionInfoInternalFileName", String::new()),
        ("VersionInfoOriginalFileName", text(&pe.original_file_name)),
        ("VersionInfoFileDescription", text(&pe.description)),
    ]
}

/// The RDP session a process runs in, if its logon is a remote-interactive one.
fn remote_session<'a>(plan: &'a Plan, p: &Process) -> Option<&'a LogonSession> {
    plan.sessions.iter().find(|s| {
        s.logon_type == 10
            && (s.logon_id == p.logon_id
                || s.elevated.as_ref().is_some_and(|(id, _)| *id == p.logon_id))
    })
}

fn user_of<'a>(env: &'a Environment, p: &Process) -> &'a User {
    env.user(&p.user)
        .expect("process users come from the environment")
}

/// Defender shows domains in lower case (`northwind`, `nt authority`).
fn account_domain(user: &User) -> String {
    user.domain.to_ascii_lowercase()
}

/// Defender shows account names in lower case (`system`, `local service`).
fn account_name(user: &User) -> String {
    user.name.to_ascii_lowercase()
}

fn file_name(path: &str) -> String {
    path.rsplit('\\').next().unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests;
