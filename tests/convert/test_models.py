"""Flax building blocks and small models end to end: converted, run in TF.js, compared with JAX.

Also polymorphic batch sizes, two symbolic dimensions, flax.nnx via split/merge, and dtypes.
"""

from __future__ import annotations

import warnings

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from tests.convert.harness import Case, fast_init, normal, rng, run_cases

F32 = np.float32
KEY = jax.random.PRNGKey(0)


def linen_case(name, module, example, *, poly=None, input_sets=None, atol=1e-5, rtol=1e-4, method=None, **kw):
    """A Case for `module.apply(variables, x)`; the batch dimension is symbolic when `poly` is given."""
    variables = fast_init(module, example, **kw)

    def fn(v, x):
        return module.apply(v, x, **kw)

    sig_shape = tuple(None if poly and i == 0 else d for i, d in enumerate(example.shape))
    sets = input_sets or [[example]]
    return Case(name, fn, variables, [(sig_shape, example.dtype)], sets,
                polymorphic_shapes=[poly] if poly else None, atol=atol, rtol=rtol)


class CNN(nn.Module):
    """The MNIST demo's shape of network: conv, pool, conv, pool, dense."""

    @nn.compact
    def __call__(self, x):
        x = nn.relu(nn.Conv(8, (3, 3))(x))
        x = nn.avg_pool(x, (2, 2), strides=(2, 2))
        x = nn.relu(nn.Conv(16, (3, 3), strides=(1, 1), padding="VALID")(x))
        x = nn.max_pool(x, (2, 2), strides=(2, 2))
        x = x.reshape((x.shape[0], -1))
        return nn.log_softmax(nn.Dense(10)(x))


class Block(nn.Module):
    """Pre-LayerNorm transformer block with an optional padding mask."""

    heads: int = 2
    masked: bool = True

    @nn.compact
    def __call__(self, x, tokens):
        mask = nn.make_attention_mask(tokens != 0, tokens != 0) if self.masked else None
        h = nn.LayerNorm()(x)
        x = x + nn.MultiHeadDotProductAttention(num_heads=self.heads)(h, h, mask=mask)
        h = nn.LayerNorm()(x)
        h = nn.Dense(4 * x.shape[-1])(h)
        h = nn.gelu(h, approximate=True)
        h = nn.Dropout(0.1)(h, deterministic=True)
        return x + nn.Dense(x.shape[-1])(h)


class TextEncoder(nn.Module):
    """Token ids (b, t) -> L2-normalised embedding; runs for any b and t."""

    masked: bool = True

    @nn.compact
    def __call__(self, tokens):
        x = nn.Embed(50, 16)(tokens)
        x = Block(masked=self.masked)(x, tokens)
        x = nn.RMSNorm()(x)
        pooled = x[:, -1]
        mean = jnp.mean(x, axis=1)
        out = nn.Dense(8)(jnp.concatenate([pooled, mean], axis=-1))
        return out / jnp.linalg.norm(out, axis=-1, keepdims=True)


