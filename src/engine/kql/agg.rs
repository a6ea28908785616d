//! Aggregate functions for `summarize`, with Kusto's output names
//! (`count_`, `dcount_X`, `set_X`, …) and empty-input results (`count`,
//! `dcount` and `sum` of nothing are 0).

use std::collections::HashSet;

use serde_json::Value as Json;

use super::error::EvalError;
use super::expr::{CExpr, RowRef};
use super::runtime::Runtime;
use super::span::Span;
use super::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Count,
    CountIf,
    DCount,
    DCountIf,
    MakeSet,
    MakeSetIf,
    MakeList,
    MakeListIf,
    MakeBag,
    Min,
    Max,
    MinIf,
    MaxIf,
    Sum,
    SumIf,
    Avg,
    AvgIf,
    ArgMax,
    ArgMin,
    Any,
    Percentile,
    Stdev,
    Variance,
}

impl AggKind {
    pub fn from_name(name: &str) -> Option<AggKind> {
        Some(match name {
            "count" => AggKind::Count,
            "countif" => AggKind::CountIf,
            "dcount" | "count_distinct" => AggKind::DCount,
            "dcountif" => AggKind::DCountIf,
            "make_set" => AggKind::MakeSet,
            "make_set_if" => AggKind::MakeSetIf,
            "make_list" | "make_list_with_nulls" => AggKind::MakeList,
            "make_list_if" => AggKind::MakeListIf,
            "make_bag" => AggKind::MakeBag,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "minif" => AggKind::MinIf,
            "maxif" => AggKind::MaxIf,
            "sum" => AggKind::Sum,
            "sumif" => AggKind::SumIf,
            "avg" => AggKind::Avg,
            "avgif" => AggKind::AvgIf,
            "arg_max" => AggKind::ArgMax,
            "arg_min" => AggKind::ArgMin,
            "any" | "take_any" => AggKind::Any,
            "percentile" => AggKind::Percentile,
            "stdev" => AggKind::Stdev,
            "variance" => AggKind::Variance,
            _ => return None,
        })
    }

    /// Allowed argument counts.
    pub fn arity(self) -> (usize, usize) {
        match self {
            AggKind::Count => (0, 1),
            AggKind::CountIf => (1, 1),
            AggKind::DCount => (1, 2),
            AggKind::DCountIf => (2, 3),
            AggKind::MakeSet | AggKind::MakeList => (1, 2),
            AggKind::MakeSetIf | AggKind::MakeListIf => (2, 3),
            AggKind::MakeBag => (1, 2),
            AggKind::Min
            | AggKind::Max
            | AggKind::Sum
            | AggKind::Avg
            | AggKind::Stdev
            | AggKind::Variance => (1, 1),
            AggKind::MinIf | AggKind::MaxIf | AggKind::SumIf | AggKind::AvgIf => (2, 2),
            AggKind::ArgMax | AggKind::ArgMin | AggKind::Any => (1, 64),
            AggKind::Percentile => (2, 2),
        }
    }

    /// Prefix of the default output column name (`count_`, `dcount_X`, …).
    pub fn prefix(self) -> &'static str {
        match self {
            AggKind::Count => "count",
            AggKind::CountIf => "countif",
            AggKind::DCount => "dcount",
            AggKind::DCountIf => "dcountif",
            AggKind::MakeSet | AggKind::MakeSetIf => "set",
            AggKind::MakeList | AggKind::MakeListIf => "list",
            AggKind::MakeBag => "bag",
            AggKind::Min | AggKind::MinIf => "min",
            AggKind::Max | AggKind::MaxIf => "max",
            AggKind::Sum | AggKind::SumIf => "sum",
            AggKind::Avg | AggKind::AvgIf => "avg",
            AggKind::ArgMax => "max",
            AggKind::ArgMin => "min",
            AggKind::Any => "any",
            AggKind::Percentile => "percentile",
            AggKind::Stdev => "stdev",
            AggKind::Variance => "variance",
        }
    }
}

/// One compiled aggregate of a `summarize`.
pub struct Aggregate {
    pub kind: AggKind,
    pub args: Vec<CExpr>,
    pub span: Span,
    /// For `arg_max`/`arg_min`/`any`: how many output columns it yields.
    pub outputs: usize,
}

/// The running state of one aggregate in one group.
pub enum Acc {
    Count(i64),
    Distinct(HashSet<String>),
    Set {
        seen: HashSet<String>,
        items: Vec<Json>,
        limit: usize,
    },
    List {
        items: Vec<Json>,
        limit: usize,
    },
    Bag(serde_json::Map<String, Json>),
    Extreme(Option<Value>),
    Sum(Option<Value>),
    Avg {
        sum: f64,
        n: u64,
    },
    Arg {
        key: Option<Value>,
        values: Vec<Value>,
    },
    Any(Option<Vec<Value>>),
    Numbers(Vec<f64>),
}

