#!/usr/bin/env bash
# Where a scan's CPU goes, next to the parse floor's: runs BenchmarkParseOnly
# and BenchmarkScan on one core with a CPU profile each, sorts every profile
# sample into the stage its stack belongs to (the first rule below that
# matches one of its frames), and prints CPU seconds per scan and stage for
# both, with the scan's excess over the floor. It is the breakdown
# BENCHMARKS.md quotes; the stages add up to the profile's total, which is a
# little under the benchmark's own cpu-s/op (the profiler samples at 100 Hz).
#
#   bench/costs.sh [FILES]            # the synthetic corpus, default 10000 files
#   BENCH_REAL_DIR=DIR bench/costs.sh # the .tf files under DIR instead
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go test -c -o "$work/bench.test" ./bench
if [ -n "${BENCH_REAL_DIR:-}" ]; then
  export SAGEFENCE_BENCH_DIR=$BENCH_REAL_DIR
  label="the .tf files under $BENCH_REAL_DIR"
else
  go run ./bench/gencorpus -files "$files" -out "$work/corpus" >/dev/null
  export SAGEFENCE_BENCH_DIR=$work/corpus
  label="synthetic, $files files"
fi

# -benchtime 10x runs each benchmark body eleven times (once with b.N = 1,
# then with b.N = 10), all of them profiled: enough samples at the
# profiler's 100 Hz for the small stages to come out within about 0.01 s from
# run to run.
runs=11
for b in ParseOnly Scan; do
  (cd bench && "$work/bench.test" -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchtime 10x -test.cpu 1 \
    -test.cpuprofile "$work/$b.prof") | grep '^Benchmark'
  go tool pprof -traces "$work/bench.test" "$work/$b.prof" >"$work/$b.traces" 2>/dev/null
done

# stages reads `go tool pprof -traces` output: one sample stack per block,
# the first line "<time> <leaf frame>", then the callers.
stages() {
  awk -v runs="$runs" '
    BEGIN {
      n = 0
      rule[++n] = "collector (background)";            re[n] = "gcBgMarkWorker|bgsweep|bgscavenge"
      rule[++n] = "parsing (hclsyntax, JSON, YAML)";   re[n] = "hclsyntax\\.(ParseConfig|LexConfig|scanTokens|checkInvalidTokens|\\(\\*parser\\)|\\(\\*peeker\\)|\\(\\*tokenAccum\\))|textseg\\.|hcl/v2/json\\.Parse|go\\.yaml\\.in/yaml"
      rule[++n] = "nesting check, module lexer";      re[n] = "lexModuleSources|internal/bounds\\."
      rule[++n] = "reading files";                    re[n] = "internal/safefs\\.|os\\.ReadFile"
      rule[++n] = "listing directories, discovery";   re[n] = "os\\.ReadDir|readdir|listConfigDir|engine\\.Discover|engine\\.\\(\\*walker\\)|bench\\.hclFiles"
      rule[++n] = "variable files";                   re[n] = "rootVariables|readVarFile"
      rule[++n] = "decoding blocks";                  re[n] = "decodeFile|decodeModule|suppressionsFor"
      rule[++n] = "attribute names";                  re[n] = "readNames"
      rule[++n] = "controls, findings store";         re[n] = "sagefence/control\\.|sagefence/finding\\.|engine\\.\\(\\*evaluator\\)|engine\\.\\(\\*collector\\)"
      rule[++n] = "evaluation (Terraform, CloudFormation)"; re[n] = "sagefence/surface/"
      rule[++n] = "other (runtime, scheduler)";       re[n] = "."
    }
    function flush(   i) {
      if (stack == "") return
      for (i = 1; i <= n; i++) if (stack ~ re[i]) { sum[i] += t; break }
      total += t; stack = ""
    }
    /^-+\+-+$/ { flush(); next }
    $1 ~ /^[0-9.]+(ms|s|us)$/ {
      flush()
      t = $1 + 0
      if ($1 ~ /ms$/) t /= 1000; else if ($1 ~ /us$/) t /= 1e6
      $1 = ""; stack = $0; next
    }
    stack != "" { stack = stack " " $0 }
    END {
      flush()
      for (i = 1; i <= n; i++) printf "%s\t%.3f\n", rule[i], sum[i] / runs
      printf "total\t%.3f\n", total / runs
    }' "$1"
}

stages "$work/ParseOnly.traces" >"$work/floor.tsv"
stages "$work/Scan.traces" >"$work/scan.tsv"
echo "--- CPU seconds per scan, one core, $label"
printf '%-40s %8s %8s %8s\n' stage floor scan excess
# The summary: the scan/floor ratio of the profiles, and what the stages the
# floor has nothing of (sagefence's own work) cost as a multiple of the
# floor, the part of the excess that is not the runtime's.
paste "$work/floor.tsv" "$work/scan.tsv" |
  awk -F'\t' '
    { printf "%-40s %8.3f %8.3f %+8.3f\n", $1, $2, $4, $4 - $2 }
    $1 == "total" { floor = $2; scan = $4; next }
    $2 == 0 { own += $4 }
    END {
      if (floor > 0) printf "scan / floor %.2fx; stages the floor does not have: %.3f cpu-s, %.2fx the floor\n", scan / floor, own, own / floor
    }'
