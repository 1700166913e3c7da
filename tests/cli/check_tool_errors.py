#!/usr/bin/env python3
"""check_tool_errors.py: every golf tool at its edges, as issue 13 found them, run as a new user would.

usage: check_tool_errors.py SOURCE_DIR MODEL.golf NAME=PATH...   (NAME: golf-eval, golf-complete, ...)

- --help exits 0 and prints a usage line, in every tool;
- a usage error (a bad number, a value out of range, a missing value, an unknown option, two inputs where one is
  read) exits 2 with exactly one line on stderr that names the flag;
- a directory where a file belongs is an error (exit 1), never an abort;
- golf-eval --jsonl: a directory, invalid UTF-8 say so; --max-tokens divides by exactly the bytes it scored.
"""
import json
import os
import subprocess
import sys
import tempfile


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def run(cmd, stdin=None, cwd=None):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, input=stdin, cwd=cwd,
                          env=dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="passive"))


def expect_usage_error(cmd, text):
    r = run(cmd)
    lines = r.stderr.splitlines()
    if r.returncode != 2 or len(lines) != 1 or text not in lines[0]:
        fail("%s\nexpected exit 2 and one line with %r; got exit %d, stderr:\n%s" %
             (" ".join(map(str, cmd)), text, r.returncode, r.stderr))


def expect_error(cmd, rc, text):
    r = run(cmd)
    if r.returncode != rc or text not in r.stderr:
        fail("%s\nexpected exit %d and %r; got exit %d, stderr:\n%s" %
             (" ".join(map(str, cmd)), rc, text, r.returncode, r.stderr))
    return r


