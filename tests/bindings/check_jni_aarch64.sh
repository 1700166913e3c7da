#!/usr/bin/env bash
# check_jni_aarch64.sh SOURCE_DIR: the JNI shim cross-compiles for aarch64 (Android's arm64-v8a, Linux on ARM) with
# Debian's aarch64 toolchain, warnings as errors: libgolf_jni.so links as a shared library whose golf_* symbols
# come from libgolf.so at load time. Exit 77 (skipped) without the toolchain or a JDK.
set -euo pipefail
src="$1"
cc=aarch64-linux-gnu-gcc
command -v "$cc" >/dev/null || { echo "no $cc (Debian's gcc-aarch64-linux-gnu; ./golf setup installs it)"; exit 77; }
javac=$(command -v javac || true)
jdk="${JAVA_HOME:-$( [ -n "$javac" ] && dirname "$(dirname "$(readlink -f "$javac")")" )}"
[ -f "$jdk/include/jni.h" ] || { echo "no JDK with include/jni.h (JAVA_HOME or javac)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# jni_md.h of the host JDK's linux/ folder: the same definitions on aarch64 Linux and Android (LP64).
"$cc" -std=c99 -O2 -Wall -Wextra -Werror -fPIC -shared -o "$tmp/libgolf_jni.so" "$src/bindings/java/jni/golf_jni.c" \
  -I "$src/runtime/include" -I "$jdk/include" -I "$jdk/include/linux"
machine=$(readelf -h "$tmp/libgolf_jni.so" | awk -F: '/Machine:/ {gsub(/^ +/, "", $2); print $2}')
[ "$machine" = "AArch64" ] || { echo "not an aarch64 library: machine '$machine'"; exit 1; }
readelf -W --dyn-syms "$tmp/libgolf_jni.so" | grep -q 'Java_org_golf_GolfNative_generate' ||
  { echo "Java_org_golf_GolfNative_generate is not exported"; exit 1; }
echo "libgolf_jni.so for aarch64: $(stat -c %s "$tmp/libgolf_jni.so") bytes, machine $machine"
