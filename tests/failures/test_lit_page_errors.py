"""The LiT page says what went wrong instead of silently carrying on.

A missing or malformed `tokenizer.json` used to become the default tokenizer without a word, and a
backend that failed to start was skipped without a reason.
"""

from __future__ import annotations

import re

import pytest

from builders.build import PROJECT_ROOT, build
from tests.conftest import serve_directory

pytestmark = pytest.mark.browser

REBUILD = "rebuild the site (python -m builders.build) to write it again"


@pytest.fixture(scope="module")
def lit_server(tmp_path_factory):
    """The project's site.toml built with only the LiT demo (smoke profile, the project's cache)."""
    out = tmp_path_factory.mktemp("lit-site") / "_site"
    build(PROJECT_ROOT / "site.toml", out, only=["lit"], profile="smoke")
    server, url = serve_directory(out)
    yield url
    server.shutdown()


@pytest.fixture
def lit_page(browser):
    # Service workers are blocked: requests they make are invisible to page.route.
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.console_lines = []
    page.on("console", lambda msg: page.console_lines.append((msg.type, msg.text)))
    yield page
    context.close()


def messages(page) -> list[str]:
    return page.get_by_test_id("message").locator("span").all_inner_texts()


def test_missing_tokenizer_json_is_a_warning(lit_server, lit_page):
    page = lit_page
    page.route("**/models/tiny/tokenizer.json", lambda route: route.fulfill(status=404, body="not here"))
    page.goto(lit_server + "lit/index.html")
    page.get_by_test_id("model-status").filter(has_text="ready").wait_for()
    url = lit_server + "data/models/tiny/tokenizer.json"
    warning = (f"{url} not found (HTTP 404): tokenizing with the original LiT demo's defaults, which match "
               "Python only for plain lower-case text; rebuild the site to publish tokenizer.json")
    assert f"The 'tiny' model: {warning}." in "\n".join(messages(page))
    assert ("warning", f"LiT model 'tiny': {warning}") in page.console_lines


def test_malformed_tokenizer_json_is_an_error(lit_server, lit_page):
    page = lit_page
    page.route("**/models/tiny/tokenizer.json", lambda route: route.fulfill(status=200, body='{"model_type": "BPE"'))
    page.goto(lit_server + "lit/index.html")
    page.get_by_test_id("model-status").filter(has_text="failed").wait_for()
    url = lit_server + "data/models/tiny/tokenizer.json"
    [error] = [m for m in messages(page) if m.startswith("Could not load the 'tiny' model: ")]
    assert error.startswith(f"Could not load the 'tiny' model: {url} is not valid JSON (") and REBUILD in error
    assert any(kind == "error" and text.startswith("Could not load the 'tiny' model: ")
               for kind, text in page.console_lines)


def test_backend_that_fails_to_start_is_named_with_its_reason(lit_server, lit_page):
    page = lit_page
    # The WASM binaries cannot be fetched: TF.js's WASM backend fails, the next backend is used.
    page.route("**/*.wasm", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(lit_server + "lit/index.html?backend=wasm")
    page.get_by_test_id("model-status").filter(has_text="ready").wait_for()
    [warning] = [m for m in messages(page) if m.startswith("The WASM backend could not start (")]
    assert re.search(r"\); running on (WebGL|CPU)\.$", warning), warning
    [line] = [t for k, t in page.console_lines if k == "warning" and t.startswith("TF.js backend 'wasm' failed")]
    assert line.startswith("TF.js backend 'wasm' failed to start: ") and line.endswith("; trying 'webgl'"), line
    reason = line.removeprefix("TF.js backend 'wasm' failed to start: ").removesuffix("; trying 'webgl'")
    assert reason and reason != "TF.js could not initialise it", "the reason was lost"
    assert warning.startswith(f"The WASM backend could not start ({reason}); running on ")
