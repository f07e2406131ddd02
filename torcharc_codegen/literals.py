"""Spec values rendered as Python source: literals and checked identifiers, never pasted text.

Every value that reaches a generated file goes through :func:`literal`, which refuses anything
but plain data and proves the text evaluates back to the same value.
"""

from __future__ import annotations

import ast
import keyword
import math


class UnsafeValue(ValueError):
    """A spec value that can't be written as a Python literal."""


def literal(value: object) -> str:
    """The Python source for ``value`` (None, bool, int, float, str, list, dict of those)."""
    text = _render(value)
    if _evaluate(text) != value and not _has_nan(value):
        raise UnsafeValue(f"value {value!r} does not round-trip as a Python literal")
    return text


def argument_literal(value: object, schema: dict | None) -> str:
    """``literal(value)`` for a constructor argument whose JSON Schema is ``schema``: an integer
    is written as a float (``p=1.0``, not ``p=1``) where the schema takes numbers but not
    integers, i.e. where torch's signature says float. The module holds the value as given and
    TorchScript types it by its Python type, so ``nn.Dropout(p=1)`` won't script."""
    return literal(_as_float(value, schema) if schema else value)


_EXACT_FLOAT = 2**53  # larger integers would change when written as a float


def _as_float(value: object, schema: dict) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        types = _types(schema)
        floats = "number" in types and "integer" not in types
        return float(value) if floats and abs(value) <= _EXACT_FLOAT else value
    if isinstance(value, list):
        items = [b["items"] for b in _branches(schema) if isinstance(b.get("items"), dict)]
        return [_as_float(v, items[0]) for v in value] if len(items) == 1 else value
    return value


def _branches(schema: dict) -> list[dict]:
    """``schema`` and its ``anyOf`` / ``oneOf`` alternatives."""
    out = [schema]
    for key in ("anyOf", "oneOf"):
        out += [b for b in schema.get(key, []) if isinstance(b, dict)]
    return out


def _types(schema: dict) -> set[str]:
    types: set[str] = set()
    for branch in _branches(schema):
        t = branch.get("type")
        types |= {t} if isinstance(t, str) else set(t or ())
    return types


def _render(value: object) -> str:
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


def _has_nan(value: object) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (list, tuple)):
        return any(_has_nan(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    return False


def is_identifier(name: object) -> bool:
    """A name usable as a Python variable or attribute: an identifier, not a keyword."""
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def identifier_from(text: str) -> str:
    """``text`` with each character an identifier can't hold replaced by ``_`` (``emb_A-b`` ->
    ``emb_A_b``); ``text`` is a spec name, so it starts with an identifier's first letter."""
    out = "".join(c if ("a" + c).isidentifier() else "_" for c in text)
    return out if out.isidentifier() else "_" + out


def pascal_case(text: str) -> str:
    """``my_model`` / ``my-model`` -> ``MyModel``; the result is an identifier or ''."""
    words = "".join(c if c.isalnum() else " " for c in text).split()
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if name[:1].isdigit():
        name = "Model" + name
    return name if is_identifier(name) else ""
