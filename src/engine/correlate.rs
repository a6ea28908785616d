//! Running correlation rules over a bundle: resolving their references to
//! detection rules or other correlations, turning those rules' hits into
//! timed matches, and evaluating (chains of) correlations.

use std::collections::BTreeMap;

use super::correlation::{CorrelationRule, Firing, Match};
use super::sigma::{PreparedEvent, SigmaRule};

/// What a correlation's reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referent {
    Sigma(usize),
    Correlation(usize),
}

/// The rules of a run, for resolving references by id or name. Correlations
/// refer to Sigma detection rules only; KQL rules ride along to be judged.
pub struct RuleSet<'a> {
    pub sigma: &'a [SigmaRule],
    pub correlations: &'a [CorrelationRule],
    pub kql: &'a [super::KqlRule],
    /// What KQL `externaldata` reads in place of each URL.
    pub kql_fixtures: &'a super::kql_rule::ExternalFixtures,
}

impl RuleSet<'_> {
    pub fn resolve(&self, reference: &str) -> Option<Referent> {
        self.sigma
            .iter()
            .position(|r| r.is_named(reference))
            .map(Referent::Sigma)
            .or_else(|| {
                self.correlations
                    .iter()
                    .position(|c| c.is_named(reference))
                    .map(Referent::Correlation)
            })
    }

    /// Problems with a correlation's references: unknown rules and cycles.
    pub fn check(&self, index: usize) -> Result<(), String> {
        let mut path = vec![index];
        self.check_from(index, &mut path)
    }

    fn check_from(&self, index: usize, path: &mut Vec<usize>) -> Result<(), String> {
        for reference in &self.correlations[index].rules {
            match self.resolve(reference) {
                None => {
                    return Err(format!(
                        "refers to `{reference}`, which is not the id or name of any loaded rule"
                    ));
                }
                Some(Referent::Sigma(_)) => {}
                Some(Referent::Correlation(j)) if path.contains(&j) => {
                    return Err(format!(
                        "refers to `{reference}`, which refers back to it (a cycle)"
                    ));
                }
                Some(Referent::Correlation(j)) => {
                    path.push(j);
                    self.check_from(j, path)?;
                    path.pop();
                }
            }
        }
        Ok(())
    }

    /// Detection rules referenced by a correlation that does not let them
    /// alert on their own (`generate: false`, the default).
    pub fn silenced(&self) -> Vec<bool> {
        let mut silenced = vec![false; self.sigma.len()];
        for c in self.correlations.iter().filter(|c| !c.generate) {
            for reference in &c.rules {
                if let Some(Referent::Sigma(i)) = self.resolve(reference) {
                    silenced[i] = true;
                }
            }
        }
        silenced
    }

    /// Firings of correlation `index` on a bundle's events, given every
    /// detection rule's hits there. References must have been [checked](Self::check).
    pub fn firings(
        &self,
        index: usize,
        hits: &[Vec<usize>],
        events: &[PreparedEvent],
    ) -> Vec<Firing> {
        let mut memo = BTreeMap::new();
        self.firings_memo(index, hits, events, &mut memo)
    }

    fn firings_memo(
        &self,
        index: usize,
        hits: &[Vec<usize>],
        events: &[PreparedEvent],
        memo: &mut BTreeMap<usize, Vec<Firing>>,
    ) -> Vec<Firing> {
        if let Some(done) = memo.get(&index) {
            return done.clone();
        }
        let correlation = &self.correlations[index];
        let inputs: Vec<Vec<Match>> = correlation
            .rules
            .iter()
            .map(|reference| match self.resolve(reference) {
                Some(Referent::Sigma(i)) => {
                    let rule = &self.sigma[i];
                    let fields = correlation.needed_fields(reference);
                    hits[i]
                        .iter()
                        .filter_map(|&e| {
                            let event = &events[e];
                            Some(Match {
                                time: event.time?,
                                events: vec![e],
                                fields: fields
                                    .iter()
                                    .filter_map(|f| Some((f.clone(), rule.field_value(event, f)?)))
                                    .collect(),
                            })
                        })
                        .collect()
                }
                Some(Referent::Correlation(j)) => self
                    .firings_memo(j, hits, events, memo)
                    .iter()
                    .map(Firing::as_match)
                    .collect(),
                None => Vec::new(),
            })
            .collect();
        let firings = correlation.evaluate(&inputs);
        memo.insert(index, firings.clone());
        firings
    }
}
