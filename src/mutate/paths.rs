//! Other spellings of the same path: environment variables (`%TEMP%`,
//! `%ProgramData%`) in commands cmd.exe runs, and 8.3 short names
//! (`C:\PROGRA~3`, `C:\Users\BOBKEL~1`) anywhere a program opens a path.
//!
//! Environment variables are expanded by cmd.exe, not by `CreateProcess`, so
//! they are only written into the command cmd.exe runs (after `/c` or `/k`);
//! the child it starts sees the expanded path, as its own logged command line
//! already says. Short names are resolved by the file system, so they work in
//! any program's arguments; the program itself keeps its long path.

use super::cmdline::{cmd_payload, split_args};
use crate::plan::rng::Rng;

/// Rewrite `C:\Users\<profile>\AppData\Local\Temp\x` as `%TEMP%\x`, … in the
/// command a `cmd.exe` line runs. `profile` is the process user's profile
/// directory.
pub fn env_vars(tool: &str, line: &str, profile: &str, rng: &mut Rng) -> Option<String> {
    if tool != "cmd" {
        return None;
    }
    let args = split_args(line);
    let payload = cmd_payload(line, &args)?;
    let from = args.get(payload + 1)?.start;
    let pick = |rng: &mut Rng, names: &[&str]| format!("%{}%", rng.pick(names));
    let table = vec![
        (
            format!(r"{profile}\AppData\Local\Temp"),
            pick(rng, &["TEMP", "TMP"]),
        ),
        (
            format!(r"{profile}\AppData\Roaming"),
            pick(rng, &["APPDATA"]),
        ),
        (
            format!(r"{profile}\AppData\Local"),
            pick(rng, &["LOCALAPPDATA"]),
        ),
        (profile.to_string(), pick(rng, &["USERPROFILE"])),
        (r"C:\Users\Public".to_string(), pick(rng, &["PUBLIC"])),
        (
            r"C:\ProgramData".to_string(),
            pick(rng, &["ProgramData", "ALLUSERSPROFILE"]),
        ),
        (
            r"C:\Windows".to_string(),
            pick(rng, &["SystemRoot", "windir"]),
        ),
    ];
    let out = replace_prefixes(line, from, &table);
    (out != line).then_some(out)
}

/// Rewrite long directory names in a program's arguments as their 8.3 short
/// names. The numbering (`~1`, `~2`, `~3`) is the one a default Windows
/// installation gets, which creates these directories in this order.
pub fn short_names(tool: &str, line: &str, rng: &mut Rng) -> Option<String> {
    if tool == "cmd" {
        // cmd.exe passes the path on to its child, whose logged line is fixed.
        return None;
    }
    let args = split_args(line);
    let from = args.get(1)?.start;
    let mut table = vec![
        (
            r"C:\Program Files (x86)".to_string(),
            r"C:\PROGRA~2".to_string(),
        ),
        (r"C:\Program Files".to_string(), r"C:\PROGRA~1".to_string()),
        (r"C:\ProgramData".to_string(), r"C:\PROGRA~3".to_string()),
    ];
    for profile in user_directories(&line[from..]) {
        let short = short_name(&profile);
        table.push((format!(r"C:\Users\{profile}"), format!(r"C:\Users\{short}")));
    }
    // Sometimes only some of the paths: the table is cut at a random length.
    let keep = rng.between(1, table.len() as u64) as usize;
    let rotate = rng.below(table.len() as u64) as usize;
    table.rotate_left(rotate);
    table.truncate(keep);
    table.sort_by_key(|(long, _)| std::cmp::Reverse(long.len()));
    let out = replace_prefixes(line, from, &table);
    (out != line).then_some(out)
}

/// Names of `C:\Users\<name>` directories in `text` that are not already 8.3.
fn user_directories(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut names = Vec::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find(r"c:\users\") {
        let start = at + i + r"c:\users\".len();
        let end = text[start..]
            .find(|c: char| c == '\\' || c == '"' || c.is_whitespace())
            .map_or(text.len(), |e| start + e);
        let name = &text[start..end];
        let is_short = name.len() <= 8 && !name.contains(['.', ' ', '~']);
        if !is_short
            && !name.contains('~')
            && !names.iter().any(|n: &String| n.eq_ignore_ascii_case(name))
        {
            names.push(name.to_string());
        }
        at = end;
    }
    names
}

