//! Required literals ("witnesses") of Sigma rules, found for every rule at once.
//!
//! A rule's *requirement* is a conjunction of clauses, each a set of
//! witnesses — a field (or any field, for keywords) and a piece of text —
//! such that the rule can match an event only if the event holds at least
//! one witness of every clause: the field's value contains the text once both
//! are lowercased. `Image|endswith: '\rundll32.exe'` and `CommandLine|contains:
//! comsvcs` in one selection are two clauses, so only events holding both
//! reach the evaluator. Rules whose logic gives no such guarantee (a
//! negation on its own, a regular expression, a numeric comparison, a
//! base64-encoded value …) get [`Requirement::Always`] and are always
//! evaluated.
//!
//! Soundness is the whole point: a witness must be present whenever
//! `sigma-rust` would match. The extraction therefore mirrors `sigma-rust`'s
//! own reading of values: wildcard tokenisation with `\` escapes, and
//! lowercasing character by character (`char::to_lowercase`) on both the
//! pattern and the value, so that a pattern matching a value makes the
//! lowercased piece a substring of the lowercased value — with `|cased` too,
//! since lowercasing preserves substrings. Values that are not strings are
//! searched in the text `sigma-rust` compares them as. Three more kinds of
//! value have literals: an integer (`EventID: 4720`) only equals an integer
//! event value, whose text is its decimal digits; `|base64` and
//! `|base64offset` values are the encodings `sigma-rust` generates (mirrored
//! exactly, and tested against its own examples); a `|re` pattern's every
//! match starts with one of its prefix literals (`regex-syntax`'s extractor,
//! used only when that set is finite and has no empty literal). Whenever it is unsure
//! the extraction picks a shorter piece or gives up on the rule, and the
//! event-side check in [`LiteralIndex::present`] counts lists and objects as
//! holding every witness of their field.

use std::collections::{BTreeMap, HashMap};

use aho_corasick::AhoCorasick;
use serde_json::{Map, Value};
use serde_norway::Value as Yaml;

/// One piece of text a rule needs, in one field (`None`: in any value, as
/// Sigma keywords search).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Witness {
    pub field: Option<String>,
    /// Lowercased character by character, never empty.
    pub literal: String,
}

/// What an event must hold for a rule to possibly match it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// No sound literal requirement: evaluate the rule on every routed event.
    Always,
    /// At least one witness of every clause (clauses sorted, each sorted,
    /// de-duplicated and never empty; at most [`MAX_CLAUSES`]).
    AllOf(Vec<Clause>),
}

/// Witnesses of which an event must hold at least one.
pub type Clause = Vec<Witness>;

/// A requirement as witness ids of the [`LiteralIndex`]: per clause, the ids
/// of its witnesses; `None` for [`Requirement::Always`].
pub type ClauseIds = Option<Vec<Vec<u32>>>;

/// Clauses kept per requirement: each more is one more check per candidate
/// event; past a few, the most selective ones have done the filtering.
pub const MAX_CLAUSES: usize = 4;

/// The requirement of a rule, from its `detection` after
/// [`sigma_prep`](super::sigma_prep) rewrote it (so keywords are already
/// `*keyword*` and `null` fields already alternatives).
pub fn requirement(detection: &Yaml) -> Requirement {
    let Some(map) = detection.as_mapping() else {
        return Requirement::Always;
    };
    let mut selections = BTreeMap::new();
    let mut conditions = Vec::new();
    for (key, value) in map {
        match key.as_str() {
            Some("condition") => match value {
                Yaml::String(c) => conditions.push(c.as_str()),
                Yaml::Sequence(items) => {
                    for item in items {
                        match item.as_str() {
                            Some(c) => conditions.push(c),
                            None => return Requirement::Always,
                        }
                    }
                }
                _ => return Requirement::Always,
            },
            Some("timeframe") => {}
            Some(name) => {
                selections.insert(name.to_string(), selection(value));
            }
            None => return Requirement::Always,
        }
    }
    if conditions.is_empty() {
        return Requirement::Always;
    }
    // Several conditions: the rule matches when any of them does.
    let mut any = Vec::new();
    for condition in conditions {
        let Some(tokens) = tokenize_condition(condition) else {
            return Requirement::Always;
        };
        let mut parser = ConditionParser {
            tokens: &tokens,
            at: 0,
            selections: &selections,
        };
        let Some(req) = parser.expression() else {
            return Requirement::Always;
        };
        if parser.at != tokens.len() {
            return Requirement::Always;
        }
        any.push(req);
    }
    match or_all(any) {
        Some(mut clauses) => {
            clauses.sort();
            Requirement::AllOf(clauses)
        }
        None => Requirement::Always,
    }
}

