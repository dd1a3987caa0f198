"""JAX's own primitive test harnesses through our converter (TF.js in Node) and through jax2onnx + ORT.

    .venv/bin/python benchmarks/harness_sweep.py [--per-group 6 | --uncapped] [--groups a,b]
        [--dtypes tfjs|all] [--backends cpu,wasm] [--no-onnx] [--json out.json]
        [--markdown docs/reference/harness-sweep.md] [--failures sweep-failures.txt]

The harnesses are `jax._src.internal_test_util.test_harnesses.all_harnesses`, the cases jax2tf was
validated with. Per group the sample is the first `--per-group` harnesses, in the module's order,
that pass the filter:

- JAX runs it on CPU: the harness's own `jax_unimplemented` limitations for "cpu" leave it out,
  so do `jax.eval_shape` failing and the jitted function failing on the harness's arguments;
- `--dtypes tfjs` (default): the harness dtype, every argument and every output are float32,
  int32 or bool, the dtypes TF.js computes in. With 6 per group this gives
  449 cases. `--dtypes all` keeps every dtype (float16, bfloat16, the 8/16-bit and unsigned
  integers, int64 index arrays, complex64, PRNG keys): conversions our converter refuses with a
  clear error count as "unsupported", anything else is judged like the rest.
  What the filter leaves out is counted and printed per reason, never dropped silently.

Arguments come from `harness.dyn_args_maker(numpy.random.RandomState(0))`; the reference is
`jax.jit(harness.dyn_fun)` on JAX's CPU backend. Each case is classified, per runtime:

- match: the same number of outputs, each with JAX's dtype (as the runtime holds it: TF.js has
  float32/int32/bool, ONNX every dtype), JAX's shape, NaN and +/-Inf in the same places, and the
  other values within tolerance (integers and booleans exact; float32 |err| <= 1e-5 * |jax| +
  1e-5 * max(1, max |jax|) of that output; `GROUP_TOLERANCE` for three ill-conditioned special
  functions; a few groups whose results are not unique are checked by their defining properties,
  see `VALUE_CHECKS`);
- wrong: converted and ran, but any of that differs: a silent wrong answer;
- unsupported: the converter refused with a clear, typed error (ours: `UnsupportedPrimitiveError`,
  `SignatureError` or a plain `ConversionError` of its own, see `classify_conversion_error`;
  jax2onnx: its `NotImplementedError`s, which name the primitive or the form);
- crash: any other exception while converting, a TF.js / onnxruntime failure at load or run time,
  Node dying or timing out.

jax2onnx (0.17.1, `.venv/bin/pip install --target .cache/bench-tools jax2onnx==0.17.1`) runs in a
worker process (`--onnx-worker`) with `.cache/bench-tools` appended to its path, so the project's
jax is the one both converters trace with, and a jax2onnx or onnxruntime crash cannot take the
sweep down. Its outputs come back as arrays and are judged by the same comparison as ours.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import hashlib
import json
import os
import pickle
import platform
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # also runs as `python benchmarks/harness_sweep.py`

BENCH_TOOLS = ROOT / ".cache" / "bench-tools"
TFJS_DTYPES = {"float32", "int32", "bool"}
DTYPE_REASON = "dtype outside float32/int32/bool"
STATUSES = ("match", "wrong", "unsupported", "crash")
SEED = 0
# Relative tolerance, and absolute tolerance per unit of the output's largest |value|, by JAX dtype.
TOLERANCE = {"float32": 1e-5, "float64": 1e-5, "float16": 1e-2, "bfloat16": 5e-2,
             "complex64": 1e-5, "complex128": 1e-5}
# Looser float32 tolerances for functions that are ill-conditioned near their poles, where two
# correct float32 algorithms differ by more: the values jax2tf's own tests use for float32 on CPU
# (jax/experimental/jax2tf/tests/jax2tf_limitations.py). The same for every runtime.
GROUP_TOLERANCE = {"lgamma": 1e-3, "digamma": 1e-3, "erf_inv": 1e-4}
RUNTIMES = ("cpu", "wasm", "onnx")
RUNTIME_TITLES = {"cpu": "ours CPU", "wasm": "ours WASM", "onnx": "jax2onnx+ORT"}
INSTALL_HINT = "install it with `.venv/bin/pip install --target .cache/bench-tools jax2onnx==0.17.1`"


class SweepError(Exception):
    """A bad command line value; `main` prints it as one line."""


class CaseTimeout(Exception):
    """A conversion or reference run took longer than `--case-timeout`."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise `CaseTimeout` in the main thread after `seconds` (SIGALRM; Python code only)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise CaseTimeout(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def one_line(text: object, limit: int = 240) -> str:
    """The first line of `text`, shortened: failure reasons must fit one table row."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[:limit - 3] + "..."


# ---- the verdict for one case and runtime -------------------------------------------------------


@dataclass
class Verdict:
    status: str  # one of STATUSES
    reason: str = ""
    max_error: float | None = None  # largest |error| over the outputs, when they were compared


def tfjs_holder(dtype: np.dtype) -> str:
    """The dtype TF.js holds a JAX dtype in (its name itself when TF.js has none, e.g. complex)."""
    from builders.convert.dtypes import tfjs_dtype

    try:
        return tfjs_dtype(dtype)
    except TypeError:
        return getattr(dtype, "name", str(dtype))


def exact_holder(dtype: np.dtype) -> str:
    """ONNX has every dtype JAX has: it must return JAX's own."""
    return np.dtype(dtype).name


def tolerance(dtype: np.dtype, group: str = "") -> float:
    return max(TOLERANCE.get(np.dtype(dtype).name, 1e-5), GROUP_TOLERANCE.get(group, 0.0))


def _index(mask: np.ndarray) -> str:
    where = np.argwhere(mask)
    return str(tuple(int(i) for i in where[0])) if where.size else "()"


