//! The evaluation context of a query: where tables come from, what `now` is,
//! and the names `let` statements bind.

use std::collections::HashMap;
use std::rc::Rc;

use super::ast::{FunctionBody, Param};
use super::external::External;
use super::file_profile::FileProfile;
use super::functions::Cx;
use super::table::Table;
use super::value::Value;

/// The tables a query can read.
pub trait Database {
    /// The table of that name, with its rows' provenance set; `None` when the
    /// name is unknown.
    fn table(&self, name: &str) -> Option<Table>;
    /// When an event was ingested (ticks), for `ingestion_time()`.
    fn ingestion_time(&self, _event: u32) -> Option<i64> {
        None
    }
    /// Local content standing in for an `externaldata` URL.
    fn external_data(&self, _url: &str) -> External {
        External::Missing
    }
    /// What Defender knows about a file (by SHA1 or SHA256), for `invoke FileProfile()`.
    fn file_profile(&self, _hash: &str) -> Option<FileProfile> {
        None
    }
}

/// What a name means in a scope.
#[derive(Clone)]
pub enum Binding {
    Scalar(Value),
    Table(Rc<Table>),
    Function(Rc<UserFunction>),
}

/// A `let` function with the scope it was defined in.
pub struct UserFunction {
    pub params: Vec<Param>,
    pub body: FunctionBody,
    pub scope: Rc<Scope>,
}

/// Nested scopes: each `let` adds a frame.
#[derive(Default)]
pub struct Scope {
    pub vars: HashMap<String, Binding>,
    pub parent: Option<Rc<Scope>>,
}

impl Scope {
    pub fn child(parent: &Rc<Scope>, vars: HashMap<String, Binding>) -> Rc<Scope> {
        Rc::new(Scope {
            vars,
            parent: Some(Rc::clone(parent)),
        })
    }

    pub fn get(&self, name: &str) -> Option<Binding> {
        match self.vars.get(name) {
            Some(b) => Some(b.clone()),
            None => self.parent.as_ref().and_then(|p| p.get(name)),
        }
    }
}

pub struct Runtime<'a> {
    pub db: &'a dyn Database,
    pub cx: Cx,
}

impl<'a> Runtime<'a> {
    pub fn new(db: &'a dyn Database, now: i64) -> Runtime<'a> {
        Runtime {
            db,
            cx: Cx::new(now),
        }
    }
}

/// A database whose time-stamped tables hold only rows at or after `since`
/// (Sentinel's query period).
pub struct SinceDb<'a> {
    pub inner: &'a dyn Database,
    pub since: i64,
}

impl Database for SinceDb<'_> {
    fn table(&self, name: &str) -> Option<Table> {
        let mut t = self.inner.table(name)?;
        let time = t
            .column_index("TimeGenerated")
            .or_else(|| t.column_index("Timestamp"));
        if let Some(i) = time {
            t.rows.retain(|r| match r.values[i] {
                Value::DateTime(at) => at >= self.since,
                _ => true,
            });
        }
        Some(t)
    }

    fn ingestion_time(&self, event: u32) -> Option<i64> {
        self.inner.ingestion_time(event)
    }

    fn external_data(&self, url: &str) -> External {
        self.inner.external_data(url)
    }

    fn file_profile(&self, hash: &str) -> Option<FileProfile> {
        self.inner.file_profile(hash)
    }
}
