"""Walk a jaxpr and emit TF graph nodes, folding constant computations on the way."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np
from jax._src import source_info_util

from . import loops
from .dtypes import tf_enum
from .errors import ConversionError, UnsupportedDtypeError, UnsupportedPrimitiveError
from .graph import Sym, is_static_dim
from .lowering import INLINED_PRIMITIVES, LOWERINGS, TRACED_IMPLEMENTATIONS, scatter_windows
from .lowering.common import LoweringContext

# Folding may not blow up a small constant into a big one (a broadcast of a bias to
# the batch size, an iota): such results stay in the graph and are computed at run time.
FOLD_GROWTH_LIMIT = 4096
MAX_SCAN_UNROLL = 1024  # steps of a lax.scan unrolled into the graph with unroll_scans=True
# Scans whose steps x body equations stay within this are unrolled (a loop-free graph runs with
# the synchronous `execute` and fastest); longer ones become a `StatelessWhile` loop.
UNROLL_BUDGET = 1024
NAME_PRESERVING = {"reshape", "broadcast_in_dim", "squeeze", "expand_dims", "convert_element_type",
                   "transpose", "copy", "copy_p"}


# Side effects for the developer (jax.debug.print, jax.debug.callback): they have no value, and the
# converted model has nowhere to print, so they are left out and the conversion warns.
DEBUG_PRIMITIVES = {"debug_print", "debug_callback"}

RANDOM_PRIMITIVES = {"random_seed", "random_wrap", "random_unwrap", "random_bits", "random_split",
                     "random_fold_in", "threefry2x32"}
RANDOM_HINT = ("Random numbers are drawn at conversion time, and only from a key known then (a constant "
               "or a parameter) into a shape known then: this one depends on an input (a key passed in, or "
               "a batch-sized draw). TF.js has no exact unsigned 32-bit arithmetic for JAX's threefry "
               "generator, so draw the numbers outside the converted function and pass them in as an "
               "input, or give the draw a static shape.")


@dataclass
class Concrete:
    """A value known at conversion time (a parameter, literal or folded result).

    `value` is a NumPy array, or a JAX array of PRNG keys: keys have no NumPy form and
    no TF.js form, so they live only here, and the random numbers drawn from them fold."""

    value: Any
    name: str
    # its Const node in each graph it was used in (the model's graph and loop-body functions)
    syms: dict[int, Sym] = field(default_factory=dict)


def is_key(value: Any) -> bool:
    """True for a JAX array of typed PRNG keys (`jax.random.key`, Flax's rngs)."""
    dtype = getattr(value, "dtype", None)
    return dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)


