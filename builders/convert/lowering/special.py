"""Special functions TF.js has no kernel for, built from elementary ops: erf_inv, erfc, cbrt."""

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
