"""Render Jinja templates into HTML pages with relative URLs and a strict CSP."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from .config import SiteSettings
from .errors import BuildError


def relative_root(site_path: str) -> str:
    """'../' for 'mnist/index.html', '' for 'index.html': pages work under any sub-path."""
    depth = site_path.count("/")
    return "../" * depth


def data_base_url(site: SiteSettings, root: str) -> str:
    """Base URL pages load data from: the site's own `data/` or `site.data_base_url`."""
    if site.data_base_url:
        return site.data_base_url.rstrip("/") + "/"
    return root + "data/"


def content_security_policy(site: SiteSettings) -> str:
    """Only the page's own origin (plus the data origin when data lives elsewhere)."""
    extra = ""
    if site.data_base_url:
        parts = urlsplit(site.data_base_url)
        extra = f" {parts.scheme}://{parts.netloc}"
    return "; ".join([
        "default-src 'self'",
        # blob: for threaded WASM: TF.js starts its pthread workers from blob URLs that importScripts()
        # the backend's own code, also a blob URL (only on cross-origin-isolated pages: site_src/sw/sw.js).
        "script-src 'self' 'wasm-unsafe-eval' blob:",
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{extra}",
        f"connect-src 'self'{extra}",
        "worker-src 'self' blob:",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ])


def _nonfinite_key(value: Any, key: str = "") -> tuple[str, float] | None:
    """(key path such as `jaxOutputs[1][0]`, value) of the first NaN or infinity inside `value`."""
    if isinstance(value, float) and not math.isfinite(value):
        return key, value
    if isinstance(value, dict):
        children = ((f"{key}.{k}" if key else str(k), v) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        children = ((f"{key}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for child_key, child in children:
        found = _nonfinite_key(child, child_key)
        if found:
            return found
    return None


def json_for_script(value: Any, where: str = "page config") -> str:
    """JSON safe to embed in a <script type="application/json"> element.

    NaN and infinities are not JSON (the browser's JSON.parse rejects them): a `BuildError`
    names the first one's key, for the demo to encode it (e.g. as the string "Infinity").
    """
    found = _nonfinite_key(value)
    if found:
        raise BuildError(f"{where}: '{found[0]}' is {found[1]}, which JSON cannot hold; encode non-finite "
                         'numbers in the page data (e.g. as the strings "NaN", "Infinity", "-Infinity")')
    return json.dumps(value, sort_keys=True, allow_nan=False).replace("</", "<\\/")


class Renderer:
    """One Jinja environment for the whole site."""

    def __init__(self, templates_dir: Path, site: SiteSettings, nav: list[dict], assets: dict[str, str]):
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir)),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        self.site = site
        self.nav = nav
        self.assets = assets  # asset name -> site-relative path

    def render(self, template: str, site_path: str, *, page: dict | None = None, bundle: str | None = None,
               title: str = "", root: str | None = None) -> str:
        """Render `template` as the page at `site_path`; `root` overrides the relative path to the site root."""
        root = relative_root(site_path) if root is None else root
        page = page or {}
        config = {"dataBaseUrl": data_base_url(self.site, root), "root": root, **page.get("client", {})}
        canonical = self.site.site_url.rstrip("/") + "/" + site_path.removesuffix("index.html") \
            if self.site.site_url else ""
        return self.env.get_template(template).render(
            site=self.site, page=page, root=root, title=title, nav=self.nav,
            bundle=(root + bundle) if bundle else None,
            assets={k: root + v for k, v in self.assets.items()},
            page_config=json_for_script(config, f"{site_path}: page config"), csp=content_security_policy(self.site),
            canonical=canonical, site_path=site_path,
        )
