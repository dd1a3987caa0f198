"""`convert_jax`: JAX function + params -> TF.js graph model, without TensorFlow."""

from __future__ import annotations

import collections
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import numpy as np

from .dtypes import is_lossy_cast
from .errors import ConversionError, SignatureError
from .graph import GraphBuilder, Sym
from .interpreter import Concrete, Interpreter
from .lowering.common import LoweringContext
from .optimize import optimize
from .signatures import InputSpec, normalize_inputs
from .writer import DEFAULT_SHARD_SIZE, QuantizationSpec, write_model

CONVERTER_NAME = "jax-web-demos converter 0.1"
# Backends with true int32 arithmetic, in the order pages try them.
EXACT_INT32_BACKENDS = ("wasm", "cpu")
KNOWN_OPTIONS = ("quantization", "weight_shard_size_bytes", "fold_constants", "metadata", "fuse", "unroll_scans")


@dataclass
class ConversionResult:
    """What `convert_jax` wrote and how the graph looks."""

    model_dir: Path
    inputs: list[InputSpec]
    output_names: list[str]
    node_count: int
    op_counts: dict[str, int]
    weight_bytes: int
    # bytes the weights would take unquantised (equal to weight_bytes without quantization)
    unquantized_weight_bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    # node name -> (jaxpr equation path, output index, primitive, source line), for diagnostics
    node_origins: dict[str, tuple] = field(default_factory=dict)
    # The TF.js backends the model is exact on, when not all (also in model.json's metadata).
    backends: list[str] | None = None


def param_path_name(path: tuple) -> str:
    """'params/Dense_0/kernel' for a params-tree key path."""
    parts = []
    for key in path:
        for attr in ("key", "name", "idx"):
            if hasattr(key, attr):
                parts.append(str(getattr(key, attr)))
                break
        else:
            parts.append(str(key))
    return "/".join(parts) or "param"


def _check_int32_range(name: str, value: np.ndarray) -> None:
    """TF.js holds every integer as int32: a leaf is converted only when its values fit."""
    if value.size == 0:
        return
    low, high = int(value.min()), int(value.max())
    info = np.iinfo(np.int32)
    if low < info.min or high > info.max:
        raise ConversionError(
            f"parameter {name} ({value.dtype.name}) holds values from {low} to {high}, outside int32's "
            f"range ({info.min} to {info.max}), and TF.js stores every integer as int32: store it in a "
            "narrower type, or as float32 if exactness above 2^24 does not matter")


def _prepare_params(params: Any, notes: list[str],
                    cast_inputs: Sequence[InputSpec] = ()) -> tuple[list[tuple[str, np.ndarray]], Any]:
    """Params as named float32/int32/bool leaves; one note lists every cast, of a leaf or of an input."""
    leaves_with_path, treedef = jax.tree_util.tree_flatten_with_path(params)
    prepared = []
    cast: list[str] = []
    for path, leaf in leaves_with_path:
        value = np.asarray(leaf)
        name = param_path_name(path)
        if (value.dtype.kind == "f" or value.dtype.name == "bfloat16") and value.dtype != np.float32:
            cast.append(f"{name} ({value.dtype.name})")
            value = value.astype(np.float32)
        elif value.dtype.kind in "iu" and value.dtype != np.int32:
            _check_int32_range(name, value)
            cast.append(f"{name} ({value.dtype.name})")
            value = value.astype(np.int32)
        prepared.append((name, value))
    cast += [f"input {s.name} ({s.declared_dtype.name})" for s in cast_inputs]
    if cast:
        notes.append(f"{len(cast)} value(s) cast to 32-bit for TF.js: " + ", ".join(cast[:5])
                     + (" ..." if len(cast) > 5 else ""))
    return prepared, treedef