const DEFAULT_SET_LIMIT: usize = 1_048_576;

impl Aggregate {
    pub fn start(&self) -> Acc {
        let limit = |i: usize| -> usize {
            match self.args.get(i) {
                Some(CExpr::Lit(v)) => v.as_i64().map_or(DEFAULT_SET_LIMIT, |n| n.max(0) as usize),
                _ => DEFAULT_SET_LIMIT,
            }
        };
        match self.kind {
            AggKind::Count | AggKind::CountIf => Acc::Count(0),
            AggKind::DCount | AggKind::DCountIf => Acc::Distinct(HashSet::new()),
            AggKind::MakeSet => Acc::Set {
                seen: HashSet::new(),
                items: Vec::new(),
                limit: limit(1),
            },
            AggKind::MakeSetIf => Acc::Set {
                seen: HashSet::new(),
                items: Vec::new(),
                limit: limit(2),
            },
            AggKind::MakeList => Acc::List {
                items: Vec::new(),
                limit: limit(1),
            },
            AggKind::MakeListIf => Acc::List {
                items: Vec::new(),
                limit: limit(2),
            },
            AggKind::MakeBag => Acc::Bag(serde_json::Map::new()),
            AggKind::Min | AggKind::Max | AggKind::MinIf | AggKind::MaxIf => Acc::Extreme(None),
            AggKind::Sum | AggKind::SumIf => Acc::Sum(None),
            AggKind::Avg | AggKind::AvgIf => Acc::Avg { sum: 0.0, n: 0 },
            AggKind::ArgMax | AggKind::ArgMin => Acc::Arg {
                key: None,
                values: Vec::new(),
            },
            AggKind::Any => Acc::Any(None),
            AggKind::Percentile | AggKind::Stdev | AggKind::Variance => Acc::Numbers(Vec::new()),
        }
    }

    fn predicate(
        &self,
        index: usize,
        row: &RowRef<'_>,
        rt: &Runtime<'_>,
    ) -> Result<bool, EvalError> {
        Ok(self.args[index].eval(row, rt)?.is_true())
    }

    /// Fold one row into the state.
    pub fn add(&self, acc: &mut Acc, row: &RowRef<'_>, rt: &Runtime<'_>) -> Result<(), EvalError> {
        match (self.kind, acc) {
            (AggKind::Count, Acc::Count(n)) => {
                // `count(x)` counts non-null values; `count()` counts rows.
                if self.args.is_empty() || !self.args[0].eval(row, rt)?.is_null() {
                    *n += 1;
                }
            }
            (AggKind::CountIf, Acc::Count(n)) => {
                if self.predicate(0, row, rt)? {
                    *n += 1;
                }
            }
            (AggKind::DCount | AggKind::DCountIf, Acc::Distinct(seen)) => {
                if self.kind == AggKind::DCountIf && !self.predicate(1, row, rt)? {
                    return Ok(());
                }
                let v = self.args[0].eval(row, rt)?;
                if !v.is_null() {
                    seen.insert(v.group_key());
                }
            }
            (AggKind::MakeSet | AggKind::MakeSetIf, Acc::Set { seen, items, limit }) => {
                if self.kind == AggKind::MakeSetIf && !self.predicate(1, row, rt)? {
                    return Ok(());
                }
                let v = self.args[0].eval(row, rt)?;
                // make_set of an array adds its elements.
                let values: Vec<Value> = match &v {
                    Value::Dynamic(Json::Array(a)) => a.iter().map(Value::from_dynamic).collect(),
                    v if v.is_null() => Vec::new(),
                    v => vec![v.clone()],
                };
                for v in values {
                    if items.len() < *limit && seen.insert(v.group_key()) {
                        items.push(v.to_json());
                    }
                }
            }
            (AggKind::MakeList | AggKind::MakeListIf, Acc::List { items, limit }) => {
                if self.kind == AggKind::MakeListIf && !self.predicate(1, row, rt)? {
                    return Ok(());
                }
                let v = self.args[0].eval(row, rt)?;
                if !v.is_null() && items.len() < *limit {
                    items.push(v.to_json());
                }
            }
            (AggKind::MakeBag, Acc::Bag(map)) => {
                if let Value::Dynamic(Json::Object(m)) = self.args[0].eval(row, rt)? {
                    for (k, v) in m {
                        map.entry(k).or_insert(v);
                    }
                }
            }
            (
                kind @ (AggKind::Min | AggKind::Max | AggKind::MinIf | AggKind::MaxIf),
                Acc::Extreme(best),
            ) => {
                if matches!(kind, AggKind::MinIf | AggKind::MaxIf) && !self.predicate(1, row, rt)? {
                    return Ok(());
                }
                let v = self.args[0].eval(row, rt)?;
                if v.is_null() {
                    return Ok(());
                }
                let want_max = matches!(kind, AggKind::Max | AggKind::MaxIf);
                let better = match best {
                    None => true,
                    Some(b) => v
                        .compare(b)
                        .is_some_and(|o| if want_max { o.is_gt() } else { o.is_lt() }),
                };
                if better {
                    *best = Some(v);
                }
            }
            (kind @ (AggKind::Sum | AggKind::SumIf), Acc::Sum(total)) => {
                if kind == AggKind::SumIf && !self.predicate(1, row, rt)? {
                    return Ok(());
                }
                let v = self.args[0].eval(row, rt)?;
                *total = match (total.take(), v) {
                    (t, Value::Null) => t,
                    (None, v) => Some(v),
                    (Some(Value::Long(a)), Value::Long(b)) => {
                        Some(Value::Long(a.saturating_add(b)))
                    }
                    (Some(Value::Timespan(a)), Value::Timespan(b)) => Some(Value::Timespan(a + b)),
                    (Some(a), b) => Some(match (a.as_f64(), b.as_f64()) {
                        (Some(x), Some(y)) => Value::Real(x + y),
                        _ => a,
                    }),
                };
            }
            (kind @ (AggKind::Avg | AggKind::AvgIf), Acc::Avg { sum, n }) => {
                if kind == AggKind::AvgIf && !self.predicate(1, row, rt)? {
                    return Ok(());
                }
                if let Some(x) = self.args[0].eval(row, rt)?.as_f64() {
                    *sum += x;
                    *n += 1;
                }
            }
            (kind @ (AggKind::ArgMax | AggKind::ArgMin), Acc::Arg { key, values }) => {
                let v = self.args[0].eval(row, rt)?;
                if v.is_null() {
                    return Ok(());
                }
                let better = match key {
                    None => true,
                    Some(k) => v.compare(k).is_some_and(|o| {
                        if kind == AggKind::ArgMax {
                            o.is_gt()
                        } else {
                            o.is_lt()
                        }
                    }),
                };
                if better {
                    *values = self.args[1..]
                        .iter()
                        .map(|a| a.eval(row, rt))
                        .collect::<Result<_, _>>()?;
                    *key = Some(v);
                }
            }
            (AggKind::Any, Acc::Any(first)) => {
                if first.is_none() {
                    *first = Some(
                        self.args
                            .iter()
                            .map(|a| a.eval(row, rt))
                            .collect::<Result<_, _>>()?,
                    );
                }
            }
            (AggKind::Percentile | AggKind::Stdev | AggKind::Variance, Acc::Numbers(xs)) => {
                if let Some(x) = self.args[0].eval(row, rt)?.as_f64() {
                    xs.push(x);
                }
            }
            _ => unreachable!("aggregate state always matches its kind"),
        }
        Ok(())
    }

