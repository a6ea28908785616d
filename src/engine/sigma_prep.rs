//! Preparing a Sigma rule for `sigma-rust`: the parts of the Sigma specification
//! the crate does not implement are rewritten into equivalent forms it does.
//!
//! - Regular-expression flags (`|re|i`, `|re|m`, `|re|s`) become inline flags
//!   (`(?i)`, `(?m)`, `(?s)`) at the start of the pattern.
//! - `|expand` placeholders (`%name%`) are replaced by the values configured for
//!   them (see [`Placeholders`]); an unconfigured placeholder is an error.
//! - Keyword selections (lists of bare values) match *within* any field value,
//!   case-insensitively, as Sigma backends' full-text search does: each keyword
//!   becomes `*keyword*`. `sigma-rust` alone compares keywords with whole values.
//! - `Field: null` matches a field that is null *or absent*, as backends
//!   translate it (`Field IS NULL`, `NOT Field=*`). `sigma-rust` alone never
//!   matches an absent field, so each such selection gains an alternative with
//!   `Field|exists: false`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_norway::{Mapping, Value};

const BUILTIN_PLACEHOLDERS: &str = include_str!("../../data/placeholders.yaml");

/// Values for `%name%` placeholders, from `data/placeholders.yaml` overlaid by
/// the repository's `rulecheck.yaml` (`placeholders:`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Placeholders(pub BTreeMap<String, Vec<String>>);

impl Placeholders {
    /// The built-in values, describing rulecheck's built-in environment.
    pub fn builtin() -> Placeholders {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            placeholders: Placeholders,
        }
        serde_norway::from_str::<File>(BUILTIN_PLACEHOLDERS)
            .expect("data/placeholders.yaml is valid (checked by a unit test)")
            .placeholders
    }

    /// `self` with `overrides` replacing same-named placeholders.
    pub fn overlaid(mut self, overrides: &Placeholders) -> Placeholders {
        for (k, v) in &overrides.0 {
            self.0.insert(k.clone(), v.clone());
        }
        self
    }
}

/// Rewrite the `detection` of a parsed rule document in place.
pub fn prepare(doc: &mut Value, placeholders: &Placeholders) -> Result<(), String> {
    let Some(detection) = doc.get_mut("detection").and_then(Value::as_mapping_mut) else {
        return Ok(());
    };
    for (name, selection) in detection.iter_mut() {
        if name.as_str() == Some("condition") || name.as_str() == Some("timeframe") {
            continue;
        }
        match selection {
            Value::Mapping(fields) => {
                prepare_fields(fields, placeholders)?;
                let alternatives = null_alternatives(fields);
                if alternatives.len() > 1 {
                    *selection =
                        Value::Sequence(alternatives.into_iter().map(Value::Mapping).collect());
                }
            }
            Value::Sequence(items) if items.iter().all(|i| !i.is_mapping()) => {
                for item in items.iter_mut() {
                    *item = keyword(item);
                }
            }
            Value::Sequence(items) => {
                let mut expanded = Vec::with_capacity(items.len());
                for item in items.drain(..) {
                    match item {
                        Value::Mapping(mut fields) => {
                            prepare_fields(&mut fields, placeholders)?;
                            expanded
                                .extend(null_alternatives(&fields).into_iter().map(Value::Mapping));
                        }
                        other => expanded.push(other),
                    }
                }
                *items = expanded;
            }
            scalar @ (Value::String(_) | Value::Number(_)) => *scalar = keyword(scalar),
            _ => {}
        }
    }
    Ok(())
}

