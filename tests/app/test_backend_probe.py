"""The backend probe: an app page (here MNIST) tries WebGPU, WebGL, WASM, CPU and keeps the first
whose numbers on model.json's probe are JAX's; the verdicts are remembered in localStorage.

Chromium runs with `--enable-unsafe-webgpu`: headless, that gives SwiftShader's WebGPU adapter (a
software one), so WebGPU really runs here, and the default order puts it after WASM.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import CHROMIUM_ARGS, serve_directory

WEBGPU_ARGS = [a for a in CHROMIUM_ARGS if a != "--disable-gpu"] + ["--enable-unsafe-webgpu"]
READY = ("() => document.querySelector('[data-testid=status]').textContent.includes('running on')"
         " || document.querySelector('[data-testid=error]')")


def launch_webgpu_browser(browser, chromium):
    """A second Chromium with WebGPU on, from the session's Playwright (one sync Playwright per process)."""
    return browser.browser_type.launch(executable_path=chromium, args=WEBGPU_ARGS, headless=True)


@pytest.fixture(scope="module")
def webgpu_browser(browser, chromium):
    webgpu = launch_webgpu_browser(browser, chromium)
    yield webgpu
    webgpu.close()


def probe_verdicts(page) -> dict[str, str]:
    return page.evaluate("() => Object.fromEntries(Object.keys(localStorage)"
                         ".filter((k) => k.startsWith('jaxweb-probe:')).map((k) => [k, localStorage.getItem(k)]))")


def open_mnist(page, site_server, query=""):
    page.goto(site_server + "mnist/" + query)
    page.wait_for_function(READY, timeout=90_000)
    return page.get_by_test_id("status").inner_text()


def test_the_model_carries_a_probe_of_verified_numbers(built_site):
    model = json.loads((built_site / "data/models/mnist/model.json").read_text())
    probe = model["userDefinedMetadata"]["probe"]
    (image,) = probe["inputs"]
    (logits,) = probe["outputs"]
    assert image["dtype"] == "float32" and image["shape"][1:] == [28, 28]
    assert logits["shape"] == [image["shape"][0], 10] and len(logits["values"]) == 10 * image["shape"][0]
    assert probe["atol"] > 0 and any(abs(v) > 1e-3 for v in logits["values"])


def test_webgpu_runs_when_its_numbers_are_jaxs_and_software_gpus_go_after_wasm(webgpu_browser, site_server):
    context = webgpu_browser.new_context()
    page = context.new_page()
    try:
        infos = []
        page.on("console", lambda m: infos.append(m.text) if m.text.startswith("kernels on ") else None)
        assert open_mnist(page, site_server) == "Model loaded; running on WASM."  # SwiftShader: after WASM
        verdicts = probe_verdicts(page)
        (probe_key,) = [k for k in verdicts if not k.endswith(":kernels")]
        assert verdicts[probe_key] == "ok"
        # Site kernels against TF.js's, timed on this device; the faster one runs the model.
        choice = verdicts[probe_key + ":kernels"]
        assert choice in ("site", "stock") and page.evaluate("document.documentElement.dataset.kernels") == choice
        assert len(infos) == 1 and infos[0].startswith("kernels on wasm: site ") and infos[0].endswith(
            "using the site's" if choice == "site" else "using TF.js's")
        page.reload()  # remembered: not timed again
        page.wait_for_function(READY, timeout=90_000)
        assert len(infos) == 1 and page.evaluate("document.documentElement.dataset.kernels") == choice
        assert open_mnist(page, site_server, "?backend=webgpu") == "Model loaded; running on WebGPU."
        verdicts = {k: v for k, v in probe_verdicts(page).items() if not k.endswith(":kernels")}
        assert sorted(k.split(":")[1] for k in verdicts) == ["wasm", "webgpu"] and set(verdicts.values()) == {"ok"}
        assert page.get_by_test_id("error").count() == 0
        assert page.get_by_test_id("backend").inner_text() == "WebGPU"
    finally:
        context.close()


@pytest.fixture(scope="module")
def wrong_probe_server(built_site, tmp_path_factory):
    """The smoke site with MNIST's probe outputs shifted by 1: no backend can match them."""
    site = tmp_path_factory.mktemp("wrong-probe") / "_site"
    shutil.copytree(built_site, site)
    path = site / "data/models/mnist/model.json"
    model = json.loads(path.read_text())
    for output in model["userDefinedMetadata"]["probe"]["outputs"]:
        output["values"] = [None if v is None else v + 1.0 for v in output["values"]]
    path.write_text(json.dumps(model))
    server, url = serve_directory(site)
    yield url
    server.shutdown()


def test_a_model_whose_probe_fails_everywhere_is_not_run_and_the_verdicts_are_remembered(webgpu_browser,
                                                                                         wrong_probe_server):
    context = webgpu_browser.new_context()
    page = context.new_page()
    site_server = wrong_probe_server
    try:
        assert open_mnist(page, site_server, "?backend=webgpu") == "The model could not be loaded."
        error = page.get_by_test_id("error").inner_text()
        assert error.startswith("no TF.js backend ran the model correctly")
        for backend in ("webgpu", "webgl", "wasm", "cpu"):
            assert f"{backend}: it gave other numbers than JAX: output output_0[0] is " in error
        verdicts = probe_verdicts(page)
        assert len(verdicts) == 4 and all(v.startswith("it gave other numbers than JAX") for v in verdicts.values())
        # The next visit loads the model once (on the first backend) and tries nothing it knows fails.
        assert open_mnist(page, site_server, "?backend=webgpu") == "The model could not be loaded."
        assert page.get_by_test_id("error").inner_text().count("(remembered from an earlier visit)") == 4
    finally:
        context.close()
