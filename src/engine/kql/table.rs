//! Tables the evaluator passes between operators. Every row carries its
//! provenance: the bundle events it was computed from, so a rule's result rows
//! trace back to the events it "hit" however they were filtered, projected,
//! summarised or joined.

use std::collections::HashMap;

use super::value::{KqlType, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: KqlType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub values: Vec<Value>,
    /// Indices of the bundle events behind this row, sorted, without duplicates.
    pub prov: Vec<u32>,
}

impl Row {
    pub fn merge_prov(&mut self, other: &[u32]) {
        if other.is_empty() {
            return;
        }
        self.prov.extend_from_slice(other);
        self.prov.sort_unstable();
        self.prov.dedup();
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn new(columns: Vec<Column>) -> Table {
        Table {
            columns,
            rows: Vec::new(),
        }
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn index_map(&self) -> HashMap<String, usize> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect()
    }

    /// Every event behind any row.
    pub fn provenance(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self
            .rows
            .iter()
            .flat_map(|r| r.prov.iter().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// A name not yet used by a column: `base`, else `base1`, `base2`, …
    pub fn unique_name(&self, base: &str) -> String {
        if self.column_index(base).is_none() {
            return base.to_string();
        }
        (1..)
            .map(|n| format!("{base}{n}"))
            .find(|c| self.column_index(c).is_none())
            .unwrap_or_default()
    }
}
