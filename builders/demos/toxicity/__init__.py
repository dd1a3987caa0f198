"""The toxicity demo: a guestbook that moderates messages on the device (and on the server).

Three model sources, chosen in `site.toml`:

- `toxblock` (default): PyPI `tox-block` 0.1.2's Keras BiLSTM (MIT, trained on the Jigsaw toxic
  comments), read from its wheel (fetched with `pip download`, pinned by SHA-256), ported to Flax,
  converted by our converter (the LSTM stays one loop), with its Keras tokenizer's 19,999 words
  exported as JSON; six labels.
- `embedded` (offline, the smoke profile's): `alt-profanity-check`'s TF-IDF + calibrated linear
  SVMs, ported to JAX, converted to TF.js by our converter, with its vectorizer exported as JSON;
  one label, `profanity`.
- `official`: the TF.js toxicity model and USE vocabulary, downloaded (or copied) at build
  time, SHA-256 checked, published with the site; seven labels. If unreachable, the build
  says so and falls back to `embedded` unless `fail_if_unavailable` is set.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from ... import convert as converter
from ...cache import hash_code, hash_files
from ...errors import BuildError
from ..base import BuildContext, Page
from . import embedded, official, profanity, toxblock, toxblock_build

NAME = "toxicity"

OFFICIAL_MODEL_URL = ("https://storage.googleapis.com/tfhub-tfjs-modules/tensorflow/tfjs-model/"
                      "toxicity/1/default/1/model.json")
OFFICIAL_VOCAB_URL = "https://storage.googleapis.com/tfjs-models/savedmodel/universal_sentence_encoder/vocab.json"


@dataclass
class Config:
    """`[demos.toxicity]`: the guestbook with on-device moderation."""

    source: Literal["toxblock", "embedded", "official"] = field(default="toxblock", metadata={
        "doc": "`toxblock`: tox-block 0.1.2's BiLSTM from PyPI, ported to Flax (six labels: toxic, "
               "severe_toxic, obscene, threat, insult, identity_hate). "
               "`embedded`: alt-profanity-check ported to TF.js (offline, label `profanity`). "
               "`official`: the TF.js toxicity model + USE vocabulary from `official_*` (seven labels)."})
    threshold: float = field(default=0.9, metadata={
        "doc": "Default confidence threshold: a label matches only when max(p) > threshold "
               "(adjustable on the page).", "min": 0.0, "max": 1.0})
    labels: list[str] = field(default_factory=list, metadata={
        "doc": "Labels checked by default; empty = every label of the model."})
    official_model_url: str = field(default=OFFICIAL_MODEL_URL, metadata={
        "doc": "URL of the official model.json (weight files are fetched next to it).", "url": True})
    official_vocab_url: str = field(default=OFFICIAL_VOCAB_URL, metadata={
        "doc": "URL of the Universal Sentence Encoder vocab.json.", "url": True})
    official_local_dir: str = field(default="", metadata={
        "doc": "A folder holding model.json, its weight files and vocab.json; used instead of the URLs.",
        "path": True})
    official_sha256: list[str] = field(default_factory=list, metadata={
        "doc": "Pinned digests, one `\"<file> <sha256>\"` per file (model.json, shards, vocab.json). "
               "Files not listed are reported as unpinned in the build summary."})
    fail_if_unavailable: bool = field(default=False, metadata={
        "doc": "With `source = \"official\"`: fail the build when the files cannot be obtained "
               "instead of falling back to `embedded`."})
    download_timeout: float = field(default=60.0, metadata={
        "doc": "Seconds to wait for each official file.", "min": 1.0})
    verify_batch_sizes: list[int] = field(default_factory=lambda: [1, 5], metadata={
        "doc": "Batch sizes the embedded and toxblock models are verified with in TF.js at build time."})

    # Smoke builds must work offline.
    SMOKE: ClassVar[dict] = {"source": "embedded"}


def _embedded_assets(config: Config, ctx: BuildContext) -> tuple[dict, dict[str, Path], dict]:
    from importlib import metadata

    inputs = {"verify": config.verify_batch_sizes,
              "code": hash_code(converter, sys.modules[__name__]),
              "package": metadata.version(profanity.PACKAGE),
              "sklearn": metadata.version("scikit-learn")}
    result = ctx.cache.run("toxicity-embedded", inputs,
                           lambda out: embedded.build_embedded(out, config.verify_batch_sizes))
    manifest = result.value
    files = {f"data/models/toxicity/{p.name}": p for p in sorted((result.path / embedded.MODEL_DIR).iterdir())}
    files[f"data/models/toxicity/{embedded.VECTORIZER_FILE}"] = result.path / embedded.VECTORIZER_FILE
    client = {"source": "embedded", "modelUrl": "models/toxicity/model.json",
              "vectorizerUrl": f"models/toxicity/{embedded.VECTORIZER_FILE}",
              "modelLabels": [manifest["label"]]}
    return manifest, files, client


def _toxblock_assets(config: Config, ctx: BuildContext) -> tuple[dict, dict[str, Path], dict]:
    inputs = {"verify": config.verify_batch_sizes, "wheel": toxblock.WHEEL.sha256,
              "code": hash_code(converter, toxblock, toxblock_build)}
    download_dir = ctx.cache.root / f"{NAME}-downloads"
    try:
        result = ctx.cache.run("toxicity-toxblock", inputs, lambda out: toxblock_build.build_toxblock(
            out, download_dir, config.verify_batch_sizes))
    except BuildError as exc:
        if "could not download" not in str(exc):
            raise
        raise BuildError(f"demos.toxicity: {exc}; or set demos.toxicity.source = \"embedded\" (offline)") from None
    manifest = result.value
    files = {f"data/models/toxicity/{p.name}": p for p in sorted((result.path / toxblock_build.MODEL_DIR).iterdir())}
    files[f"data/models/toxicity/{toxblock_build.TOKENIZER_FILE}"] = result.path / toxblock_build.TOKENIZER_FILE
    client = {"source": "toxblock", "modelUrl": "models/toxicity/model.json",
              "tokenizerUrl": f"models/toxicity/{toxblock_build.TOKENIZER_FILE}",
              "modelLabels": manifest["labels"]}
    return manifest, files, client


def _official_assets(config: Config, ctx: BuildContext) -> tuple[dict, dict[str, Path], dict]:
    inputs = {"model_url": config.official_model_url, "vocab_url": config.official_vocab_url,
              "local": hash_files([Path(config.official_local_dir)]) if config.official_local_dir else "",
              "sha256": sorted(config.official_sha256), "code": hash_code(official)}
    result = ctx.cache.run("toxicity-official", inputs, lambda out: official.fetch_official(
        out, model_url=config.official_model_url, vocab_url=config.official_vocab_url,
        local_dir=config.official_local_dir, sha256s=config.official_sha256, timeout=config.download_timeout))
    manifest = result.value
    if manifest["unpinned"]:
        ctx.log("toxicity: no pinned SHA-256 for " + ", ".join(
            f"{n} ({manifest['sha256'][n]})" for n in manifest["unpinned"])
            + "; add them to demos.toxicity.official_sha256")
    files = {f"data/models/toxicity/{p.name}": p for p in sorted((result.path / official.MODEL_DIR).iterdir())}
    files[f"data/models/toxicity/{official.VOCAB_FILE}"] = result.path / official.VOCAB_FILE
    client = {"source": "official", "modelUrl": "models/toxicity/model.json",
              "vocabUrl": f"models/toxicity/{official.VOCAB_FILE}", "modelLabels": manifest["labels"]}
    return manifest, files, client


def build_assets(config: Config, ctx: BuildContext) -> Page:
    """Produce the model files for the chosen source and describe the guestbook page."""
    source = config.source
    fallback = ""
    if source == "official":
        try:
            manifest, files, client = _official_assets(config, ctx)
        except official.OfficialUnavailable as exc:
            if config.fail_if_unavailable:
                raise BuildError(f"demos.toxicity: the official model is unavailable: {exc}. Check the "
                                 "network or set official_local_dir; or set fail_if_unavailable = false "
                                 "to fall back to the embedded model.") from None
            fallback = f"official model unavailable ({exc}); using the embedded model instead"
            ctx.log(f"toxicity: {fallback}")
            source = "embedded"
    if source == "embedded":
        manifest, files, client = _embedded_assets(config, ctx)
    elif source == "toxblock":
        manifest, files, client = _toxblock_assets(config, ctx)
    model_labels = client["modelLabels"]
    unknown = [label for label in config.labels if label not in model_labels]
    if unknown:
        raise BuildError(f"demos.toxicity.labels: {', '.join(unknown)} not produced by the {source} model "
                         f"(its labels: {', '.join(model_labels)})")
    client.update(threshold=config.threshold, labels=config.labels or model_labels)
    model_bytes = sum(p.stat().st_size for p in files.values())
    summary = {"source": source, "labels": ", ".join(model_labels), "bytes": model_bytes}
    if source == "embedded":
        summary["max |err| TF.js vs JAX"] = f"{manifest['tfjs_vs_jax_max_abs_error']:.2g}"
        summary["max |err| JAX vs sklearn"] = f"{manifest['jax_vs_sklearn_max_abs_error']:.2g}"
    if source == "toxblock":
        summary["max |err| TF.js vs JAX"] = f"{manifest['tfjs_vs_jax_max_abs_error']:.2g}"
        summary["max |err| JAX vs Keras maths"] = f"{manifest['jax_vs_reference_max_abs_error']:.2g}"
        summary["weights"] = f"{manifest['weight_bytes']:,} B for {manifest['params']:,} params"
    benchmarks = []
    if source == "official":
        # The official model.json has no signature, so describe its inputs: one text of 16 tokens.
        tokens = 16
        benchmarks.append({
            "name": "official", "url": client["modelUrl"],
            "inputs": [{"name": "Placeholder", "shape": [tokens], "dtype": "int32", "kind": "tokens", "max": 100},
                       {"name": "Placeholder_1", "shape": [tokens, 2], "dtype": "int32", "kind": "sparse_indices",
                        "rows": 1}],
            "weight_bytes": sum(p.stat().st_size for name, p in files.items() if name.endswith(".bin"))})
    return Page(
        tfjs_kernels=[],  # the page's code runs no TF.js op besides its models
        tfjs_backends=("cpu", "webgl", "wasm", "webgpu"),  # its models are probed on each (checked_backend.ts)
        name=NAME,
        title="Guestbook with on-device moderation",
        description="Messages are checked by a toxicity model in your browser before they are posted.",
        template="toxicity/index.html",
        entry="site_src/toxicity/main.ts",
        data={"client": client, "source": source, "manifest": manifest, "fallback": fallback,
              "model_labels": model_labels, "threshold": config.threshold, "model_bytes": model_bytes,
              "moderate_source": inspect.getsource(_server_example)},
        files=files,
        summary=summary,
        benchmarks=benchmarks,
    )


def _server_example():  # pragma: no cover - shown on the page, runs in docs/toxicity.md's server
    from builders.moderate import moderate

    results = moderate(["you are lovely", "you are a fucking idiot"], threshold=0.9)
    return [r["match"] for r in results[0]["results"]]