def compare_values(expected: np.ndarray, actual: np.ndarray, tol: float, what: str = "output") -> Verdict:
    """Values of one output (dtype and shape already agree): exact for integers and booleans; for
    floats NaN and +/-Inf in the same places and the rest within `tol` (relative, plus `tol` times
    the largest |expected|, at least 1, absolute)."""
    e, a = np.asarray(expected), np.asarray(actual)
    if e.size == 0:
        return Verdict("match", max_error=0.0)
    if e.dtype.kind == "c":
        real = compare_values(e.real, np.asarray(a).real, tol, what + " (real part)")
        return real if real.status != "match" else compare_values(e.imag, np.asarray(a).imag, tol,
                                                                  what + " (imaginary part)")
    if e.dtype.kind in "biu":
        differ = e.astype(np.int64) != a.astype(np.int64)
        if differ.any():
            first = tuple(int(i) for i in np.argwhere(differ)[0])
            return Verdict("wrong", f"{what}: {int(differ.sum())} of {e.size} values differ (first at {first}: "
                                    f"JAX {e[first].item()!r}, got {a[first].item()!r})")
        return Verdict("match", max_error=0.0)
    e64, a64 = e.astype(np.float64), a.astype(np.float64)
    parts = []
    for name, test in (("NaN", np.isnan), ("+Inf", np.isposinf), ("-Inf", np.isneginf)):
        je, ja = test(e64), test(a64)
        if (je & ~ja).any():
            parts.append(f"{int((je & ~ja).sum())} {name} of JAX's not reproduced (first at {_index(je & ~ja)})")
        if (ja & ~je).any():
            parts.append(f"{int((ja & ~je).sum())} {name} where JAX has none (first at {_index(ja & ~je)})")
    if parts:
        return Verdict("wrong", f"{what}: " + "; ".join(parts))
    finite = np.isfinite(e64)
    if not finite.any():
        return Verdict("match", max_error=0.0)
    diff = np.abs(np.where(finite, a64, 0.0) - np.where(finite, e64, 0.0))
    scale = max(1.0, float(np.abs(e64[finite]).max()))
    bound = tol * np.abs(np.where(finite, e64, 0.0)) + tol * scale
    bad = diff > bound
    max_error = float(diff.max())
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        return Verdict("wrong", f"{what}: {int(bad.sum())} of {e.size} values off by up to {max_error:.3g} "
                                f"(tolerance {tol:g} rel + {tol * scale:.3g} abs; first at {first}: JAX "
                                f"{e64[first]:.7g}, got {a64[first]:.7g})", max_error)
    return Verdict("match", max_error=max_error)


def compare(expected: Sequence[np.ndarray], actual: Sequence[np.ndarray], *, group: str = "",
            args: Sequence[Any] = (), params: dict | None = None,
            holder: Callable[[np.dtype], str] = tfjs_holder) -> Verdict:
    """Judge a runtime's outputs against JAX's: count, dtypes (through `holder`), shapes, then values
    (`VALUE_CHECKS[group]` for results that are not unique, else `compare_values` per output)."""
    expected = [np.asarray(e) for e in expected]
    actual = [np.asarray(a) for a in actual]
    if len(actual) != len(expected):
        return Verdict("wrong", f"{len(actual)} outputs, JAX has {len(expected)}")
    for i, (e, a) in enumerate(zip(expected, actual)):
        want = holder(e.dtype)
        if a.dtype.name != want:
            return Verdict("wrong", f"output {i}: dtype {a.dtype.name}, JAX {e.dtype.name}"
                                    + (f" (held as {want})" if want != e.dtype.name else ""))
        if a.shape != e.shape:
            return Verdict("wrong", f"output {i}: shape {a.shape}, JAX {e.shape}")
    check = VALUE_CHECKS.get(group)
    if check is not None:
        return check(expected, actual, list(args), params or {})
    worst = 0.0
    for i, (e, a) in enumerate(zip(expected, actual)):
        verdict = compare_values(e, a, tolerance(e.dtype, group), f"output {i}")
        if verdict.status != "match":
            return verdict
        worst = max(worst, verdict.max_error or 0.0)
    return Verdict("match", max_error=worst)


# Groups whose outputs are not unique (or partly unspecified): checked by what defines them, as
# jax2tf's own tests do (jax2tf_limitations.py), never by looser tolerances on the same values.

def _all_match(checks: Iterable[Verdict]) -> Verdict:
    worst = 0.0
    for verdict in checks:
        if verdict.status != "match":
            return verdict
        worst = max(worst, verdict.max_error or 0.0)
    return Verdict("match", max_error=worst)


