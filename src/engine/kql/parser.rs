//! Recursive-descent parser for the KQL subset rulecheck runs. Errors are
//! collected, not fatal: after a broken operator the parser resumes at the
//! next top-level `|`, so one run reports every problem of a query.

use super::ast::*;
use super::lexer::{LexError, Tok, Token, lex};
use super::span::Span;
use super::value::{KqlType, Value, parse_datetime, parse_timespan};

/// A problem in a query: what, where, and how to fix it when we know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
}

/// Parse a whole query (`let` statements and one tabular expression).
pub fn parse_query(text: &str) -> Result<Query, Vec<ParseError>> {
    let mut queries = parse_script(text)?;
    if queries.len() > 1 {
        let second = queries[1].body.span;
        return Err(vec![ParseError {
            message: format!(
                "the text holds {} queries; a rule is one query",
                queries.len()
            ),
            span: second,
            help: Some("keep one query per file, or join them with `union`".into()),
        }]);
    }
    Ok(queries.remove(0))
}

/// Parse text holding one or more queries. Queries are separated by `;` after
/// a result expression, or — as Kusto Explorer and many query collections do —
/// by a blank line before a new query once the previous one is complete.
pub fn parse_script(text: &str) -> Result<Vec<Query>, Vec<ParseError>> {
    let (tokens, lex_errors) = lex(text);
    let mut p = Parser {
        tokens,
        pos: 0,
        text,
        depth: 0,
        errors: lex_errors
            .into_iter()
            .map(|LexError { message, span }| ParseError {
                message,
                span,
                help: None,
            })
            .collect(),
    };
    let queries = p.script();
    if p.errors.is_empty() && queries.is_empty() {
        return Err(vec![ParseError {
            message: "empty query".into(),
            span: Span::default(),
            help: None,
        }]);
    }
    if p.errors.is_empty() {
        Ok(queries)
    } else {
        p.errors.sort_by_key(|e| e.span.start);
        p.errors.dedup();
        Err(p.errors)
    }
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    text: &'a str,
    /// How deeply the expressions, tabular expressions and dynamic literals
    /// being parsed nest, for [`MAX_DEPTH`].
    depth: usize,
    errors: Vec<ParseError>,
}

type PResult<T> = Result<T, ()>;

/// Deepest nesting the parser (and so the evaluator) recurses into: deeper
/// text is a parse error rather than a stack overflow. Far above what any
/// real query nests, and well within a 2 MiB thread stack in a debug build.
const MAX_DEPTH: usize = 64;

/// Words that start a tabular expression wherever they appear.
const TABULAR_KEYWORDS: &[&str] = &[
    "union",
    "datatable",
    "print",
    "range",
    "externaldata",
    "materialize",
    "find",
    "search",
];

/// Operators rulecheck knows by name but does not run, reported as such.
const UNSUPPORTED_OPERATORS: &[&str] = &[
    "make-series",
    "parse-kv",
    "sample",
    "sample-distinct",
    "top-nested",
    "top-hitters",
    "reduce",
    "scan",
    "fork",
    "facet",
    "find",
    "search",
    "partition",
    "consume",
    "as-of",
    "graph-match",
    "make-graph",
];

