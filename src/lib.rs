//! rulecheck: test detection rules against deterministic synthetic ATT&CK telemetry.
//!
//! The flow, one module per stage (see ARCHITECTURE.md):
//! `spec` → `plan` → `render` → `bundle` → `engine` → `judge` → `report`.
//! Every stage is a pure function of its inputs; only `cli` touches the
//! filesystem, the clock and the terminal.

pub mod action;
pub mod attack;
pub mod binaries;
pub mod bundle;
pub mod cache;
pub mod cli;
pub mod config;
pub mod coverage;
pub mod diagnostic;
pub mod digest;
pub mod engine;
pub mod environment;
pub mod false_positives;
pub mod judge;
pub mod kql_corpus;
pub mod library;
pub mod lint;
pub mod logs;
pub mod mutate;
pub mod plan;
pub mod profile;
pub mod regression;
pub mod render;
pub mod report;
pub mod robustness;
pub mod sigma_workload;
pub mod snapshot;
pub mod spec;
pub mod tables;
pub mod technique;
pub mod testrun;
pub mod validate;

#[cfg(test)]
mod test_support;
