//! Command-line arguments as typed by the user (first layer); commands resolve
//! them into configuration (second layer).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Shard;

#[derive(Debug, Parser)]
#[command(
    name = "rulecheck",
    version,
    about = "Test Sigma detection rules against deterministic synthetic ATT&CK telemetry",
    long_about = "Test Sigma detection rules against deterministic synthetic ATT&CK telemetry.\n\n\
        Exit codes: 0 every expectation met; 1 a missed, false-positive or errored result \
        (or drifted bundles with `generate --check`); 2 invalid input or usage."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour output: auto (only on a terminal, never with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate labelled log bundles from TTP specs.
    Generate(GenerateArgs),
    /// Evaluate every rule against every bundle and judge the results.
    Test(TestArgs),
    /// Show which events of bundles or real logs one rule hits.
    Eval(EvalArgs),
    /// Load every rule and report which load, and exactly why the others do not.
    Lint(LintArgs),
    /// Run a KQL query on bundles or real logs and print the result table.
    Kql(KqlArgs),
    /// Draw ATT&CK coverage: which techniques the rules detect in the bundles.
    Coverage(CoverageArgs),
    /// The ATT&CK Enterprise table rulecheck ships.
    #[command(subcommand)]
    Attack(AttackCommand),
    /// Turn real logs into a bundle that sits beside synthetic ones.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Check that bundles (or real logs) hold together: processes, logons, times, SIDs, paths, addresses.
    Validate(ValidateArgs),
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Windows event logs (`.evtx`).
    Evtx(ImportArgs),
    /// evtx_dump-style JSON (concatenated or JSON Lines) or flat JSON Lines (Winlogbeat, NXLog).
    Json(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Log files, imported in the order given.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    /// The bundle to write (`*.jsonl`).
    #[arg(short, long)]
    pub out: PathBuf,

    /// A labels file saying which events are malicious or benign (docs/bundle-format.md);
    /// without it every event is labelled `unknown`.
    #[arg(long)]
    pub labels: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Rule files or directories of rules.
    #[arg(default_value = "rules")]
    pub rules: Vec<PathBuf>,

    /// Bundle files or directories of bundles [default: as for `test`].
    #[arg(short, long)]
    pub bundles: Vec<PathBuf>,

    /// Configuration file [default: ./rulecheck.yaml when it exists].
    #[arg(long)]
    pub config: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = CoverageFormat::Table)]
    pub format: CoverageFormat,

    /// Write the report to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub cache: CacheArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    /// A heatmap table by tactic.
    Table,
    /// Machine-readable JSON with a `schema_version`.
    Json,
    /// An ATT&CK Navigator layer (format 4.5).
    Navigator,
    /// One self-contained HTML page: the matrix coloured by score, with drill-down.
    Html,
}

#[derive(Debug, Subcommand)]
pub enum AttackCommand {
    /// Regenerate the ATT&CK table from MITRE's STIX 2.1 bundle.
    Update(AttackUpdateArgs),
}

#[derive(Debug, Args)]
pub struct AttackUpdateArgs {
    /// MITRE's enterprise-attack STIX bundle (`.json` or `.json.gz`); its
    /// version comes from its collection object or its file name
    /// (`enterprise-attack-18.1.json`).
    pub stix: PathBuf,

    /// Where to write the table.
    #[arg(short, long, default_value = "data/attack.yaml")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Rule files or directories of rules.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Configuration file (for placeholder values) [default: ./rulecheck.yaml when it exists].
    #[arg(long)]
    pub config: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Spec files or directories of specs (`*.yaml`, `*.yml`).
    #[arg(default_value = "ttps")]
    pub specs: Vec<PathBuf>,

    /// Directory the bundles are written to, one `<spec>.jsonl` per spec.
    #[arg(short, long, default_value = "bundles")]
    pub out: PathBuf,

    /// Seed for every spec, overriding the specs' own `seed`.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Write nothing; exit 1 and name each bundle that differs from its spec's output.
    #[arg(long)]
    pub check: bool,

    /// Also write N mutated variants of each spec's bundle to `<out>/variants/<spec>.v<k>.jsonl`.
    /// Not combined with --profile yet: variants carry no background activity.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000), conflicts_with = "profile")]
    pub variants: Option<u32>,

    /// Blend a profile's benign background activity into every bundle: a
    /// built-in profile (workstation, server, domain-controller) or a profile file.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,

    /// Multiply every background activity's rate per hour (with --profile).
    #[arg(long, value_name = "X", requires = "profile", value_parser = positive_rate)]
    pub background_rate: Option<f64>,
}