def _mT(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _orthonormal(q: np.ndarray, what: str, columns: bool = True) -> Verdict:
    """`q`'s columns (or rows) orthonormal to 1e-4 (float32 factorisations lose ~n ulps)."""
    q = q.astype(np.float64)
    gram = _mT(q) @ q if columns else q @ _mT(q)
    eye = np.broadcast_to(np.eye(gram.shape[-1]), gram.shape)
    return compare_values(eye, gram, 1e-4, f"{what}: orthonormality")


def _check_cholesky(expected, actual, args, params) -> Verdict:
    # The primitive leaves the strictly upper triangle unspecified (LAPACK keeps the input there);
    # lax.linalg.cholesky masks it. Only the factor itself is compared.
    return compare_values(np.tril(expected[0]), np.tril(actual[0]), tolerance(expected[0].dtype), "output 0 (lower)")


def _check_eigh(expected, actual, args, params) -> Verdict:
    (_, w_jax), (v, w) = expected, actual
    if v.size == 0:
        return Verdict("match", max_error=0.0)
    tri = np.tril(args[0]) if params.get("lower", True) else np.triu(args[0])
    a = (tri + _mT(np.tril(tri, -1) if params.get("lower", True) else np.triu(tri, 1))).astype(np.float64)
    scale = max(1.0, float(np.abs(a).max()))
    v64, w64 = v.astype(np.float64), w.astype(np.float64)
    residual = a @ v64 - v64 * w64[..., None, :]
    return _all_match([
        compare_values(w_jax, w, 1e-4, "eigenvalues"),
        compare_values(np.zeros_like(residual), residual / scale, 1e-4, "A v - v w (relative to max |A|)"),
        _orthonormal(v, "eigenvectors"),
    ])


def _check_svd(expected, actual, args, params) -> Verdict:
    if len(expected) == 1:  # compute_uv=False: the singular values are unique
        return compare_values(expected[0], actual[0], 1e-4, "singular values")
    (s_jax, u_jax, vh_jax), (s, u, vh) = expected, actual
    k = s.shape[-1]

    def rebuild(s, u, vh):
        return (u[..., :, :k].astype(np.float64) * s[..., None, :]) @ vh[..., :k, :].astype(np.float64)

    return _all_match([
        compare_values(s_jax, s, 1e-4, "singular values"),
        compare_values(rebuild(s_jax, u_jax, vh_jax), rebuild(s, u, vh), 1e-4, "U S Vh"),
        _orthonormal(u, "U"), _orthonormal(vh, "Vh", columns=False),
    ])


def _check_qr(expected, actual, args, params) -> Verdict:
    # Householder QR is unique only up to the signs of R's diagonal.
    q, r = (x.astype(np.float64) for x in actual)
    below = np.tril(r, -1)
    return _all_match([
        compare_values(np.zeros_like(below), below, 1e-5, "R below the diagonal"),
        _orthonormal(q, "Q"),
        compare_values(np.asarray(args[0], np.float64), q[..., :, :r.shape[-2]] @ r, 1e-4, "Q R"),
    ])


def _check_approx_top_k(expected, actual, args, params) -> Verdict:
    # Ties may be returned in any order: the values must be JAX's, the indices must point at them.
    (values_jax, _), (values, indices) = expected, actual
    operand = np.asarray(args[0])
    n = operand.shape[-1]
    if ((indices < 0) | (indices >= n)).any():
        return Verdict("wrong", f"indices outside [0, {n})")
    return _all_match([
        compare_values(values_jax, values, tolerance(values_jax.dtype), "values"),
        compare_values(values, np.take_along_axis(operand, indices.astype(np.int64), axis=-1), 0.0,
                       "operand[indices] vs values"),
    ])


VALUE_CHECKS: dict[str, Callable[..., Verdict]] = {
    "cholesky": _check_cholesky, "eigh": _check_eigh, "svd": _check_svd, "qr": _check_qr,
    "approx_top_k": _check_approx_top_k,
}


def classify_conversion_error(exc: BaseException) -> Verdict:
    """Our converter's exception -> unsupported (typed and clear) or crash (anything else).

    Clear: `UnsupportedPrimitiveError` (names the primitive, the form and the user's line),
    `SignatureError`, and a plain `ConversionError` raised by the converter itself. Not clear: a
    `ConversionError` wrapping another exception (JAX traced this function, so a trace failure
    inside the converter is its bug), the converter's internal consistency errors, and every
    other exception type.
    """
    from builders.convert.errors import ConversionError, SignatureError, UnsupportedPrimitiveError

    text = f"{type(exc).__name__}: {one_line(exc)}"
    if isinstance(exc, (UnsupportedPrimitiveError, SignatureError)):
        return Verdict("unsupported", text)
    internal = ("cannot find the body", "unexpected arguments to", "outputs, expected", "clashes with a node name")
    if isinstance(exc, ConversionError) and exc.__cause__ is None and not any(s in str(exc) for s in internal):
        return Verdict("unsupported", text)
    cause = exc.__cause__
    if cause is not None:
        text += f" (from {type(cause).__name__})"
    return Verdict("crash", text)


# ---- choosing the cases -------------------------------------------------------------------------


@dataclass
class Case:
    """One harness with its arguments and JAX's outputs on them."""

    index: int  # position in all_harnesses (in this process), names the files of the case
    harness: Any
    args: list
    expected: list = field(default_factory=list)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    convert_s: float = 0.0
    onnx_s: float = 0.0  # jax2onnx export + onnxruntime run, in the worker

    @property
    def group(self) -> str:
        return self.harness.group_name

    @property
    def name(self) -> str:
        return self.harness.name


def make_args(harness) -> list:
    """The harness's dynamic arguments from `RandomState(SEED)`: NumPy arrays (PRNG keys kept)."""
    import jax

    args = []
    for arg in harness.dyn_args_maker(np.random.RandomState(SEED)):
        is_key = hasattr(arg, "dtype") and jax.dtypes.issubdtype(arg.dtype, jax.dtypes.prng_key)
        args.append(arg if is_key else np.asarray(arg))
    return args


def args_digest(args: Sequence[Any]) -> str:
    """A digest of the arguments, so the jax2onnx worker proves it fed the same values."""
    import jax

    digest = hashlib.sha256()
    for arg in args:
        if hasattr(arg, "dtype") and jax.dtypes.issubdtype(arg.dtype, jax.dtypes.prng_key):
            arg = np.asarray(jax.random.key_data(arg))
        arr = np.ascontiguousarray(arg)
        digest.update(f"{arr.dtype.name}{arr.shape}".encode() + arr.tobytes())
    return digest.hexdigest()[:16]


def _dtype_name(x: Any) -> str:
    return getattr(getattr(x, "dtype", None), "name", None) or str(getattr(x, "dtype", type(x).__name__))


def _harness_dtype(harness) -> str:
    try:
        return np.dtype(harness.dtype).name
    except TypeError:
        return str(harness.dtype)


def static_filter(harness, dtypes: str) -> tuple[list | None, str | None]:
    """(arguments, None) for a harness the sample may take, or (None, why it is left out)."""
    import jax

    if not harness.filter("cpu"):
        return None, "JAX does not implement it on CPU (the harness's own limitation)"
    try:
        args = make_args(harness)
    except Exception as exc:
        return None, f"the harness cannot make its arguments ({type(exc).__name__})"
    try:
        outs = jax.tree_util.tree_leaves(jax.eval_shape(harness.dyn_fun, *args))
    except Exception as exc:
        return None, f"JAX cannot trace it ({type(exc).__name__})"
    if dtypes == "tfjs":
        names = [_harness_dtype(harness)] + [_dtype_name(a) for a in args] + [_dtype_name(o) for o in outs]
        outside = sorted({n for n in names if n not in TFJS_DTYPES})
        if outside:
            return None, f"{DTYPE_REASON}: " + ", ".join(outside)
    return args, None


def jax_reference(harness, args: list) -> list[np.ndarray]:
    import jax

    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(jax.jit(harness.dyn_fun)(*args))]


