"""Example 1 of the article: the `prod` function, converted with a static and a polymorphic shape."""

from __future__ import annotations

import inspect
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from .. import convert as converter
from ..cache import hash_code
from ..convert import VerifyCase, convert_jax, verify_many
from ..errors import BuildError
from .base import BuildContext, Page

NAME = "jax"


@dataclass
class Config:
    """`[demos.jax]`: the article's first example."""

    weight: list[float] = field(default_factory=lambda: [0.5, 1.0], metadata={
        "doc": "The `params['weight']` vector that `prod` multiplies each input row by."})
    rows: int = field(default=3, metadata={"doc": "Rows of the example input (`np.arange(2 * rows)`).",
                                           "min": 1, "max": 100})
    verify_batch_sizes: list[int] = field(default_factory=lambda: [1, 3, 7], metadata={
        "doc": "Batch sizes the polymorphic model is verified with in TF.js at build time.", "min": 1,
        "min_items": 1})

    SMOKE: ClassVar[dict] = {}


def prod(params, xs):
    return params["weight"] * xs


def _models(config: Config) -> list[dict]:
    return [
        {"name": "static", "signature": f"({config.rows}, 2)", "input_signatures": [((config.rows, 2), np.float32)],
         "polymorphic_shapes": None},
        {"name": "polymorphic", "signature": "(None, 2)", "input_signatures": [((None, 2), np.float32)],
         "polymorphic_shapes": ["(b, 2)"]},
    ]


def json_numbers(rows: list[list[float]]) -> list[list[float | str]]:
    """`rows` for the page's JSON, which has no NaN or Infinity: those become the strings
    "NaN", "Infinity" and "-Infinity" (site_src/jax/rows.ts `decodeMatrix` reads them back)."""
    def encode(v: float) -> float | str:
        if math.isfinite(v):
            return v
        return "NaN" if math.isnan(v) else "Infinity" if v > 0 else "-Infinity"
    return [[encode(v) for v in row] for row in rows]


def _convert_and_verify(config: Config, out: Path) -> dict:
    if len(config.weight) != 2:
        raise BuildError(f"demos.jax.weight: expected 2 numbers (one per input column), got {len(config.weight)}")
    with np.errstate(over="ignore"):  # beyond float32's range is inf, which the page shows as such
        params = {"weight": np.asarray(config.weight, np.float32)}
    xs = np.arange(2 * config.rows, dtype=np.float32).reshape(config.rows, 2)
    cases, models = [], []
    for spec in _models(config):
        model_dir = out / spec["name"]
        result = convert_jax(prod, params, input_signatures=spec["input_signatures"],
                             polymorphic_shapes=spec["polymorphic_shapes"], model_dir=model_dir)
        batches = [config.rows] if spec["polymorphic_shapes"] is None else config.verify_batch_sizes
        # A weight beyond float32's range is infinite in JAX too (x * inf, 0 * inf = NaN): the page
        # shows what JAX computes, so NaN/Inf are expected, in the same places in TF.js.
        for n in batches:
            rng = np.random.default_rng(n)
            cases.append(VerifyCase(model_dir, prod, params, [rng.normal(size=(n, 2)).astype(np.float32)],
                                    allow_nonfinite=True))
        cases.append(VerifyCase(model_dir, prod, params, [xs], allow_nonfinite=True))
        models.append({"name": spec["name"], "signature": spec["signature"],
                       "polymorphic_shapes": spec["polymorphic_shapes"], "nodes": result.node_count,
                       "bytes": result.weight_bytes + (model_dir / "model.json").stat().st_size})
    with np.errstate(invalid="ignore", over="ignore"):  # NumPy warns on the inf * 0 it computes for JAX
        reports = verify_many(cases)
        jax_outputs = np.asarray(prod(params, xs)).tolist()
    failed = [r.summary() for r in reports if not r.ok]
    if failed:
        raise BuildError("TF.js disagrees with JAX:\n" + "\n".join(failed))
    return {
        "models": models,
        "max_abs_error": max(r.max_abs_error for r in reports),
        "checks": len(reports),
        "inputs": xs.tolist(),
        "jax_outputs": jax_outputs,
        "params": {"weight": params["weight"].tolist()},
    }


def build_assets(config: Config, ctx: BuildContext) -> Page:
    """Convert `prod` twice, verify both models in TF.js, and describe the page."""
    inputs = {"config": [config.weight, config.rows, config.verify_batch_sizes],
              "code": hash_code(converter, inspect.getmodule(prod))}
    result = ctx.cache.run("jax-prod", inputs, lambda out: _convert_and_verify(config, out))
    manifest = result.value
    files = {}
    for model in manifest["models"]:
        for file in sorted((result.path / model["name"]).iterdir()):
            files[f"data/models/jax/{model['name']}/{file.name}"] = file
    client = {
        "models": [{"name": m["name"], "url": f"models/jax/{m['name']}/model.json",
                    "polymorphic": m["polymorphic_shapes"] is not None} for m in manifest["models"]],
        "inputs": json_numbers(manifest["inputs"]),
        "jaxOutputs": json_numbers(manifest["jax_outputs"]),
        "rows": config.rows,
    }
    return Page(
        tfjs_kernels=[],  # the page's code runs no TF.js op besides its models
        name=NAME,
        title="Example 1: a JAX function",
        description="The article's `prod` function, converted with a static and a polymorphic batch size.",
        template="jax/index.html",
        entry="site_src/jax/main.ts",
        data={**manifest, "source": inspect.getsource(prod), "client": client,
              "params_json": json.dumps(manifest["params"])},
        files=files,
        summary={"models": len(manifest["models"]), "verified": manifest["checks"],
                 "max |err|": f"{manifest['max_abs_error']:.2g}"},
    )
