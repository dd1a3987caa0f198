"""`conv_general_dilated` lowered to Conv2D, DepthwiseConv2dNative and Conv2DBackpropInput.

Every layout is brought to NHWC input / HWIO filter with transposes (free when
the model already uses Flax's NHWC/HWIO layout); 1-D convolutions get a unit
height axis. Grouped convolutions that are not depthwise become one Conv2D per
group, since TF.js' Conv2D has no groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from jax import lax

from ..graph import Sym, attr_int_list, attr_str, attr_type, dims_equal, is_static_dim
from . import register
from .common import LoweringContext, crop_negative, dilate_axis, out_aval, slice_axis


def is_same_padding(in_sizes: Sequence[Any], kernels: Sequence[int], strides: Sequence[int],
                    pads: Sequence[tuple[Any, Any]]) -> bool:
    """True when `pads` are what SAME gives for these sizes (symbolic sizes included)."""
    try:
        expected = lax.padtype_to_pads(tuple(in_sizes), tuple(kernels), tuple(strides), "SAME")
    except Exception:
        return False
    return all(dims_equal(a, c) and dims_equal(b, d) for (a, b), (c, d) in zip(expected, pads))


def padding_attrs(in_sizes: Sequence[Any], kernels: Sequence[int], strides: Sequence[int],
                  pads: Sequence[tuple[Any, Any]]) -> dict:
    """`padding` (+ `explicit_paddings`) attrs: VALID or SAME when equivalent, else EXPLICIT."""
    static = all(is_static_dim(v) for p in pads for v in p)
    if static and all(int(lo) == 0 and int(hi) == 0 for lo, hi in pads):
        return {"padding": attr_str("VALID")}
    if is_same_padding(in_sizes, kernels, strides, pads):
        return {"padding": attr_str("SAME")}
    if not static:
        raise NotImplementedError("convolution padding that depends on a symbolic size (other than SAME)")
    pads = [(int(lo), int(hi)) for lo, hi in pads]
    flat = [0, 0] + [v for p in pads for v in p] + [0, 0]
    return {"padding": attr_str("EXPLICIT"), "explicit_paddings": attr_int_list(flat)}


def _conv_attrs(strides, dilations, pad_attrs) -> dict:
    return {"strides": attr_int_list([1, *strides, 1]), "dilations": attr_int_list([1, *dilations, 1]),
            "data_format": attr_str("NHWC"), **pad_attrs}


def conv2d_nhwc(ctx: LoweringContext, x: Sym, w: Sym, out_shape: Sequence[Any], *, strides, padding,
                lhs_dilation, rhs_dilation, groups: int) -> Sym:
    """A 2-D convolution of NHWC `x` with HWIO `w` with XLA's semantics."""
    g = ctx.graph
    if any(int(d) > 1 for d in lhs_dilation):
        if groups == 1 and all(int(s) == 1 for s in strides):
            result = _transposed_conv(ctx, x, w, out_shape, padding, lhs_dilation, rhs_dilation)
            if result is not None:
                return result
        for axis, factor in ((1, int(lhs_dilation[0])), (2, int(lhs_dilation[1]))):
            x = dilate_axis(ctx, x, axis, factor)
    if all(is_static_dim(v) for p in padding for v in p):
        x, padding = crop_negative(ctx, x, [(0, 0), *padding, (0, 0)])
        padding = padding[1:3]
    dilations = [int(d) for d in rhs_dilation]
    if any(int(s) > 1 for s in strides) and any(d > 1 for d in dilations):
        # TF.js allows strides or dilations > 1, not both: dilate the filter instead.
        w = dilate_axis(ctx, dilate_axis(ctx, w, 0, dilations[0]), 1, dilations[1])
        dilations = [1, 1]
    kh, kw, cin_per_group, cout = w.shape
    kernels = [(int(kh) - 1) * dilations[0] + 1, (int(kw) - 1) * dilations[1] + 1]
    attrs = _conv_attrs(strides, dilations, padding_attrs(x.shape[1:3], kernels, strides, padding))
    cin = x.shape[3]
    if groups == 1:
        return g.op("Conv2D", [x, w], attrs, shape=out_shape, dtype=x.dtype)
    if int(cin_per_group) == 1 and groups == int(cin):
        # Depthwise: output channel c*M+m reads input channel c, as XLA's group order.
        w_dw = ctx.reshape(w, [kh, kw, cin, int(cout) // int(cin)])
        return g.op("DepthwiseConv2dNative", [x, w_dw], attrs, shape=out_shape, dtype=x.dtype)
    per_out = int(cout) // groups
    per_in = int(cin_per_group)
    parts = []
    for i in range(groups):
        xi = slice_axis(ctx, x, 3, i * per_in, (i + 1) * per_in, per_in)
        wi = slice_axis(ctx, w, 3, i * per_out, (i + 1) * per_out, per_out)
        parts.append(g.op("Conv2D", [xi, wi], attrs, shape=[*out_shape[:3], per_out], dtype=x.dtype))
    axis = g.const_array(np.int32(3), name="axis")
    return g.op("ConcatV2", [*parts, axis], {"N": {"i": str(len(parts))}, "Tidx": attr_type(np.int32)},
                shape=out_shape, dtype=x.dtype)


def _transposed_conv(ctx: LoweringContext, x: Sym, w: Sym, out_shape, padding, lhs_dilation,
                     rhs_dilation) -> Sym | None:
    """An input-dilated convolution as Conv2DBackpropInput (the gradient of a strided conv).

    Returns None when the paddings have no backprop equivalent.
    """
    if not all(is_static_dim(v) for p in padding for v in p):
        return None
    for axis, factor in ((0, int(rhs_dilation[0])), (1, int(rhs_dilation[1]))):
        w = dilate_axis(ctx, w, axis, factor)
    kh, kw = int(w.shape[0]), int(w.shape[1])
    fwd = [(k - 1 - int(lo), k - 1 - int(hi)) for k, (lo, hi) in zip((kh, kw), padding)]
    if any(v < 0 for p in fwd for v in p):
        return None
    g = ctx.graph
    # The forward conv whose input-gradient this is uses the spatially flipped filter
    # with input and output channels swapped.
    flipped = g.op("ReverseV2", [w, g.const_array(np.array([0, 1], np.int32), name="axes")],
                   {"Tidx": attr_type(np.int32)}, shape=w.shape, dtype=w.dtype)
    filt = ctx.transpose(flipped, [0, 1, 3, 2])
    strides = [int(s) for s in lhs_dilation]
    if all(p == (0, 0) for p in fwd):
        pad_attrs = {"padding": attr_str("VALID")}
    else:
        flat = [0, 0] + [v for p in fwd for v in p] + [0, 0]
        pad_attrs = {"padding": attr_str("EXPLICIT"), "explicit_paddings": attr_int_list(flat)}
    sizes = g.shape_tensor(out_shape)
    return g.op("Conv2DBackpropInput", [sizes, filt, x], _conv_attrs(strides, [1, 1], pad_attrs),
                shape=out_shape, dtype=x.dtype)


@register("conv_general_dilated")
def lower_conv_general_dilated(ctx: LoweringContext, eqn, lhs: Sym, rhs: Sym):
    p = eqn.params
    dn = p["dimension_numbers"]
    lhs_spec, rhs_spec, out_spec = (tuple(int(a) for a in s) for s in (dn.lhs_spec, dn.rhs_spec, dn.out_spec))
    if int(p.get("batch_group_count", 1)) != 1:
        raise NotImplementedError("batch_group_count > 1 (weight-gradient convolutions)")
    n_spatial = len(lhs_spec) - 2
    if n_spatial not in (1, 2):
        raise NotImplementedError(f"{n_spatial}-D convolutions (1-D and 2-D are supported)")
    if not all(is_static_dim(d) for d in rhs.shape):
        raise NotImplementedError("convolution kernels with symbolic sizes")
    aval = out_aval(eqn)
    out_dtype = np.dtype(aval.dtype)
    if out_dtype.kind != "f":
        # TF.js' convolution kernels are float32 only and would fail at run time.
        raise NotImplementedError(f"convolution of {out_dtype} values (TF.js convolves float32 only: "
                                  "cast the operands to float32 before the convolution)")
    if any(is_static_dim(d) and int(d) == 0 for d in (*aval.shape, *lhs.shape, *rhs.shape)):
        # An empty output, or a sum over nothing: zeros, which TF.js' kernels cannot produce.
        return [ctx.broadcast_to(ctx.scalar(0, out_dtype), aval.shape)]
    x = ctx.transpose(lhs, [lhs_spec[0], *lhs_spec[2:], lhs_spec[1]])
    w = ctx.transpose(rhs, [*rhs_spec[2:], rhs_spec[1], rhs_spec[0]])
    if x.dtype != out_dtype:
        x = ctx.cast(x, out_dtype)
    if w.dtype != out_dtype:
        w = ctx.cast(w, out_dtype)
    strides = [int(s) for s in p["window_strides"]]
    padding = [tuple(pd) for pd in p["padding"]]
    lhs_dil = [int(d) for d in (p.get("lhs_dilation") or (1,) * n_spatial)]
    rhs_dil = [int(d) for d in (p.get("rhs_dilation") or (1,) * n_spatial)]
    out_nhwc = [aval.shape[out_spec[0]], *[aval.shape[a] for a in out_spec[2:]], aval.shape[out_spec[1]]]
    if n_spatial == 1:
        x = ctx.expand_dims(x, 1)
        w = ctx.expand_dims(w, 0)
        strides, padding, lhs_dil, rhs_dil = [1, *strides], [(0, 0), *padding], [1, *lhs_dil], [1, *rhs_dil]
        out_nhwc = [out_nhwc[0], 1, *out_nhwc[1:]]
    y = conv2d_nhwc(ctx, x, w, out_nhwc, strides=strides, padding=padding, lhs_dilation=lhs_dil,
                    rhs_dilation=rhs_dil, groups=int(p["feature_group_count"]))
    if n_spatial == 1:
        y = ctx.squeeze(y, [1])
    order = [out_spec[0], *out_spec[2:], out_spec[1]]
    return [ctx.transpose(y, [order.index(j) for j in range(len(order))])]
