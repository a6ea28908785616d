//! Sysmon (Microsoft-Windows-Sysmon/Operational) records: event IDs 1, 3, 7, 11, 13,
//! 22, with the field order, names and value types of Sysmon 15 (schema 4.90).

use serde_json::{Map, Value};

use super::evtx::{self, SYSMON, System, hex, sysmon_utc_time};
use super::{Rendered, Source};
use crate::action::{Action, Micros, Process, TimedAction};
use crate::environment::Environment;
use crate::plan::Plan;
use crate::plan::rng::Rng;
use crate::spec::model::{Integrity, Protocol};

/// Threads of the Sysmon service that write events.
const THREADS: [u32; 4] = [4016, 4172, 5388, 6124];

pub fn render(
    plan: &Plan,
    env: &Environment,
    action: &TimedAction,
    rng: &mut Rng,
) -> Vec<Rendered> {
    let process_of = |i: usize| &plan.processes[i];
    let (event_id, version, data) = match &action.action {
        Action::ProcessCreate { process } => {
            let p = process_of(*process);
            let parent = p.parent.map(process_of);
            (1, 5, process_create(env, p, parent, action.time))
        }
        Action::NetworkConnect {
            process,
            protocol,
            source_ip,
            source_port,
            destination_ip,
            destination_port,
            destination_hostname,
        } => {
            let p = process_of(*process);
            let mut d = head(action.time, p);
            d.insert("Image".into(), p.image.clone().into());
            d.insert("User".into(), user_name(env, p).into());
            d.insert(
                "Protocol".into(),
                match protocol {
                    Protocol::Tcp => "tcp",
                    Protocol::Udp => "udp",
                }
                .into(),
            );
            d.insert("Initiated".into(), true.into());
            d.insert("SourceIsIpv6".into(), source_ip.is_ipv6().into());
            d.insert("SourceIp".into(), source_ip.to_string().into());
            d.insert("SourceHostname".into(), env.host.fqdn.into());
            d.insert("SourcePort".into(), (*source_port).into());
            d.insert("SourcePortName".into(), "-".into());
            d.insert("DestinationIsIpv6".into(), destination_ip.is_ipv6().into());
            d.insert("DestinationIp".into(), destination_ip.to_string().into());
            d.insert(
                "DestinationHostname".into(),
                destination_hostname
                    .clone()
                    .unwrap_or_else(|| "-".into())
                    .into(),
            );
            d.insert("DestinationPort".into(), (*destination_port).into());
            d.insert(
                "DestinationPortName".into(),
                port_name(*destination_port).into(),
            );
            (3, 5, d)
        }
        Action::FileCreate { process, path } => {
            let p = process_of(*process);
            let mut d = head(action.time, p);
            d.insert("Image".into(), p.image.clone().into());
            d.insert("TargetFilename".into(), path.clone().into());
            d.insert(
                "CreationUtcTime".into(),
                sysmon_utc_time(action.time).into(),
            );
            d.insert("User".into(), user_name(env, p).into());
            (11, 2, d)
        }
        Action::RegistrySet {
            process,
            target_object,
            details,
            ..
        } => {
            let p = process_of(*process);
            let mut d = Map::new();
            d.insert("RuleName".into(), "-".into());
            d.insert("EventType".into(), "SetValue".into());
            d.insert("UtcTime".into(), sysmon_utc_time(action.time).into());
            d.insert("ProcessGuid".into(), p.guid.clone().into());
            d.insert("ProcessId".into(), p.pid.into());
            d.insert("Image".into(), p.image.clone().into());
            d.insert("TargetObject".into(), target_object.clone().into());
            d.insert("Details".into(), details.clone().into());
            d.insert("User".into(), user_name(env, p).into());
            (13, 2, d)
        }
        Action::DnsQuery {
            process,
            query,
            answers,
            status,
        } => {
            let p = process_of(*process);
            let mut d = head(action.time, p);
            d.insert("QueryName".into(), query.clone().into());
            d.insert("QueryStatus".into(), status.to_string().into());
            d.insert("QueryResults".into(), query_results(answers).into());
            d.insert("Image".into(), p.image.clone().into());
            d.insert("User".into(), user_name(env, p).into());
            (22, 5, d)
        }
        Action::ImageLoad { process, module } => {
            let p = process_of(*process);
            let (pe, signature) = (&module.pe, &module.signature);
            let mut d = head(action.time, p);
            d.insert("Image".into(), p.image.clone().into());
            d.insert("ImageLoaded".into(), module.path.clone().into());
            d.insert("FileVersion".into(), pe.file_version.clone().into());
            d.insert("Description".into(), pe.description.clone().into());
            d.insert("Product".into(), pe.product.clone().into());
            d.insert("Company".into(), pe.company.clone().into());
            d.insert(
                "OriginalFileName".into(),
                pe.original_file_name.clone().into(),
            );
            d.insert("Hashes".into(), module.file.sysmon_hashes().into());
            // The manifest types Signed as a string: "true"/"false".
            d.insert("Signed".into(), signature.signed.to_string().into());
            d.insert("Signature".into(), signature.signer.clone().into());
            d.insert("SignatureStatus".into(), signature.status.clone().into());
            d.insert("User".into(), user_name(env, p).into());
            (7, 3, d)
        }
        Action::Logon { .. }
        | Action::EntraSignIn(_)
        | Action::DirectoryChange(_)
        | Action::ArmOperation(_) => return Vec::new(),
    };
    // Sysmon writes the record a few milliseconds after the activity it observed.
    let logged = action.time + rng.between(800, 12_000) as Micros;
    let system = System {
        provider: &SYSMON,
        event_id,
        version,
        level: 4,
        task: event_id,
        keywords: "0x8000000000000000",
        time: logged,
        process_id: env.host.sysmon_pid,
        thread_id: *rng.pick(&THREADS),
        computer: env.host.fqdn,
        user_sid: Some("S-1-5-18"),
        activity_id: None,
    };
    vec![Rendered {
        time: logged,
        source: Source::Sysmon,
        record: evtx::record(system, "EventData", data),
        ingested: None,
    }]
}

