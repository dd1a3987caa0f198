"""Content-addressed cache for build steps under `.cache/<step>/<key>/`.

A step's key hashes its inputs (config values, input file contents, the source
code of the modules that compute it), so a second build with nothing changed
reuses every result and a change to any input recomputes exactly that step.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any


def hash_files(paths: Iterable[Path]) -> str:
    """SHA-256 over the names and bytes of `paths` (folders are walked in sorted order)."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.name).encode())
            with open(file, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of one file's bytes (for pinned downloads)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_code(*modules: ModuleType) -> str:
    """SHA-256 of the source files of `modules` (a package includes all its .py files)."""
    files: list[Path] = []
    for module in modules:
        source = Path(inspect.getfile(module))
        if source.name == "__init__.py":
            files.extend(source.parent.rglob("*.py"))
        else:
            files.append(source)
    return hash_files(files)


@dataclass
class CacheResult:
    """A cached step output: its folder, the value the step returned, and whether it was reused."""

    path: Path
    value: Any
    hit: bool


class Cache:
    """Runs step functions once per distinct key."""

    def __init__(self, root: Path | str = ".cache", enabled: bool = True):
        self.root = Path(root)
        self.enabled = enabled
        self.events: list[tuple[str, bool]] = []

    def key(self, step: str, inputs: Any) -> str:
        blob = json.dumps({"step": step, "inputs": inputs}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def run(self, step: str, inputs: Any, fn: Callable[[Path], Any]) -> CacheResult:
        """Return the cached result for (`step`, `inputs`), computing it with `fn(out_dir)` if absent.

        `fn` writes its files into `out_dir` and returns a JSON-serialisable value.
        The folder appears atomically, so an interrupted step leaves no partial entry.
        """
        key = self.key(step, inputs)
        final = self.root / step / key
        result_file = final / "result.json"
        if self.enabled and result_file.is_file():
            self.events.append((step, True))
            return CacheResult(final, json.loads(result_file.read_text()), True)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
        try:
            value = fn(tmp)
            (tmp / "result.json").write_text(json.dumps(value, sort_keys=True, indent=1))
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.events.append((step, False))
        return CacheResult(final, value, False)
