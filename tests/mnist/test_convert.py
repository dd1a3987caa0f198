"""The CNN converts to a TF.js graph model with a polymorphic batch that agrees with JAX."""

from __future__ import annotations

import json

import numpy as np
import pytest

from builders.convert import VerifyCase, convert_jax, verify_many
from builders.demos.mnist.data import load_embedded
from builders.demos.mnist.model import predict_probabilities
from builders.demos.mnist.train import init_params


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    params = init_params(0)
    model_dir = tmp_path_factory.mktemp("mnist") / "model"
    result = convert_jax(predict_probabilities, params, input_signatures=[((None, 28, 28, 1), np.float32)],
                         polymorphic_shapes=["(b, 28, 28, 1)"], model_dir=model_dir)
    return params, model_dir, result


def test_graph_has_a_polymorphic_batch_and_tfjs_ops(converted):
    _, model_dir, result = converted
    model = json.loads((model_dir / "model.json").read_text())
    (inp,) = model["signature"]["inputs"].values()
    assert [d["size"] for d in inp["tensorShape"]["dim"]] == ["-1", "28", "28", "1"]
    ops = result.op_counts
    assert ops.get("Conv2D", 0) + ops.get("_FusedConv2D", 0) == 2  # the optimiser may fuse bias + ReLU
    assert ops.get("AvgPool") == 2
    # params: 320 + 18,496 + 803,072 + 2,570 float32s, plus a few small graph constants (shapes, divisors)
    param_bytes = 4 * (3 * 3 * 32 + 32 + 3 * 3 * 32 * 64 + 64 + 3136 * 256 + 256 + 256 * 10 + 10)
    assert param_bytes <= result.weight_bytes < param_bytes + 1024


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_tfjs_matches_jax_on_real_digits_for_several_batch_sizes(converted, backend):
    params, model_dir, _ = converted
    images = load_embedded().test_images[..., None]
    cases = [VerifyCase(model_dir, predict_probabilities, params, [images[:n]], atol=1e-5, rtol=0.0)
             for n in (1, 5, 33)]
    reports = verify_many(cases, backend=backend)
    assert all(r.ok for r in reports), [r.summary() for r in reports]
    assert max(r.max_abs_error for r in reports) < 1e-5
