//! Rule engines: Sigma (through `sigma-rust`) and KQL (our own engine), behind
//! one shape: load a rule with located errors, then report which bundle
//! events it hits.

pub mod correlate;
pub mod correlation;
pub mod file_reputation;
pub mod kql;
pub mod kql_rule;
pub mod loader;
pub mod logsource;
pub mod matcher;
pub mod prefilter;
pub mod sigma;
pub mod sigma_prep;
pub mod view;

pub use correlation::CorrelationRule;
pub use kql_rule::KqlRule;
pub use loader::{LoadedRule, RULE_EXTENSIONS, RuleLoader};
pub use logsource::{LogsourceKey, LogsourceTable, Route};
pub use matcher::{Funnel, SigmaMatcher};
pub use sigma::{PreparedEvent, SigmaRule, prepare};
pub use sigma_prep::Placeholders;
