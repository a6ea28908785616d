//! `{{name}}` placeholders in spec strings.
//!
//! Deliberately tiny: a placeholder names a spec variable (`vars:`) or a built-in
//! environment value (`user.profile`, `host.name`, …). No expressions, no nesting,
//! so a spec reads the same to a human as to the generator.

use std::fmt;

use serde::Deserialize;

/// Built-in placeholders, resolved per step from the environment and the step's user.
pub const BUILTINS: [&str; 9] = [
    "user.name",
    "user.domain",
    "user.sid",
    "user.profile",
    "host.name",
    "host.fqdn",
    "host.ip",
    "domain.netbios",
    "domain.dns",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Placeholder(String),
}

/// A parsed spec string: literal text interleaved with placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Template {
    pub source: String,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("`{{{{` without a closing `}}}}` in `{0}`")]
    Unclosed(String),
    #[error(
        "empty or malformed placeholder `{{{{{1}}}}}` in `{0}`; names use letters, digits, `_` and `.`"
    )]
    BadName(String, String),
}

impl TryFrom<String> for Template {
    type Error = TemplateError;

    fn try_from(source: String) -> Result<Self, Self::Error> {
        let mut segments = Vec::new();
        let mut rest = source.as_str();
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                segments.push(Segment::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| TemplateError::Unclosed(source.clone()))?;
            let name = after[..close].trim();
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if !valid {
                return Err(TemplateError::BadName(source.clone(), name.to_string()));
            }
            segments.push(Segment::Placeholder(name.to_string()));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            segments.push(Segment::Literal(rest.to_string()));
        }
        Ok(Template { source, segments })
    }
}

impl Template {
    pub fn literal(text: &str) -> Template {
        Template {
            source: text.to_string(),
            segments: vec![Segment::Literal(text.to_string())],
        }
    }

    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// Substitute every placeholder; `lookup` must know every name (checked at load).
    pub fn render(&self, lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
        let mut out = String::with_capacity(self.source.len());
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Placeholder(name) => out.push_str(&lookup(name)?),
            }
        }
        Some(out)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Result<Template, TemplateError> {
        Template::try_from(s.to_string())
    }

    #[test]
    fn splits_literals_and_placeholders() {
        let tpl = t(r"{{user.profile}}\AppData\{{ name }}.exe").unwrap();
        assert_eq!(
            tpl.placeholders().collect::<Vec<_>>(),
            ["user.profile", "name"]
        );
        let out = tpl
            .render(|n| {
                Some(if n == "name" {
                    "x".into()
                } else {
                    r"C:\Users\a".into()
                })
            })
            .unwrap();
        assert_eq!(out, r"C:\Users\a\AppData\x.exe");
    }

    #[test]
    fn text_without_placeholders_is_one_literal() {
        let tpl = t("cmd.exe /c whoami").unwrap();
        assert_eq!(
            tpl.segments,
            vec![Segment::Literal("cmd.exe /c whoami".into())]
        );
    }

    #[test]
    fn rejects_unclosed_and_malformed_placeholders() {
        assert!(matches!(t("a {{b"), Err(TemplateError::Unclosed(_))));
        assert!(matches!(t("a {{}} b"), Err(TemplateError::BadName(..))));
        assert!(matches!(t("a {{x y}} b"), Err(TemplateError::BadName(..))));
    }
}
