//! `externaldata`: a table read from local content standing in for a storage
//! URL, in the formats Kusto's ingestion supports for text (`csv`, `tsv`,
//! `psv`, `scsv`, `sohsv`, `txt`, `raw`, `json`, `multijson`).

use serde_json::Value as Json;

use super::table::{Column, Row, Table};
use super::value::{KqlType, Value};

/// What a database holds for an `externaldata` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum External {
    /// The fixture's text.
    Content(String),
    /// Serve no rows: for measuring queries where no fixture exists.
    Empty,
    /// No fixture for the URL: an error, since rulecheck never reads the network.
    Missing,
}

/// The format an `externaldata` source declares with `format=`, or else the
/// one its URL's extension implies (Kusto's rule), `csv` by default.
pub fn format_of(url: &str, declared: Option<&str>) -> String {
    if let Some(f) = declared {
        return f.to_ascii_lowercase();
    }
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some(e @ ("csv" | "tsv" | "psv" | "scsv" | "sohsv" | "txt" | "json" | "multijson")) => {
            e.to_string()
        }
        _ => "csv".to_string(),
    }
}

/// Rows of `content` read as `format` into `columns`. Missing fields are
/// null (empty strings for string columns); extra fields are ignored.
pub fn read(
    content: &str,
    format: &str,
    columns: &[(String, KqlType)],
    ignore_first_record: bool,
) -> Result<Vec<Row>, String> {
    let records: Vec<Vec<Value>> = match format {
        "csv" => delimited(content, b',', columns)?,
        "tsv" | "tsve" => delimited(content, b'\t', columns)?,
        "psv" => delimited(content, b'|', columns)?,
        "scsv" => delimited(content, b';', columns)?,
        "sohsv" => delimited(content, 0x01, columns)?,
        // One record per line, the whole line in the first column.
        "txt" => content
            .lines()
            .map(|l| one_field(l.trim_end_matches('\r'), columns))
            .collect(),
        "raw" => vec![one_field(content, columns)],
        "json" | "multijson" => json_records(content, columns)?,
        other => {
            return Err(format!(
                "format `{other}` is not supported for externaldata (use csv, tsv, psv, scsv, sohsv, txt, raw, json or multijson)"
            ));
        }
    };
    Ok(records
        .into_iter()
        .skip(usize::from(ignore_first_record))
        .map(|values| Row {
            values,
            prov: Vec::new(),
        })
        .collect())
}

/// The empty table of an `externaldata` schema.
pub fn empty_table(columns: &[(String, KqlType)]) -> Table {
    Table::new(
        columns
            .iter()
            .map(|(name, ty)| Column {
                name: name.clone(),
                ty: *ty,
            })
            .collect(),
    )
}

fn typed(text: &str, ty: KqlType) -> Value {
    match ty {
        KqlType::Dynamic => serde_json::from_str(text).map_or_else(
            |_| Value::Dynamic(Json::String(text.into())),
            Value::Dynamic,
        ),
        KqlType::String => Value::String(text.to_string()),
        _ if text.is_empty() => Value::Null,
        _ => Value::from_json_typed(&Json::String(text.to_string()), ty),
    }
}

fn missing(ty: KqlType) -> Value {
    if ty == KqlType::String {
        Value::String(String::new())
    } else {
        Value::Null
    }
}

fn one_field(text: &str, columns: &[(String, KqlType)]) -> Vec<Value> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| {
            if i == 0 {
                typed(text, *ty)
            } else {
                missing(*ty)
            }
        })
        .collect()
}

fn delimited(
    content: &str,
    delimiter: u8,
    columns: &[(String, KqlType)],
) -> Result<Vec<Vec<Value>>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(content.as_bytes());
    let mut out = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("record {}: {e}", n + 1))?;
        out.push(
            columns
                .iter()
                .enumerate()
                .map(|(i, (_, ty))| {
                    record
                        .get(i)
                        .map_or_else(|| missing(*ty), |f| typed(f, *ty))
                })
                .collect(),
        );
    }
    Ok(out)
}

/// JSON: one object per line, a top-level array of objects, or objects one
/// after another; fields matched to columns by name.
fn json_records(content: &str, columns: &[(String, KqlType)]) -> Result<Vec<Vec<Value>>, String> {
    let mut objects = Vec::new();
    for value in serde_json::Deserializer::from_str(content).into_iter::<Json>() {
        match value.map_err(|e| e.to_string())? {
            Json::Array(items) => objects.extend(items),
            other => objects.push(other),
        }
    }
    Ok(objects
        .iter()
        .map(|o| {
            columns
                .iter()
                .map(|(name, ty)| match o.get(name) {
                    Some(Json::String(s)) => typed(s, *ty),
                    Some(v) => Value::from_json_typed(v, *ty),
                    None => missing(*ty),
                })
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<(String, KqlType)> {
        vec![
            ("Ip".into(), KqlType::String),
            ("Port".into(), KqlType::Long),
        ]
    }

    #[test]
    fn csv_with_quotes_header_skip_and_short_records() {
        let rows = read(
            "Ip,Port\n\"10.0.0.1\",443\n10.0.0.2\n",
            "csv",
            &cols(),
            true,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].values,
            vec![Value::String("10.0.0.1".into()), Value::Long(443)]
        );
        assert_eq!(
            rows[1].values,
            vec![Value::String("10.0.0.2".into()), Value::Null]
        );
    }

    #[test]
    fn txt_puts_each_line_in_the_first_column() {
        let rows = read("# comment\r\n1.2.3.4\n", "txt", &cols(), false).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].values[0], Value::String("1.2.3.4".into()));
    }

    #[test]
    fn json_matches_fields_by_name() {
        let rows = read(
            r#"[{"Port": 80, "Ip": "a"}, {"Ip": "b", "Port": "8080"}]"#,
            "multijson",
            &cols(),
            false,
        )
        .unwrap();
        assert_eq!(
            rows[0].values,
            vec![Value::String("a".into()), Value::Long(80)]
        );
        assert_eq!(rows[1].values[1], Value::Long(8080));
    }

    #[test]
    fn format_comes_from_the_declaration_then_the_extension() {
        assert_eq!(format_of("https://x/list.txt", None), "txt");
        assert_eq!(format_of("https://x/list.txt?sv=1", Some("CSV")), "csv");
        assert_eq!(format_of("https://x/feed/", None), "csv");
        assert!(read("", "parquet", &cols(), false).is_err());
    }
}