fn head(time: Micros, p: &Process) -> Map<String, Value> {
    let mut d = Map::new();
    d.insert("RuleName".into(), "-".into());
    d.insert("UtcTime".into(), sysmon_utc_time(time).into());
    d.insert("ProcessGuid".into(), p.guid.clone().into());
    d.insert("ProcessId".into(), p.pid.into());
    d
}

fn process_create(
    env: &Environment,
    p: &Process,
    parent: Option<&Process>,
    time: Micros,
) -> Map<String, Value> {
    let mut d = head(time, p);
    d.insert("Image".into(), p.image.clone().into());
    d.insert("FileVersion".into(), p.pe.file_version.clone().into());
    d.insert("Description".into(), p.pe.description.clone().into());
    d.insert("Product".into(), p.pe.product.clone().into());
    d.insert("Company".into(), p.pe.company.clone().into());
    d.insert(
        "OriginalFileName".into(),
        p.pe.original_file_name.clone().into(),
    );
    d.insert("CommandLine".into(), p.command_line.clone().into());
    d.insert(
        "CurrentDirectory".into(),
        p.current_directory.clone().into(),
    );
    d.insert("User".into(), user_name(env, p).into());
    d.insert("LogonGuid".into(), p.logon_guid.clone().into());
    d.insert("LogonId".into(), hex(p.logon_id).into());
    d.insert("TerminalSessionId".into(), p.terminal_session_id.into());
    d.insert("IntegrityLevel".into(), integrity_name(p.integrity).into());
    d.insert("Hashes".into(), p.file.sysmon_hashes().into());
    if let Some(parent) = parent {
        d.insert("ParentProcessGuid".into(), parent.guid.clone().into());
        d.insert("ParentProcessId".into(), parent.pid.into());
        d.insert("ParentImage".into(), parent.image.clone().into());
        d.insert(
            "ParentCommandLine".into(),
            parent.command_line.clone().into(),
        );
        d.insert("ParentUser".into(), user_name(env, parent).into());
    }
    d
}

fn user_name(env: &Environment, p: &Process) -> String {
    env.user(&p.user)
        .map(|u| u.qualified())
        .unwrap_or_else(|| "-".into())
}

pub fn integrity_name(i: Integrity) -> &'static str {
    match i {
        Integrity::Low => "Low",
        Integrity::Medium => "Medium",
        Integrity::High => "High",
        Integrity::System => "System",
    }
}

fn port_name(port: u16) -> &'static str {
    match port {
        80 => "http",
        443 => "https",
        445 => "microsoft-ds",
        53 => "domain",
        389 => "ldap",
        3389 => "ms-wbt-server",
        5985 => "wsman",
        22 => "ssh",
        _ => "-",
    }
}

/// Sysmon's `QueryResults`: IPv4 answers as `::ffff:a.b.c.d;`, CNAMEs as `type:  5 name;`.
fn query_results(answers: &[String]) -> String {
    if answers.is_empty() {
        return "-".into();
    }
    answers
        .iter()
        .map(|a| match a.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(v4)) => format!("::ffff:{v4};"),
            Ok(std::net::IpAddr::V6(v6)) => format!("{v6};"),
            Err(_) => format!("type:  5 {a};"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_results_format_like_sysmon() {
        assert_eq!(query_results(&[]), "-");
        assert_eq!(
            query_results(&["cdn.example.net".into(), "185.225.17.44".into()]),
            "type:  5 cdn.example.net;::ffff:185.225.17.44;"
        );
    }
}
