"""Custom TF.js bundles: each page registers the kernels its models really call."""

from __future__ import annotations

import json

import numpy as np

from builders.build import PROJECT_ROOT
from builders.cache import Cache
from builders.convert import convert_jax
from builders.tfjs_kernels import RUNTIME_KERNELS, kernel_modules, kernels_entry, model_kernels

NODE_MODULES = PROJECT_ROOT / "node_modules"


def test_kernels_are_recorded_from_a_real_run_and_cached(tmp_path):
    import jax.numpy as jnp

    def fn(params, x):
        return jnp.where(x > 0, x * params["w"], 0.0)

    convert_jax(fn, {"w": np.float32(2)}, input_signatures=[((None, 3), np.float32)],
                polymorphic_shapes=["(b, 3)"], model_dir=tmp_path / "m")
    cache = Cache(tmp_path / "cache")
    kernels = model_kernels([tmp_path / "m"], cache)
    assert {"Multiply", "Greater", "Select"} <= kernels
    assert "Conv2D" not in kernels
    assert model_kernels([tmp_path / "m"], cache) == kernels
    assert cache.events[-1] == ("tfjs-kernels", True)  # the second call was cached


def test_kernel_modules_cover_every_backend_and_renamed_files():
    assert kernel_modules(["Multiply"], NODE_MODULES) == [
        "@tensorflow/tfjs-backend-cpu/dist/kernels/Multiply", "@tensorflow/tfjs-backend-webgl/dist/kernels/Multiply",
        "@tensorflow/tfjs-backend-wasm/dist/kernels/Multiply"]
    assert "@tensorflow/tfjs-backend-cpu/dist/kernels/BatchNorm" in kernel_modules(["FusedBatchNorm"], NODE_MODULES)


def test_generated_entry_registers_the_kernels_before_the_page_runs(tmp_path):
    entry = PROJECT_ROOT / "site_src" / "jax" / "main.ts"
    wrapper = kernels_entry("jax", entry, {"Multiply"}, tmp_path, NODE_MODULES)
    lines = wrapper.read_text().splitlines()
    assert lines == ["import './jax.kernels';", f"import {json.dumps(str(entry))};"]
    registry = (tmp_path / "jax.kernels.ts").read_text()
    assert "@tensorflow/tfjs-backend-wasm/dist/kernels/Multiply" in registry
    assert all(k in registry for k in RUNTIME_KERNELS)
    assert "tfjs-backend-wasm/dist/kernels/Conv2D" not in registry
    everything = kernels_entry("bench", entry, None, tmp_path, NODE_MODULES)
    assert "import '@tensorflow/tfjs-backend-webgl';" in (tmp_path / "bench.kernels.ts").read_text()
    assert everything.name == "bench.entry.ts"


def test_pages_bundle_only_their_kernels(built_site):
    """The demo pages list their kernels, the benchmark page (any model, any backend) keeps them all."""
    assets = {p.name.rsplit("-", 1)[0]: p.stat().st_size for p in (built_site / "assets").glob("*.js")}
    assert assets["jax"] < 0.7 * assets["benchmark"]
    for page in ("mnist", "toxicity", "lit"):
        assert assets[page] < 0.8 * assets["benchmark"], (page, assets)
