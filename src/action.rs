//! The canonical action model: what happened on the host, independent of any log
//! schema. Renderers turn each [`Action`] into the records of every schema that
//! would see it (Sysmon, Windows Security, …).

pub mod cloud;

use std::net::IpAddr;

use crate::binaries::PeInfo;
use crate::spec::model::{AuthPackage, Integrity, Protocol, RegistryValueType};

/// Microseconds since the Unix epoch, UTC. Integer time keeps generation exact and
/// platform-independent; formatting happens only in renderers.
pub type Micros = i64;

/// A process, started by a step or already running when the bundle starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// Sysmon-style process GUID without braces, as evtx_dump renders it.
    pub guid: String,
    pub pid: u32,
    pub image: String,
    pub command_line: String,
    pub current_directory: String,
    /// Environment user key.
    pub user: String,
    pub integrity: Integrity,
    pub logon_id: u64,
    pub logon_guid: String,
    pub terminal_session_id: u32,
    pub start: Micros,
    /// Index of the parent in the plan's process table; `None` for processes
    /// whose parent is outside the model (boot processes).
    pub parent: Option<usize>,
    pub pe: PeInfo,
    /// Hashes and size of the image file.
    pub file: FileFacts,
}

/// Stand-ins for a file's content: stable per path (the same path always "has"
/// the same file), so every log that reports a hash or size of it agrees.
/// Hex digits are upper case, as Sysmon writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    pub md5: String,
    pub sha1: String,
    pub sha256: String,
    pub imphash: String,
    /// Size in bytes (a multiple of 512, like PE files on disk).
    pub size: u64,
}

impl FileFacts {
    /// Sysmon's `Hashes` value with the algorithms of the environment's Sysmon
    /// configuration: `MD5=…,SHA256=…,IMPHASH=…`.
    pub fn sysmon_hashes(&self) -> String {
        format!(
            "MD5={},SHA256={},IMPHASH={}",
            self.md5, self.sha256, self.imphash
        )
    }
}

/// A module (DLL) a process loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Full path of the module.
    pub path: String,
    pub pe: PeInfo,
    pub file: FileFacts,
    pub signature: Signature,
}

/// The Authenticode signature of an image, as Sysmon reports it for loaded images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub signed: bool,
    /// Signer name (`Microsoft Windows`), or `-` for an unsigned image.
    pub signer: String,
    /// `Valid`, `Expired`, …; `Unavailable` for an unsigned image.
    pub status: String,
}

/// A logon session created by a `logon` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogonSession {
    pub user: String,
    pub logon_type: u8,
    /// The session's (limited, for UAC administrators) LogonId.
    pub logon_id: u64,
    pub logon_guid: String,
    /// For an interactive logon of a UAC administrator, the linked elevated
    /// session (LogonId, LogonGuid): Windows logs one 4624 for each.
    pub elevated: Option<(u64, String)>,
    /// Terminal-services session of processes in this logon (0 for non-interactive).
    pub terminal_session_id: u32,
    pub source_ip: Option<IpAddr>,
    pub source_port: Option<u16>,
    pub workstation: Option<String>,
    pub auth: AuthPackage,
    /// Whether the logged-on token is an administrator's (`ElevatedToken`).
    pub admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    ProcessCreate {
        process: usize,
    },
    NetworkConnect {
        process: usize,
        protocol: Protocol,
        source_ip: IpAddr,
        source_port: u16,
        destination_ip: IpAddr,
        destination_port: u16,
        destination_hostname: Option<String>,
    },
    DnsQuery {
        process: usize,
        query: String,
        answers: Vec<String>,
        status: u32,
    },
    FileCreate {
        process: usize,
        path: String,
    },
    RegistrySet {
        process: usize,
        /// Key path as the spec gives it (placeholders rendered), hive first:
        /// `HKCU\Software\…`, `HKEY_LOCAL_MACHINE\SYSTEM\…`.
        key: String,
        value_name: String,
        value_type: RegistryValueType,
        /// The data as the spec gives it (a number for dword/qword).
        data: String,
        /// Full value path as Sysmon writes it (`HKU\S-1-5-21-…\Software\…\Name`).
        target_object: String,
        /// Sysmon `Details` rendering of the data (`DWORD (0x00000001)`, a string, …).
        details: String,
    },
    ImageLoad {
        process: usize,
        /// Boxed: the module's metadata would make every action this large.
        module: Box<Module>,
    },
    Logon {
        session: usize,
    },
    /// Boxed, like the module of an image load: cloud records carry many ids.
    EntraSignIn(Box<cloud::SignIn>),
    DirectoryChange(Box<cloud::DirectoryChange>),
    ArmOperation(Box<cloud::ArmOperation>),
}

/// An action at its time, attributed to the spec step that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedAction {
    pub step: usize,
    pub time: Micros,
    pub action: Action,
}
