//! `invoke FileProfile(column, limit)`: Defender's file-reputation enrichment.
//! The database says what it knows about a hash; this module adds the
//! profile columns to the rows.

use std::collections::HashMap;

use super::error::EvalError;
use super::span::Span;
use super::table::{Column, Table};
use super::value::{KqlType, Value};

/// What Defender knows about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileProfile {
    pub sha1: String,
    pub sha256: String,
    pub md5: String,
    pub file_size: Option<i64>,
    pub global_prevalence: i64,
    pub global_first_seen: Option<i64>,
    pub global_last_seen: Option<i64>,
    pub signer: String,
    pub issuer: String,
    pub signer_hash: String,
    pub is_certificate_valid: bool,
    pub is_root_signer_microsoft: bool,
    pub signature_state: String,
    pub is_executable: bool,
    pub threat_name: String,
    pub publisher: String,
    pub software_name: String,
}

/// The columns `FileProfile()` adds, in Microsoft's documented order.
pub const PROFILE_COLUMNS: &[(&str, KqlType)] = &[
    ("SHA1", KqlType::String),
    ("SHA256", KqlType::String),
    ("MD5", KqlType::String),
    ("FileSize", KqlType::Long),
    ("GlobalPrevalence", KqlType::Long),
    ("GlobalFirstSeen", KqlType::DateTime),
    ("GlobalLastSeen", KqlType::DateTime),
    ("Signer", KqlType::String),
    ("Issuer", KqlType::String),
    ("SignerHash", KqlType::String),
    ("IsCertificateValid", KqlType::Bool),
    ("IsRootSignerMicrosoft", KqlType::Bool),
    ("SignatureState", KqlType::String),
    ("IsExecutable", KqlType::Bool),
    ("ThreatName", KqlType::String),
    ("Publisher", KqlType::String),
    ("SoftwareName", KqlType::String),
    ("ProfileAvailability", KqlType::String),
];

/// FileProfile's default number of files to profile.
pub const DEFAULT_LIMIT: usize = 100;

impl FileProfile {
    fn value(&self, column: &str) -> Value {
        let s = |v: &str| Value::String(v.to_string());
        let t = |v: Option<i64>| v.map_or(Value::Null, Value::DateTime);
        match column {
            "SHA1" => s(&self.sha1),
            "SHA256" => s(&self.sha256),
            "MD5" => s(&self.md5),
            "FileSize" => self.file_size.map_or(Value::Null, Value::Long),
            "GlobalPrevalence" => Value::Long(self.global_prevalence),
            "GlobalFirstSeen" => t(self.global_first_seen),
            "GlobalLastSeen" => t(self.global_last_seen),
            "Signer" => s(&self.signer),
            "Issuer" => s(&self.issuer),
            "SignerHash" => s(&self.signer_hash),
            "IsCertificateValid" => Value::Bool(self.is_certificate_valid),
            "IsRootSignerMicrosoft" => Value::Bool(self.is_root_signer_microsoft),
            "SignatureState" => s(&self.signature_state),
            "IsExecutable" => Value::Bool(self.is_executable),
            "ThreatName" => s(&self.threat_name),
            "Publisher" => s(&self.publisher),
            "SoftwareName" => s(&self.software_name),
            "ProfileAvailability" => s("Available"),
            _ => Value::Null,
        }
    }
}

fn unknown(column: KqlType) -> Value {
    if column == KqlType::String {
        Value::String(String::new())
    } else {
        Value::Null
    }
}

/// Add the profile columns to `table`, looking up the hash in `hash_column`
/// for the first `limit` distinct hashes (later ones, like files Defender has
/// no profile of, get empty columns). Columns the table already has are kept
/// as they are.
pub fn enrich(
    mut table: Table,
    hash_column: &str,
    limit: usize,
    lookup: &dyn Fn(&str) -> Option<FileProfile>,
    span: Span,
) -> Result<Table, EvalError> {
    let Some(key) = table.column_index(hash_column) else {
        return Err(EvalError::new(
            span,
            format!("FileProfile: the input has no column `{hash_column}`"),
        )
        .with_help(
            "name a SHA1 or SHA256 column: invoke FileProfile(InitiatingProcessSHA1, 1000)",
        ));
    };
    let added: Vec<(&str, KqlType)> = PROFILE_COLUMNS
        .iter()
        .filter(|(name, _)| table.column_index(name).is_none())
        .copied()
        .collect();
    let mut profiles: HashMap<String, Option<FileProfile>> = HashMap::new();
    for row in &mut table.rows {
        let hash = row.values[key].to_text().to_ascii_lowercase();
        let profile = if hash.is_empty() {
            None
        } else if let Some(p) = profiles.get(&hash) {
            p.clone()
        } else if profiles.len() < limit {
            let p = lookup(&hash);
            profiles.insert(hash, p.clone());
            p
        } else {
            None
        };
        for (name, ty) in &added {
            row.values.push(match &profile {
                Some(p) => p.value(name),
                None => unknown(*ty),
            });
        }
    }
    for (name, ty) in added {
        table.columns.push(Column {
            name: name.to_string(),
            ty,
        });
    }
    Ok(table)
}
