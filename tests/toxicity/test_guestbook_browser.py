"""The guestbook page in headless Chromium, against the smoke-built site."""

from __future__ import annotations

import re

import numpy as np
import profanity_check.profanity_check as pc
import pytest

from tests.conftest import foreign_requests

from .corpus import sentences

pytestmark = pytest.mark.browser

CLEAN = "Thank you for this lovely demo!"
OFFENSIVE = "you are a fucking idiot"
SCRIPT = "<img src=x onerror=alert(1)>"


def tid(page, name):
    return page.locator(f'[data-testid="{name}"]')


def open_guestbook(page, base_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base_url + "toxicity/index.html")
    tid(page, "submit").and_(page.locator(":enabled")).wait_for()
    return dialogs


def post(page, name, message):
    tid(page, "name-input").fill(name)
    tid(page, "message-input").fill(message)
    tid(page, "submit").click()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"submit\"]').disabled")


def texts(page):
    return tid(page, "message-text").all_text_contents()


def test_clean_message_is_posted_and_survives_reload(browser_page, toxicity_server):
    page = browser_page
    open_guestbook(page, toxicity_server)
    assert tid(page, "progress").get_attribute("value") == "100"
    assert "profanity" in tid(page, "status").inner_text()
    post(page, "Ada", CLEAN)
    assert texts(page) == [CLEAN]
    assert tid(page, "snackbar").is_hidden()
    assert tid(page, "message-input").input_value() == ""
    page.reload()
    tid(page, "submit").and_(page.locator(":enabled")).wait_for()
    assert texts(page) == [CLEAN]
    assert "Ada" in tid(page, "messages").inner_text()
    assert foreign_requests(page.requests, toxicity_server) == []
    assert page.console_errors == []


def test_offensive_message_is_rejected_with_snackbar(browser_page, toxicity_server):
    page = browser_page
    open_guestbook(page, toxicity_server)
    post(page, "Troll", OFFENSIVE)
    snackbar = tid(page, "snackbar")
    assert snackbar.is_visible()
    assert "be kind" in snackbar.inner_text() and "profanity" in snackbar.inner_text()
    assert tid(page, "message-input").input_value() == OFFENSIVE  # kept, to be edited
    status = tid(page, "status").inner_text()
    assert re.search(r"Message rejected \(profanity (?:0\.9\d|1\.00)\); edit it", status), status
    assert texts(page) == []
    assert foreign_requests(page.requests, toxicity_server) == []


def test_script_like_message_is_shown_as_text(browser_page, toxicity_server):
    page = browser_page
    dialogs = open_guestbook(page, toxicity_server)
    post(page, "<b>Mallory</b>", SCRIPT)
    assert texts(page) == [SCRIPT]
    assert tid(page, "messages").locator("img, b, script").count() == 0
    assert "<b>Mallory</b>" in tid(page, "messages").inner_text()
    page.reload()
    tid(page, "submit").and_(page.locator(":enabled")).wait_for()
    assert texts(page) == [SCRIPT]
    assert dialogs == []
    assert foreign_requests(page.requests, toxicity_server) == []


def test_threshold_and_labels_are_adjustable(browser_page, toxicity_server):
    page = browser_page
    open_guestbook(page, toxicity_server)
    # Nothing selected: the page refuses to post unchecked.
    tid(page, "label-profanity").uncheck()
    post(page, "Troll", OFFENSIVE)
    assert texts(page) == []
    assert "select at least one label" in page.locator('[data-testid="error"]').last.inner_text()
    tid(page, "label-profanity").check()
    # No probability exceeds 1, so every match is null and the message goes through (as in the original).
    tid(page, "threshold").fill("1")
    post(page, "Troll", OFFENSIVE)
    assert texts(page) == [OFFENSIVE]
    tid(page, "threshold").fill("0.9")
    post(page, "Troll", "what the hell")
    assert texts(page) == [OFFENSIVE]
    assert tid(page, "snackbar").is_visible()


def test_submission_waits_for_the_model(browser, toxicity_server):
    # Service workers are blocked: requests they make are invisible to page.route.
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.set_default_timeout(60_000)
    held = []
    page.route("**/data/models/toxicity/model.json", lambda route: held.append(route))
    page.goto(toxicity_server + "toxicity/index.html")
    tid(page, "name-input").fill("Troll")
    tid(page, "message-input").fill(OFFENSIVE)
    assert tid(page, "submit").is_disabled()
    tid(page, "message-input").press("Control+Enter")
    tid(page, "name-input").press("Enter")  # implicit submission must not bypass the check
    assert texts(page) == []
    for _ in range(300):  # backend start-up comes first; it is slow on a busy machine
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the page never requested the model"
    held[0].continue_()
    tid(page, "submit").and_(page.locator(":enabled")).wait_for()
    assert texts(page) == []
    tid(page, "submit").click()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"submit\"]').disabled")
    assert texts(page) == []
    assert tid(page, "snackbar").is_visible()
    context.close()


def test_browser_probabilities_match_predict_prob(browser_page, toxicity_server):
    texts = sentences()
    page = browser_page
    open_guestbook(page, toxicity_server)
    got = page.evaluate("""async (texts) => {
        const model = await window.toxicity.load(0.9, []);
        const [prediction] = await model.classify(texts);
        return prediction.results.map((r) => Array.from(r.probabilities));
    }""", texts)
    probs = np.array(got)
    assert probs.shape == (len(texts), 2)
    assert np.abs(probs[:, 1] - pc.predict_prob(texts)).max() <= 1e-5
    assert foreign_requests(page.requests, toxicity_server) == []


