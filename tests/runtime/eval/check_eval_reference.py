"""check_eval_reference.py: golf-eval's BPB equals the PyTorch reference's for the same windows.

A random golf-gpt model (tests/reference/golf_gpt.py, every parameter randomized, evaluated in float64) is packed as
an f32 .golf. Documents from data/fineweb_val_slice.jsonl are tokenized with python3-sentencepiece (the runtime's
tokenizer gives the same ids; tests/runtime/tokenizer proves it) into BOS + ids per document. The reference scores
the stream with the same window plans as the challenge (non-overlapping windows; sliding windows, challenge.md §3.4;
document-isolated), summing NLL in float64, and counts bytes two ways: the documents' raw UTF-8 (the ground truth)
and the challenge's per-token rule (train_gpt.py's build_sentencepiece_luts). golf-eval --json must agree:
  total nats and val_bpb within 1e-5 relative; token and byte counts exactly.
Shard mode: the same stream written as a challenge shard, scored the challenge's way (trimmed to whole windows,
bytes by the per-token rule) must agree too.

Usage: /usr/bin/python3 check_eval_reference.py GOLF_EVAL GOLF_PACK SOURCE_ROOT
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import sentencepiece as spm
import torch

GOLF_EVAL, GOLF_PACK, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(SRC, "tests", "reference"))
import golf_gpt  # noqa: E402

TOKENIZER = os.path.join(SRC, "data", "tokenizer_sp1024.model")
VAL = os.path.join(SRC, "data", "fineweb_val_slice.jsonl")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def byte_luts(sp, vocab):
    """train_gpt.py build_sentencepiece_luts, verbatim in meaning."""
    base = np.zeros(vocab, dtype=np.int64)
    space = np.zeros(vocab, dtype=bool)
    boundary = np.ones(vocab, dtype=bool)
    for i in range(sp.vocab_size()):
        if sp.is_control(i) or sp.is_unknown(i) or sp.is_unused(i):
            continue
        boundary[i] = False
        if sp.is_byte(i):
            base[i] = 1
            continue
        piece = sp.id_to_piece(i)
        if piece.startswith("\u2581"):
            space[i] = True
            piece = piece[1:]
        base[i] = len(piece.encode("utf-8"))
    return base, space, boundary


def windows(n, L, stride):
    """(start, length, score_from) for the n-1 targets of a stream of n tokens (runtime/eval/windows.cpp)."""
    T = n - 1
    if stride == 0 or stride == L:
        return [(s, min(L, T - s), 0) for s in range(0, T, L)]
    ctx, out = L - stride, []
    for ws in range(0, T, stride):
        if ws > 0 and ws + ctx >= T:
            break
        out.append((ws, min(ws + L, T) - ws, 0 if ws == 0 else ctx))
    return out


def score(model, stream, L, stride, luts, doc_isolated=False):
    base, space, boundary = luts
    segments = [(0, len(stream))]
    if doc_isolated:
        bos = [i for i, t in enumerate(stream) if t == 1 and i < len(stream) - 1] + [len(stream) - 1]
        segments = [(a, b + 1) for a, b in zip(bos[:-1], bos[1:])]
    nats, tokens, rule_bytes = 0.0, 0, 0
    with torch.no_grad():
        for a, b in segments:
            seg = stream[a:b]
            for s, length, s0 in windows(len(seg), L, stride):
                x = torch.tensor(seg[s:s + length])[None]
                y = torch.tensor(seg[s + 1:s + length + 1])[None]
                nll = model.token_nll(x, y)[0].double()
                nats += float(nll[s0:].sum())
                tokens += length - s0
                for p in range(s0, length):
                    prev, tgt = seg[s + p], seg[s + p + 1]
                    rule_bytes += int(base[tgt]) + int(space[tgt] and not boundary[prev])
    return nats, tokens, rule_bytes


def golf_eval(args):
    r = subprocess.run([GOLF_EVAL, "--json", "--threads", "2"] + args, check=True, capture_output=True, text=True)
    return json.loads(r.stdout)


def close(a, b, tol=1e-5):
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-12)


def main():
    cfg = golf_gpt.make_config(vocab_size=1024, model_dim=64, num_layers=3, num_heads=4, num_kv_heads=2, mlp_hidden=128,
                               max_seq_len=64)
    torch.manual_seed(5)
    model = golf_gpt.GolfGPT(cfg, dtype=torch.float64)
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "tok_emb.weight":
                p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.3)
            elif p.dim() == 2 and "blocks" in name:
                p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) / p.shape[1] ** 0.5)
            else:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g, dtype=torch.float64))
            p.copy_(p.float().double())  # exactly what the f32 file will hold
    sp = spm.SentencePieceProcessor(model_file=TOKENIZER)
    docs = [json.loads(line)["text"] for line in open(VAL, encoding="utf-8")][:6]
    # Text that NFKC normalization and whitespace collapsing change: the per-token rule counts fewer bytes here.
    docs.append("\uff26\uff55\uff4c\uff4c-width  text,  double  spaces and a \ufb01ne ligature.")
    stream = []
    for d in docs:
        stream += [1] + sp.encode(d)
    raw_bytes = sum(len(d.encode("utf-8")) for d in docs)
    luts = byte_luts(sp, 1024)

    with tempfile.TemporaryDirectory() as tmp:
        golf_gpt.write_tensors(os.path.join(tmp, "w.safetensors"),
                               {k: v.detach().float() for k, v in model.named_parameters() if v.numel() > 0})
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(cfg, f)
        golf = os.path.join(tmp, "m.golf")
        subprocess.run([GOLF_PACK, "--weights", os.path.join(tmp, "w.safetensors"), "--config",
                        os.path.join(tmp, "config.json"), "--tokenizer", TOKENIZER, "-o", golf, "-q",
                        "--quant", "*=f32"], check=True, stdout=subprocess.DEVNULL)
        docs_path = os.path.join(tmp, "docs.jsonl")
        with open(docs_path, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"text": d}) + "\n")

        for L, stride, iso in [(64, 0, False), (64, 16, False), (64, 0, True), (48, 12, True)]:
            label = f"text L={L} stride={stride} doc_isolated={iso}"
            nats, tokens, rule_bytes = score(model, stream, L, stride, luts, iso)
            args = ["-m", golf, "--jsonl", docs_path, "--window", str(L), "--stride", str(stride)]
            got = golf_eval(args + (["--doc-isolated"] if iso else []))
            ref_bpb = nats / (math.log(2) * raw_bytes)
            check(got["tokens"] == tokens == len(stream) - 1, f"{label}: targets {got['tokens']} == {tokens}")
            check(got["bytes"] == raw_bytes, f"{label}: raw bytes {got['bytes']} == {raw_bytes}")
            check(got["bytes_challenge_rule"] == rule_bytes < raw_bytes,
                  f"{label}: challenge-rule bytes {got['bytes_challenge_rule']} == {rule_bytes} < raw {raw_bytes}")
            check(close(got["total_nats"], nats), f"{label}: nats {got['total_nats']:.6f} vs {nats:.6f}")
            check(close(got["val_bpb"], ref_bpb), f"{label}: val_bpb {got['val_bpb']:.8f} vs {ref_bpb:.8f}")

        # A JSONL file given as --text is scored as one raw document (as asked) but warned about.
        r = subprocess.run([GOLF_EVAL, "--json", "-m", golf, "--text", docs_path], capture_output=True, text=True)
        check(r.returncode == 0 and "looks like JSONL" in r.stderr and f"--jsonl {docs_path}" in r.stderr,
              f"--text on a JSONL file warns and names --jsonl (stderr: {r.stderr.strip()[:200]})")

        # Shard mode, the challenge's accounting: trim to whole windows, per-token byte rule.
        L = 64
        shard = os.path.join(tmp, "fineweb_val_000000.bin")
        header = np.zeros(256, dtype="<i4")
        header[0], header[1], header[2] = 20240520, 1, len(stream)
        with open(shard, "wb") as f:
            f.write(header.tobytes())
            f.write(np.asarray(stream, dtype="<u2").tobytes())
        usable = (len(stream) - 1) // L * L
        trimmed = stream[:usable + 1]
        nats, tokens, rule_bytes = score(model, trimmed, L, 0, luts)
        got = golf_eval(["-m", golf, "--shards", tmp, "--window", str(L)])
        ref_bpb = nats / (math.log(2) * rule_bytes)
        check(got["tokens"] == tokens == usable, f"shards: targets {got['tokens']} == {usable}")
        check(got["bytes"] == rule_bytes, f"shards: bytes {got['bytes']} == {rule_bytes}")
        check(close(got["val_bpb"], ref_bpb), f"shards: val_bpb {got['val_bpb']:.8f} vs {ref_bpb:.8f}")

    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("eval_reference: all checks passed")


main()
