//! The TTP spec file as written by users (`ttps/*.yaml`), exactly as deserialised.
//!
//! Every struct denies unknown keys so a typo is an error with a line number,
//! never a silently ignored parameter. Cross-references between steps are checked
//! afterwards in [`super::validate`]. The format is documented in `docs/ttp-spec.md`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::duration::DelayRange;
use super::template::Template;
use crate::technique::{Tactic, TechniqueId};

/// The version of the TTP spec format this build reads.
pub const SPEC_FORMAT: u32 = 1;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    /// Spec format version; defaults to the current one.
    #[serde(default)]
    pub format: Option<u32>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The techniques this spec demonstrates. Steps may also belong to others
    /// (prerequisites), but each technique listed here must have a step.
    pub techniques: Vec<TechniqueId>,
    pub tactics: Vec<Tactic>,
    pub platform: Platform,
    /// Seed for every random choice; `rulecheck generate --seed` overrides it.
    #[serde(default)]
    pub seed: Option<u64>,
    /// UTC time the activity starts (RFC 3339). Defaults to [`super::DEFAULT_START`].
    #[serde(default)]
    pub start: Option<Timestamp>,
    /// Named strings for `{{name}}` placeholders in step parameters.
    #[serde(default)]
    pub vars: BTreeMap<String, VarDef>,
    pub steps: Vec<RawStep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Windows,
    /// Entra ID and Azure: specs made of cloud steps.
    Azure,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Windows => "windows",
            Platform::Azure => "azure",
        }
    }
}

/// An RFC 3339 UTC timestamp, validated while parsing so errors carry a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Timestamp(pub chrono::DateTime<chrono::Utc>);

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        chrono::DateTime::parse_from_rfc3339(&s)
            .map(|t| Timestamp(t.with_timezone(&chrono::Utc)))
            .map_err(|e| {
                format!("`{s}` is not an RFC 3339 time ({e}); write e.g. 2026-03-02T09:14:00Z")
            })
    }
}

