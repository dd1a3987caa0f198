"""Build the mkdocs documentation into the site (`_site/docs/`)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .cache import Cache, hash_files
from .proc import run_tool


def build_docs(root: Path, dest: Path, cache: Cache, registry: dict) -> str | None:
    """Run `mkdocs build --strict` (cached by the docs sources); None when there is no mkdocs.yml."""
    config = root / "mkdocs.yml"
    if not config.is_file():
        return None
    inputs = {"docs": hash_files([root / "docs", config])}

    def build(out: Path) -> dict:
        run_tool([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(config),
                  "-d", str(out / "site")], cwd=root)
        return {}

    before = len(cache.events)
    result = cache.run("docs", inputs, build)
    shutil.copytree(result.path / "site", dest)
    return "cached" if cache.events[before][1] else "rebuilt"
