"""PRNG keys in the trace and unrolled scans (Flax `nn.RNN`): keys known at conversion time
fold, keys that depend on an input fail clearly, and an unrolled BiLSTM stores its weights
once (each step used to fold and store its own copy of the concatenated gate kernels)."""

from __future__ import annotations

import json

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from builders.convert import convert_jax
from builders.convert.errors import UnsupportedPrimitiveError
from tests.convert.harness import Case, fast_init, rng, run_cases


class BiLSTMClassifier(nn.Module):
    """The tox-block shape: Embedding -> BiLSTM (concatenated) -> global max pool -> Dense -> sigmoid."""

    vocab: int = 2000
    width: int = 16

    @nn.compact
    def __call__(self, ids):
        x = nn.Embed(self.vocab, self.width)(ids)
        forward = nn.RNN(nn.OptimizedLSTMCell(self.width))(x)
        backward = nn.RNN(nn.OptimizedLSTMCell(self.width), reverse=True, keep_order=True)(x)
        pooled = jnp.max(jnp.concatenate([forward, backward], -1), axis=1)
        return nn.sigmoid(nn.Dense(6)(nn.relu(nn.Dense(self.width)(pooled))))


def noisy(params, x):
    """Noise from a constant key, split and folded: all of it is known at conversion time."""
    k1, k2 = jax.random.split(jax.random.key(0))
    return x + params["scale"] * jax.random.normal(k1, x.shape) + jax.random.uniform(jax.random.fold_in(k2, 3), (3,))


MODEL = BiLSTMClassifier()
IDS = rng(0).integers(0, MODEL.vocab, (3, 40)).astype(np.int32)
PARAMS = fast_init(MODEL, IDS)
X = rng(1).standard_normal((2, 3)).astype(np.float32)

CASES = [
    Case("bilstm_poly", lambda p, ids: MODEL.apply(p, ids), PARAMS, [((None, 40), np.int32)],
         [[IDS], [IDS[:1]]], polymorphic_shapes=["(b, 40)"]),
    Case("constant_key_noise", noisy, {"scale": np.float32(0.1)}, [(X.shape, np.float32)], [[X]], atol=1e-6, rtol=0),
    Case("legacy_uint32_key", lambda p, x: x + jax.random.normal(jax.random.PRNGKey(1), x.shape), {},
         [(X.shape, np.float32)], [[X]], atol=1e-6, rtol=0),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_cases(CASES, tmp_path_factory.mktemp("prng"), backends=("cpu", "wasm"))


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_matches_jax(outcomes, name):
    assert outcomes[name].ok, outcomes[name].explain()


def test_unrolled_bilstm_stores_each_weight_once(outcomes):
    model_dir = outcomes["bilstm_poly"].result.model_dir
    params_bytes = sum(np.asarray(leaf).nbytes for leaf in jax.tree_util.tree_leaves(PARAMS))
    shard_bytes = sum(p.stat().st_size for p in model_dir.glob("*.bin"))
    assert shard_bytes <= 1.05 * params_bytes, (shard_bytes, params_bytes)
    weights = json.loads((model_dir / "model.json").read_text())["weightsManifest"][0]["weights"]
    kernels = [w for w in weights if w["shape"] == [MODEL.width, 4 * MODEL.width]]
    assert len(kernels) == 4, [w["name"] for w in kernels]  # input and hidden kernels, two directions


def test_batch_sized_draw_fails_with_a_clear_message(tmp_path):
    with pytest.raises(UnsupportedPrimitiveError, match=r"'random_bits'.*Random numbers are drawn at conversion "
                                                        r"time.*pass them in as an\s+input"):
        convert_jax(noisy, {"scale": np.float32(0.1)}, input_signatures=[((None, 3), np.float32)],
                    polymorphic_shapes=["(b, 3)"], model_dir=tmp_path / "m")


def test_key_given_as_input_fails_with_a_clear_message(tmp_path):
    def keyed(params, key_data, x):
        return x + jax.random.normal(jax.random.wrap_key_data(key_data), x.shape)

    with pytest.raises(UnsupportedPrimitiveError, match=r"'random_wrap'.*no exact unsigned 32-bit arithmetic"):
        convert_jax(keyed, {}, input_signatures=[((2,), np.uint32), (X.shape, np.float32)], model_dir=tmp_path / "m")
