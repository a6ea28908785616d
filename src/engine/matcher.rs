//! Every Sigma rule of a run on a bundle's events at once: logsource routing
//! offers an event only to the rules whose logsource can apply to it, the
//! literal prefilter ([`prefilter`](super::prefilter)) drops the rules whose
//! required text the event lacks, and `sigma-rust` decides on the rest.
//! Events are evaluated in parallel (rayon); the answer is the same, in the
//! same order, as [`SigmaRule::hits`] rule by rule.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use rayon::prelude::*;

use super::prefilter::{ClauseIds, LiteralIndex};
use super::sigma::{PreparedEvent, SigmaRule};

/// Events handed to one rayon task: large enough that the per-task routing
/// cache and witness buffer are amortised, small enough to balance 2–64 cores.
const CHUNK: usize = 512;

/// How many (event, rule) pairs each stage let through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Funnel {
    /// Pairs whose rule's logsource routes the event.
    pub routed: usize,
    /// Routed pairs the prefilter passed on to `sigma-rust`.
    pub evaluated: usize,
}

/// The rules of a run, indexed once and reused for every bundle.
pub struct SigmaMatcher<'r> {
    rules: &'r [SigmaRule],
    /// The literal index and each rule's clauses of witness ids (`None`:
    /// always evaluate), built on first use — a run whose results all come
    /// from the cache never pays for the automata; absent when the prefilter
    /// is switched off.
    prefilter: Option<OnceLock<(LiteralIndex, Vec<ClauseIds>)>>,
    /// Routing per event kind, shared by every bundle of the run: finding
    /// the rules of a kind means asking each rule, and bundles are often
    /// smaller than the kinds they hold, so a per-bundle memo would redo it.
    routes: RwLock<HashMap<OwnedRouteKey, Arc<Routed>>>,
}

/// [`RouteKey`] owned, for the shared routing memo.
type OwnedRouteKey = (String, Option<u64>, Option<String>);

/// What routes an event: its source, event id and action type.
type RouteKey<'e> = (&'e str, Option<u64>, Option<&'e str>);

/// The rules an event of one route key reaches, each with the field mapping
/// of its route, sorted by mapping so each view is prefiltered once.
type Routed = Vec<(Option<usize>, u32)>;

impl<'r> SigmaMatcher<'r> {
    /// Index `rules`. `prefilter: false` gives routing and exact evaluation
    /// only, for measuring and for proving the prefilter changes nothing.
    pub fn new(rules: &'r [SigmaRule], prefilter: bool) -> SigmaMatcher<'r> {
        SigmaMatcher {
            rules,
            prefilter: prefilter.then(OnceLock::new),
            routes: RwLock::new(HashMap::new()),
        }
    }

    /// The literal index and the rules' witness ids, built on first use.
    fn index(&self) -> Option<&(LiteralIndex, Vec<ClauseIds>)> {
        let cell = self.prefilter.as_ref()?;
        Some(cell.get_or_init(|| LiteralIndex::build(self.rules.iter().map(|r| &r.requirement))))
    }

    /// Per rule (in the order given to [`SigmaMatcher::new`]), the sorted
    /// indices of the events it matches.
    pub fn hits(&self, events: &[PreparedEvent]) -> Vec<Vec<usize>> {
        self.hits_of(events, None)
    }

    /// [`hits`](Self::hits) of the rules `wanted` marks (all when `None`);
    /// the others' lists are empty. A run with a result cache asks only for
    /// the rules whose results it lacks.
    pub fn hits_of(&self, events: &[PreparedEvent], wanted: Option<&[bool]>) -> Vec<Vec<usize>> {
        self.hits_counted(events, wanted).0
    }

    /// [`hits_of`](Self::hits_of), with how many (event, rule) pairs routing
    /// offered and how many of those reached `sigma-rust`.
    pub fn hits_counted(
        &self,
        events: &[PreparedEvent],
        wanted: Option<&[bool]>,
    ) -> (Vec<Vec<usize>>, Funnel) {
        let chunks: Vec<(Vec<(u32, usize)>, Funnel)> = events
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(chunk, slice)| self.chunk_hits(chunk * CHUNK, slice, wanted))
            .collect();
        let mut funnel = Funnel::default();
        for (_, f) in &chunks {
            funnel.routed += f.routed;
            funnel.evaluated += f.evaluated;
        }
        let pairs = chunks.into_iter().flat_map(|(pairs, _)| pairs);
        let mut hits = vec![Vec::new(); self.rules.len()];
        // Pairs arrive in event order, so each rule's list is sorted.
        for (rule, event) in pairs {
            hits[rule as usize].push(event);
        }
        (hits, funnel)
    }

