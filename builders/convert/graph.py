"""An in-memory TF graph under construction, with shape bookkeeping.

Every tensor produced by the converter is a `Sym`: the graph name of the
tensor plus its shape (ints and jax symbolic dimensions) and dtype. Sizes that
are symbolic are computed inside the graph from the `Shape` of the input that
defines them, so a polymorphic model needs no control flow.
"""

from __future__ import annotations

import base64
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .dtypes import tf_enum, tfjs_dtype


@dataclass(frozen=True)
class Sym:
    """A tensor in the graph: `ref` is the node name (or `name:k`)."""

    ref: str
    shape: tuple[Any, ...]
    dtype: np.dtype

    @property
    def rank(self) -> int:
        return len(self.shape)


def is_static_dim(dim: Any) -> bool:
    return isinstance(dim, (int, np.integer))


@dataclass
class Node:
    name: str
    op: str
    inputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Function:
    """A graph function of the model's library (the `cond` and `body` of a `StatelessWhile`).

    `graph` shares the root builder's name counters, so node and weight names are unique across
    the model; `inputs` are its arguments (Placeholders of `graph`), `outputs` the refs it returns."""

    name: str
    graph: GraphBuilder
    inputs: list[Sym]
    input_types: list[str]
    outputs: list[str]
    output_types: list[str]


# ---- attr helpers (TF AttrValue JSON form) -------------------------------------------------

def attr_type(dtype) -> dict:
    return {"type": tf_enum(dtype)}


def attr_int(value: int) -> dict:
    return {"i": str(int(value))}


def attr_bool(value: bool) -> dict:
    return {"b": bool(value)}


def attr_float(value: float) -> dict:
    return {"f": float(value)}


def attr_str(value: str) -> dict:
    return {"s": base64.b64encode(value.encode()).decode()}


def attr_int_list(values: Iterable[int]) -> dict:
    return {"list": {"i": [str(int(v)) for v in values]}}


def attr_shape(shape: Sequence[Any]) -> dict:
    return {"shape": tensor_shape(shape)}


def tensor_shape(shape: Sequence[Any]) -> dict:
    return {"dim": [{"size": str(int(d)) if is_static_dim(d) else "-1"} for d in shape]}


class DimValue:
    """A symbolic dimension evaluated inside the graph (an int32 scalar tensor).

    Supports the arithmetic jax's `_DimExpr._evaluate` applies to dimension
    variables, emitting graph nodes for each operation.
    """

    def __init__(self, graph: GraphBuilder, sym: Sym):
        self.graph = graph
        self.sym = sym

    def _lift(self, other: Any) -> Sym:
        if isinstance(other, DimValue):
            return other.sym
        return self.graph.const_array(np.array(int(other), np.int32))

    def _binary(self, op: str, other: Any, reverse: bool = False) -> DimValue:
        a, b = self.sym, self._lift(other)
        if reverse:
            a, b = b, a
        return DimValue(self.graph, self.graph.op(op, [a, b], shape=(), dtype=np.int32))

    def __add__(self, other):
        return self._binary("AddV2", other)

    __radd__ = __add__

    def __mul__(self, other):
        return self._binary("Mul", other)

    __rmul__ = __mul__

    def __sub__(self, other):
        return self._binary("Sub", other)

    def __rsub__(self, other):
        return self._binary("Sub", other, reverse=True)

    def __floordiv__(self, other):
        return self._binary("FloorDiv", other)

    def __mod__(self, other):
        return self._binary("FloorMod", other)

    def __divmod__(self, other):
        return self // other, self % other

    def __index__(self):  # jax probes `operator.index(v) == 1`; a tensor is no index
        raise TypeError("symbolic dimension")


