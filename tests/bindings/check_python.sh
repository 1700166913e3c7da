#!/usr/bin/env bash
# check_python.sh SOURCE_DIR LIBGOLF.so MODEL.golf TOKENIZER.model GOLF_COMPLETE: `pip install ./bindings/python`
# works with Debian's Python and pip (into a temporary --target: no network, nothing built but the package), and
# the installed package passes its pytest suite on a real model through the shared library.
set -euo pipefail
src=$(realpath "$1") lib=$(realpath "$2") model=$(realpath "$3") tokenizer=$(realpath "$4") golf_complete=$(realpath "$5")
py=/usr/bin/python3
for m in pip pytest numpy; do
  "$py" -c "import $m" 2>/dev/null || { echo "check_python: Debian's python3-$m is missing (./golf setup installs it)"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/bindings/python" "$tmp/src"  # pip builds in the source folder: keep the tree clean
"$py" -m pip install --quiet --no-index --no-build-isolation --no-deps --disable-pip-version-check \
  --root-user-action=ignore --target "$tmp/site" "$tmp/src"
cd "$tmp"  # nothing named golf here: the tests import the installed package
PYTHONPATH="$tmp/site" PYTHONDONTWRITEBYTECODE=1 GOLF_LIBRARY="$lib" GOLF_EXPECT_PACKAGE_DIR="$tmp/site" \
  GOLF_TEST_MODEL="$model" GOLF_TEST_TOKENIZER="$tokenizer" GOLF_COMPLETE="$golf_complete" \
  "$py" -m pytest -q -p no:cacheprovider "$tmp/src/tests"
