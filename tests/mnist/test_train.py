"""Training: a few real steps on the embedded digits beat chance; augmentation does what it says."""

from __future__ import annotations

import json
from dataclasses import replace

import jax
import numpy as np
import pytest

from builders.demos.mnist.config import Config
from builders.demos.mnist.data import load_embedded
from builders.demos.mnist.train import Augmentation, augment, load_params, train_and_evaluate


@pytest.fixture(scope="module")
def dataset():
    return load_embedded()


def test_smoke_training_beats_chance_and_saves_params(dataset, tmp_path, capsys):
    config = replace(Config(), epochs=1, max_steps=25, batch_size=64)
    result = train_and_evaluate(config, tmp_path, dataset)
    assert result.steps == 25
    assert result.test_accuracy > 0.5  # chance is 0.1
    assert result.history[0]["train_loss"] < np.log(10)  # below the loss of a uniform guess
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test_accuracy"] == result.test_accuracy and metrics["steps"] == 25
    restored = load_params(tmp_path / "params.msgpack")
    for a, b in zip(jax.tree_util.tree_leaves(restored), jax.tree_util.tree_leaves(result.params)):
        np.testing.assert_array_equal(a, b)
    assert "mnist epoch 1/1" in capsys.readouterr().err  # the tqdm bar


def test_training_is_reproducible(dataset):
    from builders.demos.mnist.data import Dataset
    from builders.demos.mnist.train import train

    small = Dataset(dataset.train_images[:256], dataset.train_labels[:256], dataset.test_images[:100],
                    dataset.test_labels[:100], "subset")
    config = replace(Config(), epochs=1, max_steps=3, batch_size=32)
    a, b = train(config, small, progress=False), train(config, small, progress=False)
    for x, y in zip(jax.tree_util.tree_leaves(a.params), jax.tree_util.tree_leaves(b.params)):
        np.testing.assert_array_equal(x, y)
    c = train(replace(config, seed=1), small, progress=False)
    assert not np.array_equal(c.params["Dense_1"]["kernel"], a.params["Dense_1"]["kernel"])


def test_augmentation_moves_rotates_and_changes_stroke_width(dataset):
    images = dataset.train_images[:64]
    key = jax.random.PRNGKey(3)
    aug = Augmentation(max_shift=2.0, max_rotation_rad=0.2, max_scale=0.1, stroke_width=True)
    out = np.asarray(augment(key, images, aug))
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
    np.testing.assert_array_equal(out, np.asarray(augment(key, images, aug)))  # deterministic per key
    assert np.abs(out - images).mean() > 0.02  # really changed
    # geometry only (no stroke change): ink is moved, not created or destroyed
    still = Augmentation(0.0, 0.0, 0.0, stroke_width=False)
    np.testing.assert_allclose(np.asarray(augment(key, images, still)), images, atol=1e-5)
    moved = np.asarray(augment(key, images, Augmentation(2.0, 0.2, 0.0, stroke_width=False)))
    np.testing.assert_allclose(moved.sum(axis=(1, 2)), images.sum(axis=(1, 2)), rtol=0.08)
    # stroke-width changes alone: some digits get thicker (more ink), some thinner (less)
    widths = np.asarray(augment(key, images, Augmentation(0.0, 0.0, 0.0, stroke_width=True)))
    ratio = widths.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert ratio.max() > 1.2 and ratio.min() < 0.9
