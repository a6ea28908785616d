//! JSON logs: one object per record, either one per line (JSON Lines) or
//! concatenated and pretty-printed (as `evtx_dump -o json` writes them).

use serde_json::Value;

use super::{ReadLog, ReadProblem};

/// Read every JSON object of `text`. After a malformed record the reader
/// resumes at the next line that starts a new object, so one bad record costs
/// only itself.
pub fn read_json(text: &str) -> ReadLog {
    let mut out = ReadLog::default();
    let mut offset = 0;
    while offset < text.len() {
        let rest = &text[offset..];
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        loop {
            let start = offset + stream.byte_offset();
            match stream.next() {
                None => {
                    offset = text.len();
                    break;
                }
                Some(Ok(Value::Object(map))) => out.records.push(Value::Object(map)),
                Some(Ok(other)) => {
                    out.problems.push(ReadProblem {
                        position: format!(
                            "line {}",
                            line_of(text, start + leading_ws(&text[start..]))
                        ),
                        message: format!("expected a JSON object, found {}", kind(&other)),
                    });
                }
                Some(Err(e)) => {
                    let bad_line = line_of(text, start + leading_ws(&text[start..]));
                    out.problems.push(ReadProblem {
                        position: format!("line {bad_line}"),
                        message: format!("invalid JSON: {e}"),
                    });
                    offset = next_object_start(text, start + leading_ws(&text[start..]));
                    break;
                }
            }
        }
    }
    out
}

fn leading_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Offset of the first line after `from` that begins with `{`.
fn next_object_start(text: &str, from: usize) -> usize {
    let mut pos = match text[from..].find('\n') {
        Some(i) => from + i + 1,
        None => return text.len(),
    };
    while pos < text.len() {
        if text[pos..].starts_with('{') {
            return pos;
        }
        pos = match text[pos..].find('\n') {
            Some(i) => pos + i + 1,
            None => return text.len(),
        };
    }
    text.len()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_lines_and_concatenated_pretty_objects() {
        let lines = read_json("{\"a\":1}\n{\"a\":2}\n");
        assert_eq!(lines.records.len(), 2);
        let pretty = read_json("{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n");
        assert_eq!(pretty.records.len(), 2);
        assert!(pretty.problems.is_empty());
    }

    #[test]
    fn a_broken_record_is_reported_at_its_line_and_the_rest_is_kept() {
        let log = read_json("{\"a\":1}\n{\"a\": tru\n{\"a\":3}\n[1]\n{\n  \"a\": 5\n}\n");
        assert_eq!(log.records.len(), 3, "{:?}", log.problems);
        assert_eq!(log.problems.len(), 2);
        assert_eq!(log.problems[0].position, "line 2");
        assert!(log.problems[0].message.starts_with("invalid JSON"));
        assert_eq!(log.problems[1].position, "line 4");
        assert!(log.problems[1].message.contains("an array"));
    }
}
