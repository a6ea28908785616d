//! `--shard K/N`: splitting a run's rules across parallel CI jobs.
//!
//! Rule files, sorted by path, are dealt round-robin: file i (from 0) is in
//! shard i % N + 1. A shard reports the results of its own files' rules only,
//! so the shards' reports are disjoint and together equal the unsharded one.
//!
//! Correlations cross files: a correlation needs the hits of the rules it
//! names, and a correlation with `generate: false` keeps the detection rules
//! it names from being reported on their own. A shard therefore *evaluates*
//! the closure of its rules under both relations — what its correlations
//! name, and the silencing correlations naming its detection rules (with what
//! those name) — and *reports* only its own files' rules.

use std::mem::take;

use super::super::load::Loaded;
use crate::engine::correlate::Referent;
use crate::report::Shard;
use crate::testrun::RuleResult;

/// Which rule files belong to a shard.
pub struct Partition {
    shard: Shard,
    /// Every rule file of the run, sorted and de-duplicated.
    files: Vec<String>,
}

impl Partition {
    pub fn new(shard: Shard, files: impl IntoIterator<Item = String>) -> Partition {
        let mut files: Vec<String> = files.into_iter().collect();
        files.sort();
        files.dedup();
        Partition { shard, files }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files
            .binary_search_by(|f| f.as_str().cmp(path))
            .is_ok_and(|i| i % self.shard.count + 1 == self.shard.index)
    }
}

/// A correlation as the closure sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edges {
    /// `generate: false`: the detection rules it names are not reported alone.
    silences: bool,
    names: Vec<Referent>,
}

/// Rules to evaluate: starting from `sigma` and `correlations` (the shard's
/// own), add what needed correlations name and the silencing correlations
/// that name a needed detection rule, until nothing changes.
fn closure(
    mut sigma: Vec<bool>,
    mut correlations: Vec<bool>,
    edges: &[Edges],
) -> (Vec<bool>, Vec<bool>) {
    loop {
        let mut changed = false;
        for (j, e) in edges.iter().enumerate() {
            if !correlations[j]
                && e.silences
                && e.names
                    .iter()
                    .any(|r| matches!(r, Referent::Sigma(i) if sigma[*i]))
            {
                correlations[j] = true;
                changed = true;
            }
            if correlations[j] {
                for r in &e.names {
                    let slot = match *r {
                        Referent::Sigma(i) => &mut sigma[i],
                        Referent::Correlation(k) => &mut correlations[k],
                    };
                    if !*slot {
                        *slot = true;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            return (sigma, correlations);
        }
    }
}

/// Keep in `loaded` only the rules the shard must evaluate, in their order
/// (so references resolve to the same rules as in an unsharded run).
pub fn restrict(loaded: &mut Loaded, partition: &Partition) {
    let set = loaded.rule_set();
    let edges: Vec<Edges> = set
        .correlations
        .iter()
        .map(|c| Edges {
            silences: !c.generate,
            names: c.rules.iter().filter_map(|r| set.resolve(r)).collect(),
        })
        .collect();
    let (sigma, correlations) = closure(
        own(set.sigma.iter().map(|r| r.path.as_str()), partition),
        own(set.correlations.iter().map(|c| c.path.as_str()), partition),
        &edges,
    );
    let kql = own(set.kql.iter().map(|k| k.path.as_str()), partition);
    loaded.rules = keep(take(&mut loaded.rules), &sigma);
    loaded.correlations = keep(take(&mut loaded.correlations), &correlations);
    loaded.kql = keep(take(&mut loaded.kql), &kql);
}

/// After evaluation: drop the results and the rules (for regression tests and
/// the rule count) that belong to other shards.
pub fn report_own(loaded: &mut Loaded, results: &mut Vec<RuleResult>, partition: &Partition) {
    results.retain(|r| partition.contains(&r.rule.path));
    loaded.rules.retain(|r| partition.contains(&r.path));
    loaded.correlations.retain(|c| partition.contains(&c.path));
    loaded.kql.retain(|k| partition.contains(&k.path));
}

fn own<'a>(paths: impl Iterator<Item = &'a str>, partition: &Partition) -> Vec<bool> {
    paths.map(|p| partition.contains(p)).collect()
}

fn keep<T>(items: Vec<T>, wanted: &[bool]) -> Vec<T> {
    items
        .into_iter()
        .zip(wanted)
        .filter_map(|(item, &w)| w.then_some(item))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(index: usize, count: usize) -> Shard {
        Shard { index, count }
    }

    #[test]
    fn files_are_dealt_round_robin_in_path_order() {
        let files = ["c.yml", "a.yml", "b.yml", "d.yml", "a.yml"].map(String::from);
        let p1 = Partition::new(shard(1, 3), files.clone());
        let p2 = Partition::new(shard(2, 3), files.clone());
        let p3 = Partition::new(shard(3, 3), files);
        assert!(p1.contains("a.yml") && p1.contains("d.yml"));
        assert!(p2.contains("b.yml") && !p2.contains("a.yml"));
        assert!(p3.contains("c.yml"));
        assert!(!p1.contains("unknown.yml"));
        let one = Partition::new(shard(1, 1), ["x".to_string()]);
        assert!(one.contains("x"));
    }

    #[test]
    fn a_correlation_brings_what_it_names_even_through_other_correlations() {
        // Correlation 0 (in the shard) names correlation 1, which names sigma 2.
        let edges = [
            Edges {
                silences: false,
                names: vec![Referent::Correlation(1), Referent::Sigma(0)],
            },
            Edges {
                silences: false,
                names: vec![Referent::Sigma(2)],
            },
        ];
        let (sigma, correlations) = closure(vec![false; 3], vec![true, false], &edges);
        assert_eq!(sigma, [true, false, true]);
        assert_eq!(correlations, [true, true]);
    }

    #[test]
    fn a_silencing_correlation_elsewhere_comes_along_with_what_it_names() {
        // Sigma 0 is the shard's; correlation 0 (another file, generate:
        // false) names sigma 0 and sigma 1.
        let edges = [Edges {
            silences: true,
            names: vec![Referent::Sigma(0), Referent::Sigma(1)],
        }];
        let (sigma, correlations) = closure(vec![true, false, false], vec![false], &edges);
        assert_eq!(sigma, [true, true, false]);
        assert_eq!(correlations, [true]);
        // One that lets its rules alert (generate: true) is not needed.
        let generating = [Edges {
            silences: false,
            ..edges[0].clone()
        }];
        let (sigma, correlations) = closure(vec![true, false, false], vec![false], &generating);
        assert_eq!(sigma, [true, false, false]);
        assert_eq!(correlations, [false]);
    }
}
