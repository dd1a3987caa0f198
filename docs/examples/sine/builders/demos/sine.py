"""Your own model on its own page: a Flax MLP trained to approximate sin(x), run in TF.js.

The complete worked example of the docs page "Add your own model". Copy this file to
`builders/demos/sine.py`, add `sine` to `DEMO_MODULES` in `builders/demos/__init__.py`,
and copy `templates/sine/index.html` and `site_src/sine/main.ts` beside the other demos.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from builders import convert as converter
from builders.cache import hash_code
from builders.convert import convert_jax, verify
from builders.demos.base import BuildContext, Page
from builders.errors import BuildError

NAME = "sine"


@dataclass
class Config:
    """`[demos.sine]`: a small MLP that learns sin(x) on [-pi, pi]."""

    hidden: int = field(default=32, metadata={"doc": "Width of the two hidden layers.", "min": 1, "max": 512})
    steps: int = field(default=2000, metadata={"doc": "Adam steps over the full training set.", "min": 1})
    learning_rate: float = field(default=0.01, metadata={"doc": "Adam learning rate.", "min": 0.0})
    seed: int = field(default=0, metadata={"doc": "Seed of the weight initialisation (fixed: builds are "
                                                   "reproducible)."})

    SMOKE: ClassVar[dict] = {"steps": 200}


class MLP(nn.Module):
    """x -> sin(x), two tanh layers."""

    hidden: int

    @nn.compact
    def __call__(self, x):
        x = nn.tanh(nn.Dense(self.hidden)(x))
        x = nn.tanh(nn.Dense(self.hidden)(x))
        return nn.Dense(1)(x)


def train(config: Config) -> tuple[dict, float]:
    """Full-batch Adam on 256 evenly spaced points; returns (params, final mean squared error)."""
    model = MLP(config.hidden)
    xs = jnp.linspace(-math.pi, math.pi, 256, dtype=jnp.float32)[:, None]
    ys = jnp.sin(xs)
    params = model.init(jax.random.PRNGKey(config.seed), xs[:1])
    optimizer = optax.adam(config.learning_rate)
    state = optimizer.init(params)

    def loss_fn(p):
        return jnp.mean((model.apply(p, xs) - ys) ** 2)

    @jax.jit
    def step(p, s):
        loss, grads = jax.value_and_grad(loss_fn)(p)
        updates, s = optimizer.update(grads, s)
        return optax.apply_updates(p, updates), s, loss

    for _ in range(config.steps):
        params, state, loss = step(params, state)
    return params, float(loss_fn(params))


def _train_convert_verify(config: Config, out: Path) -> dict:
    params, mse = train(config)
    model = MLP(config.hidden)

    def apply(p, x):
        return model.apply(p, x)

    # A polymorphic batch dimension: the page can ask for any number of points at once.
    convert_jax(apply, params, input_signatures=[((None, 1), np.float32)], polymorphic_shapes=["(b, 1)"],
                model_dir=out / "model")
    xs = np.linspace(-3, 3, 7, dtype=np.float32)[:, None]
    report = verify(out / "model", apply, params, [xs])
    if not report.ok:
        raise BuildError("TF.js disagrees with Flax: " + report.summary())
    return {"xs": xs[:, 0].tolist(), "flax": np.asarray(apply(params, xs))[:, 0].tolist(), "mse": mse,
            "max_abs_error": report.max_abs_error}


def build_assets(config: Config, ctx: BuildContext) -> Page:
    """Train, convert and verify (cached by config and code), then describe the page."""
    inputs = {"config": dataclasses.asdict(config), "code": hash_code(converter, sys.modules[__name__])}
    result = ctx.cache.run("sine", inputs, lambda out: _train_convert_verify(config, out))
    files = {f"data/models/sine/{f.name}": f for f in sorted((result.path / "model").iterdir())}
    value = result.value
    return Page(
        name=NAME,
        title="Your own model: sin(x)",
        description="A Flax MLP trained at build time to approximate sin(x), running in your browser.",
        template="sine/index.html",
        entry="site_src/sine/main.ts",
        data={**value, "hidden": config.hidden, "steps": config.steps,
              "client": {"modelUrl": "models/sine/model.json", "xs": value["xs"], "flax": value["flax"]}},
        files=files,
        summary={"mse": f"{value['mse']:.2g}", "max |err|": f"{value['max_abs_error']:.2g}"},
    )
