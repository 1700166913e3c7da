"""_lib.py: finds and loads the shared libgolf and declares its C API (runtime/include/golf.h) for ctypes: the
structs, mirrored field by field, and each function's argument and result types.

Where the library is looked for, in order: $GOLF_LIBRARY (a path to libgolf.so.1); a libgolf shipped inside this
package; the system's loader (LD_LIBRARY_PATH, the ldconfig cache: an installed libgolf).
"""
import ctypes
import ctypes.util
import glob
import os
import sys

# The API this module was written for (golf.h's GOLF_API_VERSION_MAJOR and _MINOR).
API_MAJOR = 1
API_MINOR = 0

c_int, c_int32, c_int64, c_uint64 = ctypes.c_int, ctypes.c_int32, ctypes.c_int64, ctypes.c_uint64
c_size_t, c_float, c_double, c_char_p, c_void_p = (ctypes.c_size_t, ctypes.c_float, ctypes.c_double,
                                                    ctypes.c_char_p, ctypes.c_void_p)
P = ctypes.POINTER


class LibraryNotFoundError(OSError):
    """libgolf could not be found or is too old for these bindings."""


class ModelParams(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("compute", c_int), ("verify_checksums", c_int)]


class ModelInfo(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("arch", c_char_p)] + [(name, c_int) for name in (
        "vocab_size", "model_dim", "num_layers", "num_heads", "num_kv_heads", "mlp_hidden", "max_seq_len", "bos_id",
        "eos_id", "has_tokenizer")] + [("n_params", c_int64), ("file_bytes", c_size_t)]


class SessionParams(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("n_threads", c_int), ("n_ctx", c_int), ("n_batch", c_int)]


class SamplingParams(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("temperature", c_float), ("top_k", c_int), ("top_p", c_float),
                ("seed", c_uint64), ("max_tokens", c_int), ("stop_at_eos", c_int)]


class GenerationStats(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("prompt_tokens", c_int), ("prompt_dropped", c_int), ("generated", c_int),
                ("context_shifts", c_int), ("prompt_seconds", c_double), ("generate_seconds", c_double),
                ("stop", c_int)]


class BpbParams(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("window", c_int), ("stride", c_int), ("doc_isolated", c_int)]


class BpbResult(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("bits_per_byte", c_double), ("loss", c_double), ("total_nats", c_double),
                ("tokens", c_int64), ("bytes", c_int64), ("bytes_challenge", c_int64)]


# name: (result type, argument types). Handles (golf_model*, golf_session*) are opaque: c_void_p.
_FUNCTIONS = {
    "golf_api_version": (c_int, []),
    "golf_last_error": (c_char_p, []),
    "golf_status_name": (c_char_p, [c_int]),
    "golf_model_params_init": (None, [P(ModelParams), c_size_t]),
    "golf_model_load_file": (c_int, [c_char_p, P(ModelParams), P(c_void_p)]),
    "golf_model_load_memory": (c_int, [c_void_p, c_size_t, c_int, P(ModelParams), P(c_void_p)]),
    "golf_model_free": (None, [c_void_p]),
    "golf_model_get_info": (c_int, [c_void_p, P(ModelInfo), c_size_t]),
    "golf_vocab_piece": (c_int, [c_void_p, c_int32, P(c_void_p), P(c_size_t), P(c_int)]),
    "golf_token_text": (c_int, [c_void_p, c_int32, c_void_p, c_size_t, P(c_size_t)]),
    "golf_tokenize": (c_int, [c_void_p, c_char_p, c_size_t, c_int, P(c_int32), c_size_t, P(c_size_t)]),
    "golf_detokenize": (c_int, [c_void_p, P(c_int32), c_size_t, c_void_p, c_size_t, P(c_size_t)]),
    "golf_session_params_init": (None, [P(SessionParams), c_size_t]),
    "golf_session_new": (c_int, [c_void_p, P(SessionParams), P(c_void_p)]),
    "golf_session_free": (None, [c_void_p]),
    "golf_session_reset": (None, [c_void_p]),
    "golf_session_n_ctx": (c_int, [c_void_p]),
    "golf_session_cancel": (None, [c_void_p]),
    "golf_decode": (c_int, [c_void_p, P(c_int32), c_size_t, P(c_float), c_int]),
    "golf_sampling_params_init": (None, [P(SamplingParams), c_size_t]),
    "golf_generate_begin": (c_int, [c_void_p, c_char_p, c_size_t, P(SamplingParams)]),
    "golf_generate_next": (c_int, [c_void_p, P(c_int32), P(c_void_p), P(c_size_t)]),
    "golf_generation_get_stats": (c_int, [c_void_p, P(GenerationStats), c_size_t]),
    "golf_bpb_params_init": (None, [P(BpbParams), c_size_t]),
    "golf_score_bpb": (c_int, [c_void_p, c_char_p, c_size_t, P(BpbParams), P(BpbResult), c_size_t]),
}


def _candidates():
    """(description, path or soname) in the order they are tried."""
    env = os.environ.get("GOLF_LIBRARY")
    if env:
        yield "$GOLF_LIBRARY", env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "libgolf.so*")) + glob.glob(os.path.join(here, "libgolf*.dylib"))):
        yield "inside the package", path
    yield "the system loader", "libgolf.so.%d" % API_MAJOR if sys.platform.startswith("linux") else "libgolf"
    found = ctypes.util.find_library("golf")
    if found:
        yield "ctypes.util.find_library", found


def _load():
    tried = []
    for where, name in _candidates():
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            tried.append("%s: %s (%s)" % (where, name, e))
            continue
        version = lib.golf_api_version()
        if version // 1000 != API_MAJOR or version < API_MAJOR * 1000 + API_MINOR:
            raise LibraryNotFoundError("%s is libgolf API %d; these bindings need %d.%d or a later %d.x"
                                       % (name, version, API_MAJOR, API_MINOR, API_MAJOR))
        for fn, (restype, argtypes) in _FUNCTIONS.items():
            f = getattr(lib, fn)
            f.restype, f.argtypes = restype, argtypes
        return lib
    raise LibraryNotFoundError(
        "cannot load libgolf. Build it (meson setup build && ninja -C build) and point GOLF_LIBRARY at "
        "build/runtime/capi/libgolf.so.%d, or install it (meson install -C build) so the system loader finds it. "
        "Tried: %s" % (API_MAJOR, "; ".join(tried)))


_lib = None


def lib():
    """The loaded library (loaded on first use, so `import golf` works without it)."""
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def init(struct_type, init_fn):
    """A params struct filled with the library's defaults (its golf_*_params_init)."""
    p = struct_type()
    getattr(lib(), init_fn)(ctypes.byref(p), ctypes.sizeof(p))
    return p
