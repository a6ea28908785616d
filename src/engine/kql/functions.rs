//! Scalar functions, with Kusto's semantics (Microsoft's KQL reference):
//! null in, null out, for most; strings never null; failed conversions give
//! null rather than an error.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::Engine as _;
use regex::Regex;
use serde_json::Value as Json;

use super::ast::StrOp;
use super::lexer::{
    TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MILLI, TICKS_PER_MINUTE, TICKS_PER_SECOND,
};
use super::value::{Value, format_datetime, parse_datetime, parse_timespan};

/// What functions may read besides their arguments.
pub struct Cx {
    /// The query's "now" (ticks), pinned to the bundle's reference time.
    pub now: i64,
    regexes: RefCell<HashMap<String, Result<Regex, String>>>,
}

impl Cx {
    pub fn new(now: i64) -> Cx {
        Cx {
            now,
            regexes: RefCell::new(HashMap::new()),
        }
    }

    /// A compiled regex, cached by pattern (RE2 syntax, as Kusto uses).
    pub fn regex(&self, pattern: &str) -> Result<Regex, String> {
        if let Some(r) = self.regexes.borrow().get(pattern) {
            return r.clone();
        }
        let compiled =
            Regex::new(pattern).map_err(|e| format!("invalid regular expression `{pattern}`: {e}"));
        self.regexes
            .borrow_mut()
            .insert(pattern.to_string(), compiled.clone());
        compiled
    }
}

pub type ScalarFn = fn(&[Value], &Cx) -> Result<Value, String>;

/// A scalar function: accepted argument counts and the implementation.
pub struct FunctionDef {
    pub min_args: usize,
    pub max_args: usize,
    pub run: ScalarFn,
}

