"""Bitwise primitives: and, or, xor, not, population_count and the three shifts.

TF.js has no bitwise kernels for integers, and its integer division is not exact on every
backend (WASM divides in float32), so integers are taken apart into bits with the only
operations that are exact everywhere TF.js holds int32 exactly: comparisons, addition,
subtraction and multiplication by 0 or 1. Values live in TF.js as int32: an n-bit type's
value is sign-extended (signed) or zero-extended (unsigned), and results are put back the
same way, so uint32 keeps its bit pattern in an int32.
"""

from __future__ import annotations

import numpy as np

from ..graph import Sym, attr_type
from . import register
from .common import LoweringContext, out_aval

INT32_MIN = int(np.iinfo(np.int32).min)


def _width(dtype) -> tuple[int, bool]:
    dtype = np.dtype(dtype)
    return dtype.itemsize * 8, dtype.kind == "i"


def _op(ctx: LoweringContext, op: str, a: Sym, b: Sym, shape, dtype=np.int32) -> Sym:
    return ctx.graph.op(op, [a, b], shape=shape, dtype=dtype)


def _is_negative(ctx: LoweringContext, x: Sym) -> Sym:
    return ctx.cast(_op(ctx, "Less", x, ctx.scalar(0, np.int32), x.shape, np.bool_), np.int32)


def to_bits(ctx: LoweringContext, x: Sym, width: int, signed: bool) -> list[Sym]:
    """The `width` bits of `x`'s two's-complement pattern, least significant first (0/1 int32)."""
    ctx.needs_exact_int32 = True
    shape = x.shape
    top = []
    if width == 32:
        sign = _is_negative(ctx, x)
        # x + 2^31 for negative x: the low 31 bits as a value in [0, 2^31).
        rest = _op(ctx, "Sub", x, _op(ctx, "Mul", sign, ctx.scalar(INT32_MIN, np.int32), shape), shape)
        top, count = [sign], 31
    elif signed:
        rest = _op(ctx, "AddV2", x, _op(ctx, "Mul", _is_negative(ctx, x), ctx.scalar(1 << width, np.int32), shape),
                   shape)
        count = width
    else:
        rest, count = x, width
    bits: list[Sym] = [None] * count  # type: ignore[list-item]
    for k in range(count - 1, -1, -1):
        power = ctx.scalar(1 << k, np.int32)
        bit = ctx.cast(_op(ctx, "GreaterEqual", rest, power, shape, np.bool_), np.int32)
        bits[k] = bit
        if k:
            rest = _op(ctx, "Sub", rest, _op(ctx, "Mul", bit, power, shape), shape)
    return bits + top


def from_bits(ctx: LoweringContext, bits: list[Sym | None], width: int, signed: bool, shape) -> Sym:
    """The int32 that holds the n-bit value with these bits (None: a zero bit)."""
    value = None
    for k, bit in enumerate(bits[:min(width, 31)]):
        if bit is None:
            continue
        term = bit if k == 0 else _op(ctx, "Mul", bit, ctx.scalar(1 << k, np.int32), shape)
        value = term if value is None else _op(ctx, "AddV2", value, term, shape)
    if value is None:
        value = ctx.graph.op("ZerosLike", [bits_like(ctx, bits, shape)], shape=shape, dtype=np.int32)
    high = bits[width - 1] if width == 32 or signed else None
    if high is not None:  # the sign bit weighs -2^(n-1): subtract 2^n where the top bit is set
        weight = INT32_MIN if width == 32 else -(1 << width)
        value = _op(ctx, "AddV2", value, _op(ctx, "Mul", high, ctx.scalar(weight, np.int32), shape), shape)
    return value


def bits_like(ctx: LoweringContext, bits: list[Sym | None], shape) -> Sym:
    return next(b for b in bits if b is not None)


def _full(ctx: LoweringContext, x: Sym, shape) -> Sym:
    return ctx.broadcast_to(x, shape) if tuple(x.shape) != tuple(shape) else x


@register("and", "or", "xor", "not")
def lower_logical(ctx: LoweringContext, eqn, *args: Sym):
    aval = out_aval(eqn)
    name = eqn.primitive.name
    g = ctx.graph
    if all(a.dtype == np.bool_ for a in args):
        if name == "not":
            return [g.op("LogicalNot", list(args), shape=aval.shape, dtype=np.bool_, typed=False)]
        op = {"and": "LogicalAnd", "or": "LogicalOr", "xor": "NotEqual"}[name]
        return [g.op(op, list(args), shape=aval.shape, dtype=np.bool_, typed=(op == "NotEqual"))]
    width, signed = _width(aval.dtype)
    if name == "not":  # ~x = -1 - x, or (2^n - 1) - x for an unsigned type narrower than int32
        ctx.needs_exact_int32 = True
        ones = (1 << width) - 1 if not signed and width < 32 else -1
        return [_op(ctx, "Sub", ctx.scalar(ones, np.int32), args[0], aval.shape)]
    a, b = (to_bits(ctx, _full(ctx, x, aval.shape), width, signed) for x in args)
    combine = {"and": "Mul", "or": "Maximum", "xor": "NotEqual"}[name]
    bits = []
    for x, y in zip(a, b):
        bit = _op(ctx, combine, x, y, aval.shape, np.bool_ if combine == "NotEqual" else np.int32)
        bits.append(ctx.cast(bit, np.int32) if combine == "NotEqual" else bit)
    return [from_bits(ctx, bits, width, signed, aval.shape)]


@register("population_count")
def lower_population_count(ctx: LoweringContext, eqn, x: Sym):
    aval = out_aval(eqn)
    width, signed = _width(aval.dtype)
    bits = to_bits(ctx, x, width, signed)
    total = bits[0]
    for bit in bits[1:]:
        total = _op(ctx, "AddV2", total, bit, x.shape)
    return [total]


@register("shift_left", "shift_right_logical", "shift_right_arithmetic")
def lower_shift(ctx: LoweringContext, eqn, x: Sym, amount: Sym):
    """Each possible shift amount is applied to the bits and the right one selected; amounts
    outside [0, n) give 0 (left, logical) or the sign fill (arithmetic), as in XLA."""
    aval = out_aval(eqn)
    shape = aval.shape
    width, signed = _width(aval.dtype)
    name = eqn.primitive.name
    g = ctx.graph
    bits = to_bits(ctx, _full(ctx, x, shape), width, signed)
    amount = _full(ctx, amount, shape)
    fill = bits[width - 1] if name == "shift_right_arithmetic" else None
    if fill is None:
        result = g.op("ZerosLike", [bits[0]], shape=shape, dtype=np.int32)
    else:  # all ones or all zeros: -sign, held in n bits
        result = from_bits(ctx, [fill] * width, width, signed, shape)
    for t in range(width):
        if name == "shift_left":
            moved = [None] * t + bits[:width - t]
        else:
            moved = bits[t:] + [fill] * t
        if all(b is None for b in moved):
            continue
        candidate = from_bits(ctx, moved, width, signed, shape)
        pick = _op(ctx, "Equal", amount, ctx.scalar(t, np.int32), shape, np.bool_)
        result = g.op("SelectV2", [pick, candidate, result], {"T": attr_type(np.int32)}, shape=shape, dtype=np.int32)
    return [result]
