"""bench_torch_train.py: training throughput of the PyTorch reference (golf_gpt.py, fp32, fp32 Newton-Schulz) on the
shapes golf-bench-train uses, and the ratio to the C++ CPU trainer when its binary is given.

Run: /usr/bin/python3 tests/reference/bench_torch_train.py [--threads 2] [--steps 5] [--config cpu-small|baseline|all]
         [--cpp-bench build/trainer/cpu/golf-bench-train] [--rounds 1] [--cpp-env KEY=VALUE ...]
Debian's torch does its matmuls in OpenBLAS (pthread build, its own thread pool) and everything else in OpenMP; on
2 cores the two pools fight unless OpenMP waits passively. PyTorch's best setting here was
    OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=passive /usr/bin/python3 bench_torch_train.py ... --cpp-env OMP_WAIT_POLICY=active
(the environment must be set before torch loads; --cpp-env overrides it for the C++ benchmark only).
A step is zero_grad + forward + backward + optimizer step (Muon + Adam) on a fixed random batch; the figure is the
median over the timed steps (one untimed warm-up step first), as in golf-bench-train. With --rounds > 1 the two
benchmarks alternate that many times (the machine may be shared: alternating spreads any background load over both)
and the medians of the per-round figures are compared; the best round of each side is printed too (background load
only ever slows a round down, so on a shared machine the best rounds are the cleaner comparison).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golf_gpt as G  # noqa: E402

CONFIGS = {
    "cpu-small": (dict(vocab_size=1024, model_dim=256, num_layers=4, num_heads=4, num_kv_heads=2, mlp_hidden=512,
                       max_seq_len=256), 8, 256),
    "baseline": (dict(), 1, 1024),
}


def bench_torch(name, steps):
    overrides, B, T = CONFIGS[name]
    cfg = G.make_config(**overrides)
    torch.manual_seed(1337)
    model = G.GolfGPT(cfg, dtype=torch.float32)
    opt = G.Optimizers(model, ns_dtype=torch.float32)
    ids = torch.randint(0, cfg["vocab_size"], (B, T + 1))
    x, y = ids[:, :-1], ids[:, 1:]
    t_fwd, t_bwd, t_opt, t_step = [], [], [], []
    for s in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        _, loss = model(x, y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step(1.0, s)
        t3 = time.perf_counter()
        if s:
            t_fwd.append(t1 - t0)
            t_bwd.append(t2 - t1)
            t_opt.append(t3 - t2)
            t_step.append(t3 - t0)
    step = statistics.median(t_step)
    r = dict(tok_per_s=B * T / step, step_ms=step * 1e3, fwd_ms=statistics.median(t_fwd) * 1e3,
             bwd_ms=statistics.median(t_bwd) * 1e3, opt_ms=statistics.median(t_opt) * 1e3, min_ms=min(t_step) * 1e3)
    print(f"torch {name:10s} B={B} T={T} threads={torch.get_num_threads()}: {r['tok_per_s']:.0f} tok/s, "
          f"step {r['step_ms']:.1f} ms (fwd {r['fwd_ms']:.1f}, bwd {r['bwd_ms']:.1f}, opt {r['opt_ms']:.1f}; "
          f"min step {r['min_ms']:.1f})", flush=True)
    return r


def bench_cpp(binary, name, steps, threads, env_overrides):
    env = dict(os.environ)
    env.update(kv.split("=", 1) for kv in env_overrides)
    out = subprocess.run([binary, "--config", name, "--steps", str(steps), "--threads", str(threads)],
                         capture_output=True, text=True, check=True, env=env).stdout
    m = re.search(r"RESULT (.*)", out)
    r = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split()) if k.endswith(("_s", "_ms"))}
    r["min_ms"] = float(re.search(r"min step ([0-9.]+) ms", out).group(1))
    print(f"C++   {name:10s} {r['tok_per_s']:.0f} tok/s, step {r['step_ms']:.1f} ms (fwd {r['fwd_ms']:.1f}, "
          f"bwd {r['bwd_ms']:.1f}, opt {r['opt_ms']:.1f}; min step {r['min_ms']:.1f})", flush=True)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--config", default="all", choices=["all"] + list(CONFIGS))
    ap.add_argument("--cpp-bench", default=None, help="path to golf-bench-train, to print the C++/PyTorch ratio")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--cpp-env", nargs="*", default=[], help="KEY=VALUE environment overrides for the C++ run")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, {args.steps} timed steps per round; env "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')} "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}; C++ env overrides {args.cpp_env}")
    names = list(CONFIGS) if args.config == "all" else [args.config]
    for name in names:
        tr, cr, tmin, cmin = [], [], [], []
        for _ in range(args.rounds):
            r = bench_torch(name, args.steps)
            tr.append(r["tok_per_s"])
            tmin.append(r["min_ms"])
            if args.cpp_bench:
                r = bench_cpp(args.cpp_bench, name, args.steps, args.threads, args.cpp_env)
                cr.append(r["tok_per_s"])
                cmin.append(r["min_ms"])
        t = statistics.median(tr)
        if cr:
            c = statistics.median(cr)
            print(f"RATIO {name}: C++ {c:.0f} tok/s / PyTorch {t:.0f} tok/s = {c / t:.2f}x (medians of {args.rounds} "
                  f"rounds); best rounds: C++ {max(cr):.0f} / PyTorch {max(tr):.0f} = {max(cr) / max(tr):.2f}x; "
                  f"fastest single steps: PyTorch {min(tmin):.1f} ms / C++ {min(cmin):.1f} ms = "
                  f"{min(tmin) / min(cmin):.2f}x", flush=True)


if __name__ == "__main__":
    main()