def select_cases(groups: Sequence[str] | None, per_group: int | None, dtypes: str,
                 case_timeout: float) -> tuple[dict[str, list[Case]], collections.Counter]:
    """Per group, the first `per_group` harnesses (all with None) that pass the filter, with JAX's
    outputs; and how many were left out, by (group, reason)."""
    from jax._src.internal_test_util import test_harnesses

    by_group: dict[str, list[tuple[int, Any]]] = {}
    for index, harness in enumerate(test_harnesses.all_harnesses):
        by_group.setdefault(harness.group_name, []).append((index, harness))
    if groups:
        unknown = [g for g in groups if g not in by_group]
        if unknown:
            raise SweepError(f"unknown group(s) {', '.join(unknown)} in --groups; known groups: "
                             f"{', '.join(sorted(by_group))}")
        by_group = {g: by_group[g] for g in groups}
    selected: dict[str, list[Case]] = {}
    left_out: collections.Counter = collections.Counter()
    for group, members in by_group.items():
        cases = selected.setdefault(group, [])
        for index, harness in members:
            if per_group is not None and len(cases) >= per_group:
                break
            args, why = static_filter(harness, dtypes)
            if why is None:
                try:
                    with time_limit(case_timeout):
                        expected = jax_reference(harness, args)
                except Exception as exc:
                    why = f"JAX fails on CPU ({type(exc).__name__})"
            if why is not None:
                left_out[(group, why)] += 1
                continue
            cases.append(Case(index, harness, args, expected))
    return selected, left_out


# ---- our converter + TF.js ----------------------------------------------------------------------


def convert_case(case: Case, model_dir: Path, case_timeout: float) -> Verdict | None:
    """Convert with our converter; a Verdict when it did not produce a model."""
    import jax

    from builders.convert import convert_jax

    harness = case.harness
    signatures = [jax.ShapeDtypeStruct(np.shape(a), a.dtype) for a in case.args]
    t0 = time.perf_counter()
    try:
        with time_limit(case_timeout), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            convert_jax(lambda params, *xs: harness.dyn_fun(*xs), {}, input_signatures=signatures,
                        model_dir=model_dir)
    except Exception as exc:
        return classify_conversion_error(exc)
    finally:
        case.convert_s = time.perf_counter() - t0
    return None


def tfjs_job(case: Case, model_dir: Path):
    """The TF.js run of a converted case, or a crash Verdict when its inputs cannot be fed."""
    from builders.convert.tfjs_runtime import TfjsJob, model_io_names

    inputs, outputs = model_io_names(model_dir)
    if len(inputs) != len(case.args):
        return Verdict("crash", f"the model has {len(inputs)} inputs for {len(case.args)} arguments")
    for arg in case.args:
        if tfjs_holder(arg.dtype) not in TFJS_DTYPES:
            return Verdict("crash", f"converted, but an argument of dtype {_dtype_name(arg)} cannot be fed to TF.js")
    return TfjsJob(model_dir, dict(zip(inputs, case.args)), outputs)


def run_tfjs_robust(jobs: list, backend: str, log: Callable[[str], None]) -> list:
    """`run_tfjs` on all jobs; when Node itself fails (crash, timeout, garbled reply) the batch is
    re-run in halves until the failing model is alone, which then gets the failure as its result."""
    from builders.convert.tfjs_runtime import TfjsResult, run_tfjs

    if not jobs:
        return []
    try:
        return run_tfjs(jobs, backend=backend, timeout=60 + 10 * len(jobs))
    except Exception as exc:
        message = str(exc).replace("running TF.js under Node failed", "")
        reason = f"Node failed ({type(exc).__name__}): {one_line(message)}"
        if isinstance(exc, subprocess.TimeoutExpired):
            reason = f"Node timed out after {exc.timeout:g} s"
        if len(jobs) == 1:
            return [TfjsResult(None, reason)]
        log(f"    {backend}: {reason}; re-running the {len(jobs)} models in halves")
        half = len(jobs) // 2
        return run_tfjs_robust(jobs[:half], backend, log) + run_tfjs_robust(jobs[half:], backend, log)


