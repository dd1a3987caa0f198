"""LiT test fixtures. `LIT_BUILT_SITE=/path/to/_site` reuses an existing smoke build instead of
building one (handy when iterating on the browser tests alone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def built_site(request, tmp_path_factory) -> Path:
    existing = os.environ.get("LIT_BUILT_SITE")
    if existing:
        return Path(existing)
    from builders.build import PROJECT_ROOT, build

    out = tmp_path_factory.mktemp("site") / "_site"
    build(PROJECT_ROOT / "site.toml", out, profile="smoke")
    return out
