"""Load and save big_vision-style LiT checkpoints (`.npz` of flattened parameters).

Supported key spellings (both seen in big_vision-produced files):

1. bare: `txt/Encoder_0/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel`,
   `img/embedding/kernel`, `t` — the released LiT `.npz` files;
2. prefixed: the same keys under `params/` (big_vision train-state checkpoints), or under
   `opt/target/` (older flax.optim checkpoints, which big_vision's loader unwraps the same way).

The image tower is a big_vision ViT (`img/embedding/kernel`, ...) or the embedded demo's
small CNN (`img/conv_0/kernel`, ...). Scanned encoders (`encoderblock/...` with a leading
depth axis, big_vision `scan=True`) are
unstacked into `encoderblock_<i>`. Model sizes are inferred from parameter shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import traverse_util

from .models import CNNConfig, ImageConfig, TextConfig, TextTransformer, image_tower

PREFIXES = ("params/", "opt/target/")


class CheckpointError(ValueError):
    """A checkpoint file cannot be used; the message names the file and the key."""


@dataclass
class LitCheckpoint:
    """Parameters of both towers, their inferred configs and the log temperature `t`."""

    txt: dict
    img: dict
    t: float
    text_config: TextConfig
    image_config: ImageConfig | CNNConfig

    @property
    def temperature(self) -> float:
        return float(np.exp(self.t))


def _strip_prefix(flat: dict[str, np.ndarray], path: Path) -> dict[str, np.ndarray]:
    for prefix in PREFIXES:
        if any(k.startswith(prefix) for k in flat):
            return {k[len(prefix):]: v for k, v in flat.items() if k.startswith(prefix)}
    if not any(k.startswith(("txt/", "img/")) for k in flat):
        sample = ", ".join(sorted(flat)[:3])
        raise CheckpointError(f"{path}: no 'txt/...' or 'img/...' keys (nor under 'params/' or "
                              f"'opt/target/'); first keys are: {sample}")
    return flat


def _unscan(tree: dict) -> dict:
    """Split a scanned `encoderblock` (leading depth axis) into `encoderblock_<i>`."""
    for enc_name in ("Encoder_0", "Transformer"):
        enc = tree.get(enc_name)
        if isinstance(enc, dict) and "encoderblock" in enc:
            stacked = enc.pop("encoderblock")
            depth = jax.tree_util.tree_leaves(stacked)[0].shape[0]
            for i in range(depth):
                enc[f"encoderblock_{i}"] = jax.tree_util.tree_map(lambda a, i=i: a[i], stacked)
    return tree


def _get(tree: dict, key: str, path: Path) -> np.ndarray:
    node: Any = tree
    for part in key.split("/"):
        if not isinstance(node, dict) or part not in node:
            raise CheckpointError(f"{path}: missing parameter '{key}'")
        node = node[part]
    return np.asarray(node)


def _depth(encoder: dict) -> int:
    return len([k for k in encoder if re.fullmatch(r"encoderblock_\d+", k)])


def infer_text_config(txt: dict, path: Path) -> TextConfig:
    """Text tower sizes from the shapes in the `txt` subtree."""
    vocab, width = _get(txt, "Embed_0/embedding", path).shape
    max_len = _get(txt, "pos_embedding", path).shape[1]
    query = _get(txt, "Encoder_0/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel", path)
    mlp = _get(txt, "Encoder_0/encoderblock_0/MlpBlock_0/Dense_0/kernel", path).shape[1]
    out = _get(txt, "head/kernel", path).shape[1]
    return TextConfig(vocab_size=int(vocab), width=int(width), depth=_depth(txt["Encoder_0"]),
                      num_heads=int(query.shape[1]), mlp_dim=int(mlp), max_len=int(max_len),
                      out_dim=int(out))


def infer_cnn_config(img: dict, path: Path) -> CNNConfig:
    """The embedded demo's CNN sizes from the shapes in the `img` subtree."""
    layers = len([k for k in img if re.fullmatch(r"conv_\d+", k)])
    channels = tuple(int(_get(img, f"conv_{i}/kernel", path).shape[3]) for i in range(layers))
    dense_in, hidden = _get(img, "Dense_0/kernel", path).shape
    cells = (dense_in - 2 * channels[-1]) / 4  # mean + max (2 C) + 4-channel spatial map
    grid = int(round(cells ** 0.5))
    if grid * grid != cells:
        raise CheckpointError(f"{path}: img/Dense_0/kernel has {dense_in} inputs, which fits no image size")
    return CNNConfig(image_size=grid * 2 ** layers, channels=channels, hidden=int(hidden),
                     out_dim=int(_get(img, "head/kernel", path).shape[1]))


