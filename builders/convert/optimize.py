"""Graph clean-up after lowering: fold constant shape ops, fuse bias/activation into
MatMul and convolutions, drop identity and dead nodes.

The fused nodes are written as the official TF.js converter writes them
(`_FusedMatMul`, `_FusedConv2D`, `FusedDepthwiseConv2dNative` with `fused_ops`
as a list of base64 strings, `num_args`, `epsilon`, `leakyrelu_alpha`), so TF.js
runs one kernel where the unfused graph runs two or three.
"""

from __future__ import annotations

import base64
from collections import defaultdict

import numpy as np

from .dtypes import tf_enum
from .graph import GraphBuilder, Node, attr_bool, attr_float, attr_int, tensor_shape


def _node_of(ref: str) -> str:
    return ref.lstrip("^").split(":")[0]


def remove_identities(graph: GraphBuilder, keep: set[str]) -> None:
    """Rewire consumers of `Identity` nodes to the identity's input."""
    replace = {name: node.inputs[0] for name, node in graph.nodes.items()
               if node.op == "Identity" and name not in keep and len(node.inputs) == 1}
    if not replace:
        return

    def resolve(ref: str) -> str:
        seen = set()
        while _node_of(ref) in replace and ref not in seen:
            seen.add(ref)
            ref = replace[_node_of(ref)]
        return ref

    for node in graph.nodes.values():
        node.inputs = [resolve(r) for r in node.inputs]
    for name in replace:
        del graph.nodes[name]


def remove_dead_nodes(graph: GraphBuilder, outputs: list[str]) -> None:
    """Keep only nodes that outputs depend on (placeholders are always kept)."""
    live: set[str] = set()
    stack = [_node_of(o) for o in outputs]
    while stack:
        name = stack.pop()
        if name in live:
            continue
        live.add(name)
        stack.extend(_node_of(r) for r in graph.nodes[name].inputs)
    for name in list(graph.nodes):
        if name not in live and graph.nodes[name].op != "Placeholder":
            del graph.nodes[name]
            graph.weights.pop(name, None)


def dedupe_constants(graph: GraphBuilder, keep: set[str]) -> int:
    """Point every user of a constant at one `Const` per distinct value (dtype, shape, bytes).

    Folding an unrolled loop makes the same weights again at every step (an LSTM's gate
    kernels are concatenated per step), and the model would store each copy. Runs after the
    passes that edit constants in place, which must not see a value shared by others.
    Returns the number of constants merged away."""
    import hashlib

    first: dict[tuple, str] = {}
    replace: dict[str, str] = {}
    for name, node in graph.nodes.items():
        if node.op != "Const" or name in keep or name not in graph.weights:
            continue
        value = graph.weights[name]
        key = (value.dtype.str, value.shape, hashlib.sha256(np.ascontiguousarray(value).tobytes()).digest())
        if key in first:
            replace[name] = first[key]
        else:
            first[key] = name
    if replace:
        for node in graph.nodes.values():
            node.inputs = [replace.get(r, r) for r in node.inputs]
    return len(replace)


# ---- constant folding of layout ops ------------------------------------------------------------

def _const(graph: GraphBuilder, ref: str) -> np.ndarray | None:
    if ":" in ref or ref.startswith("^"):
        return None
    node = graph.nodes.get(ref)
    if node is None or node.op != "Const":
        return None
    return graph.weights.get(ref)


def _fold_value(node: Node, args: list[np.ndarray]) -> np.ndarray | None:
    op = node.op
    if op == "Transpose":
        return np.transpose(args[0], args[1].astype(int))
    if op == "ReverseV2":
        return np.flip(args[0], tuple(int(a) for a in np.atleast_1d(args[1])))
    if op == "Reshape":
        return args[0].reshape(args[1].astype(int))
    if op == "ExpandDims":
        return np.expand_dims(args[0], int(args[1]))
    if op == "Squeeze":
        dims = tuple(int(d) for d in node.attrs.get("squeeze_dims", {}).get("list", {}).get("i", []))
        return np.squeeze(args[0], dims) if dims else np.squeeze(args[0])
    return None


