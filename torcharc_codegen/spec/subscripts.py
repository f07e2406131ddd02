"""The Index helper's ``key``: a tensor subscript as Python writes it (``"..., 0::2, 1:"``),
of integers, slices of integers, ``None`` and ``...`` only. The generated code is written
from the parsed key, never from the spec's text, so nothing else reaches the file."""

from __future__ import annotations

import ast

Item = int | slice | None | type(Ellipsis)


class SubscriptError(ValueError):
    """A key that is not a subscript of integers, slices, None and ``...``."""


def parse_key(text: str) -> tuple[Item, ...]:
    """``"..., 0::2"`` -> ``(Ellipsis, slice(0, None, 2))``; SubscriptError saying what is wrong."""
    try:
        tree = ast.parse(f"x[{text}]", mode="eval").body
    except SyntaxError:
        raise SubscriptError(f"{text!r} is not a subscript (write it as inside x[...])") from None
    if not isinstance(tree, ast.Subscript):
        raise SubscriptError(f"{text!r} is not one subscript")
    elts = tree.slice.elts if isinstance(tree.slice, ast.Tuple) else [tree.slice]
    items = tuple(_item(e, text) for e in elts)
    if items.count(Ellipsis) > 1:
        raise SubscriptError(f"{text!r} has more than one ...")
    return items


def key_text(items: tuple[Item, ...]) -> str:
    """The subscript's canonical text: ``(Ellipsis, slice(0, None, 2))`` -> ``"..., 0::2"``."""
    return ", ".join(_text(i) for i in items)


def _item(node: ast.expr, text: str) -> Item:
    if isinstance(node, ast.Slice):
        parts = [node.lower, node.upper, node.step]
        return slice(*(None if p is None else _int(p, text) for p in parts))
    if isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis):
        return node.value
    return _int(node, text)


def _int(node: ast.expr, text: str) -> int:
    value = node
    negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    if negative:
        value = node.operand
    if isinstance(value, ast.Constant) and type(value.value) is int:
        return -value.value if negative else value.value
    what = ast.get_source_segment(f"x[{text}]", node) or "it"
    raise SubscriptError(
        f"{what!r} in {text!r}: a subscript here holds integers, slices of them, None and ..."
    )


def _text(item: Item) -> str:
    if item is Ellipsis:
        return "..."
    if item is None:
        return "None"
    if isinstance(item, slice):
        start = "" if item.start is None else str(item.start)
        stop = "" if item.stop is None else str(item.stop)
        return f"{start}:{stop}" + ("" if item.step is None else f":{item.step}")
    return str(item)