def run_ours(cases: list[Case], root: Path, backends: Sequence[str], case_timeout: float,
             log: Callable[[str], None]) -> None:
    """Convert every case, run the models on each backend in one Node process, record verdicts."""
    ready: list[tuple[Case, Any]] = []
    for case in cases:
        model_dir = root / "ours" / f"{case.index:05d}"
        try:
            failure = convert_case(case, model_dir, case_timeout)
            job = failure or tfjs_job(case, model_dir)
        except Exception as exc:  # one bad case never stops the sweep
            job = Verdict("crash", f"{type(exc).__name__}: {one_line(exc)}")
        if isinstance(job, Verdict):
            for backend in backends:
                case.verdicts[backend] = job
        else:
            ready.append((case, job))
    for backend in backends:
        results = run_tfjs_robust([job for _, job in ready], backend, log)
        for (case, _), result in zip(ready, results):
            if result.error is not None:
                case.verdicts[backend] = Verdict("crash", f"TF.js ({backend}): {one_line(result.error)}")
                continue
            try:
                case.verdicts[backend] = compare(case.expected, result.outputs, group=case.group, args=case.args,
                                                 params=case.harness.params, holder=tfjs_holder)
            except Exception as exc:
                case.verdicts[backend] = Verdict("crash", f"comparing failed: {type(exc).__name__}: {one_line(exc)}")


# ---- jax2onnx + onnxruntime, in a worker process ------------------------------------------------


ONNX_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int32)": np.int32,
              "tensor(int64)": np.int64, "tensor(bool)": np.bool_, "tensor(float16)": np.float16,
              "tensor(int8)": np.int8, "tensor(int16)": np.int16, "tensor(uint8)": np.uint8,
              "tensor(uint16)": np.uint16, "tensor(uint32)": np.uint32, "tensor(uint64)": np.uint64}


def _onnx_feed(arg: Any, onnx_type: str) -> np.ndarray:
    """An argument as the ONNX input wants it (jax2onnx may pass complex values as (re, im) pairs)."""
    import ml_dtypes

    arr = np.asarray(arg)
    if arr.dtype.kind == "c" and onnx_type in ("tensor(float)", "tensor(double)"):
        arr = np.stack([arr.real, arr.imag], axis=-1)
    if onnx_type == "tensor(bfloat16)":
        return arr.astype(ml_dtypes.bfloat16)
    return arr.astype(ONNX_TYPES.get(onnx_type, arr.dtype))


def onnx_case(harness, args: list, out_file: Path) -> dict:
    """Export one harness with jax2onnx and run it in onnxruntime (one thread); the worker's reply."""
    import jax
    import onnxruntime
    from jax2onnx import to_onnx

    specs = [jax.ShapeDtypeStruct(np.shape(a), a.dtype) for a in args]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = to_onnx(harness.dyn_fun, specs, model_name="harness")
    except NotImplementedError as exc:  # jax2onnx's "No plugins registered for primitive ..." and forms
        return {"status": "unsupported", "reason": f"{type(exc).__name__}: {one_line(exc)}"}
    except Exception as exc:
        return {"status": "crash", "reason": f"jax2onnx: {type(exc).__name__}: {one_line(exc)}"}
    try:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(model.SerializeToString(), options,
                                               providers=["CPUExecutionProvider"])
        inputs = session.get_inputs()
        if len(inputs) != len(args):
            return {"status": "crash", "reason": f"the ONNX model has {len(inputs)} inputs for {len(args)} arguments"}
        outputs = session.run(None, {i.name: _onnx_feed(a, i.type) for i, a in zip(inputs, args)})
    except Exception as exc:
        return {"status": "crash", "reason": f"onnxruntime: {type(exc).__name__}: {one_line(exc)}"}
    out_file.write_bytes(pickle.dumps([np.asarray(o) for o in outputs]))
    return {"status": "ran", "outputs": str(out_file)}


def onnx_worker(case_timeout: float) -> int:
    """`--onnx-worker`: read one JSON job per line on stdin, answer one JSON line per job."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever jax2onnx, onnx or XLA print goes to the log, not into the replies
    sys.path.append(str(BENCH_TOOLS))  # appended: the project's jax wins, both converters trace with it
    warnings.simplefilter("ignore")
    # By name, not position: the module's order depends on what was imported before it (some
    # harness loops run over sets of NumPy types, whose order follows their addresses).
    from jax._src.internal_test_util import test_harnesses

    harnesses = {h.fullname: h for h in test_harnesses.all_harnesses}
    try:
        import importlib.metadata

        import jax2onnx  # noqa: F401
        import onnxruntime
        hello = {"jax2onnx": importlib.metadata.version("jax2onnx"), "onnxruntime": onnxruntime.__version__}
    except Exception as exc:
        protocol.write(json.dumps({"error": f"{type(exc).__name__}: {one_line(exc)}"}) + "\n")
        return 1
    protocol.write(json.dumps({"hello": hello}) + "\n")
    for line in sys.stdin:
        job = json.loads(line)
        t0 = time.perf_counter()
        try:
            harness = harnesses[job["harness"]]
            args = make_args(harness)
            with time_limit(case_timeout):
                reply = onnx_case(harness, args, Path(job["out"]))
            reply["digest"] = args_digest(args)
        except Exception as exc:
            reply = {"status": "crash", "reason": f"{type(exc).__name__}: {one_line(exc)}",
                     "trace": traceback.format_exc(limit=3)}
        reply["seconds"] = time.perf_counter() - t0
        protocol.write(json.dumps(reply) + "\n")
    return 0


class OnnxWorker:
    """The `--onnx-worker` process: started once, restarted when it dies or hangs on a case."""

    def __init__(self, root: Path, case_timeout: float):
        self.root = root / "onnx"
        self.root.mkdir(parents=True, exist_ok=True)
        self.case_timeout = case_timeout
        self.proc: subprocess.Popen | None = None
        self.buffer = b""
        self.versions: dict[str, str] = {}
        self.error: str | None = None
        self.log = open(self.root / "worker.log", "ab")

    def _start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--onnx-worker", "--case-timeout",
                                      str(self.case_timeout)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, cwd=ROOT)
        self.buffer = b""
        hello = self._reply(300)
        if hello is None or "hello" not in hello:
            self.log.flush()
            last = one_line("\n".join((self.root / "worker.log").read_text(errors="replace").splitlines()[-1:]))
            self.error = (hello or {}).get("error", f"it exited without answering ({last or 'no output'})")
            self.stop()
            return
        self.versions = hello["hello"]

    def _reply(self, timeout: float) -> dict | None:
        """The next JSON line from the worker, or None when it died or stayed silent for `timeout`."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.proc.stdout], [], [], remaining)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def close(self) -> None:
        self.stop()
        self.log.close()

    def run(self, cases: list[Case]) -> dict[int, dict]:
        """The worker's reply per case index (a crash reply when the worker died or hung)."""
        replies: dict[int, dict] = {}
        for case in cases:
            if self.error is not None:
                replies[case.index] = {"status": "missing", "reason": self.error}
                continue
            if self.proc is None:
                self._start()
                if self.error is not None:
                    replies[case.index] = {"status": "missing", "reason": self.error}
                    continue
            job = {"harness": case.harness.fullname, "out": str(self.root / f"{case.index:05d}.pkl")}
            try:
                self.proc.stdin.write((json.dumps(job) + "\n").encode())
                self.proc.stdin.flush()
                reply = self._reply(self.case_timeout + 60)
            except (OSError, ValueError):
                reply = None
            if reply is None:
                code = self.proc.poll()
                self.stop()
                reply = {"status": "crash", "reason": "the jax2onnx/onnxruntime process "
                         + (f"died (exit {code})" if code is not None else "hung") + " on this case"}
            replies[case.index] = reply
        return replies


