//! STIX 2.1 bundle → [`Matrix`]: the conversion behind `data/attack.yaml`.
//!
//! Reads only what the table needs: the one `x-mitre-matrix` (its
//! `tactic_refs` give the tactic order), its `x-mitre-tactic`s, every
//! `attack-pattern` with a `mitre-attack` external id, `revoked-by`
//! relationships between attack-patterns, the `x-mitre-collection` version and
//! the matrix's copyright marking. Other objects (groups, software, analytics,
//! other relationships) are skipped unread.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::{AttackError, AttackTactic, AttackTechnique, Matrix, RetiredTechnique, Retirement};

/// The gzip magic number: files are recognised by content, not by extension.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The table from a STIX bundle whose version is given by its
/// `x-mitre-collection` object (as in MITRE's `attack-stix-data` releases).
pub fn from_stix(json: &[u8]) -> Result<Matrix, AttackError> {
    from_stix_with_version(json, None)
}

/// [`from_stix`], using `fallback_version` when the bundle has no
/// `x-mitre-collection` object (bundles reassembled from `mitre/cti`'s
/// per-object files have none). The collection's version wins when present.
pub fn from_stix_with_version(
    json: &[u8],
    fallback_version: Option<&str>,
) -> Result<Matrix, AttackError> {
    let bundle: Bundle = serde_json::from_slice(json).map_err(AttackError::Json)?;
    convert(bundle, fallback_version)
}

/// Read a STIX bundle file, plain (`.json`) or gzip-compressed (`.json.gz`),
/// and convert it. Without an `x-mitre-collection` object the version comes
/// from the file name ([`version_from_file_name`]).
pub fn read_stix_file(path: &Path) -> Result<Matrix, AttackError> {
    let raw = std::fs::read(path).map_err(|source| AttackError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let json = if raw.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::with_capacity(raw.len() * 6);
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|source| AttackError::Gzip {
                path: path.to_path_buf(),
                source,
            })?;
        out
    } else {
        raw
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    from_stix_with_version(&json, version_from_file_name(name).as_deref())
}

/// The ATT&CK version in a bundle's file name: `enterprise-attack-18.1.json`
/// (MITRE's naming) and `enterprise-attack-v18.1.json.gz` both give `18.1`.
pub fn version_from_file_name(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    let stem = stem.strip_suffix(".json").unwrap_or(stem);
    let last = stem.rsplit('-').next()?;
    let version = last.strip_prefix(['v', 'V']).unwrap_or(last);
    let dotted = !version.is_empty()
        && version
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    dotted.then(|| version.to_string())
}

