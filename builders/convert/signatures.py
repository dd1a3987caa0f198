"""Normalise `input_signatures` and `polymorphic_shapes` into abstract JAX inputs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
from jax import export

from .dtypes import narrow_64_bit, tfjs_dtype
from .errors import SignatureError

Dim = Any  # int or a jax symbolic dimension expression


@dataclass(frozen=True)
class InputSpec:
    """One model input: its name, (possibly symbolic) shape and dtype."""

    name: str
    shape: tuple[Dim, ...]
    dtype: np.dtype
    #: The signature's dtype where it differs from `dtype` (a 64-bit one traced in 32 bits).
    declared_dtype: np.dtype | None = None

    def as_shape_dtype_struct(self) -> jax.ShapeDtypeStruct:
        return jax.ShapeDtypeStruct(self.shape, self.dtype)


def _plain_shape(shape: Any, where: str) -> tuple[int | None, ...]:
    if hasattr(shape, "as_list"):  # tf.TensorShape
        shape = shape.as_list()
    try:
        dims = tuple(shape)
    except TypeError:
        raise SignatureError(f"{where}: shape {shape!s} is not a sequence of sizes") from None
    out: list[int | None] = []
    for dim in dims:
        if dim is not None and hasattr(dim, "value"):  # tf.compat.v1.Dimension
            dim = dim.value
        if dim is None or (isinstance(dim, int) and dim == -1):
            out.append(None)
        elif isinstance(dim, (int, np.integer)) and dim >= 0:
            out.append(int(dim))
        else:
            raise SignatureError(f"{where}: dimension {dim!s} must be a non-negative integer or None")
    return tuple(out)


def _plain_dtype(dtype: Any, where: str) -> np.dtype:
    dtype = getattr(dtype, "as_numpy_dtype", dtype)  # tf.DType
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise SignatureError(f"{where}: {dtype!s} is not a dtype") from None
    try:
        tfjs_dtype(dt)
    except TypeError as exc:
        raise SignatureError(f"{where}: {exc}; pass real and imaginary parts as two float32 inputs") from None
    return dt


def _parse_signature(sig: Any, index: int) -> tuple[tuple[int | None, ...], np.dtype]:
    where = f"input_signatures[{index}]"
    if isinstance(sig, (tuple, list)) and len(sig) == 2 and not hasattr(sig, "shape"):
        shape, dtype = sig
    elif hasattr(sig, "shape") and hasattr(sig, "dtype"):
        shape, dtype = sig.shape, sig.dtype
    else:
        raise SignatureError(
            f"{where}: expected a jax.ShapeDtypeStruct, a (shape, dtype) tuple or an object "
            f"with .shape and .dtype, got {type(sig).__name__}"
        )
    return _plain_shape(shape, where), _plain_dtype(dtype, where)


def _fill_placeholders(spec: str, shape: tuple[int | None, ...], where: str) -> str:
    """Replace `_` entries of a polymorphic spec with the signature's static sizes."""
    inner = spec.strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        inner = f"({inner})"
    parts = [p.strip() for p in inner[1:-1].split(",") if p.strip()]
    if "..." in parts:
        return inner
    if len(parts) != len(shape):
        raise SignatureError(
            f"{where}: polymorphic shape '{spec}' has {len(parts)} dimensions but the input "
            f"signature has {len(shape)} ({_fmt(shape)})"
        )
    filled = []
    for i, (part, size) in enumerate(zip(parts, shape)):
        if part == "_":
            if size is None:
                raise SignatureError(
                    f"{where}: dimension {i} is None in the signature and '_' in '{spec}'; "
                    "give it a name such as 'b'"
                )
            part = str(size)
        filled.append(part)
    return "(" + ", ".join(filled) + ("," if len(filled) == 1 else "") + ")"


