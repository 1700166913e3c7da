#!/usr/bin/env bash
# run_8xh100.sh: the Parameter Golf challenge run on one node of 8 GPUs (or 2 nodes x 8), the one command a
# challenger types: golf-train's baseline preset on the CUDA backend, one rank per GPU, under the challenge's
# 600-second cap with the wallclock LR schedule; the export to model.golf checked against the 16,000,000-byte
# budget; the roundtrip score (the exported file on the validation shards, golf-eval); everything logged to
# OUT/run_8xh100.log. --dry-run prints the plan (commands, the ranks and their devices, an estimate of memory per
# GPU) and starts nothing. Extra golf-train flags go after `--`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  cat <<'USAGE'
usage: scripts/run_8xh100.sh [options] [-- golf-train flags]

  --data DIR          challenge shards: DIR/fineweb_train_*.bin and DIR/fineweb_val_*.bin
                      (default: data/datasets/fineweb10B_sp1024)
  --tokenizer FILE    SentencePiece model (default: data/tokenizer_sp1024.model)
  --out DIR           run directory (default: runs/8xh100); refused if it holds a run, unless --overwrite
  --overwrite         replace the run in --out
  --gpus N            GPUs (ranks) per node (default 8)
  --launcher KIND     gpus (default: golf-train --gpus N starts the local ranks itself, no MPI needed),
                      mpirun (mpirun -np N golf-train), or torchrun (this script starts the node's ranks with
                      RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR/MASTER_PORT; use it for several nodes)
  --nodes M           nodes (default 1; M > 1 needs --launcher torchrun or mpirun across the nodes)
  --node-rank R       this node's index, 0..M-1 (torchrun launcher; run the script once per node)
  --master-addr HOST  the host of rank 0 (torchrun launcher; default 127.0.0.1)
  --master-port PORT  rank 0's bootstrap port (default 29500)
  --seconds S         training wallclock cap (default 600, the challenge's)
  --build DIR         golf build directory (default: build)
  --dry-run           print the plan and exit without starting anything
  -h, --help          this help
USAGE
}

usage_error() {
  echo "run_8xh100.sh: $1 (see --help)" >&2
  exit 2
}

DATA="$ROOT/data/datasets/fineweb10B_sp1024"
TOKENIZER="$ROOT/data/tokenizer_sp1024.model"
OUT="$ROOT/runs/8xh100"
BUILD="$ROOT/build"
GPUS=8 NODES=1 NODE_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 SECONDS_CAP=600
LAUNCHER=gpus DRY=0 OVERWRITE=0
EXTRA=()
need_value() { [ $# -ge 2 ] || usage_error "$1 needs a value"; }
is_int() { [[ "$1" =~ ^[0-9]+$ ]]; }
while [ $# -gt 0 ]; do
  case "$1" in
    --data) need_value "$@"; DATA="$2"; shift 2 ;;
    --tokenizer) need_value "$@"; TOKENIZER="$2"; shift 2 ;;
    --out) need_value "$@"; OUT="$2"; shift 2 ;;
    --build) need_value "$@"; BUILD="$2"; shift 2 ;;
    --gpus) need_value "$@"; GPUS="$2"; shift 2 ;;
    --nodes) need_value "$@"; NODES="$2"; shift 2 ;;
    --node-rank) need_value "$@"; NODE_RANK="$2"; shift 2 ;;
    --master-addr) need_value "$@"; MASTER_ADDR="$2"; shift 2 ;;
    --master-port) need_value "$@"; MASTER_PORT="$2"; shift 2 ;;
    --seconds) need_value "$@"; SECONDS_CAP="$2"; shift 2 ;;
    --launcher) need_value "$@"; LAUNCHER="$2"; shift 2 ;;
    --overwrite) OVERWRITE=1; shift ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) usage_error "unknown flag '$1'" ;;
  esac
