"""Pages as a visitor meets them (issue 20): opened from disk, edited inputs, the backend line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders.build import build
from tests.conftest import serve_directory
from tests.test_deploy import only_jax_config

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def jax_site(tmp_path_factory) -> Path:
    """A jax-only site (home, JAX page, benchmark page), smoke profile, its own cache."""
    tmp = tmp_path_factory.mktemp("pages")
    out = tmp / "_site"
    build(only_jax_config(tmp), out, cache_dir=tmp / "cache", profile="smoke")
    return out


@pytest.fixture(scope="module")
def jax_server(jax_site):
    server, url = serve_directory(jax_site)
    yield url
    server.shutdown()


# ---- opened from disk ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["index.html", "jax/index.html", "benchmark/index.html"])
def test_a_page_opened_from_disk_says_how_to_serve_the_site(jax_site, browser_page, path):
    """file:// pages cannot run module scripts or fetch(): the page says so, with the serve command."""
    page = browser_page
    page.goto((jax_site / path).as_uri())
    notice = page.locator('[data-testid="file-protocol"]')
    notice.wait_for(timeout=10_000)
    assert notice.get_attribute("role") == "alert"
    text = notice.inner_text()
    assert "opened as a file" in text
    assert f"python -m builders.serve --dir {jax_site}" in notice.locator("pre").inner_text()
    # It is the first thing in <main>, styled as a box (the site CSS loads from disk too).
    assert page.evaluate("document.querySelector('main').firstElementChild.dataset.testid") == "file-protocol"
    assert page.evaluate("getComputedStyle(document.querySelector('.file-protocol')).borderTopStyle") == "solid"
    for status in page.locator('[data-testid="status"]').all():
        assert status.inner_text() == "Not started: this page was opened as a file (see above)."


def test_a_served_page_shows_no_file_notice(jax_server, browser_page):
    page = browser_page
    page.goto(jax_server + "jax/index.html")
    page.locator('[data-testid="tfjs-output"]').first.filter(has_text="[").wait_for()
    assert page.locator('[data-testid="file-protocol"]').count() == 0
    assert json.loads(page.locator('[data-testid="tfjs-output"]').first.inner_text()) == [[0, 1], [1, 3], [2, 5]]
