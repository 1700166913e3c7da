"""test_golf.py: the golf Python package on a real .golf model, end to end through the shared libgolf.

Environment: GOLF_TEST_MODEL (a .golf with the sp1024 tokenizer), GOLF_TEST_TOKENIZER (that tokenizer's
SentencePiece .model, for parity), GOLF_COMPLETE (golf-complete, whose greedy text generate() must equal), and
optionally GOLF_EXPECT_PACKAGE_DIR (the package under test must be the one installed there) and GOLF_LIBRARY.
"""
import math
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import golf

MODEL = os.environ["GOLF_TEST_MODEL"]
TEXT = "The court held that the statute applies. Café au lait — 東京, 2024!"
PROMPT = "The court held that"


@pytest.fixture(scope="module")
def model():
    with golf.Model.load(MODEL, threads=2) as m:
        yield m


def test_the_installed_package_is_tested():
    where = os.environ.get("GOLF_EXPECT_PACKAGE_DIR")
    if where:
        assert os.path.realpath(golf.__file__).startswith(os.path.realpath(where))
    assert golf.api_version() // 1000 == 1


def test_load_from_path_and_from_bytes(model):
    with open(MODEL, "rb") as f:
        data = f.read()
    for source in (data, bytearray(data), memoryview(data)):
        with golf.Model.load(source, threads=1) as m:
            assert m.info == model.info
            assert m.tokenize(TEXT) == model.tokenize(TEXT)
    assert model.info["arch"] == "golf-gpt" and model.vocab_size == 1024 and model.bos_id == 1
    assert model.context == model.info["max_seq_len"]


def test_errors_carry_the_library_message(model):
    with pytest.raises(golf.GolfError) as e:
        golf.Model.load("/nonexistent/model.golf")
    assert e.value.status == 1 and "/nonexistent/model.golf" in str(e.value)
    with open(MODEL, "rb") as f:
        damaged = bytearray(f.read())
    damaged[-10] ^= 0x55
    with pytest.raises(golf.GolfError) as e:
        golf.Model.load(bytes(damaged))
    assert e.value.status_name == "checksum mismatch"
    with pytest.raises(golf.GolfError) as e:
        model.detokenize([5, 99999])
    assert e.value.status_name == "invalid argument" and "99999" in str(e.value)
    with pytest.raises(golf.GolfError):
        model.logits([1] * (model.context + 1))
    with pytest.raises(golf.GolfError):
        model.generate(PROMPT, top_p=0)
    with pytest.raises(TypeError):
        golf.Model.load(12345)
    m = golf.Model.load(MODEL, threads=1)
    m.close()
    with pytest.raises(ValueError):
        m.tokenize("x")