def block_cases():
    x = normal((2, 6, 6, 4), 1)
    seq = normal((3, 5, 12), 2)
    cases = [
        linen_case("dense", nn.Dense(7), normal((3, 5), 3), poly="(b, 5)",
                   input_sets=[[normal((1, 5), 4)], [normal((6, 5), 5)]]),
        linen_case("conv_same", nn.Conv(5, (3, 3)), x, atol=1e-4),
        linen_case("conv_strided_valid", nn.Conv(5, (3, 3), strides=2, padding="VALID"), x, atol=1e-4),
        linen_case("conv_depthwise", nn.Conv(8, (3, 3), feature_group_count=4), x, atol=1e-4),
        linen_case("conv_1d_causal", nn.Conv(3, (3,), padding="CAUSAL"), seq, atol=1e-4),
        linen_case("conv_transpose", nn.ConvTranspose(3, (3, 3), strides=(2, 2)), x, poly="(b, 6, 6, 4)",
                   input_sets=[[x], [x[:1]]], atol=1e-4),
        linen_case("conv_transpose_valid", nn.ConvTranspose(3, (2, 2), strides=(2, 2), padding="VALID"), x,
                   atol=1e-4),
        linen_case("layernorm", nn.LayerNorm(), seq, atol=1e-5),
        linen_case("rmsnorm", nn.RMSNorm(), seq),
        linen_case("groupnorm", nn.GroupNorm(num_groups=2), x, atol=1e-5),
        linen_case("batchnorm", nn.BatchNorm(use_running_average=True), x),
        linen_case("gelu_exact", lambda_module(lambda x: nn.gelu(x, approximate=False)), seq),
        linen_case("gelu_tanh", lambda_module(lambda x: nn.gelu(x, approximate=True)), seq),
        linen_case("softmax", lambda_module(lambda x: (nn.softmax(x), nn.log_softmax(x, axis=1))), seq),
        linen_case("dropout_deterministic", nn.Dropout(0.5, deterministic=True), seq),
        linen_case("attention_unmasked", nn.MultiHeadDotProductAttention(num_heads=3), seq, atol=1e-5),
        linen_case("cnn_poly", CNN(), normal((2, 28, 28, 1), 6), poly="(b, 28, 28, 1)",
                   input_sets=[[normal((1, 28, 28, 1), 7)], [normal((5, 28, 28, 1), 8)]], atol=1e-4),
    ]
    # Fully convolutional with symbolic height and width: SAME padding depends on h and w.
    fcn = lambda_module(lambda x: nn.avg_pool(nn.max_pool(nn.relu(nn.Conv(4, (3, 3), strides=2)(x)), (3, 3),
                                                          strides=(2, 2), padding="SAME"), (2, 2), padding="SAME"))
    img = normal((2, 9, 7, 3), 15)
    cases.append(Case("conv_pool_poly_hw", lambda v, x: fcn.apply(v, x), fast_init(fcn, img),
                      [((None, None, None, 3), F32)], [[img], [normal((1, 8, 12, 3), 16)], [normal((1, 5, 5, 3), 17)]],
                      polymorphic_shapes=["(b, h, w, 3)"], atol=1e-4))
    # Masked attention: the mask comes from padding tokens.
    tokens = np.array([[3, 7, 9, 0, 0], [4, 1, 2, 8, 6]], np.int32)
    cases.append(Case("attention_masked", lambda v, x, t: Block().apply(v, x, t),
                      fast_init(Block(), seq[:2], tokens), [(seq[:2].shape, F32), (tokens.shape, np.int32)],
                      [[seq[:2], tokens]], atol=1e-5))
    # Two symbolic dimensions: batch and sequence length.
    enc = TextEncoder()
    toks = rng(9).integers(1, 50, (3, 7)).astype(np.int32)
    toks[0, 5:] = 0
    cases.append(Case("text_encoder_b_t", lambda v, t: enc.apply(v, t), fast_init(enc, toks),
                      [((None, None), np.int32)], [[toks], [toks[:1, :3]], [toks[:, :6]]],
                      polymorphic_shapes=["(b, t)"], atol=1e-5))
    return cases


def lambda_module(fn):
    class Wrapped(nn.Module):
        @nn.compact
        def __call__(self, x):
            return fn(x)

    return Wrapped()


class NnxMLP(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.conv = nnx.Conv(1, 4, (3, 3), rngs=rngs)
        self.norm = nnx.LayerNorm(4, rngs=rngs)
        self.linear = nnx.Linear(4 * 8 * 8, 3, rngs=rngs)

    def __call__(self, x):
        h = nnx.relu(self.norm(self.conv(x)))
        return self.linear(h.reshape((h.shape[0], -1)))


def nnx_case():
    graphdef, state = nnx.split(NnxMLP(nnx.Rngs(0)))

    def fn(state, x):
        return nnx.merge(graphdef, state)(x)

    x = normal((2, 8, 8, 1), 10)
    return Case("nnx_split_merge", fn, state, [((None, 8, 8, 1), F32)], [[x], [x[:1]]],
                polymorphic_shapes=["(b, 8, 8, 1)"], atol=1e-4)


def dtype_cases():
    dense = nn.Dense(4)
    v32 = fast_init(dense, np.ones((1, 3), F32))
    v16 = jax.tree_util.tree_map(lambda a: a.astype(jnp.bfloat16), v32)
    vhalf = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float16), v32)
    upcast = lambda tree: jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), tree)  # noqa: E731
    x = normal((2, 3), 11)
    image = rng(12).integers(0, 256, (2, 4, 4, 1)).astype(np.uint8)
    return [
        # Low-precision params run in float32 in TF.js: compare with JAX on the upcast params.
        Case("bf16_params", lambda v, x: dense.apply(upcast(v), x), v16, [((2, 3), F32)], [[x]]),
        Case("f16_params", lambda v, x: dense.apply(upcast(v), x), vhalf, [((2, 3), F32)], [[x]]),
        Case("uint8_image", lambda v, x: jnp.mean(x.astype(jnp.float32) / 255.0, axis=(1, 2)), {},
             [((None, 4, 4, 1), np.uint8)], [[image]], polymorphic_shapes=["(b, 4, 4, 1)"]),
        Case("bool_input", lambda v, m, x: jnp.where(m, x, -x).sum(axis=1) + jnp.any(m, axis=1), {},
             [((2, 3), np.bool_), ((2, 3), F32)], [[np.array([[True, False, True], [False, False, True]]), x]]),
    ]


