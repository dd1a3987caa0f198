"""Window reductions (pooling) and cumulative reductions.

`reduce_window_{sum,max,min}` become AvgPool/MaxPool on an NHWC view of the
operand (at most two pooled axes per node; more are applied one pair after the
other, which is exact because a box window is separable). Padded sum windows
are padded with zeros explicitly, since TF's SAME average ignores the padding.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..graph import Sym, attr_bool, attr_int, attr_int_list, attr_str, attr_type, is_static_dim
from . import register
from .common import LoweringContext, dilate_axis, highest, lowest, out_aval, pad_static, slice_axis
from .conv import is_same_padding


def _prod(dims: Sequence[Any]) -> Any:
    return math.prod(dims) if dims else 1


def _pool_nhwc(ctx: LoweringContext, kind: str, x: Sym, window, strides, pads, out_hw) -> Sym:
    """MaxPool (kind 'max') or a window sum (kind 'sum') of NHWC `x` over H and W."""
    g = ctx.graph
    static = all(is_static_dim(v) for p in pads for v in p)
    if kind == "max" and not (static and all(tuple(p) == (0, 0) for p in pads)) and \
            is_same_padding(x.shape[1:3], window, strides, pads):
        padding = "SAME"  # TF's SAME max pooling ignores the padding, like XLA's -inf padding
    else:
        fill = ctx.scalar(lowest(x.dtype) if kind == "max" else 0, x.dtype)
        if static:
            x = pad_static(ctx, x, [(0, 0), *pads, (0, 0)], fill)
        else:  # symbolic amounts (SAME on a symbolic size): paddings computed in the graph
            flat = [0, 0] + [v for p in pads for v in p] + [0, 0]
            parts = [g.dim_tensor(v) if not is_static_dim(v) else ctx.scalar(int(v), np.int32) for v in flat]
            paddings = g.op("Pack", parts, {"axis": attr_int(0), "N": attr_int(len(parts))},
                            shape=(len(parts),), dtype=np.int32)
            paddings = ctx.reshape(paddings, [4, 2])
            shape = [x.shape[0], *[n + lo + hi for n, (lo, hi) in zip(x.shape[1:3], pads)], x.shape[3]]
            x = g.op("PadV2", [x, paddings, fill], {"Tpaddings": attr_type(np.int32)}, shape=shape, dtype=x.dtype)
        padding = "VALID"
    attrs = {"ksize": attr_int_list([1, *window, 1]), "strides": attr_int_list([1, *strides, 1]),
             "padding": attr_str(padding), "data_format": attr_str("NHWC")}
    shape = [x.shape[0], *out_hw, x.shape[3]]
    if kind == "max":
        return g.op("MaxPool", [x], attrs, shape=shape, dtype=x.dtype)
    avg = g.op("AvgPool", [x], attrs, shape=shape, dtype=x.dtype)
    return g.op("Mul", [avg, ctx.scalar(float(window[0] * window[1]), x.dtype)], shape=shape, dtype=x.dtype)


def _out_size(n: Any, window: int, stride: int, pad: tuple[int, int]) -> Any:
    return (n + pad[0] + pad[1] - window) // stride + 1


def reduce_window(ctx: LoweringContext, kind: str, x: Sym, window, strides, pads) -> Sym:
    """Window max or sum over any axes of `x` (kind 'max' or 'sum')."""
    pooled = [i for i in range(x.rank) if window[i] != 1 or strides[i] != 1 or tuple(pads[i]) != (0, 0)]
    if not pooled:
        return x
    if len(pooled) > 2:
        first = pooled[:2]
        w1 = [window[i] if i in first else 1 for i in range(x.rank)]
        s1 = [strides[i] if i in first else 1 for i in range(x.rank)]
        p1 = [tuple(pads[i]) if i in first else (0, 0) for i in range(x.rank)]
        y = reduce_window(ctx, kind, x, w1, s1, p1)
        w2 = [1 if i in first else window[i] for i in range(x.rank)]
        s2 = [1 if i in first else strides[i] for i in range(x.rank)]
        p2 = [(0, 0) if i in first else tuple(pads[i]) for i in range(x.rank)]
        return reduce_window(ctx, kind, y, w2, s2, p2)
    others = [i for i in range(x.rank) if i not in pooled]
    channel = [others[-1]] if others and others[-1] == x.rank - 1 else []
    batch = [i for i in others if i not in channel]
    perm = batch + pooled + channel
    xt = ctx.transpose(x, perm)
    batch_dims = [x.shape[i] for i in batch]
    pooled_dims = [x.shape[i] for i in pooled]
    c = x.shape[channel[0]] if channel else 1
    win = [int(window[i]) for i in pooled]
    st = [int(strides[i]) for i in pooled]
    pd = [tuple(pads[i]) for i in pooled]
    out_pooled = [_out_size(n, w, s, p) for n, w, s, p in zip(pooled_dims, win, st, pd)]
    if len(pooled) == 1:
        pooled_dims, win, st, pd, out_hw = pooled_dims + [1], win + [1], st + [1], pd + [(0, 0)], out_pooled + [1]
    else:
        out_hw = out_pooled
    x4 = ctx.reshape(xt, [_prod(batch_dims), *pooled_dims, c])
    y4 = _pool_nhwc(ctx, kind, x4, win, st, pd, out_hw)
    yt = ctx.reshape(y4, [*batch_dims, *out_pooled, *([c] if channel else [])])
    inverse = [perm.index(i) for i in range(x.rank)]
    return ctx.transpose(yt, inverse)


@register("reduce_window_sum", "reduce_window_max", "reduce_window_min")
def lower_reduce_window(ctx: LoweringContext, eqn, x: Sym):
    p = eqn.params
    if any(int(d) != 1 for d in p["base_dilation"]) or any(int(d) != 1 for d in p["window_dilation"]):
        raise NotImplementedError("dilated windows (base_dilation / window_dilation > 1)")
    aval = out_aval(eqn)
    name = eqn.primitive.name
    window = [int(w) for w in p["window_dimensions"]]
    strides = [int(s) for s in p["window_strides"]]
    pads = [tuple(pd) for pd in p["padding"]]
    y = x
    # Pooling kernels compute in float32; integers up to 2**24 round-trip exactly.
    if x.dtype != np.float32:
        y = ctx.cast(y, np.float32)
    if name == "reduce_window_min":
        y = ctx.graph.op("Neg", [y], shape=y.shape, dtype=y.dtype)
    y = reduce_window(ctx, "sum" if name == "reduce_window_sum" else "max", y, window, strides, pads)
    if name == "reduce_window_min":
        y = ctx.graph.op("Neg", [y], shape=y.shape, dtype=y.dtype)
    y = ctx.cast(y, aval.dtype)
    return [Sym(y.ref, tuple(aval.shape), y.dtype)]


# ---- cumulative reductions ------------------------------------------------------------------

@register("cumsum", "cumprod")
def lower_cumsum(ctx: LoweringContext, eqn, x: Sym):
    aval = out_aval(eqn)
    op = "Cumsum" if eqn.primitive.name == "cumsum" else "Cumprod"
    axis = ctx.graph.const_array(np.int32(eqn.params["axis"]), name="axis")
    attrs = {"exclusive": attr_bool(False), "reverse": attr_bool(bool(eqn.params["reverse"])),
             "Tidx": attr_type(np.int32)}
    return [ctx.graph.op(op, [x, axis], attrs, shape=aval.shape, dtype=aval.dtype)]


def _scan(ctx: LoweringContext, x: Sym, axis: int, reverse: bool, identity: Any, combine) -> Sym:
    """Inclusive scan by doubling: log2(n) shifted combines, no loops in the graph."""
    n = x.shape[axis]
    if not is_static_dim(n):
        raise NotImplementedError("cumulative max/min along a symbolic axis")
    n = int(n)
    fill = ctx.scalar(identity, x.dtype)
    shift = 1
    while shift < n:
        pads = [(0, 0)] * x.rank
        pads[axis] = (0, shift) if reverse else (shift, 0)
        padded = pad_static(ctx, x, pads, fill)
        shifted = slice_axis(ctx, padded, axis, shift, None, n) if reverse else \
            slice_axis(ctx, padded, axis, 0, n, n)
        x = combine(x, shifted)
        shift *= 2
    return x


@register("cummax", "cummin", "cumlogsumexp")
def lower_cummax(ctx: LoweringContext, eqn, x: Sym):
    g = ctx.graph
    name = eqn.primitive.name
    axis = int(eqn.params["axis"])
    reverse = bool(eqn.params["reverse"])

    def op(kind, *args):
        return g.op(kind, list(args), shape=x.shape, dtype=x.dtype)

    if name == "cummax":
        return [_scan(ctx, x, axis, reverse, lowest(x.dtype), lambda a, b: op("Maximum", a, b))]
    if name == "cummin":
        return [_scan(ctx, x, axis, reverse, highest(x.dtype), lambda a, b: op("Minimum", a, b))]

    def logaddexp(a, b):
        # max(a, b) + log1p(exp(-|a - b|)); equal infinities give a NaN difference, so mask it.
        hi = op("Maximum", a, b)
        diff = op("Abs", op("Sub", a, b))
        finite = g.op("IsFinite", [diff], shape=x.shape, dtype=np.bool_)
        safe = g.op("SelectV2", [finite, diff, ctx.scalar(np.inf, x.dtype)], {"T": attr_type(x.dtype)},
                    shape=x.shape, dtype=x.dtype)
        return op("AddV2", hi, op("Log1p", op("Exp", op("Neg", safe))))

    return [_scan(ctx, x, axis, reverse, -np.inf, logaddexp)]


# ---- reductions with a body: lax.reduce / lax.reduce_window with any init value ---------------

BODY_OPS = {"add": "AddV2", "mul": "Mul", "max": "Maximum", "min": "Minimum"}
MAX_WINDOW_OFFSETS = 256  # window positions summed one slice each


def elementwise_body(jaxpr, n: int) -> list[str] | None:
    """For a body `(acc_0..acc_n-1, x_0..x_n-1) -> (op_0(acc_0, x_0), ...)`, the TF op of each
    operand; None for any other body (comparisons across operands, several equations per output)."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    if len(jaxpr.eqns) != n or len(jaxpr.invars) != 2 * n:
        return None
    ops = []
    for i, out in enumerate(jaxpr.outvars):
        eqn = next((e for e in jaxpr.eqns if e.outvars[0] is out), None)
        if eqn is None or eqn.primitive.name not in BODY_OPS or len(eqn.invars) != 2:
            return None
        if {id(v) for v in eqn.invars} != {id(jaxpr.invars[i]), id(jaxpr.invars[n + i])}:
            return None
        ops.append(BODY_OPS[eqn.primitive.name])
    return ops


