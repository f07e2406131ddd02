"""order.py on its own: the forward order of the graph's nodes, each after the nodes it uses;
the spec's order wherever it is already valid, so the generated forward reads like the spec."""

from __future__ import annotations

import graphlib

import pytest

from torcharc_codegen.spec.model import Node
from torcharc_codegen.spec.order import order


def node(name: str, *args, **kwargs) -> Node:
    """A node calling the module named like it (``conv~left`` calls ``conv``)."""
    args = tuple(tuple(a) if isinstance(a, list) else a for a in args)
    return Node(name, name.partition("~")[0], args, tuple(kwargs.items()), ("graph", name))


def names(nodes) -> list[str]:
    return [n.name for n in nodes]


def test_a_spec_in_a_valid_order_keeps_it():
    nodes = [node("a", "x"), node("b", "x"), node("c", "a", "b"), node("d", "c")]
    assert names(order(nodes)) == ["a", "b", "c", "d"]


def test_a_node_listed_before_what_it_uses_moves_after_it():
    nodes = [node("head", "body"), node("body", "stem"), node("stem", "x")]
    assert names(order(nodes)) == ["stem", "body", "head"]


def test_among_the_nodes_that_are_ready_the_one_listed_first_goes_first():
    # `late` is ready from the start but listed after `waits`, which becomes ready after
    # `first`: the spec's order decides between `waits` and `late`.
    nodes = [node("first", "x"), node("waits", "first"), node("late", "x")]
    assert names(order(nodes)) == ["first", "waits", "late"]
    nodes = [node("waits", "first"), node("first", "x"), node("late", "x")]
    assert names(order(nodes)) == ["first", "waits", "late"]


def test_list_and_keyword_arguments_are_uses_too():
    nodes = [
        node("merge", ["conv~left", "conv~right"]),
        node("attn", query="merge", key="x", value="x"),
        node("conv~left", "x"),
        node("conv~right", "y"),
    ]
    assert names(order(nodes)) == ["conv~left", "conv~right", "merge", "attn"]


def test_independent_nodes_keep_the_spec_order_not_their_names_order():
    nodes = [node(f"n{i}", "x") for i in reversed(range(12))]
    nodes.append(node("sum", [f"n{i}" for i in range(12)]))
    assert names(order(nodes)) == names(nodes)


def test_every_node_comes_out_once_and_unchanged():
    nodes = [node("b", "a"), node("a", "x", scale="x")]
    assert sorted(order(nodes), key=lambda n: n.name) == sorted(nodes, key=lambda n: n.name)


def test_a_cycle_is_never_cut_short():
    # validation refuses cycles with a located message (test_validate.py); order itself
    # raises rather than return a forward that skips nodes
    with pytest.raises(graphlib.CycleError):
        order([node("a", "b"), node("b", "a"), node("c", "x")])