    fn chunk_hits(
        &self,
        offset: usize,
        events: &[PreparedEvent],
        wanted: Option<&[bool]>,
    ) -> (Vec<(u32, usize)>, Funnel) {
        let mut funnel = Funnel::default();
        let mut routes: HashMap<RouteKey<'_>, Arc<Routed>> = HashMap::new();
        let prefilter = self.index();
        let mut found = prefilter.map(|(index, _)| index.found());
        let mut out = Vec::new();
        for (i, event) in events.iter().enumerate() {
            let key = (
                event.source.as_str(),
                event.event_id,
                event.action_type.as_deref(),
            );
            let routed = routes.entry(key).or_insert_with(|| self.routed(event));
            // The view whose witnesses `found` holds, if any.
            let mut scanned: Option<Option<usize>> = None;
            for &(mapping, rule) in routed.iter() {
                if wanted.is_some_and(|w| !w[rule as usize]) {
                    continue;
                }
                let Some((fields, view)) = event.view(mapping) else {
                    continue;
                };
                funnel.routed += 1;
                if let (Some((index, witnesses)), Some(found)) = (prefilter, &mut found)
                    && let Some(required) = &witnesses[rule as usize]
                {
                    if scanned != Some(mapping) {
                        index.present(fields, found);
                        scanned = Some(mapping);
                    }
                    let holds = |clause: &Vec<u32>| clause.iter().any(|&id| found.contains(id));
                    if !required.iter().all(holds) {
                        continue;
                    }
                }
                funnel.evaluated += 1;
                if self.rules[rule as usize].is_match(view) {
                    out.push((rule, offset + i));
                }
            }
        }
        (out, funnel)
    }

    /// [`route`](Self::route), remembered per event kind for the whole run.
    fn routed(&self, event: &PreparedEvent) -> Arc<Routed> {
        let key: OwnedRouteKey = (
            event.source.clone(),
            event.event_id,
            event.action_type.clone(),
        );
        let known = self
            .routes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(routed) = known {
            return routed;
        }
        let routed = Arc::new(self.route(event));
        self.routes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key)
            .or_insert(routed)
            .clone()
    }

    /// The rules an event reaches through their logsource, with the mapping
    /// of the route that delivers it.
    fn route(&self, event: &PreparedEvent) -> Routed {
        let mut routed: Routed = self
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| rule.route_for(event).map(|r| (r.mapping, i as u32)))
            .collect();
        routed.sort_unstable();
        routed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Placeholders, RuleLoader, prepare};
    use crate::test_support::unlabelled_event as event;

    #[test]
    fn routing_and_prefilter_agree_with_rule_by_rule_evaluation() {
        let loader = RuleLoader::new(&Placeholders::default());
        let texts = [
            // Literal requirement on the Sysmon and the mapped Defender view.
            "title: A\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    Image|endswith: '\\whoami.exe'\n  condition: s\n",
            // No requirement: a negation only.
            "title: B\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  f:\n    Image|endswith: '\\explorer.exe'\n  condition: not f\n",
            // A logsource nothing routes to here.
            "title: C\nlogsource:\n  product: windows\n  category: dns_query\ndetection:\n  s:\n    QueryName|contains: 'whoami'\n  condition: s\n",
            // Keywords.
            "title: D\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  k:\n    - 'WHOAMI.exe /ALL'\n  condition: k\n",
        ];
        let rules: Vec<SigmaRule> = texts
            .iter()
            .map(|t| loader.load_sigma("r.yml", t).unwrap())
            .collect();
        let mut bundle = crate::bundle::bundle_from_records("d", vec![], &loader.logsources);
        let mut lines = Vec::new();
        for n in 0..1500 {
            let image = if n % 3 == 0 {
                "C:\\Windows\\System32\\WHOAMI.EXE"
            } else {
                "C:\\Windows\\explorer.exe"
            };
            lines.push(event(
                "sysmon",
                serde_json::json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"},
                    "EventData": {"Image": image, "CommandLine": format!("{image} /all")}}}),
            ));
            lines.push(event(
                "DeviceProcessEvents",
                serde_json::json!({"ActionType": "ProcessCreated", "FolderPath": image, "ProcessCommandLine": "x"}),
            ));
        }
        bundle.events = lines;
        let events = prepare(&bundle, &loader.logsources);
        // The reference: each rule on its own, no prefilter.
        let reference: Vec<Vec<usize>> = rules.iter().map(|r| r.hits(&events)).collect();
        assert!(reference[0].len() >= 1000, "{}", reference[0].len());
        assert!(reference[2].is_empty());
        assert!(!reference[3].is_empty());
        for prefilter in [true, false] {
            assert_eq!(
                SigmaMatcher::new(&rules, prefilter).hits(&events),
                reference
            );
        }
        // 3,000 events are six chunks: one thread or several, same answer.
        let one_thread = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let matcher = SigmaMatcher::new(&rules, true);
        assert_eq!(one_thread.install(|| matcher.hits(&events)), reference);
        // Asking for some rules gives theirs, and nothing for the others.
        let wanted = [false, true, false, true];
        let some = matcher.hits_of(&events, Some(&wanted));
        for (i, hits) in some.iter().enumerate() {
            let expected = if wanted[i] {
                reference[i].clone()
            } else {
                Vec::new()
            };
            assert_eq!(hits, &expected, "rule {i}");
        }
    }
}
