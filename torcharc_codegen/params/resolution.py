"""Resolving a parametrized spec: values for its parameters (the defaults, the overrides, the
CLI's ``--param``), the plain TorchArc spec they give, and that spec as YAML."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping

from ..spec.entries import INDEX, is_repeat
from .declarations import Param, collect_params, value_slots
from .expressions import REF, WHOLE, a_type, parse, unknown_name


class ParamValueError(ValueError):
    def __init__(self, message: str, path: tuple | None = None):
        super().__init__(message)
        self.path = path  # where in the spec, when the value there is the cause


def other_float(value: float) -> float:
    """Another value of a float parameter, valid where ``value`` is (a probability stays in
    [0, 1]): for the symbolic probe's float check and the second verification."""
    if 0 <= value <= 1:
        return 0.25 if value >= 0.5 else 0.75
    return value * 2 + 1 if value > 0 else value - 1.5


def values_for(params: Mapping[str, Param], overrides: Mapping[str, object] | None) -> dict:
    """The defaults with ``overrides`` applied; each override must name a param and have its
    type (an int is accepted for a float param)."""
    values = {name: p.default for name, p in params.items()}
    for name, value in (overrides or {}).items():
        if name not in params:
            raise ParamValueError(unknown_name(name, params))
        want = params[name].type
        if want is float and type(value) is int:
            value = float(value)
        if type(value) is not want:
            raise ParamValueError(f"parameter `{name}` is {a_type(want)}: got {value!r}")
        values[name] = value
    return values


def parse_assignments(items: list[str], params: Mapping[str, Param]) -> dict[str, object]:
    """``["hidden=512", "p_drop=0.2"]`` (the CLI's ``--param``) -> typed values."""
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise ParamValueError(f"--param {item!r}: write name=value, e.g. hidden=512")
        if name not in params:
            raise ParamValueError(unknown_name(name, params))
        out[name] = _parse_value(name, text.strip(), params[name].type)
    return out


def _parse_value(name: str, text: str, want: type) -> object:
    try:
        if want is bool:
            lowered = text.lower()
            if lowered not in ("true", "false"):
                raise ValueError
            return lowered == "true"
        return want(text)
    except ValueError:
        raise ParamValueError(
            f"parameter `{name}` is {a_type(want)}: can't read {text!r} as one"
            + (": write true or false" if want is bool else "")
        ) from None


def resolve(data: Mapping, values: Mapping[str, object] | None = None) -> dict:
    """The plain TorchArc spec: every ``${...}`` replaced by its value (the defaults, overridden
    by ``values``), ``params`` and ``class`` removed, example inputs turned into the list of
    input names.

    The spec must have passed :func:`analyze` without errors."""
    params, problems = collect_params(data)
    if problems:
        raise ParamValueError(problems[0].message)
    out = substitute(data, params, values_for(params, values))
    out.pop("class", None)  # the generated class's name: nothing TorchArc builds
    graph = out.get("graph")
    if isinstance(graph, dict) and isinstance(graph.get("input"), Mapping):
        graph["input"] = list(graph["input"])
    return out


def substitute(data: Mapping, params: Mapping[str, Param], values: Mapping[str, object]) -> dict:
    """A copy of ``data`` without ``params`` and with each ``${...}`` evaluated for ``values``
    (any objects with Python arithmetic: numbers, or torch SymInts for the symbolic probe)."""
    out = {k: copy.deepcopy(v) for k, v in data.items() if k != "params"}
    for path, _, kind, *_ in list(value_slots(out)):
        holder, key = _holder(out, path)
        value = holder[key]
        if isinstance(value, str):
            whole = WHOLE.match(value)
            if whole is not None:
                scope, at = params, values
                if kind == "indexed":  # the first copy's: what validation checks
                    scope = {**params, INDEX: Param(INDEX, 0, int)}
                    at = {**values, INDEX: index_start(out, path)}
                try:
                    holder[key] = parse(whole.group(1), scope).evaluate(at)
                except ZeroDivisionError:
                    shown = ", ".join(f"{n}={values[n]!r}" for n in params)
                    raise ParamValueError(f"{value} divides by zero for {shown}", path) from None
    return out


def index_start(data: object, path: tuple) -> int:
    """The first value of ``${i}`` at ``path``: the ``start`` of the innermost repeat entry
    whose ``module`` holds it."""
    start = 0
    for key in path:
        if is_repeat(data) and key == "module":
            start = data.get("start", 0) if type(data.get("start", 0)) is int else 0
        data = data[key]
    return start


def _holder(data: object, path: tuple) -> tuple[object, object]:
    for key in path[:-1]:
        data = data[key]
    return data, path[-1]


def dump_yaml(data: Mapping) -> str:
    """A resolved spec as YAML text (the order of keys as in the spec)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data):  # a module reused by alias is written out again
            return True

    return yaml.dump(dict(data), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


def flow_style_hint(text: str, line: int | None) -> str | None:
    """For a YAML syntax error at 1-based ``line``: the hint to add when that line has an
    unquoted ``${...}`` inside a flow mapping or sequence (`{out_features: ${hidden}}`)."""
    if line is None:
        return None
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    row = lines[line - 1]
    for match in re.finditer(r"\$\{", row):
        before = row[: match.start()]
        quoted = before.count('"') % 2 == 1 or before.count("'") % 2 == 1
        if not quoted and ("{" in before or "[" in before):
            ref = REF.match(row, match.start())
            shown = ref.group(0) if ref else "${...}"
            return (
                f"in YAML flow style ({{...}} or [...]) a ${{...}} value must be quoted:"
                f' write "{shown}"'
            )
    return None