done
is_int "$GPUS" && [ "$GPUS" -ge 1 ] || usage_error "--gpus $GPUS: expected a positive integer"
is_int "$NODES" && [ "$NODES" -ge 1 ] || usage_error "--nodes $NODES: expected a positive integer"
is_int "$NODE_RANK" && [ "$NODE_RANK" -lt "$NODES" ] || usage_error "--node-rank $NODE_RANK: expected 0..$((NODES - 1))"
is_int "$MASTER_PORT" && [ "$MASTER_PORT" -ge 1 ] && [ "$MASTER_PORT" -le 65535 ] ||
  usage_error "--master-port $MASTER_PORT: expected 1..65535"
is_int "$SECONDS_CAP" && [ "$SECONDS_CAP" -ge 1 ] || usage_error "--seconds $SECONDS_CAP: expected a positive integer"
case "$LAUNCHER" in
  gpus|mpirun|torchrun) ;;
  *) usage_error "--launcher $LAUNCHER: expected gpus, mpirun or torchrun" ;;
esac
[ "$NODES" -eq 1 ] || [ "$LAUNCHER" != gpus ] || usage_error "--nodes $NODES: --launcher gpus starts one node only"
compgen -G "$DATA/fineweb_train_*.bin" > /dev/null || usage_error "--data $DATA: no fineweb_train_*.bin shards there"
compgen -G "$DATA/fineweb_val_*.bin" > /dev/null || usage_error "--data $DATA: no fineweb_val_*.bin shards there"
[ -f "$TOKENIZER" ] || usage_error "--tokenizer $TOKENIZER: no such file"
if [ "$OVERWRITE" -eq 0 ] && [ -e "$OUT/run.log" ] && [ "$NODE_RANK" -eq 0 ]; then
  usage_error "--out $OUT: holds a run already; pass --overwrite to replace it"
fi

WORLD=$((GPUS * NODES))
TRAIN="$BUILD/trainer/train/golf-train"
EVAL="$BUILD/runtime/eval/golf-eval"
MODEL="$OUT/model.golf"
TRAIN_FLAGS=(--preset baseline --backend cuda --data "$DATA" --tokenizer "$TOKENIZER" --out "$OUT"
  --max-wallclock-seconds "$SECONDS_CAP" --schedule wallclock --export-path "$MODEL")
[ "$OVERWRITE" -eq 1 ] && TRAIN_FLAGS+=(--overwrite)
TRAIN_FLAGS+=("${EXTRA[@]+"${EXTRA[@]}"}")
case "$LAUNCHER" in
  gpus) TRAIN_CMD=("$TRAIN" --gpus "$GPUS" "${TRAIN_FLAGS[@]}") ;;
  mpirun) TRAIN_CMD=(mpirun -np "$WORLD" --bind-to none "$TRAIN" --comm mpi "${TRAIN_FLAGS[@]}") ;;
  torchrun) TRAIN_CMD=("$TRAIN" "${TRAIN_FLAGS[@]}") ;;
esac
EVAL_CMD=("$EVAL" -m "$MODEL" --shards "$DATA")

# Memory per GPU: the CUDA trainer's own plan (golf-gpu-memory-plan prints trainer/cuda/memory_plan.cpp's arena
# for the micro-batch each rank runs: golf-train's automatic --grad-accum is 8 / ranks when that divides, else 1);
# without that tool, a derived estimate: the baseline's 17.06 M parameters as fp32 weights, fp32 grads, a bf16
# copy, Muon momentum and Adam m/v, plus about 13.3 KB of bf16 activations per token per layer and fp32 logits.
TOKENS_PER_RANK=$((524288 / WORLD))
ACCUM=1
[ $((8 % WORLD)) -eq 0 ] && ACCUM=$((8 / WORLD))
ROWS=$((TOKENS_PER_RANK / ACCUM / 1024))
PLAN_TOOL="$BUILD/trainer/launch/golf-gpu-memory-plan"
if [ -x "$PLAN_TOOL" ] && PLAN_TEXT=$("$PLAN_TOOL" --rows "$ROWS" --seq-len 1024 --world "$WORLD" 2>&1); then
  MEMORY_LINE="memory per GPU (the CUDA trainer's memory plan, $ROWS x 1024 tokens per micro-batch):"
  MEMORY_LINE+=" $(echo "$PLAN_TEXT" | awk '$1 == "total" && $3 == "MiB" {print $2 " MiB"}')"
