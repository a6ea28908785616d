//! Scalar expressions: compiled once per operator against the input columns
//! (so an unknown column or function is reported before any row is read),
//! then evaluated per row.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value as Json;

use super::ast::{BinOp, Expr, ExprKind, FunctionResult, ListOp, StrOp};
use super::error::EvalError;
use super::functions::{self, ScalarFn};
use super::runtime::{Binding, Runtime, Scope};
use super::span::Span;
use super::value::Value;

/// A compiled scalar expression.
#[derive(Clone)]
pub enum CExpr {
    Lit(Value),
    Col(usize),
    Call {
        run: ScalarFn,
        args: Vec<CExpr>,
        span: Span,
        name: String,
    },
    /// `ingestion_time()`: reads the row's provenance.
    IngestionTime,
    /// `prev(x, offset, default)`, `next(…)`, `row_number(start)`: read other
    /// rows of a serialized table.
    Window {
        kind: WindowFn,
        arg: Box<CExpr>,
        offset: i64,
        default: Box<CExpr>,
        span: Span,
    },
    Bin {
        op: BinOp,
        left: Box<CExpr>,
        right: Box<CExpr>,
    },
    Neg(Box<CExpr>),
    Str {
        op: StrOp,
        negated: bool,
        cs: bool,
        left: Box<CExpr>,
        right: Box<CExpr>,
        span: Span,
    },
    List {
        op: ListOp,
        negated: bool,
        ci: bool,
        left: Box<CExpr>,
        items: Vec<CExpr>,
    },
    Between {
        negated: bool,
        value: Box<CExpr>,
        low: Box<CExpr>,
        high: Box<CExpr>,
    },
    Index {
        target: Box<CExpr>,
        index: Box<CExpr>,
    },
}

/// What expressions are compiled against: the input's column indices and
/// names standing for compiled expressions (function parameters).
pub struct Env<'e> {
    pub columns: &'e HashMap<String, usize>,
    pub aliases: HashMap<String, CExpr>,
}

