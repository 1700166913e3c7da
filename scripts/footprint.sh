#!/usr/bin/env bash
# footprint.sh: the footprint report of issue 11 in one command: stripped libgolf.so on x86-64 and aarch64, the
# WebAssembly module, and for a baseline-shape q8 model (9 x 512, vocab 1024, random weights, made here) the time to
# load, the time to first token and the peak memory while scoring, against the aims (library <= 300 KB stripped,
# peak <= file + 32 MB, first token <= 50 ms). Builds what it needs in build/, build-aarch64/ and build-wasm/ (the
# builds ./golf test makes; the cross builds are set up here when missing). Prints a Markdown table.
# Usage: scripts/footprint.sh [THREADS]   (default: all cores)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
threads="${1:-$(nproc)}"
export NODE_PATH=/usr/share/nodejs  # emcc's JavaScript tools need Debian's acorn when node is not Debian's own
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cross_setup() {  # cross_setup DIR CROSS_FILE TESTS: set up as ./golf test does
  [ -f "$1/build.ninja" ] || meson setup "$1" --cross-file "$2" --buildtype=release -Druntime_only=true \
    -Dcuda=disabled -Dtests="$3" -Dwerror=true >/dev/null
}

echo "building (build/, build-aarch64/, build-wasm/) ..." >&2
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build runtime/capi/libgolf.so.1.1.0 tests/footprint/footprint_probe format/tools/golf-make-example \
  format/tools/golf-pack >/dev/null
cross_setup build-aarch64 cross/aarch64-linux-gnu.ini true
ninja -C build-aarch64 runtime/capi/libgolf.so.1.1.0 >/dev/null
cross_setup build-wasm cross/wasm32-emscripten.ini false
ninja -C build-wasm demo/web/golf-web.js >/dev/null

strip --strip-all -o "$tmp/x86.so" build/runtime/capi/libgolf.so.1.1.0
aarch64-linux-gnu-strip --strip-all -o "$tmp/arm.so" build-aarch64/runtime/capi/libgolf.so.1.1.0
x86=$(stat -c %s "$tmp/x86.so"); arm=$(stat -c %s "$tmp/arm.so")
wasm=$(stat -c %s build-wasm/demo/web/golf-web.wasm); wasm_gz=$(gzip -9c build-wasm/demo/web/golf-web.wasm | wc -c)
js=$(stat -c %s build-wasm/demo/web/golf-web.js)

echo "making the baseline-shape model and measuring ($threads threads) ..." >&2
build/format/tools/golf-make-example "$tmp" >/dev/null  # the challenge baseline: 9 x 512, vocab 1024
for preset in default raw; do
  build/format/tools/golf-pack --weights "$tmp/weights.safetensors" --config "$tmp/config.json" \
    --tokenizer data/tokenizer_sp1024.model -o "$tmp/$preset.golf" --preset "$preset" --quiet >/dev/null
done
/usr/bin/python3 -c 'import json, sys
for line in open(sys.argv[1]): sys.stdout.write(json.loads(line)["text"] + "\n")' data/fineweb_val_slice.jsonl \
  > "$tmp/val.txt"
for preset in default raw; do
  build/tests/footprint/footprint_probe time "$tmp/$preset.golf" "$threads" > "$tmp/$preset.time.json"
  build/tests/footprint/footprint_probe score "$tmp/$preset.golf" "$threads" "$tmp/val.txt" > "$tmp/$preset.json"
done

/usr/bin/python3 - "$tmp" "$x86" "$arm" "$wasm" "$wasm_gz" "$js" "$threads" <<'PY'
import json, os, sys
tmp, x86, arm, wasm, wasm_gz, js, threads = sys.argv[1], *map(int, sys.argv[2:])
KB, MB = 1000, 1e6
def mark(ok): return "yes" if ok else "**no**"
print("| what | measured | aim | met |")
print("|---|---|---|---|")
print(f"| libgolf.so stripped, x86-64 | {x86 / KB:.0f} KB | <= 300 KB | {mark(x86 <= 300 * KB)} |")
print(f"| libgolf.so stripped, aarch64 | {arm / KB:.0f} KB | <= 300 KB | {mark(arm <= 300 * KB)} |")
print(f"| golf-web.wasm (gzip -9) + golf-web.js | {wasm / KB:.0f} KB ({wasm_gz / KB:.0f} KB) + {js / KB:.0f} KB | | |")
for preset, what in (("default", "q8 + rANS (the 16 MB file)"), ("raw", "q8 raw (used in place)")):
    r = {**json.load(open(f"{tmp}/{preset}.json")), **json.load(open(f"{tmp}/{preset}.time.json"))}
    f, peak = r["file_bytes"], r["peak_rss_bytes"]
    print(f"| {what}: file | {f / MB:.2f} MB | | |")
    print(f"| {what}: load (file + session, median of 7) | {r['load_ms']:.1f} ms | | |")
    print(f"| {what}: first token, 4-token prompt (median of 7) | {r['first_token_ms']:.1f} ms | <= 50 ms | "
          f"{mark(r['first_token_ms'] <= 50)} |")
    print(f"| {what}: peak RSS, scoring {r['scored_tokens']} tokens ({r['score_tokens_per_s']:.0f} tok/s) | "
          f"{peak / MB:.1f} MB = file + {(peak - f) / MB:.1f} MB | <= file + 32 MB | {mark(peak - f <= 32 * MB)} |")
load = open("/proc/loadavg").read().split()[:3]  # the times are only as quiet as the machine was
print(f"\n{threads} threads; x86-64 figures on this machine (load average {' '.join(load)} on {os.cpu_count()} cores at "
      f"the end), sizes from build/, build-aarch64/, build-wasm/.")
PY
