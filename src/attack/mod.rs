//! MITRE ATT&CK® Enterprise as a table: tactics in matrix order, techniques and
//! sub-techniques with their names, tactics and platforms, and the techniques
//! MITRE has retired (revoked or deprecated).
//!
//! The shipped table, `data/attack.yaml`, is derived from MITRE's STIX 2.1
//! bundle (submodule `stix`) and written in a compact, diffable form
//! (submodule `yaml` describes it), with MITRE's notice in
//! `data/ATTACK-NOTICE.txt`. rulecheck uses it to tell a
//! current technique id from a retired or unknown one, and to name techniques.
//! Regenerating from a newer bundle is [`read_stix_file`] then
//! [`Matrix::to_yaml`].
//!
//! Both sources go through one normalisation (`Matrix::finish`), so a table
//! read from STIX and the same table read back from YAML are equal, and the
//! invariants below hold for every `Matrix` this module returns.

mod stix;
mod yaml;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::technique::TechniqueId;

pub use stix::{from_stix, from_stix_with_version, read_stix_file, version_from_file_name};

const BUILTIN: &str = include_str!("../../data/attack.yaml");

/// Parsed once; immutable afterwards. Parsing is tested, so a failure here is
/// a broken build, not bad input.
static MATRIX: LazyLock<Matrix> = LazyLock::new(|| {
    Matrix::parse_yaml(BUILTIN).expect("data/attack.yaml is valid (checked by a unit test)")
});

/// The ATT&CK Enterprise table shipped in the binary (`data/attack.yaml`).
pub fn matrix() -> &'static Matrix {
    &MATRIX
}

/// One ATT&CK domain's matrix.
///
/// Invariants (established by `Matrix::finish`, which every constructor in
/// this module goes through): `tactics` are in matrix order; `techniques` and
/// `retired` are sorted by id, and no id appears twice across both; every
/// technique's tactics are tactics of the matrix, in matrix order; every
/// sub-technique's parent is in `techniques`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The ATT&CK release, e.g. `18.1`: the `x-mitre-collection` object's
    /// version, or (for bundles without one) the version in the file name.
    /// Not the `x-mitre-matrix` object's own `x_mitre_version`, which is the
    /// version of that object (`1.0`), not of ATT&CK.
    pub version: String,
    /// The matrix's `mitre-attack` external id, e.g. `enterprise-attack`.
    pub domain: String,
    /// The matrix's name, e.g. `Enterprise ATT&CK`.
    pub name: String,
    /// MITRE's copyright statement from the bundle's marking definition, kept
    /// with the data it covers.
    pub copyright: Option<String>,
    pub tactics: Vec<AttackTactic>,
    /// Techniques and sub-techniques, neither revoked nor deprecated, by id.
    pub techniques: Vec<AttackTechnique>,
    /// Revoked and deprecated techniques, by id: not part of the matrix any
    /// more, but rules still carry their ids, and a rule tagged with one
    /// deserves a message naming the replacement rather than "unknown id".
    pub retired: Vec<RetiredTechnique>,
}

/// An ATT&CK tactic (a column of the matrix). Named so as not to clash with
/// [`crate::technique::Tactic`], the closed enum rulecheck's specs use; the
/// short names are the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttackTactic {
    /// `TA0002`.
    pub id: String,
    /// `execution`: the name Sigma tags and kill-chain phases use.
    pub shortname: String,
    /// `Execution`.
    pub name: String,
    /// Ids of the techniques and sub-techniques under this tactic, by id
    /// (so a sub-technique follows its parent when both belong here).
    pub techniques: Vec<String>,
}

/// A current technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttackTechnique {
    /// `T1059` or `T1059.001`.
    pub id: String,
    pub name: String,
    /// Tactic short names, in matrix order.
    pub tactics: Vec<String>,
    /// For a sub-technique, its technique (`T1059` for `T1059.001`).
    pub parent: Option<String>,
    /// MITRE's platform names (`Windows`, `Linux`, `macOS`, …), sorted
    /// case-insensitively.
    pub platforms: Vec<String>,
}