def infer_image_config(img: dict, path: Path) -> ImageConfig | CNNConfig:
    """ViT (or small CNN) sizes from the shapes in the `img` subtree."""
    if "conv_0" in img:
        return infer_cnn_config(img, path)
    if "MAPHead_0" in img:
        raise CheckpointError(f"{path}: image towers with MAP pooling are not supported "
                              "(only 'gap' and 'tok')")
    kernel = _get(img, "embedding/kernel", path)
    patch, width = kernel.shape[0], kernel.shape[3]
    pool = "tok" if "cls" in img else "gap"
    if "pos_embedding" not in img:
        raise CheckpointError(f"{path}: 'img/pos_embedding' is missing; sincos position "
                              "embeddings need image_size, which a checkpoint does not record")
    tokens = _get(img, "pos_embedding", path).shape[1]
    grid = int(round(tokens ** 0.5))
    if grid * grid != tokens:
        raise CheckpointError(f"{path}: img/pos_embedding has {tokens} positions, not a square grid")
    query = _get(img, "Transformer/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel", path)
    mlp = _get(img, "Transformer/encoderblock_0/MlpBlock_0/Dense_0/kernel", path).shape[1]
    out = _get(img, "head/kernel", path).shape[1]
    return ImageConfig(image_size=grid * patch, patch_size=int(patch), width=int(width),
                       depth=_depth(img["Transformer"]), num_heads=int(query.shape[1]),
                       mlp_dim=int(mlp), out_dim=int(out), pool_type=pool, posemb="learn")


def _check_tree(loaded: dict, expected: Any, path: Path, tower: str) -> None:
    want = {"/".join(k): v.shape for k, v in traverse_util.flatten_dict(expected).items()}
    got = {"/".join(k): np.shape(v) for k, v in traverse_util.flatten_dict(loaded).items()}
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if missing or extra:
        raise CheckpointError(f"{path}: {tower} tower parameters do not match the big_vision "
                              f"architecture; missing: {missing[:5]}, unexpected: {extra[:5]}")
    for key, shape in want.items():
        if tuple(got[key]) != tuple(shape):
            raise CheckpointError(f"{path}: {tower}/{key} has shape {got[key]}, expected {shape}")


def load_checkpoint(path: Path | str) -> LitCheckpoint:
    """Read a LiT `.npz`, normalise its key spelling and check it against the Flax models."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path} (set demos.lit.checkpoint in site.toml)")
    with np.load(path, allow_pickle=False) as data:
        flat = {k: data[k] for k in data.files}
    flat = _strip_prefix(flat, path)
    tree = traverse_util.unflatten_dict({tuple(k.split("/")): v for k, v in flat.items()})
    for tower in ("txt", "img"):
        if tower not in tree:
            raise CheckpointError(f"{path}: no '{tower}/...' parameters")
        tree[tower] = _unscan(tree[tower])
    if "t" not in tree:
        raise CheckpointError(f"{path}: missing the log temperature 't'")
    text_config = infer_text_config(tree["txt"], path)
    image_config = infer_image_config(tree["img"], path)
    txt = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float32), tree["txt"])
    img = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float32), tree["img"])
    _check_tree(txt, jax.eval_shape(TextTransformer(text_config).init, jax.random.key(0),
                                    np.zeros((1, text_config.max_len), np.int32))["params"], path, "txt")
    size = image_config.image_size
    _check_tree(img, jax.eval_shape(image_tower(image_config).init, jax.random.key(0),
                                    np.zeros((1, size, size, 3), np.float32))["params"], path, "img")
    return LitCheckpoint(txt=txt, img=img, t=float(np.asarray(tree["t"]).reshape(-1)[0]),
                         text_config=text_config, image_config=image_config)


def save_checkpoint(path: Path | str, txt: dict, img: dict, t: float, *, prefix: str = "") -> Path:
    """Write a big_vision-style `.npz` (bare keys, or under `prefix` such as 'params/')."""
    flat = {f"{prefix}txt/" + "/".join(k): np.asarray(v)
            for k, v in traverse_util.flatten_dict(jax.device_get(txt)).items()}
    flat.update({f"{prefix}img/" + "/".join(k): np.asarray(v)
                 for k, v in traverse_util.flatten_dict(jax.device_get(img)).items()})
    flat[f"{prefix}t"] = np.asarray([t], np.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **flat)
    tmp.replace(path)
    return path
