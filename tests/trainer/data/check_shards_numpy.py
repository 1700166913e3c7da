#!/usr/bin/python3
"""check_shards_numpy.py: golf-data tokenize checked from outside with numpy and python3-sentencepiece.

Tokenizes a small JSONL slice (the first documents of $GOLF_SHARED_DATA/fineweb/train.jsonl, GOLF_SHARED_DATA
defaulting to <repo>/../shared/data, or the repo's bundled corpus in data/ when the shared folder is absent) and
checks: the shards read back with np.fromfile (header 20240520/1/num_tokens, file size 1024 + 2n); every document
equals [1] + sentencepiece's encode of its text, in order; the first --val-docs documents are in val shards and the
rest in train shards; the manifest's counts, sizes and SHA-256s; a plain-text input split into paragraphs; and
`golf-data inspect --verify` accepting the output and refusing a damaged shard. Exits 77 (skipped) without data.
"""
import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import sentencepiece as spm

SLICE_DOCS = 240
SHARD_TOKENS = 30000
VAL_DOCS = 40  # lowered to a sixth of the slice when the (bundled) corpus is smaller


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_shards(out_dir, split):
    """Shards of one split as (name, tokens) in sorted order, with the header and size checked the challenge's way."""
    shards = []
    for path in sorted(glob.glob(os.path.join(out_dir, "fineweb_%s_*.bin" % split))):
        header = np.fromfile(path, dtype="<i4", count=256)
        if header.size != 256 or header[0] != 20240520 or header[1] != 1 or header[3:].any():
            fail("%s: bad header %s" % (path, header[:4]))
        num_tokens = int(header[2])
        if os.path.getsize(path) != 1024 + 2 * num_tokens:
            fail("%s: size %d != 1024 + 2 * %d" % (path, os.path.getsize(path), num_tokens))
        tokens = np.fromfile(path, dtype="<u2", offset=1024)
        if tokens.size != num_tokens:
            fail("%s: short read" % path)
        shards.append((os.path.basename(path), tokens))
    return shards


def find_corpus(source_dir):
    shared = os.environ.get("GOLF_SHARED_DATA", os.path.join(source_dir, "..", "shared", "data"))
    shared_corpus = os.path.join(shared, "fineweb", "train.jsonl")
    if os.path.isfile(shared_corpus):
        return shared, shared_corpus
    bundled = sorted(glob.glob(os.path.join(source_dir, "data", "*.jsonl")))
    return None, (bundled[0] if bundled else None)


def tokenizers_to_check(source_dir, shared):
    models = [os.path.join(source_dir, "data", "tokenizer_sp1024.model")]
    if shared:
        # Byte fallback (8192), and no byte fallback at all (1024: unknown characters become <unk>).
        for name in ("fineweb_8192_bpe.model", "fineweb_1024_bpe.model"):
            path = os.path.join(shared, "tokenizers", name)
            if os.path.isfile(path):
                models.append(path)
    return models


