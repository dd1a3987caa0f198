"""Special functions TF.js has no kernel for, built from elementary ops: erf_inv, erfc, cbrt, lgamma,
digamma."""

from __future__ import annotations

import numpy as np

from ..graph import Sym, attr_type
from . import register
from .common import LoweringContext, out_aval

# Giles' single-precision erfinv approximation, the one XLA uses for float32.
_ERFINV_SMALL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                 -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_LARGE = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                 -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


@register("erf_inv")
def lower_erf_inv(ctx: LoweringContext, eqn, x: Sym):
    g = ctx.graph
    aval = out_aval(eqn)

    def op(kind, *args):
        return g.op(kind, list(args), shape=x.shape, dtype=x.dtype)

    def c(value):
        return ctx.scalar(value, x.dtype)

    w = op("Neg", op("Log1p", op("Neg", op("Square", x))))  # -log(1 - x^2)

    def horner(coeffs, t):
        acc = c(coeffs[0])
        for coeff in coeffs[1:]:
            acc = op("AddV2", op("Mul", acc, t), c(coeff))
        return acc

    small = horner(_ERFINV_SMALL, op("Sub", w, c(2.5)))
    large = horner(_ERFINV_LARGE, op("Sub", op("Sqrt", w), c(3.0)))
    is_small = g.op("Less", [w, c(5.0)], shape=x.shape, dtype=np.bool_)
    poly = g.op("SelectV2", [is_small, small, large], {"T": attr_type(x.dtype)}, shape=x.shape, dtype=x.dtype)
    result = op("Mul", poly, x)
    # erf_inv(+-1) = +-inf, where the polynomial would give a large finite number.
    at_edge = g.op("Equal", [op("Abs", x), c(1.0)], shape=x.shape, dtype=np.bool_)
    result = g.op("SelectV2", [at_edge, op("Mul", x, c(np.inf)), result], {"T": attr_type(x.dtype)},
                  shape=x.shape, dtype=x.dtype)
    return [Sym(result.ref, tuple(aval.shape), result.dtype)]


@register("erfc")
def lower_erfc(ctx: LoweringContext, eqn, x: Sym):
    g = ctx.graph
    erf = g.op("Erf", [x], shape=x.shape, dtype=x.dtype)
    return [g.op("Sub", [ctx.scalar(1.0, x.dtype), erf], shape=x.shape, dtype=x.dtype)]


@register("cbrt")
def lower_cbrt(ctx: LoweringContext, eqn, x: Sym):
    g = ctx.graph
    magnitude = g.op("Pow", [g.op("Abs", [x], shape=x.shape, dtype=x.dtype), ctx.scalar(1.0 / 3.0, x.dtype)],
                     shape=x.shape, dtype=x.dtype)
    return [g.op("Mul", [g.op("Sign", [x], shape=x.shape, dtype=x.dtype), magnitude], shape=x.shape, dtype=x.dtype)]


# Lanczos approximation (g = 7, 9 terms), with the reflection formula below 0.5: XLA's lgamma and
# digamma for float32, so the converted model gives XLA's numbers to float32 rounding.
_LANCZOS_G = 7.0
_LANCZOS_BASE = 0.99999999999980993227684700473478
_LANCZOS = (676.520368121885098567009190444019, -1259.13921672240287047156078755283,
            771.3234287776530788486528258894, -176.61502916214059906584551354,
            12.507343278686904814458936853, -0.13857109526572011689554707,
            9.984369578019570859563e-6, 1.50563273514931155834e-7)


class _Ops:
    """Elementwise graph ops on tensors shaped like `x` (keeps the formulas readable)."""

    def __init__(self, ctx: LoweringContext, x: Sym):
        self.ctx, self.g, self.shape, self.dtype = ctx, ctx.graph, x.shape, x.dtype

    def __call__(self, kind: str, *args: Sym) -> Sym:
        return self.g.op(kind, list(args), shape=self.shape, dtype=self.dtype)

    def c(self, value: float) -> Sym:
        return self.ctx.scalar(value, self.dtype)

    def test(self, kind: str, a: Sym, b: Sym) -> Sym:
        return self.g.op(kind, [a, b], shape=self.shape, dtype=np.bool_)

    def where(self, cond: Sym, a: Sym, b: Sym) -> Sym:
        return self.g.op("SelectV2", [cond, a, b], {"T": attr_type(self.dtype)}, shape=self.shape, dtype=self.dtype)


