"""Elementwise primitives: arithmetic, comparisons, math functions, casts, select."""

from __future__ import annotations

import numpy as np

from ..graph import Sym, attr_type, dims_equal
from . import register
from .common import LoweringContext, const_value, out_aval

UNARY_OPS = {
    "neg": "Neg", "exp": "Exp", "log": "Log", "tanh": "Tanh", "logistic": "Sigmoid",
    "abs": "Abs", "sign": "Sign", "sqrt": "Sqrt", "rsqrt": "Rsqrt", "square": "Square",
    "floor": "Floor", "ceil": "Ceil", "sin": "Sin", "cos": "Cos", "tan": "Tan",
    "asin": "Asin", "acos": "Acos", "atan": "Atan", "sinh": "Sinh", "cosh": "Cosh",
    "asinh": "Asinh", "acosh": "Acosh", "atanh": "Atanh", "erf": "Erf", "log1p": "Log1p",
    "expm1": "Expm1", "is_finite": "IsFinite",
}

BINARY_OPS = {
    "add": "AddV2", "sub": "Sub", "mul": "Mul",
    "pow": "Pow", "atan2": "Atan2", "eq": "Equal", "ne": "NotEqual", "lt": "Less",
    "le": "LessEqual", "gt": "Greater", "ge": "GreaterEqual",
}

COMPARISONS = {"eq", "ne", "lt", "le", "gt", "ge"}


def _unbroadcast(ctx: LoweringContext, a: Sym, b: Sym) -> tuple[Sym, Sym]:
    """Use the pre-broadcast tensor of an operand when TF's implicit broadcasting gives
    the same result (the other operand already has the full shape)."""
    def full(x: Sym, other: Sym) -> bool:
        return x.rank == other.rank and all(dims_equal(p, q) for p, q in zip(x.shape, other.shape))

    src_a = ctx.broadcast_sources.get(a.ref)
    if src_a is not None and full(b, a):
        a = src_a
    src_b = ctx.broadcast_sources.get(b.ref)
    if src_b is not None and full(a, b):
        b = src_b
    return a, b


def binary(ctx: LoweringContext, op: str, a: Sym, b: Sym, out_shape, out_dtype) -> Sym:
    a, b = _unbroadcast(ctx, a, b)
    return ctx.graph.op(op, [a, b], shape=out_shape, dtype=out_dtype)


@register(*UNARY_OPS)
def lower_unary(ctx: LoweringContext, eqn, x: Sym):
    aval = out_aval(eqn)
    name = eqn.primitive.name
    if name == "abs" and x.dtype == np.bool_:
        return [x]
    return [ctx.graph.op(UNARY_OPS[name], [x], shape=aval.shape, dtype=aval.dtype)]


@register("max", "min")
def lower_max_min(ctx: LoweringContext, eqn, a: Sym, b: Sym):
    """Maximum/Minimum, with JAX's NaN: TF.js' WASM kernels keep the first operand when a
    comparison with NaN fails, so a NaN second operand is lost; a constant goes second (ReLU's
    0 then costs nothing) and a second operand that can be NaN gets a select. Booleans: or/and."""
    aval = out_aval(eqn)
    name = eqn.primitive.name
    g = ctx.graph
    if a.dtype == np.bool_:
        op = "LogicalOr" if name == "max" else "LogicalAnd"
        return [g.op(op, list(_unbroadcast(ctx, a, b)), shape=aval.shape, dtype=np.bool_, typed=False)]
    op = "Maximum" if name == "max" else "Minimum"
    if const_value(ctx, a) is not None and const_value(ctx, b) is None:
        a, b = b, a
    out = binary(ctx, op, a, b, aval.shape, aval.dtype)
    constant = const_value(ctx, b)
    if a.dtype.kind != "f" or (constant is not None and not np.isnan(constant).any()):
        return [out]
    b_nan = g.op("IsNan", [b], shape=b.shape, dtype=np.bool_)
    return [g.op("SelectV2", [b_nan, ctx.broadcast_to(b, aval.shape) if tuple(b.shape) != tuple(aval.shape) else b,
                              out], {"T": attr_type(aval.dtype)}, shape=aval.shape, dtype=aval.dtype)]


@register(*BINARY_OPS)
def lower_binary(ctx: LoweringContext, eqn, a: Sym, b: Sym):
    aval = out_aval(eqn)
    name = eqn.primitive.name
    return [binary(ctx, BINARY_OPS[name], a, b, aval.shape, aval.dtype)]


