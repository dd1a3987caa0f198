"""The one service worker: cross-origin isolation on a server that sends no headers (as GitHub
Pages), threaded WASM, byte-true progress, loads from its cache, old files dropped on a new build."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from builders.build import build
from tests.conftest import serve_directory
from tests.test_deploy import EXPECTED, only_jax_config, wait_for_output


def manifest(site: Path) -> dict:
    return json.loads(re.search(r"const MANIFEST = (\{.*\});", (site / "sw.js").read_text()).group(1))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("isolation")
    out = tmp / "_site"
    build(only_jax_config(tmp), out, cache_dir=tmp / "cache")
    return out


def test_manifest_hashes_every_listed_file_and_lists_the_threaded_binary(site):
    m = manifest(site)
    urls = {u for files in m["pages"].values() for u in files}
    assert set(m["hashes"]) == urls
    for url in urls:
        assert m["hashes"][url] == hashlib.sha256((site / url).read_bytes()).hexdigest()[:16], url
    assert "assets/wasm/tfjs-backend-wasm-threaded-simd.wasm" in m["pages"]["jax/index.html"]


PROGRESS = re.compile(r"^\d+(\.\d)? of [1-9]\d*(\.\d)? (bytes|KB|MB)(, from the offline cache)?$")


def _state(page) -> dict:
    return page.evaluate("""() => ({isolated: self.crossOriginIsolated,
        threads: document.documentElement.dataset.wasmThreads,
        offline: document.documentElement.dataset.offline,
        progress: document.querySelector('[data-testid="progress-label"]').textContent,
        status: document.querySelector('[data-testid="status"]').textContent})""")


def _active_version(page) -> str | None:
    """The build (manifest version) the page's active service worker serves, None without one."""
    return page.evaluate("""async () => {
        const reg = await navigator.serviceWorker.getRegistration();
        if (!reg || !reg.active) return null;
        return await new Promise((resolve) => {
            const channel = new MessageChannel();
            channel.port1.onmessage = (event) => resolve(event.data.version);
            setTimeout(() => resolve(null), 1000);
            reg.active.postMessage({type: 'version'}, [channel.port2]);
        });
    }""")


def _registration(page) -> dict:
    return page.evaluate("""async () => {
        const reg = await navigator.serviceWorker.getRegistration();
        return {active: reg?.active?.state, installing: Boolean(reg?.installing), waiting: Boolean(reg?.waiting)};
    }""")


