"""Find the first graph node where TF.js and JAX disagree, and the JAX line it came from.

The function is converted again for the concrete input shapes without fusion, so
every lowered equation keeps its own node; JAX evaluates the same jaxpr equation by
equation (inlining calls exactly as the converter does), TF.js returns every node's
value in one run, and the values are compared in graph order.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

from .converter import _prepare_params, convert_jax
from .interpreter import _inner_jaxpr, as_concrete_value
from .lowering import INLINED_PRIMITIVES
from .tfjs_runtime import TfjsJob, model_io_names, run_tfjs


@dataclass
class Divergence:
    """The first node whose TF.js value is outside tolerance of the JAX equation it lowers."""

    node: str
    op: str
    primitive: str
    source_line: str
    max_abs_error: float
    shape: tuple[int, ...]
    checked_nodes: int

    def describe(self) -> str:
        return (f"first divergence at node '{self.node}' ({self.op}), lowered from JAX '{self.primitive}' at "
                f"{self.source_line}: max |err| {self.max_abs_error:.3g} on shape {list(self.shape)} "
                f"(after {self.checked_nodes} matching nodes)")


def _jax_values(apply_fn: Callable, params: Any, inputs: Sequence[np.ndarray]) -> dict[tuple, list]:
    """Every equation's outputs, keyed by the same paths the converter's interpreter uses."""
    notes: list[str] = []
    leaves, treedef = _prepare_params(params, notes)

    def flat_fn(flat_params, *xs):
        return apply_fn(jax.tree_util.tree_unflatten(treedef, flat_params), *xs)

    flat_params = [v for _, v in leaves]
    closed = jax.make_jaxpr(flat_fn)(flat_params, *inputs)
    values: dict[tuple, list] = {}

    def run(jaxpr, consts, args, path):
        env = {}

        def read(var):
            return as_concrete_value(var.val) if hasattr(var, "val") else env[var]

        for var, val in zip(jaxpr.constvars, consts):
            env[var] = val
        for var, val in zip(jaxpr.invars, args):
            env[var] = val
        for index, eqn in enumerate(jaxpr.eqns):
            invals = [read(v) for v in eqn.invars]
            here = (*path, index)
            if eqn.primitive.name in INLINED_PRIMITIVES:
                inner, inner_consts = _inner_jaxpr(eqn)
                outs = run(inner, inner_consts, invals, here)
            else:
                outs = eqn.primitive.bind(*invals, **eqn.params)
                if not eqn.primitive.multiple_results:
                    outs = [outs]
                values[here] = [as_concrete_value(o) for o in outs]  # keys have no graph node to compare
            for var, val in zip(eqn.outvars, outs):
                env[var] = val
        return [read(v) for v in jaxpr.outvars]

    run(closed.jaxpr, list(closed.consts), [*flat_params, *inputs], ())
    return values


def _exceeds(expected: np.ndarray, actual: np.ndarray, atol: float, rtol: float) -> tuple[bool, float]:
    if expected.shape != actual.shape:
        return True, float("inf")
    if expected.dtype == np.bool_ or actual.dtype == np.bool_:
        wrong = float(np.sum(expected.astype(bool) != actual.astype(bool)))
        return wrong > 0, wrong
    exp = expected.astype(np.float64)
    act = actual.astype(np.float64)
    same = (exp == act) | (np.isnan(exp) & np.isnan(act))
    diff = np.where(same, 0.0, np.abs(exp - act))
    diff = np.nan_to_num(diff, nan=np.inf)
    bad = diff > atol + rtol * np.abs(np.nan_to_num(exp))
    return bool(np.any(bad)), float(diff.max()) if diff.size else 0.0


def find_divergence(apply_fn: Callable, params: Any, inputs: Sequence[Any], *, atol: float = 1e-5,
                    rtol: float = 1e-4, backend: str = "cpu") -> Divergence | None:
    """Convert `apply_fn` for these inputs, run every node in TF.js and return the first one
    that disagrees with JAX beyond `atol + rtol * |jax|` (None when all nodes agree)."""
    arrays = [np.asarray(x) for x in inputs]
    arrays = [a.astype(np.float32) if a.dtype == np.float64 else a.astype(np.int32) if a.dtype == np.int64 else a
              for a in arrays]
    with tempfile.TemporaryDirectory(prefix="jaxweb-diagnose-") as tmp:
        model_dir = Path(tmp) / "model"
        result = convert_jax(apply_fn, params, input_signatures=[(a.shape, a.dtype) for a in arrays],
                             model_dir=model_dir, fuse=False)
        model = json.loads((model_dir / "model.json").read_text())
        ops = {n["name"]: n["op"] for n in model["modelTopology"]["node"]}
        order = {n["name"]: i for i, n in enumerate(model["modelTopology"]["node"])}
        candidates = sorted(
            (ref for ref in result.node_origins if ops.get(ref.split(":")[0]) not in (None, "Const", "Placeholder")),
            key=lambda ref: (order[ref.split(":")[0]], ref))
        if not candidates:
            return None
        expected = _jax_values(apply_fn, params, arrays)
        input_names, _ = model_io_names(model_dir)
        (run,) = run_tfjs([TfjsJob(model_dir, dict(zip(input_names, arrays)), candidates)], backend=backend)
        if run.error is not None:
            return None
        checked = 0
        for ref, actual in zip(candidates, run.outputs):
            path, index, primitive, line = result.node_origins[ref]
            if path not in expected:
                continue
            value = expected[path][index]
            bad, err = _exceeds(value, actual, atol, rtol)
            if bad:
                return Divergence(ref, ops[ref.split(":")[0]], primitive, line, err, tuple(value.shape), checked)
            checked += 1
    return None