@register("div")
def lower_div(ctx: LoweringContext, eqn, a: Sym, b: Sym):
    aval = out_aval(eqn)
    if a.dtype == np.float32:
        return [binary(ctx, "RealDiv", a, b, aval.shape, aval.dtype)]
    # lax.div on integers truncates towards zero; TF's FloorDiv floors.
    g = ctx.graph
    sign = binary(ctx, "Mul", g.op("Sign", [a], shape=a.shape, dtype=a.dtype),
                  g.op("Sign", [b], shape=b.shape, dtype=b.dtype), aval.shape, aval.dtype)
    quotient = binary(ctx, "FloorDiv", g.op("Abs", [a], shape=a.shape, dtype=a.dtype),
                      g.op("Abs", [b], shape=b.shape, dtype=b.dtype), aval.shape, aval.dtype)
    return [g.op("Mul", [sign, quotient], shape=aval.shape, dtype=aval.dtype)]


@register("rem")
def lower_rem(ctx: LoweringContext, eqn, a: Sym, b: Sym):
    # lax.rem takes the sign of the dividend (C fmod); TF's FloorMod the divisor's.
    aval = out_aval(eqn)
    g = ctx.graph
    magnitude = binary(ctx, "FloorMod", g.op("Abs", [a], shape=a.shape, dtype=a.dtype),
                       g.op("Abs", [b], shape=b.shape, dtype=b.dtype), aval.shape, aval.dtype)
    sign = g.op("Sign", [a], shape=a.shape, dtype=a.dtype)
    return [binary(ctx, "Mul", sign, magnitude, aval.shape, aval.dtype)]


@register("integer_pow")
def lower_integer_pow(ctx: LoweringContext, eqn, x: Sym):
    aval = out_aval(eqn)
    y = int(eqn.params["y"])
    g = ctx.graph
    if y == 0:
        return [ctx.broadcast_to(ctx.scalar(1, x.dtype), aval.shape)]
    power = abs(y)
    result = None
    base = x
    # Exponentiation by squaring: exact for integers, few kernels for floats.
    while power:
        if power & 1:
            result = base if result is None else g.op("Mul", [result, base], shape=x.shape, dtype=x.dtype)
        power >>= 1
        if power:
            base = g.op("Square", [base], shape=x.shape, dtype=x.dtype)
    if y < 0:
        result = g.op("Reciprocal", [result], shape=x.shape, dtype=x.dtype)
    return [result]


@register("exp2")
def lower_exp2(ctx: LoweringContext, eqn, x: Sym):
    aval = out_aval(eqn)
    return [ctx.graph.op("Pow", [ctx.scalar(2.0, x.dtype), x], shape=aval.shape, dtype=aval.dtype)]


@register("convert_element_type")
def lower_convert(ctx: LoweringContext, eqn, x: Sym):
    return [ctx.cast(x, eqn.params["new_dtype"])]


@register("stop_gradient", "optimization_barrier", "copy", "copy_p", "device_put")
def lower_identity(ctx: LoweringContext, eqn, *xs: Sym):
    return list(xs)


@register("bitcast_convert_type")
def lower_bitcast(ctx: LoweringContext, eqn, x: Sym):
    """Only to the same dtype (the identity): TF.js has no bit casts between types."""
    if np.dtype(eqn.params["new_dtype"]) != np.dtype(eqn.invars[0].aval.dtype):
        raise NotImplementedError(f"bit casts from {eqn.invars[0].aval.dtype} to {np.dtype(eqn.params['new_dtype'])} "
                                  "(TF.js cannot reinterpret bits)")
    return [x]


@register("add_any")  # the sum of two tangents in a transposed (gradient) jaxpr
def lower_add_any(ctx: LoweringContext, eqn, a: Sym, b: Sym):
    aval = out_aval(eqn)
    return [binary(ctx, "AddV2", a, b, aval.shape, aval.dtype)]


FLOAT32_MANTISSA_BITS, FLOAT32_EXPONENT_BITS = 23, 8


@register("reduce_precision")
def lower_reduce_precision(ctx: LoweringContext, eqn, x: Sym):
    """XLA's ReducePrecision on float32 without bit casts (TF.js has none): the mantissa is
    rounded to nearest-even at the value's own quantum, then values outside the reduced
    exponent range become +-inf or signed zero (the reduced format's subnormals are
    flushed, as XLA does); NaN and +-inf pass through."""
    exponent_bits = int(eqn.params["exponent_bits"])
    mantissa_bits = int(eqn.params["mantissa_bits"])
    if x.dtype.kind != "f":
        return [x]
    g = ctx.graph
    y = x
    if mantissa_bits < FLOAT32_MANTISSA_BITS:
        y = _round_mantissa(ctx, x, mantissa_bits)
    if exponent_bits < FLOAT32_EXPONENT_BITS:
        y = _clamp_exponent(ctx, y, exponent_bits)
    if y is x:
        return [x]
    keep = g.op("LogicalNot", [g.op("IsFinite", [x], shape=x.shape, dtype=np.bool_)], shape=x.shape,
                dtype=np.bool_)
    return [g.op("SelectV2", [keep, x, y], {"T": attr_type(x.dtype)}, shape=x.shape, dtype=x.dtype)]


