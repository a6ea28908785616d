//! One line per event for humans: when, which log, which event, and what it says.

use serde_json::{Map, Value};

/// Time of a flattened record (`SystemTime`, Sysmon `UtcTime`, or `-`).
pub fn time(flat: &Map<String, Value>) -> String {
    [
        "TimeCreated_SystemTime",
        "UtcTime",
        "Timestamp",
        "TimeGenerated",
    ]
    .iter()
    .find_map(|k| flat.get(*k).and_then(Value::as_str))
    .unwrap_or("-")
    .to_string()
}

/// What the event is about, by the first field that says it: the command line
/// or image of a process, the object of file, registry, DNS and network events,
/// the account of a logon.
pub fn what(flat: &Map<String, Value>) -> String {
    let s = |k: &str| {
        flat.get(k).and_then(|v| match v {
            Value::String(s) if !s.is_empty() && s != "-" => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    if let Some(defender) = defender_row(&s) {
        return defender;
    }
    if let Some(cmd) = s("CommandLine") {
        return cmd;
    }
    if let Some(module) = s("ImageLoaded") {
        return format!("{} loaded {module}", s("Image").unwrap_or_default());
    }
    if let Some(target) = s("TargetObject") {
        return format!("{target} = {}", s("Details").unwrap_or_default());
    }
    if let Some(file) = s("TargetFilename") {
        return format!("{} wrote {file}", s("Image").unwrap_or_default());
    }
    if let Some(query) = s("QueryName") {
        return format!("{} resolved {query}", s("Image").unwrap_or_default());
    }
    if let Some(ip) = s("DestinationIp") {
        let host = s("DestinationHostname")
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        return format!(
            "{} → {ip}:{}{host}",
            s("Image").unwrap_or_default(),
            s("DestinationPort").unwrap_or_default()
        );
    }
    if let Some(user) = s("TargetUserName") {
        let from = s("IpAddress")
            .filter(|ip| ip != "127.0.0.1")
            .map(|ip| format!(" from {ip}"))
            .unwrap_or_default();
        return format!(
            "logon type {} {}\\{user}{from}",
            s("LogonType").unwrap_or_default(),
            s("TargetDomainName").unwrap_or_default()
        );
    }
    s("Image")
        .or_else(|| s("NewProcessName"))
        .unwrap_or_else(|| "-".into())
}

/// Defender XDR rows, told apart by their `ActionType`; the acting process is
/// the initiating one.
fn defender_row(s: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let actor = || s("InitiatingProcessFolderPath").unwrap_or_default();
    Some(match s("ActionType")?.as_str() {
        "ProcessCreated" => s("ProcessCommandLine")?,
        "ImageLoaded" => format!("{} loaded {}", actor(), s("FolderPath")?),
        "FileCreated" => format!("{} wrote {}", actor(), s("FolderPath")?),
        "RegistryValueSet" => format!(
            "{}\\{} = {}",
            s("RegistryKey")?,
            s("RegistryValueName").unwrap_or_default(),
            s("RegistryValueData").unwrap_or_default()
        ),
        "ConnectionSuccess" => {
            let url = s("RemoteUrl")
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            format!(
                "{} → {}:{}{url}",
                actor(),
                s("RemoteIP")?,
                s("RemotePort").unwrap_or_default()
            )
        }
        "LogonSuccess" => {
            let from = s("RemoteIP")
                .filter(|ip| ip != "127.0.0.1")
                .map(|ip| format!(" from {ip}"))
                .unwrap_or_default();
            format!(
                "logon {} {}\\{}{from}",
                s("LogonType").unwrap_or_default(),
                s("AccountDomain").unwrap_or_default(),
                s("AccountName").unwrap_or_default()
            )
        }
        "DnsQueryResponse" => {
            let fields: Value = serde_json::from_str(&s("AdditionalFields")?).ok()?;
            format!(
                "{} resolved {}",
                actor(),
                fields["DnsQueryString"].as_str()?
            )
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn summarises_by_the_most_telling_field() {
        assert_eq!(
            what(&map(json!({"CommandLine": "whoami /all", "Image": "x"}))),
            "whoami /all"
        );
        assert_eq!(
            what(&map(
                json!({"Image": "p.exe", "DestinationIp": "1.2.3.4", "DestinationPort": 443})
            )),
            "p.exe → 1.2.3.4:443"
        );
        assert_eq!(
            what(&map(
                json!({"TargetUserName": "bob", "TargetDomainName": "D", "LogonType": 10, "IpAddress": "10.0.0.9"})
            )),
            "logon type 10 D\\bob from 10.0.0.9"
        );
        assert_eq!(what(&map(json!({}))), "-");
        assert_eq!(
            what(&map(
                json!({"Image": "r.exe", "ImageLoaded": "C:\\c.dll", "Signed": "true"})
            )),
            "r.exe loaded C:\\c.dll"
        );
        assert_eq!(
            what(&map(
                json!({"ActionType": "LogonSuccess", "LogonType": "Network", "AccountDomain": "d", "AccountName": "u", "RemoteIP": "10.0.0.9"})
            )),
            "logon Network d\\u from 10.0.0.9"
        );
        assert_eq!(
            what(&map(
                json!({"ActionType": "DnsQueryResponse", "InitiatingProcessFolderPath": "c:\\x.exe",
                       "AdditionalFields": "{\"DnsQueryString\":\"a.example\",\"DnsQueryResult\":\"[]\"}"})
            )),
            "c:\\x.exe resolved a.example"
        );
        assert_eq!(
            what(&map(
                json!({"ActionType": "RegistryValueSet", "RegistryKey": "HKEY_LOCAL_MACHINE\\K", "RegistryValueName": "v", "RegistryValueData": "1"})
            )),
            "HKEY_LOCAL_MACHINE\\K\\v = 1"
        );
    }
}
