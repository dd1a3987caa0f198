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
            # One jit compile per case is much cheaper than op-by-op dispatch of a Flax model.
            reference = jax.jit(case.reference or case.fn)
            verify_cases.append(VerifyCase(model_dir, reference, case.params, list(inputs),
                                           case.atol, case.rtol))
            owners.append(outcome)
    for backend in backends:
        for outcome, report in zip(owners, verify_many(verify_cases, backend=backend)):
            report.model_dir = Path(f"{report.model_dir} [{backend}]")
            outcome.reports.append(report)
    return outcomes


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def normal(shape, seed=0, dtype=np.float32) -> np.ndarray:
    return rng(seed).standard_normal(shape).astype(dtype)
