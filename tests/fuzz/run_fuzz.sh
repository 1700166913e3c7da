#!/usr/bin/env bash
# run_fuzz.sh BUILD_DIR SECONDS [EXTRA_SECONDS]: makes the seed corpora, fuzzes the .golf reader for SECONDS, then the
# SentencePiece .model parser and the rANS codec for EXTRA_SECONDS each (default 20), all under ASan+UBSan.
# Exit 0 when libFuzzer found nothing; crashes are left in BUILD_DIR/fuzz-artifacts/.
set -euo pipefail
build="$1"; seconds="${2:-60}"; extra="${3:-20}"
src="$(cd "$(dirname "$0")/../.." && pwd)"
artifacts="$build/fuzz-artifacts"
mkdir -p "$build/fuzz-corpus" "$build/fuzz-corpus-spm" "$build/fuzz-corpus-rans" "$artifacts"
ninja -C "$build" tests/fuzz/make_fuzz_seeds tests/fuzz/fuzz_reader tests/fuzz/fuzz_spm_model tests/fuzz/fuzz_rans >/dev/null
"$build/tests/fuzz/make_fuzz_seeds" "$build/fuzz-corpus" "$build/fuzz-corpus-rans" >/dev/null
cp "$src/data/tokenizer_sp1024.model" "$build/fuzz-corpus-spm/"

# fuzz NAME CORPUS SECONDS MAX_LEN: runs tests/fuzz/NAME on CORPUS (which grows with what it finds).
fuzz() {
  local name="$1" corpus="$2" secs="$3" max_len="$4"
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    "$build/tests/fuzz/$name" "$corpus" -max_total_time="$secs" -rss_limit_mb=2048 -max_len="$max_len" \
    -artifact_prefix="$artifacts/$name-" -print_final_stats=1 2>"$build/$name.log" || {
      tail -60 "$build/$name.log"; echo "$name: FAILED (see $build/$name.log, artifacts in $artifacts)"; exit 1; }
  grep -E "stat::number_of_executed_units|cov:" "$build/$name.log" | tail -2
  echo "$name: ok, no crash in $secs s"
}
fuzz fuzz_reader "$build/fuzz-corpus" "$seconds" 65536
fuzz fuzz_spm_model "$build/fuzz-corpus-spm" "$extra" 262144
fuzz fuzz_rans "$build/fuzz-corpus-rans" "$extra" 8192
