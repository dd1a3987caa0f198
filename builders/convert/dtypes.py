"""Mapping between NumPy/JAX dtypes and the three dtypes TF.js computes in."""

from __future__ import annotations

import numpy as np

# TF.js computes in float32, int32 and bool only.
TF_DTYPE_ENUM = {"float32": "DT_FLOAT", "int32": "DT_INT32", "bool": "DT_BOOL"}


def tfjs_dtype(dtype) -> str:
    """Return the TF.js dtype ('float32', 'int32' or 'bool') that holds `dtype`.

    Wider or narrower floats become float32, every integer type int32.
    """
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return "bool"
    if np.issubdtype(dt, np.floating) or dt.name == "bfloat16":
        return "float32"
    if np.issubdtype(dt, np.integer):
        return "int32"
    from .errors import UnsupportedDtypeError

    raise UnsupportedDtypeError(f"dtype {dt.name} has no TF.js equivalent (TF.js has float32, int32 and bool)")


def tf_enum(dtype) -> str:
    """The `DT_*` enum name used in model.json attrs for `dtype`."""
    return TF_DTYPE_ENUM[tfjs_dtype(dtype)]


def is_lossy_cast(dtype) -> bool:
    """True when storing `dtype` in its TF.js dtype may change values (64-bit types; None: no dtype)."""
    if dtype is None:
        return False
    dt = np.dtype(dtype)
    return dt.itemsize == 8 and dt.kind in "fiu"


def narrow_64_bit(dtype) -> np.dtype:
    """The 32-bit type of a 64-bit number type (float64 -> float32, ...), others as they are: TF.js has
    no 64-bit types, and JAX without x64 traces in 32 bits anyway."""
    dt = np.dtype(dtype)
    return np.dtype(f"{dt.kind}4") if is_lossy_cast(dt) else dt
