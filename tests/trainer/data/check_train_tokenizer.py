#!/usr/bin/python3
"""check_train_tokenizer.py: golf-data train-tokenizer on a few hundred documents (vocab 512), checked in
python3-sentencepiece: the model loads; ids 0-3 are <pad>, <s>, </s>, <unk>; 256 byte pieces follow; the
trainer spec stored in the model holds the challenge's recipe (bpe, coverage 0.999, byte_fallback, split_digits,
hard_vocab_limit false, nmt_nfkc, no dummy prefix); encoding behaves accordingly; SentencePiece's log stays out of
the terminal; and the excluded validation documents were never seen (a character that only they contain, thousands
of times, is absent from the vocabulary, and present when nothing is excluded). Exits 77 (skipped) without data.
"""
import argparse
import glob
import json
import os
import struct
import subprocess
import sys
import tempfile

import sentencepiece as spm

TRAIN_DOCS = 300
VAL_DOCS = 40  # lowered to a sixth of the documents when the (bundled) corpus is smaller
MARKER = "\ua66e"  # CYRILLIC LETTER MULTIOCULAR O: absent from FineWeb, planted only in the validation documents


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def read_varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def proto_fields(data):
    """Top-level fields of a protobuf message: {number: [raw values]} (varints as ints, fixed32 as bytes)."""
    fields, pos = {}, 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            size, pos = read_varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            fail("unexpected protobuf wire type %d" % wire)
        fields.setdefault(number, []).append(value)
    return fields


def find_corpus(source_dir):
    shared = os.environ.get("GOLF_SHARED_DATA", os.path.join(source_dir, "..", "shared", "data"))
    path = os.path.join(shared, "fineweb", "train.jsonl")
    if os.path.isfile(path):
        return path
    bundled = sorted(glob.glob(os.path.join(source_dir, "data", "*.jsonl")))
    return bundled[0] if bundled else None