/// A technique MITRE has revoked or deprecated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredTechnique {
    pub id: String,
    pub name: String,
    pub kind: Retirement,
    /// For a revoked technique, the current technique that replaced it: the
    /// `revoked-by` relationships are followed through intermediate revoked
    /// techniques (`T1150` → `T1547.011` → `T1647` gives `T1647`), so the
    /// replacement is one a rule can be re-tagged with. `None` for deprecated
    /// techniques, which MITRE retires without a replacement.
    pub revoked_by: Option<String>,
}

impl RetiredTechnique {
    /// `T1086 (PowerShell) is revoked in ATT&CK v18.1; use T1059.001`.
    pub fn describe(&self, version: &str) -> String {
        let mut text = format!(
            "{} ({}) is {} in ATT&CK v{version}",
            self.id,
            self.name,
            self.kind.as_str()
        );
        if let Some(new) = &self.revoked_by {
            text.push_str(&format!("; use {new}"));
        }
        text
    }
}

/// What to tell the author of a rule tagged with retired techniques: one
/// sentence per retired technique among `techniques`, in their order.
pub fn retired_notes<'t>(
    techniques: impl IntoIterator<Item = &'t crate::technique::TechniqueId>,
) -> Vec<String> {
    let m = matrix();
    techniques
        .into_iter()
        .filter_map(|t| m.retired(t.as_str()))
        .map(|r| r.describe(&m.version))
        .collect()
}

/// Why a technique left the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Retirement {
    /// Replaced by (merged into) another technique (`revoked: true`).
    Revoked,
    /// Dropped without a replacement (`x_mitre_deprecated: true`).
    Deprecated,
}

impl Retirement {
    pub fn as_str(self) -> &'static str {
        match self {
            Retirement::Revoked => "revoked",
            Retirement::Deprecated => "deprecated",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    #[error("cannot read STIX bundle `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot decompress gzip STIX bundle `{}`", path.display())]
    Gzip {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("STIX bundle is not valid JSON of the expected shape")]
    Json(#[source] serde_json::Error),
    #[error("ATT&CK table is not valid YAML of the expected shape")]
    Yaml(#[source] serde_norway::Error),
    #[error("STIX bundle has no x-mitre-matrix object (is it an ATT&CK bundle?)")]
    NoMatrix,
    #[error(
        "STIX bundle has {0} current x-mitre-matrix objects; expected one (use a single-domain bundle such as enterprise-attack.json)"
    )]
    ManyMatrices(usize),
    #[error(
        "STIX bundle has no x-mitre-collection object giving the ATT&CK version, and none was given (name the file after its version, e.g. enterprise-attack-18.1.json)"
    )]
    NoVersion,
    #[error("`{0}` is not an ATT&CK version (expected e.g. 18.1)")]
    BadVersion(String),
    #[error("{object} has no `mitre-attack` external reference with an external_id")]
    NoExternalId { object: String },
    #[error("x-mitre-matrix lists tactic `{0}`, which is not an x-mitre-tactic of the bundle")]
    MissingTacticObject(String),
    #[error("tactic `{0}` has no x_mitre_shortname")]
    NoShortname(String),
    #[error("`{id}` is not a valid {what}")]
    BadId { id: String, what: &'static str },
    #[error("`{0}` is not a valid tactic short name (expected lower-case words joined by `-`)")]
    BadShortname(String),
    #[error("`{0}` is not an ATT&CK domain (expected e.g. enterprise-attack)")]
    BadDomain(String),
    #[error("the matrix has no tactics")]
    NoTactics,
    #[error("`{0}` is listed twice")]
    Duplicate(String),
    #[error(
        "technique `{technique}` is under tactic `{tactic}`, which is not a tactic of the matrix"
    )]
    UnknownTactic { technique: String, tactic: String },
    #[error(
        "technique `{id}` has x_mitre_is_subtechnique: {flagged}, but its id says it is {}",
        if *flagged { "a technique" } else { "a sub-technique" }
    )]
    SubtechniqueMismatch { id: String, flagged: bool },
    #[error("sub-technique `{id}` has no current parent technique `{parent}`")]
    MissingParent { id: String, parent: String },
    #[error("revoked technique `{id}` has {count} revoked-by relationships; expected one")]
    ManySuccessors { id: String, count: usize },
    #[error(
        "revoked-by relationship of `{id}` points to `{target}`, which is not an ATT&CK attack-pattern of the bundle"
    )]
    MissingSuccessorObject { id: String, target: String },
    #[error("revoked-by relationships starting at `{0}` form a cycle")]
    RevocationCycle(String),
    #[error("retired technique `{id}` is replaced by `{revoked_by}`, which is not in the table")]
    UnknownSuccessor { id: String, revoked_by: String },
    #[error("deprecated technique `{0}` names a replacement; only revoked techniques have one")]
    DeprecatedWithSuccessor(String),
}

