//! Tabular evaluation: sources and operators, with row provenance carried
//! through every one of them.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value as Json;

use super::agg::{AggKind, Aggregate};
use super::ast::*;
use super::error::EvalError;
use super::expr::{AGGREGATES, CExpr, Env, RowRef, eval_constant};
use super::external::{self, External};
use super::file_profile;
use super::runtime::{Binding, Runtime, Scope, UserFunction};
use super::span::Span;
use super::table::{Column, Row, Table};
use super::value::{KqlType, Value};

impl Runtime<'_> {
    /// Run a parsed query.
    pub fn run_query(&self, q: &Query) -> Result<Table, EvalError> {
        let scope = self.bind_lets(&q.lets, &Rc::new(Scope::default()))?;
        self.eval_tabular(&q.body, &scope)
    }

    /// Run a query on the data at or after `since` only.
    pub fn run_query_since(&self, q: &Query, since: i64) -> Result<Table, EvalError> {
        let window = super::runtime::SinceDb {
            inner: self.db,
            since,
        };
        Runtime::new(&window, self.cx.now).run_query(q)
    }

    /// Bind `let` statements in order, each seeing the ones before it.
    pub fn bind_lets(&self, lets: &[Let], parent: &Rc<Scope>) -> Result<Rc<Scope>, EvalError> {
        let mut scope = Rc::clone(parent);
        for l in lets {
            let binding = match &l.value {
                LetValue::Function { params, body } => Binding::Function(Rc::new(UserFunction {
                    params: params.clone(),
                    body: (**body).clone(),
                    scope: Rc::clone(&scope),
                })),
                LetValue::Tabular(t) => Binding::Table(Rc::new(self.eval_tabular(t, &scope)?)),
                LetValue::Scalar(e) => match self.as_table(e, &scope)? {
                    Some(t) => Binding::Table(Rc::new(t)),
                    None => Binding::Scalar(eval_constant(self, e, &scope)?),
                },
            };
            scope = Scope::child(&scope, HashMap::from([(l.name.clone(), binding)]));
        }
        Ok(scope)
    }

    /// A `let` value written like a scalar that names a table (`let t = T;`,
    /// `let t = f(1);` for a tabular function).
    fn as_table(&self, e: &Expr, scope: &Rc<Scope>) -> Result<Option<Table>, EvalError> {
        match &e.kind {
            ExprKind::Column(name) => match scope.get(name) {
                Some(Binding::Table(t)) => Ok(Some((*t).clone())),
                Some(_) => Ok(None),
                None => Ok(self.db.table(name)),
            },
            ExprKind::Call { name, args } => {
                let tabular_fn = matches!(scope.get(name), Some(Binding::Function(f)) if matches!(f.body.result, FunctionResult::Tabular(_)));
                if tabular_fn || name == "materialize" || name == "view" {
                    Ok(Some(self.call_tabular(name, args, e.span, scope)?))
                } else {
                    Ok(None)
                }
            }
            ExprKind::Tabular(t) => Ok(Some(self.eval_tabular(t, scope)?)),
            _ => Ok(None),
        }
    }

    pub fn eval_tabular(&self, t: &Tabular, scope: &Rc<Scope>) -> Result<Table, EvalError> {
        stacker::maybe_grow(
            super::expr::STACK_RED_ZONE,
            super::expr::STACK_GROWTH,
            || self.eval_tabular_here(t, scope),
        )
    }

    fn eval_tabular_here(&self, t: &Tabular, scope: &Rc<Scope>) -> Result<Table, EvalError> {
        let mut table = self.eval_source(&t.source, scope)?;
        for op in &t.ops {
            table = self.apply(table, op, scope)?;
        }
        Ok(table)
    }

    /// Evaluate `union`'s legs after `parts`; with `isfuzzy=true` a leg naming
    /// a missing table is left out, as Kusto does.
    fn union_legs(
        &self,
        mut parts: Vec<(String, Table)>,
        tables: &[Tabular],
        params: &UnionParams,
        scope: &Rc<Scope>,
    ) -> Result<Vec<(String, Table)>, EvalError> {
        for t in tables {
            match self.eval_tabular(t, scope) {
                Ok(table) => parts.push((table_label(t), table)),
                Err(e) if params.fuzzy && e.unknown_table.is_some() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(parts)
    }

    fn eval_source(&self, source: &Source, scope: &Rc<Scope>) -> Result<Table, EvalError> {
        match source {
            Source::Name(name, span) => match scope.get(name) {
                Some(Binding::Table(t)) => Ok((*t).clone()),
                Some(Binding::Function(_)) => self.call_tabular(name, &[], *span, scope),
                Some(Binding::Scalar(_)) => Err(EvalError::new(*span, format!("`{name}` is a scalar, not a table"))),
                None => self.db.table(name).ok_or_else(|| {
                    let mut e = EvalError::new(*span, format!("unknown table `{name}`")).with_help("bundles carry Defender XDR and SecurityEvent tables; docs/kql.md lists them");
                    e.unknown_table = Some(name.clone());
                    e
                }),
            },
            Source::Call { name, args, span } => self.call_tabular(name, args, *span, scope),
            Source::Paren(inner) => self.eval_tabular(inner, scope),
            Source::Union { params, tables, .. } => {
                let parts = self.union_legs(Vec::new(), tables, params, scope)?;
                Ok(union(parts, params.kind_outer, params.with_source.as_deref()))
            }
            Source::Datatable { columns, values, span } => {
                let mut table = Table::new(columns.iter().map(|(n, t)| Column { name: n.clone(), ty: *t }).collect());
                if columns.is_empty() || values.len() % columns.len() != 0 {
                    return Err(EvalError::new(*span, format!("datatable has {} values for {} columns", values.len(), columns.len())));
                }
                let mut cells = Vec::with_capacity(values.len());
                for (i, v) in values.iter().enumerate() {
                    let value = eval_constant(self, v, scope)?;
                    cells.push(coerce(value, columns[i % columns.len()].1));
                }
                for chunk in cells.chunks(columns.len()) {
                    table.rows.push(Row { values: chunk.to_vec(), prov: Vec::new() });
                }
                Ok(table)
            }
            Source::Print(items) => {
                let empty = Table::new(Vec::new());
                let mut table = Table::new(Vec::new());
                let row = Row { values: Vec::new(), prov: Vec::new() };
                let columns = empty.index_map();
                let env = Env::new(&columns);
                let mut values = Vec::new();
                for item in items {
                    let c = self.compile(&item.expr, &env, scope)?;
                    let v = c.eval(&RowRef { values: &row.values, prov: &row.prov, window: None }, self)?;
                    let name = item.name.clone().unwrap_or_else(|| default_name(&item.expr, &table));
                    table.columns.push(Column { name, ty: v.type_of().unwrap_or(KqlType::String) });
                    values.push(v);
                }
                table.rows.push(Row { values, prov: Vec::new() });
                Ok(table)
            }
            Source::Range { column, from, to, step } => {
                let (f, t, s) = (eval_constant(self, from, scope)?, eval_constant(self, to, scope)?, eval_constant(self, step, scope)?);
                let mut table = Table::new(vec![Column { name: column.clone(), ty: f.type_of().unwrap_or(KqlType::Long) }]);
                let mut cur = f;
                let mut guard = 0;
                while cur.compare(&t).is_some_and(|o| o.is_le()) && guard < 1_000_000 {
                    table.rows.push(Row { values: vec![cur.clone()], prov: Vec::new() });
                    cur = match (&cur, &s) {
                        (Value::DateTime(a), Value::Timespan(b)) => Value::DateTime(a + b),
                        (Value::Long(a), Value::Long(b)) => Value::Long(a + b),
                        (a, b) => match (a.as_f64(), b.as_f64()) {
                            (Some(x), Some(y)) => Value::Real(x + y),
                            _ => break,
                        },
                    };
                    guard += 1;
                }
                Ok(table)
            }
            Source::ExternalData {
                columns,
                urls,
                properties,
                span,
            } => self.external_data(columns, urls, properties, *span),
        }
    }

    /// `externaldata`: each URL's local fixture, read in the declared format.
    fn external_data(
        &self,
        columns: &[(String, KqlType)],
        urls: &[String],
        properties: &[(String, String)],
        span: Span,
    ) -> Result<Table, EvalError> {
        let property = |key: &str| {
            properties
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let ignore_first =
            property("ignorefirstrecord").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let mut table = external::empty_table(columns);
        for url in urls {
            match self.db.external_data(url) {
                External::Content(text) => {
                    let format = external::format_of(url, property("format"));
                    let rows = external::read(&text, &format, columns, ignore_first)
                        .map_err(|m| EvalError::new(span, format!("externaldata `{url}`: {m}")))?;
                    table.rows.extend(rows);
                }
                External::Empty => {}
                External::Missing => {
                    return Err(EvalError::new(
                        span,
                        format!("externaldata `{url}` has no local fixture; rulecheck never reads the network"),
                    )
                    .with_help("map the URL to a file under `kql: externaldata:` in rulecheck.yaml (docs/kql.md)"));
                }
            }
        }
        Ok(table)
    }

    fn call_tabular(
        &self,
        name: &str,
        args: &[Expr],
        span: Span,
        scope: &Rc<Scope>,
    ) -> Result<Table, EvalError> {
        if name == "materialize" || name == "view" {
            let Some(arg) = args.first() else {
                return Err(EvalError::new(
                    span,
                    format!("`{name}` needs a tabular argument"),
                ));
            };
            return match &arg.kind {
                ExprKind::Tabular(t) => self.eval_tabular(t, scope),
                _ => self.as_table(arg, scope)?.ok_or_else(|| {
                    EvalError::new(arg.span, format!("`{name}` needs a tabular argument"))
                }),
            };
        }
        let Some(Binding::Function(f)) = scope.get(name) else {
            return Err(EvalError::new(
                span,
                format!("unknown tabular function `{name}`"),
            ));
        };
        let FunctionResult::Tabular(body) = &f.body.result else {
            return Err(EvalError::new(
                span,
                format!("`{name}` returns a scalar, not a table"),
            ));
        };
        let mut vars = HashMap::new();
        for (i, p) in f.params.iter().enumerate() {
            let binding = match (args.get(i), &p.default, p.ty) {
                (Some(a), _, None) => {
                    Binding::Table(Rc::new(self.as_table(a, scope)?.ok_or_else(|| {
                        EvalError::new(a.span, format!("`{}` expects a table", p.name))
                    })?))
                }
                (Some(a), _, Some(_)) => Binding::Scalar(eval_constant(self, a, scope)?),
                (None, Some(d), _) => Binding::Scalar(eval_constant(self, d, &f.scope)?),
                (None, None, _) => {
                    return Err(EvalError::new(
                        span,
                        format!("`{name}` needs argument `{}`", p.name),
                    ));
                }
            };
            vars.insert(p.name.clone(), binding);
        }
        let call_scope = Scope::child(&f.scope, vars);
        let body_scope = self.bind_lets(&f.body.lets, &call_scope)?;
        self.eval_tabular(body, &body_scope)
    }

    fn apply(&self, mut table: Table, op: &Op, scope: &Rc<Scope>) -> Result<Table, EvalError> {
        let columns = table.index_map();
        let env = Env::new(&columns);
        match &op.kind {
            OpKind::Where(pred) => {
                let c = self.compile(pred, &env, scope)?;
                let mut kept = Vec::with_capacity(table.rows.len());
                for row in table.rows {
                    // A null predicate drops the row, like false.
                    if c.eval(
                        &RowRef {
                            values: &row.values,
                            prov: &row.prov,
                            window: None,
                        },
                        self,
                    )?
                    .is_true()
                    {
                        kept.push(row);
                    }
                }
                table.rows = kept;
                Ok(table)
            }
            OpKind::Project(items) => self.project(&table, items, &env, scope, false),
            OpKind::Extend(items) | OpKind::Serialize(items) => {
                self.project(&table, items, &env, scope, true)
            }
            OpKind::ProjectAway(patterns) => {
                let keep: Vec<usize> = (0..table.columns.len())
                    .filter(|&i| !patterns.iter().any(|p| wildcard(p, &table.columns[i].name)))
                    .collect();
                Ok(select(table, &keep))
            }
            OpKind::ProjectKeep(patterns) => {
                let keep: Vec<usize> = (0..table.columns.len())
                    .filter(|&i| patterns.iter().any(|p| wildcard(p, &table.columns[i].name)))
                    .collect();
                Ok(select(table, &keep))
            }
            OpKind::ProjectReorder(patterns) => {
                let mut order: Vec<usize> = Vec::new();
                for p in patterns {
                    for i in 0..table.columns.len() {
                        if wildcard(p, &table.columns[i].name) && !order.contains(&i) {
                            order.push(i);
                        }
                    }
                }
                let rest: Vec<usize> = (0..table.columns.len())
                    .filter(|i| !order.contains(i))
                    .collect();
                order.extend(rest);
                Ok(select(table, &order))
            }
            OpKind::ProjectRename(pairs) => {
                for (new, old) in pairs {
                    let Some(i) = table.column_index(old) else {
                        return Err(EvalError::new(
                            op.span,
                            format!("unknown column `{old}` in project-rename"),
                        ));
                    };
                    table.columns[i].name = new.clone();
                }
                Ok(table)
            }
            OpKind::Summarize { aggregates, by } => {
                self.summarize(table, aggregates, by, &env, scope)
            }
            OpKind::Sort(keys) => {
                let compiled = keys
                    .iter()
                    .map(|k| {
                        Ok((
                            self.compile(&k.expr, &env, scope)?,
                            k.descending,
                            k.nulls_first,
                        ))
                    })
                    .collect::<Result<Vec<_>, EvalError>>()?;
                self.sort(&mut table, &compiled)?;
                Ok(table)
            }
            OpKind::Top { count, key } => {
                let n = take_count(self, count, scope)?;
                let compiled = vec![(
                    self.compile(&key.expr, &env, scope)?,
                    key.descending,
                    key.nulls_first,
                )];
                self.sort(&mut table, &compiled)?;
                table.rows.truncate(n);
                Ok(table)
            }
            OpKind::Take(count) => {
                let n = take_count(self, count, scope)?;
                table.rows.truncate(n);
                Ok(table)
            }
            OpKind::Distinct(items) => {
                let projected = if items.is_empty() {
                    table
                } else {
                    self.project(&table, items, &env, scope, false)?
                };
                let mut seen: HashMap<String, usize> = HashMap::new();
                let mut out = Table::new(projected.columns.clone());
                for row in projected.rows {
                    let key = row_key(&row.values);
                    match seen.get(&key) {
                        Some(&i) => out.rows[i].merge_prov(&row.prov),
                        None => {
                            seen.insert(key, out.rows.len());
                            out.rows.push(row);
                        }
                    }
                }
                Ok(out)
            }
            OpKind::Count => {
                let prov = table.provenance();
                Ok(Table {
                    columns: vec![Column {
                        name: "Count".into(),
                        ty: KqlType::Long,
                    }],
                    rows: vec![Row {
                        values: vec![Value::Long(table.rows.len() as i64)],
                        prov,
                    }],
                })
            }
            OpKind::Render | OpKind::AsName(_) => Ok(table),
            OpKind::GetSchema => {
                let mut out = Table::new(vec![
                    Column {
                        name: "ColumnName".into(),
                        ty: KqlType::String,
                    },
                    Column {
                        name: "ColumnOrdinal".into(),
                        ty: KqlType::Long,
                    },
                    Column {
                        name: "DataType".into(),
                        ty: KqlType::String,
                    },
                    Column {
                        name: "ColumnType".into(),
                        ty: KqlType::String,
                    },
                ]);
                for (i, c) in table.columns.iter().enumerate() {
                    out.rows.push(Row {
                        values: vec![
                            Value::String(c.name.clone()),
                            Value::Long(i as i64),
                            Value::String(dotnet_type(c.ty).into()),
                            Value::String(c.ty.name().into()),
                        ],
                        prov: Vec::new(),
                    });
                }
                Ok(out)
            }
            OpKind::Join { kind, right, on } => {
                let right = self.eval_tabular(right, scope)?;
                join(table, right, *kind, on, op.span)
            }
            OpKind::Lookup { outer, right, on } => {
                let right = self.eval_tabular(right, scope)?;
                lookup(table, right, *outer, on, op.span)
            }
            OpKind::Union { params, tables } => {
                let parts = self.union_legs(vec![(String::new(), table)], tables, params, scope)?;
                Ok(union(
                    parts,
                    params.kind_outer,
                    params.with_source.as_deref(),
                ))
            }
            OpKind::MvExpand {
                columns: cols,
                limit,
            } => {
                let limit = match limit {
                    Some(l) => Some(take_count(self, l, scope)?),
                    None => None,
                };
                self.mv_expand(table, cols, limit, &env, scope)
            }
            OpKind::MvApply {
                columns: cols,
                limit,
                subquery,
            } => {
                let limit = match limit {
                    Some(l) => Some(take_count(self, l, scope)?),
                    None => None,
                };
                // Each row expands into a subtable the subquery runs on; the
                // source's other columns are then added back where the
                // subquery dropped them, and the results are unioned. The
                // empty input still yields the subquery's columns.
                let template = Table::new(table.columns.clone());
                let expanded_names: Vec<&str> = cols.iter().map(|(n, _, _)| n.as_str()).collect();
                let run_one =
                    |single: Table, source: Option<&[Value]>| -> Result<Table, EvalError> {
                        let mut sub_table = self.mv_expand(single, cols, limit, &env, scope)?;
                        for sub in subquery {
                            sub_table = self.apply(sub_table, sub, scope)?;
                        }
                        let dropped: Vec<usize> = template
                            .columns
                            .iter()
                            .enumerate()
                            .filter(|(_, c)| {
                                sub_table.column_index(&c.name).is_none()
                                    && !expanded_names.contains(&c.name.as_str())
                            })
                            .map(|(i, _)| i)
                            .collect();
                        if dropped.is_empty() {
                            return Ok(sub_table);
                        }
                        let mut columns: Vec<Column> = dropped
                            .iter()
                            .map(|&i| template.columns[i].clone())
                            .collect();
                        columns.extend(sub_table.columns);
                        let rows = sub_table
                            .rows
                            .into_iter()
                            .map(|r| {
                                let mut values: Vec<Value> = dropped
                                    .iter()
                                    .map(|&i| source.map_or(Value::Null, |s| s[i].clone()))
                                    .collect();
                                values.extend(r.values);
                                Row {
                                    values,
                                    prov: r.prov,
                                }
                            })
                            .collect();
                        Ok(Table { columns, rows })
                    };
                // Only the columns: `summarize` on the empty subtable yields a row.
                let schema = run_one(template.clone(), None)?;
                let mut parts = vec![(String::new(), Table::new(schema.columns))];
                for row in table.rows {
                    let source = row.values.clone();
                    let mut single = template.clone();
                    single.rows.push(row);
                    parts.push((String::new(), run_one(single, Some(&source))?));
                }
                Ok(union(parts, true, None))
            }
            OpKind::Parse {
                source,
                parts,
                where_,
                regex,
            } => self.parse(table, source, parts, *where_, *regex, &env, scope, op.span),
            OpKind::Invoke { name, args } if name == "FileProfile" => {
                self.file_profile(table, args, scope, op.span)
            }
            OpKind::Invoke { name, .. } => Err(EvalError::new(
                op.span,
                format!("`invoke {name}` is not supported"),
            )
            .with_help("docs/kql.md lists what rulecheck's KQL supports")),
            OpKind::Evaluate { name, args } => match name.as_str() {
                "bag_unpack" => self.bag_unpack(table, args, &env, scope, op.span),
                other => Err(EvalError::new(
                    op.span,
                    format!("plugin `evaluate {other}` is not supported"),
                )
                .with_help("rulecheck supports `evaluate bag_unpack`")),
            },
        }
    }

    /// `invoke FileProfile(column = SHA1, limit = 100)`: the column may be
    /// named bare or as a string.
    fn file_profile(
        &self,
        table: Table,
        args: &[Expr],
        scope: &Rc<Scope>,
        span: Span,
    ) -> Result<Table, EvalError> {
        let column = match args.first().map(|a| &a.kind) {
            None => "SHA1".to_string(),
            Some(ExprKind::Column(name)) => name.clone(),
            Some(_) => match eval_constant(self, &args[0], scope)? {
                Value::String(s) => s,
                other => {
                    return Err(EvalError::new(
                        args[0].span,
                        format!(
                            "FileProfile: expected a column name, found `{}`",
                            other.to_text()
                        ),
                    ));
                }
            },
        };
        let limit = match args.get(1) {
            None => file_profile::DEFAULT_LIMIT,
            Some(a) => eval_constant(self, a, scope)?
                .as_i64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    EvalError::new(a.span, "FileProfile: the limit must be a positive number")
                })?,
        };
        file_profile::enrich(table, &column, limit, &|h| self.db.file_profile(h), span)
    }

    fn project(
        &self,
        table: &Table,
        items: &[NamedExpr],
        env: &Env<'_>,
        scope: &Rc<Scope>,
        extend: bool,
    ) -> Result<Table, EvalError> {
        let mut out_columns: Vec<Column> = if extend {
            table.columns.clone()
        } else {
            Vec::new()
        };
        // (target column index, compiled expression, tuple element when `(a, b) = …`)
        let mut plan: Vec<(usize, CExpr, Option<usize>)> = Vec::new();
        let mut naming = Table::new(out_columns.clone());
        for item in items {
            let compiled = self.compile(&item.expr, env, scope)?;
            let names: Vec<(String, Option<usize>)> = if item.names.is_empty() {
                let name = item.name.clone().unwrap_or_else(|| {
                    item.expr
                        .column_name()
                        .map(str::to_string)
                        .unwrap_or_else(|| default_name(&item.expr, &naming))
                });
                vec![(name, None)]
            } else {
                item.names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), Some(i)))
                    .collect()
            };
            for (name, element) in names {
                let ty = match &item.expr.kind {
                    ExprKind::Column(c) => table.column_index(c).map(|i| table.columns[i].ty),
                    _ => None,
                }
                .unwrap_or(KqlType::Dynamic);
                let target = match out_columns.iter().position(|c| c.name == name) {
                    Some(i) => {
                        out_columns[i].ty = ty;
                        i
                    }
                    None => {
                        out_columns.push(Column {
                            name: name.clone(),
                            ty,
                        });
                        out_columns.len() - 1
                    }
                };
                naming.columns = out_columns.clone();
                plan.push((target, compiled.clone(), element));
            }
        }
        let mut out = Table::new(out_columns);
        for (index, row) in table.rows.iter().enumerate() {
            let rr = RowRef {
                values: &row.values,
                prov: &row.prov,
                window: Some((&table.rows, index)),
            };
            let mut values = if extend {
                row.values.clone()
            } else {
                vec![Value::Null; out.columns.len()]
            };
            values.resize(out.columns.len(), Value::Null);
            for (target, c, element) in &plan {
                let v = c.eval(&rr, self)?;
                values[*target] = match element {
                    Some(i) => super::expr::subscript(&v, &Value::Long(*i as i64)),
                    None => v,
                };
            }
            out.rows.push(Row {
                values,
                prov: row.prov.clone(),
            });
        }
        settle_types(&mut out);
        Ok(out)
    }

    fn summarize(
        &self,
        table: Table,
        aggregates: &[NamedExpr],
        by: &[NamedExpr],
        env: &Env<'_>,
        scope: &Rc<Scope>,
    ) -> Result<Table, EvalError> {
        // Group-by expressions and their output names.
        let mut out_columns: Vec<Column> = Vec::new();
        let mut group_exprs = Vec::new();
        for (i, item) in by.iter().enumerate() {
            let name = item.name.clone().unwrap_or_else(|| match &item.expr.kind {
                // `bin(Timestamp, 1h)` keeps the column's name.
                ExprKind::Call { name, args }
                    if (name == "bin" || name == "floor" || name == "bin_at")
                        && !args.is_empty() =>
                {
                    args[0]
                        .column_name()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("Column{}", i + 1))
                }
                _ => item
                    .expr
                    .column_name()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("Column{}", i + 1)),
            });
            group_exprs.push(self.compile(&item.expr, env, scope)?);
            out_columns.push(Column {
                name,
                ty: KqlType::Dynamic,
            });
        }
        let by_names: Vec<String> = out_columns.iter().map(|c| c.name.clone()).collect();
        // Aggregates: each item's aggregate calls are computed, then the item's
        // expression over them (for `count() * 100 / dcount(x)` and the like).
        let mut aggs: Vec<Aggregate> = Vec::new();
        let mut finals: Vec<(Vec<String>, Option<Expr>, usize, usize)> = Vec::new(); // names, post-expr, first agg output, output count
        let mut agg_output_names: Vec<String> = Vec::new();
        for item in aggregates {
            if let ExprKind::Call { name, args } = &item.expr.kind {
                if let Some(kind) = AggKind::from_name(name) {
                    let (agg, names) = self.compile_aggregate(
                        kind,
                        name,
                        args,
                        item,
                        &table,
                        &by_names,
                        env,
                        scope,
                        item.expr.span,
                    )?;
                    let first = agg_output_names.len();
                    agg_output_names.extend(names.iter().cloned());
                    finals.push((names.clone(), None, first, names.len()));
                    aggs.push(agg);
                    continue;
                }
            }
            // An expression over aggregates.
            let mut rewritten = item.expr.clone();
            let mut found = Vec::new();
            extract_aggregates(&mut rewritten, agg_output_names.len(), &mut found);
            if found.is_empty() {
                return Err(EvalError::new(
                    item.expr.span,
                    "summarize needs an aggregate function here (count(), sum(…), …)",
                ));
            }
            let first = agg_output_names.len();
            for (i, (name, args, aspan)) in found.iter().enumerate() {
                let kind =
                    AggKind::from_name(name).expect("extract_aggregates only collects aggregates");
                let placeholder = NamedExpr {
                    name: Some(format!("__agg{}", first + i)),
                    names: Vec::new(),
                    expr: item.expr.clone(),
                };
                let (agg, _) = self.compile_aggregate(
                    kind,
                    name,
                    args,
                    &placeholder,
                    &table,
                    &by_names,
                    env,
                    scope,
                    *aspan,
                )?;
                if agg.outputs != 1 {
                    return Err(EvalError::new(
                        *aspan,
                        format!("`{name}` with several outputs cannot be part of an expression"),
                    ));
                }
                agg_output_names.push(format!("__agg{}", first + i));
                aggs.push(agg);
            }
            let name = item
                .name
                .clone()
                .unwrap_or_else(|| format!("Column{}", finals.len() + 1));
            finals.push((vec![name], Some(rewritten), first, found.len()));
        }
        // Fold rows into groups (first-seen order, for deterministic output).
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut groups: Vec<(Vec<Value>, Vec<super::agg::Acc>, Vec<u32>)> = Vec::new();
        for row in &table.rows {
            let rr = RowRef {
                values: &row.values,
                prov: &row.prov,
                window: None,
            };
            let keys = group_exprs
                .iter()
                .map(|g| g.eval(&rr, self))
                .collect::<Result<Vec<_>, _>>()?;
            let key = row_key(&keys);
            let gi = match index.get(&key) {
                Some(&i) => i,
                None => {
                    index.insert(key, groups.len());
                    groups.push((
                        keys,
                        aggs.iter().map(Aggregate::start).collect(),
                        Vec::new(),
                    ));
                    groups.len() - 1
                }
            };
            let (_, accs, prov) = &mut groups[gi];
            for (agg, acc) in aggs.iter().zip(accs.iter_mut()) {
                agg.add(acc, &rr, self)?;
            }
            prov.extend_from_slice(&row.prov);
        }
        // With no `by`, an empty input still gives one row of defaults.
        if groups.is_empty() && by.is_empty() {
            groups.push((
                Vec::new(),
                aggs.iter().map(Aggregate::start).collect(),
                Vec::new(),
            ));
        }
        let post_columns: HashMap<String, usize> = agg_output_names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let post_env = Env::new(&post_columns);
        let mut compiled_finals = Vec::new();
        for (names, post, first, count) in &finals {
            compiled_finals.push((
                names.clone(),
                post.as_ref()
                    .map(|e| self.compile(e, &post_env, scope))
                    .transpose()?,
                *first,
                *count,
            ));
        }
        for (names, _, _, _) in &compiled_finals {
            for n in names {
                let unique = Table::new(out_columns.clone()).unique_name(n);
                out_columns.push(Column {
                    name: unique,
                    ty: KqlType::Dynamic,
                });
            }
        }
        let mut out = Table::new(out_columns);
        for (keys, accs, mut prov) in groups {
            let mut agg_values = Vec::new();
            for (agg, acc) in aggs.iter().zip(accs) {
                agg_values.extend(agg.finish(acc));
            }
            let mut values = keys;
            for (_, post, first, count) in &compiled_finals {
                match post {
                    None => values.extend(agg_values[*first..*first + *count].iter().cloned()),
                    Some(c) => values.push(c.eval(
                        &RowRef {
                            values: &agg_values,
                            prov: &[],
                            window: None,
                        },
                        self,
                    )?),
                }
            }
            prov.sort_unstable();
            prov.dedup();
            out.rows.push(Row { values, prov });
        }
        settle_types(&mut out);
        Ok(out)
    }

    /// Compile one aggregate call; returns it and its output names.
    #[allow(clippy::too_many_arguments)]
    fn compile_aggregate(
        &self,
        kind: AggKind,
        name: &str,
        args: &[Expr],
        item: &NamedExpr,
        table: &Table,
        by_names: &[String],
        env: &Env<'_>,
        scope: &Rc<Scope>,
        span: Span,
    ) -> Result<(Aggregate, Vec<String>), EvalError> {
        let (min, max) = kind.arity();
        let star = args.iter().any(|a| matches!(a.kind, ExprKind::Star));
        let plain_args: Vec<&Expr> = args
            .iter()
            .filter(|a| !matches!(a.kind, ExprKind::Star))
            .collect();
        let count_args = if kind == AggKind::Count && star {
            0
        } else {
            args.len()
        };
        if count_args < min || count_args > max {
            return Err(EvalError::new(
                span,
                format!(
                    "`{name}` takes {min} to {max} arguments, not {}",
                    args.len()
                ),
            ));
        }
        if star
            && !matches!(
                kind,
                AggKind::ArgMax | AggKind::ArgMin | AggKind::Any | AggKind::Count
            )
        {
            return Err(EvalError::new(span, format!("`{name}(*)` is not allowed")));
        }
        let compiled = plain_args
            .iter()
            .map(|a| self.compile(a, env, scope))
            .collect::<Result<Vec<_>, _>>()?;
        let arg_name = |i: usize| {
            plain_args
                .get(i)
                .and_then(|a| a.column_name())
                .map(str::to_string)
        };
        let names: Vec<String> = match kind {
            AggKind::ArgMax | AggKind::ArgMin | AggKind::Any => {
                let mut names = Vec::new();
                // `Last = arg_max(Timestamp, *)` names the maximised value;
                // the row's columns (Timestamp among them) follow.
                let first = match (&item.name, kind) {
                    (Some(n), _) if plain_args.len() == 1 => n.clone(),
                    _ => arg_name(0).unwrap_or_else(|| format!("{}_", kind.prefix())),
                };
                if kind != AggKind::Any || !star {
                    names.push(first);
                }
                if star {
                    let skip: Vec<String> = names.iter().chain(by_names).cloned().collect();
                    names.extend(
                        table
                            .columns
                            .iter()
                            .map(|c| c.name.clone())
                            .filter(|n| !skip.contains(n)),
                    );
                } else {
                    for i in 1..plain_args.len() {
                        names.push(arg_name(i).unwrap_or_else(|| format!("Column{i}")));
                    }
                }
                names
            }
            _ => vec![item.name.clone().unwrap_or_else(|| {
                // Kusto names an unnamed aggregate after the function as
                // written, except make_set/make_list (`set_x`, `list_x`).
                let prefix = match name {
                    "count_distinct" | "sumif" | "minif" | "maxif" | "avgif" => name,
                    _ => kind.prefix(),
                };
                match kind {
                    AggKind::Count | AggKind::CountIf => format!("{prefix}_"),
                    _ => format!("{prefix}_{}", arg_name(0).unwrap_or_default()),
                }
            })],
        };
        // `arg_max(x, *)` captures the row's other columns: pass them as
        // explicit arguments, in output order.
        let compiled = if star && matches!(kind, AggKind::ArgMax | AggKind::ArgMin | AggKind::Any) {
            let wanted: Vec<usize> = names
                .iter()
                .skip(usize::from(kind != AggKind::Any))
                .filter_map(|n| table.column_index(n))
                .collect();
            let mut args = compiled;
            args.extend(wanted.into_iter().map(CExpr::Col));
            args
        } else {
            compiled
        };
        let outputs = names.len();
        Ok((
            Aggregate {
                kind,
                args: compiled,
                span,
                outputs,
            },
            names,
        ))
    }

    fn sort(&self, table: &mut Table, keys: &[(CExpr, bool, bool)]) -> Result<(), EvalError> {
        let mut keyed: Vec<(Vec<Value>, Row)> = Vec::with_capacity(table.rows.len());
        for row in std::mem::take(&mut table.rows) {
            let rr = RowRef {
                values: &row.values,
                prov: &row.prov,
                window: None,
            };
            let k = keys
                .iter()
                .map(|(c, _, _)| c.eval(&rr, self))
                .collect::<Result<Vec<_>, _>>()?;
            keyed.push((k, row));
        }
        keyed.sort_by(|(a, _), (b, _)| {
            for (i, (_, desc, nulls_first)) in keys.iter().enumerate() {
                let ord = match (a[i].is_null(), b[i].is_null()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => {
                        if *nulls_first {
                            std::cmp::Ordering::Less
                        } else {
                            std::cmp::Ordering::Greater
                        }
                    }
                    (false, true) => {
                        if *nulls_first {
                            std::cmp::Ordering::Greater
                        } else {
                            std::cmp::Ordering::Less
                        }
                    }
                    (false, false) => {
                        let o = a[i]
                            .compare(&b[i])
                            .unwrap_or_else(|| a[i].to_text().cmp(&b[i].to_text()));
                        if *desc { o.reverse() } else { o }
                    }
                };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
        table.rows = keyed.into_iter().map(|(_, r)| r).collect();
        Ok(())
    }

    fn mv_expand(
        &self,
        table: Table,
        cols: &[(String, Expr, Option<KqlType>)],
        limit: Option<usize>,
        env: &Env<'_>,
        scope: &Rc<Scope>,
    ) -> Result<Table, EvalError> {
        let compiled = cols
            .iter()
            .map(|(_, e, _)| self.compile(e, env, scope))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Table::new(table.columns.clone());
        let targets: Vec<usize> = cols
            .iter()
            .map(|(name, _, ty)| match out.column_index(name) {
                Some(i) => {
                    out.columns[i].ty = ty.unwrap_or(KqlType::Dynamic);
                    i
                }
                None => {
                    out.columns.push(Column {
                        name: name.clone(),
                        ty: ty.unwrap_or(KqlType::Dynamic),
                    });
                    out.columns.len() - 1
                }
            })
            .collect();
        for row in &table.rows {
            let rr = RowRef {
                values: &row.values,
                prov: &row.prov,
                window: None,
            };
            let arrays: Vec<Vec<Json>> = compiled
                .iter()
                .map(|c| {
                    c.eval(&rr, self).map(|v| match v {
                        Value::Dynamic(Json::Array(a)) => a,
                        // A bag expands into one single-property bag per key.
                        Value::Dynamic(Json::Object(m)) => m
                            .into_iter()
                            .map(|(k, v)| Json::Object(serde_json::Map::from_iter([(k, v)])))
                            .collect(),
                        v if v.is_null() => Vec::new(),
                        v => vec![v.to_json()],
                    })
                })
                .collect::<Result<_, _>>()?;
            let n = arrays
                .iter()
                .map(Vec::len)
                .max()
                .unwrap_or(0)
                .min(limit.unwrap_or(usize::MAX));
            for i in 0..n {
                let mut values = row.values.clone();
                values.resize(out.columns.len(), Value::Null);
                for (k, target) in targets.iter().enumerate() {
                    let item = arrays[k].get(i).cloned().unwrap_or(Json::Null);
                    values[*target] = match cols[k].2 {
                        Some(ty) => coerce(Value::from_dynamic(&item), ty),
                        None => Value::Dynamic(item),
                    };
                }
                out.rows.push(Row {
                    values,
                    prov: row.prov.clone(),
                });
            }
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn parse(
        &self,
        mut table: Table,
        source: &Expr,
        parts: &[ParsePart],
        where_: bool,
        regex_mode: bool,
        env: &Env<'_>,
        scope: &Rc<Scope>,
        span: Span,
    ) -> Result<Table, EvalError> {
        let src = self.compile(source, env, scope)?;
        let mut pattern = String::from("^");
        let mut columns = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            match p {
                ParsePart::Literal(l) => pattern.push_str(&if regex_mode {
                    l.clone()
                } else {
                    regex::escape(l)
                }),
                ParsePart::Skip => pattern.push_str(if last { "(?s:.*)" } else { "(?s:.*?)" }),
                ParsePart::Column(name, ty) => {
                    pattern.push_str(if last { "(?s:(.*))" } else { "(?s:(.*?))" });
                    columns.push((name.clone(), *ty));
                }
            }
        }
        let re = self
            .cx
            .regex(&pattern)
            .map_err(|m| EvalError::new(span, m))?;
        let targets: Vec<usize> = columns
            .iter()
            .map(|(name, ty)| match table.column_index(name) {
                Some(i) => i,
                None => {
                    table.columns.push(Column {
                        name: name.clone(),
                        ty: *ty,
                    });
                    table.columns.len() - 1
                }
            })
            .collect();
        let width = table.columns.len();
        let mut kept = Vec::with_capacity(table.rows.len());
        for mut row in std::mem::take(&mut table.rows) {
            let text = src
                .eval(
                    &RowRef {
                        values: &row.values,
                        prov: &row.prov,
                        window: None,
                    },
                    self,
                )?
                .to_text();
            row.values.resize(width, Value::Null);
            match re.captures(&text) {
                Some(caps) => {
                    for (k, target) in targets.iter().enumerate() {
                        let captured = caps.get(k + 1).map_or("", |m| m.as_str());
                        row.values[*target] =
                            coerce(Value::String(captured.to_string()), columns[k].1);
                    }
                    kept.push(row);
                }
                None if where_ => {}
                None => {
                    for (k, target) in targets.iter().enumerate() {
                        row.values[*target] = coerce(Value::String(String::new()), columns[k].1);
                    }
                    kept.push(row);
                }
            }
        }
        table.rows = kept;
        Ok(table)
    }

    fn bag_unpack(
        &self,
        mut table: Table,
        args: &[Expr],
        env: &Env<'_>,
        scope: &Rc<Scope>,
        span: Span,
    ) -> Result<Table, EvalError> {
        let Some(first) = args.first() else {
            return Err(EvalError::new(span, "`bag_unpack` needs a dynamic column"));
        };
        let source = self.compile(first, env, scope)?;
        let prefix = match args.get(1) {
            Some(p) => match eval_constant(self, p, scope)? {
                Value::String(s) => s,
                _ => String::new(),
            },
            None => String::new(),
        };
        let drop = first.column_name().and_then(|n| table.column_index(n));
        let mut bags = Vec::with_capacity(table.rows.len());
        let mut keys: Vec<String> = Vec::new();
        for row in &table.rows {
            let bag = match source.eval(
                &RowRef {
                    values: &row.values,
                    prov: &row.prov,
                    window: None,
                },
                self,
            )? {
                Value::Dynamic(Json::Object(m)) => m,
                _ => serde_json::Map::new(),
            };
            for k in bag.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
            bags.push(bag);
        }
        let base = table.columns.len();
        for k in &keys {
            let name = table.unique_name(&format!("{prefix}{k}"));
            table.columns.push(Column {
                name,
                ty: KqlType::Dynamic,
            });
        }
        for (row, bag) in table.rows.iter_mut().zip(bags) {
            row.values.resize(base, Value::Null);
            for k in &keys {
                row.values.push(
                    bag.get(k)
                        .map_or(Value::Null, |v| Value::Dynamic(v.clone())),
                );
            }
        }
        if let Some(d) = drop {
            let keep: Vec<usize> = (0..table.columns.len()).filter(|i| *i != d).collect();
            table = select(table, &keep);
        }
        Ok(table)
    }
}

fn take_count(rt: &Runtime<'_>, e: &Expr, scope: &Rc<Scope>) -> Result<usize, EvalError> {
    match eval_constant(rt, e, scope)?.as_i64() {
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(EvalError::new(e.span, "expected a non-negative row count")),
    }
}

/// Replace aggregate calls inside an expression by placeholder columns
/// `__aggN`, collecting the calls.
fn extract_aggregates(e: &mut Expr, first: usize, found: &mut Vec<(String, Vec<Expr>, Span)>) {
    if let ExprKind::Call { name, args } = &e.kind {
        if AGGREGATES.contains(&name.as_str()) && AggKind::from_name(name).is_some() {
            found.push((name.clone(), args.clone(), e.span));
            e.kind = ExprKind::Column(format!("__agg{}", first + found.len() - 1));
            return;
        }
    }
    match &mut e.kind {
        ExprKind::Call { args, .. } => args
            .iter_mut()
            .for_each(|a| extract_aggregates(a, first, found)),
        ExprKind::Binary { left, right, .. } | ExprKind::Str { left, right, .. } => {
            extract_aggregates(left, first, found);
            extract_aggregates(right, first, found);
        }
        ExprKind::Neg(inner) => extract_aggregates(inner, first, found),
        ExprKind::List { left, items, .. } => {
            extract_aggregates(left, first, found);
            items
                .iter_mut()
                .for_each(|a| extract_aggregates(a, first, found));
        }
        ExprKind::Between {
            value, low, high, ..
        } => {
            extract_aggregates(value, first, found);
            extract_aggregates(low, first, found);
            extract_aggregates(high, first, found);
        }
        ExprKind::Index { target, index } => {
            extract_aggregates(target, first, found);
            extract_aggregates(index, first, found);
        }
        ExprKind::Member { target, .. } => extract_aggregates(target, first, found),
        _ => {}
    }
}

/// `Column1`, `Column2`, …: Kusto's names for unnamed computed columns.
fn default_name(_e: &Expr, table: &Table) -> String {
    (1..)
        .map(|n| format!("Column{n}"))
        .find(|c| table.column_index(c).is_none())
        .unwrap_or_default()
}

fn table_label(t: &Tabular) -> String {
    match &t.source {
        Source::Name(n, _) if t.ops.is_empty() => n.clone(),
        _ => String::new(),
    }
}

fn row_key(values: &[Value]) -> String {
    let mut key = String::new();
    for v in values {
        key.push_str(&v.group_key());
        key.push('\u{1f}');
    }
    key
}

fn select(table: Table, keep: &[usize]) -> Table {
    Table {
        columns: keep.iter().map(|&i| table.columns[i].clone()).collect(),
        rows: table
            .rows
            .into_iter()
            .map(|r| Row {
                values: keep.iter().map(|&i| r.values[i].clone()).collect(),
                prov: r.prov,
            })
            .collect(),
    }
}

/// A name matches a pattern with `*` wildcards.
fn wildcard(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn coerce(v: Value, ty: KqlType) -> Value {
    match (ty, &v) {
        (_, Value::Null) => Value::Null,
        (KqlType::String, _) => Value::String(v.to_text()),
        (KqlType::Dynamic, _) => Value::Dynamic(v.to_json()),
        _ => Value::from_json_typed(&Json::String(v.to_text()), ty).pipe_or(v, ty),
    }
}

trait PipeOr {
    fn pipe_or(self, original: Value, ty: KqlType) -> Value;
}

impl PipeOr for Value {
    /// Keep an already well-typed value when re-reading it as text fails.
    fn pipe_or(self, original: Value, ty: KqlType) -> Value {
        if self.is_null()
            && original.type_of().is_some_and(|t| {
                t == ty || (matches!(t, KqlType::Long) && matches!(ty, KqlType::Int))
            })
        {
            original
        } else {
            self
        }
    }
}

/// Column types of computed columns: the type of their first non-null value.
fn settle_types(t: &mut Table) {
    for (i, c) in t.columns.iter_mut().enumerate() {
        if c.ty == KqlType::Dynamic {
            if let Some(ty) = t
                .rows
                .iter()
                .find_map(|r| r.values.get(i).and_then(Value::type_of))
            {
                c.ty = ty;
            }
        }
    }
}

fn dotnet_type(t: KqlType) -> &'static str {
    match t {
        KqlType::Bool => "System.Boolean",
        KqlType::DateTime => "System.DateTime",
        KqlType::Dynamic => "System.Object",
        KqlType::Guid => "System.Guid",
        KqlType::Int => "System.Int32",
        KqlType::Long => "System.Int64",
        KqlType::Real => "System.Double",
        KqlType::String => "System.String",
        KqlType::Timespan => "System.TimeSpan",
        KqlType::Decimal => "System.Data.SqlTypes.SqlDecimal",
    }
}

/// `union`: outer unions take every column (missing cells null), inner ones
/// only the columns all inputs share.
fn union(parts: Vec<(String, Table)>, outer: bool, with_source: Option<&str>) -> Table {
    let mut columns: Vec<Column> = Vec::new();
    if outer {
        for (_, t) in &parts {
            for c in &t.columns {
                if !columns.iter().any(|x| x.name == c.name) {
                    columns.push(c.clone());
                }
            }
        }
    } else if let Some((_, first)) = parts.first() {
        columns = first
            .columns
            .iter()
            .filter(|c| parts.iter().all(|(_, t)| t.column_index(&c.name).is_some()))
            .cloned()
            .collect();
    }
    if let Some(src) = with_source {
        columns.insert(
            0,
            Column {
                name: src.to_string(),
                ty: KqlType::String,
            },
        );
    }
    let mut out = Table::new(columns);
    for (label, t) in parts {
        let map: Vec<Option<usize>> = out
            .columns
            .iter()
            .map(|c| t.column_index(&c.name))
            .collect();
        for row in t.rows {
            let values = map
                .iter()
                .enumerate()
                .map(|(k, m)| match m {
                    Some(i) => row.values[*i].clone(),
                    None if with_source.is_some() && k == 0 => Value::String(label.clone()),
                    None => Value::Null,
                })
                .collect();
            out.rows.push(Row {
                values,
                prov: row.prov,
            });
        }
    }
    out
}

fn key_columns(
    left: &Table,
    right: &Table,
    on: &[JoinKey],
    span: Span,
) -> Result<(Vec<usize>, Vec<usize>), EvalError> {
    let mut l = Vec::new();
    let mut r = Vec::new();
    for k in on {
        let (ln, rn) = match k {
            JoinKey::Same(c) => (c.as_str(), c.as_str()),
            JoinKey::Pair(a, b) => (a.as_str(), b.as_str()),
        };
        l.push(left.column_index(ln).ok_or_else(|| {
            EvalError::new(
                span,
                format!("join key `{ln}` is not a column of the left table"),
            )
        })?);
        r.push(right.column_index(rn).ok_or_else(|| {
            EvalError::new(
                span,
                format!("join key `{rn}` is not a column of the right table"),
            )
        })?);
    }
    Ok((l, r))
}

fn key_of(row: &Row, cols: &[usize]) -> Option<String> {
    // Null keys never match.
    if cols.iter().any(|&c| row.values[c].is_null()) {
        return None;
    }
    Some(row_key(
        &cols
            .iter()
            .map(|&c| row.values[c].clone())
            .collect::<Vec<_>>(),
    ))
}

fn join(
    mut left: Table,
    right: Table,
    kind: JoinKind,
    on: &[JoinKey],
    span: Span,
) -> Result<Table, EvalError> {
    let (lk, rk) = key_columns(&left, &right, on, span)?;
    if kind == JoinKind::InnerUnique {
        // innerunique: one left row per key (the first), then an inner join.
        let mut seen = std::collections::HashSet::new();
        left.rows
            .retain(|r| key_of(r, &lk).is_some_and(|k| seen.insert(k)));
    }
    let mut right_index: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in right.rows.iter().enumerate() {
        if let Some(k) = key_of(r, &rk) {
            right_index.entry(k).or_default().push(i);
        }
    }
    let left_keys: Vec<Option<String>> = left.rows.iter().map(|r| key_of(r, &lk)).collect();
    match kind {
        JoinKind::LeftAnti | JoinKind::LeftSemi => {
            let want = kind == JoinKind::LeftSemi;
            let rows = left
                .rows
                .into_iter()
                .zip(left_keys)
                .filter(|(_, k)| k.as_ref().is_some_and(|k| right_index.contains_key(k)) == want)
                .map(|(r, _)| r)
                .collect();
            return Ok(Table {
                columns: left.columns,
                rows,
            });
        }
        JoinKind::RightAnti | JoinKind::RightSemi => {
            let left_set: std::collections::HashSet<String> =
                left_keys.into_iter().flatten().collect();
            let want = kind == JoinKind::RightSemi;
            let rows = right
                .rows
                .into_iter()
                .filter(|r| key_of(r, &rk).is_some_and(|k| left_set.contains(&k)) == want)
                .collect();
            return Ok(Table {
                columns: right.columns,
                rows,
            });
        }
        _ => {}
    }
    // Output columns: left, then right with clashing names suffixed.
    let mut columns = left.columns.clone();
    let mut probe = Table::new(columns.clone());
    for c in &right.columns {
        let name = probe.unique_name(&c.name);
        probe.columns.push(Column {
            name: name.clone(),
            ty: c.ty,
        });
        columns.push(Column { name, ty: c.ty });
    }
    let (lw, rw) = (left.columns.len(), right.columns.len());
    let mut out = Table::new(columns);
    let mut right_used = vec![false; right.rows.len()];
    for (row, key) in left.rows.iter().zip(&left_keys) {
        let matches = key.as_ref().and_then(|k| right_index.get(k));
        match matches {
            Some(ms) => {
                for &i in ms {
                    right_used[i] = true;
                    let mut values = row.values.clone();
                    values.extend(right.rows[i].values.iter().cloned());
                    let mut r = Row {
                        values,
                        prov: row.prov.clone(),
                    };
                    r.merge_prov(&right.rows[i].prov);
                    out.rows.push(r);
                }
            }
            None if matches!(kind, JoinKind::LeftOuter | JoinKind::FullOuter) => {
                let mut values = row.values.clone();
                values.extend(std::iter::repeat_n(Value::Null, rw));
                out.rows.push(Row {
                    values,
                    prov: row.prov.clone(),
                });
            }
            None => {}
        }
    }
    if matches!(kind, JoinKind::RightOuter | JoinKind::FullOuter) {
        for (i, r) in right.rows.iter().enumerate() {
            if !right_used[i] {
                let mut values = vec![Value::Null; lw];
                values.extend(r.values.iter().cloned());
                out.rows.push(Row {
                    values,
                    prov: r.prov.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// `lookup`: a left-outer (or inner) join that adds the right table's
/// non-key columns, keeping the left key columns only.
fn lookup(
    left: Table,
    right: Table,
    outer: bool,
    on: &[JoinKey],
    span: Span,
) -> Result<Table, EvalError> {
    let (lk, rk) = key_columns(&left, &right, on, span)?;
    let extra: Vec<usize> = (0..right.columns.len())
        .filter(|i| !rk.contains(i))
        .collect();
    let mut columns = left.columns.clone();
    let mut probe = Table::new(columns.clone());
    for &i in &extra {
        let name = probe.unique_name(&right.columns[i].name);
        probe.columns.push(Column {
            name: name.clone(),
            ty: right.columns[i].ty,
        });
        columns.push(Column {
            name,
            ty: right.columns[i].ty,
        });
    }
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, r) in right.rows.iter().enumerate() {
        if let Some(k) = key_of(r, &rk) {
            index.entry(k).or_insert(i);
        }
    }
    let mut out = Table::new(columns);
    for row in left.rows {
        match key_of(&row, &lk).and_then(|k| index.get(&k)) {
            Some(&i) => {
                let mut values = row.values.clone();
                values.extend(extra.iter().map(|&c| right.rows[i].values[c].clone()));
                let mut r = Row {
                    values,
                    prov: row.prov,
                };
                r.merge_prov(&right.rows[i].prov);
                out.rows.push(r);
            }
            None if outer => {
                let mut values = row.values;
                values.extend(std::iter::repeat_n(Value::Null, extra.len()));
                out.rows.push(Row {
                    values,
                    prov: row.prov,
                });
            }
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_names() {
        assert!(wildcard("Initiating*", "InitiatingProcessId"));
        assert!(wildcard("*Id", "ReportId"));
        assert!(wildcard("A*C*E", "ABCDE"));
        assert!(!wildcard("Init*", "Process"));
        assert!(wildcard("Exact", "Exact"));
    }
}
