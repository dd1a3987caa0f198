"""When TF.js disagrees with JAX, verify names the first diverging node and the JAX source line."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from builders.convert import convert_jax, verify
from builders.convert.diagnose import find_divergence
from builders.convert.lowering import LOWERINGS


class GeluMLP(nn.Module):
    @nn.compact
    def __call__(self, x):
        h = nn.Dense(8)(x)
        h = nn.gelu(h, approximate=False)  # DIVERGES-HERE (exact gelu lowers through erfc)
        return nn.Dense(3)(h)


def _wrong_erfc(ctx, eqn, x):
    """A deliberately wrong lowering (tanh instead of erfc) standing in for a converter bug."""
    return [ctx.graph.op("Tanh", [x], shape=x.shape, dtype=x.dtype)]


def _line(marker: str) -> int:
    source = open(__file__).read().splitlines()
    return next(i + 1 for i, line in enumerate(source) if marker in line and "_line(" not in line)


def test_mismatch_names_first_diverging_node_and_source_line(tmp_path, monkeypatch):
    model = GeluMLP()
    variables = model.init(jax.random.PRNGKey(0), jnp.ones((1, 4)))
    fn = lambda v, x: model.apply(v, x)  # noqa: E731
    monkeypatch.setitem(LOWERINGS, "erfc", _wrong_erfc)
    convert_jax(fn, variables, input_signatures=[((None, 4), np.float32)], polymorphic_shapes=["(b, 4)"],
                model_dir=tmp_path / "m")
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    report = verify(tmp_path / "m", fn, variables, [x])
    assert not report.ok
    assert report.divergence is not None
    assert "node 'Tanh' (Tanh)" in report.divergence
    assert "JAX 'erfc'" in report.divergence
    assert f"test_diagnose.py:{_line('DIVERGES-HERE')}" in report.divergence
    assert report.divergence in report.summary()


def test_no_divergence_when_the_lowering_is_right(tmp_path):
    model = GeluMLP()
    variables = model.init(jax.random.PRNGKey(0), jnp.ones((1, 4)))
    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(2, 4)
    assert find_divergence(lambda v, x: model.apply(v, x), variables, [x]) is None


def test_polymorphic_only_mismatch_points_at_shape_computations(tmp_path, monkeypatch):
    fn = lambda p, x: jnp.mean(x, axis=0)  # noqa: E731  (divides by the symbolic batch size)
    monkeypatch.setitem(LOWERINGS, "dim_as_value", lambda ctx, eqn: [ctx.scalar(1, np.int32)])
    convert_jax(fn, {}, input_signatures=[((None, 3), np.float32)], polymorphic_shapes=["(b, 3)"],
                model_dir=tmp_path / "m")
    monkeypatch.undo()
    report = verify(tmp_path / "m", fn, {}, [np.ones((4, 3), np.float32)])
    assert not report.ok
    assert "polymorphic graph" in report.divergence
