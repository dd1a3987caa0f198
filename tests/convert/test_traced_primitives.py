"""Primitives converted by tracing a JAX function, in TF.js on CPU and WASM: `qr`, `eigh` and `svd`
(builders/convert/lowering/decompositions.py) and those JAX defines by its own implementation
(jax_defined.py: `igamma`, `igammac`, `regularized_incomplete_beta`, `bessel_i0e`,
`tridiagonal_solve`; this also catches a JAX upgrade that moves those private functions), and
scatters in XLA's general form rewritten as element scatters (scatter_windows.py).

Decompositions are not unique (signs, order of equal values), so each case converts a function of
the decomposition that is: the product it reconstructs, its orthonormality and the values. The
reference is the same function run by JAX (LAPACK), so a wrong algorithm cannot pass."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from builders.convert import convert_jax
from builders.convert.errors import UnsupportedPrimitiveError
from tests.convert.harness import Case, normal, run_cases


def _t(x):
    return jnp.swapaxes(x, -1, -2)


def qr_invariants(mode):
    def f(p, a):
        q, r = jnp.linalg.qr(a, mode=mode)
        return q @ r, _t(q) @ q, r  # r itself is unique with LAPACK's sign choice
    return f


def eigh_invariants(uplo):
    def f(p, a):
        w, v = jnp.linalg.eigh(a, UPLO=uplo, symmetrize_input=False)
        return w, (v * w[..., None, :]) @ _t(v), _t(v) @ v
    return f


def svd_invariants(full_matrices, compute_uv):
    def f(p, a):
        if not compute_uv:
            return jnp.linalg.svd(a, compute_uv=False)
        u, s, vt = jnp.linalg.svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        return s, (u[..., :, :k] * s[..., None, :]) @ vt[..., :k, :], _t(u) @ u, vt @ _t(vt)
    return f


def _case(name, fn, shape, seed):
    a = normal(shape, seed=seed)
    return Case(name, fn, {}, [jax.ShapeDtypeStruct(shape, np.float32)], [[a]], atol=1e-3, rtol=1e-3)


CASES = [
    _case("qr_1x1", qr_invariants("complete"), (1, 1), 0),
    _case("qr_wide", qr_invariants("complete"), (3, 5), 1),
    _case("qr_tall_reduced", qr_invariants("reduced"), (2, 9, 4), 2),
    _case("qr_tall_complete", qr_invariants("complete"), (6, 4), 3),
    _case("eigh_odd_lower", eigh_invariants("L"), (7, 7), 4),  # odd: padded to an even size
    _case("eigh_upper_batched", eigh_invariants("U"), (2, 12, 12), 5),
    _case("eigh_40", eigh_invariants("L"), (40, 40), 6),
    _case("svd_square", svd_invariants(True, True), (9, 9), 7),
    _case("svd_wide_full", svd_invariants(True, True), (3, 11), 8),
    _case("svd_tall_reduced", svd_invariants(False, True), (2, 13, 5), 9),
    _case("svd_values_only", svd_invariants(False, False), (2, 3, 21, 7), 10),
]

_r = np.random.default_rng(12)
_pos = [_r.uniform(0.05, 12, (b, 7)).astype(np.float32) for b in (1, 5)]
_unit = [_r.uniform(0.01, 0.99, (b, 7)).astype(np.float32) for b in (1, 5)]
_sig2 = [jax.ShapeDtypeStruct((None, 7), np.float32)] * 2
CASES += [
    # batch polymorphic: the series' while loops trace with a symbolic batch
    Case("igamma", lambda p, a, x: lax.igamma(a, x), {}, _sig2, [[_pos[0], _pos[0] * 0.5],
         [_pos[1], _pos[1][:, ::-1]]], polymorphic_shapes=["(b, 7)", "(b, 7)"], atol=1e-5, rtol=1e-4),
    Case("igammac", lambda p, a, x: lax.igammac(a, x), {}, _sig2, [[_pos[1], _pos[1][:, ::-1]]],
         polymorphic_shapes=["(b, 7)", "(b, 7)"], atol=1e-5, rtol=1e-4),
    Case("betainc", lambda p, a, b, x: lax.betainc(a, b, x), {},
         [jax.ShapeDtypeStruct((5, 7), np.float32)] * 3, [[_pos[1], _pos[1][::-1], _unit[1]]], atol=1e-5, rtol=1e-4),
    Case("bessel_i0e", lambda p, x: lax.bessel_i0e(x), {}, [jax.ShapeDtypeStruct((5, 7), np.float32)],
         [[(_pos[1] - 6) * 5]], atol=1e-6, rtol=1e-5),
    Case("tridiagonal_solve", lambda p, dl, d, du, b: lax.linalg.tridiagonal_solve(dl, d, du, b), {},
         [jax.ShapeDtypeStruct((2, 9), np.float32)] * 3 + [jax.ShapeDtypeStruct((2, 9, 3), np.float32)],
         [[normal((2, 9), 13) * np.float32([0] + [1] * 8), normal((2, 9), 14) + 4,
           normal((2, 9), 15) * np.float32([1] * 8 + [0]), normal((2, 9, 3), 16)]], atol=1e-4, rtol=1e-4),
]



def _window_scatter(p, x, i, u):
    """Partial windows of 2 along the indexed axis; index 9 does not fit (dropped), -1 neither."""
    dn = lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(),
                                     scatter_dims_to_operand_dims=(0,))
    return lax.scatter_max(x, i, u, dn, mode="fill")


def _clipped_window_add(p, x, i, u):
    """x.at[i, :2].add(u) with clamped starts: a partial window in the other axis."""
    dn = lax.ScatterDimensionNumbers(update_window_dims=(1, 2), inserted_window_dims=(),
                                     scatter_dims_to_operand_dims=(0,))
    return lax.scatter_add(x, i, u, dn, mode="clip")


def _batched_scatter_min(p, x, i, u):
    """vmap of a scatter: operand and indices share a batch dimension (operand_batching_dims)."""
    return jax.vmap(lambda xb, ib, ub: xb.at[ib].min(ub))(x, i, u)


_x10 = normal((10,), 20)
_x66 = normal((6, 6), 21)
CASES += [
    Case("scatter_partial_windows", _window_scatter, {},
         [jax.ShapeDtypeStruct((10,), np.float32), jax.ShapeDtypeStruct((4, 1), np.int32),
          jax.ShapeDtypeStruct((4, 2), np.float32)],
         [[_x10, np.int32([[3], [9], [-1], [3]]), normal((4, 2), 22) + 1]]),
    Case("scatter_clipped_window", _clipped_window_add, {},
         [jax.ShapeDtypeStruct((6, 6), np.float32), jax.ShapeDtypeStruct((3, 1), np.int32),
          jax.ShapeDtypeStruct((3, 2, 4), np.float32)],
         [[_x66, np.int32([[0], [5], [-3]]), normal((3, 2, 4), 23)]]),
    Case("scatter_batched_min", _batched_scatter_min, {},
         [jax.ShapeDtypeStruct((3, 8), np.float32), jax.ShapeDtypeStruct((3, 5), np.int32),
          jax.ShapeDtypeStruct((3, 5), np.float32)],
         [[normal((3, 8), 24), np.int32([[0, 1, 1, 7, 9], [2, 2, 2, 3, 4], [-1, 0, 6, 6, 5]]),
           normal((3, 5), 25)]]),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_cases(CASES, tmp_path_factory.mktemp("decompositions"), backends=("cpu", "wasm"))


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_decomposition_matches_jax(outcomes, name):
    outcome = outcomes[name]
    assert outcome.ok, outcome.explain()


def test_the_sweeps_are_one_loop_not_unrolled(outcomes):
    """A 40x40 eigh is a few hundred nodes: its sweeps run in a StatelessWhile, not copied."""
    result = outcomes["eigh_40"].result
    assert result.node_count < 600, result.node_count


def test_degenerate_eigenvalues_still_decompose(tmp_path):
    """Repeated eigenvalues (the identity plus a rank-one term) leave the eigenvectors free; the
    invariants must still hold."""
    v = normal((6, 1), seed=11)
    a = np.eye(6, dtype=np.float32) * 2 + v @ v.T
    case = Case("eigh_repeated", eigh_invariants("L"), {}, [jax.ShapeDtypeStruct((6, 6), np.float32)], [[a]],
                atol=1e-3, rtol=1e-3)
    outcome = run_cases([case], tmp_path)["eigh_repeated"]
    assert outcome.ok, outcome.explain()


def test_polymorphic_matrix_size_is_refused(tmp_path):
    with pytest.raises(UnsupportedPrimitiveError, match="static matrix sizes only"):
        convert_jax(lambda p, a: jnp.linalg.qr(a)[1], {},
                    input_signatures=[jax.ShapeDtypeStruct((None, None), np.float32)],
                    polymorphic_shapes=["(n, n)"], model_dir=tmp_path / "m")


def test_eigh_subset_is_refused(tmp_path):

    def fn(p, a):
        return lax.linalg.eigh(a, subset_by_index=(0, 2))[1]
    with pytest.raises(UnsupportedPrimitiveError, match="subset_by_index"):
        convert_jax(fn, {}, input_signatures=[jax.ShapeDtypeStruct((4, 4), np.float32)], model_dir=tmp_path / "m")
