"""What the published schema takes for a module's argument, so that a ``${...}`` of the wrong
type (a float where torch wants an int) is refused where it is written, not when the model is
built."""

from __future__ import annotations

from collections.abc import Mapping

_JSON = {int: "integer", float: "number", bool: "boolean", str: "string"}


def refused(
    t: type, schema: Mapping | None, cls: str | None, arg: str | None, nested: bool
) -> str | None:
    """What ``cls.arg`` takes ("an int or a list") when the schema refuses a value of type
    ``t`` there (an item of it when ``nested``); None when it takes one or says nothing."""
    accepted = _accepted_types(schema, cls, arg, nested)
    if not accepted:
        return None
    want = _JSON[t]
    if want in accepted or (want == "integer" and "number" in accepted):
        return None
    return " or ".join(sorted({_PLAIN[a] for a in accepted if a in _PLAIN}))


_PLAIN = {
    "integer": "an int",
    "number": "a number",
    "boolean": "a bool",
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def _accepted_types(schema, cls, arg, nested) -> set[str]:
    """The JSON types the schema accepts for ``cls.arg`` (its items' types when ``nested``),
    not counting the ``${...}`` strings every argument takes (:func:`_types_of`); empty when
    the schema says nothing (then nothing is checked)."""
    if schema is None or cls is None or arg is None:
        return set()
    try:
        args = schema["definitions"]["class"][cls]["properties"][cls]
        prop = args["properties"][arg]
    except (KeyError, TypeError):
        return set()
    if nested:
        out = set()
        for branch in _branches(prop):
            items = branch.get("items")
            if isinstance(items, Mapping):
                out |= _types_of(items)
        return out
    return _types_of(prop)


def _branches(prop: Mapping) -> list[Mapping]:
    return [prop] + [b for b in prop.get("anyOf", []) if isinstance(b, Mapping)]


_PARAM_REF = "#/definitions/paramRef"


def _types_of(prop: Mapping) -> set[str]:
    """The JSON types of ``prop``'s branches, without the paramRef (by ``$ref``, or inlined: the
    one string with a ``pattern``): every argument takes a ``${...}`` string, which says nothing
    of the value it stands for (a str param is no int)."""
    out: set[str] = set()
    for branch in _branches(prop):
        if branch.get("$ref") == _PARAM_REF or "pattern" in branch:
            continue
        t = branch.get("type")
        out |= {t} if isinstance(t, str) else set(t or [])
    return out
