"""Every component on one page: a Sketchpad, a Number, a Dropdown (int32 index), a Checkbox and a Text,
one argument each, into a Label (sigmoid), a JSON, a NumberOutput, two TextOutputs (names, vocab), an
ImageOutput, a Plot and a Highlight; a Run button instead of live updates. Each is checked against
JAX's numbers in the same page."""

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

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "big", "small"]

def predict(params, image, scale, choice, flag, ids):
    features = image.reshape(image.shape[0], -1) @ params["w"]
    features = features * scale[:, None] + jax.nn.one_hot(choice, 3) + flag[:, None]
    number = scale * 3 + flag
    # without the flag every id is out of the vocabulary: the page must say so
    decoded = ids.astype(jnp.float32) + jnp.where(flag > 0, 0.0, 1000.0)[:, None]
    picture = image * scale[:, None, None]  # scale 2 puts values outside (0, 1): clamped, with a note
    curve = jnp.concatenate([features, jnp.sin(scale)[:, None]], axis=1)
    scores = (ids % 3).astype(jnp.float32) / 2
    return (features, jnp.concatenate([scale[:, None] * 2, flag[:, None]], axis=1), number, features, decoded,
            picture, curve, scores)

def stroke():
    image = np.zeros((14, 14), np.float32)
    image[3:11, 6:8] = 1.0
    return image

def demo(ctx):
    w = np.random.default_rng(0).normal(size=(196, 3)).astype(np.float32) * 0.1
    return app.Demo(title="All", description="Every component.", fn=predict, params={"w": w},
                    inputs=[app.Sketchpad("digit", size=14), app.Number("scale", value=1.0),
                            app.Dropdown("bias", ["a", "b", "c"]), app.Checkbox("flag"),
                            app.Text("words", vocab=VOCAB, max_length=6)],
                    outputs=[app.Label(["x", "y", "z"], activation="sigmoid"), app.JSON("raw"),
                             app.NumberOutput("count", unit="cm", decimals=1),
                             app.TextOutput("best", names=["x", "y", "z"]),
                             app.TextOutput("decoded", vocab=VOCAB, skip=["[PAD]"]),
                             app.ImageOutput("picture", scale=4), app.Plot("curve", style="line",
                                                                          x_labels=["x", "y", "z", "sin"]),
                             app.Highlight("words", label="per token")],
                    examples=[[stroke(), 2.0, "c", True, "hello world"], [np.zeros((14, 14)), -1.0, 1, False, "small"]],
                    live=False)
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
    return [np.asarray(a[0]) for a in demo.fn(demo.params, *demo.batch([row]))]


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
        logits, raw, number, _, _, picture, curve, scores = jax_outputs(project, [image, 2.0, "c", True, "hello world"])
        probabilities = 1 / (1 + np.exp(-logits))
        assert json.loads(page.locator('[data-testid="json-output"]').get_attribute("data-values")) == raw.tolist()
        rows = page.locator('[data-testid="label-rows"] li')
        shown = {rows.nth(i).get_attribute("data-name"): float(rows.nth(i).get_attribute("data-value"))
                 for i in range(3)}
        for name, p in zip(["x", "y", "z"], probabilities):
            assert abs(shown[name] - p) < 1e-5
        assert page.locator('[data-testid="match"]').get_attribute("data-state") == "match"
        check_new_outputs(page, logits, number, picture, curve, scores)
        page.click('[data-testid="example-1"]')
        page.locator('[data-testid="outputs"][data-example="1"][data-state="ready"]').wait_for()
        note = page.locator('[data-testid="text-output-note"]').nth(1)
        assert note.is_visible() and note.text_content() == (
            "6 ids are not in the vocabulary of 8 tokens (0 to 7): 1002 at position 0, 1007 at position 1, "
            "1003 at position 2, 1000 at position 3, 1000 at position 4 and 1 more.")  # [CLS] small [SEP] + padding
        assert not page.locator('[data-testid="image-output-note"]').is_visible()  # all zeros: in range
        page.set_viewport_size({"width": 360, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll on a phone

        page.fill('[data-testid="input"][data-type="number"] input', "3")
        assert outputs.get_attribute("data-state") == "stale"  # no live update: waits for Run
        page.click('[data-testid="run"]')
        page.locator('[data-testid="outputs"][data-example=""][data-state="ready"]').wait_for()
        assert json.loads(page.locator('[data-testid="json-output"]').get_attribute("data-values")) == [6, 0]
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


def check_new_outputs(page, logits, number, picture, curve, scores):
    """NumberOutput, TextOutput, ImageOutput, Plot and Highlight show JAX's numbers for example 0."""
    import json

    shown = page.locator('[data-testid="number-output"]')
    assert abs(float(shown.get_attribute("data-value")) - float(number)) < 1e-5
    assert shown.text_content() == f"{float(number):.1f} cm"
    texts = page.locator('[data-testid="text-output"]')
    assert texts.nth(0).text_content() == "xyz"[int(np.argmax(logits))]
    assert texts.nth(1).text_content() == "[CLS] hello world [SEP]"
    assert not page.locator('[data-testid="text-output-note"]').nth(1).is_visible()
    # the canvas's pixels: the declared (0, 1) mapped to 0-255, clamped; drawn 4x as wide
    pixels = page.evaluate("""() => { const c = document.querySelector('[data-testid="image-output"]');
        return {w: c.width, css: c.getBoundingClientRect().width,
                data: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)}; }""")
    assert pixels["w"] == 14 and pixels["css"] == 56
    grey = np.asarray(pixels["data"]).reshape(14, 14, 4)[..., 0]
    assert np.array_equal(grey, np.round(np.clip(picture, 0, 1) * 255))
    assert "outside the declared range [0, 1] and were clamped" in page.locator(
        '[data-testid="image-output-note"]').text_content()
    plot = page.locator('[data-testid="plot"]')
    assert np.allclose(json.loads(plot.get_attribute("data-values")), curve, atol=1e-4)
    assert plot.locator("path.series").count() == 1 and plot.locator("text.tick").count() == 6
    assert not page.locator('[data-testid="plot-note"]').is_visible()
    tokens = page.locator('[data-testid="highlight-tokens"] span')
    assert tokens.all_text_contents() == ["[CLS]", "hello", "world", "[SEP]"]  # padding not shown
    assert [float(t.get_attribute("data-score")) for t in tokens.all()] == scores[:4].tolist()
    assert tokens.nth(1).get_attribute("title") == f"hello: {scores[1]:g}"
