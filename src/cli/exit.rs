//! Process exit codes, a documented contract (README, `docs/cli.md`).

use std::process::ExitCode;

/// Every expectation met (or, for `generate --check`, every bundle up to date).
pub const SUCCESS: u8 = 0;
/// A missed, false-positive or errored result; drifted bundles under `--check`.
pub const FAILURE: u8 = 1;
/// Invalid input or usage: unreadable or malformed rules, specs, bundles, config, flags.
pub const INVALID: u8 = 2;

/// The worst status seen so far; `INVALID` outranks `FAILURE` outranks `SUCCESS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Status(u8);

impl Status {
    pub const SUCCESS: Status = Status(SUCCESS);
    pub const FAILURE: Status = Status(FAILURE);
    pub const INVALID: Status = Status(INVALID);

    pub fn raise(&mut self, other: Status) {
        *self = (*self).max(other);
    }

    pub fn code(self) -> u8 {
        self.0
    }
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(s.0)
    }
}