STORAGE_FULL = ("Storage is full: this post was not saved. Delete old posts or free space in this browser, "
                "then post again.")
LEGACY_KEY = "jax-web-demos/toxicity/guestbook/v1"


def test_two_tabs_posting_in_turn_keep_every_post(browser_page, toxicity_server):
    # Two pages of one context share localStorage, like two tabs. Before one record per post, each tab
    # wrote back the list it had loaded, and the later tab deleted the other's posts.
    tab_a = browser_page
    tab_b = tab_a.context.new_page()
    tab_b.set_default_timeout(60_000)
    for tab in (tab_a, tab_b):
        open_guestbook(tab, toxicity_server)
    posted = []
    for i in range(3):
        for name, tab in (("A", tab_a), ("B", tab_b)):
            posted.append(f"{name} says hello {i}")
            post(tab, name, posted[-1])
    newest_first = posted[::-1]
    # The other tab's posts appear through the storage event, without a reload.
    for tab in (tab_a, tab_b):
        tab.wait_for_function("(n) => document.querySelectorAll('[data-testid=\"message-text\"]').length === n",
                              arg=len(posted))
        assert texts(tab) == newest_first
    tab_b.reload()
    tab_b.locator('[data-testid="message-text"]').first.wait_for()
    assert texts(tab_b) == newest_first
    # Deleting in one tab deletes in the other too.
    tid(tab_a, "delete").first.click()
    tab_b.wait_for_function("(n) => document.querySelectorAll('[data-testid=\"message-text\"]').length === n",
                            arg=len(posted) - 1)
    assert texts(tab_b) == newest_first[1:]
    assert tab_a.console_errors == []


def fill_local_storage(page) -> int:
    """Fill the origin's localStorage until not even one more character fits; returns the keys written."""
    return page.evaluate("""() => {
        let n = 0;
        for (let size = 1 << 20; size >= 1; size = Math.floor(size / 4)) {
            try {
                for (;;) { localStorage.setItem(`filler-${n}`, 'x'.repeat(size)); n++; }
            } catch (err) {
                if (err.name !== 'QuotaExceededError') throw err;
            }
        }
        return n;
    }""")


def test_full_storage_says_so_and_recovers_when_space_is_freed(browser_page, toxicity_server):
    page = browser_page
    open_guestbook(page, toxicity_server)
    post(page, "Ada", "saved before the store filled up")
    fillers = fill_local_storage(page)
    assert fillers > 0
    post(page, "Ada", CLEAN)
    assert tid(page, "status").inner_text() == STORAGE_FULL
    assert tid(page, "message-input").input_value() == CLEAN  # kept, to post again
    assert texts(page) == ["saved before the store filled up"]
    # A second attempt still fails cleanly (nothing held in memory grows).
    tid(page, "submit").click()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"submit\"]').disabled")
    assert tid(page, "status").inner_text() == STORAGE_FULL
    page.evaluate("(n) => { for (let i = 0; i < n; i++) localStorage.removeItem(`filler-${i}`); }", fillers)
    tid(page, "submit").click()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"submit\"]').disabled")
    assert tid(page, "status").inner_text() == "Message posted."
    assert texts(page) == [CLEAN, "saved before the store filled up"]
    page.reload()
    tid(page, "submit").and_(page.locator(":enabled")).wait_for()
    assert texts(page) == [CLEAN, "saved before the store filled up"]
    assert page.console_errors == []


def test_posts_of_the_old_format_are_kept(browser_page, toxicity_server):
    page = browser_page
    open_guestbook(page, toxicity_server)
    old = [{"name": "Ada", "message": "posted last year", "time": "2025-01-02T03:04:05.000Z"},
           {"name": "Bob", "message": SCRIPT, "time": "2025-01-03T03:04:05.000Z"}]
    page.evaluate("([key, old]) => localStorage.setItem(key, JSON.stringify(old))", [LEGACY_KEY, old])
    page.reload()
    tid(page, "submit").and_(page.locator(":enabled")).wait_for()
    assert texts(page) == [SCRIPT, "posted last year"]
    assert tid(page, "messages").locator("img").count() == 0
    assert page.evaluate("(key) => localStorage.getItem(key)", LEGACY_KEY) is None  # migrated
    post(page, "Cy", CLEAN)
    page.reload()
    tid(page, "submit").and_(page.locator(":enabled")).wait_for()
    assert texts(page) == [CLEAN, SCRIPT, "posted last year"]


def test_backend_that_fails_to_start_is_named_in_the_status(browser, toxicity_server):
    # Service workers are blocked: requests they make are invisible to page.route.
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.set_default_timeout(60_000)
    warnings = []
    page.on("console", lambda msg: warnings.append(msg.text) if msg.type == "warning" else None)
    page.route("**/*.wasm", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(toxicity_server + "toxicity/index.html?backend=wasm")
    tid(page, "submit").and_(page.locator(":enabled")).wait_for()
    status = tid(page, "status").inner_text()
    assert " The WASM backend could not start (Make sure the server can serve the `.wasm` file" in status, status
    assert any(w.startswith("TF.js backend 'wasm' failed to start: Make sure the server can serve") for w in warnings)
    post(page, "Ada", CLEAN)  # the next backend works
    assert texts(page) == [CLEAN]
    context.close()
