"""check_golf_complete.py: golf-complete's handling of long text (issue 13 item 8), end to end on a small model.

- A prompt that fits but leaves less room than -n asks: generation goes on past the context (it slides) for all -n
  tokens, and a notice on stderr says so (it used to stop silently at the context).
- A prompt far longer than the context (a few MB on standard input): no error and no echo of the whole prompt; a
  notice says only its end is read, and stdout holds that end and the completion.
- -i: a line longer than 65,535 bytes is one prompt (the same tokens as the same text given as the prompt), and a
  line is shown once: echoed when standard input is a pipe, not echoed again on a terminal (a pty) that shows it.
- -v prints the speed of the prompt and of generation.

Usage: /usr/bin/python3 check_golf_complete.py GOLF_COMPLETE MODEL.golf
"""
import os
import pty
import re
import select
import subprocess
import sys
import time

GOLF_COMPLETE, MODEL = sys.argv[1], sys.argv[2]
SENTENCE = "The court held that the statute applies to every contract signed after the act. "
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(args, stdin=b""):
    p = subprocess.run([GOLF_COMPLETE, "-m", MODEL, "--greedy", "--no-stop", "--threads", "2", "-v"] + args,
                       input=stdin, capture_output=True, timeout=300)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def speed(stderr):
    """(prompt tokens read, generated tokens) from -v's line, or None."""
    m = re.search(r"\[prompt: (\d+) tokens \(BOS included\) in [\d.]+ ms, \d+ tokens/s; "
                  r"generated (\d+) tokens in [\d.]+ ms, [\d.]+ tokens/s\]", stderr)
    return (int(m.group(1)), int(m.group(2))) if m else None


def context_of_model():
    rc, _, err = run(["-n", "1", "x"])
    m = re.search(r"\[.*: golf-gpt, .*\]", err)
    check(rc == 0 and m is not None, "a one-token completion runs and -v describes the model")
    # The context is what the library reports for a prompt that cannot fit (below); start from a long one.
    rc, _, err = run(["-n", "1"], stdin=(SENTENCE * 400).encode())
    m = re.search(r"the prompt is (\d+) tokens and the model's context holds (\d+): it reads only the last (\d+)", err)
    check(rc == 0 and m is not None, "a prompt longer than the context gets a notice: " + err.strip()[:300])
    return int(m.group(2)) if m else 1024


n_ctx = context_of_model()

# -v: the speed of both parts, with the counts behind it.
rc, out, err = run(["-n", "12", "The court held that"])
s = speed(err)
check(rc == 0 and s is not None and s[1] == 12, "-v prints prompt and generation speed: " + err.strip()[-200:])

# A prompt that nearly fills the context, then more tokens than fit: all are generated, with a notice.
def prompt_tokens(k):
    rc, _, err = run(["-n", "1", SENTENCE * k])
    s = speed(err)
    return s[0] - 1 if rc == 0 and s else -1


per_sentence = prompt_tokens(2) - prompt_tokens(1)
k = (n_ctx - 30) // per_sentence if per_sentence > 0 else n_ctx // 24  # (without -v's counts: a guess)
p_tokens = prompt_tokens(k)
check(0 < n_ctx - (1 + p_tokens) < 100, "BOS + %d sentences = %d tokens: fits the %d-token context, not with 100 more"
      % (k, 1 + p_tokens, n_ctx))
rc, out, err = run(["-n", "100", SENTENCE * k])
s = speed(err)
check(rc == 0 and s is not None and s[1] == 100,
      "a %d-token prompt in a %d-token context with -n 100 generates 100 tokens: %s" % (p_tokens, n_ctx, s))
check("the context (%d tokens) filled up 1 time" % n_ctx in err, "and says the context slid: " + err.strip()[:300])
check(out.startswith((SENTENCE * k).encode()) and len(out) > len(SENTENCE * k) + 20,
      "stdout is the prompt and its completion")

# A 400 KB prompt: read from its end, not echoed whole, no error.
big = (SENTENCE * (400_000 // len(SENTENCE))).encode()
start = time.time()
rc, out, err = run(["-n", "5"], stdin=big)
m = re.search(r"the prompt is (\d+) tokens and the model's context holds %d: it reads only the last %d"
              % (n_ctx, n_ctx // 2), err)
check(rc == 0 and m is not None and int(m.group(1)) > 50_000,
      "a 400 KB prompt is read from its end with a notice (%.1f s): %s" % (time.time() - start, err.strip()[:200]))
check(0 < len(out) < 20_000 and b"statute applies to every contract" in out,
      "stdout holds the prompt's end and the completion, %d bytes, not 400 KB" % len(out))

# -i: a 100,000-byte line is one prompt, the same as that text given whole.
line = (SENTENCE * (70_000 // len(SENTENCE) + 1))[:70_000].rstrip() + "."
rc, _, err_whole = run(["-n", "3"], stdin=line.encode())
rc_i, out_i, err_i = run(["-n", "3", "-i"], stdin=line.encode() + b"\n")
whole = re.search(r"the prompt is (\d+) tokens", err_whole)
inter = re.findall(r"the prompt is (\d+) tokens", err_i)
check(rc == 0 and rc_i == 0 and whole is not None and inter == [whole.group(1)] and err_i.count("[prompt:") == 1,
      "-i keeps a %d-byte line whole: one prompt of %s tokens (given whole: %s)"
      % (len(line), inter, whole and whole.group(1)))

# -i: a line is shown once. Piped: golf-complete echoes it. On a terminal: the terminal shows it; no echo.
short = "The court held that"
rc, out, err = run(["-n", "4", "-i"], stdin=(short + "\n").encode())
check(rc == 0 and out.count(short.encode()) == 1, "-i from a pipe prints the line once: %r" % out[:200])
pid, fd = pty.fork()
if pid == 0:
    os.execv(GOLF_COMPLETE, [GOLF_COMPLETE, "-m", MODEL, "--greedy", "--no-stop", "-n", "4", "-i"])
os.write(fd, (short + "\n").encode())
seen, deadline = b"", time.time() + 120
while time.time() < deadline:
    if select.select([fd], [], [], 1.0)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        seen += chunk
        if seen.count(b"> ") >= 2:  # the prompt for the next line: the completion is done
            break
os.write(fd, b"\x04")  # end of input
os.waitpid(pid, 0)
check(seen.count(short.encode()) == 1, "-i on a terminal shows the line once: %r" % seen[:300])

if failures:
    print("%d checks failed" % len(failures))
    sys.exit(1)
print("golf-complete: all checks passed")