def fold_layout_constants(graph: GraphBuilder) -> None:
    """Replace Transpose/ReverseV2/Reshape/ExpandDims/Squeeze of constants by constants.

    The lowerings emit these around weights (e.g. a flipped, transposed kernel for a
    transposed convolution); computing them once here saves work on every call.
    """
    for name, node in list(graph.nodes.items()):
        if node.op not in ("Transpose", "ReverseV2", "Reshape", "ExpandDims", "Squeeze") or not node.inputs:
            continue
        args = [_const(graph, r) for r in node.inputs]
        if any(a is None for a in args):
            continue
        value = _fold_value(node, args)
        if value is None:
            continue
        value = np.ascontiguousarray(value)
        graph.weights[name] = value
        graph.nodes[name] = Node(name, "Const", [], {
            "value": {"tensor": {"dtype": tf_enum(value.dtype), "tensorShape": tensor_shape(value.shape)}},
            "dtype": {"type": tf_enum(value.dtype)},
        })


# ---- weight layout ----------------------------------------------------------------------------------

def untranspose_constant_weights(graph: GraphBuilder) -> int:
    """Store constant MatMul weights as [K, N] and clear `transpose_b`.

    `x @ W.T` (tied embeddings, weights kept as [out, in]) lowers to MatMul with
    transpose_b; TF.js' WASM MatMul is ~10x slower that way (1.4 ms vs 15 ms for
    80x192 @ 192x768), so the transpose is done once here instead.
    """
    changed = 0
    users = _consumers(graph)
    for node in list(graph.nodes.values()):  # a shared weight adds its transposed copy
        if node.op != "MatMul" or not node.attrs.get("transpose_b", {}).get("b"):
            continue
        weight = _const(graph, node.inputs[1])
        if weight is None or weight.ndim != 2:
            continue
        value = np.ascontiguousarray(weight.T)
        if len(users[node.inputs[1]]) == 1:
            name = node.inputs[1]
            graph.weights[name] = value
            graph.nodes[name].attrs["value"]["tensor"]["tensorShape"] = tensor_shape(value.shape)
        else:
            name = graph.const(f"{node.inputs[1]}/transposed", value).ref
        node.inputs[1] = name
        node.attrs["transpose_b"] = attr_bool(False)
        changed += 1
    return changed


# ---- arithmetic no-ops -----------------------------------------------------------------------

def _scalar(graph: GraphBuilder, ref: str) -> float | None:
    value = _const(graph, ref)
    if value is None or value.size != 1 or value.dtype.kind != "f":
        return None
    return float(value.reshape(()))


def _rewire(graph: GraphBuilder, old: str, new: str) -> None:
    for node in graph.nodes.values():
        node.inputs = [new if r == old else r for r in node.inputs]


def simplify_arithmetic(graph: GraphBuilder, keep: set[str]) -> int:
    """Drop `max(x, -inf)` / `min(x, +inf)` (jnp.max's `initial`) and `(x * c) / c`
    (a window sum turned back into the average pooling it came from); `sum(x) / n` -> Mean."""
    removed = 0
    users = _consumers(graph)
    for name, node in list(graph.nodes.items()):
        if name in keep or len(node.inputs) != 2 or name not in graph.nodes:
            continue
        a, b = node.inputs
        replacement = None
        if node.op in ("Maximum", "Minimum"):
            identity = -np.inf if node.op == "Maximum" else np.inf
            # The other operand must already have the output's shape: a scalar identity adds nothing.
            if _scalar(graph, b) == identity and _const(graph, b).ndim == 0:
                replacement = a
            elif _scalar(graph, a) == identity and _const(graph, a).ndim == 0:
                replacement = b
        elif node.op == "RealDiv" and _scalar(graph, b) not in (None, 0.0):
            prod = graph.nodes.get(a)
            if prod is not None and prod.op == "Mul" and len(users[a]) == 1 and a not in keep:
                factor = [r for r in prod.inputs if _scalar(graph, r) is not None and _const(graph, r).ndim == 0]
                if factor and _scalar(graph, factor[0]) == _scalar(graph, b):
                    others = [r for r in prod.inputs if r != factor[0]]
                    replacement = others[0] if others else None
        if replacement is None and node.op == "RealDiv" and _scalar(graph, b) not in (None, 0.0):
            total = graph.nodes.get(a)
            if total is not None and total.op == "Sum" and len(users[a]) == 1 and a not in keep:
                # sum(x, axes) / n over n elements is a Mean: one kernel (jnp.mean, LayerNorm).
                shape = graph.shapes.get(total.inputs[0]) if ":" not in total.inputs[0] else None
                axes = _const(graph, total.inputs[1])
                if shape is not None and axes is not None:
                    dims = [shape[int(ax)] for ax in np.atleast_1d(axes)]
                    if all(isinstance(d, (int, np.integer)) for d in dims) and \
                            float(np.prod(dims)) == _scalar(graph, b):
                        graph.nodes[name] = Node(name, "Mean", list(total.inputs), dict(total.attrs))
                        del graph.nodes[a]
                        users = _consumers(graph)
                        removed += 1
                        continue
        if replacement is not None and ":" not in name:
            _rewire(graph, name, replacement)
            del graph.nodes[name]
            users = _consumers(graph)
            removed += 1
    return removed


