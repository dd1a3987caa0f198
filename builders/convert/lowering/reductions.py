"""Reductions over axes, argmax/argmin."""

from __future__ import annotations

import numpy as np

from ..graph import Sym, attr_type
from . import register
from .common import LoweringContext, out_aval

REDUCE_OPS = {"reduce_sum": "Sum", "reduce_max": "Max", "reduce_min": "Min", "reduce_prod": "Prod",
              "reduce_and": "All", "reduce_or": "Any"}


@register(*REDUCE_OPS)
def lower_reduce(ctx: LoweringContext, eqn, x: Sym):
    op = REDUCE_OPS[eqn.primitive.name]
    if x.dtype == np.bool_ and op in ("Max", "Min"):
        op = "Any" if op == "Max" else "All"  # TF.js' Max/Min have no bool kernel; JAX keeps bool
    if op in ("All", "Any"):
        if x.dtype != np.bool_:
            raise NotImplementedError(f"{eqn.primitive.name} on non-boolean values")
        axes = tuple(int(a) for a in eqn.params["axes"])
        if not axes:
            return [x]
        axes_t = ctx.graph.const_array(np.array(axes, np.int32), name="axes")
        shape = [d for i, d in enumerate(x.shape) if i not in axes]
        return [ctx.graph.op(op, [x, axes_t], {"keep_dims": {"b": False}, "Tidx": attr_type(np.int32)},
                             shape=shape, dtype=np.bool_, typed=False)]
    return [ctx.reduce(op, x, eqn.params["axes"])]


@register("argmax", "argmin")
def lower_argmax(ctx: LoweringContext, eqn, x: Sym):
    """TF's ArgMax/ArgMin (first index among ties, like JAX), plus JAX's NaN rule: both
    argmax and argmin pick the first NaN along the axis when there is one (TF.js' kernels
    skip NaN, since every comparison with it is false)."""
    (axis,) = eqn.params["axes"]
    aval = out_aval(eqn)
    g = ctx.graph
    op = "ArgMax" if eqn.primitive.name == "argmax" else "ArgMin"
    if x.dtype == np.bool_:
        x = ctx.cast(x, np.int32)
    index = _arg_reduce(ctx, op, x, axis, aval.shape)
    if x.dtype.kind != "f":
        return [index]
    is_nan = g.op("IsNan", [x], shape=x.shape, dtype=np.bool_)
    has_nan = g.op("Any", [is_nan, g.const_array(np.array([axis], np.int32), name="axes")],
                   {"keep_dims": {"b": False}, "Tidx": attr_type(np.int32)},
                   shape=aval.shape, dtype=np.bool_, typed=False)
    first_nan = _arg_reduce(ctx, "ArgMax", ctx.cast(is_nan, np.int32), axis, aval.shape)
    return [g.op("SelectV2", [has_nan, first_nan, index], {"T": attr_type(np.int32)},
                 shape=aval.shape, dtype=np.int32)]


def _arg_reduce(ctx: LoweringContext, op: str, x: Sym, axis: int, shape) -> Sym:
    axis_t = ctx.graph.const_array(np.int32(axis), name="axis")
    return ctx.graph.op(op, [x, axis_t], {"output_type": attr_type(np.int32), "Tidx": attr_type(np.int32)},
                        shape=shape, dtype=np.int32)
