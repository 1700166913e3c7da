#!/usr/bin/env bash
# check_exports.sh LIBGOLF.so: the shared library exports the C API (golf_*) and nothing else.
set -euo pipefail
lib="$1"
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^$')
others=$(echo "$exported" | grep -v '^golf_' || true)
[ -z "$others" ] || { echo "libgolf exports non-API symbols:"; echo "$others" | head -20; exit 1; }
for f in golf_model_load_file golf_model_load_memory golf_generate golf_score_bpb golf_decode golf_tokenize; do
  echo "$exported" | grep -qx "$f" || { echo "missing export: $f"; exit 1; }
done
echo "libgolf exports $(echo "$exported" | wc -l) symbols, all golf_*"
