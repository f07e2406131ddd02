"""The layers a module spec writes, walked as written (before validation): a plain module,
a Sequential's entries (a list, or a mapping for a named Sequential), nested Sequentials,
repeat entries and the compact form. Validation, the ``${...}`` places and normalize all
walk a module spec through here, so each knows the same layers at the same key paths."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import KeyPath

REPEAT_KEYS = frozenset({"repeat", "module", "start"})
INDEX = "i"  # in a repeat entry, ${i} is the copy's index (and {i} in a named entry's name)


@dataclass(frozen=True)
class Written:
    """One place of a module spec: a layer (``{Class: kwargs}``, ``what == "layer"``, ``path``
    the key path of its class key), a repeat entry (``"repeat"``, ``value`` the entry), or
    the class name of a compact form's ``layer.type`` (``"type"``). ``in_repeat``: inside a
    repeat entry's ``module``, where ``${i}`` is the copy's index."""

    what: str
    path: KeyPath
    value: object
    in_repeat: bool = False

    @property
    def cls(self) -> str | None:
        if self.what == "type":
            return self.value if isinstance(self.value, str) else None
        if self.what == "layer":
            (name,) = self.value
            return name if isinstance(name, str) else None
        return None

    @property
    def kwargs(self) -> object:
        (value,) = self.value.values()
        return value


def is_repeat(entry: object) -> bool:
    return isinstance(entry, dict) and "repeat" in entry


def written(spec: object, path: KeyPath) -> Iterator[Written]:
    """Every place of module spec ``spec`` at ``path``, in spec order."""
    if not isinstance(spec, dict) or len(spec) != 1:
        return
    ((key, body),) = spec.items()
    if key == "compact" and isinstance(body, dict):
        for part in ("prelayer", "postlayer"):
            items = body.get(part)
            for i, item in enumerate(items if isinstance(items, list) else []):
                yield from _entry(item, path + (key, part, i), False)
        lay = body.get("layer")
        if isinstance(lay, dict) and "type" in lay:
            yield Written("type", path + (key, "layer", "type"), lay["type"])
        return
    yield from _entry(spec, path, False)


def sequential_items(body: object) -> list[tuple[object, object]]:
    """(key, entry) of a Sequential's entries: list indices, or a named Sequential's names."""
    if isinstance(body, list):
        return list(enumerate(body))
    if isinstance(body, dict):
        return list(body.items())
    return []


def _entry(entry: object, path: KeyPath, in_repeat: bool) -> Iterator[Written]:
    if is_repeat(entry):
        yield Written("repeat", path, entry, in_repeat)
        if "module" in entry:
            yield from _entry(entry["module"], path + ("module",), True)
        return
    if not isinstance(entry, dict) or len(entry) != 1:
        return
    ((key, body),) = entry.items()
    if key == "Sequential":
        for k, item in sequential_items(body):
            yield from _entry(item, path + (key, k), in_repeat)
        return
    yield Written("layer", path + (key,), entry, in_repeat)