impl Matrix {
    /// A current technique or sub-technique by id (`T1059.001`; case and
    /// surrounding space ignored, so Sigma's `t1059.001` works too).
    pub fn technique(&self, id: &str) -> Option<&AttackTechnique> {
        let id = id.trim().to_ascii_uppercase();
        self.techniques
            .binary_search_by(|t| t.id.as_str().cmp(&id))
            .ok()
            .map(|i| &self.techniques[i])
    }

    /// A revoked or deprecated technique by id (case ignored).
    pub fn retired(&self, id: &str) -> Option<&RetiredTechnique> {
        let id = id.trim().to_ascii_uppercase();
        self.retired
            .binary_search_by(|t| t.id.as_str().cmp(&id))
            .ok()
            .map(|i| &self.retired[i])
    }

    /// The current sub-techniques of `parent` (`T1059` → `T1059.001`, …), by id.
    pub fn subtechniques(&self, parent: &str) -> impl Iterator<Item = &AttackTechnique> + use<'_> {
        let parent = parent.trim().to_ascii_uppercase();
        self.techniques
            .iter()
            .filter(move |t| t.parent.as_deref() == Some(parent.as_str()))
    }

    /// A tactic by short name (`execution`; case ignored).
    pub fn tactic(&self, shortname: &str) -> Option<&AttackTactic> {
        let shortname = shortname.trim();
        self.tactics
            .iter()
            .find(|t| t.shortname.eq_ignore_ascii_case(shortname))
    }

    /// The table in the shipped format (`data/attack.yaml`): a header
    /// comment, then one line per tactic (matrix order), technique and retired
    /// technique (by id); the same matrix always gives the same bytes.
    pub fn to_yaml(&self) -> String {
        yaml::write(self)
    }

    /// Read a table in the shipped format.
    pub fn parse_yaml(text: &str) -> Result<Matrix, AttackError> {
        yaml::parse(text)
    }

    /// Validate and normalise a table assembled from STIX or YAML: sort
    /// techniques and retired techniques by id, order each technique's tactics
    /// by the matrix, sort platforms, derive parents and each tactic's
    /// technique list. Whatever the source listed in `AttackTactic::techniques`
    /// and `AttackTechnique::parent` is replaced.
    fn finish(mut self) -> Result<Matrix, AttackError> {
        if !is_version(&self.version) {
            return Err(AttackError::BadVersion(self.version));
        }
        if !is_shortname(&self.domain) {
            return Err(AttackError::BadDomain(self.domain));
        }
        if self.tactics.is_empty() {
            return Err(AttackError::NoTactics);
        }
        let mut position: BTreeMap<String, usize> = BTreeMap::new();
        let mut tactic_ids = BTreeSet::new();
        for (i, tactic) in self.tactics.iter().enumerate() {
            if !is_tactic_id(&tactic.id) {
                return Err(AttackError::BadId {
                    id: tactic.id.clone(),
                    what: "ATT&CK tactic id (expected TA followed by 4 digits, e.g. TA0002)",
                });
            }
            if !is_shortname(&tactic.shortname) {
                return Err(AttackError::BadShortname(tactic.shortname.clone()));
            }
            if !tactic_ids.insert(tactic.id.as_str()) {
                return Err(AttackError::Duplicate(tactic.id.clone()));
            }
            if position.insert(tactic.shortname.clone(), i).is_some() {
                return Err(AttackError::Duplicate(tactic.shortname.clone()));
            }
        }

        let mut ids = BTreeSet::new();
        for id in self
            .techniques
            .iter()
            .map(|t| &t.id)
            .chain(self.retired.iter().map(|t| &t.id))
        {
            check_technique_id(id)?;
            if !ids.insert(id.clone()) {
                return Err(AttackError::Duplicate(id.clone()));
            }
        }
        self.techniques.sort_by(|a, b| a.id.cmp(&b.id));
        self.retired.sort_by(|a, b| a.id.cmp(&b.id));

        let current: BTreeSet<String> = self.techniques.iter().map(|t| t.id.clone()).collect();
        let mut members: Vec<Vec<String>> = vec![Vec::new(); self.tactics.len()];
        for technique in &mut self.techniques {
            let mut at = Vec::with_capacity(technique.tactics.len());
            for tactic in &technique.tactics {
                let i = *position
                    .get(tactic)
                    .ok_or_else(|| AttackError::UnknownTactic {
                        technique: technique.id.clone(),
                        tactic: tactic.clone(),
                    })?;
                at.push(i);
            }
            at.sort_unstable();
            at.dedup();
            technique.tactics = at
                .iter()
                .map(|&i| self.tactics[i].shortname.clone())
                .collect();
            for i in at {
                // Techniques are visited by id, so each list comes out sorted.
                members[i].push(technique.id.clone());
            }
            technique.parent = technique
                .id
                .split_once('.')
                .map(|(parent, _)| parent.to_string());
            if let Some(parent) = &technique.parent
                && !current.contains(parent)
            {
                return Err(AttackError::MissingParent {
                    id: technique.id.clone(),
                    parent: parent.clone(),
                });
            }
            technique.platforms.sort_by(|a, b| {
                a.to_ascii_lowercase()
                    .cmp(&b.to_ascii_lowercase())
                    .then_with(|| a.cmp(b))
            });
            technique.platforms.dedup();
        }
        for (tactic, techniques) in self.tactics.iter_mut().zip(members) {
            tactic.techniques = techniques;
        }

        for retired in &self.retired {
            match (&retired.kind, &retired.revoked_by) {
                (Retirement::Deprecated, Some(_)) => {
                    return Err(AttackError::DeprecatedWithSuccessor(retired.id.clone()));
                }
                (Retirement::Revoked, Some(by)) if !ids.contains(by) || by == &retired.id => {
                    return Err(AttackError::UnknownSuccessor {
                        id: retired.id.clone(),
                        revoked_by: by.clone(),
                    });
                }
                _ => {}
            }
        }
        Ok(self)
    }
}

/// Technique ids must be in the one form [`TechniqueId`] produces, so that
/// lookups by a parsed id always meet the table's spelling.
fn check_technique_id(id: &str) -> Result<(), AttackError> {
    match id.parse::<TechniqueId>() {
        Ok(parsed) if parsed.as_str() == id => Ok(()),
        _ => Err(AttackError::BadId {
            id: id.to_string(),
            what: "ATT&CK technique id (expected T followed by 4 digits, optionally .NNN, e.g. T1059.001)",
        }),
    }
}

fn is_tactic_id(id: &str) -> bool {
    id.len() == 6 && id.starts_with("TA") && id[2..].bytes().all(|b| b.is_ascii_digit())
}

/// Lower-case words joined by single hyphens (`command-and-control`).
fn is_shortname(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Versions go into the file header verbatim, so only a plain dotted form is
/// accepted (`18.1`, `17`, `18.1-beta`).
fn is_version(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}
