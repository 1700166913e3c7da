"""_model.py: golf.Model, a .golf model with one session (KV cache and worker threads) for running it: tokenize,
detokenize, the vocabulary, streamed generation, bits per byte and logits. Calls into the library release the GIL;
one Model serves one call at a time (a lock), except cancel(), which stops a running call from any thread.
"""
import ctypes
import os
import threading

import numpy as np

from . import _lib
from ._lib import c_int32, c_size_t, c_void_p

_COMPUTE = {"auto": 0, "f32": 1}
_STOP = {0: None, 1: "max_tokens", 2: "end_of_text", 3: "callback", 4: "cancelled", 5: "error"}


class GolfError(Exception):
    """A libgolf call failed. status: the golf_status code; status_name: its name; the message is the library's."""

    def __init__(self, status, message):
        self.status = status
        self.status_name = _lib.lib().golf_status_name(status).decode()
        super().__init__("%s (%s)" % (message, self.status_name))


def _check(status):
    if status != 0:
        raise GolfError(status, (_lib.lib().golf_last_error() or b"").decode("utf-8", "replace"))


def _utf8(text):
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")


class Model:
    """A loaded .golf model. Make one with Model.load(); free it with close() or a with block."""

    def __init__(self, handle, session):
        self._model, self._session = handle, session
        self._lock = threading.Lock()         # one call at a time on the session
        self._free_lock = threading.Lock()    # cancel() against close(): never held during a call
        self._generation = 0  # which generate() owns the session's generation
        info = _lib.ModelInfo()
        _check(_lib.lib().golf_model_get_info(handle, ctypes.byref(info), ctypes.sizeof(info)))
        self.info = {name: getattr(info, name) for name, _ in _lib.ModelInfo._fields_ if name != "size"}
        self.info["arch"] = info.arch.decode()
        self.vocab_size, self.bos_id, self.eos_id = info.vocab_size, info.bos_id, info.eos_id
        self.context = _lib.lib().golf_session_n_ctx(session)

    @classmethod
    def load(cls, source, *, threads=0, context=0, compute="auto", verify_checksums=True):
        """Loads a model from a path (str or os.PathLike) or from its bytes (bytes, bytearray, memoryview: copied).
        threads: worker threads (0: all cores); context: positions the session holds (0: the model's max_seq_len);
        compute: "auto" (quantized kernels) or "f32" (the reference path)."""
        lib = _lib.lib()
        if compute not in _COMPUTE:
            raise ValueError("compute must be one of %s" % sorted(_COMPUTE))
        params = _lib.init(_lib.ModelParams, "golf_model_params_init")
        params.compute, params.verify_checksums = _COMPUTE[compute], int(bool(verify_checksums))
        handle = c_void_p()
        if isinstance(source, (str, os.PathLike)):
            _check(lib.golf_model_load_file(os.fsencode(source), ctypes.byref(params), ctypes.byref(handle)))
        elif isinstance(source, (bytes, bytearray, memoryview)):
            data = source if isinstance(source, bytes) else bytes(source)
            _check(lib.golf_model_load_memory(data, len(data), 1, ctypes.byref(params), ctypes.byref(handle)))
        else:
            raise TypeError("Model.load takes a path or the file's bytes, not %s" % type(source).__name__)
        sparams = _lib.init(_lib.SessionParams, "golf_session_params_init")
        sparams.n_threads, sparams.n_ctx = threads, context
        session = c_void_p()
        status = lib.golf_session_new(handle, ctypes.byref(sparams), ctypes.byref(session))
        if status != 0:
            lib.golf_model_free(handle)
            _check(status)
        return cls(handle, session)

    def close(self):
        """Frees the session and the model; the Model cannot be used afterwards."""
        with self._lock, self._free_lock:
            if self._session:
                _lib.lib().golf_session_free(self._session)
                _lib.lib().golf_model_free(self._model)
            self._session = self._model = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):  # a safety net; close() is the way. At interpreter exit the library may be gone already.
        try:
            if getattr(self, "_session", None):
                self.close()
        except Exception:
            pass

    def _handle(self):
        if not self._session:
            raise ValueError("this Model is closed")
        return self._model

    # ---- vocabulary and tokenizer ----------------------------------------------------------------------------

    def tokenize(self, text, *, bos=False):
        """The token ids of text (str, or bytes taken as UTF-8), with BOS first when bos."""
        data, n = _utf8(text), c_size_t()
        lib, model = _lib.lib(), self._handle()
        status = lib.golf_tokenize(model, data, len(data), int(bos), None, 0, ctypes.byref(n))
        if status not in (0, 7):  # 7: GOLF_ERR_BUFFER_TOO_SMALL, the size query
            _check(status)
        ids = (c_int32 * max(n.value, 1))()
        _check(lib.golf_tokenize(model, data, len(data), int(bos), ids, n.value, ctypes.byref(n)))
        return list(ids[:n.value])

    def detokenize(self, tokens):
        """The text of token ids (invalid UTF-8 from byte tokens becomes U+FFFD, as SentencePiece decodes)."""
        ids = (c_int32 * max(len(tokens), 1))(*tokens)
        lib, model, n = _lib.lib(), self._handle(), c_size_t()
        status = lib.golf_detokenize(model, ids, len(tokens), None, 0, ctypes.byref(n))
        if status not in (0, 7):
            _check(status)
        buf = ctypes.create_string_buffer(max(n.value, 1))
        _check(lib.golf_detokenize(model, ids, len(tokens), buf, n.value, ctypes.byref(n)))
        return buf.raw[:n.value].decode("utf-8")

    def piece(self, token):
        """The vocabulary entry of token as stored ("▁the", "<0x41>", "<s>")."""
        ptr, n, kind = c_void_p(), c_size_t(), ctypes.c_int()
        _check(_lib.lib().golf_vocab_piece(self._handle(), token, ctypes.byref(ptr), ctypes.byref(n),
                                           ctypes.byref(kind)))
        return ctypes.string_at(ptr, n.value).decode("utf-8")

    def token_text(self, token):
        """The bytes token stands for in the middle of a text (a byte token's one byte; b"" for BOS)."""
        buf, n = ctypes.create_string_buffer(256), c_size_t()
        _check(_lib.lib().golf_token_text(self._handle(), token, buf, len(buf), ctypes.byref(n)))
        return buf.raw[:n.value]

    # ---- running the model -----------------------------------------------------------------------------------

    def logits(self, tokens):
        """Logits [len(tokens), vocab_size] (float32) of tokens read from an empty context (add BOS yourself)."""
        out = np.empty((len(tokens), self.vocab_size), dtype=np.float32)
        ids = (c_int32 * max(len(tokens), 1))(*tokens)
        with self._lock:
            self._handle()
            self._generation += 1  # the session's context is taken over: a generation in progress ends
            lib = _lib.lib()
            lib.golf_session_reset(self._session)
            _check(lib.golf_decode(self._session, ids, len(tokens),
                                   out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), 1))
        return out

    def bpb(self, text, *, window=0, stride=0):
        """Bits per byte of text as one document (BOS + its tokens; every UTF-8 byte counts). window: tokens per
        forward pass (0: the model's context); stride: 0 for non-overlapping windows, else sliding windows."""
        data = _utf8(text)
        params = _lib.init(_lib.BpbParams, "golf_bpb_params_init")
        params.window, params.stride = window, stride
        result = _lib.BpbResult()
        with self._lock:
            self._handle()
            self._generation += 1
            _check(_lib.lib().golf_score_bpb(self._session, data, len(data), ctypes.byref(params),
                                             ctypes.byref(result), ctypes.sizeof(result)))
        return result.bits_per_byte

    def generate(self, prompt, *, max_tokens=128, temperature=0.8, top_k=40, top_p=0.95, seed=1, stop_at_eos=True):
        """Reads BOS + prompt now, then yields the completion as text pieces (whole UTF-8 characters) as the model
        makes them. A context that fills up slides (see generation_stats()). Starting another generation or running
        logits()/bpb() on this Model ends this one."""
        p = _lib.init(_lib.SamplingParams, "golf_sampling_params_init")
        p.temperature, p.top_k, p.top_p, p.seed = temperature, top_k, top_p, seed
        p.max_tokens, p.stop_at_eos = max_tokens, int(bool(stop_at_eos))
        data = _utf8(prompt)
        with self._lock:
            self._handle()
            self._generation += 1
            _check(_lib.lib().golf_generate_begin(self._session, data, len(data), ctypes.byref(p)))
        return self._pieces(self._generation)

    def _pieces(self, generation):
        token, text, n = c_int32(), c_void_p(), c_size_t()
        while True:
            with self._lock:
                if generation != self._generation or not self._session:
                    raise RuntimeError("this generation was ended by another call on the same Model")
                _check(_lib.lib().golf_generate_next(self._session, ctypes.byref(token), ctypes.byref(text),
                                                     ctypes.byref(n)))
                piece = ctypes.string_at(text, n.value).decode("utf-8") if n.value else ""
            if piece:
                yield piece
            if token.value < 0:
                return

    def generation_stats(self):
        """The last generation: prompt_tokens, prompt_dropped (cut from its start: the context could not hold
        them), generated, context_shifts, prompt_seconds, generate_seconds, stop (why it ended, or None)."""
        s = _lib.GenerationStats()
        with self._lock:
            self._handle()
            _check(_lib.lib().golf_generation_get_stats(self._session, ctypes.byref(s), ctypes.sizeof(s)))
        stats = {name: getattr(s, name) for name, _ in _lib.GenerationStats._fields_ if name != "size"}
        stats["stop"] = _STOP.get(s.stop, s.stop)
        return stats

    def cancel(self):
        """Stops a generate() step, bpb() or logits() running on another thread: it raises GolfError (cancelled)."""
        with self._free_lock:
            if self._session:
                _lib.lib().golf_session_cancel(self._session)