@pytest.mark.browser
def test_second_load_is_isolated_threaded_and_from_the_cache(site, browser, tmp_path):
    served = tmp_path / "served"
    shutil.copytree(site, served)
    server, url = serve_directory(served)  # plain SimpleHTTPRequestHandler: no COOP/COEP headers
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "jax/index.html?backend=wasm")
        assert wait_for_output(page, "static") == EXPECTED
        page.wait_for_function("() => document.documentElement.dataset.offline === 'ready'")
        first = _state(page)
        assert first["isolated"] is False and first["threads"] == "1"  # first visit: no worker yet
        assert PROGRESS.match(first["progress"]) and "offline cache" not in first["progress"], first
        cores = page.evaluate("navigator.hardwareConcurrency")

        requests.clear()
        page.reload()
        assert wait_for_output(page, "static") == EXPECTED
        second = _state(page)
        assert second["isolated"] is True, second
        # Isolated: TF.js takes its threaded SIMD build and starts that build's pool of workers.
        assert any(u.endswith("tfjs-backend-wasm-threaded-simd.wasm") for u in requests), requests
        assert len(page.workers) >= 2, [w.url for w in page.workers]
        # How many threads XNNPACK then runs on is TF.js's answer, not ours: in headless Chromium
        # 156 on this 2-core machine it is 1 even with setThreadsCount(4), for stock tf.min.js and
        # tf-backend-wasm.min.js served with real COOP/COEP headers too (docs/deployment.md).
        assert 1 <= int(second["threads"]) <= min(cores, 8), (second, cores)
        assert second["progress"].endswith(", from the offline cache"), second
        assert "from the offline cache" in second["status"]
        assert page.locator('[data-testid="match"]').first.get_attribute("data-state") == "match"

        # Offline: still isolated, still threaded (the cached responses carry the headers too).
        context.set_offline(True)
        page.reload()
        assert wait_for_output(page, "polymorphic") == EXPECTED
        assert _state(page)["isolated"] is True
        context.set_offline(False)

        # A new build (a changed model): the worker updates, keeps the files whose bytes it still
        # lists (the WASM binaries) and drops what changed or went away.
        config = only_jax_config(tmp_path)
        config.write_text(config.read_text().replace("rows = 3", "rows = 4"))
        build(config, tmp_path / "new", cache_dir=site.parent / "cache")
        old, new = manifest(served), manifest(tmp_path / "new")
        assert old["hashes"]["data/models/jax/static/model.json"] != new["hashes"]["data/models/jax/static/model.json"]
        shutil.rmtree(served)
        shutil.copytree(tmp_path / "new", served)
        page.goto(url + "jax/index.html?backend=wasm")
        # While the page is open the old worker stays in charge (the new one waits: no skipWaiting,
        # site_src/sw/sw.js says why), but it sees its successor waiting and answers from the
        # network: the page gets the new build's model, never the old one from the cache.
        for _ in range(60):
            if _registration(page)["waiting"]:
                break
            page.wait_for_timeout(500)
        assert _registration(page)["waiting"], _registration(page)
        page.reload()
        rows = wait_for_output(page, "static")
        assert rows[:3] == EXPECTED and len(rows) == 4, rows  # the new build's model (rows = 4)
        model = page.evaluate("""async () => {
            const bytes = await (await fetch('../data/models/jax/static/model.json')).arrayBuffer();
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
            return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
        }""")
        assert model == new["hashes"]["data/models/jax/static/model.json"]
        # Once no page uses the old worker, the new one takes over and drops what changed or went away.
        page.close()
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "jax/index.html?backend=wasm")
        for _ in range(60):
            if _active_version(page) == new["version"]:
                break
            page.wait_for_timeout(500)
        assert _active_version(page) == new["version"], _registration(page)
        page.wait_for_function("() => document.documentElement.dataset.offline === 'ready'")
        expected = {url + u: h for u, h in new["hashes"].items()}
        cached = {}
        for _ in range(50):
            cached = page.evaluate("""async () => {
                const cache = await caches.open('jax-on-the-web');
                const out = {};
                for (const r of await cache.keys()) out[r.url] = (await cache.match(r)).headers.get('x-jaxweb-hash');
                return out;
            }""")
            if all(expected.get(u) == h for u, h in cached.items()):
                break
            page.wait_for_timeout(200)
        stale = {u: (h, expected.get(u)) for u, h in cached.items() if expected.get(u) != h}
        assert cached and not stale, stale
        wasm = url + "assets/wasm/tfjs-backend-wasm-simd.wasm"
        assert cached.get(wasm) == old["hashes"]["assets/wasm/tfjs-backend-wasm-simd.wasm"]  # kept, not fetched again
        assert errors == []
    finally:
        context.close()
        server.shutdown()


@pytest.mark.browser
def test_without_a_service_worker_the_page_still_runs_single_threaded(site, browser):
    server, url = serve_directory(site)
    context = browser.new_context(service_workers="block")
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "jax/index.html?backend=wasm")
        assert wait_for_output(page, "static") == EXPECTED
        page.reload()
        assert wait_for_output(page, "static") == EXPECTED
        state = _state(page)
        assert state["isolated"] is False and state["threads"] == "1", state
        assert PROGRESS.match(state["progress"]) and "offline cache" not in state["progress"], state
        assert errors == []
    finally:
        context.close()
        server.shutdown()
