"""Home-page demo cards and model card pages (issue 20), read from the smoke site's HTML: every demo
has a card with a picture that exists, every shipped model a card page linked from its demo page and
the benchmark page, and the card's numbers are the build's own (files on disk, the pages' records)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from math import prod
from pathlib import Path

import pytest

from builders.cards import card_href, model_slug, png_gray


class Tags(HTMLParser):
    """Every start tag as (tag, attrs), the text of each data-testid element, and the page config."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.texts: dict[str, str] = {}
        self._open: list[str] = []
        self._config = False
        self.config: dict = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._config = attrs.get("id") == "page-config"
        if attrs.get("data-testid"):
            self._open.append(attrs["data-testid"])
            self.texts.setdefault(attrs["data-testid"], "")

    def handle_endtag(self, tag):
        self._config = False

    def handle_data(self, data):
        if self._config:
            self.config = json.loads(data)
        for testid in self._open:
            self.texts[testid] += data


def parse(path: Path) -> Tags:
    tags = Tags()
    tags.feed(path.read_text(encoding="utf-8"))
    return tags


def with_testid(tags: Tags, testid: str) -> list[dict]:
    return [a for _, a in tags.tags if a.get("data-testid") == testid]


def links(tags: Tags) -> list[str]:
    return [a["href"] for t, a in tags.tags if t == "a" and "href" in a]


@pytest.fixture(scope="module")
def bench_models(built_site) -> list[dict]:
    return parse(built_site / "benchmark" / "index.html").config["models"]


def model_bytes(site: Path, url: str) -> tuple[int, int]:
    """(weights, model.json) bytes of a published model, from the files themselves."""
    model_json = site / "data" / url
    manifest = json.loads(model_json.read_text())["weightsManifest"]
    shards = sum((model_json.parent / p).stat().st_size for group in manifest for p in group["paths"])
    return shards, model_json.stat().st_size


def test_home_page_has_a_card_per_demo_with_a_picture_that_exists(built_site):
    home = parse(built_site / "index.html")
    demos = sorted(p.parent.name for p in built_site.glob("*/index.html")
                   if p.parent.name not in ("benchmark", "docs"))
    cards = with_testid(home, "demo-card")
    assert sorted(c["data-demo"] for c in cards) == demos
    images = with_testid(home, "card-image")
    assert len(images) == len(demos)
    for image in images:
        assert image["alt"].strip(), image
        picture = built_site / image["src"]
        assert picture.is_file() and picture.stat().st_size > 100, image["src"]
        if picture.suffix == ".png":
            assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if picture.suffix == ".svg":
            assert "<title>" in picture.read_text()  # the picture names itself too
    for demo in demos:  # one click to try it: the heading links to the demo
        assert f"{demo}/index.html" in links(home)
    assert len([t for t, _ in home.tags if t == "h2"]) == len(demos)


def test_every_model_has_a_card_linked_from_its_demo_and_the_benchmark(built_site, bench_models):
    bench_links = links(parse(built_site / "benchmark" / "index.html"))
    assert bench_models
    for model in bench_models:
        href = card_href(model["id"])
        assert href == f"models/{model_slug(model['id'])}.html"
        assert (built_site / href).is_file(), href
        assert f"../{href}" in links(parse(built_site / model["page"] / "index.html")), model["page"]
        assert f"../{href}" in bench_links
        card = parse(built_site / href)
        measure = with_testid(card, "measure")[0]["href"]
        assert measure.startswith("../benchmark/index.html?model=") and measure.endswith("&run=1")
        assert measure.split("model=")[1].split("&")[0] == model["id"]


