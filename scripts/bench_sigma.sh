#!/usr/bin/env bash
# Side-by-side Sigma benchmark (see BENCHMARKS.md#sigma-at-scale):
# rulecheck's matcher, the plain sigma-rust loop and rsigma on SigmaHQ `rules/`
# against generated bundles plus SigmaHQ's regression EVTX.
#
#   scripts/bench_sigma.sh [EVENTS]        # default 100000
#
# Installs rsigma 0.23.0 (the newest release that builds with rustc 1.95) from
# crates.io into target/rsigma the first time. Needs ../shared/corpora, or
# RULECHECK_CORPORA pointing at a directory holding sigmahq/.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS="${1:-100000}"
CORPORA="${RULECHECK_CORPORA:-../shared/corpora}"
RULES="$CORPORA/sigmahq/rules"
if [ ! -d "$RULES" ]; then
  echo "note: $RULES not found (set RULECHECK_CORPORA); nothing to measure" >&2
  exit 0
fi

RSIGMA=target/rsigma/bin/rsigma
if [ ! -x "$RSIGMA" ]; then
  cargo install rsigma --version 0.23.0 --locked --root target/rsigma
fi

cargo build --release --example sigma_bench
EXPORT=target/sigma_bench_events.jsonl
./target/release/examples/sigma_bench --events "$EVENTS" --export "$EXPORT" \
  --explain target/sigma_explain.tsv

# rsigma reads the same events, flattened as rulecheck's rules see them.
lines=$(wc -l < "$EXPORT")
start=$(date +%s.%N)
RAYON_NUM_THREADS=1 "$RSIGMA" engine eval -r "$RULES" -e "@$EXPORT" \
  --output-format ndjson --quiet > target/rsigma_matches.ndjson
end=$(date +%s.%N)
matches=$(wc -l < target/rsigma_matches.ndjson)
python3 - "$start" "$end" "$lines" "$matches" <<'PY'
import sys
start, end, lines, matches = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t = end - start
print(f"rsigma 0.23.0 (load + evaluate): {lines / t:.0f} events/s ({t:.2f} s), {matches} match lines")
PY

# Rule by rule, rsigma against the plain sigma-rust loop, on a workload small
# enough for the plain loop to see every event (one library round + EVTX).
SMALL=target/sigma_bench_small.jsonl
./target/release/examples/sigma_bench --events 1 --sample 1000000000 --export "$SMALL" \
  --explain target/sigma_explain_small.tsv > target/sigma_bench_small.txt
RAYON_NUM_THREADS=1 "$RSIGMA" engine eval -r "$RULES" -e "@$SMALL" \
  --output-format ndjson --quiet > target/rsigma_matches_small.ndjson
python3 - target/sigma_explain_small.plain_counts.tsv target/rsigma_matches_small.ndjson <<'PY'
import collections, json, sys
plain = {}
for line in open(sys.argv[1]):
    if line.strip():
        rule_id, path, n = line.rstrip("\n").split("\t")
        plain[rule_id] = (path, int(n))
rsigma = collections.Counter(json.loads(l)["rule_id"] for l in open(sys.argv[2]) if l.strip())
ids = sorted(set(plain) | set(rsigma))
differ = [(i, plain.get(i, ("?", 0)), rsigma.get(i, 0))
          for i in ids if plain.get(i, ("", 0))[1] != rsigma.get(i, 0)]
print(f"rule by rule on the small workload: plain loop {sum(n for _, n in plain.values())} matches, "
      f"rsigma {sum(rsigma.values())}; {len(differ)} rules differ")
for rule_id, (path, n), m in differ:
    print(f"  {rule_id} {path}: plain loop {n}, rsigma {m}")
PY

# A streamed run ten times as long, one bundle in memory at a time: its peak
# RSS must not grow with the number of events.
./target/release/examples/sigma_bench --stream "$((EVENTS * 10))" --threads 1
