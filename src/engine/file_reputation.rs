//! File reputation for KQL's `invoke FileProfile()`: what Defender's cloud
//! would know about the files in a bundle. The synthetic world has two kinds
//! of file: well-known images (`data/binaries.yaml`) in their installed
//! folders, which are prevalent and carry their publisher's signature, and
//! everything else (an intruder's tools, a copy of a system binary in a user
//! folder), which is rare and unsigned. Deterministic: the numbers derive
//! from the file's hash.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::kql::file_profile::FileProfile;
use super::kql::value::parse_datetime;
use crate::binaries::{BinaryCatalog, PeInfo};
use crate::bundle::Bundle;

/// Columns of a Defender row that describe one file, by prefix: the acting
/// file (`SHA1`, `FileName`, …) and the initiating process's image.
const FILE_COLUMNS: &[&str] = &["", "InitiatingProcess"];

/// When the well-known images were first seen worldwide: the release of the
/// Windows build `data/binaries.yaml` describes (Windows 11 23H2).
const KNOWN_FIRST_SEEN: &str = "2023-10-31T00:00:00Z";

/// Profiles of every file a bundle's Defender rows name, keyed by lower-case
/// SHA1 and SHA256.
pub fn file_profiles(bundle: &Bundle) -> HashMap<String, FileProfile> {
    let catalog = BinaryCatalog::builtin();
    let last_seen = parse_datetime(&bundle.header.reference_time);
    let mut profiles: HashMap<String, FileProfile> = HashMap::new();
    for event in &bundle.events {
        let Some(record) = event.record.as_object() else {
            continue;
        };
        let seen = record
            .get("Timestamp")
            .and_then(Json::as_str)
            .and_then(parse_datetime);
        for prefix in FILE_COLUMNS {
            let text = |c: &str| {
                record
                    .get(&format!("{prefix}{c}"))
                    .and_then(Json::as_str)
                    .filter(|s| !s.is_empty())
            };
            let (Some(sha1), Some(name)) = (text("SHA1"), text("FileName")) else {
                continue;
            };
            let key = sha1.to_ascii_lowercase();
            if let Some(p) = profiles.get_mut(&key) {
                // First seen is the earliest sighting in the bundle for rare files.
                if p.global_prevalence < 100 {
                    p.global_first_seen = min_time(p.global_first_seen, seen);
                }
                continue;
            }
            let folder = text("FolderPath").unwrap_or_default();
            let size = record
                .get(&format!("{prefix}FileSize"))
                .and_then(Json::as_i64);
            let profile = profile(
                sha1,
                text("SHA256").unwrap_or_default(),
                text("MD5").unwrap_or_default(),
                name,
                size,
                installed_image(&catalog, name, folder),
                seen,
                last_seen,
            );
            if !profile.sha256.is_empty() {
                profiles.insert(profile.sha256.to_ascii_lowercase(), profile.clone());
            }
            profiles.insert(key, profile);
        }
    }
    profiles
}

/// The catalog entry of a well-known image in an installed location
/// (`C:\Windows\…`, `C:\Program Files…`); `None` elsewhere.
fn installed_image<'c>(catalog: &'c BinaryCatalog, name: &str, folder: &str) -> Option<&'c PeInfo> {
    let folder = folder.to_ascii_lowercase();
    let installed = folder.starts_with(r"c:\windows\") || folder.starts_with(r"c:\program files");
    if installed {
        catalog.lookup(name)
    } else {
        None
    }
}