    /// The final value(s) of a group. `arg_max`/`any` give several.
    pub fn finish(&self, acc: Acc) -> Vec<Value> {
        match acc {
            Acc::Count(n) => vec![Value::Long(n)],
            Acc::Distinct(seen) => vec![Value::Long(seen.len() as i64)],
            Acc::Set { items, .. } | Acc::List { items, .. } => {
                vec![Value::Dynamic(Json::Array(items))]
            }
            Acc::Bag(map) => vec![Value::Dynamic(Json::Object(map))],
            Acc::Extreme(best) => vec![best.unwrap_or(Value::Null)],
            // The sum of nothing is 0.
            Acc::Sum(total) => vec![total.unwrap_or(Value::Long(0))],
            Acc::Avg { sum, n } => vec![if n == 0 {
                Value::Null
            } else {
                Value::Real(sum / n as f64)
            }],
            Acc::Arg { key, values } => {
                let mut out = vec![key.unwrap_or(Value::Null)];
                if values.is_empty() {
                    out.extend(std::iter::repeat_n(
                        Value::Null,
                        self.outputs.saturating_sub(1),
                    ));
                } else {
                    out.extend(values);
                }
                out
            }
            Acc::Any(first) => first.unwrap_or_else(|| vec![Value::Null; self.outputs]),
            Acc::Numbers(mut xs) => vec![match self.kind {
                AggKind::Percentile => {
                    let p = match self.args.get(1) {
                        Some(CExpr::Lit(v)) => v.as_f64().unwrap_or(50.0),
                        _ => 50.0,
                    };
                    if xs.is_empty() {
                        Value::Null
                    } else {
                        xs.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
                        // Nearest rank.
                        let rank = ((p / 100.0) * xs.len() as f64).ceil().max(1.0) as usize;
                        Value::Real(xs[rank.min(xs.len()) - 1])
                    }
                }
                _ => {
                    if xs.len() < 2 {
                        Value::Real(0.0)
                    } else {
                        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
                        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
                            / (xs.len() - 1) as f64;
                        Value::Real(if self.kind == AggKind::Stdev {
                            var.sqrt()
                        } else {
                            var
                        })
                    }
                }
            }],
        }
    }
}