/// Look up a built-in scalar function by name.
pub fn lookup(name: &str) -> Option<FunctionDef> {
    let f = |min_args, max_args, run: ScalarFn| {
        Some(FunctionDef {
            min_args,
            max_args,
            run,
        })
    };
    match name {
        // --- time
        "now" => f(0, 1, |a, cx| {
            Ok(Value::DateTime(
                cx.now + a.first().and_then(ts).unwrap_or(0),
            ))
        }),
        "ago" => f(1, 1, |a, cx| {
            Ok(ts(&a[0]).map_or(Value::Null, |t| Value::DateTime(cx.now - t)))
        }),
        "startofday" => f(1, 2, |a, _| {
            Ok(dt(&a[0]).map_or(Value::Null, |t| {
                Value::DateTime(
                    floor_to(t, TICKS_PER_DAY)
                        + a.get(1).and_then(Value::as_i64).unwrap_or(0) * TICKS_PER_DAY,
                )
            }))
        }),
        "endofday" => f(1, 2, |a, _| {
            Ok(dt(&a[0]).map_or(Value::Null, |t| {
                Value::DateTime(
                    floor_to(t, TICKS_PER_DAY)
                        + (1 + a.get(1).and_then(Value::as_i64).unwrap_or(0)) * TICKS_PER_DAY
                        - 1,
                )
            }))
        }),
        "startofweek" => f(1, 2, |a, _| {
            Ok(dt(&a[0]).map_or(Value::Null, |t| {
                Value::DateTime(
                    start_of_week(t)
                        + a.get(1).and_then(Value::as_i64).unwrap_or(0) * 7 * TICKS_PER_DAY,
                )
            }))
        }),
        "startofmonth" => f(1, 2, |a, _| {
            Ok(dt(&a[0]).map_or(Value::Null, |t| {
                start_of_month(t, a.get(1).and_then(Value::as_i64).unwrap_or(0))
            }))
        }),
        "startofyear" => f(
            1,
            1,
            |a, _| Ok(dt(&a[0]).map_or(Value::Null, start_of_year)),
        ),
        "bin" | "floor" => f(2, 2, |a, _| bin(&a[0], &a[1])),
        "bin_at" => f(3, 3, |a, _| match (&a[0], ts(&a[1]), &a[2]) {
            (Value::DateTime(t), Some(span), Value::DateTime(at)) if span > 0 => {
                Ok(Value::DateTime(at + floor_to(t - at, span)))
            }
            _ => bin(&a[0], &a[1]),
        }),
        "datetime_diff" => f(3, 3, |a, _| datetime_diff(&a[0].to_text(), &a[1], &a[2])),
        "datetime_add" => f(3, 3, |a, _| datetime_add(&a[0].to_text(), &a[1], &a[2])),
        "dayofweek" => f(1, 1, |a, _| {
            Ok(dt(&a[0]).map_or(Value::Null, |t| {
                Value::Timespan((t - start_of_week(t)) / TICKS_PER_DAY * TICKS_PER_DAY)
            }))
        }),
        "hourofday" => f(1, 1, |a, _| {
            Ok(dt(&a[0]).map_or(Value::Null, |t| {
                Value::Long(t.rem_euclid(TICKS_PER_DAY) / TICKS_PER_HOUR)
            }))
        }),
        "dayofmonth" => f(1, 1, |a, _| {
            Ok(dt(&a[0]).and_then(chrono_of).map_or(Value::Null, |d| {
                Value::Long(chrono::Datelike::day(&d) as i64)
            }))
        }),
        "getmonth" | "monthofyear" => f(1, 1, |a, _| {
            Ok(dt(&a[0]).and_then(chrono_of).map_or(Value::Null, |d| {
                Value::Long(chrono::Datelike::month(&d) as i64)
            }))
        }),
        "getyear" => f(1, 1, |a, _| {
            Ok(dt(&a[0]).and_then(chrono_of).map_or(Value::Null, |d| {
                Value::Long(chrono::Datelike::year(&d) as i64)
            }))
        }),
        "format_datetime" => f(2, 2, |a, _| {
            Ok(dt(&a[0]).map_or(Value::String(String::new()), |t| {
                Value::String(format_datetime_pattern(t, &a[1].to_text()))
            }))
        }),
        "unixtime_seconds_todatetime" => f(1, 1, |a, _| {
            Ok(a[0].as_f64().map_or(Value::Null, |s| {
                Value::DateTime((s * TICKS_PER_SECOND as f64) as i64)
            }))
        }),
        "unixtime_milliseconds_todatetime" => f(1, 1, |a, _| {
            Ok(a[0].as_f64().map_or(Value::Null, |s| {
                Value::DateTime((s * TICKS_PER_MILLI as f64) as i64)
            }))
        }),
        "make_datetime" => f(3, 7, |a, _| {
            let n = |i: usize| a.get(i).and_then(Value::as_f64).unwrap_or(0.0);
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:00Z",
                n(0) as i64,
                n(1) as i64,
                n(2) as i64,
                n(3) as i64,
                n(4) as i64
            );
            Ok(parse_datetime(&text).map_or(Value::Null, |t| {
                Value::DateTime(t + (n(5) * TICKS_PER_SECOND as f64) as i64)
            }))
        }),
        // --- conversions
        "tostring" => f(1, 1, |a, _| Ok(Value::String(a[0].to_text()))),
        // `long(…)`, `real(…)`, `bool(…)`: literal syntax, also used on values.
        "toint" | "tolong" | "int" | "long" => f(1, 1, |a, _| Ok(to_long(&a[0]))),
        "todouble" | "toreal" | "todecimal" | "real" | "double" | "decimal" => {
            f(1, 1, |a, _| Ok(to_real(&a[0])))
        }
        "tobool" | "toboolean" | "bool" | "boolean" => f(1, 1, |a, _| Ok(to_bool(&a[0]))),
        "todatetime" => f(1, 1, |a, _| {
            Ok(match &a[0] {
                Value::DateTime(t) => Value::DateTime(*t),
                v => parse_datetime(&v.to_text()).map_or(Value::Null, Value::DateTime),
            })
        }),
        "totimespan" | "time" => f(1, 1, |a, _| {
            Ok(match &a[0] {
                Value::Timespan(t) => Value::Timespan(*t),
                v => parse_timespan(&v.to_text()).map_or(Value::Null, Value::Timespan),
            })
        }),
        "toguid" => f(1, 1, |a, _| Ok(Value::Guid(a[0].to_text()))),
        "todynamic" | "parse_json" => f(1, 1, |a, _| Ok(parse_json(&a[0]))),
        "parse_xml" => f(1, 1, |a, _| Ok(parse_xml(&a[0].to_text()))),
        "extractjson" | "extract_json" => f(2, 3, |a, _| Ok(extract_json(&a[0].to_text(), &a[1]))),
        // --- null and emptiness
        "isempty" => f(1, 1, |a, _| Ok(Value::Bool(a[0].is_empty()))),
        "isnotempty" | "notempty" => f(1, 1, |a, _| Ok(Value::Bool(!a[0].is_empty()))),
        "isnull" => f(1, 1, |a, _| Ok(Value::Bool(a[0].is_null()))),
        "isnotnull" | "notnull" => f(1, 1, |a, _| Ok(Value::Bool(!a[0].is_null()))),
        "coalesce" => f(1, 64, |a, _| {
            Ok(a.iter()
                .find(|v| !v.is_empty())
                .cloned()
                .unwrap_or(Value::Null))
        }),
        "not" => f(1, 1, |a, _| {
            Ok(match a[0] {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Null,
            })
        }),
        "iff" | "iif" => f(3, 3, |a, _| {
            Ok(if a[0].is_true() {
                a[1].clone()
            } else {
                a[2].clone()
            })
        }),
        "case" => f(3, 257, |a, _| {
            let mut i = 0;
            while i + 1 < a.len() {
                if a[i].is_true() {
                    return Ok(a[i + 1].clone());
                }
                i += 2;
            }
            Ok(a.last().cloned().unwrap_or(Value::Null))
        }),
        "gettype" => f(1, 1, |a, _| Ok(Value::String(gettype(&a[0]).into()))),
        // --- strings
        "tolower" => f(1, 1, |a, _| {
            Ok(Value::String(a[0].to_text().to_lowercase()))
        }),
        "toupper" => f(1, 1, |a, _| {
            Ok(Value::String(a[0].to_text().to_uppercase()))
        }),
        "strcat" => f(1, 64, |a, _| {
            Ok(Value::String(a.iter().map(Value::to_text).collect()))
        }),
        "strcat_delim" => f(2, 64, |a, _| {
            Ok(Value::String(
                a[1..]
                    .iter()
                    .map(Value::to_text)
                    .collect::<Vec<_>>()
                    .join(&a[0].to_text()),
            ))
        }),
        "strcat_array" => f(2, 2, |a, _| {
            Ok(Value::String(
                array(&a[0])
                    .iter()
                    .map(json_text)
                    .collect::<Vec<_>>()
                    .join(&a[1].to_text()),
            ))
        }),
        "strlen" | "string_size" => f(1, 1, |a, _| {
            Ok(Value::Long(a[0].to_text().chars().count() as i64))
        }),
        "substring" => f(2, 3, |a, _| Ok(substring(&a[0].to_text(), &a[1], a.get(2)))),
        "split" => f(2, 3, |a, _| {
            Ok(split(&a[0].to_text(), &a[1].to_text(), a.get(2)))
        }),
        "strrep" => f(2, 3, |a, _| {
            let n = a[1].as_i64().unwrap_or(0).clamp(0, 10_000) as usize;
            let d = a.get(2).map(Value::to_text).unwrap_or_default();
            Ok(Value::String(vec![a[0].to_text(); n].join(&d)))
        }),
        "reverse" => f(1, 1, |a, _| {
            Ok(Value::String(a[0].to_text().chars().rev().collect()))
        }),
        "replace_string" => f(3, 3, |a, _| {
            Ok(Value::String(
                a[0].to_text().replace(&a[1].to_text(), &a[2].to_text()),
            ))
        }),
        "replace_regex" => f(3, 3, |a, cx| {
            Ok(Value::String(
                cx.regex(&a[1].to_text())?
                    .replace_all(&a[0].to_text(), kusto_rewrite(&a[2].to_text()))
                    .into_owned(),
            ))
        }),
        // The deprecated `replace(regex, rewrite, text)`.
        "replace" => f(3, 3, |a, cx| {
            Ok(Value::String(
                cx.regex(&a[0].to_text())?
                    .replace_all(&a[2].to_text(), kusto_rewrite(&a[1].to_text()))
                    .into_owned(),
            ))
        }),
        // trim(regex, text)
        "trim" => f(2, 2, |a, cx| {
            trim(&a[1].to_text(), &a[0].to_text(), cx, true, true)
        }),
        "trim_start" => f(2, 2, |a, cx| {
            trim(&a[1].to_text(), &a[0].to_text(), cx, true, false)
        }),
        "trim_end" => f(2, 2, |a, cx| {
            trim(&a[1].to_text(), &a[0].to_text(), cx, false, true)
        }),
        "indexof" => f(2, 5, |a, _| {
            Ok(indexof(
                &a[0].to_text(),
                &a[1].to_text(),
                a.get(2).and_then(Value::as_i64).unwrap_or(0),
            ))
        }),
        "indexof_regex" => f(2, 5, |a, cx| {
            Ok(cx
                .regex(&a[1].to_text())?
                .find(&a[0].to_text())
                .map_or(Value::Long(-1), |m| {
                    Value::Long(a[0].to_text()[..m.start()].chars().count() as i64)
                }))
        }),
        "countof" => f(2, 3, |a, cx| {
            let text = a[0].to_text();
            let needle = a[1].to_text();
            Ok(Value::Long(
                if a.get(2).is_some_and(|k| k.to_text() == "regex") {
                    cx.regex(&needle)?.find_iter(&text).count() as i64
                } else if needle.is_empty() {
                    0
                } else {
                    text.matches(&needle).count() as i64
                },
            ))
        }),
        "extract" => f(3, 4, |a, cx| {
            let text = a[2].to_text();
            let group = a[1].as_i64().unwrap_or(0).max(0) as usize;
            Ok(cx
                .regex(&a[0].to_text())?
                .captures(&text)
                .and_then(|c| c.get(group))
                .map_or(Value::String(String::new()), |m| {
                    Value::String(m.as_str().to_string())
                }))
        }),
        // `extractall` is the older name.
        "extract_all" | "extractall" => f(2, 3, |a, cx| {
            let (pattern, text) = (a[0].to_text(), a[a.len() - 1].to_text());
            let re = cx.regex(&pattern)?;
            let groups = re.captures_len() - 1;
            let matches: Vec<Json> = re
                .captures_iter(&text)
                .map(|c| {
                    if groups <= 1 {
                        Json::String(c.get(groups).map_or("", |m| m.as_str()).to_string())
                    } else {
                        Json::Array(
                            (1..=groups)
                                .map(|g| {
                                    Json::String(c.get(g).map_or("", |m| m.as_str()).to_string())
                                })
                                .collect(),
                        )
                    }
                })
                .collect();
            Ok(if matches.is_empty() {
                Value::Null
            } else {
                Value::Dynamic(Json::Array(matches))
            })
        }),
        "base64_decode_tostring" | "base64_decodestring" => f(1, 1, |a, _| {
            Ok(Value::String(base64_decode(&a[0].to_text())))
        }),
        "base64_decode_toarray" => f(1, 1, |a, _| {
            Ok(base64_bytes(&a[0].to_text()).map_or(Value::Null, |b| {
                Value::Dynamic(Json::Array(b.into_iter().map(Json::from).collect()))
            }))
        }),
        "geo_info_from_ip_address" => f(1, 1, |a, _| {
            Ok(super::geoip::geo_info(&a[0].to_text()).map_or(Value::Null, Value::Dynamic))
        }),
        "format_bytes" => f(1, 4, |a, _| Ok(format_bytes(a))),
        // `range(start, stop [, step])`: a dynamic array, at most 1,048,576 items.
        "range" => f(2, 3, |a, _| {
            let step = a.get(2).and_then(Value::as_f64).unwrap_or(1.0);
            let (Some(start), Some(stop)) = (a[0].as_f64(), a[1].as_f64()) else {
                return Ok(Value::Null);
            };
            if step == 0.0 || (stop - start) / step < 0.0 {
                return Ok(Value::Dynamic(Json::Array(Vec::new())));
            }
            let count = ((stop - start) / step).floor() as u64 + 1;
            if count > 1_048_576 {
                return Err(format!(
                    "{count} items is more than range() allows (1,048,576)"
                ));
            }
            let integral = [&a[0], &a[1]].iter().all(|v| matches!(v, Value::Long(_)))
                && a.get(2).is_none_or(|v| matches!(v, Value::Long(_)));
            Ok(Value::Dynamic(Json::Array(
                (0..count)
                    .map(|i| {
                        let v = start + step * i as f64;
                        if integral {
                            Json::from(v as i64)
                        } else {
                            Json::from(v)
                        }
                    })
                    .collect(),
            )))
        }),
        "has_any_index" => f(2, 2, |a, _| {
            let text = a[0].to_text();
            let items = match &a[1] {
                Value::Dynamic(Json::Array(items)) => items
                    .iter()
                    .map(|i| Value::from_dynamic(i).to_text())
                    .collect(),
                other => vec![other.to_text()],
            };
            Ok(Value::Long(
                items
                    .iter()
                    .position(|i| super::expr::string_op(StrOp::Has, false, &text, i))
                    .map_or(-1, |p| p as i64),
            ))
        }),
        "base64_encode_tostring" | "base64_encodestring" => f(1, 1, |a, _| {
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(a[0].to_text()),
            ))
        }),
        "url_decode" => f(1, 1, |a, _| Ok(Value::String(url_decode(&a[0].to_text())))),
        "parse_url" => f(1, 1, |a, _| Ok(parse_url(&a[0].to_text()))),
        "parse_path" => f(1, 1, |a, _| Ok(parse_path(&a[0].to_text()))),
        "parse_command_line" => f(2, 2, |a, _| {
            Ok(Value::Dynamic(Json::Array(
                parse_command_line(&a[0].to_text())
                    .into_iter()
                    .map(Json::String)
                    .collect(),
            )))
        }),
        "hash_sha256" => f(1, 1, |a, _| {
            use sha2::Digest;
            Ok(Value::String(
                sha2::Sha256::digest(a[0].to_text().as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            ))
        }),
        // --- dynamic values
        "array_length" => f(1, 1, |a, _| {
            Ok(match dynamic_of(&a[0]) {
                Some(Json::Array(v)) => Value::Long(v.len() as i64),
                _ => Value::Null,
            })
        }),
        "array_concat" => f(1, 64, |a, _| {
            Ok(Value::Dynamic(Json::Array(
                a.iter().flat_map(array).collect(),
            )))
        }),
        "array_index_of" => f(2, 2, |a, _| {
            Ok(Value::Long(
                array(&a[0])
                    .iter()
                    .position(|j| {
                        Value::from_dynamic(j).compare(&a[1]) == Some(std::cmp::Ordering::Equal)
                    })
                    .map_or(-1, |i| i as i64),
            ))
        }),
        "array_slice" => f(3, 3, |a, _| {
            let items = array(&a[0]);
            let len = items.len() as i64;
            let norm = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) } as usize;
            let (s, e) = (
                norm(a[1].as_i64().unwrap_or(0)),
                norm(a[2].as_i64().unwrap_or(len - 1)) + 1,
            );
            Ok(Value::Dynamic(Json::Array(if s < e.min(items.len()) {
                items[s..e.min(items.len())].to_vec()
            } else {
                Vec::new()
            })))
        }),
        "array_sort_asc" | "array_sort_desc" => f(1, 1, |a, _| {
            let mut items = array(&a[0]);
            items.sort_by(|x, y| {
                Value::from_dynamic(x)
                    .compare(&Value::from_dynamic(y))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            Ok(Value::Dynamic(Json::Array(items)))
        }),
        "pack_array" => f(0, 64, |a, _| {
            Ok(Value::Dynamic(Json::Array(
                a.iter().map(Value::to_json).collect(),
            )))
        }),
        "pack" | "pack_dictionary" | "bag_pack" => f(0, 128, |a, _| {
            let mut map = serde_json::Map::new();
            for pair in a.chunks(2) {
                if let [k, v] = pair {
                    map.insert(k.to_text(), v.to_json());
                }
            }
            Ok(Value::Dynamic(Json::Object(map)))
        }),
        "bag_keys" => f(1, 1, |a, _| {
            Ok(match dynamic_of(&a[0]) {
                Some(Json::Object(m)) => {
                    Value::Dynamic(Json::Array(m.keys().cloned().map(Json::String).collect()))
                }
                _ => Value::Null,
            })
        }),
        "bag_has_key" => f(2, 2, |a, _| {
            Ok(Value::Bool(
                matches!(dynamic_of(&a[0]), Some(Json::Object(m)) if m.contains_key(&a[1].to_text())),
            ))
        }),
        "set_has_element" => f(2, 2, |a, _| {
            Ok(Value::Bool(array(&a[0]).iter().any(|j| {
                Value::from_dynamic(j).compare(&a[1]) == Some(std::cmp::Ordering::Equal)
            })))
        }),
        "set_union" => f(1, 64, |a, _| Ok(set_of(a.iter().flat_map(array)))),
        "set_intersect" => f(1, 64, |a, _| {
            let sets: Vec<Vec<Json>> = a.iter().map(array).collect();
            Ok(set_of(
                sets[0]
                    .iter()
                    .filter(|x| sets[1..].iter().all(|s| s.contains(x)))
                    .cloned(),
            ))
        }),
        "set_difference" => f(1, 64, |a, _| {
            let rest: Vec<Json> = a[1..].iter().flat_map(array).collect();
            Ok(set_of(
                array(&a[0]).into_iter().filter(|x| !rest.contains(x)),
            ))
        }),
        // --- numbers and bits
        "abs" => f(1, 1, |a, _| {
            Ok(match &a[0] {
                Value::Long(n) => Value::Long(n.abs()),
                Value::Timespan(t) => Value::Timespan(t.abs()),
                v => v.as_f64().map_or(Value::Null, |f| Value::Real(f.abs())),
            })
        }),
        "round" => f(1, 2, |a, _| {
            Ok(a[0].as_f64().map_or(Value::Null, |x| {
                let p = 10f64.powi(a.get(1).and_then(Value::as_i64).unwrap_or(0) as i32);
                Value::Real((x * p).round() / p)
            }))
        }),
        "ceiling" => f(1, 1, |a, _| {
            Ok(a[0].as_f64().map_or(Value::Null, |x| Value::Real(x.ceil())))
        }),
        "sqrt" => f(1, 1, |a, _| {
            Ok(a[0].as_f64().map_or(Value::Null, |x| Value::Real(x.sqrt())))
        }),
        "log" => f(1, 1, |a, _| {
            Ok(a[0].as_f64().map_or(Value::Null, |x| Value::Real(x.ln())))
        }),
        "log10" => f(1, 1, |a, _| {
            Ok(a[0]
                .as_f64()
                .map_or(Value::Null, |x| Value::Real(x.log10())))
        }),
        "log2" => f(1, 1, |a, _| {
            Ok(a[0].as_f64().map_or(Value::Null, |x| Value::Real(x.log2())))
        }),
        "exp" => f(1, 1, |a, _| {
            Ok(a[0].as_f64().map_or(Value::Null, |x| Value::Real(x.exp())))
        }),
        "pow" => f(2, 2, |a, _| {
            Ok(match (a[0].as_f64(), a[1].as_f64()) {
                (Some(x), Some(y)) => Value::Real(x.powf(y)),
                _ => Value::Null,
            })
        }),
        "min_of" => f(1, 64, |a, _| {
            Ok(a.iter()
                .filter(|v| !v.is_null())
                .min_by(|x, y| x.compare(y).unwrap_or(std::cmp::Ordering::Equal))
                .cloned()
                .unwrap_or(Value::Null))
        }),
        "max_of" => f(1, 64, |a, _| {
            Ok(a.iter()
                .filter(|v| !v.is_null())
                .max_by(|x, y| x.compare(y).unwrap_or(std::cmp::Ordering::Equal))
                .cloned()
                .unwrap_or(Value::Null))
        }),
        "binary_and" => f(2, 2, |a, _| Ok(bits(a, |x, y| x & y))),
        "binary_or" => f(2, 2, |a, _| Ok(bits(a, |x, y| x | y))),
        "binary_xor" => f(2, 2, |a, _| Ok(bits(a, |x, y| x ^ y))),
        "binary_not" => f(1, 1, |a, _| {
            Ok(a[0].as_i64().map_or(Value::Null, |x| Value::Long(!x)))
        }),
        "binary_shift_left" => f(2, 2, |a, _| {
            Ok(bits(a, |x, y| x.checked_shl(y as u32).unwrap_or(0)))
        }),
        "binary_shift_right" => f(2, 2, |a, _| {
            Ok(bits(a, |x, y| x.checked_shr(y as u32).unwrap_or(0)))
        }),
        // --- IP addresses
        "ipv4_is_private" => f(1, 1, |a, _| {
            Ok(a[0]
                .to_text()
                .parse::<std::net::Ipv4Addr>()
                .map_or(Value::Null, |ip| Value::Bool(ip.is_private())))
        }),
        "ipv4_is_in_range" => f(2, 2, |a, _| {
            Ok(ipv4_in_range(&a[0].to_text(), &a[1].to_text()))
        }),
        "ipv4_is_match" => f(2, 3, |a, _| {
            Ok(ipv4_in_range(&a[0].to_text(), &a[1].to_text()))
        }),
        "ipv4_compare" => f(2, 3, |a, _| {
            Ok(
                match (
                    a[0].to_text().parse::<std::net::Ipv4Addr>(),
                    a[1].to_text().parse::<std::net::Ipv4Addr>(),
                ) {
                    (Ok(x), Ok(y)) => Value::Long(match u32::from(x).cmp(&u32::from(y)) {
                        std::cmp::Ordering::Less => -1,
                        std::cmp::Ordering::Equal => 0,
                        std::cmp::Ordering::Greater => 1,
                    }),
                    _ => Value::Null,
                },
            )
        }),
        "parse_ipv4" => f(1, 1, |a, _| {
            Ok(a[0]
                .to_text()
                .parse::<std::net::Ipv4Addr>()
                .map_or(Value::Null, |ip| Value::Long(u32::from(ip) as i64)))
        }),
        "ipv6_is_match" => f(2, 3, |a, _| {
            Ok(Value::Bool(
                a[0].to_text().eq_ignore_ascii_case(&a[1].to_text()),
            ))
        }),
        _ => extra::lookup(name),
    }
}