/// `None`: no requirement. `Some(clauses)`: every clause must hold (never
/// empty; most selective first; each clause sorted and de-duplicated).
type Req = Option<Vec<Clause>>;

/// All must hold: every side's clauses are required, so all of them are a
/// sound requirement; the most selective [`MAX_CLAUSES`] are kept (dropping a
/// clause only weakens the requirement).
fn and_all(reqs: impl IntoIterator<Item = Req>) -> Req {
    let mut clauses: Vec<Clause> = reqs.into_iter().flatten().flatten().collect();
    clauses.sort_by(|a, b| selectivity(b).cmp(&selectivity(a)).then_with(|| a.cmp(b)));
    clauses.dedup();
    clauses.truncate(MAX_CLAUSES);
    (!clauses.is_empty()).then_some(clauses)
}

/// Either may hold, and only if every side has a requirement is anything
/// required. Each side implies every one of its clauses, so the union of one
/// clause from each side is required; the k-th requirement clause unites the
/// sides' k-th most selective clauses (or their last), so `(a1 ∧ a2) ∨
/// (b1 ∧ b2)` requires `(a1 ∨ b1) ∧ (a2 ∨ b2)`.
fn or_all(reqs: impl IntoIterator<Item = Req>) -> Req {
    let sides: Vec<Vec<Clause>> = reqs.into_iter().collect::<Option<_>>()?;
    let depth = sides.iter().map(Vec::len).max()?;
    let clauses = (0..depth.min(MAX_CLAUSES)).map(|k| {
        let mut union: Clause = sides
            .iter()
            .flat_map(|side| side[k.min(side.len() - 1)].iter().cloned())
            .collect();
        union.sort();
        union.dedup();
        union
    });
    and_all([Some(clauses.collect())])
}

/// Longer shortest literal first (fewer false candidates), then fewer witnesses.
fn selectivity(witnesses: &[Witness]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = witnesses.iter().map(|w| w.literal.len()).min().unwrap_or(0);
    (shortest, std::cmp::Reverse(witnesses.len()))
}

/// The requirement of one named selection.
fn selection(value: &Yaml) -> Req {
    match value {
        Yaml::Mapping(fields) => and_all(fields.iter().map(|(k, v)| match k.as_str() {
            Some(key) => field_entry(key, v),
            None => None,
        })),
        // A list of maps (alternatives) or of keywords; mixed lists are both.
        Yaml::Sequence(items) => or_all(items.iter().map(|item| match item {
            Yaml::Mapping(_) => selection(item),
            other => value_witness(None, other, false),
        })),
        scalar @ Yaml::String(_) => value_witness(None, scalar, false),
        _ => None,
    }
}