impl<'e> Env<'e> {
    pub fn new(columns: &'e HashMap<String, usize>) -> Env<'e> {
        Env {
            columns,
            aliases: HashMap::new(),
        }
    }
}

/// Aggregate function names, refused outside `summarize`.
pub const AGGREGATES: &[&str] = &[
    "count",
    "countif",
    "dcount",
    "dcountif",
    "count_distinct",
    "make_set",
    "make_set_if",
    "make_list",
    "make_list_if",
    "make_bag",
    "min",
    "max",
    "minif",
    "maxif",
    "sum",
    "sumif",
    "avg",
    "avgif",
    "arg_max",
    "arg_min",
    "any",
    "take_any",
    "percentile",
    "percentiles",
    "stdev",
    "variance",
    "make_list_with_nulls",
    "buildschema",
];

impl Runtime<'_> {
    pub fn compile(&self, e: &Expr, env: &Env<'_>, scope: &Rc<Scope>) -> Result<CExpr, EvalError> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
            self.compile_here(e, env, scope)
        })
    }

    fn compile_here(&self, e: &Expr, env: &Env<'_>, scope: &Rc<Scope>) -> Result<CExpr, EvalError> {
        Ok(match &e.kind {
            ExprKind::Literal(v) => CExpr::Lit(v.clone()),
            ExprKind::Column(name) => {
                if let Some(c) = env.aliases.get(name) {
                    c.clone()
                } else if let Some(i) = env.columns.get(name) {
                    CExpr::Col(*i)
                } else {
                    match scope.get(name) {
                        Some(Binding::Scalar(v)) => CExpr::Lit(v),
                        Some(Binding::Table(t)) => CExpr::Lit(first_column_array(&t)),
                        Some(Binding::Function(_)) => {
                            return Err(EvalError::new(
                                e.span,
                                format!("`{name}` is a function; call it with `{name}(…)`"),
                            ));
                        }
                        None => return Err(unknown_name(e.span, name, env.columns)),
                    }
                }
            }
            ExprKind::Side { .. } => {
                return Err(EvalError::new(
                    e.span,
                    "`$left`/`$right` are only allowed in join conditions",
                ));
            }
            ExprKind::Star => {
                return Err(EvalError::new(
                    e.span,
                    "`*` is only allowed as an aggregate argument",
                ));
            }
            ExprKind::Tabular(t) => {
                let table = self.eval_tabular(t, scope)?;
                CExpr::Lit(first_column_array(&table))
            }
            ExprKind::Call { name, args } => self.compile_call(e.span, name, args, env, scope)?,
            ExprKind::Binary { op, left, right } => CExpr::Bin {
                op: *op,
                left: Box::new(self.compile(left, env, scope)?),
                right: Box::new(self.compile(right, env, scope)?),
            },
            ExprKind::Neg(inner) => CExpr::Neg(Box::new(self.compile(inner, env, scope)?)),
            ExprKind::Str {
                op,
                negated,
                case_sensitive,
                left,
                right,
            } => CExpr::Str {
                op: *op,
                negated: *negated,
                cs: *case_sensitive,
                left: Box::new(self.compile(left, env, scope)?),
                right: Box::new(self.compile(right, env, scope)?),
                span: e.span,
            },
            ExprKind::List {
                op,
                negated,
                case_insensitive,
                left,
                items,
            } => CExpr::List {
                op: *op,
                negated: *negated,
                ci: *case_insensitive,
                left: Box::new(self.compile(left, env, scope)?),
                items: items
                    .iter()
                    .map(|i| self.compile(i, env, scope))
                    .collect::<Result<_, _>>()?,
            },
            ExprKind::Between {
                negated,
                value,
                low,
                high,
            } => CExpr::Between {
                negated: *negated,
                value: Box::new(self.compile(value, env, scope)?),
                low: Box::new(self.compile(low, env, scope)?),
                high: Box::new(self.compile(high, env, scope)?),
            },
            ExprKind::Index { target, index } => CExpr::Index {
                target: Box::new(self.compile(target, env, scope)?),
                index: Box::new(self.compile(index, env, scope)?),
            },
            ExprKind::Member { target, name } => CExpr::Index {
                target: Box::new(self.compile(target, env, scope)?),
                index: Box::new(CExpr::Lit(Value::String(name.clone()))),
            },
        })
    }

    fn compile_call(
        &self,
        span: Span,
        name: &str,
        args: &[Expr],
        env: &Env<'_>,
        scope: &Rc<Scope>,
    ) -> Result<CExpr, EvalError> {
        if let Some(Binding::Function(f)) = scope.get(name) {
            let FunctionResult::Scalar(body) = &f.body.result else {
                return Err(EvalError::new(
                    span,
                    format!("`{name}` returns a table; use it where a table is expected"),
                ));
            };
            if args.len() > f.params.len() {
                return Err(EvalError::new(
                    span,
                    format!(
                        "`{name}` takes {} arguments, not {}",
                        f.params.len(),
                        args.len()
                    ),
                ));
            }
            // Parameters stand for the compiled arguments inside the body.
            let mut aliases = env.aliases.clone();
            for (i, p) in f.params.iter().enumerate() {
                let arg = match (args.get(i), &p.default) {
                    (Some(a), _) => self.compile(a, env, scope)?,
                    (None, Some(d)) => self.compile(d, env, &f.scope)?,
                    (None, None) => {
                        return Err(EvalError::new(
                            span,
                            format!("`{name}` needs argument `{}`", p.name),
                        ));
                    }
                };
                aliases.insert(p.name.clone(), arg);
            }
            let inner_env = Env {
                columns: env.columns,
                aliases,
            };
            let body_scope = self.bind_lets(&f.body.lets, &f.scope)?;
            return self.compile(body, &inner_env, &body_scope);
        }
        match name {
            "toscalar" => {
                let Some(arg) = args.first() else {
                    return Err(EvalError::new(span, "`toscalar` needs a tabular argument"));
                };
                let table = match &arg.kind {
                    ExprKind::Tabular(t) => self.eval_tabular(t, scope)?,
                    ExprKind::Column(n) => match scope.get(n) {
                        Some(Binding::Table(t)) => (*t).clone(),
                        Some(Binding::Scalar(v)) => return Ok(CExpr::Lit(v)),
                        _ => return Err(EvalError::new(arg.span, format!("`{n}` is not a table"))),
                    },
                    _ => return self.compile(arg, env, scope),
                };
                return Ok(CExpr::Lit(
                    table
                        .rows
                        .first()
                        .and_then(|r| r.values.first())
                        .cloned()
                        .unwrap_or(Value::Null),
                ));
            }
            "ingestion_time" => return Ok(CExpr::IngestionTime),
            "prev" | "next" | "row_number" => {
                let kind = match name {
                    "prev" => WindowFn::Prev,
                    "next" => WindowFn::Next,
                    _ => WindowFn::RowNumber,
                };
                let (value_args, max) = if kind == WindowFn::RowNumber {
                    (0, 2)
                } else {
                    (1, 3)
                };
                if args.len() < value_args || args.len() > max {
                    return Err(EvalError::new(
                        span,
                        format!("`{name}` takes {value_args} to {max} arguments"),
                    ));
                }
                let constant = |i: usize, default: i64| -> Result<i64, EvalError> {
                    match args.get(i) {
                        None => Ok(default),
                        Some(a) => eval_constant(self, a, scope)?.as_i64().ok_or_else(|| {
                            EvalError::new(a.span, format!("`{name}` needs a constant number here"))
                        }),
                    }
                };
                return Ok(match kind {
                    WindowFn::RowNumber => CExpr::Window {
                        kind,
                        arg: Box::new(CExpr::Lit(Value::Null)),
                        offset: constant(0, 1)?,
                        default: Box::new(CExpr::Lit(Value::Null)),
                        span,
                    },
                    _ => CExpr::Window {
                        kind,
                        arg: Box::new(self.compile(&args[0], env, scope)?),
                        offset: constant(1, 1)?,
                        default: Box::new(match args.get(2) {
                            Some(d) => self.compile(d, env, scope)?,
                            None => CExpr::Lit(Value::Null),
                        }),
                        span,
                    },
                });
            }
            "pack_all" => {
                // A bag of every column of the row, in column order.
                let skip_empty = match args.first() {
                    Some(a) => eval_constant(self, a, scope)?.is_true(),
                    None => false,
                };
                let mut columns: Vec<(&String, usize)> =
                    env.columns.iter().map(|(n, i)| (n, *i)).collect();
                columns.sort_by_key(|(_, i)| *i);
                let pairs = columns
                    .into_iter()
                    .flat_map(|(n, i)| [CExpr::Lit(Value::String(n.clone())), CExpr::Col(i)])
                    .collect();
                let run: functions::ScalarFn = if skip_empty {
                    |a, _| Ok(pack_pairs(a, true))
                } else {
                    |a, _| Ok(pack_pairs(a, false))
                };
                return Ok(CExpr::Call {
                    run,
                    args: pairs,
                    span,
                    name: "pack_all".into(),
                });
            }
            "materialize" => {
                return Err(EvalError::new(
                    span,
                    "`materialize` returns a table; use it where a table is expected",
                ));
            }
            "column_ifexists" => {
                let (Some(col), Some(default)) = (args.first(), args.get(1)) else {
                    return Err(EvalError::new(
                        span,
                        "`column_ifexists` takes a column name and a default",
                    ));
                };
                let ExprKind::Literal(Value::String(col)) = &col.kind else {
                    return Err(EvalError::new(
                        col.span,
                        "`column_ifexists` needs the column name as a string",
                    ));
                };
                return match env.columns.get(col) {
                    Some(i) => Ok(CExpr::Col(*i)),
                    None => self.compile(default, env, scope),
                };
            }
            _ => {}
        }
        if AGGREGATES.contains(&name) {
            return Err(EvalError::new(
                span,
                format!("`{name}()` is an aggregate; it belongs in `summarize`"),
            ));
        }
        if let Some(reason) = functions::known_unsupported(name) {
            return Err(EvalError::new(span, format!("function `{name}` {reason}"))
                .with_help("docs/kql.md lists what rulecheck's KQL supports"));
        }
        let Some(def) = functions::lookup(name) else {
            return Err(EvalError::new(span, format!("unknown function `{name}`"))
                .with_help("docs/kql.md lists the supported functions"));
        };
        if args.len() < def.min_args || args.len() > def.max_args {
            let expected = if def.min_args == def.max_args {
                def.min_args.to_string()
            } else {
                format!("{} to {}", def.min_args, def.max_args)
            };
            return Err(EvalError::new(
                span,
                format!("`{name}` takes {expected} arguments, not {}", args.len()),
            ));
        }
        let args = args
            .iter()
            .map(|a| self.compile(a, env, scope))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CExpr::Call {
            run: def.run,
            args,
            span,
            name: name.to_string(),
        })
    }
}

