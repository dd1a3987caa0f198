"""Graph clean-up after lowering: drop identity and dead nodes."""

from __future__ import annotations

from .graph import GraphBuilder


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


def optimize(graph: GraphBuilder, outputs: list[str]) -> None:
    remove_identities(graph, keep=set(outputs))
    remove_dead_nodes(graph, outputs)