def fusion_cases():
    x = normal((4, 6), 13)
    img = normal((2, 6, 6, 3), 14)
    return [
        linen_case("fused_dense_relu", lambda_module(lambda x: nn.relu(nn.Dense(5)(x))), x),
        linen_case("fused_dense_relu6", lambda_module(lambda x: nn.relu6(nn.Dense(5)(x) * 4)), x),
        linen_case("fused_dense_sigmoid", lambda_module(lambda x: nn.sigmoid(nn.Dense(5)(x))), x),
        linen_case("fused_conv_relu", lambda_module(lambda x: nn.relu(nn.Conv(4, (3, 3))(x))), img, atol=1e-4),
        linen_case("fused_depthwise_relu", lambda_module(
            lambda x: nn.relu(nn.Conv(6, (3, 3), strides=2, feature_group_count=3)(x))), img, atol=1e-4),
    ]


ALL_CASES = block_cases() + [nnx_case()] + dtype_cases() + fusion_cases()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_cases(ALL_CASES, tmp_path_factory.mktemp("models"), backends=("cpu", "wasm"))


@pytest.mark.parametrize("name", [c.name for c in ALL_CASES])
def test_model_matches_jax(outcomes, name):
    outcome = outcomes[name]
    assert outcome.ok, outcome.explain()


def test_graphs_need_no_control_flow(outcomes):
    """Polymorphic graphs compute shapes in-graph: no Switch/Merge, so `execute` stays synchronous."""
    for name in ("text_encoder_b_t", "cnn_poly", "conv_transpose", "nnx_split_merge"):
        ops = set(outcomes[name].result.op_counts)
        assert not ops & {"Switch", "Merge", "Enter", "Exit", "LoopCond", "Einsum"}, (name, ops)


def test_attention_uses_batch_matmul(outcomes):
    ops = outcomes["attention_masked"].result.op_counts
    assert ops.get("BatchMatMulV2", 0) >= 2 and "Einsum" not in ops


def test_low_precision_params_are_stored_as_float32(outcomes):
    import json

    for name in ("bf16_params", "f16_params"):
        model = json.loads((outcomes[name].result.model_dir / "model.json").read_text())
        dtypes = {w["dtype"] for w in model["weightsManifest"][0]["weights"]}
        assert dtypes <= {"float32", "int32"}, (name, dtypes)
        assert any("cast to 32-bit" in w for w in outcomes[name].result.warnings)


def test_64_bit_params_and_inputs_cast_with_one_warning(tmp_path):
    from builders.convert import convert_jax, verify

    dense = nn.Dense(2)
    params = {"dense": jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64),
                                              fast_init(dense, np.ones((1, 3), F32))),
              "offset": np.array([1, -2], np.int64)}

    def fn(p, x, n):
        return dense.apply(p["dense"], x) + p["offset"] * n

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        convert_jax(fn, params, input_signatures=[((None, 3), np.float64), ((), np.int64)],
                    polymorphic_shapes=["(b, 3)", None], model_dir=tmp_path / "m")
    cast_warnings = [w for w in caught if "32-bit" in str(w.message)]
    assert len(cast_warnings) == 1, [str(w.message) for w in caught]
    message = str(cast_warnings[0].message)
    assert "dense/params/kernel (float64)" in message and "offset (int64)" in message
    x64 = np.arange(6, dtype=np.float64).reshape(2, 3) / 7
    report = verify(tmp_path / "m", fn, params, [x64, np.int64(3)], atol=1e-5)
    assert report.ok, report.summary()


def _fused_nodes(outcome, op):
    import base64
    import json

    model = json.loads((outcome.result.model_dir / "model.json").read_text())
    nodes = [n for n in model["modelTopology"]["node"] if n["op"] == op]
    return [(n, [base64.b64decode(s).decode() for s in n["attr"]["fused_ops"]["list"]["s"]]) for n in nodes]