def train(golf_data, corpus, prefix, exclude):
    run = subprocess.run([golf_data, "train-tokenizer", "--input", corpus, "--vocab-size", "512", "--out", prefix,
                          "--exclude-val-docs", str(exclude), "--threads", "4"], capture_output=True, text=True)
    if run.returncode != 0:
        fail("train-tokenizer failed:\n" + run.stdout + run.stderr)
    if "trainer_interface" in run.stderr or "trainer_interface" in run.stdout:
        fail("SentencePiece's log reached the terminal without --verbose:\n" + run.stderr[:2000])
    if not os.path.isfile(prefix + ".log") or "trainer_interface" not in open(prefix + ".log").read():
        fail("SentencePiece's log was not kept in %s.log" % prefix)
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--golf-data", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    source = find_corpus(args.source_dir)
    if source is None:
        print("SKIP: no corpus")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="golf_train_tok_") as work:
        corpus = os.path.join(work, "slice.jsonl")
        texts = []
        for line in open(source, encoding="utf-8"):
            if line.strip():
                texts.append(json.loads(line)["text"])
            if len(texts) == TRAIN_DOCS:
                break
        global VAL_DOCS
        VAL_DOCS = min(VAL_DOCS, len(texts) // 6)
        if VAL_DOCS < 1:
            fail("the corpus has only %d documents" % len(texts))
        with open(corpus, "w", encoding="utf-8") as f:
            for i, text in enumerate(texts):
                if i < VAL_DOCS:
                    text = (MARKER * 50 + " ") * 40 + text
                f.write(json.dumps({"text": text}) + "\n")

        sp = train(args.golf_data, corpus, os.path.join(work, "tok"), VAL_DOCS)
        if sp.vocab_size() != 512:
            fail("vocab size %d, expected 512" % sp.vocab_size())
        specials = [sp.id_to_piece(i) for i in range(4)]
        if specials != ["<pad>", "<s>", "</s>", "<unk>"] or sp.pad_id() != 0 or sp.bos_id() != 1 \
                or sp.eos_id() != 2 or sp.unk_id() != 3:
            fail("special ids: %s" % specials)
        if not all(sp.is_byte(i) and sp.id_to_piece(i) == "<0x%02X>" % (i - 4) for i in range(4, 260)):
            fail("ids 4-259 are not the 256 byte pieces")

        model = open(os.path.join(work, "tok.model"), "rb").read()
        top = proto_fields(model)
        trainer = proto_fields(top[2][0])
        normalizer = proto_fields(top[3][0])
        want = {3: 2, 35: 1, 25: 1, 33: 0, 40: 3, 41: 1, 42: 2, 43: 0}  # model_type bpe, byte_fallback, ...
        for number, value in want.items():
            if trainer.get(number, [None])[0] != value:
                fail("trainer spec field %d = %s, expected %s" % (number, trainer.get(number), value))
        coverage = struct.unpack("<f", trainer[10][0])[0]
        if abs(coverage - 0.999) > 1e-6:
            fail("character_coverage %s" % coverage)
        if normalizer[1][0] != b"nmt_nfkc" or normalizer.get(3, [1])[0] != 0:
            fail("normalizer %s, add_dummy_prefix %s" % (normalizer[1][0], normalizer.get(3)))

        # Behaviour: no dummy prefix, digits split, byte fallback, NFKC.
        pieces = sp.encode("hello 2024", out_type=str)
        if pieces[0].startswith("\u2581"):
            fail("a dummy prefix was added: %s" % pieces)
        if pieces[-4:] != ["2", "0", "2", "4"]:
            fail("digits are not split: %s" % pieces)
        if sp.encode("\U0001F600", out_type=str) != ["<0xF0>", "<0x9F>", "<0x98>", "<0x80>"]:
            fail("no byte fallback: %s" % sp.encode("\U0001F600", out_type=str))
        if sp.encode("\uff41") != sp.encode("a"):
            fail("fullwidth a is not NFKC-normalized")

        # The validation documents were never seen...
        if sp.piece_to_id(MARKER) != sp.unk_id():
            fail("the marker of the excluded validation documents is in the vocabulary: val documents were seen")
        # ...and the check would have caught it: without the exclusion the marker is a piece.
        seen = train(args.golf_data, corpus, os.path.join(work, "all"), 0)
        if seen.piece_to_id(MARKER) == seen.unk_id():
            fail("control run: the marker should be a piece when the validation documents are included")

        # Issue 13: an existing tokenizer is not replaced without --overwrite; a too small --vocab-size names
        # golf-data's own flag; an empty corpus is an error.
        cmd = [args.golf_data, "train-tokenizer", "--input", corpus, "--vocab-size", "512",
               "--out", os.path.join(work, "tok"), "--exclude-val-docs", str(VAL_DOCS)]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 2 or "tok.model exists: pass --overwrite to replace it" not in run.stderr:
            fail("an existing tokenizer: rc %d\n%s" % (run.returncode, run.stderr))
        if open(os.path.join(work, "tok.model"), "rb").read() != model:
            fail("an existing tokenizer was overwritten")
        run = subprocess.run(cmd[:-4] + ["--out", os.path.join(work, "small"), "--vocab-size", "300",
                              "--exclude-val-docs", "0"],
                             capture_output=True, text=True)
        if run.returncode != 1 or "pass --vocab-size" not in run.stderr or "character_coverage" in run.stderr:
            fail("--vocab-size 300: rc %d\n%s" % (run.returncode, run.stderr))
        empty = os.path.join(work, "empty.jsonl")
        open(empty, "w").close()
        run = subprocess.run([args.golf_data, "train-tokenizer", "--input", empty, "--vocab-size", "512",
                              "--out", os.path.join(work, "none")], capture_output=True, text=True)
        if run.returncode == 0:
            fail("an empty corpus exited 0")
        print("ok: train-tokenizer recipe, byte fallback, no dummy prefix, validation documents excluded, "
              "no overwrite, usable errors")


if __name__ == "__main__":
    main()
