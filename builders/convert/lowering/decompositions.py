"""`qr`, `eigh` and `svd` written in JAX itself, for the interpreter to trace and convert.

TF.js has no matrix decompositions. Instead of emitting graph nodes by hand, each one here is a
plain `jax.numpy` function of the primitive's operand and parameters; the interpreter traces it
with the operand's static shape and converts that jaxpr like the user's own code (its loops
become `StatelessWhile` loops). The algorithms are the textbook ones that need only matrix
products and elementwise maths:

- `qr`: Householder reflections with LAPACK's sign choice (R's diagonal is -sign(x0)·|x|).
- `eigh`: cyclic Jacobi rotations in parallel (round-robin pairing, n/2 disjoint rotations per
  round, applied as one orthogonal matrix), sweeps until the off-diagonal mass is below float32
  rounding or MAX_SWEEPS; eigenvalues ascending as LAPACK returns them.
- `svd`: one-sided Jacobi (Hestenes) on the columns, the same pairing; singular values
  descending; for `full_matrices` the left basis is completed with the QR above.

Decompositions are not unique (signs, order of equal values); JAX's own tests compare them by
their defining properties, and so does the harness sweep.
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
from jax import lax

MAX_SWEEPS = 12  # Jacobi converges quadratically: float32 needs 5-8 sweeps for n <= 100
MAX_SIZE = 512


def _check_size(*dims: int) -> None:
    if max(dims, default=0) > MAX_SIZE:
        raise NotImplementedError(f"matrices larger than {MAX_SIZE} on a side")


def _swap(x):
    return jnp.swapaxes(x, -1, -2)


def _sign(x):
    """+1 for x >= 0 (also -0), -1 below: LAPACK's choice, never 0."""
    return jnp.where(x >= 0, jnp.ones_like(x), -jnp.ones_like(x))


def qr(a, *, pivoting: bool = False, full_matrices: bool = True, use_magma=None):
    if pivoting:
        raise NotImplementedError("qr with column pivoting")
    m, n = a.shape[-2:]
    _check_size(m, n)
    rows = jnp.arange(m)
    r = a
    q = jnp.broadcast_to(jnp.eye(m, dtype=a.dtype), (*a.shape[:-2], m, m))
    for k in range(min(m - 1, n)):
        x = jnp.where(rows >= k, r[..., :, k], 0)
        norm = jnp.sqrt(jnp.sum(x * x, axis=-1))
        alpha = -_sign(x[..., k]) * norm
        v = x - alpha[..., None] * (rows == k)
        vv = jnp.sum(v * v, axis=-1)
        scale = jnp.where(vv > 0, 2 / jnp.where(vv > 0, vv, 1), 0)[..., None, None]
        r = r - scale * v[..., :, None] * jnp.einsum("...m,...mn->...n", v, r)[..., None, :]
        q = q - scale * jnp.einsum("...ij,...j->...i", q, v)[..., :, None] * v[..., None, :]
    r = jnp.triu(r)
    if not full_matrices and m > n:
        q, r = q[..., :, :n], r[..., :n, :]
    return q, r


