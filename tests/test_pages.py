"""Pages as a visitor meets them (issue 20): opened from disk, edited inputs, the backend line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders.build import PROJECT_ROOT, build
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


# ---- the JAX page: edited input ------------------------------------------------------------------


def test_jax_outputs_are_marked_stale_when_the_input_is_edited(jax_server, browser_page):
    page = browser_page
    page.goto(jax_server + "jax/index.html")
    section = page.locator('[data-testid="model-polymorphic"]')
    section.locator('[data-testid="tfjs-output"]').filter(has_text="[").wait_for()
    assert section.get_attribute("data-state") == "current"
    assert not section.locator('[data-testid="stale-note"]').is_visible()
    page.locator('[data-testid="input-rows"]').press_sequentially("\n7, 8")  # typed, as a visitor does
    for name in ("static", "polymorphic"):
        stale = page.locator(f'[data-testid="model-{name}"]')
        assert stale.get_attribute("data-state") == "stale"
        note = stale.locator('[data-testid="stale-note"]')
        assert note.is_visible()
        assert note.inner_text() == "Input edited: these outputs are for the previous input; press “Run in TF.js”."
        assert float(page.evaluate("e => getComputedStyle(e).opacity",
                                   stale.locator(".outputs").element_handle())) < 1
    assert section.locator('[data-testid="tfjs-output"]').inner_text() == "[[0,1],[1,3],[2,5]]"  # still the old one
    page.click('[data-testid="compute"]')
    section.locator('[data-testid="tfjs-output"]').filter(has_text="[3.5,8]").wait_for()
    assert section.get_attribute("data-state") == "current"
    assert not section.locator('[data-testid="stale-note"]').is_visible()
    # The textarea has a label (axe: "Form elements must have labels").
    assert page.locator('label[for="input-rows"]').inner_text() == "Input rows"


# ---- the LiT page: which backend runs ------------------------------------------------------------


@pytest.fixture(scope="module")
def lit_server(tmp_path_factory):
    """The project's LiT demo alone, smoke profile (the project's smoke cache)."""
    out = tmp_path_factory.mktemp("pages_lit") / "_site"
    build(PROJECT_ROOT / "site.toml", out, only=["lit"], profile="smoke")
    server, url = serve_directory(out)
    yield url
    server.shutdown()


def test_lit_page_states_the_backend_as_a_fact(lit_server, browser_page):
    """Headless Chromium has software WebGL only, so WASM is chosen first: that is no warning."""
    page = browser_page
    page.goto(lit_server + "lit/index.html")
    page.get_by_test_id("model-status").filter(has_text="ready").wait_for(timeout=120_000)
    runs_on = page.get_by_test_id("runs-on")
    threads = page.evaluate("document.documentElement.dataset.wasmThreads")
    assert threads is not None and int(threads) >= 1
    assert runs_on.inner_text() == f"Runs on WASM ({threads} thread{'' if threads == '1' else 's'})."
    page_text = page.locator("lit-app").inner_text()
    assert "WebGL is not available" not in page_text
    assert "slower" not in page_text
    page.goto(lit_server + "lit/index.html?backend=webgl")
    page.get_by_test_id("model-status").filter(has_text="ready").wait_for(timeout=120_000)
    assert page.get_by_test_id("runs-on").inner_text() == "Runs on WebGL."
