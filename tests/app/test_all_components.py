"""Every component on one page: a Sketchpad, a Number, a Dropdown (int32 index) and a Checkbox, one
argument each, into a Label (sigmoid) and a JSON output; a Run button instead of live updates."""

from __future__ import annotations

import numpy as np
import pytest

import builders.build
from builders.app.project import Config, load_demo
from builders.cache import Cache
from builders.demos.base import BuildContext
from tests.conftest import serve_directory

DEMO = '''
import jax
import jax.numpy as jnp
import numpy as np
from builders import app

def predict(params, image, scale, choice, flag):
    features = image.reshape(image.shape[0], -1) @ params["w"]
    features = features * scale[:, None] + jax.nn.one_hot(choice, 3) + flag[:, None]
    return features, jnp.concatenate([scale[:, None] * 2, flag[:, None]], axis=1)

def stroke():
    image = np.zeros((14, 14), np.float32)
    image[3:11, 6:8] = 1.0
    return image

def demo(ctx):
    w = np.random.default_rng(0).normal(size=(196, 3)).astype(np.float32) * 0.1
    return app.Demo(title="All", description="Every component.", fn=predict, params={"w": w},
                    inputs=[app.Sketchpad("digit", size=14), app.Number("scale", value=1.0),
                            app.Dropdown("bias", ["a", "b", "c"]), app.Checkbox("flag")],
                    outputs=[app.Label(["x", "y", "z"], activation="sigmoid"), app.JSON("raw")],
                    examples=[[stroke(), 2.0, "c", True], [np.zeros((14, 14)), -1.0, 1, False]], live=False)
'''
BUILTIN = "".join(f"[demos.{n}]\nenabled = false\n" for n in ("jax", "mnist", "toxicity", "lit"))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("all-components")
    (folder / "demo.py").write_text(DEMO)
    (folder / "site.toml").write_text(f'[demos.all]\nmodule = "demo.py"\n{BUILTIN}')
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builders.build, "build_docs", lambda *args, **kwargs: None)
        builders.build.build(folder / "site.toml", profile="smoke")
    return folder


def jax_outputs(project, row):
    ctx = BuildContext(site=None, cache=Cache(project / ".cache" / "smoke"), profile="smoke", project_root=project)
    demo = load_demo(Config(module=str(project / "demo.py")), ctx, "all", project)
    assert not demo.stacked
    logits, raw = demo.fn(demo.params, *demo.batch([row]))
    return 1 / (1 + np.exp(-np.asarray(logits[0]))), np.asarray(raw[0])


@pytest.mark.browser
def test_every_component_on_one_page(project, browser_page):
    import json

    server, url = serve_directory(project / "_site")
    try:
        page = browser_page
        page.goto(url + "all/index.html")
        outputs = page.locator('[data-testid="outputs"]')
        page.locator('[data-testid="outputs"][data-state="ready"]').wait_for()
        page.click('[data-testid="example-0"]')
        page.locator('[data-testid="outputs"][data-example="0"][data-state="ready"]').wait_for()
        image = np.zeros((14, 14), np.float32)
        image[3:11, 6:8] = 1.0
        probabilities, raw = jax_outputs(project, [image, 2.0, "c", True])
        assert json.loads(page.locator('[data-testid="json-output"]').get_attribute("data-values")) == raw.tolist()
        rows = page.locator('[data-testid="label-rows"] li')
        shown = {rows.nth(i).get_attribute("data-name"): float(rows.nth(i).get_attribute("data-value"))
                 for i in range(3)}
        for name, p in zip(["x", "y", "z"], probabilities):
            assert abs(shown[name] - p) < 1e-5
        assert page.locator('[data-testid="match"]').get_attribute("data-state") == "match"

        page.fill('[data-testid="input"][data-type="number"] input', "3")
        assert outputs.get_attribute("data-state") == "stale"  # no live update: waits for Run
        page.click('[data-testid="run"]')
        page.locator('[data-testid="outputs"][data-example=""][data-state="ready"]').wait_for()
        assert json.loads(page.locator('[data-testid="json-output"]').get_attribute("data-values")) == [6, 1]
        page.click('[data-testid="clear"]')
        box = page.locator('[data-testid="pad"]').bounding_box()
        page.mouse.move(box["x"] + box["width"] * .5, box["y"] + box["height"] * .2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * .5, box["y"] + box["height"] * .8, steps=8)
        page.mouse.up()
        page.click('[data-testid="run"]')
        page.locator('[data-testid="outputs"][data-state="ready"]').wait_for()
        assert page.console_errors == []
    finally:
        server.shutdown()
