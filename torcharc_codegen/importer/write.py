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
    """Runs of a Sequential's entries that are one class or block whose arguments are equal or
    step evenly from one entry to the next as one repeat entry (``${64 + i * 32}``, ``i`` the
    copy's index); in a named Sequential, a run whose names count up (``denselayer1``,
    ``denselayer2``, ...) as one entry named ``denselayer{i}`` with ``start`` its first index."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = compress(v)
            if k == "Sequential" and isinstance(v, list):
                v = _runs(v)
            elif k == "Sequential" and isinstance(v, dict):
                v = _named_runs(v)
            out[k] = v
        return out
    if isinstance(value, list):
        return [compress(v) for v in value]
    return value


_MIN_STEPPED = 3  # entries a run with stepping arguments needs to be written as one


def _runs(entries: list) -> list:
    out: list = []
    i = 0
    while i < len(entries):
        count, module = _run(entries[i:], 0)
        out.append(entries[i] if count == 1 else {"repeat": count, "module": module})
        i += count
    return out


_NUMBERED = re.compile(r"^(.*?)(0|[1-9][0-9]*)$")


def _named_runs(entries: dict) -> dict:
    items = list(entries.items())
    out: dict = {}
    i = 0
    while i < len(items):
        key, entry = items[i]
        match = _NUMBERED.match(key)
        count = 1
        if match and "{" not in key and "}" not in key:
            prefix, first = match.group(1), int(match.group(2))
            n = 1
            while i + n < len(items) and items[i + n][0] == f"{prefix}{first + n}":
                n += 1
            count, module = _run([e for _, e in items[i : i + n]], first)
            pattern = f"{prefix}{{i}}"
        if count == 1 or pattern in entries:
            out[key] = entry
            i += 1
            continue
        repeat: dict = {"repeat": count}
        if first:
            repeat["start"] = first
        repeat["module"] = module
        out[pattern] = repeat
        i += count
    return out


def _run(entries: list, start: int) -> tuple[int, dict]:
    """How many of ``entries``, from the first, are one repeat entry, and its module (its
    arguments as ``${...}`` of the copy's index ``i``, counted from ``start``)."""
    first = entries[0]
    n = 1
    while n < len(entries) and entries[n] == first:
        n += 1
    if n > 1 or len(entries) < _MIN_STEPPED:
        return n, first
    steps = _steps(first, entries[1])
    if steps is None:
        return 1, first
    n = 2
    while n < len(entries) and _stepped(first, steps, n) == entries[n]:
        n += 1
    if n < _MIN_STEPPED:
        return 1, first
    ((cls, kwargs),) = first.items()
    written = {k: _expression(v, steps[k], start) if k in steps else v for k, v in kwargs.items()}
    return n, {cls: written}


def _steps(a, b) -> dict | None:
    """Per argument, how much it grows from entry ``a`` to ``b`` (the same class with the same
    argument names, each either equal or an int that grows), or None."""
    if not (isinstance(a, dict) and isinstance(b, dict) and len(a) == 1 and a.keys() == b.keys()):
        return None
    ((cls, x),) = a.items()
    y = b[cls]
    if cls == "Sequential" or not isinstance(x, dict) or not isinstance(y, dict):
        return None
    if x.keys() != y.keys():
        return None
    steps = {}
    for k, v in x.items():
        w = y[k]
        if _is_int(v) and _is_int(w) and v != w:
            steps[k] = w - v
        elif v != w or (isinstance(v, str) and "${" in v):
            return None
    return steps or None


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _stepped(first: dict, steps: dict, n: int) -> dict:
    ((cls, kwargs),) = first.items()
    return {cls: {k: v + n * steps[k] if k in steps else v for k, v in kwargs.items()}}


def _expression(first: int, step: int, start: int) -> str:
    """``${first + (i - start) * step}`` in its shortest form."""
    index = "i" if not start else f"(i - {start})"
    term = index if step == 1 else f"{index} * {step}"
    if step < 0:
        term = index if step == -1 else f"{index} * {-step}"
        return f"${{{first} - {term}}}" if first else f"${{-{term}}}"
    return f"${{{first} + {term}}}" if first else f"${{{term}}}"


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
            out += _lines(f"{scalar(k)}:", v, child, child + 2, _note(v))
    else:
        for item in value:
            out += _item(item, child)
    return out


_NOTES: dict[str, str] = {}  # a custom module's class key -> its comment, while dumping


def _note(value) -> str:
    """The comment on a module that is a custom module (a fallback): why."""
    if isinstance(value, dict) and len(value) == 1:
        return _NOTES.get(next(iter(value)), "")
    return ""


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


def dump(spec: dict, header: list[str], comments: dict[str, str], notes=None) -> str:
    """``spec`` as YAML: ``header`` lines as comments on top, ``comments`` on the blocks,
    ``notes`` (class key -> text) on each module of that class (the fallbacks' reasons)."""
    import yaml

    _NOTES.clear()
    _NOTES.update(notes or {})
    out = [f"# {line}" if line else "#" for line in header]
    try:
        for key, value in spec.items():
            if key == "blocks":
                out.append("blocks:")
                for name, block in value.items():
                    out += _lines(f"{name}:", block, 2, 4, comments.get(name, ""))
            else:
                out += _lines(f"{key}:", value, 0, 2)
    finally:
        _NOTES.clear()
    text = "\n".join(out) + "\n"
    if yaml.safe_load(text) != spec:  # a writer bug, never the user's: fail loudly
        raise AssertionError("the YAML written doesn't read back as the spec")
    return text
