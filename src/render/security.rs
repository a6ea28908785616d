//! Windows Security log records (Microsoft-Windows-Security-Auditing): 4688 process
//! creation (with command line, version 2) and 4624 successful logon (version 2).

use serde_json::{Map, Value};

use super::evtx::{self, SECURITY_AUDITING, System, hex};
use super::{Rendered, Source};
use crate::action::{Action, LogonSession, Micros, TimedAction};
use crate::environment::{AccountKind, Environment, User};
use crate::plan::Plan;
use crate::plan::rng::Rng;
use crate::spec::model::{AuthPackage, Integrity};

const KEYWORDS_AUDIT_SUCCESS: &str = "0x8020000000000000";
/// The kernel's System process writes 4688 on the creating thread.
const SYSTEM_PID: u32 = 4;

pub fn render(
    plan: &Plan,
    env: &Environment,
    action: &TimedAction,
    rng: &mut Rng,
) -> Vec<Rendered> {
    match &action.action {
        Action::ProcessCreate { process } => {
            let data = process_create(plan, env, *process);
            let logged = action.time + rng.between(0, 2_500) as Micros;
            let head = Head {
                event_id: 4688,
                task: 13312,
                writer_pid: SYSTEM_PID,
                activity_id: None,
                logged,
            };
            vec![record(env, head, rng, data)]
        }
        Action::Logon { session } => {
            let session = &plan.sessions[*session];
            let activity = format!(
                "{}-{}-{}-{}-{}",
                rng.hex(8),
                rng.hex(4),
                rng.hex(4),
                rng.hex(4),
                rng.hex(12)
            );
            let mut logged = action.time + rng.between(0, 2_500) as Micros;
            // A UAC administrator's interactive logon is logged twice: the elevated
            // session first, then the limited one, each linked to the other.
            let tokens: Vec<Token> = match &session.elevated {
                Some((elevated_id, _)) => vec![
                    Token {
                        logon_id: *elevated_id,
                        linked: session.logon_id,
                        elevated: true,
                    },
                    Token {
                        logon_id: session.logon_id,
                        linked: *elevated_id,
                        elevated: false,
                    },
                ],
                None => vec![Token {
                    logon_id: session.logon_id,
                    linked: 0,
                    elevated: session.admin,
                }],
            };
            let mut out = Vec::new();
            for token in tokens {
                let data = logon(plan, env, session, &token);
                let head = Head {
                    event_id: 4624,
                    task: 12544,
                    writer_pid: env.host.lsass_pid,
                    activity_id: Some(activity.clone()),
                    logged,
                };
                out.push(record(env, head, rng, data));
                logged += rng.between(20, 400) as Micros;
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The token a 4624 record describes.
struct Token {
    logon_id: u64,
    /// `TargetLinkedLogonId`: the other half of a UAC split token, or 0.
    linked: u64,
    elevated: bool,
}

/// What differs between Security records besides their data.
struct Head {
    event_id: u32,
    task: u32,
    /// Process that wrote the record: System (4) for 4688, lsass for logons.
    writer_pid: u32,
    activity_id: Option<String>,
    logged: Micros,
}

fn record(env: &Environment, head: Head, rng: &mut Rng, data: Map<String, Value>) -> Rendered {
    let system = System {
        provider: &SECURITY_AUDITING,
        event_id: head.event_id,
        version: 2,
        level: 0,
        task: head.task,
        keywords: KEYWORDS_AUDIT_SUCCESS,
        time: head.logged,
        process_id: head.writer_pid,
        thread_id: rng.between(100, 2000) as u32 * 4,
        computer: env.host.fqdn,
        user_sid: None,
        activity_id: head.activity_id,
    };
    Rendered {
        time: head.logged,
        source: Source::Security,
        record: evtx::record(system, "EventData", data),
        ingested: None,
    }
}

/// Subject fields of an account as the Security log writes them: service
/// accounts acting on the machine's behalf appear as the machine account.
fn subject(env: &Environment, user: &User, logon_id: u64) -> [(&'static str, Value); 4] {
    let (name, domain) = match (user.kind, user.key) {
        (AccountKind::Service, "system") => (env.machine_account(), env.domain.netbios.to_string()),
        _ => (user.name.to_string(), user.domain.to_string()),
    };
    [
        ("SubjectUserSid", user.sid.clone().into()),
        ("SubjectUserName", name.into()),
        ("SubjectDomainName", domain.into()),
        ("SubjectLogonId", hex(logon_id).into()),
    ]
}

fn process_create(plan: &Plan, env: &Environment, index: usize) -> Map<String, Value> {
    let p = &plan.processes[index];
    let parent = p.parent.map(|i| &plan.processes[i]);
    let user = env
        .user(&p.user)
        .expect("process users come from the environment");
    // The subject is the account that asked for the process: the parent's.
    let (subject_user, subject_logon) = match parent {
        Some(parent) => (env.user(&parent.user).unwrap_or(user), parent.logon_id),
        None => (user, p.logon_id),
    };
    let mut d = Map::new();
    for (k, v) in subject(env, subject_user, subject_logon) {
        d.insert(k.into(), v);
    }
    d.insert("NewProcessId".into(), hex(p.pid as u64).into());
    d.insert("NewProcessName".into(), p.image.clone().into());
    d.insert(
        "TokenElevationType".into(),
        token_elevation_type(user, p.integrity).into(),
    );
    d.insert(
        "ProcessId".into(),
        hex(parent.map_or(0, |q| q.pid) as u64).into(),
    );
    d.insert("CommandLine".into(), p.command_line.clone().into());
    let different_user = subject_user.key != user.key;
    if different_user {
        d.insert("TargetUserSid".into(), user.sid.clone().into());
        d.insert("TargetUserName".into(), user.name.into());
        d.insert("TargetDomainName".into(), user.domain.into());
        d.insert("TargetLogonId".into(), hex(p.logon_id).into());
    } else {
        d.insert("TargetUserSid".into(), "S-1-0-0".into());
        d.insert("TargetUserName".into(), "-".into());
        d.insert("TargetDomainName".into(), "-".into());
        d.insert("TargetLogonId".into(), "0x0".into());
    }
    d.insert(
        "ParentProcessName".into(),
        parent.map_or("", |q| q.image.as_str()).into(),
    );
    d.insert("MandatoryLabel".into(), mandatory_label(p.integrity).into());
    d
}

/// `%%1936` full token (no UAC split), `%%1937` elevated, `%%1938` limited.
fn token_elevation_type(user: &User, integrity: Integrity) -> &'static str {
    match (user.kind, user.admin, integrity) {
        (AccountKind::Interactive, true, Integrity::High | Integrity::System) => "%%1937",
        (AccountKind::Interactive, true, _) => "%%1938",
        _ => "%%1936",
    }
}

fn mandatory_label(i: Integrity) -> &'static str {
    match i {
        Integrity::Low => "S-1-16-4096",
        Integrity::Medium => "S-1-16-8192",
        Integrity::High => "S-1-16-12288",
        Integrity::System => "S-1-16-16384",
    }
}

fn logon(plan: &Plan, env: &Environment, s: &LogonSession, token: &Token) -> Map<String, Value> {
    let user = env
        .user(&s.user)
        .expect("logon users come from the environment");
    let system = env.user("system").expect("environment has SYSTEM");
    let network = matches!(s.logon_type, 3 | 8);
    let mut d = Map::new();
    if network {
        d.insert("SubjectUserSid".into(), "S-1-0-0".into());
        d.insert("SubjectUserName".into(), "-".into());
        d.insert("SubjectDomainName".into(), "-".into());
        d.insert("SubjectLogonId".into(), "0x0".into());
    } else {
        for (k, v) in subject(env, system, system.logon_id) {
            d.insert(k.into(), v);
        }
    }
    d.insert("TargetUserSid".into(), user.sid.clone().into());
    d.insert("TargetUserName".into(), user.name.into());
    d.insert("TargetDomainName".into(), user.domain.into());
    d.insert("TargetLogonId".into(), hex(token.logon_id).into());
    d.insert("LogonType".into(), s.logon_type.into());
    // Real logs pad these names with trailing spaces; rules match them as logged.
    let logon_process = match (s.logon_type, s.auth) {
        (3 | 8, AuthPackage::Ntlm) => "NtLmSsp ",
        (3 | 8, _) => "Kerberos",
        (4 | 5, _) => "Advapi  ",
        (9, _) => "seclogo",
        _ => "User32 ",
    };
    d.insert("LogonProcessName".into(), logon_process.into());
    let package = match s.auth {
        AuthPackage::Ntlm => "NTLM",
        AuthPackage::Kerberos => "Kerberos",
        AuthPackage::Negotiate => "Negotiate",
    };
    d.insert("AuthenticationPackageName".into(), package.into());
    let workstation = s.workstation.clone().unwrap_or_else(|| {
        if network {
            "-".into()
        } else {
            env.host.name.into()
        }
    });
    d.insert("WorkstationName".into(), workstation.into());
    let guid = if s.auth == AuthPackage::Ntlm {
        "00000000-0000-0000-0000-000000000000".to_string()
    } else {
        // Both halves of a split token share the session's LogonGuid.
        s.logon_guid.clone()
    };
    d.insert("LogonGuid".into(), guid.into());
    d.insert("TransmittedServices".into(), "-".into());
    d.insert(
        "LmPackageName".into(),
        if s.auth == AuthPackage::Ntlm {
            "NTLM V2"
        } else {
            "-"
        }
        .into(),
    );
    d.insert(
        "KeyLength".into(),
        if s.auth == AuthPackage::Ntlm { 128 } else { 0 }.into(),
    );
    let (pid, name) = logon_process_image(plan, s.logon_type);
    d.insert("ProcessId".into(), hex(pid as u64).into());
    d.insert("ProcessName".into(), name.into());
    let (ip, port) = match (s.source_ip, s.source_port) {
        (Some(ip), Some(port)) => (ip.to_string(), port.to_string()),
        (Some(ip), None) => (ip.to_string(), "0".into()),
        _ if network => ("-".into(), "-".into()),
        _ => ("127.0.0.1".into(), "0".into()),
    };
    d.insert("IpAddress".into(), ip.into());
    d.insert("IpPort".into(), port.into());
    d.insert("ImpersonationLevel".into(), "%%1833".into());
    d.insert(
        "RestrictedAdminMode".into(),
        if s.logon_type == 10 { "%%1843" } else { "-" }.into(),
    );
    d.insert("TargetOutboundUserName".into(), "-".into());
    d.insert("TargetOutboundDomainName".into(), "-".into());
    d.insert("VirtualAccount".into(), "%%1843".into());
    d.insert("TargetLinkedLogonId".into(), hex(token.linked).into());
    d.insert(
        "ElevatedToken".into(),
        if token.elevated { "%%1842" } else { "%%1843" }.into(),
    );
    d
}

/// The process that performed a logon: none for network logons, services.exe for
/// service/batch logons, winlogon.exe for interactive ones.
fn logon_process_image(plan: &Plan, logon_type: u8) -> (u32, &str) {
    let find = |suffix: &str| {
        plan.processes
            .iter()
            .find(|p| p.parent.is_none() && p.image.to_ascii_lowercase().ends_with(suffix))
            .map(|p| (p.pid, p.image.as_str()))
    };
    match logon_type {
        3 | 8 => (0, "-"),
        4 | 5 => find(r"\services.exe").unwrap_or((0, "-")),
        _ => find(r"\winlogon.exe").unwrap_or((0, "-")),
    }
}
