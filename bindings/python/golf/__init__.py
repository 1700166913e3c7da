"""golf: Python bindings of libgolf, the runtime of .golf language models (ctypes over the shared library; no build
step). Find the library with $GOLF_LIBRARY, inside this package, or through the system loader.

    import golf
    with golf.Model.load("model.golf") as m:              # or golf.Model.load(open(path, "rb").read())
        ids = m.tokenize("The court held that")
        for piece in m.generate("The court held that", max_tokens=40, temperature=0):
            print(piece, end="", flush=True)
        print(m.bpb("Some text to score."), m.logits([m.bos_id] + ids).shape)
"""
from ._lib import LibraryNotFoundError
from ._model import GolfError, Model

__version__ = "1.0.0"
__all__ = ["Model", "GolfError", "LibraryNotFoundError", "api_version"]


def api_version():
    """The loaded libgolf's GOLF_API_VERSION (major * 1000 + minor)."""
    from ._lib import lib
    return lib().golf_api_version()
