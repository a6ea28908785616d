//! Value constraints, event by event: paths are absolute Windows paths cased
//! as Windows writes them, file-name columns match their paths, IP addresses
//! parse and agree with their `Is…Ipv6` flags, ports are in range.

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::facts::{Event, Facts, Schema, text};
use super::{Constraint, Finding};

/// Fields holding a path, by schema.
const SYSMON_PATHS: [&str; 7] = [
    "Image",
    "ParentImage",
    "ImageLoaded",
    "TargetFilename",
    "CurrentDirectory",
    "SourceImage",
    "TargetImage",
];
const SECURITY_PATHS: [&str; 3] = ["NewProcessName", "ParentProcessName", "ProcessName"];
const DEFENDER_PATHS: [&str; 2] = ["FolderPath", "InitiatingProcessFolderPath"];

/// What the kernel and Sysmon report for processes without an image file.
const PSEUDO_IMAGES: [&str; 7] = [
    "System",
    "Registry",
    "MemCompression",
    "Secure System",
    "Idle",
    "vmmem",
    "<unknown process>",
];

/// Columns naming a file beside the column of its full path.
const FILE_NAME_COLUMNS: [(&str, &str); 4] = [
    ("FileName", "FolderPath"),
    ("InitiatingProcessFileName", "InitiatingProcessFolderPath"),
    ("Process", "NewProcessName"),
    ("Process", "ProcessName"),
];

const IP_FIELDS: [(&str, Option<&str>); 5] = [
    ("SourceIp", Some("SourceIsIpv6")),
    ("DestinationIp", Some("DestinationIsIpv6")),
    ("IpAddress", None),
    ("LocalIP", None),
    ("RemoteIP", None),
];

const PORT_FIELDS: [&str; 5] = [
    "SourcePort",
    "DestinationPort",
    "LocalPort",
    "RemotePort",
    "IpPort",
];

pub fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for e in &facts.events {
        paths(e, out);
        file_names(e, out);
        ips(e, out);
        ports(e, out);
    }
}

fn paths(e: &Event, out: &mut Vec<Finding>) {
    let fields: &[&str] = match e.schema {
        Schema::Sysmon => &SYSMON_PATHS,
        Schema::Security => &SECURITY_PATHS,
        Schema::Defender => &DEFENDER_PATHS,
        Schema::Other => &[],
    };
    for field in fields {
        let Some(path) = text(&e.flat, field) else {
            continue;
        };
        if PSEUDO_IMAGES.contains(&path) {
            continue;
        }
        if let Some(problem) = path_problem(path, *field == "CurrentDirectory") {
            out.push(Finding::new(
                Constraint::PathForm,
                vec![e.index],
                format!("{field} {path:?} {problem}"),
            ));
            continue;
        }
        // Defender lower-cases the initiating process's path; every other
        // path keeps Windows' upper-case drive letter — except a working
        // directory, which keeps whatever case its creator passed.
        let lower_case_column = *field == "InitiatingProcessFolderPath";
        let drive = path
            .chars()
            .next()
            .filter(|_| path.as_bytes().get(1) == Some(&b':'));
        if lower_case_column && path.chars().any(|c| c.is_uppercase()) {
            out.push(Finding::new(
                Constraint::PathCase,
                vec![e.index],
                format!("{field} {path:?} is not lower case, as Defender writes it"),
            ));
        } else if !lower_case_column
            && *field != "CurrentDirectory"
            && drive.is_some_and(|d| d.is_ascii_lowercase())
        {
            out.push(Finding::new(
                Constraint::PathCase,
                vec![e.index],
                format!("{field} {path:?} has a lower-case drive letter; Windows logs write it upper case"),
            ));
        }
    }
}