def _combine(ctx: LoweringContext, op: str, a: Sym, b: Sym, shape) -> Sym:
    return ctx.graph.op(op, [a, b], shape=shape, dtype=a.dtype if a.rank >= b.rank else b.dtype)


@register("reduce")
def lower_reduce_generic(ctx: LoweringContext, eqn, *args: Sym):
    """`lax.reduce` with an elementwise body (add, mul, max, min per operand) and any init value:
    TF's reduction of each operand, combined once with its init value."""
    n = len(args) // 2
    ops = elementwise_body(eqn.params["jaxpr"], n)
    if ops is None:
        raise NotImplementedError("reduce whose body is not one add/mul/max/min per operand")
    axes = [int(d) for d in eqn.params["dimensions"]]
    outs = []
    for i, (x, init, op) in enumerate(zip(args[:n], args[n:], ops)):
        aval = out_aval(eqn, i)
        if x.dtype == np.bool_:
            raise NotImplementedError("reduce of booleans with a body")
        reduce_op = {"AddV2": "Sum", "Mul": "Prod", "Maximum": "Max", "Minimum": "Min"}[op]
        reduced = ctx.reduce(reduce_op, x, axes) if axes else x
        outs.append(_combine(ctx, op, reduced, init, aval.shape))
    return outs


