"""LiT-style tuning at build time: a text head on a frozen MiniLM, taught to land on the locked
image tower's class vectors.

What is locked: the whole image tower (EfficientNet-Lite0, `efficientnet.py`) and the whole text
encoder (all-MiniLM-L6-v2, `minilm.py`). What is tuned: a head 384 -> 1024 (GELU) -> 1280 plus a
linear skip 384 -> 1280, on MiniLM's L2-normalised sentence embeddings. On what: prompts made
from the ImageNet-1k class names and their WordNet lemmas (timm's `imagenet_synset_to_lemma.txt`)
with `TRAIN_TEMPLATES`; the targets are the rows of the image tower's `_fc` classifier, which
live in the 1280-d image feature space, L2-normalised. The loss is LiT's contrastive cross-entropy
of the normalised head output against all 1000 class vectors (every other class a negative), with
a fixed logit scale `SCALE`. `HELD_OUT_TEMPLATES` and one lemma per class that has several
(`split_lemmas`) are never trained on: `tune` reports zero-shot top-1/top-5 on them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ...pinned_wheels import PinnedWheel, fetch, read_member
from ...progress import Progress

# timm ships the ImageNet-1k synsets in class-index order and WordNet's lemmas for each of them
TIMM = PinnedWheel("timm", "1.0.31", "timm-1.0.31-py3-none-any.whl",
                   "5bd50f7d0fe6d09bf9285ac2523234a1b7e6bf075c0be3e7aed09139fcb617c7", "Apache-2.0")
SYNSETS_MEMBER = "timm/data/_info/imagenet_synsets.txt"
LEMMAS_MEMBER = "timm/data/_info/imagenet_synset_to_lemma.txt"

TRAIN_TEMPLATES = ("a photo of a {}.", "a picture of a {}.", "an image of a {}.", "a close-up photo of a {}.",
                   "a cropped photo of the {}.", "a bright photo of a {}.")
HELD_OUT_TEMPLATES = ("a snapshot showing a {}.", "there is a {} in this photo.")
SCALE = 30.0  # the logit scale (1 / temperature) of the contrastive loss
HIDDEN, TEXT_WIDTH, IMAGE_WIDTH = 1024, 384, 1280
MAX_LEN = 32  # tokens per prompt: ImageNet's longest lemma prompts fit


def imagenet_lemmas(download_dir: Path) -> list[list[str]]:
    """WordNet's lemmas of each ImageNet-1k class, in the classifier's order (the first is its name)."""
    wheel = fetch(TIMM, download_dir)
    synsets = read_member(wheel, SYNSETS_MEMBER).decode().split()
    table = dict(line.split("\t", 1) for line in read_member(wheel, LEMMAS_MEMBER).decode().splitlines() if line)
    out = []
    for s in synsets:
        seen, lemmas = set(), []
        for lemma in (w.strip() for w in table[s].split(",")):
            if lemma and lemma.lower() not in seen:
                seen.add(lemma.lower())
                lemmas.append(lemma)
        out.append(lemmas)
    return out


def split_lemmas(lemmas: Sequence[Sequence[str]]) -> tuple[list[list[str]], list[tuple[int, str]]]:
    """(lemmas to train on per class, held-out (class, lemma) pairs): a class with two or more
    lemmas keeps its first (its name) and gives up its last to the held-out set."""
    train, held = [], []
    for c, names in enumerate(lemmas):
        if len(names) >= 2:
            train.append(list(names[:-1]))
            held.append((c, names[-1]))
        else:
            train.append(list(names))
    return train, held


def _dense(key, n_in: int, n_out: int) -> dict:
    return {"w": jax.random.normal(key, (n_in, n_out), jnp.float32) * np.sqrt(1.0 / n_in),
            "b": jnp.zeros((n_out,), jnp.float32)}


def init_head(key) -> dict:
    """Params of the head: `hidden` (384 -> 1024), `out` (1024 -> 1280) and the linear `skip`."""
    k1, k2, k3 = jax.random.split(key, 3)
    return {"hidden": _dense(k1, TEXT_WIDTH, HIDDEN), "out": _dense(k2, HIDDEN, IMAGE_WIDTH),
            "skip": _dense(k3, TEXT_WIDTH, IMAGE_WIDTH)}


def apply_head(params: dict, x):
    """MiniLM embeddings [n, 384] -> L2-normalised points [n, 1280] of the image feature space."""
    h = jax.nn.gelu(x @ params["hidden"]["w"] + params["hidden"]["b"], approximate=False)
    y = h @ params["out"]["w"] + params["out"]["b"] + x @ params["skip"]["w"] + params["skip"]["b"]
    return y / jnp.maximum(jnp.linalg.norm(y, axis=-1, keepdims=True), 1e-12)


def normalise_rows(w: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a copy: arrays from JAX are read-only)."""
    w = np.array(w, np.float32, copy=True)
    return w / np.maximum(np.linalg.norm(w, axis=-1, keepdims=True), 1e-12)


