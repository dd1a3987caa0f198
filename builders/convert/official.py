"""`backend="tfjs"`: delegate to the official converter, for comparison only.

`tensorflowjs.converters.jax_conversion.convert_jax` needs TensorFlow and an old
JAX, pinned in requirements-legacy.txt; it lives in its own virtualenv so the
default install never pulls TensorFlow. This module imports nothing from that
stack until it is called.
"""

from __future__ import annotations

import collections
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConversionError

LEGACY_VENV_HELP = (
    "backend='tfjs' needs the official converter (tensorflowjs 4.22 with tensorflow 2.19 and jax 0.7.1), "
    "which is not importable in this Python ({why}). Create its own virtualenv from the repository root:\n"
    "    python3 -m venv .venv-legacy\n"
    "    .venv-legacy/bin/pip install -r requirements-legacy.txt\n"
    "    .venv-legacy/bin/pip install --no-deps -e .\n"
    "and run your script with .venv-legacy/bin/python (see docs/converter.md, 'Comparing with the official "
    "converter'). Use backend='jax' (the default) for this project's converter."
)

_QUANTIZATION = ("float16", "uint8", "uint16")  # all weights; the official map takes dtype -> True


def _import_official() -> Any:
    # tensorflow_decision_forests (imported by tensorflowjs) imports IPython to print a welcome
    # banner whenever stdout is not a terminal (pytest, subprocess pipes); IPython is not a dependency.
    os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's CUDA-probing noise on stderr
    try:
        from tensorflowjs.converters import jax_conversion
    except Exception as exc:  # ImportError, or TF failing to load against this numpy/jax
        raise ConversionError(LEGACY_VENV_HELP.format(why=f"{type(exc).__name__}: {exc}")) from exc
    return jax_conversion


def _tensor_spec(sig: Any, index: int) -> Any:
    """A `tf.TensorSpec` for one of our signatures: (shape, dtype), ShapeDtypeStruct or TensorSpec."""
    import tensorflow as tf

    if isinstance(sig, tf.TensorSpec):
        return sig
    if isinstance(sig, (tuple, list)) and len(sig) == 2 and not hasattr(sig, "shape"):
        shape, dtype = sig
    elif hasattr(sig, "shape") and hasattr(sig, "dtype"):
        shape, dtype = sig.shape, sig.dtype
    else:
        raise ConversionError(f"input_signatures[{index}]: expected a (shape, dtype) tuple, a "
                              f"jax.ShapeDtypeStruct or a tf.TensorSpec, got {type(sig).__name__}")
    dims = [None if d is None or d == -1 else int(d) for d in shape]
    return tf.TensorSpec(dims, tf.as_dtype(np.dtype(dtype)), name=f"input_{index}")


def _converter_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    # jax2tf checks symbolic shapes with tf.debugging.assert_equal; TF.js has no `Assert` kernel, so
    # without stripping debug ops every polymorphic model fails with "Unsupported Ops ...: Assert".
    kwargs: dict[str, Any] = {"strip_debug_ops": True}
    for key, value in options.items():
        if key == "quantization" and value is not None:
            if value not in _QUANTIZATION:
                raise ConversionError(f"backend='tfjs' supports quantization 'float16', 'uint8' or 'uint16' "
                                      f"for all weights, got {value!r}")
            kwargs["quantization_dtype_map"] = {value: True}
        elif key == "weight_shard_size_bytes":
            kwargs["weight_shard_size_bytes"] = int(value)
        elif key in ("fold_constants", "fuse") and value in (True, None):
            continue  # the official converter always folds and fuses (Grappler)
        elif key == "metadata" and value is None:
            continue
        elif key != "quantization":
            raise ConversionError(f"option {key}={value!r} is not available with backend='tfjs'; "
                                  "it supports quantization and weight_shard_size_bytes")
    return kwargs


def convert_with_official(
    apply_fn: Callable,
    params: Any,
    *,
    input_signatures: Sequence[Any],
    model_dir: str | os.PathLike,
    polymorphic_shapes: Sequence[str | None] | str | None,
    input_names: Sequence[str] | None,
    options: dict[str, Any],
) -> Any:
    """Run the official converter with our call shape and describe its output as a ConversionResult."""
    from .converter import ConversionResult  # late: converter imports this module

    jax_conversion = _import_official()
    if input_names is not None:
        raise ConversionError("input_names is not available with backend='tfjs': the official converter "
                              "names its inputs itself")
    if hasattr(input_signatures, "shape") and hasattr(input_signatures, "dtype"):
        input_signatures = [input_signatures]
    specs = [_tensor_spec(sig, i) for i, sig in enumerate(input_signatures)]
    if isinstance(polymorphic_shapes, str):
        polymorphic_shapes = [polymorphic_shapes]
    if polymorphic_shapes is None:
        polymorphic_shapes = [None] * len(specs)
    kwargs = _converter_kwargs(options)
    Path(model_dir).mkdir(parents=True, exist_ok=True)
    try:
        jax_conversion.convert_jax(apply_fn, params, input_signatures=specs, model_dir=str(model_dir),
                                   polymorphic_shapes=list(polymorphic_shapes), **kwargs)
    except Exception as exc:
        raise ConversionError(f"the official converter (backend='tfjs') failed: {type(exc).__name__}: "
                              f"{str(exc)[:2000]}") from exc

    model = json.loads((Path(model_dir) / "model.json").read_text())
    nodes = model["modelTopology"]["node"]
    op_counts = collections.Counter(n["op"] for n in nodes)
    weight_bytes = sum((Path(model_dir) / p).stat().st_size
                       for group in model["weightsManifest"] for p in group["paths"])
    unquantized = sum(int(np.prod(w["shape"], dtype=np.int64)) * (1 if w["dtype"] == "bool" else 4)
                      for group in model["weightsManifest"] for w in group["weights"])
    outputs = list(model.get("signature", {}).get("outputs", {}))
    return ConversionResult(
        model_dir=Path(model_dir), inputs=[], output_names=outputs, node_count=len(nodes),
        op_counts=dict(sorted(op_counts.items())), weight_bytes=weight_bytes,
        unquantized_weight_bytes=unquantized,
    )