def test_a_missing_library_is_a_clear_error():
    code = "import golf\ntry:\n    golf.Model.load('x')\nexcept golf.LibraryNotFoundError as e:\n    print(e)\n"
    env = dict(os.environ, GOLF_LIBRARY="/nonexistent/libgolf.so.1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60).stdout
    assert "cannot load libgolf" in out and "GOLF_LIBRARY" in out and "/nonexistent/libgolf.so.1" in out


def test_tokenize_matches_sentencepiece_and_round_trips(model):
    spm = pytest.importorskip("sentencepiece")
    sp = spm.SentencePieceProcessor(model_file=os.environ["GOLF_TEST_TOKENIZER"])
    ids = model.tokenize(TEXT)
    assert ids == sp.encode(TEXT)
    assert model.detokenize(ids) == sp.decode(ids) == TEXT
    assert model.tokenize(TEXT, bos=True) == [model.bos_id] + ids
    assert model.tokenize(TEXT.encode()) == ids
    assert model.tokenize("") == [] and model.detokenize([]) == ""


def test_vocabulary(model):
    assert model.piece(model.bos_id) == "<s>" and model.token_text(model.bos_id) == b""
    ids = model.tokenize(TEXT)
    assert b"".join(model.token_text(t) for t in ids) == TEXT.encode()  # sp1024 adds no dummy-prefix space
    byte_a = [t for t in range(model.vocab_size) if model.piece(t) == "<0x41>"]
    assert len(byte_a) == 1 and model.token_text(byte_a[0]) == b"A"


def test_logits_agree_with_bpb(model):
    ids = model.tokenize(TEXT)
    logits = model.logits([model.bos_id] + ids)
    assert logits.shape == (len(ids) + 1, model.vocab_size) and logits.dtype == np.float32
    assert np.isfinite(logits).all()
    x = logits[:-1].astype(np.float64)
    logp = x - x.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    nats = -logp[np.arange(len(ids)), ids].sum()
    expected = nats / math.log(2) / len(TEXT.encode())
    assert model.bpb(TEXT) == pytest.approx(expected, rel=1e-4)
    assert model.bpb(TEXT, window=8, stride=4) > 0


def test_generate_streams_golf_completes_greedy_text(model):
    pieces = list(model.generate(PROMPT, max_tokens=16, temperature=0, stop_at_eos=False))
    stats = model.generation_stats()
    assert stats["generated"] == 16 and stats["stop"] == "max_tokens"
    assert stats["prompt_tokens"] == len(model.tokenize(PROMPT)) and stats["prompt_dropped"] == 0
    assert all(isinstance(p, str) and p for p in pieces)
    # The first token is the argmax of the prompt's last logits (within the rounding of another batch split).
    ids = model.tokenize(PROMPT)
    logits = model.logits([model.bos_id] + ids)[-1]
    best = np.flatnonzero(logits >= logits.max() - 1e-3)
    first = "".join(model.generate(PROMPT, max_tokens=1, temperature=0, stop_at_eos=False))
    assert first in {model.detokenize(ids + [int(t)])[len(PROMPT):] for t in best}
    complete = os.environ.get("GOLF_COMPLETE")
    if complete:
        out = subprocess.run([complete, "-m", MODEL, "--greedy", "--no-stop", "-n", "16", "--threads", "2", PROMPT],
                             capture_output=True, timeout=120).stdout.decode()
        assert out == PROMPT + "".join(pieces) + "\n"


def test_seeds_reproduce_and_differ(model):
    def sample(seed):
        return "".join(model.generate(PROMPT, max_tokens=20, temperature=0.9, seed=seed, stop_at_eos=False))
    assert sample(7) == sample(7)
    assert len({sample(s) for s in (1, 2, 3)}) > 1


def test_a_full_context_slides():
    with golf.Model.load(MODEL, threads=1, context=16) as m:
        text = "".join(m.generate(PROMPT, max_tokens=40, temperature=0, stop_at_eos=False))
        stats = m.generation_stats()
        assert stats["generated"] == 40 and stats["context_shifts"] > 0 and text
        list(m.generate(TEXT * 3, max_tokens=2, temperature=0))
        stats = m.generation_stats()
        assert stats["prompt_dropped"] == stats["prompt_tokens"] - 8


def test_another_call_ends_a_generation(model):
    g = model.generate(PROMPT, max_tokens=50, temperature=0, stop_at_eos=False)
    next(g)
    model.bpb("x")
    with pytest.raises(RuntimeError):
        next(g)


def test_cancel_from_another_thread():
    got_one, cancelled, result = threading.Event(), threading.Event(), {}

    def consume(m):
        pieces = 0
        try:
            for _ in m.generate(PROMPT, max_tokens=1_000_000, temperature=0.8, stop_at_eos=False):
                pieces += 1
                if pieces == 1:
                    got_one.set()
                    cancelled.wait(60)
        except golf.GolfError as e:
            result["error"] = e
        result["pieces"] = pieces

    with golf.Model.load(MODEL, threads=1, context=32) as m:
        t = threading.Thread(target=consume, args=(m,))
        t.start()
        assert got_one.wait(60)
        m.cancel()
        cancelled.set()
        t.join(60)
        assert not t.is_alive()
        assert result["error"].status_name == "cancelled" and result["pieces"] == 1
        assert m.generation_stats()["stop"] == "cancelled"
