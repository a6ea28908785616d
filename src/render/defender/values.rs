//! How Defender writes values: names of logon types, IP address classes,
//! registry keys and value types, token elevation, the DNS `AdditionalFields`
//! document, the device id.

use std::net::IpAddr;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::environment::{AccountKind, Environment, User};
use crate::spec::model::{Integrity, RegistryValueType};

/// The Defender device id of the host: 40 hex digits, stable per host.
pub fn device_id(env: &Environment) -> String {
    let digest = Sha256::digest(format!(
        "defender-device:{}",
        env.host.fqdn.to_ascii_lowercase()
    ));
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..40]
        .to_string()
}

/// `ProcessTokenElevation`: a UAC administrator's processes run on the full
/// (elevated) or limited token of a split pair; everyone else's on a default one.
pub fn token_elevation(user: &User, integrity: Integrity) -> &'static str {
    match (user.kind, user.admin, integrity) {
        (AccountKind::Interactive, true, Integrity::High | Integrity::System) => {
            "TokenElevationTypeFull"
        }
        (AccountKind::Interactive, true, _) => "TokenElevationTypeLimited",
        _ => "TokenElevationTypeDefault",
    }
}

/// Defender's `LogonType` names for Windows logon types.
pub fn logon_type_name(logon_type: u8) -> &'static str {
    match logon_type {
        2 => "Interactive",
        3 => "Network",
        4 => "Batch",
        5 => "Service",
        7 => "Unlock",
        8 => "NetworkCleartext",
        9 => "NewCredentials",
        10 => "RemoteInteractive",
        11 => "CachedInteractive",
        _ => "Unknown",
    }
}

/// Defender's `LocalIPType`/`RemoteIPType` classes.
pub fn ip_type(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                "Loopback"
            } else if v4.is_private() {
                "Private"
            } else if v4.is_broadcast() {
                "Broadcast"
            } else if v4.is_unspecified()
                || v4.is_link_local()
                || v4.is_multicast()
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
            {
                "Reserved"
            } else {
                "Public"
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                "Loopback"
            } else if v6.to_ipv4_mapped().is_some() {
                "FourToSixMapping"
            } else if first == 0x2001 && v6.segments()[1] == 0 {
                "Teredo"
            } else if first & 0xfe00 == 0xfc00 {
                "Private"
            } else if v6.is_unspecified() || v6.is_multicast() || first & 0xffc0 == 0xfe80 {
                "Reserved"
            } else {
                "Public"
            }
        }
    }
}

/// Registry keys as Defender writes them: long hive names, and a user's hive
/// as `HKEY_CURRENT_USER\<SID>` (whether written through HKCU or `HKU\<SID>`).
pub fn registry_key(key: &str, user_sid: &str) -> String {
    let key = key.trim_end_matches('\\');
    let (hive, rest) = key.split_once('\\').unwrap_or((key, ""));
    let hive = match hive.to_ascii_uppercase().as_str() {
        "HKCU" | "HKEY_CURRENT_USER" => format!("HKEY_CURRENT_USER\\{user_sid}"),
        "HKLM" | "HKEY_LOCAL_MACHINE" => "HKEY_LOCAL_MACHINE".to_string(),
        "HKU" | "HKEY_USERS" if rest.starts_with("S-1-") => "HKEY_CURRENT_USER".to_string(),
        "HKU" | "HKEY_USERS" => "HKEY_USERS".to_string(),
        "HKCR" | "HKEY_CLASSES_ROOT" => "HKEY_CLASSES_ROOT".to_string(),
        other => other.to_string(),
    };
    if rest.is_empty() {
        hive
    } else {
        format!("{hive}\\{rest}")
    }
}

/// `RegistryValueType`: the .NET `RegistryValueKind` names Defender uses.
pub fn registry_value_type(kind: RegistryValueType) -> &'static str {
    match kind {
        RegistryValueType::String => "String",
        RegistryValueType::ExpandString => "ExpandString",
        RegistryValueType::Dword => "Dword",
        RegistryValueType::Qword => "Qword",
        RegistryValueType::Binary => "Binary",
    }
}

/// `RegistryValueData`: numbers in decimal, other data as written.
pub fn registry_value_data(kind: RegistryValueType, data: &str) -> String {
    match kind {
        RegistryValueType::Dword => {
            (crate::plan::parse_number(data).unwrap_or(0) as u32).to_string()
        }
        RegistryValueType::Qword => crate::plan::parse_number(data).unwrap_or(0).to_string(),
        _ => data.to_string(),
    }
}

/// `AdditionalFields` of a `DnsQueryResponse`: a JSON string holding the query
/// and, as a JSON string of its own, the answers with their record types.
pub fn dns_additional_fields(query: &str, answers: &[String]) -> String {
    let results: Vec<Value> = answers
        .iter()
        .map(|answer| {
            let kind = match answer.parse::<IpAddr>() {
                Ok(IpAddr::V4(_)) => "A",
                Ok(IpAddr::V6(_)) => "AAAA",
                Err(_) => "CNAME",
            };
            json!({ "DnsQueryType": kind, "Result": answer })
        })
        .collect();
    json!({
        "DnsQueryString": query,
        "DnsQueryResult": Value::Array(results).to_string(),
    })
    .to_string()
}
