#!/bin/sh
# run_aarch64.sh: builds the kernel test for aarch64 with Debian's cross compiler (no meson cross build: the
# kernel sources and the test, -O2, the dot-product file with -march=armv8.2-a+dotprod) and runs it under
# qemu-aarch64: with -cpu max the neon_dotprod path must run; with -cpu cortex-a57 (ARMv8.0, no dot product)
# neon must run and neon_dotprod must not. Its scalar outputs are compared with the native (x86) test's.
# Usage: run_aarch64.sh NATIVE_TEST_EXE SOURCE_ROOT WORK_DIR. Exits 77 (meson: skipped) without the tools.
set -eu
native_test=$1
src=$2
work=$3
cxx=${AARCH64_CXX:-aarch64-linux-gnu-g++}
qemu=${QEMU_AARCH64:-qemu-aarch64}
sysroot=${AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}
if ! command -v "$cxx" >/dev/null 2>&1 || ! command -v "$qemu" >/dev/null 2>&1 || [ ! -d "$sysroot" ]; then
  echo "skipped: needs $cxx, $qemu and $sysroot"
  exit 77
fi

mkdir -p "$work"
k=$src/runtime/kernels
flags="-std=c++17 -O2 -Wall -Wextra -I$k -I$src/runtime -I$src/format"
objs=""
compile() {  # compile SOURCE [EXTRA FLAGS...]
  s=$1
  shift
  o=$work/$(basename "$s" .cpp).o
  "$cxx" $flags "$@" -c "$s" -o "$o"
  objs="$objs $o"
}
for f in act_quant kernel_paths matmul matmul_f32act quant_matrix thread_pool; do compile "$k/$f.cpp"; done
for f in dtype quant status; do compile "$src/format/$f.cpp"; done  # dequantize_row (matmul_f32act.cpp)
compile "$k/arch/scalar/kernels_scalar.cpp" -ffp-contract=off
compile "$k/arch/arm/kernels_neon.cpp"
compile "$k/arch/arm/kernels_neon_dotprod.cpp" -march=armv8.2-a+dotprod
compile "$src/tests/runtime/kernels/test_kernels.cpp"
compile "$src/tests/runtime/kernels/test_f32act.cpp"
"$cxx" -o "$work/test_kernels_aarch64" $objs -pthread

"$native_test" --dump "$work/native.txt" > "$work/native.log" 2>&1 || { cat "$work/native.log"; exit 1; }
echo "== qemu-aarch64 -cpu max"
"$qemu" -cpu max -L "$sysroot" "$work/test_kernels_aarch64" --require neon,neon_dotprod \
  --compare "$work/native.txt"
echo "== qemu-aarch64 -cpu cortex-a57"
"$qemu" -cpu cortex-a57 -L "$sysroot" "$work/test_kernels_aarch64" --require neon --forbid neon_dotprod \
  --compare "$work/native.txt"
