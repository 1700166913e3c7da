#!/usr/bin/python3
"""check_golf_train.py: golf-train end to end in one process, from outside, on tiny shards made by golf-data from the
repo's bundled FineWeb slices (data/fineweb_{train,val}_slice.jsonl, data/tokenizer_sp1024.model). One check per
call (the checks with several ranks are in check_golf_train_ranks.py):

  e2e      a short run: the log's header and challenge-format lines, metrics.jsonl, loss.svg, checkpoints and
           `latest`, final.safetensors, model.golf scored by the runtime; the loss decreases; a wallclock cap stops
           a run early with the challenge's message
  resume   2N steps straight == N steps (--pause-at-step) + --resume + N steps, EXACTLY: every parameter and
           optimizer-state bit (checkpoint content hash, final.safetensors bytes) and every logged loss; for the
           sequential loader and for the shuffled loader with gradient accumulation
  signal   SIGTERM mid-run: exit status 3, a checkpoint at the step it stopped, then --resume finishes with the
           same bits as an uninterrupted run
  errors   bad flags, missing options, an existing run, a contradicting or damaged checkpoint, other data: each
           refused with a message saying what is wrong
  ema      --ema-decay: training unchanged, validation and final.safetensors on the EMA weights (the checkpoint's
           ema.* tensors), and 2N straight == N + --resume + N, bit for bit
  stop     SIGINT inside a long validation, and between micro-batches: exit 3 within seconds, a complete checkpoint
           of the step's start, nothing half-written
  backend  --backend cuda refused (without the CUDA trainer, or without a GPU, saying what to do; where built it
           loads the module), a CPU run loads no CUDA library (LD_DEBUG=libs), --device and --precision checked, and
           a memory plan larger than the machine refused before the first step with the flags that lower it
  export_auto  --export-gptq and --export-recipe auto at the end of a run

Runs with one OpenMP thread per process so that results do not depend on how many tests share the machine.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import time
import xml.dom.minidom

from train_check_util import (Env, check, checkpoint_hash, expect_error, file_bytes, read_metrics, read_metrics_safe,
                              read_tensors, train_losses, val_losses)


def check_e2e(env):
    out = os.path.join(env.tmp, "e2e")
    flags = env.tiny(out, "--iterations", "60", "--val-loss-every", "20", "--checkpoint-every", "20",
                     "--keep-checkpoints", "2", "--export", "1", "--export-recipe", "q8")
    r = env.run(*flags)
    log = open(os.path.join(out, "run.log")).read()
    check(log == r.stdout, "run.log differs from stdout")
    for pattern in [r"^golf-train ", r"^command: .*golf-train", r"^machine: single process, 1 threads per rank",
                    r"^data: train .*: 1 shards, \d+ tokens", r"^data: val .*: 1 shards, \d+ tokens",
                    r"^tokenizer: .*tokenizer_sp1024.model \(1024 pieces, bos 1\) sha256 [0-9a-f]{64}",
                    r"^model: 2 layers x 64, .*model_params:\d+", r"^batch: 1024 tokens/step", r"^options: \{",
                    r"^step:0/60 val_loss:\d+\.\d{4} val_bpb:\d+\.\d{4} train_time:0ms",
                    r"^step:1/60 train_loss:\d+\.\d{4} train_time:\d+ms step_avg:\d+\.\d{2}ms tok/s:\d+",
                    r"^step:60/60 val_loss:\d+\.\d{4} val_bpb:\d+\.\d{4}", r"^checkpoint: step 20 \(every\)",
                    r"^checkpoint: step 60 \(end\)", r"^done: 60 steps, 61440 tokens, .* training tokens/s",
                    r"^post-quant +val_bpb \d+\.\d+", r"^final_quant_roundtrip val_loss:\d+\.\d{4} val_bpb:\d+\.\d{4}"]:
        check(re.search(pattern, log, re.M), "run.log lacks a line matching %r:\n%s" % (pattern, log))
    events = read_metrics(out)
    kinds = [e["event"] for e in events]
    check(kinds[0] == "start" and "end" in kinds and "export" in kinds, "metrics.jsonl events: %s" % kinds)
    losses = [l for _, l, _ in train_losses(events)]
    check(len(losses) == 10 + 5, "expected train events for steps 1-10 and every 10th: %d" % len(losses))
    check(sum(losses[-3:]) / 3 < losses[0] - 0.8, "train loss did not decrease: %s" % losses)
    vals = val_losses(events)
    check([s for s, _, _ in vals] == [0, 20, 40, 60], "val steps %s" % vals)
    check(vals[-1][2] < vals[0][2] - 0.5, "val_bpb did not decrease: %s" % vals)
    final_val = [e for e in events if e["event"] == "val"][-1]
    check(final_val["final"] == 1, "the last validation is not the final one")
    svg = xml.dom.minidom.parse(os.path.join(out, "loss.svg"))
    check(len(svg.getElementsByTagName("polyline")) == 3, "loss.svg should draw 3 curves")
    ck = sorted(os.listdir(os.path.join(out, "checkpoints")))
    check(ck == ["latest", "step_00000040.safetensors", "step_00000060.safetensors"], "checkpoints: %s" % ck)
    check(open(os.path.join(out, "checkpoints", "latest")).read() == "step_00000060.safetensors\n", "latest")
    check(os.path.getsize(os.path.join(out, "model.golf")) > 100000, "model.golf missing or tiny")
    check(os.path.isfile(os.path.join(out, "final.safetensors")), "final.safetensors missing")
    export = [e for e in events if e["event"] == "export"][0]
    check(abs(export["val_bpb"] - export["val_bpb_pre_quant"]) < 0.05,
          "q8 export moved val_bpb too much: %s" % export)

    # The wallclock cap: stops early with the challenge's message, then validates on everything.
    out2 = os.path.join(env.tmp, "wallclock")
    r = env.run(*env.tiny(out2, "--iterations", "100000", "--max-wallclock-seconds", "1", "--schedule",
                          "wallclock", "--warmdown-iters", "10"))
    check(re.search(r"^stopping_early: wallclock_cap train_time:\d+ms step:\d+/100000", r.stdout, re.M),
          "no stopping_early line:\n" + r.stdout[-2000:])
    lr = [m for _, _, m in train_losses(read_metrics(out2))]
    check(lr[-1] < 0.5, "wallclock warmdown did not lower the LR: %s" % lr[-5:])
    print("e2e: ok (final val_bpb %.4f, post-quant %.4f)" % (vals[-1][2], export["val_bpb"]))


def check_resume(env):
    variants = [("sequential", ["--iterations", "40", "--warmdown-iters", "15"]),
                ("shuffled", ["--iterations", "40", "--loader", "shuffled", "--grad-accum", "2",
                              "--schedule", "time-fraction", "--warmdown-frac", "0.5"])]
    for name, extra in variants:
        common = extra + ["--train-log-every", "1", "--val-loss-every", "10", "--checkpoint-every", "0"]
        straight = os.path.join(env.tmp, "straight_" + name)
        env.run(*env.tiny(straight, *common))
        split = os.path.join(env.tmp, "split_" + name)
        r = env.run(*env.tiny(split, *common), "--pause-at-step", "17")
        check("paused at step 17" in r.stdout, "no pause message")
        check(not os.path.exists(os.path.join(split, "final.safetensors")), "a paused run must not finish")
        r = env.run("--out", split, "--resume", "--threads", "1")
        check("resumed from" in r.stdout, "no resume line")
        a, b = read_metrics(straight), read_metrics(split)
        check(train_losses(a) == train_losses(b),
              "%s: logged train losses differ:\n%s\n%s" % (name, train_losses(a), train_losses(b)))
        check(val_losses(a) == val_losses(b), "%s: logged val losses differ" % name)
        check(checkpoint_hash(straight, 40) == checkpoint_hash(split, 40),
              "%s: final checkpoints differ (parameters or optimizer state)" % name)
        check(file_bytes(os.path.join(straight, "final.safetensors")) ==
              file_bytes(os.path.join(split, "final.safetensors")), "%s: final parameters differ" % name)
        steps = [s for s, _, _ in train_losses(b)]
        check(steps == list(range(1, 41)), "%s: resumed metrics.jsonl steps %s" % (name, steps))
        print("resume %s: 40 steps straight == 17 + resume + 23, bit for bit" % name)


def check_signal(env):
    common = ["--iterations", "80", "--warmdown-iters", "30", "--train-log-every", "1", "--checkpoint-every", "0",
              "--val-loss-every", "0"]
    straight = os.path.join(env.tmp, "sig_straight")
    env.run(*env.tiny(straight, *common))
    out = os.path.join(env.tmp, "sig")
    cmd = [env.train] + env.tiny(out, *common)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, OMP_WAIT_POLICY="passive"))
    metrics = os.path.join(out, "metrics.jsonl")
    deadline = time.time() + 240
    while time.time() < deadline:
        if os.path.exists(metrics) and any(e["event"] == "train" and e["step"] >= 12
                                           for e in read_metrics_safe(metrics)):
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGTERM)
    stdout, stderr = p.communicate(timeout=240)
    check(p.returncode == 3, "SIGTERM: exit %d, expected 3\n%s" % (p.returncode, stderr))
    m = re.search(r"stopped by SIGTERM at step (\d+): checkpoint (\S+) written", stderr)
    check(m, "no stop message on stderr:\n" + stderr)
    stopped = int(m.group(1))
    check(12 <= stopped < 80, "stopped at step %d" % stopped)
    check(os.path.isfile(os.path.join(out, "checkpoints", "step_%08d.safetensors" % stopped)), "no checkpoint")
    check(open(os.path.join(out, "checkpoints", "latest")).read().strip() == "step_%08d.safetensors" % stopped,
          "latest does not name the signal's checkpoint")
    env.run("--out", out, "--resume", "--threads", "1")
    check(checkpoint_hash(straight, 80) == checkpoint_hash(out, 80), "interrupted + resumed != straight")
    check(train_losses(read_metrics(straight)) == train_losses(read_metrics(out)), "logged losses differ")
    print("signal: SIGTERM at step %d -> exit 3 + checkpoint; resumed run == straight run, bit for bit" % stopped)


def check_errors(env):
    r = env.run("--help")
    check("--matrix-lr X" in r.stdout and "PRESETS" in r.stdout, "--help")
    expect_error(env, ["--bogus"], 2, "unknown option --bogus (see --help)")
    expect_error(env, ["--num-layers", "0", "--out", "x"], 2, "--num-layers 0: expected an integer in [1, 256]")
    expect_error(env, ["--data", env.shards()], 2, "--out DIR is required")
    expect_error(env, env.tiny(os.path.join(env.tmp, "nodata")) + ["--data", os.path.join(env.tmp, "missing")], 1,
                 "training data")
    expect_error(env, env.tiny(os.path.join(env.tmp, "batch"), "--train-batch-tokens", "1000"), 2, "batch")

    out = os.path.join(env.tmp, "err_run")
    env.run(*env.tiny(out, "--iterations", "12", "--checkpoint-every", "5"))
    expect_error(env, env.tiny(out), 2, "already holds a run")
    expect_error(env, ["--out", out, "--resume", "--model-dim", "128"], 2,
                 "--model-dim: checkpoint 64, command line 128")
    expect_error(env, ["--out", out, "--resume", "--data", env.shards("other", max_docs=120)], 2,
                 "the training data differ from the checkpoint's")
    expect_error(env, ["--out", os.path.join(env.tmp, "none"), "--resume"], 1, "no checkpoint to continue from")
    # Damage the newest checkpoint's tensor bytes: refused, and an older one still resumes.
    ck = os.path.join(out, "checkpoints", "step_00000012.safetensors")
    with open(ck, "r+b") as f:
        f.seek(-3, 2)
        b = f.read(1)
        f.seek(-3, 2)
        f.write(bytes([b[0] ^ 0x10]))
    expect_error(env, ["--out", out, "--resume"], 1, "content SHA-256 mismatch")
    r = env.run("--out", out, "--resume", os.path.join(out, "checkpoints", "step_00000010.safetensors"),
                "--iterations", "14")
    check("resumed from" in r.stdout and "option changed: --iterations 12 -> 14" in r.stdout, r.stdout[-1500:])
    env.run(*env.tiny(out, "--iterations", "3"), "--overwrite")
    check(sorted(os.listdir(os.path.join(out, "checkpoints"))) == ["latest", "step_00000003.safetensors"],
          "--overwrite left old checkpoints")
    check_outputs_kept(env)
    check_build_revision(env)
    print("errors: ok")


def check_outputs_kept(env):
    """Issue 13: nothing an earlier run left is replaced without --overwrite, and the export is checked before the
    first step (a bad recipe or an unwritable --export-path used to fail only after training)."""
    for name, extra in [("run.log", []), ("metrics.jsonl", []), ("model.golf", ["--export", "1"])]:
        out = os.path.join(env.tmp, "kept_" + name.replace(".", "_"))
        os.makedirs(out)
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"an earlier run's\n")
        expect_error(env, env.tiny(out, "--iterations", "2", *extra), 2,
                     os.path.join(out, name) + " exists (an earlier run's): continue that run with --resume, "
                     "start over with --overwrite")
        check(file_bytes(os.path.join(out, name)) == b"an earlier run's\n", name + " was overwritten")
        env.run(*env.tiny(out, "--iterations", "2", *extra), "--overwrite")
        check(file_bytes(os.path.join(out, name)) != b"an earlier run's\n", name + " not replaced by --overwrite")
    taken = os.path.join(env.tmp, "taken.golf")
    open(taken, "w").write("x")
    expect_error(env, env.tiny(os.path.join(env.tmp, "kept_path"), "--export", "1", "--export-path", taken), 2,
                 taken + " exists")
    for flags, text in [(["--export-recipe", "q3"], "--export-recipe: unknown recipe 'q3'"),
                        (["--export-path", os.path.join(env.tmp, "no", "such", "dir", "m.golf")],
                         "is not a writable directory")]:
        out = os.path.join(env.tmp, "early_" + flags[0].strip("-"))
        expect_error(env, env.tiny(out, "--iterations", "2", "--export", "1", *flags), 2, text)
        check(not os.path.exists(os.path.join(out, "run.log")), "%s: refused only after starting the run" % flags)
    # --resume from another directory with a relative --data: the error says why.
    out = os.path.join(env.tmp, "relative")
    rel = os.path.relpath(env.shards(), env.tmp)
    flags = env.tiny(out, "--iterations", "2")
    flags[flags.index("--data") + 1] = rel
    r = subprocess.run([env.train] + flags, cwd=env.tmp, capture_output=True, text=True)
    check(r.returncode == 0, "relative --data run: " + r.stderr[-1500:])
    r = subprocess.run([env.train, "--out", out, "--resume", "--iterations", "3"], cwd=env.source,
                       capture_output=True, text=True)
    check(r.returncode != 0 and "relative to the directory it was started from" in r.stderr,
          "resume elsewhere, relative --data: rc %d\n%s" % (r.returncode, r.stderr[-1500:]))


def check_build_revision(env):
    """Issue 13: run.log records the revision golf-train was built from, not the git repository of the current
    directory."""
    if shutil.which("git") is None:
        print("build revision: skipped (no git)")
        return
    repo = os.path.join(env.tmp, "other_repo")
    os.makedirs(repo)
    git = ["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t"]
    for cmd in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "other"]):
        subprocess.run(git + cmd, check=True, capture_output=True)
    other = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    out = os.path.join(env.tmp, "revision")
    r = subprocess.run([env.train] + env.tiny(out, "--iterations", "1"), cwd=repo, capture_output=True, text=True)
    check(r.returncode == 0, "run inside another repository: " + r.stderr[-1500:])
    first = open(os.path.join(out, "run.log")).readline()
    m = re.match(r"golf-train git (\S+)", first)
    ours = subprocess.run(["git", "-C", env.source, "rev-parse", "HEAD"], capture_output=True, text=True)
    if ours.returncode != 0:  # built outside a checkout: no revision to record
        check(m is None, "a revision recorded outside a checkout: " + first)
        return
    check(m is not None, "run.log has no revision: " + first)
    commit = re.sub(r"-dirty$", "", m.group(1)).split("-g")[-1]
    check(not other.startswith(commit), "recorded the current directory's repository: " + first)
    check(ours.stdout.strip().startswith(commit), "recorded %s, the source is at %s" % (commit, ours.stdout))


def check_ema(env):
    common = ["--iterations", "30", "--val-loss-every", "10", "--checkpoint-every", "0", "--train-log-every", "1"]
    ema = ["--ema-decay", "0.9", "--ema-start-step", "5"]
    plain = os.path.join(env.tmp, "ema_off")
    env.run(*env.tiny(plain, *common))
    straight = os.path.join(env.tmp, "ema_straight")
    r = env.run(*env.tiny(straight, *(common + ema)))
    check("ema: decay 0.9 from step 5; validation and export use the EMA weights" in r.stdout, "no ema line in the log")
    a, off = read_metrics(straight), read_metrics(plain)
    check(train_losses(a) == train_losses(off), "the EMA changed the training itself")
    check(val_losses(a)[0] == val_losses(off)[0], "step 0: the EMA weights are the initial parameters")
    check(all(x != y for x, y in zip(val_losses(a)[1:], val_losses(off)[1:])), "validation did not use the EMA")
    ck = read_tensors(os.path.join(straight, "checkpoints", "step_%08d.safetensors" % 30))
    final = read_tensors(os.path.join(straight, "final.safetensors"))
    check(all(final[n] == ck["ema." + n] for n in final), "final.safetensors is not the checkpoint's EMA weights")
    check(any(final[n] != ck["param." + n] for n in final), "EMA weights equal the parameters")
    split = os.path.join(env.tmp, "ema_split")
    env.run(*env.tiny(split, *(common + ema)), "--pause-at-step", "13")
    env.run("--out", split, "--resume", "--threads", "1")
    check(checkpoint_hash(straight, 30) == checkpoint_hash(split, 30), "EMA: resumed checkpoint differs")
    check(file_bytes(os.path.join(straight, "final.safetensors")) ==
          file_bytes(os.path.join(split, "final.safetensors")), "EMA: resumed final weights differ")
    check(val_losses(a) == val_losses(read_metrics(split)), "EMA: resumed validation differs")
    print("ema: training unchanged, validation/final on ema.*, 30 straight == 13 + resume + 17, bit for bit")


def stop_run(env, name, extra, marker):
    """Starts a run, sends SIGINT once run.log holds `marker`, returns (seconds to exit, stdout, out dir)."""
    out = os.path.join(env.tmp, name)
    # 4 x 256 on one thread: a full validation or a 16-micro-batch step takes many seconds.
    model = ["--model-dim", "256", "--num-layers", "4", "--num-heads", "4", "--num-kv-heads", "2"]
    cmd = [env.train] + env.tiny(out, *(model + extra))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, OMP_WAIT_POLICY="passive"))
    log = os.path.join(out, "run.log")
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        if os.path.exists(log) and marker in open(log).read():
            break
        time.sleep(0.05)
    time.sleep(1.0)  # well inside the validation or the first micro-batch
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=240)
    seconds = time.time() - t0
    check(p.returncode == 3, "%s: SIGINT: exit %d, expected 3\n%s" % (name, p.returncode, stderr[-2000:]))
    ckdir = os.path.join(out, "checkpoints")
    check(sorted(os.listdir(ckdir)) == ["latest", "step_00000000.safetensors"],
          "%s: checkpoints %s (expected step 0 only, no temporaries)" % (name, os.listdir(ckdir)))
    check(not os.path.exists(os.path.join(out, "final.safetensors")), name + ": a stopped run wrote final weights")
    return seconds, stdout, out


def check_stop(env):
    # Step 0's validation scores all 63,553 validation tokens, one window per forward.
    seconds, stdout, out = stop_run(env, "stop_val", ["--val-loss-every", "100", "--val-max-tokens", "0",
                                                      "--val-batch-tokens", "64"], "options:")
    check("validation at step 0 interrupted by the stop request" in stdout,
          "validation was not interrupted:\n" + stdout)
    check(not any(e["event"] == "val" for e in read_metrics(out)), "a val event of an interrupted validation")
    check(seconds < 10, "exit took %.1fs after SIGINT inside the validation" % seconds)
    val_seconds = seconds
    # No validation first: SIGINT lands in one of step 1's 16 micro-batches.
    seconds, stdout, out = stop_run(env, "stop_step", ["--val-loss-every", "0", "--grad-accum", "16",
                                                       "--train-batch-tokens", "16384"], "options:")
    check("step 1 interrupted between micro-batches by the stop request" in stdout,
          "the step was not interrupted:\n" + stdout)
    check(not any(e["event"] == "train" for e in read_metrics(out)), "a train event of an interrupted step")
    check(seconds < 10, "exit took %.1fs after SIGINT inside a step" % seconds)
    print("stop: SIGINT inside a validation -> exit in %.1fs, between micro-batches -> %.1fs; checkpoint of step 0, "
          "nothing half-written" % (val_seconds, seconds))


def check_backend(env, have_cuda_trainer):
    out = os.path.join(env.tmp, "backend")
    if not have_cuda_trainer:
        expect_error(env, env.tiny(out, "--backend", "cuda"), 2, "golf-train was built without the CUDA trainer")
    else:
        # The module (libgolf-train-cuda.so) is built: it loads, and where no GPU is usable it refuses, saying what
        # to do. On a machine with a GPU the tiny run trains.
        r = env.run(*env.tiny(os.path.join(env.tmp, "backend_cuda"), "--backend", "cuda", "--iterations", "2"),
                    expect=None, env_extra={"LD_DEBUG": "libs"})
        check("libgolf-train-cuda.so" in r.stderr, "--backend cuda did not load the module")
        if r.returncode != 0:
            check(r.returncode == 1 and "--backend cpu" in r.stderr,
                  "--backend cuda without a GPU: exit %d\n%s" % (r.returncode, r.stderr[-3000:]))
            # Without a GPU, --gpus 2 starts two ranks that each fail to find their GPU: the launcher reports the
            # failing rank, stops the other and ends non-zero, within seconds, and no run is written.
            gpus_out = os.path.join(env.tmp, "backend_gpus")
            r = env.run(*env.tiny(gpus_out, "--gpus", "2", "--iterations", "2"), expect=None)
            check(r.returncode == 1 and "starting 2 ranks" in r.stderr and re.search(r"rank \d exited with status 1",
                                                                                     r.stderr),
                  "--gpus 2 without a GPU: exit %d\n%s" % (r.returncode, r.stderr[-3000:]))
            check(not os.path.exists(os.path.join(gpus_out, "run.log")), "--gpus without a GPU wrote a run")
    # A CPU run never loads the CUDA module or a CUDA library (the dynamic loader's own account).
    r = env.run(*env.tiny(os.path.join(env.tmp, "backend_cpu"), "--iterations", "2"), env_extra={"LD_DEBUG": "libs"})
    for lib in ["libgolf-train-cuda", "libcudart", "libcublas"]:
        check(lib not in r.stderr, "a --backend cpu run loaded %s" % lib)
    expect_error(env, env.tiny(out, "--backend", "tpu"), 2, "--backend tpu: expected one of cpu|cuda")
    expect_error(env, env.tiny(out, "--precision", "fp8"), 2, "--precision fp8: expected one of bf16|fp32")
    expect_error(env, env.tiny(out, "--device", "cuda:0"), 2, "only --backend cuda has devices")
    # 2^33 tokens per micro-batch: terabytes of activations, refused before anything is allocated or written.
    r = env.run(*env.tiny(out, "--train-batch-tokens", str(2 ** 36)), expect=2)
    for text in ["the memory plan does not fit", "activations", "available", "--train-batch-tokens", "--grad-accum",
                 "--val-batch-tokens", "--force"]:
        check(text in r.stderr, "memory refusal lacks %r:\n%s" % (text, r.stderr))
    check(not os.path.exists(os.path.join(out, "checkpoints")), "a refused run wrote checkpoints")
    r = env.run(*env.tiny(out, "--iterations", "2"))
    check(re.search(r"memory: host: weights [\d.]+ MB, .* total [\d.]+ MB of [\d.]+ MB available", r.stdout),
          "no memory plan in the log:\n" + r.stdout[:2000])
    check("backend: cpu, fp32, 1 threads" in r.stdout, "no backend line in the log")
    print("backend: cuda refused, device/precision checked, an oversized plan refused; the plan is logged")


def check_export_auto(env):
    """--export-gptq and --export-recipe auto at the end of a run: calibration on training shards, the allocator's
    table in run.log, a file within the budget that the runtime scored."""
    out = os.path.join(env.tmp, "export_auto")
    r = env.run(*env.tiny(out, "--iterations", "5", "--val-loss-every", "0", "--checkpoint-every", "0",
                          "--val-max-tokens", "2048"), "--export", "1", "--export-gptq", "1", "--export-recipe",
                "auto", "--export-calib-tokens", "1024")
    for line in ["export: GPTQ calibration 1024 training tokens (16 windows of 64)", "auto recipe: ",
                 "tok_emb.weight", "bytes to spare", "final_quant_roundtrip val_loss:"]:
        check(line in r.stdout, "missing in the log: " + line)
    check(os.path.exists(os.path.join(out, "model.golf")), "no model.golf")
    print("export_auto: GPTQ + auto recipe at the end of golf-train")


CHECKS = {"e2e": check_e2e, "resume": check_resume, "signal": check_signal, "errors": check_errors,
          "ema": check_ema, "stop": check_stop, "export_auto": check_export_auto}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("check", choices=sorted(list(CHECKS) + ["backend"]))
    ap.add_argument("--golf-train", required=True)
    ap.add_argument("--golf-data", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--have-cuda-trainer", type=int, default=0)
    args = ap.parse_args()
    env = Env(args)
    try:
        if args.check == "backend":
            check_backend(env, args.have_cuda_trainer)
        else:
            CHECKS[args.check](env)
    finally:
        if not os.environ.get("GOLF_KEEP_TMP"):
            env.cleanup()


if __name__ == "__main__":
    main()
