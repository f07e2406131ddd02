"""Rewrites of the module tree that make the spec shorter and leave its values alone (the round
trip proves it): a dense block, whose forward calls each child on the list of its input and
every child's output before it and concatenates them all at the end (torchvision's
``_DenseBlock``), becomes a Sequential of its children, each concatenating its own output to
its input. ``cat([x0, ..., xk])`` is ``cat([cat([x0, ..., xk-1]), xk])`` value for value, so
each child reads the same tensor and the last one returns the block's output; the children
keep their names, so the checkpoint's names stay the original's."""

from __future__ import annotations

from .graph import Graph
from .units import Seq, Unit

_CAT = "MergeConcat"


def dense_blocks(root: Unit) -> int:
    """Rewrite every dense block below ``root`` as a Sequential, in place; how many."""
    count = 0

    def rewrite(entry):
        nonlocal count
        if isinstance(entry, Seq):
            entry.items = [(k, rewrite(e)) for k, e in entry.items]
        elif isinstance(entry, Unit):
            entry.entries = {k: rewrite(e) for k, e in entry.entries.items()}
            if entry is not root:
                seq = _as_sequential(entry)
                if seq is not None:
                    count += 1
                    return seq
        return entry

    rewrite(root)
    return count


def _as_sequential(unit: Unit) -> Seq | None:
    """``unit`` as a Sequential of its children when it is a dense block, else None."""
    g = unit.graph
    if len(g.inputs) != 1 or unit.unused or not g.children:
        return None
    (x0,) = g.inputs
    *calls, last = list(g.nodes)
    if calls != g.children or not isinstance(g.output, str) or g.output != last:
        return None
    dim = _cat_dim(g, last)
    if dim is None or g.nodes[last] != [[x0, *calls]]:
        return None
    for k, name in enumerate(calls):
        child = unit.entries[name]
        if g.nodes[name] != [[x0, *calls[:k]]] or not isinstance(child, Unit):
            return None
        if _reading_cat(child.graph) != dim:
            return None
    for name in calls:
        _concatenate_output(unit.entries[name].graph)
    named = calls != [str(i) for i in range(len(calls))]
    return Seq([(name, unit.entries[name]) for name in calls], named)


def _cat_dim(g: Graph, node: str) -> int | None:
    helper = g.helpers.get(node)
    if not helper or list(helper) != [_CAT]:
        return None
    return (helper[_CAT] or {}).get("dim", 0)


def _reading_cat(g: Graph) -> int | None:
    """The dim of the concatenation that is the first node of ``g`` and its input's only use
    (a child of a dense block concatenating the list it is given)."""
    if len(g.inputs) != 1 or not g.nodes:
        return None
    (inp,) = g.inputs
    first = next(iter(g.nodes))
    if g.nodes[first] != [inp] or g.output == first or g.output == inp:
        return None
    if any(inp in _refs(args) for name, args in g.nodes.items() if name != first):
        return None
    return _cat_dim(g, first)


def _refs(value) -> set:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    return set().union(*(_refs(v) for v in value)) if value else set()


def _replace(value, old: str, new: str):
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    return [_replace(v, old, new) for v in value]


def _concatenate_output(g: Graph) -> None:
    """``g`` reading the concatenated tensor itself and returning it with its own output
    concatenated: the input's concatenation moves to the end."""
    (inp,) = g.inputs
    cat = next(iter(g.nodes))
    taken = set(g.nodes) | set(g.helpers) | set(g.children)
    x = "x" if "x" not in taken else inp
    nodes = {k: _replace(v, cat, x) for k, v in g.nodes.items() if k != cat}
    out = _replace(g.output, cat, x)
    nodes[cat] = [[x, out]]
    g.nodes = nodes
    g.inputs = [x]
    g.output = cat
    g.lines.pop(cat, None)
    g.helpers = {k: v for k, v in g.helpers.items() if k != cat} | {cat: g.helpers[cat]}