@pytest.mark.parametrize("name, op, fused_ops", [
    ("fused_dense_relu", "_FusedMatMul", ["BiasAdd", "Relu"]),
    ("fused_dense_sigmoid", "_FusedMatMul", ["BiasAdd", "Sigmoid"]),
    ("fused_dense_relu6", "_FusedMatMul", ["BiasAdd"]),  # the *4 sits between the bias and relu6
    ("dense", "_FusedMatMul", ["BiasAdd"]),
    ("fused_conv_relu", "_FusedConv2D", ["BiasAdd", "Relu"]),
    ("fused_depthwise_relu", "FusedDepthwiseConv2dNative", ["BiasAdd", "Relu"]),
])
def test_bias_and_activation_are_fused_like_the_official_converter(outcomes, name, op, fused_ops):
    ((node, ops),) = _fused_nodes(outcomes[name], op)
    assert ops == fused_ops
    assert node["attr"]["num_args"] == {"i": "1"} and len(node["input"]) == 3
    assert {"MatMul", "Conv2D", "DepthwiseConv2dNative", "AddV2", "Relu"}.isdisjoint(outcomes[name].result.op_counts)


def test_models_are_fused(outcomes):
    counts = {name: outcomes[name].result.op_counts for name in ("cnn_poly", "attention_masked", "text_encoder_b_t")}
    assert counts["cnn_poly"].get("_FusedConv2D") == 2 and counts["cnn_poly"].get("_FusedMatMul") == 1
    assert "MatMul" not in counts["attention_masked"] and counts["attention_masked"]["_FusedMatMul"] == 6
    assert "MatMul" not in counts["text_encoder_b_t"]
    # jax.nn.softmax over the last axis becomes one Softmax kernel (Max, Sub, Exp, Sum, RealDiv fused).
    assert counts["attention_masked"].get("Softmax") == 1 and "Exp" not in counts["attention_masked"]
    assert counts["text_encoder_b_t"].get("Softmax") == 1
    # LayerNorm's means: Sum then RealDiv by the element count become Mean.
    assert counts["attention_masked"].get("Mean", 0) >= 4 and "Sum" not in counts["attention_masked"]
    # ... which keep the reduced axis, so the ExpandDims restoring it go: none left in LayerNorms.
    assert "ExpandDims" not in outcomes["layernorm"].result.op_counts
    # The query's 1/sqrt(head size) is folded into its projection's weights: no RealDiv left.
    assert "RealDiv" not in counts["attention_masked"]


def test_tanh_gelu_becomes_one_sigmoid(outcomes):
    """0.5 * (1 + tanh(c * v)) is rewritten to sigmoid(2c * v): no Tanh left, one Sigmoid per GELU
    (and the model still matches JAX, checked by test_model_matches_jax)."""
    ops = outcomes["gelu_tanh"].result.op_counts
    assert ops.get("Sigmoid") == 1 and "Tanh" not in ops
    assert "Tanh" not in outcomes["text_encoder_b_t"].result.op_counts


def test_tanh_to_sigmoid_without_a_scale_factor(tmp_path):
    """A bare 0.5 * (1 + tanh(x)) gets an explicit doubling and matches JAX in TF.js."""
    from builders.convert import convert_jax, verify

    def fn(params, x):
        return 0.5 * (1 + jnp.tanh(x))

    x = np.linspace(-12, 12, 48, dtype=np.float32).reshape(4, 12)
    result = convert_jax(fn, None, input_signatures=[((4, 12), np.float32)], model_dir=tmp_path / "m")
    assert result.op_counts.get("Sigmoid") == 1 and "Tanh" not in result.op_counts
    report = verify(tmp_path / "m", fn, None, [x], atol=1e-6)
    assert report.ok, report


def test_transposed_kernel_is_folded_at_conversion(outcomes):
    ops = outcomes["conv_transpose"].result.op_counts
    assert "Conv2DBackpropInput" in ops and not {"ReverseV2", "Transpose"} & set(ops)


def test_fused_bias_keeps_its_parameter_name(outcomes):
    """Weights stay findable by their params-tree path after fusion (server-side code reads them by name)."""
    import json

    model = json.loads((outcomes["dense"].result.model_dir / "model.json").read_text())
    ((node, _),) = _fused_nodes(outcomes["dense"], "_FusedMatMul")
    weight_names = [w["name"] for w in model["weightsManifest"][0]["weights"]]
    assert node["input"][2].endswith("bias") and node["input"][2] in weight_names
    assert not any("MatMul/bias" in name for name in weight_names)