/// A property bag of name/value pairs; with `skip_empty`, pairs whose value
/// is null or empty are left out (`pack_all(true)`).
fn pack_pairs(args: &[Value], skip_empty: bool) -> Value {
    let mut map = serde_json::Map::new();
    for pair in args.chunks(2) {
        if let [k, v] = pair {
            if skip_empty && (v.is_null() || v.is_empty()) {
                continue;
            }
            map.insert(k.to_text(), v.to_json());
        }
    }
    Value::Dynamic(Json::Object(map))
}

/// The first column of a table as a dynamic array (for `in (T | …)` and
/// tabular lets used as lists).
fn first_column_array(t: &super::table::Table) -> Value {
    Value::Dynamic(Json::Array(
        t.rows
            .iter()
            .filter_map(|r| r.values.first())
            .map(Value::to_json)
            .collect(),
    ))
}

fn unknown_name(span: Span, name: &str, columns: &HashMap<String, usize>) -> EvalError {
    let lower = name.to_ascii_lowercase();
    let mut near: Vec<&String> = columns
        .keys()
        .filter(|c| {
            let c = c.to_ascii_lowercase();
            c == lower
                || (lower.len() > 3 && c.contains(&lower))
                || (lower.len() > 5 && strsim::levenshtein(&c, &lower) <= 2)
        })
        .collect();
    near.sort();
    let e = EvalError::new(span, format!("unknown column or name `{name}`"));
    match near.first() {
        Some(n) => e.with_help(format!("did you mean `{n}`? (names are case-sensitive)")),
        None => e,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFn {
    Prev,
    Next,
    RowNumber,
}

/// Below this much stack left, recursive evaluation continues on a new segment…
pub(super) const STACK_RED_ZONE: usize = 64 * 1024;
/// …of this size.
pub(super) const STACK_GROWTH: usize = 2 * 1024 * 1024;

/// Values and provenance of the row being evaluated.
pub struct RowRef<'r> {
    pub values: &'r [Value],
    pub prov: &'r [u32],
    /// The rows of a serialized table and this row's index in them, for the
    /// window functions `prev`, `next` and `row_number` (`extend`/`project`).
    pub window: Option<(&'r [super::table::Row], usize)>,
}

impl CExpr {
    pub fn eval(&self, row: &RowRef<'_>, rt: &Runtime<'_>) -> Result<Value, EvalError> {
        // Long operator chains (`a or b or …` with hundreds of terms) nest as
        // deep as they are long; grow the stack on demand rather than overflow.
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || self.eval_here(row, rt))
    }

    fn eval_here(&self, row: &RowRef<'_>, rt: &Runtime<'_>) -> Result<Value, EvalError> {
        Ok(match self {
            CExpr::Lit(v) => v.clone(),
            CExpr::Col(i) => row.values[*i].clone(),
            CExpr::Window {
                kind,
                arg,
                offset,
                default,
                span,
            } => {
                let Some((rows, index)) = row.window else {
                    return Err(EvalError::new(
                        *span,
                        "`prev`, `next` and `row_number` work in `extend` and `project` only",
                    ));
                };
                let target = match kind {
                    // `row_number(start)`: the offset holds the start.
                    WindowFn::RowNumber => return Ok(Value::Long(*offset + index as i64)),
                    WindowFn::Prev => index as i64 - *offset,
                    WindowFn::Next => index as i64 + *offset,
                };
                match usize::try_from(target).ok().and_then(|t| rows.get(t)) {
                    Some(other) => arg.eval(
                        &RowRef {
                            values: &other.values,
                            prov: &other.prov,
                            window: None,
                        },
                        rt,
                    )?,
                    None => default.eval(row, rt)?,
                }
            }
            CExpr::IngestionTime => row
                .prov
                .iter()
                .filter_map(|e| rt.db.ingestion_time(*e))
                .max()
                .map_or(Value::Null, Value::DateTime),
            CExpr::Call {
                run,
                args,
                span,
                name,
            } => {
                let values = args
                    .iter()
                    .map(|a| a.eval(row, rt))
                    .collect::<Result<Vec<_>, _>>()?;
                run(&values, &rt.cx).map_err(|m| EvalError::new(*span, format!("`{name}`: {m}")))?
            }
            CExpr::Bin { op, left, right } => {
                let l = left.eval(row, rt)?;
                // Short-circuit like Kusto for `and`/`or` with a decided left side.
                match (op, &l) {
                    (BinOp::And, Value::Bool(false)) => return Ok(Value::Bool(false)),
                    (BinOp::Or, Value::Bool(true)) => return Ok(Value::Bool(true)),
                    _ => {}
                }
                binary(*op, &l, &right.eval(row, rt)?)
            }
            CExpr::Neg(inner) => match inner.eval(row, rt)? {
                Value::Long(n) => Value::Long(-n),
                Value::Real(f) => Value::Real(-f),
                Value::Timespan(t) => Value::Timespan(-t),
                _ => Value::Null,
            },
            CExpr::Str {
                op,
                negated,
                cs,
                left,
                right,
                span,
            } => {
                let l = left.eval(row, rt)?.to_text();
                let r = right.eval(row, rt)?.to_text();
                let hit = match op {
                    StrOp::MatchesRegex => rt
                        .cx
                        .regex(&r)
                        .map_err(|m| EvalError::new(*span, m))?
                        .is_match(&l),
                    _ => string_op(*op, *cs, &l, &r),
                };
                Value::Bool(hit != *negated)
            }
            CExpr::List {
                op,
                negated,
                ci,
                left,
                items,
            } => {
                let l = left.eval(row, rt)?;
                let mut values = Vec::with_capacity(items.len());
                for i in items {
                    match i.eval(row, rt)? {
                        Value::Dynamic(Json::Array(a)) => {
                            values.extend(a.iter().map(Value::from_dynamic))
                        }
                        v => values.push(v),
                    }
                }
                let hit = match op {
                    ListOp::In => {
                        !l.is_null() && values.iter().any(|v| equals(&l, v, *ci) == Some(true))
                    }
                    ListOp::HasAny => {
                        let text = l.to_text();
                        values
                            .iter()
                            .any(|v| string_op(StrOp::Has, false, &text, &v.to_text()))
                    }
                    ListOp::HasAll => {
                        let text = l.to_text();
                        values
                            .iter()
                            .all(|v| string_op(StrOp::Has, false, &text, &v.to_text()))
                    }
                };
                Value::Bool(hit != *negated)
            }
            CExpr::Between {
                negated,
                value,
                low,
                high,
            } => {
                let v = value.eval(row, rt)?;
                let lo = low.eval(row, rt)?;
                let hi = match (&lo, high.eval(row, rt)?) {
                    // `datetime between (start .. timespan)`
                    (Value::DateTime(s), Value::Timespan(span)) => Value::DateTime(s + span),
                    (_, h) => h,
                };
                match (v.compare(&lo), v.compare(&hi)) {
                    (Some(a), Some(b)) => Value::Bool((a.is_ge() && b.is_le()) != *negated),
                    _ => Value::Null,
                }
            }
            CExpr::Index { target, index } => {
                let t = target.eval(row, rt)?;
                let i = index.eval(row, rt)?;
                subscript(&t, &i)
            }
        })
    }
}

/// `d[i]` / `d["key"]` / `d.key`: always dynamic, null when absent.
pub fn subscript(target: &Value, index: &Value) -> Value {
    let json = match target {
        Value::Dynamic(j) => j.clone(),
        Value::String(s) => serde_json::from_str(s).unwrap_or(Json::Null),
        _ => return Value::Dynamic(Json::Null),
    };
    let child = match (&json, index) {
        (Json::Array(items), i) => i.as_i64().and_then(|i| {
            let len = items.len() as i64;
            let idx = if i < 0 { len + i } else { i };
            usize::try_from(idx)
                .ok()
                .and_then(|k| items.get(k))
                .cloned()
        }),
        (Json::Object(map), key) => map.get(&key.to_text()).cloned(),
        _ => None,
    };
    Value::Dynamic(child.unwrap_or(Json::Null))
}

/// Equality as Kusto's `==` (or `=~` when `ci`): null when either side is null.
pub fn equals(a: &Value, b: &Value, ci: bool) -> Option<bool> {
    if a.is_null() || b.is_null() {
        return None;
    }
    let text_like = |v: &Value| {
        matches!(
            v,
            Value::String(_) | Value::Guid(_) | Value::Dynamic(Json::String(_))
        )
    };
    if text_like(a) || text_like(b) {
        let (x, y) = (a.to_text(), b.to_text());
        return Some(if ci {
            x.to_lowercase() == y.to_lowercase()
        } else {
            x == y
        });
    }
    a.compare(b).map(|o| o.is_eq())
}

fn binary(op: BinOp, l: &Value, r: &Value) -> Value {
    use Value::*;
    match op {
        BinOp::And => match (l.is_true(), r.is_true(), l.is_null() || r.is_null()) {
            (true, true, _) => Bool(true),
            (_, _, true) if !matches!(l, Bool(false)) && !matches!(r, Bool(false)) => Null,
            _ => Bool(false),
        },
        BinOp::Or => match (l.is_true(), r.is_true()) {
            (true, _) | (_, true) => Bool(true),
            _ if l.is_null() || r.is_null() => Null,
            _ => Bool(false),
        },
        BinOp::Eq => equals(l, r, false).map_or(Null, Bool),
        BinOp::NotEq => equals(l, r, false).map_or(Null, |b| Bool(!b)),
        BinOp::EqCi => equals(l, r, true).map_or(Null, Bool),
        BinOp::NotEqCi => equals(l, r, true).map_or(Null, |b| Bool(!b)),
        BinOp::Lt => l.compare(r).map_or(Null, |o| Bool(o.is_lt())),
        BinOp::Le => l.compare(r).map_or(Null, |o| Bool(o.is_le())),
        BinOp::Gt => l.compare(r).map_or(Null, |o| Bool(o.is_gt())),
        BinOp::Ge => l.compare(r).map_or(Null, |o| Bool(o.is_ge())),
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
            arithmetic(op, &unwrap_dynamic(l), &unwrap_dynamic(r))
        }
    }
}

