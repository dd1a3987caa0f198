"""Check a converted model in real TF.js against the JAX function it came from."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import numpy as np

from .dtypes import tfjs_dtype
from .errors import VerificationError
from .probe import probe_metadata, write_probe
from .tfjs_runtime import TfjsJob, model_io_names, run_tfjs


@dataclass
class OutputComparison:
    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    ok: bool
    message: str = ""
    # A wrong shape, dtype or unexpected NaN is visible in the outputs; looking for the first
    # diverging node only helps when values (or NaN/Inf placements) differ.
    diagnosable: bool = True


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
    # NaN/Inf in an output fails the check (a NaN model otherwise "matches" with error 0); with
    # this set they are expected, and must then sit in the same places with the same values.
    allow_nonfinite: bool = False


def _failed(name: str, shape: tuple[int, ...], message: str, diagnosable: bool = False) -> OutputComparison:
    return OutputComparison(name, shape, float("inf"), float("inf"), False, message, diagnosable)


def _dtype_problem(expected: np.ndarray, actual: np.ndarray) -> str:
    """Why TF.js's dtype is not the one JAX's output maps to ("" when it is)."""
    try:
        want = tfjs_dtype(expected.dtype)
    except TypeError as exc:
        return str(exc)
    got = "bool" if actual.dtype == np.bool_ else actual.dtype.name
    if got != want:
        return f"dtype {got} differs from JAX's {expected.dtype.name} (which TF.js holds as {want})"
    return ""


def _nonfinite_problem(exp: np.ndarray, act: np.ndarray, allow_nonfinite: bool) -> str:
    """Why the NaN/Inf values of the two outputs make them differ ("" when they do not); with
    `allow_nonfinite` the message starts with "NaN/Inf placement"."""
    exp_bad, act_bad = ~np.isfinite(exp), ~np.isfinite(act)
    if not (exp_bad.any() or act_bad.any()):
        return ""
    if not allow_nonfinite:
        return (f"NaN/Inf in the outputs (JAX {int(exp_bad.sum())}, TF.js {int(act_bad.sum())} of {exp.size}); "
                "pass allow_nonfinite=True if they are expected")
    same = exp_bad & act_bad & ((exp == act) | (np.isnan(exp) & np.isnan(act)))
    wrong = (exp_bad | act_bad) & ~same
    if not wrong.any():
        return ""
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    return (f"NaN/Inf placement differs from JAX's at {int(wrong.sum())} of {exp.size} values "
            f"(first at {list(first)}: JAX {exp[first]}, TF.js {act[first]})")


def _compare(name: str, expected: np.ndarray, actual: np.ndarray, atol: float, rtol: float,
             allow_nonfinite: bool = False) -> OutputComparison:
    """Shape, dtype, NaN/Inf placement, then values within `atol + rtol * |jax|`."""
    if expected.shape != actual.shape:
        return _failed(name, tuple(actual.shape), f"shape {actual.shape} differs from JAX's {expected.shape}")
    problem = _dtype_problem(expected, actual)
    if problem:
        return _failed(name, expected.shape, problem)
    if expected.dtype == np.bool_:
        wrong = int(np.sum(expected != actual))
        return OutputComparison(name, expected.shape, float(wrong), float(wrong), wrong == 0,
                                f"{wrong} boolean values differ" if wrong else "")
    exp = expected.astype(np.float64)
    act = actual.astype(np.float64)
    problem = _nonfinite_problem(exp, act, allow_nonfinite)
    if problem:
        return _failed(name, expected.shape, problem, diagnosable=allow_nonfinite)
    # Past the check, TF.js is finite exactly where JAX is: compare the finite values only.
    finite = np.isfinite(exp)
    scale = np.where(finite, np.abs(exp), 0.0)
    diff = np.zeros_like(exp)
    diff[finite] = np.abs(exp[finite] - act[finite])
    max_abs = float(diff.max()) if diff.size else 0.0
    rel = diff / np.maximum(scale, 1e-30)
    max_rel = float(rel.max()) if rel.size else 0.0
    ok = bool(np.all(diff <= atol + rtol * scale))
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
            report.outputs = [_compare(n, e, a, case.atol, case.rtol, case.allow_nonfinite)
                              for n, e, a in zip(names, expected, result.outputs)]
            if case.diagnose and any(not o.ok and o.diagnosable for o in report.outputs):
                report.divergence = _diagnose(case, backend)
        reports.append(report)
    _write_probes(cases, reports, expected_all)
    return reports


def _write_probes(cases: Sequence[VerifyCase], reports: Sequence[VerificationReport],
                  expected_all: Sequence[tuple[list[str], list[np.ndarray]]]) -> None:
    """Store in each verified model the smallest input that matched, with JAX's outputs: pages run
    it on GPU backends, which Node cannot check (see probe.py). Models with a failed case get none."""
    by_dir: dict[Path, list[int]] = {}
    for i, case in enumerate(cases):
        by_dir.setdefault(Path(case.model_dir), []).append(i)
    for model_dir, indices in by_dir.items():
        if not all(reports[i].ok for i in indices):
            continue
        best = min(indices, key=lambda i: sum(np.asarray(x).size for x in cases[i].inputs))
        input_names, _ = model_io_names(model_dir)
        names, outputs = expected_all[best]
        probe = probe_metadata(input_names, [np.asarray(x) for x in cases[best].inputs], names, outputs)
        if probe is not None:
            probe.update(atol=cases[best].atol, rtol=cases[best].rtol)
            write_probe(model_dir, probe)


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
           raise_on_mismatch: bool = False, allow_nonfinite: bool = False) -> VerificationReport:
    """Run the model in TF.js under Node on `inputs` and compare with `apply_fn(params, *inputs)`.

    Each output must have JAX's shape and (TF.js) dtype and be within `atol + rtol * |jax|`.
    NaN/Inf in any output fails, unless `allow_nonfinite`: then they must be in the same places
    with the same values on both sides. Returns a `VerificationReport` with the largest absolute
    and relative error per output. With `raise_on_mismatch`, raises `VerificationError`
    carrying the numbers when any output fails. A model that passes gets the input and JAX's
    outputs written into its model.json as the backend probe pages run (`probe.py`).
    """
    (report,) = verify_many([VerifyCase(Path(model_dir), apply_fn, params, inputs, atol, rtol,
                                        allow_nonfinite=allow_nonfinite)], backend)
    if raise_on_mismatch and not report.ok:
        raise VerificationError("TF.js disagrees with JAX: " + report.summary())
    return report
