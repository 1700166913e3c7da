#!/usr/bin/env bash
# quickstart.sh: the main job on the bundled data, run by `./golf quickstart` after the build. Until the trainer
# and runtime land it packs a random-weight model of the challenge baseline's shape with the bundled tokenizer into
# a .golf file and inspects it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="$ROOT/build"
OUT="$ROOT/runs/quickstart"
mkdir -p "$OUT"
echo "== 1/3 a model in the challenge baseline's shape (random weights, trained-like statistics)"
"$B/format/tools/golf-make-example" "$OUT"
echo "== 2/3 pack it: q8 per row + rANS, with the bundled SentencePiece tokenizer"
"$B/format/tools/golf-pack" --weights "$OUT/weights.safetensors" --config "$OUT/config.json" \
  --tokenizer "$ROOT/data/tokenizer_sp1024.model" -o "$OUT/model.golf" --quiet
echo "== 3/3 inspect it"
"$B/format/tools/golf-inspect" "$OUT/model.golf" | sed -n '1,/^tensors:/p;/tensors,/,$p'