# ---- tanh-approximated GELU --------------------------------------------------------------------

def _scalar_operand(graph: GraphBuilder, node: Node) -> tuple[str, str] | None:
    """For a binary node with a rank-0 float constant operand: (that constant, the other operand)."""
    if len(node.inputs) != 2:
        return None
    for const_ref, other in (node.inputs, node.inputs[::-1]):
        const = _const(graph, const_ref)
        if const is not None and const.ndim == 0 and const.dtype.kind == "f":
            return const_ref, other
    return None


def _operand_beside_scalar(graph: GraphBuilder, node: Node, value: float) -> str | None:
    """For a binary node with a rank-0 constant equal to `value` as one operand, the other operand."""
    split = _scalar_operand(graph, node)
    return split[1] if split is not None and _scalar(graph, split[0]) == value else None


def tanh_to_sigmoid(graph: GraphBuilder, keep: set[str]) -> int:
    """`0.5 * (1 + tanh(u))` -> `sigmoid(2u)`, the same function (the cdf of tanh-approximated
    GELU, `jax.nn.gelu(approximate=True)`): one kernel instead of three, no cancellation where
    tanh(u) is near -1, and TF.js's WASM backend runs Sigmoid vectorised (XNNPACK) where its Tanh is
    a scalar loop. When `u` is `c * v` (GELU's sqrt(2/pi) factor) the 2 goes into `c`."""
    rewritten = 0
    users = _consumers(graph)
    for name, half in list(graph.nodes.items()):
        if name not in graph.nodes or half.op != "Mul":
            continue
        add_ref = _operand_beside_scalar(graph, half, 0.5)
        add = graph.nodes.get(add_ref) if add_ref else None
        tanh_ref = _operand_beside_scalar(graph, add, 1.0) if add is not None and add.op in ("Add", "AddV2") else None
        tanh = graph.nodes.get(tanh_ref) if tanh_ref else None
        if tanh is None or tanh.op != "Tanh" or {add_ref, tanh_ref} & keep or \
                users[add_ref] != [name] or users[tanh_ref] != [add_ref]:
            continue
        u_ref = tanh.inputs[0]
        scaled = graph.nodes.get(u_ref)
        split = _scalar_operand(graph, scaled) if scaled is not None and scaled.op == "Mul" else None
        if split is not None and users[u_ref] == [tanh_ref] and u_ref not in keep:
            const_ref, v_ref = split
            scaled.inputs = [graph.const_array(2 * _const(graph, const_ref), name="gelu_scale").ref, v_ref]
            doubled = u_ref
        else:
            two = graph.const_array(np.float32(2))
            doubled = graph.add_node("Mul", [u_ref, two.ref], {"T": tanh.attrs.get("T")})
            graph.shapes[doubled] = graph.shapes.get(u_ref, ())
        graph.nodes[name] = Node(name, "Sigmoid", [doubled], {"T": tanh.attrs.get("T")})
        del graph.nodes[add_ref], graph.nodes[tanh_ref]
        users = _consumers(graph)
        rewritten += 1
    return rewritten


# ---- softmax ------------------------------------------------------------------------------------

def _single_axis(graph: GraphBuilder, node: Node, ref_index: int) -> int | None:
    value = _const(graph, node.inputs[ref_index]) if len(node.inputs) > ref_index else None
    if value is None or value.size != 1:
        return None
    return int(value.reshape(()))


