use std::process::ExitCode;

fn main() -> ExitCode {
    rulecheck::cli::main()
}