/// Functions Kusto has that rulecheck cannot answer truthfully offline.
pub fn known_unsupported(name: &str) -> Option<&'static str> {
    Some(match name {
        "geo_info_from_ipv6_address" => {
            "needs a geolocation database rulecheck does not ship (geo_info_from_ip_address reads data/geoip.yaml, IPv4 only)"
        }
        "rand" | "new_guid" => "is not deterministic; bundles and reports must be",
        "series_decompose_anomalies"
        | "series_decompose"
        | "series_fit_line"
        | "series_outliers" => "(time-series analysis) is not implemented",
        "dcount_hll" | "hll_merge" | "tdigest" => "(sketches) is not implemented",
        "current_cluster_endpoint" | "current_database" | "cursor_after" | "estimate_data_size" => {
            "depends on a Kusto cluster"
        }
        _ => return None,
    })
}

// --- helpers -----------------------------------------------------------------

fn ts(v: &Value) -> Option<i64> {
    match v {
        Value::Timespan(t) => Some(*t),
        Value::Long(n) => Some(*n),
        Value::String(s) => parse_timespan(s),
        _ => None,
    }
}

fn dt(v: &Value) -> Option<i64> {
    match v {
        Value::DateTime(t) => Some(*t),
        Value::String(s) => parse_datetime(s),
        Value::Dynamic(Json::String(s)) => parse_datetime(s),
        _ => None,
    }
}