def convert_jax(
    apply_fn: Callable,
    params: Any,
    *,
    input_signatures: Sequence[Any],
    model_dir: str | os.PathLike,
    polymorphic_shapes: Sequence[str | None] | str | None = None,
    input_names: Sequence[str] | None = None,
    backend: str = "jax",
    **options: Any,
) -> ConversionResult:
    """Convert `apply_fn(params, *inputs)` into a TF.js graph model in `model_dir`.

    Same call shape as `tensorflowjs.converters.convert_jax`. `input_signatures`
    holds one `jax.ShapeDtypeStruct`, `(shape, dtype)` tuple or `.shape`/`.dtype`
    object per input; `None` dimensions are named by `polymorphic_shapes`
    (e.g. `["(b, 2)"]`). Options: `quantization` ("float16", "uint8", "uint16",
    or `{dtype: [name patterns]}`), `weight_shard_size_bytes` (default 4 MiB),
    `fold_constants` (default True), `fuse` (fuse bias/activation into MatMul and
    convolutions, default True), `metadata` (dict stored in model.json), `unroll_scans`
    (None, the default: scans of at most ~1,000 equations in all are unrolled into the graph and
    longer ones kept as a `StatelessWhile` loop, which TF.js runs with `executeAsync`; True:
    always unroll; False: always loop). `lax.while_loop` is always a loop.

    `backend="tfjs"` delegates to the official converter
    (`tensorflowjs.converters.jax_conversion.convert_jax`) for comparison; it needs
    the legacy virtualenv of requirements-legacy.txt and raises `ConversionError`
    saying how to create it when `tensorflowjs` cannot be imported.

    Raises `SignatureError`, `UnsupportedPrimitiveError` or `ConversionError`.
    """
    if backend == "tfjs":
        from .official import convert_with_official

        return convert_with_official(apply_fn, params, input_signatures=input_signatures, model_dir=model_dir,
                                     polymorphic_shapes=polymorphic_shapes, input_names=input_names,
                                     options=options)
    if backend != "jax":
        raise ConversionError(f"backend must be 'jax' (this converter) or 'tfjs' (the official one), got {backend!r}")
    unknown = sorted(set(options) - set(KNOWN_OPTIONS))
    if unknown:
        raise ConversionError(f"unknown option(s) {', '.join(unknown)}; known options: {', '.join(KNOWN_OPTIONS)}")
    quantization = QuantizationSpec.parse(options.get("quantization"))
    specs = normalize_inputs(input_signatures, polymorphic_shapes, input_names)
    notes: list[str] = []
    # 64-bit inputs are traced in 32 bits (signatures.py); they are reported with the cast parameters.
    param_leaves, treedef = _prepare_params(params, notes, [s for s in specs if is_lossy_cast(s.declared_dtype)])

    def flat_fn(flat_params, *xs):
        return apply_fn(jax.tree_util.tree_unflatten(treedef, flat_params), *xs)

    param_structs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for _, v in param_leaves]
    try:
        closed = jax.make_jaxpr(flat_fn)(
            param_structs, *[s.as_shape_dtype_struct() for s in specs])
    except SignatureError:
        raise
    except Exception as exc:
        raise ConversionError(f"tracing the function with the given input signatures failed: {exc}") from exc

    graph = GraphBuilder()
    ctx = LoweringContext(graph)
    placeholders = [graph.placeholder(s.name, s.shape, s.dtype) for s in specs]
    args = [Concrete(v, name) for name, v in param_leaves] + list(placeholders)
    unroll = options.get("unroll_scans")
    if unroll not in (None, True, False):
        raise ConversionError(f"unroll_scans must be None, True or False, got {unroll!r}")
    interpreter = Interpreter(ctx, fold_constants=options.get("fold_constants", True), unroll_scans=unroll)
    outs = interpreter.run(closed.jaxpr, list(closed.consts), args)

    if interpreter.dropped_debug:
        notes.append(f"{len(interpreter.dropped_debug)} jax.debug call(s) left out of the model (they print or call "
                     f"back during tracing only): {', '.join(sorted(set(interpreter.dropped_debug)))}")
    output_pairs: list[tuple[str, Sym]] = []
    for i, value in enumerate(outs):
        sym = interpreter.materialize(value)
        name = f"output_{i}"
        out_sym = graph.op("Identity", [sym], shape=sym.shape, dtype=sym.dtype, name=name)
        if out_sym.ref != name:
            raise ConversionError(f"output name {name} clashes with a node name")
        output_pairs.append((name, out_sym))
    optimize(graph, [name for name, _ in output_pairs], fuse=bool(options.get("fuse", True)))
    for function in graph.functions:
        optimize(function.graph, function.outputs, fuse=bool(options.get("fuse", True)))

    metadata = dict(options.get("metadata") or {})
    if ctx.needs_exact_int32:
        metadata["backends"] = list(EXACT_INT32_BACKENDS)
        notes.append("the model needs exact 32-bit integer arithmetic (bitwise operations), which TF.js's WebGL "
                     f"and WebGPU backends do not have: model.json lists the backends it runs on, "
                     f"{', '.join(EXACT_INT32_BACKENDS)} (pages use only those)")
    for note in notes:
        warnings.warn(note, stacklevel=2)
    model = write_model(
        graph, placeholders, output_pairs, model_dir,
        quantization=quantization,
        weight_shard_size_bytes=int(options.get("weight_shard_size_bytes", DEFAULT_SHARD_SIZE)),
        metadata=metadata or None,
        generated_by=f"jax {jax.__version__}",
        converted_by=CONVERTER_NAME,
    )
    nodes = [*model["modelTopology"]["node"],
             *(n for f in model["modelTopology"]["library"].get("function", []) for n in f["nodeDef"])]
    op_counts = collections.Counter(n["op"] for n in nodes)
    weight_bytes = sum((Path(model_dir) / p).stat().st_size for p in model["weightsManifest"][0]["paths"])
    unquantized = sum(int(np.prod(w["shape"], dtype=np.int64)) * (1 if w["dtype"] == "bool" else 4)
                      for w in model["weightsManifest"][0]["weights"])
    return ConversionResult(
        model_dir=Path(model_dir), inputs=specs, output_names=[n for n, _ in output_pairs],
        node_count=len(nodes), op_counts=dict(sorted(op_counts.items())),
        weight_bytes=weight_bytes, unquantized_weight_bytes=unquantized, warnings=notes,
        backends=list(EXACT_INT32_BACKENDS) if ctx.needs_exact_int32 else None,
        node_origins={ref: origin for ref, origin in interpreter.origins.items() if ref.split(":")[0] in graph.nodes},
    )
