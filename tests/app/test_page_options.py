"""What the tool's own demos needed from the API (the MNIST page is written with it): an article and a
QR code on the page, quantised weights, training data as cache inputs, code beside demo.py in the
key, and examples written compactly."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest

from builders import app
from builders.app.context import UserCache, code_fingerprint
from builders.app.project import builtin
from builders.app.publish import browser_numbers
from builders.cache import Cache
from builders.config import SiteSettings
from builders.demos.base import BuildContext


def predict(params, x):
    return x[:, None] * params["w"]


def declare(ctx):
    w = np.linspace(1, 2, 16, dtype=np.float32)  # 16 numbers: the converter quantises no smaller weight
    return app.Demo(title="Scale", description="x times 16 weights.", fn=predict, params={"w": w},
                    inputs=app.Number("x"), outputs=app.JSON(), examples=[1.5, -3.0],
                    article="""
                        Trained on **nothing**: `w` is fixed.

                        | x | y |
                        | - | - |
                        """, quantization=ctx.config)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The page of `declare` built as a built-in demo, float32 with a site URL and float16 without."""
    folder = tmp_path_factory.mktemp("options")
    build = builtin("double", declare)

    def page(quantization, site_url):
        ctx = BuildContext(site=SiteSettings(site_url=site_url), cache=Cache(folder / "cache"), profile="default",
                           project_root=folder)
        return build(quantization, ctx)
    return page(None, "https://example.org/demos"), page("float16", "")


def test_article_is_markdown_under_the_demo_and_the_qr_code_names_the_page(pages):
    page = pages[0]
    assert page.data["article"].startswith("<p>Trained on <strong>nothing</strong>: <code>w</code> is fixed.</p>")
    assert page.data["public_url"] == "https://example.org/demos/double/"
    assert "<title>QR code of https://example.org/demos/double/</title>" in page.data["qr_svg"]
    assert page.data["client"]["tolerance"] == 1e-4
    assert pages[1].data["qr_svg"] == "" and pages[1].data["public_url"] == ""


def test_quantised_weights_are_smaller_and_checked_to_a_looser_tolerance(pages):
    plain, half = pages
    model = json.loads(half.files["data/models/double/model.json"].read_text())
    quantised = [w["quantization"]["dtype"] for group in model["weightsManifest"] for w in group["weights"]
                 if "quantization" in w]
    assert quantised == ["float16"]
    shard = "data/models/double/group1-shard1of1.bin"
    assert half.files[shard].stat().st_size < plain.files[shard].stat().st_size
    assert half.data["client"]["tolerance"] == 1e-2 and half.data["client"]["quantization"] == "float16"
    assert model["userDefinedMetadata"]["demo"] == "double"


def test_a_wrong_quantization_is_reported_with_the_other_problems():
    demo = app.Demo(title="t", description="d", fn=predict, params={}, inputs=app.Number("x"), outputs=app.JSON(),
                    quantization="int4", article=3)
    assert [p.message for p in demo.problems()] == [
        "article must be a string, got 3", 'quantization must be one of "float16", "uint8", None, got \'int4\'']


def test_examples_are_written_with_the_fewest_digits_of_their_float32():
    pixels = (np.arange(256, dtype=np.float32) / 255).tolist()
    short = browser_numbers([pixels, 2.5])
    assert short[1] == 2.5 and short[0][1] == 0.003921569  # not 0.003921568859368563
    assert np.array_equal(np.asarray(short[0], np.float32), np.asarray(pixels, np.float32))


def fit(images, labels, steps):
    return {"mean": images.mean(axis=0) * steps, "labels": labels.sum()}


def test_cache_inputs_may_be_arrays_keyed_by_their_content(tmp_path):
    cache = UserCache(Cache(tmp_path), "digits")
    images, labels = np.ones((3, 2), np.float32), np.arange(3)
    first = cache.run("fit", {"images": images, "labels": labels, "steps": 2}, fit)
    assert first["mean"].tolist() == [2.0, 2.0] and cache._cache.events == [("digits-fit", False)]
    cache.run("fit", {"images": images.copy(), "labels": labels, "steps": 2}, fit)
    changed = images.copy()
    changed[0, 0] = 4.0
    cache.run("fit", {"images": changed, "labels": labels, "steps": 2}, fit)
    assert cache._cache.events[1:] == [("digits-fit", True), ("digits-fit", False)]


def test_cache_inputs_that_are_neither_json_nor_arrays_are_a_clear_error(tmp_path):
    cache = UserCache(Cache(tmp_path), "digits")
    with pytest.raises(app.DemoError) as info:
        cache.run("fit", {"images": {1, 2}}, fit)
    assert str(info.value).endswith("ctx.cache.run(): inputs must be JSON values (numbers, strings, lists, dicts) "
                                    "or NumPy arrays, as they form the cache key; got {'images': {1, 2}}")


def test_code_fingerprint_follows_the_modules_beside_demo_py(tmp_path, monkeypatch):
    (tmp_path / "model.py").write_text("def forward(x):\n    return x + 1\n")
    (tmp_path / "demo.py").write_text("from model import forward\n\ndef train(steps):\n    return forward(steps)\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def fingerprint() -> str:
        for name in ("model", "demo_under_test"):
            sys.modules.pop(name, None)
        spec = importlib.util.spec_from_file_location("demo_under_test", tmp_path / "demo.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return code_fingerprint(module.train)

    before = fingerprint()
    assert fingerprint() == before
    (tmp_path / "model.py").write_text("def forward(x):\n    return x + 1\n\ndef unused():\n    return 0\n")
    assert fingerprint() == before  # only what train uses counts
    (tmp_path / "model.py").write_text("def forward(x):\n    return x + 2\n")
    assert fingerprint() != before
