//! Whole queries through parser and evaluator, checking Kusto's documented
//! semantics on small tables.

use super::parser::parse_query;
use super::runtime::{Database, Runtime};
use super::table::{Column, Row, Table};
use super::value::{KqlType, Value, parse_datetime};

/// Two tables: `Proc` (with provenance 0..n) and `Net`.
struct TestDb;

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn t(v: &str) -> Value {
    Value::DateTime(parse_datetime(v).unwrap())
}

impl Database for TestDb {
    fn table(&self, name: &str) -> Option<Table> {
        let col = |n: &str, ty| Column { name: n.into(), ty };
        match name {
            "Proc" => {
                let rows = vec![
                    vec![
                        t("2026-03-02T09:00:00Z"),
                        s("ws1"),
                        s("cmd.exe"),
                        s("cmd.exe /c whoami /all"),
                        Value::Long(10),
                    ],
                    vec![
                        t("2026-03-02T09:10:00Z"),
                        s("ws1"),
                        s("powershell.exe"),
                        s("powershell -enc AAA"),
                        Value::Long(20),
                    ],
                    vec![
                        t("2026-03-02T09:20:00Z"),
                        s("ws2"),
                        s("powershell.exe"),
                        s("powershell Get-Process"),
                        Value::Null,
                    ],
                    vec![
                        t("2026-03-02T10:30:00Z"),
                        s("ws2"),
                        s("WHOAMI.EXE"),
                        s("whoami"),
                        Value::Long(5),
                    ],
                ];
                Some(Table {
                    columns: vec![
                        col("Timestamp", KqlType::DateTime),
                        col("DeviceName", KqlType::String),
                        col("FileName", KqlType::String),
                        col("ProcessCommandLine", KqlType::String),
                        col("ProcessId", KqlType::Long),
                    ],
                    rows: rows
                        .into_iter()
                        .enumerate()
                        .map(|(i, values)| Row {
                            values,
                            prov: vec![i as u32],
                        })
                        .collect(),
                })
            }
            "Net" => Some(Table {
                columns: vec![
                    col("DeviceName", KqlType::String),
                    col("RemoteIP", KqlType::String),
                ],
                rows: vec![
                    Row {
                        values: vec![s("ws1"), s("1.2.3.4")],
                        prov: vec![10],
                    },
                    Row {
                        values: vec![s("ws1"), s("5.6.7.8")],
                        prov: vec![11],
                    },
                    Row {
                        values: vec![s("ws3"), s("9.9.9.9")],
                        prov: vec![12],
                    },
                ],
            }),
            _ => None,
        }
    }

    fn external_data(&self, url: &str) -> super::external::External {
        match url {
            "https://feeds.example/ips.txt" => {
                super::external::External::Content("# header\n1.2.3.4\n9.9.9.9\n".into())
            }
            _ => super::external::External::Missing,
        }
    }

    fn file_profile(&self, hash: &str) -> Option<super::file_profile::FileProfile> {
        (hash == "aa").then(|| super::file_profile::FileProfile {
            sha1: "AA".into(),
            sha256: String::new(),
            md5: String::new(),
            file_size: Some(1),
            global_prevalence: 7,
            global_first_seen: None,
            global_last_seen: None,
            signer: "Someone".into(),
            issuer: String::new(),
            signer_hash: String::new(),
            is_certificate_valid: true,
            is_root_signer_microsoft: false,
            signature_state: "SignedValid".into(),
            is_executable: true,
            threat_name: String::new(),
            publisher: String::new(),
            software_name: String::new(),
        })
    }
}