fn floor_to(t: i64, unit: i64) -> i64 {
    t.div_euclid(unit) * unit
}

fn chrono_of(t: i64) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::from_timestamp(t.div_euclid(TICKS_PER_SECOND), 0).map(|d| d.naive_utc())
}

fn from_chrono(d: chrono::NaiveDateTime) -> i64 {
    d.and_utc().timestamp() * TICKS_PER_SECOND
}

/// Weeks start on Sunday in Kusto.
fn start_of_week(t: i64) -> i64 {
    let day = floor_to(t, TICKS_PER_DAY);
    // 1970-01-01 was a Thursday (4 days after Sunday).
    let days = day.div_euclid(TICKS_PER_DAY);
    day - (days + 4).rem_euclid(7) * TICKS_PER_DAY
}

fn start_of_month(t: i64, offset: i64) -> Value {
    use chrono::Datelike;
    let Some(d) = chrono_of(t) else {
        return Value::Null;
    };
    let months = d.year() as i64 * 12 + d.month0() as i64 + offset;
    chrono::NaiveDate::from_ymd_opt(
        months.div_euclid(12) as i32,
        months.rem_euclid(12) as u32 + 1,
        1,
    )
    .and_then(|d| d.and_hms_opt(0, 0, 0))
    .map_or(Value::Null, |d| Value::DateTime(from_chrono(d)))
}