#[allow(clippy::too_many_arguments)]
fn profile(
    sha1: &str,
    sha256: &str,
    md5: &str,
    name: &str,
    size: Option<i64>,
    known: Option<&PeInfo>,
    seen: Option<i64>,
    last_seen: Option<i64>,
) -> FileProfile {
    // A stable number from the hash, for prevalence.
    let spread = u64::from_str_radix(&sha1[..sha1.len().min(8)], 16).unwrap_or(0);
    let executable = name.rsplit_once('.').is_some_and(|(_, e)| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "exe" | "dll" | "sys" | "scr" | "cpl" | "ocx"
        )
    });
    match known {
        Some(pe) => {
            let signer = pe.signature.clone().unwrap_or_default();
            let microsoft = signer.starts_with("Microsoft");
            FileProfile {
                sha1: sha1.to_string(),
                sha256: sha256.to_string(),
                md5: md5.to_string(),
                file_size: size,
                // Installed images are on millions of machines.
                global_prevalence: 1_000_000 + (spread % 9_000_000) as i64,
                global_first_seen: parse_datetime(KNOWN_FIRST_SEEN),
                global_last_seen: last_seen,
                issuer: match signer.as_str() {
                    "Microsoft Windows" => "Microsoft Windows Production PCA 2011".into(),
                    "Microsoft Corporation" => "Microsoft Code Signing PCA 2011".into(),
                    _ => String::new(),
                },
                signer_hash: String::new(),
                is_certificate_valid: !signer.is_empty(),
                is_root_signer_microsoft: microsoft,
                signature_state: if signer.is_empty() {
                    "Unsigned"
                } else {
                    "SignedValid"
                }
                .into(),
                signer,
                is_executable: executable,
                threat_name: String::new(),
                publisher: pe.company.clone(),
                software_name: pe.product.clone(),
            }
        }
        None => FileProfile {
            sha1: sha1.to_string(),
            sha256: sha256.to_string(),
            md5: md5.to_string(),
            file_size: size,
            // Seen on a handful of machines: this one and perhaps a few more.
            global_prevalence: 1 + (spread % 5) as i64,
            global_first_seen: seen,
            global_last_seen: last_seen,
            signer: String::new(),
            issuer: String::new(),
            signer_hash: String::new(),
            is_certificate_valid: false,
            is_root_signer_microsoft: false,
            signature_state: "Unsigned".into(),
            is_executable: executable,
            threat_name: String::new(),
            publisher: String::new(),
            software_name: String::new(),
        },
    }
}

fn min_time(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::EventLine;
    use crate::test_support::unlabelled_event;
    use serde_json::json;

    fn row(file: &str, folder: &str, sha1: &str) -> EventLine {
        unlabelled_event(
            "DeviceProcessEvents",
            json!({"Timestamp": "2026-03-02T09:14:00Z", "FileName": file, "FolderPath": folder,
                "SHA1": sha1, "SHA256": format!("{sha1}00"), "InitiatingProcessFileName": "", "InitiatingProcessSHA1": ""}),
        )
    }

    #[test]
    fn installed_images_are_prevalent_and_signed_other_files_rare_and_unsigned() {
        let mut bundle = crate::bundle::bundle_from_records(
            "t",
            Vec::new(),
            &crate::engine::LogsourceTable::builtin(),
        );
        bundle.header.reference_time = "2026-03-02T10:00:00Z".into();
        bundle.events = vec![
            row("rundll32.exe", r"C:\Windows\System32\rundll32.exe", "AA11"),
            row("rundll32.exe", r"C:\Users\Public\rundll32.exe", "BB22"),
            row("mamba.exe", r"C:\Users\Public\Music\mamba.exe", "CC33"),
        ];
        let profiles = file_profiles(&bundle);
        let system = &profiles["aa11"];
        assert!(system.global_prevalence >= 1_000_000);
        assert_eq!(system.signer, "Microsoft Windows");
        assert!(system.is_root_signer_microsoft && system.is_certificate_valid);
        assert_eq!(profiles["aa1100"], *system, "also keyed by SHA256");
        for rare in ["bb22", "cc33"] {
            let p = &profiles[rare];
            assert!(p.global_prevalence <= 5, "{rare}");
            assert_eq!(p.signature_state, "Unsigned");
            assert_eq!(p.global_first_seen, parse_datetime("2026-03-02T09:14:00Z"));
        }
    }
}
