#!/usr/bin/python3
"""check_web.py NATIVE_BUILD WASM_BUILD SOURCE_DIR [SCREENSHOT]: the browser demo end to end in headless Chromium.

Serves the WebAssembly build's demo/web folder (index.html, worker.js, golf-web.js/.wasm) with a small q8 model
made here by the native golf-make-example and golf-pack as model.golf, opens the page in Debian's chromium
(--headless --no-sandbox --disable-gpu) with ?autorun: the page loads the model in its Web Worker, generates 20
tokens at temperature 0 and POSTs what it got to this server. Passes when the page loaded the model, streamed 20
tokens, showed tokens/s, and its text equals native golf-complete's (--greedy -n 20) byte for byte. With
SCREENSHOT, also saves a picture of the page after the run (DevTools protocol over a pipe). Exits 77 (skipped)
without chromium."""
import base64
import fcntl
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse

PROMPT = "The court held that"
N_TOKENS = 20


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def make_model(native, src, out):
    tools = os.path.join(native, "format", "tools")
    subprocess.run([os.path.join(tools, "golf-make-example"), out, "--layers", "2", "--dim", "128", "--heads", "4",
                    "--kv-heads", "2", "--mlp", "256", "--seed", "5"], check=True, stdout=subprocess.DEVNULL)
    model = os.path.join(out, "model.golf")
    subprocess.run([os.path.join(tools, "golf-pack"), "--weights", os.path.join(out, "weights.safetensors"),
                    "--config", os.path.join(out, "config.json"),
                    "--tokenizer", os.path.join(src, "data", "tokenizer_sp1024.model"), "-o", model, "--quiet",
                    "--quant", "blocks.*.weight=q8", "--quant", "tok_emb.weight=q8"], check=True,
                   stdout=subprocess.DEVNULL)
    return model


def serve(site):
    """Serves site on a free local port; returns (server, results list, event set when the page reported)."""
    results, reported = [], threading.Event()

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm"}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=site, **kwargs)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            results.append(json.loads(body))
            self.send_response(204)
            self.end_headers()
            reported.set()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, results, reported


class DevToolsPipe:
    """Chromium's DevTools protocol over --remote-debugging-pipe (fd 3: commands in, fd 4: replies out; messages end
    with NUL): enough to take a screenshot of the open page without a WebSocket library."""

    def __init__(self):
        # Above fd 10, so that the child's dup2 onto 3 and 4 never overwrites one of them.
        self.to_browser_r, self.to_browser_w, self.from_browser_r, self.from_browser_w = (
            fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (*os.pipe(), *os.pipe()))
        self.next_id = 0
        self.buffer = b""

    def child_setup(self):  # runs in the child between fork and exec
        os.dup2(self.to_browser_r, 3)
        os.dup2(self.from_browser_w, 4)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_browser_w, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                chunk = os.read(self.from_browser_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("the browser closed its DevTools pipe")
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(line)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def screenshot(self, path):
        page = next(t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        session = self.call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 820, "height": 560, "deviceScaleFactor": 1, "mobile": False}, session)
        png = self.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))


def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    native, wasm, src = (os.path.abspath(a) for a in sys.argv[1:4])
    screenshot = os.path.abspath(sys.argv[4]) if len(sys.argv) == 5 else None
    chromium = find_chromium()
    if not chromium:
        print("skipped: no chromium (Debian's chromium package; ./golf setup installs it)")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        site = os.path.join(tmp, "site")
        os.mkdir(site)
        for f in ("index.html", "worker.js", "golf-web.js", "golf-web.wasm"):
            shutil.copy(os.path.join(wasm, "demo", "web", f), site)
        model = make_model(native, src, site)
        native_out = subprocess.run([os.path.join(native, "demo", "golf-complete"), "-m", model, "--greedy",
                                     "-n", str(N_TOKENS), "--threads", "1", PROMPT],
                                    check=True, capture_output=True).stdout.decode("utf-8", "replace")
        native_out = native_out[:-1] if native_out.endswith("\n") else native_out  # golf-complete ends the line

        server, results, reported = serve(site)
        query = urllib.parse.urlencode({"autorun": 1, "prompt": PROMPT, "n": N_TOKENS, "t": 0, "report": "/result"})
        url = f"http://127.0.0.1:{server.server_port}/index.html?{query}"
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                 f"--user-data-dir={tmp}/profile"]
        devtools = DevToolsPipe()
        browser = subprocess.Popen([chromium, *flags, "--remote-debugging-pipe", url], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, pass_fds=(3, 4), preexec_fn=devtools.child_setup)
        try:
            ok = reported.wait(timeout=180)
            if ok and screenshot:
                devtools.screenshot(screenshot)
                print("screenshot:", screenshot)
        finally:
            browser.kill()
            _, err = browser.communicate()
        if not ok:
            print("FAIL: the page reported nothing within 180 s; chromium said:\n" + err.decode()[-2000:])
            return 1
        result = results[0]
        print(f"page: model {result.get('bytes')} bytes loaded in {result.get('loadMs', 0):.1f} ms; "
              f"{result.get('stats', '')}")
        failures = []
        if "error" in result:
            failures.append("the page reported an error: " + result["error"])
        if len(result.get("tokens", [])) != N_TOKENS:
            failures.append(f"{len(result.get('tokens', []))} tokens streamed, wanted {N_TOKENS}")
        if "tokens/s" not in result.get("stats", ""):
            failures.append("the page shows no tokens/s")
        if PROMPT + result.get("text", "") != native_out:
            failures.append(f"text differs:\n  browser: {PROMPT + result.get('text', '')!r}\n  native:  {native_out!r}")
        else:
            print(f"browser = native golf-complete for {N_TOKENS} greedy tokens: {native_out!r}")
        server.shutdown()
        for f in failures:
            print("FAIL:", f)
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