@register("reduce_window")
def lower_reduce_window_generic(ctx: LoweringContext, eqn, *args: Sym):
    """`lax.reduce_window` with an elementwise body and any init value: one strided slice per
    window position combined with the body's op, then the init value once. Padded positions
    take no part (JAX's result on CPU), so the padding is the op's identity."""
    p = eqn.params
    n = len(args) // 2
    ops = elementwise_body(p["jaxpr"], n)
    if ops is None or p.get("consts"):
        raise NotImplementedError("reduce_window whose body is not one add/mul/max/min per operand")
    if any(int(d) != 1 for d in p["base_dilation"]) or any(int(d) != 1 for d in p["window_dilation"]):
        raise NotImplementedError("dilated windows (base_dilation / window_dilation > 1)")
    window = [int(w) for w in p["window_dimensions"]]
    strides = [int(s) for s in p["window_strides"]]
    pads = [(int(lo), int(hi)) for lo, hi in p["padding"]]
    if math.prod(window) > MAX_WINDOW_OFFSETS or any(lo < 0 or hi < 0 for lo, hi in pads):
        raise NotImplementedError(f"reduce_window with more than {MAX_WINDOW_OFFSETS} window positions or "
                                  "negative padding")
    outs = []
    for i, (x, init, op) in enumerate(zip(args[:n], args[n:], ops)):
        aval = out_aval(eqn, i)
        if x.dtype == np.bool_:
            raise NotImplementedError("reduce_window of booleans with a body")
        identity = {"AddV2": 0, "Mul": 1, "Maximum": lowest(x.dtype), "Minimum": highest(x.dtype)}[op]
        padded = pad_static(ctx, x, pads, ctx.scalar(identity, x.dtype))
        out_shape = list(aval.shape)
        acc = None
        for offset in itertools.product(*[range(w) for w in window]):
            end = [o + (m - 1) * s + 1 for o, m, s in zip(offset, out_shape, strides)]
            part = ctx.strided_slice(padded, list(offset), end, strides, shape=out_shape)
            acc = part if acc is None else _combine(ctx, op, acc, part, out_shape)
        outs.append(_combine(ctx, op, init, acc, out_shape))
    return outs


