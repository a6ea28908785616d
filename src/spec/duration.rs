//! Durations and delay ranges as written in TTP specs: `250ms`, `2s`, `1m`, `2s..5s`.

use std::fmt;

use serde::Deserialize;

/// A delay between a step and its anchors, sampled uniformly in `[min_ms, max_ms]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct DelayRange {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl DelayRange {
    /// Used when a step gives no `delay`: a human-paced pause.
    pub const DEFAULT: DelayRange = DelayRange {
        min_ms: 1_000,
        max_ms: 3_000,
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelayError {
    #[error("`{0}` is not a duration; write a number and a unit: 500ms, 2s, 1m, 1h or 1d")]
    BadDuration(String),
    #[error("delay range `{0}` ends before it starts; write the smaller bound first (e.g. 1s..5s)")]
    Reversed(String),
    #[error("delay `{0}` is longer than a day; bundles cover minutes to hours of activity")]
    TooLong(String),
}

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Parse one duration such as `250ms`, `2s`, `1.5s`, `3m`, `1h`.
pub fn parse_duration_ms(text: &str) -> Result<u64, DelayError> {
    let t = text.trim();
    let bad = || DelayError::BadDuration(text.to_string());
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(bad)?;
    let (number, unit) = t.split_at(split);
    let factor: f64 = match unit.trim() {
        "ms" => 1.0,
        "s" => 1_000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return Err(bad()),
    };
    let value: f64 = number.parse().map_err(|_| bad())?;
    let ms = (value * factor).round();
    if !ms.is_finite() || ms < 0.0 {
        return Err(bad());
    }
    Ok(ms as u64)
}

impl TryFrom<String> for DelayRange {
    type Error = DelayError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let (min_ms, max_ms) = match text.split_once("..") {
            Some((a, b)) => (parse_duration_ms(a)?, parse_duration_ms(b)?),
            None => {
                let d = parse_duration_ms(&text)?;
                (d, d)
            }
        };
        if min_ms > max_ms {
            return Err(DelayError::Reversed(text));
        }
        if max_ms > DAY_MS {
            return Err(DelayError::TooLong(text));
        }
        Ok(DelayRange { min_ms, max_ms })
    }
}

impl fmt::Display for DelayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min_ms == self.max_ms {
            write!(f, "{}ms", self.min_ms)
        } else {
            write!(f, "{}ms..{}ms", self.min_ms, self.max_ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str) -> Result<DelayRange, DelayError> {
        DelayRange::try_from(s.to_string())
    }

    #[test]
    fn parses_single_durations_and_ranges() {
        assert_eq!(
            range("250ms").unwrap(),
            DelayRange {
                min_ms: 250,
                max_ms: 250
            }
        );
        assert_eq!(
            range("1.5s").unwrap(),
            DelayRange {
                min_ms: 1500,
                max_ms: 1500
            }
        );
        assert_eq!(
            range("2s..1m").unwrap(),
            DelayRange {
                min_ms: 2000,
                max_ms: 60_000
            }
        );
        assert_eq!(
            range("0s").unwrap(),
            DelayRange {
                min_ms: 0,
                max_ms: 0
            }
        );
    }

    #[test]
    fn rejects_bad_units_reversed_and_overlong_ranges() {
        assert!(matches!(range("5"), Err(DelayError::BadDuration(_))));
        assert!(matches!(range("5 days"), Err(DelayError::BadDuration(_))));
        assert!(matches!(range("-1s"), Err(DelayError::BadDuration(_))));
        assert!(matches!(range("5s..2s"), Err(DelayError::Reversed(_))));
        assert!(matches!(range("25h"), Err(DelayError::TooLong(_))));
    }
}
