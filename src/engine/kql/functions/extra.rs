//! Less common scalar functions: dynamic arrays and bags, hashes, URL
//! encoding, date parts, IPv4 text helpers, Unicode code points. Semantics
//! follow Microsoft's KQL reference; `lookup` is consulted after the main table.

use serde_json::{Map, Value as Json};

use super::{FunctionDef, ScalarFn, array, dt, start_of_month, start_of_week};
use crate::engine::kql::lexer::{
    TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND,
};
use crate::engine::kql::value::Value;

pub(super) fn lookup(name: &str) -> Option<FunctionDef> {
    let f = |min_args, max_args, run: ScalarFn| {
        Some(FunctionDef {
            min_args,
            max_args,
            run,
        })
    };
    match name {
        // --- dynamic arrays and bags
        "array_reverse" => f(1, 1, |a, _| {
            Ok(as_array(&a[0]).map_or(Value::Null, |mut v| {
                v.reverse();
                dynamic(Json::Array(v))
            }))
        }),
        "array_sum" => f(1, 1, |a, _| {
            // Null when any element is not a number.
            let Some(items) = as_array(&a[0]) else {
                return Ok(Value::Null);
            };
            let mut sum = 0.0;
            for i in &items {
                match i.as_f64() {
                    Some(x) => sum += x,
                    None => return Ok(Value::Null),
                }
            }
            Ok(Value::Real(sum))
        }),
        "array_iff" | "array_iif" => f(3, 3, |a, _| {
            let Some(conditions) = as_array(&a[0]) else {
                return Ok(Value::Null);
            };
            // A scalar branch applies to every element; an array branch pairs by index.
            let pick = |branch: &Value, i: usize| match branch {
                Value::Dynamic(Json::Array(items)) => items.get(i).cloned().unwrap_or(Json::Null),
                other => other.to_json(),
            };
            Ok(dynamic(Json::Array(
                conditions
                    .iter()
                    .enumerate()
                    .map(|(i, c)| match c {
                        Json::Bool(true) => pick(&a[1], i),
                        Json::Bool(false) => pick(&a[2], i),
                        _ => Json::Null,
                    })
                    .collect(),
            )))
        }),
        "array_split" => f(2, 2, |a, _| {
            let Some(items) = as_array(&a[0]) else {
                return Ok(Value::Null);
            };
            let n = items.len() as i64;
            let indices: Vec<i64> = match &a[1] {
                Value::Dynamic(Json::Array(idx)) => idx.iter().filter_map(Json::as_i64).collect(),
                other => other.as_i64().into_iter().collect(),
            };
            let mut cuts: Vec<usize> = indices
                .into_iter()
                // Negative indices count from the end.
                .map(|i| if i < 0 { (n + i).max(0) } else { i.min(n) } as usize)
                .collect();
            cuts.sort_unstable();
            let mut parts = Vec::new();
            let mut start = 0;
            for cut in cuts.into_iter().chain([items.len()]) {
                let cut = cut.max(start);
                parts.push(Json::Array(items[start..cut].to_vec()));
                start = cut;
            }
            Ok(dynamic(Json::Array(parts)))
        }),
        "zip" => f(2, 16, |a, _| {
            let arrays: Vec<Vec<Json>> =
                a.iter().map(|v| as_array(v).unwrap_or_default()).collect();
            let len = arrays.iter().map(Vec::len).max().unwrap_or(0);
            Ok(dynamic(Json::Array(
                (0..len)
                    .map(|i| {
                        Json::Array(
                            arrays
                                .iter()
                                .map(|arr| arr.get(i).cloned().unwrap_or(Json::Null))
                                .collect(),
                        )
                    })
                    .collect(),
            )))
        }),
        "jaccard_index" => f(2, 2, |a, _| {
            let set = |v: &Value| -> Vec<String> {
                let mut items: Vec<String> = array(v).iter().map(Json::to_string).collect();
                items.sort();
                items.dedup();
                items
            };
            let (x, y) = (set(&a[0]), set(&a[1]));
            let both = x.iter().filter(|i| y.contains(i)).count();
            let union = x.len() + y.len() - both;
            Ok(if union == 0 {
                Value::Real(0.0)
            } else {
                Value::Real(both as f64 / union as f64)
            })
        }),
        "bag_merge" => f(2, 64, |a, _| {
            // The leftmost bag's value wins for a key found in several.
            let mut merged = Map::new();
            for bag in a {
                if let Value::Dynamic(Json::Object(m)) = bag {
                    for (k, v) in m {
                        merged.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            Ok(dynamic(Json::Object(merged)))
        }),
        "bag_remove_keys" => f(2, 2, |a, _| {
            let Value::Dynamic(Json::Object(bag)) = &a[0] else {
                return Ok(Value::Null);
            };
            let keys: Vec<String> = array(&a[1])
                .iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect();
            let mut bag = bag.clone();
            for key in keys {
                remove_path(
                    &mut bag,
                    key.trim_start_matches("$.").trim_start_matches('$'),
                );
            }
            Ok(dynamic(Json::Object(bag)))
        }),
        "dynamic_to_json" => f(1, 1, |a, _| {
            Ok(Value::String(canonical_json(&a[0].to_json())))
        }),
        // --- strings
        "translate" => f(3, 3, |a, _| {
            let (search, replace, source) = (a[0].to_text(), a[1].to_text(), a[2].to_text());
            let search: Vec<char> = search.chars().collect();
            let replace: Vec<char> = replace.chars().collect();
            Ok(Value::String(
                source
                    .chars()
                    .filter_map(|c| match search.iter().position(|s| *s == c) {
                        // An empty replacement list deletes; a short one repeats its last character.
                        Some(i) => replace.get(i).or(replace.last()).copied(),
                        None => Some(c),
                    })
                    .collect(),
            ))
        }),
        "strcmp" => f(2, 2, |a, _| {
            Ok(Value::Long(match a[0].to_text().cmp(&a[1].to_text()) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            }))
        }),
        "isascii" => f(1, 1, |a, _| Ok(Value::Bool(a[0].to_text().is_ascii()))),
        // Strings are always valid UTF-8 here.
        "isutf8" => f(1, 1, |_, _| Ok(Value::Bool(true))),
        "unicode_codepoints_from_string" => f(1, 1, |a, _| {
            Ok(dynamic(Json::Array(
                a[0].to_text()
                    .chars()
                    .map(|c| Json::from(c as u32))
                    .collect(),
            )))
        }),
        "unicode_codepoints_to_string" | "make_string" => f(1, 64, |a, _| {
            let mut out = String::new();
            for v in a {
                let codes: Vec<i64> = match v {
                    Value::Dynamic(Json::Array(items)) => {
                        items.iter().filter_map(Json::as_i64).collect()
                    }
                    other => other.as_i64().into_iter().collect(),
                };
                for code in codes {
                    match u32::try_from(code).ok().and_then(char::from_u32) {
                        Some(c) => out.push(c),
                        None => return Ok(Value::Null),
                    }
                }
            }
            Ok(Value::String(out))
        }),
        "url_encode_component" => f(1, 1, |a, _| {
            Ok(Value::String(percent_encode(&a[0].to_text(), "")))
        }),
        // `url_encode` keeps the characters that structure a URL.
        "url_encode" => f(1, 1, |a, _| {
            Ok(Value::String(percent_encode(
                &a[0].to_text(),
                ":/?#[]@!$&'()*+,;=",
            )))
        }),
        "parse_csv" => f(1, 1, |a, _| {
            let text = a[0].to_text();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            Ok(match reader.records().next() {
                Some(Ok(record)) => dynamic(Json::Array(record.iter().map(Json::from).collect())),
                Some(Err(_)) => Value::Null,
                None => dynamic(Json::Array(vec![Json::from("")])),
            })
        }),
        // --- hashes
        "hash_md5" => f(1, 1, |a, _| {
            use md5::Digest;
            Ok(Value::String(hex(&md5::Md5::digest(
                a[0].to_text().as_bytes(),
            ))))
        }),
        "hash_sha1" => f(1, 1, |a, _| {
            use sha1::Digest;
            Ok(Value::String(hex(&sha1::Sha1::digest(
                a[0].to_text().as_bytes(),
            ))))
        }),
        // --- numbers
        "sign" => f(1, 1, |a, _| {
            Ok(match &a[0] {
                Value::Long(n) => Value::Long(n.signum()),
                v => v.as_f64().map_or(Value::Null, |x| {
                    Value::Real(if x == 0.0 { 0.0 } else { x.signum() })
                }),
            })
        }),
        "isnan" => f(1, 1, |a, _| {
            Ok(a[0]
                .as_f64()
                .map_or(Value::Null, |x| Value::Bool(x.is_nan())))
        }),
        "isinf" => f(1, 1, |a, _| {
            Ok(a[0]
                .as_f64()
                .map_or(Value::Null, |x| Value::Bool(x.is_infinite())))
        }),
        "tohex" => f(1, 2, |a, _| {
            let Some(n) = a[0].as_i64() else {
                return Ok(Value::Null);
            };
            // Negative numbers as their 64-bit two's complement, as Kusto does.
            let text = format!("{:x}", n as u64);
            let width = a.get(1).and_then(Value::as_i64).unwrap_or(0).max(0) as usize;
            Ok(Value::String(format!("{text:0>width$}")))
        }),
        // --- time
        "dayofyear" => f(1, 1, |a, _| {
            Ok(date_part(&a[0], |d| chrono::Datelike::ordinal(&d) as i64))
        }),
        "week_of_year" => f(1, 1, |a, _| {
            Ok(date_part(&a[0], |d| {
                chrono::Datelike::iso_week(&d).week() as i64
            }))
        }),
        "datetime_part" => f(2, 2, |a, _| {
            use chrono::{Datelike, Timelike};
            let part = a[0].to_text().to_ascii_lowercase();
            let read: fn(chrono::NaiveDateTime, i64) -> i64 = match part.as_str() {
                "year" => |d, _| d.year() as i64,
                "quarter" => |d, _| d.month0() as i64 / 3 + 1,
                "month" => |d, _| d.month() as i64,
                "week_of_year" | "weekofyear" | "week" => |d, _| d.iso_week().week() as i64,
                "day" => |d, _| d.day() as i64,
                "dayofyear" => |d, _| d.ordinal() as i64,
                "hour" => |d, _| d.hour() as i64,
                "minute" => |d, _| d.minute() as i64,
                "second" => |d, _| d.second() as i64,
                "millisecond" => |_, frac| frac / 10_000,
                "microsecond" => |_, frac| frac / 10,
                "nanosecond" => |_, frac| frac * 100,
                _ => return Err(format!("`{part}` is not a datetime part")),
            };
            let frac = dt(&a[1]).map_or(0, |t| t.rem_euclid(TICKS_PER_SECOND));
            Ok(date_part(&a[1], |d| read(d, frac)))
        }),
        "make_timespan" => f(2, 4, |a, _| {
            let n: Option<Vec<f64>> = a.iter().map(Value::as_f64).collect();
            let Some(n) = n else {
                return Ok(Value::Null);
            };
            // (hours, minutes [, seconds]) or (days, hours, minutes, seconds).
            let (d, h, m, s) = match n[..] {
                [h, m] => (0.0, h, m, 0.0),
                [h, m, s] => (0.0, h, m, s),
                [d, h, m, s] => (d, h, m, s),
                _ => unreachable!("arity is checked"),
            };
            Ok(Value::Timespan(
                (d * TICKS_PER_DAY as f64
                    + h * TICKS_PER_HOUR as f64
                    + m * TICKS_PER_MINUTE as f64
                    + s * TICKS_PER_SECOND as f64)
                    .round() as i64,
            ))
        }),
        "endofweek" => f(1, 2, |a, _| {
            let offset = a.get(1).and_then(Value::as_i64).unwrap_or(0);
            Ok(dt(&a[0]).map_or(Value::Null, |t| {
                Value::DateTime(start_of_week(t) + (offset + 1) * 7 * TICKS_PER_DAY - 1)
            }))
        }),
        "endofmonth" => f(1, 2, |a, _| {
            let offset = a.get(1).and_then(Value::as_i64).unwrap_or(0);
            Ok(match dt(&a[0]).map(|t| start_of_month(t, offset + 1)) {
                Some(Value::DateTime(next)) => Value::DateTime(next - 1),
                _ => Value::Null,
            })
        }),
        // --- IPv4 text
        "has_ipv4" => f(2, 2, |a, _| {
            let wanted = parse_ipv4(&a[1].to_text());
            Ok(match wanted {
                Some(w) => Value::Bool(ipv4_tokens(&a[0].to_text()).any(|ip| ip == w)),
                None => Value::Bool(false),
            })
        }),
        "has_ipv4_prefix" => f(2, 2, |a, _| {
            let prefix = a[1].to_text();
            // A prefix is whole octets, written with or without the trailing dot.
            let octets: Option<Vec<u8>> = prefix
                .trim_end_matches('.')
                .split('.')
                .map(|o| o.parse().ok())
                .collect();
            let Some(octets) = octets.filter(|o| !o.is_empty() && o.len() <= 4) else {
                return Ok(Value::Bool(false));
            };
            Ok(Value::Bool(
                ipv4_tokens(&a[0].to_text()).any(|ip| ip[..octets.len()] == octets[..]),
            ))
        }),
        "ipv4_netmask_suffix" => f(1, 1, |a, _| {
            let text = a[0].to_text();
            let (ip, suffix) = text
                .split_once('/')
                .map_or((text.as_str(), "32"), |(i, s)| (i, s));
            Ok(match (parse_ipv4(ip), suffix.trim().parse::<i64>()) {
                (Some(_), Ok(s)) if (0..=32).contains(&s) => Value::Long(s),
                _ => Value::Null,
            })
        }),
        // The address with the mask applied; `_mask` appends `/prefix`.
        "format_ipv4" => f(1, 2, |a, _| Ok(format_ipv4(a, false))),
        "format_ipv4_mask" => f(1, 2, |a, _| Ok(format_ipv4(a, true))),
        _ => None,
    }
}

fn format_ipv4(a: &[Value], with_mask: bool) -> Value {
    let text = a[0].to_text();
    let (ip, inline) = text
        .split_once('/')
        .map_or((text.as_str(), None), |(i, s)| {
            (i, s.trim().parse::<u32>().ok())
        });
    let prefix = match a.get(1) {
        Some(p) => p.as_i64().and_then(|p| u32::try_from(p).ok()),
        None => Some(inline.unwrap_or(32)),
    };
    let (Some(octets), Some(prefix)) = (parse_ipv4(ip), prefix.filter(|p| *p <= 32)) else {
        return Value::String(String::new());
    };
    let bits = u32::from_be_bytes(octets);
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    let [w, x, y, z] = (bits & mask).to_be_bytes();
    Value::String(if with_mask {
        format!("{w}.{x}.{y}.{z}/{prefix}")
    } else {
        format!("{w}.{x}.{y}.{z}")
    })
}

fn dynamic(j: Json) -> Value {
    Value::Dynamic(j)
}

fn as_array(v: &Value) -> Option<Vec<Json>> {
    match v {
        Value::Dynamic(Json::Array(items)) => Some(items.clone()),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn date_part(v: &Value, part: impl FnOnce(chrono::NaiveDateTime) -> i64) -> Value {
    dt(v)
        .and_then(|t| chrono::DateTime::from_timestamp(t.div_euclid(TICKS_PER_SECOND), 0))
        .map_or(Value::Null, |d| Value::Long(part(d.naive_utc())))
}

/// Remove `a.b.c` from a bag (a plain key when it has no dots).
fn remove_path(bag: &mut Map<String, Json>, path: &str) {
    if bag.remove(path).is_some() {
        return;
    }
    if let Some((head, rest)) = path.split_once('.') {
        if let Some(Json::Object(inner)) = bag.get_mut(head) {
            remove_path(inner, rest);
        }
    }
}

/// JSON with object keys sorted, recursively.
fn canonical_json(j: &Json) -> String {
    match j {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Json::from(k.as_str()), canonical_json(&m[k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Json::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// Percent-encode every byte except unreserved characters and `keep`.
fn percent_encode(text: &str, keep: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || "-_.~".contains(c) || keep.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn parse_ipv4(text: &str) -> Option<[u8; 4]> {
    text.trim()
        .parse::<std::net::Ipv4Addr>()
        .ok()
        .map(|ip| ip.octets())
}

/// The valid IPv4 addresses in a text, each bounded by characters that are
/// neither alphanumeric nor dots.
fn ipv4_tokens(text: &str) -> impl Iterator<Item = [u8; 4]> + '_ {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .filter_map(parse_ipv4)
}
