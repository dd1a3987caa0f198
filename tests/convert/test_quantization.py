"""Quantised weights: manifest entries, bytes saved, and the error TF.js then shows against JAX."""

from __future__ import annotations

import json

import numpy as np
import pytest

from builders.convert import ConversionError, VerifyCase, convert_jax, verify_many


def mlp(params, x):
    h = np.float32(1) * x @ params["dense1"]["kernel"] + params["dense1"]["bias"]
    return (h * (h > 0)) @ params["dense2"]["kernel"] + params["dense2"]["bias"]


def make_params():
    rng = np.random.default_rng(0)
    return {"dense1": {"kernel": rng.normal(size=(16, 64)).astype(np.float32) * 0.3,
                       "bias": rng.normal(size=(64,)).astype(np.float32) * 0.1},
            "dense2": {"kernel": rng.normal(size=(64, 4)).astype(np.float32) * 0.3,
                       "bias": rng.normal(size=(4,)).astype(np.float32) * 0.1}}


def weights(model_dir):
    model = json.loads((model_dir / "model.json").read_text())
    return {w["name"]: w for w in model["weightsManifest"][0]["weights"]}


# quantization option -> (tolerance fitting it, largest fraction of the float32 bytes it may keep)
CASES = {
    "none": (None, 1e-5, 1.0),
    "float16": ("float16", 2e-2, 0.55),
    "uint16": ("uint16", 2e-3, 0.55),
    "uint8": ("uint8", 2e-1, 0.3),
    "pattern": ({"uint8": ["dense1/*"]}, 2e-1, 0.6),
}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    params = make_params()
    x = np.random.default_rng(1).normal(size=(5, 16)).astype(np.float32)
    results, cases = {}, []
    for name, (option, atol, _) in CASES.items():
        model_dir = tmp_path_factory.mktemp(name)
        results[name] = convert_jax(mlp, params, input_signatures=[((None, 16), np.float32)],
                                    polymorphic_shapes=["(b, 16)"], model_dir=model_dir, quantization=option)
        cases.append(VerifyCase(model_dir, mlp, params, [x], atol=atol, rtol=0))
    reports = dict(zip(CASES, verify_many(cases)))
    return results, reports


@pytest.mark.parametrize("name", list(CASES))
def test_quantised_model_is_smaller_and_close_to_jax(converted, name):
    results, reports = converted
    _, atol, max_fraction = CASES[name]
    result = results[name]
    param_bytes = 4 * (16 * 64 + 64 + 64 * 4 + 4)
    assert param_bytes <= result.unquantized_weight_bytes <= param_bytes + 64  # + small graph constants
    assert result.weight_bytes <= max_fraction * result.unquantized_weight_bytes
    assert reports[name].ok, reports[name].summary()
    if name == "none":
        assert reports[name].max_abs_error < 1e-5
    else:
        assert reports[name].max_abs_error > 0  # quantisation really changed the weights


def test_manifest_entries(converted):
    results, _ = converted
    entries = weights(results["uint8"].model_dir)
    kernel = entries["dense1/kernel"]["quantization"]
    assert kernel["dtype"] == "uint8" and kernel["original_dtype"] == "float32"
    assert set(kernel) == {"dtype", "min", "scale", "original_dtype"}
    assert entries["dense2/kernel"]["quantization"]["dtype"] == "uint8"
    assert weights(results["float16"].model_dir)["dense1/kernel"]["quantization"] == {
        "dtype": "float16", "original_dtype": "float32"}
    pattern = weights(results["pattern"].model_dir)
    assert pattern["dense1/kernel"]["quantization"]["dtype"] == "uint8"
    assert "quantization" not in pattern["dense2/kernel"]


def test_bad_quantization_option_is_a_clear_error(tmp_path):
    with pytest.raises(ConversionError, match="quantization dtype 'int4' is not one of float16, uint8, uint16"):
        convert_jax(mlp, make_params(), input_signatures=[((1, 16), np.float32)], model_dir=tmp_path,
                    quantization="int4")


def test_verify_reports_the_saving(converted):
    results, reports = converted
    report = reports["uint8"]
    assert report.weight_bytes == results["uint8"].weight_bytes
    assert report.float32_weight_bytes == results["uint8"].unquantized_weight_bytes
    assert "smaller than float32" in report.summary()
    assert "smaller than float32" not in reports["none"].summary()