def test_card_numbers_are_the_builds_own(built_site, bench_models):
    home = parse(built_site / "index.html")
    home_bytes = {a["href"]: int(a["data-bytes"]) for a in with_testid(home, "card-model")}
    for model in bench_models:
        href = card_href(model["id"])
        card = parse(built_site / href)
        weights, json_bytes = model_bytes(built_site, model["url"])
        assert int(with_testid(card, "weight-bytes")[0]["data-value"]) == weights == model["weight_bytes"]
        assert int(with_testid(card, "total-bytes")[0]["data-value"]) == weights + json_bytes
        assert home_bytes[href] == weights + json_bytes
        assert "not measured" in card.texts["build-bench"]  # the build does not time models
    # The parity figures are the ones the demo pages themselves show or run with.
    mnist = parse(built_site / "models" / "mnist-mnist.html")
    verified = parse(built_site / "mnist" / "index.html").config["verified"]
    assert float(with_testid(mnist, "max-error")[0]["data-value"]) == verified["maxAbsError"]
    manifest = json.loads((built_site / "data" / "models" / "mnist" / "model.json").read_text())["weightsManifest"]
    floats = sum(prod(w["shape"]) for g in manifest for w in g["weights"] if w["dtype"] == "float32")
    assert int(with_testid(mnist, "params")[0]["data-value"]) == floats
    jax_page = (built_site / "jax" / "index.html").read_text()
    shown = re.search(r"largest error ([^.<]+?)\.</p>", jax_page).group(1)
    jax_card = float(with_testid(parse(built_site / "models" / "jax-static.html"), "max-error")[0]["data-value"])
    assert f"{jax_card:.2g}" == shown
    lit_page = (built_site / "lit" / "index.html").read_text()
    for name in ("tiny", "small"):
        params = int(with_testid(parse(built_site / "models" / f"lit-{name}.html"), "params")[0]["data-value"])
        assert f"<td>{params:,}</td>" in lit_page  # the LiT page's own table of its towers


def test_png_is_a_valid_greyscale_image():
    data = png_gray([[0, 128, 255], [255, 128, 0]])
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and b"IHDR" in data and data.endswith(b"IEND\xaeB`\x82")
    assert int.from_bytes(data[16:20], "big") == 3 and int.from_bytes(data[20:24], "big") == 2


def _app_page(inputs: list[dict], values: list, outputs: list[dict] | None = None):
    from builders.demos.base import Page

    client = {"model": "models/mine/model.json", "inputs": inputs, "outputs": outputs or [],
              "examples": [{"values": values, "outputs": []}] if values else []}
    return Page(name="mine", title="My demo", description="What it does.", template="app/index.html",
                data={"client": client, "verified": {"runs": 1, "maxAbsError": 0.0}})


def test_a_user_demos_card_shows_its_first_example_image_or_draws_its_inputs(tmp_path):
    from builders.cards import _picture

    image = _app_page([{"type": "image", "label": "Photo", "files": {"abc-cat.jpg": "files/0-abc-cat.jpg"}}],
                      ["abc-cat.jpg"])
    assert _picture(image, tmp_path) == ("data/models/mine/files/0-abc-cat.jpg", "Photo: the demo's first example")
    pad = _app_page([{"type": "sketchpad", "label": "Pad", "size": 4, "invert": False}], [[0.0] * 15 + [1.0]])
    path, alt = _picture(pad, tmp_path)
    assert path == "cards/mine.png" and (tmp_path / path).read_bytes()[:4] == b"\x89PNG" and "drawings" in alt
    text = _app_page([{"type": "text", "label": "Review"}], ["great"], [{"type": "label", "label": "Sentiment"}])
    path, alt = _picture(text, tmp_path)
    assert path == "cards/mine.svg" and alt == "My demo: inputs Review; outputs Sentiment"
    svg = (tmp_path / path).read_text()
    assert "in: Review" in svg and "out: Sentiment" in svg and f"<title>{alt}</title>" in svg


def test_the_service_worker_keeps_the_cards_for_offline_use(built_site):
    from tests.test_isolation import manifest

    listed = manifest(built_site)
    pictures = sorted(str(p.relative_to(built_site)) for p in (built_site / "cards").glob("*"))
    assert pictures and set(pictures) <= set(listed["pages"]["index.html"])
    for card in (built_site / "models").glob("*.html"):
        urls = listed["pages"][str(card.relative_to(built_site))]
        assert str(card.relative_to(built_site)) in urls and all(u in listed["hashes"] for u in urls)
