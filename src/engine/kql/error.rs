//! KQL errors: parse errors and evaluation errors, each pointing at the part
//! of the query it is about, rendered as `miette` diagnostics.

use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

use super::parser::ParseError;
use super::span::Span;

/// An error found while evaluating (or compiling) a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
    /// Set when the query reads a table the database does not have: for
    /// rules, a table rulecheck renders no rows of, rather than a broken query.
    pub unknown_table: Option<String>,
}

impl EvalError {
    pub fn new(span: Span, message: impl Into<String>) -> EvalError {
        EvalError {
            message: message.into(),
            span,
            help: None,
            unknown_table: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> EvalError {
        self.help = Some(help.into());
        self
    }
}

impl From<ParseError> for EvalError {
    fn from(p: ParseError) -> EvalError {
        EvalError {
            message: p.message,
            span: p.span,
            help: p.help,
            unknown_table: None,
        }
    }
}

/// A KQL problem in a named query text, for display.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{location}: {message}")]
pub struct KqlDiagnostic {
    pub location: String,
    pub message: String,
    #[source_code]
    source_code: Arc<NamedSource<String>>,
    #[label("here")]
    span: SourceSpan,
    #[help]
    pub help: Option<String>,
}

impl KqlDiagnostic {
    /// `origin` names the query (a file, `<query>`); `line_offset` is the line
    /// the query text starts on in that file (for queries embedded in YAML).
    pub fn new(origin: &str, text: &str, line_offset: usize, error: &EvalError) -> KqlDiagnostic {
        let start = error.span.start.min(text.len());
        let line = text[..start].matches('\n').count() + 1 + line_offset;
        let column = start - text[..start].rfind('\n').map_or(0, |i| i + 1) + 1;
        KqlDiagnostic {
            location: format!("{origin}:{line}:{column}"),
            message: error.message.clone(),
            source_code: Arc::new(NamedSource::new(origin, text.to_string())),
            span: SourceSpan::new(start.into(), error.span.len().min(text.len() - start)),
            help: error.help.clone(),
        }
    }

    pub fn line(&self) -> Option<usize> {
        self.location
            .rsplit(':')
            .nth(1)
            .and_then(|l| l.parse().ok())
    }
}
