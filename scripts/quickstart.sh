#!/usr/bin/env bash
# quickstart.sh: the main job on the bundled data, run by `./golf quickstart` after the build: tokenize the bundled
# FineWeb slices into the challenge's shards, train the cpu-small model on the CPU (about 3 minutes on 2 cores),
# export it as a quantized .golf file and score it (the official post-quantization BPB), score it again with
# golf-eval on the raw validation text, and complete a prompt with it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="$ROOT/build"
OUT="$ROOT/runs/quickstart"
TOKENIZER="$ROOT/data/tokenizer_sp1024.model"
SHARED="${GOLF_SHARED_DATA:-$ROOT/../shared/data}"
start=$SECONDS

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/4 tokenize the bundled FineWeb slices into challenge shards (golf-data)"
"$B/trainer/data/golf-data" tokenize --tokenizer "$TOKENIZER" --input "$ROOT/data/fineweb_train_slice.jsonl" \
  --out "$OUT/data/train" --val-docs 0 --overwrite
"$B/trainer/data/golf-data" tokenize --tokenizer "$TOKENIZER" --input "$ROOT/data/fineweb_val_slice.jsonl" \
  --out "$OUT/data/val" --val-docs 1000000 --overwrite

step "2/4 train cpu-small on the CPU, export model.golf and score it (golf-train)"
"$B/trainer/train/golf-train" --preset cpu-small \
  --train-glob "$OUT/data/train/fineweb_train_*.bin" --val-glob "$OUT/data/val/fineweb_val_*.bin" \
  --tokenizer "$TOKENIZER" --out "$OUT/run" --overwrite
MODEL="$OUT/run/model.golf"

step "3/4 score the exported file on the raw validation text (golf-eval: every UTF-8 byte counts)"
"$B/runtime/eval/golf-eval" -m "$MODEL" --jsonl "$ROOT/data/fineweb_val_slice.jsonl" --window 256
if [ -f "$SHARED/fineweb/val.jsonl" ]; then
  echo
  echo "and on all of $SHARED/fineweb/val.jsonl (zstd -19 reaches 2.43 bits per byte on it):"
  "$B/runtime/eval/golf-eval" -m "$MODEL" --jsonl "$SHARED/fineweb/val.jsonl" --window 256
fi

step "4/4 complete a prompt (golf-complete)"
"$B/demo/golf-complete" -m "$MODEL" -n 60 --seed 1 "The court held that"

echo
echo "quickstart done in $((SECONDS - start)) s: model $MODEL, log $OUT/run/run.log, loss curve $OUT/run/loss.svg"
