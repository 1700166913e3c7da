#!/usr/bin/python3
"""train_check_util.py: what the golf-train checks share (check_golf_train.py: one process; check_golf_train_ranks.py:
several): tiny shards made by golf-data from the repo's bundled FineWeb slices, running golf-train, reading its
metrics.jsonl and safetensors files without numpy, and the checks' failure and skip conventions."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check(cond, message):
    if not cond:
        fail(message)


class Env:
    def __init__(self, args):
        self.train = os.path.abspath(args.golf_train)  # absolute: some checks run it from other directories
        self.data_tool = os.path.abspath(args.golf_data)
        self.source = args.source_dir
        self.tmp = tempfile.mkdtemp(prefix="golf_train_check_")
        self.tokenizer = os.path.join(self.source, "data", "tokenizer_sp1024.model")

    def shards(self, name="shards", max_docs=160, val_docs=20):
        """Tiny shards: the first val_docs documents of the val slice, then train documents up to max_docs."""
        out = os.path.join(self.tmp, name)
        if os.path.isdir(out):
            return out
        cmd = [self.data_tool, "tokenize", "--tokenizer", self.tokenizer,
               "--input", os.path.join(self.source, "data", "fineweb_val_slice.jsonl"),
               "--input", os.path.join(self.source, "data", "fineweb_train_slice.jsonl"),
               "--val-docs", str(val_docs), "--max-docs", str(max_docs), "--out", out, "--threads", "1"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        check(r.returncode == 0, "golf-data tokenize failed: " + r.stderr)
        return out

    def run(self, *flags, expect=0, env_extra=None):
        cmd = [self.train] + [str(f) for f in flags]
        env = dict(os.environ, OMP_WAIT_POLICY="passive")
        if env_extra:
            env.update(env_extra)
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if expect is not None and r.returncode != expect:
            fail("%s\nexited %d, expected %d\nstdout:\n%s\nstderr:\n%s" %
                 (" ".join(cmd), r.returncode, expect, r.stdout[-3000:], r.stderr[-3000:]))
        return r

    def tiny(self, out, *extra):
        """The common tiny run: 2 x 64, sequence 64, 1024 tokens per step, one thread, no export."""
        return ["--preset", "tiny", "--data", self.shards(), "--tokenizer", self.tokenizer, "--out", out,
                "--threads", "1", "--export", "0", "--val-batch-tokens", "2048"] + list(extra)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def read_metrics(out):
    events = []
    with open(os.path.join(out, "metrics.jsonl")) as f:
        for line in f:
            events.append(json.loads(line))
    return events


def read_metrics_safe(path):
    events = []
    with open(path) as f:
        for line in f:
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
    return events


def train_losses(events):
    return [(e["step"], e["train_loss"], e["lr_mul"]) for e in events if e["event"] == "train"]


def val_losses(events):
    return [(e["step"], e["val_loss"], e["val_bpb"]) for e in events if e["event"] == "val"]


def safetensors_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))


def checkpoint_hash(out, step):
    path = os.path.join(out, "checkpoints", "step_%08d.safetensors" % step)
    check(os.path.isfile(path), "missing checkpoint " + path)
    return safetensors_header(path)["__metadata__"]["golf.content_sha256"]


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def read_params(path):
    """final.safetensors -> {name: list of floats} (numpy-free, the files are small)."""
    header = safetensors_header(path)
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        f.seek(8 + n)
        blob = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        out[name] = struct.unpack("<%df" % ((b - a) // 4), blob[a:b])
    return out


def read_tensors(path):
    """Every F32 tensor of a safetensors file -> {name: bytes}."""
    header = safetensors_header(path)
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        f.seek(8 + n)
        blob = f.read()
    return {name: blob[t["data_offsets"][0]:t["data_offsets"][1]] for name, t in header.items()
            if name != "__metadata__"}


def read_f32(path, prefix):
    """The F32 tensors of a safetensors file whose names start with prefix -> {name: tuple of floats}."""
    return {name: struct.unpack("<%df" % (len(b) // 4), b) for name, b in read_tensors(path).items()
            if name.startswith(prefix)}


def max_rel_diff(a, b):
    """max |a - b| over all tensors, relative to max |a| (at least 1e-12), and that scale."""
    worst, scale = 0.0, 1e-12
    check(sorted(a) == sorted(b), "different tensors: %s vs %s" % (sorted(a)[:4], sorted(b)[:4]))
    for name in a:
        for x, y in zip(a[name], b[name]):
            worst = max(worst, abs(x - y))
            scale = max(scale, abs(x))
    return worst / scale, scale


def expect_error(env, flags, rc, text):
    r = env.run(*flags, expect=rc)
    check(text in r.stderr, "expected %r in stderr of %s:\n%s" % (text, flags, r.stderr))
