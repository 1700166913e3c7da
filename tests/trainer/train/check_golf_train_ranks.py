#!/usr/bin/python3
"""check_golf_train_ranks.py: golf-train over several ranks, from outside, on the tiny shards of train_check_util.py.
One check per call:

  mpi      2 ranks (mpirun) at batch B/2 each follow 1 rank at batch B: losses and parameters after k steps
           agree within float tolerance; the exported file, scored by the 2 ranks each on its share of the windows,
           gets golf-eval's score of the same file (exit 77 when mpirun or MPI support is missing)
  mpi_shard  sharded Muon: 2 and 3 ranks (mpirun) follow 1 rank at the same global batch within the mpi check's
           tolerance; the momentum in a 2-rank checkpoint (gathered from the matrices' owners) equals 1 rank's;
           a run paused at 2 ranks resumes at 1 and at 4 ranks and ends where 1 rank ends (exit 77 without mpirun)
  launch_env  a torchrun-style environment (WORLD_SIZE=2, no MPI) is refused with a message saying what to do, instead
           of each process training alone; --comm single overrides it; --gpus misuse exits 2

Runs with one OpenMP thread per process so that results do not depend on how many tests share the machine.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

from train_check_util import (SKIP, Env, check, expect_error, max_rel_diff, read_f32, read_metrics, read_params,
                              train_losses, val_losses)


def check_mpi(env, have_mpi, golf_eval):
    if not have_mpi:
        print("SKIP: golf-train built without MPI")
        sys.exit(SKIP)
    mpirun = shutil.which("mpirun")
    if not mpirun:
        print("SKIP: mpirun not found")
        sys.exit(SKIP)
    k = 8
    common = ["--iterations", str(k), "--warmdown-iters", "4", "--train-log-every", "1", "--val-loss-every", "4",
              "--checkpoint-every", "0", "--train-batch-tokens", "2048"]
    one = os.path.join(env.tmp, "mpi_one")
    env.run(*env.tiny(one, *common, "--grad-accum", "2"))
    two = os.path.join(env.tmp, "mpi_two")
    # Open MPI keeps allocations until exit (its plugins, MPI_Init's tables): under the sanitizer build the leak
    # checker would fail every rank, so it is off for this check only (golf-train's own allocations are checked by
    # the single-process checks).
    asan = os.environ.get("ASAN_OPTIONS", "")
    mpi_env = dict(os.environ, OMP_WAIT_POLICY="passive", ASAN_OPTIONS=(asan + ":" if asan else "") + "detect_leaks=0",
                   # shared-memory transport without the ptrace-based single copy that containers forbid
                   OMPI_MCA_btl="self,vader", OMPI_MCA_btl_vader_single_copy_mechanism="none")
    cmd = [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "2", "-x", "OMP_WAIT_POLICY", "-x", "ASAN_OPTIONS",
           env.train] + env.tiny(two, *common, "--grad-accum", "1", "--comm", "mpi") + ["--export", "1"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=mpi_env)
    check(r.returncode == 0, "mpirun failed (%d):\n%s\n%s" % (r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
    check("2 ranks" in r.stdout and "2 ranks x 1 micro-steps" in r.stdout, "not a 2-rank run:\n" + r.stdout[:3000])
    check(r.stdout.count("step:1/%d train_loss" % k) == 1, "only rank 0 may log")
    a, b = train_losses(read_metrics(one)), train_losses(read_metrics(two))
    check([s for s, _, _ in a] == [s for s, _, _ in b], "steps differ")
    worst_loss = max(abs(x[1] - y[1]) / abs(x[1]) for x, y in zip(a, b))
    va, vb = val_losses(read_metrics(one)), val_losses(read_metrics(two))
    worst_val = max(abs(x[2] - y[2]) for x, y in zip(va, vb))
    pa, pb = read_params(os.path.join(one, "final.safetensors")), read_params(os.path.join(two, "final.safetensors"))
    worst_param, scale = 0.0, 0.0
    for name in pa:
        for x, y in zip(pa[name], pb[name]):
            worst_param = max(worst_param, abs(x - y))
            scale = max(scale, abs(x))
    print("mpi: %d steps, 1 rank x 2 micro-batches vs 2 ranks x 1: max rel train-loss diff %.2e, max val_bpb diff "
          "%.2e, max |param diff| %.2e (max |param| %.3f)" % (k, worst_loss, worst_val, worst_param, scale))
    check(worst_loss < 1e-4, "train losses differ by %.3e (relative)" % worst_loss)
    check(worst_val < 1e-4, "val_bpb differs by %.3e" % worst_val)
    check(worst_param < 1e-3 * max(scale, 1.0), "parameters differ by %.3e" % worst_param)

    # The post-export score, split across the 2 ranks (rank 1 scores from rank 0's bytes), equals golf-eval's score
    # of the same file in one process (fp32 round trip, same windows): only the order of the double sums differs.
    check("final_quant_roundtrip scored by 2 ranks" in r.stdout, "no split-score line:\n" + r.stdout[-3000:])
    m = re.search(r"^post-quant +val_bpb (\d+\.\d+) +val_loss (\d+\.\d+)", r.stdout, re.M)
    check(m, "no post-quant line:\n" + r.stdout[-3000:])
    split_bpb = float(m.group(1))
    e = subprocess.run([golf_eval, "-m", os.path.join(two, "model.golf"), "--shards", env.shards(), "--window", "64",
                        "--f32", "--threads", "1", "--json", "--no-progress"], capture_output=True, text=True)
    check(e.returncode == 0, "golf-eval failed: " + e.stderr)
    whole = json.loads(e.stdout)
    rel = abs(split_bpb - whole["val_bpb"]) / whole["val_bpb"]
    print("mpi: post-export score split over 2 ranks %.8f, golf-eval in one process %.8f (rel diff %.1e)" %
          (split_bpb, whole["val_bpb"], rel))
    check(rel < 1e-7, "the split post-export score %.8f differs from golf-eval's %.8f" % (split_bpb, whole["val_bpb"]))


def mpirun_cmd(env, n):
    """mpirun for n local ranks as root in a container, or None (the caller skips) when MPI is missing."""
    mpirun = shutil.which("mpirun")
    if not mpirun:
        return None, None
    asan = os.environ.get("ASAN_OPTIONS", "")
    mpi_env = dict(os.environ, OMP_WAIT_POLICY="passive", ASAN_OPTIONS=(asan + ":" if asan else "") + "detect_leaks=0",
                   OMPI_MCA_btl="self,vader", OMPI_MCA_btl_vader_single_copy_mechanism="none")
    return [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(n), "-x", "OMP_WAIT_POLICY", "-x",
            "ASAN_OPTIONS", env.train], mpi_env


def run_ranks(env, n, flags):
    cmd, mpi_env = mpirun_cmd(env, n)
    r = subprocess.run(cmd + [str(f) for f in flags] + ["--comm", "mpi"], capture_output=True, text=True, env=mpi_env)
    check(r.returncode == 0,
          "mpirun -np %d failed (%d):\n%s\n%s" % (n, r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
    return r


def check_mpi_shard(env, have_mpi):
    if not have_mpi or not shutil.which("mpirun"):
        print("SKIP: golf-train built without MPI, or mpirun not found")
        sys.exit(SKIP)
    k = 8
    common = ["--iterations", str(k), "--warmdown-iters", "4", "--train-log-every", "1", "--val-loss-every", "4",
              "--checkpoint-every", "4", "--train-batch-tokens", "2304"]
    one = os.path.join(env.tmp, "shard_one")
    env.run(*env.tiny(one, *common, "--grad-accum", "6"))
    ckpt = lambda out, step: os.path.join(out, "checkpoints", "step_%08d.safetensors" % step)
    ref_momentum = read_f32(ckpt(one, 4), "muon.momentum.")
    check(len(ref_momentum) > 0, "no muon.momentum.* tensors in the checkpoint")

    def agrees(out, what):  # against ref_params / ref_losses, set below before each use
        losses = train_losses(read_metrics(out))
        check([s for s, _, _ in losses] == [s for s, _, _ in ref_losses], what + ": steps differ")
        worst_loss = max(abs(x[1] - y[1]) / abs(x[1]) for x, y in zip(ref_losses, losses))
        worst_param, scale = max_rel_diff(ref_params, read_params(os.path.join(out, "final.safetensors")))
        print("%s: max rel train-loss diff %.2e, max |param diff| %.2e of max |param| %.3f" %
              (what, worst_loss, worst_param * scale, scale))
        check(worst_loss < 1e-4, "%s: train losses differ by %.3e (relative)" % (what, worst_loss))
        check(worst_param * scale < 1e-3 * max(scale, 1.0),
              "%s: parameters differ by %.3e" % (what, worst_param * scale))

    ref_params = read_params(os.path.join(one, "final.safetensors"))
    ref_losses = train_losses(read_metrics(one))
    for n, accum in ((2, 3), (3, 2)):
        out = os.path.join(env.tmp, "shard_np%d" % n)
        r = run_ranks(env, n, env.tiny(out, *common, "--grad-accum", str(accum)))
        check("Muon sharded over %d ranks" % n in r.stdout, "no sharded-Muon line in the log:\n" + r.stdout[:3000])
        agrees(out, "%d ranks (sharded Muon) vs 1 rank" % n)
        # Momentum lives on each matrix's owner; the checkpoint must hold all of it (gathered to rank 0).
        worst, scale = max_rel_diff(ref_momentum, read_f32(ckpt(out, 4), "muon.momentum."))
        print("%d ranks: checkpoint momentum max rel diff %.2e (max |m| %.3e)" % (n, worst, scale))
        check(worst < 1e-3, "%d ranks: checkpoint Muon momentum differs from 1 rank's by %.3e (relative)" % (n, worst))

    # A checkpoint written by 2 ranks resumes at 1 and at 4 ranks. The loader's stream position depends on ranks x
    # micro-batches (each micro-batch reads one token past its span, as the challenge's loader does), and a resume
    # keeps --grad-accum, so these runs set it automatic (0: 8 / ranks): 8 micro-batches of 512 tokens per step at
    # every world size, the same data as one rank straight.
    auto = ["--iterations", str(k), "--warmdown-iters", "4", "--train-log-every", "1", "--val-loss-every", "4",
            "--checkpoint-every", "0", "--train-batch-tokens", "4096", "--grad-accum", "0"]
    straight = os.path.join(env.tmp, "shard_auto_one")
    env.run(*env.tiny(straight, *auto))
    ref_params = read_params(os.path.join(straight, "final.safetensors"))
    ref_losses = train_losses(read_metrics(straight))
    paused = os.path.join(env.tmp, "shard_paused")
    run_ranks(env, 2, env.tiny(paused, *auto, "--pause-at-step", "4"))
    check(not os.path.exists(os.path.join(paused, "final.safetensors")), "a paused run must not finish")
    for n in (1, 4):
        out = os.path.join(env.tmp, "shard_resume_np%d" % n)
        shutil.copytree(paused, out)
        flags = ["--out", out, "--resume", "--threads", "1"]
        r = env.run(*flags) if n == 1 else run_ranks(env, n, flags)
        check("resumed from" in r.stdout and "world size 2 -> %d" % n in r.stdout + r.stderr,
              "no resume / world-size line:\n" + r.stdout[:3000] + r.stderr[:2000])
        agrees(out, "paused at 2 ranks, resumed at %d" % n)


def check_launch_env(env):
    out = os.path.join(env.tmp, "launch_env")
    torchrun = {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}
    r = env.run(*env.tiny(out, "--iterations", "2"), expect=1, env_extra=torchrun)
    check("WORLD_SIZE=2" in r.stderr and "mpirun" in r.stderr and "--backend cuda" in r.stderr,
          "no WORLD_SIZE message:\n" + r.stderr)
    check(not os.path.exists(os.path.join(out, "run.log")), "a refused rank must not start a run")
    # --gpus N starts the ranks itself: refused inside a job a launcher started, with the CPU backend, with --device.
    r = env.run(*env.tiny(out, "--gpus", "2"), expect=2, env_extra=torchrun)
    check("already rank 1 of a job started by torchrun environment" in r.stderr, "--gpus inside a job:\n" + r.stderr)
    expect_error(env, env.tiny(out, "--gpus", "2", "--backend", "cpu"), 2, "the CPU trainer runs data parallel under mpirun")
    expect_error(env, env.tiny(out, "--gpus", "2", "--device", "cuda:1"), 2, "each rank drives its own GPU")
    expect_error(env, env.tiny(out, "--gpus", "2", "--comm", "single"), 2, "join over NCCL; drop --comm")
    expect_error(env, env.tiny(out, "--gpus", "0"), 2, "--gpus")
    expect_error(env, env.tiny(out, "--gpus", "two"), 2, "--gpus")
    check(not os.path.exists(os.path.join(out, "run.log")), "a refused --gpus must not start a run")
    env.run(*env.tiny(out, "--iterations", "2", "--comm", "single"), env_extra=torchrun)
    print("launch_env: WORLD_SIZE=2 without MPI refused; --comm single overrides; --gpus misuse refused (exit 2)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("check", choices=["mpi", "mpi_shard", "launch_env"])
    ap.add_argument("--golf-train", required=True)
    ap.add_argument("--golf-data", required=True)
    ap.add_argument("--golf-eval", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--have-mpi", type=int, default=1)
    args = ap.parse_args()
    env = Env(args)
    try:
        if args.check == "mpi":
            check_mpi(env, args.have_mpi, args.golf_eval)
        elif args.check == "mpi_shard":
            check_mpi_shard(env, args.have_mpi)
        else:
            check_launch_env(env)
    finally:
        if not os.environ.get("GOLF_KEEP_TMP"):
            env.cleanup()


if __name__ == "__main__":
    main()
