"""Long `lax.scan`s and every `lax.while_loop` as TF `StatelessWhile` loops.

Unrolled, a scan repeats its body once per step in model.json (a 100-step BiLSTM: 3,700 nodes
and half a megabyte of JSON for 4 MB of weights). As a loop the body is written once, as a
function of the model's library, with the step counter, the carry, the scanned inputs, the
captured tensors and one accumulator per stacked output as loop variables. TF.js runs such a
graph with `executeAsync` (its `execute` refuses control flow), which every runner of ours
falls back to. A `while_loop` whose trip count depends on an input can only
be a loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .dtypes import tf_enum
from .errors import ConversionError
from .graph import Function, Sym, attr_int, attr_type, is_static_dim, tensor_shape

if TYPE_CHECKING:
    from .interpreter import Interpreter

# Equations one loop iteration may unroll: more steps per iteration cost JSON, fewer cost time.
LOOP_BODY_BUDGET = 256


def count_eqns(jaxpr) -> int:
    """Equations of a jaxpr, counting those of inlined calls and nested loops."""
    total = 0
    for eqn in jaxpr.eqns:
        total += 1
        for param in eqn.params.values():
            inner = getattr(param, "jaxpr", None)
            if inner is not None and hasattr(inner, "eqns"):
                total += count_eqns(inner)
            elif hasattr(param, "eqns"):
                total += count_eqns(param)
    return total

@dataclass(frozen=True)
class Slot:
    """One loop variable: its shape and dtype."""

    shape: tuple[Any, ...]
    dtype: np.dtype

    @classmethod
    def of(cls, sym: Sym) -> Slot:
        return cls(tuple(sym.shape), sym.dtype)

    def type_enum(self) -> str:
        return tf_enum(self.dtype)


def steps_per_iteration(length: int, body_eqns: int) -> int:
    """The most scan steps one loop iteration runs: a divisor of `length` whose unrolled
    equations stay within LOOP_BODY_BUDGET."""
    best = 1
    for k in range(1, length + 1):
        if length % k == 0 and k * max(body_eqns, 1) <= LOOP_BODY_BUDGET:
            best = k
    return best


def _alone(var: str, shape: Sequence[Any]) -> bool:
    return any(not is_static_dim(d) and str(d) == var for d in shape)


def _function(interp: Interpreter, hint: str, slots: Sequence[Slot], dim_vars: Sequence[str],
              build: Callable[[list[Sym]], list[Any]], out_slots: Sequence[Slot]) -> Function:
    """Build a graph function whose arguments are `slots` plus one int32 scalar per dimension
    variable in `dim_vars`; `build(args)` emits its body and returns one value per `out_slots`."""
    outer = interp.ctx.graph
    sub = outer.child()
    args = [sub.argument(s.shape, s.dtype, f"{hint}_arg") for s in slots]
    dim_args = [sub.argument((), np.int32, f"{hint}_dim_{var}") for var in dim_vars]
    for var, arg in zip(dim_vars, dim_args):
        sub.set_dim_var(var, arg)
    interp.ctx.graph = sub
    try:
        values = build(args)
        outputs = []
        for value, slot in zip(values, out_slots, strict=True):
            sym = interp.materialize(value)
            if sym.dtype != slot.dtype or len(sym.shape) != len(slot.shape):
                raise ConversionError(f"a loop body returns {sym.dtype}{list(sym.shape)} where the loop carries "
                                      f"{slot.dtype}{list(slot.shape)}")
            # One Identity per output: TF.js maps a function's outputs to distinct nodes.
            outputs.append(sub.op("Identity", [sym], shape=slot.shape, dtype=sym.dtype, name=f"{hint}_out").ref)
        outputs += [sub.op("Identity", [a], shape=(), dtype=np.int32, name=f"{hint}_out").ref for a in dim_args]
    finally:
        interp.ctx.graph = outer
    int32 = tf_enum(np.int32)
    types = [s.type_enum() for s in slots] + [int32] * len(dim_args)
    function = Function(outer.unique_name(hint), sub, [*args, *dim_args], types, outputs,
                        [s.type_enum() for s in out_slots] + [int32] * len(dim_args))
    outer.functions.append(function)
    return function


def _while(interp: Interpreter, state: list[Sym], slots: list[Slot],
           cond: Callable[[list[Sym]], Any], body: Callable[[list[Sym]], list[Any]]) -> list[Sym]:
    """A `StatelessWhile` over `state`: `cond(vars)` gives the bool scalar to go on, `body(vars)`
    the next values. The dimension variables the body may need travel along as loop variables."""
    g = interp.ctx.graph
    dim_vars = [v for v in g.dim_vars() if not any(_alone(v, s.shape) for s in slots)]
    n = len(slots)
    every = [*slots, *[Slot((), np.dtype(np.int32)) for _ in dim_vars]]
    cond_fn = _function(interp, "while_cond", slots, dim_vars, lambda a: [cond(a[:n])], [Slot((), np.dtype(bool))])
    body_fn = _function(interp, "while_body", slots, dim_vars, lambda a: body(a[:n]), slots)
    inputs = [*state, *[g.dim_var_tensor(v) for v in dim_vars]]
    node = g.add_node("StatelessWhile", inputs, {
        "T": {"list": {"type": [s.type_enum() for s in every]}},
        "cond": {"func": {"name": cond_fn.name}},
        "body": {"func": {"name": body_fn.name}},
        "output_shapes": {"list": {"shape": [tensor_shape(s.shape) for s in every]}},
        "parallel_iterations": attr_int(1),
    }, name="while")
    return [Sym(f"{node}:{k}", s.shape, s.dtype) for k, s in enumerate(slots)]


def _take(interp: Interpreter, xs: Sym, index: Sym, shape: tuple[Any, ...]) -> Sym:
    """`xs[index]` along the leading axis, for a scalar int32 `index`."""
    g = interp.ctx.graph
    row = g.op("GatherV2", [xs, interp.ctx.reshape(index, (1,)), g.const_array(np.int32(0), name="axis")],
               {"Tparams": attr_type(xs.dtype), "Tindices": attr_type(np.int32), "Taxis": attr_type(np.int32),
                "batch_dims": attr_int(0)}, shape=(1, *shape), dtype=xs.dtype, typed=False)
    return g.op("Squeeze", [row], {"squeeze_dims": {"list": {"i": ["0"]}}}, shape=shape, dtype=xs.dtype)


def scan_as_loop(interp: Interpreter, eqn, invals: list[Any]) -> list[Any]:
    """`lax.scan` as a loop: vars (t, carry, xs, captured tensors, one accumulator per output)."""
    from .interpreter import Concrete

    p = eqn.params
    length, reverse = int(p["length"]), bool(p["reverse"])
    body = p["jaxpr"]
    n_consts, n_carry = int(p["num_consts"]), int(p["num_carry"])
    if length < 1:
        raise ConversionError("a scan of length 0 has nothing to convert")
    consts, carry, xs = invals[:n_consts], invals[n_consts:n_consts + n_carry], invals[n_consts + n_carry:]
    g = interp.ctx.graph
    carry0 = [interp.materialize(c, eqn) for c in carry]
    xs0 = [interp.materialize(x, eqn) for x in xs]
    captured = [i for i, c in enumerate(consts) if not isinstance(c, Concrete)]
    y_avals = [v.aval for v in eqn.outvars[n_carry:]]
    # Per-step outputs are written into zero-filled (length, ...) accumulators. (TF.js frees a
    # loop body's tensors when the body returns, also those put into a TensorList, so the
    # TensorList ops TF's own loops use would read freed tensors.)
    accs0 = [g.op("Fill", [g.shape_tensor(aval.shape), g.const_array(np.zeros((), aval.dtype), name="zero")],
                  shape=tuple(aval.shape), dtype=aval.dtype, typed=False, attrs={"T": attr_type(aval.dtype)})
             for aval in y_avals]
    counter0 = g.const_array(np.int32(0), name="counter")
    state = [counter0, *carry0, *xs0, *[consts[i] for i in captured], *accs0]
    slots = [Slot.of(s) for s in state]
    n_xs, n_cap = len(xs0), len(captured)

    # Several steps per iteration: TF.js pays a fixed price per iteration (it runs the body and
    # the condition as graphs of their own, and reads the condition back).
    per_iteration = steps_per_iteration(length, count_eqns(body.jaxpr))
    iterations = length // per_iteration

    def cond(v: list[Sym]) -> Sym:
        sub = interp.ctx.graph
        return sub.op("Less", [v[0], sub.const_array(np.int32(iterations), name="iterations")], shape=(),
                      dtype=np.bool_)

    def step(v: list[Sym]) -> list[Any]:
        sub = interp.ctx.graph
        t = v[0]
        carry_v = v[1:1 + n_carry]
        xs_v = v[1 + n_carry:1 + n_carry + n_xs]
        cap_v = v[1 + n_carry + n_xs:1 + n_carry + n_xs + n_cap]
        accs_v = v[1 + n_carry + n_xs + n_cap:]
        x_avals = [var.aval for var in body.jaxpr.invars[n_consts + n_carry:]]
        body_consts = list(consts)
        for i, sym in zip(captured, cap_v):
            body_consts[i] = sym
        first = sub.op("Mul", [t, sub.const_array(np.int32(per_iteration), name="steps")], shape=(), dtype=np.int32) \
            if per_iteration > 1 else t
        for j in range(per_iteration):
            s = sub.op("AddV2", [first, sub.const_array(np.int32(j), name="offset")], shape=(), dtype=np.int32) \
                if j else first
            index = sub.op("Sub", [sub.const_array(np.int32(length - 1), name="last"), s], shape=(), dtype=np.int32) \
                if reverse else s
            x_t = [_take(interp, x, index, tuple(a.shape)) for x, a in zip(xs_v, x_avals)]
            outs = interp.run(body.jaxpr, list(body.consts), [*body_consts, *carry_v, *x_t])
            carry_v = outs[:n_carry]
            position = interp.ctx.reshape(index, (1, 1))
            updated = []
            for acc, y, aval in zip(accs_v, outs[n_carry:], y_avals):
                row = interp.ctx.expand_dims(interp.materialize(y, eqn), 0)
                updated.append(sub.op("TensorScatterUpdate", [acc, position, row],
                                      {"T": attr_type(aval.dtype), "Tindices": attr_type(np.int32)},
                                      shape=tuple(aval.shape), dtype=aval.dtype, typed=False))
            accs_v = updated
        nxt = sub.op("AddV2", [t, sub.const_array(np.int32(1), name="one")], shape=(), dtype=np.int32)
        return [nxt, *carry_v, *xs_v, *cap_v, *accs_v]

    results = _while(interp, state, slots, cond, step)
    return [*results[1:1 + n_carry], *results[len(results) - len(accs0):]]


def while_as_loop(interp: Interpreter, eqn, invals: list[Any]) -> list[Any]:
    """`lax.while_loop` as a loop: vars (carry, captured tensors of cond and body)."""
    from .interpreter import Concrete

    p = eqn.params
    cond_jaxpr, body_jaxpr = p["cond_jaxpr"], p["body_jaxpr"]
    nc, nb = int(p["cond_nconsts"]), int(p["body_nconsts"])
    cond_consts, body_consts, init = invals[:nc], invals[nc:nc + nb], invals[nc + nb:]
    carry0 = [interp.materialize(c, eqn) for c in init]
    cap_c = [i for i, c in enumerate(cond_consts) if not isinstance(c, Concrete)]
    cap_b = [i for i, c in enumerate(body_consts) if not isinstance(c, Concrete)]
    state = [*carry0, *[cond_consts[i] for i in cap_c], *[body_consts[i] for i in cap_b]]
    slots = [Slot.of(s) for s in state]
    n = len(carry0)

    def with_captured(consts: list[Any], indices: list[int], syms: list[Sym]) -> list[Any]:
        out = list(consts)
        for i, sym in zip(indices, syms):
            out[i] = sym
        return out

    def cond(v: list[Sym]) -> Any:
        consts = with_captured(cond_consts, cap_c, v[n:n + len(cap_c)])
        (keep_going,) = interp.run(cond_jaxpr.jaxpr, list(cond_jaxpr.consts), [*consts, *v[:n]])
        return keep_going

    def step(v: list[Sym]) -> list[Any]:
        consts = with_captured(body_consts, cap_b, v[n + len(cap_c):])
        outs = interp.run(body_jaxpr.jaxpr, list(body_jaxpr.consts), [*consts, *v[:n]])
        return [*outs, *v[n:]]

    return _while(interp, state, slots, cond, step)[:n]
