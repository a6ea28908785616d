//! Bundles: labelled log records in JSON Lines (format documented in
//! `docs/bundle-format.md`). Line 1 is a [`Header`] with the narrative; every
//! further line is an [`EventLine`] whose labels sit beside the raw record, so
//! rules only ever see the record.

mod build;
mod coherent;
mod import;
mod labels;
mod read;
mod variant;
mod write;

pub(crate) use build::assemble_bundle;
pub use build::{DEFAULT_PROFILE, build_bundle, bundle_from_plan};
pub use coherent::{
    ATTEMPTS, IncoherentSpec, attempt_seeds, build_coherent_bundle, build_coherent_with,
};
pub use import::{IMPORTED_PROFILE, bundle_from_records};
pub use labels::LabelsFile;
pub use read::{BundleError, parse_bundle, read_bundle};
pub use variant::build_coherent_variant;
pub use write::{serialize_bundle, write_atomically};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::technique::{Tactic, TechniqueId};

/// Value of the header's `format` key: identifies a rulecheck bundle.
pub const BUNDLE_FORMAT: &str = "rulecheck-bundle";
/// The bundle format version this build writes and reads.
pub const BUNDLE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// `rulecheck <version>` of the generator that wrote the bundle.
    pub generator: String,
    /// Id of the spec the bundle was generated from (its file stem).
    pub spec: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub techniques: Vec<TechniqueId>,
    pub tactics: Vec<Tactic>,
    pub platform: String,
    pub seed: u64,
    /// Environment the bundle was rendered in.
    pub profile: String,
    pub host: String,
    /// UTC time of the first step's anchor (RFC 3339).
    pub start: String,
    /// The bundle's "now": end of its window, for relative-time queries.
    pub reference_time: String,
    pub event_count: usize,
    pub narrative: Vec<NarrativeStep>,
    /// Set in variant bundles (`generate --variants`): which variant, and the
    /// mutations that make it differ from the spec's own bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<Variant>,
}

/// A variant bundle's place among its spec's variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// 1-based variant number.
    pub number: u32,
    /// The seed `generate --seed` was given (or the spec's), which with the
    /// number reproduces the variant; the header's `seed` is the plan's.
    pub requested_seed: u64,
    pub mutations: Vec<crate::mutate::Mutation>,
}

/// One spec step as the bundle's story tells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrativeStep {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technique: Option<TechniqueId>,
    pub class: Class,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The step whose process this step's process or action belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
}

/// Whether an event is part of the attack, legitimate activity, or not known
/// (imported real logs without labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Malicious,
    Benign,
    Unknown,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Malicious => "malicious",
            Class::Benign => "benign",
            Class::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// The log or table the record comes from (`sysmon`, `security`,
    /// `DeviceProcessEvents`, `SecurityEvent`, …).
    pub source: String,
    /// The narrative step that produced the event; absent for background events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technique: Option<TechniqueId>,
    pub class: Class,
    /// For table rows: when the row reached the workspace (RFC 3339), read by
    /// KQL's `ingestion_time()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingestion_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventLine {
    pub labels: Labels,
    pub record: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub header: Header,
    pub events: Vec<EventLine>,
}