def _binary(ctx: LoweringContext, op: str, a: Sym, b: Sym, dtype=None) -> Sym:
    return ctx.graph.op(op, [a, b], shape=a.shape if a.rank >= b.rank else b.shape, dtype=dtype or a.dtype)


def _exponent(ctx: LoweringContext, x: Sym) -> tuple[Sym, Sym]:
    """(e, |x|) with e = floor(log2|x|) exactly, at least float32's smallest normal exponent
    (-126, the exponent subnormals are quantised with)."""
    g = ctx.graph
    f = x.dtype
    magnitude = g.op("Abs", [x], shape=x.shape, dtype=f)
    clamped = g.op("Maximum", [magnitude, ctx.scalar(np.finfo(np.float32).tiny, f)], shape=x.shape, dtype=f)
    log2 = _binary(ctx, "Mul", g.op("Log", [clamped], shape=x.shape, dtype=f), ctx.scalar(1 / np.log(2), f))
    exponent = g.op("Floor", [log2], shape=x.shape, dtype=f)
    # Log's rounding can put floor(log2) one off next to a power of two: correct it both ways.
    two = ctx.scalar(2.0, f)
    too_big = _binary(ctx, "Greater", _binary(ctx, "Pow", two, exponent), clamped, np.bool_)
    exponent = _binary(ctx, "Sub", exponent, ctx.cast(too_big, f))
    next_power = _binary(ctx, "Pow", two, _binary(ctx, "AddV2", exponent, ctx.scalar(1.0, f)))
    too_small = _binary(ctx, "LessEqual", next_power, clamped, np.bool_)
    return _binary(ctx, "AddV2", exponent, ctx.cast(too_small, f)), magnitude


@register("nextafter")
def lower_nextafter(ctx: LoweringContext, eqn, x: Sym, y: Sym):
    """The float32 next to x towards y, without bit casts: x +- one unit in the last place of
    x's binade (half of it when stepping down from a power of two towards zero)."""
    aval = out_aval(eqn)
    g = ctx.graph
    f = np.dtype(np.float32)
    shape = aval.shape
    x, y = (ctx.broadcast_to(v, shape) if tuple(v.shape) != tuple(shape) else v for v in (x, y))
    exponent, magnitude = _exponent(ctx, x)
    two = ctx.scalar(2.0, f)
    step = _binary(ctx, "Pow", two, _binary(ctx, "Sub", exponent, ctx.scalar(23.0, f)))
    up = _binary(ctx, "Greater", y, x, np.bool_)
    away_from_zero = g.op("Equal", [_binary(ctx, "Greater", x, ctx.scalar(0.0, f), np.bool_), up], shape=shape,
                          dtype=np.bool_)
    at_power = g.op("LogicalAnd", [_binary(ctx, "Equal", magnitude, _binary(ctx, "Pow", two, exponent), np.bool_),
                                   _binary(ctx, "Greater", exponent, ctx.scalar(-126.0, f), np.bool_)],
                    shape=shape, dtype=np.bool_, typed=False)
    smaller = g.op("LogicalAnd", [at_power, g.op("LogicalNot", [away_from_zero], shape=shape, dtype=np.bool_,
                                                 typed=False)], shape=shape, dtype=np.bool_, typed=False)
    step = g.op("SelectV2", [smaller, _binary(ctx, "Mul", step, ctx.scalar(0.5, f)), step], {"T": attr_type(f)},
                shape=shape, dtype=f)
    tiny = ctx.scalar(float(np.float32(2.0 ** -149)), f)  # from zero: the smallest subnormal
    is_zero = _binary(ctx, "Equal", x, ctx.scalar(0.0, f), np.bool_)
    step = g.op("SelectV2", [is_zero, ctx.broadcast_to(tiny, shape), step], {"T": attr_type(f)}, shape=shape, dtype=f)
    moved = g.op("SelectV2", [up, _binary(ctx, "AddV2", x, step), _binary(ctx, "Sub", x, step)], {"T": attr_type(f)},
                 shape=shape, dtype=f)
    # From +-inf towards anything finite: the largest finite float of that sign.
    largest = _binary(ctx, "Mul", g.op("Sign", [x], shape=shape, dtype=f), ctx.scalar(np.finfo(np.float32).max, f))
    moved = g.op("SelectV2", [g.op("IsInf", [x], shape=shape, dtype=np.bool_), largest, moved], {"T": attr_type(f)},
                 shape=shape, dtype=f)
    same = _binary(ctx, "Equal", x, y, np.bool_)
    result = g.op("SelectV2", [same, y, moved], {"T": attr_type(f)}, shape=shape, dtype=f)
    either_nan = g.op("LogicalOr", [g.op("IsNan", [x], shape=shape, dtype=np.bool_),
                                    g.op("IsNan", [y], shape=shape, dtype=np.bool_)], shape=shape, dtype=np.bool_,
                      typed=False)
    nan = ctx.broadcast_to(ctx.scalar(np.nan, f), shape)
    return [g.op("SelectV2", [either_nan, nan, result], {"T": attr_type(f)}, shape=shape, dtype=f)]


