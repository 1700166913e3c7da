#!/usr/bin/env bash
# pack_inspect_test.sh BUILD_DIR SOURCE_DIR: golf-pack turns safetensors + config + SentencePiece .model into a .golf
# that golf-inspect reads back (with the bundled tokenizer, and with the shared 8192 one when ../shared/data exists);
# bad inputs fail with messages that name the problem; a damaged file is reported by golf-inspect.
set -euo pipefail
B="$1"; SRC="$2"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
PACK="$B/format/tools/golf-pack"; INSPECT="$B/format/tools/golf-inspect"; MAKE="$B/format/tools/golf-make-example"
fail() { echo "FAIL: $*"; exit 1; }
expect_error() {  # expect_error PATTERN CMD...: CMD must fail and print PATTERN
  local pat="$1"; shift
  if "$@" >"$T/out" 2>&1; then fail "expected failure: $*"; fi
  grep -q -- "$pat" "$T/out" || { cat "$T/out"; fail "message lacks '$pat': $*"; }
}

"$MAKE" "$T" --layers 3 --dim 128 --heads 4 --kv-heads 2 --mlp 256 >/dev/null
"$PACK" --weights "$T/weights.safetensors" --config "$T/config.json" --tokenizer "$SRC/data/tokenizer_sp1024.model" \
  -o "$T/m.golf" --quant 'blocks.*.mlp.*=q4:g32' --quant 'blocks.1.*=q6:k4' --meta run=test > "$T/pack.txt"
grep -q "blocks.0.mlp.fc.weight .*q4:g32" "$T/pack.txt" || { cat "$T/pack.txt"; fail "rule not applied"; }
grep -q "wrote .*m.golf" "$T/pack.txt" || fail "no summary line"
"$INSPECT" "$T/m.golf" > "$T/inspect.txt" || { cat "$T/inspect.txt"; fail "inspect failed"; }
grep -q "checksums: ok" "$T/inspect.txt" || fail "checksums not ok"
grep -q "tokenizer: BPE, 1024 pieces" "$T/inspect.txt" || fail "tokenizer summary"
"$INSPECT" --json "$T/m.golf" > "$T/inspect.json"
/usr/bin/python3 - "$T/inspect.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["valid"] and j["fits_budget"], j
names = {t["name"]: t for t in j["tensors"]}
assert len(names) == 1 + 1 + 3 * 10, len(names)
assert names["blocks.0.mlp.fc.weight"]["dtype"] == "q4" and names["blocks.0.mlp.fc.weight"]["group_size"] == 32
assert names["blocks.1.attn.c_q.weight"]["dtype"] == "q6"
assert names["blocks.0.attn_scale"]["dtype"] == "f32"
assert j["metadata"]["run"] == "test" and j["config"]["model_dim"] == 128
assert j["tokenizer"]["byte_fallback"] and j["tokenizer"]["pieces"] == 1024
PY

# Bad inputs.
expect_error "unknown config key 'rope_bse'" "$PACK" --weights "$T/weights.safetensors" \
  --config <(sed 's/^{/{ "rope_bse": 5,/' "$T/config.json") --tokenizer "$SRC/data/tokenizer_sp1024.model" -o "$T/x.golf"
sed -e 's/"num_layers": 3/"num_layers": 4/' -e 's/"num_encoder_layers": 1/"num_encoder_layers": 2/' "$T/config.json" \
  > "$T/c4.json"
expect_error "tensor 'skip_weights' has shape \\[1, 128\\], the config needs \\[2, 128\\]" "$PACK" --weights "$T/weights.safetensors" --config "$T/c4.json" \
  --tokenizer "$SRC/data/tokenizer_sp1024.model" -o "$T/x.golf"
sed 's/"tie_embeddings": true/"tie_embeddings": false/' "$T/config.json" > "$T/untied.json"
expect_error "missing tensor 'lm_head.weight'" "$PACK" --weights "$T/weights.safetensors" --config "$T/untied.json" \
  --tokenizer "$SRC/data/tokenizer_sp1024.model" -o "$T/x.golf"
expect_error "q4 needs g32 or g64" "$PACK" --weights "$T/weights.safetensors" --config "$T/config.json" \
  --tokenizer "$SRC/data/tokenizer_sp1024.model" -o "$T/x.golf" --quant '*=q4'
expect_error "not a .golf file" "$INSPECT" "$T/weights.safetensors"
expect_error "safetensors" "$PACK" --weights "$T/config.json" --config "$T/config.json" \
  --tokenizer "$SRC/data/tokenizer_sp1024.model" -o "$T/x.golf"
[ ! -e "$T/x.golf" ] || fail "a failed pack left an output file"
# A directory where the SentencePiece model belongs is an error, not an abort (issue 13 item 1).
expect_error "Is a directory" "$PACK" --weights "$T/weights.safetensors" --config "$T/config.json" --tokenizer "$T" \
  -o "$T/x.golf"
# Nothing overwritten without --overwrite (exit 2, one line naming the file), for golf-pack and golf-make-example.
before=$(sha256sum < "$T/m.golf")
set +e; "$PACK" --weights "$T/weights.safetensors" --config "$T/config.json" \
  --tokenizer "$SRC/data/tokenizer_sp1024.model" -o "$T/m.golf" >"$T/out" 2>&1; rc=$?; set -e
[ "$rc" = 2 ] && grep -q "m.golf exists: pass --overwrite" "$T/out" || { cat "$T/out"; fail "golf-pack overwrote (rc $rc)"; }
[ "$(sha256sum < "$T/m.golf")" = "$before" ] || fail "golf-pack changed an existing output"
set +e; "$MAKE" "$T" >"$T/out" 2>&1; rc=$?; set -e
[ "$rc" = 2 ] && grep -q "exists: pass --overwrite" "$T/out" || { cat "$T/out"; fail "golf-make-example overwrote"; }

# Damage: flip one byte inside the DATA section.
cp "$T/m.golf" "$T/bad.golf"
size=$(stat -c %s "$T/bad.golf")
printf '\xff' | dd of="$T/bad.golf" bs=1 seek=$((size - 100)) conv=notrunc status=none
expect_error "checksum mismatch" "$INSPECT" "$T/bad.golf"
head -c 1000 "$T/m.golf" > "$T/short.golf"
expect_error "truncated" "$INSPECT" "$T/short.golf"

# The challenge's SP8192 tokenizer, when the shared data is present.
SHARED="${GOLF_SHARED_DATA:-$SRC/../shared/data}"
if [ -f "$SHARED/tokenizers/fineweb_8192_bpe.model" ]; then
  "$MAKE" "$T" --layers 2 --dim 64 --heads 2 --kv-heads 1 --mlp 128 --vocab 8192 --overwrite >/dev/null
  "$PACK" --weights "$T/weights.safetensors" --config "$T/config.json" \
    --tokenizer "$SHARED/tokenizers/fineweb_8192_bpe.model" -o "$T/m8k.golf" -q >/dev/null
  "$INSPECT" "$T/m8k.golf" | grep -q "tokenizer: BPE, 8192 pieces (256 byte, 3 control, 7932 normal, 1 unknown)" \
    || fail "8192 tokenizer summary"
  echo "packed and inspected with fineweb_8192_bpe.model"
fi
echo "pack_inspect: ok"
