//! `rulecheck generate [SPECS…] [--out DIR] [--seed N] [--check] [--variants N]
//! [--profile NAME|FILE [--background-rate X]]`

use std::path::PathBuf;

use super::Ui;
use super::args::GenerateArgs;
use super::exit::Status;
use super::inputs::{collect_files, display_path};
use super::load::load_specs;
use crate::binaries::BinaryCatalog;
use crate::bundle::{
    IncoherentSpec, build_coherent_bundle, build_coherent_variant, serialize_bundle,
    write_atomically,
};
use crate::environment::Environment;
use crate::profile::{self, ProfileError, build_coherent_blended_bundle};

/// Subdirectory of the output directory that holds variant bundles.
pub const VARIANTS_DIR: &str = "variants";

struct Output {
    spec_path: String,
    bundle_path: PathBuf,
    bytes: String,
    events: usize,
}

pub fn run(ui: &Ui, args: GenerateArgs) -> std::io::Result<Status> {
    let env = Environment::default_workstation();
    let catalog = BinaryCatalog::builtin();
    let mut status = Status::SUCCESS;
    let profile = match args.profile.as_deref().map(|p| profile::load(p, &env)) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            if let ProfileError::Invalid { errors, .. } = &e {
                for d in errors {
                    ui.diagnostic(d);
                }
            }
            ui.error(&e);
            return Ok(Status::INVALID);
        }
    };
    let rate = args.background_rate.unwrap_or(1.0);

    let (files, errors) = collect_files(&args.specs, &["yaml", "yml"]);
    for e in &errors {
        ui.error(e);
        status.raise(Status::INVALID);
    }
    if files.is_empty() && errors.is_empty() {
        let shown: Vec<String> = args.specs.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "error: no TTP specs (*.yaml, *.yml) under {}",
            shown.join(", ")
        );
        return Ok(Status::INVALID);
    }

    // Every spec file's id, valid or not: an invalid spec's bundle is not stale.
    let spec_ids: Vec<String> = files
        .iter()
        .map(|f| crate::spec::spec_id(&display_path(f)))
        .collect();
    let (specs, invalid) = load_specs(ui, &files, &env);
    if invalid {
        status.raise(Status::INVALID);
    }
    let mut outputs: Vec<Output> = Vec::new();
    for (shown, spec) in specs {
        let seed = args.seed.unwrap_or(spec.seed);
        // An incoherent bundle is never written, nor compared under --check:
        // its spec's existing bundle stays as it is.
        let built = match &profile {
            None => build_coherent_bundle(&spec, seed, &env, &catalog),
            Some(p) => build_coherent_blended_bundle(&spec, seed, &env, &catalog, p, rate),
        };
        let bundle = match built {
            Ok(bundle) => bundle,
            Err(e) => {
                report_incoherent(ui, &shown, &e);
                status.raise(Status::INVALID);
                continue;
            }
        };
        outputs.push(Output {
            spec_path: shown.clone(),
            bundle_path: args.out.join(format!("{}.jsonl", spec.id)),
            events: bundle.events.len(),
            bytes: serialize_bundle(&bundle),
        });
        // Variants live in a subdirectory: the spec's own bundle stays the
        // one `<out>/<spec>.jsonl`, and stale-bundle detection (top level
        // only) does not mistake a variant for a bundle without a spec.
        for number in 1..=args.variants.unwrap_or(0) {
            match build_coherent_variant(&spec, seed, number, &env, &catalog) {
                Ok(variant) => outputs.push(Output {
                    spec_path: shown.clone(),
                    bundle_path: args
                        .out
                        .join(VARIANTS_DIR)
                        .join(format!("{}.v{number}.jsonl", spec.id)),
                    events: variant.events.len(),
                    bytes: serialize_bundle(&variant),
                }),
                Err(e) => {
                    report_incoherent(ui, &shown, &e);
                    status.raise(Status::INVALID);
                }
            }
        }
    }

    // Bundles without a spec are only detectable when whole directories were given.
    let stale: Vec<PathBuf> = if args.specs.iter().all(|p| p.is_dir()) {
        let (existing, _) = collect_files(std::slice::from_ref(&args.out), &["jsonl"]);
        existing
            .into_iter()
            .filter(|p| {
                let stem = p
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                !spec_ids.contains(&stem)
            })
            .filter(|p| p.parent() == Some(args.out.as_path()))
            .collect()
    } else {
        Vec::new()
    };

    let mut report = String::new();
    if args.check {
        let mut drifted = 0;
        for o in &outputs {
            let shown = display_path(&o.bundle_path);
            match std::fs::read(&o.bundle_path) {
                Ok(existing) if existing == o.bytes.as_bytes() => {}
                Ok(existing) => {
                    drifted += 1;
                    let line = first_difference(&String::from_utf8_lossy(&existing), &o.bytes);
                    report.push_str(&format!(
                        "drifted: {shown} differs from what {} generates (first difference on line {line})\n",
                        o.spec_path
                    ));
                }
                Err(_) => {
                    drifted += 1;
                    report.push_str(&format!(
                        "missing: {shown} (generated from {})\n",
                        o.spec_path
                    ));
                }
            }
        }
        for p in &stale {
            drifted += 1;
            report.push_str(&format!("stale: {} has no spec\n", display_path(p)));
        }
        if drifted > 0 {
            report.push_str(&format!(
                "{drifted} of {} bundle{} out of date; run `rulecheck generate` and commit the result\n",
                outputs.len() + stale.len(),
                if outputs.len() + stale.len() == 1 { " is" } else { "s are" }
            ));
            status.raise(Status::FAILURE);
        } else {
            report.push_str(&format!(
                "{} bundle{} up to date\n",
                outputs.len(),
                if outputs.len() == 1 { "" } else { "s" }
            ));
        }
    } else {
        for o in &outputs {
            let shown = display_path(&o.bundle_path);
            let unchanged = std::fs::read(&o.bundle_path).is_ok_and(|b| b == o.bytes.as_bytes());
            if unchanged {
                report.push_str(&format!("unchanged {shown}\n"));
                continue;
            }
            if let Err(e) = write_atomically(&o.bundle_path, o.bytes.as_bytes()) {
                eprintln!("error: {shown}: cannot write bundle: {e}");
                status.raise(Status::INVALID);
                continue;
            }
            report.push_str(&format!(
                "wrote {shown} ({} events, from {})\n",
                o.events, o.spec_path
            ));
        }
        for p in &stale {
            ui.warn(&format!(
                "{} has no spec; delete it if its spec was removed",
                display_path(p)
            ));
        }
    }
    ui.out(&report)?;
    Ok(status)
}

/// The spec, why nothing was written, and the last attempt's findings.
fn report_incoherent(ui: &Ui, spec_path: &str, e: &IncoherentSpec) {
    ui.error(e);
    for f in &e.findings {
        let events: Vec<String> = f.events.iter().map(ToString::to_string).collect();
        eprintln!(
            "  {spec_path}: {} {} (event {}): {}",
            f.severity.as_str(),
            f.constraint.id(),
            events.join(", "),
            f.message
        );
    }
    eprintln!("  nothing written for {spec_path}");
}

/// 1-based line where two texts first differ.
fn first_difference(a: &str, b: &str) -> usize {
    let mut la = a.lines();
    let mut lb = b.lines();
    let mut n = 1;
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (None, None) => return n,
            _ => return n,
        }
    }
}