/// The selection as alternatives (ORed) in which every `Field: null` (or a
/// list holding `null`) also accepts an absent field: for each such field the
/// map splits into one with its other values, one with `null`, and one with
/// `Field|exists: false`.
fn null_alternatives(fields: &Mapping) -> Vec<Mapping> {
    let mut alternatives = vec![fields.clone()];
    let null_fields: Vec<Value> = fields
        .iter()
        .filter(|(k, v)| {
            let plain = k.as_str().is_some_and(|k| !k.contains('|'));
            let has_null = match v {
                Value::Null => true,
                Value::Sequence(items) => items.iter().any(Value::is_null),
                _ => false,
            };
            plain && has_null
        })
        .map(|(k, _)| k.clone())
        .collect();
    for key in null_fields {
        let name = key.as_str().unwrap_or_default().to_string();
        alternatives = alternatives
            .into_iter()
            .flat_map(|map| {
                let values = map.get(&key).cloned().unwrap_or(Value::Null);
                let others: Vec<Value> = match &values {
                    Value::Sequence(items) => {
                        items.iter().filter(|i| !i.is_null()).cloned().collect()
                    }
                    _ => Vec::new(),
                };
                let mut out = Vec::new();
                if !others.is_empty() {
                    let mut m = map.clone();
                    m.insert(key.clone(), Value::Sequence(others));
                    out.push(m);
                }
                let mut null = map.clone();
                null.insert(key.clone(), Value::Null);
                out.push(null);
                let mut absent = map.clone();
                absent.remove(&key);
                absent.insert(Value::String(format!("{name}|exists")), Value::Bool(false));
                out.push(absent);
                out
            })
            .collect();
    }
    alternatives
}

/// A keyword as a contains-match: `*value*` (existing wildcards are kept).
fn keyword(value: &Value) -> Value {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => return other.clone(),
    };
    let start = if text.starts_with('*') { "" } else { "*" };
    let end = if text.ends_with('*') && !text.ends_with("\\*") {
        ""
    } else {
        "*"
    };
    Value::String(format!("{start}{text}{end}"))
}

fn prepare_fields(fields: &mut Mapping, placeholders: &Placeholders) -> Result<(), String> {
    let keys: Vec<Value> = fields.keys().cloned().collect();
    for key in keys {
        let Some(name) = key.as_str() else { continue };
        let mut parts = name.split('|');
        let field = parts.next().unwrap_or_default();
        if field.is_empty() {
            // `'|all': [a, b]`: a keyword list with modifiers.
            if let Some(values) = fields.get_mut(&key) {
                let wrapped = match &*values {
                    Value::Sequence(items) => Value::Sequence(items.iter().map(keyword).collect()),
                    other => keyword(other),
                };
                *values = wrapped;
            }
            continue;
        }
        let modifiers: Vec<&str> = parts.collect();
        let is_regex = modifiers.contains(&"re");
        let flags: String = modifiers
            .iter()
            .filter(|m| is_regex && matches!(**m, "i" | "m" | "s"))
            .copied()
            .collect();
        let expand = modifiers.contains(&"expand");
        if flags.is_empty() && !expand {
            continue;
        }
        let kept: Vec<&str> = modifiers
            .iter()
            .filter(|m| !(**m == "expand" || (is_regex && matches!(**m, "i" | "m" | "s"))))
            .copied()
            .collect();
        let mut value = fields.remove(&key).unwrap_or(Value::Null);
        if expand {
            value = expand_values(&value, placeholders)?;
        }
        if !flags.is_empty() {
            value = map_strings(&value, &|s| format!("(?{flags}){s}"));
        }
        let new_key = std::iter::once(field)
            .chain(kept)
            .collect::<Vec<_>>()
            .join("|");
        fields.insert(Value::String(new_key), value);
    }
    Ok(())
}

fn map_strings(value: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(s)),
        Value::Sequence(items) => {
            Value::Sequence(items.iter().map(|i| map_strings(i, f)).collect())
        }
        other => other.clone(),
    }
}

