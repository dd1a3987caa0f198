"""Small static linear algebra: cholesky and triangular_solve, unrolled over the matrix size.

TF.js has no decompositions, so each is its textbook column (or row) recurrence written with
matrix products, one step per row: the result starts as zeros and gains one row or column per
step, so the entries not computed yet are zeros and take no part in the products. Sizes must be
static and at most MAX_UNROLLED_SIZE (the graph grows by ~10 nodes per row).
"""

from __future__ import annotations

import numpy as np

from ..graph import Sym, attr_bool, attr_type, is_static_dim
from . import register
from .common import LoweringContext, out_aval

MAX_UNROLLED_SIZE = 256


def _static_size(x: Sym, what: str) -> int:
    if not all(is_static_dim(d) for d in x.shape):
        raise NotImplementedError(f"{what} of matrices with symbolic sizes")
    n = int(x.shape[-1])
    if n > MAX_UNROLLED_SIZE:
        raise NotImplementedError(f"{what} of {n}x{n} matrices (at most {MAX_UNROLLED_SIZE}: it is unrolled per row)")
    return n


def _batch_matmul(ctx: LoweringContext, a: Sym, b: Sym, shape, adj_y: bool = False) -> Sym:
    return ctx.graph.op("BatchMatMulV2", [a, b], {"adj_x": attr_bool(False), "adj_y": attr_bool(adj_y)},
                        shape=shape, dtype=a.dtype)


def _row(ctx: LoweringContext, x: Sym, i: int) -> Sym:
    """x[..., i:i+1, :] (rank kept)."""
    rank = x.rank
    begin = [0] * rank
    end = [0] * rank
    begin[-2], end[-2] = i, i + 1
    mask = ((1 << rank) - 1) & ~(1 << (rank - 2))
    shape = [*x.shape[:-2], 1, x.shape[-1]]
    return ctx.strided_slice(x, begin, end, shape=shape, begin_mask=mask, end_mask=mask)


def _where(ctx: LoweringContext, cond: np.ndarray, x: Sym, fill: float) -> Sym:
    """x where the constant `cond` holds, else `fill` (a select: NaN outside stays out)."""
    g = ctx.graph
    zero = ctx.broadcast_to(ctx.scalar(fill, x.dtype), x.shape)
    return g.op("SelectV2", [g.const_array(cond), x, zero], {"T": attr_type(x.dtype)}, shape=x.shape, dtype=x.dtype)


def _nan_if_any_nan(ctx: LoweringContext, x: Sym) -> Sym:
    """LAPACK-style failure: a matrix with any NaN (not positive definite) becomes all NaN."""
    g = ctx.graph
    is_nan = g.op("IsNan", [x], shape=x.shape, dtype=np.bool_)
    axes = g.const_array(np.array([x.rank - 2, x.rank - 1], np.int32))
    any_nan = g.op("Any", [is_nan, axes], {"keep_dims": attr_bool(True), "Tidx": attr_type(np.int32)},
                   shape=[*x.shape[:-2], 1, 1], dtype=np.bool_, typed=False)
    nan = ctx.broadcast_to(ctx.scalar(np.nan, x.dtype), x.shape)
    return g.op("SelectV2", [any_nan, nan, x], {"T": attr_type(x.dtype)}, shape=x.shape, dtype=x.dtype)


@register("cholesky")
def lower_cholesky(ctx: LoweringContext, eqn, a: Sym):
    """Lower Cholesky factor L (zeros above the diagonal) from the lower triangle of `a`:
    column j is (a[:, j] - L @ L[j, :]) / sqrt(that at j), kept from row j down."""
    n = _static_size(a, "cholesky")
    aval = out_aval(eqn)
    if n == 0 or 0 in [int(d) for d in a.shape]:
        return [a]
    g = ctx.graph
    a_t = ctx.transpose(a, [*range(a.rank - 2), a.rank - 1, a.rank - 2])  # rows of a_t are a's columns
    factor = ctx.broadcast_to(ctx.scalar(0.0, a.dtype), a.shape)
    col_shape = [*a.shape[:-2], n, 1]
    for j in range(n):
        column = ctx.reshape(_row(ctx, a_t, j), col_shape)
        if j:
            column = g.op("Sub", [column, _batch_matmul(ctx, factor, _row(ctx, factor, j), col_shape, adj_y=True)],
                          shape=col_shape, dtype=a.dtype)
        pivot = g.op("Sqrt", [ctx.strided_slice(column, [0] * (a.rank - 2) + [j, 0],
                                                [0] * (a.rank - 2) + [j + 1, 1], shape=[*a.shape[:-2], 1, 1],
                                                begin_mask=(1 << (a.rank - 2)) - 1, end_mask=(1 << (a.rank - 2)) - 1)],
                     shape=[*a.shape[:-2], 1, 1], dtype=a.dtype)
        column = g.op("RealDiv", [column, pivot], shape=col_shape, dtype=a.dtype)
        keep = (np.arange(n) >= j).reshape(n, 1)
        column = _where(ctx, np.broadcast_to(keep, col_shape[-2:]).copy(), column, 0.0)
        one_hot = np.zeros((1, n), np.float32)
        one_hot[0, j] = 1.0
        placed = g.op("Mul", [column, g.const_array(one_hot)], shape=a.shape, dtype=a.dtype)
        factor = g.op("AddV2", [factor, placed], shape=a.shape, dtype=a.dtype)
    return [Sym(_nan_if_any_nan(ctx, factor).ref, tuple(aval.shape), a.dtype)]


