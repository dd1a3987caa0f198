"""`python -m builders.serve --watch`: an edit rebuilds the site and reloads the open page; a
failed build shows its error on the page and leaves the last good site served."""

from __future__ import annotations

import threading
import time
import urllib.request

import pytest

from builders import watch
from builders.build import build
from builders.serve import make_server
from tests.test_deploy import only_jax_config, wait_for_output


def test_snapshot_sees_edits_and_skips_the_output_and_caches(tmp_path):
    (tmp_path / "demo.py").write_text("x = 1\n")
    for skipped in ("_site", ".cache", "node_modules"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "page.html").write_text("<p>")
    before = watch.snapshot([tmp_path], tmp_path / "_site")
    assert set(before) == {tmp_path / "demo.py"}
    (tmp_path / "demo.py").write_text("x = 22\n")
    (tmp_path / "site.toml").write_text("")
    (tmp_path / "_site" / "page.html").write_text("<p>changed")
    after = watch.snapshot([tmp_path], tmp_path / "_site")
    assert watch.changed(before, after) == [tmp_path / "demo.py", tmp_path / "site.toml"]


def test_inject_puts_the_script_before_the_body_ends():
    assert watch.inject(b"<html><body><p>x</p></body></html>") == (
        b'<html><body><p>x</p><script src="/__livereload.js" defer></script></body></html>')


@pytest.fixture
def watched(tmp_path):
    """A jax-only project built once, served with live reload and watched (its own folder only)."""
    config = only_jax_config(tmp_path)
    out = tmp_path / "_site"
    build(config, out)
    state = watch.BuildState()
    server = make_server(out, "127.0.0.1", 0, build_state=state)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log: list[str] = []
    watcher = watch.Watcher([tmp_path], out, watch.build_command(config, out, "default", ""), state, log.append)
    watcher.start()
    time.sleep(2 * watch.POLL_SECONDS)  # its first snapshot is taken
    yield config, f"http://127.0.0.1:{server.server_address[1]}/", state, log
    watcher.stop()
    server.shutdown()


@pytest.mark.browser
def test_an_edit_rebuilds_and_reloads_the_open_page(watched, browser):
    config, url, state, log = watched
    assert b"/__livereload.js" in urllib.request.urlopen(url + "jax/index.html").read()
    page = browser.new_page()
    page.set_default_timeout(120_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "jax/index.html")
    assert len(wait_for_output(page, "static")) == 3
    page.wait_for_function("() => document.title.includes('Deploy test')")

    start = time.perf_counter()
    config.write_text(config.read_text().replace('title = "Deploy test"', 'title = "Edited title"'))
    page.wait_for_function("() => document.title.includes('Edited title')")  # reloaded by the script
    seconds = time.perf_counter() - start
    print(f"edit -> reloaded page: {seconds:.1f} s")
    assert state.generation == 1 and any("rebuilt in" in line for line in log), log

    # A broken edit: the page says what failed, the last good site stays.
    config.write_text(config.read_text().replace("rows = 3", "rows = -3"))
    box = page.locator('[data-testid="build-error"]')
    box.wait_for()
    assert "rows" in box.inner_text(), box.inner_text()
    assert "Edited title" in page.title() and state.generation == 1
    assert b"Edited title" in urllib.request.urlopen(url + "jax/index.html").read()

    # Fixed again: the error goes, the page reloads with the new rows.
    config.write_text(config.read_text().replace("rows = -3", "rows = 4"))
    page.wait_for_function("() => document.querySelector('[data-testid=\"build-error\"]') === null")
    assert len(wait_for_output(page, "static")) == 4
    assert errors == []
    page.close()


def test_watch_without_a_settings_file_says_what_to_do(tmp_path, capsys):
    from builders.serve import main

    (tmp_path / "index.html").write_text("<p>")
    assert main(["--dir", str(tmp_path), "--watch", "--config", str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err
    assert "missing.toml not found" in err and "--config" in err

