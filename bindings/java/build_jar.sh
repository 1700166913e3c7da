#!/bin/sh
# build_jar.sh OUT_DIR JAVAC JAR SOURCES...: compiles the org.golf classes in one javac run and packs golf.jar.
set -e
out=$1 javac=$2 jar=$3
shift 3
rm -rf "$out/golf-classes"
"$javac" -d "$out/golf-classes" "$@"
"$jar" cf "$out/golf.jar" -C "$out/golf-classes" .
