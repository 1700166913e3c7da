"""test_parity.py: parity of the C++ CPU trainer (trainer/cpu) with the PyTorch reference (tests/reference/golf_gpt.py).

Run: /usr/bin/python3 test_parity.py --cli BUILD/tests/trainer/cpu/golf_train_cpu_parity [--reference-dir DIR]
Checks, on a small config with every parameter randomized (so every gradient is non-zero):
  (a) loss, per-token NLL, logits and every gradient tensor vs the reference in fp64;
  (b) 10 optimizer steps (Muon + Adam, lr_mul 1, Muon momentum warm-up active) vs the reference in fp32 with fp32
      Newton-Schulz: losses within 1e-4;
  (c) gradient accumulation: 2 micro-batches of B/2 give the gradients of one batch of B;
  (d) determinism: bitwise at a fixed thread count; 1 vs 2 threads within the tolerance;
  (e) a second config (untied head, leaky_relu², partial RoPE, no QK-norm, no softcap, more encoder than decoder
      blocks) for (a);
  (f) params_init statistics (the challenge's init) and a save/resume bitwise determinism check;
  (g) (a) and (b) at T = 150 with wider matrices: several attention row blocks, multi-threaded products.
Tolerance for (a)/(c)/(e): |cpp − ref| ≤ 1e-5 + 1e-4·|ref| elementwise. Exit status 0 only if everything passes.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

ATOL, RTOL = 1e-5, 1e-4
LOSS_TOL_TRAIN = 1e-4
STEPS = 10

failures = []


def check(name, ok, detail=""):
    print(f"  [{'OK' if ok else 'FAIL'}] {name} {detail}")
    if not ok:
        failures.append(name)


def compare(name, cpp, ref, atol=ATOL, rtol=RTOL, quiet=False):
    cpp = np.asarray(cpp, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if cpp.shape != ref.shape:
        check(name, False, f"shape {cpp.shape} vs {ref.shape}")
        return
    err = np.abs(cpp - ref)
    ok = bool(np.all(err <= atol + rtol * np.abs(ref)))
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    rel = float(np.max(err)) / scale if scale > 0 else float(np.max(err, initial=0))
    if not quiet or not ok:
        check(name, ok, f"max|ref| {scale:.3e}  max abs err {float(np.max(err, initial=0)):.2e}  "
                        f"max err / max|ref| {rel:.2e}")
    return float(np.max(err, initial=0)), rel


def randomize(model, seed):
    """Non-trivial values for every parameter, including the zero-initialized projections and the control tensors."""
    g = torch.Generator().manual_seed(seed)

    def u(shape, lo, hi):
        return lo + (hi - lo) * torch.rand(shape, generator=g, dtype=torch.float64)

    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in ("tok_emb.weight", "lm_head.weight"):
                # Logits then have a std of about 3: well inside fp32's comfort, yet far enough into the softcap's
                # tanh (cap 30) that its derivative matters.
                v = torch.randn(p.shape, generator=g, dtype=torch.float64) * (3.0 / math.sqrt(p.shape[1]))
            elif p.ndim == 2 and name.endswith(".weight"):
                v = torch.randn(p.shape, generator=g, dtype=torch.float64) / math.sqrt(p.shape[1])
            elif name.endswith("q_gain"):
                v = u(p.shape, 0.5, 2.5)
            elif name.endswith("resid_mix"):
                v = torch.stack((u(p.shape[1:], 0.5, 1.5), u(p.shape[1:], -0.5, 0.5)))
            else:  # attn_scale, mlp_scale, skip_weights
                v = u(p.shape, 0.5, 1.5)
            # Round through fp32 so the C++ side (fp32 weights) and the reference start from identical values.
            p.copy_(v.to(torch.float32).to(p.dtype))


def run(cli, args, threads=None):
    cmd = [cli] + (["--threads", str(threads)] if threads else []) + [str(a) for a in args]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout + r.stderr)
        raise RuntimeError(f"{' '.join(cmd)} failed with {r.returncode}")
    return r.stdout


def make_batch(cfg, steps, B, T, seed):
    g = torch.Generator().manual_seed(seed)
    shape = (steps, B, T) if steps else (B, T)
    ids = torch.randint(0, cfg["vocab_size"], shape, generator=g, dtype=torch.int64)
    tgt = torch.randint(0, cfg["vocab_size"], shape, generator=g, dtype=torch.int64)
    return ids, tgt


def reference_grads(G, cfg, weights, ids, tgt):
    model = G.GolfGPT(cfg, dtype=torch.float64)
    G.load_into(model, weights)
    logits, loss = model(ids, tgt)
    loss.backward()
    with torch.no_grad():
        nll = model.token_nll(ids, tgt)
    grads = {n: p.grad.detach().numpy() for n, p in model.named_parameters() if p.numel() > 0}
    return float(loss), nll.numpy(), logits.detach().numpy(), grads


def grads_parity(G, cli, tmp, cfg, tag, seed, B, T):
    print(f"== ({tag}) loss and gradients vs the fp64 reference: {json.dumps(cfg)}")
    torch.manual_seed(seed)
    model = G.GolfGPT(cfg, dtype=torch.float32)
    randomize(model, seed)
    wpath, bpath, opath = (os.path.join(tmp, f"{tag}_{x}.safetensors") for x in ("weights", "batch", "out"))
    G.save_weights(wpath, model)
    ids, tgt = make_batch(cfg, 0, B, T, seed + 1)
    G.write_tensors(bpath, {"ids": ids.to(torch.int32), "targets": tgt.to(torch.int32)})
    _, weights = G.load_weights(wpath)
    loss, nll, logits, grads = reference_grads(G, cfg, weights, ids, tgt)
    run(cli, ["grads", wpath, bpath, opath])
    out, meta = G.read_tensors(opath)
    cpp_loss = float(meta["golf.loss"])
    check("loss", abs(cpp_loss - loss) <= ATOL + RTOL * abs(loss), f"cpp {cpp_loss:.9f} ref {loss:.9f} "
                                                                   f"diff {abs(cpp_loss - loss):.2e}")
    compare("nll", out["nll"], nll)
    check("forward-only arena gives the same NLL bits", np.array_equal(out["eval_nll"], out["nll"])
          and meta["golf.eval_loss"] == meta["golf.loss"])
    compare("logits", out["logits"], logits)
    worst = 0.0
    for name, g in grads.items():
        c = out["grad." + name]
        check(f"grad {name} non-zero", np.count_nonzero(g) > 0 and np.count_nonzero(c) > 0)
        _, rel = compare(f"grad {name}", c, g)
        worst = max(worst, rel)
    print(f"  worst gradient error relative to the tensor's max |ref|: {worst:.2e}")
    return wpath, bpath, opath, grads


def train_parity(G, cli, tmp, cfg, wpath, tag, steps, B, T):
    print(f"== ({tag}) {steps} optimizer steps (Muon fp32 NS + Adam, lr_mul 1) vs the fp32 reference")
    ids, tgt = make_batch(cfg, steps, B, T, 99)
    tb_path = os.path.join(tmp, f"{tag}_train_batches.safetensors")
    G.write_tensors(tb_path, {"ids": ids.to(torch.int32), "targets": tgt.to(torch.int32)})
    ref_model = G.GolfGPT(cfg, dtype=torch.float32)
    _, weights = G.load_weights(wpath)
    G.load_into(ref_model, weights)
    opt = G.Optimizers(ref_model, ns_dtype=torch.float32)
    ref_losses = []
    for s in range(steps):
        opt.zero_grad()
        _, loss = ref_model(ids[s], tgt[s])
        loss.backward()
        opt.step(1.0, s)
        ref_losses.append(float(loss))
    tr_path = os.path.join(tmp, f"{tag}_train_out.safetensors")
    run(cli, ["train", wpath, tb_path, steps, tr_path])
    tr, tr_meta = G.read_tensors(tr_path)
    cpp_losses = [float(x) for x in tr_meta["golf.losses"].split(",")]
    for s, (c, r) in enumerate(zip(cpp_losses, ref_losses)):
        check(f"step {s} loss", abs(c - r) <= LOSS_TOL_TRAIN, f"cpp {c:.7f} ref {r:.7f} diff {abs(c - r):.2e}")
    worst = 0.0
    for name, p in ref_model.named_parameters():
        if p.numel():
            worst = max(worst, float(np.max(np.abs(tr["param." + name] - p.detach().numpy()))))
    check("final parameters", worst < 1e-3, f"max abs difference after {steps} steps {worst:.2e}")
    return tb_path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--reference-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                             "..", "..", "reference"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.reference_dir))
    import golf_gpt as G

    torch.set_num_threads(1)
    tmp = tempfile.mkdtemp(prefix="golf_parity_")
    B, T = 2, 16
    cfg = G.make_config(vocab_size=64, model_dim=32, num_layers=3, num_heads=4, num_kv_heads=2, mlp_hidden=64,
                        max_seq_len=T)

    # (a) gradients
    wpath, bpath, _, ref_grads = grads_parity(G, args.cli, tmp, cfg, "a", 1234, B, T)

    # (c) accumulation: C++ 2×(B/2) vs the reference full-batch gradients and vs C++ full batch
    print("== (c) gradient accumulation: 2 micro-batches of B/2 vs 1 batch of B")
    acc_path = os.path.join(tmp, "accum_out.safetensors")
    run(args.cli, ["accum", wpath, bpath, acc_path])
    acc, acc_meta = G.read_tensors(acc_path)
    full, full_meta = G.read_tensors(os.path.join(tmp, "a_out.safetensors"))
    check("accum loss == full loss", abs(float(acc_meta["golf.loss"]) - float(full_meta["golf.loss"])) < 1e-6,
          f"{acc_meta['golf.loss']} vs {full_meta['golf.loss']}")
    worst_ref = worst_full = 0.0
    for name, g in ref_grads.items():
        r = compare(f"accum grad {name} vs ref", acc["grad." + name], g, quiet=True)
        f = compare(f"accum grad {name} vs C++ full batch", acc["grad." + name], full["grad." + name], quiet=True)
        worst_ref, worst_full = max(worst_ref, r[1]), max(worst_full, f[1])
    check("accumulated gradients", True, f"worst rel err vs ref {worst_ref:.2e}, vs C++ full batch {worst_full:.2e}")

    # (b) training steps
    tb_path = train_parity(G, args.cli, tmp, cfg, wpath, "b", STEPS, B, T)

    # (e) the other architecture options
    cfg2 = G.make_config(vocab_size=48, model_dim=32, num_layers=4, num_encoder_layers=3, num_heads=4,
                         num_kv_heads=1, mlp_hidden=40, activation="leaky_relu2", rope_dims=4, logit_softcap=0.0,
                         qk_norm=False, tie_embeddings=False, max_seq_len=12)
    grads_parity(G, args.cli, tmp, cfg2, "e", 77, 3, 12)

    # (g) long enough for several attention row blocks (64) with a ragged last one, and big enough that the
    # matmuls, Muon's symmetric products and attention take their multi-threaded paths
    cfg3 = G.make_config(vocab_size=128, model_dim=128, num_layers=2, num_heads=4, num_kv_heads=2, mlp_hidden=256,
                         max_seq_len=150)
    w3, b3, _, _ = grads_parity(G, args.cli, tmp, cfg3, "g", 5, 2, 150)
    train_parity(G, args.cli, tmp, cfg3, w3, "g", 4, 2, 150)

    # (d) determinism: bitwise at a fixed thread count; 1 vs 2 threads only within rounding, because OpenBLAS picks
    # its kernel (and so the summation order) by the shape of each thread's row slice.
    print("== (d) determinism (config of (g)): 2 threads twice, and 1 vs 2 threads")
    outs = {}
    for tag, threads in (("2a", 2), ("2b", 2), ("1", 1)):
        outs[tag] = os.path.join(tmp, f"threads_{tag}.safetensors")
        run(args.cli, ["grads", w3, b3, outs[tag]], threads=threads)
    ta, tb, t1 = (G.read_tensors(outs[k])[0] for k in ("2a", "2b", "1"))
    check("2 threads, run twice: bitwise identical", all(np.array_equal(ta[k], tb[k]) for k in ta))
    worst = 0.0
    for k in ta:
        if k.startswith("grad."):
            worst = max(worst, compare(f"1 vs 2 threads {k}", t1[k], ta[k], quiet=True)[1])
    check("1 vs 2 threads within tolerance", True, f"worst gradient difference / max|grad| {worst:.2e}")

    # (f) init statistics and resume determinism
    print("== (f) params_init statistics (seed 1337, baseline-like shapes) and save/resume determinism")
    icfg = G.make_config(vocab_size=1024, model_dim=256, num_layers=2, num_heads=4, num_kv_heads=2, mlp_hidden=512)
    ipath = os.path.join(tmp, "init.safetensors")
    run(args.cli, ["init", json.dumps(icfg), 1337, ipath])
    init, _ = G.read_tensors(ipath)
    e = init["tok_emb.weight"]
    check("tok_emb ~ N(0, 0.005)", abs(e.std() / 0.005 - 1) < 0.02 and abs(e.mean()) < 1e-4,
          f"std {e.std():.5f} mean {e.mean():.1e}")
    for name in ("blocks.0.attn.c_q.weight", "blocks.1.attn.c_k.weight", "blocks.0.mlp.fc.weight"):
        w = init[name]
        bound = 1 / math.sqrt(w.shape[1])
        check(f"{name} ~ U(±1/√fan_in)", np.abs(w).max() <= bound and abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.03,
              f"max {np.abs(w).max():.4f} bound {bound:.4f} std {w.std():.4f}")
    check("zero-init projections", all(not init[f"blocks.{i}.{p}.weight"].any() for i in range(2)
                                       for p in ("attn.proj", "mlp.proj")))
    check("control tensors", bool(np.all(init["blocks.0.attn.q_gain"] == 1.5) and np.all(init["skip_weights"] == 1)
                                  and np.all(init["blocks.1.resid_mix"][0] == 1)
                                  and np.all(init["blocks.1.resid_mix"][1] == 0)
                                  and np.all(init["blocks.0.mlp_scale"] == 1)))
    check("different tensors get different streams",
          not np.allclose(init["blocks.0.attn.c_q.weight"], init["blocks.1.attn.c_q.weight"]))
    out = run(args.cli, ["resume", wpath, tb_path, 6, 3, os.path.join(tmp, "resume.safetensors")])
    check("save/resume bitwise", "bitwise identical: OK" in out)

    if not args.keep:
        for f in os.listdir(tmp):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)
    print("overall okay:", int(not failures))
    if failures:
        print("failed:", ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