/// `Field|modifier…: value(s)`.
fn field_entry(key: &str, value: &Yaml) -> Req {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default();
    if field.is_empty() {
        // Keyword lists with modifiers: how `sigma-rust` reads a nameless
        // field is not worth betting soundness on.
        return None;
    }
    let mut all = false;
    let mut reading = Reading::Text { windash: false };
    for modifier in parts {
        let next = match modifier.to_ascii_lowercase().as_str() {
            // These keep the value's text intact as a substring of the match.
            "contains" | "startswith" | "endswith" | "cased" => continue,
            "all" => {
                all = true;
                continue;
            }
            // Only the first character of each flag changes: pieces without
            // dash-like characters survive.
            "windash" => Reading::Text { windash: true },
            "base64" => Reading::Base64 { offsets: false },
            "base64offset" => Reading::Base64 { offsets: true },
            "re" => Reading::Regex,
            // utf16*, wide, cidr, lt/gt…, exists, fieldref, expand, regex
            // flags: the matched text is not one this reader derives.
            _ => return None,
        };
        // One transformation per field; combinations are left to the evaluator.
        if reading != (Reading::Text { windash: false }) {
            return None;
        }
        reading = next;
    }
    let field = Some(field.to_string());
    let values: Vec<&Yaml> = match value {
        Yaml::Sequence(items) => items.iter().collect(),
        other => vec![other],
    };
    let reqs = values.into_iter().map(|v| match reading {
        Reading::Text { windash } => value_witness(field.clone(), v, windash),
        Reading::Base64 { offsets } => base64_witness(field.clone(), v, offsets),
        Reading::Regex => regex_witness(field.clone(), v),
    });
    if all { and_all(reqs) } else { or_all(reqs) }
}

/// How a field's values are turned into the text `sigma-rust` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Text { windash: bool },
    Base64 { offsets: bool },
    Regex,
}

/// The witness of one value: its longest safe piece, or an integer's digits.
fn value_witness(field: Option<String>, value: &Yaml, windash: bool) -> Req {
    let literal = match value {
        Yaml::String(text) => pieces(text, windash).into_iter().max_by_key(|p| p.len())?,
        // `sigma-rust` reads an integer as an integer, equal only to an
        // integer event value (never to a string or a float), whose text —
        // the one the index searches — is exactly these digits.
        // Keywords (no field) are read as text; numbers there are left alone.
        Yaml::Number(n) if field.is_some() && !windash && (n.is_i64() || n.is_u64()) => {
            n.to_string()
        }
        // Floats, booleans and null: left to the evaluator.
        _ => return None,
    };
    Some(vec![vec![Witness { field, literal }]])
}

/// `|base64` / `|base64offset`: the event text holds one of the encodings
/// `sigma-rust` generates for the value.
fn base64_witness(field: Option<String>, value: &Yaml, offsets: bool) -> Req {
    let Yaml::String(text) = value else {
        return None;
    };
    let encodings = if offsets {
        base64_offset_encodings(text)
    } else {
        vec![base64_encoding(text.as_bytes())]
    };
    let clause: Clause = encodings
        .into_iter()
        .map(|e| Witness {
            field: field.clone(),
            literal: e.to_lowercase(),
        })
        .collect();
    // An empty encoding would match anything; require none then.
    if clause.is_empty() || clause.iter().any(|w| w.literal.is_empty()) {
        return None;
    }
    Some(vec![clause])
}

/// `sigma-rust`'s `|base64` text: standard alphabet, no padding, and the
/// last character dropped when the final group is partial (it depends on
/// what follows in the encoded data).
pub fn base64_encoding(bytes: &[u8]) -> String {
    use base64::Engine;
    let mut encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
    if matches!(encoded.len() % 4, 2 | 3) {
        encoded.pop();
    }
    encoded
}

/// `sigma-rust`'s three `|base64offset` texts: the value encoded at byte
/// offsets 0, 1 and 2 of a base64 group, without the leading characters that
/// depend on what precedes it (2 and 3 of them); empty ones are left out.
pub fn base64_offset_encodings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (offset, skip) in [(0usize, 0usize), (1, 2), (2, 3)] {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(text.as_bytes());
        let encoded = base64_encoding(&bytes);
        if encoded.len() > skip {
            out.push(encoded[skip..].to_string());
        }
    }
    out
}

