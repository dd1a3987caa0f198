"""Lowerings that once gave wrong numbers without an error, found on JAX's own primitive
harnesses: each is checked exactly (atol = rtol = 0) in TF.js on CPU and WASM, with the
inputs that exposed it (NaN, +-inf, ties, subnormals, values next to float32's limits)."""

from __future__ import annotations

import itertools
import json
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax._src.ad_util import add_jaxvals_p  # add_any: the sum of tangents in gradient jaxprs
from jax._src.lax.windowed_reductions import _select_and_scatter_add  # max pooling's gradient

from builders.convert import convert_jax
from builders.convert.errors import UnsupportedPrimitiveError
from tests.convert.harness import Case, rng, run_cases

F32 = np.float32
INT32 = np.iinfo(np.int32)


def exact(name, fn, *inputs):
    sigs = [(np.shape(x), np.asarray(x).dtype) for x in inputs]
    return Case(name, lambda p, *xs: fn(*xs), {}, sigs, [list(inputs)], atol=0.0, rtol=0.0, allow_nonfinite=True)


def with_nan_and_ties() -> np.ndarray:
    """Rows with NaN, +-inf, signed zeros and many ties."""
    x = rng(1).integers(0, 4, size=(3, 40)).astype(F32)
    x[0, :8] = [np.nan, np.inf, -np.inf, 0.0, -0.0, np.nan, np.inf, 1.0]
    x[2, 10:13] = np.nan
    return x


def reduce_precision_inputs() -> np.ndarray:
    g = rng(2)
    x = (g.standard_normal((4, 200)) * np.exp(g.uniform(-30, 30, (4, 200)))).astype(F32)
    x[0, :12] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1 + 2**-8, 1 + 3 * 2**-8, 65504, 65520, 6e-5, 1e-45, -3e38]
    # Values halfway between bfloat16 / float16 neighbours: round-half-to-even decides them.
    x[1] = (1 + g.integers(0, 2**10, 200) * 2.0**-11) * 2.0 ** g.integers(-20, 20, 200)
    x[2] = np.finfo(F32).max * g.uniform(0.99, 1, 200)
    return x


