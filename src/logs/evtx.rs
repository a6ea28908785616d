//! EVTX files through the `evtx` crate, rendered as evtx_dump JSON.

use super::{ReadLog, ReadProblem};

/// Every readable record of an EVTX file, in file order. A corrupt chunk or
/// record is reported with its position and skipped; a file that is not EVTX
/// at all is one problem.
pub fn read_evtx(bytes: Vec<u8>) -> ReadLog {
    let mut out = ReadLog::default();
    let settings = ::evtx::ParserSettings::default().num_threads(1);
    let mut parser = match ::evtx::EvtxParser::from_buffer(bytes) {
        Ok(p) => p.with_configuration(settings),
        Err(e) => {
            out.problems.push(ReadProblem {
                position: "file header".into(),
                message: format!("not a readable EVTX file: {e}"),
            });
            return out;
        }
    };
    for (n, record) in parser.records_json_value().enumerate() {
        match record {
            Ok(r) => out.records.push(r.data),
            Err(e) => out.problems.push(ReadProblem {
                position: format!("record {}", n + 1),
                message: e.to_string(),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_one_located_problem() {
        let log = read_evtx(b"definitely not an event log".to_vec());
        assert!(log.records.is_empty());
        assert_eq!(log.problems.len(), 1);
        assert_eq!(log.problems[0].position, "file header");
    }
}