fn start_of_year(t: i64) -> Value {
    use chrono::Datelike;
    chrono_of(t)
        .and_then(|d| chrono::NaiveDate::from_ymd_opt(d.year(), 1, 1))
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(Value::Null, |d| Value::DateTime(from_chrono(d)))
}

/// `bin`: round down to a multiple of the bin size.
pub fn bin(v: &Value, size: &Value) -> Result<Value, String> {
    Ok(match (v, size) {
        (Value::Null, _) | (_, Value::Null) => Value::Null,
        (Value::DateTime(t), size) => match ts(size) {
            Some(s) if s > 0 => Value::DateTime(floor_to(*t, s)),
            _ => Value::Null,
        },
        (Value::Timespan(t), size) => match ts(size) {
            Some(s) if s > 0 => Value::Timespan(floor_to(*t, s)),
            _ => Value::Null,
        },
        (Value::Long(n), Value::Long(s)) if *s > 0 => Value::Long(n.div_euclid(*s) * s),
        (v, s) => match (v.as_f64(), s.as_f64()) {
            (Some(x), Some(s)) if s > 0.0 => Value::Real((x / s).floor() * s),
            _ => Value::Null,
        },
    })
}

fn unit_ticks(unit: &str) -> Option<i64> {
    Some(match unit.to_ascii_lowercase().trim_end_matches('s') {
        "day" => TICKS_PER_DAY,
        "hour" => TICKS_PER_HOUR,
        "minute" => TICKS_PER_MINUTE,
        "second" => TICKS_PER_SECOND,
        "millisecond" => TICKS_PER_MILLI,
        "microsecond" => 10,
        "nanosecond" => 1,
        "week" => 7 * TICKS_PER_DAY,
        _ => return None,
    })
}