/// Replace `%name%` placeholders by each configured value (every combination
/// when a value holds several placeholders).
fn expand_values(value: &Value, placeholders: &Placeholders) -> Result<Value, String> {
    let items: Vec<&Value> = match value {
        Value::Sequence(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        let Value::String(text) = item else {
            out.push(item.clone());
            continue;
        };
        let mut expanded = vec![String::new()];
        let mut rest = text.as_str();
        while let Some(start) = rest.find('%') {
            let Some(len) = rest[start + 1..].find('%') else {
                break;
            };
            let name = &rest[start + 1..start + 1 + len];
            let values = placeholders.0.get(name).ok_or_else(|| {
                format!("placeholder `%{name}%` has no values; define it under `placeholders:` in rulecheck.yaml")
            })?;
            let prefix = &rest[..start];
            expanded = expanded
                .iter()
                .flat_map(|e| values.iter().map(move |v| format!("{e}{prefix}{v}")))
                .collect();
            rest = &rest[start + len + 2..];
        }
        out.extend(
            expanded
                .into_iter()
                .map(|e| Value::String(format!("{e}{rest}"))),
        );
    }
    if out.is_empty() {
        // No configured values: a value that cannot occur, so the selection never matches.
        out.push(Value::String(
            "\u{0}rulecheck:empty-placeholder\u{0}".into(),
        ));
    }
    Ok(Value::Sequence(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(yaml: &str, placeholders: &Placeholders) -> Result<Value, String> {
        let mut doc: Value = serde_norway::from_str(yaml).unwrap();
        prepare(&mut doc, placeholders).map(|_| doc)
    }

    fn detection(doc: &Value) -> String {
        serde_norway::to_string(&doc["detection"]).unwrap()
    }

    #[test]
    fn regex_flags_become_inline_flags() {
        let doc = prep(
            "detection:\n  s:\n    CommandLine|re|i|s: 'a.b'\n  condition: s\n",
            &Placeholders::default(),
        )
        .unwrap();
        assert_eq!(
            doc["detection"]["s"]["CommandLine|re"],
            Value::String("(?is)a.b".into())
        );
    }

    #[test]
    fn expand_uses_configured_values_and_refuses_unknown_placeholders() {
        let mut p = Placeholders::default();
        p.0.insert("dcs".into(), vec!["dc01".into(), "dc02".into()]);
        let doc = prep(
            "detection:\n  f:\n    Host|contains|expand: 'x-%dcs%'\n  condition: not f\n",
            &p,
        )
        .unwrap();
        assert_eq!(
            detection(&doc),
            "f:\n  Host|contains:\n  - x-dc01\n  - x-dc02\ncondition: not f\n"
        );
        let err = prep(
            "detection:\n  f:\n    Host|expand: '%nope%'\n  condition: f\n",
            &p,
        )
        .unwrap_err();
        assert!(err.contains("%nope%"), "{err}");
    }

    #[test]
    fn keywords_become_contains_matches() {
        let doc = prep(
            "detection:\n  k:\n    - mimikatz\n    - '*sekurlsa*'\n    - 4688\n  condition: k\n",
            &Placeholders::default(),
        )
        .unwrap();
        assert_eq!(
            detection(&doc),
            "k:\n- '*mimikatz*'\n- '*sekurlsa*'\n- '*4688*'\ncondition: k\n"
        );
    }

    #[test]
    fn keyword_lists_with_modifiers_become_contains_matches_too() {
        let doc = prep(
            "detection:\n  k:\n    '|all':\n      - a\n      - b\n  condition: k\n",
            &Placeholders::default(),
        )
        .unwrap();
        assert_eq!(
            detection(&doc),
            "k:\n  '|all':\n  - '*a*'\n  - '*b*'\ncondition: k\n"
        );
    }

    #[test]
    fn null_also_matches_an_absent_field() {
        let doc = prep(
            "detection:\n  f:\n    Image: x\n    Dir:\n      - ''\n      - null\n  condition: f\n",
            &Placeholders::default(),
        )
        .unwrap();
        assert_eq!(
            detection(&doc),
            "f:\n- Image: x\n  Dir:\n  - ''\n- Image: x\n  Dir: null\n- Image: x\n  Dir|exists: false\ncondition: f\n"
        );
    }

    #[test]
    fn builtin_placeholders_parse() {
        assert!(Placeholders::builtin().0.contains_key("known_cdcs"));
    }
}
