#!/usr/bin/env bash
# Runs each `cargo fuzz` target of fuzz/ for N seconds (default 60) and writes
# fuzz/last-run.json: per target the executions, seconds, corpus size and crashes, which
# `apifyforge reliability` shows in docs/reliability.md. Needs a nightly toolchain; installs
# cargo-fuzz when it is missing. New corpus entries go to fuzz/.work/ (not committed); a
# crash leaves its input in fuzz/artifacts/<target>/ and makes this script exit 1.
#
#   scripts/fuzz.sh [seconds] [target...]        (FUZZ_SANITIZER=none to skip ASan)
set -euo pipefail

seconds="${1:-60}"
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(input schema payload)
fi
sanitizer="${FUZZ_SANITIZER:-address}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# Built once, before the clock starts: the seconds are fuzzing, not compiling, and a source
# edited meanwhile does not rebuild between targets.
if [ "$#" -eq 0 ]; then
  cargo +nightly fuzz build -s "$sanitizer"
else
  for t in "${targets[@]}"; do cargo +nightly fuzz build -s "$sanitizer" "$t"; done
fi
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}"

results=()
status=0
for t in "${targets[@]}"; do
  mkdir -p ".work/$t" "corpus/$t" "artifacts/$t"
  before=$(find "artifacts/$t" -type f | wc -l)
  log=".work/$t.log"
  start=$(date +%s)
  # The committed seed corpus is read; what the run finds goes to .work/ only.
  set +e
  "target/$triple/release/$t" ".work/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  execs=${execs:-0}
  corpus=$(find ".work/$t" "corpus/$t" -type f | wc -l)
  after=$(find "artifacts/$t" -type f | wc -l)
  crashes=$(( after - before ))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  if [ "$crashes" -ne 0 ]; then
    status=1
    echo "fuzz target $t: crash (exit $rc); see $log and artifacts/$t" >&2
    tail -n 30 "$log" >&2
  fi
  echo "fuzz target $t: $execs executions in ${elapsed}s, corpus $corpus, crashes $crashes" >&2
  results+=("{\"target\": \"$t\", \"executions\": $execs, \"seconds\": $elapsed, \"corpus\": $corpus, \"crashes\": $crashes}")
done

{
  printf '{\n  "date": "%s",\n  "secondsPerTarget": %s,\n  "sanitizer": "%s",\n  "targets": [\n' \
    "$(date -u +%Y-%m-%d)" "$seconds" "$sanitizer"
  for i in "${!results[@]}"; do
    sep=","
    if [ "$i" -eq $(( ${#results[@]} - 1 )) ]; then sep=""; fi
    printf '    %s%s\n' "${results[$i]}" "$sep"
  done
  printf '  ]\n}\n'
} >last-run.json
cat last-run.json
exit "$status"