def onnx_verdict(case: Case, reply: dict) -> Verdict:
    """The worker's reply for a case, judged by the same comparison as ours."""
    status = reply.get("status")
    if status != "ran":
        return Verdict(status if status in STATUSES else "crash", reply.get("reason", ""))
    if reply.get("digest") != args_digest(case.args):
        return Verdict("crash", "the worker's harness arguments differ from this process's (not comparable)")
    outputs = pickle.loads(Path(reply["outputs"]).read_bytes())
    outputs = [_onnx_complex(e, a) for e, a in zip(case.expected, outputs)] if len(outputs) == len(case.expected) \
        else outputs
    return compare(case.expected, outputs, group=case.group, args=case.args, params=case.harness.params,
                   holder=exact_holder)


def _onnx_complex(expected: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """jax2onnx returns complex results as (re, im) pairs in a trailing axis of 2."""
    if expected.dtype.kind == "c" and actual.dtype.kind == "f" and actual.shape == expected.shape + (2,):
        return (actual[..., 0] + 1j * actual[..., 1]).astype(expected.dtype)
    return actual


# ---- the report ---------------------------------------------------------------------------------


def tally(cases: Iterable[Case], runtime: str) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for case in cases:
        verdict = case.verdicts.get(runtime)
        if verdict is not None and verdict.status in counts:
            counts[verdict.status] += 1
    return counts


def _cell(counts: dict[str, int], measured: bool) -> str:
    return "/".join(str(counts[s]) for s in STATUSES) if measured else "-"


def group_table(selected: dict[str, list[Case]], runtimes: Sequence[str]) -> list[str]:
    """Markdown rows: group | cases | per runtime match/wrong/unsupported/crash, then the totals."""
    head = ["group", "cases"] + [f"{RUNTIME_TITLES[r]} (m/w/u/c)" for r in runtimes]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    every = [case for cases in selected.values() for case in cases]
    for group, cases in selected.items():
        if cases:
            lines.append(f"| {group} | {len(cases)} | "
                         + " | ".join(_cell(tally(cases, r), True) for r in runtimes) + " |")
    lines.append(f"| **total** | **{len(every)}** | "
                 + " | ".join(f"**{_cell(tally(every, r), True)}**" for r in runtimes) + " |")
    return lines


def totals_table(selected: dict[str, list[Case]], runtimes: Sequence[str]) -> list[str]:
    every = [case for cases in selected.values() for case in cases]
    lines = ["| runtime | cases | " + " | ".join(STATUSES) + " |", "|---|---|" + "---|" * len(STATUSES)]
    for runtime in runtimes:
        counts = tally(every, runtime)
        lines.append(f"| {RUNTIME_TITLES[runtime]} | {len(every)} | " + " | ".join(str(counts[s]) for s in STATUSES)
                     + " |")
    return lines


def failures(selected: dict[str, list[Case]], runtimes: Sequence[str], statuses=("wrong", "crash")) -> list[str]:
    """One line per case and failure reason: `group/name [runtimes]: status: reason`."""
    lines = []
    for cases in selected.values():
        for case in cases:
            seen: dict[tuple[str, str], list[str]] = {}
            for runtime in runtimes:
                verdict = case.verdicts.get(runtime)
                if verdict is not None and verdict.status in statuses:
                    seen.setdefault((verdict.status, verdict.reason), []).append(runtime)
            for (status, reason), where in seen.items():
                lines.append(f"{case.group}/{case.name} [{','.join(where)}]: {status}: {reason}")
    return lines


def left_out_lines(left_out: collections.Counter) -> list[str]:
    """Markdown items: how many harnesses each reason left out (dtype reasons as one item, with the
    dtypes involved), counted while scanning each group for its sample."""
    by_reason: collections.Counter = collections.Counter()
    groups: dict[str, set[str]] = {}
    dtypes: collections.Counter = collections.Counter()
    for (group, reason), count in left_out.items():
        if reason.startswith(DTYPE_REASON):
            for name in reason.split(": ", 1)[1].split(", "):
                dtypes[name] += count
            reason = DTYPE_REASON
        by_reason[reason] += count
        groups.setdefault(reason, set()).add(group)
    lines = []
    for reason, count in by_reason.most_common():
        detail = f"{len(groups[reason])} groups"
        if reason == DTYPE_REASON:
            detail += "; harnesses involving " + ", ".join(f"{n} {d}" for d, n in dtypes.most_common())
        lines.append(f"- {count}: {reason} ({detail})")
    return lines


def environment(onnx_versions: dict[str, str]) -> dict[str, str]:
    import jax

    tfjs = json.loads((ROOT / "node_modules" / "@tensorflow" / "tfjs" / "package.json").read_text())["version"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {"jax": jax.__version__, "tfjs": tfjs, "node": node, "python": platform.python_version(),
            "cpus": str(os.cpu_count()), "machine": platform.machine(), **onnx_versions}


def _code_item(line: str) -> str:
    return "- `" + line.replace("`", "'") + "`"


def markdown_page(selected, left_out, runtimes, meta: dict) -> str:
    ours = [r for r in runtimes if r != "onnx"]
    empty = [g for g, cases in selected.items() if not cases]
    parts = [
        "# Harness sweep: JAX's primitive harnesses through the converters\n",
        "<!-- generated by benchmarks/harness_sweep.py: re-run it, do not edit this page -->\n",
        "JAX ships the test harnesses jax2tf was validated with (`jax._src.internal_test_util.test_harnesses`). "
        "This page runs a sample of them through this converter (the model in TF.js under Node, on the CPU and "
        "WASM backends, with the site's kernels) and through jax2onnx + onnxruntime, and compares every output "
        "with JAX's on CPU (jax2onnx's models run in native onnxruntime, one thread). See also the "
        "[supported primitives](primitives.md).\n",
        f"Command: `{meta['command']}`, {meta['date']}, {meta['seconds']:.0f} s on {meta['env'].get('cpus')} CPUs "
        f"({meta['env'].get('machine')}); jax {meta['env'].get('jax')}, TF.js {meta['env'].get('tfjs')}, Node "
        f"{meta['env'].get('node')}, jax2onnx {meta['env'].get('jax2onnx', '-')}, onnxruntime "
        f"{meta['env'].get('onnxruntime', '-')}.\n",
        "## How cases are chosen and judged\n",
        f"Per group, the first {meta['per_group'] or 'all'} harnesses in the module's order that JAX runs on CPU"
        + (" and whose dtype, arguments and outputs are all float32, int32 or bool (TF.js's dtypes; with 6 per "
           "group this gives 449 cases)" if meta["dtypes"] == "tfjs"
           else " (every dtype: what our converter refuses with a clear error counts as unsupported)")
        + ". Arguments from `harness.dyn_args_maker(RandomState(0))`, reference `jax.jit(harness.dyn_fun)`.\n",
        "- **match**: same number of outputs, JAX's dtype (as the runtime holds it) and shape, NaN and ±Inf in the "
        "same places, integers and booleans exact, floats within 1e-5 relative plus 1e-5 × max(1, largest "
        "|value| of that output) absolute (float16 1e-2, bfloat16 5e-2; as in jax2tf's own tests, 1e-3 for "
        "`lgamma` and `digamma` and 1e-4 for `erf_inv`, ill-conditioned near their poles). `cholesky` compares "
        "the lower triangle (the primitive leaves the rest unspecified); `eigh`, `svd`, `qr` and "
        "`approx_top_k`, whose results are not unique, are checked by their defining properties "
        "(eigen-residual, reconstruction, orthonormality, values at the returned indices) at 1e-4;",
        "- **wrong**: converted and ran, but one of those differs: a silent wrong answer;",
        "- **unsupported**: the converter refused with a clear error (ours: `UnsupportedPrimitiveError`, "
        "`SignatureError` or its own `ConversionError`; jax2onnx: its `NotImplementedError`);",
        "- **crash**: any other exception, a run-time failure in TF.js or onnxruntime, or the process dying.\n",
        "Left out by the filter (counted among the harnesses each group's scan looked at before its sample "
        "was full):\n",
        *left_out_lines(left_out), "",
        *([f"Groups with no case that passes the filter ({len(empty)}): " + ", ".join(empty) + ".\n"] if empty else []),
        "## Totals\n", *totals_table(selected, runtimes), "",
        "## Per group\n", "Each cell: match / wrong / unsupported / crash.\n", *group_table(selected, runtimes), "",
        "## Our wrong and crashing cases\n",
    ]
    ours_failures = failures(selected, ours)
    parts += [_code_item(line) for line in ours_failures] or ["None."]
    onnx_failures = failures(selected, ["onnx"]) if "onnx" in runtimes else []
    if onnx_failures:
        parts += ["", "## jax2onnx + onnxruntime: wrong and crashing cases\n"]
        parts += [_code_item(line) for line in onnx_failures]
    return "\n".join(parts) + "\n"


def json_report(selected, left_out, runtimes, meta) -> dict:
    every = [case for cases in selected.values() for case in cases]
    return {
        "meta": meta,
        "totals": {r: tally(every, r) for r in runtimes},
        "groups": {g: {r: tally(cases, r) for r in runtimes} for g, cases in selected.items()},
        "left_out": [{"group": g, "reason": why, "count": n} for (g, why), n in sorted(left_out.items())],
        "cases": [{"group": c.group, "name": c.name, "index": c.index, "convert_s": round(c.convert_s, 4),
                   "onnx_s": round(c.onnx_s, 4),
                   **{r: asdict(c.verdicts[r]) for r in runtimes if r in c.verdicts}} for c in every],
    }


# ---- the sweep ----------------------------------------------------------------------------------


def sweep(selected: dict[str, list[Case]], root: Path, backends: Sequence[str], onnx: OnnxWorker | None,
          case_timeout: float, log: Callable[[str], None]) -> None:
    """Run every case through ours (and jax2onnx in parallel, in its worker), printing per group."""
    pool = ThreadPoolExecutor(max_workers=1)
    groups = [g for g, cases in selected.items() if cases]
    pending: Future | None = None
    try:
        for number, group in enumerate(groups, 1):
            cases = selected[group]
            t0 = time.perf_counter()
            if onnx is not None:
                pending = pool.submit(onnx.run, cases)
            run_ours(cases, root, backends, case_timeout, log)
            if pending is not None:
                replies = pending.result()
                for case in cases:
                    case.onnx_s = float(replies[case.index].get("seconds", 0.0))
                    try:
                        case.verdicts["onnx"] = onnx_verdict(case, replies[case.index])
                    except Exception as exc:
                        case.verdicts["onnx"] = Verdict("crash", f"reading the reply failed: {type(exc).__name__}: "
                                                                 f"{one_line(exc)}")
            runtimes = list(backends) + (["onnx"] if onnx is not None and onnx.error is None else [])
            cells = ", ".join(f"{r} {_cell(tally(cases, r), True)}" for r in runtimes)
            log(f"[{number}/{len(groups)}] {group}: {len(cases)} cases: {cells} ({time.perf_counter() - t0:.1f} s)")
    finally:
        pool.shutdown(wait=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-group", type=int, default=6, help="cases per group (default 6)")
    parser.add_argument("--uncapped", action="store_true", help="every case of every group that passes the filter")
    parser.add_argument("--groups", default="", help="comma-separated group names (default: all 132)")
    parser.add_argument("--dtypes", choices=("tfjs", "all"), default="tfjs",
                        help="tfjs: float32/int32/bool only (the default sample); all: every dtype")
    parser.add_argument("--backends", default="cpu,wasm", help="TF.js backends for ours (default cpu,wasm)")
    parser.add_argument("--no-onnx", action="store_true", help="skip jax2onnx + onnxruntime")
    parser.add_argument("--case-timeout", type=float, default=60, help="seconds per conversion or run (default 60)")
    parser.add_argument("--json", type=Path, help="write every case's verdicts here")
    parser.add_argument("--markdown", type=Path, help="write the report page here (docs/reference/harness-sweep.md)")
    parser.add_argument("--failures", type=Path, help="write our wrong/crash cases here, one per line")
    parser.add_argument("--keep", type=Path, help="keep the converted models in this folder")
    parser.add_argument("--onnx-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.per_group < 1:
        parser.error("--per-group must be at least 1")
    return args


OUTPUT_OPTIONS = ("--json", "--markdown", "--failures", "--keep")


def sweep_command(argv: Sequence[str]) -> str:
    """The command line that produced the results, without the options that only say where to write."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in OUTPUT_OPTIONS:
            skip = True
        elif not arg.startswith(tuple(o + "=" for o in OUTPUT_OPTIONS)):
            kept.append(arg)
    return " ".join(["python benchmarks/harness_sweep.py", *kept])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.onnx_worker:
        return onnx_worker(args.case_timeout)
    warnings.simplefilter("ignore")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    bad = [b for b in backends if b not in ("cpu", "wasm")]
    if bad:
        print(f"harness_sweep: --backends takes cpu and/or wasm, got {', '.join(bad)}", file=sys.stderr)
        return 2
    log = lambda text: print(text, flush=True)  # noqa: E731
    started = time.perf_counter()
    groups = [g.strip() for g in args.groups.split(",") if g.strip()] or None
    per_group = None if args.uncapped else args.per_group
    try:
        selected, left_out = select_cases(groups, per_group, args.dtypes, args.case_timeout)
    except SweepError as exc:
        print(f"harness_sweep: {exc}", file=sys.stderr)
        return 2
    total = sum(len(c) for c in selected.values())
    log(f"{total} cases in {sum(1 for c in selected.values() if c)} groups "
        f"({'uncapped' if per_group is None else f'up to {per_group} per group'}, dtypes {args.dtypes}); left out:")
    for line in left_out_lines(left_out):
        log("  " + line[2:])
    empty = [g for g, cases in selected.items() if not cases]
    if empty:
        log(f"  groups with no case left: {', '.join(empty)}")

    with contextlib.ExitStack() as stack:
        root = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="harness-sweep-")))
        onnx = None
        onnx_note = ""
        if args.no_onnx:
            onnx_note = "jax2onnx: skipped (--no-onnx)"
        elif not (BENCH_TOOLS / "jax2onnx").is_dir():
            onnx_note = f"jax2onnx: not measured, it is not in {BENCH_TOOLS}: {INSTALL_HINT}"
        else:
            onnx = OnnxWorker(root, args.case_timeout)
            stack.callback(onnx.close)
        if onnx_note:
            log(onnx_note)
        sweep(selected, root, backends, onnx, args.case_timeout, log)
        if onnx is not None and onnx.error:
            onnx_note = f"jax2onnx: not measured, its worker process failed: {onnx.error}; {INSTALL_HINT}"
            log(onnx_note)
            onnx = None
        versions = onnx.versions if onnx is not None else {}

    runtimes = list(backends) + (["onnx"] if onnx is not None else [])
    seconds = time.perf_counter() - started
    meta = {"command": sweep_command(argv if argv is not None else sys.argv[1:]),
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "seconds": seconds, "per_group": per_group, "dtypes": args.dtypes, "cases": total,
            "env": environment(versions), "note": onnx_note}
    print()
    print("\n".join(group_table(selected, runtimes)))
    print()
    print("\n".join(totals_table(selected, runtimes)))
    ours_failures = failures(selected, backends)
    print(f"\nOurs, wrong or crash ({len(ours_failures)}):")
    print("\n".join("  " + line for line in ours_failures) or "  none")
    print(f"\n{total} cases, {seconds:.0f} s")
    if args.failures:
        args.failures.parent.mkdir(parents=True, exist_ok=True)
        args.failures.write_text("".join(line + "\n" for line in ours_failures))
    if args.json:
        args.json.write_text(json.dumps(json_report(selected, left_out, runtimes, meta), indent=1, default=str))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown_page(selected, left_out, runtimes, meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
