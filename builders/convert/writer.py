"""Write a graph as TF.js `model.json` plus binary weight shards, with optional quantisation."""

from __future__ import annotations

import fnmatch
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .dtypes import tf_enum
from .errors import ConversionError
from .graph import Function, GraphBuilder, Sym, tensor_shape

DEFAULT_SHARD_SIZE = 4 * 1024 * 1024
QUANTIZATION_DTYPES = ("float16", "uint8", "uint16")


@dataclass(frozen=True)
class QuantizationSpec:
    """Quantise weights to `dtype`; only weights whose name matches a pattern if given."""

    dtype: str
    patterns: tuple[str, ...] = ("*",)

    @classmethod
    def parse(cls, quantization: Any) -> QuantizationSpec | None:
        if quantization is None:
            return None
        if isinstance(quantization, str):
            spec = cls(quantization)
        elif isinstance(quantization, dict):
            if len(quantization) != 1:
                raise ConversionError("quantization as a dict maps one dtype to a list of name patterns")
            ((dtype, patterns),) = quantization.items()
            spec = cls(dtype, tuple([patterns] if isinstance(patterns, str) else patterns))
        else:
            raise ConversionError(f"quantization must be one of {QUANTIZATION_DTYPES} or a dict, got {quantization!r}")
        if spec.dtype not in QUANTIZATION_DTYPES:
            raise ConversionError(f"quantization dtype '{spec.dtype}' is not one of {', '.join(QUANTIZATION_DTYPES)}")
        return spec

    def applies_to(self, name: str, value: np.ndarray) -> bool:
        # Small tensors (shapes, axes, scalars) and integer tensors stay exact.
        return (value.dtype == np.float32 and value.size >= 16
                and any(fnmatch.fnmatchcase(name, p) for p in self.patterns))


def _quantize(value: np.ndarray, dtype: str) -> tuple[bytes, dict]:
    if dtype == "float16":
        return value.astype("<f2").tobytes(), {"dtype": "float16", "original_dtype": "float32"}
    levels = 255 if dtype == "uint8" else 65535
    lo, hi = float(value.min()), float(value.max())
    # TF.js' own quantiser nudges the range so that 0 is exactly representable.
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / levels if hi > lo else 1.0
    zero_point = round(-lo / scale)
    lo = -zero_point * scale
    q = np.clip(np.round((value - lo) / scale), 0, levels)
    np_dtype = "<u1" if dtype == "uint8" else "<u2"
    return q.astype(np_dtype).tobytes(), {"dtype": dtype, "min": lo, "scale": scale, "original_dtype": "float32"}


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _const_nodes(graph: GraphBuilder):
    """(builder, Const node) of the model's graph and of every graph function."""
    for owner in [graph, *(f.graph for f in graph.functions)]:
        for node in owner.nodes.values():
            if node.op == "Const":
                yield owner, node


def _node_json(n) -> dict:
    return {"name": n.name, "op": n.op, **({"input": n.inputs} if n.inputs else {}),
            **({"attr": n.attrs} if n.attrs else {})}


def _function_json(f: Function) -> dict:
    """A FunctionDef as TF.js reads it: the arguments are not nodes, the outputs name nodes."""
    args = {a.ref for a in f.inputs}
    return {
        "signature": {
            "name": f.name,
            "inputArg": [{"name": a.ref, "type": t} for a, t in zip(f.inputs, f.input_types)],
            "outputArg": [{"name": f"output_{k}", "type": t} for k, t in enumerate(f.output_types)],
        },
        "nodeDef": [_node_json(n) for n in f.graph.nodes.values() if n.name not in args],
        "ret": {f"output_{k}": ref for k, ref in enumerate(f.outputs)},
    }


def write_model(
    graph: GraphBuilder,
    inputs: Sequence[Sym],
    outputs: Sequence[tuple[str, Sym]],
    model_dir: str | os.PathLike,
    *,
    quantization: QuantizationSpec | None = None,
    weight_shard_size_bytes: int = DEFAULT_SHARD_SIZE,
    metadata: dict | None = None,
    generated_by: str = "",
    converted_by: str = "",
) -> dict:
    """Write `model.json` and shards into `model_dir`; returns the model.json dict."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    if weight_shard_size_bytes <= 0:
        raise ConversionError("weight_shard_size_bytes must be positive")

    entries = []
    blobs = []
    for owner, node in _const_nodes(graph):
        value = owner.weights[node.name]
        entry: dict[str, Any] = {"name": node.name, "shape": list(value.shape), "dtype": str(value.dtype)}
        if quantization is not None and quantization.applies_to(node.name, value):
            data, q = _quantize(value, quantization.dtype)
            entry["quantization"] = q
        else:
            data = value.astype(value.dtype.newbyteorder("<")).tobytes()
        entries.append(entry)
        blobs.append(data)
    buffer = b"".join(blobs)

    for stale in model_dir.glob("group1-shard*.bin"):
        stale.unlink()
    n_shards = max(1, -(-len(buffer) // weight_shard_size_bytes))
    paths = []
    for i in range(n_shards):
        name = f"group1-shard{i + 1}of{n_shards}.bin"
        _atomic_write(model_dir / name, buffer[i * weight_shard_size_bytes:(i + 1) * weight_shard_size_bytes])
        paths.append(name)

    def sig(name: str, sym: Sym) -> dict:
        return {"name": f"{name}:0", "dtype": tf_enum(sym.dtype), "tensorShape": tensor_shape(sym.shape)}

    model = {
        "format": "graph-model",
        "generatedBy": generated_by,
        "convertedBy": converted_by,
        "signature": {
            "inputs": {s.ref: sig(s.ref, s) for s in inputs},
            "outputs": {name: sig(name, s) for name, s in outputs},
        },
        "modelTopology": {
            "node": [_node_json(n) for n in graph.nodes.values()],
            "library": {"function": [_function_json(f) for f in graph.functions]} if graph.functions else {},
            "versions": {"producer": 1994},
        },
        "weightsManifest": [{"paths": paths, "weights": entries}],
    }
    if metadata:
        model["userDefinedMetadata"] = metadata
    _atomic_write(model_dir / "model.json", json.dumps(model, separators=(",", ":"), sort_keys=True).encode())
    return model
