"""Primitives that JAX itself defines by a JAX function: converted by tracing that function.

XLA has no kernel for these either; JAX lowers them with `mlir.lower_fun` of an implementation in
`jax._src.lax` written with ordinary primitives (series and continued fractions in `while` loops,
a scan for the tridiagonal sweep). The interpreter traces the same implementation for the
operand's static shapes and converts it like the user's code, so the result follows JAX's own
algorithm step for step. These are private JAX functions: `tests/convert/test_primitives.py`
checks each against JAX, so a JAX upgrade that moves one fails there, not on a user's page.
"""

from __future__ import annotations

from collections.abc import Callable

from jax._src.lax import linalg as _linalg
from jax._src.lax import special as _special


def _elementwise(impl: Callable) -> Callable:
    """The wrapper JAX lowers these with: broadcast the operands, pass the dtype."""
    return lambda *args, **params: _special._up_and_broadcast(impl)(*args)


def _tridiagonal_solve(dl, d, du, b, *, perturb_singular: bool = False, **_):
    if perturb_singular:
        raise NotImplementedError("tridiagonal_solve with perturb_singular=True")
    return _linalg._tridiagonal_solve_jax(dl, d, du, b, perturb_singular=False)


JAX_DEFINED: dict[str, Callable] = {
    "igamma": _elementwise(_special.igamma_impl),
    "igammac": _elementwise(_special.igammac_impl),
    "regularized_incomplete_beta": _elementwise(_special.regularized_incomplete_beta_impl),
    "bessel_i0e": lambda x: _special.bessel_i0e_impl(x),
    "tridiagonal_solve": _tridiagonal_solve,
}
