//! A bundle as a KQL database: each `source` label is a table (Defender
//! `DeviceProcessEvents`, Sentinel `SecurityEvent`, …), each event a row whose
//! provenance is the event itself. Column types come from the table schemas
//! when known, else from the data.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::external::External;
use super::file_profile::FileProfile;
use super::runtime::Database;
use super::table::{Column, Row, Table};
use super::value::{KqlType, Value, parse_datetime};
use crate::bundle::Bundle;

/// Ordered columns with types for a table name, when the schema is known.
pub type SchemaLookup<'s> = &'s dyn Fn(&str) -> Option<Vec<(String, KqlType)>>;

pub struct BundleDatabase {
    tables: HashMap<String, Table>,
    /// Tables with a known schema but no rows in this bundle.
    empty: HashMap<String, Table>,
    ingestion: Vec<Option<i64>>,
    external: ExternalFixtures,
    /// File profiles by lower-case SHA1 and SHA256, for `invoke FileProfile()`.
    profiles: HashMap<String, FileProfile>,
}

/// Local content standing in for `externaldata` URLs.
#[derive(Debug, Clone, Default)]
pub struct ExternalFixtures {
    /// URL → the fixture's text.
    pub by_url: HashMap<String, String>,
    /// Serve URLs without a fixture as empty tables instead of failing the
    /// query (for measuring a corpus, never for judging rules).
    pub missing_as_empty: bool,
}

impl BundleDatabase {
    /// Build the tables of a bundle. `known_tables` lists tables that exist
    /// (empty) even when the bundle has none of their rows.
    pub fn new(bundle: &Bundle, schema: SchemaLookup<'_>, known_tables: &[&str]) -> BundleDatabase {
        let mut by_source: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for (i, e) in bundle.events.iter().enumerate() {
            let s = e.labels.source.as_str();
            by_source.entry(s).or_insert_with(|| {
                order.push(s);
                Vec::new()
            });
            by_source.get_mut(s).expect("inserted above").push(i);
        }
        let mut tables: HashMap<String, Table> = HashMap::new();
        for source in order {
            let indices = &by_source[source];
            let columns: Vec<Column> = match schema(source) {
                Some(cols) => cols
                    .into_iter()
                    .map(|(name, ty)| Column { name, ty })
                    .collect(),
                None => infer_columns(indices.iter().map(|&i| &bundle.events[i].record)),
            };
            let mut table = Table::new(columns);
            for &i in indices {
                let record = &bundle.events[i].record;
                let values = table
                    .columns
                    .iter()
                    .map(|c| {
                        record
                            .get(&c.name)
                            .map_or_else(|| missing(c.ty), |v| Value::from_json_typed(v, c.ty))
                    })
                    .collect();
                table.rows.push(Row {
                    values,
                    prov: vec![i as u32],
                });
            }
            tables.insert(source.to_string(), table);
        }
        let mut empty: HashMap<String, Table> = known_tables
            .iter()
            .filter(|t| !tables.contains_key(**t))
            .filter_map(|t| {
                schema(t).map(|cols| {
                    (
                        t.to_string(),
                        Table::new(
                            cols.into_iter()
                                .map(|(name, ty)| Column { name, ty })
                                .collect(),
                        ),
                    )
                })
            })
            .collect();
        for (name, table) in tables.iter_mut().chain(empty.iter_mut()) {
            add_sentinel_columns(name, table);
        }
        let ingestion = bundle
            .events
            .iter()
            .map(|e| e.labels.ingestion_time.as_deref().and_then(parse_datetime))
            .collect();
        BundleDatabase {
            tables,
            empty,
            ingestion,
            external: ExternalFixtures::default(),
            profiles: HashMap::new(),
        }
    }

    /// Whether the bundle holds rows of the table.
    pub fn has_rows(&self, table: &str) -> bool {
        self.tables.get(table).is_some_and(|t| !t.rows.is_empty())
    }

    /// Serve `externaldata` URLs from these fixtures.
    pub fn with_external(mut self, external: ExternalFixtures) -> BundleDatabase {
        self.external = external;
        self
    }

    /// Answer `invoke FileProfile()` from these profiles (keyed by lower-case hash).
    pub fn with_file_profiles(mut self, profiles: HashMap<String, FileProfile>) -> BundleDatabase {
        self.profiles = profiles;
        self
    }
}

/// Defender XDR tables as Microsoft Sentinel stores them: Sentinel's copy of
/// each `Device*` table has `TimeGenerated` (the same instant as `Timestamp`)
/// and `Type` (the table's name), and queries written for Sentinel use them.
fn add_sentinel_columns(name: &str, table: &mut Table) {
    if let (Some(ts), None) = (
        table.column_index("Timestamp"),
        table.column_index("TimeGenerated"),
    ) {
        table.columns.push(Column {
            name: "TimeGenerated".into(),
            ty: KqlType::DateTime,
        });
        for row in &mut table.rows {
            let v = row.values[ts].clone();
            row.values.push(v);
        }
    }
    if table.column_index("Type").is_none() {
        table.columns.push(Column {
            name: "Type".into(),
            ty: KqlType::String,
        });
        for row in &mut table.rows {
            row.values.push(Value::String(name.to_string()));
        }
    }
}

fn missing(ty: KqlType) -> Value {
    if ty == KqlType::String {
        Value::String(String::new())
    } else {
        Value::Null
    }
}

/// Columns of schema-less rows: every key in first-seen order, typed by the
/// first non-null value (strings that are times in time-named columns are
/// datetimes).
fn infer_columns<'r>(records: impl Iterator<Item = &'r Json>) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::new();
    let mut typed: Vec<bool> = Vec::new();
    for record in records {
        let Some(obj) = record.as_object() else {
            continue;
        };
        for (k, v) in obj {
            let i = match columns.iter().position(|c| &c.name == k) {
                Some(i) => i,
                None => {
                    columns.push(Column {
                        name: k.clone(),
                        ty: KqlType::String,
                    });
                    typed.push(false);
                    columns.len() - 1
                }
            };
            if typed[i] || v.is_null() {
                continue;
            }
            columns[i].ty = match v {
                Json::Bool(_) => KqlType::Bool,
                Json::Number(n) if n.is_i64() || n.is_u64() => KqlType::Long,
                Json::Number(_) => KqlType::Real,
                Json::String(s)
                    if (k.ends_with("Time")
                        || k.ends_with("Timestamp")
                        || k == "TimeGenerated")
                        && parse_datetime(s).is_some() =>
                {
                    KqlType::DateTime
                }
                Json::String(_) => KqlType::String,
                _ => KqlType::Dynamic,
            };
            typed[i] = true;
        }
    }
    columns
}

impl Database for BundleDatabase {
    fn table(&self, name: &str) -> Option<Table> {
        self.tables
            .get(name)
            .or_else(|| self.empty.get(name))
            .cloned()
    }

    fn ingestion_time(&self, event: u32) -> Option<i64> {
        self.ingestion.get(event as usize).copied().flatten()
    }

    fn external_data(&self, url: &str) -> External {
        match self.external.by_url.get(url) {
            Some(text) => External::Content(text.clone()),
            None if self.external.missing_as_empty => External::Empty,
            None => External::Missing,
        }
    }

    fn file_profile(&self, hash: &str) -> Option<FileProfile> {
        self.profiles.get(&hash.to_ascii_lowercase()).cloned()
    }
}
