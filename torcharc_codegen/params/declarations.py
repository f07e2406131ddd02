"""The ``params:`` mapping and the places in a spec that use it: each parameter declared (its
name, default, type and search domain) and each ``${...}`` where a parameter may stand, checked.

Places a ``${...}`` may stand (anywhere else is an error):
- an argument value of a module (also an item nested in a list or mapping argument),
- a value in a compact form's ``layer.args`` rows,
- an entry of an example input's ``shape``.

Problems are :class:`ParamProblem` values: a key path into the spec, a message, and the offset
(0-based) inside the string value where the problem is, so the caller can point at the column.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..errors import Problem
from ..names import FILE_BUILTINS, GENERATED_NAMES, normal
from ..spec.entries import INDEX, written
from .domains import Domain, DomainError, parse_domain
from .expressions import REF, TYPES, WHOLE, Expr, ExprError, a_type, parse
from .schema_types import refused

# Names a parameter can't take: the generated file uses them (``super().__init__()``,
# ``float(rate)``), as Python reads them (NFKC-normalized).
RESERVED = frozenset(normal(n) for n in GENERATED_NAMES | FILE_BUILTINS)


@dataclass(frozen=True)
class ParamProblem:
    path: tuple  # key path into the spec data (errors.Path)
    message: str
    offset: int | None = None  # 0-based index into the string value at `path`
    warning: bool = False
    at_key: bool = False  # the string is the mapping key at `path`, not its value

    def located(self, source) -> Problem:
        """An errors.Problem at the value's line and the offset's column (a quoted scalar's
        opening quote is skipped)."""
        problem = source.problem(self.path, self.message, at_key=self.at_key)
        table = source.keys if self.at_key else source.values
        if self.offset is None or problem.line is None or problem.path not in table:
            return problem
        column = problem.column + self.offset
        if source.text is not None:
            line = source.text.splitlines()[problem.line - 1]
            if line[problem.column - 1 : problem.column] in ("'", '"'):
                column += 1
        return Problem(problem.path, problem.message, problem.line, column)


@dataclass(frozen=True)
class Param:
    name: str
    default: object
    type: type  # int, float, bool or str
    domain: Domain | None = None  # None: a fixed value, not searched


@dataclass(frozen=True)
class Ref:
    """One ``${...}`` in the spec: where it is, its expression, and what it stands for."""

    path: tuple  # key path of the string value
    expr: Expr
    offset: int  # where the expression text starts inside the string value
    kind: str  # "argument", "compact", "shape"
    cls: str | None = None  # the module class, for arguments and compact values
    arg: str | None = None  # the argument name (None when it can't be known)
    nested: bool = False  # an item inside a list or mapping argument


@dataclass
class Analysis:
    params: dict[str, Param]
    refs: list[Ref]
    problems: list[ParamProblem]  # errors and warnings (ParamProblem.warning)

    @property
    def errors(self) -> list[ParamProblem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[ParamProblem]:
        return [p for p in self.problems if p.warning]


def collect_params(data: Mapping) -> tuple[dict[str, Param], list[ParamProblem]]:
    """The ``params:`` mapping: name -> Param, typed by its default."""
    raw = data.get("params")
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [ParamProblem(("params",), "`params` must be a mapping of name -> default")]
    params, problems = {}, []
    spelled: dict[str, str] = {}  # NFKC form -> the spelling declared
    for name, default in raw.items():
        path = ("params", name)
        refused = _name_problem(name, spelled)
        if refused is not None:
            problems.append(ParamProblem(path, refused, at_key=True))
            continue
        domain = None
        if isinstance(default, Mapping):
            try:
                default, domain = parse_domain(default)
            except DomainError as e:
                where = path + (e.key,) if e.key is not None and e.key in default else path
                problems.append(ParamProblem(where, f"parameter `{name}`: {e.message}"))
                continue
        kind = type(default)
        if kind not in TYPES:
            got = "null" if default is None else type(default).__name__
            problems.append(
                ParamProblem(
                    path,
                    f"parameter `{name}`: the default must be an int, float, bool or string"
                    f" (got {got})",
                )
            )
            continue
        params[name] = Param(name, default, kind, domain)
    return params, problems


def _name_problem(name: object, spelled: dict[str, str]) -> str | None:
    """Why ``name`` can't name a parameter, or None; ``spelled`` (NFKC form -> the spelling
    declared) gains the name once no other parameter has taken its Python name."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        return f"parameter name {name!r} is not a Python identifier"
    if normal(name) in spelled:
        return (
            f"parameter name `{name}` is the same Python name as"
            f" `{spelled[normal(name)]}` (Python reads identifiers NFKC-normalized):"
            " rename one"
        )
    spelled[normal(name)] = name
    if normal(name) in RESERVED:
        return f"parameter name `{name}` is reserved (the generated file uses it): choose another"
    if name.startswith("_"):
        return (
            f"parameter name `{name}` starts with `_`: __init__ arguments are public;"
            f" choose another, e.g. `{name.lstrip('_') or 'value'}`"
        )
    return None


