"""The guestbook page in headless Chromium with the default source, toxblock (a default-profile build)."""

from __future__ import annotations

import pytest

from tests.conftest import foreign_requests

from .test_guestbook_browser import open_guestbook, post, texts, tid

pytestmark = pytest.mark.browser

THREAT = "I will find where you live and hurt you"


@pytest.fixture(scope="module")
def toxblock_server(tmp_path_factory):
    """The project's site.toml built with only the toxicity demo, default profile (source toxblock)."""
    from builders.build import PROJECT_ROOT, build
    from tests.conftest import serve_directory

    tmp = tmp_path_factory.mktemp("toxblock-site")
    build(PROJECT_ROOT / "site.toml", tmp / "_site", only=["toxicity"], profile="default")
    server, url = serve_directory(tmp / "_site")
    yield url
    server.shutdown()


def test_guestbook_uses_toxblock_and_flags_a_threat(browser_page, toxblock_server):
    page = browser_page
    open_guestbook(page, toxblock_server)
    status = tid(page, "status").inner_text()
    assert "toxic, severe_toxic, obscene, threat, insult, identity_hate" in status
    post(page, "Ada", "Good morning my friend, I hope you're having a fantastic day!")
    assert len(texts(page)) == 1
    post(page, "Troll", "I will kill you, you fucking idiot!")  # README: toxic 0.9999, insult 0.988
    assert len(texts(page)) == 1  # rejected, the text kept for editing, the labels that fired named
    assert tid(page, "message-input").input_value() == "I will kill you, you fucking idiot!"
    status = tid(page, "status").inner_text()
    assert status.startswith("Message rejected (toxic 1.00") and "insult 0.9" in status, status
    # No swear word: toxic 0.56 (threat 0.29) passes at the default 0.9 and is rejected at 0.5.
    tid(page, "threshold").fill("0.5")
    tid(page, "threshold").dispatch_event("change")
    post(page, "Troll", THREAT)
    assert len(texts(page)) == 1
    assert foreign_requests(page.requests, toxblock_server) == []
    assert page.console_errors == []


def test_webgpu_that_cannot_run_the_bilstm_is_passed_over_with_a_note(browser, chromium, toxblock_server):
    # Headless Chromium with --enable-unsafe-webgpu has SwiftShader's WebGPU adapter, on which
    # TF.js 4.22 cannot load the BiLSTM (its GPU buffer reads fail): asked for WebGPU first, the
    # page says why it does not use it and runs on the next backend that reproduces the probe.
    from tests.app.test_backend_probe import launch_webgpu_browser

    webgpu = launch_webgpu_browser(browser, chromium)
    try:
        page = webgpu.new_page()
        page.goto(toxblock_server + "toxicity/?backend=webgpu")
        page.wait_for_function("() => /running on|could not/.test("
                               "document.querySelector('[data-testid=status]').textContent)", timeout=120_000)
        status = tid(page, "status").inner_text()
        assert "; running on WebGL. Not using WebGPU: " in status, status
        assert status.endswith("; running on WebGL."), status
        post(page, "Troll", "I will kill you, you fucking idiot!")  # the model really runs on WebGL
        assert tid(page, "status").inner_text().startswith("Message rejected (toxic 1.00")
    finally:
        webgpu.close()
