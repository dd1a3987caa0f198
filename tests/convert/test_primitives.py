"""Each lowering converted and run in real TF.js (Node, CPU and WASM backends) against JAX.

All cases are converted first and verified in one Node process (see harness.run_cases).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from tests.convert.harness import Case, normal, rng, run_cases

F32 = np.float32
I32 = np.int32


def unary(name, fn, shape=(3, 4), low=-2.0, high=2.0, atol=1e-5, rtol=1e-4):
    x = rng(len(name)).uniform(low, high, shape).astype(F32)
    return Case(name, lambda p, x: fn(x), {}, [(shape, F32)], [[x]], atol=atol, rtol=rtol)


def static(name, fn, *inputs, atol=1e-5, rtol=1e-4, params=None, allow_nonfinite=False):
    sigs = [(np.shape(x), np.asarray(x).dtype) for x in inputs]
    return Case(name, (lambda p, *xs: fn(*xs)) if params is None else fn, params if params is not None else {},
                sigs, [list(inputs)], atol=atol, rtol=rtol, allow_nonfinite=allow_nonfinite)


def conv_cases():
    cases = []
    x = normal((2, 9, 9, 4), 1)
    w = normal((3, 3, 4, 6), 2) * 0.3

    def conv(**kw):
        dn = kw.pop("dn", ("NHWC", "HWIO", "NHWC"))
        return lambda p, x: lax.conv_general_dilated(x, p["w"], dimension_numbers=dn, **kw)

    for name, kw in {
        "conv_valid": dict(window_strides=(1, 1), padding="VALID"),
        "conv_same_stride2": dict(window_strides=(2, 2), padding="SAME"),
        "conv_explicit": dict(window_strides=(1, 2), padding=((2, 0), (1, 3))),
        "conv_rhs_dilation": dict(window_strides=(1, 1), padding="SAME", rhs_dilation=(2, 2)),
        "conv_dilation_and_stride": dict(window_strides=(2, 2), padding="VALID", rhs_dilation=(2, 1)),
        "conv_lhs_dilation": dict(window_strides=(1, 1), padding=((2, 1), (2, 1)), lhs_dilation=(2, 2)),
        "conv_lhs_dilation_odd_pads": dict(window_strides=(1, 1), padding=((0, 3), (1, 1)), lhs_dilation=(3, 2)),
        "conv_lhs_dilation_strided": dict(window_strides=(2, 1), padding=((1, 1), (1, 1)), lhs_dilation=(2, 2)),
    }.items():
        cases.append(Case(name, conv(**kw), {"w": w}, [(x.shape, F32)], [[x]], atol=1e-4))
    # Negative padding crops. XLA's CPU convolution returns garbage for negative padding, so
    # the reference crops first and pads the rest, which is what the padding means.
    cases.append(Case("conv_negative_pad", conv(window_strides=(1, 1), padding=((-1, 1), (0, -2))), {"w": w},
                      [(x.shape, F32)], [[x]], atol=1e-4,
                      reference=lambda p, x: lax.conv_general_dilated(
                          x[:, 1:, :-2], p["w"], (1, 1), ((0, 1), (0, 0)), dimension_numbers=("NHWC", "HWIO", "NHWC"))))
    # NCHW / OIHW layouts, batch-polymorphic.
    x_nchw = normal((3, 4, 7, 8), 3)
    w_oihw = normal((5, 4, 3, 2), 4) * 0.3
    cases.append(Case("conv_nchw_poly", conv(window_strides=(1, 1), padding="SAME", dn=("NCHW", "OIHW", "NCHW")),
                      {"w": w_oihw}, [((None, 4, 7, 8), F32)], [[x_nchw], [x_nchw[:1]]],
                      polymorphic_shapes=["(b, 4, 7, 8)"], atol=1e-4))
    # Depthwise (groups == channels, multiplier 2) and grouped (2 groups).
    w_dw = normal((3, 3, 1, 8), 5) * 0.3
    cases.append(Case("conv_depthwise", lambda p, x: lax.conv_general_dilated(
        x, p["w"], (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=4),
        {"w": w_dw}, [(x.shape, F32)], [[x]], atol=1e-4))
    w_g = normal((3, 3, 2, 6), 6) * 0.3
    cases.append(Case("conv_grouped", lambda p, x: lax.conv_general_dilated(
        x, p["w"], (2, 2), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=2),
        {"w": w_g}, [(x.shape, F32)], [[x]], atol=1e-4))
    # 1-D convolution (NWC), strided with padding.
    x1 = normal((2, 11, 3), 7)
    w1 = normal((4, 3, 5), 8) * 0.3
    cases.append(Case("conv_1d", lambda p, x: lax.conv_general_dilated(
        x, p["w"], (2,), ((1, 2),), dimension_numbers=("NWC", "WIO", "NWC")),
        {"w": w1}, [(x1.shape, F32)], [[x1]], atol=1e-4))
    # Transposed conv through lax.conv_transpose.
    cases.append(Case("conv_transpose", lambda p, x: lax.conv_transpose(
        x, p["w"], (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")),
        {"w": w}, [(x.shape, F32)], [[x]], atol=1e-4))
    return cases


def window_cases():
    x = normal((2, 7, 6, 3), 11)
    cases = []
    for name, fn in {
        "maxpool_valid": lambda x: lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
        "maxpool_same": lambda x: lax.reduce_window(x, -jnp.inf, lax.max, (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),
        "maxpool_explicit": lambda x: lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 3, 1), (1, 1, 2, 1),
                                                        ((0, 0), (1, 0), (0, 2), (0, 0))),
        "minpool": lambda x: lax.reduce_window(x, jnp.inf, lax.min, (1, 2, 2, 1), (1, 1, 1, 1), "VALID"),
        "sumpool_same": lambda x: lax.reduce_window(x, 0.0, lax.add, (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),
        "sumpool_1d_axis": lambda x: lax.reduce_window(x, 0.0, lax.add, (1, 1, 3, 1), (1, 1, 1, 1), "VALID"),
        "sumpool_channels": lambda x: lax.reduce_window(x, 0.0, lax.add, (1, 1, 1, 2), (1, 1, 1, 1), "VALID"),
        "maxpool_3_axes": lambda x: lax.reduce_window(x, -jnp.inf, lax.max, (2, 2, 2, 1), (1, 2, 2, 1), "VALID"),
    }.items():
        cases.append(static(name, fn, x, atol=1e-5))
    xi = rng(12).integers(-50, 50, (1, 6, 6, 2)).astype(I32)
    cases.append(static("maxpool_int", lambda x: lax.reduce_window(
        x, jnp.iinfo(jnp.int32).min, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"), xi))
    y = normal((3, 6), 13)
    for name, fn in {
        "cumsum": lambda x: jnp.cumsum(x, axis=1),
        "cumsum_reverse": lambda x: lax.cumsum(x, axis=0, reverse=True),
        "cumprod": lambda x: jnp.cumprod(x * 0.5 + 1.0, axis=1),
        "cummax": lambda x: lax.cummax(x, axis=1),
        "cummin_reverse": lambda x: lax.cummin(x, axis=1, reverse=True),
        "cumlogsumexp": lambda x: lax.cumlogsumexp(x, axis=1),
    }.items():
        cases.append(static(name, fn, y))
    return cases


def indexing_cases():
    x = normal((4, 6, 5), 21)
    idx = np.array([[0, 5], [2, -1], [3, 1]], I32)
    table = normal((10, 8), 22)
    tokens = np.array([[1, 2, 9], [0, 0, 7]], I32)
    cases = [
        static("take_axis1", lambda x, i: jnp.take(x, i, axis=1), x, idx),
        static("take_out_of_range_fill", lambda x, i: jnp.take(x, i, axis=2), x, np.array([0, 7, -9, 4], I32),
               allow_nonfinite=True),  # out-of-range ids give NaN
        static("take_clip", lambda x, i: jnp.take(x, i, axis=0, mode="clip"), x, np.array([1, 9, -3], I32)),
        static("index_array", lambda x, i: x[i], x, np.array([3, 0, -2], I32)),
        static("index_last", lambda x: x[:, -1], x),
        # With a symbolic batch, jax writes x[:, -1, :] as a gather with a constant start.
        Case("index_last_poly", lambda p, x: x[:, -1, :], {}, [((None, 6, 5), F32)], [[x], [x[:1]]],
             polymorphic_shapes=["(b, 6, 5)"]),
        # table[:t] for a symbolic t: a window of size min(10, t), computed in the graph.
        Case("slice_to_symbolic_min", lambda p, t: (p["table"][:t.shape[1]] * 2, t.sum(axis=1)), {"table": table},
             [((None, None), I32)], [[tokens], [np.ones((1, 12), I32)]], polymorphic_shapes=["(b, t)"]),
        Case("take_scalar_index_poly", lambda p, x, i: jnp.take(x, i, axis=1), {},
             [((None, 6, 5), F32), ((), I32)], [[x, np.array(4, I32)], [x[:2], np.array(-1, I32)]],
             polymorphic_shapes=["(b, 6, 5)", None]),
        static("index_2d_arrays", lambda x, i, j: x[i, j], x, np.array([0, 3, 2], I32), np.array([5, 1, 0], I32)),
        static("index_mixed", lambda x, i: x[:, i, 1:3], x, np.array([1, 4], I32)),
        static("take_along_axis", lambda x, i: jnp.take_along_axis(x, i, axis=1), x,
               rng(23).integers(0, 6, (4, 3, 5)).astype(I32)),
        static("take_along_last", lambda x, i: jnp.take_along_axis(x, i, axis=-1), x,
               rng(24).integers(0, 5, (4, 6, 2)).astype(I32)),
        Case("embed_lookup_poly", lambda p, t: jnp.take(p["table"], t, axis=0), {"table": table},
             [((None, None), I32)], [[tokens], [tokens[:1, :2]]], polymorphic_shapes=["(b, t)"]),
        # Out-of-range ids give NaN rows; the sign of zero survives (1/x tells -0.0 from +0.0).
        Case("embed_lookup_fill_signed_zeros", lambda p, t: 1.0 / jnp.take(p["table"], t, axis=0),
             {"table": np.array([[0.0, -0.0, 2.0], [-0.0, 1.0, 0.0]], F32)}, [((None, None), I32)],
             [[np.array([[0, 1, 2], [-1, 7, -3]], I32)]], polymorphic_shapes=["(b, t)"], allow_nonfinite=True),
        static("dynamic_index", lambda x, i: x[:, i], x, np.array(4, I32)),
        static("dynamic_slice", lambda x, i, j: lax.dynamic_slice(x, (i, j, 0), (2, 3, 5)), x,
               np.array(1, I32), np.array(5, I32)),
        static("dynamic_update_slice", lambda x, u, i: lax.dynamic_update_slice(x, u, (i, 2, 1)), x,
               normal((2, 3, 2), 25), np.array(3, I32)),
        static("pad_lo_hi", lambda x: lax.pad(x, 1.5, ((1, 2, 0), (0, 1, 0), (2, 0, 0))), x),
        static("pad_negative_interior", lambda x: lax.pad(x, 0.0, ((-1, 1, 1), (2, -2, 0), (0, 0, 2))), x),
        static("pad_dynamic_value", lambda x, v: lax.pad(x, v, ((1, 1, 1), (0, 0, 0), (0, 0, 0))), x,
               np.array(-3.0, F32)),
        static("rev", lambda x: jnp.flip(x, (0, 2)), x),
        static("scatter_set_column", lambda x: jnp.asarray(x).at[:, 0].set(7.0), x),
        static("scatter_add_duplicates_dropped", lambda x, i: jnp.asarray(x).at[i].add(1.0), x,
               np.array([0, 2, 2, 9], I32)),
        static("scatter_set_rows", lambda x, i, v: jnp.asarray(x).at[i].set(v), x, np.array([3, 1, -9], I32),
               normal((3, 6, 5), 27)),
        static("scatter_set_elements", lambda x, i, j: jnp.asarray(x).at[i, j].set(-1.0), x,
               np.array([0, 3], I32), np.array([4, 1], I32)),
        static("split", lambda x: jnp.split(x, [1, 4], axis=1), x),
        static("concatenate", lambda x: jnp.concatenate([x, 2 * x[:, :2]], axis=1), x),
        static("stack_bool", lambda x: jnp.stack([x > 0, x < -1], axis=1), x),  # the stack primitive
        static("unstack_axis2", lambda x: jnp.unstack(x * 2, axis=2), x),
        Case("stack_poly", lambda p, x: jnp.stack([x, -x, x * x], axis=-1), {}, [((None, 6, 5), F32)],
             [[x], [x[:1]]], polymorphic_shapes=["(b, 6, 5)"]),
        static("slice_strided", lambda x: x[::2, 1::3, ::-1], x),
        static("squeeze_expand_transpose", lambda x: jnp.transpose(x[:1], (2, 0, 1))[None], x),
        static("iota_select_clamp", lambda x: jnp.where(jnp.arange(5) > 2, jnp.clip(x, -0.5, 0.5), x), x),
        static("argmax_argmin", lambda x: (jnp.argmax(x, axis=1), jnp.argmin(x, axis=-1)), x),
        static("top_k", lambda x: lax.top_k(x, 3), x),
        static("sort", lambda x: jnp.sort(x, axis=1), x),
        static("sort_descending", lambda x: jnp.sort(x, axis=-1, descending=True), x),
        static("argsort", lambda x: jnp.argsort(x, axis=0), x),
        # Ties keep their order (a stable sort), as jnp.argsort promises.
        static("argsort_ties", lambda x: jnp.argsort(x, axis=1), np.array([[3, 1, 2, 1, 3, 1, 0, 2] * 4], F32)),
        static("sort_carries_operand", lambda x, y: lax.sort((x, y), dimension=1, num_keys=1), x,
               rng(26).integers(0, 100, (4, 6, 5)).astype(I32)),
    ]
    return cases


def math_cases():
    cases = [
        unary("erf", jax.scipy.special.erf),
        unary("erfc", jax.scipy.special.erfc),
        unary("erf_inv", jax.scipy.special.erfinv, low=-0.999, high=0.999, atol=1e-4, rtol=1e-3),
        unary("rsqrt_sqrt", lambda x: (lax.rsqrt(x), jnp.sqrt(x)), low=0.1, high=4.0),
        unary("cbrt", jnp.cbrt, atol=1e-5, rtol=1e-4),
        unary("log1p_expm1", lambda x: (jnp.log1p(x), jnp.expm1(x)), low=-0.5, high=2.0),
        unary("sign_abs_floor_ceil", lambda x: (jnp.sign(x), jnp.abs(x), jnp.floor(x), jnp.ceil(x))),
        unary("round", lambda x: (jnp.round(x * 3), lax.round(x * 3, lax.RoundingMethod.AWAY_FROM_ZERO))),
        unary("trig", lambda x: (jnp.sin(x), jnp.cos(x), jnp.tan(x * 0.5), jnp.arctan(x), jnp.sinh(x),
                                 jnp.cosh(x), jnp.tanh(x), jnp.arcsinh(x))),
        unary("inverse_trig", lambda x: (jnp.arcsin(x), jnp.arccos(x), jnp.arctanh(x * 0.9)), low=-0.9, high=0.9),
        unary("integer_pow", lambda x: (x ** 2, x ** 3, x ** -2, x ** 5), low=0.5, high=1.5),
        unary("pow", lambda x: jnp.power(x, 1.7), low=0.1, high=3.0),
        unary("is_finite", lambda x: jnp.isfinite(jnp.log(x))),
        static("rem_atan2", lambda a, b: (lax.rem(a, b), jnp.arctan2(a, b)), normal((3, 4), 31) * 3,
               normal((3, 4), 32) + 2.0),
        static("int_div_rem", lambda a, b: (lax.div(a, b), lax.rem(a, b)),
               np.array([7, -7, 9, -9], I32), np.array([2, 2, -4, -4], I32)),
        static("logical_bool", lambda a, b: (a & b, a | b, a ^ b, ~a), np.array([True, False, True, False]),
               np.array([True, True, False, False])),
    ]
    return cases


def dot_cases():
    a = normal((3, 4, 5), 41)
    b = normal((5, 3, 6), 42)
    c = normal((4, 6, 3), 43)
    dg = lax.dot_general
    return [
        static("dot_matmul_poly_free", lambda x, y: jnp.einsum("bij,jk->bik", x, y), a, normal((5, 2), 44)),
        static("dot_batch_not_leading", lambda x, y: dg(x, y, (((2,), (0,)), ((0,), (1,)))), a, b),
        static("dot_contract_middle", lambda x, y: dg(x, y, (((1,), (0,)), ((), ()))), a, c),
        static("dot_two_contracting", lambda x, y: dg(x, y, (((1, 2), (0, 2)), ((), ()))), normal((2, 4, 3), 45),
               normal((4, 5, 3), 46)),
        static("dot_batch_last", lambda x, y: dg(x, y, (((0,), (1,)), ((2,), (2,)))), normal((4, 2, 3), 47),
               normal((5, 4, 3), 48)),
        static("dot_vector", lambda x, y: (jnp.dot(x[0, 0], y[:, 0, 0]), jnp.outer(x[0, 0], y[0, 0])), a, b),
        Case("dot_tied_weights", lambda p, x: jnp.dot(x, p["emb"].T), {"emb": normal((50, 8), 53)},
             [((None, 8), F32)], [[normal((3, 8), 54)]], polymorphic_shapes=["(b, 8)"]),
        static("dot_int", lambda x, y: jnp.matmul(x, y), np.arange(6, dtype=I32).reshape(2, 3),
               np.arange(12, dtype=I32).reshape(3, 4)),
        Case("dot_attention_b_t", lambda p, q, k: jax.nn.softmax(jnp.einsum("bqhd,bkhd->bhqk", q, k), axis=-1),
             {}, [((None, None, 2, 4), F32), ((None, None, 2, 4), F32)],
             [[normal((2, 5, 2, 4), 49), normal((2, 5, 2, 4), 50)],
              [normal((1, 3, 2, 4), 51), normal((1, 3, 2, 4), 52)]],
             polymorphic_shapes=["(b, t, 2, 4)", "(b, t, 2, 4)"]),
    ]


def control_flow_cases():
    """scan is unrolled, cond becomes a select: no control-flow nodes in the graph."""
    xs = normal((4, 2, 3), 61)
    c0 = normal((2, 3), 62)
    v = normal((3,), 63)

    def rnn(p, c, xs):
        return lax.scan(lambda c, x: (jnp.tanh(c @ p["w"] + x), c.sum(axis=-1)), c, xs)

    return [
        Case("scan_rnn_poly", rnn, {"w": normal((3, 3), 64) * 0.5}, [((None, 3), F32), ((4, None, 3), F32)],
             [[c0, xs], [c0[:1], xs[:, :1]]], polymorphic_shapes=["(b, 3)", "(4, b, 3)"]),
        static("scan_reverse", lambda x: lax.cumsum(x, 0) + lax.scan(lambda c, x: (c + x, c * x), 0.0, x[:, 0],
                                                                        reverse=True)[1][:, None], xs[:, 0]),
        static("fori_loop", lambda x: lax.fori_loop(0, 5, lambda i, c: c * 0.9 + i, x), v),
        Case("cond_on_input", lambda p, a, x: lax.cond(a > 0, lambda x: x * 2, lambda x: jnp.sin(x) - 1, x), {},
             [((), F32), ((3,), F32)], [[np.float32(1.5), v], [np.float32(-2.0), v]]),
        Case("switch_clamped_index", lambda p, i, x: lax.switch(i, [lambda x: x * 2, jnp.cos, jnp.exp], x), {},
             [((), I32), ((3,), F32)], [[np.int32(1), v], [np.int32(7), v], [np.int32(-3), v]]),
    ]


def jax_api_cases():
    """Everyday JAX API whose primitives are new or easy to miss: jnp.tile, x.at[].subtract,
    jax.checkpoint (remat2), sharding constraints, jax.debug.print, and the total-order comparisons
    behind searchsorted, interp and histogram (-0.0 before +0.0, NaN last)."""
    x = normal((3, 4), 71)
    edges = np.array([-np.inf, -1.0, -0.0, 0.0, 0.5, np.nan], F32)
    probes = np.array([-2.0, -0.0, 0.0, 0.25, 7.0, np.nan, -np.inf, np.inf], F32)
    sharding = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    return [
        static("tile", lambda x: jnp.tile(x, (2, 3)), x),
        static("at_subtract", lambda x: x.at[jnp.array([1, 1, 5])].subtract(3.0), x),
        static("at_subtract_window", lambda x: x.at[1, :2].subtract(x[0, :2]), x),
        static("checkpoint", lambda x: jax.checkpoint(lambda y: jnp.sin(y) * y)(x), x),
        static("sharding_constraint", lambda x: lax.with_sharding_constraint(x * 2, sharding) + 1, x),
        static("debug_print_dropped", lambda x: (jax.debug.print("x={x}", x=x), x * 2)[1], x),
        static("searchsorted_total_order", lambda e, q: jnp.stack([jnp.searchsorted(e, q, side="left"),
                                                                  jnp.searchsorted(e, q, side="right")]),
               edges, probes),
        static("interp", lambda x: jnp.interp(x, jnp.array([-1.0, 0.0, 1.0]), jnp.array([0.0, 1.0, 0.0])), x),
        static("histogram", lambda x: jnp.histogram(x, bins=4, range=(-2, 2))[0], x),
    ]


ALL_CASES = (conv_cases() + window_cases() + indexing_cases() + math_cases() + dot_cases() + control_flow_cases()
             + jax_api_cases())


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_cases(ALL_CASES, tmp_path_factory.mktemp("primitives"), backends=("cpu", "wasm"))


@pytest.mark.parametrize("name", [c.name for c in ALL_CASES])
def test_primitive_matches_jax(outcomes, name):
    outcome = outcomes[name]
    assert outcome.ok, outcome.explain()


def test_convolutions_use_native_kernels(outcomes):
    ops = {name: outcomes[name].result.op_counts for name in ("conv_depthwise", "conv_transpose", "conv_valid")}
    assert "DepthwiseConv2dNative" in ops["conv_depthwise"] or "FusedDepthwiseConv2dNative" in ops["conv_depthwise"]
    assert "Conv2DBackpropInput" in ops["conv_transpose"]
    assert not {"Transpose", "Reshape"} & set(ops["conv_valid"])


def test_embedding_uses_gatherv2(outcomes):
    assert outcomes["embed_lookup_poly"].result.op_counts.get("GatherV2") == 1


def test_control_flow_leaves_no_control_flow_nodes(outcomes):
    for name in ("scan_rnn_poly", "fori_loop", "cond_on_input", "switch_clamped_index"):
        ops = set(outcomes[name].result.op_counts)
        assert not ops & {"Switch", "Merge", "Enter", "Exit", "LoopCond", "While", "If", "StatelessWhile"}, ops


def test_debug_print_is_left_out_with_a_warning(outcomes):
    result = outcomes["debug_print_dropped"].result
    assert any("jax.debug call(s) left out" in w for w in result.warnings), result.warnings


def test_constant_weights_are_stored_untransposed(outcomes):
    """x @ W.T keeps W as [in, out] in the model: TF.js' WASM MatMul is ~10x slower with transpose_b."""
    import json

    model = json.loads((outcomes["dot_tied_weights"].result.model_dir / "model.json").read_text())
    (matmul,) = [n for n in model["modelTopology"]["node"] if n["op"] in ("MatMul", "_FusedMatMul")]
    assert not matmul["attr"].get("transpose_b", {}).get("b", False)
    assert [w["shape"] for w in model["weightsManifest"][0]["weights"] if w["name"] == matmul["input"][1]] == [[8, 50]]
