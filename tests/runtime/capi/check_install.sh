#!/usr/bin/env bash
# check_install.sh BUILD_DIR SOURCE_DIR MODEL.golf GOLF_COMPLETE: what `meson install` gives an app developer works:
# installs into a temporary root, checks the library with its soname links, golf.h and golf.pc are there, builds
# demo/stream_from_memory.c with `pkg-config --cflags --libs golf` (shared) and `--static` (libgolf.a), and runs
# both on a model: their greedy completions equal golf-complete's.
set -euo pipefail
build="$1" src="$2" model="$3" golf_complete="$4"
fail() { echo "check_install: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"

meson install -C "$build" --no-rebuild --destdir "$root" --tags runtime,devel >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "meson install failed"; }
pc=$(find "$root" -name golf.pc)
[ -n "$pc" ] || fail "no golf.pc installed"
major=$(sed -nE 's/^#define GOLF_API_VERSION_MAJOR ([0-9]+).*/\1/p' "$src/runtime/include/golf.h")
minor=$(sed -nE 's/^#define GOLF_API_VERSION_MINOR ([0-9]+).*/\1/p' "$src/runtime/include/golf.h")
grep -qx "Version: $major.$minor.0" "$pc" || fail "golf.pc says $(grep '^Version:' "$pc"), golf.h $major.$minor"
lib=$(find "$root" -name 'libgolf.so.1.*' -type f)
[ -n "$lib" ] || fail "no libgolf.so.1.x installed"
libdir=$(dirname "$lib")
[ "$(readlink "$libdir/libgolf.so.1")" = "$(basename "$lib")" ] || fail "libgolf.so.1 does not point at $lib"
[ "$(readlink "$libdir/libgolf.so")" = "libgolf.so.1" ] || fail "libgolf.so does not point at libgolf.so.1"
[ -f "$libdir/libgolf.a" ] || fail "no libgolf.a installed"
[ -n "$(find "$root" -path '*/include/golf.h')" ] || fail "no golf.h installed"

# The .pc file names the real prefix; the sysroot maps it into the temporary root.
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$root"
cc=${CC:-cc}
# shellcheck disable=SC2046
"$cc" -std=c99 -Wall -Wextra -Werror -o "$tmp/stream_shared" "$src/demo/stream_from_memory.c" \
  $(pkg-config --cflags --libs golf) || fail "cannot build against pkg-config --libs golf"
# grep reads a variable, not a pipe: with pipefail, `objdump | grep -q` fails when grep stops reading early.
headers=$(objdump -p "$tmp/stream_shared")
grep -q 'NEEDED *libgolf.so.1$' <<< "$headers" || fail "the program does not need libgolf.so.1"
# Static: libgolf.a itself, and golf.pc's private libraries for what it needs (the C++ runtime, libm, threads).
# shellcheck disable=SC2046
"$cc" -std=c99 -Wall -Wextra -Werror -o "$tmp/stream_static" "$src/demo/stream_from_memory.c" \
  $(pkg-config --static --cflags --libs golf | sed 's/-lgolf\b/-Wl,-Bstatic -lgolf -Wl,-Bdynamic/') ||
  fail "cannot build against pkg-config --static --libs golf"
headers=$(objdump -p "$tmp/stream_static")
grep -q 'NEEDED *libgolf' <<< "$headers" && fail "the static build still needs libgolf.so"

prompt="The court held that"
expected=$("$golf_complete" -m "$model" --greedy -n 20 "$prompt")
got=$(LD_LIBRARY_PATH="$libdir" "$tmp/stream_shared" "$model" "$prompt" 20) || fail "stream_from_memory (shared) failed"
[ "$got" = "$expected" ] || fail "shared build: '$got' != golf-complete's '$expected'"
got=$("$tmp/stream_static" "$model" "$prompt" 20) || fail "stream_from_memory (static) failed"
[ "$got" = "$expected" ] || fail "static build: '$got' != golf-complete's '$expected'"
echo "installed $(find "$root" -type f | wc -l) files; stream_from_memory built from golf.pc (shared, static) completes as golf-complete does"
