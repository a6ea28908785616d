//! Regenerate the shipped ATT&CK table from a MITRE STIX 2.1 bundle:
//!
//! ```text
//! cargo run --example attack_table -- [STIX_FILE] [OUT]
//! ```
//!
//! Defaults: `../shared/corpora/attack/enterprise-attack-v18.1.json.gz` and
//! `data/attack.yaml`. The bundle may be plain JSON or gzip-compressed. The
//! counts go to stderr, so a new release's changes are visible at a glance.

use std::path::PathBuf;

use rulecheck::attack::read_stix_file;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let stix = args.next().map_or_else(
        || PathBuf::from("../shared/corpora/attack/enterprise-attack-v18.1.json.gz"),
        PathBuf::from,
    );
    let out = args
        .next()
        .map_or_else(|| PathBuf::from("data/attack.yaml"), PathBuf::from);
    let matrix = read_stix_file(&stix).map_err(|e| {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(&format!(": {s}"));
            source = s.source();
        }
        message
    })?;
    std::fs::write(&out, matrix.to_yaml())?;
    let subtechniques = matrix
        .techniques
        .iter()
        .filter(|t| t.parent.is_some())
        .count();
    eprintln!(
        "{}: ATT&CK {} v{}: {} tactics, {} techniques, {} sub-techniques, {} retired",
        out.display(),
        matrix.domain,
        matrix.version,
        matrix.tactics.len(),
        matrix.techniques.len() - subtechniques,
        subtechniques,
        matrix.retired.len()
    );
    Ok(())
}
