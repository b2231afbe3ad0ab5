#!/usr/bin/env bash
# Measures a whole `sagefence scan` of the synthetic corpus against the floor
# (parsing the same files with hclsyntax on all cores), with wall time and peak
# memory (GNU time's maximum resident set size). Figures go in BENCHMARKS.md.
#
#   bench/run.sh [FILES]        # default 10000
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/sagefence" ./cmd/sagefence
go run ./bench/gencorpus -files "$files" -out "$work/corpus"

echo "--- go test -bench (parse-only floor vs full scan), $files files"
SAGEFENCE_BENCH_FILES=$files go test ./bench -run '^$' -bench . -benchtime 3x -count 3

echo "--- sagefence scan: wall time and peak memory"
for i in 1 2 3; do
  /usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KiB" \
    "$work/sagefence" scan "$work/corpus" --format json --output "$work/out.json" || [ $? -eq 1 ]
done
python3 - "$work/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("findings:", len(r["findings"]), "summary:", r["summary"])
PY