def main():
    source, model = sys.argv[1], sys.argv[2]
    tools = dict(a.split("=", 1) for a in sys.argv[3:])
    tok = os.path.join(source, "data", "tokenizer_sp1024.model")
    val = os.path.join(source, "data", "fineweb_val_slice.jsonl")
    work = tempfile.mkdtemp(prefix="golf_cli_check_")

    # --help: exit 0 and a usage line, everywhere (golf-data per command).
    helps = [[t, "--help"] for t in tools.values()] + \
        [[tools["golf-data"], c, "--help"] for c in ("tokenize", "train-tokenizer", "inspect")]
    for cmd in helps:
        r = run(cmd)
        if r.returncode != 0 or "usage:" not in r.stdout:
            fail("%s: exit %d, stdout:\n%s\nstderr:\n%s" % (" ".join(cmd), r.returncode, r.stdout[:500], r.stderr))

    # Numbers and bounds (item 6).
    c, b, e = tools["golf-complete"], tools["golf-bench"], tools["golf-eval"]
    expect_usage_error([c, "-m", model, "-n", "abc", "x"], "-n abc: expected an integer")
    expect_usage_error([c, "-m", model, "-t", "abc", "x"], "-t abc: expected a number")
    expect_usage_error([c, "-m", model, "-s", "abc", "x"], "-s abc: expected an unsigned 64-bit integer")
    expect_usage_error([c, "-m", model, "-n", "-5", "x"], "-n -5: expected an integer in [1,")
    expect_usage_error([c, "-m", model, "--top-p", "1.5", "x"], "--top-p 1.5: expected a number in [0, 1]")
    expect_usage_error([b, "--threads", "-1", model], "--threads -1: expected an integer in [0, 1024]")
    for cmd in ([c, "-m", model], [b, model], [e, "-m", model, "--jsonl", val],
                [tools["golf-export"], "--params", "p", "--tokenizer", tok, "-o", "o"],
                [tools["golf-data"], "tokenize", "--tokenizer", tok, "--input", val, "--out", "o"],
                [tools["golf-train"], "--out", "o"]):
        expect_usage_error(cmd + ["--threads", "100000"], "--threads 100000: expected an integer in [0, ")
    t = tools["golf-tokenize"]
    one = os.path.join(work, "one.txt")
    open(one, "w").write("hello\n")
    expect_usage_error([t, "--model", tok, one, one], "too many arguments: 2 given, INPUT takes at most 1")

    # Errors that point the right way (item 9).
    expect_usage_error([t, "--model"], "--model needs a value")
    expect_usage_error([tools["golf-export"], "--bogus"], "unknown option --bogus")

    # One wording for every tool, golf-train's own flag table and the build's golf-code-size included (item 6).
    i, cs, tr = tools["golf-inspect"], tools["golf-code-size"], tools["golf-train"]
    expect_usage_error([tr, "--bogus"], "unknown option --bogus (see --help)")
    expect_usage_error([tr, "-x"], "unknown option -x (see --help)")
    expect_usage_error([tr, "stray"], "unexpected argument 'stray' (see --help)")
    expect_usage_error([tr, "--out"], "--out needs a value (DIR)")
    expect_usage_error([tr, "--overwrite=1"], "--overwrite takes no value")
    expect_usage_error([tr, "--out", "o", "--num-layers", "abc"], "--num-layers abc: expected an integer in [1, 256]")
    expect_usage_error([tr, "--out", "o", "--beta1", "2"], "--beta1 2: expected a number in [0, 1]")
    expect_usage_error([tr, "--out", "o", "--schedule", "x"],
                       "--schedule x: expected one of auto|wallclock|steps|time-fraction")
    expect_usage_error([i, "--bogus", model], "unknown option --bogus (see --help)")
    expect_usage_error([i], "FILE.golf is required (see --help)")
    expect_usage_error([i, model, model], "too many arguments: 2 given, FILE.golf takes at most 1")
    expect_usage_error([i, "--json=1", model], "--json takes no value")
    expect_usage_error([i, "--json", "--check", model], "--json and --check exclude each other")
    expect_usage_error([cs, "--bogus"], "unknown option --bogus (see --help)")
    expect_usage_error([cs, "--root", source], "--header OUT.h is required (see --help)")
    expect_usage_error([cs, "--root", source, "--header"], "--header needs a value (OUT.h)")
    expect_usage_error([cs, "--root", source, "--header", ""], "--header : expected a non-empty value")
    mp = tools["golf-gpu-memory-plan"]
    expect_usage_error([mp, "--bogus"], "unknown option --bogus (see --help)")
    expect_usage_error([mp, "--rows"], "--rows needs a value (N)")
    expect_usage_error([mp, "--rows", "0"], "--rows 0: expected an integer in [1, 1048576]")
    expect_usage_error([mp, "--precision", "fp8"], "--precision fp8: expected one of bf16|fp32")
    # golf-complete --device: the syntax is checked with the arguments, before the model loads (issue 10).
    for device in ("bogus", "cuda:", "cuda:x", "cuda:12345", "cpu0"):
        expect_usage_error([c, "-m", model, "--device", device, "x"],
                           "--device %s: expected cpu, cuda or cuda:N" % device)
    expect_usage_error([e, "-m", model], "give one kind of input")
    expect_error([e, "-m", model, "--jsonl", work], 1, "Is a directory")
    bad = os.path.join(work, "bad.jsonl")
    open(bad, "wb").write(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    utf8 = "bad.jsonl:2: not valid JSON (invalid string: ill-formed UTF-8"
    expect_error([e, "-m", model, "--jsonl", bad], 1, utf8)
    expect_error([t, "--model", tok, "--jsonl", bad], 1, utf8)

    # An empty corpus is an error, not exit 0 with empty shards.
    empty = os.path.join(work, "empty.jsonl")
    open(empty, "w").close()
    expect_error([tools["golf-data"], "tokenize", "--tokenizer", tok, "--input", empty, "--out",
                  os.path.join(work, "empty_shards")], 1, "the inputs hold no documents")

    # No abort on a directory where the SentencePiece model belongs (item 1).
    r = expect_error([t, "--model", work, one], 1, "Is a directory")
    expect_error([tools["golf-data"], "tokenize", "--tokenizer", work, "--input", val, "--out",
                  os.path.join(work, "shards")], 1, "Is a directory")

    # golf-eval --max-tokens on text: the bytes are exactly those scored (item 2). The stream is BOS + ids per
    # document; cut after whole documents the bytes are theirs, cut inside one they add its scored tokens' text.
    docs = [json.loads(line)["text"] for line in open(val, encoding="utf-8") if line.strip()][:6]
    # Last, text that NFKC and whitespace collapsing change: decoding its tokens gives fewer bytes than it has.
    docs.append("\uff26\uff55\uff4c\uff4c-width  text,  double  spaces and a \ufb01ne ligature.")
    lines = "".join(json.dumps({"text": d}) + "\n" for d in docs)
    ids = [list(map(int, l.split())) for l in run([t, "--model", tok, "--jsonl"], stdin=lines).stdout.splitlines()]
    if len(ids) != len(docs):
        fail("golf-tokenize gave %d id lines for %d documents" % (len(ids), len(docs)))
    seven = os.path.join(work, "seven.jsonl")
    open(seven, "w", encoding="utf-8").write(lines)

    def scored(max_tokens):
        r = run([e, "-m", model, "--jsonl", seven, "--max-tokens", max_tokens, "--json", "--threads", "1"])
        if r.returncode != 0:
            fail("golf-eval --max-tokens %s: %s" % (max_tokens, r.stderr))
        return json.loads(r.stdout)

    whole = sum(1 + len(i) for i in ids[:3])
    j = scored(whole)
    want = sum(len(d.encode("utf-8")) for d in docs[:3])
    if j["bytes"] != want or j["documents"] != 3 or j["tokens"] != whole - 1:
        fail("--max-tokens %d (3 whole documents): bytes %d documents %d tokens %d, expected %d, 3, %d" %
             (whole, j["bytes"], j["documents"], j["tokens"], want, whole - 1))
    cut = whole + 1 + len(ids[3]) // 2  # half of the fourth document
    prefix = run([t, "--model", tok, "--decode"], stdin=" ".join(map(str, ids[3][:len(ids[3]) // 2])) + "\n").stdout
    want_cut = want + len(prefix[:-1].encode("utf-8"))
    j = scored(cut)
    if j["bytes"] != want_cut or j["documents"] != 4:
        fail("--max-tokens %d (cut inside the 4th document): bytes %d, expected %d" % (cut, j["bytes"], want_cut))
    full = scored(10 ** 9)
    if full["bytes"] != sum(len(d.encode("utf-8")) for d in docs) or full["documents"] != len(docs):
        fail("--max-tokens beyond the stream: bytes %d documents %d, expected every byte of %d documents" %
             (full["bytes"], full["documents"], len(docs)))
    if not 0.5 < j["val_bpb"] / full["val_bpb"] < 2:
        fail("val_bpb %.4f on a prefix vs %.4f on everything: the byte count does not match the tokens" %
             (j["val_bpb"], full["val_bpb"]))
    print("tool errors: ok (%d tools' --help; usage errors, aborts, byte counts)" % len(tools))


if __name__ == "__main__":
    main()
