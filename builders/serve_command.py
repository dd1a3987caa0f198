"""The command that serves a freshly built site, as the build's last line prints it.

`python -m builders.serve` only works where `python` is the interpreter the project is installed
in (an activated venv); a user who ran `.venv/bin/python -m builders.build` or `make site` in a new
shell would get "No module named builders". So the line names the interpreter that ran the build,
or `make serve` when that is the same thing.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

DEFAULT_DIR = "_site"  # builders.serve's --dir default, relative to the folder it runs in


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _has_serve_target(makefile: Path) -> bool:
    try:
        return any(line.startswith("serve:") for line in makefile.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return False


def _python(executable: Path, cwd: Path) -> str:
    """How to name `executable` from `cwd`: relative inside it, `python` when that is it, else absolute."""
    if _inside(executable, cwd):
        return os.path.relpath(executable, cwd)
    on_path = shutil.which("python")
    if on_path and Path(os.path.abspath(on_path)) == executable:
        return "python"
    return str(executable)


def serve_command(out: str | os.PathLike, *, default_build: bool = False, cwd: str | os.PathLike | None = None,
                  executable: str | None = None) -> str:
    """A shell command, run from `cwd` (default: the current folder), that serves the site in `out`.

    `make serve` when `cwd` has a Makefile with a `serve` target, `out` is its `_site/`, the build
    ran with the Makefile's `.venv/bin/python` and `default_build` says it was the plain build that
    `make serve` repeats (no `--only`, `--profile` or `--config`). Otherwise the interpreter that is
    running (`executable`, default `sys.executable`; symlinks kept, so a venv stays a venv) with
    `-m builders.serve`, plus `--dir` when `out` is not `cwd/_site`.
    """
    cwd = Path(os.path.abspath(cwd if cwd is not None else os.getcwd()))
    out_path = Path(os.path.abspath(out))
    python = Path(os.path.abspath(executable or sys.executable))
    is_default_dir = out_path == cwd / DEFAULT_DIR
    if (default_build and is_default_dir and python == cwd / ".venv" / "bin" / "python"
            and _has_serve_target(cwd / "Makefile")):
        return "make serve"
    command = [_python(python, cwd), "-m", "builders.serve"]
    if not is_default_dir:
        command += ["--dir", os.path.relpath(out_path, cwd) if _inside(out_path, cwd) else str(out_path)]
    return shlex.join(command)
