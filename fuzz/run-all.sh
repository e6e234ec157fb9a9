#!/usr/bin/env bash
# Runs every cargo-fuzz target in turn (see docs/fuzzing.md).
#
#   fuzz/run-all.sh [-jobs N] SECONDS_PER_TARGET [TARGET...]
#
# Builds all targets once (cargo +nightly fuzz build -O), then runs each
# built binary directly — so files other people change meanwhile do not
# rebuild anything halfway — for SECONDS_PER_TARGET from
# fuzz/corpus/<target> (new inputs go there) and fuzz/seeds/<target>,
# with -max_len=4096 -rss_limit_mb=1024 -timeout=10. Crashes, leaks,
# timeouts and OOMs land in fuzz/artifacts/<target>/. Afterwards the
# corpus is minimised against the seeds with the merge `cargo fuzz cmin`
# runs (-merge=1), into a folder that already holds the seeds, which are
# then taken out again: the corpus keeps only what the seeds do not cover.
# By default it keeps one input per new coverage edge (-use_counters=0),
# which keeps the committed corpora small (hit counts are found again within
# seconds of the next run); MINIMISE=features keeps every feature libFuzzer
# counts (edges with hit-count buckets: several times the inputs). Then one
# line per target is appended to fuzz/runs.log:
#
#   date target seconds jobs execs cov ft corpus(files/bytes) crashes status
#
# cov / ft are libFuzzer's edge and feature counts at the end of the run.
# -jobs N (default 1): N > 1 runs libFuzzer's fork mode (-fork=N) with
# N worker processes. Meant to run under `nice -n 19`; the short CI-style
# run on a machine with nightly is `fuzz/run-all.sh 30`.
set -euo pipefail

usage() {
  echo "usage: $0 [-jobs N] SECONDS_PER_TARGET [TARGET...]" >&2
  exit 2
}

jobs=1
if [ "${1:-}" = "-jobs" ] || [ "${1:-}" = "--jobs" ]; then
  [ $# -ge 2 ] || usage
  jobs=$2
  shift 2
fi
[ $# -ge 1 ] || usage
seconds=$1
shift
case "$seconds" in '' | *[!0-9]*) usage ;; esac
case "$jobs" in '' | *[!0-9]* | 0) usage ;; esac

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
cd "$fuzz_dir"
log="$fuzz_dir/runs.log"

echo "== cargo +nightly fuzz build -O"
cargo +nightly fuzz build -O
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin_dir="$fuzz_dir/target/$triple/release"

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

flags=(-max_len=4096 -rss_limit_mb=1024 -timeout=10)
case "${MINIMISE:-edges}" in
  edges) minimise=(-use_counters=0) ;;
  features) minimise=() ;;
  *) echo "MINIMISE must be edges or features" >&2; exit 2 ;;
esac
# The bundled SQLite (rusqlite, linked into the sync and kiosk targets)
# has two identical function-local tables `aiOff` (FTS3's and FTS5's case
# folding) that the optimised build merges into one; ASan then sees one
# address registered twice and stops with an "odr-violation" before the
# first input. Not our code and not a memory error.
export ASAN_OPTIONS="detect_odr_violation=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

for target in "${targets[@]}"; do
  bin="$bin_dir/$target"
  if [ ! -x "$bin" ]; then
    echo "no binary for $target at $bin" >&2
    exit 1
  fi
  corpus="$fuzz_dir/corpus/$target"
  seeds="$fuzz_dir/seeds/$target"
  artifacts="$fuzz_dir/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  inputs=("$corpus")
  [ -d "$seeds" ] && inputs+=("$seeds")
  crashes_before=$(find "$artifacts" -type f | wc -l)
  out=$(mktemp)
  echo "== $target: ${seconds} s, jobs $jobs"
  status=ok
  if [ "$jobs" -gt 1 ]; then
    mode=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  else
    mode=(-print_final_stats=1)
  fi
  "$bin" "${flags[@]}" "${mode[@]}" -max_total_time="$seconds" \
    -artifact_prefix="$artifacts/" "${inputs[@]}" >"$out" 2>&1 || status="exit $?"
  tail -n 5 "$out"
  # Executions: the final stats (single process) or the last status line.
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -n 1)
  status_line=$(grep -E '^#[0-9]+' "$out" | tail -n 1 || true)
  if [ -z "$execs" ]; then
    execs=$(printf '%s\n' "$status_line" | sed -n 's/^#\([0-9]*\).*/\1/p')
  fi
  cov=$(printf '%s\n' "$status_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(printf '%s\n' "$status_line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  rm -f "$out"

  # Minimise: keep what the seeds do not cover already.
  merged=$(mktemp -d)
  if [ -d "$seeds" ]; then
    cp "$seeds"/* "$merged"/ 2>/dev/null || true
  fi
  seed_names=$(ls -A "$merged")
  if "$bin" "${flags[@]}" "${minimise[@]}" -merge=1 "$merged" "$corpus" >/dev/null 2>&1; then
    for name in $seed_names; do rm -f "$merged/$name"; done
    find "$corpus" -type f -delete
    find "$merged" -type f -exec mv -t "$corpus" {} +
  else
    echo "minimising $target failed; its corpus is left as it is" >&2
    status="$status; cmin failed"
  fi
  rm -rf "$merged"

  files=$(find "$corpus" -type f | wc -l)
  bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  crashes=$(($(find "$artifacts" -type f | wc -l) - crashes_before))
  printf '%s target=%s seconds=%s jobs=%s execs=%s cov=%s ft=%s corpus=%s/%s crashes=%s status=%s\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$target" "$seconds" "$jobs" "${execs:-?}" \
    "${cov:-?}" "${ft:-?}" "$files" "$bytes" "$crashes" "$status" | tee -a "$log"
done
