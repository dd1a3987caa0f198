"""The MNIST demo, declared with `builders.app` like a user's demo: a drawing pad and the 10 digits.

`demo(ctx)` trains the Flax example CNN on the configured data (cached by the data, the settings
and the code of this folder) and returns an `app.Demo`; the API converts it, checks it in TF.js
against JAX on held-out digits (its examples) and renders the generic page.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import numpy as np

from ... import app
from ...app.project import builtin
from .config import Config
from .data import Dataset, load_dataset
from .model import CNN
from .train import train

NAME = "mnist"
DIGITS = [str(d) for d in range(10)]

__all__ = ["NAME", "Config", "build_assets", "demo"]


def predict(params: Any, images: np.ndarray) -> np.ndarray:
    """Logits of the 10 digits for (batch, 28, 28) drawings, ink 1 on 0: what the page runs."""
    return CNN().apply({"params": params}, images[..., None])


def train_cnn(config: dict, train_images, train_labels, test_images, test_labels) -> dict[str, Any]:
    """Train on the given digits with the `[demos.mnist]` settings; the params and the measured numbers."""
    dataset = Dataset(train_images, train_labels, test_images, test_labels, source="")
    result = train(replace(Config(), **config), dataset)
    return {"params": result.params, "test_accuracy": result.test_accuracy, "train_seconds": result.train_seconds,
            "steps": result.steps, "epochs": len(result.history)}


def training_inputs(config: Config, dataset: Dataset) -> dict[str, Any]:
    """`train_cnn`'s arguments, also its cache key: the data itself and the settings training reads."""
    settings = {k: v for k, v in asdict(config).items()
                if k != "quantization" and not k.startswith(("data", "sha256_"))}
    return {"config": settings, "train_images": dataset.train_images, "train_labels": dataset.train_labels,
            "test_images": dataset.test_images, "test_labels": dataset.test_labels}


def held_out_examples(dataset: Dataset) -> list[np.ndarray]:
    """The first held-out digit of each class (the gallery, and what TF.js is checked on)."""
    firsts = [np.flatnonzero(dataset.test_labels == d) for d in range(10)]
    return [dataset.test_images[i[0]] for i in firsts if len(i)]


def about(config: Config, dataset: Dataset, trained: dict[str, Any]) -> str:
    """The page's article: the model, its training and what it was measured at."""
    epochs = trained["epochs"]
    augmented = (", with random shifts, rotations, zooms and stroke-width changes so that drawn digits look like "
                 "the training data") if config.augment else ""
    few = (f" It also learned from only {len(dataset.train_labels):,} digits, fewer than the 60,000 of the full "
           "MNIST training set.") if config.data == "embedded" else ""
    return f"""
        The network is the CNN of the Flax MNIST example: two 3×3 convolutions (32 and 64 features) with
        ReLU and 2×2 average pooling, then dense layers of 256 and 10 units. It was trained on
        {dataset.source}, for {epochs} epoch{'s' * (epochs != 1)} ({trained['steps']} steps){augmented}.

        Measured at build time: **{trained['test_accuracy']:.2%}** accuracy on the
        {len(dataset.test_labels):,} held-out test digits; training took **{trained['train_seconds']:.0f} s**
        on the build machine. The pad's drawing is cropped to the ink, scaled to fit 20×20 pixels and
        centred by its centre of mass in 28×28, the way the MNIST digits were made.

        **It can be fooled.** The model has only seen centred, handwritten digits on a plain background.
        Letters, symbols, several digits at once, scribbles or unusually drawn digits are still given one
        of the ten labels, often with high confidence: a probability here is the model's belief, not a
        guarantee.{few}
        """


def demo(ctx) -> app.Demo:
    """Train (or reuse) the CNN and declare the page."""
    config: Config = ctx.config
    dataset = load_dataset(config.data, config.sha256_by_stem(), gzipped=config.data_gzip,
                           project_root=ctx.folder, download_cache=ctx.download_dir)
    ctx.log(f"mnist: data: {dataset.source}")
    trained = ctx.cache.run("train", training_inputs(config, dataset), train_cnn)
    ctx.log(f"mnist: test accuracy {trained['test_accuracy']:.2%} on {len(dataset.test_labels):,} held-out digits "
            f"(trained in {trained['train_seconds']:.0f}s)")
    return app.Demo(
        title="Draw a digit",
        description="Draw a digit from 0 to 9 with your mouse, pen or finger: a small network trained in "
                    "JAX/Flax, converted to TensorFlow.js, reads it on your device as you draw.",
        fn=predict, params=trained["params"],
        inputs=app.Sketchpad("Your drawing"), outputs=app.Label(DIGITS, top=10),
        examples=held_out_examples(dataset), article=about(config, dataset, trained),
        quantization=None if config.quantization == "none" else config.quantization)


build_assets = builtin(NAME, demo)
