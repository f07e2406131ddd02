"""Spec values rendered as Python source: literals and checked identifiers, never pasted text.

Every value that reaches a generated file goes through :func:`literal`, which refuses anything
but plain data and proves the text evaluates back to the same value.
"""

from __future__ import annotations

import ast
import math
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..names import identifier_from, is_identifier, pascal_case  # noqa: F401 (importers)


class UnsafeValue(ValueError):
    """A spec value that can't be written as a Python literal."""


@dataclass(frozen=True)
class Expression:
    """A value a spec gives as ``${...}`` (or a size that follows one): written as ``source``,
    Python in the generated ``__init__``'s parameter names (``hidden * 4``); ``value`` is what
    it is for the defaults."""

    value: object
    source: str

    def __post_init__(self):
        from ..params.expressions import ExprError

        try:  # only the ${...} language (names, numbers, + - * // / %), perhaps in float()
            self._parsed()
        except ExprError as e:
            raise UnsafeValue(f"{self.source!r} is not a parameter expression: {e}") from None

    @property
    def names(self) -> tuple[str, ...]:
        """The parameters it uses."""
        return self._parsed().names

    def evaluate(self, values: Mapping[str, object]) -> object:
        """Its value for ``values`` (param -> value: numbers, or the symbolic probe's SymInts)."""
        value = self._parsed().evaluate(values)
        return float(value) if self.source.startswith("float(") else value

    def _parsed(self):
        from ..params.expressions import parse

        body = self.source
        if body.startswith("float(") and body.endswith(")"):
            body = body[len("float(") : -1]
        return parse(body, limit=None)


def literal(value: object) -> str:
    """The Python source for ``value`` (None, bool, int, float, str, list, dict of those;
    Expressions as their source)."""
    text = _render(value)
    if _has_expression(value):
        return text
    if _evaluate(text) != value and not _has_nan(value):
        raise UnsafeValue(f"value {value!r} does not round-trip as a Python literal")
    return text


def argument_literal(value: object, kind: str | None = None) -> str:
    """``literal(value)`` for a constructor argument of float ``kind`` (see float_kind): an
    integer is written as a float (``p=1.0``, not ``p=1``) where torch's signature says float.
    The module keeps the value as given and TorchScript types it by its Python type, so
    ``nn.Dropout(p=1)`` won't script."""
    annotation = {"float": float, "items": list[float]}.get(kind or "")
    return literal(_as_float(value, annotation))


def float_kind(annotation: object) -> str | None:
    """ "float" where an annotation takes a float and not an int, "items" where it takes a list
    of them, else None (the class table records this, so emitting imports no torch)."""
    if isinstance(_as_float(1, annotation), float):
        return "float"
    items = _as_float([1], annotation)
    return "items" if isinstance(items, list) and isinstance(items[0], float) else None


_EXACT_FLOAT = 2**53  # larger integers would change when written as a float


def _as_float(value: object, annotation: object) -> object:
    if isinstance(value, Expression):
        converted = _as_float(value.value, annotation)
        if type(converted) is type(value.value):
            return value
        return Expression(converted, f"float({value.source})")
    if annotation is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        choices = _alternatives(annotation)
        floats = float in choices and int not in choices
        return float(value) if floats and abs(value) <= _EXACT_FLOAT else value
    if isinstance(value, list):
        items = _item_annotation(annotation)
        return [_as_float(v, items) for v in value] if items is not None else value
    return value


def _alternatives(annotation: object) -> tuple:
    """The types a Union (``float | None``, ``Optional[float]``) allows, or the type alone."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _item_annotation(annotation: object) -> object:
    """The item type of a list or tuple the annotation allows (``tuple[float, ...]``)."""
    for choice in _alternatives(annotation):
        if typing.get_origin(choice) in (list, tuple):
            items = {a for a in typing.get_args(choice) if a is not Ellipsis}
            if len(items) == 1:
                return items.pop()
    return None


def _render(value: object) -> str:
    if isinstance(value, Expression):
        return value.source
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else 'float("-inf")'
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, (str, int, bool)) and k is not None:
                raise UnsafeValue(f"mapping key {k!r} is not a string or number")
            items.append(f"{_render(k)}: {_render(v)}")
        return "{" + ", ".join(items) + "}"
    raise UnsafeValue(f"value of type {type(value).__name__} can't be written into a model file")


def _evaluate(text: str) -> object:
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        # float("inf") / float("-inf") / float("nan") are the only calls _render writes.
        if isinstance(node, ast.Call):
            ok = (
                isinstance(node.func, ast.Name)
                and node.func.id == "float"
                and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in ("inf", "-inf", "nan")
            )
            if not ok:
                raise UnsafeValue(f"unexpected call in literal {text!r}")
    return eval(compile(tree, "<literal>", "eval"), {"__builtins__": {"float": float}})


def expressions(value: object) -> Iterator[Expression]:
    """The Expressions in ``value`` (an argument value: plain data, lists, mappings)."""
    if isinstance(value, Expression):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from expressions(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from expressions(v)


def _has_expression(value: object) -> bool:
    return next(expressions(value), None) is not None


def plain(value: object) -> object:
    """``value`` with each Expression replaced by its value (for the defaults)."""
    if isinstance(value, Expression):
        return value.value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _has_nan(value: object) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (list, tuple)):
        return any(_has_nan(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    return False
