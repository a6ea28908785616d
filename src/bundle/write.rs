//! Serialising bundles and writing files so that a failure never leaves a
//! half-written or truncated file behind.

use std::io::Write;
use std::path::Path;

use super::Bundle;

/// The exact bytes of a bundle file: compact JSON, one object per line, `\n` endings.
pub fn serialize_bundle(bundle: &Bundle) -> String {
    let mut out = serde_json::to_string(&bundle.header).expect("headers serialise");
    out.push('\n');
    for event in &bundle.events {
        out.push_str(&serde_json::to_string(event).expect("events serialise"));
        out.push('\n');
    }
    out
}

/// Write `bytes` to `path` through a temporary file in the same directory and a
/// rename, so readers see the old file or the new one, never a partial one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".rulecheck-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("b.jsonl");
        write_atomically(&path, b"one\n").unwrap();
        write_atomically(&path, b"two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