def _fmt(shape: Sequence[Any]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def normalize_inputs(
    input_signatures: Sequence[Any],
    polymorphic_shapes: Sequence[str | None] | str | None = None,
    input_names: Sequence[str] | None = None,
) -> list[InputSpec]:
    """Turn the user's signature arguments into `InputSpec`s with symbolic dims.

    Raises `SignatureError` naming the input and dimension for every mismatch.
    """
    if input_signatures is None or isinstance(input_signatures, (str, bytes)):
        raise SignatureError("input_signatures must be a list with one entry per input")
    if hasattr(input_signatures, "shape") and hasattr(input_signatures, "dtype"):
        input_signatures = [input_signatures]
    declared = [_parse_signature(sig, i) for i, sig in enumerate(input_signatures)]
    parsed = [(shape, narrow_64_bit(dtype)) for shape, dtype in declared]
    n = len(parsed)
    if isinstance(polymorphic_shapes, str):
        polymorphic_shapes = [polymorphic_shapes]
    if polymorphic_shapes is not None and len(polymorphic_shapes) != n:
        raise SignatureError(
            f"polymorphic_shapes has {len(polymorphic_shapes)} entries but input_signatures has {n}; "
            "give one entry per input (None for a static input)"
        )
    names = list(input_names) if input_names is not None else [f"input_{i}" for i in range(n)]
    if len(names) != n:
        raise SignatureError(f"input_names has {len(names)} entries but input_signatures has {n}")
    for name in names:
        if not _NAME_RE.match(name):
            raise SignatureError(f"input name '{name}' must match [A-Za-z_][A-Za-z0-9_]*")
    if len(set(names)) != n:
        raise SignatureError(f"input_names must be unique, got {names}")

    specs_str: list[str] = []
    for i, (shape, _dtype) in enumerate(parsed):
        where = f"input_signatures[{i}]"
        poly = polymorphic_shapes[i] if polymorphic_shapes is not None else None
        if poly is None:
            if any(d is None for d in shape):
                example = "(" + ", ".join("b" if d is None else str(d) for d in shape) + ")"
                raise SignatureError(
                    f"{where} has shape {_fmt(shape)} with an unknown (None) dimension; pass "
                    f"polymorphic_shapes=['{example}'] to name it"
                )
            specs_str.append(_fmt(shape))
        else:
            specs_str.append(_fill_placeholders(poly, shape, where))

    structs = [jax.ShapeDtypeStruct(tuple(1 if d is None else d for d in shape), dtype)
               for shape, dtype in parsed]
    try:
        symbolic = export.symbolic_args_specs(structs, specs_str)
    except Exception as exc:  # jax raises ValueError/TypeError with its own wording
        raise SignatureError(
            f"polymorphic_shapes {list(polymorphic_shapes or [])} could not be parsed: {exc}") from None

    result = []
    for i, ((shape, dtype), sym) in enumerate(zip(parsed, symbolic)):
        where = f"input_signatures[{i}]"
        if len(sym.shape) != len(shape):
            raise SignatureError(
                f"{where}: polymorphic shape '{specs_str[i]}' has {len(sym.shape)} dimensions but "
                f"the signature has {len(shape)} ({_fmt(shape)})"
            )
        for axis, (static, dim) in enumerate(zip(shape, sym.shape)):
            is_const = isinstance(dim, int)
            if static is None and is_const:
                raise SignatureError(
                    f"{where} dimension {axis}: the signature says None (unknown) but "
                    f"polymorphic_shapes says {dim}; name it (e.g. 'b') or give the size in the signature"
                )
            if static is not None and not is_const:
                raise SignatureError(
                    f"{where} dimension {axis}: the signature says {static} but polymorphic_shapes "
                    f"says '{dim}'; use None in the signature for a polymorphic dimension"
                )
            if static is not None and is_const and static != dim:
                raise SignatureError(
                    f"{where} dimension {axis}: the signature says {static} but polymorphic_shapes says {dim}"
                )
        wide = declared[i][1]
        result.append(InputSpec(names[i], tuple(sym.shape), dtype, wide if wide != dtype else None))
    return result
