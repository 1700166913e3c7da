#!/usr/bin/env bash
# check_exports.sh LIBGOLF.so GOLF_H LIBGOLF_MAP: the shared library's ABI is what golf.h and libgolf.map say: it
# exports exactly the GOLF_API functions of golf.h, each once in the version script and bound to a GOLF_1.x version,
# nothing else; its soname is libgolf.so.GOLF_API_VERSION_MAJOR and its file libgolf.so.MAJOR.MINOR.0.
set -euo pipefail
lib="$1" header="$2" map="$3"
fail() { echo "check_exports: $*"; exit 1; }

declared=$(grep -E '^GOLF_API ' "$header" | sed -E 's/\(.*//; s/.*[ *]//' | sort)
mapped=$(sed -n '/global:/,/local:/p' "$map" | grep -oE '^ +golf_[a-z0-9_]+;' | tr -d ' ;' | sort)
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^$')
names=$(echo "$exported" | sed 's/@.*//' | grep -v '^GOLF_' | sort)

[ -n "$declared" ] || fail "no GOLF_API declarations found in $header"
[ "$(echo "$mapped" | uniq -d)" = "" ] || fail "listed twice in $map: $(echo "$mapped" | uniq -d)"
diff <(echo "$declared") <(echo "$mapped") >/dev/null ||
  fail "golf.h and libgolf.map disagree (< golf.h, > map):"$'\n'"$(diff <(echo "$declared") <(echo "$mapped") | grep '^[<>]')"
diff <(echo "$declared") <(echo "$names") >/dev/null ||
  fail "golf.h and the exports disagree (< golf.h, > exported):"$'\n'"$(diff <(echo "$declared") <(echo "$names") | grep '^[<>]')"
unversioned=$(echo "$exported" | grep -v '^GOLF_' | grep -vE '@@?GOLF_1\.[0-9]+$' || true)
[ -z "$unversioned" ] || fail "exports without a GOLF_1.x version: $unversioned"

major=$(sed -nE 's/^#define GOLF_API_VERSION_MAJOR ([0-9]+).*/\1/p' "$header")
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = "libgolf.so.$major" ] || fail "soname is '$soname', golf.h says GOLF_API_VERSION_MAJOR $major"
minor=$(sed -nE 's/^#define GOLF_API_VERSION_MINOR ([0-9]+).*/\1/p' "$header")
[ "$(basename "$lib")" = "libgolf.so.$major.$minor.0" ] ||
  fail "the library is $(basename "$lib"), golf.h says GOLF_API_VERSION $major.$minor (runtime/capi/meson.build version:)"
echo "libgolf exports the $(echo "$names" | wc -l) functions of golf.h, versioned; soname $soname"
