"""`convert_jax(..., backend="tfjs")`: the official converter as a comparison backend.

The error path runs everywhere. The conversion test needs the legacy virtualenv
(requirements-legacy.txt) and runs there:
    .venv-legacy/bin/python -m pytest --noconftest tests/convert/test_official_backend.py
(--noconftest: tests/conftest.py imports the whole site builder, whose deps the legacy venv lacks.)
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from builders.convert import ConversionError, convert_jax, verify

ROOT = Path(__file__).resolve().parents[2]


def prod(params, xs):
    return params["weight"] * xs


PARAMS = {"weight": np.array([0.5, 1.0], np.float32)}


def test_missing_tensorflowjs_says_how_to_create_the_legacy_venv(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorflowjs", None)  # makes `import tensorflowjs` raise ImportError
    with pytest.raises(ConversionError) as info:
        convert_jax(prod, PARAMS, input_signatures=[((None, 2), np.float32)], polymorphic_shapes=["(b, 2)"],
                    model_dir=tmp_path / "m", backend="tfjs")
    message = str(info.value)
    assert "python3 -m venv .venv-legacy" in message
    assert ".venv-legacy/bin/pip install -r requirements-legacy.txt" in message
    assert "backend='jax'" in message
    assert not (tmp_path / "m").exists()


def test_unknown_backend_is_named(tmp_path):
    with pytest.raises(ConversionError, match="backend must be 'jax'.*'tfjs'.*got 'onnx'"):
        convert_jax(prod, PARAMS, input_signatures=[((3, 2), np.float32)], model_dir=tmp_path / "m",
                    backend="onnx")


def test_legacy_requirements_are_pinned_and_the_default_install_has_no_tensorflow():
    pins = [line.strip() for line in (ROOT / "requirements-legacy.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert pins == ["jax==0.7.1", "jaxlib==0.7.1", "flax==0.12.0", "tensorflow==2.19.0",
                    "tensorflowjs==4.22.0", "ydf==0.12.0"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        deps += extra
    assert not [d for d in deps if d.lower().startswith(("tensorflow", "tf-"))]


@pytest.mark.skipif(importlib.util.find_spec("tensorflowjs") is None,
                    reason="tensorflowjs is only in the legacy venv (requirements-legacy.txt)")
@pytest.mark.parametrize("polymorphic", [False, True], ids=["static", "polymorphic"])
def test_official_converter_output_runs_in_tfjs(tmp_path, polymorphic):
    model_dir = tmp_path / "prod"
    if polymorphic:
        result = convert_jax(prod, PARAMS, input_signatures=[((None, 2), np.float32)],
                             polymorphic_shapes=["(b, 2)"], model_dir=model_dir, backend="tfjs")
    else:
        result = convert_jax(prod, PARAMS, input_signatures=[((3, 2), np.float32)], model_dir=model_dir,
                             backend="tfjs")
    model = json.loads((model_dir / "model.json").read_text())
    assert model["convertedBy"].startswith("TensorFlow.js Converter")
    assert result.node_count == len(model["modelTopology"]["node"]) > 0
    if polymorphic:  # jax2tf's shape checks become Switch/Merge: the Node runner must fall back to executeAsync
        assert {"Switch", "Merge"} <= set(result.op_counts), result.op_counts
    xs = np.arange(6, dtype=np.float32).reshape(3, 2)
    report = verify(model_dir, prod, PARAMS, [xs], atol=1e-6)
    assert report.ok, report.summary()
