"""The Share control on every demo page: the page's own address, a working Copy link, a QR code
drawn in the browser (no site_url needed); none on the home page."""

from __future__ import annotations

import pytest

DEMO_PAGES = ["jax/index.html", "mnist/index.html", "lit/index.html", "toxicity/index.html"]


@pytest.mark.browser
@pytest.mark.parametrize("path", DEMO_PAGES)
def test_share_shows_the_address_and_its_qr_code(site_server, browser, path):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(site_server + path + "?backend=cpu")
        button = page.locator('[data-testid="share"]')
        button.wait_for(state="visible")
        assert page.locator('[data-testid="share-panel"]').is_hidden()
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        link = page.locator('[data-testid="share-link"]').input_value()
        assert link == page.evaluate("location.href")  # with the page's input, where it keeps it in the URL
        assert link.startswith(site_server + path + "?backend=cpu")
        svg = page.locator('[data-testid="share-qr"] svg')
        assert svg.get_attribute("role") == "img"
        # A version-2+ QR code has well over a hundred dark modules, drawn as SVG shapes.
        assert page.evaluate("document.querySelector('[data-testid=\"share-qr\"] svg').innerHTML.length") > 500
        page.locator('[data-testid="share-copy"]').click()
        page.locator('[data-testid="share-note"]').filter(has_text="copied").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == link
        button.click()
        assert page.locator('[data-testid="share-panel"]').is_hidden()
    finally:
        context.close()


@pytest.mark.browser
def test_the_home_page_has_no_share_control(site_server, browser_page):
    browser_page.goto(site_server + "index.html")
    assert browser_page.locator('[data-testid="share"]').count() == 0


@pytest.mark.browser
def test_a_crafted_or_huge_address_is_never_markup(site_server, browser_page):
    page = browser_page
    hostile = '#"><img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    page.goto(site_server + "jax/index.html" + hostile)
    page.locator('[data-testid="share"]').click()
    assert page.locator('[data-testid="share-link"]').input_value() == page.evaluate("location.href")
    assert page.locator('[data-testid="share-qr"] svg').count() == 1
    assert page.locator('[data-testid="share-panel"] img, [data-testid="share-panel"] script').count() == 0
    assert page.evaluate("window.pwned") is None
    # More than a QR code holds: said so, no code drawn, the link still there to copy.
    page.goto(site_server + "jax/index.html?long#" + "x" * 5000)  # a new document, not a hash change
    page.locator('[data-testid="share"]').click()
    assert page.locator('[data-testid="share-qr"] svg').count() == 0
    assert "too long for a QR code" in page.locator('[data-testid="share-note"]').inner_text()
    assert page.locator('[data-testid="share-link"]').input_value().endswith("x" * 5000)