fn unwrap_dynamic(v: &Value) -> Value {
    match v {
        Value::Dynamic(j) => Value::from_dynamic(j),
        other => other.clone(),
    }
}

fn arithmetic(op: BinOp, l: &Value, r: &Value) -> Value {
    use Value::*;
    match (op, l, r) {
        (_, Null, _) | (_, _, Null) => Null,
        (BinOp::Add, DateTime(t), Timespan(s)) | (BinOp::Add, Timespan(s), DateTime(t)) => {
            DateTime(t + s)
        }
        (BinOp::Sub, DateTime(t), Timespan(s)) => DateTime(t - s),
        (BinOp::Sub, DateTime(a), DateTime(b)) => Timespan(a - b),
        (BinOp::Add, Timespan(a), Timespan(b)) => Timespan(a + b),
        (BinOp::Sub, Timespan(a), Timespan(b)) => Timespan(a - b),
        (BinOp::Mul, Timespan(t), n) | (BinOp::Mul, n, Timespan(t)) => n
            .as_f64()
            .map_or(Null, |n| Timespan((*t as f64 * n) as i64)),
        (BinOp::Div, Timespan(a), Timespan(b)) if *b != 0 => Real(*a as f64 / *b as f64),
        (BinOp::Div, Timespan(t), n) => n
            .as_f64()
            .filter(|n| *n != 0.0)
            .map_or(Null, |n| Timespan((*t as f64 / n) as i64)),
        (op, Long(a), Long(b)) => match op {
            BinOp::Add => a.checked_add(*b).map_or(Null, Long),
            BinOp::Sub => a.checked_sub(*b).map_or(Null, Long),
            BinOp::Mul => a.checked_mul(*b).map_or(Null, Long),
            // Integer division truncates; by zero it gives null.
            BinOp::Div => a.checked_div(*b).map_or(Null, Long),
            BinOp::Mod => a.checked_rem(*b).map_or(Null, Long),
            _ => Null,
        },
        (op, a, b) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => Real(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                BinOp::Mod => x % y,
                _ => return Null,
            }),
            _ => Null,
        },
    }
}