def analyze(data: Mapping, schema: Mapping | None = None) -> Analysis:
    """Every ``${...}`` in the spec, parsed and checked: unknown names (with "did you mean"),
    disallowed syntax, ``${`` where no parameter may stand, type clashes with the schema's
    argument types (a float where torch wants an int), and unused parameters (warnings).

    A spec without ``params:`` is TorchArc's: its strings are data, and only a value that is
    a whole ``${...}`` where a parameter may stand is taken for a parameter (an error: none is
    declared)."""
    declared = "params" in data
    params, problems = collect_params(data)
    raw = data.get("params")
    # names whose declaration was refused: an error already, not "unknown" where used
    refused = {n: None for n in raw if n not in params} if isinstance(raw, Mapping) else {}
    types = {p.name: p.type for p in params.values()}
    refs: list[Ref] = []
    used: set[str] = set()
    allowed: set[tuple] = set()
    index = {INDEX: Param(INDEX, 0, int)}  # a repeat entry's copy index, in its `module`
    for path, value, kind, cls, arg, nested in value_slots(data):
        allowed.add(path)
        if not isinstance(value, str) or "${" not in value:
            continue
        if not declared and WHOLE.match(value) is None:
            continue
        scope = {**params, **refused, **(index if kind == "indexed" else {})}
        ref, problem = _parse_ref(value, path, kind, cls, arg, nested, scope)
        if ref is not None and any(n in refused for n in ref.expr.names):
            continue
        if problem is not None:
            problems.append(problem)
            # names in a reference that has an error count as used: no second message
            used.update(n for n in re.findall(r"[A-Za-z_]\w*", value) if n in params)
            continue
        used.update(ref.expr.names)
        try:
            ref.expr.type({**types, **({INDEX: int} if kind == "indexed" else {})})
        except ExprError as e:
            problems.append(ParamProblem(path, e.message, ref.offset + ref.expr.lead + e.offset))
            continue
        clash = _type_clash(ref, types, schema)
        if clash is not None:
            problems.append(ParamProblem(path, clash, ref.offset))
            continue
        refs.append(ref)
    if declared:
        problems += _misplaced(data, allowed)
    problems += _unused(params, used)
    return Analysis(params, refs, problems)


def check(source, schema: Mapping | None = None) -> tuple[Analysis, list, list]:
    """:func:`analyze` a loaded spec (load.Source): (analysis, errors, warnings), the problems
    as located errors.Problem values, ready for SpecError and the warning lines."""
    analysis = analyze(source.data, schema)
    errors = [p.located(source) for p in analysis.errors]
    warnings = [p.located(source) for p in analysis.warnings]
    return analysis, errors, warnings


def _misplaced(data: Mapping, allowed: set[tuple]) -> list[ParamProblem]:
    """A ``${`` in a string outside the places a parameter may stand (``allowed``)."""
    return [
        ParamProblem(
            path,
            "a ${...} can stand only for a module's argument value, a compact-form"
            " value or an example-input shape entry",
            value.index("${"),
            at_key=path[-1] == value,
        )
        for path, value in _strings(data, ())
        if path not in allowed and "${" in value and path[:1] not in (("params",), ("blocks",))
    ]


def _unused(params: Mapping[str, Param], used: set[str]) -> list[ParamProblem]:
    return [
        ParamProblem(
            ("params", name),
            f"parameter `{name}` is declared but never used: remove it or use ${{{name}}}",
            warning=True,
        )
        for name in params
        if name not in used
    ]


