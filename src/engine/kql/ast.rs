//! The KQL syntax tree. Every node that a diagnostic may point at carries its
//! span in the query text.

// Trees are built once per query and walked a few times; boxing variants to
// even out their sizes would cost clarity for no measurable gain.
#![allow(clippy::large_enum_variant)]

use super::span::Span;
use super::value::{KqlType, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub lets: Vec<Let>,
    pub body: Tabular,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    pub name: String,
    pub span: Span,
    pub value: LetValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    Scalar(Expr),
    Tabular(Tabular),
    /// A user-defined function: `(a:string, b:long = 3) { body }`.
    Function {
        params: Vec<Param>,
        body: Box<FunctionBody>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    /// `None` for tabular parameters (`T:(*)`).
    pub ty: Option<KqlType>,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionBody {
    pub lets: Vec<Let>,
    pub result: FunctionResult,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FunctionResult {
    Scalar(Expr),
    Tabular(Tabular),
}

/// A tabular expression: a source and the operators piped after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabular {
    pub source: Source,
    pub ops: Vec<Op>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A table or a tabular `let` name.
    Name(String, Span),
    /// A call of a tabular function (user-defined, `materialize`, …).
    Call {
        name: String,
        args: Vec<Expr>,
        span: Span,
    },
    Union {
        params: UnionParams,
        tables: Vec<Tabular>,
        span: Span,
    },
    Datatable {
        columns: Vec<(String, KqlType)>,
        values: Vec<Expr>,
        span: Span,
    },
    Print(Vec<NamedExpr>),
    Range {
        column: String,
        from: Expr,
        to: Expr,
        step: Expr,
    },
    Paren(Box<Tabular>),
    /// `externaldata (schema) [urls] with (properties)`: read from local
    /// fixtures standing in for the URLs (rulecheck never reads the network).
    ExternalData {
        columns: Vec<(String, KqlType)>,
        urls: Vec<String>,
        /// `with (format="csv", ignoreFirstRecord=true, …)`, keys lower-cased.
        properties: Vec<(String, String)>,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct NamedExpr {
    pub name: Option<String>,
    /// `(a, b) = f(...)` for functions that return several columns.
    pub names: Vec<String>,
    pub expr: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftAnti,
    RightAnti,
    LeftSemi,
    RightSemi,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JoinKey {
    /// `on Col`: the same column on both sides.
    Same(String),
    /// `on $left.A == $right.B`
    Pair(String, String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    Literal(String),
    /// `*`: skip anything.
    Skip,
    Column(String, KqlType),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub kind: OpKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OpKind {
    Where(Expr),
    Project(Vec<NamedExpr>),
    ProjectAway(Vec<String>),
    ProjectKeep(Vec<String>),
    ProjectRename(Vec<(String, String)>),
    ProjectReorder(Vec<String>),
    Extend(Vec<NamedExpr>),
    Summarize {
        aggregates: Vec<NamedExpr>,
        by: Vec<NamedExpr>,
    },
    Sort(Vec<SortKey>),
    Top {
        count: Expr,
        key: SortKey,
    },
    Take(Expr),
    /// `distinct *` has no items.
    Distinct(Vec<NamedExpr>),
    Count,
    Render,
    Serialize(Vec<NamedExpr>),
    Join {
        kind: JoinKind,
        right: Box<Tabular>,
        on: Vec<JoinKey>,
    },
    Lookup {
        outer: bool,
        right: Box<Tabular>,
        on: Vec<JoinKey>,
    },
    Union {
        params: UnionParams,
        tables: Vec<Tabular>,
    },
    MvExpand {
        columns: Vec<(String, Expr, Option<KqlType>)>,
        limit: Option<Expr>,
    },
    /// Each row's arrays expanded into a sub-table, the operators applied to it.
    MvApply {
        columns: Vec<(String, Expr, Option<KqlType>)>,
        limit: Option<Expr>,
        subquery: Vec<Op>,
    },
    Parse {
        source: Expr,
        parts: Vec<ParsePart>,
        where_: bool,
        regex: bool,
    },
    Invoke {
        name: String,
        args: Vec<Expr>,
    },
    Evaluate {
        name: String,
        args: Vec<Expr>,
    },
    AsName(String),
    GetSchema,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// `=~`
    EqCi,
    /// `!~`
    NotEqCi,
}

/// A string operator (`has`, `contains`, …) possibly negated and case-sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrOp {
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
    MatchesRegex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOp {
    /// `in`, `in~`
    In,
    HasAny,
    HasAll,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Value),
    Column(String),
    /// `$left.X` / `$right.X` in join conditions.
    Side {
        right: bool,
        column: String,
    },
    Call {
        name: String,
        args: Vec<Expr>,
    },
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Neg(Box<Expr>),
    Str {
        op: StrOp,
        negated: bool,
        case_sensitive: bool,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    List {
        op: ListOp,
        negated: bool,
        case_insensitive: bool,
        left: Box<Expr>,
        items: Vec<Expr>,
    },
    Between {
        negated: bool,
        value: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    Member {
        target: Box<Expr>,
        name: String,
    },
    /// `*` as an argument (`arg_max(T, *)`, `count(*)`).
    Star,
    /// A tabular subquery used as a scalar list (`x in (T | project y)`).
    Tabular(Box<Tabular>),
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    /// The column this expression names directly, if it is a plain column
    /// reference (used for default output column names).
    pub fn column_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Column(c) => Some(c),
            ExprKind::Member { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// `union`'s parameters: `kind=outer|inner`, `withsource=Column`, `isfuzzy=true`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnionParams {
    /// `kind=outer` (the default): every column of every leg.
    pub kind_outer: bool,
    /// The column naming each row's leg.
    pub with_source: Option<String>,
    /// `isfuzzy=true`: legs naming missing tables are left out, not errors.
    pub fuzzy: bool,
}
