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
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import traverse_util

from ...errors import BuildError
from .models import CNNConfig, ImageConfig, TextConfig, TextTransformer, image_tower

PREFIXES = ("params/", "opt/target/")


class CheckpointError(BuildError, ValueError):
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


def _unscan(tree: dict, path: Path, tower: str) -> dict:
    """Split a scanned `encoderblock` (leading depth axis) into `encoderblock_<i>`."""
    for enc_name in ("Encoder_0", "Transformer"):
        enc = tree.get(enc_name)
        if isinstance(enc, dict) and "encoderblock" in enc:
            stacked = enc.pop("encoderblock")
            depths = {np.shape(a)[0] if np.ndim(a) else 0 for a in jax.tree_util.tree_leaves(stacked)}
            if len(depths) != 1 or 0 in depths:
                raise CheckpointError(f"{path}: the scanned {tower}/{enc_name}/encoderblock parameters do not "
                                      f"share one leading depth axis (found {sorted(depths)})")
            (depth,) = depths
            for i in range(depth):
                enc[f"encoderblock_{i}"] = jax.tree_util.tree_map(lambda a, i=i: a[i], stacked)
    return tree


def _get(tree: dict, key: str, path: Path, ndim: int | None = None) -> np.ndarray:
    """The parameter at `key` (`tower/...`), checked to have `ndim` dimensions before its shape is read."""
    node: Any = tree
    for part in key.split("/")[1:]:
        if not isinstance(node, dict) or part not in node:
            raise CheckpointError(f"{path}: missing parameter '{key}'")
        node = node[part]
    if isinstance(node, dict):
        raise CheckpointError(f"{path}: '{key}' is a group of parameters, expected one array")
    array = np.asarray(node)
    if ndim is not None and array.ndim != ndim or array.size == 0:
        raise CheckpointError(f"{path}: {key} has shape {array.shape}, expected {ndim} non-empty dimensions")
    return array


def _depth(encoder: dict) -> int:
    return len([k for k in encoder if re.fullmatch(r"encoderblock_\d+", k)])


def infer_text_config(txt: dict, path: Path) -> TextConfig:
    """Text tower sizes from the shapes in the `txt` subtree."""
    vocab, width = _get(txt, "txt/Embed_0/embedding", path, 2).shape
    max_len = _get(txt, "txt/pos_embedding", path, 3).shape[1]
    query = _get(txt, "txt/Encoder_0/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel", path, 3)
    mlp = _get(txt, "txt/Encoder_0/encoderblock_0/MlpBlock_0/Dense_0/kernel", path, 2).shape[1]
    out = _get(txt, "txt/head/kernel", path, 2).shape[1]
    return TextConfig(vocab_size=int(vocab), width=int(width), depth=_depth(txt["Encoder_0"]),
                      num_heads=int(query.shape[1]), mlp_dim=int(mlp), max_len=int(max_len),
                      out_dim=int(out))


def infer_cnn_config(img: dict, path: Path) -> CNNConfig:
    """The embedded demo's CNN sizes from the shapes in the `img` subtree."""
    layers = len([k for k in img if re.fullmatch(r"conv_\d+", k)])
    channels = tuple(int(_get(img, f"img/conv_{i}/kernel", path, 4).shape[3]) for i in range(layers))
    dense_in, hidden = _get(img, "img/Dense_0/kernel", path, 2).shape
    cells = (dense_in - 2 * channels[-1]) / 4  # mean + max (2 C) + 4-channel spatial map
    grid = int(round(max(cells, 0) ** 0.5))
    if grid == 0 or grid * grid != cells:
        raise CheckpointError(f"{path}: img/Dense_0/kernel has {dense_in} inputs, which fits no image size")
    return CNNConfig(image_size=grid * 2 ** layers, channels=channels, hidden=int(hidden),
                     out_dim=int(_get(img, "img/head/kernel", path, 2).shape[1]))