def _round_robin(n: int) -> np.ndarray:
    """(n-1, n/2, 2) index pairs for even n: every pair meets once per sweep, each round's
    pairs are disjoint (the circle method)."""
    players = list(range(n))
    rounds = []
    for _ in range(n - 1):
        rounds.append([(min(players[i], players[n - 1 - i]), max(players[i], players[n - 1 - i]))
                       for i in range(n // 2)])
        players = [players[0], players[-1], *players[1:-1]]
    return np.array(rounds, np.int32)


def _rotation(p_hot, q_hot, c, s):
    """The orthogonal matrix of n/2 disjoint plane rotations (p_k, q_k) by (c_k, s_k)."""
    n = p_hot.shape[-1]
    eye = jnp.eye(n, dtype=c.dtype)

    def outer(x_hot, w, y_hot):
        return jnp.einsum("ki,...k,kj->...ij", x_hot, w, y_hot)
    return (eye + outer(p_hot, c - 1, p_hot) + outer(q_hot, c - 1, q_hot)
            + outer(p_hot, s, q_hot) - outer(q_hot, s, p_hot))


def _jacobi_angles(app, aqq, apq):
    """(c, s) that zero the (p, q) entry of the 2x2 symmetric [[app, apq], [apq, aqq]]."""
    safe = jnp.where(apq == 0, jnp.ones_like(apq), apq)
    theta = (aqq - app) / (2 * safe)
    t = _sign(theta) / (jnp.abs(theta) + jnp.sqrt(theta * theta + 1))
    t = jnp.where((apq == 0) | jnp.isinf(theta), jnp.zeros_like(t), t)
    c = 1 / jnp.sqrt(t * t + 1)
    return c, t * c


def _sweeps(n_even: int, init, one_round: Callable, off_diagonal: Callable, scale):
    """Jacobi sweeps over round-robin rounds until the off-diagonal mass is negligible."""
    pairs = jnp.asarray(_round_robin(n_even))
    p_hots = (jnp.arange(n_even) == pairs[..., 0:1]).astype(scale.dtype)  # (rounds, n/2, n)
    q_hots = (jnp.arange(n_even) == pairs[..., 1:2]).astype(scale.dtype)
    tol = (np.finfo(np.float32).eps * n_even) ** 2

    def sweep(state):
        k, values = state
        values = lax.fori_loop(0, n_even - 1, lambda r, v: one_round(p_hots[r], q_hots[r], v), values)
        return k + 1, values

    def going_on(state):
        k, values = state
        return (k < MAX_SWEEPS) & jnp.any(off_diagonal(values) > tol * scale)

    return lax.while_loop(going_on, sweep, (jnp.int32(0), init))[1]


def _pad_even(x, n: int):
    if n % 2 == 0:
        return x
    pad = [(0, 0)] * (x.ndim - 2) + [(0, 1), (0, 1)]
    return jnp.pad(x, pad)


def eigh(a, *, lower: bool = True, sort_eigenvalues: bool = True, subset_by_index=None, algorithm=None):
    if subset_by_index is not None and tuple(subset_by_index) != (0, a.shape[-1]):
        raise NotImplementedError("eigh with subset_by_index")
    n = a.shape[-1]
    _check_size(n)
    if n == 0:
        return jnp.zeros(a.shape, a.dtype), jnp.zeros(a.shape[:-1], a.dtype)
    half = jnp.tril(a, -1) if lower else jnp.triu(a, 1)
    sym = half + _swap(half) + jnp.eye(n, dtype=a.dtype) * a  # LAPACK reads one triangle only
    m = n + n % 2
    sym = _pad_even(sym, n)  # the padded index has no coupling: its rotations are the identity
    eye = jnp.eye(m, dtype=a.dtype)
    vectors0 = jnp.broadcast_to(eye, sym.shape)

    def one_round(p_hot, q_hot, state):
        x, vectors = state
        app = jnp.einsum("ki,...ij,kj->...k", p_hot, x, p_hot)
        aqq = jnp.einsum("ki,...ij,kj->...k", q_hot, x, q_hot)
        apq = jnp.einsum("ki,...ij,kj->...k", p_hot, x, q_hot)
        c, s = _jacobi_angles(app, aqq, apq)
        rot = _rotation(p_hot, q_hot, c, s)
        return _swap(rot) @ x @ rot, vectors @ rot

    def off_diagonal(state):
        x = state[0]
        return jnp.sum((x * (1 - eye)) ** 2, axis=(-1, -2))

    scale = jnp.sum(sym * sym, axis=(-1, -2))
    x, vectors = _sweeps(m, (sym, vectors0), one_round, off_diagonal, scale)
    values = jnp.diagonal(x, axis1=-2, axis2=-1)[..., :n]
    vectors = vectors[..., :n, :n]
    if sort_eigenvalues:
        order = jnp.argsort(values, axis=-1)
        values = jnp.take_along_axis(values, order, axis=-1)
        vectors = jnp.take_along_axis(vectors, order[..., None, :], axis=-1)
    return vectors, values


def svd(a, *, full_matrices: bool = True, compute_uv: bool = True, subset_by_index=None, algorithm=None):
    m, n = a.shape[-2:]
    if subset_by_index is not None and tuple(subset_by_index) != (0, min(m, n)):
        raise NotImplementedError("svd with subset_by_index")
    _check_size(m, n)
    if m < n:  # A^T = V S U^T
        outs = svd(_swap(a), full_matrices=full_matrices, compute_uv=compute_uv)
        return outs if not compute_uv else (outs[0], _swap(outs[2]), _swap(outs[1]))
    batch = a.shape[:-2]
    if n == 0:
        s = jnp.zeros((*batch, 0), a.dtype)
        if not compute_uv:
            return (s,)
        width = m if full_matrices else 0
        u = jnp.broadcast_to(jnp.eye(m, width, dtype=a.dtype), (*batch, m, width))
        return s, u, jnp.zeros((*batch, 0, 0), a.dtype)
    k = n + n % 2
    # an odd column count gains a zero column: no coupling, so its rotations are the identity
    cols = jnp.concatenate([a, jnp.zeros((*batch, m, 1), a.dtype)], -1) if n % 2 else a
    eye = jnp.eye(k, dtype=a.dtype)
    v0 = jnp.broadcast_to(eye, (*batch, k, k))

    def one_round(p_hot, q_hot, state):
        u, v = state
        gram_pp = jnp.einsum("...ik,jk->...j", u * u, p_hot)
        gram_qq = jnp.einsum("...ik,jk->...j", u * u, q_hot)
        gram_pq = jnp.einsum("...ik,jk,...il,jl->...j", u, p_hot, u, q_hot)
        c, s = _jacobi_angles(gram_pp, gram_qq, gram_pq)
        rot = _rotation(p_hot, q_hot, c, s)
        return u @ rot, v @ rot

    def off_diagonal(state):
        u = state[0]
        gram = _swap(u) @ u
        return jnp.sum((gram * (1 - eye)) ** 2, axis=(-1, -2))

    scale = jnp.sum(a * a, axis=(-1, -2)) ** 2
    u, v = _sweeps(k, (cols, v0), one_round, off_diagonal, scale)
    u, v = u[..., :, :n], v[..., :n, :n]
    s = jnp.sqrt(jnp.sum(u * u, axis=-2))
    order = jnp.argsort(-s, axis=-1)
    s = jnp.take_along_axis(s, order, axis=-1)
    if not compute_uv:
        return (s,)
    u = jnp.take_along_axis(u, order[..., None, :], axis=-1)
    v = jnp.take_along_axis(v, order[..., None, :], axis=-1)
    u = u / jnp.where(s > 0, s, 1)[..., None, :]
    if full_matrices and m > n:
        basis, _ = qr(u, full_matrices=True)
        signs = _sign(jnp.sum(basis[..., :, :n] * u, axis=-2))  # the completion keeps u's columns
        u = jnp.concatenate([basis[..., :, :n] * signs[..., None, :], basis[..., :, n:]], axis=-1)
    return s, u, _swap(v)


# primitive name -> function of (operands..., **params) returning the primitive's outputs
DECOMPOSITIONS: dict[str, Callable] = {"qr": qr, "eigh": eigh, "svd": svd}