impl<'a> Parser<'a> {
    // --- token helpers -------------------------------------------------------

    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].tok
    }

    fn token_at(&self, n: usize) -> &Token {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)]
    }

    fn span(&self) -> Span {
        self.tokens[self.pos].span
    }

    fn prev_span(&self) -> Span {
        self.tokens[self.pos.saturating_sub(1)].span
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(ParseError {
            message: message.into(),
            span,
            help: None,
        });
    }

    fn error_help(&mut self, span: Span, message: impl Into<String>, help: impl Into<String>) {
        self.errors.push(ParseError {
            message: message.into(),
            span,
            help: Some(help.into()),
        });
    }

    /// Run `f` one nesting level deeper, failing past [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            let span = self.span();
            self.error(
                span,
                format!("the query nests more than {MAX_DEPTH} levels deep"),
            );
            return Err(());
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn expect(&mut self, tok: Tok, what: &str) -> PResult<()> {
        if self.eat(&tok) {
            Ok(())
        } else {
            let span = self.span();
            let found = self.peek().describe();
            self.error(span, format!("expected {what}, found {found}"));
            Err(())
        }
    }

    /// `['name']` / `["name"]`: a name that is not a plain identifier.
    fn bracketed_name(&mut self) -> Option<String> {
        match (self.peek(), self.peek_at(1), self.peek_at(2)) {
            (Tok::LBracket, Tok::Str(s), Tok::RBracket) => {
                let s = s.clone();
                self.bump();
                self.bump();
                self.bump();
                Some(s)
            }
            _ => None,
        }
    }

    fn ident(&mut self, what: &str) -> PResult<String> {
        if let Some(name) = self.bracketed_name() {
            return Ok(name);
        }
        match self.peek().clone() {
            Tok::Ident(s) => {
                self.bump();
                Ok(s)
            }
            other => {
                let span = self.span();
                self.error(span, format!("expected {what}, found {}", other.describe()));
                Err(())
            }
        }
    }

    /// A name that may contain dashes with no space around them (`project-away`).
    fn dashed_name(&mut self) -> PResult<(String, Span)> {
        let start = self.span();
        let mut name = self.ident("an operator name")?;
        while self.peek() == &Tok::Minus
            && !self.token_at(0).spaced
            && matches!(self.peek_at(1), Tok::Ident(_))
            && !self.token_at(1).spaced
        {
            self.bump();
            if let Tok::Ident(part) = self.bump().tok {
                name.push('-');
                name.push_str(&part);
            }
        }
        Ok((name, start.to(self.prev_span())))
    }

    /// Skip to the next top-level `|`, `;` or the end, for error recovery.
    /// Skip a parenthesised group, nested groups included.
    fn skip_balanced(&mut self) -> PResult<()> {
        self.expect(Tok::LParen, "`(`")?;
        let mut depth = 1;
        while depth > 0 {
            match self.bump().tok {
                Tok::LParen => depth += 1,
                Tok::RParen => depth -= 1,
                Tok::Eof => {
                    self.error(self.prev_span(), "unclosed `(`");
                    return Err(());
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn recover(&mut self) {
        let mut depth = 0i32;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::LParen | Tok::LBracket | Tok::LBrace => depth += 1,
                Tok::RParen | Tok::RBracket | Tok::RBrace => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                Tok::Pipe | Tok::Semi if depth == 0 => return,
                _ => {}
            }
            self.bump();
        }
    }

    // --- statements ------------------------------------------------------------

    fn script(&mut self) -> Vec<Query> {
        let mut queries = Vec::new();
        let mut lets = Vec::new();
        loop {
            while self.eat(&Tok::Semi) {}
            if self.peek() == &Tok::Eof {
                break;
            }
            if self.is_kw("let") {
                match self.let_statement() {
                    Ok(l) => lets.push(l),
                    Err(()) => self.recover(),
                }
                if !self.eat(&Tok::Semi) && self.peek() != &Tok::Eof {
                    let span = self.span();
                    let found = self.peek().describe();
                    self.error(
                        span,
                        format!("expected `;` after a let statement, found {found}"),
                    );
                    self.recover();
                    self.eat(&Tok::Semi);
                }
                continue;
            }
            if self.is_kw("set") || self.is_kw("declare") || self.is_kw("alias") {
                // Query options and declarations change nothing rulecheck evaluates.
                self.recover();
                continue;
            }
            let body = self.tabular();
            queries.push(Query {
                lets: std::mem::take(&mut lets),
                body,
            });
            match self.peek() {
                Tok::Eof | Tok::Semi => {}
                Tok::Ident(_) if self.blank_line_before() => {}
                _ => {
                    let span = self.span();
                    let found = self.peek().describe();
                    self.error(span, format!("unexpected {found} after the query"));
                    self.recover();
                    if self.peek() != &Tok::Semi {
                        self.bump();
                    }
                }
            }
        }
        queries
    }

    /// Whether an empty line separates the current token from the previous one.
    fn blank_line_before(&self) -> bool {
        let end = self.prev_span().end;
        let start = self.span().start;
        let between = &self.text[end.min(start)..start];
        // Lines of the gap that hold nothing but whitespace (comments are text).
        between
            .split('\n')
            .skip(1)
            .collect::<Vec<_>>()
            .split_last()
            .is_some_and(|(_, middle)| middle.iter().any(|l| l.trim().is_empty()))
    }

    fn let_statement(&mut self) -> PResult<Let> {
        let start = self.span();
        self.bump(); // let
        let name = self.ident("a name after `let`")?;
        self.expect(Tok::Assign, "`=`")?;
        let value = self.let_value()?;
        Ok(Let {
            name,
            span: start.to(self.prev_span()),
            value,
        })
    }

    fn let_value(&mut self) -> PResult<LetValue> {
        if self.is_kw("view") && self.peek_at(1) == &Tok::LParen {
            self.bump();
        }
        if self.peek() == &Tok::LParen && self.looks_like_function() {
            let params = self.params()?;
            self.expect(Tok::LBrace, "`{` to start the function body")?;
            let body = self.function_body()?;
            self.expect(Tok::RBrace, "`}` to end the function body")?;
            return Ok(LetValue::Function {
                params,
                body: Box::new(body),
            });
        }
        if self.starts_tabular() {
            return Ok(LetValue::Tabular(self.tabular()));
        }
        Ok(LetValue::Scalar(self.expr()?))
    }

    /// After `(`: a parameter list followed by `{`.
    fn looks_like_function(&self) -> bool {
        let mut depth = 0;
        let mut i = self.pos;
        while i < self.tokens.len() {
            match self.tokens[i].tok {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return matches!(self.tokens.get(i + 1).map(|t| &t.tok), Some(Tok::LBrace));
                    }
                }
                Tok::Eof => return false,
                _ => {}
            }
            i += 1;
        }
        false
    }

    fn params(&mut self) -> PResult<Vec<Param>> {
        self.expect(Tok::LParen, "`(`")?;
        let mut params = Vec::new();
        while self.peek() != &Tok::RParen {
            let name = self.ident("a parameter name")?;
            self.expect(Tok::Colon, "`:` and a type")?;
            let ty = if self.eat(&Tok::LParen) {
                // A tabular parameter: `T:(*)` or `T:(col:type, …)`.
                let mut depth = 1;
                while depth > 0 && self.peek() != &Tok::Eof {
                    match self.bump().tok {
                        Tok::LParen => depth += 1,
                        Tok::RParen => depth -= 1,
                        _ => {}
                    }
                }
                None
            } else {
                Some(self.type_name()?)
            };
            let default = if self.eat(&Tok::Assign) {
                Some(self.expr()?)
            } else {
                None
            };
            params.push(Param { name, ty, default });
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RParen, "`)` after the parameters")?;
        Ok(params)
    }

    fn type_name(&mut self) -> PResult<KqlType> {
        let span = self.span();
        let name = self.ident("a type name")?;
        KqlType::parse(&name).ok_or_else(|| {
            self.error(span, format!("unknown type `{name}`"));
        })
    }

    fn function_body(&mut self) -> PResult<FunctionBody> {
        let mut lets = Vec::new();
        loop {
            while self.eat(&Tok::Semi) {}
            if self.is_kw("let") {
                lets.push(self.let_statement()?);
                self.expect(Tok::Semi, "`;` after a let statement")?;
                continue;
            }
            break;
        }
        let result = if self.starts_tabular() {
            FunctionResult::Tabular(self.tabular())
        } else {
            FunctionResult::Scalar(self.expr()?)
        };
        while self.eat(&Tok::Semi) {}
        Ok(FunctionBody { lets, result })
    }

    /// Whether the next tokens start a tabular expression rather than a scalar.
    fn starts_tabular(&self) -> bool {
        match self.peek() {
            Tok::Ident(s) => {
                let s = s.as_str();
                if TABULAR_KEYWORDS.contains(&s) {
                    return !matches!(self.peek_at(1), Tok::Assign);
                }
                match self.peek_at(1) {
                    Tok::Pipe => true,
                    // `f(...) | op` is a tabular call.
                    Tok::LParen => self.after_matching_paren(1) == Some(Tok::Pipe),
                    _ => false,
                }
            }
            Tok::LParen => self.starts_tabular_after_paren(),
            _ => false,
        }
    }

    fn after_matching_paren(&self, offset: usize) -> Option<Tok> {
        let mut depth = 0;
        let mut i = self.pos + offset;
        while i < self.tokens.len() {
            match self.tokens[i].tok {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return self.tokens.get(i + 1).map(|t| t.tok.clone());
                    }
                }
                Tok::Eof => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    // --- tabular expressions -------------------------------------------------

    fn tabular(&mut self) -> Tabular {
        let start = self.span();
        match self.nested(|p| Ok(p.tabular_unnested())) {
            Ok(t) => t,
            Err(()) => {
                self.recover();
                Tabular {
                    source: Source::Name(String::new(), start),
                    ops: Vec::new(),
                    span: start.to(self.prev_span()),
                }
            }
        }
    }

    fn tabular_unnested(&mut self) -> Tabular {
        let start = self.span();
        let source = match self.source() {
            Ok(s) => s,
            Err(()) => {
                self.recover();
                Source::Name(String::new(), start)
            }
        };
        let mut ops = Vec::new();
        while self.eat(&Tok::Pipe) {
            match self.operator() {
                Ok(op) => ops.push(op),
                Err(()) => self.recover(),
            }
        }
        Tabular {
            source,
            ops,
            span: start.to(self.prev_span()),
        }
    }

    fn source(&mut self) -> PResult<Source> {
        self.nested(Self::source_unnested)
    }

    fn source_unnested(&mut self) -> PResult<Source> {
        let span = self.span();
        match self.peek().clone() {
            Tok::LParen => {
                self.bump();
                let inner = self.tabular();
                self.expect(Tok::RParen, "`)`")?;
                Ok(Source::Paren(Box::new(inner)))
            }
            Tok::Ident(name) => match name.as_str() {
                "union" => {
                    self.bump();
                    let params = self.union_params();
                    let tables = self.union_tables()?;
                    Ok(Source::Union {
                        params,
                        tables,
                        span: span.to(self.prev_span()),
                    })
                }
                "datatable" => self.datatable(),
                "print" => {
                    self.bump();
                    Ok(Source::Print(self.named_exprs()?))
                }
                "range" => {
                    self.bump();
                    let column = self.ident("a column name")?;
                    if !self.eat_kw("from") {
                        let s = self.span();
                        self.error(s, "expected `from` in `range`");
                        return Err(());
                    }
                    let from = self.expr()?;
                    if !self.eat_kw("to") {
                        let s = self.span();
                        self.error(s, "expected `to` in `range`");
                        return Err(());
                    }
                    let to = self.expr()?;
                    if !self.eat_kw("step") {
                        let s = self.span();
                        self.error(s, "expected `step` in `range`");
                        return Err(());
                    }
                    let step = self.expr()?;
                    Ok(Source::Range {
                        column,
                        from,
                        to,
                        step,
                    })
                }
                "externaldata" => self.externaldata(),
                "find" | "search" => {
                    self.error_help(
                        span,
                        format!("`{name}` is not supported"),
                        "query a table by name instead",
                    );
                    Err(())
                }
                _ => {
                    self.bump();
                    if self.peek() == &Tok::LParen {
                        let args = self.call_args()?;
                        Ok(Source::Call {
                            name,
                            args,
                            span: span.to(self.prev_span()),
                        })
                    } else {
                        Ok(Source::Name(name, span))
                    }
                }
            },
            other => {
                self.error(
                    span,
                    format!("expected a table, found {}", other.describe()),
                );
                Err(())
            }
        }
    }

    fn union_params(&mut self) -> UnionParams {
        let mut params = UnionParams {
            kind_outer: true,
            ..UnionParams::default()
        };
        loop {
            if self.is_kw("kind") && self.peek_at(1) == &Tok::Assign {
                self.bump();
                self.bump();
                if let Tok::Ident(k) = self.bump().tok {
                    params.kind_outer = k != "inner";
                }
            } else if (self.is_kw("withsource") || self.is_kw("isfuzzy"))
                && self.peek_at(1) == &Tok::Assign
            {
                let key = self.bump().tok;
                self.bump();
                let value = self.bump().tok;
                match (key, value) {
                    (Tok::Ident(k), Tok::Ident(v)) if k == "withsource" => {
                        params.with_source = Some(v)
                    }
                    (Tok::Ident(k), Tok::Ident(v)) if k == "isfuzzy" => params.fuzzy = v == "true",
                    _ => {}
                }
            } else {
                break;
            }
        }
        params
    }

    fn union_tables(&mut self) -> PResult<Vec<Tabular>> {
        let mut tables = Vec::new();
        loop {
            let start = self.span();
            let t = if self.peek() == &Tok::LParen {
                self.bump();
                let inner = self.tabular();
                self.expect(Tok::RParen, "`)`")?;
                inner
            } else {
                let source = self.source()?;
                Tabular {
                    source,
                    ops: Vec::new(),
                    span: start.to(self.prev_span()),
                }
            };
            tables.push(t);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        Ok(tables)
    }

    /// `externaldata (col: type, …) [ "url", … ] [with (key = value, …)]`.
    fn externaldata(&mut self) -> PResult<Source> {
        let span = self.span();
        self.bump();
        let columns = self.schema()?;
        self.expect(Tok::LBracket, "`[` and the storage URLs")?;
        let mut urls = Vec::new();
        while let Tok::Str(url) = self.peek().clone() {
            self.bump();
            urls.push(url);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RBracket, "`]`")?;
        let mut properties = Vec::new();
        if self.is_kw("with") {
            self.bump();
            self.expect(Tok::LParen, "`(` and properties")?;
            while self.peek() != &Tok::RParen && self.peek() != &Tok::Eof {
                let key = self.ident("a property name")?;
                self.expect(Tok::Assign, "`=`")?;
                let value = match self.bump().tok {
                    Tok::Str(v) | Tok::Ident(v) => v,
                    Tok::Long(n) => n.to_string(),
                    other => {
                        self.error(
                            self.prev_span(),
                            format!("expected a property value, found {}", other.describe()),
                        );
                        return Err(());
                    }
                };
                properties.push((key.to_ascii_lowercase(), value));
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
            self.expect(Tok::RParen, "`)`")?;
        }
        Ok(Source::ExternalData {
            columns,
            urls,
            properties,
            span: span.to(self.prev_span()),
        })
    }

    /// `(name: type, …)`: a table schema.
    fn schema(&mut self) -> PResult<Vec<(String, KqlType)>> {
        self.expect(Tok::LParen, "`(` and the columns")?;
        let mut columns = Vec::new();
        while self.peek() != &Tok::RParen {
            let name = self.ident("a column name")?;
            self.expect(Tok::Colon, "`:` and a type")?;
            let ty = self.type_name()?;
            columns.push((name, ty));
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RParen, "`)`")?;
        Ok(columns)
    }

    fn datatable(&mut self) -> PResult<Source> {
        let span = self.span();
        self.bump();
        let columns = self.schema()?;
        self.expect(Tok::LBracket, "`[` and the values")?;
        let mut values = Vec::new();
        while self.peek() != &Tok::RBracket && self.peek() != &Tok::Eof {
            values.push(self.expr()?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RBracket, "`]`")?;
        Ok(Source::Datatable {
            columns,
            values,
            span: span.to(self.prev_span()),
        })
    }

    // --- operators -------------------------------------------------------------

    fn operator(&mut self) -> PResult<Op> {
        let (name, name_span) = self.dashed_name()?;
        let kind = match name.as_str() {
            "where" | "filter" => OpKind::Where(self.expr()?),
            "project" => OpKind::Project(self.named_exprs()?),
            "project-away" => OpKind::ProjectAway(self.column_patterns()?),
            "project-keep" => OpKind::ProjectKeep(self.column_patterns()?),
            "project-reorder" => {
                let cols = self.column_patterns_with_order()?;
                OpKind::ProjectReorder(cols)
            }
            "project-rename" => {
                let mut pairs = Vec::new();
                loop {
                    let new = self.ident("a new column name")?;
                    self.expect(Tok::Assign, "`=`")?;
                    let old = self.ident("an existing column name")?;
                    pairs.push((new, old));
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
                OpKind::ProjectRename(pairs)
            }
            "extend" => OpKind::Extend(self.named_exprs()?),
            "summarize" => {
                self.skip_hints();
                let aggregates = if self.is_kw("by") {
                    Vec::new()
                } else {
                    self.named_exprs()?
                };
                let by = if self.eat_kw("by") {
                    self.named_exprs()?
                } else {
                    Vec::new()
                };
                OpKind::Summarize { aggregates, by }
            }
            "sort" | "order" => {
                if !self.eat_kw("by") {
                    let s = self.span();
                    self.error(s, format!("expected `by` after `{name}`"));
                    return Err(());
                }
                let mut keys = vec![self.sort_key()?];
                while self.eat(&Tok::Comma) {
                    keys.push(self.sort_key()?);
                }
                OpKind::Sort(keys)
            }
            "top" => {
                let count = self.expr()?;
                if !self.eat_kw("by") {
                    let s = self.span();
                    self.error(s, "expected `by` in `top`");
                    return Err(());
                }
                OpKind::Top {
                    count,
                    key: self.sort_key()?,
                }
            }
            "take" | "limit" => OpKind::Take(self.expr()?),
            "distinct" => {
                if self.eat(&Tok::Star) {
                    OpKind::Distinct(Vec::new())
                } else {
                    OpKind::Distinct(self.named_exprs()?)
                }
            }
            "count" => OpKind::Count,
            "getschema" => OpKind::GetSchema,
            "render" => {
                // Visualisation only: nothing to evaluate. `render chart
                // [with (properties)]`; read exactly that, so that a query
                // after a blank line is not swallowed.
                self.ident("a visualisation (table, timechart, barchart, …)")?;
                if self.is_kw("with") {
                    self.bump();
                    self.skip_balanced()?;
                }
                OpKind::Render
            }
            "serialize" => {
                let items = if matches!(self.peek(), Tok::Pipe | Tok::Eof | Tok::Semi | Tok::RParen)
                {
                    Vec::new()
                } else {
                    self.named_exprs()?
                };
                OpKind::Serialize(items)
            }
            "as" => {
                self.skip_hints();
                OpKind::AsName(self.ident("a name")?)
            }
            "join" => {
                let kind = self.join_kind()?;
                let right = self.right_table()?;
                let on = self.join_keys()?;
                OpKind::Join {
                    kind,
                    right: Box::new(right),
                    on,
                }
            }
            "lookup" => {
                let mut outer = true;
                loop {
                    if self.is_kw("kind") && self.peek_at(1) == &Tok::Assign {
                        self.bump();
                        self.bump();
                        let k = self.ident("a lookup kind")?;
                        outer = k != "inner";
                    } else if self.skip_one_hint() {
                    } else {
                        break;
                    }
                }
                let right = self.right_table()?;
                let on = self.join_keys()?;
                OpKind::Lookup {
                    outer,
                    right: Box::new(right),
                    on,
                }
            }
            "union" => {
                let params = self.union_params();
                OpKind::Union {
                    params,
                    tables: self.union_tables()?,
                }
            }
            "mv-expand" | "mvexpand" => self.mv_expand()?,
            "mv-apply" | "mvapply" => self.mv_apply()?,
            "parse" | "parse-where" => self.parse_op(name == "parse-where")?,
            "invoke" => {
                let n = self.ident("a function name")?;
                let args = if self.peek() == &Tok::LParen {
                    self.call_args()?
                } else {
                    Vec::new()
                };
                OpKind::Invoke { name: n, args }
            }
            "evaluate" => {
                self.skip_hints();
                let n = self.ident("a plugin name")?;
                let args = self.call_args()?;
                // An output schema (`: (col:type, …)`) only declares what the plugin returns.
                if self.eat(&Tok::Colon) && self.peek() == &Tok::LParen {
                    let _ = self.raw_parenthesised()?;
                }
                OpKind::Evaluate { name: n, args }
            }
            other if UNSUPPORTED_OPERATORS.contains(&other) => {
                self.error_help(
                    name_span,
                    format!("operator `{other}` is not supported"),
                    "rulecheck's KQL subset is listed in docs/kql.md",
                );
                return Err(());
            }
            other => {
                self.error(name_span, format!("unknown operator `{other}`"));
                return Err(());
            }
        };
        Ok(Op {
            kind,
            span: name_span.to(self.prev_span()),
        })
    }

    /// `hint.x = y` and similar `key=value` parameters that do not change results.
    fn skip_hints(&mut self) {
        while self.skip_one_hint() {}
    }

    fn skip_one_hint(&mut self) -> bool {
        let is_hint = matches!(self.peek(), Tok::Ident(s) if s == "hint");
        if is_hint {
            // hint . name = value
            let save = self.pos;
            self.bump();
            while self.eat(&Tok::Dot) {
                if !matches!(self.peek(), Tok::Ident(_)) {
                    self.pos = save;
                    return false;
                }
                self.bump();
            }
            if self.eat(&Tok::Assign) {
                self.bump();
                return true;
            }
            self.pos = save;
        }
        false
    }

    fn join_kind(&mut self) -> PResult<JoinKind> {
        let mut kind = JoinKind::InnerUnique;
        loop {
            if self.is_kw("kind") && self.peek_at(1) == &Tok::Assign {
                self.bump();
                self.bump();
                let span = self.span();
                let k = self.ident("a join kind")?;
                kind = match k.as_str() {
                    "innerunique" => JoinKind::InnerUnique,
                    "inner" => JoinKind::Inner,
                    "leftouter" => JoinKind::LeftOuter,
                    "rightouter" => JoinKind::RightOuter,
                    "fullouter" | "outer" => JoinKind::FullOuter,
                    "leftanti" | "anti" | "leftantisemi" => JoinKind::LeftAnti,
                    "rightanti" | "rightantisemi" => JoinKind::RightAnti,
                    "leftsemi" => JoinKind::LeftSemi,
                    "rightsemi" => JoinKind::RightSemi,
                    other => {
                        self.error_help(span, format!("unknown join kind `{other}`"), "innerunique, inner, leftouter, rightouter, fullouter, leftanti, rightanti, leftsemi, rightsemi");
                        return Err(());
                    }
                };
            } else if !self.skip_one_hint() {
                break;
            }
        }
        Ok(kind)
    }

    fn right_table(&mut self) -> PResult<Tabular> {
        let start = self.span();
        if self.peek() == &Tok::LParen {
            self.bump();
            let t = self.tabular();
            self.expect(Tok::RParen, "`)`")?;
            Ok(t)
        } else {
            let source = self.source()?;
            Ok(Tabular {
                source,
                ops: Vec::new(),
                span: start.to(self.prev_span()),
            })
        }
    }

    fn join_keys(&mut self) -> PResult<Vec<JoinKey>> {
        if !self.eat_kw("on") {
            let s = self.span();
            let found = self.peek().describe();
            self.error(s, format!("expected `on` and the join keys, found {found}"));
            return Err(());
        }
        let mut keys = Vec::new();
        loop {
            if self.peek() == &Tok::Dollar {
                let (left_side, left) = self.side_column()?;
                self.expect(Tok::EqEq, "`==`")?;
                let (_, right) = self.side_column()?;
                keys.push(if left_side {
                    JoinKey::Pair(left, right)
                } else {
                    JoinKey::Pair(right, left)
                });
            } else {
                keys.push(JoinKey::Same(self.ident("a join column")?));
            }
            if !(self.eat(&Tok::Comma) || self.eat_kw("and")) {
                break;
            }
        }
        Ok(keys)
    }

    /// `$left.Col` or `$right.Col`: (is left, column).
    fn side_column(&mut self) -> PResult<(bool, String)> {
        self.expect(Tok::Dollar, "`$left` or `$right`")?;
        let span = self.span();
        let side = self.ident("`left` or `right`")?;
        let left = match side.as_str() {
            "left" => true,
            "right" => false,
            other => {
                self.error(
                    span,
                    format!("expected `$left` or `$right`, found `${other}`"),
                );
                return Err(());
            }
        };
        self.expect(Tok::Dot, "`.` and a column")?;
        Ok((left, self.ident("a column")?))
    }

    fn mv_expand(&mut self) -> PResult<OpKind> {
        self.mv_expand_items()
    }

    fn mv_expand_items(&mut self) -> PResult<OpKind> {
        loop {
            if (self.is_kw("bagexpansion") || self.is_kw("with_itemindex") || self.is_kw("kind"))
                && self.peek_at(1) == &Tok::Assign
            {
                self.bump();
                self.bump();
                self.bump();
            } else if !self.skip_one_hint() {
                break;
            }
        }
        let mut columns = Vec::new();
        loop {
            let item = self.named_expr()?;
            let name = item
                .name
                .clone()
                .or_else(|| item.expr.column_name().map(str::to_string))
                .unwrap_or_else(|| format!("Column{}", columns.len() + 1));
            let ty = if self.eat_kw("to") {
                if !self.eat_kw("typeof") {
                    let s = self.span();
                    self.error(s, "expected `typeof(…)` after `to`");
                    return Err(());
                }
                self.expect(Tok::LParen, "`(`")?;
                let t = self.type_name()?;
                self.expect(Tok::RParen, "`)`")?;
                Some(t)
            } else {
                None
            };
            columns.push((name, item.expr, ty));
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        let limit = if self.eat_kw("limit") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(OpKind::MvExpand { columns, limit })
    }

    /// `mv-apply Item = Expr [to typeof(T)], … on (subquery operators)`
    fn mv_apply(&mut self) -> PResult<OpKind> {
        let OpKind::MvExpand { columns, limit } = self.mv_expand_items()? else {
            unreachable!("mv_expand_items returns MvExpand")
        };
        if !self.eat_kw("on") {
            let s = self.span();
            self.error(s, "expected `on (…)` in `mv-apply`");
            return Err(());
        }
        self.expect(Tok::LParen, "`(` and the subquery")?;
        let mut ops = Vec::new();
        loop {
            ops.push(self.nested(Self::operator)?);
            if !self.eat(&Tok::Pipe) {
                break;
            }
        }
        self.expect(Tok::RParen, "`)` to close the subquery")?;
        Ok(OpKind::MvApply {
            columns,
            limit,
            subquery: ops,
        })
    }

    fn parse_op(&mut self, where_: bool) -> PResult<OpKind> {
        let mut regex = false;
        if self.is_kw("kind") && self.peek_at(1) == &Tok::Assign {
            self.bump();
            self.bump();
            let k = self.ident("a parse kind")?;
            regex = k == "regex";
            if regex && self.is_kw("flags") {
                self.bump();
                self.eat(&Tok::Assign);
                self.bump();
            }
        }
        let source = self.additive()?;
        if !self.eat_kw("with") {
            let s = self.span();
            self.error(s, "expected `with` and a pattern in `parse`");
            return Err(());
        }
        let mut parts = Vec::new();
        loop {
            match self.peek().clone() {
                Tok::Str(s) => {
                    self.bump();
                    parts.push(ParsePart::Literal(s));
                }
                Tok::Star => {
                    self.bump();
                    parts.push(ParsePart::Skip);
                }
                Tok::Ident(name) => {
                    self.bump();
                    let ty = if self.eat(&Tok::Colon) {
                        self.type_name()?
                    } else {
                        KqlType::String
                    };
                    parts.push(ParsePart::Column(name, ty));
                }
                Tok::LBracket => {
                    let Some(name) = self.bracketed_name() else {
                        break;
                    };
                    let ty = if self.eat(&Tok::Colon) {
                        self.type_name()?
                    } else {
                        KqlType::String
                    };
                    parts.push(ParsePart::Column(name, ty));
                }
                _ => break,
            }
        }
        Ok(OpKind::Parse {
            source,
            parts,
            where_,
            regex,
        })
    }

    fn column_patterns(&mut self) -> PResult<Vec<String>> {
        let mut cols = vec![self.column_pattern()?];
        while self.eat(&Tok::Comma) {
            cols.push(self.column_pattern()?);
        }
        Ok(cols)
    }

    /// `project-reorder` columns may carry `asc`/`desc`, which only sort names.
    fn column_patterns_with_order(&mut self) -> PResult<Vec<String>> {
        let mut cols = Vec::new();
        loop {
            cols.push(self.column_pattern()?);
            let _ = self.eat_kw("asc")
                || self.eat_kw("desc")
                || self.eat_kw("granny-asc")
                || self.eat_kw("granny-desc");
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        Ok(cols)
    }

    /// A column name, possibly with `*` wildcards (`Initiating*`).
    fn column_pattern(&mut self) -> PResult<String> {
        if let Some(name) = self.bracketed_name() {
            return Ok(name);
        }
        let mut out = String::new();
        let start = self.span();
        loop {
            match self.peek().clone() {
                Tok::Ident(s) if out.is_empty() || !self.token_at(0).spaced => {
                    self.bump();
                    out.push_str(&s);
                }
                Tok::Star if out.is_empty() || !self.token_at(0).spaced => {
                    self.bump();
                    out.push('*');
                }
                _ => break,
            }
        }
        if out.is_empty() {
            let found = self.peek().describe();
            self.error(start, format!("expected a column name, found {found}"));
            return Err(());
        }
        Ok(out)
    }

    fn sort_key(&mut self) -> PResult<SortKey> {
        let expr = self.expr()?;
        // Kusto sorts descending unless told otherwise.
        let mut descending = true;
        if self.eat_kw("asc") {
            descending = false;
        } else {
            self.eat_kw("desc");
        }
        let mut nulls_first = !descending;
        if self.eat_kw("nulls") {
            if self.eat_kw("first") {
                nulls_first = true;
            } else if self.eat_kw("last") {
                nulls_first = false;
            }
        }
        Ok(SortKey {
            expr,
            descending,
            nulls_first,
        })
    }

    fn named_exprs(&mut self) -> PResult<Vec<NamedExpr>> {
        let mut items = vec![self.named_expr()?];
        while self.eat(&Tok::Comma) {
            items.push(self.named_expr()?);
        }
        Ok(items)
    }

    fn named_expr(&mut self) -> PResult<NamedExpr> {
        if matches!(
            (
                self.peek(),
                self.peek_at(1),
                self.peek_at(2),
                self.peek_at(3)
            ),
            (Tok::LBracket, Tok::Str(_), Tok::RBracket, Tok::Assign)
        ) {
            let name = self.bracketed_name();
            self.bump();
            return Ok(NamedExpr {
                name,
                names: Vec::new(),
                expr: self.expr()?,
            });
        }
        if let Tok::Ident(name) = self.peek().clone() {
            if self.peek_at(1) == &Tok::Assign {
                self.bump();
                self.bump();
                return Ok(NamedExpr {
                    name: Some(name),
                    names: Vec::new(),
                    expr: self.expr()?,
                });
            }
        }
        // `(A, B) = expr`
        if self.peek() == &Tok::LParen {
            let save = self.pos;
            self.bump();
            let mut names = Vec::new();
            while let Tok::Ident(n) = self.peek().clone() {
                self.bump();
                names.push(n);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
            if !names.is_empty() && self.eat(&Tok::RParen) && self.eat(&Tok::Assign) {
                return Ok(NamedExpr {
                    name: None,
                    names,
                    expr: self.expr()?,
                });
            }
            self.pos = save;
        }
        Ok(NamedExpr {
            name: None,
            names: Vec::new(),
            expr: self.expr()?,
        })
    }

    // --- scalar expressions --------------------------------------------------

    fn expr(&mut self) -> PResult<Expr> {
        self.nested(Self::or)
    }

    fn or(&mut self) -> PResult<Expr> {
        let mut left = self.and()?;
        while self.eat_kw("or") {
            let right = self.and()?;
            let span = left.span.to(right.span);
            left = Expr::new(
                ExprKind::Binary {
                    op: BinOp::Or,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            );
        }
        Ok(left)
    }

    fn and(&mut self) -> PResult<Expr> {
        let mut left = self.comparison()?;
        while self.eat_kw("and") {
            let right = self.comparison()?;
            let span = left.span.to(right.span);
            left = Expr::new(
                ExprKind::Binary {
                    op: BinOp::And,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            );
        }
        Ok(left)
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let left = self.additive()?;
        let bin = match self.peek() {
            Tok::EqEq => Some(BinOp::Eq),
            Tok::NotEq | Tok::LtGt => Some(BinOp::NotEq),
            Tok::Lt => Some(BinOp::Lt),
            Tok::Le => Some(BinOp::Le),
            Tok::Gt => Some(BinOp::Gt),
            Tok::Ge => Some(BinOp::Ge),
            Tok::EqTilde => Some(BinOp::EqCi),
            // Log Analytics accepts a single `=` as equality in predicates.
            Tok::Assign => Some(BinOp::Eq),
            Tok::BangTilde => Some(BinOp::NotEqCi),
            _ => None,
        };
        if let Some(op) = bin {
            self.bump();
            let right = self.additive()?;
            let span = left.span.to(right.span);
            return Ok(Expr::new(
                ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            ));
        }
        // `!` directly followed by a word operator: `!has`, `!in`, `!contains` …
        let negated = self.peek() == &Tok::Bang
            && matches!(self.peek_at(1), Tok::Ident(_))
            && !self.token_at(1).spaced;
        let word_at = usize::from(negated);
        let Tok::Ident(word) = self.peek_at(word_at).clone() else {
            return Ok(left);
        };
        let op_span = self.token_at(0).span.to(self.token_at(word_at).span);
        // `notcontains`/`notcontains_cs`: older spellings of `!contains`.
        let (negated, word) = match word.strip_prefix("not") {
            Some(rest)
                if !negated
                    && matches!(
                        rest,
                        "contains" | "contains_cs" | "has" | "has_cs" | "between"
                    ) =>
            {
                (true, rest.to_string())
            }
            _ => (negated, word),
        };
        let (base, cs) = match word.strip_suffix("_cs") {
            Some(b) => (b.to_string(), true),
            None => (word.clone(), false),
        };
        let str_op = match base.as_str() {
            "has" => Some(StrOp::Has),
            "hasprefix" => Some(StrOp::HasPrefix),
            "hassuffix" => Some(StrOp::HasSuffix),
            "contains" => Some(StrOp::Contains),
            "startswith" => Some(StrOp::StartsWith),
            "endswith" => Some(StrOp::EndsWith),
            "matches" => Some(StrOp::MatchesRegex),
            _ => None,
        };
        if let Some(op) = str_op {
            self.pos += word_at + 1;
            if op == StrOp::MatchesRegex && !self.eat_kw("regex") {
                let s = self.span();
                self.error(s, "expected `regex` after `matches`");
                return Err(());
            }
            let right = self.additive()?;
            let span = left.span.to(right.span);
            return Ok(Expr::new(
                ExprKind::Str {
                    op,
                    negated,
                    case_sensitive: cs || op == StrOp::MatchesRegex,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            ));
        }
        let list_op = match word.as_str() {
            "in" => Some(ListOp::In),
            "has_any" => Some(ListOp::HasAny),
            "has_all" => Some(ListOp::HasAll),
            _ => None,
        };
        if let Some(op) = list_op {
            self.pos += word_at + 1;
            let case_insensitive = op == ListOp::In
                && self.peek() == &Tok::Tilde
                && !self.token_at(0).spaced
                && self.eat(&Tok::Tilde);
            let items = self.list_items()?;
            let span = left.span.to(self.prev_span());
            return Ok(Expr::new(
                ExprKind::List {
                    op,
                    negated,
                    case_insensitive,
                    left: Box::new(left),
                    items,
                },
                span,
            ));
        }
        if word == "between" {
            self.pos += word_at + 1;
            self.expect(Tok::LParen, "`(` after `between`")?;
            let low = self.additive()?;
            self.expect(Tok::DotDot, "`..` between the bounds")?;
            let high = self.additive()?;
            self.expect(Tok::RParen, "`)`")?;
            let span = left.span.to(self.prev_span());
            return Ok(Expr::new(
                ExprKind::Between {
                    negated,
                    value: Box::new(left),
                    low: Box::new(low),
                    high: Box::new(high),
                },
                span,
            ));
        }
        if negated {
            self.error(op_span, format!("unknown operator `!{word}`"));
            return Err(());
        }
        Ok(left)
    }

    /// `(a, b, c)`, `(T | project x)` or a dynamic array / let name.
    fn list_items(&mut self) -> PResult<Vec<Expr>> {
        if self.peek() != &Tok::LParen {
            // `x in SomeList` (a let-bound dynamic array or tabular).
            return Ok(vec![self.additive()?]);
        }
        if self.starts_tabular_after_paren() {
            let start = self.span();
            self.bump();
            let t = self.tabular();
            self.expect(Tok::RParen, "`)`")?;
            return Ok(vec![Expr::new(
                ExprKind::Tabular(Box::new(t)),
                start.to(self.prev_span()),
            )]);
        }
        self.bump();
        let mut items = Vec::new();
        while self.peek() != &Tok::RParen {
            items.push(self.expr()?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RParen, "`)` to close the list")?;
        Ok(items)
    }

    /// After `(`: a tabular expression (`(T | …)`, `(union …)`, `(externaldata …)`).
    fn starts_tabular_after_paren(&self) -> bool {
        // Look through nested parentheses: `((T | …) | …)`.
        let mut n = 1;
        while self.peek_at(n) == &Tok::LParen {
            n += 1;
        }
        match self.peek_at(n) {
            Tok::Ident(s) if TABULAR_KEYWORDS.contains(&s.as_str()) => {
                !matches!(self.peek_at(n + 1), Tok::Assign)
            }
            Tok::Ident(_) => matches!(self.peek_at(n + 1), Tok::Pipe),
            _ => false,
        }
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => break,
            };
            self.bump();
            let right = self.multiplicative()?;
            let span = left.span.to(right.span);
            left = Expr::new(
                ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            );
        }
        Ok(left)
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                Tok::Percent => BinOp::Mod,
                _ => break,
            };
            self.bump();
            let right = self.unary()?;
            let span = left.span.to(right.span);
            left = Expr::new(
                ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            );
        }
        Ok(left)
    }

    fn unary(&mut self) -> PResult<Expr> {
        if self.peek() == &Tok::Minus {
            let start = self.span();
            self.bump();
            let inner = self.nested(Self::unary)?;
            let span = start.to(inner.span);
            return Ok(match inner.kind {
                ExprKind::Literal(Value::Long(n)) => {
                    Expr::new(ExprKind::Literal(Value::Long(-n)), span)
                }
                ExprKind::Literal(Value::Real(f)) => {
                    Expr::new(ExprKind::Literal(Value::Real(-f)), span)
                }
                ExprKind::Literal(Value::Timespan(t)) => {
                    Expr::new(ExprKind::Literal(Value::Timespan(-t)), span)
                }
                _ => Expr::new(ExprKind::Neg(Box::new(inner)), span),
            });
        }
        if self.peek() == &Tok::Plus {
            self.bump();
        }
        self.postfix()
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.primary()?;
        loop {
            match self.peek() {
                Tok::Dot if self.peek_at(1) == &Tok::LBracket => {
                    // `bag.["name with dots"]`
                    self.bump();
                }
                Tok::Dot => {
                    self.bump();
                    let name = match self.peek().clone() {
                        Tok::Ident(n) => {
                            self.bump();
                            n
                        }
                        Tok::Long(n) => {
                            self.bump();
                            n.to_string()
                        }
                        other => {
                            let s = self.span();
                            self.error(
                                s,
                                format!(
                                    "expected a property name after `.`, found {}",
                                    other.describe()
                                ),
                            );
                            return Err(());
                        }
                    };
                    let span = e.span.to(self.prev_span());
                    e = Expr::new(
                        ExprKind::Member {
                            target: Box::new(e),
                            name,
                        },
                        span,
                    );
                }
                Tok::LBracket => {
                    self.bump();
                    let index = self.expr()?;
                    self.expect(Tok::RBracket, "`]`")?;
                    let span = e.span.to(self.prev_span());
                    e = Expr::new(
                        ExprKind::Index {
                            target: Box::new(e),
                            index: Box::new(index),
                        },
                        span,
                    );
                }
                _ => return Ok(e),
            }
        }
    }

    fn primary(&mut self) -> PResult<Expr> {
        let span = self.span();
        match self.peek().clone() {
            Tok::Long(n) => {
                self.bump();
                Ok(Expr::new(ExprKind::Literal(Value::Long(n)), span))
            }
            Tok::Real(f) => {
                self.bump();
                Ok(Expr::new(ExprKind::Literal(Value::Real(f)), span))
            }
            Tok::Timespan(t) => {
                self.bump();
                Ok(Expr::new(ExprKind::Literal(Value::Timespan(t)), span))
            }
            Tok::Str(s) => {
                self.bump();
                // Adjacent string literals concatenate.
                let mut s = s;
                while let Tok::Str(more) = self.peek().clone() {
                    self.bump();
                    s.push_str(&more);
                }
                Ok(Expr::new(
                    ExprKind::Literal(Value::String(s)),
                    span.to(self.prev_span()),
                ))
            }
            Tok::Star => {
                self.bump();
                Ok(Expr::new(ExprKind::Star, span))
            }
            Tok::LParen => {
                if self.starts_tabular_after_paren() {
                    self.bump();
                    let t = self.tabular();
                    self.expect(Tok::RParen, "`)`")?;
                    return Ok(Expr::new(
                        ExprKind::Tabular(Box::new(t)),
                        span.to(self.prev_span()),
                    ));
                }
                self.bump();
                let e = self.expr()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(e)
            }
            Tok::LBracket
                if matches!(
                    (self.peek_at(1), self.peek_at(2)),
                    (Tok::Str(_), Tok::RBracket)
                ) =>
            {
                let name = self.bracketed_name().unwrap_or_default();
                Ok(Expr::new(ExprKind::Column(name), span.to(self.prev_span())))
            }
            Tok::LBracket => {
                // A JSON-like array literal in argument position (`dynamic` shorthand).
                let v = self.dynamic_value()?;
                Ok(Expr::new(
                    ExprKind::Literal(Value::Dynamic(v)),
                    span.to(self.prev_span()),
                ))
            }
            Tok::Dollar => {
                let (left, column) = self.side_column()?;
                Ok(Expr::new(
                    ExprKind::Side {
                        right: !left,
                        column,
                    },
                    span.to(self.prev_span()),
                ))
            }
            Tok::Ident(name) => {
                self.bump();
                match name.as_str() {
                    "true" => return Ok(Expr::new(ExprKind::Literal(Value::Bool(true)), span)),
                    "false" => return Ok(Expr::new(ExprKind::Literal(Value::Bool(false)), span)),
                    "null" => return Ok(Expr::new(ExprKind::Literal(Value::Null), span)),
                    _ => {}
                }
                if self.peek() != &Tok::LParen {
                    return Ok(Expr::new(ExprKind::Column(name), span));
                }
                match name.as_str() {
                    "datetime" | "todatetime" if self.raw_literal_follows() => {
                        let raw = self.raw_parenthesised()?;
                        let value = if raw.trim() == "null" {
                            Value::Null
                        } else {
                            match parse_datetime(raw.trim().trim_matches(['"', '\''])) {
                                Some(t) => Value::DateTime(t),
                                None => {
                                    let s = span.to(self.prev_span());
                                    self.error(s, format!("`{}` is not a datetime", raw.trim()));
                                    return Err(());
                                }
                            }
                        };
                        Ok(Expr::new(
                            ExprKind::Literal(value),
                            span.to(self.prev_span()),
                        ))
                    }
                    "timespan" | "time" if self.raw_literal_follows() => {
                        let raw = self.raw_parenthesised()?;
                        match parse_timespan(raw.trim()) {
                            Some(t) => Ok(Expr::new(
                                ExprKind::Literal(Value::Timespan(t)),
                                span.to(self.prev_span()),
                            )),
                            None => {
                                let s = span.to(self.prev_span());
                                self.error(s, format!("`{}` is not a timespan", raw.trim()));
                                Err(())
                            }
                        }
                    }
                    "guid" if self.raw_literal_follows() => {
                        let raw = self.raw_parenthesised()?;
                        Ok(Expr::new(
                            ExprKind::Literal(Value::Guid(raw.trim().to_string())),
                            span.to(self.prev_span()),
                        ))
                    }
                    "dynamic" => {
                        self.bump(); // (
                        let v = if self.eat_kw("null") {
                            serde_json::Value::Null
                        } else {
                            self.dynamic_value()?
                        };
                        self.expect(Tok::RParen, "`)`")?;
                        Ok(Expr::new(
                            ExprKind::Literal(Value::Dynamic(v)),
                            span.to(self.prev_span()),
                        ))
                    }
                    "typeof" => {
                        self.bump();
                        let t = self.type_name()?;
                        self.expect(Tok::RParen, "`)`")?;
                        Ok(Expr::new(
                            ExprKind::Literal(Value::String(t.name().to_string())),
                            span.to(self.prev_span()),
                        ))
                    }
                    _ => {
                        let args = self.call_args()?;
                        Ok(Expr::new(
                            ExprKind::Call { name, args },
                            span.to(self.prev_span()),
                        ))
                    }
                }
            }
            other => {
                self.error(
                    span,
                    format!("expected an expression, found {}", other.describe()),
                );
                Err(())
            }
        }
    }

    /// After `datetime`/`timespan`/`guid`: an unquoted literal in parentheses
    /// (as opposed to a call with an expression argument such as a column).
    fn raw_literal_follows(&self) -> bool {
        match self.peek_at(1) {
            Tok::Ident(s) => s == "null" || s.starts_with(|c: char| c.is_ascii_digit()),
            Tok::Str(_) => false,
            _ => true,
        }
    }

    /// The source text between `(` and its `)`, consuming both.
    fn raw_parenthesised(&mut self) -> PResult<String> {
        let open = self.span();
        self.expect(Tok::LParen, "`(`")?;
        let start = open.end;
        let mut depth = 1;
        loop {
            match self.peek() {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        let end = self.span().start;
                        self.bump();
                        return Ok(self.text[start..end].to_string());
                    }
                }
                Tok::Eof => {
                    self.error(open, "unclosed `(`");
                    return Err(());
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn call_args(&mut self) -> PResult<Vec<Expr>> {
        self.expect(Tok::LParen, "`(`")?;
        let mut args = Vec::new();
        while self.peek() != &Tok::RParen {
            // Named arguments (`a = 1`) are passed positionally.
            if matches!(self.peek(), Tok::Ident(_)) && self.peek_at(1) == &Tok::Assign {
                self.bump();
                self.bump();
            }
            if self.starts_tabular() {
                let t = self.tabular();
                let span = t.span;
                args.push(Expr::new(ExprKind::Tabular(Box::new(t)), span));
            } else {
                args.push(self.expr()?);
            }
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RParen, "`)` to close the arguments")?;
        Ok(args)
    }

    /// A dynamic literal: JSON-like values written with KQL tokens.
    fn dynamic_value(&mut self) -> PResult<serde_json::Value> {
        self.nested(Self::dynamic_value_unnested)
    }

    fn dynamic_value_unnested(&mut self) -> PResult<serde_json::Value> {
        use serde_json::Value as J;
        let span = self.span();
        Ok(match self.peek().clone() {
            Tok::LBracket => {
                self.bump();
                let mut items = Vec::new();
                while self.peek() != &Tok::RBracket {
                    items.push(self.dynamic_value()?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
                self.expect(Tok::RBracket, "`]`")?;
                J::Array(items)
            }
            Tok::LBrace => {
                self.bump();
                let mut map = serde_json::Map::new();
                while self.peek() != &Tok::RBrace {
                    let key = match self.bump().tok {
                        Tok::Str(s) | Tok::Ident(s) => s,
                        other => {
                            self.error(
                                span,
                                format!("expected a property name, found {}", other.describe()),
                            );
                            return Err(());
                        }
                    };
                    self.expect(Tok::Colon, "`:`")?;
                    map.insert(key, self.dynamic_value()?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
                self.expect(Tok::RBrace, "`}`")?;
                J::Object(map)
            }
            Tok::Str(s) => {
                self.bump();
                // Adjacent string literals concatenate, here as everywhere.
                let mut s = s;
                while let Tok::Str(more) = self.peek().clone() {
                    self.bump();
                    s.push_str(&more);
                }
                J::String(s)
            }
            Tok::Long(n) => {
                self.bump();
                J::from(n)
            }
            Tok::Real(f) => {
                self.bump();
                serde_json::Number::from_f64(f).map_or(J::Null, J::Number)
            }
            Tok::Minus => {
                self.bump();
                match self.dynamic_value()? {
                    J::Number(n) => match n.as_i64() {
                        Some(i) => J::from(-i),
                        None => serde_json::Number::from_f64(-n.as_f64().unwrap_or(0.0))
                            .map_or(J::Null, J::Number),
                    },
                    _ => {
                        self.error(span, "expected a number after `-`");
                        return Err(());
                    }
                }
            }
            Tok::Ident(w) if w == "true" || w == "false" || w == "null" => {
                self.bump();
                match w.as_str() {
                    "true" => J::Bool(true),
                    "false" => J::Bool(false),
                    _ => J::Null,
                }
            }
            Tok::Ident(w) if matches!(w.as_str(), "datetime" | "timespan" | "guid") => {
                let e = self.primary()?;
                match e.kind {
                    ExprKind::Literal(v) => v.to_json(),
                    _ => J::Null,
                }
            }
            other => {
                self.error(
                    span,
                    format!("expected a dynamic value, found {}", other.describe()),
                );
                return Err(());
            }
        })
    }
}

#[cfg(test)]
mod tests;
