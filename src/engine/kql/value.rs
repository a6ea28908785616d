//! KQL scalar values and types.
//!
//! Times are 100-nanosecond ticks since the Unix epoch (datetime) or plain
//! ticks (timespan), Kusto's own resolution. `string` is never null in Kusto
//! (an empty string stands in); every other type has a null.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value as Json;

use super::lexer::{TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KqlType {
    Bool,
    DateTime,
    Dynamic,
    Guid,
    Int,
    Long,
    Real,
    String,
    Timespan,
    Decimal,
}

impl KqlType {
    pub fn parse(name: &str) -> Option<KqlType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "bool" | "boolean" => KqlType::Bool,
            "datetime" | "date" => KqlType::DateTime,
            "dynamic" => KqlType::Dynamic,
            "guid" | "uniqueid" => KqlType::Guid,
            "int" | "int32" => KqlType::Int,
            "long" | "int64" => KqlType::Long,
            "real" | "double" => KqlType::Real,
            "string" => KqlType::String,
            "timespan" | "time" => KqlType::Timespan,
            "decimal" => KqlType::Decimal,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            KqlType::Bool => "bool",
            KqlType::DateTime => "datetime",
            KqlType::Dynamic => "dynamic",
            KqlType::Guid => "guid",
            KqlType::Int => "int",
            KqlType::Long => "long",
            KqlType::Real => "real",
            KqlType::String => "string",
            KqlType::Timespan => "timespan",
            KqlType::Decimal => "decimal",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// `int` and `long` (Kusto widens freely between them).
    Long(i64),
    Real(f64),
    String(String),
    DateTime(i64),
    Timespan(i64),
    Dynamic(Json),
    Guid(String),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null) || matches!(self, Value::Dynamic(Json::Null))
    }

    /// Kusto's `isempty`: null or an empty string.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Dynamic(Json::Null) => true,
            Value::Dynamic(Json::String(s)) => s.is_empty(),
            _ => false,
        }
    }

    pub fn type_of(&self) -> Option<KqlType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => KqlType::Bool,
            Value::Long(_) => KqlType::Long,
            Value::Real(_) => KqlType::Real,
            Value::String(_) => KqlType::String,
            Value::DateTime(_) => KqlType::DateTime,
            Value::Timespan(_) => KqlType::Timespan,
            Value::Dynamic(_) => KqlType::Dynamic,
            Value::Guid(_) => KqlType::Guid,
        })
    }

    /// Truthiness for predicates: only `true` keeps a row (null drops it).
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true) | Value::Dynamic(Json::Bool(true)))
    }

    /// `tostring`: the text Kusto shows for a value; null becomes "".
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Long(n) => n.to_string(),
            Value::Real(f) => format_real(*f),
            Value::String(s) | Value::Guid(s) => s.clone(),
            Value::DateTime(t) => format_datetime(*t),
            Value::Timespan(t) => format_timespan(*t),
            Value::Dynamic(Json::String(s)) => s.clone(),
            Value::Dynamic(Json::Null) => String::new(),
            Value::Dynamic(j) => j.to_string(),
        }
    }

    /// The value as JSON, for `dynamic` containers and JSON output.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Long(n) => Json::from(*n),
            Value::Real(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::String(s) | Value::Guid(s) => Json::String(s.clone()),
            Value::DateTime(_) | Value::Timespan(_) => Json::String(self.to_text()),
            Value::Dynamic(j) => j.clone(),
        }
    }

    /// A JSON value read as `dynamic` and unwrapped to a scalar where it is one,
    /// as Kusto does when a dynamic scalar meets a typed operator.
    pub fn from_dynamic(j: &Json) -> Value {
        match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => n
                .as_i64()
                .map(Value::Long)
                .unwrap_or_else(|| Value::Real(n.as_f64().unwrap_or(f64::NAN))),
            Json::String(s) => Value::String(s.clone()),
            other => Value::Dynamic(other.clone()),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Long(n) => Some(*n as f64),
            Value::Real(f) => Some(*f),
            Value::Dynamic(Json::Number(n)) => n.as_f64(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Long(n) => Some(*n),
            Value::Real(f) if f.is_finite() => Some(*f as i64),
            Value::Dynamic(Json::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            _ => None,
        }
    }

    /// Ordering for sort, min/max and comparisons of like types; `None` when
    /// the values cannot be compared (null or different kinds).
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Null, _) | (_, Value::Null) => None,
            (Value::Long(a), Value::Long(b)) => Some(a.cmp(b)),
            (Value::Long(_) | Value::Real(_), Value::Long(_) | Value::Real(_)) => {
                self.as_f64()?.partial_cmp(&other.as_f64()?)
            }
            (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
            (Value::DateTime(a), Value::DateTime(b)) | (Value::Timespan(a), Value::Timespan(b)) => {
                Some(a.cmp(b))
            }
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Guid(a), Value::Guid(b)) => {
                Some(a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()))
            }
            (Value::Dynamic(a), b) => Value::from_dynamic(a).compare_non_dynamic(b),
            (a, Value::Dynamic(b)) => a.compare_non_dynamic(&Value::from_dynamic(b)),
            (Value::String(a), b) => Some(a.as_str().cmp(b.to_text().as_str())),
            (a, Value::String(b)) => Some(a.to_text().as_str().cmp(b.as_str())),
            _ => None,
        }
    }

    fn compare_non_dynamic(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Dynamic(a), Value::Dynamic(b)) => (a == b).then_some(Ordering::Equal),
            // An array or property bag has no order with a scalar (and
            // `compare` would unwrap it again, forever).
            (Value::Dynamic(_), _) | (_, Value::Dynamic(_)) => None,
            _ => self.compare(other),
        }
    }

    /// A key for grouping (`summarize by`, `distinct`, joins): values that
    /// Kusto treats as equal give equal keys.
    pub fn group_key(&self) -> String {
        match self {
            Value::Null => "\u{0}null".into(),
            Value::Long(n) => format!("n:{n}"),
            Value::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("n:{}", *f as i64),
            Value::Real(f) => format!("r:{f}"),
            Value::Bool(b) => format!("b:{b}"),
            Value::String(s) => format!("s:{s}"),
            Value::DateTime(t) => format!("d:{t}"),
            Value::Timespan(t) => format!("t:{t}"),
            Value::Guid(g) => format!("g:{}", g.to_ascii_lowercase()),
            Value::Dynamic(Json::String(s)) => format!("s:{s}"),
            Value::Dynamic(Json::Number(n)) => match n.as_i64() {
                Some(i) => format!("n:{i}"),
                None => format!("r:{n}"),
            },
            Value::Dynamic(Json::Bool(b)) => format!("b:{b}"),
            Value::Dynamic(Json::Null) => "\u{0}null".into(),
            Value::Dynamic(j) => format!("j:{j}"),
        }
    }

    /// Read a JSON field of a record as a column of type `ty`.
    pub fn from_json_typed(j: &Json, ty: KqlType) -> Value {
        match (ty, j) {
            (_, Json::Null) if ty != KqlType::String && ty != KqlType::Dynamic => Value::Null,
            (KqlType::String, Json::Null) => Value::String(String::new()),
            (KqlType::String, Json::String(s)) => Value::String(s.clone()),
            (KqlType::String, other) => Value::String(other.to_string()),
            (KqlType::Dynamic, other) => Value::Dynamic(other.clone()),
            (KqlType::Bool, Json::Bool(b)) => Value::Bool(*b),
            (KqlType::Bool, Json::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::Null,
            },
            (KqlType::Int | KqlType::Long, Json::Number(n)) => {
                n.as_i64().map_or(Value::Null, Value::Long)
            }
            (KqlType::Int | KqlType::Long, Json::String(s)) => {
                s.trim().parse().map_or(Value::Null, Value::Long)
            }
            (KqlType::Real | KqlType::Decimal, Json::Number(n)) => {
                n.as_f64().map_or(Value::Null, Value::Real)
            }
            (KqlType::Real | KqlType::Decimal, Json::String(s)) => {
                s.trim().parse().map_or(Value::Null, Value::Real)
            }
            (KqlType::DateTime, Json::String(s)) => {
                parse_datetime(s).map_or(Value::Null, Value::DateTime)
            }
            (KqlType::Timespan, Json::String(s)) => {
                parse_timespan(s).map_or(Value::Null, Value::Timespan)
            }
            (KqlType::Guid, Json::String(s)) => Value::Guid(s.clone()),
            _ => Value::Null,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

fn format_real(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        let s = format!("{f}");
        s
    }
}

/// `2026-03-02T09:14:39.5974810Z`: Kusto's datetime text (7 fractional digits).
pub fn format_datetime(ticks: i64) -> String {
    let secs = ticks.div_euclid(super::lexer::TICKS_PER_SECOND);
    let frac = ticks.rem_euclid(super::lexer::TICKS_PER_SECOND);
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(t) => format!("{}.{frac:07}Z", t.format("%Y-%m-%dT%H:%M:%S")),
        None => String::new(),
    }
}