def integer_operands(dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two operands over the type's whole range (its extremes included) and shift amounts in
    and out of [0, bits), negative ones too for signed types."""
    info = np.iinfo(dtype)
    g = rng(8)
    a = g.integers(info.min, info.max, (4, 20), dtype=dtype, endpoint=True)
    b = g.integers(info.min, info.max, (4, 20), dtype=dtype, endpoint=True)
    a[0, :2] = [info.min, info.max]
    shift = g.integers(0, info.bits + 3, (4, 20)).astype(dtype)
    if info.min < 0:
        shift[3, :4] = [-1, -5, info.bits, info.bits + 1]
    return a, b, shift


def normal_rows() -> np.ndarray:
    return rng(12).standard_normal((5, 3)).astype(F32)


def linalg_cases() -> list[Case]:
    """cholesky (batched, 64x64, not positive definite: all NaN as in LAPACK) and every form of
    triangular_solve, with NaN in the triangle that must not be read."""
    g = rng(18)

    def spd(*shape):
        m = g.standard_normal(shape).astype(F32)
        return (m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(F32)

    chol = lambda p, a: lax.linalg.cholesky(a, symmetrize_input=False)
    out = [Case(f"cholesky_{name}", chol, {}, [(a.shape, F32)], [[a]], atol=1e-4, rtol=1e-4, allow_nonfinite=True)
           for name, a in [("batched", spd(2, 5, 5)), ("64", spd(64, 64)),
                           ("not_positive", np.array([[1.0, 2.0], [2.0, 1.0]], F32))]]
    a = (g.standard_normal((4, 4)) + 4 * np.eye(4)).astype(F32)
    b = g.standard_normal((4, 3)).astype(F32)
    for left, lower, transpose, unit in itertools.product((True, False), repeat=4):
        a_in = np.where(np.tril(np.ones((4, 4), bool)) if lower else np.triu(np.ones((4, 4), bool)), a, np.nan)
        b_in = b if left else b.T.copy()
        fn = lambda p, a, b, left=left, lower=lower, transpose=transpose, unit=unit: lax.linalg.triangular_solve(
            a, b, left_side=left, lower=lower, transpose_a=transpose, unit_diagonal=unit)
        out.append(Case(f"triangular_solve_{int(left)}{int(lower)}{int(transpose)}{int(unit)}", fn, {},
                        [(a_in.shape, F32), (b_in.shape, F32)], [[a_in.astype(F32), b_in]], atol=1e-4, rtol=1e-4))
    for shape in [(5, 5), (3, 5, 5), (3, 5), (5, 3), (1, 1)]:  # LU with pivoting, square or not, batched
        m = g.standard_normal(shape).astype(F32)
        out.append(Case(f"lu_{'x'.join(map(str, shape))}", lambda p, a: lax.linalg.lu(a), {}, [(shape, F32)], [[m]],
                        atol=1e-5, rtol=1e-4))
    lu_a = (g.standard_normal((4, 4)) + 4 * np.eye(4)).astype(F32)
    lu_b = g.standard_normal(4).astype(F32)
    out.append(Case("custom_linear_solve_lu", lambda p, a, b: jnp.linalg.solve(a, b), {},
                    [((4, 4), F32), ((4,), F32)], [[lu_a, lu_b]], atol=1e-5, rtol=1e-4))
    return out


def select_and_scatter_cases() -> list[Case]:
    """The gradient of max/min pooling (ties: the first extreme wins), float and int32, with and
    without strides and padding."""
    g = rng(19)
    x = g.standard_normal((2, 4, 6)).astype(F32)
    x[0, 0, :2] = 1.0
    xi = g.integers(-3, 3, (2, 4, 6)).astype(np.int32)
    out = []
    for select in (lax.ge_p, lax.le_p):
        for k, (window, strides, pads) in enumerate([((2, 2, 2), (1, 1, 1), ((0, 0),) * 3),
                                                     ((1, 2, 3), (1, 2, 2), ((0, 0), (1, 0), (1, 1)))]):
            shape = jax.eval_shape(partial(lax.reduce_window, init_value=-np.inf, computation=lax.max,
                                           window_dimensions=window, window_strides=strides, padding=pads), x).shape
            fn = lambda p, s, o, select=select, window=window, strides=strides, pads=pads: _select_and_scatter_add(
                s, o, select, window, strides, pads)
            for operand, cotangent in [(x, g.standard_normal(shape).astype(F32)),
                                       (xi, g.integers(-3, 3, shape).astype(np.int32))]:
                out.append(Case(f"select_and_scatter_add_{select.name}_{k}_{operand.dtype}", fn, {},
                                [(cotangent.shape, cotangent.dtype), (operand.shape, operand.dtype)],
                                [[cotangent, operand]], atol=1e-5, rtol=1e-5))
    # Forward mode of max pooling is select_and_gather_add.
    pool = partial(lax.reduce_window, init_value=-np.inf, computation=lax.max, window_dimensions=(1, 2, 3),
                   window_strides=(1, 2, 2), padding=((0, 0), (1, 0), (1, 1)))
    tangent = g.standard_normal(x.shape).astype(F32)
    out.append(Case("select_and_gather_add_jvp", lambda p, x, t: jax.jvp(pool, (x,), (t,))[1], {},
                    [(x.shape, F32), (x.shape, F32)], [[x, tangent]], atol=1e-6))
    return out


def cases():
    x = with_nan_and_ties()
    ints = rng(3).integers(-3, 3, size=(4, 40)).astype(np.int32)
    ints[0, :3] = [INT32.min, INT32.max, 0]
    bools = rng(4).integers(0, 2, size=(4, 9)).astype(bool)
    floats = rng(5).standard_normal((4, 40)).astype(F32)
    floats[1, :4] = [np.nan, np.inf, -np.inf, np.nan]
    rp = reduce_precision_inputs()
    out = [
        exact("argmax_nan", lambda x: (jnp.argmax(x, axis=1), jnp.argmax(x, axis=0)), x),
        exact("argmin_nan", lambda x: (jnp.argmin(x, axis=1), jnp.argmin(x, axis=0)), x),
        exact("sort_nan_last", lambda x: (jnp.sort(x, axis=1), jnp.argsort(x, axis=1, stable=True)), x),
        exact("top_k_nan_first", lambda x: lax.top_k(x, 9), x),
        # Tie order is XLA's own in approx_min_k, so its input has no ties.
        exact("approx_max_min_k", lambda x, y: (*lax.approx_max_k(x, 5), *lax.approx_min_k(y, 5)), x, floats),
        exact("sort_int_extremes", lambda a: (jnp.sort(a, axis=0), lax.top_k(a, 5)), ints),
        exact("sort_two_keys", lambda a, b: lax.sort((a, b, jnp.broadcast_to(jnp.arange(40), a.shape)),
                                                     dimension=1, num_keys=2), ints, floats),
        exact("bool_max_min", lambda c: (jnp.max(c, axis=1), jnp.min(c, axis=0), jnp.argmax(c, axis=1),
                                         jnp.sort(c, axis=1)), bools),
        exact("conv_empty_output", lambda x, w: lax.conv(x, w, (1, 1), "VALID"),
              rng(6).standard_normal((1, 2, 3, 3)).astype(F32), rng(7).standard_normal((4, 2, 4, 4)).astype(F32)),
        exact("conv_no_features", lambda x, w: lax.conv(x, w, (1, 1), "SAME"),
              np.zeros((1, 0, 5, 5), F32), np.zeros((4, 0, 3, 3), F32)),
    ]
    for dtype in (np.int8, np.int16, np.int32, np.uint8, np.uint16):
        a, b, shift = integer_operands(dtype)
        name = np.dtype(dtype).name
        out.append(exact(f"bitwise_{name}", lambda a, b: (a & b, a | b, a ^ b, ~a, lax.population_count(a)), a, b))
        out.append(exact(f"shifts_{name}", lambda a, s: (lax.shift_left(a, s), lax.shift_right_logical(a, s),
                                                        lax.shift_right_arithmetic(a, s)), a, shift))
    x, rows = normal_rows(), np.array([0, 2, 2, 4, 9, -1, 1], np.int32)  # duplicates and dropped indices
    updates = rng(9).standard_normal((7, 3)).astype(F32)
    combined = lambda x, i, u: tuple(getattr(jnp.asarray(x).at[i], m)(u) for m in ("max", "min", "multiply"))
    out.append(Case("scatter_max_min_mul", lambda p, x, i, u: combined(x, i, u), {},
                    [(a.shape, a.dtype) for a in (x, rows, updates)], [[x, rows, updates]], atol=1e-6, rtol=1e-6))
    grid, points = rng(10).integers(-5, 5, (6, 4)).astype(np.int32), np.array([[0, 1], [2, 3], [2, 3], [5, 0], [7, 7]])
    values = rng(11).integers(-5, 5, (5,)).astype(np.int32)
    out.append(exact("scatter_2d_int", lambda x, i, u: tuple(
        getattr(jnp.asarray(x).at[i[:, 0], i[:, 1]], m)(u) for m in ("max", "min", "multiply")),
        grid, points.astype(np.int32), values))
    out.append(exact("add_any_device_put", lambda a, b: (add_jaxvals_p.bind(a, b), jax.device_put(a)), x, x * 2))
    # TF.js' WASM StridedSlice labels a strided int32/bool slice float32 (its bits read as floats).
    grid = rng(13).integers(-2**30, 2**30, (5, 7)).astype(np.int32)
    out.append(exact("strided_slice_int_bool", lambda a: (a[1::2, ::3], (a > 0)[::2, 1::2], a[:, 2:7:4]), grid))
    window_input = rng(14).standard_normal((4, 6)).astype(F32)
    window_ints = rng(15).integers(-4, 4, (4, 6)).astype(np.int32)
    out.append(Case("reduce_window_with_init", lambda p, x, xi: (
        lax.reduce_window(x, 2.0, lax.mul, (2, 2), (1, 2), ((1, 0), (0, 1))),
        lax.reduce_window(x, 1.0, lax.add, (2, 3), (1, 1), "SAME"),
        lax.reduce_window(xi, 3, lax.max, (2, 2), (2, 2), "VALID")), {},
        [(window_input.shape, F32), (window_ints.shape, np.int32)], [[window_input, window_ints]], atol=1e-6))
    out.append(Case("reduce_with_init", lambda p, x, xi: (
        lax.reduce(x, 3.0, lax.add, (0,)),
        lax.reduce((x, xi), (3.0, 0), lambda a, b: (lax.max(a[0], b[0]), lax.min(a[1], b[1])), (1,)),
        lax.reduce(x, 2.0, lax.mul, (0, 1))), {},
        [(window_input.shape, F32), (window_ints.shape, np.int32)], [[window_input, window_ints]], atol=1e-6))
    # Poles, reflection below 0.5, infinities: XLA's own Lanczos formulas, to float32 rounding.
    gamma_args = np.concatenate([rng(16).uniform(-10, 10, 200), rng(17).uniform(0, 3, 50),
                                 [0.0, -1.0, -2.0, 1.0, 2.0, 0.5, -0.5, np.inf, -np.inf, np.nan, 1e-6, 30.0, 100.0]])
    gamma_args = gamma_args.astype(F32)
    out.append(Case("lgamma_digamma", lambda p, x: (lax.lgamma(x), lax.digamma(x)), {}, [(gamma_args.shape, F32)],
                    [[gamma_args]], atol=1e-5, rtol=1e-4, allow_nonfinite=True))
    out += linalg_cases() + select_and_scatter_cases()
    # Found on the harnesses on WASM: Maximum/Minimum drop a NaN second operand, Reverse and
    # SelectV2 misread booleans; on CPU an int32 -> float32 cast keeps its Int32Array.
    out.append(exact("max_min_nan_second", lambda a, b: (jnp.maximum(a, b), jnp.minimum(a, b), jnp.maximum(a, 0.0)),
                     floats, floats[::-1].copy()))
    out.append(exact("bool_elementwise_rev_scatter", lambda c, d: (
        jnp.maximum(c, d), jnp.minimum(c, d), lax.rev(c, (0, 1)),
        c[0].at[jnp.array([1, 3, 8])].set(jnp.array([True, False, True]))), bools, ~bools))
    out.append(exact("cast_int32_to_float32", lambda a: a.astype(jnp.float32), ints))
    flags = bools[0]
    out.append(exact("bool_scatter_max_min_bitcast", lambda c, u: (
        c.at[jnp.array([1, 3, 3])].max(u), c.at[jnp.array([1, 3, 3])].min(u),
        lax.bitcast_convert_type(c, jnp.bool_)), flags, np.array([True, False, True])))
    g = rng(20)
    specials = [0, -0.0, 1, -1, 2, 0.5, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1.1754944e-38, 3.4028235e38, 1.0, 4.0]
    towards = [1, -1, 0, 5, 1, 0, 0, 0, 1, 0, 0, 0, np.inf, 1.0, -4.0]
    # Random magnitudes stay normal: jitted XLA compares two subnormals as zeros (eager JAX does not).
    x_next = np.concatenate([g.standard_normal(100) * 10.0 ** g.integers(-36, 38, 100), specials]).astype(F32)
    y_next = np.concatenate([g.standard_normal(100) * 10.0 ** g.integers(-36, 38, 100), towards]).astype(F32)
    out.append(exact("nextafter", lambda x, y: (lax.nextafter(x, y), lax.nextafter(y, x)), x_next, y_next))
    # TF.js' WASM PadV2 takes its fill as a float32: INT32_MAX came out as INT32_MIN.
    small = np.arange(6, dtype=np.int32).reshape(2, 3)
    out.append(exact("pad_int32_extremes", lambda a: (jnp.pad(a, 1, constant_values=2**31 - 1),
                                                      jnp.pad(a, ((0, 1), (2, 0)), constant_values=-(2**31) + 1)),
                     small))
    for e, m in [(8, 7), (5, 10), (4, 3), (2, 1), (8, 0), (6, 22)]:
        out.append(exact(f"reduce_precision_e{e}_m{m}",
                         lambda x, e=e, m=m: lax.reduce_precision(x, exponent_bits=e, mantissa_bits=m), rp))
    return out


CASES = cases()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_cases(CASES, tmp_path_factory.mktemp("exact"), backends=("cpu", "wasm"))


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_matches_jax_exactly(outcomes, name):
    outcome = outcomes[name]
    assert outcome.ok, outcome.explain()


def test_bool_reductions_stay_bool(outcomes):
    model = outcomes["bool_max_min"].result.model_dir / "model.json"
    outputs = json.loads(model.read_text())["signature"]["outputs"]
    assert [outputs[k]["dtype"] for k in sorted(outputs)][:2] == ["DT_BOOL", "DT_BOOL"]


def test_integer_convolution_is_refused_at_convert_time(tmp_path):
    x, w = np.ones((1, 2, 5, 5), np.int32), np.ones((4, 2, 3, 3), np.int32)
    with pytest.raises(UnsupportedPrimitiveError, match="convolution of int32 values.*cast the operands to float32"):
        convert_jax(lambda p, x, w: lax.conv(x, w, (1, 1), "SAME"), {},
                    input_signatures=[(x.shape, x.dtype), (w.shape, w.dtype)], model_dir=tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_reduce_precision_reference_is_not_identity():
    """Guards the fixture: these inputs do change under each rounding."""
    rp = reduce_precision_inputs()
    for e, m in [(8, 7), (5, 10)]:
        rounded = np.asarray(lax.reduce_precision(rp, exponent_bits=e, mantissa_bits=m))
        assert not np.array_equal(rounded, rp, equal_nan=True)


def test_bitwise_models_record_the_backends_they_are_exact_on(outcomes):
    """WebGL/WebGPU hold int32 in float32: a model with bitwise ops lists CPU and WASM only."""
    result = outcomes["bitwise_int32"].result
    assert result.backends == ["wasm", "cpu"]
    metadata = json.loads((result.model_dir / "model.json").read_text())["userDefinedMetadata"]
    assert metadata["backends"] == ["wasm", "cpu"]
    assert any("exact 32-bit integer arithmetic" in w for w in result.warnings)
    assert outcomes["argmax_nan"].result.backends is None