def as_concrete_value(value: Any) -> Any:
    return value if is_key(value) else np.asarray(value)


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

    def __init__(self, ctx: LoweringContext, fold_constants: bool = True, unroll_scans: bool | None = None):
        self.ctx = ctx
        self.fold_constants = fold_constants
        # None: unroll scans up to UNROLL_BUDGET equations, loop beyond; True/False: always/never
        self.unroll_scans = unroll_scans
        # graph tensor ref -> (equation path, output index, primitive, source line) of the
        # equation that produced it; the path indexes eqns through inlined sub-jaxprs.
        self.origins: dict[str, tuple[tuple[int, ...], int, str, str]] = {}
        self._path: list[int] = []
        self.call_sites: list[str] = []  # source lines of the enclosing inlined calls
        self.dropped_debug: list[str] = []  # source lines of the jax.debug calls left out

    def materialize(self, value: Value, eqn=None) -> Sym:
        if isinstance(value, Sym):
            return value
        if is_key(value.value):
            where = source_line(eqn, tuple(self.call_sites)) if eqn is not None else "unknown location"
            use = f"'{eqn.primitive.name}'" if eqn is not None else "an operation"
            raise ConversionError(
                f"a PRNG key reaches {use} at {where}, which must run in TF.js: random numbers can only "
                "be drawn at conversion time, from keys known then, into shapes known then (no batch "
                "dimension). Draw them outside the converted function and pass them in as an input, or "
                "make the shape static.")
        graph = self.ctx.graph
        if id(graph) not in value.syms:
            value.syms[id(graph)] = graph.const(value.name, value.value)
        return value.syms[id(graph)]

    def run(self, jaxpr, consts: list[Value], args: list[Value]) -> list[Value]:
        env: dict[Any, Value] = {}

        def read(var) -> Value:
            if hasattr(var, "val"):  # Literal
                return Concrete(np.asarray(var.val), "const")
            return env[var]

        for var, val in zip(jaxpr.constvars, consts):
            env[var] = val if isinstance(val, (Sym, Concrete)) else Concrete(as_concrete_value(val), "const")
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
        if name in DEBUG_PRIMITIVES:  # jax.debug.print / callback: no value to compute; said in a warning
            self.dropped_debug.append(source_line(eqn, tuple(self.call_sites)))
            return []
        if self.fold_constants and self._foldable(eqn, invals):
            folded = self._fold(eqn, invals)
            if folded is not None:
                return folded
        if name == "scan":
            if self._unrolls(eqn):
                return self._unroll_scan(eqn, invals)
            return loops.scan_as_loop(self, eqn, invals)
        if name == "while":
            return loops.while_as_loop(self, eqn, invals)
        if name == "custom_linear_solve":
            return self._linear_solve(eqn, invals)
        if name in TRACED_IMPLEMENTATIONS:
            return self._traced(eqn, invals, TRACED_IMPLEMENTATIONS[name])
        if name in scatter_windows.SCATTERS and not scatter_windows.is_simple(eqn):
            return self._traced(eqn, invals, scatter_windows.element_scatter(name))
        if name == "cond":
            return self._cond(eqn, invals)
        lowering = LOWERINGS.get(name)
        if lowering is None:
            raise UnsupportedPrimitiveError(name, [_fmt_aval(v.aval) for v in eqn.invars],
                                            source_line(eqn, tuple(self.call_sites)),
                                            hint=RANDOM_HINT if name in RANDOM_PRIMITIVES else "")
        syms = [self.materialize(v, eqn) for v in invals]
        try:
            outs = lowering(self.ctx, eqn, *syms)
        except UnsupportedDtypeError as exc:
            raise UnsupportedPrimitiveError(
                name, [_fmt_aval(v.aval) for v in eqn.invars], source_line(eqn, tuple(self.call_sites)),
                hint=f"This form is not supported: {exc}.",
            ) from None
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

    # ---- control flow ------------------------------------------------------------------------------
    def _unrolls(self, eqn) -> bool:
        """Whether a scan is unrolled (short ones: the graph stays loop-free and `execute`
        synchronous) or kept as a `StatelessWhile` loop (long ones: the graph stays small)."""
        length = int(eqn.params["length"])
        if self.unroll_scans is not None:
            return bool(self.unroll_scans) and length >= 1
        return 1 <= length and length * loops.count_eqns(eqn.params["jaxpr"].jaxpr) <= UNROLL_BUDGET

    def _unroll_scan(self, eqn, invals: list[Value]) -> list[Value]:
        """`lax.scan` (also `fori_loop` with static bounds) unrolled step by step."""
        p = eqn.params
        length = int(p["length"])
        if length > MAX_SCAN_UNROLL:
            raise UnsupportedPrimitiveError(
                "scan", [_fmt_aval(v.aval) for v in eqn.invars], source_line(eqn),
                hint=f"unroll_scans=True unrolls scans into the graph; this one has {length} steps (at most "
                     f"{MAX_SCAN_UNROLL}). Leave unroll_scans unset to keep long scans as a loop.")
        body = p["jaxpr"]
        n_consts, n_carry = int(p["num_consts"]), int(p["num_carry"])
        consts, carry, xs = invals[:n_consts], invals[n_consts:n_consts + n_carry], invals[n_consts + n_carry:]
        steps: dict[int, list[Value]] = {}
        for t in (reversed(range(length)) if p["reverse"] else range(length)):
            outs = self.run(body.jaxpr, list(body.consts), [*consts, *carry, *[self._step(x, t) for x in xs]])
            carry, steps[t] = outs[:n_carry], outs[n_carry:]
        ys = [self._stack([steps[t][j] for t in range(length)], var.aval)
              for j, var in enumerate(eqn.outvars[n_carry:])]
        return [*carry, *ys]

    def _step(self, x: Value, t: int) -> Value:
        if isinstance(x, Concrete):
            return Concrete(x.value[t], x.name)
        rank = x.rank
        others = ((1 << rank) - 1) & ~1
        return self.ctx.strided_slice(x, [t] + [0] * (rank - 1), [t + 1] + [0] * (rank - 1), shape=x.shape[1:],
                                      begin_mask=others, end_mask=others, shrink_axis_mask=1)

    def _stack(self, values: list[Value], aval) -> Value:
        if all(isinstance(v, Concrete) for v in values):
            return Concrete(np.stack([v.value for v in values]), values[0].name)
        syms = [self.materialize(v) for v in values]
        return self.ctx.graph.op("Pack", syms, {"axis": {"i": "0"}, "N": {"i": str(len(syms))}},
                                 shape=tuple(aval.shape), dtype=syms[0].dtype)

    def _traced(self, eqn, invals: list[Value], impl) -> list[Value]:
        """A primitive written as a JAX function (lowering/decompositions.py, jax_defined.py):
        trace it for these shapes (symbolic dimensions stay symbolic) and convert the result like
        the user's code."""
        where = source_line(eqn, tuple(self.call_sites))
        operands = [_fmt_aval(v.aval) for v in eqn.invars]
        structs = [jax.ShapeDtypeStruct(v.aval.shape, v.aval.dtype) for v in eqn.invars]
        try:
            closed = jax.make_jaxpr(functools.partial(impl, **eqn.params))(*structs)
        except NotImplementedError as exc:
            raise UnsupportedPrimitiveError(eqn.primitive.name, operands, where,
                                            hint=f"This form is not supported: {exc}.") from None
        except (TypeError, jax.errors.InconclusiveDimensionOperation):
            # the implementation needs a number where the shape has a polymorphic dimension
            raise UnsupportedPrimitiveError(eqn.primitive.name, operands, where,
                                            hint="It is converted for static matrix sizes only.") from None
        return self.run(closed.jaxpr, list(closed.consts), invals)

    def _linear_solve(self, eqn, invals: list[Value]) -> list[Value]:
        """`lax.custom_linear_solve`: its value is the `solve` function applied to the right-hand
        side (the other jaxprs only define derivatives)."""
        lengths = eqn.params["const_lengths"]
        start = lengths.matvec + lengths.vecmat
        solve_consts = invals[start:start + lengths.solve]
        rhs = invals[sum(lengths):]
        solve = eqn.params["jaxprs"].solve
        return self.run(solve.jaxpr, list(solve.consts), [*solve_consts, *rhs])

    def _cond(self, eqn, invals: list[Value]) -> list[Value]:
        """`lax.cond` / `lax.switch`: the taken branch when the index is known at conversion
        time, else every branch and a select on the index (branches are pure)."""
        index, operands = invals[0], invals[1:]
        branches = eqn.params["branches"]
        if isinstance(index, Concrete):
            k = min(max(int(index.value), 0), len(branches) - 1)
            return self.run(branches[k].jaxpr, list(branches[k].consts), operands)
        results = [self.run(b.jaxpr, list(b.consts), operands) for b in branches]
        g = self.ctx.graph
        idx = self.ctx.cast(self.materialize(index), np.int32)
        outs: list[Value] = []
        for j, var in enumerate(eqn.outvars):
            cases = [self.materialize(r[j]) for r in results]
            out = cases[-1]
            for i in range(len(cases) - 2, -1, -1):  # index <= i picks branch i (XLA clamps the index)
                pick = g.op("LessEqual", [idx, self.ctx.scalar(i, np.int32)], shape=(), dtype=np.bool_)
                out = g.op("SelectV2", [pick, cases[i], out], {"T": {"type": tf_enum(var.aval.dtype)}},
                           shape=tuple(var.aval.shape), dtype=var.aval.dtype)
            outs.append(out)
        return outs

    def _foldable(self, eqn, invals: list[Value]) -> bool:
        if not all(isinstance(v, Concrete) for v in invals):
            return False
        if any(not all(is_static_dim(d) for d in getattr(v.aval, "shape", ())) for v in eqn.outvars):
            return False
        if any(is_key(v.value) for v in invals):
            return True  # random numbers from a known key: folding is the only way to compute them
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
        return [Concrete(as_concrete_value(r), base if keeps_name else f"{base}/{eqn.primitive.name}")
                for r in results]
