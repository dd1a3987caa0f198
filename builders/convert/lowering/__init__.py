"""Registry of primitive lowerings: one function per JAX primitive.

A lowering receives the `LoweringContext`, the jaxpr equation and its inputs
as graph tensors (`Sym`), and returns one `Sym` per equation output. Importing
this package registers every built-in lowering.
"""

from __future__ import annotations

from collections.abc import Callable

LOWERINGS: dict[str, Callable] = {}

# Primitives whose body is a jaxpr that the interpreter inlines.
INLINED_PRIMITIVES = ("pjit", "jit", "closed_call", "core_call", "custom_jvp_call",
                      "custom_vjp_call", "custom_vjp_call_jaxpr", "remat", "checkpoint",
                      "custom_lin", "remat2")


def register(*names: str) -> Callable:
    """Decorator registering `fn` as the lowering of the named primitives."""

    def decorate(fn: Callable) -> Callable:
        for name in names:
            LOWERINGS[name] = fn
        return fn

    return decorate


# Primitives the interpreter expands itself: scan is unrolled or becomes a loop, while becomes a
# loop (builders/convert/loops.py), cond becomes a select, custom_linear_solve runs its solve function.
EXPANDED_PRIMITIVES = ("scan", "while", "cond", "custom_linear_solve")


def supported_primitives() -> list[str]:
    """Every primitive the converter can lower, inline, expand or trace, sorted."""
    return sorted(set(LOWERINGS) | set(EXPANDED_PRIMITIVES) | set(TRACED_IMPLEMENTATIONS)
                  | {p for p in INLINED_PRIMITIVES if p != "custom_lin"})


from . import (  # noqa: E402,F401  (registration)
    bitwise,
    conv,
    elementwise,
    indexing,
    linalg,
    reductions,
    shape_ops,
    solvers,
    special,
    windows,
)
from .decompositions import DECOMPOSITIONS  # noqa: E402
from .jax_defined import JAX_DEFINED  # noqa: E402
from .total_order import TOTAL_ORDER  # noqa: E402

# Primitives converted by tracing a JAX function of their operands for the operands' static shapes
# (the interpreter's `_traced`): qr, eigh, svd and total-order comparisons written here, and those
# JAX itself defines so.
TRACED_IMPLEMENTATIONS: dict[str, Callable] = {**DECOMPOSITIONS, **JAX_DEFINED, **TOTAL_ORDER}
