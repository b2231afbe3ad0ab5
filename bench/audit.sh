#!/usr/bin/env bash
# The live audit's latency and API calls (surface/aws BenchmarkAuditLatency):
# `sagefence audit` of three regions (300 notebooks, 20 VPCs, two Studio
# domains) in moto behind a proxy that delays every API call, against the
# slowest region audited alone (target: ratio <= 1.2), and the calls per
# region and operation against the documented minimum (any other count fails
# the benchmark). Needs moto_server: skipped without it, a failure with CI=true.
# Figures go in BENCHMARKS.md "Live audit latency".
#
#   bench/audit.sh [LATENCY]        # delay per API call, default 50ms
#   AUDIT_RUNS=5 bench/audit.sh     # iterations averaged (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
latency=${1:-50ms}
runs=${AUDIT_RUNS:-3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "--- live audit: $latency per API call, mean of $runs runs (go test ./surface/aws -bench AuditLatency)"
if ! SAGEFENCE_BENCH_AUDIT_LATENCY=$latency go test ./surface/aws -run '^$' -bench '^BenchmarkAuditLatency$' \
  -benchtime "${runs}x" -v >"$out" 2>&1; then
  cat "$out"
  exit 1
fi
if grep -q -- '--- SKIP' "$out"; then
  grep -B1 -- '--- SKIP' "$out" | sed -E 's/^ *[a-z_]+\.go:[0-9]+: //'
  exit 0
fi
# The call table the benchmark logs (one line per region and operation).
grep -E '^\s+(latency_test.go:[0-9]+: latency |[a-z]{2}-[a-z]+-[0-9] )' "$out" | sed -E 's/^ *(latency_test.go:[0-9]+: )?//'
# "BenchmarkAuditLatency-2  3  2041758920 ns/op  399.0 calls/op ...": value, then unit.
awk '/^BenchmarkAuditLatency.*ns\/op/ {
    for (i = 3; i < NF; i++) m[$(i + 1)] = $i
    printf "wall: all regions %.2f s, slowest region alone %.2f s, ratio %.3f (target <= 1.2)\n", m["wall-all-s"], m["wall-slowest-s"], m["wall-ratio"]
    printf "API calls: %d, documented minimum %d\n", m["calls/op"], m["min-calls/op"]
    printf "moto answer time per call (on top of the latency): %.1f ms all regions, %.1f ms slowest region alone\n", m["moto-ms/call-all"], m["moto-ms/call-slowest"]
  }' "$out"
