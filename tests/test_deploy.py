"""A deployable site: reproducible bytes, no broken links, strict CSP, data on another origin, offline."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from builders.build import build
from builders.demos import demo_registry
from builders.not_found import script_hash
from builders.serve import CORSRequestHandler
from tests.conftest import QuietHandler, foreign_requests, serve_directory

EXPECTED = [[0, 1], [1, 3], [2, 5]]  # prod(weight=[0.5, 1]) on np.arange(6).reshape(3, 2)


def only_jax_config(directory: Path, site: str = "") -> Path:
    """A site.toml with only the JAX example enabled (every other registered demo disabled)."""
    disabled = "".join(f"[demos.{n}]\nenabled = false\n" for n in demo_registry() if n != "jax")
    path = directory / "site.toml"
    path.write_text(f'[site]\ntitle = "Deploy test"\n{site}\n[demos.jax]\nrows = 3\n' + disabled)
    return path


@pytest.fixture(scope="module")
def jax_site(tmp_path_factory) -> Path:
    """A jax-only site, built once for this module with its own cache."""
    tmp = tmp_path_factory.mktemp("deploy")
    out = tmp / "_site"
    build(only_jax_config(tmp), out, cache_dir=tmp / "cache")
    return out


def site_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---- reproducible output -------------------------------------------------------------------------


def test_two_builds_from_the_same_inputs_are_byte_identical(jax_site, tmp_path):
    # A second cache folder: every step (conversion, verification, bundling, docs) really runs again.
    out = tmp_path / "_site"
    result = build(only_jax_config(tmp_path), out, cache_dir=tmp_path / "cache")
    assert {r.step: r.status for r in result.records}["jax"] == "rebuilt"
    first, second = site_files(jax_site), site_files(out)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []
    assert len(first) > 40  # pages, bundles, models, wasm, docs


# ---- link checker --------------------------------------------------------------------------------


class LinkParser(HTMLParser):
    """Collects every href/src, element id, inline script and meta CSP of one HTML page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.csp: list[str] = []
        self.inline_scripts: list[str] = []
        self.event_handlers: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("href", "src"):
            if attrs.get(key) is not None:
                self.links.append(attrs[key])
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(attrs.get("content") or "")
        self.event_handlers += [k for k in attrs if k.startswith("on")]
        if tag == "script":
            self._script = attrs

    def handle_data(self, data):
        if self._script is not None and "src" not in self._script and data.strip() \
                and self._script.get("type") != "application/json":
            self.inline_scripts.append(data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def parse(path: Path) -> LinkParser:
    parser = LinkParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def is_external(url: str) -> bool:
    return bool(urlsplit(url).scheme) or url.startswith("//")


def resolve(site: Path, page: Path, url: str) -> Path:
    target = (page.parent / unquote(urlsplit(url).path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target


def broken_links(site: Path) -> list[str]:
    """Every internal href/src of every page (and url() in CSS, shards in model.json) that does not resolve."""
    site = site.resolve()
    pages = {p: parse(p) for p in site.rglob("*.html")}
    broken = []
    for page, parsed in pages.items():
        if page == site / "404.html":
            # Served for any missing path, so its links can only be absolute (from site_url): checked apart.
            continue
        for url in parsed.links:
            if is_external(url) or url in ("", "#"):
                continue
            if url.startswith("#"):
                if url[1:] not in parsed.ids:
                    broken.append(f"{page.relative_to(site)}: anchor {url} not found")
                continue
            target = resolve(site, page, url)
            if not target.is_file() or site not in target.parents:
                broken.append(f"{page.relative_to(site)}: {url}")
                continue
            fragment = urlsplit(url).fragment
            if fragment and target.suffix == ".html" and fragment not in pages[target].ids:
                broken.append(f"{page.relative_to(site)}: {url} (no such anchor)")
    for css in site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css.read_text(encoding="utf-8")):
            if not is_external(url) and not resolve(site, css, url).is_file():
                broken.append(f"{css.relative_to(site)}: url({url})")
    for model in site.rglob("model.json"):
        for group in json.loads(model.read_text())["weightsManifest"]:
            broken += [f"{model.relative_to(site)}: {p}" for p in group["paths"] if not (model.parent / p).is_file()]
    return broken


def test_link_checker_finds_no_broken_internal_links_or_missing_assets(jax_site):
    assert broken_links(jax_site) == []
    assert len(list(jax_site.rglob("*.html"))) >= 14  # index, 404, jax, benchmark, the docs pages


def test_link_checker_catches_a_broken_link_and_a_missing_asset(jax_site, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(jax_site, site)
    (site / "assets" / "site.css").unlink()
    page = site / "docs" / "index.html"
    page.write_text(page.read_text().replace("</body>", '<a href="nowhere.html">x</a></body>'))
    broken = broken_links(site)
    assert "docs/index.html: nowhere.html" in broken
    assert "jax/index.html: ../assets/site.css" in broken


def test_sw_manifest_lists_only_existing_files(jax_site):
    text = (jax_site / "sw.js").read_text()
    manifest = json.loads(re.search(r"const MANIFEST = (\{.*\});", text).group(1))
    urls = {u for files in manifest["pages"].values() for u in files}
    assert "jax/index.html" in manifest["pages"]
    assert {"data/models/jax/static/model.json", "assets/site.css"} <= set(manifest["pages"]["jax/index.html"])
    assert [u for u in urls if not (jax_site / u).is_file()] == []


def test_service_worker_can_be_turned_off(jax_site, tmp_path):
    out = tmp_path / "_site"
    build(only_jax_config(tmp_path, "service_worker = false"), out, cache_dir=jax_site.parent / "cache")
    assert not (out / "sw.js").exists()
    assert not list((out / "assets").glob("sw-register-*.js"))
    assert "sw-register" not in (out / "jax" / "index.html").read_text()
    assert re.search(r'src="../assets/sw-register-[0-9a-f]+\.js"', (jax_site / "jax" / "index.html").read_text())


# ---- content security policy ---------------------------------------------------------------------

ALLOWED_SOURCES = {"'self'", "'none'", "'wasm-unsafe-eval'", "data:", "blob:"}


def csp_problems(site: Path, extra_origin: str = "") -> list[str]:
    problems = []
    for page in sorted(site.rglob("*.html")):
        parsed, name = parse(page), str(page.relative_to(site))
        if len(parsed.csp) != 1:
            problems.append(f"{name}: {len(parsed.csp)} CSP meta elements")
            continue
        directives = dict((d.split()[0], d.split()[1:]) for d in parsed.csp[0].split(";") if d.strip())
        if directives.get("default-src") != ["'self'"]:
            problems.append(f"{name}: default-src {directives.get('default-src')}")
        for directive, sources in directives.items():
            allowed = ALLOWED_SOURCES | ({"'unsafe-inline'"} if directive == "style-src" else set())
            if directive == "script-src":
                allowed = allowed | {script_hash(s) for s in parsed.inline_scripts}
            if directive in ("connect-src", "img-src") and extra_origin:
                allowed = allowed | {extra_origin}
            problems += [f"{name}: {directive} {s}" for s in sources if s not in allowed]
        if "'self'" not in directives.get("script-src", []) or "'unsafe-inline'" in directives.get("script-src", []):
            problems.append(f"{name}: script-src {directives.get('script-src')}")
        # An inline script runs only if script-src lists its hash (404.html's, which cannot load one).
        problems += [f"{name}: inline script {s.strip()[:80]!r}" for s in parsed.inline_scripts
                     if script_hash(s) not in directives.get("script-src", [])]
        problems += [f"{name}: inline event handler {h}" for h in parsed.event_handlers]
    return problems


def test_every_page_allows_only_its_own_origin_and_has_no_inline_scripts(jax_site):
    assert csp_problems(jax_site) == []


# ---- data on another origin ----------------------------------------------------------------------


class SwitchableCORSHandler(CORSRequestHandler):
    """The data host: sends Access-Control-Allow-Origin only while `send_cors` is true."""

    send_cors = True

    def end_headers(self):
        if self.send_cors:
            self.send_header("Access-Control-Allow-Origin", "*")
        QuietHandler.end_headers(self)

    def log_message(self, format, *args):  # noqa: A002
        pass


def wait_for_output(page, name):
    output = page.locator(f'[data-testid="model-{name}"] [data-testid="tfjs-output"]')
    output.filter(has_text="[").wait_for()
    return json.loads(output.inner_text())


@pytest.mark.browser
@pytest.mark.slow
def test_pages_load_data_from_another_origin(tmp_path, browser):
    data_dir = tmp_path / "data-host"
    data_dir.mkdir()
    handler = type("DataHandler", (SwitchableCORSHandler,), {"send_cors": True})
    data_server, data_url = serve_directory(data_dir, handler)
    site = tmp_path / "_site"
    build(only_jax_config(tmp_path, f'data_base_url = "{data_url}"'), site, cache_dir=tmp_path / "cache")
    # Publish the data folder on the data host, and only there.
    shutil.copytree(site / "data", data_dir, dirs_exist_ok=True)
    shutil.rmtree(site / "data")
    data_origin = data_url.rstrip("/")
    assert csp_problems(site, data_origin) == []
    assert f"connect-src 'self' {data_origin}" in parse(site / "jax" / "index.html").csp[0]

    pages_server, pages_url = serve_directory(site)
    try:
        context = browser.new_context()
        page = context.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.set_default_timeout(60_000)
        page.goto(pages_url + "jax/index.html")
        for name in ("static", "polymorphic"):
            assert wait_for_output(page, name) == EXPECTED
            assert page.get_attribute(f'[data-testid="model-{name}"] [data-testid="match"]', "data-state") == "match"
        assert data_url + "models/jax/static/model.json" in requests
        assert [u for u in foreign_requests(requests, pages_url) if not u.startswith(data_url)] == []
        context.close()

        # The same data host without the CORS header: the page must say what is wrong.
        handler.send_cors = False
        context = browser.new_context()  # fresh HTTP cache and no service worker
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(pages_url + "jax/index.html")
        error = page.locator('[data-testid="error"]')
        error.wait_for()
        message = error.inner_text()
        assert message.startswith(f"could not load the model from {data_url}models/jax/")
        assert "that server must send Access-Control-Allow-Origin" in message
        assert page.locator('[data-testid="status"]').inner_text() == "Failed to start."
        context.close()
    finally:
        pages_server.shutdown()
        data_server.shutdown()


# ---- no third-party requests, offline ------------------------------------------------------------


@pytest.mark.browser
def test_index_and_docs_make_no_third_party_requests(jax_site, browser_page):
    server, url = serve_directory(jax_site)
    try:
        page = browser_page
        for path in ("index.html", "docs/index.html", "docs/converter.html"):
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
        # The docs search loads its index and worker from the site, and searches as you type.
        page.locator("input.md-search__input").press_sequentially("polymorphic")
        page.locator(".md-search-result__item").first.wait_for()
        assert foreign_requests(page.requests, url) == []
        assert page.console_errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_service_worker_reopens_a_demo_offline(jax_site, browser):
    server, url = serve_directory(jax_site)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url + "jax/index.html")
        assert wait_for_output(page, "static") == EXPECTED
        page.wait_for_function("() => document.documentElement.dataset.offline === 'ready'")
        context.set_offline(True)
        page.reload()
        for name in ("static", "polymorphic"):
            assert wait_for_output(page, name) == EXPECTED
        assert page.locator('[data-testid="match"]').first.get_attribute("data-state") == "match"
    finally:
        context.close()
        server.shutdown()


@pytest.mark.slow
def test_full_site_has_no_broken_links_and_a_strict_csp_everywhere(built_site):
    """The same checks over the project's own site.toml (every enabled demo, smoke profile)."""
    assert broken_links(built_site) == []
    assert csp_problems(built_site) == []
