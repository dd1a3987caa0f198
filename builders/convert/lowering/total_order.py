"""`lt_to`, `le_to` and `eq_to`: comparisons in IEEE total order (`jnp.searchsorted`, `jnp.interp`,
`jnp.histogram`, the comparator of sorts), written in JAX and traced by the interpreter.

Total order puts -0.0 before +0.0 and NaN after +inf (a NaN equals a NaN). TF.js cannot see a
NaN's sign bit (it has no bitcast), so a negative NaN orders like a positive one: the same limit as
`sort` (docs/converter.md). Integers and booleans compare as usual.
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp


def _less(x, y):
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return x < y
    x_nan, y_nan = jnp.isnan(x), jnp.isnan(y)
    # 1/x is -inf for -0.0 and +inf for +0.0: the only way to see the sign of a zero here
    zeros = (x == 0) & (y == 0) & (1 / x < 0) & (1 / y > 0)
    return (~x_nan & y_nan) | (x < y) | zeros


def lt_to(x, y):
    return _less(x, y)


def le_to(x, y):
    return ~_less(y, x)


def eq_to(x, y):
    return ~_less(x, y) & ~_less(y, x)


TOTAL_ORDER: dict[str, Callable] = {"lt_to": lt_to, "le_to": le_to, "eq_to": eq_to}