def topk(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Share of rows whose label is among their `k` highest scores."""
    best = np.argsort(-scores, axis=-1)[:, :k]
    return float(np.mean(np.any(best == labels[:, None], axis=-1)))


@dataclass
class TunedHead:
    """The tuned head's params (NumPy) and what it scored: `metrics` maps e.g.
    "held_out_templates" to {"top1", "top5", "n"}, plus "loss" (final) and "steps"."""

    params: dict
    metrics: dict = field(default_factory=dict)


def tune(text_embeddings_fn: Callable[[list[str]], np.ndarray], fc_weights: np.ndarray, class_names: Sequence[str],
         lemmas: Sequence[Sequence[str]], *, steps: int = 1500, seed: int = 0, progress: bool = True,
         batch: int = 512, learning_rate: float = 1e-3) -> TunedHead:
    """Tune the head on frozen text embeddings against `fc_weights` [classes, 1280] (the image
    tower's classifier rows, one per class of `class_names`; `lemmas[c]` are class c's WordNet
    lemmas, the name first). Deterministic for a `seed` on one machine."""
    import optax

    n_classes = len(class_names)
    targets = jnp.asarray(normalise_rows(fc_weights))
    train_lemmas, held_lemmas = split_lemmas([[class_names[c], *[w for w in lemmas[c] if w != class_names[c]]]
                                              for c in range(n_classes)])
    prompts, labels = [], []
    for c, names in enumerate(train_lemmas):
        for name in names:
            for t in TRAIN_TEMPLATES:
                prompts.append(t.format(name))
                labels.append(c)
    x = jnp.asarray(text_embeddings_fn(prompts), jnp.float32)
    y = jnp.asarray(labels, jnp.int32)

    optimizer = optax.adam(learning_rate)

    def loss_fn(params, xb, yb):
        logits = SCALE * apply_head(params, xb) @ targets.T
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    @jax.jit
    def step(params, opt_state, key):
        idx = jax.random.randint(key, (min(batch, len(prompts)),), 0, len(prompts))
        loss, grads = jax.value_and_grad(loss_fn)(params, x[idx], y[idx])
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    key, init_key = jax.random.split(jax.random.PRNGKey(seed))
    params = init_head(init_key)
    opt_state = optimizer.init(params)
    bar = Progress(steps, "LiT text head", enabled=progress, lines=5)
    loss = float("nan")
    for i in range(steps):
        key, sub = jax.random.split(key)
        params, opt_state, loss_j = step(params, opt_state, sub)
        if (i + 1) % 50 == 0 or i + 1 == steps:
            loss = float(loss_j)
            bar.update(min(50, i + 1 - bar.done), loss=f"{loss:.4f}")
    bar.close()

    def score(texts: list[str], truth: list[int]) -> dict:
        if not texts:
            return {"top1": float("nan"), "top5": float("nan"), "n": 0}
        s = np.asarray(apply_head(params, jnp.asarray(text_embeddings_fn(texts))) @ targets.T)
        t = np.asarray(truth)
        return {"top1": topk(s, t, 1), "top5": topk(s, t, min(5, n_classes)), "n": len(texts)}

    held_t = [(t.format(class_names[c]), c) for t in HELD_OUT_TEMPLATES for c in range(n_classes)]
    metrics = {"steps": steps, "seed": seed, "classes": n_classes, "train_prompts": len(prompts), "loss": loss,
               "train_template": score([TRAIN_TEMPLATES[0].format(class_names[c]) for c in range(n_classes)],
                                       list(range(n_classes))),
               "held_out_templates": score([p for p, _ in held_t], [c for _, c in held_t]),
               "held_out_synonyms": score([HELD_OUT_TEMPLATES[0].format(w) for _, w in held_lemmas],
                                          [c for c, _ in held_lemmas])}
    return TunedHead(jax.tree_util.tree_map(np.asarray, params), metrics)


def class_points(params: dict, text_embeddings_fn: Callable[[list[str]], np.ndarray], class_names: Sequence[str],
                 templates: Sequence[str] = HELD_OUT_TEMPLATES) -> np.ndarray:
    """One unit vector per class in the image feature space: the head's outputs for the class name
    in each of `templates`, averaged and renormalised (CLIP's prompt ensembling)."""
    points = 0
    for t in templates:
        points = points + np.asarray(apply_head(params, jnp.asarray(text_embeddings_fn([t.format(n)
                                                                                          for n in class_names]))))
    return normalise_rows(points)


def photo_zero_shot(params: dict, text_embeddings_fn: Callable[[list[str]], np.ndarray], class_names: Sequence[str],
                    image_features: np.ndarray, expected: Sequence[Sequence[int]],
                    templates: Sequence[str] = HELD_OUT_TEMPLATES) -> list[dict]:
    """Zero-shot classification of photos: cosine of each photo's image-tower features [p, 1280]
    with `class_points` (prompts the head was not tuned on). Per photo: the best class, the rank
    (1 = first) of its best expected class, top1 and top5."""
    points = class_points(params, text_embeddings_fn, class_names, templates)
    scores = normalise_rows(image_features) @ points.T
    out = []
    for s, want in zip(scores, expected):
        order = np.argsort(-s)
        rank = int(min(np.nonzero(np.isin(order, list(want)))[0])) + 1
        out.append({"best": int(order[0]), "rank": rank, "top1": rank == 1, "top5": rank <= 5})
    return out


def minilm_embedder(download_dir: Path, batch: int = 256) -> Callable[[list[str]], np.ndarray]:
    """A function: prompts -> MiniLM sentence embeddings [n, 384] (float32, the frozen text encoder)."""
    from . import minilm
    from .wordpiece import WordPiece

    module, variables, spec = minilm.load(download_dir)
    wp = WordPiece.from_tokenizer_json(spec)
    apply = jax.jit(module.apply)

    def embed(texts: list[str]) -> np.ndarray:
        # Bucketed by length: prompts are sorted by token count and each batch padded only to the
        # next multiple of 8 tokens (MiniLM's mean pooling masks the padding, so the embeddings do
        # not depend on it); about 3x fewer token positions than padding everything to MAX_LEN.
        encoded = [wp.encode(t, MAX_LEN) for t in texts]
        lengths = np.array([int(np.count_nonzero(ids)) for ids, _ in encoded])
        order = np.argsort(lengths, kind="stable")
        out = np.zeros((len(texts), TEXT_WIDTH), np.float32)
        for i in range(0, len(order), batch):
            rows = order[i:i + batch]
            width = min(MAX_LEN, -(-int(lengths[rows].max()) // 8) * 8)
            full = np.zeros((batch, width), np.int32)  # one row count for jit, few widths
            full[:len(rows)] = np.array([encoded[r][0][:width] for r in rows], np.int32)
            out[rows] = np.asarray(apply(variables, full))[:len(rows)]
        return out
    return embed


def fc_weights(download_dir: Path) -> np.ndarray:
    """The image tower's classifier rows [1000, 1280] (a copy, writable)."""
    from . import efficientnet

    return np.array(efficientnet.load_variables(download_dir)["params"]["fc"]["kernel"].T, np.float32, copy=True)


def tuned_head(ctx, download_dir: Path, *, steps: int = 1500, seed: int = 0, classes: int | None = None) -> TunedHead:
    """The tuned head through the build cache (`ctx.cache.run("lit-tuned-head", ...)`): keyed on the
    pinned wheels, the tuning settings and this module's code; `classes` keeps the first N."""
    from ...cache import hash_code
    from . import efficientnet, minilm

    inputs = {"wheels": [TIMM.sha256, efficientnet.WHEEL.sha256, minilm.WHEEL.sha256], "steps": steps,
              "seed": seed, "classes": classes, "templates": [TRAIN_TEMPLATES, HELD_OUT_TEMPLATES], "scale": SCALE,
              "code": hash_code(sys.modules[__name__])}

    def run(out: Path) -> dict:
        lemmas = imagenet_lemmas(download_dir)
        w = fc_weights(download_dir)
        n = classes or len(lemmas)
        head = tune(minilm_embedder(download_dir), w[:n], [ls[0] for ls in lemmas[:n]], lemmas[:n], steps=steps,
                    seed=seed, progress=True)
        np.savez(out / "head.npz", **{f"{a}.{b}": v for a, d in head.params.items() for b, v in d.items()})
        return head.metrics

    res = ctx.cache.run("lit-tuned-head", inputs, run)
    with np.load(res.path / "head.npz") as f:
        params: dict = {}
        for k in f.files:
            a, b = k.split(".")
            params.setdefault(a, {})[b] = f[k]
    return TunedHead(params, res.value)
