#!/usr/bin/env python3
"""check_multi_session.py GOLF_EVAL MODEL.golf: golf-eval --devices (several sessions in one process, the windows of
each forward pass split between them) gives exactly the totals of one session, in every scoring mode; here with CPU
sessions (a GPU machine does the same with --devices 0,1). Also: --devices' usage errors exit 2 naming the flag."""
import json
import random
import subprocess
import sys
import tempfile

failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    failures += 0 if cond else 1


def run(*args):
    return subprocess.run([golf_eval, "-m", model] + list(args), capture_output=True, text=True)


golf_eval, model = sys.argv[1], sys.argv[2]
rng = random.Random(3)
words = "the of and a to in is was for on that with by it as at from his her they".split()
with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    for _ in range(6):  # several documents: doc-isolated mode has segments of different lengths
        f.write(json.dumps({"text": " ".join(rng.choice(words) for _ in range(rng.randint(50, 400)))}) + "\n")
    docs = f.name

for mode in (["--window", "64"], ["--window", "64", "--stride", "16"], ["--window", "48", "--doc-isolated"],
             ["--window", "64", "--stride", "24", "--doc-isolated"]):
    one = run("--jsonl", docs, "--threads", "1", "--json", *mode)
    many = run("--jsonl", docs, "--threads", "1", "--json", "--devices", "cpu,cpu,cpu", *mode)
    check(one.returncode == 0 and many.returncode == 0, "%s: both ran (%s%s)" % (mode, one.stderr, many.stderr))
    if one.returncode or many.returncode:
        continue
    a, b = json.loads(one.stdout), json.loads(many.stdout)
    for key in ("total_nats", "tokens", "bytes", "val_bpb"):
        check(a[key] == b[key], "%s: %s %r == %r" % (mode, key, a[key], b[key]))
    check(b["device"] == "cpu,cpu,cpu", "%s: device %s" % (mode, b["device"]))

for bad, words_ in ((["--devices", "0,x"], "--devices"), (["--device", "cuda", "--devices", "0"], "not both"),
                    (["--device", "tpu"], "--device")):
    r = run("--jsonl", docs, *bad)
    check(r.returncode == 2 and words_ in r.stderr, "%s: exit 2 naming %s (%d: %s)" % (bad, words_, r.returncode,
                                                                                       r.stderr.strip()))
sys.exit(1 if failures else 0)