/// `datetime_diff(unit, a, b)`: the number of unit boundaries between b and a.
fn datetime_diff(unit: &str, a: &Value, b: &Value) -> Result<Value, String> {
    use chrono::Datelike;
    let (Some(x), Some(y)) = (dt(a), dt(b)) else {
        return Ok(Value::Null);
    };
    let lower = unit.to_ascii_lowercase();
    let months = |t: i64| chrono_of(t).map(|d| d.year() as i64 * 12 + d.month0() as i64);
    Ok(match lower.trim_end_matches('s') {
        "year" => Value::Long(
            chrono_of(x).map(|d| d.year()).unwrap_or(0) as i64
                - chrono_of(y).map(|d| d.year()).unwrap_or(0) as i64,
        ),
        "quarter" => Value::Long(months(x).unwrap_or(0) / 3 - months(y).unwrap_or(0) / 3),
        "month" => Value::Long(months(x).unwrap_or(0) - months(y).unwrap_or(0)),
        other => match unit_ticks(other) {
            Some(u) => Value::Long(floor_to(x, u) / u - floor_to(y, u) / u),
            None => return Err(format!("unknown datetime part `{unit}`")),
        },
    })
}

fn datetime_add(unit: &str, amount: &Value, base: &Value) -> Result<Value, String> {
    let (Some(n), Some(t)) = (amount.as_i64(), dt(base)) else {
        return Ok(Value::Null);
    };
    let lower = unit.to_ascii_lowercase();
    match lower.trim_end_matches('s') {
        "month" => Ok(match start_of_month(t, n) {
            Value::DateTime(m) => Value::DateTime(
                m + (t - floor_to(t, TICKS_PER_DAY)) + (dayofmonth0(t)) * TICKS_PER_DAY,
            ),
            other => other,
        }),
        "year" => Ok(match start_of_month(t, 12 * n) {
            Value::DateTime(m) => Value::DateTime(
                m + (t - floor_to(t, TICKS_PER_DAY)) + (dayofmonth0(t)) * TICKS_PER_DAY,
            ),
            other => other,
        }),
        other => unit_ticks(other)
            .map(|u| Value::DateTime(t + n * u))
            .ok_or_else(|| format!("unknown datetime part `{unit}`")),
    }
}

fn dayofmonth0(t: i64) -> i64 {
    chrono_of(t).map_or(0, |d| chrono::Datelike::day0(&d) as i64)
}

/// A subset of .NET custom format strings: yyyy MM dd HH mm ss fff.
fn format_datetime_pattern(t: i64, pattern: &str) -> String {
    let full = format_datetime(t);
    let get = |a: usize, b: usize| full.get(a..b).unwrap_or("").to_string();
    pattern
        .replace("yyyy", &get(0, 4))
        .replace("MM", &get(5, 7))
        .replace("dd", &get(8, 10))
        .replace("HH", &get(11, 13))
        .replace("mm", &get(14, 16))
        .replace("ss", &get(17, 19))
        .replace("fff", &get(20, 23))
}

fn to_long(v: &Value) -> Value {
    match v {
        Value::Long(n) => Value::Long(*n),
        Value::Real(f) if f.is_finite() => Value::Long(*f as i64),
        Value::Bool(b) => Value::Long(i64::from(*b)),
        Value::DateTime(t) | Value::Timespan(t) => Value::Long(*t),
        Value::String(s) | Value::Dynamic(Json::String(s)) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(|f| f as i64)
                })
                .map_or(Value::Null, Value::Long)
        }
        Value::Dynamic(Json::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map_or(Value::Null, Value::Long),
        _ => Value::Null,
    }
}

fn to_real(v: &Value) -> Value {
    match v {
        Value::String(s) | Value::Dynamic(Json::String(s)) => {
            s.trim().parse::<f64>().map_or(Value::Null, Value::Real)
        }
        Value::Bool(b) => Value::Real(f64::from(u8::from(*b))),
        Value::DateTime(t) | Value::Timespan(t) => Value::Real(*t as f64),
        v => v.as_f64().map_or(Value::Null, Value::Real),
    }
}

fn to_bool(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(*b),
        Value::Long(n) => Value::Bool(*n != 0),
        Value::Real(f) => Value::Bool(*f != 0.0),
        Value::String(s) | Value::Dynamic(Json::String(s)) => {
            match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Value::Bool(true),
                "false" | "0" => Value::Bool(false),
                _ => Value::Null,
            }
        }
        Value::Dynamic(Json::Bool(b)) => Value::Bool(*b),
        _ => Value::Null,
    }
}

/// `parse_json`: a string holding JSON becomes that value; anything else
/// (including invalid JSON) stays as it is, as Kusto's reference documents.
pub fn parse_json(v: &Value) -> Value {
    match v {
        Value::String(s) => match serde_json::from_str::<Json>(s) {
            Ok(j) => Value::Dynamic(j),
            Err(_) => Value::Dynamic(Json::String(s.clone())),
        },
        Value::Dynamic(Json::String(s)) => match serde_json::from_str::<Json>(s) {
            Ok(j) => Value::Dynamic(j),
            Err(_) => Value::Dynamic(Json::String(s.clone())),
        },
        Value::Null => Value::Dynamic(Json::Null),
        other => Value::Dynamic(other.to_json()),
    }
}

