"""Walk a jaxpr and emit TF graph nodes, folding constant computations on the way."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from jax._src import source_info_util

from .errors import ConversionError, UnsupportedPrimitiveError
from .graph import Sym, is_static_dim
from .lowering import INLINED_PRIMITIVES, LOWERINGS
from .lowering.common import LoweringContext

# Folding may not blow up a small constant into a big one (a broadcast of a bias to
# the batch size, an iota): such results stay in the graph and are computed at run time.
FOLD_GROWTH_LIMIT = 4096
NAME_PRESERVING = {"reshape", "broadcast_in_dim", "squeeze", "expand_dims", "convert_element_type",
                   "transpose", "copy", "copy_p"}


@dataclass
class Concrete:
    """A value known at conversion time (a parameter, literal or folded result)."""

    value: np.ndarray
    name: str
    sym: Sym | None = None


Value = Any  # Sym | Concrete


def source_line(eqn, call_sites: tuple[str, ...] = ()) -> str:
    """The user's source location of an equation, e.g. 'model.py:12 (__call__)'.

    Equations inside a library's jitted function carry no user frame; they get the
    location of the innermost call site that has one.
    """
    try:
        line = source_info_util.summarize(eqn.source_info)
    except Exception:
        line = ""
    if line:
        return line
    return next((site for site in reversed(call_sites) if site), "unknown location")


def _fmt_aval(aval) -> str:
    shape = ",".join(str(d) for d in getattr(aval, "shape", ()))
    return f"{getattr(aval, 'dtype', '?')}[{shape}]"


def _inner_jaxpr(eqn):
    """The (jaxpr, consts) of an inlinable call primitive."""
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        if key in eqn.params:
            inner = eqn.params[key]
            if hasattr(inner, "jaxpr"):  # ClosedJaxpr
                return inner.jaxpr, list(inner.consts)
            return inner, []
    raise ConversionError(f"cannot find the body of '{eqn.primitive.name}' at {source_line(eqn)}")


class Interpreter:
    """Lowers jaxpr equations into a `LoweringContext`'s graph."""

    def __init__(self, ctx: LoweringContext, fold_constants: bool = True):
        self.ctx = ctx
        self.fold_constants = fold_constants
        # graph tensor ref -> (equation path, output index, primitive, source line) of the
        # equation that produced it; the path indexes eqns through inlined sub-jaxprs.
        self.origins: dict[str, tuple[tuple[int, ...], int, str, str]] = {}
        self._path: list[int] = []
        self.call_sites: list[str] = []  # source lines of the enclosing inlined calls

    def materialize(self, value: Value) -> Sym:
        if isinstance(value, Sym):
            return value
        if value.sym is None:
            value.sym = self.ctx.graph.const(value.name, value.value)
        return value.sym

    def run(self, jaxpr, consts: list[Value], args: list[Value]) -> list[Value]:
        env: dict[Any, Value] = {}

        def read(var) -> Value:
            if hasattr(var, "val"):  # Literal
                return Concrete(np.asarray(var.val), "const")
            return env[var]

        for var, val in zip(jaxpr.constvars, consts):
            env[var] = val if isinstance(val, (Sym, Concrete)) else Concrete(np.asarray(val), "const")
        for var, val in zip(jaxpr.invars, args):
            env[var] = val
        for index, eqn in enumerate(jaxpr.eqns):
            invals = [read(v) for v in eqn.invars]
            self._path.append(index)
            try:
                outvals = self.eqn(eqn, invals)
            finally:
                self._path.pop()
            for var, val in zip(eqn.outvars, outvals):
                env[var] = val
        return [read(v) for v in jaxpr.outvars]

    def eqn(self, eqn, invals: list[Value]) -> list[Value]:
        name = eqn.primitive.name
        if name in INLINED_PRIMITIVES:
            inner, consts = _inner_jaxpr(eqn)
            n_consts = len(inner.invars) - len(invals)
            if n_consts < 0:
                raise ConversionError(f"unexpected arguments to '{name}' at {source_line(eqn, tuple(self.call_sites))}")
            self.call_sites.append(source_line(eqn, tuple(self.call_sites)))
            try:
                return self.run(inner, consts, invals)
            finally:
                self.call_sites.pop()
        if self.fold_constants and self._foldable(eqn, invals):
            folded = self._fold(eqn, invals)
            if folded is not None:
                return folded
        lowering = LOWERINGS.get(name)
        if lowering is None:
            raise UnsupportedPrimitiveError(name, [_fmt_aval(v.aval) for v in eqn.invars],
                                            source_line(eqn, tuple(self.call_sites)))
        syms = [self.materialize(v) for v in invals]
        try:
            outs = lowering(self.ctx, eqn, *syms)
        except NotImplementedError as exc:
            raise UnsupportedPrimitiveError(
                name, [_fmt_aval(v.aval) for v in eqn.invars], source_line(eqn, tuple(self.call_sites)),
                hint=f"This form is not supported: {exc}.",
            ) from None
        if len(outs) != len(eqn.outvars):
            raise ConversionError(f"lowering of '{name}' returned {len(outs)} outputs, expected {len(eqn.outvars)}")
        for k, out in enumerate(outs):
            if isinstance(out, Sym):
                self.origins.setdefault(out.ref, (tuple(self._path), k, name, source_line(eqn)))
        return outs

    def _foldable(self, eqn, invals: list[Value]) -> bool:
        if not all(isinstance(v, Concrete) for v in invals):
            return False
        if any(not all(is_static_dim(d) for d in getattr(v.aval, "shape", ())) for v in eqn.outvars):
            return False
        in_size = sum(v.value.size for v in invals)
        out_size = sum(math.prod(v.aval.shape) for v in eqn.outvars)
        return out_size <= max(in_size, FOLD_GROWTH_LIMIT)

    def _fold(self, eqn, invals: list[Concrete]) -> list[Value] | None:
        try:
            results = eqn.primitive.bind(*[v.value for v in invals], **eqn.params)
        except Exception:  # e.g. params that only make sense while tracing: lower it instead
            return None
        if not eqn.primitive.multiple_results:
            results = [results]
        base = next((v.name for v in invals if v.name != "const"), "const")
        # A parameter that is only reshaped or cast keeps its own name in the graph.
        keeps_name = base == "const" or eqn.primitive.name in NAME_PRESERVING
        return [Concrete(np.asarray(r), base if keeps_name else f"{base}/{eqn.primitive.name}")
                for r in results]