/// `|re`: every match of the pattern starts with one of its prefix literals,
/// so the field's text holds one. `None` when the set is infinite or holds
/// an empty literal (a pattern that may match anywhere).
fn regex_witness(field: Option<String>, value: &Yaml) -> Req {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let Yaml::String(pattern) = value else {
        return None;
    };
    // The regex crate's default syntax, as `sigma-rust` compiles it.
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let mut clause = Vec::new();
    for literal in seq.literals()? {
        let text = std::str::from_utf8(literal.as_bytes()).ok()?;
        // Lowercased as the index lowercases values: a case variant found in
        // a value is then found in the lowercased value.
        let literal: String = text.chars().flat_map(char::to_lowercase).collect();
        if literal.is_empty() {
            return None;
        }
        clause.push(Witness {
            field: field.clone(),
            literal,
        });
    }
    clause.sort();
    clause.dedup();
    (!clause.is_empty()).then_some(vec![clause])
}

/// The pieces of a Sigma value that any matching text contains, lowercased:
/// the runs between wildcards (`*`, `?`; `\*`, `\?` and `\\` are escapes, as
/// in `sigma-rust`), split further, for `|windash`, at the characters it may
/// substitute.
pub fn pieces(text: &str, windash: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut piece = String::new();
    let mut flush = |piece: &mut String| {
        if !piece.is_empty() {
            out.push(std::mem::take(piece));
        }
    };
    let mut escaped = false;
    for c in text.chars() {
        match c {
            '*' | '?' if escaped => {
                piece.push(c);
                escaped = false;
            }
            '*' | '?' => flush(&mut piece),
            '\\' if escaped => {
                piece.push('\\');
                escaped = false;
            }
            '\\' => escaped = true,
            _ => {
                if escaped {
                    piece.push('\\');
                    escaped = false;
                }
                if windash && matches!(c, '-' | '/' | '–' | '—' | '―') {
                    flush(&mut piece);
                } else {
                    piece.extend(c.to_lowercase());
                }
            }
        }
    }
    if escaped {
        piece.push('\\');
    }
    flush(&mut piece);
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `1 of` / `any of` (true) or `all of` (false), with the pattern.
    Of(bool, String),
    Name(String),
}

/// Split a condition into tokens; `None` for anything this reader does not
/// know (aggregations after `|`, `x of` with another count …).
fn tokenize_condition(condition: &str) -> Option<Vec<Token>> {
    let spaced = condition.replace('(', " ( ").replace(')', " ) ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        let lower = word.to_ascii_lowercase();
        let token = match lower.as_str() {
            "(" => Token::Open,
            ")" => Token::Close,
            "and" => Token::And,
            "or" => Token::Or,
            "not" => Token::Not,
            "1" | "any" | "all"
                if words.get(i + 1).map(|w| w.to_ascii_lowercase()) == Some("of".into()) =>
            {
                let pattern = words.get(i + 2)?;
                i += 2;
                Token::Of(lower != "all", pattern.to_string())
            }
            _ if word.contains('|') => return None,
            _ => Token::Name(word.to_string()),
        };
        tokens.push(token);
        i += 1;
    }
    Some(tokens)
}

/// Recursive descent over the condition, computing requirements directly.
/// Any construct it does not understand makes it return `None` from
/// [`requirement`] as a whole (through the token check), never a guess.
struct ConditionParser<'a> {
    tokens: &'a [Token],
    at: usize,
    selections: &'a BTreeMap<String, Req>,
}

/// The result of parsing a sub-expression: `Err(())` when it cannot be read,
/// `Ok(req)` otherwise.
type Parsed = Result<Req, ()>;