def infer_image_config(img: dict, path: Path) -> ImageConfig | CNNConfig:
    """ViT (or small CNN) sizes from the shapes in the `img` subtree."""
    if "conv_0" in img:
        return infer_cnn_config(img, path)
    if "MAPHead_0" in img:
        raise CheckpointError(f"{path}: image towers with MAP pooling are not supported "
                              "(only 'gap' and 'tok')")
    kernel = _get(img, "img/embedding/kernel", path, 4)
    patch, width = kernel.shape[0], kernel.shape[3]
    pool = "tok" if "cls" in img else "gap"
    if "pos_embedding" not in img:
        raise CheckpointError(f"{path}: 'img/pos_embedding' is missing; sincos position "
                              "embeddings need image_size, which a checkpoint does not record")
    tokens = _get(img, "img/pos_embedding", path, 3).shape[1]
    grid = int(round(tokens ** 0.5))
    if grid * grid != tokens:
        raise CheckpointError(f"{path}: img/pos_embedding has {tokens} positions, not a square grid")
    query = _get(img, "img/Transformer/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel", path, 3)
    mlp = _get(img, "img/Transformer/encoderblock_0/MlpBlock_0/Dense_0/kernel", path, 2).shape[1]
    out = _get(img, "img/head/kernel", path, 2).shape[1]
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


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of the `.npz` at `path`, each checked to hold finite numbers."""
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path} (set demos.lit.checkpoint in site.toml)")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path}: not an .npz archive (a zip of NumPy arrays, as numpy.savez writes); "
                              "set demos.lit.checkpoint to a big_vision LiT .npz file")
    try:
        with np.load(path, allow_pickle=False) as data:
            flat = {k: np.asarray(data[k]) for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise CheckpointError(f"{path}: cannot read the archive ({exc}); the file is damaged or not "
                              "written by numpy.savez: download or export it again") from None
    for key, array in flat.items():
        if array.dtype.kind not in "fiu":
            raise CheckpointError(f"{path}: '{key}' has dtype {array.dtype}, expected numbers; "
                                  "this is not a LiT parameter array")
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        if bad:
            # NaN weights give NaN embeddings that would rank images at random.
            raise CheckpointError(f"{path}: '{key}' holds {bad} NaN or infinite value{'s' * (bad != 1)}; "
                                  "the checkpoint is damaged or its training diverged: use another one")
    return flat


def load_checkpoint(path: Path | str) -> LitCheckpoint:
    """Read a LiT `.npz`, normalise its key spelling and check it against the Flax models."""
    path = Path(path)
    flat = _strip_prefix(_read_npz(path), path)
    groups = {k.rsplit("/", i)[0] for k in flat for i in range(1, k.count("/") + 1)}
    clash = sorted(groups & set(flat))
    if clash:
        raise CheckpointError(f"{path}: '{clash[0]}' is both an array and a group of parameters")
    tree = traverse_util.unflatten_dict({tuple(k.split("/")): v for k, v in flat.items()})
    for tower in ("txt", "img"):
        if not isinstance(tree.get(tower), dict):
            raise CheckpointError(f"{path}: no '{tower}/...' parameters")
        tree[tower] = _unscan(tree[tower], path, tower)
    if "t" not in tree or isinstance(tree["t"], dict) or np.size(tree["t"]) != 1:
        raise CheckpointError(f"{path}: missing the log temperature 't' (one number)")
    t = float(np.asarray(tree["t"]).reshape(-1)[0])
    with np.errstate(over="ignore"):
        overflows = not np.isfinite(np.exp(t))
    if overflows:
        raise CheckpointError(f"{path}: the log temperature t = {t:g} overflows exp(t); use another checkpoint")
    text_config = infer_text_config(tree["txt"], path)
    image_config = infer_image_config(tree["img"], path)
    txt = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float32), tree["txt"])
    img = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float32), tree["img"])
    _check_tree(txt, jax.eval_shape(TextTransformer(text_config).init, jax.random.key(0),
                                    np.zeros((1, text_config.max_len), np.int32))["params"], path, "txt")
    size = image_config.image_size
    _check_tree(img, jax.eval_shape(image_tower(image_config).init, jax.random.key(0),
                                    np.zeros((1, size, size, 3), np.float32))["params"], path, "img")
    return LitCheckpoint(txt=txt, img=img, t=t, text_config=text_config, image_config=image_config)


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