/// Why `path` is not an absolute Windows path, if it is not.
fn path_problem(path: &str, directory: bool) -> Option<&'static str> {
    let bytes = path.as_bytes();
    let rest = if bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && &bytes[1..3] == b":\\" {
        &path[3..]
    } else if let Some(r) = ["\\\\?\\", "\\\\.\\", "\\??\\"]
        .iter()
        .find_map(|p| path.strip_prefix(p))
    {
        r
    } else if let Some(r) = path.strip_prefix("\\\\") {
        r
    } else if let Some(r) = ["\\Device\\", "\\SystemRoot\\"]
        .iter()
        .find_map(|p| path.strip_prefix(p))
    {
        r
    } else {
        return Some("is not an absolute Windows path (drive, UNC or device path)");
    };
    if path.contains('/') {
        return Some("contains '/'; Windows logs write paths with backslashes");
    }
    if rest.contains(['<', '>', '"', '|', '?', '*']) || path.chars().any(char::is_control) {
        return Some("contains a character Windows does not allow in paths");
    }
    let trimmed = if directory {
        rest.strip_suffix('\\').unwrap_or(rest)
    } else {
        rest
    };
    if trimmed.contains("\\\\") || (!trimmed.is_empty() && trimmed.ends_with('\\')) {
        return Some("has an empty path component");
    }
    None
}

fn file_names(e: &Event, out: &mut Vec<Finding>) {
    for (name_field, path_field) in FILE_NAME_COLUMNS {
        let (Some(name), Some(path)) = (text(&e.flat, name_field), text(&e.flat, path_field))
        else {
            continue;
        };
        let last = path.rsplit('\\').next().unwrap_or(path);
        if !last.eq_ignore_ascii_case(name) {
            out.push(Finding::new(
                Constraint::PathFileName,
                vec![e.index],
                format!("{name_field} {name:?} is not the file name of {path_field} {path:?}"),
            ));
        }
    }
}

fn flag(f: &Map<String, Value>, key: &str) -> Option<bool> {
    match f.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn ips(e: &Event, out: &mut Vec<Finding>) {
    for (field, ipv6_flag) in IP_FIELDS {
        let Some(text) = text(&e.flat, field) else {
            continue;
        };
        // An IPv6 address may carry its zone (`fe80::1%12`, RFC 4007).
        let address = match text.split_once('%') {
            Some((address, zone)) if address.contains(':') && !zone.is_empty() => address,
            _ => text,
        };
        let Ok(ip) = address.parse::<IpAddr>() else {
            out.push(Finding::new(
                Constraint::NetworkIp,
                vec![e.index],
                format!("{field} {text:?} is not an IP address"),
            ));
            continue;
        };
        if let Some(is_v6) = ipv6_flag.and_then(|k| flag(&e.flat, k)) {
            if is_v6 != ip.is_ipv6() {
                out.push(Finding::new(
                    Constraint::NetworkIp,
                    vec![e.index],
                    format!(
                        "{field} {text} is IPv{} but {} is {is_v6}",
                        if ip.is_ipv6() { 6 } else { 4 },
                        ipv6_flag.unwrap_or_default()
                    ),
                ));
            }
        }
    }
}

/// Whether the event is a TCP connection, where neither end can be port 0.
fn tcp_connection(e: &Event) -> bool {
    let protocol = text(&e.flat, "Protocol").unwrap_or_default();
    let connection = match e.schema {
        Schema::Sysmon => e.event_id == Some(3),
        Schema::Defender => e.source == "DeviceNetworkEvents",
        _ => false,
    };
    connection && protocol.eq_ignore_ascii_case("tcp")
}

fn ports(e: &Event, out: &mut Vec<Finding>) {
    let tcp = tcp_connection(e);
    for field in PORT_FIELDS {
        let port = match e.flat.get(field) {
            None | Some(Value::Null) => continue,
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) if s.is_empty() || s == "-" => continue,
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(_) => None,
        };
        let shown = e.flat.get(field).map(Value::to_string).unwrap_or_default();
        match port {
            Some(p) if (0..=65535).contains(&p) => {
                if p == 0 && tcp && field != "IpPort" {
                    out.push(Finding::new(
                        Constraint::NetworkPort,
                        vec![e.index],
                        format!("{field} is 0 in a TCP connection"),
                    ));
                }
            }
            _ => out.push(Finding::new(
                Constraint::NetworkPort,
                vec![e.index],
                format!("{field} {shown} is not a port (0–65535)"),
            )),
        }
    }
}
