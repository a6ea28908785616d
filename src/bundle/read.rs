//! Reading bundle files, with every problem located at its line.

use std::path::Path;

use serde_json::Value;

use super::{BUNDLE_FORMAT, BUNDLE_VERSION, Bundle, EventLine, Header};

/// A problem on one line of a bundle file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: cannot read bundle")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{}: {}{}", problems[0].line, problems[0].message, more(problems.len()))]
    Invalid {
        path: String,
        problems: Vec<LineProblem>,
    },
}

fn more(n: usize) -> String {
    match n {
        0 | 1 => String::new(),
        2 => " (and 1 more invalid line)".into(),
        n => format!(" (and {} more invalid lines)", n - 1),
    }
}

impl BundleError {
    pub fn path(&self) -> &str {
        match self {
            BundleError::Io { path, .. } | BundleError::Invalid { path, .. } => path,
        }
    }
}

/// Read and parse a bundle file.
pub fn read_bundle(path: &Path) -> Result<Bundle, BundleError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| BundleError::Io {
        path: shown.clone(),
        source,
    })?;
    parse_bundle(&shown, &text)
}

/// Parse bundle text. The header is checked for format and version before
/// anything else, so a bundle from a newer rulecheck gets a version message
/// rather than a confusing field error. All invalid event lines are reported.
pub fn parse_bundle(path: &str, text: &str) -> Result<Bundle, BundleError> {
    let invalid = |line: usize, message: String| BundleError::Invalid {
        path: path.to_string(),
        problems: vec![LineProblem { line, message }],
    };
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let Some((_, first)) = lines.next().filter(|(_, l)| !l.trim().is_empty()) else {
        return Err(invalid(
            1,
            "empty file: a bundle starts with a header line".into(),
        ));
    };
    let header_value: Value = serde_json::from_str(first)
        .map_err(|e| invalid(1, format!("header is not valid JSON: {e}")))?;
    if header_value.get("format").and_then(Value::as_str) != Some(BUNDLE_FORMAT) {
        return Err(invalid(
            1,
            format!("not a rulecheck bundle: the header has no `\"format\": \"{BUNDLE_FORMAT}\"`"),
        ));
    }
    match header_value.get("version").and_then(Value::as_u64) {
        Some(v) if v == BUNDLE_VERSION as u64 => {}
        Some(v) => {
            return Err(invalid(
                1,
                format!(
                    "bundle format version {v} is not supported; this rulecheck reads version {BUNDLE_VERSION} (regenerate the bundle or upgrade rulecheck)"
                ),
            ));
        }
        None => return Err(invalid(1, "header has no numeric `version`".into())),
    }
    let header: Header = serde_json::from_value(header_value)
        .map_err(|e| invalid(1, format!("invalid header: {e}")))?;

    let mut events = Vec::new();
    let mut problems = Vec::new();
    for (line, text) in lines {
        if text.trim().is_empty() {
            problems.push(LineProblem {
                line,
                message: "blank line: every line after the header is one event".into(),
            });
            continue;
        }
        match serde_json::from_str::<EventLine>(text) {
            Ok(event) if event.record.is_object() => events.push(event),
            Ok(_) => problems.push(LineProblem {
                line,
                message: "`record` must be a JSON object".into(),
            }),
            Err(e) => problems.push(LineProblem {
                line,
                message: format!("invalid event: {e}"),
            }),
        }
    }
    if problems.is_empty() && events.len() != header.event_count {
        problems.push(LineProblem {
            line: 1,
            message: format!(
                "header says {} events but the file has {} (truncated or edited?)",
                header.event_count,
                events.len()
            ),
        });
    }
    if !problems.is_empty() {
        return Err(BundleError::Invalid {
            path: path.to_string(),
            problems,
        });
    }
    Ok(Bundle { header, events })
}
