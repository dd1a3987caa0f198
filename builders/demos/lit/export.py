"""A LiT checkpoint + tokenizer + images -> the site's data files (see `formats.py`).

Runs the image tower in JAX to precompute image embeddings, embeds the example prompts,
converts only the text tower to TF.js and verifies it against JAX in real TF.js.
"""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
from PIL import Image

from ...convert import VerifyCase, convert_jax, verify_many
from ...errors import BuildError
from .checkpoint import LitCheckpoint
from .formats import ModelDef, canonicalize_prompt, read_image_infos, write_embeddings, write_json
from .models import image_embed_fn, text_embed_fn
from .tokenizer import Tokenizer
from .train import to_model_input

SITE_IMAGE_SIZE = 224


def prepare_site_images(src_dir: Path, out_dir: Path) -> list[str]:
    """Copy `info.json` and centre-cropped 224x224 JPEGs of `<id>.jpg|.jpeg|.png` into `out_dir`."""
    info_path = src_dir / "info.json"
    if not info_path.is_file():
        raise BuildError(f"{info_path} is missing: the image folder needs an info.json listing "
                         "{id, description, source, license, prompts} per image")
    infos = read_image_infos(info_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    for info in infos:
        candidates = [src_dir / f"{info.id}{ext}" for ext in (".jpg", ".jpeg", ".png")]
        src = next((c for c in candidates if c.is_file()), None)
        if src is None:
            raise BuildError(f"{src_dir}: no image file for id '{info.id}' (expected {info.id}.jpg or .png)")
        img = _open_image(src)
        side = min(img.size)
        left, top = (img.width - side) // 2, (img.height - side) // 2
        img = img.crop((left, top, left + side, top + side)).resize(
            (SITE_IMAGE_SIZE, SITE_IMAGE_SIZE), Image.Resampling.BICUBIC)
        img.save(out_dir / f"{info.id}.jpg", quality=90)
    write_json(out_dir / "info.json", infos)
    return [i.id for i in infos]


def _open_image(path: Path) -> Image.Image:
    """The image at `path` as RGB; a file PIL cannot decode is a `BuildError` naming it."""
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BuildError(f"{path}: cannot decode the image ({exc}); replace it with a JPEG or PNG file") from None


def load_site_images(images_dir: Path, size: int) -> tuple[list[str], np.ndarray]:
    """The site's 224x224 crops resized to the image tower's input size, as uint8."""
    infos = read_image_infos(images_dir / "info.json")
    arrays = [np.asarray(Image.open(images_dir / f"{i.id}.jpg").convert("RGB").resize(
        (size, size), Image.Resampling.LANCZOS)) for i in infos]
    return [i.id for i in infos], np.stack(arrays)


def text_flops(fn, params, max_len: int, batch: int = 5) -> float:
    """FLOPs XLA counts for embedding `batch` x `max_len` tokens."""
    tokens = np.zeros((batch, max_len), np.int32)
    cost = jax.jit(fn).lower(params, tokens).compile().cost_analysis()
    if isinstance(cost, (list, tuple)):
        cost = cost[0]
    return float(cost.get("flops", float("nan")))


def export_model(ckpt: LitCheckpoint, tokenizer: Tokenizer, images_dir: Path, out: Path, *,
                 description: str, verify_atol: float) -> dict:
    """Write def.json, vocabulary.json, tokenizer.json, tfjs/, zimgs.*, ztxts.* into `out`."""
    tc = ckpt.text_config
    if tokenizer.vocab_size > tc.vocab_size:
        raise BuildError(f"tokenizer {tokenizer.model_path} has {tokenizer.vocab_size} pieces but the "
                         f"text tower embeds only {tc.vocab_size}: they do not belong together")
    if tokenizer.max_len != tc.max_len:
        raise BuildError(f"tokenizer max_len {tokenizer.max_len} != text tower max_len {tc.max_len}")
    model_def = ModelDef(description=description, tokenizer_type=tokenizer.tokenizer_type,
                         temperature=ckpt.temperature, pad_value=tokenizer.pad_value,
                         max_len=tc.max_len, embedding_size=tc.out_dim)
    write_json(out / "def.json", model_def)
    write_json(out / "vocabulary.json", tokenizer.vocabulary())
    write_json(out / "tokenizer.json", tokenizer.spec())

    ids, images = load_site_images(images_dir, ckpt.image_config.image_size)
    img_fn = jax.jit(image_embed_fn(ckpt.image_config))
    zimgs = np.asarray(img_fn(ckpt.img, to_model_input(images)))
    write_embeddings(out / "zimgs", ids, zimgs)

    prompts = sorted({canonicalize_prompt(p) for info in read_image_infos(images_dir / "info.json")
                      for p in info.prompt_list()})
    txt_fn = text_embed_fn(tc)
    ztxts = np.asarray(jax.jit(txt_fn)(ckpt.txt, tokenizer.encode(prompts)))
    write_embeddings(out / "ztxts", prompts, ztxts)

    result = convert_jax(txt_fn, ckpt.txt, input_signatures=[((None, tc.max_len), np.int32)],
                         polymorphic_shapes=[f"(b, {tc.max_len})"], model_dir=out / "tfjs",
                         metadata={"lit": {"max_len": tc.max_len, "embedding_size": tc.out_dim}})
    rng = np.random.default_rng(0)
    cases = [VerifyCase(out / "tfjs", txt_fn, ckpt.txt, [tokenizer.encode(prompts[:5] or ["a"])],
                        verify_atol, 1e-3)]
    for n in (1, 7):
        random_tokens = rng.integers(0, tokenizer.vocab_size, (n, tc.max_len)).astype(np.int32)
        cases.append(VerifyCase(out / "tfjs", txt_fn, ckpt.txt, [random_tokens], verify_atol, 1e-3))
    reports = verify_many(cases)
    bad = [r.summary() for r in reports if not r.ok]
    if bad:
        raise BuildError("the TF.js text tower disagrees with JAX:\n" + "\n".join(bad))
    tfjs_bytes = sum(f.stat().st_size for f in (out / "tfjs").iterdir())
    return {
        "def": model_def.__dict__,
        "params": int(sum(np.size(x) for x in jax.tree_util.tree_leaves(ckpt.txt))),
        "tfjs_bytes": tfjs_bytes,
        "gflops_5x16": text_flops(txt_fn, ckpt.txt, tc.max_len) / 1e9,
        "max_abs_error": max(r.max_abs_error for r in reports),
        "nodes": result.node_count,
        "text_config": tc.__dict__,
    }
