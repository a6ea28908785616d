//! Different parent processes: instead of starting a tool straight from
//! Explorer or from WMI's provider host, the attacker goes through a shell —
//! `explorer.exe → cmd.exe /c certutil …`, `WmiPrvSE.exe → cmd.exe /c …` (as
//! wmiexec does). A `cmd.exe` process is inserted between the parent and the
//! step's process, started by the same user in the same session shortly
//! before it, and the step's process becomes its child.

use super::cmdline::tool_name;
use crate::action::{Action, Micros, Process, TimedAction};
use crate::binaries::{BinaryCatalog, PeInfo};
use crate::plan::rng::Rng;
use crate::plan::{Plan, file_facts};

pub const SHELL_IMAGE: &str = r"C:\Windows\System32\cmd.exe";

/// Parents a shell is plausibly put under: the desktop and WMI.
const SHELL_PARENTS: [&str; 2] = ["explorer", "wmiprvse"];

/// The command line of a `cmd.exe` that runs `line`. cmd.exe strips the
/// outer quotes of a quoted command, so a line that starts with a quote is
/// wrapped in one more pair, as people write it.
pub fn shell_command_line(line: &str, rng: &mut Rng) -> String {
    let shell = rng.pick(&[
        r"C:\Windows\system32\cmd.exe",
        r#""C:\Windows\system32\cmd.exe""#,
        "cmd.exe",
        "cmd",
    ]);
    let switch = rng.pick(&["/c", "/C"]);
    if line.starts_with('"') {
        format!("{shell} {switch} \"{line}\"")
    } else {
        format!("{shell} {switch} {line}")
    }
}

/// Insert a shell before action `n` (the creation of `process`), or `None`
/// when its parent is not one a shell goes under or there is no time for it.
/// Returns the parent's image and the shell's command line.
pub fn insert_shell(
    plan: &mut Plan,
    n: usize,
    process: usize,
    catalog: &BinaryCatalog,
    rng: &mut Rng,
) -> Option<(String, String)> {
    let child = plan.processes[process].clone();
    let parent = &plan.processes[child.parent?];
    if !SHELL_PARENTS.contains(&tool_name(&parent.image).as_str())
        || tool_name(&child.image) == "cmd"
    {
        return None;
    }
    let earliest = match n {
        0 => plan.start.max(parent.start),
        _ => plan.actions[n - 1].time.max(parent.start),
    };
    let lead: Micros = rng.between(15_000, 150_000) as i64;
    let start = (child.start - lead).max(earliest + (child.start - earliest) / 2);
    if start <= earliest || start >= child.start {
        return None;
    }
    let mut used: Vec<u32> = plan.processes.iter().map(|p| p.pid).collect();
    used.sort_unstable();
    let pid = loop {
        let pid = (rng.between(250, 9000) * 4) as u32;
        if used.binary_search(&pid).is_err() {
            break pid;
        }
    };
    let guid = loop {
        // The child's GUID with another sequence part: same machine, same second.
        let mut parts: Vec<String> = child.guid.split('-').map(str::to_string).collect();
        if parts.len() != 5 {
            return None;
        }
        parts[3] = rng.hex(4);
        let guid = parts.join("-");
        if plan.processes.iter().all(|p| p.guid != guid) {
            break guid;
        }
    };
    let parent_image = parent.image.clone();
    let command_line = shell_command_line(&child.command_line, rng);
    let shell = Process {
        guid,
        pid,
        image: SHELL_IMAGE.to_string(),
        command_line: command_line.clone(),
        start,
        pe: catalog
            .lookup(SHELL_IMAGE)
            .cloned()
            .unwrap_or_else(PeInfo::unknown),
        file: file_facts(SHELL_IMAGE),
        ..child
    };
    plan.processes.push(shell);
    let shell_index = plan.processes.len() - 1;
    plan.processes[process].parent = Some(shell_index);
    let step = plan.actions[n].step;
    plan.actions.insert(
        n,
        TimedAction {
            step,
            time: start,
            action: Action::ProcessCreate {
                process: shell_index,
            },
        },
    );
    Some((parent_image, command_line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_commands_get_the_quotes_cmd_strips() {
        for n in 0..8 {
            let mut rng = Rng::derive(n, "shell");
            let plain = shell_command_line("whoami /all", &mut rng);
            assert!(plain.ends_with(" whoami /all"), "{plain}");
            assert!(plain.to_ascii_lowercase().contains(" /c "), "{plain}");
            let quoted = shell_command_line(r#""C:\x y\a.exe" -f"#, &mut rng);
            assert!(quoted.ends_with(r#" ""C:\x y\a.exe" -f""#), "{quoted}");
        }
    }
}
