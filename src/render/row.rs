//! Rows of Microsoft's tables (Defender XDR, Sentinel), built against the
//! schemas of `data/tables.yaml`: a row starts with every column of its table,
//! in order, holding the empty value of its type, and renderers fill columns by
//! name. So a row can never miss, add or reorder a column.

use serde_json::{Map, Value};

use crate::action::Micros;
use crate::render::evtx::utc;
use crate::tables::{self, KqlType, Table};

pub struct Row {
    table: &'static Table,
    columns: Map<String, Value>,
}

impl Row {
    /// A row of `table` with every column empty: `""` for strings (KQL strings
    /// are never null), null for every other type.
    pub fn new(table: &str) -> Row {
        let table = tables::table(table)
            .unwrap_or_else(|| panic!("table `{table}` is in data/tables.yaml"));
        let columns = table
            .columns
            .iter()
            .map(|c| {
                let empty = match c.kind {
                    KqlType::String => Value::String(String::new()),
                    _ => Value::Null,
                };
                (c.name.clone(), empty)
            })
            .collect();
        Row { table, columns }
    }

    /// Set a column the table has. A name the schema lacks is a bug in the
    /// renderer, caught by the conformance tests.
    pub fn set(&mut self, column: &str, value: impl Into<Value>) {
        let slot = self
            .columns
            .get_mut(column)
            .unwrap_or_else(|| panic!("table {} has no column `{column}`", self.table.name));
        *slot = value.into();
    }

    /// Set those of `values` whose column the table has: blocks of columns that
    /// Microsoft's tables share only partly (`InitiatingProcess*`).
    pub fn set_present(&mut self, values: Vec<(String, Value)>) {
        for (column, value) in values {
            if let Some(slot) = self.columns.get_mut(&column) {
                *slot = value;
            }
        }
    }

    pub fn get(&self, column: &str) -> Option<&Value> {
        self.columns.get(column)
    }

    /// `_BilledSize` of a Log Analytics row: the length of its JSON without
    /// the `_`-prefixed system columns, which Log Analytics does not bill.
    pub fn billed_size(&self) -> f64 {
        let billed: Map<String, Value> = self
            .columns
            .iter()
            .filter(|(name, _)| !name.starts_with('_'))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        serde_json::to_string(&billed).map_or(0, |s| s.len()) as f64
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.columns)
    }
}

/// `2026-03-02T09:14:39.5974810Z`: how Defender XDR and Log Analytics print a
/// datetime (seven fractional digits, UTC). Times are kept in microseconds, so
/// the last digit is always 0.
pub fn kql_datetime(t: Micros) -> String {
    // chrono has no 7-digit fraction: print microseconds, then the tenth digit.
    format!("{}0Z", utc(t).format("%Y-%m-%dT%H:%M:%S%.6f"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_start_with_every_column_empty_in_schema_order() {
        let mut row = Row::new("DeviceLogonEvents");
        row.set("LogonType", "Network");
        row.set_present(vec![
            ("AccountName".into(), "bob.keller".into()),
            ("NoSuchColumn".into(), "ignored".into()),
        ]);
        let value = row.into_value();
        let object = value.as_object().unwrap();
        let schema = tables::columns("DeviceLogonEvents").unwrap();
        let names: Vec<&str> = object.keys().map(String::as_str).collect();
        let expected: Vec<&str> = schema.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, expected);
        assert_eq!(object["LogonType"], "Network");
        assert_eq!(object["AccountName"], "bob.keller");
        assert_eq!(object["FailureReason"], "");
        assert_eq!(object["RemotePort"], Value::Null);
    }

    #[test]
    #[should_panic(expected = "has no column `Image`")]
    fn setting_a_column_the_table_lacks_is_a_bug() {
        Row::new("DeviceFileEvents").set("Image", "x");
    }

    #[test]
    fn datetimes_have_seven_fractional_digits() {
        assert_eq!(
            kql_datetime(1_772_442_879_597_481),
            "2026-03-02T09:14:39.5974810Z"
        );
    }
}
