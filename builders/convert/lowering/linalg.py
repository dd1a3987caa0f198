"""`dot_general` lowered to MatMul / BatchMatMulV2 (never Einsum, which has no WASM kernel)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..graph import Sym, attr_bool
from . import register
from .common import LoweringContext, out_aval


def _prod(dims: Sequence[Any]) -> Any:
    """Product of dims; static ints multiply, symbolic dims stay jax expressions."""
    return math.prod(dims) if dims else 1


@register("dot_general")
def lower_dot_general(ctx: LoweringContext, eqn, lhs: Sym, rhs: Sym):
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lc, rc, lb, rb = (tuple(int(a) for a in t) for t in (lc, rc, lb, rb))
    aval = out_aval(eqn)
    out_dtype = np.dtype(aval.dtype)
    l_free = [i for i in range(lhs.rank) if i not in lc and i not in lb]
    r_free = [i for i in range(rhs.rank) if i not in rc and i not in rb]

    # TF.js' WASM backend multiplies float32 only: integer products run in float32 (exact
    # below 2**24) and are cast back.
    final_dtype = out_dtype
    if out_dtype != np.float32:
        out_dtype = np.dtype(np.float32)
    if lhs.dtype != out_dtype:
        lhs = ctx.cast(lhs, out_dtype)
    if rhs.dtype != out_dtype:
        rhs = ctx.cast(rhs, out_dtype)

    batch_shape = [lhs.shape[i] for i in lb]
    l_free_shape = [lhs.shape[i] for i in l_free]
    r_free_shape = [rhs.shape[i] for i in r_free]
    k = _prod([lhs.shape[i] for i in lc])
    m = _prod(l_free_shape)
    n = _prod(r_free_shape)

    # lhs as [batch..., M, K] (or [.., K, M] transposed, if that avoids a Transpose node).
    l_perm_mk = list(lb) + l_free + list(lc)
    l_perm_km = list(lb) + list(lc) + l_free
    transpose_a = l_perm_mk != list(range(lhs.rank)) and l_perm_km == list(range(lhs.rank)) and l_free
    lhs_t = ctx.transpose(lhs, l_perm_km if transpose_a else l_perm_mk)
    r_perm_kn = list(rb) + list(rc) + r_free
    r_perm_nk = list(rb) + r_free + list(rc)
    transpose_b = r_perm_kn != list(range(rhs.rank)) and r_perm_nk == list(range(rhs.rank)) and r_free
    rhs_t = ctx.transpose(rhs, r_perm_nk if transpose_b else r_perm_kn)

    if not lb:
        lhs_2d = ctx.reshape(lhs_t, [k, m] if transpose_a else [m, k])
        rhs_2d = ctx.reshape(rhs_t, [n, k] if transpose_b else [k, n])
        out = ctx.graph.op("MatMul", [lhs_2d, rhs_2d],
                           {"transpose_a": attr_bool(bool(transpose_a)), "transpose_b": attr_bool(bool(transpose_b))},
                           shape=(m, n), dtype=out_dtype)
    else:
        b = _prod(batch_shape)
        lhs_3d = ctx.reshape(lhs_t, [b, k, m] if transpose_a else [b, m, k])
        rhs_3d = ctx.reshape(rhs_t, [b, n, k] if transpose_b else [b, k, n])
        out = ctx.graph.op("BatchMatMulV2", [lhs_3d, rhs_3d],
                           {"adj_x": attr_bool(bool(transpose_a)), "adj_y": attr_bool(bool(transpose_b))},
                           shape=(b, m, n), dtype=out_dtype)
    out = ctx.reshape(out, aval.shape)
    if final_dtype != out_dtype:
        out = ctx.cast(out, final_dtype)
    return [out]

