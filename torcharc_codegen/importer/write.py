"""The spec as YAML text, in the examples' style: the schema modeline on top, flow style
(``conv1: {Conv2d: {in_channels: 3, ...}}``) where a value fits on its line, block style
where not; runs of equal Sequential entries as repeat entries; a comment on each block saying
which class and which modules it came from. What it writes reads back (YAML 1.2, as the
compiler reads it) as the spec it was given: ``dump`` checks that."""

from __future__ import annotations

import json
import re

WIDTH = 100
_PLAIN = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.~]*$")
_BLOCK_KEYS = {"graph:", "modules:", "input:"}  # always one entry a line, as the examples
_SPECIAL = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def compress(value):
    """Runs of two or more equal entries of a list-form Sequential as one repeat entry."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = compress(v)
            if k == "Sequential" and isinstance(v, list):
                v = _runs(v)
            out[k] = v
        return out
    if isinstance(value, list):
        return [compress(v) for v in value]
    return value


def _runs(entries: list) -> list:
    out: list = []
    i = 0
    while i < len(entries):
        j = i
        while j + 1 < len(entries) and entries[j + 1] == entries[i]:
            j += 1
        count = j - i + 1
        out.append(entries[i] if count == 1 else {"repeat": count, "module": entries[i]})
        i = j + 1
    return out


def scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"inf": ".inf", "-inf": "-.inf"}.get(str(value), ".nan")
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:  # 1e-05: a string to YAML 1.1
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _SPECIAL and not text.startswith("~"):
        return text
    return json.dumps(text)


def flow(value) -> str:
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value.values())) is None:
            return "{" + f"{scalar(next(iter(value)))}: " + "}"
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def _lines(key: str, value, indent: int, child: int, comment: str = "") -> list[str]:
    """``key`` (``name:`` or ``- name:``) at ``indent``, its value on the line or below it at
    ``child``."""
    pad = " " * indent
    note = f" # {comment}" if comment else ""
    if not isinstance(value, dict | list) or not value:
        text = "" if value is None else " " + flow(value)
        return [f"{pad}{key}{text}{note}"]
    one = f"{pad}{key} {flow(value)}"
    fits = len(one) + len(note) <= WIDTH or _flat(value)
    if fits and not comment and not (key in _BLOCK_KEYS and isinstance(value, dict)):
        return [one]
    out = [f"{pad}{key}{note}"]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _lines(f"{scalar(k)}:", v, child, child + 2)
    else:
        for item in value:
            out += _item(item, child)
    return out


def _flat(value) -> bool:
    """A mapping of scalars (and lists of them), such as a class's arguments: one line, even
    a long one, as the examples write them."""
    return isinstance(value, dict) and all(
        not isinstance(v, dict | list)
        or isinstance(v, list)
        and all(isinstance(x, int | float) for x in v)
        for v in value.values()
    )


def _item(item, indent: int) -> list[str]:
    pad = " " * indent
    one = f"{pad}- {flow(item)}"
    if len(one) <= WIDTH or not isinstance(item, dict | list) or not item:
        return [one]
    if isinstance(item, list):
        return [f"{pad}-"] + [line for v in item for line in _item(v, indent + 2)]
    out = []
    for n, (k, v) in enumerate(item.items()):
        key = f"- {scalar(k)}:" if n == 0 else f"{scalar(k)}:"
        out += _lines(key, v, indent if n == 0 else indent + 2, indent + 4)
    return out


def dump(spec: dict, header: list[str], comments: dict[str, str]) -> str:
    """``spec`` as YAML: ``header`` lines as comments on top, ``comments`` on the blocks."""
    import yaml

    out = [f"# {line}" if line else "#" for line in header]
    for key, value in spec.items():
        if key == "blocks":
            out.append("blocks:")
            for name, block in value.items():
                out += _lines(f"{name}:", block, 2, 4, comments.get(name, ""))
        else:
            out += _lines(f"{key}:", value, 0, 2)
    text = "\n".join(out) + "\n"
    if yaml.safe_load(text) != spec:  # a writer bug, never the user's: fail loudly
        raise AssertionError("the YAML written doesn't read back as the spec")
    return text
