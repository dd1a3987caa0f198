"""Train the embedded LiT model: world data -> locked image tower -> contrastive text towers.

1. `make_world`: render training scenes (at the image tower's resolution) with several
   captions each, held-out colour x shape combinations excluded, plus seen/held-out test sets.
2. `pretrain_image_tower`: a small ViT with linear attribute heads (colour, shape, size, count,
   position) trained with supervised cross-entropy; the heads are then dropped and the tower
   is **locked** (never updated again).
3. `train_text_tower`: a big_vision text transformer trained with the LiT contrastive loss
   (symmetric softmax cross-entropy over `exp(t) * ztxt @ zimg.T`, `t` learned) against the
   locked, precomputed image embeddings.
4. `zero_shot_accuracy`: colour x shape classification of test images with one prompt per class.

Everything is seeded; the functions are pure given their inputs and are cached by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ...progress import Progress
from . import world
from .models import CNNConfig, ImageConfig, TextConfig, TextTransformer, image_embed_fn, image_tower, text_embed_fn

# Off a terminal, each training loop logs this many lines (a group of steps each): these loops have
# no epochs, and a single line at the end would leave a CI log silent for minutes.
PROGRESS_LINES = 5


@dataclass
class WorldData:
    """Rendered scenes: uint8 images [n, s, s, 3], captions [n][k], attribute labels."""

    images: np.ndarray
    captions: list[list[str]]
    labels: dict[str, np.ndarray]
    scenes: list[world.Scene]


def make_world(n: int, *, image_size: int, captions_per_image: int, seed: int,
               held_out: bool | None, show_progress: bool = True) -> WorldData:
    """Render `n` scenes at `image_size` with `captions_per_image` paraphrases each."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, image_size, image_size, 3), np.uint8)
    captions, scenes = [], []
    bar = Progress(n, f"render world ({n})", enabled=show_progress, unit="scene")
    for i in range(n):
        scene = world.sample_scene(rng, held_out=held_out)
        images[i] = np.asarray(world.render(scene, image_size))
        captions.append([world.caption(scene, rng) for _ in range(captions_per_image)])
        scenes.append(scene)
        bar.update(1)
    bar.close()
    labels = {k: np.array([s.labels()[k] for s in scenes], np.int32) for k in world.ATTRIBUTE_CLASSES}
    return WorldData(images, captions, labels, scenes)


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float32 in [-1, 1] (big_vision's `value_range(-1, 1)`)."""
    return images.astype(np.float32) / 127.5 - 1.0


def make_train_step(loss_fn: Callable, opt: optax.GradientTransformation) -> Callable:
    """A jitted `step(params, opt_state, *batch) -> (params, opt_state, loss)` for `loss_fn(params, *batch)`."""

    @jax.jit
    def step(p, o, *batch):
        loss, grads = jax.value_and_grad(loss_fn)(p, *batch)
        updates, o = opt.update(grads, o, p)
        return optax.apply_updates(p, updates), o, loss

    return step


def _schedule(lr: float, steps: int) -> optax.Schedule:
    warmup = max(1, steps // 10)
    return optax.warmup_cosine_decay_schedule(0.0, lr, warmup, max(steps, warmup + 1))


def pretrain_image_tower(data: WorldData, config: CNNConfig | ImageConfig, *, steps: int, batch_size: int,
                         lr: float, seed: int, show_progress: bool = True) -> tuple[dict, dict, list[float]]:
    """Supervised attribute pretraining; returns the tower's params, the attribute heads
    (used only to report accuracy, then dropped) and the losses."""
    tower = image_tower(config)
    heads = dict(world.ATTRIBUTE_CLASSES)
    k_tower, k_heads = jax.random.split(jax.random.key(seed))
    s = config.image_size
    params = {"img": tower.init(k_tower, jnp.zeros((1, s, s, 3)))["params"],
              "heads": {k: {"kernel": jax.random.normal(jax.random.fold_in(k_heads, i),
                                                        (config.out_dim, n)) * 0.02,
                            "bias": jnp.zeros((n,))} for i, (k, n) in enumerate(heads.items())}}
    opt = optax.adamw(_schedule(lr, steps), weight_decay=1e-4)
    opt_state = opt.init(params)

    def loss_fn(p, x, y):
        z = tower.apply({"params": p["img"]}, x)
        total = 0.0
        for k in heads:
            logits = z @ p["heads"][k]["kernel"] + p["heads"][k]["bias"]
            total = total + optax.softmax_cross_entropy_with_integer_labels(logits, y[k]).mean()
        return total

    step = make_train_step(loss_fn, opt)

    rng = np.random.default_rng(seed)
    losses = []
    bar = Progress(steps, "pretrain image tower", enabled=show_progress, lines=PROGRESS_LINES)
    for _ in range(steps):
        idx = rng.integers(0, len(data.images), batch_size)
        x = to_model_input(data.images[idx])
        y = {k: v[idx] for k, v in data.labels.items()}
        params, opt_state, loss = step(params, opt_state, x, y)
        losses.append(float(loss))
        bar.update(1, loss=f"{losses[-1]:.4f}")
    bar.close()
    params = jax.device_get(params)
    return params["img"], params["heads"], losses


def head_accuracy(heads: dict, config: CNNConfig | ImageConfig, img_params: dict,
                  data: WorldData) -> dict[str, float]:
    """Accuracy of each pretraining attribute head on `data`."""
    fn = jax.jit(lambda p, x: image_tower(config).apply({"params": p}, x))
    z = np.concatenate([np.asarray(fn(img_params, to_model_input(data.images[i:i + 256])))
                        for i in range(0, len(data.images), 256)])
    return {k: float(np.mean(np.argmax(z @ h["kernel"] + h["bias"], 1) == data.labels[k]))
            for k, h in heads.items()}


def embed_images(img_params: dict, config: CNNConfig | ImageConfig, images: np.ndarray,
                 batch_size: int = 256) -> np.ndarray:
    """L2-normalised image embeddings of uint8 images, in batches."""
    fn = jax.jit(image_embed_fn(config))
    out = [np.asarray(fn(img_params, to_model_input(images[i:i + batch_size])))
           for i in range(0, len(images), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, config.out_dim), np.float32)


def lit_loss(ztxt: jnp.ndarray, zimg: jnp.ndarray, t: jnp.ndarray) -> jnp.ndarray:
    """Symmetric contrastive loss of big_vision's LiT: softmax over `exp(t) * ztxt @ zimg.T`."""
    logits = jnp.exp(t) * ztxt @ zimg.T
    labels = jnp.arange(logits.shape[0])
    l1 = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
    l2 = optax.softmax_cross_entropy_with_integer_labels(logits.T, labels).mean()
    return (l1 + l2) / 2


def train_text_tower(tokens: np.ndarray, zimg: np.ndarray, config: TextConfig, *, steps: int,
                     batch_size: int, lr: float, seed: int, name: str,
                     show_progress: bool = True) -> tuple[dict, float, list[float]]:
    """LiT: train the text tower (and `t`) against fixed image embeddings.

    `tokens` is int32 [n_images, captions_per_image, max_len]; each step draws a batch of
    distinct images and one random caption of each.
    """
    embed = text_embed_fn(config)
    key = jax.random.key(seed)
    params = {"txt": TextTransformer(config).init(key, jnp.zeros((1, config.max_len), jnp.int32))["params"],
              "t": jnp.asarray(np.log(10.0), jnp.float32)}
    opt = optax.adamw(_schedule(lr, steps), weight_decay=1e-4)
    opt_state = opt.init(params)

    def loss_fn(p, tok, zi):
        return lit_loss(embed(p["txt"], tok), zi, p["t"])

    step = make_train_step(loss_fn, opt)

    rng = np.random.default_rng(seed)
    n, k, _ = tokens.shape
    batch_size = min(batch_size, n)
    losses = []
    bar = Progress(steps, f"train text tower '{name}'", enabled=show_progress, lines=PROGRESS_LINES)
    for _ in range(steps):
        idx = rng.choice(n, batch_size, replace=False)
        tok = tokens[idx, rng.integers(0, k, batch_size)]
        params, opt_state, loss = step(params, opt_state, tok, zimg[idx])
        losses.append(float(loss))
        bar.update(1, loss=f"{losses[-1]:.4f}")
    bar.close()
    params = jax.device_get(params)
    return params["txt"], float(params["t"]), losses


def zero_shot_accuracy(encode_texts: Callable[[list[str]], np.ndarray], zimg: np.ndarray,
                       combos: list[tuple[str, str]]) -> float:
    """Fraction of images whose best colour x shape prompt names their (colour, shape)."""
    classes = [(c, s) for c in world.COLOURS for s in world.SHAPES]
    ztxt = encode_texts([world.zero_shot_prompt(c, s) for c, s in classes])
    pred = np.argmax(zimg @ ztxt.T, axis=1)
    truth = np.array([classes.index(tuple(c)) for c in combos])
    return float(np.mean(pred == truth)) if len(combos) else float("nan")
