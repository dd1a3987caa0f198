"""Training: seeded, jitted, with on-device augmentation and a progress bar per epoch (one line in a log).

`train_and_evaluate(config, workdir)` follows the Flax MNIST example's entry point; it
writes `params.msgpack` and `metrics.json` into `workdir` and returns a `TrainResult`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import serialization
from flax.training import train_state
from jax.scipy.ndimage import map_coordinates

from ...progress import Progress
from .config import Config
from .data import IMAGE_SIZE, Dataset, load_dataset
from .model import CNN

EVAL_BATCH = 500
CENTRE = (IMAGE_SIZE - 1) / 2.0


@dataclass
class TrainResult:
    """Trained params and the measured numbers of the run."""

    params: Any
    test_accuracy: float
    test_loss: float
    train_seconds: float
    steps: int
    history: list[dict] = field(default_factory=list)  # one entry per epoch


@dataclass(frozen=True)
class Augmentation:
    """Static (hashable) augmentation settings baked into the jitted step."""

    max_shift: float
    max_rotation_rad: float
    max_scale: float
    stroke_width: bool

    @classmethod
    def from_config(cls, config: Config) -> Augmentation | None:
        if not config.augment:
            return None
        return cls(config.max_shift, math.radians(config.max_rotation), config.max_scale, config.stroke_width)


def augment(key: jax.Array, images: jnp.ndarray, aug: Augmentation) -> jnp.ndarray:
    """Random affine warp (shift, rotation, zoom) and stroke-width change of (B, 28, 28) images.

    Drawn digits differ from scanned ones mostly in position, slant and stroke thickness,
    which is what these cover; everything runs inside the jitted step.
    """
    batch = images.shape[0]
    k_angle, k_scale, k_shift, k_width = jax.random.split(key, 4)
    angle = jax.random.uniform(k_angle, (batch,), minval=-1.0, maxval=1.0) * aug.max_rotation_rad
    scale = 1.0 + jax.random.uniform(k_scale, (batch,), minval=-1.0, maxval=1.0) * aug.max_scale
    shift = jax.random.uniform(k_shift, (batch, 2), minval=-1.0, maxval=1.0) * aug.max_shift
    grid_y, grid_x = jnp.meshgrid(jnp.arange(IMAGE_SIZE) - CENTRE, jnp.arange(IMAGE_SIZE) - CENTRE, indexing="ij")

    def warp(image, a, s, t):
        # inverse map: for each output pixel, where in the source it comes from
        y, x = grid_y - t[0], grid_x - t[1]
        cos, sin = jnp.cos(a), jnp.sin(a)
        src_y = (cos * y - sin * x) / s + CENTRE
        src_x = (sin * y + cos * x) / s + CENTRE
        return map_coordinates(image, [src_y, src_x], order=1, mode="constant", cval=0.0)

    images = jax.vmap(warp)(images, angle, scale, shift)
    if aug.stroke_width:
        window = (1, 3, 3)
        dilated = jax.lax.reduce_window(images, -jnp.inf, jax.lax.max, window, (1, 1, 1), "SAME")
        eroded = jax.lax.reduce_window(images, jnp.inf, jax.lax.min, window, (1, 1, 1), "SAME")
        # t > 0 blends towards the dilated image (thicker), t < 0 towards the eroded one
        # (thinner); erosion is capped lower because thin MNIST strokes vanish under a full 3x3 min.
        t = jax.random.uniform(k_width, (batch, 1, 1), minval=-0.5, maxval=0.8)
        images = jnp.where(t > 0, images + t * (dilated - images), images - t * (eroded - images))
    return jnp.clip(images, 0.0, 1.0)


def make_optimizer(config: Config, total_steps: int) -> optax.GradientTransformation:
    """Adam or SGD with momentum 0.9, both with a cosine-decayed learning rate."""
    schedule = optax.cosine_decay_schedule(config.learning_rate, max(1, total_steps))
    if config.optimizer == "adam":
        return optax.adam(schedule)
    return optax.sgd(schedule, momentum=0.9)


@partial(jax.jit, static_argnames=("aug",))
def train_step(state: train_state.TrainState, images: jnp.ndarray, labels: jnp.ndarray, key: jax.Array,
               aug: Augmentation | None):
    """One optimiser step on a batch of (B, 28, 28) images; returns (state, loss, accuracy)."""
    if aug is not None:
        images = augment(key, images, aug)

    def loss_fn(params):
        logits = CNN().apply({"params": params}, images[..., None])
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
        return loss, logits

    (loss, logits), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    state = state.apply_gradients(grads=grads)
    return state, loss, jnp.mean(jnp.argmax(logits, -1) == labels)


@jax.jit
def _eval_batch(params, images: jnp.ndarray, labels: jnp.ndarray, mask: jnp.ndarray):
    logits = CNN().apply({"params": params}, images[..., None])
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
    correct = jnp.argmax(logits, -1) == labels
    return jnp.sum(losses * mask), jnp.sum(correct * mask)


def evaluate(params: Any, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(mean loss, accuracy) on `images` (N, 28, 28); fixed-size batches avoid recompiles."""
    total_loss = total_correct = 0.0
    for start in range(0, len(images), EVAL_BATCH):
        x, y = images[start:start + EVAL_BATCH], labels[start:start + EVAL_BATCH]
        n = len(x)
        mask = np.zeros(EVAL_BATCH, np.float32)
        mask[:n] = 1
        if n < EVAL_BATCH:
            x = np.concatenate([x, np.zeros((EVAL_BATCH - n, *x.shape[1:]), x.dtype)])
            y = np.concatenate([y, np.zeros(EVAL_BATCH - n, y.dtype)])
        loss, correct = _eval_batch(params, x, y, mask)
        total_loss += float(loss)
        total_correct += float(correct)
    return total_loss / len(images), total_correct / len(images)


