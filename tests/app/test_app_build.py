"""A project made by `python -m builders.new`, in a folder outside the repository, built with the CLI
(`--config`, `--profile smoke`), then opened in headless Chromium: an example clicked, the Label's
numbers compared with JAX's."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

import builders.build
from builders import new
from builders.app.project import Config, load_demo
from builders.build import PROJECT_ROOT
from builders.cache import Cache
from builders.demos.base import BuildContext
from builders.errors import StepErrors
from tests.conftest import foreign_requests, serve_directory


def page_config(html: str) -> dict:
    return json.loads(html.split('id="page-config">')[1].split("</script>")[0])


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A new project built with the CLI; the tool's docs are left out (another test builds them)."""
    folder = tmp_path_factory.mktemp("outside-the-repo") / "my-demo"
    assert not folder.resolve().is_relative_to(PROJECT_ROOT)
    assert new.main([str(folder)]) == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builders.build, "build_docs", lambda *args, **kwargs: None)
        assert builders.build.main(["--config", str(folder / "site.toml"), "--profile", "smoke"]) == 0
    return folder


def test_new_writes_a_short_demo_and_refuses_a_folder_in_use(tmp_path, capsys):
    folder = tmp_path / "Iris Demo"
    assert new.main([str(folder)]) == 0
    assert len((folder / "demo.py").read_text().splitlines()) <= 30
    toml = (folder / "site.toml").read_text()
    assert '[demos.iris-demo]\nmodule = "demo.py"' in toml and "[demos.mnist]\nenabled = false" in toml
    capsys.readouterr()
    assert new.main([str(folder)]) == 2
    assert capsys.readouterr().err == (f"error: {folder}: the folder is not empty; give the name of a new folder "
                                       "(nothing was written)\n")


def test_project_builds_beside_its_site_toml(project):
    site = project / "_site"
    for rel in ("index.html", "my-demo/index.html", "data/models/my-demo/model.json", "assets/site.css"):
        assert (site / rel).is_file(), rel
    assert list((site / "assets").glob("my-demo-*.js"))
    assert (project / ".cache" / "smoke").is_dir()  # the cache sits beside site.toml too
    config = page_config((site / "my-demo" / "index.html").read_text())
    assert [i["label"] for i in config["inputs"]] == ["sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                                                     "petal width (cm)"]
    assert config["stacked"] and config["modelInputs"] == [{"name": "input_0", "shape": [-1, 4], "dtype": "float32"}]
    assert config["outputs"][0]["names"] == ["setosa", "versicolor", "virginica"]
    assert [e["values"] for e in config["examples"]] == [
        [float(np.float32(v)) for v in row] for row in ([5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3])]


def test_mistakes_in_several_demos_are_reported_at_once(tmp_path, capsys):
    (tmp_path / "a.py").write_text("def demo(ctx):\n    return None\n")
    (tmp_path / "b.py").write_text("from builders import app\n\ndef demo(ctx):\n    return app.Slider('x', 1, 0)\n")
    builtin = "".join(f"[demos.{n}]\nenabled = false\n" for n in ("jax", "mnist", "toxicity", "lit"))
    config = tmp_path / "site.toml"
    config.write_text(f'[demos.first]\nmodule = "a.py"\n[demos.second]\nmodule = "b.py"\n{builtin}')
    with pytest.raises(StepErrors) as info:
        builders.build.build(config)
    assert str(info.value).splitlines() == [
        "step 'first' failed: a.py:1: demos.first, demo(ctx): returned NoneType; return an app.Demo(...)",
        "step 'second' failed: b.py:3: demos.second, demo(ctx): returned Slider; return an app.Demo(...)"]
    assert builders.build.main(["--config", str(config)]) == 1
    assert "step 'first' failed" in capsys.readouterr().err


def jax_probabilities(project, row: list[float]) -> np.ndarray:
    """What JAX gives for one example: the user's fn on the trained params (from the project's cache)."""
    ctx = BuildContext(site=None, cache=Cache(project / ".cache" / "smoke"), profile="smoke", project_root=project)
    demo = load_demo(Config(module=str(project / "demo.py")), ctx, "my-demo", project)
    return np.asarray(jax.nn.softmax(demo.fn(demo.params, *demo.batch([row]))))[0]


@pytest.mark.browser
def test_clicking_an_example_shows_jaxs_probabilities(project, browser_page):
    server, url = serve_directory(project / "_site")
    try:
        page = browser_page
        page.goto(url + "my-demo/index.html")
        page.locator('[data-testid="outputs"][data-state="ready"]').wait_for()
        page.click('[data-testid="example-1"]')
        page.locator('[data-testid="outputs"][data-example="1"][data-state="ready"]').wait_for()
        rows = page.locator('[data-testid="label-rows"] li')
        shown = {rows.nth(i).get_attribute("data-name"): float(rows.nth(i).get_attribute("data-value"))
                 for i in range(rows.count())}
        expected = jax_probabilities(project, [6.7, 3.0, 5.2, 2.3])
        names = ["setosa", "versicolor", "virginica"]
        assert set(shown) == set(names)
        for name, p in zip(names, expected):
            assert abs(shown[name] - p) < 1e-5, (name, shown[name], p)
        assert page.locator('[data-testid="label-best"]').inner_text() == names[int(np.argmax(expected))]
        assert page.locator('[data-testid="match"]').get_attribute("data-state") == "match"
        assert page.locator('[data-testid="backend"]').inner_text() in ("WASM", "WebGL", "CPU")
        assert page.locator('[data-testid="latency"]').inner_text().endswith(" ms")
        assert foreign_requests(page.requests, url) == []
        assert page.console_errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_layout_side_by_side_on_a_desktop_stacked_on_a_phone(project, browser):
    server, url = serve_directory(project / "_site")
    try:
        for width, height in ((1280, 800), (390, 844), (360, 740)):
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(url + "my-demo/index.html")
            page.locator('[data-testid="outputs"][data-state="ready"]').wait_for(timeout=60_000)
            inputs = page.locator(".app-inputs").bounding_box()
            outputs = page.locator('[data-testid="outputs"]').bounding_box()
            side_by_side = outputs["x"] >= inputs["x"] + inputs["width"] and outputs["y"] == inputs["y"]
            assert side_by_side == (width > 700), width
            assert page.evaluate("document.documentElement.scrollWidth") <= width, width
            best = page.locator('[data-testid="label-best"]').bounding_box()
            assert best["y"] + best["height"] <= height, f"the prediction is below the fold at {width}x{height}"
            context.close()
    finally:
        server.shutdown()