else
  PARAMS=$((1837072 * 9 + 526336))
  STATE_MB=$(( (PARAMS * (4 + 4 + 2 + 4) + 526336 * 8) / 1000000 ))
  ACT_MB=$(( TOKENS_PER_RANK / ACCUM * (9 * 13312 + 1024 * 4) / 1000000 ))
  MEMORY_LINE="memory per GPU (derived estimate): state ${STATE_MB} MB + activations ${ACT_MB} MB"
  MEMORY_LINE+=" = $((STATE_MB + ACT_MB)) MB"
fi

echo "plan: golf baseline on $WORLD GPUs ($NODES node(s) x $GPUS), ${SECONDS_CAP}s wallclock cap, wallclock schedule"
echo "  data:      $DATA (train and val shards), tokenizer $TOKENIZER"
echo "  out:       $OUT (run.log, metrics.jsonl, checkpoints, $MODEL, run_8xh100.log)"
echo "  batch:     524288 tokens/step = $WORLD ranks x $TOKENS_PER_RANK tokens ($ACCUM micro-batches of $ROWS x 1024)"
echo "  $MEMORY_LINE"
echo "  launcher:  $LAUNCHER"
echo "  train:     ${TRAIN_CMD[*]}"
for ((l = 0; l < GPUS; l++)); do
  r=$((NODE_RANK * GPUS + l))
  case "$LAUNCHER" in
    gpus) env_text="started by golf-train --gpus: RANK=$r LOCAL_RANK=$l WORLD_SIZE=$WORLD MASTER_ADDR=127.0.0.1" ;;
    mpirun) env_text="started by mpirun: OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_LOCAL_RANK=$l" ;;
    torchrun) env_text="RANK=$r LOCAL_RANK=$l WORLD_SIZE=$WORLD LOCAL_WORLD_SIZE=$GPUS"
      env_text+=" MASTER_ADDR=$MASTER_ADDR MASTER_PORT=$MASTER_PORT" ;;
  esac
  echo "  rank $r: cuda:$l, $env_text"
done
echo "  budget:    $MODEL must be at most 16000000 bytes"
echo "  score:     ${EVAL_CMD[*]}"
[ "$DRY" -eq 1 ] && exit 0

[ -x "$TRAIN" ] || { echo "run_8xh100.sh: $TRAIN not built (meson setup $BUILD && ninja -C $BUILD)" >&2; exit 1; }
"$TRAIN" --help | grep -q -- "--gpus" || {
  echo "run_8xh100.sh: this golf-train has no multi-GPU launch (--gpus): build it with CUDA and NCCL" >&2
  exit 1
}
mkdir -p "$OUT"
LOG="$OUT/run_8xh100.log"
{
  echo "run_8xh100.sh $(date -u +%FT%TZ) on $(hostname)"
  nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader 2>&1 || true
  case "$LAUNCHER" in
    torchrun)
      pids=()
      for ((l = 0; l < GPUS; l++)); do
        RANK=$((NODE_RANK * GPUS + l)) LOCAL_RANK=$l WORLD_SIZE=$WORLD LOCAL_WORLD_SIZE=$GPUS \
          MASTER_ADDR=$MASTER_ADDR MASTER_PORT=$MASTER_PORT "${TRAIN_CMD[@]}" &
        pids+=($!)
      done
      status=0
      for p in "${pids[@]}"; do wait "$p" || status=$?; done
      [ "$status" -eq 0 ] || { echo "run_8xh100.sh: a rank failed (status $status)"; exit "$status"; }
      ;;
    *) "${TRAIN_CMD[@]}" ;;
  esac
  [ "$NODE_RANK" -eq 0 ] || exit 0
  bytes=$(stat -c %s "$MODEL")
  if [ "$bytes" -le 16000000 ]; then
    echo "budget: $MODEL is $bytes bytes (<= 16000000)"
  else
    echo "budget: $MODEL is $bytes bytes: OVER the 16000000-byte budget"
  fi
  "${EVAL_CMD[@]}"
} 2>&1 | tee "$LOG"
exit "${PIPESTATUS[0]}"