/// A spec variable: a literal string or a string transformed once at load time.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum VarDef {
    Literal(String),
    Transformed(VarTransform),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum VarTransform {
    /// UTF-16LE then base64: what `powershell.exe -EncodedCommand` takes.
    Base64Utf16le(String),
    /// UTF-8 then base64.
    Base64(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub id: String,
    /// Required for malicious steps; benign steps must not have one.
    #[serde(default)]
    pub technique: Option<TechniqueId>,
    #[serde(default)]
    pub description: Option<String>,
    /// Marks legitimate activity (labelled benign; a rule hit on it is a false positive).
    #[serde(default)]
    pub benign: bool,
    /// Steps that must happen before this one (besides its parent/process/session).
    #[serde(default)]
    pub after: Vec<String>,
    #[serde(default)]
    pub delay: Option<DelayRange>,
    // Exactly one of the following action kinds must be present.
    #[serde(default, deserialize_with = "present")]
    pub process_create: Option<ProcessCreateParams>,
    #[serde(default, deserialize_with = "present")]
    pub network_connect: Option<NetworkConnectParams>,
    #[serde(default, deserialize_with = "present")]
    pub dns_query: Option<DnsQueryParams>,
    #[serde(default, deserialize_with = "present")]
    pub file_create: Option<FileCreateParams>,
    #[serde(default, deserialize_with = "present")]
    pub registry_set: Option<RegistrySetParams>,
    #[serde(default, deserialize_with = "present")]
    pub image_load: Option<ImageLoadParams>,
    #[serde(default, deserialize_with = "present")]
    pub logon: Option<LogonParams>,
    #[serde(default, deserialize_with = "present")]
    pub entra_signin: Option<super::cloud::EntraSigninParams>,
    #[serde(default, deserialize_with = "present")]
    pub entra_audit: Option<super::cloud::EntraAuditParams>,
    #[serde(default, deserialize_with = "present")]
    pub azure_activity: Option<super::cloud::AzureActivityParams>,
}

/// An action key that is written must hold parameters: `process_create: null`
/// (or an empty value) is an error rather than "no action".
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Names of the action-kind keys, in the order the docs list them.
pub const ACTION_KINDS: [&str; 10] = [
    "process_create",
    "network_connect",
    "dns_query",
    "file_create",
    "registry_set",
    "image_load",
    "logon",
    "entra_signin",
    "entra_audit",
    "azure_activity",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Integrity {
    Low,
    Medium,
    High,
    System,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessCreateParams {
    pub image: Template,
    /// Defaults to the quoted image path, as Explorer starts programs.
    #[serde(default)]
    pub command_line: Option<Template>,
    /// A process step id, or `@explorer`, `@services`, … (see `docs/ttp-spec.md`).
    #[serde(default)]
    pub parent: Option<String>,
    /// An environment user key (`alice`, `bob`, `system`, …); defaults to the parent's user.
    #[serde(default)]
    pub user: Option<String>,
    /// Defaults to the parent's integrity level.
    #[serde(default)]
    pub integrity: Option<Integrity>,
    /// A `logon` step whose session the process runs in.
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub current_directory: Option<Template>,
    #[serde(default)]
    pub original_file_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub file_version: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConnectParams {
    /// The process step (or `@ambient` process) that opens the connection.
    pub process: String,
    #[serde(default = "default_protocol")]
    pub protocol: Protocol,
    pub destination_ip: IpText,
    pub destination_port: u16,
    #[serde(default)]
    pub destination_hostname: Option<String>,
    /// Defaults to a seeded ephemeral port (49152–65535).
    #[serde(default)]
    pub source_port: Option<u16>,
}

fn default_protocol() -> Protocol {
    Protocol::Tcp
}

/// An IPv4 or IPv6 address, validated while parsing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct IpText(pub std::net::IpAddr);

impl TryFrom<String> for IpText {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
            .map(IpText)
            .map_err(|_| format!("`{s}` is not an IPv4 or IPv6 address"))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsQueryParams {
    pub process: String,
    pub query: Template,
    /// Resolved addresses (IPs) or CNAME targets, in answer order.
    #[serde(default)]
    pub answers: Vec<String>,
    /// DNS status code (0 = success, 9003 = name does not exist, …).
    #[serde(default)]
    pub status: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCreateParams {
    pub process: String,
    pub path: Template,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryValueType {
    String,
    ExpandString,
    Dword,
    Qword,
    Binary,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySetParams {
    pub process: String,
    /// Key path; `HKCU\…` is written as `HKU\<user SID>\…` as Sysmon does.
    pub key: Template,
    pub value_name: String,
    #[serde(rename = "type", default = "default_registry_type")]
    pub value_type: RegistryValueType,
    pub data: Template,
}

fn default_registry_type() -> RegistryValueType {
    RegistryValueType::String
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageLoadParams {
    /// The process step (or `@ambient` process) that loads the module.
    pub process: String,
    /// Full path of the module (DLL) loaded.
    pub path: Template,
    #[serde(default)]
    pub original_file_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub file_version: Option<String>,
    /// Whether the module is Authenticode-signed; defaults to whether a signer
    /// is known (given, or from `data/binaries.yaml`).
    #[serde(default)]
    pub signed: Option<bool>,
    /// Signer name, e.g. `Microsoft Windows`.
    #[serde(default)]
    pub signature: Option<String>,
    /// `Valid` (default for signed modules), `Expired`, `Revoked`, …
    #[serde(default)]
    pub signature_status: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthPackage {
    Ntlm,
    Kerberos,
    Negotiate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogonParams {
    pub user: String,
    /// Windows logon type: 2 interactive, 3 network, 4 batch, 5 service,
    /// 7 unlock, 8 network cleartext, 9 new credentials, 10 remote interactive, 11 cached.
    pub logon_type: u8,
    /// Remote address; omitted for local logons.
    #[serde(default)]
    pub source_ip: Option<IpText>,
    #[serde(default)]
    pub workstation: Option<String>,
    /// Defaults by logon type (Negotiate for interactive, NTLM for network).
    #[serde(default)]
    pub authentication: Option<AuthPackage>,
}