/// `--background-rate`: a finite number above zero.
fn positive_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("`{s}` is not a positive number")),
    }
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Rule files or directories of rules.
    #[arg(required = true)]
    pub rules: Vec<PathBuf>,

    /// Bundle files or directories of bundles [default: `bundles` from rulecheck.yaml, else `bundles`].
    #[arg(short, long)]
    pub bundles: Vec<PathBuf>,

    /// Configuration file [default: ./rulecheck.yaml when it exists].
    #[arg(long)]
    pub config: Option<PathBuf>,

    /// Which tests to run: synthetic bundles, rules' regression tests, or both.
    #[arg(long, value_enum, default_value_t = TestSelection::All)]
    pub only: TestSelection,

    #[arg(long, value_enum, default_value_t = TestFormat::Table)]
    pub format: TestFormat,

    /// Also write a JUnit XML report to this file (atomically).
    #[arg(long, value_name = "PATH")]
    pub junit_out: Option<PathBuf>,

    /// Also write a SARIF 2.1.0 report to this file (atomically), for code scanning.
    #[arg(long, value_name = "PATH")]
    pub sarif_out: Option<PathBuf>,

    /// Also write a Markdown summary to this file (atomically), for a pull-request comment.
    #[arg(long, value_name = "PATH")]
    pub markdown_out: Option<PathBuf>,

    /// Run part K of N of the rules: rule files sorted by path, file i (from 0)
    /// in part i % N + 1. Each part is a CI job; together they cover every rule once.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,

    /// Record this run's results as the accepted snapshots (docs/snapshots.md)
    /// instead of failing on differences; refused when CI=true.
    #[arg(long)]
    pub accept: bool,

    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Where results are cached between runs (docs/cli.md, "The result cache").
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Evaluate every rule on every bundle; neither read nor write the result cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Directory of the result cache [default: .rulecheck/cache].
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
}

/// The formats of `rulecheck test`'s report on stdout. A type of its own so the
/// CI formats are refused, as usage errors, by commands that have no use for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// Human-readable table.
    Table,
    /// Machine-readable JSON with a `schema_version`.
    Json,
    /// JUnit XML: a test suite per rule file, a test case per result.
    Junit,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// A Markdown summary for a pull-request comment or a job summary.
    Markdown,
}

/// `K/N` with 1 ≤ K ≤ N; the error names the expected form, and clap turns it
/// into a usage error (exit 2).
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let expected = || format!("expected K/N with 1 ≤ K ≤ N (e.g. 2/3), got `{text}`");
    let (k, n) = text.trim().split_once('/').ok_or_else(expected)?;
    let index: usize = k.trim().parse().map_err(|_| expected())?;
    let count: usize = n.trim().parse().map_err(|_| expected())?;
    if index == 0 || index > count {
        return Err(expected());
    }
    Ok(Shard { index, count })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestSelection {
    /// Synthetic bundles and regression tests.
    All,
    /// Only bundles (generated or imported), judged against their narrative.
    Synthetic,
    /// Only the SigmaHQ-style regression tests rules point to.
    Regression,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// One rule file.
    pub rule: PathBuf,

    /// Bundles or real logs (`.evtx`, `.json`, `.jsonl`), files or directories.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,

    /// Configuration file [default: ./rulecheck.yaml when it exists].
    #[arg(long)]
    pub config: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rulecheck kql 'DeviceProcessEvents | where FileName =~ \"certutil.exe\" | project Timestamp, ProcessCommandLine' bundles/\n  rulecheck kql -f rules/kql/defender/comsvcs_minidump.kql bundles/T1003.001-lsass-dump-comsvcs.jsonl"
)]
pub struct KqlArgs {
    /// The query, then bundles or real logs (files or directories); with
    /// `--file`, every argument is an input.
    #[arg(required = true, value_name = "QUERY|INPUT")]
    pub args: Vec<String>,

    /// Read the query from a `.kql` file or a Sentinel analytics-rule YAML
    /// (whose `queryPeriod` then applies).
    #[arg(short, long, value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Configuration file (for `externaldata` fixtures) [default: ./rulecheck.yaml when it exists].
    #[arg(long)]
    pub config: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 every input is coherent, 1 findings, 2 an input cannot be read.\nThe constraints are listed in docs/validation.md."
)]
pub struct ValidateArgs {
    /// Bundles or real logs (EVTX, JSON), files or directories; never modified.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable table.
    Table,
    /// Machine-readable JSON with a `schema_version`.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_k_of_n_with_k_between_1_and_n() {
        assert_eq!(parse_shard("2/3"), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(parse_shard("1/1"), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "x", "3", "1/0", "/3", "1/x", "-1/3", ""] {
            let e = parse_shard(bad).unwrap_err();
            assert!(e.contains("expected K/N"), "{bad}: {e}");
        }
    }
}