def init_params(seed: int) -> Any:
    """Initial CNN params for `seed`."""
    return CNN().init(jax.random.PRNGKey(seed), jnp.zeros((1, IMAGE_SIZE, IMAGE_SIZE, 1), jnp.float32))["params"]


def train(config: Config, dataset: Dataset, progress: bool = True) -> TrainResult:
    """Train the CNN on `dataset` and evaluate it on the test split."""
    n_train = len(dataset.train_images)
    batch_size = min(config.batch_size, n_train)
    steps_per_epoch = n_train // batch_size  # the partial last batch is dropped (reshuffled each epoch)
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    state = train_state.TrainState.create(
        apply_fn=CNN().apply, params=init_params(config.seed), tx=make_optimizer(config, total_steps))
    aug = Augmentation.from_config(config)
    rng = np.random.default_rng(config.seed)
    base_key = jax.random.PRNGKey(config.seed + 1)
    train_images = jnp.asarray(dataset.train_images)
    train_labels = jnp.asarray(dataset.train_labels)
    history: list[dict] = []
    step = 0
    started = time.perf_counter()
    epochs = math.ceil(total_steps / steps_per_epoch)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n_train)
        steps = min(steps_per_epoch, total_steps - step)
        bar = Progress(steps, f"mnist epoch {epoch}/{epochs}", enabled=progress, leave=True)
        loss_sum = acc_sum = 0.0
        for i in range(steps):
            idx = order[i * batch_size:(i + 1) * batch_size]
            state, loss, acc = train_step(state, train_images[idx], train_labels[idx],
                                          jax.random.fold_in(base_key, step), aug)
            step += 1
            loss_sum += float(loss)
            acc_sum += float(acc)
            bar.update(1, loss=f"{loss_sum / (i + 1):.4f}", acc=f"{acc_sum / (i + 1):.4f}")
        bar.close()
        history.append({"epoch": epoch, "steps": steps, "train_loss": loss_sum / max(1, steps),
                        "train_accuracy": acc_sum / max(1, steps)})
    train_seconds = time.perf_counter() - started
    test_loss, test_accuracy = evaluate(state.params, dataset.test_images, dataset.test_labels)
    return TrainResult(jax.device_get(state.params), test_accuracy, test_loss, train_seconds, step, history)


def save_params(params: Any, path: Path) -> None:
    """Write params as Flax msgpack."""
    Path(path).write_bytes(serialization.to_bytes(params))


def load_params(path: Path, seed: int = 0) -> Any:
    """Read params written by `save_params` (the structure comes from a fresh init)."""
    return serialization.from_bytes(init_params(seed), Path(path).read_bytes())


def train_and_evaluate(config: Config, workdir: Path, dataset: Dataset | None = None,
                       progress: bool = True) -> TrainResult:
    """Train with `config` and write `params.msgpack` and `metrics.json` into `workdir`."""
    if dataset is None:
        dataset = load_dataset(config.data, config.sha256_by_stem(), gzipped=config.data_gzip)
    result = train(config, dataset, progress=progress)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    save_params(result.params, workdir / "params.msgpack")
    metrics = {k: v for k, v in asdict(result).items() if k != "params"}
    (workdir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    return result
