#!/usr/bin/env bash
# gpu_selftest.sh: the CUDA trainer's GPU self-test in two steps (trainer/cuda/README.md, "Running the GPU
# self-test"):
#   scripts/gpu_selftest.sh prepare   here (no GPU needed): builds golf-gpu-selftest and packs it with the shared
#                                     libraries a bare GPU machine may lack (OpenBLAS, MPI, libstdc++, cudart; not
#                                     cuBLAS, which the machine's CUDA toolkit or pip wheels provide) into
#                                     build-gpu-bundle/ (at most 64 MiB, so the device tool can carry it);
#   scripts/gpu_selftest.sh run [ARGS] on the GPU machine: runs the bundle under a 6-minute limit, writes the summary
#                                     table (selftest.txt), the JSON (selftest.json) and the device line to $OUT
#                                     (default ./gpu-selftest-out), and exits non-zero on any failure (no GPU is a
#                                     failure here). ARGS go to golf-gpu-selftest (--quick, --filter TEXT, ...).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bundle=${GOLF_GPU_BUNDLE:-$root/build-gpu-bundle}
limit_mib=64

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

prepare() {
  local build=${GOLF_GPU_BUILD:-$root/build}
  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" -Dtests=true -Dwerror=true --buildtype=release
  fi
  ninja -C "$build" -j2 tests/gpu/golf-gpu-selftest
  rm -rf "$bundle"
  mkdir -p "$bundle/bin" "$bundle/lib"
  cp "$build/tests/gpu/golf-gpu-selftest" "$bundle/bin/"
  strip --strip-unneeded "$bundle/bin/golf-gpu-selftest"
  # Every shared library the binary loads, except glibc's own (the machine's must be used) and cuBLAS (hundreds of
  # MiB; the GPU machine's CUDA 13 toolkit has it).
  ldd "$bundle/bin/golf-gpu-selftest" | awk '/=> \// {print $3}' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*|libcuda.so.*|libcublas*) continue ;;
    esac
    cp -L "$lib" "$bundle/lib/"
  done
  local bytes
  bytes=$(du -sb "$bundle" | cut -f1)
  echo "gpu_selftest: bundle $bundle: $((bytes / 1048576)) MiB ($(ls "$bundle/lib" | wc -l) libraries)"
  if [ "$bytes" -gt $((limit_mib * 1048576)) ]; then
    echo "gpu_selftest: the bundle exceeds $limit_mib MiB, the most the device tool carries" >&2
    exit 1
  fi
  echo "gpu_selftest: on the GPU machine (carry build-gpu-bundle): scripts/gpu_selftest.sh run"
}

run() {
  local out=${OUT:-$root/gpu-selftest-out}
  mkdir -p "$out"
  if [ ! -x "$bundle/bin/golf-gpu-selftest" ]; then
    echo "gpu_selftest: no bundle at $bundle: run 'scripts/gpu_selftest.sh prepare' first and carry it" >&2
    exit 1
  fi
  # cuBLAS from the toolkit, or from pip's nvidia-* wheels (PyTorch's) when the toolkit has none.
  local paths="$bundle/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib"
  local d
  for d in /usr/local/lib/python3*/dist-packages/nvidia/*/lib /usr/lib/python3/dist-packages/nvidia/*/lib \
           /usr/local/lib/python3*/site-packages/nvidia/*/lib; do
    [ -d "$d" ] && paths="$paths:$d"
  done
  export LD_LIBRARY_PATH="$paths${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  { nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true; } >"$out/device.txt"
  set +e
  timeout 360 "$bundle/bin/golf-gpu-selftest" --json "$out/selftest.json" "$@" 2>&1 | tee "$out/selftest.txt"
  local rc=${PIPESTATUS[0]}
  set -e
  case $rc in
    0) echo "gpu_selftest: passed" ;;
    77) echo "gpu_selftest: golf-gpu-selftest found no usable GPU on this machine" >&2; rc=1 ;;
    124) echo "gpu_selftest: stopped after 6 minutes" >&2 ;;
    *) echo "gpu_selftest: failed (exit $rc); see $out/selftest.txt" >&2 ;;
  esac
  exit "$rc"
}

case "${1:-}" in
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  -h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
