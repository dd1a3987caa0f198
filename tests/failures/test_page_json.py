"""Page data beyond float32's range: the page config was written with NaN/Infinity tokens, which are not
JSON (the browser's JSON.parse refuses them) and the JAX page showed `null`. Non-finite values are now
strings in the page data, and the renderer refuses any NaN/Infinity with the page and key."""

from __future__ import annotations

import json
import re

import pytest

from builders.build import PROJECT_ROOT, build
from builders.config import SiteSettings
from builders.demos.jax_example import json_numbers
from builders.errors import BuildError
from builders.render import Renderer, json_for_script


def strict_json(text: str):
    def refuse(token: str):
        raise ValueError(f"{token} is not JSON")
    return json.loads(text, parse_constant=refuse)


def page_config(html: str) -> dict:
    (text,) = re.findall(r'<script type="application/json" id="page-config">(.*?)</script>', html, re.S)
    return strict_json(text)


def test_non_finite_numbers_are_encoded_as_strings():
    assert json_numbers([[float("nan"), float("inf")], [-float("inf"), 1.5]]) == [
        ["NaN", "Infinity"], ["-Infinity", 1.5]]


def test_the_renderer_refuses_nan_naming_page_and_key():
    with pytest.raises(BuildError) as info:
        json_for_script({"jaxOutputs": [[0.0, float("inf")]]}, "jax/index.html: page config")
    assert str(info.value) == ("jax/index.html: page config: 'jaxOutputs[0][1]' is inf, which JSON cannot hold; "
                               'encode non-finite numbers in the page data (e.g. as the strings "NaN", "Infinity", '
                               '"-Infinity")')
    renderer = Renderer(PROJECT_ROOT / "templates", SiteSettings(), [], {})
    with pytest.raises(BuildError, match=r"^jax/index.html: page config: 'scores.best' is nan, "):
        renderer.render("index.html", "jax/index.html", page={"client": {"scores": {"best": float("nan")}}})


def test_jax_page_with_weights_beyond_float32_builds_valid_json(tmp_path):
    # 1e39 is finite in TOML (float64) but infinite as the float32 weight: 0 * inf = NaN, then +-inf.
    config = tmp_path / "site.toml"
    config.write_text("[demos.jax]\nweight = [1e39, -1e39]\n")
    build(config, tmp_path / "site", only=["jax"], profile="smoke")
    client = page_config((tmp_path / "site/jax/index.html").read_text())
    assert client["jaxOutputs"] == [["NaN", "-Infinity"], ["Infinity", "-Infinity"], ["Infinity", "-Infinity"]]
    assert client["inputs"] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