/// Whether `c` is part of a term (Kusto terms are runs of ASCII letters and digits).
fn is_term_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// The string operators. Case-insensitive unless `cs`; `has` matches whole
/// terms: the needle must not continue a term on either side.
pub fn string_op(op: StrOp, cs: bool, haystack: &str, needle: &str) -> bool {
    let (h, n): (std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>) = if cs {
        (haystack.into(), needle.into())
    } else {
        (fold(haystack), fold(needle))
    };
    match op {
        StrOp::Contains => h.contains(n.as_ref()),
        StrOp::StartsWith => h.starts_with(n.as_ref()),
        StrOp::EndsWith => h.ends_with(n.as_ref()),
        StrOp::Has | StrOp::HasPrefix | StrOp::HasSuffix => {
            if n.is_empty() {
                return true;
            }
            let check_start = op != StrOp::HasSuffix && n.chars().next().is_some_and(is_term_char);
            let check_end =
                op != StrOp::HasPrefix && n.chars().next_back().is_some_and(is_term_char);
            h.match_indices(n.as_ref()).any(|(i, m)| {
                let before_ok =
                    !check_start || !h[..i].chars().next_back().is_some_and(is_term_char);
                let after_ok =
                    !check_end || !h[i + m.len()..].chars().next().is_some_and(is_term_char);
                before_ok && after_ok
            })
        }
        StrOp::MatchesRegex => false,
    }
}

