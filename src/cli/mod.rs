//! The command-line layer: the only code that touches the filesystem, the
//! terminal and the environment. Commands read inputs, call the pure stages, and
//! hand results to reporters.

pub mod args;
mod attack;
mod bundles;
mod cache_dir;
mod coverage;
mod eval;
pub mod exit;
mod generate;
mod import;
pub mod inputs;
mod kql;
mod lint;
mod load;
mod regression;
mod snapshots;
mod test;
mod validate;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::diagnostic::{self, SourceError};
use args::{Cli, ColorChoice, Command};
use exit::Status;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::INVALID
            } else {
                exit::SUCCESS
            });
        }
    };
    run(cli).into()
}

/// Run a parsed command line and return its status.
pub fn run(cli: Cli) -> Status {
    let ui = Ui::new(cli.color);
    let result = match cli.command {
        Command::Generate(a) => generate::run(&ui, a),
        Command::Test(a) => test::run(&ui, a),
        Command::Eval(a) => eval::run(&ui, a),
        Command::Lint(a) => lint::run(&ui, a),
        Command::Kql(a) => kql::run(&ui, a),
        Command::Coverage(a) => coverage::run(&ui, a),
        Command::Attack(c) => attack::run(&ui, c),
        Command::Import(c) => import::run(&ui, c),
        Command::Validate(a) => validate::run(&ui, a),
    };
    match result {
        Ok(status) => status,
        // Downstream closed the pipe (`rulecheck test … | head`): not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Status::SUCCESS,
        Err(e) => {
            ui.error(&e);
            Status::INVALID
        }
    }
}

/// Terminal output: human output to stdout, diagnostics to stderr, colour only on
/// a terminal and never with `NO_COLOR`.
pub struct Ui {
    pub color_out: bool,
    pub color_err: bool,
    pub stdout_is_terminal: bool,
}

impl Ui {
    fn new(choice: ColorChoice) -> Ui {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |is_tty: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_tty && !no_color,
        };
        Ui {
            color_out: decide(std::io::stdout().is_terminal()),
            color_err: decide(std::io::stderr().is_terminal()),
            stdout_is_terminal: std::io::stdout().is_terminal(),
        }
    }

    pub fn table_style(&self) -> crate::report::table::TableStyle {
        crate::report::table::TableStyle {
            color: self.color_out,
            fit_terminal: self.stdout_is_terminal,
        }
    }

    pub fn out(&self, text: &str) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// A located problem in a user file, with its snippet.
    pub fn diagnostic(&self, e: &SourceError) {
        eprint!("{}", diagnostic::render(e, self.color_err));
    }

    /// Any other error, with its whole cause chain.
    pub fn error(&self, e: &dyn std::error::Error) {
        let mut message = format!("error: {e}");
        let mut cause = e.source();
        while let Some(c) = cause {
            message.push_str(&format!(": {c}"));
            cause = c.source();
        }
        eprintln!("{message}");
    }

    pub fn warn(&self, message: &str) {
        eprintln!("warning: {message}");
    }
}