/// The first 8.3 alias Windows gives a long name: up to six upper-case
/// characters with spaces and dots removed, then `~1`.
fn short_name(long: &str) -> String {
    let stem: String = long
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_-$".contains(*c))
        .take(6)
        .collect::<String>()
        .to_ascii_uppercase();
    format!("{stem}~1")
}

/// Replace each `(long, short)` path prefix found at or after byte `from`
/// (case-insensitively, and only where the path component ends) by `short`.
/// `table` is tried in order at each position, so longer prefixes go first.
fn replace_prefixes(line: &str, from: usize, table: &[(String, String)]) -> String {
    let lower = line.to_ascii_lowercase();
    let mut out = String::from(&line[..from]);
    let mut i = from;
    while i < line.len() {
        let hit = table.iter().find(|(long, _)| {
            let end = i + long.len();
            lower[i..].starts_with(&long.to_ascii_lowercase())
                && line[end..]
                    .chars()
                    .next()
                    .is_none_or(|c| c == '\\' || c == '"' || c.is_whitespace())
        });
        match hit {
            Some((long, short)) => {
                out.push_str(short);
                i += long.len();
            }
            None => {
                let c = line[i..].chars().next().expect("inside the line");
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str = r"C:\Users\bob.keller";

    #[test]
    fn cmd_payload_paths_become_environment_variables() {
        let line = r"C:\Windows\system32\cmd.exe /c copy C:\Users\bob.keller\AppData\Local\Temp\a.exe C:\ProgramData\b.exe";
        let all: Vec<String> = (0..16)
            .filter_map(|n| env_vars("cmd", line, PROFILE, &mut Rng::derive(n, "env")))
            .collect();
        assert_eq!(all.len(), 16);
        for v in &all {
            // The cmd.exe path itself is how the parent started it: unchanged.
            assert!(
                v.starts_with(r"C:\Windows\system32\cmd.exe /c copy %"),
                "{v}"
            );
            assert!(v.contains(r"%\a.exe %"), "{v}");
            let expanded = v
                .replace("%TEMP%", r"C:\Users\bob.keller\AppData\Local\Temp")
                .replace("%TMP%", r"C:\Users\bob.keller\AppData\Local\Temp")
                .replace("%ProgramData%", r"C:\ProgramData")
                .replace("%ALLUSERSPROFILE%", r"C:\ProgramData");
            assert_eq!(expanded, line);
        }
        assert_eq!(
            env_vars("certutil", line, PROFILE, &mut Rng::derive(0, "e")),
            None
        );
    }

    #[test]
    fn prefixes_match_whole_components() {
        let line = r"cmd.exe /c dir C:\WindowsApps C:\Windows";
        let v = env_vars("cmd", line, PROFILE, &mut Rng::derive(0, "e")).unwrap();
        assert!(v.starts_with(r"cmd.exe /c dir C:\WindowsApps %"), "{v}");
    }

    #[test]
    fn short_names_of_long_directories() {
        assert_eq!(short_name("bob.keller"), "BOBKEL~1");
        let line = r#""C:\Program Files\7-Zip\7z.exe" a C:\ProgramData\x.7z "C:\Users\bob.keller\Documents\q 1.xlsx""#;
        let all: Vec<String> = (0..32)
            .filter_map(|n| short_names("7z", line, &mut Rng::derive(n, "short")))
            .collect();
        assert!(all.iter().any(|v| v.contains(r"C:\PROGRA~3\x.7z")
            && v.contains(r#""C:\Users\BOBKEL~1\Documents\q 1.xlsx""#)));
        for v in &all {
            assert!(
                v.starts_with(r#""C:\Program Files\7-Zip\7z.exe" a "#),
                "{v}"
            );
            let long = v
                .replace(r"C:\PROGRA~3", r"C:\ProgramData")
                .replace(r"C:\Users\BOBKEL~1", r"C:\Users\bob.keller");
            assert_eq!(long, line);
        }
    }
}