#[derive(Deserialize)]
struct Bundle {
    objects: Vec<Object>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum Object {
    #[serde(rename = "x-mitre-collection")]
    Collection(CollectionObject),
    #[serde(rename = "x-mitre-matrix")]
    Matrix(MatrixObject),
    #[serde(rename = "x-mitre-tactic")]
    Tactic(TacticObject),
    #[serde(rename = "attack-pattern")]
    AttackPattern(PatternObject),
    #[serde(rename = "relationship")]
    Relationship(RelationshipObject),
    #[serde(rename = "marking-definition")]
    Marking(MarkingObject),
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct CollectionObject {
    x_mitre_version: Option<String>,
}

#[derive(Deserialize)]
struct MatrixObject {
    id: String,
    name: String,
    #[serde(default)]
    external_references: Vec<ExternalReference>,
    #[serde(default)]
    tactic_refs: Vec<String>,
    #[serde(default)]
    object_marking_refs: Vec<String>,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    x_mitre_deprecated: bool,
}

#[derive(Deserialize)]
struct TacticObject {
    id: String,
    name: String,
    #[serde(default)]
    external_references: Vec<ExternalReference>,
    x_mitre_shortname: Option<String>,
}

#[derive(Deserialize)]
struct PatternObject {
    id: String,
    name: String,
    #[serde(default)]
    external_references: Vec<ExternalReference>,
    #[serde(default)]
    kill_chain_phases: Vec<KillChainPhase>,
    #[serde(default)]
    x_mitre_platforms: Vec<String>,
    #[serde(default)]
    x_mitre_is_subtechnique: bool,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    x_mitre_deprecated: bool,
}

#[derive(Deserialize)]
struct RelationshipObject {
    relationship_type: String,
    source_ref: String,
    target_ref: String,
    #[serde(default)]
    revoked: bool,
}

#[derive(Deserialize)]
struct MarkingObject {
    id: String,
    definition: Option<MarkingDefinition>,
}

#[derive(Deserialize)]
struct MarkingDefinition {
    statement: Option<String>,
}

#[derive(Deserialize)]
struct ExternalReference {
    source_name: Option<String>,
    external_id: Option<String>,
}

#[derive(Deserialize)]
struct KillChainPhase {
    kill_chain_name: String,
    phase_name: String,
}

/// The ATT&CK id of an object: the `external_id` of its `mitre-attack`
/// reference.
fn attack_id(refs: &[ExternalReference]) -> Option<&str> {
    refs.iter()
        .find(|r| r.source_name.as_deref() == Some("mitre-attack") && r.external_id.is_some())
        .and_then(|r| r.external_id.as_deref())
}

fn convert(bundle: Bundle, fallback_version: Option<&str>) -> Result<Matrix, AttackError> {
    let mut collection_version = None;
    let mut matrices = Vec::new();
    let mut tactics: BTreeMap<String, TacticObject> = BTreeMap::new();
    let mut patterns: BTreeMap<String, PatternObject> = BTreeMap::new();
    let mut revoked_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut markings: BTreeMap<String, String> = BTreeMap::new();
    for object in bundle.objects {
        match object {
            Object::Collection(c) => collection_version = collection_version.or(c.x_mitre_version),
            Object::Matrix(m) if !m.revoked && !m.x_mitre_deprecated => matrices.push(m),
            Object::Tactic(t) => {
                tactics.insert(t.id.clone(), t);
            }
            Object::AttackPattern(p) if attack_id(&p.external_references).is_some() => {
                patterns.insert(p.id.clone(), p);
            }
            Object::Relationship(r)
                if r.relationship_type == "revoked-by"
                    && !r.revoked
                    && r.source_ref.starts_with("attack-pattern--") =>
            {
                revoked_by
                    .entry(r.source_ref)
                    .or_default()
                    .push(r.target_ref);
            }
            Object::Marking(m) => {
                if let Some(statement) = m.definition.and_then(|d| d.statement) {
                    markings.insert(m.id, statement);
                }
            }
            _ => {}
        }
    }

    let matrix = match matrices.len() {
        0 => return Err(AttackError::NoMatrix),
        1 => matrices.remove(0),
        n => return Err(AttackError::ManyMatrices(n)),
    };
    let version = collection_version
        .or_else(|| fallback_version.map(str::to_string))
        .ok_or(AttackError::NoVersion)?;
    let domain = attack_id(&matrix.external_references)
        .ok_or_else(|| AttackError::NoExternalId {
            object: format!("x-mitre-matrix `{}`", matrix.id),
        })?
        .to_string();
    let copyright = matrix
        .object_marking_refs
        .iter()
        .find_map(|r| markings.get(r).cloned());

    let mut matrix_tactics = Vec::with_capacity(matrix.tactic_refs.len());
    for tactic_ref in &matrix.tactic_refs {
        let tactic = tactics
            .get(tactic_ref)
            .ok_or_else(|| AttackError::MissingTacticObject(tactic_ref.clone()))?;
        let id =
            attack_id(&tactic.external_references).ok_or_else(|| AttackError::NoExternalId {
                object: format!("x-mitre-tactic `{}`", tactic.id),
            })?;
        matrix_tactics.push(AttackTactic {
            id: id.to_string(),
            shortname: tactic
                .x_mitre_shortname
                .clone()
                .ok_or_else(|| AttackError::NoShortname(id.to_string()))?,
            name: tactic.name.clone(),
            techniques: Vec::new(),
        });
    }

    let mut techniques = Vec::new();
    let mut retired = Vec::new();
    for pattern in patterns.values() {
        let id = attack_id(&pattern.external_references)
            .unwrap_or_default()
            .to_string();
        if pattern.revoked || pattern.x_mitre_deprecated {
            let (kind, successor) = if pattern.revoked {
                (
                    Retirement::Revoked,
                    successor(&id, pattern, &patterns, &revoked_by)?,
                )
            } else {
                (Retirement::Deprecated, None)
            };
            retired.push(RetiredTechnique {
                id,
                name: pattern.name.clone(),
                kind,
                revoked_by: successor,
            });
            continue;
        }
        if pattern.x_mitre_is_subtechnique != id.contains('.') {
            return Err(AttackError::SubtechniqueMismatch {
                id,
                flagged: pattern.x_mitre_is_subtechnique,
            });
        }
        techniques.push(AttackTechnique {
            id,
            name: pattern.name.clone(),
            tactics: pattern
                .kill_chain_phases
                .iter()
                // `mitre-attack`, `mitre-mobile-attack`, `mitre-ics-attack`.
                .filter(|p| p.kill_chain_name.starts_with("mitre-"))
                .map(|p| p.phase_name.clone())
                .collect(),
            parent: None,
            platforms: pattern.x_mitre_platforms.clone(),
        });
    }

    Matrix {
        version,
        domain,
        name: matrix.name,
        copyright,
        tactics: matrix_tactics,
        techniques,
        retired,
    }
    .finish()
}

/// The current technique a revoked pattern was replaced by: follow
/// `revoked-by` through patterns that are themselves revoked, and stop at the
/// first that is not (or that has no relationship of its own).
fn successor(
    id: &str,
    pattern: &PatternObject,
    patterns: &BTreeMap<String, PatternObject>,
    revoked_by: &BTreeMap<String, Vec<String>>,
) -> Result<Option<String>, AttackError> {
    let mut current = pattern;
    let mut found = None;
    for _ in 0..=patterns.len() {
        let targets = match revoked_by.get(&current.id) {
            None => return Ok(found),
            Some(targets) => targets,
        };
        let [target] = targets.as_slice() else {
            return Err(AttackError::ManySuccessors {
                id: attack_id(&current.external_references)
                    .unwrap_or(id)
                    .to_string(),
                count: targets.len(),
            });
        };
        let next = patterns
            .get(target)
            .ok_or_else(|| AttackError::MissingSuccessorObject {
                id: id.to_string(),
                target: target.clone(),
            })?;
        found = attack_id(&next.external_references).map(str::to_string);
        if !next.revoked {
            return Ok(found);
        }
        current = next;
    }
    Err(AttackError::RevocationCycle(id.to_string()))
}
