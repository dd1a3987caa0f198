"""The contract between the build and each demo.

A demo is a module in `builders/demos/` with:

- `NAME`: str, the URL folder (`_site/<NAME>/index.html`) and the `[demos.<NAME>]` table;
- `Config`: a dataclass of the demo's `site.toml` settings (each field has a default and a
  `metadata={"doc": ...}` docstring; `SMOKE` class attribute: dict of overrides for
  `--profile smoke`);
- `build_assets(config, ctx: BuildContext) -> Page`: does the heavy work through
  `ctx.cache.run(...)` and returns what the page needs.

The build bundles `Page.entry` with esbuild, renders `Page.template` with `Page.data`,
and copies `Page.files` into the site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cache import Cache


@dataclass
class BuildContext:
    """What a demo step may use: settings, cache, profile and a progress-friendly logger."""

    site: Any  # builders.config.SiteConfig
    cache: Cache
    profile: str  # "default" or "smoke"
    project_root: Path
    verbose: bool = False

    def log(self, message: str) -> None:
        print(f"  {message}", flush=True)


@dataclass
class Page:
    """A demo page: template and data to render, script to bundle, files to publish."""

    name: str
    title: str
    description: str
    template: str  # relative to templates/, e.g. "jax/index.html"
    entry: str | None = None  # TypeScript entry, relative to the project root
    data: dict[str, Any] = field(default_factory=dict)  # template variables
    files: dict[str, Path] = field(default_factory=dict)  # site-relative path -> source file
    summary: dict[str, Any] = field(default_factory=dict)  # numbers for the build summary
    extra_pages: dict[str, str] = field(default_factory=dict)  # site path -> template (same data)
    extra_entries: dict[str, str] = field(default_factory=dict)  # bundle name -> TS entry
    # TF.js kernels the page's own code runs besides its models' (which are recorded from the
    # model.json files in `files`): the page then bundles only those (builders/tfjs_kernels.py).
    # None bundles every kernel of every backend: the safe default for a page that runs TF.js ops
    # of its own.
    tfjs_kernels: list[str] | None = None
    # The TF.js backends the page's bundle includes. "webgpu" only for pages that check their model
    # on each backend before using it (site_src/common/checked_backend.ts).
    tfjs_backends: tuple[str, ...] = ("cpu", "webgl", "wasm")
    # Models for the benchmark page, optional: each {"name", "url" (relative to the data base URL,
    # e.g. "models/lit/tiny/tfjs/model.json"), "inputs": [{"name", "shape", "dtype", "kind":
    # "random"|"tokens"|"sparse_indices", "max"?}]}. Empty: every data/**/model.json in `files` is
    # benchmarked with inputs read from its signature (see builders/benchmark_page.py).
    benchmarks: list[dict[str, Any]] = field(default_factory=list)
