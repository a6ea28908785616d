//! `rulecheck attack update STIX_FILE [-o data/attack.yaml]`: regenerate the
//! ATT&CK table rulecheck ships (compiled into the binary) from MITRE's STIX
//! bundle.

use super::Ui;
use super::args::AttackCommand;
use super::exit::Status;

pub fn run(ui: &Ui, command: AttackCommand) -> std::io::Result<Status> {
    let AttackCommand::Update(args) = command;
    let matrix = match crate::attack::read_stix_file(&args.stix) {
        Ok(m) => m,
        Err(e) => {
            ui.error(&e);
            return Ok(Status::INVALID);
        }
    };
    if let Err(e) = crate::bundle::write_atomically(&args.output, matrix.to_yaml().as_bytes()) {
        eprintln!("error: cannot write {}: {e}", args.output.display());
        return Ok(Status::INVALID);
    }
    let subs = matrix
        .techniques
        .iter()
        .filter(|t| t.parent.is_some())
        .count();
    ui.out(&format!(
        "wrote {}: ATT&CK {} v{}: {} tactics, {} techniques, {} sub-techniques, {} retired\n",
        args.output.display(),
        matrix.domain,
        matrix.version,
        matrix.tactics.len(),
        matrix.techniques.len() - subs,
        subs,
        matrix.retired.len()
    ))?;
    Ok(Status::SUCCESS)
}
