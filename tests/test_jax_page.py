"""The article's Example 1 page in headless Chromium: TF.js outputs equal JAX's."""

from __future__ import annotations

import json

import pytest

from tests.conftest import foreign_requests

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


def test_polymorphic_model_takes_any_number_of_rows(browser_page, site_server):
    page = browser_page
    page.goto(site_server + "jax/index.html")
    wait_for_output(model_section(page, "polymorphic"))
    page.fill('[data-testid="input-rows"]', "1, 2")
    page.click('[data-testid="compute"]')
    poly = model_section(page, "polymorphic")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"model-polymorphic\"] [data-testid=\"tfjs-output\"]')"
        ".textContent === '[[0.5,2]]'")
    assert json.loads(poly.locator('[data-testid="tfjs-output"]').inner_text()) == [[0.5, 2]]
    static = model_section(page, "static")
    assert static.locator('[data-testid="tfjs-output"]').inner_text() == "this model takes exactly 3 rows"

    page.fill('[data-testid="input-rows"]', "1, 2\n3, 4\n5, 6\n7, 8\n9, 10")
    page.click('[data-testid="compute"]')
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"model-polymorphic\"] [data-testid=\"tfjs-output\"]')"
        ".textContent.startsWith('[[0.5,2],[1.5,4]')")
    assert json.loads(poly.locator('[data-testid="tfjs-output"]').inner_text()) == [
        [0.5, 2], [1.5, 4], [2.5, 6], [3.5, 8], [4.5, 10]]


def test_bad_input_shows_a_message(browser_page, site_server):
    page = browser_page
    page.goto(site_server + "jax/index.html")
    wait_for_output(model_section(page, "static"))
    page.fill('[data-testid="input-rows"]', "1, 2\nthree")
    page.click('[data-testid="compute"]')
    assert page.locator('[data-testid="error"]').inner_text() == 'line 2: expected 2 numbers, got "three"'