def _round_mantissa(ctx: LoweringContext, x: Sym, mantissa_bits: int) -> Sym:
    """`x` rounded half-to-even to `mantissa_bits` explicit mantissa bits: Round(x / q) * q with
    q = 2^(floor(log2|x|) - mantissa_bits), both steps exact in float32. Subnormal inputs use
    the smallest normal exponent, which is their quantum in XLA's bit arithmetic too."""
    g = ctx.graph
    f = x.dtype
    exponent, _ = _exponent(ctx, x)
    shift = _binary(ctx, "Sub", exponent, ctx.scalar(float(mantissa_bits), f))
    quantum = _binary(ctx, "Pow", ctx.scalar(2.0, f), shift)
    steps = g.op("Round", [_binary(ctx, "RealDiv", x, quantum)], shape=x.shape, dtype=f)
    return _binary(ctx, "Mul", steps, quantum)


def _clamp_exponent(ctx: LoweringContext, y: Sym, exponent_bits: int) -> Sym:
    """Values too large for the reduced exponent become +-inf, too small ones signed zero."""
    g = ctx.graph
    f = y.dtype
    max_exponent = (1 << (exponent_bits - 1)) - 1
    magnitude = g.op("Abs", [y], shape=y.shape, dtype=f)
    overflow = _binary(ctx, "GreaterEqual", magnitude, ctx.scalar(2.0 ** (max_exponent + 1), f), np.bool_)
    underflow = _binary(ctx, "Less", magnitude, ctx.scalar(2.0 ** (1 - max_exponent), f), np.bool_)
    signed_inf = _binary(ctx, "Mul", g.op("Sign", [y], shape=y.shape, dtype=f), ctx.scalar(np.inf, f))
    signed_zero = _binary(ctx, "Mul", y, ctx.scalar(0.0, f))
    y = g.op("SelectV2", [overflow, signed_inf, y], {"T": attr_type(f)}, shape=y.shape, dtype=f)
    return g.op("SelectV2", [underflow, signed_zero, y], {"T": attr_type(f)}, shape=y.shape, dtype=f)


@register("select_n")
def lower_select_n(ctx: LoweringContext, eqn, pred: Sym, *cases: Sym):
    aval = out_aval(eqn)
    g = ctx.graph
    if len(cases) == 1:
        return [cases[0]]
    if pred.dtype == np.bool_:
        t, f = _unbroadcast(ctx, cases[1], cases[0])
        return [g.op("SelectV2", [pred, t, f], {"T": attr_type(aval.dtype)},
                     shape=aval.shape, dtype=aval.dtype)]
    # Integer predicate: pick case i where pred == i, folding from the last case down.
    result = cases[-1]
    for i in range(len(cases) - 2, -1, -1):
        is_i = g.op("Equal", [pred, ctx.scalar(i, np.int32)], shape=pred.shape, dtype=np.bool_)
        result = g.op("SelectV2", [is_i, cases[i], result], {"T": attr_type(aval.dtype)},
                      shape=aval.shape, dtype=aval.dtype)
    return [result]


@register("clamp")
def lower_clamp(ctx: LoweringContext, eqn, lo: Sym, x: Sym, hi: Sym):
    aval = out_aval(eqn)
    g = ctx.graph
    low = g.op("Maximum", [x, lo], shape=aval.shape, dtype=aval.dtype)
    return [g.op("Minimum", [low, hi], shape=aval.shape, dtype=aval.dtype)]


@register("round")
def lower_round(ctx: LoweringContext, eqn, x: Sym):
    aval = out_aval(eqn)
    g = ctx.graph
    method = int(eqn.params.get("rounding_method", 0))
    if method == 1:  # to nearest even, like TF's Round
        return [g.op("Round", [x], shape=aval.shape, dtype=aval.dtype)]
    # away from zero: sign(x) * floor(|x| + 0.5)
    half = g.op("AddV2", [g.op("Abs", [x], shape=x.shape, dtype=x.dtype), ctx.scalar(0.5, x.dtype)],
                shape=x.shape, dtype=x.dtype)
    floor = g.op("Floor", [half], shape=x.shape, dtype=x.dtype)
    return [g.op("Mul", [g.op("Sign", [x], shape=x.shape, dtype=x.dtype), floor], shape=x.shape, dtype=x.dtype)]