impl ConditionParser<'_> {
    fn expression(&mut self) -> Option<Req> {
        self.or().ok()
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Parsed {
        let mut sides = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            sides.push(self.and()?);
        }
        // One side alone is its own union.
        Ok(or_all(sides))
    }

    fn and(&mut self) -> Parsed {
        let mut sides = vec![self.not()?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            sides.push(self.not()?);
        }
        Ok(and_all(sides))
    }

    fn not(&mut self) -> Parsed {
        if self.peek() == Some(&Token::Not) {
            self.at += 1;
            // Parse the operand for syntax; a negation requires nothing.
            self.not()?;
            return Ok(None);
        }
        self.primary()
    }

    fn primary(&mut self) -> Parsed {
        let token = self.peek().cloned().ok_or(())?;
        self.at += 1;
        match token {
            Token::Open => {
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(());
                }
                self.at += 1;
                Ok(inner)
            }
            Token::Name(name) => self.selections.get(&name).cloned().ok_or(()),
            Token::Of(any, pattern) => {
                let them = pattern.eq_ignore_ascii_case("them");
                let matched: Vec<(&String, &Req)> = self
                    .selections
                    .iter()
                    .filter(|(name, _)| them || glob_matches(&pattern, name))
                    .collect();
                if matched.is_empty() {
                    return Err(());
                }
                if any {
                    // Union over every candidate, `_`-prefixed ones included:
                    // a larger union is still sound whichever set the
                    // evaluator takes.
                    Ok(or_all(matched.into_iter().map(|(_, r)| r.clone())))
                } else {
                    // All of them: any one is required, as long as it is
                    // surely among "them" (Sigma leaves `_` names out).
                    Ok(and_all(
                        matched
                            .into_iter()
                            .filter(|(name, _)| !them || !name.starts_with('_'))
                            .map(|(_, r)| r.clone()),
                    ))
                }
            }
            Token::Close | Token::And | Token::Or | Token::Not => Err(()),
        }
    }
}

/// Whether a selection name matches a `1 of` pattern (`*` any run of characters).
fn glob_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || !name[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Every rule's witnesses, indexed so that one pass over an event's values
/// finds which of them it holds.
pub struct LiteralIndex {
    /// Per field name: an automaton over that field's literals.
    fields: HashMap<String, FieldLiterals>,
    /// Literals of keyword selections, searched in every value.
    keywords: Option<FieldLiterals>,
    /// Field names with a `.`, which `sigma-rust` may also resolve into
    /// nested objects.
    dotted: Vec<String>,
    witness_count: usize,
}

struct FieldLiterals {
    automaton: AhoCorasick,
    /// The witness id of each pattern of the automaton.
    ids: Vec<u32>,
}

/// Which witnesses an event view holds (reused across events to avoid
/// allocating per event).
pub struct Found {
    present: Vec<bool>,
    touched: Vec<u32>,
}

impl Found {
    pub fn contains(&self, id: u32) -> bool {
        self.present[id as usize]
    }

    fn mark(&mut self, id: u32) {
        if !self.present[id as usize] {
            self.present[id as usize] = true;
            self.touched.push(id);
        }
    }

    fn clear(&mut self) {
        for id in self.touched.drain(..) {
            self.present[id as usize] = false;
        }
    }
}

impl LiteralIndex {
    /// Index the witnesses of `requirements`; returns the index and, per
    /// requirement, the witness ids of each of its clauses (`None` for
    /// [`Requirement::Always`]).
    pub fn build<'r>(
        requirements: impl IntoIterator<Item = &'r Requirement>,
    ) -> (LiteralIndex, Vec<ClauseIds>) {
        let mut ids: BTreeMap<&Witness, u32> = BTreeMap::new();
        let requirements: Vec<&Requirement> = requirements.into_iter().collect();
        for req in &requirements {
            if let Requirement::AllOf(clauses) = req {
                for w in clauses.iter().flatten() {
                    let next = ids.len() as u32;
                    ids.entry(w).or_insert(next);
                }
            }
        }
        let per_rule = requirements
            .iter()
            .map(|req| match req {
                Requirement::Always => None,
                Requirement::AllOf(clauses) => Some(
                    clauses
                        .iter()
                        .map(|c| c.iter().map(|w| ids[w]).collect())
                        .collect(),
                ),
            })
            .collect();
        let mut by_field: BTreeMap<Option<&str>, (Vec<&str>, Vec<u32>)> = BTreeMap::new();
        for (w, id) in &ids {
            let entry = by_field.entry(w.field.as_deref()).or_default();
            entry.0.push(&w.literal);
            entry.1.push(*id);
        }
        let automaton = |(literals, ids): (Vec<&str>, Vec<u32>)| FieldLiterals {
            automaton: AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(literals)
                // Building only fails past the automaton's size limits, far
                // beyond a rule corpus; such a field would be a bug to fix.
                .expect("literal automaton within size limits"),
            ids,
        };
        let keywords = by_field.remove(&None).map(automaton);
        let fields: HashMap<String, FieldLiterals> = by_field
            .into_iter()
            .map(|(f, lits)| (f.unwrap_or_default().to_string(), automaton(lits)))
            .collect();
        let mut dotted: Vec<String> = fields.keys().filter(|f| f.contains('.')).cloned().collect();
        dotted.sort();
        let index = LiteralIndex {
            fields,
            keywords,
            dotted,
            witness_count: ids.len(),
        };
        (index, per_rule)
    }

    pub fn found(&self) -> Found {
        Found {
            present: vec![false; self.witness_count],
            touched: Vec::new(),
        }
    }

    /// Record in `found` (cleared first) which witnesses `view` holds. Lists
    /// and objects in a field count as holding every witness of the field.
    pub fn present(&self, view: &Map<String, Value>, found: &mut Found) {
        found.clear();
        for (key, value) in view {
            if let Some(field) = self.fields.get(key) {
                field.scan_field(value, found);
            }
        }
        for name in &self.dotted {
            if view.contains_key(name) {
                continue;
            }
            let head = name.split('.').next().unwrap_or_default();
            if matches!(view.get(head), Some(Value::Object(_))) {
                self.fields[name].mark_all(found);
            }
        }
        if let Some(keywords) = &self.keywords {
            for value in view.values() {
                keywords.scan_keyword(value, found);
            }
        }
    }
}