def fuse_softmax(graph: GraphBuilder, keep: set[str]) -> int:
    """`exp(x - max(x)) / sum(exp(x - max(x)))` over the last axis (jax.nn.softmax) -> `Softmax`.

    Matches Max -> ExpandDims -> Sub -> Exp -> Sum -> ExpandDims -> RealDiv, one kernel
    instead of seven.
    """
    fused = 0
    users = _consumers(graph)
    for name, div in list(graph.nodes.items()):
        if div.op != "RealDiv" or name not in graph.nodes or len(div.inputs) != 2:
            continue
        exp_ref, sum_exp_ref = div.inputs
        exp = graph.nodes.get(exp_ref)
        sum_exp = graph.nodes.get(sum_exp_ref)
        if exp is None or exp.op != "Exp" or sum_exp is None or sum_exp.op != "ExpandDims":
            continue
        total = graph.nodes.get(sum_exp.inputs[0])
        sub = graph.nodes.get(exp.inputs[0])
        if total is None or total.op != "Sum" or total.inputs[0] != exp_ref or sub is None or sub.op != "Sub":
            continue
        x_ref, max_exp_ref = sub.inputs
        max_exp = graph.nodes.get(max_exp_ref)
        top = graph.nodes.get(max_exp.inputs[0]) if max_exp is not None and max_exp.op == "ExpandDims" else None
        if top is None or top.op != "Max" or top.inputs[0] != x_ref:
            continue
        rank = len(graph.shapes.get(_node_of(x_ref), ())) if ":" not in x_ref else 0
        axes = {_single_axis(graph, n, 1) for n in (top, max_exp, total, sum_exp)}
        if rank == 0 or len(axes) != 1 or axes.pop() not in (rank - 1, -1):
            continue
        inner = [max_exp_ref, top.name, sub.name, exp_ref, total.name, sum_exp_ref]
        if any(n in keep for n in inner):
            continue
        # Every intermediate must feed only this softmax.
        if len(users[exp_ref]) != 2 or any(len(users[n]) != 1 for n in (max_exp_ref, top.name, sub.name,
                                                                         total.name, sum_exp_ref)):
            continue
        graph.nodes[name] = Node(name, "Softmax", [x_ref], {"T": div.attrs.get("T", {"type": "DT_FLOAT"})})
        for n in inner:
            graph.nodes.pop(n, None)
        users = _consumers(graph)
        fused += 1
    return fused


# ---- scalar factors folded into dense weights ---------------------------------------------------

def fold_scale_into_matmul(graph: GraphBuilder, keep: set[str]) -> int:
    """`(x @ W + b) * c` (or `/ c`) for a scalar constant `c`, with only Reshapes between, ->
    `x @ (W * c) + b * c`, when W and b are constants nothing else reads: one kernel less per
    attention layer (the query's 1 / sqrt(head size)). Exact when c is a power of two (head
    sizes 16, 64, 256); otherwise within one rounding of each weight. Run after bias fusion."""
    folded = 0
    users = _consumers(graph)
    bias_only = {"list": {"s": [_b64("BiasAdd")]}}
    for name, scale_node in list(graph.nodes.items()):
        if name not in graph.nodes or name in keep or scale_node.op not in ("Mul", "RealDiv"):
            continue
        split = _scalar_operand(graph, scale_node)
        if split is None or (scale_node.op == "RealDiv" and split[0] != scale_node.inputs[1]):
            continue
        factor = _scalar(graph, split[0])
        if factor is None or not np.isfinite(factor) or factor == 0.0:
            continue
        ref = split[1]
        while ref in graph.nodes and graph.nodes[ref].op == "Reshape" and len(users[ref]) == 1 and ref not in keep:
            ref = graph.nodes[ref].inputs[0]
        matmul = graph.nodes.get(ref)
        if matmul is None or matmul.op != "_FusedMatMul" or matmul.attrs.get("fused_ops") != bias_only or \
                len(users[ref]) != 1 or ref in keep:
            continue
        weights, bias = matmul.inputs[1], matmul.inputs[2]
        w, b = _const(graph, weights), _const(graph, bias)
        if w is None or b is None or users[weights] != [ref] or users[bias] != [ref] or w.dtype.kind != "f":
            continue
        c = np.float32(factor)
        graph.set_const_value(weights, w / c if scale_node.op == "RealDiv" else w * c)
        graph.set_const_value(bias, b / c if scale_node.op == "RealDiv" else b * c)
        _rewire(graph, name, split[1])
        del graph.nodes[name]
        users = _consumers(graph)
        folded += 1
    return folded


