"""check_model_parity.py: the runtime's golf-gpt forward pass against the PyTorch reference
(tests/reference/golf_gpt.py).

For a few small configs (GQA, an odd layer count with an unpaired decoder block, leaky_relu2, partial RoPE, untied
head, no softcap, no QK-norm, widths that are not multiples of 32) it randomizes every parameter (zero-init
projections, q_gain, scales, resid_mix and skip_weights included), writes safetensors + config.json, packs them
with golf-pack as f32, q8 (per row) and q4 (g32), runs model_cli on a token sequence and compares logits.

Metric: rel = max|a − b| / max|ref| over all positions and vocab entries; top-1 = fraction of positions whose
argmax agrees.
  f32 .golf vs the fp64 reference            rel <= 1e-4, and the mean cross-entropy within 1e-5 relative
  bf16/f16 .golf vs the reference on the same rounded weights: rel <= 1e-4
  f32: batch vs token-by-token vs n_batch 7  rel <= 1e-5 (same model, same weights); q8: as below
  q8 (quantized kernels) vs q8 in fp32        rel <= 0.03, top-1 >= 99% over the positions whose top-2 margin is
                                              >= 0.1 (logits have std ~4; the int8 activations move logits by up
                                              to ~0.2 in these random models); top-1 over all positions reported
  q8 vs the fp32 reference                    reported (weight + activation quantization)
  q4 g32 vs the fp32 reference                reported, rel <= 0.5 (a sanity bound)

Usage: /usr/bin/python3 check_model_parity.py MODEL_CLI GOLF_PACK SOURCE_ROOT
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

MODEL_CLI, GOLF_PACK, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(SRC, "tests", "reference"))
import golf_gpt  # noqa: E402

TOKENIZER = os.path.join(SRC, "data", "tokenizer_sp1024.model")
T = 400
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def randomize(model, seed):
    """Every parameter random, at scales where each part of the block matters."""
    g = torch.Generator().manual_seed(seed)

    def normal(shape, std, mean=0.0):
        return torch.randn(shape, generator=g, dtype=torch.float64) * std + mean

    with torch.no_grad():
        for name, p in model.named_parameters():
            shape = tuple(p.shape)
            if name == "tok_emb.weight":  # logits of std ~4 through the tied head: a peaked, LM-like softmax
                v = normal(shape, 0.4)
            elif name == "lm_head.weight":
                v = normal(shape, 4.0 / shape[1] ** 0.5)
            elif name.endswith("q_gain"):
                v = torch.rand(shape, generator=g, dtype=torch.float64) * 2.0 + 0.5
            elif name.endswith("resid_mix"):
                v = torch.stack((normal(shape[1:], 0.3, 1.0), normal(shape[1:], 0.5)))
            elif name.endswith("attn_scale"):
                v = normal(shape, 0.25, 0.5)
            elif name.endswith("mlp_scale"):  # the squared activation amplifies; keep its branch a correction
                v = normal(shape, 0.1, 0.2)
            elif name == "skip_weights":
                v = normal(shape, 0.5, 1.0)
            else:  # linear weights [out, in]
                v = normal(shape, 1.0 / shape[1] ** 0.5)
            p.copy_(v.to(p.dtype))


def write_model(cfg, model, d):
    tensors = {k: v.detach().to(torch.float32) for k, v in model.named_parameters() if v.numel() > 0}
    golf_gpt.write_tensors(os.path.join(d, "weights.safetensors"), tensors)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)


def pack(d, name, rules):
    out = os.path.join(d, name)
    cmd = [GOLF_PACK, "--weights", os.path.join(d, "weights.safetensors"), "--config", os.path.join(d, "config.json"),
           "--tokenizer", TOKENIZER, "-o", out, "-q"]
    for r in rules:
        cmd += ["--quant", r]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out


def run_cli(golf, tokens_path, d, mode="batch", compute="auto", vocab=None):
    out = os.path.join(d, "logits.bin")
    subprocess.run([MODEL_CLI, golf, tokens_path, out, "--mode", mode, "--compute", compute, "--threads", "2"],
                   check=True)
    return np.fromfile(out, dtype="<f4").reshape(-1, vocab).astype(np.float64)


def rel(a, ref):
    return float(np.max(np.abs(a - ref)) / np.max(np.abs(ref)))


def top1(a, ref, min_margin=0.0):
    """Fraction of positions whose argmax agrees, over those where ref's top-2 margin is at least min_margin."""
    top2 = np.sort(ref, -1)[:, -2:]
    keep = top2[:, 1] - top2[:, 0] >= min_margin
    return float(np.mean((np.argmax(a, -1) == np.argmax(ref, -1))[keep]))


def mean_ce(logits, targets):
    z = logits - logits.max(-1, keepdims=True)
    lse = np.log(np.exp(z).sum(-1))
    return float(np.mean(lse - z[np.arange(len(targets)), targets]))


def rounded_copy(cfg, model):
    """The model with matrices rounded to bf16 and vectors to f16 (through fp32, as the safetensors file holds
    them): what a .golf packed with '*.weight=bf16' and '*=f16' contains."""
    m = golf_gpt.GolfGPT(cfg, dtype=torch.float64)
    tensors = {}
    for k, v in model.named_parameters():
        dt = torch.bfloat16 if k.endswith(".weight") else torch.float16
        tensors[k] = v.detach().to(torch.float32).to(dt).to(torch.float64)
    golf_gpt.load_into(m, tensors)
    return m