/// A small XML reader for `parse_xml`: elements become objects, repeated
/// elements arrays, attributes `@name`, text `#text`. Invalid XML gives null.
fn parse_xml(text: &str) -> Value {
    fn parse_element(s: &str, pos: &mut usize) -> Option<(String, Json)> {
        let bytes = s.as_bytes();
        while *pos < s.len() && bytes[*pos] != b'<' {
            *pos += 1;
        }
        if *pos >= s.len() {
            return None;
        }
        // Skip declarations and comments.
        if s[*pos..].starts_with("<?") || s[*pos..].starts_with("<!") {
            *pos += s[*pos..].find('>')? + 1;
            return parse_element(s, pos);
        }
        *pos += 1;
        let end_tag = s[*pos..].find('>')? + *pos;
        let inner = &s[*pos..end_tag];
        let self_closing = inner.ends_with('/');
        let inner = inner.trim_end_matches('/');
        let mut parts = inner.splitn(2, char::is_whitespace);
        let name = parts.next()?.to_string();
        let mut obj = serde_json::Map::new();
        let attrs = parts.next().unwrap_or("");
        let attr_re = Regex::new(r#"([\w:.-]+)\s*=\s*"([^"]*)""#).ok()?;
        for c in attr_re.captures_iter(attrs) {
            obj.insert(format!("@{}", &c[1]), Json::String(c[2].to_string()));
        }
        *pos = end_tag + 1;
        if self_closing {
            return Some((
                name,
                if obj.is_empty() {
                    Json::String(String::new())
                } else {
                    Json::Object(obj)
                },
            ));
        }
        let mut text = String::new();
        loop {
            let next = s[*pos..].find('<')? + *pos;
            text.push_str(&s[*pos..next]);
            *pos = next;
            if s[*pos..].starts_with("</") {
                *pos += s[*pos..].find('>')? + 1;
                break;
            }
            let (child, value) = parse_element(s, pos)?;
            match obj.get_mut(&child) {
                Some(Json::Array(items)) => items.push(value),
                Some(existing) => {
                    let first = existing.take();
                    *existing = Json::Array(vec![first, value]);
                }
                None => {
                    obj.insert(child, value);
                }
            }
        }
        let text = text.trim();
        Some((
            name,
            if obj.is_empty() {
                Json::String(text.to_string())
            } else {
                if !text.is_empty() {
                    obj.insert("#text".into(), Json::String(text.to_string()));
                }
                Json::Object(obj)
            },
        ))
    }
    let mut pos = 0;
    match parse_element(text, &mut pos) {
        Some((name, value)) => {
            let mut root = serde_json::Map::new();
            root.insert(name, value);
            Value::Dynamic(Json::Object(root))
        }
        None => Value::Null,
    }
}

/// `extractjson("$.a.b[0]", json)`.
fn extract_json(path: &str, json: &Value) -> Value {
    let doc = match parse_json(json) {
        Value::Dynamic(j) => j,
        _ => return Value::Null,
    };
    let mut cur = &doc;
    let path = path.trim().trim_start_matches('$');
    let re = Regex::new(r#"\.([^.\[]+)|\[(\d+)\]|\['([^']+)'\]"#).expect("static regex");
    for c in re.captures_iter(path) {
        let next = if let Some(k) = c.get(1).or_else(|| c.get(3)) {
            cur.get(k.as_str())
        } else {
            c.get(2)
                .and_then(|i| i.as_str().parse::<usize>().ok())
                .and_then(|i| cur.get(i))
        };
        match next {
            Some(n) => cur = n,
            None => return Value::Null,
        }
    }
    match cur {
        Json::String(s) => Value::String(s.clone()),
        other => Value::String(other.to_string()),
    }
}

fn gettype(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Long(_) => "long",
        Value::Real(_) => "real",
        Value::String(_) => "string",
        Value::DateTime(_) => "datetime",
        Value::Timespan(_) => "timespan",
        Value::Guid(_) => "guid",
        Value::Dynamic(Json::Array(_)) => "array",
        Value::Dynamic(Json::Object(_)) => "dictionary",
        Value::Dynamic(Json::String(_)) => "string",
        Value::Dynamic(Json::Number(n)) if n.is_i64() => "long",
        Value::Dynamic(Json::Number(_)) => "real",
        Value::Dynamic(Json::Bool(_)) => "bool",
        Value::Dynamic(Json::Null) => "null",
    }
}

fn substring(text: &str, start: &Value, len: Option<&Value>) -> Value {
    let chars: Vec<char> = text.chars().collect();
    let start = start.as_i64().unwrap_or(0).max(0) as usize;
    if start >= chars.len() {
        return Value::String(String::new());
    }
    let end = match len.and_then(Value::as_i64) {
        Some(n) => (start + n.max(0) as usize).min(chars.len()),
        None => chars.len(),
    };
    Value::String(chars[start..end].iter().collect())
}

fn split(text: &str, delim: &str, index: Option<&Value>) -> Value {
    let parts: Vec<Json> = if delim.is_empty() {
        vec![Json::String(text.to_string())]
    } else {
        text.split(delim)
            .map(|p| Json::String(p.to_string()))
            .collect()
    };
    match index {
        // With an index, Kusto returns a one-element array (or empty).
        Some(i) => match i
            .as_i64()
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| parts.get(i))
        {
            Some(p) => Value::Dynamic(Json::Array(vec![p.clone()])),
            None => Value::Dynamic(Json::Array(Vec::new())),
        },
        None => Value::Dynamic(Json::Array(parts)),
    }
}

/// Kusto rewrite strings use `\1` for groups; the regex crate uses `${1}`.
fn kusto_rewrite(rewrite: &str) -> String {
    let re = Regex::new(r"\\(\d+)").expect("static regex");
    re.replace_all(&rewrite.replace('$', "$$"), "$${$1}")
        .into_owned()
}

fn trim(text: &str, pattern: &str, cx: &Cx, start: bool, end: bool) -> Result<Value, String> {
    let mut out = text.to_string();
    if start {
        let re = cx.regex(&format!("^(?:{pattern})+"))?;
        out = re.replace(&out, "").into_owned();
    }
    if end {
        let re = cx.regex(&format!("(?:{pattern})+$"))?;
        out = re.replace(&out, "").into_owned();
    }
    Ok(Value::String(out))
}

fn indexof(text: &str, needle: &str, start: i64) -> Value {
    let start = start.max(0) as usize;
    let chars: Vec<char> = text.chars().collect();
    if start > chars.len() {
        return Value::Long(-1);
    }
    let tail: String = chars[start..].iter().collect();
    match tail.find(needle) {
        Some(byte) => Value::Long((start + tail[..byte].chars().count()) as i64),
        None => Value::Long(-1),
    }
}

fn base64_bytes(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(cleaned.trim_end_matches('=').as_bytes())
        })
        .ok()
}