# ---- reductions that keep their axis -----------------------------------------------------------

_ELEMENTWISE_UNARY = {"Square", "Sqrt", "Rsqrt", "Neg", "Abs", "Exp", "Log", "Reciprocal", "Sigmoid", "Tanh"}
_ELEMENTWISE_BINARY = {"Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum"}
_REDUCTIONS = {"Mean", "Sum", "Max", "Min", "Prod"}


def _reduced_region(graph: GraphBuilder, start: str, keep: set[str]) -> tuple[set[str], set[str]] | None:
    """Nodes computing `start` elementwise from reductions and scalar constants only:
    (elementwise nodes, reductions), or None when anything else feeds in."""
    region: set[str] = set()
    reductions: set[str] = set()
    pending = [start]
    while pending:
        ref = pending.pop()
        if ref in region or ref in reductions:
            continue
        node = graph.nodes.get(ref)
        if ":" in ref or ref in keep or node is None:
            return None
        if node.op in _REDUCTIONS:
            reductions.add(ref)
        elif node.op in _ELEMENTWISE_UNARY and len(node.inputs) == 1:
            region.add(ref)
            pending.append(node.inputs[0])
        elif node.op in _ELEMENTWISE_BINARY and len(node.inputs) == 2:
            region.add(ref)
            for operand in node.inputs:
                value = _const(graph, operand)
                if value is None or value.ndim != 0:
                    pending.append(operand)
        else:
            return None
    return region, reductions


def _dropped_axis(graph: GraphBuilder, reduction: Node, rank: int) -> int | None:
    """The one axis a keep_dims=False reduction of a rank-`rank` input drops, else None."""
    axes = _const(graph, reduction.inputs[1])
    source = reduction.inputs[0]
    if axes is None or axes.size != 1 or reduction.attrs.get("keep_dims", {}).get("b") or ":" in source or \
            len(graph.shapes.get(source, ())) != rank:
        return None
    return int(axes.reshape(())) % rank


def _restoring_expands(graph: GraphBuilder, users: dict[str, list[str]], nodes: set[str], region: set[str],
                       axis: int, rank: int, keep: set[str]) -> set[str] | None:
    """The ExpandDims nodes restoring `axis` that are the only readers of `nodes` outside
    `region`; None when anything else reads them."""
    expands = set()
    for ref in nodes:
        for user in users[ref]:
            if user in region:
                continue
            node = graph.nodes[user]
            user_axis = _single_axis(graph, node, 1) if node.op == "ExpandDims" else None
            if user in keep or user_axis is None or user_axis % rank != axis or node.inputs[0] != ref:
                return None
            expands.add(user)
    return expands


def keep_reduced_dims(graph: GraphBuilder, keep: set[str]) -> int:
    """`expand_dims(f(reduce(x, axis)), axis)` -> `f(reduce(x, axis, keep_dims=True))` for
    elementwise `f` (scalar constants allowed): the ExpandDims nodes go. Flax's LayerNorm computes
    mean and variance without the reduced axis and expands both back: two kernels per LayerNorm
    (50 of the LiT-Ti text tower's ~860), each a TF.js engine call on every backend."""
    removed = 0
    users = _consumers(graph)
    for name, expand in list(graph.nodes.items()):
        if name not in graph.nodes or expand.op != "ExpandDims" or name in keep or \
                expand.inputs[0] not in graph.shapes:
            continue
        axis = _single_axis(graph, expand, 1)
        found = _reduced_region(graph, expand.inputs[0], keep)
        if axis is None or found is None:
            continue
        region, reductions = found
        rank = len(graph.shapes[expand.inputs[0]]) + 1
        axis = axis % rank
        if any(_dropped_axis(graph, graph.nodes[ref], rank) != axis for ref in reductions):
            continue
        expands = _restoring_expands(graph, users, region | reductions, region, axis, rank, keep)
        if not expands:
            continue
        for ref in reductions:
            graph.nodes[ref].attrs["keep_dims"] = attr_bool(True)
        for ref in region | reductions:
            shape = list(graph.shapes.get(ref, ()))
            graph.shapes[ref] = (*shape[:axis], 1, *shape[axis:])
        for ref in expands:
            _rewire(graph, ref, graph.nodes[ref].inputs[0])
            del graph.nodes[ref]
        users = _consumers(graph)
        removed += len(expands)
    return removed


