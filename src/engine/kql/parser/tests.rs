use super::*;

fn ok(q: &str) -> Query {
    parse_query(q).unwrap_or_else(|e| panic!("{q}\n{e:#?}"))
}

fn errors(q: &str) -> Vec<ParseError> {
    parse_query(q).expect_err("query should not parse")
}

#[test]
fn parses_lets_operators_and_string_operators() {
    let q = ok(r#"
let window = 7d;
let suspicious = dynamic(["powershell.exe", 'cmd.exe']);
DeviceProcessEvents
| where Timestamp > ago(window) and FileName in~ (suspicious)
| where ProcessCommandLine has_any ("-enc", "-e ") or ProcessCommandLine !contains "x"
| extend Cmd = tolower(ProcessCommandLine), Len = strlen(Cmd)
| summarize Count = count(), make_set(FileName) by DeviceName, bin(Timestamp, 1h)
| project-reorder DeviceName, Count
| sort by Count desc nulls last
| top 10 by Count
"#);
    assert_eq!(q.lets.len(), 2);
    assert_eq!(q.body.ops.len(), 7);
    match &q.body.ops[0].kind {
        OpKind::Where(e) => assert!(matches!(e.kind, ExprKind::Binary { op: BinOp::And, .. })),
        other => panic!("{other:?}"),
    }
}

#[test]
fn parses_joins_unions_and_functions() {
    let q = ok(r#"
let f = (name:string, n:long = 2) { DeviceProcessEvents | where FileName == name | take n };
f("cmd.exe")
| join kind=leftouter hint.strategy=broadcast (DeviceNetworkEvents | project DeviceId, RemoteIP) on DeviceId
| join (SecurityEvent) on $left.DeviceName == $right.Computer
| union DeviceFileEvents, (DeviceRegistryEvents | take 1)
| lookup kind=inner (datatable(x:string, y:long)["a", 1, "b", 2]) on $left.FileName == $right.x
"#);
    assert!(matches!(q.lets[0].value, LetValue::Function { .. }));
    assert!(matches!(q.body.source, Source::Call { .. }));
    match &q.body.ops[0].kind {
        OpKind::Join { kind, on, .. } => {
            assert_eq!(*kind, JoinKind::LeftOuter);
            assert_eq!(on, &vec![JoinKey::Same("DeviceId".into())]);
        }
        other => panic!("{other:?}"),
    }
    match &q.body.ops[1].kind {
        OpKind::Join { kind, on, .. } => {
            assert_eq!(
                *kind,
                JoinKind::InnerUnique,
                "the default join kind is innerunique"
            );
            assert_eq!(
                on,
                &vec![JoinKey::Pair("DeviceName".into(), "Computer".into())]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn literals_of_every_kind() {
    let q = ok(
        "print a = datetime(2026-03-02 10:00), b = timespan(1.02:00:00), c = dynamic({\"k\": [1, -2.5, null]}), d = 1.5, e = -3, f = typeof(long), g = guid(6e1fd2c0-2f42-4c5d-9f3e-8f1f2d3c4b5a)",
    );
    match &q.body.source {
        Source::Print(items) => assert_eq!(items.len(), 7),
        other => panic!("{other:?}"),
    }
    // A column passed to datetime() is a call, not a literal.
    let q = ok("T | extend t = todatetime(Timestamp)");
    match &q.body.ops[0].kind {
        OpKind::Extend(items) => assert!(matches!(items[0].expr.kind, ExprKind::Call { .. })),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_and_unsupported_operators_are_named_and_located() {
    let q =
        "T | where x == 1 | frobnicate y | make-series n = count() on Timestamp step 1h | take 3";
    let e = errors(q);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert_eq!(e[0].message, "unknown operator `frobnicate`");
    assert_eq!(&q[e[0].span.start..e[0].span.end], "frobnicate");
    assert_eq!(e[1].message, "operator `make-series` is not supported");
    assert_eq!(&q[e[1].span.start..e[1].span.end], "make-series");
}

#[test]
fn every_syntax_error_of_a_query_is_reported() {
    let e = errors("T | where (a == | extend b = 1 + | project c");
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e.iter()
            .all(|x| x.message.starts_with("expected an expression"))
    );
}

#[test]
fn operators_with_dashes_need_no_spaces_but_subtraction_does() {
    let q = ok("T | project-away Initiating* | extend d = a - b | extend e = a-b");
    assert!(
        matches!(q.body.ops[0].kind, OpKind::ProjectAway(ref c) if c == &vec!["Initiating*".to_string()])
    );
    assert_eq!(q.body.ops.len(), 3);
}

#[test]
fn parse_operator_patterns() {
    let q = ok(r#"T | parse CommandLine with * "-user " User:string " -pass " Pass"#);
    match &q.body.ops[0].kind {
        OpKind::Parse { parts, .. } => assert_eq!(parts.len(), 5),
        other => panic!("{other:?}"),
    }
}

#[test]
fn queries_separated_by_blank_lines_are_a_script_but_not_one_rule() {
    let text = "// first\nT | take 1\n\n// second\nlet x = 1;\nU | where a == x\n";
    let queries = parse_script(text).unwrap();
    assert_eq!(queries.len(), 2);
    assert_eq!(queries[1].lets.len(), 1);
    let e = errors(text);
    assert!(e[0].message.contains("2 queries"), "{e:?}");
    // Without a blank line, a second table name is an error.
    assert!(parse_script("T | take 1\nU").is_err());
}

/// Parse `text` (which must not parse) and check every error's span lies
/// inside it, on char boundaries: what the fuzz target (fuzz/) asserts.
fn spans_inside(text: &str) -> Vec<ParseError> {
    let e = parse_script(text).expect_err("text should not parse");
    for x in &e {
        let s = x.span;
        assert!(
            s.start <= s.end
                && s.end <= text.len()
                && text.is_char_boundary(s.start)
                && text.is_char_boundary(s.end),
            "{text:?}: {x:?}"
        );
    }
    e
}

#[test]
fn escapes_at_the_end_of_the_text_or_before_multibyte_characters_stay_inside_it() {
    // Found by fuzzing: a backslash ending the text stepped past its end.
    let e = spans_inside("\"\\");
    assert_eq!(e[0].message, "unterminated string");
    // An escaped multi-byte character, and `\u` with a multi-byte character
    // among its four hex digits, must not split the character.
    spans_inside("\"\\é");
    spans_inside("T | where a == \"\\é\" |");
    spans_inside("\"\\u00é\"");
    assert_eq!(ok("print \"\\é\"").body.ops.len(), 0);
}

#[test]
fn nesting_past_the_limit_is_an_error_not_a_stack_overflow() {
    // Found by probing the fuzz target: a few hundred nested parentheses
    // overflowed the stack of a debug build (thousands, of the fuzz build).
    let nest = |open: &str, inner: &str, close: &str, n: usize| {
        format!("{}{inner}{}", open.repeat(n), close.repeat(n))
    };
    for text in [
        format!("print {}", nest("(", "1", ")", 5000)),
        format!("print {}", nest("-", "x", "", 5000)),
        format!("print {}", nest("not(", "true", ")", 2000)),
        format!("print dynamic({})", nest("[", "1", "]", 5000)),
        format!("print dynamic({})", nest("{\"a\":", "1", "}", 2000)),
        nest("(", "T", ")", 5000),
        format!("T{}", nest(" | where x in (T", "", ")", 2000)),
        format!("T{}", nest(" | join (T", "", ") on a", 2000)),
        format!("T{}", nest(" | union (T", "", ")", 2000)),
        format!("{}T", "union ".repeat(5000)),
        format!("T{}", nest(" | mv-apply x on (take 1", "", ")", 2000)),
    ] {
        let e = spans_inside(&text);
        assert!(
            e.iter().any(|e| e.message.contains("nests more than")),
            "{}…: {e:?}",
            &text[..40]
        );
    }
    // Just inside the limit still parses (and fits a test thread's stack).
    // The query, its source and `print`'s expression are three levels; a
    // parenthesised tabular expression is two (it and its source).
    ok(&format!("print {}", nest("(", "1", ")", MAX_DEPTH - 4)));
    ok(&format!(
        "print dynamic({})",
        nest("[", "1", "]", MAX_DEPTH - 4)
    ));
    ok(&nest("(", "T", ")", MAX_DEPTH / 2 - 1));
}
