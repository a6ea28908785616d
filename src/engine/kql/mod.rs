//! A KQL (Kusto Query Language) engine: enough of the language, with Kusto's
//! semantics, to run Microsoft Sentinel and Defender XDR detections on bundles.
//! Front end (lexer → parser → AST with spans) and evaluator are separate;
//! the module could become its own crate.

pub mod agg;
pub mod ast;
pub mod bundle_db;
pub mod error;
pub mod exec;
pub mod expr;
pub mod external;
pub mod file_profile;
pub mod functions;
pub mod geoip;
pub mod lexer;
pub mod parser;
pub mod runtime;
pub mod span;
pub mod table;
#[cfg(test)]
mod tests;
pub mod value;
