//! The `Event.System` envelope shared by Windows event-log records, shaped like
//! `evtx_dump -o json` output (the form SigmaHQ's regression data uses).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::action::Micros;

/// Static facts about one event-log provider.
pub struct Provider {
    pub name: &'static str,
    pub guid: &'static str,
    pub channel: &'static str,
}

pub const SYSMON: Provider = Provider {
    name: "Microsoft-Windows-Sysmon",
    guid: "5770385F-C22A-43E0-BF4C-06F5698FFBD9",
    channel: "Microsoft-Windows-Sysmon/Operational",
};

pub const SECURITY_AUDITING: Provider = Provider {
    name: "Microsoft-Windows-Security-Auditing",
    guid: "54849625-5478-4994-A5BA-3E3B0328C30D",
    channel: "Security",
};

/// The per-record fields of `Event.System`.
pub struct System<'a> {
    pub provider: &'a Provider,
    pub event_id: u32,
    pub version: u32,
    pub level: u32,
    pub task: u32,
    pub keywords: &'a str,
    pub time: Micros,
    pub process_id: u32,
    pub thread_id: u32,
    pub computer: &'a str,
    /// `Security.UserID`; Security-channel records carry none.
    pub user_sid: Option<&'a str>,
    pub activity_id: Option<String>,
}

/// `2026-04-20T10:00:35.646624Z`: the `SystemTime` attribute format.
pub fn system_time(t: Micros) -> String {
    utc(t).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// `2026-04-20 10:00:35.640`: Sysmon's `UtcTime` format (milliseconds).
pub fn sysmon_utc_time(t: Micros) -> String {
    utc(t).format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

pub fn utc(t: Micros) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t).expect("generated times are within chrono's range")
}

/// Build `{"Event": {"#attributes": …, "System": …, <data_key>: data}}`.
/// `EventRecordID` is filled in later, once records are in time order.
pub fn record(system: System<'_>, data_key: &str, data: Map<String, Value>) -> Value {
    let correlation = match &system.activity_id {
        Some(id) => json!({ "#attributes": { "ActivityID": id } }),
        None => Value::Null,
    };
    let security = match system.user_sid {
        Some(sid) => json!({ "#attributes": { "UserID": sid } }),
        None => Value::Null,
    };
    let mut event = Map::new();
    event.insert(
        "#attributes".into(),
        json!({ "xmlns": "http://schemas.microsoft.com/win/2004/08/events/event" }),
    );
    event.insert(
        "System".into(),
        json!({
            "Provider": { "#attributes": { "Name": system.provider.name, "Guid": system.provider.guid } },
            "EventID": system.event_id,
            "Version": system.version,
            "Level": system.level,
            "Task": system.task,
            "Opcode": 0,
            "Keywords": system.keywords,
            "TimeCreated": { "#attributes": { "SystemTime": system_time(system.time) } },
            "EventRecordID": 0,
            "Correlation": correlation,
            "Execution": { "#attributes": { "ProcessID": system.process_id, "ThreadID": system.thread_id } },
            "Channel": system.provider.channel,
            "Computer": system.computer,
            "Security": security,
        }),
    );
    event.insert(data_key.into(), Value::Object(data));
    json!({ "Event": event })
}

/// Set `Event.System.EventRecordID` of a record built by [`record`].
pub fn set_record_id(record: &mut Value, id: u64) {
    if let Some(slot) = record.pointer_mut("/Event/System/EventRecordID") {
        *slot = Value::from(id);
    }
}

/// Lower-case `0x…` hex, the form of LogonId and 4688 process ids.
pub fn hex(v: u64) -> String {
    format!("{v:#x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats_match_real_logs() {
        // 2026-04-20T10:00:35.646624Z, from SigmaHQ regression data.
        let t = 1_776_679_235_646_624;
        assert_eq!(system_time(t), "2026-04-20T10:00:35.646624Z");
        assert_eq!(sysmon_utc_time(t), "2026-04-20 10:00:35.646");
        assert_eq!(hex(0x33e8d150), "0x33e8d150");
    }
}
