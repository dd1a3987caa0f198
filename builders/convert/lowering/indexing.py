"""Indexing: gather, dynamic_slice, dynamic_update_slice, pad, rev, split, sort, top_k."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..graph import Sym, attr_bool, attr_int, attr_type, dims_equal, is_static_dim
from . import register
from .common import (
    LoweringContext,
    const_value,
    crop_negative,
    dilate_axis,
    highest,
    lowest,
    multi_output,
    out_aval,
    pad_static,
)


def _mode_name(mode: Any) -> str:
    return str(getattr(mode, "name", mode)).upper()


def _default_fill(dtype) -> Any:
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return True
    if dtype.kind == "f":
        return np.nan
    return np.iinfo(np.int32).min if dtype.kind == "i" else np.iinfo(np.int32).max


def _dims_vector(ctx: LoweringContext, dims: Sequence[Any], minus: Sequence[int]) -> Sym:
    """int32 vector of `dims[i] - minus[i]` (computed in the graph for symbolic dims)."""
    if all(is_static_dim(d) for d in dims):
        return ctx.graph.const_array(np.array([int(d) - m for d, m in zip(dims, minus)], np.int32))
    shape = ctx.graph.shape_tensor(list(dims))
    return ctx.graph.op("Sub", [shape, ctx.graph.const_array(np.array(minus, np.int32))],
                        shape=(len(dims),), dtype=np.int32)


def _strip_index_vector(ctx: LoweringContext, indices: Sym) -> Sym:
    """`indices[..., 0]` for a trailing axis of size 1 (reusing an ExpandDims' input)."""
    node = ctx.graph.nodes.get(indices.ref)
    if node is not None and node.op == "ExpandDims":
        axis = const_value(ctx, Sym(node.inputs[1], (), np.dtype(np.int32)))
        if axis is not None and int(axis) in (indices.rank - 1, -1):
            return Sym(node.inputs[0], tuple(indices.shape[:-1]), indices.dtype)
    return ctx.squeeze(indices, [indices.rank - 1])


def _arrange(ctx: LoweringContext, y: Sym, labels: list, target: list) -> Sym:
    """Insert missing unit axes and transpose `y` (axes named by `labels`) into `target` order."""
    for label in target:
        if label not in labels:
            y = ctx.expand_dims(y, y.rank)
            labels = labels + [label]
    return ctx.transpose(y, [labels.index(t) for t in target])


@register("gather")
def lower_gather(ctx: LoweringContext, eqn, operand: Sym, indices: Sym):
    p = eqn.params
    dn = p["dimension_numbers"]
    offset_dims = tuple(int(d) for d in dn.offset_dims)
    collapsed = tuple(int(d) for d in dn.collapsed_slice_dims)
    index_map = [int(d) for d in dn.start_index_map]
    op_batch = [int(d) for d in getattr(dn, "operand_batching_dims", ())]
    idx_batch = [int(d) for d in getattr(dn, "start_indices_batching_dims", ())]
    sizes = tuple(p["slice_sizes"])
    aval = out_aval(eqn)
    g = ctx.graph
    if indices.rank == 1 and not op_batch:
        sliced = _constant_start_gather(ctx, operand, indices, index_map, sizes, collapsed)
        if sliced is not None:  # x[:, -1] and x[:t] with constant starts: a plain slice
            return [Sym(sliced.ref, tuple(aval.shape), sliced.dtype)]
    for d in range(operand.rank):
        if d in index_map:
            if not is_static_dim(sizes[d]):
                raise NotImplementedError("gather windows of symbolic size along an indexed axis")
        elif d in op_batch:
            if not (is_static_dim(sizes[d]) and int(sizes[d]) == 1):
                raise NotImplementedError("gather windows wider than one element along a batching axis")
        elif not dims_equal(sizes[d], operand.shape[d]):
            raise NotImplementedError("gather of partial slices along a non-indexed axis")
    if indices.dtype != np.int32:
        indices = ctx.cast(indices, np.int32)
    batch_shape = list(indices.shape[:-1])
    k = len(index_map)

    # Indexed axes with windows wider than one element (x[:, i, 1:3]) get one extra index axis each.
    windows = [(j, d, int(sizes[d])) for j, d in enumerate(index_map) if int(sizes[d]) > 1]
    simple = k == 1 and not op_batch and not windows
    if simple:  # GatherV2 takes the indices without the trailing index-vector axis
        indices = _strip_index_vector(ctx, indices)
    # Out-of-range starts: CLIP clamps, FILL_OR_DROP fills; TF.js kernels would throw.
    mode = _mode_name(p.get("mode"))
    if simple:
        n = operand.shape[index_map[0]]
        upper = ctx.scalar(int(n) - 1, np.int32) if is_static_dim(n) else g.op(
            "Sub", [g.dim_tensor(n), ctx.scalar(1, np.int32)], shape=(), dtype=np.int32)
    else:
        upper = _dims_vector(ctx, [operand.shape[d] for d in index_map], [int(sizes[d]) for d in index_map])
    zero = ctx.scalar(0, np.int32)
    valid = None
    if "FILL" in mode:
        ge = g.op("GreaterEqual", [indices, zero], shape=indices.shape, dtype=np.bool_)
        le = g.op("LessEqual", [indices, upper], shape=indices.shape, dtype=np.bool_)
        valid = g.op("LogicalAnd", [ge, le], shape=indices.shape, dtype=np.bool_, typed=False)
        if not simple:
            valid = g.op("All", [valid, g.const_array(np.int32(indices.rank - 1), name="axis")],
                         {"keep_dims": attr_bool(False), "Tidx": attr_type(np.int32)},
                         shape=batch_shape, dtype=np.bool_, typed=False)
    clamped = g.op("Minimum", [g.op("Maximum", [indices, zero], shape=indices.shape, dtype=np.int32), upper],
                   shape=indices.shape, dtype=np.int32)

    batch_labels = [("batch", j) for j in range(len(batch_shape))]
    offset_labels = [("op", d) for d in range(operand.rank) if d not in collapsed and d not in op_batch]
    target: list = []
    it_b, it_o = iter(batch_labels), iter(offset_labels)
    for pos in range(len(aval.shape)):
        target.append(next(it_o) if pos in offset_dims else next(it_b))

    if simple:
        axis = index_map[0]
        # TF.js' GatherV2 keeps the axis for a scalar index: gather [i] and squeeze instead.
        idx = clamped if batch_shape else ctx.reshape(clamped, [1])
        shape = [*operand.shape[:axis], *(batch_shape or [1]), *operand.shape[axis + 1:]]
        y = g.op("GatherV2", [operand, idx, g.const_array(np.int32(axis), name="axis")],
                 {"Tparams": attr_type(operand.dtype), "Tindices": attr_type(np.int32),
                  "Taxis": attr_type(np.int32), "batch_dims": attr_int(0)},
                 shape=shape, dtype=operand.dtype, typed=False)
        if not batch_shape:
            y = ctx.squeeze(y, [axis])
        labels = [("op", d) for d in range(axis)] + batch_labels + [("op", d) for d in range(axis + 1, operand.rank)]
    else:
        rest = [d for d in range(operand.rank) if d not in index_map and d not in op_batch]
        order = op_batch + index_map + rest
        xt = ctx.transpose(operand, order)
        full = clamped
        window_shape = [s for _, _, s in windows]
        if windows:
            nb, m = len(batch_shape), len(windows)
            offsets = np.zeros([1] * nb + window_shape + [k], np.int32)
            for w, (j, _, size) in enumerate(windows):
                view = [1] * (nb + m)
                view[nb + w] = size
                offsets[..., j] += np.arange(size, dtype=np.int32).reshape(view)
            full = ctx.reshape(full, [*batch_shape, *([1] * m), k])
            full = g.op("AddV2", [full, g.const_array(offsets, name="window_offsets")],
                        shape=[*batch_shape, *window_shape, k], dtype=np.int32)
        if op_batch:
            parts = []
            for ib in idx_batch:
                n = indices.shape[ib]
                rng = g.op("Range", [zero, g.dim_tensor(n), ctx.scalar(1, np.int32)], {"Tidx": attr_type(np.int32)},
                           shape=(n,), dtype=np.int32)
                view = [1] * (len(batch_shape) + len(windows) + 1)
                view[ib] = n
                parts.append(ctx.broadcast_to(ctx.reshape(rng, view), [*batch_shape, *window_shape, 1]))
            full = g.op("ConcatV2", [*parts, full, g.const_array(np.int32(-1), name="axis")],
                        {"N": attr_int(len(parts) + 1), "Tidx": attr_type(np.int32)},
                        shape=[*batch_shape, *window_shape, len(parts) + k], dtype=np.int32)
        y = g.op("GatherNd", [xt, full], {"Tparams": attr_type(operand.dtype), "Tindices": attr_type(np.int32)},
                 shape=[*batch_shape, *window_shape, *[operand.shape[d] for d in rest]], dtype=operand.dtype,
                 typed=False)
        labels = batch_labels + [("op", d) for _, d, _ in windows] + [("op", d) for d in rest]
    out = _arrange(ctx, y, labels, target)
    if valid is not None:
        fill = p.get("fill_value")
        fill = _default_fill(aval.dtype) if fill is None else fill
        mask = _arrange(ctx, valid, list(batch_labels), target)
        if np.dtype(out.dtype).kind == "f" and np.isnan(fill):
            # out + (valid ? -0.0 : NaN): exact (x + -0.0 is x, -0.0 included), and the small mask
            # broadcasts inside the addition. SelectV2 would tile mask and fill to the output's
            # shape first: two TF.js Tile calls of ~1.3 ms each on WASM for a 5x16x192 embedding lookup.
            nan_or_zero = g.op("SelectV2", [mask, ctx.scalar(-0.0, out.dtype), ctx.scalar(np.nan, out.dtype)],
                               {"T": attr_type(out.dtype)}, shape=mask.shape, dtype=out.dtype)
            out = g.op("AddV2", [out, nan_or_zero], shape=out.shape, dtype=out.dtype)
        else:
            out = g.op("SelectV2", [mask, out, ctx.scalar(fill, out.dtype)], {"T": attr_type(out.dtype)},
                       shape=out.shape, dtype=out.dtype)
    return [Sym(out.ref, tuple(aval.shape), out.dtype)]


def _constant_start_gather(ctx: LoweringContext, operand: Sym, indices: Sym, index_map, sizes,
                           collapsed) -> Sym | None:
    """A gather of one window at constant, in-range starts, as a slice (None otherwise).

    Window sizes may be symbolic (`pos_embedding[:t]` gives a window of min(max_len, t)).
    """
    starts = const_value(ctx, indices)
    if starts is None or any(not is_static_dim(operand.shape[d]) for d in index_map):
        return None
    rank = operand.rank
    starts = [int(v) for v in starts.reshape(-1)]
    for j, d in enumerate(index_map):
        limit = int(operand.shape[d]) - (int(sizes[d]) if is_static_dim(sizes[d]) else 0)
        if starts[j] < 0 or starts[j] > limit:
            return None  # out of range: leave clamping / filling to the general path
    kept = [d for d in range(rank) if d not in collapsed]
    out_shape = [sizes[d] if d in index_map else operand.shape[d] for d in kept]
    if all(is_static_dim(sizes[d]) for d in index_map):
        begin, end = [0] * rank, [0] * rank
        mask = (1 << rank) - 1
        shrink = 0
        for j, d in enumerate(index_map):
            begin[d], end[d] = starts[j], starts[j] + int(sizes[d])
            mask &= ~(1 << d)
            if d in collapsed:
                shrink |= 1 << d
        return ctx.strided_slice(operand, begin, end, shape=out_shape, begin_mask=mask, end_mask=mask,
                                 shrink_axis_mask=shrink)
    g = ctx.graph
    begin = [0] * rank
    for j, d in enumerate(index_map):
        begin[d] = starts[j]
    size = [sizes[d] if d in index_map else -1 for d in range(rank)]
    size_t = _size_vector(ctx, size)
    window = g.op("Slice", [operand, g.const_array(np.array(begin, np.int32)), size_t], {"Index": attr_type(np.int32)},
                  shape=[sizes[d] if d in index_map else operand.shape[d] for d in range(rank)], dtype=operand.dtype)
    return ctx.squeeze(window, [d for d in collapsed]) if collapsed else window


def _size_vector(ctx: LoweringContext, size: Sequence[Any]) -> Sym:
    """Slice sizes as an int32 vector: -1 (to the end) stays, symbolic sizes are computed."""
    if all(is_static_dim(s) for s in size):
        return ctx.graph.const_array(np.array([int(s) for s in size], np.int32))
    parts = [ctx.graph.dim_tensor(s) if not is_static_dim(s) else ctx.scalar(int(s), np.int32) for s in size]
    return ctx.graph.op("Pack", parts, {"axis": attr_int(0), "N": attr_int(len(parts))},
                        shape=(len(parts),), dtype=np.int32)


def _start_vector(ctx: LoweringContext, starts: Sequence[Sym], dims: Sequence[Any], sizes: Sequence[Any]) -> Sym:
    """Pack scalar start indices and clamp them into [0, dim - size] like XLA."""
    g = ctx.graph
    starts = [ctx.cast(ctx.reshape(s, ()), np.int32) for s in starts]
    packed = g.op("Pack", starts, {"axis": attr_int(0), "N": attr_int(len(starts))},
                  shape=(len(starts),), dtype=np.int32)
    if all(is_static_dim(d) for d in dims) and all(is_static_dim(s) for s in sizes):
        upper = g.const_array(np.array([int(d) - int(s) for d, s in zip(dims, sizes)], np.int32))
    else:
        upper = g.op("Sub", [g.shape_tensor(list(dims)), g.shape_tensor(list(sizes))],
                     shape=(len(dims),), dtype=np.int32)
    low = g.op("Maximum", [packed, ctx.scalar(0, np.int32)], shape=(len(starts),), dtype=np.int32)
    return g.op("Minimum", [low, upper], shape=(len(starts),), dtype=np.int32)


@register("dynamic_slice")
def lower_dynamic_slice(ctx: LoweringContext, eqn, x: Sym, *starts: Sym):
    aval = out_aval(eqn)
    sizes = tuple(eqn.params["slice_sizes"])
    starts = starts[:x.rank]  # trailing operands would be dynamic slice sizes
    g = ctx.graph
    known = [const_value(ctx, s) for s in starts]
    if all(v is not None for v in known) and all(is_static_dim(d) for d in x.shape):
        begin = [min(max(int(v), 0), int(d) - int(s)) for v, d, s in zip(known, x.shape, sizes)]
        return [ctx.strided_slice(x, begin, [b + int(s) for b, s in zip(begin, sizes)], shape=aval.shape)]
    begin = _start_vector(ctx, starts, x.shape, sizes)
    return [g.op("Slice", [x, begin, g.shape_tensor(sizes)], {"Index": attr_type(np.int32)},
                 shape=aval.shape, dtype=x.dtype)]


@register("dynamic_update_slice")
def lower_dynamic_update_slice(ctx: LoweringContext, eqn, x: Sym, update: Sym, *starts: Sym):
    aval = out_aval(eqn)
    g = ctx.graph
    rank = x.rank
    begin = _start_vector(ctx, starts, x.shape, update.shape)
    # paddings [[begin, dim - size - begin]] place the update (and a mask of ones) in x's frame.
    after = g.op("Sub", [_dims_vector(ctx, x.shape, [0] * rank), g.shape_tensor(update.shape)],
                 shape=(rank,), dtype=np.int32)
    after = g.op("Sub", [after, begin], shape=(rank,), dtype=np.int32)
    paddings = g.op("Pack", [begin, after], {"axis": attr_int(1), "N": attr_int(2)}, shape=(rank, 2), dtype=np.int32)
    value = update if update.dtype != np.bool_ else ctx.cast(update, np.int32)
    placed = g.op("PadV2", [value, paddings, ctx.scalar(0, value.dtype)], {"Tpaddings": attr_type(np.int32)},
                  shape=x.shape, dtype=value.dtype)
    ones = g.op("OnesLike", [value], shape=update.shape, dtype=value.dtype)
    mask = g.op("PadV2", [ones, paddings, ctx.scalar(0, value.dtype)], {"Tpaddings": attr_type(np.int32)},
                shape=x.shape, dtype=value.dtype)
    inside = g.op("NotEqual", [mask, ctx.scalar(0, value.dtype)], shape=x.shape, dtype=np.bool_)
    placed = ctx.cast(placed, x.dtype)
    return [g.op("SelectV2", [inside, placed, x], {"T": attr_type(x.dtype)}, shape=aval.shape, dtype=x.dtype)]


@register("pad")
def lower_pad(ctx: LoweringContext, eqn, x: Sym, value: Sym):
    config = eqn.params["padding_config"]
    if not all(is_static_dim(v) for c in config for v in c):
        raise NotImplementedError("padding amounts that depend on a symbolic size")
    y = x
    for axis, (_, _, interior) in enumerate(config):
        y = dilate_axis(ctx, y, axis, int(interior) + 1, value)
    y, rest = crop_negative(ctx, y, [(lo, hi) for lo, hi, _ in config])
    y = pad_static(ctx, y, rest, value)
    return [Sym(y.ref, tuple(out_aval(eqn).shape), y.dtype)]


@register("rev")
def lower_rev(ctx: LoweringContext, eqn, x: Sym):
    dims = [int(d) for d in eqn.params["dimensions"]]
    if not dims:
        return [x]
    axes = ctx.graph.const_array(np.array(dims, np.int32), name="axes")
    # TF.js' WASM Reverse reads booleans as 4-byte values (out of bounds): reverse them as int32.
    y = ctx.cast(x, np.int32) if x.dtype == np.bool_ else x
    y = ctx.graph.op("ReverseV2", [y, axes], {"Tidx": attr_type(np.int32)}, shape=y.shape, dtype=y.dtype)
    return [ctx.cast(y, np.bool_) if x.dtype == np.bool_ else y]


@register("split")
def lower_split(ctx: LoweringContext, eqn, x: Sym):
    sizes = [int(s) for s in eqn.params["sizes"]]
    axis = int(eqn.params["axis"])
    g = ctx.graph
    outs = [(v.aval.shape, v.aval.dtype) for v in eqn.outvars]
    return multi_output(ctx, "SplitV", [x, g.const_array(np.array(sizes, np.int32), name="sizes"),
                                        g.const_array(np.int32(axis), name="axis")],
                        {"T": attr_type(x.dtype), "Tlen": attr_type(np.int32), "num_split": attr_int(len(sizes))},
                        outs)


def _top_k_last(ctx: LoweringContext, x: Sym, k: Any) -> tuple[Sym, Sym]:
    shape = [*x.shape[:-1], k]
    values, idx = multi_output(ctx, "TopKV2", [x, ctx.graph.dim_tensor(k)],
                               {"T": attr_type(x.dtype), "sorted": attr_bool(True)},
                               [(shape, x.dtype), (shape, np.int32)])
    return values, idx


# How the order is built: TF.js' TopKV2 (CPU, WASM, and WebGL, which hands small rows to
# the CPU code) sorts descending and breaks ties by the lower index, so it is a stable
# descending sort. A sort by several keys (or by one float key with JAX's NaN rule: NaN
# after +inf ascending, before it in top_k) is then a sequence of stable sorts, least
# significant key first, each permuting the running order (LSD radix sort).

def _descending_keys(ctx: LoweringContext, key: Sym, ascending: bool) -> list[Sym]:
    """Keys whose descending stable order is `key`'s order (most significant first):
    floats give (is-NaN, value with NaN zeroed); ascending order flips the values exactly
    (`-x` for floats, `-1 - x` for integers, which cannot overflow)."""
    g = ctx.graph
    if key.dtype == np.bool_:
        key = ctx.cast(key, np.int32)
    keys = []
    if key.dtype.kind == "f":
        is_nan = g.op("IsNan", [key], shape=key.shape, dtype=np.bool_)
        keys.append(ctx.cast(is_nan, np.int32))
        key = g.op("SelectV2", [is_nan, ctx.scalar(0, key.dtype), key], {"T": attr_type(key.dtype)},
                   shape=key.shape, dtype=key.dtype)
    if ascending:
        if key.dtype.kind == "f":
            key = g.op("Neg", [key], shape=key.shape, dtype=key.dtype)
        else:
            key = g.op("Sub", [ctx.scalar(-1, key.dtype), key], shape=key.shape, dtype=key.dtype)
    if keys and ascending:  # NaN goes last in an ascending sort
        keys[0] = g.op("Sub", [ctx.scalar(1, np.int32), keys[0]], shape=key.shape, dtype=np.int32)
    return [*keys, key]


def _stable_order(ctx: LoweringContext, keys: Sequence[Sym], ascending: bool) -> Sym:
    """Indices that sort the rows of the last axis by `keys` (most significant first)."""
    order_keys = [k for key in keys for k in _descending_keys(ctx, key, ascending)]
    n = order_keys[0].shape[-1]
    order = None
    for key in reversed(order_keys):
        permuted = key if order is None else _take_last(ctx, key, order)
        _, idx = _top_k_last(ctx, permuted, n)
        order = idx if order is None else _take_last(ctx, order, idx)
    return order


@register("approx_top_k")
def lower_approx_top_k(ctx: LoweringContext, eqn, x: Sym):
    """`lax.approx_max_k` / `approx_min_k`: the exact top k, which is what XLA computes off TPU
    (and exceeds any recall target)."""
    p = eqn.params
    axis = int(p["reduction_dimension"]) % x.rank
    if p["is_max_k"]:
        return _top_k(ctx, x, int(p["k"]), axis)
    return _top_k(ctx, x, int(p["k"]), axis, ascending=True)  # smallest first, NaN last


@register("top_k")
def lower_top_k(ctx: LoweringContext, eqn, x: Sym, *rest: Sym):
    if rest:
        raise NotImplementedError("top_k with a dynamic k")
    return _top_k(ctx, x, eqn.params["k"], int(eqn.params.get("axis", x.rank - 1)) % x.rank)


def _top_k(ctx: LoweringContext, x: Sym, k: Any, axis: int, ascending: bool = False) -> list[Sym]:
    perm = [d for d in range(x.rank) if d != axis] + [axis]
    inverse = [perm.index(d) for d in range(x.rank)]
    xt = ctx.transpose(x, perm)
    if xt.dtype.kind == "f" or ascending:  # NaN ranks above +inf: a full stable sort, then the first k
        order = _stable_order(ctx, [xt], ascending=ascending)
        shape = [*xt.shape[:-1], k]
        idx = ctx.strided_slice(order, [0] * xt.rank, [0] * (xt.rank - 1) + [k], shape=shape,
                                begin_mask=(1 << xt.rank) - 1, end_mask=(1 << (xt.rank - 1)) - 1)
        values = _take_last(ctx, xt, idx)
    else:
        values, idx = _top_k_last(ctx, xt if xt.dtype != np.bool_ else ctx.cast(xt, np.int32), k)
        if xt.dtype == np.bool_:
            values = ctx.cast(values, np.bool_)
    return [ctx.transpose(values, inverse), ctx.transpose(idx, inverse)]


@register("sort")
def lower_sort(ctx: LoweringContext, eqn, *operands: Sym):
    """Ascending sort along one axis by the first `num_keys` operands (JAX's total order:
    NaN last), carrying the other operands along with a gather."""
    num_keys = int(eqn.params["num_keys"])
    rank = operands[0].rank
    axis = int(eqn.params["dimension"]) % rank
    perm = [d for d in range(rank) if d != axis] + [axis]
    inverse = [perm.index(d) for d in range(rank)]
    moved = [ctx.transpose(operand, perm) for operand in operands]
    order = _stable_order(ctx, moved[:num_keys], ascending=True)
    outs = []
    for operand, value in zip(moved, operands):
        if _is_iota(const_value(ctx, value), axis):  # argsort: the sorted iota is the order
            sorted_t = ctx.cast(order, operand.dtype)
        else:
            sorted_t = _take_last(ctx, operand, order)
        outs.append(ctx.transpose(sorted_t, inverse))
    return outs


def _take_last(ctx: LoweringContext, x: Sym, idx: Sym) -> Sym:
    """`take_along_axis(x, idx, -1)` for `idx` shaped like `x`: a flat GatherV2 with row
    offsets (GatherV2's batch_dims crashes the WASM backend on some shapes)."""
    g = ctx.graph
    n = x.shape[-1]
    rows = [*x.shape[:-1]]
    count = math.prod(rows) if rows else 1
    offsets = g.op("Range", [ctx.scalar(0, np.int32), g.dim_tensor(count * n), g.dim_tensor(n)],
                   {"Tidx": attr_type(np.int32)}, shape=(count,), dtype=np.int32)
    offsets = ctx.reshape(offsets, [*rows, 1])
    flat_idx = g.op("AddV2", [idx, offsets], shape=idx.shape, dtype=np.int32)
    flat = ctx.reshape(x, [count * n])
    return g.op("GatherV2", [flat, flat_idx, g.const_array(np.int32(0), name="axis")],
                {"Tparams": attr_type(x.dtype), "Tindices": attr_type(np.int32), "Taxis": attr_type(np.int32),
                 "batch_dims": attr_int(0)}, shape=idx.shape, dtype=x.dtype, typed=False)


def _combined_scatter(ctx: LoweringContext, reduce_op: str, xt: Sym, indices: Sym, updates: Sym, valid: Sym,
                      k: int) -> Sym:
    """A scatter that combines with max, min or mul (TF.js has only ScatterNd's sum): every
    update is compared with every indexed row through a one-hot match, the matches reduced
    with `reduce_op`, and the result combined with the operand. `xt` has its k indexed axes
    first; `indices` are clamped, `valid` says which updates land (others are dropped)."""
    g = ctx.graph
    dims = [d for d in xt.shape]
    batch = list(indices.shape[:-1])
    if not all(is_static_dim(d) for d in [*dims, *batch, *updates.shape]):
        raise NotImplementedError("max/min/mul scatter with symbolic sizes")
    rows = math.prod(int(d) for d in dims[:k])
    window = math.prod(int(d) for d in dims[k:])
    count = math.prod(int(d) for d in batch) if batch else 1
    if count * rows * window > MAX_COMBINED_SCATTER_ELEMENTS:
        raise NotImplementedError(f"max/min/mul scatter of {count} updates into {rows} rows of {window} values "
                                  f"(more than {MAX_COMBINED_SCATTER_ELEMENTS} comparisons)")
    strides = np.array([math.prod(int(d) for d in dims[i + 1:k]) for i in range(k)], np.int32)
    flat_index = ctx.reduce("Sum", g.op("Mul", [indices, g.const_array(strides)], shape=indices.shape,
                                        dtype=np.int32), [indices.rank - 1])
    flat_index = ctx.reshape(flat_index, [count, 1])
    row_ids = g.const_array(np.arange(rows, dtype=np.int32).reshape(1, rows))
    match = g.op("Equal", [flat_index, row_ids], shape=(count, rows), dtype=np.bool_)
    match = g.op("LogicalAnd", [match, ctx.reshape(valid, [count, 1])], shape=(count, rows), dtype=np.bool_,
                 typed=False)
    match = ctx.broadcast_to(ctx.reshape(match, [count, rows, 1]), [count, rows, window])
    values = ctx.broadcast_to(ctx.reshape(updates, [count, 1, window]), [count, rows, window])
    identity = {"Max": lowest(xt.dtype), "Min": highest(xt.dtype), "Prod": 1}[reduce_op]
    fill = ctx.broadcast_to(ctx.scalar(identity, xt.dtype), [count, rows, window])
    picked = g.op("SelectV2", [match, values, fill], {"T": attr_type(xt.dtype)}, shape=(count, rows, window),
                  dtype=xt.dtype)
    combined = ctx.reshape(ctx.reduce(reduce_op, picked, [0]), dims)
    op = {"Max": "Maximum", "Min": "Minimum", "Prod": "Mul"}[reduce_op]
    return g.op(op, [xt, combined], shape=xt.shape, dtype=xt.dtype)


def _is_iota(value: np.ndarray | None, axis: int) -> bool:
    if value is None or value.ndim == 0:
        return False
    view = [1] * value.ndim
    view[axis] = value.shape[axis]
    iota = np.arange(value.shape[axis]).reshape(view)
    return bool(np.array_equal(value, np.broadcast_to(iota, value.shape)))


COMBINED_SCATTERS = {"scatter_max": "Max", "scatter-max": "Max", "scatter_min": "Min", "scatter-min": "Min",
                     "scatter_mul": "Prod", "scatter-mul": "Prod"}
# Elements of the [updates, rows, window] tensor a max/min/mul scatter compares.
MAX_COMBINED_SCATTER_ELEMENTS = 1 << 24


@register("scatter", "scatter-add", "scatter_add", "scatter-sub", "scatter_sub", *COMBINED_SCATTERS)
def lower_scatter(ctx: LoweringContext, eqn, operand: Sym, indices: Sym, updates: Sym):
    """`x.at[idx].set(v)` / `.add(v)` where each indexed axis takes one element, via ScatterNd.

    Out-of-range indices are dropped (FILL_OR_DROP, jax's default): they are clamped and their
    updates masked to zero. For `set`, duplicate indices write their sum (XLA leaves the
    winner unspecified).
    """
    p = eqn.params
    dn = p["dimension_numbers"]
    window_dims = [int(d) for d in dn.update_window_dims]
    inserted = [int(d) for d in dn.inserted_window_dims]
    index_map = [int(d) for d in dn.scatter_dims_to_operand_dims]
    if tuple(getattr(dn, "operand_batching_dims", ())) or sorted(inserted) != sorted(index_map):
        raise NotImplementedError("scatter with batching dims or windows along the indexed axes")
    if p.get("update_jaxpr") is not None and eqn.primitive.name == "scatter":
        raise NotImplementedError("scatter with a custom combiner")
    aval = out_aval(eqn)
    g = ctx.graph
    rest = [d for d in range(operand.rank) if d not in index_map]
    if len(window_dims) != len(rest) or not all(
            dims_equal(updates.shape[w], operand.shape[d]) for w, d in zip(window_dims, rest)):
        raise NotImplementedError("scatter of partial windows")
    if indices.dtype != np.int32:
        indices = ctx.cast(indices, np.int32)
    k = len(index_map)
    # Operand with the indexed axes first; updates as [scatter dims..., window dims...].
    xt = ctx.transpose(operand, index_map + rest)
    scatter_axes = [a for a in range(updates.rank) if a not in window_dims]
    ut = ctx.transpose(updates, scatter_axes + window_dims)
    if ut.dtype != xt.dtype:
        ut = ctx.cast(ut, xt.dtype)
    value_dtype = xt.dtype if xt.dtype != np.bool_ else np.dtype(np.int32)
    if ut.dtype != value_dtype:
        ut = ctx.cast(ut, value_dtype)
    if indices.rank == 1:  # one update: TF.js' ScatterNd wants a leading batch axis
        indices = ctx.reshape(indices, [1, k])
        ut = ctx.expand_dims(ut, 0)
    upper = _dims_vector(ctx, [operand.shape[d] for d in index_map], [1] * k)
    zero = ctx.scalar(0, np.int32)
    ge = g.op("GreaterEqual", [indices, zero], shape=indices.shape, dtype=np.bool_)
    le = g.op("LessEqual", [indices, upper], shape=indices.shape, dtype=np.bool_)
    ok = g.op("LogicalAnd", [ge, le], shape=indices.shape, dtype=np.bool_, typed=False)
    batch_shape = list(indices.shape[:-1])
    valid = g.op("All", [ok, g.const_array(np.int32(indices.rank - 1), name="axis")],
                 {"keep_dims": attr_bool(False), "Tidx": attr_type(np.int32)},
                 shape=batch_shape, dtype=np.bool_, typed=False)
    clamped = g.op("Minimum", [g.op("Maximum", [indices, zero], shape=indices.shape, dtype=np.int32), upper],
                   shape=indices.shape, dtype=np.int32)
    weight = ctx.cast(valid, value_dtype)
    for _ in rest:
        weight = ctx.expand_dims(weight, weight.rank)
    masked = g.op("Mul", [ut, weight], shape=ut.shape, dtype=value_dtype)
    shape_t = g.shape_tensor(list(xt.shape))

    def scatter_nd(values: Sym) -> Sym:
        return g.op("ScatterNd", [clamped, values, shape_t], {"T": attr_type(values.dtype),
                                                               "Tindices": attr_type(np.int32)},
                    shape=xt.shape, dtype=values.dtype, typed=False)

    if eqn.primitive.name in COMBINED_SCATTERS:
        # Booleans as 0/1 int32: max is or, min is and, mul is and.
        out = ctx.cast(_combined_scatter(ctx, COMBINED_SCATTERS[eqn.primitive.name], ctx.cast(xt, value_dtype),
                                         clamped, ut, valid, k), xt.dtype)
    elif eqn.primitive.name in ("scatter-add", "scatter_add", "scatter-sub", "scatter_sub"):
        base = ctx.cast(xt, value_dtype)
        combine = "AddV2" if eqn.primitive.name.endswith("add") else "Sub"  # x.at[i].subtract(v)
        out = ctx.cast(g.op(combine, [base, scatter_nd(masked)], shape=xt.shape, dtype=value_dtype), xt.dtype)
    else:
        ones = g.op("OnesLike", [ut], shape=ut.shape, dtype=value_dtype)
        hits = scatter_nd(g.op("Mul", [ones, weight], shape=ut.shape, dtype=value_dtype))
        written = g.op("Greater", [hits, ctx.scalar(0, value_dtype)], shape=xt.shape, dtype=np.bool_)
        # Booleans are selected as int32: TF.js' WASM SelectV2 reads bool operands wrongly.
        base = ctx.cast(xt, value_dtype)
        out = g.op("SelectV2", [written, scatter_nd(masked), base], {"T": attr_type(value_dtype)},
                   shape=xt.shape, dtype=value_dtype)
        out = ctx.cast(out, xt.dtype)
    order = index_map + rest
    out = ctx.transpose(out, [order.index(d) for d in range(operand.rank)])
    return [Sym(out.ref, tuple(aval.shape), out.dtype)]