def _type_clash(ref: Ref, types: Mapping[str, type], schema: Mapping | None) -> str | None:
    if ref.kind == "indexed":
        types = {**types, INDEX: int}
    t = ref.expr.type(types)
    shown = f"${{{ref.expr.text}}}"
    if ref.cls is None and ref.arg == "repeat":
        return None if t is int else f"{shown} is {a_type(t)}: a repeat count must be an int"
    if ref.kind == "shape":
        if t is not int:
            return f"{shown} is {a_type(t)}: a shape entry must be an int"
        return None
    wanted = refused(t, schema, ref.cls, ref.arg, ref.nested)
    if wanted is None:
        return None
    why = " (`/` always gives a float: use `//`)" if t is float and "/" in ref.expr.text else ""
    return f"{shown} is {a_type(t)}{why}, but {ref.cls}.{ref.arg} takes {wanted}"


def _parse_ref(value, path, kind, cls, arg, nested, params) -> tuple[Ref | None, ParamProblem]:
    whole = WHOLE.match(value)
    if whole is None:
        start = value.index("${")
        if REF.search(value) is None:
            return None, ParamProblem(path, "unterminated ${: close it with }", start)
        return None, ParamProblem(
            path,
            f"a ${{...}} must be the whole value, not part of a string ({value!r}): write"
            " the value as one ${...}",
            start,
        )
    try:
        expr = parse(whole.group(1), params)
    except ExprError as e:
        return None, ParamProblem(path, e.message, 2 + e.offset)
    return Ref(path, expr, 2, kind, cls, arg, nested), None


def _strings(value: object, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str) and "${" in k:
                yield path + (k,), k
            yield from _strings(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, path + (i,))


def value_slots(data: Mapping) -> Iterator[tuple]:
    """(path, value, kind, class, argument, nested) for every place a ${...} may stand: kind
    "argument", "compact", "shape", or "repeat" (a repeat entry's count); "indexed" arguments
    are inside a repeat entry, where ``${i}`` is the copy's index too. A block's places are
    its own (the block is a spec of its own: ``value_slots(data["blocks"][name])``)."""
    modules = data.get("modules")
    if isinstance(modules, Mapping):
        for name, spec in modules.items():
            yield from _module_slots(spec, ("modules", name))
    graph = data.get("graph")
    inputs = graph.get("input") if isinstance(graph, Mapping) else None
    if isinstance(inputs, Mapping):
        for name, ex in inputs.items():
            shape = ex.get("shape") if isinstance(ex, Mapping) else None
            if isinstance(shape, list):
                for i, v in enumerate(shape):
                    yield ("graph", "input", name, "shape", i), v, "shape", None, None, False


def _module_slots(spec: object, path: tuple) -> Iterator[tuple]:
    for place in written(spec, path):
        if place.what == "repeat":
            value = place.value.get("repeat")
            kind = "indexed" if place.in_repeat else "repeat"
            yield place.path + ("repeat",), value, kind, None, "repeat", False
        elif place.what == "layer" and isinstance(place.kwargs, Mapping):
            kind = "indexed" if place.in_repeat else "argument"
            for arg, v in place.kwargs.items():
                yield from _arg_slots(v, place.path + (arg,), kind, place.cls, arg, False)
    if not isinstance(spec, Mapping) or len(spec) != 1:
        return
    ((key, body),) = spec.items()
    if key == "compact" and isinstance(body, Mapping):
        layer = body.get("layer")
        if isinstance(layer, Mapping) and isinstance(layer.get("args"), list):
            cls = layer.get("type")
            keys = layer.get("keys") if isinstance(layer.get("keys"), list) else []
            for i, row in enumerate(layer["args"]):
                rpath = path + (key, "layer", "args", i)
                if isinstance(row, list):
                    for j, v in enumerate(row):
                        arg = keys[j] if j < len(keys) else None
                        yield from _arg_slots(v, rpath + (j,), "compact", cls, arg, False)
                else:
                    arg = keys[0] if keys else None
                    yield from _arg_slots(row, rpath, "compact", cls, arg, False)


def _arg_slots(value, path, kind, cls, arg, nested) -> Iterator[tuple]:
    yield path, value, kind, cls, arg, nested
    items = (
        value.items()
        if isinstance(value, Mapping)
        else enumerate(value) if isinstance(value, list) else ()
    )
    for k, v in items:
        yield from _arg_slots(v, path + (k,), kind, cls, arg, True)
