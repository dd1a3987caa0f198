"""The offline service worker: `<site>/sw.js` with the list of files each page needs.

`site_src/sw/sw.js` is copied to the site root with its `MANIFEST` line replaced by the
list generated here; `site_src/sw/register.ts` (bundled like the demos' scripts, loaded by
`base.html` as an external module) registers it and asks it to cache the page being viewed.
The list names each page's HTML, its script bundles, the stylesheet, the TF.js WASM binaries
and the page's data files. Bundles have content-hashed names and models are reproducible,
so a URL keeps its bytes until a build changes them; the manifest's `version` (a hash of
every listed file) changes sw.js whenever any of them changes, which makes browsers update, and
its `hashes` tell the worker which cached files are still this build's. The worker also makes
the pages cross-origin isolated (COOP/COEP/CORP), which GitHub Pages cannot do with headers.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .cards import CARDS_DIR, MODELS_DIR
from .config import SiteSettings
from .demos.base import Page
from .paths import TOOL_ROOT

SOURCE = TOOL_ROOT / "site_src" / "sw" / "sw.js"
REGISTER_ENTRY = ("sw-register", "site_src/sw/register.ts")
SHARE_ENTRY = ("share", "site_src/share/share.ts")  # every demo page's Share control (base.html)
# Assets every page loads (templates/base.html), besides the stylesheet and the registration script.
SHARED_ASSETS = ("file-protocol", "share")
MANIFEST_LINE = "const MANIFEST = {version: '', pages: {}}; // replaced at build time"


def _data_url(site: SiteSettings, rel: str) -> str:
    """Where the browser fetches a site-relative `data/...` file from (another origin when configured)."""
    if site.data_base_url and rel.startswith("data/"):
        return site.data_base_url.rstrip("/") + "/" + rel.removeprefix("data/")
    return rel


def page_files(page: Page, assets: dict[str, str], site: SiteSettings, wasm: list[str]) -> dict[str, list[str]]:
    """Site path of each HTML page of `page` -> the URLs it needs offline (sorted)."""
    shared = [assets["css"], *wasm, *(assets[n] for n in SHARED_ASSETS if n in assets)]
    if REGISTER_ENTRY[0] in assets:
        shared.append(assets[REGISTER_ENTRY[0]])
    bundles = [assets[n] for n in (page.name, *page.extra_entries) if n in assets]
    data = [_data_url(site, rel) for rel in page.files]
    result = {}
    for html in (f"{page.name}/index.html", *page.extra_pages):
        result[html] = sorted({html, *shared, *bundles, *data})
    return result


def build_manifest(staging: Path, pages: list[Page], assets: dict[str, str], site: SiteSettings) -> dict:
    """{"version", "pages": {html path: [urls]}, "hashes": {url: hash}} for every demo page and the index.

    `hashes` lets the worker keep a cached file across builds while its bytes stay the same and
    drop it when they change; `version` (a hash of them all) changes sw.js with any listed file.
    The threaded WASM binary is listed too: the worker makes pages cross-origin isolated, and
    there TF.js picks it (site_src/common/backend.ts).
    """
    wasm = sorted(str(p.relative_to(staging)) for p in (staging / "assets" / "wasm").glob("*.wasm"))
    shared = ({assets["css"]} | {assets[n] for n in SHARED_ASSETS if n in assets}
              | ({assets[REGISTER_ENTRY[0]]} if REGISTER_ENTRY[0] in assets else set()))
    # The home page with its card pictures (builders/cards.py), and the model card pages.
    pictures = {str(f.relative_to(staging)) for f in (staging / CARDS_DIR).glob("*") if f.is_file()}
    manifest: dict[str, list[str]] = {"index.html": sorted({"index.html", *shared, *pictures})}
    for card in (staging / MODELS_DIR).glob("*.html"):
        manifest[str(card.relative_to(staging))] = sorted({str(card.relative_to(staging)), *shared})
    for page in pages:
        manifest.update(page_files(page, assets, site, wasm))
    local_of = {_data_url(site, rel): rel for page in pages for rel in page.files}  # absolute data URL -> data/...
    digest = hashlib.sha256()
    hashes = {}
    for url in sorted({u for urls in manifest.values() for u in urls}):
        path = staging / local_of.get(url, url)
        if path.is_file():
            hashes[url] = _file_hash(path)
            digest.update(f"{url}\0{hashes[url]}\0".encode())
    return {"version": digest.hexdigest()[:16], "pages": dict(sorted(manifest.items())), "hashes": hashes}


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def write_service_worker(staging: Path, pages: list[Page], assets: dict[str, str], site: SiteSettings) -> Path:
    """Write `staging/sw.js` with the generated manifest; returns its path."""
    source = SOURCE.read_text(encoding="utf-8")
    if MANIFEST_LINE not in source:
        raise RuntimeError(f"{SOURCE} lost its MANIFEST line; it must read exactly: {MANIFEST_LINE}")
    manifest = json.dumps(build_manifest(staging, pages, assets, site), sort_keys=True, separators=(",", ":"))
    out = staging / "sw.js"
    out.write_text(source.replace(MANIFEST_LINE, f"const MANIFEST = {manifest};"), encoding="utf-8")
    return out
