#!/usr/bin/env bash
# Peak memory of `sagefence scan CORPUS --format json --output FILE` on the
# synthetic corpus at several sizes: GNU time's maximum resident set size of
# the child, plus wall/user time (noisy on a shared machine; RSS is not).
# Binaries are built as released (static, -trimpath, -s -w): the resident
# set counts the executable's own pages too, and an unstripped build adds
# 5-10 MiB of them.
#
#   bench/rss.sh [SIZES...]          # default: 1000 10000 50000
#   BASE=<commit> bench/rss.sh ...   # also measure a binary built from <commit>
#                                    # in the same run, interleaved (A/B)
#
# Each size prints one line per binary:
#   files=N bin=head rss_kib=... wall_s=... user_s=... exit=...
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 50000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The Go linker writes its output through mmap, which can leave the file's
# page cache in large folios that the kernel then maps into the process as
# 2 MiB pages (FilePmdMapped in smaps): depending on the layout, the same
# code then counts up to 14 MiB more resident. A released binary is
# written by an ordinary write (extracted from its archive), so copy it.
build() {
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$1.linked" ./cmd/sagefence
  cat "$1.linked" >"$1" && chmod +x "$1" && rm "$1.linked"
}
build "$work/head"
bins=(head)
if [ -n "${BASE:-}" ]; then
  git worktree add -q --detach "$work/base-src" "$BASE"
  (cd "$work/base-src" && build "$work/base")
  git worktree remove --force "$work/base-src"
  bins=(base head)
fi

for n in "${sizes[@]}"; do
  rm -rf "$work/corpus"
  go run ./bench/gencorpus -files "$n" -out "$work/corpus" >/dev/null
  for b in "${bins[@]}"; do
    rc=0
    /usr/bin/time -o "$work/time" -f "%M %e %U" \
      "$work/$b" scan "$work/corpus" --format json --output "$work/out-$b.json" >/dev/null 2>"$work/err" || rc=$?
    # Exit 1 means failing findings (the corpus has some); anything else is an error.
    if [ "$rc" -gt 1 ]; then cat "$work/err" >&2; exit "$rc"; fi
    # GNU time prefixes "Command exited with non-zero status N" on a failing exit.
    read -r rss wall user < <(tail -n 1 "$work/time")
    echo "files=$n bin=$b rss_kib=$rss wall_s=$wall user_s=$user exit=$rc"
  done
  # scope.time is the only field that may differ between two runs.
  if [ -n "${BASE:-}" ] && ! cmp -s <(grep -v '^    "time": ' "$work/out-base.json") <(grep -v '^    "time": ' "$work/out-head.json"); then
    echo "files=$n: base and head JSON reports differ (beyond scope.time)" >&2
    exit 3
  fi
  [ -z "${BASE:-}" ] || echo "files=$n: base and head JSON reports are identical (beyond scope.time)"
done
