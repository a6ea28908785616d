//! Scalar functions against the behaviour Microsoft's KQL reference documents.

use super::*;

fn call(name: &str, args: &[Value]) -> Value {
    let f = lookup(name).unwrap_or_else(|| panic!("{name} exists"));
    (f.run)(args, &Cx::new(0)).unwrap()
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

#[test]
fn parse_json_of_invalid_json_returns_the_string() {
    // "If json is not valid JSON, the function returns the string unchanged" (parse_json).
    assert_eq!(
        call("parse_json", &[s("not json")]),
        Value::Dynamic(Json::String("not json".into()))
    );
    assert_eq!(
        call("parse_json", &[s(r#"{"a": 1}"#)]),
        Value::Dynamic(serde_json::json!({"a": 1}))
    );
}

#[test]
fn bin_rounds_down() {
    // bin(value, roundTo): "rounds values down to an integer multiple of a given bin size".
    assert_eq!(
        call("bin", &[Value::Long(7), Value::Long(5)]),
        Value::Long(5)
    );
    assert_eq!(
        call("bin", &[Value::Long(-7), Value::Long(5)]),
        Value::Long(-10)
    );
    assert_eq!(
        call("bin", &[Value::Real(4.5), Value::Long(1)]),
        Value::Real(4.0)
    );
    let t = parse_datetime("2026-03-02T09:14:39Z").unwrap();
    assert_eq!(
        call(
            "bin",
            &[Value::DateTime(t), Value::Timespan(TICKS_PER_HOUR)]
        ),
        Value::DateTime(parse_datetime("2026-03-02T09:00:00Z").unwrap())
    );
}

#[test]
fn ago_and_now_are_pinned_to_the_reference_time() {
    let cx = Cx::new(1_000 * TICKS_PER_SECOND);
    let ago = lookup("ago").unwrap();
    assert_eq!(
        (ago.run)(&[Value::Timespan(10 * TICKS_PER_SECOND)], &cx).unwrap(),
        Value::DateTime(990 * TICKS_PER_SECOND)
    );
    assert_eq!(
        (lookup("now").unwrap().run)(&[], &cx).unwrap(),
        Value::DateTime(1_000 * TICKS_PER_SECOND)
    );
}

#[test]
fn string_functions() {
    assert_eq!(
        call("substring", &[s("abcdef"), Value::Long(2), Value::Long(3)]),
        s("cde")
    );
    assert_eq!(call("substring", &[s("abc"), Value::Long(5)]), s(""));
    // split with an index returns a one-element array.
    assert_eq!(
        call("split", &[s("a,b,c"), s(","), Value::Long(1)]),
        Value::Dynamic(serde_json::json!(["b"]))
    );
    assert_eq!(
        call("strcat", &[s("a"), Value::Long(1), Value::Null]),
        s("a1")
    );
    assert_eq!(
        call(
            "extract",
            &[s(r"(\d+)\.(\d+)"), Value::Long(2), s("v10.25")]
        ),
        s("25")
    );
    assert_eq!(
        call("extract", &[s(r"(\d+)"), Value::Long(1), s("none")]),
        s("")
    );
    assert_eq!(
        call("replace_regex", &[s("a1b22"), s(r"(\d+)"), s(r"<\1>")]),
        s("a<1>b<22>")
    );
    assert_eq!(call("trim", &[s(r"\s"), s("  x  ")]), s("x"));
    assert_eq!(call("indexof", &[s("hello"), s("l")]), Value::Long(2));
    assert_eq!(call("indexof", &[s("hello"), s("z")]), Value::Long(-1));
    assert_eq!(call("strlen", &[s("héllo")]), Value::Long(5));
    assert_eq!(
        call("base64_decode_tostring", &[s("d2hvYW1p")]),
        s("whoami")
    );
}

#[test]
fn conversions_give_null_instead_of_failing() {
    assert_eq!(call("toint", &[s("42")]), Value::Long(42));
    assert_eq!(call("toint", &[s("x")]), Value::Null);
    assert_eq!(call("todouble", &[s("2.5")]), Value::Real(2.5));
    assert_eq!(call("tobool", &[s("TRUE")]), Value::Bool(true));
    assert_eq!(call("todatetime", &[s("nope")]), Value::Null);
    assert_eq!(call("tostring", &[Value::Null]), s(""));
}

#[test]
fn emptiness_and_coalesce() {
    assert_eq!(call("isempty", &[s("")]), Value::Bool(true));
    assert_eq!(call("isempty", &[Value::Null]), Value::Bool(true));
    assert_eq!(
        call("isnull", &[s("")]),
        Value::Bool(false),
        "strings are never null"
    );
    assert_eq!(call("coalesce", &[Value::Null, s(""), s("x")]), s("x"));
    assert_eq!(call("iff", &[Value::Null, s("a"), s("b")]), s("b"));
    assert_eq!(
        call(
            "case",
            &[
                Value::Bool(false),
                s("a"),
                Value::Bool(true),
                s("b"),
                s("c")
            ]
        ),
        s("b")
    );
}

#[test]
fn dynamic_functions() {
    let arr = Value::Dynamic(serde_json::json!([1, 2, 2, 3]));
    assert_eq!(
        call("array_length", std::slice::from_ref(&arr)),
        Value::Long(4)
    );
    assert_eq!(call("array_length", &[s("x")]), Value::Null);
    assert_eq!(
        call(
            "set_union",
            &[arr.clone(), Value::Dynamic(serde_json::json!([4]))]
        ),
        Value::Dynamic(serde_json::json!([1, 2, 3, 4]))
    );
    assert_eq!(
        call("array_index_of", &[arr, Value::Long(3)]),
        Value::Long(3)
    );
    assert_eq!(
        call("pack", &[s("k"), Value::Long(1)]),
        Value::Dynamic(serde_json::json!({"k": 1}))
    );
}

#[test]
fn datetime_diff_counts_unit_boundaries() {
    let a = Value::DateTime(parse_datetime("2026-03-02T10:00:00Z").unwrap());
    let b = Value::DateTime(parse_datetime("2026-03-01T23:59:00Z").unwrap());
    assert_eq!(
        call("datetime_diff", &[s("day"), a.clone(), b.clone()]),
        Value::Long(1)
    );
    assert_eq!(call("datetime_diff", &[s("hour"), a, b]), Value::Long(11));
}

#[test]
fn command_lines_split_like_windows() {
    assert_eq!(
        parse_command_line(r#""C:\Program Files\a.exe" -x "two words" \"q\""#),
        vec![r"C:\Program Files\a.exe", "-x", "two words", "\"q\""]
    );
}

#[test]
fn ip_helpers() {
    assert_eq!(call("ipv4_is_private", &[s("10.1.2.3")]), Value::Bool(true));
    assert_eq!(call("ipv4_is_private", &[s("8.8.8.8")]), Value::Bool(false));
    assert_eq!(
        call("ipv4_is_in_range", &[s("192.168.1.7"), s("192.168.0.0/16")]),
        Value::Bool(true)
    );
}

#[test]
fn parse_xml_reads_elements_and_attributes() {
    let v = call(
        "parse_xml",
        &[s(
            r#"<EventData><Data Name="a">1</Data><Data Name="b">2</Data></EventData>"#,
        )],
    );
    assert_eq!(
        v,
        Value::Dynamic(
            serde_json::json!({"EventData": {"Data": [{"@Name": "a", "#text": "1"}, {"@Name": "b", "#text": "2"}]}})
        )
    );
}

#[test]
fn format_bytes_picks_the_unit_by_size_unless_told() {
    // format_bytes documentation examples: 564 → "564 Bytes", 10832 → "11 KB",
    // 20832000 → "20 MB", with precision 2 → "19.87 MB", in KB → "20344 KB".
    assert_eq!(call("format_bytes", &[Value::Long(564)]), s("564 Bytes"));
    assert_eq!(call("format_bytes", &[Value::Long(10832)]), s("11 KB"));
    assert_eq!(call("format_bytes", &[Value::Long(20832000)]), s("20 MB"));
    assert_eq!(
        call("format_bytes", &[Value::Long(20832000), Value::Long(2)]),
        s("19.87 MB")
    );
    assert_eq!(
        call(
            "format_bytes",
            &[Value::Long(20832000), Value::Long(0), s("KB")]
        ),
        s("20344 KB")
    );
}

#[test]
fn literal_style_conversions_range_and_has_any_index() {
    assert_eq!(call("long", &[s("42")]), Value::Long(42));
    assert_eq!(call("real", &[Value::Long(2)]), Value::Real(2.0));
    // range(1, 7, 3) == [1, 4, 7]; range(5, 1) is empty (step 1 never reaches 1).
    assert_eq!(
        call("range", &[Value::Long(1), Value::Long(7), Value::Long(3)]),
        Value::Dynamic(serde_json::json!([1, 4, 7]))
    );
    assert_eq!(
        call("range", &[Value::Long(5), Value::Long(1)]),
        Value::Dynamic(serde_json::json!([]))
    );
    // has_any_index: the index of the first lookup term the text has, else -1.
    let terms = Value::Dynamic(serde_json::json!(["whoami", "NET"]));
    assert_eq!(
        call("has_any_index", &[s("net user /domain"), terms.clone()]),
        Value::Long(1)
    );
    assert_eq!(
        call("has_any_index", &[s("network"), terms]),
        Value::Long(-1)
    );
    assert_eq!(
        call("base64_decode_toarray", &[s("S3VzdG8=")]),
        Value::Dynamic(serde_json::json!([75, 117, 115, 116, 111]))
    );
}

#[test]
fn geo_info_reads_the_shipped_table_and_is_empty_for_unknown_addresses() {
    let geo = call("geo_info_from_ip_address", &[s("185.225.17.44")]);
    let Value::Dynamic(bag) = geo else {
        panic!("a bag")
    };
    assert_eq!(bag["country"], "Netherlands");
    assert!(bag["latitude"].is_f64());
    assert_eq!(
        call("geo_info_from_ip_address", &[s("10.1.2.3")]),
        Value::Dynamic(serde_json::json!({}))
    );
    assert_eq!(call("geo_info_from_ip_address", &[s("x")]), Value::Null);
}

fn d(j: serde_json::Value) -> Value {
    Value::Dynamic(j)
}

#[test]
fn dynamic_helpers_follow_the_documented_examples() {
    use serde_json::json;
    assert_eq!(
        call("array_reverse", &[d(json!([1, 2, 3]))]),
        d(json!([3, 2, 1]))
    );
    assert_eq!(call("array_sum", &[d(json!([2, 5, 3]))]), Value::Real(10.0));
    assert_eq!(call("array_sum", &[d(json!([2, "x"]))]), Value::Null);
    assert_eq!(
        call(
            "array_iff",
            &[
                d(json!([true, false, true])),
                d(json!([1, 2, 3])),
                d(json!([4, 5, 6]))
            ]
        ),
        d(json!([1, 5, 3]))
    );
    assert_eq!(
        call("array_split", &[d(json!([1, 2, 3, 4, 5])), Value::Long(2)]),
        d(json!([[1, 2], [3, 4, 5]]))
    );
    assert_eq!(
        call(
            "array_split",
            &[d(json!([1, 2, 3, 4, 5])), d(json!([1, 3]))]
        ),
        d(json!([[1], [2, 3], [4, 5]]))
    );
    assert_eq!(
        call("zip", &[d(json!([1, 3, 5])), d(json!([2, 4, 6]))]),
        d(json!([[1, 2], [3, 4], [5, 6]]))
    );
    // bag_merge: "the value from the leftmost bag is used".
    assert_eq!(
        call(
            "bag_merge",
            &[d(json!({"A1": 12, "B1": 2})), d(json!({"A1": 1, "C1": 3}))]
        ),
        d(json!({"A1": 12, "B1": 2, "C1": 3}))
    );
    assert_eq!(
        call(
            "bag_remove_keys",
            &[d(json!({"key1": 123, "key2": "abc"})), d(json!(["key1"]))]
        ),
        d(json!({"key2": "abc"}))
    );
    assert_eq!(
        call(
            "jaccard_index",
            &[d(json!([1, 2, 3])), d(json!([1, 2, 3, 4]))]
        ),
        Value::Real(0.75)
    );
    assert_eq!(
        call("dynamic_to_json", &[d(json!({"b": 1, "a": [2]}))]),
        s(r#"{"a":[2],"b":1}"#)
    );
}

#[test]
fn string_hash_and_number_helpers() {
    assert_eq!(
        call("translate", &[s("krasp"), s("otsku"), s("spark")]),
        s("kusto")
    );
    assert_eq!(call("translate", &[s("abc"), s("x"), s("abc")]), s("xxx"));
    assert_eq!(call("translate", &[s("abc"), s(""), s("ab")]), s(""));
    assert_eq!(call("strcmp", &[s("abc"), s("abd")]), Value::Long(-1));
    assert_eq!(
        call("hash_md5", &[s("World")]),
        s("f5a7924e621e84c9280a9a27e1bcb7f6")
    );
    assert_eq!(
        call("hash_sha1", &[s("World")]),
        s("70c07ec18ef89c5309bbb0937f3a6342411e1fdd")
    );
    assert_eq!(call("tohex", &[Value::Long(256)]), s("100"));
    assert_eq!(call("tohex", &[Value::Long(-256)]), s("ffffffffffffff00"));
    assert_eq!(
        call("tohex", &[Value::Long(256), Value::Long(8)]),
        s("00000100")
    );
    assert_eq!(
        call("unicode_codepoints_from_string", &[s("Kusto")]),
        d(serde_json::json!([75, 117, 115, 116, 111]))
    );
    assert_eq!(
        call(
            "unicode_codepoints_to_string",
            &[
                Value::Long(75),
                d(serde_json::json!([117, 115])),
                Value::Long(116),
                Value::Long(111)
            ]
        ),
        s("Kusto")
    );
    assert_eq!(
        call("url_encode_component", &[s("https://www.bing.com/")]),
        s("https%3A%2F%2Fwww.bing.com%2F")
    );
    assert_eq!(
        call("url_encode", &[s("https://x.org/a b")]),
        s("https://x.org/a%20b")
    );
    assert_eq!(
        call("parse_csv", &[s(r#"aaa,"b,b,b",ccc"#)]),
        d(serde_json::json!(["aaa", "b,b,b", "ccc"]))
    );
    assert_eq!(call("sign", &[Value::Long(-5)]), Value::Long(-1));
}

#[test]
fn date_parts_timespans_and_period_ends() {
    let t = |v: &str| Value::DateTime(crate::engine::kql::value::parse_datetime(v).unwrap());
    assert_eq!(call("dayofyear", &[t("2015-12-14")]), Value::Long(348));
    assert_eq!(call("week_of_year", &[t("2020-12-31")]), Value::Long(53));
    let x = t("2017-10-30T01:02:03.7654321Z");
    assert_eq!(
        call("datetime_part", &[s("quarter"), x.clone()]),
        Value::Long(4)
    );
    assert_eq!(
        call("datetime_part", &[s("millisecond"), x.clone()]),
        Value::Long(765)
    );
    assert_eq!(call("datetime_part", &[s("hour"), x]), Value::Long(1));
    assert_eq!(
        call(
            "make_timespan",
            &[
                Value::Long(1),
                Value::Long(12),
                Value::Long(30),
                Value::Real(55.123)
            ]
        )
        .to_text(),
        "1.12:30:55.1230000"
    );
    assert_eq!(
        call("endofmonth", &[t("2017-01-01T10:10:17Z")]).to_text(),
        "2017-01-31T23:59:59.9999999Z"
    );
}

#[test]
fn ipv4_text_helpers() {
    let log = s("05:04:54 127.0.0.1 GET /favicon.ico 404");
    assert_eq!(
        call("has_ipv4", &[log.clone(), s("127.0.0.1")]),
        Value::Bool(true)
    );
    assert_eq!(
        call("has_ipv4", &[s("x 127.0.0.12 y"), s("127.0.0.1")]),
        Value::Bool(false)
    );
    assert_eq!(
        call("has_ipv4_prefix", &[log.clone(), s("127.0.")]),
        Value::Bool(true)
    );
    assert_eq!(
        call("has_ipv4_prefix", &[log, s("10.")]),
        Value::Bool(false)
    );
    assert_eq!(
        call("format_ipv4", &[s("192.168.1.255"), Value::Long(24)]),
        s("192.168.1.0")
    );
    assert_eq!(
        call("format_ipv4_mask", &[s("192.168.1.255"), Value::Long(24)]),
        s("192.168.1.0/24")
    );
    assert_eq!(
        call("ipv4_netmask_suffix", &[s("192.168.1.0/24")]),
        Value::Long(24)
    );
    assert_eq!(
        call("ipv4_netmask_suffix", &[s("192.168.1.1")]),
        Value::Long(32)
    );
}
