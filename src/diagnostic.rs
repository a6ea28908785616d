//! Errors in user-written files (TTP specs, rules, configuration), located by file,
//! line and column, rendered by `miette` with a snippet of the offending text.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

/// Where in a user file a problem is: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// One problem in one user file. `Display` gives `path:line:col: message` so the
/// location survives when the error is printed plainly or put into JSON.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{location}: {message}")]
pub struct SourceError {
    pub location: Location,
    pub message: String,
    /// Shared so the error stays small however large the file is.
    #[source_code]
    source_code: Arc<NamedSource<String>>,
    #[label("here")]
    span: Option<SourceSpan>,
    #[help]
    pub help: Option<String>,
}

/// The `path[:line[:col]]` prefix of a [`SourceError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub position: Option<Position>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{}:{}:{}", self.path, p.line, p.column),
            None => f.write_str(&self.path),
        }
    }
}

impl SourceError {
    /// An error at a byte offset of `text` (the whole file), or for the whole file.
    pub fn new(path: &str, text: &str, offset: Option<usize>, message: impl Into<String>) -> Self {
        let offset = offset.map(|o| o.min(text.len()));
        let position = offset.map(|o| position_of(text, o));
        let span = offset.map(|o| {
            let len = text[o..].find('\n').unwrap_or(text.len() - o).max(1);
            SourceSpan::new(o.into(), len.min(text.len().saturating_sub(o)))
        });
        SourceError {
            location: Location {
                path: path.to_string(),
                position,
            },
            message: message.into(),
            source_code: Arc::new(NamedSource::new(path, text.to_string())),
            span,
            help: None,
        }
    }

    /// An error on a 1-based line (pointing at its first non-blank character).
    pub fn at_line(path: &str, text: &str, line: usize, message: impl Into<String>) -> Self {
        let offset = offset_of_line(text, line).map(|start| {
            let indent = text[start..]
                .find(|c: char| c != ' ' && c != '\t')
                .unwrap_or(0);
            start + indent
        });
        Self::new(path, text, offset, message)
    }

    /// Turn a YAML parse or type error into a located error.
    pub fn from_yaml(path: &str, text: &str, err: &serde_norway::Error) -> Self {
        let offset = err.location().map(|l| l.index());
        // serde_norway appends " at line L column C" to messages; the location
        // is shown separately, so strip it to avoid saying it twice.
        let full = err.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_string(),
            None => full,
        };
        Self::new(path, text, offset, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn path(&self) -> &str {
        &self.location.path
    }

    pub fn line(&self) -> Option<usize> {
        self.location.position.map(|p| p.line as usize)
    }
}

fn position_of(text: &str, offset: usize) -> Position {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    Position {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

fn offset_of_line(text: &str, line: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    if line == 1 {
        return Some(0);
    }
    text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)
}

/// Render a diagnostic for a terminal (`color` only on a TTY without `NO_COLOR`).
pub fn render(diagnostic: &dyn Diagnostic, color: bool) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    if handler.render_report(&mut out, diagnostic).is_err() {
        out = diagnostic.to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let text = "a: 1\nbb: 2\n  c: 3\n";
        let e = SourceError::at_line("f.yaml", text, 3, "bad");
        assert_eq!(e.location.position, Some(Position { line: 3, column: 3 }));
        assert_eq!(e.to_string(), "f.yaml:3:3: bad");
    }

    #[test]
    fn yaml_errors_keep_their_location() {
        let text = "a: 1\nb: [\n";
        let err = serde_norway::from_str::<serde_norway::Value>(text).unwrap_err();
        let e = SourceError::from_yaml("x.yml", text, &err);
        assert!(e.line().is_some());
        assert!(e.to_string().starts_with("x.yml:"));
        assert!(!e.message.contains(" at line "), "{}", e.message);
    }
}