/// `[-][d.]hh:mm:ss[.fffffff]`: Kusto's timespan text.
pub fn format_timespan(ticks: i64) -> String {
    let sign = if ticks < 0 { "-" } else { "" };
    let t = ticks.unsigned_abs() as i64;
    let days = t / TICKS_PER_DAY;
    let hours = (t % TICKS_PER_DAY) / TICKS_PER_HOUR;
    let minutes = (t % TICKS_PER_HOUR) / TICKS_PER_MINUTE;
    let seconds = (t % TICKS_PER_MINUTE) / TICKS_PER_SECOND;
    let frac = t % TICKS_PER_SECOND;
    let mut out = String::from(sign);
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
    if frac > 0 {
        out.push_str(&format!(".{frac:07}"));
    }
    out
}

/// Parse a datetime as Kusto accepts it: ISO 8601 / RFC 3339 (with or
/// without `Z`), `yyyy-MM-dd[ HH:mm[:ss[.f]]]`.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let to_ticks = |t: chrono::NaiveDateTime| {
        let utc = t.and_utc();
        utc.timestamp()
            .checked_mul(super::lexer::TICKS_PER_SECOND)?
            .checked_add(i64::from(utc.timestamp_subsec_nanos()) / 100)
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return to_ticks(t.naive_utc());
    }
    let trimmed = s.trim_end_matches('Z');
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(trimmed, fmt) {
            return to_ticks(t);
        }
    }
    chrono::NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(to_ticks)
}