fn base64_decode(text: &str) -> String {
    base64_bytes(text)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// `format_bytes(size [, precision [, units [, base]]])`: `564 Bytes`,
/// `11 KB`, `19.87 MB`; the unit is chosen by size unless given.
fn format_bytes(a: &[Value]) -> Value {
    let Some(size) = a[0].as_f64() else {
        return Value::Null;
    };
    let precision = a.get(1).and_then(Value::as_i64).unwrap_or(0).clamp(0, 15) as usize;
    let base: f64 = match a.get(3).and_then(Value::as_i64) {
        Some(1000) => 1000.0,
        _ => 1024.0,
    };
    const UNITS: [&str; 6] = ["Bytes", "KB", "MB", "GB", "TB", "PB"];
    let wanted = a.get(2).map(Value::to_text).filter(|u| !u.is_empty());
    let exponent = match wanted.as_deref() {
        Some(u) => match UNITS.iter().position(|x| x.eq_ignore_ascii_case(u)) {
            Some(e) => e,
            None => return Value::Null,
        },
        None => {
            let mut e = 0;
            while e + 1 < UNITS.len() && size.abs() >= base.powi(e as i32 + 1) {
                e += 1;
            }
            e
        }
    };
    let scaled = size / base.powi(exponent as i32);
    Value::String(format!("{scaled:.precision$} {}", UNITS[exponent]))
}

fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_url(text: &str) -> Value {
    let re = Regex::new(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:(?P<user>[^:@/]*)(?::(?P<pass>[^@/]*))?@)?(?P<host>[^:/?#]*)(?::(?P<port>\d+))?(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?(?:#(?P<frag>.*))?$").expect("static regex");
    let Some(c) = re.captures(text) else {
        return Value::Dynamic(Json::Object(Default::default()));
    };
    let g = |n: &str| Json::String(c.name(n).map_or("", |m| m.as_str()).to_string());
    let mut params = serde_json::Map::new();
    if let Some(q) = c.name("query") {
        for pair in q.as_str().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            params.insert(k.to_string(), Json::String(url_decode(v)));
        }
    }
    let mut m = serde_json::Map::new();
    m.insert("Scheme".into(), g("scheme"));
    m.insert("Host".into(), g("host"));
    m.insert("Port".into(), g("port"));
    m.insert("Path".into(), g("path"));
    m.insert("Username".into(), g("user"));
    m.insert("Password".into(), g("pass"));
    m.insert("Query Parameters".into(), Json::Object(params));
    m.insert("Fragment".into(), g("frag"));
    Value::Dynamic(Json::Object(m))
}

fn parse_path(text: &str) -> Value {
    let sep = if text.contains('\\') { '\\' } else { '/' };
    let (dir, file) = match text.rfind(sep) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => ("", text),
    };
    let ext = file.rsplit_once('.').map_or("", |(_, e)| e);
    let root = if text.len() >= 2 && text.as_bytes()[1] == b':' {
        &text[..2]
    } else {
        ""
    };
    let mut m = serde_json::Map::new();
    m.insert("Scheme".into(), Json::String(String::new()));
    m.insert("RootPath".into(), Json::String(root.to_string()));
    m.insert("DirectoryPath".into(), Json::String(dir.to_string()));
    m.insert(
        "DirectoryName".into(),
        Json::String(dir.rsplit(sep).next().unwrap_or("").to_string()),
    );
    m.insert("Filename".into(), Json::String(file.to_string()));
    m.insert("Extension".into(), Json::String(ext.to_string()));
    m.insert(
        "AlternateDataStreamName".into(),
        Json::String(String::new()),
    );
    Value::Dynamic(Json::Object(m))
}

/// Windows command-line splitting (CommandLineToArgvW rules).
pub fn parse_command_line(cmd: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut has_arg = false;
    let chars: Vec<char> = cmd.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let mut n = 0;
                while i < chars.len() && chars[i] == '\\' {
                    n += 1;
                    i += 1;
                }
                if i < chars.len() && chars[i] == '"' {
                    cur.extend(std::iter::repeat_n('\\', n / 2));
                    if n % 2 == 1 {
                        cur.push('"');
                        i += 1;
                    }
                } else {
                    cur.extend(std::iter::repeat_n('\\', n));
                }
                has_arg = true;
                continue;
            }
            '"' => {
                in_quotes = !in_quotes;
                has_arg = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if has_arg {
                    args.push(std::mem::take(&mut cur));
                    has_arg = false;
                }
            }
            c => {
                cur.push(c);
                has_arg = true;
            }
        }
        i += 1;
    }
    if has_arg {
        args.push(cur);
    }
    args
}

fn dynamic_of(v: &Value) -> Option<Json> {
    match v {
        Value::Dynamic(j) => Some(j.clone()),
        Value::String(s) => serde_json::from_str(s).ok(),
        _ => None,
    }
}

/// The elements of an array value (a scalar counts as a one-element array).
pub fn array(v: &Value) -> Vec<Json> {
    match v {
        Value::Dynamic(Json::Array(items)) => items.clone(),
        Value::Null | Value::Dynamic(Json::Null) => Vec::new(),
        Value::String(s) => match serde_json::from_str::<Json>(s) {
            Ok(Json::Array(items)) => items,
            _ => vec![Json::String(s.clone())],
        },
        other => vec![other.to_json()],
    }
}

fn json_text(j: &Json) -> String {
    match j {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

fn set_of(items: impl Iterator<Item = Json>) -> Value {
    let mut out: Vec<Json> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    Value::Dynamic(Json::Array(out))
}

fn bits(a: &[Value], f: fn(i64, i64) -> i64) -> Value {
    match (a[0].as_i64(), a[1].as_i64()) {
        (Some(x), Some(y)) => Value::Long(f(x, y)),
        _ => Value::Null,
    }
}

fn ipv4_in_range(ip: &str, range: &str) -> Value {
    let (base, bits) = match range.split_once('/') {
        Some((b, n)) => (b, n.parse::<u32>().unwrap_or(32)),
        None => (range, 32),
    };
    match (
        ip.trim().parse::<std::net::Ipv4Addr>(),
        base.trim().parse::<std::net::Ipv4Addr>(),
    ) {
        (Ok(ip), Ok(base)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Value::Bool(u32::from(ip) & mask == u32::from(base) & mask)
        }
        _ => Value::Null,
    }
}

mod extra;

#[cfg(test)]
mod tests;
