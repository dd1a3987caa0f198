"""Page weight: what each page makes a visitor download, raw and gzipped, against `site.toml` budgets.

A page's weight is its JavaScript bundle (the one minified, content-hashed file the page loads)
and the data it publishes (models, vocabularies). GitHub Pages serves text with gzip, so the
gzip column is what travels for the bundle; model shards are binary and barely compress, so data
is counted raw. Budgets are warnings, not errors: a bigger model is a choice, not a broken build.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from .summary import human_bytes


@dataclass
class PageWeight:
    page: str
    bundle_bytes: int
    bundle_gzip_bytes: int
    data_bytes: int


def gzip_size(path: Path) -> int:
    """Bytes of `path` after gzip -9 (what a static host sends with Content-Encoding: gzip)."""
    return len(gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0))


def measure(page: str, bundle: Path | None, data_files: list[Path]) -> PageWeight:
    """The weight of one page from its bundle file and published data files."""
    raw = bundle.stat().st_size if bundle else 0
    return PageWeight(page, raw, gzip_size(bundle) if bundle else 0, sum(Path(p).stat().st_size for p in data_files))


def over_budget(weights: list[PageWeight], bundle_kb: int, bundle_gzip_kb: int, data_kb: int) -> list[str]:
    """One warning per page and budget exceeded (a budget of 0 is no budget)."""
    warnings = []
    for w in weights:
        for label, value, budget, key in (("bundle", w.bundle_bytes, bundle_kb, "budget_bundle_kb"),
                                          ("gzipped bundle", w.bundle_gzip_bytes, bundle_gzip_kb,
                                           "budget_bundle_gzip_kb"),
                                          ("data", w.data_bytes, data_kb, "budget_data_kb")):
            if budget and value > budget * 1024:
                warnings.append(f"{w.page}: {label} is {value / 1024:.0f} KB, over the {budget} KB budget "
                                f"(site.toml [site] {key}); trim the page or raise the budget")
    return warnings


def format_weights(weights: list[PageWeight]) -> str:
    """A table: page, bundle (minified), bundle (gzip), data."""
    rows = [("page", "bundle", "gzip", "data")]
    rows += [(w.page, human_bytes(w.bundle_bytes), human_bytes(w.bundle_gzip_bytes),
              human_bytes(w.data_bytes) if w.data_bytes else "-") for w in weights]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def page_weights(pages: list, site_dir: Path) -> list[PageWeight]:
    """The weight of every page of a built (or staged) site, from the files it holds."""
    assets = sorted((Path(site_dir) / "assets").glob("*.js"))
    weights = []
    for page in pages:
        pattern = re.compile(rf"^{re.escape(page.name)}-[0-9a-f]{{10}}\.js$")
        bundle = next((a for a in assets if pattern.match(a.name)), None)
        weights.append(measure(page.name, bundle, [Path(site_dir) / rel for rel in page.files]))
    return weights
