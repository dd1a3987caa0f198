"""Every page in headless Chromium (issue 20): axe-core finds no serious or critical accessibility
violation in light or dark, and phone-sized windows never scroll sideways."""

from __future__ import annotations

import pytest

from builders.build import PROJECT_ROOT

pytestmark = pytest.mark.browser

PAGES = ["index.html", "jax/index.html", "mnist/index.html", "lit/index.html", "toxicity/index.html",
         "benchmark/index.html", "404.html",
         # model cards (builders/cards.py): one template; MNIST's holds its article, LiT's the measured list
         "models/mnist-mnist.html", "models/lit-tiny.html"]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONES = [(360, 740), (390, 844)]


def _settle(page):
    """Wait until the page's scripts have put their content in (the status line leaves its first words)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def axe_violations(page) -> list[str]:
    """'rule-id (impact): target, ...' for every serious or critical violation axe-core finds."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
          .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', ')}`);
    }""")
    return result


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_or_critical_violation_on_any_page(built_site, site_server, browser, scheme):
    # bypass_csp: only so the test can inject axe itself; the pages' own scripts are unchanged.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True)
    found = {}
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        for path in PAGES:
            page.goto(site_server + path)
            _settle(page)
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
            violations = axe_violations(page)
            if violations:
                found[path] = violations
    finally:
        context.close()
    assert found == {}


@pytest.mark.parametrize("size", PHONES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_phone_windows_do_not_scroll_sideways_and_the_navigation_is_one_line(site_server, browser, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    widths, nav_lines = {}, {}
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        for path in PAGES:
            page.goto(site_server + path)
            _settle(page)
            # Against the window's own width: a phone (is_mobile) widens its layout viewport, and so
            # innerWidth, to whatever overflows, so scrollWidth <= innerWidth alone could never fail.
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > size[0] or page.evaluate("innerWidth") != size[0]:
                widths[path] = width
            # the navigation's links share one line: their tops are equal
            tops = page.evaluate("[...document.querySelectorAll('.site-header nav a')]"
                                 ".map(a => Math.round(a.getBoundingClientRect().top))")
            if len(set(tops)) > 1:
                nav_lines[path] = len(set(tops))
    finally:
        context.close()
    assert widths == {}
    assert nav_lines == {}
