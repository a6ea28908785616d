#!/usr/bin/env python3
"""Seed fuzz/corpus/kql_parser/ with real KQL: every `query` of the shared
KQL corpus (JSON lines), the shipped .kql rules, and the `query:` of the
shipped Sentinel YAML rules. Run from the repository root:

    python3 fuzz/seed_corpus.py [/work/shared/corpora/kql/queries.jsonl]
"""

import glob
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus", "kql_parser")
JSONL = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpora/kql/queries.jsonl"


def put(text, tag):
    data = text.encode()
    name = f"{tag}-{hashlib.sha1(data).hexdigest()[:16]}"
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def yaml_query(path):
    """The `query:` of a Sentinel rule; PyYAML when there, else the block scalar."""
    try:
        import yaml

        with open(path) as f:
            return yaml.safe_load(f).get("query")
    except ImportError:
        pass
    lines = open(path).read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("query:"):
            body = []
            for l in lines[i + 1 :]:
                if l and not l.startswith(" "):
                    break
                body.append(l)
            indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
            return "\n".join(l[indent:] for l in body).strip() + "\n"
    return None


def main():
    os.makedirs(OUT, exist_ok=True)
    n = 0
    if os.path.exists(JSONL):
        with open(JSONL) as f:
            for line in f:
                if line.strip():
                    q = json.loads(line).get("query")
                    if q:
                        put(q, "corpus")
                        n += 1
    else:
        print(f"note: {JSONL} not found, seeding from rules only", file=sys.stderr)
    rules = os.path.join(ROOT, "rules", "kql")
    for path in sorted(glob.glob(os.path.join(rules, "**", "*.kql"), recursive=True)):
        put(open(path).read(), "rule")
        n += 1
    for path in sorted(glob.glob(os.path.join(rules, "**", "*.y*ml"), recursive=True)):
        q = yaml_query(path)
        if q:
            put(q, "rule")
            n += 1
    print(f"{n} seeds in {OUT}")


if __name__ == "__main__":
    main()