/// Parse `[-][d.]hh:mm[:ss[.f]]` or a literal such as `5m`.
pub fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let ticks = if s.contains(':') {
        let (days, clock) = match s.split_once('.') {
            Some((d, rest)) if !d.contains(':') => (d.parse::<i64>().ok()?, rest),
            _ => (0, s),
        };
        let mut parts = clock.split(':');
        let h: i64 = parts.next()?.parse().ok()?;
        let m: i64 = parts.next()?.parse().ok()?;
        let sec: f64 = parts.next().unwrap_or("0").parse().ok()?;
        days * TICKS_PER_DAY
            + h * TICKS_PER_HOUR
            + m * TICKS_PER_MINUTE
            + (sec * TICKS_PER_SECOND as f64).round() as i64
    } else {
        let split = s.find(|c: char| c.is_ascii_alphabetic())?;
        let n: f64 = s[..split].parse().ok()?;
        let unit = super::lexer::timespan_unit(&s[split..])?;
        (n * unit as f64).round() as i64
    };
    Some(if neg { -ticks } else { ticks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_round_trip_with_seven_digits() {
        let t = parse_datetime("2026-03-02T09:14:39.5974810Z").unwrap();
        assert_eq!(format_datetime(t), "2026-03-02T09:14:39.5974810Z");
        assert_eq!(
            parse_datetime("2026-03-02"),
            parse_datetime("2026-03-02T00:00:00Z")
        );
        assert_eq!(
            parse_datetime("2026-03-02 10:00:00.5"),
            parse_datetime("2026-03-02T10:00:00.5Z")
        );
        assert!(parse_datetime("yesterday").is_none());
    }

    #[test]
    fn timespans_format_like_kusto() {
        assert_eq!(format_timespan(90 * TICKS_PER_MINUTE), "01:30:00");
        assert_eq!(
            format_timespan(TICKS_PER_DAY + TICKS_PER_SECOND / 2),
            "1.00:00:00.5000000"
        );
        assert_eq!(
            parse_timespan("1.02:03:04"),
            Some(TICKS_PER_DAY + 2 * TICKS_PER_HOUR + 3 * TICKS_PER_MINUTE + 4 * TICKS_PER_SECOND)
        );
        assert_eq!(parse_timespan("5m"), Some(5 * TICKS_PER_MINUTE));
    }

    #[test]
    fn strings_are_never_null_and_typed_reads_follow_the_schema() {
        assert_eq!(
            Value::from_json_typed(&Json::Null, KqlType::String),
            Value::String(String::new())
        );
        assert_eq!(
            Value::from_json_typed(&Json::Null, KqlType::Long),
            Value::Null
        );
        assert_eq!(
            Value::from_json_typed(&serde_json::json!("42"), KqlType::Long),
            Value::Long(42)
        );
        assert!(Value::String(String::new()).is_empty());
        assert!(!Value::String(String::new()).is_null());
    }
}
