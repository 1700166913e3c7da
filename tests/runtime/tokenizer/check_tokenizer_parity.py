#!/usr/bin/python3
"""check_tokenizer_parity.py: golf-tokenize must give exactly SentencePiece's ids, decoded text and normalized text.

usage: /usr/bin/python3 check_tokenizer_parity.py GOLF_TOKENIZE [--quick]

Compares golf-tokenize (our tokenizer, no SentencePiece inside) with Debian's python3-sentencepiece on:
  - the bundled data/tokenizer_sp1024.model, always;
  - every $GOLF_SHARED_DATA/tokenizers/*.model (default <repo>/../shared/data), over all of fineweb/val.jsonl,
    the first ~2 MB of gutenberg/books.txt cut into paragraphs, misc/tinyshakespeare.txt cut into paragraphs;
  - hand-written nasty strings and seeded random byte/character strings, for every model;
  - variants of the bundled model and one shared model with other normalizer / trainer flags, user-defined and
    unused pieces (written here by appending protobuf fields, which protobuf merges), on a smaller set;
  - small models trained here from FineWeb training text with options the shared models lack (whitespace as
    suffix, no split by whitespace, whitespace-only pieces, dummy prefix, user-defined symbols);
  - models that both sides must refuse to load.
golf-tokenize runs once per model and corpus (all documents in one hex file). Exit 0: all identical; 1: a
mismatch (document index and first differing position are printed); 77 (skipped): the shared data folder is
absent, after the bundled-model checks passed.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_inputs import fineweb_docs, nasty_strings, paragraphs, random_strings  # noqa: E402
from spm_model_edits import broken_variants, normalizer_flags, variants  # noqa: E402

try:
    import sentencepiece as spm
except ImportError:
    print("SKIP: python3-sentencepiece is not installed for", sys.executable)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
BUNDLED_MODEL = os.path.join(REPO, "data", "tokenizer_sp1024.model")
SPACE = "\u2581"


class Checker:
    def __init__(self, exe, workdir):
        self.exe = exe
        self.workdir = workdir
        self.failures = 0
        self.kinds = {}  # label -> mismatches
        self.rows = []  # (model, corpus, documents, tokens, mismatches)

    def run(self, model_path, args, lines):
        path = os.path.join(self.workdir, "input.txt")
        with open(path, "w", encoding="ascii") as f:
            f.write("".join(line + "\n" for line in lines))
        proc = subprocess.run([self.exe, "--model", model_path] + args + [path], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise RuntimeError("golf-tokenize %s failed (%d): %s" % (" ".join(args), proc.returncode,
                                                                     proc.stderr.decode(errors="replace")))
        out = proc.stdout.decode("ascii").split("\n")
        if out and out[-1] == "":
            out.pop()
        if len(out) != len(lines):
            raise RuntimeError("golf-tokenize printed %d lines for %d inputs" % (len(out), len(lines)))
        return out

    def report(self, label, index, ours, theirs, docs):
        self.failures += 1
        self.kinds[label] = self.kinds.get(label, 0) + 1
        if self.failures > 20:
            return
        first = next((k for k in range(min(len(ours), len(theirs))) if ours[k] != theirs[k]),
                     min(len(ours), len(theirs)))
        print("MISMATCH %s: document %d, first difference at position %d" % (label, index, first))
        print("  text:   %r" % docs[index][:200])
        print("  golf:   %r" % (ours[max(0, first - 3):first + 8],))
        print("  spm:    %r" % (theirs[max(0, first - 3):first + 8],))

    def check(self, model_name, model_path, sp, corpus, docs, normalize=True):
        label = "%s / %s" % (model_name, corpus)
        with open(model_path, "rb") as f:
            flags = normalizer_flags(f.read())
        strips_leading_space = flags["add_dummy_prefix"] or flags["remove_extra_whitespaces"]
        hex_docs = [d.hex() for d in docs]
        # encode
        ours = [[int(t) for t in line.split()] for line in self.run(model_path, ["--hex"], hex_docs)]
        theirs = sp.encode(docs, num_threads=2)
        mismatches = 0
        for i, (a, b) in enumerate(zip(ours, theirs)):
            if a != b:
                mismatches += 1
                self.report(label + " encode", i, a, b, docs)
        # decode (SentencePiece's ids through both decoders)
        ours_text = [bytes.fromhex(h) for h in self.run(model_path, ["--decode", "--hex"],
                                                        [" ".join(map(str, t)) for t in theirs])]
        theirs_text = [t.encode("utf-8") for t in sp.decode(theirs, num_threads=2)]
        for i, (a, b) in enumerate(zip(ours_text, theirs_text)):
            if a != b:
                mismatches += 1
                self.report(label + " decode", i, a, b, docs)
        # normalize (what the pieces spell) and the round trip decode(encode(x)) when no unknown id appears
        if normalize:
            ours_norm = [bytes.fromhex(h) for h in self.run(model_path, ["--normalize", "--hex"], hex_docs)]
            unk = sp.unk_id()
            # What SentencePiece's pieces spell: each id's piece, byte pieces as their byte. A run of unknown
            # characters hides behind one unknown id, so those documents ask SentencePiece for the pieces.
            spelling = [bytes([int(sp.id_to_piece(k)[3:5], 16)]) if sp.is_byte(k) else sp.id_to_piece(k).encode()
                        for k in range(sp.get_piece_size())]
            # (Large corpora skip those documents: re-encoding them would double SentencePiece's share of the time.)
            with_unk = [i for i, t in enumerate(theirs) if unk in t]
            if len(docs) > 2000:
                with_unk = []
            unk_pieces = dict(zip(with_unk, sp.encode([docs[i] for i in with_unk], out_type=str))) if with_unk else {}
            for i, ids in enumerate(theirs):
                if unk in ids and i not in unk_pieces:
                    continue
                if i in unk_pieces:
                    spelled = b"".join(spelling[sp.piece_to_id(p)] if sp.is_byte(sp.piece_to_id(p)) else p
                                       for p in unk_pieces[i])
                else:
                    spelled = b"".join(spelling[k] for k in ids)
                if ours_norm[i] != spelled:
                    mismatches += 1
                    self.report(label + " normalize", i, ours_norm[i], spelled, docs)
                elif unk not in theirs[i] and not spelled.startswith(SPACE.encode() * 2):
                    # SentencePiece guarantees decode(encode(x)) == the normalized text with "▁" as spaces, less
                    # the leading one when it only marks the dummy prefix or stripped whitespace.
                    expected = spelled.decode("utf-8")
                    if strips_leading_space and expected.startswith(SPACE):
                        expected = expected[1:]
                    expected = expected.replace(SPACE, " ")
                    if ours_text[i] != expected.encode("utf-8"):
                        mismatches += 1
                        self.report(label + " round trip", i, ours_text[i], expected.encode(), docs)
        tokens = sum(len(t) for t in theirs)
        self.rows.append((model_name, corpus, len(docs), tokens, mismatches))
        return mismatches

    def check_refused(self, model_name, model_path, model_bytes):
        try:
            spm.SentencePieceProcessor(model_proto=model_bytes)
            sp_refuses = False
        except Exception:
            sp_refuses = True
        proc = subprocess.run([self.exe, "--model", model_path, os.devnull], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        ok = sp_refuses and proc.returncode != 0
        self.rows.append((model_name, "refused by both", 0, 0, 0 if ok else 1))
        if not ok:
            self.failures += 1
            print("MISMATCH %s: sentencepiece %s, golf-tokenize exit %d %s" % (
                model_name, "refuses" if sp_refuses else "loads", proc.returncode,
                proc.stderr.decode(errors="replace").strip()))


def check_jsonl_input(checker, model_path, jsonl_path):
    """golf-tokenize --jsonl on the file itself gives the ids SentencePiece gives for each "text"."""
    sp = spm.SentencePieceProcessor(model_file=model_path)
    with open(jsonl_path, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    proc = subprocess.run([checker.exe, "--model", model_path, "--jsonl", jsonl_path], stdout=subprocess.PIPE)
    ours = [[int(t) for t in line.split()] for line in proc.stdout.decode().split("\n")[:len(texts)]]
    theirs = sp.encode(texts, num_threads=2)
    bad = sum(1 for a, b in zip(ours, theirs) if a != b) + abs(len(ours) - len(theirs)) + (proc.returncode != 0)
    checker.rows.append(("tokenizer_sp1024(bundled)", "val.jsonl via --jsonl", len(texts),
                         sum(map(len, theirs)), bad))
    if bad:
        checker.failures += 1
        print("MISMATCH --jsonl input: %d documents differ" % bad)


# Models trained here (in memory, from FineWeb training text) to cover options the shared models do not use:
# whitespace as suffix (its word-splitting path), pieces spanning spaces, whitespace-only pieces, a dummy prefix.
TRAINED_VARIANTS = [
    ("trained_suffix", dict(treat_whitespace_as_suffix=True)),
    ("trained_no_split_by_whitespace", dict(split_by_whitespace=False)),
    ("trained_whitespace_pieces", dict(allow_whitespace_only_pieces=True, remove_extra_whitespaces=False)),
    ("trained_dummy_prefix_bytes", dict(add_dummy_prefix=True, byte_fallback=True, split_digits=True,
                                        user_defined_symbols=["<mask>", "@@"])),
]


def check_trained_variants(checker, train_jsonl, docs):
    import io
    texts = []
    with open(train_jsonl, encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if len(texts) == 200:
                break
    for name, options in TRAINED_VARIANTS:
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(sentence_iterator=iter(texts), model_writer=model, model_type="bpe",
                                       vocab_size=600, normalization_rule_name="nmt_nfkc", minloglevel=2, **options)
        path = os.path.join(checker.workdir, name + ".model")
        with open(path, "wb") as f:
            f.write(model.getvalue())
        checker.check(name, path, spm.SentencePieceProcessor(model_file=path), "nasty+random+sample", docs)


def check_model(checker, name, path, corpora, with_variants, quick_docs):
    with open(path, "rb") as f:
        model_bytes = f.read()
    sp = spm.SentencePieceProcessor(model_file=path)
    for corpus, docs in corpora:
        checker.check(name, path, sp, corpus, docs)
    if not with_variants:
        return
    for variant, data in variants(model_bytes, sp):
        variant_path = os.path.join(checker.workdir, "variant.model")
        with open(variant_path, "wb") as f:
            f.write(data)
        vsp = spm.SentencePieceProcessor(model_proto=data)
        checker.check(name + "+" + variant, variant_path, vsp, "nasty+random+sample", quick_docs)
    for variant, data in broken_variants(model_bytes, sp):
        variant_path = os.path.join(checker.workdir, "broken.model")
        with open(variant_path, "wb") as f:
            f.write(data)
        checker.check_refused(name + "+" + variant, variant_path, data)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    exe = os.path.abspath(sys.argv[1])
    quick = "--quick" in sys.argv[2:]
    shared = os.environ.get("GOLF_SHARED_DATA", os.path.join(REPO, "..", "shared", "data"))
    have_shared = os.path.isdir(os.path.join(shared, "tokenizers"))
    started = time.time()

    nasty = nasty_strings() + random_strings(seed=1, count=300)
    corpora = [("nasty+random", nasty)]
    sample = []
    if have_shared:
        val = fineweb_docs(os.path.join(shared, "fineweb", "val.jsonl"))
        gutenberg = paragraphs(os.path.join(shared, "gutenberg", "books.txt"), 500_000 if quick else 2_000_000)
        shakespeare = paragraphs(os.path.join(shared, "misc", "tinyshakespeare.txt"), 300_000 if quick else 2_000_000)
        corpora += [("fineweb val", val[:100] if quick else val), ("gutenberg 2MB", gutenberg),
                    ("tinyshakespeare", shakespeare)]
        sample = val[:30] + gutenberg[:100]
    quick_docs = nasty + sample

    with tempfile.TemporaryDirectory() as workdir:
        checker = Checker(exe, workdir)
        check_model(checker, "tokenizer_sp1024(bundled)", BUNDLED_MODEL, corpora, True, quick_docs)
        if have_shared:
            check_jsonl_input(checker, BUNDLED_MODEL, os.path.join(shared, "fineweb", "val.jsonl"))
            check_trained_variants(checker, os.path.join(shared, "fineweb", "train.jsonl"), quick_docs)
        if have_shared:
            models = sorted(glob.glob(os.path.join(shared, "tokenizers", "*.model")))
            for i, path in enumerate(models):
                name = os.path.splitext(os.path.basename(path))[0]
                check_model(checker, name, path, corpora, i == 0, quick_docs)

    print("%-48s %-20s %9s %10s %10s" % ("model", "corpus", "documents", "tokens", "mismatches"))
    for row in checker.rows:
        print("%-48s %-20s %9d %10d %10d" % row)
    print("%.1f s" % (time.time() - started))
    if checker.failures:
        for label, count in sorted(checker.kinds.items()):
            print("  %6d  %s" % (count, label))
        print("FAIL: %d mismatches" % checker.failures)
        return 1
    if not have_shared:
        print("SKIP: %s is absent; only the bundled tokenizer was checked" % os.path.join(shared, "tokenizers"))
        return 77
    print("OK: golf-tokenize matches sentencepiece on every document")
    return 0


if __name__ == "__main__":
    sys.exit(main())