/// Lower-case for case-insensitive comparison, without allocating for ASCII
/// text that is already lower case.
fn fold(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        s.to_lowercase().into()
    } else {
        s.into()
    }
}

/// Evaluate a scalar expression that needs no row (a `let` value, a `take` count).
pub fn eval_constant(rt: &Runtime<'_>, e: &Expr, scope: &Rc<Scope>) -> Result<Value, EvalError> {
    let columns = HashMap::new();
    let compiled = rt.compile(e, &Env::new(&columns), scope)?;
    compiled.eval(
        &RowRef {
            values: &[],
            prov: &[],
            window: None,
        },
        rt,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_matches_whole_terms_case_insensitively() {
        // Kusto: `has` looks for a whole term; terms are runs of alphanumerics.
        assert!(string_op(StrOp::Has, false, "cmd.exe /c whoami", "whoami"));
        assert!(string_op(StrOp::Has, false, "CMD.EXE /c WHOAMI", "cmd.exe"));
        assert!(!string_op(
            StrOp::Has,
            false,
            "powershellx.exe",
            "powershell"
        ));
        assert!(!string_op(StrOp::Has, false, "xpowershell", "powershell"));
        assert!(string_op(StrOp::Has, false, "a -enc b", "-enc"));
        assert!(!string_op(StrOp::Has, true, "WHOAMI", "whoami"));
    }

    #[test]
    fn contains_is_a_case_insensitive_substring() {
        assert!(string_op(StrOp::Contains, false, "PowerShell.exe", "shell"));
        assert!(!string_op(
            StrOp::Contains,
            true,
            "PowerShell.exe",
            "shell."
        ));
        assert!(string_op(
            StrOp::StartsWith,
            false,
            "C:\\Windows",
            "c:\\win"
        ));
        assert!(string_op(
            StrOp::HasPrefix,
            false,
            "run powershell now",
            "power"
        ));
        assert!(!string_op(
            StrOp::HasPrefix,
            false,
            "runpowershell",
            "power"
        ));
    }

    #[test]
    fn equality_is_case_sensitive_and_tilde_is_not() {
        let a = Value::String("Admin".into());
        let b = Value::String("admin".into());
        assert_eq!(equals(&a, &b, false), Some(false));
        assert_eq!(equals(&a, &b, true), Some(true));
        assert_eq!(equals(&Value::Null, &b, false), None);
        assert_eq!(
            equals(&Value::Long(3), &Value::Real(3.0), false),
            Some(true)
        );
    }

    #[test]
    fn null_propagates_through_arithmetic_and_logic() {
        assert_eq!(
            binary(BinOp::Add, &Value::Long(1), &Value::Null),
            Value::Null
        );
        assert_eq!(
            binary(BinOp::Div, &Value::Long(7), &Value::Long(2)),
            Value::Long(3)
        );
        assert_eq!(
            binary(BinOp::Div, &Value::Long(7), &Value::Long(0)),
            Value::Null
        );
        assert_eq!(
            binary(BinOp::And, &Value::Bool(false), &Value::Null),
            Value::Bool(false)
        );
        assert_eq!(
            binary(BinOp::And, &Value::Bool(true), &Value::Null),
            Value::Null
        );
        assert_eq!(
            binary(BinOp::Or, &Value::Bool(true), &Value::Null),
            Value::Bool(true)
        );
        assert_eq!(
            binary(BinOp::Sub, &Value::DateTime(100), &Value::DateTime(40)),
            Value::Timespan(60)
        );
    }

    #[test]
    fn dynamic_subscripts_return_dynamic() {
        let d = Value::Dynamic(serde_json::json!({"a": [1, {"b": "x"}]}));
        let a = subscript(&d, &Value::String("a".into()));
        assert_eq!(
            subscript(&a, &Value::Long(-1)),
            Value::Dynamic(serde_json::json!({"b": "x"}))
        );
        assert_eq!(
            subscript(&d, &Value::String("zz".into())),
            Value::Dynamic(Json::Null)
        );
    }
}
