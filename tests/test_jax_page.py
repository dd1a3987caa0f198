"""The article's Example 1 page in headless Chromium: TF.js outputs equal JAX's."""

from __future__ import annotations

import json

import pytest

from builders.build import build
from tests.conftest import foreign_requests, serve_directory

pytestmark = pytest.mark.browser


def model_section(page, name):
    return page.locator(f'[data-testid="model-{name}"]')


def wait_for_output(section):
    section.locator('[data-testid="tfjs-output"]').filter(has_text="[").wait_for()
    return json.loads(section.locator('[data-testid="tfjs-output"]').inner_text())


def test_jax_page_matches_jax_outputs(browser_page, site_server):
    page = browser_page
    page.goto(site_server + "jax/index.html")
    for name in ("static", "polymorphic"):
        section = model_section(page, name)
        assert wait_for_output(section) == [[0, 1], [1, 3], [2, 5]]
        assert json.loads(section.locator('[data-testid="jax-output"]').inner_text()) == [[0, 1], [1, 3], [2, 5]]
        match = section.locator('[data-testid="match"]')
        assert match.get_attribute("data-state") == "match"
        assert "matches JAX" in match.inner_text()
    assert page.locator('[data-testid="progress"]').get_attribute("value") == "100"
    assert "running on" in page.locator('[data-testid="status"]').inner_text()
    assert foreign_requests(page.requests, site_server) == []
    assert page.console_errors == []


def compute(page, rows_text: str, expected_text: str):
    """Enter rows, press the button, and wait until the polymorphic model shows `expected_text`."""
    page.fill('[data-testid="input-rows"]', rows_text)
    page.click('[data-testid="compute"]')
    model_section(page, "polymorphic").locator('[data-testid="tfjs-output"]').filter(
        has_text=expected_text).wait_for()
    return json.loads(model_section(page, "polymorphic").locator('[data-testid="tfjs-output"]').inner_text())


def test_polymorphic_model_takes_any_number_of_rows(browser_page, site_server):
    page = browser_page
    page.goto(site_server + "jax/index.html")
    wait_for_output(model_section(page, "polymorphic"))
    assert compute(page, "1, 2", "[[0.5,2]]") == [[0.5, 2]]
    static = model_section(page, "static")
    assert static.locator('[data-testid="tfjs-output"]').inner_text() == "this model takes exactly 3 rows"
    assert compute(page, "1, 2\n3, 4\n5, 6\n7, 8\n9, 10", "[[0.5,2],[1.5,4]") == [
        [0.5, 2], [1.5, 4], [2.5, 6], [3.5, 8], [4.5, 10]]


def test_typed_values_beyond_float32_show_as_infinity(browser_page, site_server):
    """1e39 is a float32 infinity in TF.js; JSON.stringify printed it as `null`."""
    page = browser_page
    page.goto(site_server + "jax/index.html")
    wait_for_output(model_section(page, "polymorphic"))
    compute(page, "1e39, 1\n-1e39, 0", "Infinity")
    assert model_section(page, "polymorphic").locator('[data-testid="tfjs-output"]').inner_text() == (
        "[[Infinity,1],[-Infinity,0]]")


def test_bad_input_shows_a_message(browser_page, site_server):
    page = browser_page
    page.goto(site_server + "jax/index.html")
    wait_for_output(model_section(page, "static"))
    page.fill('[data-testid="input-rows"]', "1, 2\nthree")
    page.click('[data-testid="compute"]')
    assert page.locator('[data-testid="error"]').inner_text() == 'line 2: expected 2 numbers, got "three"'


def test_software_webgl_yields_to_wasm(browser_page, site_server):
    """Headless Chromium without a GPU renders WebGL with SwiftShader (on the CPU): the page detects it
    and runs on WASM, which is several times faster there; `?backend=webgl` still gets WebGL."""
    page = browser_page
    infos = []
    page.on("console", lambda msg: infos.append(msg.text) if msg.type == "info" else None)
    page.goto(site_server + "jax/index.html")
    wait_for_output(model_section(page, "static"))
    assert "running on WASM" in page.locator('[data-testid="status"]').inner_text()
    assert any("WebGL is software-rendered here" in text and "SwiftShader" in text for text in infos), infos
    page.goto(site_server + "jax/index.html?backend=webgl")
    wait_for_output(model_section(page, "static"))
    assert "running on WebGL" in page.locator('[data-testid="status"]').inner_text()
    assert page.console_errors == []


@pytest.fixture(scope="module")
def nonfinite_site(tmp_path_factory):
    """The JAX page alone, with weights beyond float32's range (1e39 becomes inf; 0 * inf is NaN)."""
    tmp = tmp_path_factory.mktemp("jax_nonfinite")
    (tmp / "site.toml").write_text("[demos.jax]\nweight = [1e39, -1e39]\n")
    build(tmp / "site.toml", tmp / "site", only=["jax"], profile="smoke")
    server, url = serve_directory(tmp / "site")
    yield url
    server.shutdown()


def test_values_beyond_float32_show_as_infinity_and_nan(browser_page, nonfinite_site):
    """JSON has no Infinity: the page showed `null` (and JSON.parse refused NaN tokens in the config)."""
    page = browser_page
    page.goto(nonfinite_site + "jax/index.html")
    expected = "[[NaN,-Infinity],[Infinity,-Infinity],[Infinity,-Infinity]]"
    for name in ("static", "polymorphic"):
        section = model_section(page, name)
        section.locator('[data-testid="tfjs-output"]').filter(has_text="[").wait_for()
        assert section.locator('[data-testid="tfjs-output"]').inner_text() == expected
        assert section.locator('[data-testid="jax-output"]').inner_text() == expected
        assert section.locator('[data-testid="match"]').get_attribute("data-state") == "match"
    assert page.console_errors == []
