#!/usr/bin/env bash
# check_aarch64.sh NATIVE_BUILD AARCH64_BUILD SOURCE_DIR: libgolf end to end on aarch64, under qemu-aarch64. The
# aarch64 build is the Meson cross build of cross/aarch64-linux-gnu.ini (./golf test makes it). Checks:
#  1. the kernel test on both ARM paths against the x86 scalar outputs: -cpu max must run neon_dotprod,
#     -cpu cortex-a57 (ARMv8.0) neon and not neon_dotprod;
#  2. a q8 model made here (the native golf-make-example and golf-pack, real tokenizer) scored by golf-eval on the
#     bundled validation text on both CPUs: BPB equal to the x86 build's within a relative 1e-4 (the integer dot
#     products are exact; the float sums, exp and rms reductions run in a different order per instruction set,
#     which moves BPB by about 1e-5 relative);
#  3. the greedy completion of golf-complete identical to x86's, byte for byte;
#  4. the JNI shim (bindings/java) cross-compiles and links against the aarch64 libgolf.so, warnings as errors.
# Exit 77 (skipped) without the tools.
set -euo pipefail
nat=$(readlink -f "$1"); arm=$(readlink -f "$2"); src=$(readlink -f "$3")
sysroot=/usr/aarch64-linux-gnu
command -v qemu-aarch64 >/dev/null && [ -d "$sysroot" ] || { echo "skipped: needs qemu-aarch64 and $sysroot"; exit 77; }
qemu() { local cpu=$1; shift; qemu-aarch64 -cpu "$cpu" -L "$sysroot" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

echo "== 1. kernel test (x86 scalar outputs vs aarch64)"
"$nat/tests/runtime/kernels/test_kernels" --dump "$tmp/native.txt" > "$tmp/native.log" 2>&1 ||
  { cat "$tmp/native.log"; exit 1; }
qemu max "$arm/tests/runtime/kernels/test_kernels" --require neon,neon_dotprod --compare "$tmp/native.txt" | tail -1 ||
  bad "kernel test, -cpu max"
qemu cortex-a57 "$arm/tests/runtime/kernels/test_kernels" --require neon --forbid neon_dotprod \
  --compare "$tmp/native.txt" | tail -1 || bad "kernel test, -cpu cortex-a57"

echo "== 2. golf-eval BPB, x86 vs aarch64"
"$nat/format/tools/golf-make-example" "$tmp" --layers 2 --dim 128 --heads 4 --kv-heads 2 --mlp 256 --seed 5 >/dev/null
"$nat/format/tools/golf-pack" --weights "$tmp/weights.safetensors" --config "$tmp/config.json" \
  --tokenizer "$src/data/tokenizer_sp1024.model" -o "$tmp/m.golf" --quiet > /dev/null \
  --quant 'blocks.*.weight=q8' --quant 'tok_emb.weight=q8'
eval_args=(-m "$tmp/m.golf" --jsonl "$src/data/fineweb_val_slice.jsonl" --max-docs 1 --window 256 --json --no-progress)
bpb() { python3 -c 'import json,sys; print(json.load(sys.stdin)["val_bpb"])'; }
x86=$("$nat/runtime/eval/golf-eval" "${eval_args[@]}" | bpb)
for cpu in max cortex-a57; do
  a64=$(qemu "$cpu" "$arm/runtime/eval/golf-eval" "${eval_args[@]}" | bpb)
  python3 -c "import sys; x, a = float(sys.argv[1]), float(sys.argv[2]); d = abs(a - x) / x
print(f'  -cpu $cpu: BPB x86 {x:.7f} aarch64 {a:.7f} relative difference {d:.1e} (tolerance 1e-4)')
sys.exit(d > 1e-4)" "$x86" "$a64" || bad "BPB on -cpu $cpu"
done

echo "== 3. golf-complete greedy, x86 vs aarch64"
complete_args=(-m "$tmp/m.golf" --greedy -n 40 --threads 2 "The court held that")
"$nat/demo/golf-complete" "${complete_args[@]}" > "$tmp/x86.txt"
for cpu in max cortex-a57; do
  qemu "$cpu" "$arm/demo/golf-complete" "${complete_args[@]}" > "$tmp/a64.txt"
  if cmp -s "$tmp/x86.txt" "$tmp/a64.txt"; then
    echo "  -cpu $cpu: 40 greedy tokens identical ($(wc -c < "$tmp/x86.txt") bytes)"
  else bad "greedy completion on -cpu $cpu differs:"; cat "$tmp/x86.txt"; echo; cat "$tmp/a64.txt"; echo; fi
done

echo "== 4. JNI shim for aarch64, linked against the aarch64 libgolf.so"
javac=$(command -v javac || true)
jdk="${JAVA_HOME:-$( [ -n "$javac" ] && dirname "$(dirname "$(readlink -f "$javac")")" )}"
if [ -f "$jdk/include/jni.h" ]; then
  # jni_md.h of the host JDK's linux/ folder: the same definitions on aarch64 Linux and Android (LP64).
  aarch64-linux-gnu-gcc -std=c99 -O2 -Wall -Wextra -Werror -fPIC -shared -o "$tmp/libgolf_jni.so" \
    "$src/bindings/java/jni/golf_jni.c" -I "$src/runtime/include" -I "$jdk/include" -I "$jdk/include/linux" \
    -L "$arm/runtime/capi" -lgolf -Wl,--no-undefined -Wl,-rpath-link,"$sysroot/lib" || bad "JNI shim does not build"
  # The symbol table goes to a variable first: with pipefail, `readelf | grep -q` fails when grep stops reading early.
  dyn_syms=$(readelf -W --dyn-syms "$tmp/libgolf_jni.so")
  grep -q 'Java_org_golf_GolfNative_generate' <<< "$dyn_syms" || bad "Java_org_golf_GolfNative_generate is not exported"
  echo "  libgolf_jni.so: $(stat -c %s "$tmp/libgolf_jni.so") bytes," \
    "$(readelf -h "$tmp/libgolf_jni.so" | grep -o AArch64)"
else
  echo "  skipped: no JDK with include/jni.h (JAVA_HOME or javac)"
fi
[ "$fail" -eq 0 ] && echo "aarch64: all checks passed"
exit "$fail"
