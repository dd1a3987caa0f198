"""Shared fixtures: a smoke-profile site built once per session, a local server, headless Chromium."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from builders.build import PROJECT_ROOT, build

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The project's site.toml built with `--profile smoke` into a temporary folder."""
    out = tmp_path_factory.mktemp("site") / "_site"
    build(PROJECT_ROOT / "site.toml", out, profile="smoke")
    return out


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json"}

    def log_message(self, format, *args):  # noqa: A002
        pass


def serve_directory(directory: Path, handler_cls=QuietHandler):
    """Start a threaded HTTP server for `directory` on a free port; returns (server, base_url)."""
    handler = functools.partial(handler_cls, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def site_server(built_site) -> str:
    """Base URL (ending in /) of a local server for the smoke-built site."""
    server, url = serve_directory(built_site)
    yield url
    server.shutdown()


# Fixtures that start Chromium: a test using any of them (directly or through another fixture) is a
# browser test, whatever its module says. Tests that run Chromium some other way (a CLI) ask for `chromium`.
BROWSER_FIXTURES = frozenset({"chromium", "browser", "browser_page"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: a test marked here is deselected by `-m "not browser"`
def pytest_collection_modifyitems(config, items):
    """Mark every test that needs Chromium `browser`, so the marker can never be forgotten."""
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's Chromium; fails (never skips) when it is missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`)")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def browser_page(browser):
    """A fresh page that records every request URL (`page.requests`) and console error (`page.console_errors`)."""
    context = browser.new_context()
    page = context.new_page()
    page.requests = []
    page.console_errors = []
    page.on("request", lambda req: page.requests.append(req.url))
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: page.console_errors.append(str(err)))
    page.set_default_timeout(60_000)
    yield page
    context.close()


def foreign_requests(requests: list[str], base_url: str) -> list[str]:
    """Requests that went to any origin other than `base_url`'s (data: and blob: URLs are local)."""
    origin = urlsplit(base_url).netloc
    return [u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
            and urlsplit(u).netloc != origin]