@register("triangular_solve")
def lower_triangular_solve(ctx: LoweringContext, eqn, a: Sym, b: Sym):
    """op(a) x = b (left side) or x op(a) = b, by substitution one row at a time; only a's
    triangle is read (the other may hold anything, NaN included)."""
    p = eqn.params
    n = _static_size(a, "triangular_solve")
    aval = out_aval(eqn)
    if 0 in [int(d) for d in (*a.shape, *b.shape)]:
        return [b]
    g = ctx.graph
    lower = bool(p["lower"])
    tri = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    if bool(p["unit_diagonal"]):
        tri &= ~np.eye(n, dtype=bool)
    a = _where(ctx, tri, a, 0.0)
    swap = [*range(a.rank - 2), a.rank - 1, a.rank - 2]
    if p["transpose_a"]:
        a, lower = ctx.transpose(a, swap), not lower
    if not p["left_side"]:  # x a = b  <=>  a^T x^T = b^T
        a, lower, b = ctx.transpose(a, swap), not lower, ctx.transpose(b, swap)
    rows = range(n) if lower else range(n - 1, -1, -1)
    diagonal = None
    if not p["unit_diagonal"]:
        eye = ctx.broadcast_to(g.const_array(np.eye(n, dtype=np.float32)), a.shape)
        diagonal = ctx.reduce("Sum", g.op("Mul", [a, eye], shape=a.shape, dtype=a.dtype), [a.rank - 1],
                              keep_dims=True)  # [..., n, 1]
    x = ctx.broadcast_to(ctx.scalar(0.0, b.dtype), b.shape)
    m = b.shape[-1]
    row_shape = [*b.shape[:-2], 1, m]
    for i in rows:
        residual = g.op("Sub", [_row(ctx, b, i), _batch_matmul(ctx, _row(ctx, a, i), x, row_shape)],
                        shape=row_shape, dtype=b.dtype)
        if diagonal is not None:
            residual = g.op("RealDiv", [residual, _row(ctx, diagonal, i)], shape=row_shape, dtype=b.dtype)
        one_hot = np.zeros((n, 1), np.float32)
        one_hot[i, 0] = 1.0
        x = g.op("AddV2", [x, g.op("Mul", [g.const_array(one_hot), residual], shape=b.shape, dtype=b.dtype)],
                 shape=b.shape, dtype=b.dtype)
    if not p["left_side"]:
        x = ctx.transpose(x, swap)
    return [Sym(x.ref, tuple(aval.shape), x.dtype)]


