#!/usr/bin/python3
"""check_run_8xh100.py: scripts/run_8xh100.sh without GPUs: its --dry-run plan (the baseline preset on the CUDA
backend under the 600-second cap with the wallclock schedule, the export path and budget, the roundtrip score on
the validation shards, one line per rank with its device and environment, the memory estimate per GPU) for one node
of 8, for --gpus 2, for --launcher mpirun and for node 1 of 2 under the torchrun launcher; and its refusals (exit 2,
one line naming the flag). The dry run gets a build directory that does not exist, so it cannot start anything."""
import os
import re
import subprocess
import sys
import tempfile


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def run(script, *args):
    return subprocess.run(["bash", script] + list(args), capture_output=True, text=True)


def main():
    script = sys.argv[1]
    build = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "shards")
        os.makedirs(data)
        for name in ("fineweb_train_000001.bin", "fineweb_val_000000.bin"):
            open(os.path.join(data, name), "wb").close()
        out = os.path.join(tmp, "run")
        base = ["--dry-run", "--data", data, "--out", out, "--build", os.path.join(tmp, "no_build")]

        r = run(script, *base)
        if r.returncode != 0:
            fail("dry run exited %d: %s" % (r.returncode, r.stderr))
        plan = r.stdout
        train = re.search(r"^  train: +(.*)$", plan, re.M)
        if not train:
            fail("no train line:\n" + plan)
        for flag in ("--gpus 8", "--preset baseline", "--backend cuda", "--max-wallclock-seconds 600",
                     "--schedule wallclock", "--export-path " + os.path.join(out, "model.golf")):
            if flag not in train.group(1):
                fail("the train command lacks '%s': %s" % (flag, train.group(1)))
        ranks = re.findall(r"^  rank (\d+): cuda:(\d+), .*RANK=(\d+) LOCAL_RANK=(\d+) WORLD_SIZE=8", plan, re.M)
        if [tuple(map(int, x)) for x in ranks] != [(i, i, i, i) for i in range(8)]:
            fail("expected ranks 0..7 on cuda:0..7:\n" + plan)
        if not re.search(r"golf-eval -m \S+model\.golf --shards " + re.escape(data), plan):
            fail("no roundtrip score on the validation shards:\n" + plan)
        if "16000000 bytes" not in plan:
            fail("no budget line")
        mem = re.search(r"memory per GPU \(derived estimate\): state (\d+) MB \+ activations (\d+) MB = (\d+) MB", plan)
        if not mem or int(mem.group(1)) + int(mem.group(2)) != int(mem.group(3)):
            fail("no memory estimate per GPU:\n" + plan)
        if "524288 tokens/step = 8 ranks x 65536 tokens (1 micro-batches of 64 x 1024)" not in plan:
            fail("wrong batch split:\n" + plan)
        if os.path.exists(out):
            fail("the dry run created the output directory")

        two = run(script, *base, "--gpus", "2").stdout
        if len(re.findall(r"^  rank \d+: cuda:", two, re.M)) != 2 or \
                "2 ranks x 262144 tokens (4 micro-batches of 64 x 1024)" not in two:
            fail("--gpus 2 plan:\n" + two)
        sixteen = run(script, *base, "--launcher", "torchrun", "--nodes", "2").stdout
        mem16 = re.search(r"activations (\d+) MB", sixteen)
        if "1 micro-batches of 32 x 1024" not in sixteen or not mem16 or int(mem16.group(1)) >= int(mem.group(2)):
            fail("16 ranks: half the micro-batch, less activation memory:\n" + sixteen)
        # With the build's golf-gpu-memory-plan the line is the CUDA trainer's own plan.
        if build and os.path.exists(os.path.join(build, "trainer", "launch", "golf-gpu-memory-plan")):
            real = run(script, *(base[:-2] + ["--build", build])).stdout
            m = re.search(r"memory per GPU \(the CUDA trainer's memory plan, 64 x 1024 tokens per micro-batch\): "
                          r"([\d.]+) MiB", real)
            if not m or not 1000 < float(m.group(1)) < 80 * 1024:
                fail("no memory plan line from golf-gpu-memory-plan:\n" + real)
            print("memory per GPU from the CUDA trainer's plan: %s MiB" % m.group(1))

        mpi = run(script, *base, "--launcher", "mpirun").stdout
        if "mpirun -np 8" not in mpi or "--comm mpi" not in mpi or "OMPI_COMM_WORLD_LOCAL_RANK=7" not in mpi:
            fail("--launcher mpirun plan:\n" + mpi)

        node1 = run(script, *base, "--launcher", "torchrun", "--nodes", "2", "--node-rank", "1", "--master-addr",
                    "node001").stdout
        ranks = re.findall(r"^  rank (\d+): cuda:(\d+), RANK=\d+ LOCAL_RANK=\d+ WORLD_SIZE=16 LOCAL_WORLD_SIZE=8 "
                           r"MASTER_ADDR=node001 MASTER_PORT=29500$", node1, re.M)
        if [tuple(map(int, x)) for x in ranks] != [(8 + i, i) for i in range(8)]:
            fail("node 1 of 2 must start ranks 8..15 on cuda:0..7:\n" + node1)

        for args, text in ((["--gpus", "0"], "--gpus 0"), (["--bogus"], "'--bogus'"),
                           (["--launcher", "ssh"], "--launcher ssh"), (["--nodes", "2"], "--nodes 2"),
                           (["--node-rank", "1"], "--node-rank 1"), (["--master-port", "99999"], "--master-port"),
                           (["--data", tmp], "--data " + tmp), (["--out"], "--out needs a value")):
            r = run(script, *(base + args))
            if r.returncode != 2 or text not in r.stderr or len(r.stderr.strip().splitlines()) != 1:
                fail("%s: expected exit 2 and one line naming it, got %d: %s" % (args, r.returncode, r.stderr))
        os.makedirs(out)
        open(os.path.join(out, "run.log"), "w").close()
        r = run(script, *base)
        if r.returncode != 2 or "--overwrite" not in r.stderr:
            fail("an existing run must be refused without --overwrite: %d %s" % (r.returncode, r.stderr))
        if run(script, *base, "--overwrite").returncode != 0:
            fail("--overwrite must be accepted")
        h = run(script, "--help")
        if h.returncode != 0 or "--dry-run" not in h.stdout:
            fail("--help")
    print("run_8xh100.sh: dry-run plans for 1x8 (gpus, mpirun), 1x2 and node 1 of 2x8 (torchrun); 9 refusals")


if __name__ == "__main__":
    main()
