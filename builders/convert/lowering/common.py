"""Graph-building helpers shared by the lowerings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..graph import GraphBuilder, Sym, attr_bool, attr_int, attr_int_list, attr_type, dims_equal, is_static_dim


@dataclass
class LoweringContext:
    """State shared by all lowerings of one conversion."""

    graph: GraphBuilder
    # ref of a BroadcastTo output -> the tensor before broadcasting, so elementwise ops
    # can rely on TF's implicit broadcasting and skip materialising the big tensor.
    broadcast_sources: dict[str, Sym] = field(default_factory=dict)
    # Set by lowerings whose results are exact only with true 32-bit integer arithmetic
    # (bitwise ops): TF.js' WebGL and WebGPU backends hold int32 in float32.
    needs_exact_int32: bool = False

    # ---- shape ops ---------------------------------------------------------------------------
    def reshape(self, x: Sym, shape: Sequence[Any], name: str = "Reshape") -> Sym:
        shape = tuple(shape)
        if len(shape) == x.rank and all(dims_equal(a, b) for a, b in zip(x.shape, shape)):
            return x
        shape_t = self.graph.shape_tensor(shape, allow_minus_one=True)
        return self.graph.op("Reshape", [x, shape_t], {"Tshape": attr_type(np.int32)},
                             shape=shape, dtype=x.dtype, name=name)

    def transpose(self, x: Sym, perm: Sequence[int]) -> Sym:
        perm = tuple(int(p) for p in perm)
        if perm == tuple(range(x.rank)):
            return x
        perm_t = self.graph.const_array(np.array(perm, np.int32), name="perm")
        return self.graph.op("Transpose", [x, perm_t], {"Tperm": attr_type(np.int32)},
                             shape=tuple(x.shape[p] for p in perm), dtype=x.dtype)

    def expand_dims(self, x: Sym, axis: int) -> Sym:
        axis_t = self.graph.const_array(np.int32(axis), name="axis")
        shape = list(x.shape)
        shape.insert(axis, 1)
        return self.graph.op("ExpandDims", [x, axis_t], {"Tdim": attr_type(np.int32)},
                             shape=shape, dtype=x.dtype)

    def broadcast_to(self, x: Sym, shape: Sequence[Any]) -> Sym:
        shape = tuple(shape)
        if x.rank == len(shape) and all(dims_equal(a, b) for a, b in zip(x.shape, shape)):
            return x
        shape_t = self.graph.shape_tensor(shape)
        out = self.graph.op("BroadcastTo", [x, shape_t], {"Tidx": attr_type(np.int32)},
                            shape=shape, dtype=x.dtype)
        self.broadcast_sources[out.ref] = x
        return out

    def cast(self, x: Sym, dtype) -> Sym:
        from ..dtypes import tfjs_dtype

        target = np.dtype(tfjs_dtype(dtype))
        if x.dtype == target:
            return x
        if target == np.bool_:
            zero = self.graph.const_array(np.zeros((), x.dtype))
            return self.graph.op("NotEqual", [x, zero], shape=x.shape, dtype=np.bool_)
        return self.graph.op("Cast", [x], {"SrcT": attr_type(x.dtype), "DstT": attr_type(target),
                                           "Truncate": attr_bool(False)},
                             shape=x.shape, dtype=target, typed=False)

    def scalar(self, value: Any, dtype) -> Sym:
        return self.graph.const_array(np.asarray(value, dtype=dtype))

    def reduce(self, op: str, x: Sym, axes: Sequence[int], keep_dims: bool = False) -> Sym:
        axes = tuple(int(a) for a in axes)
        if not axes:
            return x
        axes_t = self.graph.const_array(np.array(axes, np.int32), name="axes")
        shape = [1 if i in axes else d for i, d in enumerate(x.shape)] if keep_dims else \
            [d for i, d in enumerate(x.shape) if i not in axes]
        return self.graph.op(op, [x, axes_t], {"keep_dims": attr_bool(keep_dims),
                                                "Tidx": attr_type(np.int32)},
                             shape=shape, dtype=x.dtype)

    def strided_slice(self, x: Sym, begin: Sequence[int], end: Sequence[int],
                      strides: Sequence[int] | None = None, *, shape: Sequence[Any],
                      begin_mask: int = 0, end_mask: int = 0, shrink_axis_mask: int = 0) -> Sym:
        strides = strides or [1] * len(begin)
        g = self.graph
        if (x.dtype != np.float32 and any(int(st) != 1 for st in strides) and not (begin_mask or end_mask
                                                                                 or shrink_axis_mask)):
            return self._strided_by_reshape(x, begin, strides, shape)
        return g.op("StridedSlice",
                    [x, g.const_array(np.array(begin, np.int32)), g.const_array(np.array(end, np.int32)),
                     g.const_array(np.array(strides, np.int32))],
                    {"begin_mask": attr_int(begin_mask), "end_mask": attr_int(end_mask),
                     "ellipsis_mask": attr_int(0), "new_axis_mask": attr_int(0),
                     "shrink_axis_mask": attr_int(shrink_axis_mask), "Index": attr_type(np.int32)},
                    shape=shape, dtype=x.dtype)

    def _strided_by_reshape(self, x: Sym, begin: Sequence[int], strides: Sequence[int], shape: Sequence[Any]) -> Sym:
        """A strided slice of int32 or bool values without a strided StridedSlice: TF.js 4.22's
        WASM kernel labels that output float32 whatever the input (the int32 bits then read as
        floats). The span is sliced with unit strides, each strided axis padded to a multiple
        of its stride and split in two, and the first of each group kept."""
        if not all(is_static_dim(d) for d in (*x.shape, *shape)):
            raise NotImplementedError("a strided slice of integers or booleans with symbolic sizes")
        out = [int(d) for d in shape]
        steps = [int(st) for st in strides]
        if any(st < 1 for st in steps):
            raise NotImplementedError("a strided slice of integers or booleans with negative strides")
        starts = [int(b) for b in begin]
        span = [0 if m == 0 else (m - 1) * st + 1 for m, st in zip(out, steps)]
        y = self.strided_slice(x, starts, [b + n for b, n in zip(starts, span)], shape=span)
        for axis, (m, st) in enumerate(zip(out, steps)):
            if st == 1 or m == 0:
                continue
            pads = [(0, 0)] * y.rank
            pads[axis] = (0, m * st - span[axis])
            y = pad_static(self, y, pads)
            grouped = [*y.shape[:axis], m, st, *y.shape[axis + 1:]]
            y = self.reshape(y, grouped)
            first = [*y.shape[:axis + 1], 1, *y.shape[axis + 2:]]
            y = self.strided_slice(y, [0] * y.rank, first, shape=first)
            y = self.reshape(y, [*first[:axis + 1], *first[axis + 2:]])
        return y

    def squeeze(self, x: Sym, axes: Sequence[int]) -> Sym:
        axes = sorted(int(a) % max(x.rank, 1) for a in axes)
        if not axes:
            return x
        shape = [d for i, d in enumerate(x.shape) if i not in axes]
        return self.graph.op("Squeeze", [x], {"squeeze_dims": attr_int_list(axes)},
                             shape=shape, dtype=x.dtype)


def out_aval(eqn, index: int = 0):
    """The abstract value (shape, dtype) of an equation output."""
    return eqn.outvars[index].aval


# ---- helpers shared by the window, convolution and indexing lowerings ------------------------

def const_value(ctx: LoweringContext, x: Sym) -> np.ndarray | None:
    """The value of `x` when it is a `Const` node (a folded parameter or literal), else None."""
    node = ctx.graph.nodes.get(x.ref)
    if node is None or node.op != "Const":
        return None
    return ctx.graph.weights.get(x.ref)


def slice_axis(ctx: LoweringContext, x: Sym, axis: int, start: int, stop: int | None, size: Any,
               stride: int = 1) -> Sym:
    """`x[..., start:stop:stride, ...]` on one axis (negative `stop` counts from the end;
    None runs to the end). `size` is the resulting length of that axis."""
    rank = x.rank
    begin = [0] * rank
    end = [0] * rank
    strides = [1] * rank
    begin[axis] = start
    strides[axis] = stride
    others = ((1 << rank) - 1) & ~(1 << axis)
    end_mask = others
    if stop is None:
        end_mask |= 1 << axis
    else:
        end[axis] = stop
    shape = list(x.shape)
    shape[axis] = size
    return ctx.strided_slice(x, begin, end, strides, shape=shape, begin_mask=others, end_mask=end_mask)


def pad_static(ctx: LoweringContext, x: Sym, pads: Sequence[tuple[int, int]], value: Sym | None = None) -> Sym:
    """Pad `x` by non-negative static (low, high) amounts per axis with `value` (default 0)."""
    pads = [(int(lo), int(hi)) for lo, hi in pads]
    if all(lo == 0 and hi == 0 for lo, hi in pads):
        return x
    if value is None:
        value = ctx.scalar(0, x.dtype)
    g = ctx.graph
    shape = [d + lo + hi for d, (lo, hi) in zip(x.shape, pads)]
    paddings = g.const_array(np.array(pads, np.int32).reshape(len(pads), 2), name="paddings")
    known = const_value(ctx, value)
    if x.dtype == np.int32 and (known is None or abs(int(known)) > 1 << 24):
        # TF.js' WASM PadV2 passes the fill value as a float32: int32 fills beyond 2^24 (INT32_MAX
        # for a min-window) come out wrong. Zero padding plus the fill on a 0/1 mask is exact.
        zero = ctx.scalar(0, np.int32)
        padded = g.op("PadV2", [x, paddings, zero], {"Tpaddings": attr_type(np.int32)}, shape=shape, dtype=x.dtype)
        ones = g.op("OnesLike", [x], shape=x.shape, dtype=x.dtype)
        inside = g.op("PadV2", [ones, paddings, zero], {"Tpaddings": attr_type(np.int32)}, shape=shape, dtype=x.dtype)
        outside = g.op("Sub", [ctx.scalar(1, np.int32), inside], shape=shape, dtype=x.dtype)
        return g.op("AddV2", [padded, g.op("Mul", [outside, value], shape=shape, dtype=x.dtype)], shape=shape,
                    dtype=x.dtype)
    return g.op("PadV2", [x, paddings, value], {"Tpaddings": attr_type(np.int32)}, shape=shape, dtype=x.dtype)


def dilate_axis(ctx: LoweringContext, x: Sym, axis: int, factor: int, value: Sym | None = None) -> Sym:
    """Insert `factor - 1` copies of `value` (default 0) between neighbours along `axis`
    (XLA's interior padding / base dilation), with Pad and Reshape only."""
    if factor == 1:
        return x
    n = x.shape[axis]
    y = ctx.expand_dims(x, axis + 1)
    pads = [(0, 0)] * y.rank
    pads[axis + 1] = (0, factor - 1)
    y = pad_static(ctx, y, pads, value)
    shape = list(x.shape)
    shape[axis] = n * factor
    y = ctx.reshape(y, shape)
    return slice_axis(ctx, y, axis, 0, -(factor - 1), n * factor - (factor - 1))


def crop_negative(ctx: LoweringContext, x: Sym, pads: Sequence[tuple[Any, Any]]) -> tuple[Sym, list[tuple[int, int]]]:
    """Apply the negative parts of (low, high) paddings as slices; returns x and the rest."""
    rest = []
    for axis, (lo, hi) in enumerate(pads):
        lo, hi = int(lo), int(hi)
        if lo < 0 or hi < 0:
            start = -lo if lo < 0 else 0
            stop = hi if hi < 0 else None
            size = x.shape[axis] + min(lo, 0) + min(hi, 0)
            x = slice_axis(ctx, x, axis, start, stop, size)
        rest.append((max(lo, 0), max(hi, 0)))
    return x, rest


def multi_output(ctx: LoweringContext, op: str, inputs: Sequence[Sym], attrs: dict,
                 outputs: Sequence[tuple[Sequence[Any], Any]], name: str | None = None) -> list[Sym]:
    """Add a node with several outputs; returns one `Sym` per (shape, dtype) in `outputs`."""
    from ..dtypes import tfjs_dtype

    ref = ctx.graph.add_node(op, inputs, attrs, name)
    return [Sym(ref if i == 0 else f"{ref}:{i}", tuple(shape), np.dtype(tfjs_dtype(dtype)))
            for i, (shape, dtype) in enumerate(outputs)]


def lowest(dtype) -> Any:
    """The identity of `max` for `dtype` (-inf, or the smallest integer)."""
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(np.int32).min


def highest(dtype) -> Any:
    """The identity of `min` for `dtype` (+inf, or the largest integer)."""
    dtype = np.dtype(dtype)
    return np.inf if dtype.kind == "f" else np.iinfo(np.int32).max