@register("lu")
def lower_lu(ctx: LoweringContext, eqn, a: Sym):
    """LU with partial pivoting (LAPACK's getrf): per column, the row with the largest |value|
    at or below the diagonal (the first on ties) is swapped up through a one-hot permutation
    product, multipliers fill the column below the diagonal and the trailing block is updated.
    Returns (lu, pivots, permutation) like `lax.linalg.lu`."""
    if not all(is_static_dim(d) for d in a.shape) or a.rank < 2:
        raise NotImplementedError("lu of matrices with symbolic sizes")
    m, n = int(a.shape[-2]), int(a.shape[-1])
    if max(m, n) > MAX_UNROLLED_SIZE:
        raise NotImplementedError(f"lu of {m}x{n} matrices (at most {MAX_UNROLLED_SIZE}: it is unrolled per column)")
    g = ctx.graph
    batch = [int(d) for d in a.shape[:-2]]
    f = a.dtype
    steps = min(m, n)
    rows = np.arange(m).reshape(m, 1)
    cols = np.arange(n).reshape(1, n)
    permutation = ctx.broadcast_to(g.const_array(np.arange(m, dtype=np.float32).reshape(m, 1)), [*batch, m, 1])
    pivots = []
    x = a
    for k in range(steps):
        column = _column(ctx, x, k)  # [..., m, 1]
        below = g.op("Abs", [column], shape=column.shape, dtype=f)
        below = _where(ctx, np.broadcast_to(rows >= k, (m, 1)).copy(), below, -1.0)
        pivot = g.op("ArgMax", [below, g.const_array(np.int32(a.rank - 2))],
                     {"output_type": attr_type(np.int32), "Tidx": attr_type(np.int32)},
                     shape=[*batch, 1], dtype=np.int32)  # [..., 1]
        pivots.append(pivot)
        # Rows k and pivot swap: target row i takes source row idx[i].
        iota = g.const_array(np.arange(m, dtype=np.int32).reshape(m))
        is_k = g.const_array((np.arange(m) == k).astype(np.int32))
        pivot_b = ctx.reshape(pivot, [*batch, 1])
        is_pivot = ctx.cast(g.op("Equal", [iota, pivot_b], shape=[*batch, m], dtype=np.bool_), np.int32)
        source = g.op("AddV2", [iota, g.op("AddV2", [
            g.op("Mul", [is_k, g.op("Sub", [pivot_b, iota], shape=[*batch, m], dtype=np.int32)],
                 shape=[*batch, m], dtype=np.int32),
            g.op("Mul", [is_pivot, g.op("Sub", [ctx.scalar(k, np.int32), iota], shape=[m], dtype=np.int32)],
                 shape=[*batch, m], dtype=np.int32)], shape=[*batch, m], dtype=np.int32)],
            shape=[*batch, m], dtype=np.int32)
        # One-hot rows by comparison (TF.js' OneHot wants a depth of 2 or more).
        swap = ctx.cast(g.op("Equal", [ctx.reshape(source, [*batch, m, 1]), ctx.reshape(iota, [1, m])],
                             shape=[*batch, m, m], dtype=np.bool_), f)
        x = _batch_matmul(ctx, swap, x, [*batch, m, n])
        permutation = _batch_matmul(ctx, swap, permutation, [*batch, m, 1])
        pivot_row = _row(ctx, x, k)  # [..., 1, n]
        pivot_value = ctx.strided_slice(pivot_row, [0] * (a.rank - 1) + [k], [0] * (a.rank - 1) + [k + 1],
                                        shape=[*batch, 1, 1], begin_mask=(1 << (a.rank - 1)) - 1,
                                        end_mask=(1 << (a.rank - 1)) - 1)
        factors = g.op("RealDiv", [_column(ctx, x, k), pivot_value], shape=[*batch, m, 1], dtype=f)
        factors = _where(ctx, np.broadcast_to(rows > k, (m, 1)).copy(), factors, 0.0)
        trailing = _where(ctx, np.broadcast_to(cols > k, (1, n)).copy(), pivot_row, 0.0)
        x = g.op("Sub", [x, g.op("Mul", [factors, trailing], shape=[*batch, m, n], dtype=f)], shape=[*batch, m, n],
                 dtype=f)
        in_column = np.broadcast_to((rows > k) & (cols == k), (m, n)).copy()
        x = g.op("SelectV2", [g.const_array(in_column), ctx.broadcast_to(factors, [*batch, m, n]), x],
                 {"T": attr_type(f)}, shape=[*batch, m, n], dtype=f)
    concat_attrs = {"N": {"i": str(len(pivots))}, "T": attr_type(np.int32), "Tidx": attr_type(np.int32)}
    pivots_t = pivots[0] if len(pivots) == 1 else g.op(
        "ConcatV2", [*pivots, g.const_array(np.int32(len(batch)))], concat_attrs, shape=[*batch, steps], dtype=np.int32)
    perm = ctx.cast(ctx.reshape(permutation, [*batch, m]), np.int32)
    return [x, pivots_t, perm]


def _column(ctx: LoweringContext, x: Sym, k: int) -> Sym:
    """x[..., :, k:k+1] (rank kept)."""
    rank = x.rank
    begin = [0] * rank
    end = [0] * rank
    begin[-1], end[-1] = k, k + 1
    mask = (1 << (rank - 1)) - 1
    return ctx.strided_slice(x, begin, end, shape=[*x.shape[:-1], 1], begin_mask=mask, end_mask=mask)
