"""The MNIST demo: train the Flax example CNN, convert it, and let visitors draw digits.

Steps (each cached): train on the configured data (params keyed by data + config + code
hash), convert to a TF.js graph model with a polymorphic batch and verify it in TF.js
against JAX on held-out digits. The page gets the measured accuracy, training time, model
size and a QR code of its public URL.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import flax
import jax
import numpy as np
import optax
import segno

from ... import convert as converter
from ...cache import hash_code
from ...convert import VerifyCase, convert_jax, verify_many
from ...errors import BuildError
from ..base import BuildContext, Page
from . import model as model_module
from . import train as train_module
from .config import Config
from .data import Dataset, load_dataset
from .model import predict_probabilities

NAME = "mnist"
MODEL_DIR = f"data/models/{NAME}"
# Held-out digits fed to TF.js at build time, in batches of different sizes (polymorphic batch).
VERIFY_BATCHES = (1, 7, 64)
VERIFY_ATOL = {"none": 1e-4, "float16": 5e-3, "uint8": 5e-2}

__all__ = ["NAME", "Config", "build_assets"]


def _training_inputs(config: Config, dataset: Dataset) -> dict[str, Any]:
    settings = {k: v for k, v in asdict(config).items()
                if k != "quantization" and not k.startswith(("data", "sha256_"))}
    return {"data": dataset.fingerprint(), "config": settings,
            "code": hash_code(model_module, train_module),
            "versions": [jax.__version__, flax.__version__, optax.__version__]}


def _train(config: Config, dataset: Dataset, out: Path) -> dict[str, Any]:
    result = train_module.train_and_evaluate(config, out, dataset)
    return {"test_accuracy": result.test_accuracy, "test_loss": result.test_loss,
            "train_seconds": result.train_seconds, "steps": result.steps, "history": result.history}


def _convert(config: Config, params: Any, test_images: np.ndarray, out: Path) -> dict[str, Any]:
    model_dir = out / "model"
    quantization = None if config.quantization == "none" else config.quantization
    result = convert_jax(
        predict_probabilities, params,
        input_signatures=[((None, 28, 28, 1), np.float32)], polymorphic_shapes=["(b, 28, 28, 1)"],
        model_dir=model_dir, quantization=quantization,
        metadata={"demo": NAME, "input": "(batch, 28, 28, 1) float32, ink = 1",
                  "output": "(batch, 10) softmax probabilities"})
    atol = VERIFY_ATOL[config.quantization]
    cases, start = [], 0
    for n in VERIFY_BATCHES:
        batch = test_images[start:start + n][..., None].astype(np.float32)
        if len(batch) == 0:  # a tiny test set (e.g. a hand-made IDX folder)
            break
        start += len(batch)
        cases.append(VerifyCase(model_dir, predict_probabilities, params, [batch], atol=atol, rtol=0.0))
    reports = verify_many(cases)
    failed = [r.summary() for r in reports if not r.ok]
    if failed:
        raise BuildError("the converted MNIST model disagrees with JAX in TF.js:\n" + "\n".join(failed))
    files = sorted(p.name for p in model_dir.iterdir())
    return {"files": files, "model_bytes": sum((model_dir / f).stat().st_size for f in files),
            "weight_bytes": result.weight_bytes, "node_count": result.node_count, "op_counts": result.op_counts,
            "max_abs_error": max(r.max_abs_error for r in reports), "verified_images": start,
            "verified_batches": [len(c.inputs[0]) for c in cases]}


def qr_svg(url: str) -> str:
    """An inline SVG QR code of `url` (generated at build time; no script or network needed)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True,
                                    title=f"QR code of {url}", svgclass="qr-code", lineclass=None)
    return buffer.getvalue().decode()


def build_assets(config: Config, ctx: BuildContext) -> Page:
    """Train (or reuse) the CNN, convert and verify it, and describe the page."""
    started = time.perf_counter()
    dataset = load_dataset(config.data, config.sha256_by_stem(), gzipped=config.data_gzip,
                           project_root=ctx.project_root, download_cache=ctx.cache.root / "mnist-downloads")
    ctx.log(f"mnist: data: {dataset.source} ({time.perf_counter() - started:.1f}s)")

    trained = ctx.cache.run("mnist-train", _training_inputs(config, dataset),
                            lambda out: _train(config, dataset, out))
    metrics = trained.value
    ctx.log(f"mnist: test accuracy {metrics['test_accuracy']:.2%} on {len(dataset.test_labels):,} held-out digits "
            f"(trained in {metrics['train_seconds']:.0f}s{', reused' if trained.hit else ''})")
    params_file = trained.path / "params.msgpack"
    params = train_module.load_params(params_file, config.seed)

    convert_inputs = {"params": hashlib.sha256(params_file.read_bytes()).hexdigest(),
                      "quantization": config.quantization,
                      "code": hash_code(model_module, converter),
                      "verify": [dataset.fingerprint(), list(VERIFY_BATCHES)]}
    converted = ctx.cache.run("mnist-convert", convert_inputs,
                              lambda out: _convert(config, params, dataset.test_images, out))
    conversion = converted.value
    ctx.log(f"mnist: model {conversion['model_bytes'] / 1e6:.2f} MB, TF.js vs JAX max |err| "
            f"{conversion['max_abs_error']:.2g} on {conversion['verified_images']} digits")

    site_url = (getattr(ctx.site, "site_url", "") or "").strip()
    public_url = site_url.rstrip("/") + f"/{NAME}/" if site_url else ""
    files = {f"{MODEL_DIR}/{name}": converted.path / "model" / name for name in conversion["files"]}
    data = {
        "accuracy": metrics["test_accuracy"],
        "test_count": len(dataset.test_labels),
        "train_count": len(dataset.train_labels),
        "train_seconds": metrics["train_seconds"],
        "train_reused": trained.hit,
        "epochs": len(metrics["history"]),
        "steps": metrics["steps"],
        "profile": ctx.profile,
        "config": {k: v for k, v in asdict(config).items() if not k.startswith("sha256_")},
        "data_source": dataset.source,
        "embedded": config.data == "embedded",
        "model_bytes": conversion["model_bytes"],
        "node_count": conversion["node_count"],
        "op_counts": conversion["op_counts"],
        "max_abs_error": conversion["max_abs_error"],
        "verified_images": conversion["verified_images"],
        "public_url": public_url,
        "qr_svg": qr_svg(public_url) if public_url else "",
        "client": {"modelUrl": f"models/{NAME}/model.json"},
    }
    return Page(
        tfjs_kernels=[],  # the page's code runs no TF.js op besides its models
        name=NAME,
        title="Draw a digit",
        description="A Flax CNN trained on MNIST, converted to TF.js, recognises the digits you draw.",
        template=f"{NAME}/index.html",
        entry=f"site_src/{NAME}/main.ts",
        data=data,
        files=files,
        summary={"test accuracy": f"{metrics['test_accuracy']:.2%}",
                 "training": f"{metrics['train_seconds']:.0f}s" + (" (cached)" if trained.hit else ""),
                 "model": f"{conversion['model_bytes'] / 1e6:.2f} MB",
                 "max |err|": f"{conversion['max_abs_error']:.2g}"},
    )