fn run(q: &str) -> Table {
    let query = parse_query(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
    let rt = Runtime::new(&TestDb, parse_datetime("2026-03-02T11:00:00Z").unwrap());
    rt.run_query(&query)
        .unwrap_or_else(|e| panic!("{q}: {e:?}"))
}

fn run_err(q: &str) -> super::error::EvalError {
    let query = parse_query(q).unwrap();
    let rt = Runtime::new(&TestDb, 0);
    rt.run_query(&query).expect_err("query should fail")
}

fn names(t: &Table) -> Vec<&str> {
    t.columns.iter().map(|c| c.name.as_str()).collect()
}

fn column(t: &Table, name: &str) -> Vec<Value> {
    let i = t
        .column_index(name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", names(t)));
    t.rows.iter().map(|r| r.values[i].clone()).collect()
}

#[test]
fn where_drops_rows_whose_predicate_is_null() {
    // `ProcessId > 1` is null for the row with a null ProcessId: dropped.
    assert_eq!(run("Proc | where ProcessId > 1").rows.len(), 3);
    assert_eq!(run("Proc | where not(ProcessId > 1)").rows.len(), 0);
}

#[test]
fn has_contains_and_equality_semantics() {
    assert_eq!(
        run("Proc | where ProcessCommandLine has 'WHOAMI'")
            .rows
            .len(),
        2
    );
    assert_eq!(
        run("Proc | where ProcessCommandLine has 'who'").rows.len(),
        0,
        "has matches whole terms only"
    );
    assert_eq!(
        run("Proc | where ProcessCommandLine contains 'who'")
            .rows
            .len(),
        2
    );
    assert_eq!(
        run("Proc | where FileName == 'whoami.exe'").rows.len(),
        0,
        "== is case-sensitive"
    );
    assert_eq!(run("Proc | where FileName =~ 'whoami.exe'").rows.len(), 1);
    assert_eq!(
        run("Proc | where FileName in~ ('WHOAMI.exe', 'cmd.EXE')")
            .rows
            .len(),
        2
    );
    assert_eq!(run("Proc | where FileName !in ('cmd.exe')").rows.len(), 3);
    assert_eq!(
        run("Proc | where ProcessCommandLine has_any ('-enc', 'nothing')")
            .rows
            .len(),
        1
    );
    assert_eq!(
        run("Proc | where ProcessCommandLine has_all ('cmd', 'whoami')")
            .rows
            .len(),
        1
    );
    assert_eq!(
        run("Proc | where ProcessCommandLine matches regex @'-enc\\s+A+'")
            .rows
            .len(),
        1
    );
    assert_eq!(
        run("Proc | where ProcessId between (5 .. 10)").rows.len(),
        2
    );
    assert_eq!(
        run("Proc | where Timestamp between (datetime(2026-03-02 09:00) .. 15m)")
            .rows
            .len(),
        2
    );
}

#[test]
fn ago_uses_the_pinned_now() {
    assert_eq!(run("Proc | where Timestamp > ago(1h)").rows.len(), 1);
}

#[test]
fn summarize_names_and_empty_inputs() {
    let r = run(
        "Proc | summarize count(), dcount(FileName), make_set(DeviceName), sum(ProcessId), max(Timestamp) by DeviceName",
    );
    assert_eq!(
        names(&r),
        [
            "DeviceName",
            "count_",
            "dcount_FileName",
            "set_DeviceName",
            "sum_ProcessId",
            "max_Timestamp"
        ]
    );
    assert_eq!(column(&r, "count_"), [Value::Long(2), Value::Long(2)]);
    assert_eq!(
        column(&r, "sum_ProcessId"),
        [Value::Long(30), Value::Long(5)]
    );
    // No `by`: one row even for an empty input, with count 0.
    let empty = run(
        "Proc | where FileName == 'none' | summarize count(), dcount(FileName), sum(ProcessId)",
    );
    assert_eq!(empty.rows.len(), 1);
    assert_eq!(
        empty.rows[0].values,
        [Value::Long(0), Value::Long(0), Value::Long(0)]
    );
    // With `by`: no rows.
    assert_eq!(
        run("Proc | where FileName == 'none' | summarize count() by DeviceName")
            .rows
            .len(),
        0
    );
    let binned = run("Proc | summarize n = count() by bin(Timestamp, 1h)");
    assert_eq!(names(&binned), ["Timestamp", "n"]);
    assert_eq!(column(&binned, "n"), [Value::Long(3), Value::Long(1)]);
}

#[test]
fn arg_max_with_star_and_expressions_over_aggregates() {
    let r = run("Proc | summarize arg_max(Timestamp, *) by DeviceName");
    assert_eq!(
        names(&r),
        [
            "DeviceName",
            "Timestamp",
            "FileName",
            "ProcessCommandLine",
            "ProcessId"
        ]
    );
    assert_eq!(
        column(&r, "FileName"),
        [s("powershell.exe"), s("WHOAMI.EXE")]
    );
    let ratio =
        run("Proc | summarize Share = 100.0 * countif(FileName =~ 'powershell.exe') / count()");
    assert_eq!(column(&ratio, "Share"), [Value::Real(50.0)]);
}

#[test]
fn provenance_follows_rows_through_summarize_and_join() {
    let r = run("Proc | where DeviceName == 'ws1' | summarize count() by DeviceName");
    assert_eq!(r.rows[0].prov, vec![0, 1]);
    let j = run("Proc | where FileName == 'cmd.exe' | join kind=inner (Net) on DeviceName");
    assert_eq!(j.rows.len(), 2);
    assert_eq!(j.provenance(), vec![0, 10, 11]);
    assert!(
        names(&j).contains(&"DeviceName1"),
        "right duplicates get a suffix: {:?}",
        names(&j)
    );
}

#[test]
fn join_kinds() {
    // innerunique (the default) keeps one left row per key.
    assert_eq!(run("Proc | join (Net) on DeviceName").rows.len(), 2);
    assert_eq!(
        run("Proc | join kind=inner (Net) on DeviceName").rows.len(),
        4
    );
    assert_eq!(
        run("Proc | join kind=leftouter (Net) on DeviceName")
            .rows
            .len(),
        6
    );
    assert_eq!(
        run("Proc | join kind=leftanti (Net) on DeviceName")
            .rows
            .len(),
        2
    );
    assert_eq!(
        run("Proc | join kind=rightanti (Net) on DeviceName")
            .rows
            .len(),
        1
    );
    assert_eq!(
        run("Proc | join kind=fullouter (Net) on DeviceName")
            .rows
            .len(),
        7
    );
    assert_eq!(
        run("Proc | join kind=leftsemi (Net) on $left.DeviceName == $right.DeviceName")
            .rows
            .len(),
        2
    );
    let lookup =
        run("Proc | lookup (Net | summarize arg_max(RemoteIP, *) by DeviceName) on DeviceName");
    assert_eq!(lookup.rows.len(), 4);
    assert_eq!(names(&lookup).last(), Some(&"RemoteIP"));
}

#[test]
fn lets_functions_and_toscalar() {
    let r = run(
        "let names = dynamic(['cmd.exe']); let f = (x:string) { tolower(x) }; Proc | where f(FileName) in (names) | project n = f(FileName)",
    );
    assert_eq!(column(&r, "n"), [s("cmd.exe")]);
    let r = run(
        "let newest = toscalar(Proc | summarize max(Timestamp)); Proc | where Timestamp == newest",
    );
    assert_eq!(r.rows.len(), 1);
    let r = run("let T = Proc | where DeviceName == 'ws2'; let g = (n:long) { T | take n }; g(1)");
    assert_eq!(r.rows.len(), 1);
    let r = run("Proc | where DeviceName in ((Net | project DeviceName))");
    assert_eq!(r.rows.len(), 2);
}

#[test]
fn project_extend_sort_top_distinct() {
    let r = run(
        "Proc | extend L = strlen(FileName), FileName = toupper(FileName) | project-away Process* | project-reorder L",
    );
    assert_eq!(names(&r), ["L", "Timestamp", "DeviceName", "FileName"]);
    let sorted = run("Proc | sort by Timestamp | take 1");
    assert_eq!(
        column(&sorted, "FileName"),
        [s("WHOAMI.EXE")],
        "sort is descending by default"
    );
    // Ascending order puts nulls first unless told otherwise (sort/top reference).
    let top = run("Proc | top 2 by ProcessId asc");
    assert_eq!(column(&top, "ProcessId"), [Value::Null, Value::Long(5)]);
    let top = run("Proc | top 2 by ProcessId asc nulls last");
    assert_eq!(column(&top, "ProcessId"), [Value::Long(5), Value::Long(10)]);
    let d = run("Proc | distinct DeviceName");
    assert_eq!(d.rows.len(), 2);
    assert_eq!(d.rows[0].prov, vec![0, 1]);
    let c = run("Proc | count");
    assert_eq!(column(&c, "Count"), [Value::Long(4)]);
    let unnamed = run("Proc | take 1 | project tolower(FileName), DeviceName");
    assert_eq!(names(&unnamed), ["Column1", "DeviceName"]);
}

#[test]
fn mv_expand_parse_union_datatable() {
    let r = run(
        "Proc | take 1 | extend parts = split(ProcessCommandLine, ' ') | mv-expand parts to typeof(string)",
    );
    assert_eq!(
        column(&r, "parts"),
        [s("cmd.exe"), s("/c"), s("whoami"), s("/all")]
    );
    let p = run(r#"Proc | parse ProcessCommandLine with Exe " " Rest | project Exe, Rest"#);
    assert_eq!(column(&p, "Exe")[0], s("cmd.exe"));
    assert_eq!(column(&p, "Rest")[0], s("/c whoami /all"));
    let u = run("union Proc, Net | count");
    assert_eq!(column(&u, "Count"), [Value::Long(7)]);
    let d = run("datatable(a:string, b:long)['x', 1, 'y', 2] | where b > 1");
    assert_eq!(column(&d, "a"), [s("y")]);
    let ma = run(
        "Proc | take 1 | extend parts = split(ProcessCommandLine, ' ') | mv-apply p = parts to typeof(string) on (where p startswith '/' | summarize n = count())",
    );
    assert_eq!(column(&ma, "n"), [Value::Long(2)]);
}

/// mv-apply (Kusto docs, "mv-apply operator"): each record expands into a
/// subtable, the subquery runs on it, the source's columns that were not
/// expanded are added back, and the results are unioned. The docs' example
/// `mv-apply element=l to typeof(long) on (top 1 by element)` keeps `l`.
#[test]
fn mv_apply_keeps_the_source_columns_and_its_schema_on_empty_input() {
    let q = "datatable(Id:string, l:dynamic)['a', dynamic([3, 1, 2]), 'b', dynamic([5])]";
    let top = run(&format!(
        "{q} | mv-apply element = l to typeof(long) on (top 1 by element)"
    ));
    assert_eq!(names(&top), ["Id", "l", "element"]);
    assert_eq!(column(&top, "element"), [Value::Long(3), Value::Long(5)]);
    let summed = run(&format!(
        "{q} | mv-apply e = l to typeof(long) on (summarize Total = sum(e))"
    ));
    assert_eq!(names(&summed), ["Id", "l", "Total"]);
    assert_eq!(column(&summed, "Id"), [s("a"), s("b")]);
    assert_eq!(column(&summed, "Total"), [Value::Long(6), Value::Long(5)]);
    let empty = run(&format!(
        "{q} | where Id == 'none' | mv-apply e = l to typeof(long) on (summarize Total = sum(e)) | project-away Total"
    ));
    assert_eq!(names(&empty), ["Id", "l"]);
    assert!(empty.rows.is_empty());
}

#[test]
fn dynamic_values_and_null_propagation() {
    let r = run(
        r#"print j = parse_json('{"a": {"b": [1, 2]}}') | extend x = j.a.b[1], y = j['missing'], z = 1 + toint('x')"#,
    );
    assert_eq!(column(&r, "x"), [Value::Dynamic(serde_json::json!(2))]);
    assert!(column(&r, "y")[0].is_null());
    assert_eq!(column(&r, "z"), [Value::Null]);
}

#[test]
fn errors_name_what_is_wrong() {
    let e = run_err("Proc | where Nope == 1");
    assert_eq!(e.message, "unknown column or name `Nope`");
    let e = run_err("Proc | where filename == 'x'");
    assert!(e.help.unwrap().contains("FileName"));
    let e = run_err("Proc | extend x = frob(1)");
    assert_eq!(e.message, "unknown function `frob`");
    let e = run_err("Missing | take 1");
    assert_eq!(e.message, "unknown table `Missing`");
    let e = run_err("Proc | extend a = series_decompose_anomalies(dynamic([1, 2]))");
    assert!(e.message.contains("time-series"), "{}", e.message);
    let e = run_err("Proc | where count() > 1");
    assert!(e.message.contains("aggregate"), "{}", e.message);
}

/// summarize naming (Kusto docs, "summarize operator": default column names):
/// `count_distinct(x)` → `count_distinct_x`; expressions over aggregates that
/// repeat an aggregate compute each placeholder in its own slot.
#[test]
fn summarize_names_and_repeated_aggregates_in_expressions() {
    let r = run(
        "Proc | summarize count_distinct(DeviceName), Total = sum(ProcessId), Half = round(sum(ProcessId) / 2.0, 1), Twice = 2 * count()",
    );
    assert_eq!(
        names(&r),
        ["count_distinct_DeviceName", "Total", "Half", "Twice"]
    );
    assert_eq!(column(&r, "Total"), [Value::Long(35)]);
    assert_eq!(column(&r, "Half"), [Value::Real(17.5)]);
    assert_eq!(column(&r, "Twice"), [Value::Long(8)]);
    // `Last = arg_max(Timestamp, *)` names the maximised value; the row's
    // columns, Timestamp among them, follow.
    let a = run("Proc | summarize Last = arg_max(Timestamp, *) by DeviceName");
    assert_eq!(names(&a)[..3], ["DeviceName", "Last", "Timestamp"]);
    assert_eq!(
        column(&a, "FileName"),
        [s("powershell.exe"), s("WHOAMI.EXE")]
    );
}

/// Window functions (Kusto docs, "prev()", "next()", "row_number()"): they
/// read neighbouring rows of a serialized table; out of range gives the default.
#[test]
fn prev_next_and_row_number_over_serialized_rows() {
    let r = run(
        "Proc | sort by Timestamp asc | extend Before = prev(FileName), After = next(FileName, 1, 'none'), N = row_number()",
    );
    assert_eq!(column(&r, "Before")[0], Value::Null);
    assert_eq!(column(&r, "Before")[1], s("cmd.exe"));
    assert_eq!(column(&r, "After")[3], s("none"));
    assert_eq!(
        column(&r, "N"),
        [
            Value::Long(1),
            Value::Long(2),
            Value::Long(3),
            Value::Long(4)
        ]
    );
    let gap = run(
        "Proc | serialize | extend Gap = datetime_diff('minute', Timestamp, prev(Timestamp)) | where isnotnull(Gap) | project Gap",
    );
    assert_eq!(
        column(&gap, "Gap"),
        [Value::Long(10), Value::Long(10), Value::Long(70)]
    );
}

#[test]
fn render_ends_where_its_properties_end() {
    let script = super::parser::parse_script(
        "Proc | count | render table with (title = 'x')\n\nNet | count",
    )
    .unwrap();
    assert_eq!(script.len(), 2);
}

/// externaldata reads the database's fixture for each URL in the declared
/// format; a URL without one is an error naming it.
#[test]
fn externaldata_reads_fixtures_and_names_missing_ones() {
    let r = run(
        "let Bad = externaldata(Ip: string) [@'https://feeds.example/ips.txt'] with (format = 'txt', ignoreFirstRecord = true); Net | where RemoteIP in (Bad) | project RemoteIP",
    );
    assert_eq!(column(&r, "RemoteIP"), [s("1.2.3.4"), s("9.9.9.9")]);
    let e = run_err("externaldata(Ip: string) ['https://nowhere.example/x.csv']");
    assert!(
        e.message.contains("https://nowhere.example/x.csv"),
        "{}",
        e.message
    );
    assert!(e.help.unwrap().contains("kql: externaldata:"));
}

/// FileProfile (Defender docs, "FileProfile() function"): adds the profile
/// columns; files without a profile get empty ones.
#[test]
fn file_profile_adds_columns_by_hash() {
    let r = run(
        "datatable(SHA1: string)['AA', 'BB'] | invoke FileProfile(SHA1, 1000) | project SHA1, GlobalPrevalence, Signer, IsCertificateValid",
    );
    assert_eq!(
        column(&r, "GlobalPrevalence"),
        [Value::Long(7), Value::Null]
    );
    assert_eq!(column(&r, "Signer"), [s("Someone"), s("")]);
    let e = run_err("Proc | invoke FileProfile(NoSuchHash)");
    assert!(e.message.contains("NoSuchHash"));
}

/// Found by fuzzing (`let F=2=([]);t`): comparing an array or property bag
/// with a scalar unwrapped the dynamic value again and again until the stack
/// overflowed. Such comparisons are null; two dynamic values still compare.
#[test]
fn comparing_an_array_or_bag_with_a_scalar_is_null() {
    let r = run(
        "print a = 2 == dynamic([]), b = dynamic({}) < 'x', c = dynamic([1]) != 1.5, d = dynamic([1]) == dynamic([1])",
    );
    assert_eq!(column(&r, "a"), [Value::Null]);
    assert_eq!(column(&r, "b"), [Value::Null]);
    assert_eq!(column(&r, "c"), [Value::Null]);
    assert_eq!(column(&r, "d"), [Value::Bool(true)]);
    let query = parse_query("let F=2=([]);print F").unwrap();
    Runtime::new(&TestDb, 0).run_query(&query).unwrap();
}

/// Real queries chain hundreds of `or` terms; evaluation must not overflow
/// the stack however long the chain (found by the fuzz target's notes).
#[test]
fn long_operator_chains_evaluate_without_overflowing_the_stack() {
    let terms: Vec<String> = (0..3000).map(|i| format!("ProcessId == {i}")).collect();
    let r = run(&format!("Proc | where {} | count", terms.join(" or ")));
    assert_eq!(column(&r, "Count"), [Value::Long(3)]);
    let sum = vec!["1"; 3000].join(" + ");
    let p = run(&format!("print s = {sum}"));
    assert_eq!(column(&p, "s"), [Value::Long(3000)]);
}
