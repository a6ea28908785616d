//! Output of `rulecheck kql`: each input's result table, as a table for people
//! or as JSON (schema documented in `docs/cli.md`).

use comfy_table::Cell;
use serde::Serialize;

use super::JSON_SCHEMA_VERSION;
use super::table::{TableStyle, header_cell, new_table};
use crate::engine::kql::table::Table;

/// One input's result.
pub struct QueryResult {
    pub input: String,
    pub table: Table,
}

pub fn render_table(results: &[QueryResult], style: TableStyle) -> String {
    let mut out = String::new();
    for result in results {
        let rows = result.table.rows.len();
        out.push_str(&format!(
            "{}: {rows} row{}\n",
            result.input,
            if rows == 1 { "" } else { "s" }
        ));
        if rows == 0 {
            continue;
        }
        let mut table = new_table(style);
        table.set_header(
            result
                .table
                .columns
                .iter()
                .map(|c| header_cell(&c.name, style.color)),
        );
        for row in &result.table.rows {
            table.add_row(row.values.iter().map(|v| Cell::new(v.to_text())));
        }
        out.push_str(&table.to_string());
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    rulecheck: &'static str,
    results: Vec<InputJson<'a>>,
}

#[derive(Serialize)]
struct InputJson<'a> {
    input: &'a str,
    columns: Vec<ColumnJson<'a>>,
    rows: Vec<RowJson>,
}

#[derive(Serialize)]
struct ColumnJson<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    ty: &'static str,
}

#[derive(Serialize)]
struct RowJson {
    /// Column name to value, in column order.
    values: serde_json::Map<String, serde_json::Value>,
    /// 1-based numbers of the input events behind the row.
    events: Vec<u64>,
}

pub fn render_json(results: &[QueryResult]) -> String {
    let report = Report {
        schema_version: JSON_SCHEMA_VERSION,
        rulecheck: env!("CARGO_PKG_VERSION"),
        results: results
            .iter()
            .map(|r| InputJson {
                input: &r.input,
                columns: r
                    .table
                    .columns
                    .iter()
                    .map(|c| ColumnJson {
                        name: &c.name,
                        ty: c.ty.name(),
                    })
                    .collect(),
                rows: r
                    .table
                    .rows
                    .iter()
                    .map(|row| RowJson {
                        values: r
                            .table
                            .columns
                            .iter()
                            .zip(&row.values)
                            .map(|(c, v)| (c.name.clone(), v.to_json()))
                            .collect(),
                        events: row.prov.iter().map(|&e| u64::from(e) + 1).collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&report).expect("reports serialise");
    out.push('\n');
    out
}