def _window_params(p, operand: Sym, others: Sequence[Sym], what: str):
    select = getattr(p["select_prim"], "name", str(p["select_prim"]))
    if select not in ("ge", "le", "gt", "lt"):
        raise NotImplementedError(f"{what} selecting with '{select}'")
    if not all(is_static_dim(d) for x in (operand, *others) for d in x.shape):
        raise NotImplementedError(f"{what} with symbolic sizes")
    if any(int(d) != 1 for d in (*p.get("base_dilation", ()), *p.get("window_dilation", ()))):
        raise NotImplementedError(f"{what} with dilated windows")
    window = [int(w) for w in p["window_dimensions"]]
    strides = [int(s) for s in p["window_strides"]]
    pads = [(int(lo), int(hi)) for lo, hi in p["padding"]]
    offsets = list(itertools.product(*[range(w) for w in window]))
    if len(offsets) > MAX_WINDOW_OFFSETS or any(lo < 0 or hi < 0 for lo, hi in pads):
        raise NotImplementedError(f"{what} with more than {MAX_WINDOW_OFFSETS} window positions or negative padding")
    return select, strides, pads, offsets


def _patches(ctx: LoweringContext, x: Sym, pads, fill, offsets, strides, out: list[int]) -> list[Sym]:
    """One strided slice of the padded `x` per window position: patch k holds, for every output
    position, the element at window offset k."""
    padded = pad_static(ctx, x, pads, ctx.scalar(fill, x.dtype))
    parts = []
    for offset in offsets:
        end = [o + (m - 1) * s + 1 for o, m, s in zip(offset, out, strides)]
        parts.append(ctx.strided_slice(padded, list(offset), end, strides, shape=out))
    return parts