def _lanczos_shift(o: _Ops, x: Sym) -> tuple[Sym, Sym]:
    """(reflect, z): whether x < 0.5 (then z = -x), else z = x - 1."""
    reflect = o.test("Less", x, o.c(0.5))
    return reflect, o.where(reflect, o("Neg", x), o("Sub", x, o.c(1.0)))


def _log_t(o: _Ops, z: Sym) -> Sym:
    half_g = _LANCZOS_G + 0.5
    return o("AddV2", o.c(np.log(half_g)), o("Log1p", o("RealDiv", z, o.c(half_g))))


@register("lgamma")
def lower_lgamma(ctx: LoweringContext, eqn, x: Sym):
    o = _Ops(ctx, x)
    reflect, z = _lanczos_shift(o, x)
    acc = o.c(_LANCZOS_BASE)
    for i, coeff in enumerate(_LANCZOS):
        acc = o("AddV2", acc, o("RealDiv", o.c(coeff), o("AddV2", z, o.c(i + 1.0))))
    t = o("AddV2", z, o.c(_LANCZOS_G + 0.5))
    log_t = _log_t(o, z)
    log_y = o("AddV2", o("AddV2", o.c(0.5 * np.log(2 * np.pi)),
                         o("Mul", o("Sub", o("AddV2", z, o.c(0.5)), o("RealDiv", t, log_t)), log_t)), o("Log", acc))
    magnitude = o("Abs", x)
    frac = o("Sub", magnitude, o("Floor", magnitude))
    reduced = o.where(o.test("Greater", frac, o.c(0.5)), o("Sub", o.c(1.0), frac), frac)
    denom = o("Log", o("Sin", o("Mul", o.c(np.pi), reduced)))
    finite = ctx.graph.op("IsFinite", [denom], shape=x.shape, dtype=np.bool_)
    reflection = o.where(finite, o("Sub", o("Sub", o.c(np.log(np.pi)), denom), log_y), o("Neg", denom))
    result = o.where(reflect, reflection, log_y)
    is_inf = ctx.graph.op("IsInf", [x], shape=x.shape, dtype=np.bool_)
    return [o.where(is_inf, o.c(np.inf), result)]


@register("digamma")
def lower_digamma(ctx: LoweringContext, eqn, x: Sym):
    o = _Ops(ctx, x)
    reflect, z = _lanczos_shift(o, x)
    num, denom = o.c(0.0), o.c(_LANCZOS_BASE)
    for i, coeff in enumerate(_LANCZOS):
        shifted = o("AddV2", z, o.c(i + 1.0))
        num = o("Sub", num, o("RealDiv", o.c(coeff), o("Square", shifted)))
        denom = o("AddV2", denom, o("RealDiv", o.c(coeff), shifted))
    t = o("AddV2", z, o.c(_LANCZOS_G + 0.5))
    y = o("Sub", o("AddV2", _log_t(o, z), o("RealDiv", num, denom)), o("RealDiv", o.c(_LANCZOS_G), t))
    reduced = o("AddV2", x, o("Abs", o("Floor", o("AddV2", x, o.c(0.5)))))
    angle = o("Mul", o.c(np.pi), reduced)
    reflection = o("Sub", y, o("RealDiv", o("Mul", o.c(np.pi), o("Cos", angle)), o("Sin", angle)))
    result = o.where(reflect, reflection, y)
    pole = ctx.graph.op("LogicalAnd", [o.test("LessEqual", x, o.c(0.0)), o.test("Equal", x, o("Floor", x))],
                        shape=x.shape, dtype=np.bool_)
    return [o.where(pole, o.c(np.nan), result)]
