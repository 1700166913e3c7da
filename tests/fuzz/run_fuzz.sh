#!/usr/bin/env bash
# run_fuzz.sh BUILD_DIR SECONDS: makes the seed corpus and fuzzes the .golf reader for SECONDS under ASan+UBSan.
# Exit 0 when libFuzzer found nothing; crashes are left in BUILD_DIR/fuzz-artifacts/.
set -euo pipefail
build="$1"; seconds="${2:-60}"
corpus="$build/fuzz-corpus"; artifacts="$build/fuzz-artifacts"
mkdir -p "$corpus" "$artifacts"
ninja -C "$build" tests/fuzz/make_fuzz_seeds tests/fuzz/fuzz_reader >/dev/null
"$build/tests/fuzz/make_fuzz_seeds" "$corpus" >/dev/null
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
  "$build/tests/fuzz/fuzz_reader" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 2>"$build/fuzz.log" || {
    tail -60 "$build/fuzz.log"; echo "fuzz_reader: FAILED (see $build/fuzz.log, artifacts in $artifacts)"; exit 1; }
grep -E "stat::number_of_executed_units|cov:" "$build/fuzz.log" | tail -2
echo "fuzz_reader: ok, no crash in $seconds s"
