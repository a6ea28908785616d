//! Throughput of the KQL evaluator on 1,000,000 generated process rows:
//! a `where … has …` filter and a `summarize … by`, against a hand-written
//! Rust scan doing the same work (the baseline, measured in the same run).
//!
//! ```text
//! cargo run --release --example kql_bench [-- ROWS [RUNS]]
//! ```
//!
//! Prints the median of RUNS (default 5) for each, in rows per second, and
//! the ratio to the baseline. The KQL side includes copying the table out of
//! the database (as every query over a bundle does); the baseline scans the
//! rows in place. Numbers go to BENCHMARKS.md.

use std::collections::HashMap;
use std::time::Instant;

use rulecheck::engine::kql::parser::parse_query;
use rulecheck::engine::kql::runtime::{Database, Runtime};
use rulecheck::engine::kql::table::{Column, Row, Table};
use rulecheck::engine::kql::value::{KqlType, Value};

struct Rows(Table);

impl Database for Rows {
    fn table(&self, name: &str) -> Option<Table> {
        // Cloned per query, as the bundle database does.
        (name == "DeviceProcessEvents").then(|| self.0.clone())
    }
}

const FILES: &[&str] = &[
    "cmd.exe",
    "powershell.exe",
    "svchost.exe",
    "conhost.exe",
    "rundll32.exe",
    "chrome.exe",
    "msedge.exe",
    "OUTLOOK.EXE",
    "WINWORD.EXE",
    "EXCEL.EXE",
    "explorer.exe",
    "taskhostw.exe",
    "SearchProtocolHost.exe",
    "MsMpEng.exe",
    "git.exe",
    "node.exe",
    "python.exe",
    "code.exe",
    "teams.exe",
    "onedrive.exe",
];
const WORDS: &[&str] = &[
    "/c",
    "-NoProfile",
    "-File",
    "C:\\Users\\alice\\AppData\\Local\\Temp\\x.ps1",
    "--type=renderer",
    "/quiet",
    "-k",
    "netsvcs",
    "-p",
    "https://intranet.northwind.local/home",
    "status",
    "commit",
    "--flag-switches-begin",
    "/S",
    "-Embedding",
    "C:\\Program Files\\App\\app.dll,Start",
];

fn generate(rows: usize) -> Table {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let columns = vec![
        Column {
            name: "Timestamp".into(),
            ty: KqlType::DateTime,
        },
        Column {
            name: "DeviceName".into(),
            ty: KqlType::String,
        },
        Column {
            name: "FileName".into(),
            ty: KqlType::String,
        },
        Column {
            name: "ProcessCommandLine".into(),
            ty: KqlType::String,
        },
    ];
    let mut table = Table::new(columns);
    for i in 0..rows {
        let file = FILES[next() % FILES.len()];
        let mut cmd = file.to_string();
        for _ in 0..(2 + next() % 5) {
            cmd.push(' ');
            cmd.push_str(WORDS[next() % WORDS.len()]);
        }
        if next() % 1000 == 0 {
            cmd.push_str(" sekurlsa::logonpasswords mimikatz");
        }
        table.rows.push(Row {
            values: vec![
                Value::DateTime(638_000_000_000_000_000 + i as i64 * 10_000_000),
                Value::String(format!("ws-{:04}", next() % 200)),
                Value::String(file.to_string()),
                Value::String(cmd),
            ],
            prov: vec![i as u32],
        });
    }
    table
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

/// Seconds per run of `f`, `runs` times; also returns the last result.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Vec<f64>, T) {
    let mut secs = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        secs.push(t.elapsed().as_secs_f64());
    }
    (secs, last.expect("at least one run"))
}

/// Kusto's `has`: the term occurs bounded by non-alphanumeric characters, case-insensitively.
fn has_term(text: &str, term: &str) -> bool {
    let text = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    text.match_indices(term).any(|(i, m)| {
        let before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let end = i + m.len();
        let after = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        before && after
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("ROWS is a number"));
    let runs: usize = args
        .next()
        .map_or(5, |a| a.parse().expect("RUNS is a number"));
    let started = Instant::now();
    let db = Rows(generate(rows));
    println!(
        "generated {rows} rows in {:.2} s; median of {runs} runs each",
        started.elapsed().as_secs_f64()
    );

    let cases = [
        (
            "where has",
            "DeviceProcessEvents | where ProcessCommandLine has 'mimikatz' | count",
        ),
        (
            "summarize by",
            "DeviceProcessEvents | summarize n = count() by FileName, DeviceName | count",
        ),
    ];
    for (label, text) in cases {
        let query = parse_query(text).expect("benchmark queries parse");
        let (secs, result) = time(runs, || {
            Runtime::new(&db, 0)
                .run_query(&query)
                .expect("benchmark queries run")
        });
        let kql = median(secs);
        let (base_secs, base_result) = time(runs, || {
            // The baseline scans the rows in place: no copy, no expression tree.
            let table = &db.0;
            match label {
                "where has" => table
                    .rows
                    .iter()
                    .filter(|r| matches!(&r.values[3], Value::String(s) if has_term(s, "mimikatz")))
                    .count(),
                _ => {
                    let mut groups: HashMap<(String, String), usize> = HashMap::new();
                    for r in &table.rows {
                        *groups
                            .entry((r.values[2].to_text(), r.values[1].to_text()))
                            .or_default() += 1;
                    }
                    groups.len()
                }
            }
        });
        let base = median(base_secs);
        let count = result.rows[0].values[0].clone();
        assert_eq!(
            count,
            Value::Long(base_result as i64),
            "{label}: KQL and baseline agree"
        );
        println!(
            "{label:13} {:>12.0} rows/s ({:.3} s; result {count}); baseline {:>12.0} rows/s ({:.3} s); KQL/baseline time {:.2}x",
            rows as f64 / kql,
            kql,
            rows as f64 / base,
            base,
            kql / base
        );
    }
}
