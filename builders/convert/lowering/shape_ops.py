"""Shape manipulation: broadcast, reshape, squeeze, transpose, slice, concatenate, iota."""

from __future__ import annotations

import numpy as np

from ..graph import Sym, attr_int, attr_type, is_static_dim
from . import register
from .common import LoweringContext, multi_output, out_aval


@register("broadcast_in_dim")
def lower_broadcast_in_dim(ctx: LoweringContext, eqn, x: Sym, *dyn_shape: Sym):
    if dyn_shape:
        raise NotImplementedError("broadcast_in_dim with dynamic shape operands")
    shape = tuple(eqn.params["shape"])
    dims = tuple(eqn.params["broadcast_dimensions"])
    y = x
    # Insert size-1 axes where the output has dimensions the operand lacks.
    for axis in range(len(shape)):
        if axis not in dims:
            y = ctx.expand_dims(y, axis)
    return [ctx.broadcast_to(y, shape)]


@register("reshape")
def lower_reshape(ctx: LoweringContext, eqn, x: Sym, *dyn_shape: Sym):
    if dyn_shape:
        raise NotImplementedError("reshape with dynamic shape operands")
    if eqn.params.get("dimensions") not in (None, ()):
        x = ctx.transpose(x, eqn.params["dimensions"])
    return [ctx.reshape(x, out_aval(eqn).shape)]


@register("squeeze")
def lower_squeeze(ctx: LoweringContext, eqn, x: Sym):
    return [ctx.squeeze(x, eqn.params["dimensions"])]


@register("expand_dims")
def lower_expand_dims(ctx: LoweringContext, eqn, x: Sym):
    for axis in sorted(eqn.params["dimensions"]):
        x = ctx.expand_dims(x, axis)
    return [x]


@register("transpose")
def lower_transpose(ctx: LoweringContext, eqn, x: Sym):
    return [ctx.transpose(x, eqn.params["permutation"])]


@register("slice")
def lower_slice(ctx: LoweringContext, eqn, x: Sym):
    start = tuple(eqn.params["start_indices"])
    limit = tuple(eqn.params["limit_indices"])
    strides = eqn.params.get("strides") or (1,) * len(start)
    aval = out_aval(eqn)
    if not all(is_static_dim(v) for v in start + limit):
        # Slices that end at a symbolic size run to the end of that axis (end_mask).
        end_mask = 0
        ends = []
        for axis, (lim, dim) in enumerate(zip(limit, x.shape)):
            if not is_static_dim(lim):
                if str(lim) != str(dim):
                    raise NotImplementedError("slice with a symbolic bound other than the full size")
                end_mask |= 1 << axis
                ends.append(0)
            else:
                ends.append(int(lim))
        return [ctx.strided_slice(x, [int(s) for s in start], ends, list(strides), shape=aval.shape,
                                  end_mask=end_mask)]
    return [ctx.strided_slice(x, list(start), list(limit), list(strides), shape=aval.shape)]


@register("concatenate")
def lower_concatenate(ctx: LoweringContext, eqn, *xs: Sym):
    aval = out_aval(eqn)
    if len(xs) == 1:
        return [xs[0]]
    axis = ctx.graph.const_array(np.int32(eqn.params["dimension"]), name="axis")
    return [ctx.graph.op("ConcatV2", [*xs, axis], {"N": attr_int(len(xs)), "Tidx": attr_type(np.int32)},
                         shape=aval.shape, dtype=aval.dtype)]


@register("stack")
def lower_stack(ctx: LoweringContext, eqn, *xs: Sym):
    """`jnp.stack` (a primitive of its own since JAX 0.8): TF's Pack."""
    aval = out_aval(eqn)
    return [ctx.graph.op("Pack", list(xs), {"axis": attr_int(int(eqn.params["axis"])), "N": attr_int(len(xs))},
                         shape=aval.shape, dtype=aval.dtype)]


@register("unstack")
def lower_unstack(ctx: LoweringContext, eqn, x: Sym):
    """`jnp.unstack` / iterating over an array's axis: TF's Unpack, one output per slice."""
    axis = int(eqn.params["axis"])
    outs = [(tuple(v.aval.shape), v.aval.dtype) for v in eqn.outvars]
    return multi_output(ctx, "Unpack", [x], {"axis": attr_int(axis), "num": attr_int(len(outs)),
                                              "T": attr_type(x.dtype)}, outs)


@register("tile")
def lower_tile(ctx: LoweringContext, eqn, x: Sym):
    """`jnp.tile` (a primitive since JAX 0.8): TF's Tile."""
    aval = out_aval(eqn)
    reps = [int(r) for r in eqn.params["reps"]]
    multiples = ctx.graph.const_array(np.array(reps, np.int32), name="multiples")
    return [ctx.graph.op("Tile", [x, multiples], {"Tmultiples": attr_type(np.int32)},
                         shape=aval.shape, dtype=aval.dtype)]


@register("sharding_constraint", "layout_constraint", "reshard", "pvary")
def lower_placement(ctx: LoweringContext, eqn, *xs: Sym):
    """Where a value lives (devices, layout): nothing to compute in a single-device browser."""
    return list(xs)


@register("iota")
def lower_iota(ctx: LoweringContext, eqn):
    aval = out_aval(eqn)
    dimension = int(eqn.params["dimension"])
    g = ctx.graph
    n = aval.shape[dimension]
    dtype = np.dtype(aval.dtype)
    limit = g.dim_tensor(n)
    if dtype != np.int32:
        limit = ctx.cast(limit, dtype)
    rng = g.op("Range", [ctx.scalar(0, dtype), limit, ctx.scalar(1, dtype)], {"Tidx": attr_type(dtype)},
               shape=(n,), dtype=dtype)
    shape = [1] * len(aval.shape)
    shape[dimension] = n
    return [ctx.broadcast_to(ctx.reshape(rng, shape), aval.shape)]


@register("dim_as_value")
def lower_dim_as_value(ctx: LoweringContext, eqn):
    return [ctx.graph.dim_tensor(eqn.params["dim"])]
