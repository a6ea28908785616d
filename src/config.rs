//! Repository configuration (`rulecheck.yaml`): where bundles live and per-rule
//! expectation overrides selected by glob patterns. Documented in `docs/config.md`.

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use crate::diagnostic::SourceError;
use crate::engine::Placeholders;
use crate::technique::TechniqueId;

/// File name looked up in the working directory when `--config` is not given.
pub const CONFIG_FILE: &str = "rulecheck.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    bundles: Option<String>,
    #[serde(default)]
    placeholders: Placeholders,
    #[serde(default)]
    mappings: Option<String>,
    #[serde(default)]
    expectations: Vec<RawOverride>,
    #[serde(default)]
    kql: RawKql,
    #[serde(default)]
    snapshots: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKql {
    /// URL → local file read in its place by `externaldata`.
    #[serde(default)]
    externaldata: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    rules: String,
    #[serde(default)]
    bundles: Option<String>,
    #[serde(default)]
    techniques: Option<Vec<TechniqueId>>,
    #[serde(default)]
    allow_benign_hits: Option<bool>,
    reason: String,
}

#[derive(Debug, Clone)]
pub struct Override {
    pub rules: GlobMatcher,
    pub bundles: Option<GlobMatcher>,
    pub techniques: Option<Vec<TechniqueId>>,
    pub allow_benign_hits: Option<bool>,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Directory of bundles to test against (default `bundles/`).
    pub bundles: Option<String>,
    /// Values for Sigma `|expand` placeholders, over the built-in ones.
    pub placeholders: Placeholders,
    /// A logsource routing and field-mapping file consulted before the built-in
    /// one, relative to the configuration file.
    pub mappings: Option<std::path::PathBuf>,
    pub overrides: Vec<Override>,
    /// KQL `externaldata` URLs and the local files (relative to the
    /// configuration file) that stand in for them.
    pub externaldata: Vec<(String, std::path::PathBuf)>,
    /// Directory of accepted snapshots, relative to the configuration file
    /// (default `.rulecheck/snapshots` in the working directory).
    pub snapshots: Option<std::path::PathBuf>,
}

/// What a rule is expected to do on one bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// Techniques the rule should detect wherever a bundle shows them.
    pub techniques: Vec<TechniqueId>,
    /// Hits on benign events are reported but not a failure.
    pub allow_benign_hits: bool,
    /// Reasons of the overrides that shaped this expectation.
    pub overrides: Vec<String>,
}

impl Config {
    pub fn parse(path: &str, text: &str) -> Result<Config, SourceError> {
        let raw: RawConfig =
            serde_norway::from_str(text).map_err(|e| SourceError::from_yaml(path, text, &e))?;
        let mut overrides = Vec::new();
        for (n, o) in raw.expectations.into_iter().enumerate() {
            let glob = |pattern: &str| {
                Glob::new(pattern)
                    .map(|g| g.compile_matcher())
                    .map_err(|e| {
                        let line = text
                            .lines()
                            .position(|l| l.contains(pattern))
                            .map_or(1, |i| i + 1);
                        SourceError::at_line(
                            path,
                            text,
                            line,
                            format!(
                                "expectation {}: invalid glob `{pattern}`: {}",
                                n + 1,
                                e.kind()
                            ),
                        )
                    })
            };
            overrides.push(Override {
                rules: glob(&o.rules)?,
                bundles: o.bundles.as_deref().map(glob).transpose()?,
                techniques: o.techniques,
                allow_benign_hits: o.allow_benign_hits,
                reason: o.reason,
            });
        }
        let dir = std::path::Path::new(path)
            .parent()
            .unwrap_or(std::path::Path::new(""));
        Ok(Config {
            bundles: raw.bundles,
            placeholders: raw.placeholders,
            mappings: raw.mappings.map(|m| dir.join(m)),
            overrides,
            externaldata: raw
                .kql
                .externaldata
                .into_iter()
                .map(|(url, file)| (url, dir.join(file)))
                .collect(),
            snapshots: raw.snapshots.map(|s| dir.join(s)),
        })
    }

    /// The expectation for a rule (by path and its tagged techniques) on a bundle.
    /// Overrides apply in file order; a later one wins for each key it sets.
    pub fn expectation(
        &self,
        rule_path: &str,
        tagged: &[TechniqueId],
        bundle_path: &str,
    ) -> Expectation {
        let rule_path = normalize(rule_path);
        let bundle_path = normalize(bundle_path);
        let mut e = Expectation {
            techniques: tagged.to_vec(),
            allow_benign_hits: false,
            overrides: Vec::new(),
        };
        for o in &self.overrides {
            let rule_ok = o.rules.is_match(&rule_path);
            let bundle_ok = o.bundles.as_ref().is_none_or(|g| g.is_match(&bundle_path));
            if rule_ok && bundle_ok {
                if let Some(t) = &o.techniques {
                    e.techniques = t.clone();
                }
                if let Some(a) = o.allow_benign_hits {
                    e.allow_benign_hits = a;
                }
                e.overrides.push(o.reason.clone());
            }
        }
        e
    }
}

/// Paths compare with `/` separators and without a leading `./`.
pub fn normalize(path: &str) -> String {
    let p = path.replace('\\', "/");
    p.strip_prefix("./").unwrap_or(&p).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
bundles: bundles
expectations:
  - rules: "rules/**/proc_creation_*.yml"
    bundles: "bundles/benign-*.jsonl"
    allow_benign_hits: true
    reason: admins run these tools daily
  - rules: "rules/**/proc_creation_susp_whoami.yml"
    techniques: [T1033]
    reason: tagged for discovery only
"#;

    #[test]
    fn overrides_apply_by_glob_and_later_ones_win() {
        let config = Config::parse("rulecheck.yaml", CONFIG).unwrap();
        let t1059: TechniqueId = "T1059".parse().unwrap();
        let e = config.expectation(
            "./rules/windows/proc_creation_susp_whoami.yml",
            std::slice::from_ref(&t1059),
            "bundles/benign-office.jsonl",
        );
        assert!(e.allow_benign_hits);
        assert_eq!(e.techniques, vec!["T1033".parse().unwrap()]);
        assert_eq!(e.overrides.len(), 2);
        let other = config.expectation(
            "rules/x.yml",
            std::slice::from_ref(&t1059),
            "bundles/benign-office.jsonl",
        );
        assert_eq!(other.techniques, vec![t1059]);
        assert!(!other.allow_benign_hits);
    }

    #[test]
    fn unknown_keys_and_bad_globs_are_located_errors() {
        let err = Config::parse(
            "c.yaml",
            "expectations:\n  - rules: x\n    reason: r\n    techniqes: [T1059]\n",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("c.yaml:4:"), "{err}");
        let err = Config::parse("c.yaml", "expectations:\n  - rules: 'a[b'\n    reason: r\n")
            .unwrap_err();
        assert!(err.to_string().contains("invalid glob"), "{err}");
        assert_eq!(err.line(), Some(2));
    }
}