class GraphBuilder:
    """Collects nodes and constant weights; names are unique and deterministic."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.weights: dict[str, np.ndarray] = {}
        self._counters: dict[str, int] = {}
        self._dim_sources: dict[str, tuple[Sym, int]] = {}
        self._dim_cache: dict[str, Sym] = {}
        self._shape_cache: dict[str, Sym] = {}
        self._const_cache: dict[tuple, Sym] = {}
        # node name -> output shape (ints / symbolic dims) of single-output nodes, for graph passes
        self.shapes: dict[str, tuple[Any, ...]] = {}
        # the model's graph functions (loop bodies), shared by the root builder and its children
        self.functions: list[Function] = []

    def child(self) -> GraphBuilder:
        """An empty builder for a graph function: its own nodes, weights and caches, the root's
        name counters (names stay unique model-wide) and function list."""
        sub = GraphBuilder()
        sub._counters = self._counters
        sub.functions = self.functions
        return sub

    def set_dim_var(self, var: str, sym: Sym) -> None:
        """Give the dimension variable `var` the int32 scalar `sym` (a function argument)."""
        self._dim_cache[f"var:{var}"] = sym

    def dim_vars(self) -> list[str]:
        """The dimension variables this graph can compute (from its placeholders or set)."""
        given = {key[4:] for key in self._dim_cache if key.startswith("var:")}
        return sorted(set(self._dim_sources) | given)

    def dim_var_tensor(self, var: str) -> Sym:
        """The int32 scalar holding the dimension variable `var`."""
        return self._dim_var_tensor(var)

    # ---- naming ----------------------------------------------------------------------------
    def unique_name(self, hint: str) -> str:
        hint = hint.replace(":", "_").replace("^", "_") or "node"
        if hint not in self.nodes and hint not in self._counters:
            self._counters[hint] = 0
            return hint
        while True:
            self._counters[hint] = self._counters.get(hint, 0) + 1
            name = f"{hint}_{self._counters[hint]}"
            if name not in self.nodes:
                self._counters.setdefault(name, 0)
                return name

    # ---- node creation ---------------------------------------------------------------------
    def add_node(self, op: str, inputs: Sequence[Sym | str], attrs: dict | None = None,
                 name: str | None = None) -> str:
        node_name = self.unique_name(name or op)
        refs = [i.ref if isinstance(i, Sym) else i for i in inputs]
        self.nodes[node_name] = Node(node_name, op, refs, dict(attrs or {}))
        return node_name

    def op(self, op: str, inputs: Sequence[Sym], attrs: dict | None = None, *, shape, dtype,
           name: str | None = None, typed: bool = True) -> Sym:
        """Add a node with a single output and return it as a `Sym`."""
        attrs = dict(attrs or {})
        if typed and "T" not in attrs and inputs:
            attrs["T"] = attr_type(inputs[0].dtype)
        ref = self.add_node(op, inputs, attrs, name)
        self.shapes[ref] = tuple(shape)
        return Sym(ref, tuple(shape), np.dtype(tfjs_dtype(dtype)))

    def placeholder(self, name: str, shape: Sequence[Any], dtype) -> Sym:
        sym = self.argument(shape, dtype, name)
        if sym.ref != name:
            raise ValueError(f"input name '{name}' clashes with another node")
        return sym

    def argument(self, shape: Sequence[Any], dtype, hint: str = "arg") -> Sym:
        """A Placeholder with a fresh name from `hint` (a graph function's argument)."""
        attrs = {"dtype": attr_type(dtype), "shape": attr_shape(shape)}
        ref = self.add_node("Placeholder", [], attrs, hint)
        sym = Sym(ref, tuple(shape), np.dtype(tfjs_dtype(dtype)))
        self.shapes[ref] = tuple(shape)
        for axis, dim in enumerate(shape):
            if not is_static_dim(dim):
                var = _single_var(dim)
                if var is not None and var not in self._dim_sources:
                    self._dim_sources[var] = (sym, axis)
        return sym

    def set_const_value(self, ref: str, value: np.ndarray) -> None:
        """Give the Const node `ref` a new value of the same shape and dtype (for graph passes);
        it stops being the deduplicated constant for its old value."""
        old = self.weights[ref]
        if np.shape(value) != old.shape:
            raise ValueError(f"new value for {ref} has shape {np.shape(value)}, not {old.shape}")
        self.weights[ref] = np.asarray(value, dtype=old.dtype)
        self._const_cache = {key: sym for key, sym in self._const_cache.items() if sym.ref != ref}

    def const(self, name: str, value: np.ndarray) -> Sym:
        """A `Const` node named `name` whose value is stored in the weights."""
        value = np.asarray(value)
        dtype = np.dtype(tfjs_dtype(value.dtype))
        value = value.astype(dtype)
        ref = self.unique_name(name)
        self.weights[ref] = value
        attrs = {
            "value": {"tensor": {"dtype": tf_enum(dtype), "tensorShape": tensor_shape(value.shape)}},
            "dtype": attr_type(dtype),
        }
        self.nodes[ref] = Node(ref, "Const", [], attrs)
        return Sym(ref, tuple(value.shape), dtype)

    def const_array(self, value: Any, dtype=None, name: str = "const") -> Sym:
        """A deduplicated small constant (shapes, axes, literals)."""
        arr = np.asarray(value, dtype=dtype)
        arr = arr.astype(tfjs_dtype(arr.dtype))
        key = (arr.dtype.str, arr.shape, arr.tobytes())
        if key not in self._const_cache:
            self._const_cache[key] = self.const(name, arr)
        return self._const_cache[key]

    # ---- symbolic dimensions ---------------------------------------------------------------
    def dim_value(self, dim: Any) -> Any:
        """An int for a static dim, else a `DimValue` computed in the graph."""
        if is_static_dim(dim):
            return int(dim)
        env = {var: DimValue(self, self._dim_var_tensor(var)) for var in sorted(dim._get_vars())}
        try:
            return dim._evaluate(env)
        except Exception:  # min/max factors (e.g. x[:t] of a longer array): jax would call lax.min
            return self._evaluate_dim(dim, env)

    def _evaluate_dim(self, dim: Any, env: dict) -> Any:
        """Evaluate a jax dimension expression term by term, min/max as Minimum/Maximum nodes."""
        if is_static_dim(dim):
            return int(dim)
        total: Any = None
        for term, coeff in dim._sorted_terms:
            value: Any = 1
            for factor, power in term._factors:
                if factor.var is not None:
                    f = env[factor.var]
                else:
                    ops = [self._evaluate_dim(o, env) for o in factor.operands]
                    if factor.operation == "floordiv":
                        f = ops[0] // ops[1]
                    elif factor.operation == "mod":
                        f = ops[0] % ops[1]
                    elif factor.operation in ("min", "max"):
                        if all(isinstance(o, int) for o in ops):
                            f = min(ops) if factor.operation == "min" else max(ops)
                        else:
                            lifted = [o.sym if isinstance(o, DimValue) else self.const_array(np.int32(o))
                                      for o in ops]
                            f = DimValue(self, self.op("Minimum" if factor.operation == "min" else "Maximum",
                                                       lifted, shape=(), dtype=np.int32))
                    else:
                        raise ValueError(f"cannot evaluate dimension {dim} in the graph")
                for _ in range(power):
                    value = f if value == 1 and not isinstance(value, DimValue) else value * f
            value = value * coeff if coeff != 1 else value
            total = value if total is None else total + value
        return 0 if total is None else total

    def dim_tensor(self, dim: Any) -> Sym:
        """An int32 scalar tensor holding `dim`."""
        key = str(dim)
        if key in self._dim_cache:
            return self._dim_cache[key]
        value = self.dim_value(dim)
        sym = value.sym if isinstance(value, DimValue) else self.const_array(np.int32(value))
        self._dim_cache[key] = sym
        return sym

    def _dim_var_tensor(self, var: str) -> Sym:
        key = f"var:{var}"
        if key in self._dim_cache:
            return self._dim_cache[key]
        if var not in self._dim_sources:
            raise ValueError(f"dimension variable '{var}' does not appear alone in any input shape")
        source, axis = self._dim_sources[var]
        shape = self.shape_of(source)
        sym = self.op(
            "StridedSlice",
            [shape, self.const_array([axis], np.int32), self.const_array([axis + 1], np.int32),
             self.const_array([1], np.int32)],
            {"begin_mask": attr_int(0), "end_mask": attr_int(0), "ellipsis_mask": attr_int(0),
             "new_axis_mask": attr_int(0), "shrink_axis_mask": attr_int(1), "Index": attr_type(np.int32)},
            shape=(), dtype=np.int32, name=f"dim_{var}",
        )
        self._dim_cache[key] = sym
        return sym

    def shape_of(self, sym: Sym) -> Sym:
        if sym.ref not in self._shape_cache:
            self._shape_cache[sym.ref] = self.op(
                "Shape", [sym], {"out_type": attr_type(np.int32)}, shape=(sym.rank,), dtype=np.int32,
                name="shape",
            )
        return self._shape_cache[sym.ref]

    def shape_tensor(self, shape: Sequence[Any], allow_minus_one: bool = False) -> Sym:
        """An int32 vector holding `shape`; static shapes become a Const.

        With `allow_minus_one`, a single symbolic dimension is written as -1
        (valid for Reshape), which avoids computing it.
        """
        shape = tuple(shape)
        if all(is_static_dim(d) for d in shape):
            return self.const_array(np.array(shape, np.int32).reshape(len(shape)), name="shape_const")
        symbolic = [i for i, d in enumerate(shape) if not is_static_dim(d)]
        if allow_minus_one and len(symbolic) == 1:
            values = [(-1 if i == symbolic[0] else int(d)) for i, d in enumerate(shape)]
            return self.const_array(np.array(values, np.int32), name="shape_const")
        parts = [self.dim_tensor(d) for d in shape]
        return self.op("Pack", parts, {"axis": attr_int(0), "N": attr_int(len(parts))},
                       shape=(len(parts),), dtype=np.int32, name="shape_pack")


def _single_var(dim: Any) -> str | None:
    """The variable name if `dim` is exactly one dimension variable (like `b`)."""
    try:
        variables = dim._get_vars()
    except AttributeError:
        return None
    if len(variables) != 1:
        return None
    (var,) = variables
    return var if str(dim) == var else None


def dims_equal(a: Any, b: Any) -> bool:
    try:
        return bool(operator.eq(a, b))
    except Exception:  # symbolic comparisons can be inconclusive
        return str(a) == str(b)