impl FieldLiterals {
    fn mark_all(&self, found: &mut Found) {
        for &id in &self.ids {
            found.mark(id);
        }
    }

    fn scan_text(&self, text: &str, found: &mut Found) {
        let lowered;
        // ASCII text needs no copy: the automaton ignores ASCII case, and an
        // ASCII text cannot hold a non-ASCII literal.
        let haystack = if text.is_ascii() {
            text
        } else {
            // As `sigma-rust` lowercases: character by character.
            lowered = text
                .chars()
                .flat_map(char::to_lowercase)
                .collect::<String>();
            &lowered
        };
        for m in self.automaton.find_overlapping_iter(haystack) {
            found.mark(self.ids[m.pattern().as_usize()]);
        }
    }

    fn scan_field(&self, value: &Value, found: &mut Found) {
        match value {
            Value::String(s) => self.scan_text(s, found),
            // The text `sigma-rust` gives other scalars (`value_to_string`).
            Value::Number(n) => {
                let text = if let Some(i) = n.as_i64() {
                    i.to_string()
                } else if let Some(u) = n.as_u64() {
                    u.to_string()
                } else {
                    n.as_f64().map(|f| f.to_string()).unwrap_or_default()
                };
                self.scan_text(&text, found);
            }
            Value::Bool(b) => self.scan_text(if *b { "true" } else { "false" }, found),
            // Null reads as the empty text, which holds no literal.
            Value::Null => {}
            Value::Array(_) | Value::Object(_) => self.mark_all(found),
        }
    }

    /// Keywords search every value, inside lists and objects too.
    fn scan_keyword(&self, value: &Value, found: &mut Found) {
        match value {
            Value::Array(items) => items.iter().for_each(|v| self.scan_keyword(v, found)),
            Value::Object(map) => map.values().for_each(|v| self.scan_keyword(v, found)),
            other => self.scan_field(other, found),
        }
    }
}

#[cfg(test)]
mod tests;
