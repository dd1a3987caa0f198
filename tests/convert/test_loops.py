"""Long scans and while loops become `StatelessWhile` loops (builders/convert/loops.py): they
match JAX in TF.js (CPU and WASM), a tox-block-sized BiLSTM ships at most 1.05x its parameter
bytes all files counted, and a loop whose trip count depends on the input runs."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from builders.convert import convert_jax
from builders.convert.errors import ConversionError, UnsupportedPrimitiveError
from builders.convert.loops import steps_per_iteration
from tests.convert.harness import Case, fast_init, normal, rng, run_cases
from tests.convert.test_prng_and_scans import BiLSTMClassifier


def decay_scan(p, x):
    """A scan over time with a carry and a stacked output, batch polymorphic."""
    def step(c, xt):
        c = c * p["a"] + jnp.sin(xt)
        return c, c * 2
    return lax.scan(step, jnp.zeros(x.shape[1:]), x)


def reverse_scan(p, x):
    """Reverse scan with a matmul, an int carry and a bool stacked output."""
    def step(carry, xt):
        h, n = carry
        h = jnp.tanh(h + xt @ p["w"])
        return (h, n + 1), h.sum(-1) > 0
    return lax.scan(step, (jnp.zeros((x.shape[1], 4)), jnp.int32(0)), x, reverse=True)


def prime_scan(p, x):
    """37 steps of a body too big to repeat 37 times within the budget: one step per iteration."""
    def step(c, xt):
        for _ in range(12):
            c = jnp.tanh(c * 0.9 + xt)
        return c, c
    return lax.scan(step, jnp.zeros(x.shape[1:]), x)


def grow_until(p, x):
    """A while loop whose trip count depends on the input."""
    def cond(s):
        return jnp.sum(s[1]) < p["limit"]

    def body(s):
        i, v = s
        return i + 1, v * 1.5 + 0.1
    return lax.while_loop(cond, body, (0, x))


def dynamic_fori(p, x, n):
    """fori_loop with a traced upper bound is a while loop, and holds a scan inside."""
    def body(i, v):
        return lax.scan(lambda c, _: (c * 0.5 + i, None), v, None, length=3)[0]
    return lax.fori_loop(0, n[0], body, x)


TOX = BiLSTMClassifier(vocab=20000, width=50)  # tox-block's sizes: 20000x50 embedding, LSTM 50, 100 tokens
TOX_IDS = rng(2).integers(0, TOX.vocab, (3, 100)).astype(np.int32)
TOX_PARAMS = fast_init(TOX, TOX_IDS)
X = normal((50, 3, 4), seed=0)
LONG = normal((300, 3, 4), seed=3)
P = {"a": np.float32(0.9), "w": normal((4, 4), seed=1), "limit": np.float32(100.0)}

CASES = [
    Case("decay_poly", decay_scan, P, [((300, None, 4), np.float32)], [[LONG], [LONG[:, :1]]],
         polymorphic_shapes=["(300, b, 4)"]),
    Case("reverse_bool", reverse_scan, P, [((50, 3, 4), np.float32)], [[X]], options={"unroll_scans": False}),
    Case("prime_length", prime_scan, P, [((37, 3, 4), np.float32)], [[X[:37]]], options={"unroll_scans": False}),
    Case("while_data_dependent", grow_until, P, [((3, 4), np.float32)], [[np.abs(X[0])], [np.abs(X[1]) * 10]]),
    Case("fori_dynamic_bound", dynamic_fori, P, [((3, 4), np.float32), ((1,), np.int32)],
         [[X[0], np.array([0], np.int32)], [X[0], np.array([5], np.int32)]]),
    Case("tox_bilstm", lambda p, ids: TOX.apply(p, ids), TOX_PARAMS, [((None, 100), np.int32)],
         [[TOX_IDS], [TOX_IDS[:1]]], polymorphic_shapes=["(b, 100)"], atol=1e-5),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_cases(CASES, tmp_path_factory.mktemp("loops"), backends=("cpu", "wasm"))


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_matches_jax(outcomes, name):
    assert outcomes[name].ok, outcomes[name].explain()


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_is_a_loop(outcomes, name):
    model = json.loads((outcomes[name].result.model_dir / "model.json").read_text())
    assert any(n["op"] == "StatelessWhile" for n in model["modelTopology"]["node"])
    functions = model["modelTopology"]["library"]["function"]
    assert {f["signature"]["name"] for f in functions} >= {"while_cond", "while_body"}


def test_tox_sized_bilstm_ships_its_params_once(outcomes):
    model_dir = outcomes["tox_bilstm"].result.model_dir
    params_bytes = sum(np.asarray(leaf).nbytes for leaf in jax.tree_util.tree_leaves(TOX_PARAMS))
    shipped = sum(p.stat().st_size for p in model_dir.iterdir())  # shards and model.json
    assert shipped <= 1.05 * params_bytes, (shipped, params_bytes)


def test_steps_per_iteration_divides_the_length():
    assert steps_per_iteration(100, 20) == 10
    assert steps_per_iteration(37, 20) == 1
    assert steps_per_iteration(50, 1) == 50
    assert all(100 % steps_per_iteration(100, n) == 0 for n in range(1, 300))


def test_unroll_scans_true_refuses_very_long_scans(tmp_path):
    def long_scan(p, x):
        return lax.scan(lambda c, xt: (c + xt, c), jnp.zeros(x.shape[1:]), x)
    with pytest.raises(UnsupportedPrimitiveError, match=r"2000 steps.*Leave unroll_scans unset"):
        convert_jax(long_scan, {}, input_signatures=[((2000, 2), np.float32)], model_dir=tmp_path / "m",
                    unroll_scans=True)


def test_unroll_scans_must_be_a_bool_or_none(tmp_path):
    with pytest.raises(ConversionError, match="unroll_scans must be None, True or False"):
        convert_jax(decay_scan, P, input_signatures=[((50, 3, 4), np.float32)], model_dir=tmp_path / "m",
                    unroll_scans="yes")


def test_short_scans_stay_unrolled(tmp_path):
    result = convert_jax(decay_scan, P, input_signatures=[((5, 3, 4), np.float32)], model_dir=tmp_path / "m")
    assert "StatelessWhile" not in result.op_counts
