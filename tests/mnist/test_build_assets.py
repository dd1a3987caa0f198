"""`build_assets`: trains once, reuses the cached params on a rebuild, ships a verified model and a QR code.

The demo is declared with `builders.app` (builders/demos/mnist/__init__.py): the page is the generic
one, its numbers are in the spec the API writes and in the demo's article.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from builders.cache import Cache
from builders.config import SiteSettings
from builders.demos import mnist
from builders.demos.base import BuildContext


def context(tmp_path: Path, site_url: str = "") -> BuildContext:
    return BuildContext(site=SiteSettings(site_url=site_url), cache=Cache(tmp_path / "cache"), profile="smoke",
                        project_root=Path(__file__).resolve().parents[2])


@pytest.fixture(scope="module")
def first_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mnist-build")
    config = replace(mnist.Config(), data="embedded", epochs=1, max_steps=8, batch_size=32)
    ctx = context(tmp, "https://example.org/demos/")
    return tmp, config, ctx, mnist.build_assets(config, ctx)


def accuracy(page) -> float:
    """The held-out accuracy the article states, as a fraction."""
    return float(re.search(r"<strong>(\d+\.\d\d)%</strong> accuracy", page.data["article"]).group(1)) / 100


def test_page_reports_measured_numbers_and_ships_the_model(first_build):
    _, _, ctx, page = first_build
    assert ctx.cache.events == [("mnist-train", False), ("app-mnist", False)]
    assert page.template == "app/index.html" and page.entry == "site_src/app/main.ts"
    assert set(page.files) == {"data/models/mnist/model.json", "data/models/mnist/group1-shard1of1.bin"}
    assert all(path.is_file() for path in page.files.values())
    model = json.loads(page.files["data/models/mnist/model.json"].read_text())
    assert model["userDefinedMetadata"]["demo"] == "mnist"
    article = " ".join(page.data["article"].split())
    assert "(8 steps)" in article and "on the 2,000 held-out test digits" in article
    assert "only 8,000 digits" in article and 0.05 < accuracy(page) <= 1
    client = page.data["client"]
    assert client["model"] == "models/mnist/model.json"
    assert [i["type"] for i in client["inputs"]] == ["sketchpad"] and client["inputs"][0]["centerOfMass"]
    assert client["outputs"][0]["names"] == list("0123456789") and client["outputs"][0]["top"] == 10
    verified = page.data["verified"]
    assert verified["bytes"] == sum(p.stat().st_size for p in page.files.values())
    # the ten held-out digits of the gallery together and the first alone (a polymorphic batch), and a blank pad
    assert verified["maxAbsError"] < 1e-4 and verified["runs"] == 3 and len(client["examples"]) == 10
    assert page.summary["model"] == f"{verified['bytes'] / 1e6:.2f} MB"


def svg_modules(svg: str) -> set[tuple[int, int]]:
    """Dark (row, column) modules drawn by a segno SVG path (`M x y`, `m dx dy`, `h n` commands)."""
    import re

    scale = float(re.search(r'transform="scale\((\d+(?:\.\d+)?)\)"', svg).group(1))
    width = int(re.search(r'width="(\d+)"', svg).group(1))
    path = re.search(r' d="([^"]+)"', svg).group(1)
    dark, x, y = set(), 0.0, 0.0
    for op, args in re.findall(r"([MmHh])([-\d.\s]+)", path):
        nums = [float(v) for v in args.split()]
        if op == "M":
            x, y = nums
        elif op == "m":
            x, y = x + nums[0], y + nums[1]
        else:
            dark.update((int(y), int(x) + k) for k in range(int(nums[0])))
            x += nums[0]
    return dark, round(width / scale)


def test_qr_code_draws_the_public_url(first_build):
    import segno

    page = first_build[3]
    assert page.data["public_url"] == "https://example.org/demos/mnist/"
    svg = page.data["qr_svg"]
    assert svg.startswith("<svg") and "<title>QR code of https://example.org/demos/mnist/</title>" in svg
    dark, size = svg_modules(svg)
    expected = segno.make("https://example.org/demos/mnist/", error="m")
    border = (size - expected.symbol_size(scale=1, border=0)[0]) // 2
    assert border == 2
    want = {(r + border, c + border) for r, row in enumerate(expected.matrix) for c, v in enumerate(row) if v}
    assert dark == want
    other = segno.make("https://example.org/demos/jax/", error="m")
    assert dark != {(r + 2, c + 2) for r, row in enumerate(other.matrix) for c, v in enumerate(row) if v}


def test_rebuild_reuses_training_and_conversion(first_build):
    tmp, config, _, page = first_build
    ctx = context(tmp)  # same cache, no public URL this time
    again = mnist.build_assets(config, ctx)
    assert ctx.cache.events == [("mnist-train", True), ("app-mnist", True)]
    assert again.data["article"] == page.data["article"]  # the accuracy and the measured time of the real run
    assert again.data["qr_svg"] == "" and again.data["public_url"] == ""


def test_training_key_follows_training_settings_and_data_not_conversion_settings():
    from builders.app.context import UserCache
    from builders.demos.mnist import train_cnn, training_inputs
    from builders.demos.mnist.data import Dataset

    images, labels = np.zeros((4, 28, 28), np.float32), np.arange(4, dtype=np.int32)
    data = Dataset(images, labels, images, labels, "four blank digits")
    cache = UserCache(Cache("unused"), "mnist")
    key = lambda config, dataset=data: cache.key(training_inputs(config, dataset), train_cnn)  # noqa: E731
    base = mnist.Config()
    assert key(base) == key(replace(base, quantization="float16"))
    assert key(base) != key(replace(base, epochs=13))
    assert key(base) != key(replace(base, augment=False))
    other = Dataset(images, labels[::-1].copy(), images, labels, "four blank digits")
    assert key(base) != key(base, other)


def test_build_from_a_folder_of_idx_files(tmp_path):
    from builders.demos.mnist.data import load_embedded
    from tests.mnist.test_data import idx_bytes

    digits = load_embedded()
    folder = tmp_path / "idx"
    folder.mkdir()
    subsets = {"train": (digits.train_images[:600], digits.train_labels[:600]),
               "t10k": (digits.test_images[:150], digits.test_labels[:150])}
    for split, (images, labels) in subsets.items():
        (folder / f"{split}-images-idx3-ubyte").write_bytes(idx_bytes(np.round(images * 255).astype(np.uint8)))
        (folder / f"{split}-labels-idx1-ubyte").write_bytes(idx_bytes(labels.astype(np.uint8)))
    config = replace(mnist.Config(), data=str(folder), epochs=1, max_steps=6, batch_size=32)
    page = mnist.build_assets(config, context(tmp_path))
    article = " ".join(page.data["article"].split())
    assert f"trained on MNIST from {folder} (600 training and 150 test digits)" in article
    assert "on the 150 held-out test digits" in article
    assert "60,000" not in article  # the note on the small embedded training set