def check_tokenize(golf_data, model, corpus_path, texts, work):
    out_dir = os.path.join(work, "out_" + os.path.basename(model))
    run = subprocess.run([golf_data, "tokenize", "--tokenizer", model, "--input", corpus_path, "--out", out_dir,
                          "--val-docs", str(VAL_DOCS), "--shard-tokens", str(SHARD_TOKENS), "--threads", "3"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        fail("golf-data tokenize failed:\n" + run.stdout + run.stderr)
    sp = spm.SentencePieceProcessor(model_file=model)
    expected = [[1] + sp.encode(text) for text in texts]

    manifest = json.load(open(os.path.join(out_dir, "manifest.json")))
    for split, docs in (("val", expected[:VAL_DOCS]), ("train", expected[VAL_DOCS:])):
        shards = read_shards(out_dir, split)
        stream = np.concatenate([t for _, t in shards]) if shards else np.zeros(0, np.uint16)
        want = np.array([t for doc in docs for t in doc], dtype=np.uint16)
        if stream.size != want.size or not np.array_equal(stream, want):
            bad = next((i for i in range(min(stream.size, want.size)) if stream[i] != want[i]), None)
            fail("%s %s: tokens differ from [1] + sp.encode(text) (sizes %d vs %d, first difference at %s)"
                 % (os.path.basename(model), split, stream.size, want.size, bad))
        # Documents start exactly at the BOS tokens (BOS never occurs inside encode's output).
        if int((stream == 1).sum()) != len(docs):
            fail("%s %s: %d BOS tokens for %d documents" % (model, split, int((stream == 1).sum()), len(docs)))
        record = manifest["splits"][split]
        if record["documents"] != len(docs) or record["tokens"] != stream.size:
            fail("manifest %s counts %s, expected %d documents / %d tokens" % (split, record, len(docs), stream.size))
        split_texts = texts[:VAL_DOCS] if split == "val" else texts[VAL_DOCS:]
        if record["bytes"] != sum(len(t.encode("utf-8")) for t in split_texts):
            fail("manifest %s bytes %d" % (split, record["bytes"]))
        names = [n for n, _ in shards]
        if [s["name"] for s in record["shards"]] != names:
            fail("manifest %s shard names %s vs files %s" % (split, record["shards"], names))
        for s, (name, tokens) in zip(record["shards"], shards):
            if s["tokens"] != tokens.size or s["sha256"] != sha256_file(os.path.join(out_dir, name)):
                fail("manifest entry %s does not match the file" % s)
            if name != names[-1] and tokens.size != SHARD_TOKENS:
                fail("%s holds %d tokens; every shard but the last should hold %d" % (name, tokens.size, SHARD_TOKENS))
    if manifest["inputs"][0]["sha256"] != sha256_file(corpus_path):
        fail("manifest input sha256")
    if manifest["inputs"][0]["bytes"] != os.path.getsize(corpus_path):
        fail("manifest input bytes")
    if manifest["tokenizer"]["sha256"] != sha256_file(model) or manifest["tokenizer"]["bos_id"] != 1:
        fail("manifest tokenizer record %s" % manifest["tokenizer"])
    return out_dir


def check_plain_text(golf_data, model, texts, work):
    # Paragraph blocks: runs of non-blank lines, joined by "\n"; a trailing "\r" is dropped from each line.
    paragraphs = []
    for text in texts[:30]:
        lines = [l.rstrip("\r") for l in text.replace("\r\n", "\n").split("\n")]
        lines = [l for l in lines if l.strip(" \t\r\f\v")]
        if lines:
            paragraphs.append("\n".join(lines))
    path = os.path.join(work, "paragraphs.txt")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\r\n\r\n".join(p.replace("\n", "\r\n") for p in paragraphs) + "\n")
    out_dir = os.path.join(work, "out_text")
    run = subprocess.run([golf_data, "tokenize", "--tokenizer", model, "--input", path, "--out", out_dir,
                          "--val-docs", "3"], capture_output=True, text=True)
    if run.returncode != 0:
        fail("golf-data tokenize (text) failed:\n" + run.stderr)
    sp = spm.SentencePieceProcessor(model_file=model)
    stream = np.concatenate([t for _, t in read_shards(out_dir, "val") + read_shards(out_dir, "train")])
    want = np.array([t for p in paragraphs for t in [1] + sp.encode(p)], dtype=np.uint16)
    if not np.array_equal(stream, want):
        fail("plain-text paragraphs differ from [1] + sp.encode(paragraph)")


def check_inspect(golf_data, out_dir):
    run = subprocess.run([golf_data, "inspect", out_dir, "--verify"], capture_output=True, text=True)
    if run.returncode != 0 or "verify: every shard matches" not in run.stdout:
        fail("inspect --verify refused good shards:\n" + run.stdout + run.stderr)
    shard = sorted(glob.glob(os.path.join(out_dir, "fineweb_train_*.bin")))[0]
    with open(shard, "r+b") as f:
        f.seek(1024 + 10)
        f.write(b"\xff\xfe")
    run = subprocess.run([golf_data, "inspect", out_dir, "--verify"], capture_output=True, text=True)
    if run.returncode == 0 or "SHA-256 DIFFERS" not in run.stdout:
        fail("inspect --verify accepted a damaged shard:\n" + run.stdout)
    with open(shard, "ab") as f:
        f.write(b"x")
    run = subprocess.run([golf_data, "inspect", shard], capture_output=True, text=True)
    if run.returncode == 0 or "expected" not in run.stderr and "should be" not in run.stderr:
        fail("inspect accepted a shard of the wrong size:\n" + run.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--golf-data", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    shared, corpus = find_corpus(args.source_dir)
    if corpus is None:
        print("SKIP: no corpus (neither $GOLF_SHARED_DATA/fineweb/train.jsonl nor data/*.jsonl)")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="golf_data_numpy_") as work:
        slice_path = os.path.join(work, "slice.jsonl")
        texts = []
        with open(corpus, encoding="utf-8") as src, open(slice_path, "w", encoding="utf-8") as dst:
            for line in src:
                if len(texts) == SLICE_DOCS:
                    break
                if line.strip():
                    texts.append(json.loads(line)["text"])
                    dst.write(line)
        global VAL_DOCS
        VAL_DOCS = min(VAL_DOCS, len(texts) // 6)
        if VAL_DOCS < 1:
            fail("the corpus slice has only %d documents" % len(texts))
        models = tokenizers_to_check(args.source_dir, shared)
        out_dir = None
        for model in models:
            out_dir = check_tokenize(args.golf_data, model, slice_path, texts, work)
            print("ok: %s: %d documents identical to sentencepiece" % (os.path.basename(model), len(texts)))
        check_plain_text(args.golf_data, models[0], texts, work)
        print("ok: plain-text paragraphs")
        check_inspect(args.golf_data, out_dir)
        print("ok: inspect --verify")


if __name__ == "__main__":
    main()
