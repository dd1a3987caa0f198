"""The one way the builder runs external tools: quiet on success, loud on failure."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

from .errors import ToolError


def run_tool(args: Sequence[str | Path], *, cwd: Path | None = None, env: dict | None = None,
             input_text: str | None = None, timeout: float = 900) -> str:
    """Run a command and return its stdout; on failure raise `ToolError` with the command and output."""
    argv = [str(a) for a in args]
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, input=input_text, capture_output=True, text=True,
                              timeout=timeout)
    except FileNotFoundError:
        raise ToolError(f"'{argv[0]}' is not installed or not on PATH (needed for: {shlex.join(argv)})") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"timed out after {timeout:.0f}s: {shlex.join(argv)}") from None
    if proc.returncode != 0:
        output = "\n".join(s for s in (proc.stdout.strip(), proc.stderr.strip()) if s)
        raise ToolError(f"command failed (exit {proc.returncode}): {shlex.join(argv)}\n{output}")
    return proc.stdout
