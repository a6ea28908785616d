//! Required literals ("witnesses") of Sigma rules, found for every rule at once.
//!
//! A rule's *requirement* is a set of witnesses — a field (or any field, for
//! keywords) and a piece of text — such that the rule can match an event only
//! if the event holds at least one of them: the field's value contains the
//! text once both are lowercased. Rules whose logic gives no such guarantee (a
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
//! searched in the text `sigma-rust` compares them as. Whenever it is unsure
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
    /// At least one of these witnesses (sorted, de-duplicated, never empty).
    AnyOf(Vec<Witness>),
}

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
        Some(mut witnesses) => {
            witnesses.sort();
            witnesses.dedup();
            Requirement::AnyOf(witnesses)
        }
        None => Requirement::Always,
    }
}

/// `None`: no requirement. `Some(ws)`: at least one of `ws` (never empty).
type Req = Option<Vec<Witness>>;

/// Both must hold: either side's witnesses are a sound requirement, so keep
/// the more selective one.
fn and_all(reqs: impl IntoIterator<Item = Req>) -> Req {
    reqs.into_iter().flatten().max_by_key(|ws| selectivity(ws))
}

/// Either may hold: only the union of both sides' witnesses is required, and
/// only if every side has some.
fn or_all(reqs: impl IntoIterator<Item = Req>) -> Req {
    let mut union = Vec::new();
    for req in reqs {
        union.extend(req?);
    }
    (!union.is_empty()).then_some(union)
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
    let mut windash = false;
    for modifier in parts {
        match modifier.to_ascii_lowercase().as_str() {
            // These keep the value's text intact as a substring of the match.
            "contains" | "startswith" | "endswith" | "cased" => {}
            "all" => all = true,
            // Only the first character of each flag changes: pieces without
            // dash-like characters survive.
            "windash" => windash = true,
            // re, base64, base64offset, utf16*, wide, cidr, lt/gt…, exists,
            // fieldref, expand: the matched text is not the written value.
            _ => return None,
        }
    }
    let field = Some(field.to_string());
    let values: Vec<&Yaml> = match value {
        Yaml::Sequence(items) => items.iter().collect(),
        other => vec![other],
    };
    let reqs = values
        .into_iter()
        .map(|v| value_witness(field.clone(), v, windash));
    if all { and_all(reqs) } else { or_all(reqs) }
}

/// The witness of one value: its longest safe piece.
fn value_witness(field: Option<String>, value: &Yaml, windash: bool) -> Req {
    // Numbers, booleans and null compare as typed values, not as text.
    let Yaml::String(text) = value else {
        return None;
    };
    let literal = pieces(text, windash).into_iter().max_by_key(|p| p.len())?;
    Some(vec![Witness { field, literal }])
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
    /// requirement, the ids of its witnesses (`None` for [`Requirement::Always`]).
    pub fn build<'r>(
        requirements: impl IntoIterator<Item = &'r Requirement>,
    ) -> (LiteralIndex, Vec<Option<Vec<u32>>>) {
        let mut ids: BTreeMap<&Witness, u32> = BTreeMap::new();
        let requirements: Vec<&Requirement> = requirements.into_iter().collect();
        for req in &requirements {
            if let Requirement::AnyOf(ws) = req {
                for w in ws {
                    let next = ids.len() as u32;
                    ids.entry(w).or_insert(next);
                }
            }
        }
        let per_rule = requirements
            .iter()
            .map(|req| match req {
                Requirement::Always => None,
                Requirement::AnyOf(ws) => Some(ws.iter().map(|w| ids[w]).collect()),
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
