"""Shared helpers for converter tests: convert many small models, verify them in one Node run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import numpy as np

from builders.convert import VerifyCase, convert_jax, verify_many


@dataclass
class Case:
    """One model to convert and check: `fn(params, *inputs)` against TF.js on each input set."""

    name: str
    fn: Callable
    params: Any
    signatures: Sequence[Any]
    input_sets: Sequence[Sequence[Any]]
    polymorphic_shapes: Sequence[str | None] | None = None
    atol: float = 1e-5
    rtol: float = 1e-4
    options: dict = field(default_factory=dict)
    # What TF.js is compared with, when not `fn` itself (e.g. where XLA's CPU result is wrong).
    reference: Callable | None = None
    # The case means NaN/Inf outputs: they must then match JAX's placement (see VerifyCase).
    allow_nonfinite: bool = False


@dataclass
class Outcome:
    case: Case
    conversion_error: str | None = None
    reports: list = field(default_factory=list)
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.conversion_error is None and bool(self.reports) and all(r.ok for r in self.reports)

    def explain(self) -> str:
        if self.conversion_error:
            return f"{self.case.name}: conversion failed: {self.conversion_error}"
        return f"{self.case.name}: " + " | ".join(r.summary() for r in self.reports)


def run_cases(cases: Sequence[Case], root: Path, backends: Sequence[str] = ("cpu",)) -> dict[str, Outcome]:
    """Convert every case into `root/<name>` and verify all of them in one Node process per backend."""
    outcomes: dict[str, Outcome] = {}
    verify_cases, owners = [], []
    for case in cases:
        outcome = Outcome(case)
        outcomes[case.name] = outcome
        model_dir = root / case.name
        try:
            outcome.result = convert_jax(case.fn, case.params, input_signatures=case.signatures,
                                         polymorphic_shapes=case.polymorphic_shapes, model_dir=model_dir,
                                         **case.options)
        except Exception as exc:  # reported per case by the test that owns it
            outcome.conversion_error = f"{type(exc).__name__}: {exc}"
            continue
        for inputs in case.input_sets:
            # One jit compile per case is much cheaper than op-by-op dispatch of a Flax model,
            # and the JAX outputs are computed once for all backends.
            reference = _memoized(jax.jit(case.reference or case.fn))
            verify_cases.append(VerifyCase(model_dir, reference, case.params, list(inputs),
                                           case.atol, case.rtol, allow_nonfinite=case.allow_nonfinite))
            owners.append(outcome)
    for backend in backends:
        for outcome, report in zip(owners, verify_many(verify_cases, backend=backend)):
            report.model_dir = Path(f"{report.model_dir} [{backend}]")
            outcome.reports.append(report)
    return outcomes


def _memoized(fn: Callable) -> Callable:
    """`fn(params, *inputs)` computed once per set of input arrays (by identity)."""
    cache: dict[tuple, Any] = {}

    def wrapped(params, *inputs):
        key = tuple(id(x) for x in inputs)
        if key not in cache:
            cache[key] = (inputs, fn(params, *inputs))  # keeps the inputs alive, so ids stay unique
        return cache[key][1]

    return wrapped


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def normal(shape, seed=0, dtype=np.float32) -> np.ndarray:
    return rng(seed).standard_normal(shape).astype(dtype)


def fast_init(module: Any, *args: Any, seed: int = 0, **kwargs: Any) -> Any:
    """Variables for a Flax linen module without running its initialisers.

    `module.init` runs every initialiser eagerly (one XLA compile per random op and shape),
    which costs minutes for a test module; the converter does not care how weights were
    drawn, so shapes come from `jax.eval_shape` and values from NumPy, scaled like fan-in
    initialisation (BatchNorm variances stay positive).
    """
    shapes = jax.eval_shape(lambda *a: module.init(jax.random.PRNGKey(0), *a, **kwargs), *args)
    generator = np.random.default_rng(seed)

    def fill(path, leaf):
        name = "/".join(str(getattr(k, "key", k)) for k in path)
        shape, dtype = leaf.shape, leaf.dtype
        if name.endswith("var"):
            value = generator.uniform(0.5, 1.5, shape)
        elif name.endswith("scale"):
            value = 1.0 + 0.1 * generator.standard_normal(shape)
        elif name.endswith(("bias", "mean")):
            value = 0.1 * generator.standard_normal(shape)
        else:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            value = generator.standard_normal(shape) / np.sqrt(max(fan_in, 1))
        return value.astype(dtype)

    return jax.tree_util.tree_map_with_path(fill, shapes)
