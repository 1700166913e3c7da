#!/usr/bin/env python3
"""check_readme.py SOURCE_DIR BUILD_DIR: runs the README's commands as written.

Every fenced block that follows a line `<!-- ci: run -->` in README.md is run, one shell command per line (a line
ending in a backslash continues on the next), with bash, in a fresh directory that holds `build` (a link to the
build directory) and `data` (a link to the bundled data): the layout of the repository root after a build, without
writing into the checkout. Each command must exit 0; the block must also leave what the README says it makes.
"""
import os
import re
import subprocess
import sys
import tempfile
import time


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def marked_blocks(readme):
    """The commands of each block marked for CI, joined across backslash continuations."""
    blocks = re.findall(r"^<!-- ci: run -->\n```[a-z]*\n(.*?)^```", readme, re.M | re.S)
    out = []
    for block in blocks:
        commands, pending = [], ""
        for line in block.splitlines():
            pending += line
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            if pending.strip():
                commands.append(pending.strip())
            pending = ""
        out.append(commands)
    return out


def main():
    source, build = sys.argv[1], os.path.abspath(sys.argv[2])
    blocks = marked_blocks(open(os.path.join(source, "README.md"), encoding="utf-8").read())
    if not blocks:
        fail("README.md has no block marked <!-- ci: run -->")
    with tempfile.TemporaryDirectory(prefix="golf_readme_") as root:
        os.symlink(build, os.path.join(root, "build"))
        os.symlink(os.path.join(source, "data"), os.path.join(root, "data"))
        env = dict(os.environ, OMP_WAIT_POLICY="passive")
        for commands in blocks:
            for cmd in commands:
                start = time.time()
                r = subprocess.run(["bash", "-c", cmd], cwd=root, capture_output=True, text=True, env=env)
                if r.returncode != 0:
                    fail("README command exited %d:\n  %s\nstdout:\n%s\nstderr:\n%s" %
                         (r.returncode, cmd, r.stdout[-3000:], r.stderr[-3000:]))
                print("ok (%.1f s): %s" % (time.time() - start, cmd))
        # What the quick tour says it makes: shards with both splits, a run with its log and model.
        for path in ["shards/manifest.json", "shards/fineweb_val_000000.bin", "shards/fineweb_train_000000.bin",
                     "runs/a/run.log", "runs/a/model.golf"]:
            if not os.path.exists(os.path.join(root, path)):
                fail("the README's commands did not make " + path)
    print("readme: ok (%d commands)" % sum(len(b) for b in blocks))


if __name__ == "__main__":
    main()