def run_config(label, cfg, seed, q4_rules=("blocks.*.weight=q4:g32",), half=False):
    shown = ("vocab_size", "model_dim", "num_layers", "num_heads", "num_kv_heads", "mlp_hidden", "activation",
             "rope_dims", "logit_softcap", "qk_norm", "tie_embeddings", "num_encoder_layers")
    print(f"== {label}: {json.dumps({k: cfg[k] for k in shown})}")
    torch.manual_seed(seed)
    model = golf_gpt.GolfGPT(cfg, dtype=torch.float64)
    randomize(model, seed)
    V = cfg["vocab_size"]
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, size=T + 1).astype(np.int32)
    ids[0] = cfg["bos_id"]
    x = torch.from_numpy(ids[:T].astype(np.int64))[None]
    y = torch.from_numpy(ids[1:].astype(np.int64))[None]
    with torch.no_grad():
        ref64 = model.logits(x)[0].numpy()
        m32 = golf_gpt.GolfGPT(cfg, dtype=torch.float32)
        golf_gpt.load_into(m32, {k: v.detach() for k, v in model.named_parameters()})
        _, loss32 = m32(x, y)
        ref32 = m32.logits(x)[0].double().numpy()
    loss64 = mean_ce(ref64, ids[1:])

    with tempfile.TemporaryDirectory() as d:
        write_model(cfg, model, d)
        tok_path = os.path.join(d, "tokens.bin")
        ids[:T].astype("<i4").tofile(tok_path)
        f32 = pack(d, "f32.golf", ["*=f32"])
        q8 = pack(d, "q8.golf", ["*.weight=q8:raw", "*=f32"])
        q4 = pack(d, "q4.golf", list(q4_rules) + ["*.weight=q8", "*=f32"])

        a = run_cli(f32, tok_path, d, vocab=V)
        r = rel(a, ref64)
        print(f"     torch fp32 vs fp64 reference: rel {rel(ref32, ref64):.2e}")
        check(r <= 1e-4, f"f32 .golf vs reference: rel {r:.2e} (<= 1e-4), top-1 {top1(a, ref64):.4f}")
        ce = mean_ce(a, ids[1:])
        check(abs(ce - float(loss32)) / float(loss32) <= 1e-5,
              f"mean CE {ce:.7f} vs torch fp32 loss {float(loss32):.7f} (fp64 {loss64:.7f}): rel "
              f"{abs(ce - float(loss32)) / float(loss32):.2e} (<= 1e-5)")
        for mode in ("step", "chunks"):
            b = run_cli(f32, tok_path, d, mode=mode, vocab=V)
            check(rel(b, a) <= 1e-5, f"f32 {mode} vs batch: rel {rel(b, a):.2e} (<= 1e-5)")

        if half:  # f16/bf16 tensors, converted to fp32 at load
            hf = pack(d, "half.golf", ["*.weight=bf16", "*=f16"])
            with torch.no_grad():
                ref_h = rounded_copy(cfg, model).logits(x)[0].numpy()
            h = run_cli(hf, tok_path, d, vocab=V)
            check(rel(h, ref_h) <= 1e-4,
                  f"bf16/f16 .golf vs reference on the rounded weights: rel {rel(h, ref_h):.2e} (<= 1e-4)")

        qa = run_cli(q8, tok_path, d, vocab=V)
        qf = run_cli(q8, tok_path, d, compute="f32", vocab=V)
        check(rel(qa, qf) <= 0.03 and top1(qa, qf, 0.1) >= 0.99,
              f"q8 quantized kernels vs q8 dequantized to fp32: rel {rel(qa, qf):.2e} (<= 0.03), top-1 "
              f"{top1(qa, qf, 0.1):.4f} where the margin >= 0.1 (>= 0.99), {top1(qa, qf):.4f} over all positions")
        print(f"     q8 vs fp32 reference: rel {rel(qa, ref64):.2e}, top-1 {top1(qa, ref64):.4f}, "
              f"CE {mean_ce(qa, ids[1:]):.5f} vs {loss64:.5f}")
        qs = run_cli(q8, tok_path, d, mode="step", vocab=V)
        # M = 1 and M >= 4 kernel schedules round differently, which can flip an activation code at a tie.
        check(rel(qs, qa) <= 0.03 and top1(qs, qa, 0.1) >= 0.99,
              f"q8 step vs batch: rel {rel(qs, qa):.2e} (<= 0.03), top-1 {top1(qs, qa, 0.1):.4f} where the margin "
              f">= 0.1, {top1(qs, qa):.4f} over all")
        q4a = run_cli(q4, tok_path, d, vocab=V)
        check(rel(q4a, ref64) <= 0.5, f"q4 g32 vs fp32 reference: rel {rel(q4a, ref64):.2e} (report; <= 0.5), "
              f"top-1 {top1(q4a, ref64):.4f}, CE {mean_ce(q4a, ids[1:]):.5f} vs {loss64:.5f}")


base = dict(vocab_size=1024, model_dim=128, num_layers=5, num_heads=4, num_kv_heads=2, mlp_hidden=256,
            max_seq_len=256)
run_config("A: GQA, 5 layers, relu2, softcap 30", golf_gpt.make_config(**base), 1, half=True)
run_config("B: leaky_relu2, rope_dims 16, untied, no softcap, 3 encoder + 1 decoder",
           golf_gpt.make_config(**dict(base, num_layers=4, num_encoder_layers=3, activation="leaky_relu2",
                                       activation_slope=0.3, rope_dims=16, tie_embeddings=False,
                                       logit_softcap=0.0)), 2)
run_config("C: d 80 (not a multiple of 32: fp32 fallback), 8 heads of 10, no QK-norm, no GQA",
           golf_gpt.make_config(**dict(base, model_dim=80, num_layers=3, num_heads=8, num_kv_heads=8, mlp_hidden=96,
                                       qk_norm=False, rope_base=500.0)), 3,
           q4_rules=("blocks.*.mlp.proj.weight=q4:g32",))

print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