def _winner(ctx: LoweringContext, operand: Sym, select: str, pads, offsets, strides, out: list[int]) -> Sym:
    """Per output position, the index of the window position XLA's select keeps: the first
    maximum for `ge` (minimum for `le`), the last for `gt`/`lt`."""
    g = ctx.graph
    maximum = select in ("ge", "gt")
    fill = lowest(operand.dtype) if maximum else highest(operand.dtype)
    parts = _patches(ctx, operand, pads, fill, offsets, strides, out)
    stacked = g.op("Pack", parts, {"axis": attr_int(0), "N": attr_int(len(parts))}, shape=[len(parts), *out],
                   dtype=operand.dtype)
    last = select in ("gt", "lt")
    if last:
        stacked = g.op("ReverseV2", [stacked, g.const_array(np.array([0], np.int32))], {"Tidx": attr_type(np.int32)},
                       shape=stacked.shape, dtype=stacked.dtype)
    winner = g.op("ArgMax" if maximum else "ArgMin", [stacked, g.const_array(np.int32(0))],
                  {"output_type": attr_type(np.int32), "Tidx": attr_type(np.int32)}, shape=out, dtype=np.int32)
    if last:
        winner = g.op("Sub", [ctx.scalar(len(parts) - 1, np.int32), winner], shape=out, dtype=np.int32)
    return winner


@register("select_and_gather_add")
def lower_select_and_gather_add(ctx: LoweringContext, eqn, tangents: Sym, operand: Sym):
    """Max (or min) pooling's forward-mode derivative: per window, the tangent at the position
    of the operand's selected extreme."""
    p = eqn.params
    select, strides, pads, offsets = _window_params(p, operand, [tangents], "select_and_gather_add")
    aval = out_aval(eqn)
    out = [int(d) for d in aval.shape]
    g = ctx.graph
    if operand.dtype == np.bool_:
        operand = ctx.cast(operand, np.int32)
    winner = _winner(ctx, operand, select, pads, offsets, strides, out)
    result = ctx.broadcast_to(ctx.scalar(0, tangents.dtype), out)
    for k, part in enumerate(_patches(ctx, tangents, pads, 0, offsets, strides, out)):
        chosen = g.op("Equal", [winner, ctx.scalar(k, np.int32)], shape=out, dtype=np.bool_)
        result = g.op("SelectV2", [chosen, part, result], {"T": attr_type(tangents.dtype)}, shape=out,
                      dtype=tangents.dtype)
    return [result]


@register("select_and_scatter_add")
def lower_select_and_scatter_add(ctx: LoweringContext, eqn, source: Sym, operand: Sym):
    """The gradient of max (or min) pooling: each window's source value is added where the
    operand's selected extreme of that window is. The winner is an ArgMax over the window
    positions' strided slices; each position's share is put back by dilation and padding."""
    p = eqn.params
    select, strides, pads, offsets = _window_params(p, operand, [source], "select_and_scatter_add")
    if source.dtype == np.bool_:  # a sum of booleans is their or: computed as 0/1 int32
        aval = out_aval(eqn)
        out = _select_and_scatter(ctx, ctx.cast(source, np.int32), ctx.cast(operand, np.int32), select, strides, pads,
                                  offsets, aval.shape)
        return [ctx.cast(out, np.bool_)]
    return [_select_and_scatter(ctx, source, operand, select, strides, pads, offsets, out_aval(eqn).shape)]


def _select_and_scatter(ctx: LoweringContext, source: Sym, operand: Sym, select, strides, pads, offsets,
                        out_shape) -> Sym:
    g = ctx.graph
    out = [int(d) for d in source.shape]
    winner = _winner(ctx, operand, select, pads, offsets, strides, out)
    zero = ctx.broadcast_to(ctx.scalar(0, source.dtype), out)
    total = None
    padded_shape = [int(d) + lo + hi for d, (lo, hi) in zip(operand.shape, pads)]
    for k, offset in enumerate(offsets):
        chosen = g.op("Equal", [winner, ctx.scalar(k, np.int32)], shape=out, dtype=np.bool_)
        share = g.op("SelectV2", [chosen, source, zero], {"T": attr_type(source.dtype)}, shape=out,
                     dtype=source.dtype)
        for axis_i, stride in enumerate(strides):
            share = dilate_axis(ctx, share, axis_i, stride)
        placed = pad_static(ctx, share, [(o, n - o - int(d)) for o, n, d in zip(offset, padded_shape, share.shape)])
        total = placed if total is None else g.op("AddV2", [total, placed], shape=padded_shape, dtype=source.dtype)
    cropped = ctx.strided_slice(total, [lo for lo, _ in pads], [n - hi for n, (_, hi) in zip(padded_shape, pads)],
                                shape=out_shape)
    return Sym(cropped.ref, tuple(out_shape), cropped.dtype)
