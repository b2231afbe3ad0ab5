#!/usr/bin/env bash
# Measures a whole `sagefence scan` of the synthetic corpus against the floor
# (reading and parsing the same files, each with the parser the scan uses for
# it: hclsyntax for .tf and .tfvars, YAML for CloudFormation), on one core (GOMAXPROCS=1) and on
# all cores, and prints the scan/parse ratio of each in CPU seconds (steady on
# a shared machine) and in wall time (median of 3 runs, the
# two benchmarks in the same process, one after the other); then wall time and peak
# memory (GNU time's maximum resident set size) of the CLI. Figures go in
# BENCHMARKS.md.
#
#   bench/run.sh [FILES]        # default 10000
#   BENCH_REAL_DIR=DIR bench/run.sh   # also the ratio on the .tf files under DIR
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/sagefence" ./cmd/sagefence
go run ./bench/gencorpus -files "$files" -out "$work/corpus"

cores=$(nproc)
# ratio LABEL: runs BenchmarkParseOnly and BenchmarkScan (3 rounds of 3
# iterations, -cpu 1 and all cores) on the corpus the environment names, and
# prints the scan/parse-floor ratio of the medians in CPU seconds (steady on a
# shared machine) and in wall time. The rounds alternate floor and scan (one
# test binary run per round; -count would run all of one benchmark's rounds
# before the other's), so that a machine's drift falls on both.
ratio() {
  echo "--- go test -bench (parse-only floor vs full scan), $1, -cpu 1,$cores"
  go test -c -o "$work/bench.test" ./bench
  : >"$work/bench.txt"
  for round in 1 2 3; do
    (cd bench && "$work/bench.test" -test.run '^$' -test.bench . -test.benchtime 3x -test.cpu "1,$cores") | tee -a "$work/bench.txt"
  done
  # Benchmark lines look like "BenchmarkScan-2  3  4500000000 ns/op ..."; the
  # suffix is GOMAXPROCS (absent for 1).
  awk -v cores="$cores" -v label="$1" '
    /^Benchmark(ParseOnly|Scan)/ {
      name = $1; cpu = 1
      if (match(name, /-[0-9]+$/)) { cpu = substr(name, RSTART + 1); name = substr(name, 1, RSTART - 1) }
      wall[name, cpu] = wall[name, cpu] " " $3 / 1e9
      for (i = 4; i < NF; i++) if ($(i + 1) == "cpu-s/op") cpus[name, cpu] = cpus[name, cpu] " " $i
    }
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return a[int((n + 1) / 2)]
    }
    END {
      split("1 " cores, list, " ")
      for (k = 1; k <= 2; k++) {
        c = list[k]
        pc = median(cpus["BenchmarkParseOnly", c]); sc = median(cpus["BenchmarkScan", c])
        pw = median(wall["BenchmarkParseOnly", c]); sw = median(wall["BenchmarkScan", c])
        if (pc > 0 && pw > 0) printf "%s: scan/parse on %d core(s): CPU %.2fx (%.2f / %.2f cpu-s), wall %.2fx (%.2f / %.2f s)\n", label, c, sc / pc, sc, pc, sw / pw, sw, pw
      }
    }' "$work/bench.txt"
}
SAGEFENCE_BENCH_FILES=$files ratio "synthetic, $files files"
# A corpus of real repositories (BENCHMARKS.md lists the ones measured there);
# clone them into one directory and name it in BENCH_REAL_DIR.
if [ -n "${BENCH_REAL_DIR:-}" ]; then
  SAGEFENCE_BENCH_DIR=$BENCH_REAL_DIR ratio "real, $BENCH_REAL_DIR"
fi

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
