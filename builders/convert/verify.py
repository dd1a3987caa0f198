"""Check a converted model in real TF.js against the JAX function it came from."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import numpy as np

from .errors import VerificationError
from .tfjs_runtime import TfjsJob, model_io_names, run_tfjs


@dataclass
class OutputComparison:
    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    ok: bool
    message: str = ""


@dataclass
class VerificationReport:
    """Largest errors per output; `ok` when every output is within tolerance."""

    model_dir: Path
    outputs: list[OutputComparison] = field(default_factory=list)
    error: str | None = None
    atol: float = 0.0
    rtol: float = 0.0
    # On a mismatch: the first graph node that disagrees with JAX, and the JAX line behind it.
    divergence: str | None = None
    # Stored weight bytes and what they would take as float32: quantisation's saving.
    weight_bytes: int = 0
    float32_weight_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None and all(o.ok for o in self.outputs)

    @property
    def max_abs_error(self) -> float:
        return max((o.max_abs_error for o in self.outputs), default=float("nan"))

    def summary(self) -> str:
        if self.error:
            return f"{self.model_dir}: TF.js failed: {self.error}"
        parts = [f"{o.name} max |err| {o.max_abs_error:.3g} (rel {o.max_rel_error:.3g})" + (
            "" if o.ok else f" FAIL: {o.message}") for o in self.outputs]
        text = f"{self.model_dir}: " + "; ".join(parts)
        if self.weight_bytes < self.float32_weight_bytes:
            saved = 1 - self.weight_bytes / self.float32_weight_bytes
            text += (f"; weights {self.weight_bytes} bytes, {saved:.0%} smaller than float32 "
                     f"({self.float32_weight_bytes} bytes)")
        return text + (f"; {self.divergence}" if self.divergence else "")


@dataclass
class VerifyCase:
    """One verification: the model, the JAX function and params, and inputs to feed."""

    model_dir: Path
    apply_fn: Callable
    params: Any
    inputs: Sequence[Any]
    atol: float = 1e-5
    rtol: float = 1e-4
    diagnose: bool = True  # on a mismatch, look for the first diverging node


def _compare(name: str, expected: np.ndarray, actual: np.ndarray, atol: float, rtol: float) -> OutputComparison:
    if expected.shape != actual.shape:
        return OutputComparison(name, tuple(actual.shape), float("inf"), float("inf"), False,
                                f"shape {actual.shape} differs from JAX's {expected.shape}")
    if expected.dtype == np.bool_ or actual.dtype == np.bool_:
        wrong = int(np.sum(expected.astype(bool) != actual.astype(bool)))
        return OutputComparison(name, expected.shape, float(wrong), float(wrong), wrong == 0,
                                f"{wrong} boolean values differ" if wrong else "")
    exp = expected.astype(np.float64)
    act = actual.astype(np.float64)
    same_nonfinite = (~np.isfinite(exp)) & (exp == act) | (np.isnan(exp) & np.isnan(act))
    diff = np.where(same_nonfinite, 0.0, np.abs(exp - act))
    diff = np.nan_to_num(diff, nan=np.inf)
    max_abs = float(diff.max()) if diff.size else 0.0
    rel = diff / np.maximum(np.abs(exp), 1e-30)
    max_rel = float(rel.max()) if rel.size else 0.0
    ok = bool(np.all(diff <= atol + rtol * np.abs(np.nan_to_num(exp))))
    message = "" if ok else f"exceeds atol={atol:g} + rtol={rtol:g}*|jax| (max |err| {max_abs:.3g})"
    return OutputComparison(name, expected.shape, max_abs, max_rel, ok, message)


def jax_outputs(apply_fn: Callable, params: Any, inputs: Sequence[Any]) -> list[np.ndarray]:
    out = apply_fn(params, *[np.asarray(x) for x in inputs])
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(out)]


def weight_sizes(model_dir: Path) -> tuple[int, int]:
    """(bytes of the weight shards, bytes the same weights take unquantised)."""
    model = json.loads((model_dir / "model.json").read_text())
    stored = float32 = 0
    for group in model["weightsManifest"]:
        stored += sum((model_dir / p).stat().st_size for p in group["paths"])
        float32 += sum(int(np.prod(w["shape"], dtype=np.int64)) * (1 if w["dtype"] == "bool" else 4)
                       for w in group["weights"])
    return stored, float32


def verify_many(cases: Sequence[VerifyCase], backend: str = "cpu") -> list[VerificationReport]:
    """Verify several models in one Node process; see `verify`."""
    jobs, expected_all = [], []
    for case in cases:
        input_names, output_names = model_io_names(case.model_dir)
        if len(input_names) != len(case.inputs):
            raise VerificationError(
                f"{case.model_dir} has {len(input_names)} inputs but {len(case.inputs)} were given")
        jobs.append(TfjsJob(case.model_dir, dict(zip(input_names, case.inputs)), output_names))
        expected_all.append((output_names, jax_outputs(case.apply_fn, case.params, case.inputs)))
    results = run_tfjs(jobs, backend=backend)
    reports = []
    for case, result, (names, expected) in zip(cases, results, expected_all):
        report = VerificationReport(Path(case.model_dir), atol=case.atol, rtol=case.rtol)
        report.weight_bytes, report.float32_weight_bytes = weight_sizes(Path(case.model_dir))
        if result.error is not None:
            report.error = result.error
        elif len(result.outputs) != len(expected):
            report.error = f"TF.js returned {len(result.outputs)} outputs, JAX {len(expected)}"
        else:
            report.outputs = [_compare(n, e, a, case.atol, case.rtol)
                              for n, e, a in zip(names, expected, result.outputs)]
            if not report.ok and case.diagnose:
                report.divergence = _diagnose(case, backend)
        reports.append(report)
    return reports


def _diagnose(case: VerifyCase, backend: str) -> str:
    from .diagnose import find_divergence

    try:
        found = find_divergence(case.apply_fn, case.params, case.inputs, atol=case.atol, rtol=case.rtol,
                                backend=backend)
    except Exception as exc:  # diagnosis is best effort; the mismatch itself is already reported
        return f"could not locate the diverging node ({type(exc).__name__}: {exc})"
    if found is None:
        if _is_polymorphic(case.model_dir):
            return ("a conversion for these exact shapes matches JAX at every node, so the difference comes "
                    "from the polymorphic graph (its in-graph shape computations)")
        return "no single node diverges beyond tolerance; the error accumulates over many nodes"
    return found.describe()


def _is_polymorphic(model_dir: Path) -> bool:
    import json

    try:
        model = json.loads((Path(model_dir) / "model.json").read_text())
    except (OSError, ValueError):
        return False
    return any(d.get("size") == "-1" for sig in model["signature"]["inputs"].values()
               for d in sig.get("tensorShape", {}).get("dim", []))


def verify(model_dir: str | Path, apply_fn: Callable, params: Any, inputs: Sequence[Any], *,
           atol: float = 1e-5, rtol: float = 1e-4, backend: str = "cpu",
           raise_on_mismatch: bool = False) -> VerificationReport:
    """Run the model in TF.js under Node on `inputs` and compare with `apply_fn(params, *inputs)`.

    Returns a `VerificationReport` with the largest absolute and relative error
    per output. With `raise_on_mismatch`, raises `VerificationError` carrying the
    numbers when any output is outside `atol + rtol * |jax|`.
    """
    (report,) = verify_many([VerifyCase(Path(model_dir), apply_fn, params, inputs, atol, rtol)], backend)
    if raise_on_mismatch and not report.ok:
        raise VerificationError("TF.js disagrees with JAX: " + report.summary())
    return report
