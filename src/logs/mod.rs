//! Real logs as input: EVTX files, evtx_dump-style JSON (concatenated objects or
//! JSON Lines) and flat JSON Lines (Winlogbeat, NXLog). Each reader keeps every
//! record it can read and reports each one it cannot, with its position.
//! Pure: readers take bytes; the CLI reads the files.

mod evtx;
mod json;

use std::fmt;

use serde_json::Value;

pub use self::evtx::read_evtx;
pub use self::json::read_json;

/// A record that could not be read, and where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadProblem {
    /// `line 12`, `record 345`, `chunk 2` …
    pub position: String,
    pub message: String,
}

impl fmt::Display for ReadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.position, self.message)
    }
}

/// What a reader got out of one file.
#[derive(Debug, Default)]
pub struct ReadLog {
    pub records: Vec<Value>,
    pub problems: Vec<ReadProblem>,
}

/// Formats rulecheck reads logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Evtx,
    Json,
}

impl LogFormat {
    /// By extension: `.evtx`; `.json`, `.jsonl`, `.ndjson`.
    pub fn of_path(path: &std::path::Path) -> Option<LogFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "evtx" => Some(LogFormat::Evtx),
            "json" | "jsonl" | "ndjson" => Some(LogFormat::Json),
            _ => None,
        }
    }

    pub fn read(self, bytes: Vec<u8>) -> ReadLog {
        match self {
            LogFormat::Evtx => read_evtx(bytes),
            LogFormat::Json => read_json(&String::from_utf8_lossy(&bytes)),
        }
    }
}
