"""Run `python -m builders.build` in a child process under a handicap: a file size limit (a full
disk, as far as writes go) or without root's power to ignore file permissions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from builders.build import PROJECT_ROOT

# The child runs builders.build.main with `build` pinned to a test's cache folder (the CLI always
# uses the project's .cache). Ignoring SIGXFSZ turns a write past RLIMIT_FSIZE into OSError(EFBIG),
# which is what a program sees when the disk fills up (ENOSPC), minus the wording.
CHILD = textwrap.dedent("""
    import functools, json, resource, signal, sys
    import builders.build as b
    cache_dir, fsize, argv = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    b.build = functools.partial(b.build, cache_dir=cache_dir)
    if fsize:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    sys.exit(b.main(argv))
""")


def child_argv(cache_dir: Path, argv: list[str], *, fsize: int = 0) -> list[str]:
    """The command line of a child build (see CHILD)."""
    import json

    return [sys.executable, "-c", CHILD, str(cache_dir), str(fsize), json.dumps(argv)]


def without_root(argv: list[str]) -> list[str]:
    """`argv` run without the capabilities that let root write into a folder it may not write.

    As root, `chmod 0o555` stops nothing (CAP_DAC_OVERRIDE); util-linux's setpriv drops it, so a
    read-only folder behaves as it does for any user. As another user the folder already is read-only.
    """
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without util-linux's setpriv: cannot make a folder read-only for root")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--", *argv]


def run_child(argv: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a child build from the project root and return its result (text output)."""
    return subprocess.run(argv, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout)
