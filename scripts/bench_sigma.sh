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
./target/release/examples/sigma_bench --events "$EVENTS" --export "$EXPORT"

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