# ---- bias + activation fusion ------------------------------------------------------------------

FUSABLE = {"MatMul": "_FusedMatMul", "Conv2D": "_FusedConv2D",
           "DepthwiseConv2dNative": "FusedDepthwiseConv2dNative"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _consumers(graph: GraphBuilder) -> dict[str, list[str]]:
    users: dict[str, list[str]] = defaultdict(list)
    for name, node in graph.nodes.items():
        for ref in node.inputs:
            users[ref].append(name)
    return users


def _out_channels(graph: GraphBuilder, node: Node) -> int | None:
    """Size of the last output axis of a MatMul/Conv2D/Depthwise node with a constant weight."""
    w = _const(graph, node.inputs[1])
    if w is None:
        return None
    if node.op == "MatMul":
        return int(w.shape[0] if node.attrs.get("transpose_b", {}).get("b") else w.shape[1])
    if node.op == "Conv2D":
        return int(w.shape[3])
    return int(w.shape[2] * w.shape[3])  # depthwise: channels * multiplier


def _shape_values(graph: GraphBuilder, ref: str) -> list[int | None] | None:
    """A shape vector's entries: from a Const, or a Pack of scalars (None where computed)."""
    value = _const(graph, ref)
    if value is not None:
        return [int(d) for d in value.reshape(-1)]
    node = graph.nodes.get(_node_of(ref))
    if node is None or node.op != "Pack" or ":" in ref:
        return None
    entries: list[int | None] = []
    for part in node.inputs:
        v = _const(graph, part)
        entries.append(int(v.reshape(())) if v is not None and v.size == 1 else None)
    return entries


def _trailing_shape(graph: GraphBuilder, node: Node | None, channels: int) -> tuple[int, ...] | None:
    """The trailing axes holding the `channels` output features after `node` (a Reshape or
    Squeeze directly after the product; None means no such node)."""
    if node is None:
        return (channels,)
    if node.op == "Reshape":
        dims = _shape_values(graph, node.inputs[1])
        if not dims:
            return None
        for k in range(1, len(dims) + 1):  # a Reshape may split the features (attention heads)
            tail = dims[-k:]
            if any(d is None or d < 0 for d in tail):
                return None
            if int(np.prod(tail)) == channels:
                return tuple(tail)
        return None
    if node.op == "Squeeze":
        dims = [int(d) for d in node.attrs.get("squeeze_dims", {}).get("list", {}).get("i", [])]
        return (channels,) if dims and all(0 <= d < 3 for d in dims) else None  # rank-4 conv outputs
    return None


def _activation(graph: GraphBuilder, users: dict[str, list[str]], ref: str) -> tuple[str, list[str]] | None:
    """The activation applied to `ref` alone: (name for fused_ops, nodes it spans)."""
    if len(users[ref]) != 1:
        return None
    name = users[ref][0]
    node = graph.nodes[name]
    if node.op in ("Relu", "Relu6", "Sigmoid", "Elu"):
        return node.op, [name]
    if node.op == "Maximum" and len(node.inputs) == 2:
        other = node.inputs[1] if node.inputs[0] == ref else node.inputs[0]
        zero = _const(graph, other)
        if zero is not None and zero.size == 1 and float(zero.reshape(())) == 0.0:
            # max(x, 0), and min(max(x, 0), 6) for relu6
            if len(users[name]) == 1:
                nxt = graph.nodes[users[name][0]]
                if nxt.op == "Minimum" and len(nxt.inputs) == 2:
                    six = _const(graph, nxt.inputs[1] if nxt.inputs[0] == name else nxt.inputs[0])
                    if six is not None and six.size == 1 and float(six.reshape(())) == 6.0:
                        return "Relu6", [name, users[name][0]]
            return "Relu", [name]
    return None


def fuse_bias_activation(graph: GraphBuilder, keep: set[str]) -> int:
    """Fuse `Add(bias)` (+ activation) into MatMul / Conv2D / DepthwiseConv2dNative.

    A Reshape or Squeeze between the product and the bias add (Dense on a 3-D input,
    1-D convolutions) is allowed when it keeps the channel axis. Returns the number
    of fused nodes.
    """
    fused = 0
    users = _consumers(graph)
    for name in list(graph.nodes):
        node = graph.nodes.get(name)
        if node is None or node.op not in FUSABLE or len(node.inputs) != 2 or name in keep:
            continue
        channels = _out_channels(graph, node)
        if channels is None or len(users[name]) != 1:
            continue
        nxt = graph.nodes[users[name][0]]
        between = None
        if nxt.op in ("Reshape", "Squeeze") and _trailing_shape(graph, nxt, channels) is not None \
                and len(users[nxt.name]) == 1 and nxt.name not in keep:
            between = nxt
            nxt = graph.nodes[users[nxt.name][0]]
        tail = _trailing_shape(graph, between, channels)
        if nxt.op not in ("AddV2", "Add", "BiasAdd") or nxt.name in keep or len(nxt.inputs) != 2:
            continue
        src = between.name if between else name
        bias_ref = nxt.inputs[1] if nxt.inputs[0] == src else nxt.inputs[0]
        if bias_ref == src:
            continue
        bias = _const(graph, bias_ref)
        if bias is None or bias.dtype != np.float32:
            continue
        if bias.size == 1:
            bias = np.full((channels,), float(bias.reshape(())), np.float32)
        else:
            trimmed = bias.shape
            while trimmed and trimmed[0] == 1 and len(trimmed) > len(tail):
                trimmed = trimmed[1:]
            if tuple(trimmed) != tail:
                continue
        activation = _activation(graph, users, nxt.name)
        if activation is not None and any(a in keep for a in activation[1]):
            activation = None
        last = activation[1][-1] if activation else nxt.name

        # The bias keeps its parameter name (e.g. `params/Dense_0/bias`): weights stay findable by name.
        bias_node = bias_ref.split(":")[0]
        if len(users[bias_node]) == 1 and bias_node not in keep:
            graph.weights[bias_node] = bias.reshape(channels)
            graph.nodes[bias_node].attrs["value"]["tensor"]["tensorShape"] = tensor_shape((channels,))
            fused_bias_ref = bias_node
        else:
            fused_bias_ref = graph.const(bias_node, bias.reshape(channels)).ref
        ops = ["BiasAdd"] + ([activation[0]] if activation else [])
        node.op = FUSABLE[node.op]
        node.inputs = [*node.inputs, fused_bias_ref]
        node.attrs.update({
            "num_args": attr_int(1),
            "fused_ops": {"list": {"s": [_b64(o) for o in ops]}},
            "epsilon": attr_float(0.0),
            "leakyrelu_alpha": attr_float(0.2),
        })
        if node.op == "_FusedConv2D":
            node.attrs.setdefault("use_cudnn_on_gpu", attr_bool(True))
        # Consumers of the last fused node now read the product (or the reshape after it).
        result = between.name if between else name
        for other in graph.nodes.values():
            other.inputs = [result if r == last else r for r in other.inputs]
        for gone in [nxt.name] + (activation[1] if activation else []):
            graph.nodes.pop(gone, None)
        users = _consumers(graph)
        fused += 1
    return fused


def optimize(graph: GraphBuilder, outputs: list[str], fuse: bool = True) -> None:
    """Run every pass: constant folding, identity removal, fusion, dead-node removal."""
    keep = set(outputs)
    fold_layout_constants(graph)
    untranspose_constant_weights(graph)
    remove_identities(graph, keep=keep)
    simplify_arithmetic(graph, keep)
    if fuse:
        tanh_to_sigmoid(graph, keep)
        fuse_softmax(graph, keep)
        fuse_bias_activation(graph, keep)
        fold_scale_into_matmul(graph, keep)
    keep_reduced_dims(graph, keep)
    dedupe_constants(graph, keep)
    remove_dead_nodes(graph, outputs)
