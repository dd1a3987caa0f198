"""Write a user's demo module into a project folder and run it through the build's adapter."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from builders.app import DemoError
from builders.app.project import Config, load_demo
from builders.cache import Cache
from builders.demos.base import BuildContext

HEADER = "import jax.numpy as jnp\nfrom builders import app\n"  # lines 1-2 of every demo.py below


def write_demo(folder: Path, body: str) -> Path:
    """demo.py in `folder`: HEADER, then `body` from line 3."""
    path = folder / "demo.py"
    path.write_text(HEADER + textwrap.dedent(body).lstrip("\n"))
    return path


def context(folder: Path) -> BuildContext:
    return BuildContext(site=None, cache=Cache(folder / ".cache"), profile="smoke", project_root=folder)


def load(folder: Path, body: str, name: str = "iris"):
    """The `app.Demo` that demo.py declares, checked like the build checks it."""
    return load_demo(Config(module=str(write_demo(folder, body))), context(folder), name, folder)


def errors(folder: Path, body: str) -> list[str]:
    """The lines of the DemoError that demo.py's demo gives."""
    with pytest.raises(DemoError) as info:
        load(folder, body)
    return str(info.value).splitlines()
