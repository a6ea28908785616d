//! The shipped format of the ATT&CK table (`data/attack.yaml`): a header
//! comment, the matrix's identity, then one flow sequence per line:
//!
//! ```yaml
//! tactics:
//!   - [TA0002, execution, "Execution"]
//! techniques:
//!   - [T1059.001, "PowerShell", [execution], [Windows]]
//! retired:
//!   - [T1086, "PowerShell", revoked, T1059.001]
//!   - [T1064, "Scripting", deprecated, ~]
//! ```
//!
//! One line per entry keeps a new ATT&CK release a readable diff. Names are
//! always double-quoted (JSON string syntax, which YAML reads), so that `:`,
//! `,` or `&` in a name never change the structure; other words are bare when
//! that is unambiguous. Each tactic's technique list and each sub-technique's
//! parent are derived on reading, not stored.

use std::fmt::Write as _;

use serde::Deserialize;

use super::{AttackError, AttackTactic, AttackTechnique, Matrix, RetiredTechnique, Retirement};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    version: String,
    domain: String,
    name: String,
    #[serde(default)]
    copyright: Option<String>,
    tactics: Vec<(String, String, String)>,
    techniques: Vec<(String, String, Vec<String>, Vec<String>)>,
    #[serde(default)]
    retired: Vec<(String, String, Retirement, Option<String>)>,
}

pub(super) fn parse(text: &str) -> Result<Matrix, AttackError> {
    let file: TableFile = serde_norway::from_str(text).map_err(AttackError::Yaml)?;
    Matrix {
        version: file.version,
        domain: file.domain,
        name: file.name,
        copyright: file.copyright,
        tactics: file
            .tactics
            .into_iter()
            .map(|(id, shortname, name)| AttackTactic {
                id,
                shortname,
                name,
                techniques: Vec::new(),
            })
            .collect(),
        techniques: file
            .techniques
            .into_iter()
            .map(|(id, name, tactics, platforms)| AttackTechnique {
                id,
                name,
                tactics,
                parent: None,
                platforms,
            })
            .collect(),
        retired: file
            .retired
            .into_iter()
            .map(|(id, name, kind, revoked_by)| RetiredTechnique {
                id,
                name,
                kind,
                revoked_by,
            })
            .collect(),
    }
    .finish()
}

/// The whole file, header included; a function of the matrix alone, so the
/// same bundle always gives the same bytes.
pub(super) fn write(m: &Matrix) -> String {
    let subtechniques = m.techniques.iter().filter(|t| t.parent.is_some()).count();
    let mut out = String::new();
    let header = format!(
        "\
# MITRE ATT&CK® table: {name} (domain {domain}), version {version}.
#   {tactics} tactics, in matrix order;
#   {techniques} techniques and {subtechniques} sub-techniques (neither revoked nor deprecated),
#     with their tactics and platforms;
#   {retired} retired (revoked or deprecated) techniques, with their replacements.
#
# Derived by rulecheck (`rulecheck::attack`) from MITRE's ATT&CK STIX 2.1 bundle
# for {domain}, version {version}; do not edit by hand. Regenerate with
#   rulecheck attack update STIX_FILE
# or
#   cargo run --example attack_table -- STIX_FILE data/attack.yaml
# (STIX_FILE: MITRE's {domain}-<version>.json, plain or gzip-compressed).
#
# ATT&CK® is a registered trademark of The MITRE Corporation. This table is
# reproduced and distributed under MITRE's ATT&CK licence; its copyright notice,
# licence and disclaimers are in data/ATTACK-NOTICE.txt.
#
# tactics:    [id, short name, name]                         (matrix order)
# techniques: [id, name, [tactics], [platforms]]             (by id; tactics in matrix order)
# retired:    [id, name, revoked | deprecated, replaced by]  (by id; `~`: no replacement)

",
        name = m.name.replace(['\n', '\r'], " "),
        domain = m.domain,
        version = m.version,
        tactics = m.tactics.len(),
        techniques = m.techniques.len() - subtechniques,
        retired = m.retired.len(),
    );
    out.push_str(&header);
    let _ = writeln!(out, "version: {}", quoted(&m.version));
    let _ = writeln!(out, "domain: {}", word(&m.domain));
    let _ = writeln!(out, "name: {}", quoted(&m.name));
    if let Some(copyright) = &m.copyright {
        let _ = writeln!(out, "copyright: {}", quoted(copyright));
    }
    out.push_str("\ntactics:\n");
    for t in &m.tactics {
        let _ = writeln!(
            out,
            "  - [{}, {}, {}]",
            t.id,
            word(&t.shortname),
            quoted(&t.name)
        );
    }
    out.push_str("\ntechniques:\n");
    for t in &m.techniques {
        let _ = writeln!(
            out,
            "  - [{}, {}, {}, {}]",
            t.id,
            quoted(&t.name),
            list(&t.tactics),
            list(&t.platforms)
        );
    }
    out.push_str("\nretired:");
    if m.retired.is_empty() {
        out.push_str(" []");
    }
    out.push('\n');
    for t in &m.retired {
        let _ = writeln!(
            out,
            "  - [{}, {}, {}, {}]",
            t.id,
            quoted(&t.name),
            t.kind.as_str(),
            t.revoked_by.as_deref().unwrap_or("~")
        );
    }
    out
}

/// A double-quoted scalar: JSON string syntax is valid YAML.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

/// `s` bare if YAML reads it back as that same string inside a flow sequence
/// (letters first; then letters, digits, spaces, `.`, `-`, `_`; not a YAML
/// keyword), quoted otherwise.
fn word(s: &str) -> String {
    const KEYWORDS: [&str; 9] = ["true", "false", "null", "yes", "no", "on", "off", "y", "n"];
    let bare = s.starts_with(|c: char| c.is_ascii_alphabetic())
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'.' | b'-' | b'_'))
        && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(s));
    if bare { s.to_string() } else { quoted(s) }
}

fn list(items: &[String]) -> String {
    let words: Vec<String> = items.iter().map(|s| word(s)).collect();
    format!("[{}]", words.join(", "))
}
