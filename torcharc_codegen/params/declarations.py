"""Spec parameters: the ``params:`` mapping and the ``${...}`` expressions that use it.

A ``${...}`` is a parameter reference only when it is the WHOLE string value (``"${hidden * 4}"``):
the value then becomes a number (or the bool/str of a bare name). A ``${`` anywhere else inside a
longer string is an error, because the generated ``__init__`` writes each value as one Python
expression, and string building is not part of the language.

Places a ``${...}`` may stand (anywhere else is an error):
- an argument value of a module (also an item nested in a list or mapping argument),
- a value in a compact form's ``layer.args`` rows,
- an entry of an example input's ``shape``.

Inside ``${...}``: parameter names, int and float literals, ``+ - * // / %``, unary minus and
parentheses. It is parsed with :mod:`ast` and every node is checked against that whitelist; ints
stay ints (``//`` and ``%`` on ints give ints, ``/`` always gives a float).

Problems are :class:`ParamProblem` values: a key path into the spec, a message, and the offset
(0-based) inside the string value where the problem is, so the caller can point at the column.
"""

from __future__ import annotations

import ast
import copy
import difflib
import keyword
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..errors import Problem
from ..names import FILE_BUILTINS, GENERATED_NAMES, normal

# `${` then anything up to the first `}`; an unterminated one is caught separately.
_REF = re.compile(r"\$\{([^}]*)\}")
_WHOLE = re.compile(r"\A\$\{([^}]*)\}\Z")

# Names a parameter can't take: the generated file uses them (``super().__init__()``,
# ``float(rate)``), as Python reads them (NFKC-normalized).
RESERVED = frozenset(normal(n) for n in GENERATED_NAMES | FILE_BUILTINS)

# Longer ${...} bodies are refused: real ones are short, and ast and these functions recurse.
MAX_EXPRESSION = 500

_OPS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.FloorDiv: "//",
    ast.Div: "/",
    ast.Mod: "%",
}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2}
_UNARY = 3
_ATOM = 4

_ALLOWED = "use parameter names, int or float numbers, + - * // / %, and parentheses"

_TYPES = {bool: "bool", int: "int", float: "float", str: "str"}


def _a(t: type) -> str:
    """ "an int", "a float", "a bool", "a str"."""
    name = _TYPES.get(t, t.__name__)
    return ("an " if name[0] in "aeiou" else "a ") + name


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
        if self.offset is None or problem.line is None or self.path not in table:
            return problem
        column = problem.column + self.offset
        if source.text is not None:
            line = source.text.splitlines()[problem.line - 1]
            if line[problem.column - 1 : problem.column] in ("'", '"'):
                column += 1
        return Problem(problem.path, problem.message, problem.line, column)


class ExprError(ValueError):
    """A ``${...}`` that is not in the language; ``offset`` is 0-based in the expression text."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


# --- the expression language -------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    """A parsed, whitelisted ``${...}`` body."""

    text: str  # as written between the braces, without surrounding spaces
    tree: ast.expr  # node positions are offsets into `text`
    lead: int = 0  # spaces before `text` inside the braces

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names used, in order of first use."""
        return tuple(
            dict.fromkeys(n.id for n in _walk_in_order(self.tree) if isinstance(n, ast.Name))
        )

    def evaluate(self, values: Mapping[str, object]) -> object:
        return _evaluate(self.tree, values)

    def source(self) -> str:
        """Python source for the generated ``__init__``: minimal parentheses, one space around
        each binary operator."""
        return render(self.tree)

    def type(self, types: Mapping[str, type]) -> type:
        """The static type of the value: int, float, bool or str (``types``: param -> type)."""
        return _static_type(self.tree, types)


def parse(
    text: str, names: Mapping[str, object] | None = None, limit: int | None = MAX_EXPRESSION
) -> Expr:
    """Parse the body of one ``${...}``. With ``names`` (the declared params), an unknown name
    is an error with a "did you mean". ``limit``: the longest body taken (None: any; for
    expressions this package wrote)."""
    stripped = text.strip()
    if not stripped:
        raise ExprError("empty ${}: write a parameter name or an expression, e.g. ${hidden}", 0)
    lead = len(text) - len(text.lstrip())
    if limit is not None and len(stripped) > limit:
        raise ExprError(
            f"a ${{...}} is at most {limit} characters (this one has {len(stripped)}):"
            " write a shorter expression",
            lead,
        )
    try:
        tree = ast.parse(stripped, mode="eval").body
    except (RecursionError, MemoryError):
        raise ExprError("the expression in ${...} is nested too deeply", lead) from None
    except SyntaxError as e:
        offset = lead + max((e.offset or 1) - 1, 0)
        raise ExprError(f"invalid expression in ${{...}}: {e.msg}; {_ALLOWED}", offset) from None
    _check(tree, lead)
    if names is not None:
        for node in _walk_in_order(tree):
            if isinstance(node, ast.Name) and node.id not in names:
                raise ExprError(_unknown(node.id, names), lead + node.col_offset)
    return Expr(stripped, tree, lead)


def _unknown(name: str, names: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.7)
    hint = f": did you mean `{close[0]}`?" if close else ""
    if not names:
        return (
            f"unknown parameter `{name}`: declare it under `params:` with its default"
            f" (`params: {{{name}: ...}}`)"
        )
    declared = ", ".join(f"`{n}`" for n in names)
    return f"unknown parameter `{name}`{hint} (declared under `params:`: {declared})"


def _check(node: ast.AST, lead: int) -> None:
    if isinstance(node, ast.Name):
        return
    if isinstance(node, ast.Constant):
        if type(node.value) in (int, float):
            return
        what = {str: "a string", bool: "a bool", type(None): "None"}.get(
            type(node.value), f"the constant {node.value!r}"
        )
        raise ExprError(_not_allowed(what), lead + node.col_offset)
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPS:
            op = _op_text(node)
            raise ExprError(_not_allowed(f"`{op}`"), lead + node.col_offset)
        _check(node.left, lead)
        _check(node.right, lead)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub):
            sym = {ast.UAdd: "unary `+`", ast.Not: "`not`", ast.Invert: "`~`"}[type(node.op)]
            raise ExprError(_not_allowed(sym), lead + node.col_offset)
        _check(node.operand, lead)
        return
    raise ExprError(_not_allowed(_describe(node)), lead + node.col_offset)


def _not_allowed(what: str) -> str:
    return f"{what} is not allowed in ${{...}}: {_ALLOWED}"


def _op_text(node: ast.BinOp) -> str:
    return {
        ast.Pow: "**",
        ast.MatMult: "@",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.BitOr: "|",
        ast.BitAnd: "&",
        ast.BitXor: "^",
    }.get(type(node.op), type(node.op).__name__)


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Call: "a function call",
        ast.Attribute: "an attribute",
        ast.Subscript: "indexing",
        ast.Compare: "a comparison",
        ast.BoolOp: "`and`/`or`",
        ast.IfExp: "a conditional expression",
        ast.Lambda: "a lambda",
        ast.List: "a list",
        ast.Tuple: "a tuple",
        ast.Dict: "a dict",
        ast.Set: "a set",
        ast.JoinedStr: "an f-string",
        ast.NamedExpr: "`:=`",
    }
    kind = kinds.get(type(node), type(node).__name__)
    return f"{kind} (`{ast.unparse(node)}`)"


def _walk_in_order(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes in source order (ast.walk is breadth-first)."""
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _walk_in_order(child)


def _evaluate(node: ast.expr, values: Mapping[str, object]) -> object:
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        return -_evaluate(node.operand, values)
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    op = _OPS[type(node.op)]
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left / right
    if op == "//":
        return left // right
    return left % right


def _static_type(node: ast.expr, types: Mapping[str, type]) -> type:
    if isinstance(node, ast.Name):
        return types[node.id]
    if isinstance(node, ast.Constant):
        return type(node.value)
    if isinstance(node, ast.UnaryOp):
        return _number(_static_type(node.operand, types), node, types)
    left = _number(_static_type(node.left, types), node.left, types)
    right = _number(_static_type(node.right, types), node.right, types)
    if isinstance(node.op, ast.Div) or float in (left, right):
        return float
    return int


def _number(t: type, node: ast.expr, types: Mapping[str, type]) -> type:
    if t in (int, float):
        return t
    name = node.id if isinstance(node, ast.Name) else ast.unparse(node)
    raise ExprError(
        f"`{name}` is {_a(t)} parameter: only int and float parameters" " take part in arithmetic",
        getattr(node, "col_offset", 0),
    )


def render(node: ast.expr) -> str:
    """Python source for an expression tree of names, numbers, + - * // / % and unary minus,
    with only the parentheses Python needs (deterministic)."""
    text, _ = _render(node)
    return text


def _render(node: ast.expr) -> tuple[str, int]:
    if isinstance(node, ast.Name):
        return node.id, _ATOM
    if isinstance(node, ast.Constant):
        text = repr(node.value)
        return (text, _UNARY) if node.value < 0 else (text, _ATOM)
    if isinstance(node, ast.UnaryOp):
        inner, prec = _render(node.operand)
        return "-" + (inner if prec >= _UNARY else f"({inner})"), _UNARY
    op = _OPS[type(node.op)]
    prec = _PRECEDENCE[op]
    left, lp = _render(node.left)
    right, rp = _render(node.right)
    if lp < prec:
        left = f"({left})"
    # Equal precedence on the right keeps its parentheses: a - (b - c) needs them, and
    # a + (b + c) keeps the user's order of float operations (bit-exact with `resolve`).
    if rp <= prec:
        right = f"({right})"
    return f"{left} {op} {right}", prec


# --- params: and the places that use them --------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """Where a parameter may range in a search: a range ``[low, high]`` (with ``step`` a grid
    from ``low``; ``log``: sampled on a log scale) or a list of ``choices``."""

    low: int | float | None = None
    high: int | float | None = None
    step: int | float | None = None
    log: bool = False
    choices: tuple | None = None

    def __contains__(self, value: object) -> bool:
        if self.choices is not None:
            return value in self.choices and type(value) in {type(c) for c in self.choices}
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not self.low <= value <= self.high:
            return False
        return self.step is None or _on_grid(value - self.low, self.step)

    def points(self) -> list:
        """Values to try the model at: every choice; else the range's corners and a few
        interior points (on the grid, the default's type)."""
        if self.choices is not None:
            return list(self.choices)
        low, high = self.low, self.high
        if isinstance(low, int) and isinstance(high, int):
            step = self.step or 1
            n = (high - low) // step
            out = [low + step * (n * k // 4) for k in range(5)]
        else:
            out = [low + (high - low) * k / 4 for k in range(5)]
            if self.step is not None:
                out = [low + self.step * round((v - low) / self.step) for v in out]
        return list(dict.fromkeys(out))


def describe(domain: Domain) -> str:
    """``64..1024, log scale``, ``1..7, step 2``, ``one of 32, 64, 128``: for docstrings, help
    and messages."""
    if domain.choices is not None:
        return "one of " + ", ".join(map(repr, domain.choices))
    text = f"{domain.low!r}..{domain.high!r}"
    if domain.step is not None:
        text += f", step {domain.step!r}"
    return text + (", log scale" if domain.log else "")


def _on_grid(distance: float, step: float) -> bool:
    """``distance`` is a whole number of ``step``s (to float rounding, for float grids)."""
    if isinstance(distance, int) and isinstance(step, int):
        return distance % step == 0
    n = round(distance / step)
    return math.isclose(n * step, distance, rel_tol=1e-9, abs_tol=1e-12)


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
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            problems.append(
                ParamProblem(
                    path, f"parameter name {name!r} is not a Python identifier", at_key=True
                )
            )
            continue
        if normal(name) in spelled:
            problems.append(
                ParamProblem(
                    path,
                    f"parameter name `{name}` is the same Python name as"
                    f" `{spelled[normal(name)]}` (Python reads identifiers NFKC-normalized):"
                    " rename one",
                    at_key=True,
                )
            )
            continue
        spelled[normal(name)] = name
        if normal(name) in RESERVED:
            problems.append(
                ParamProblem(
                    path,
                    f"parameter name `{name}` is reserved (the generated file uses it):"
                    " choose another",
                    at_key=True,
                )
            )
            continue
        if name.startswith("_"):
            problems.append(
                ParamProblem(
                    path,
                    f"parameter name `{name}` starts with `_`: __init__ arguments are public;"
                    f" choose another, e.g. `{name.lstrip('_') or 'value'}`",
                    at_key=True,
                )
            )
            continue
        domain = None
        if isinstance(default, Mapping):
            default, domain, problem = _domain(path, name, default)
            if problem is not None:
                problems.append(problem)
                continue
        kind = type(default)
        if kind not in _TYPES:
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


_DOMAIN_KEYS = ("default", "low", "high", "step", "log", "choices")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _domain(path: tuple, name: str, raw: Mapping):
    """(default, Domain, None) for ``{default: 256, low: 64, high: 1024, log: true}`` or
    ``{default: 64, choices: [32, 64, 128]}``; (None, None, ParamProblem) when it is wrong."""

    def bad(message: str, key: str | None = None):
        where = path + (key,) if key is not None and key in raw else path
        return None, None, ParamProblem(where, f"parameter `{name}`: {message}")

    for key in raw:
        if key not in _DOMAIN_KEYS:
            close = difflib.get_close_matches(str(key), _DOMAIN_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            keys = ", ".join(_DOMAIN_KEYS)
            return bad(f"unknown key `{key}`{hint}: a domain takes {keys}", key)
    if "default" not in raw:
        return bad("a domain needs its `default`, e.g. `{default: 256, low: 64, high: 1024}`")
    default = raw["default"]
    kind = type(default)
    if kind not in _TYPES:
        return bad("the default must be an int, float, bool or string", "default")
    if "choices" in raw:
        extra = [k for k in ("low", "high", "step", "log") if k in raw]
        if extra:
            return bad(f"`choices` and `{extra[0]}` can't be combined: give one or the other")
        choices = raw["choices"]
        if not isinstance(choices, list) or not choices:
            return bad("`choices` must be a non-empty list of values", "choices")
        out = []
        for c in choices:
            if kind is float and type(c) is int:
                c = float(c)
            if type(c) is not kind:
                return bad(
                    f"every choice must be {_a(kind)} like the default (got {c!r})", "choices"
                )
            out.append(c)
        if len(set(out)) != len(out):
            return bad("`choices` lists a value twice", "choices")
        if default not in out:
            return bad(f"the default {default!r} is not one of the choices {out!r}", "default")
        return default, Domain(choices=tuple(out)), None
    if kind not in (int, float):
        return bad(f"{_a(kind)} parameter ranges over `choices`, e.g. `choices: [true, false]`")
    for key in ("low", "high"):
        if key not in raw:
            return bad("a range needs `low` and `high` (or give `choices`)")
        if not _is_number(raw[key]) or (kind is int and type(raw[key]) is not int):
            return bad(f"`{key}` must be {_a(kind)} like the default", key)
    low, high = raw["low"], raw["high"]
    if kind is float:
        low, high = float(low), float(high)
    if not low < high:
        return bad(f"`low` ({low!r}) must be below `high` ({high!r})", "low")
    log = raw.get("log", False)
    if type(log) is not bool:
        return bad("`log` is true or false", "log")
    step = raw.get("step")
    if step is not None:
        if not _is_number(step) or (kind is int and type(step) is not int) or step <= 0:
            return bad(f"`step` must be a positive {'int' if kind is int else 'number'}", "step")
        if not _on_grid(high - low, step):
            return bad(
                f"`step` {step!r} doesn't divide the range {low!r}..{high!r}: choose a `high`"
                f" that is `low` plus a whole number of steps",
                "step",
            )
    if log:
        if low <= 0:
            return bad("`log: true` needs `low` > 0", "low")
        if step is not None and (kind is float or step != 1):
            return bad(
                "`log: true` samples every value of the range: no `step`"
                + (" other than 1" if kind is int else ""),
                "step",
            )
    domain = Domain(low, high, step, log)
    if default not in domain:
        where = f"on the grid {low!r}, {low + step!r}, ... up to" if step else "within"
        return bad(f"the default {default!r} is not {where} {low!r}..{high!r}", "default")
    return default, domain, None


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
    for path, value, kind, cls, arg, nested in _value_slots(data):
        allowed.add(path)
        if not isinstance(value, str) or "${" not in value:
            continue
        if not declared and _WHOLE.match(value) is None:
            continue
        ref, problem = _parse_ref(value, path, kind, cls, arg, nested, {**params, **refused})
        if ref is not None and any(n in refused for n in ref.expr.names):
            continue
        if problem is not None:
            problems.append(problem)
            # names in a reference that has an error count as used: no second message
            used.update(n for n in re.findall(r"[A-Za-z_]\w*", value) if n in params)
            continue
        used.update(ref.expr.names)
        try:
            ref.expr.type(types)
        except ExprError as e:
            problems.append(ParamProblem(path, e.message, ref.offset + ref.expr.lead + e.offset))
            continue
        clash = _type_clash(ref, types, schema)
        if clash is not None:
            problems.append(ParamProblem(path, clash, ref.offset))
            continue
        refs.append(ref)
    for path, value in _strings(data, ()) if declared else ():
        if path not in allowed and "${" in value and path[:1] != ("params",):
            problems.append(
                ParamProblem(
                    path,
                    "a ${...} can stand only for a module's argument value, a compact-form"
                    " value or an example-input shape entry",
                    value.index("${"),
                    at_key=path[-1] == value,
                )
            )
    for name in params:
        if name not in used:
            problems.append(
                ParamProblem(
                    ("params", name),
                    f"parameter `{name}` is declared but never used: remove it or use"
                    f" ${{{name}}}",
                    warning=True,
                )
            )
    return Analysis(params, refs, problems)


def check(source, schema: Mapping | None = None) -> tuple[Analysis, list, list]:
    """:func:`analyze` a loaded spec (load.Source): (analysis, errors, warnings), the problems
    as located errors.Problem values, ready for SpecError and the warning lines."""
    analysis = analyze(source.data, schema)
    errors = [p.located(source) for p in analysis.errors]
    warnings = [p.located(source) for p in analysis.warnings]
    return analysis, errors, warnings


def _parse_ref(value, path, kind, cls, arg, nested, params) -> tuple[Ref | None, ParamProblem]:
    whole = _WHOLE.match(value)
    if whole is None:
        start = value.index("${")
        if _REF.search(value) is None:
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


def _value_slots(data: Mapping) -> Iterator[tuple]:
    """(path, value, kind, class, argument, nested) for every place a ${...} may stand."""
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
    if not isinstance(spec, Mapping) or len(spec) != 1:
        return
    ((key, body),) = spec.items()
    if key == "Sequential" and isinstance(body, list):
        for i, item in enumerate(body):
            yield from _layer_slots(item, path + (key, i))
    elif key == "compact" and isinstance(body, Mapping):
        for part in ("prelayer", "postlayer"):
            for i, item in enumerate(body.get(part) or []):
                yield from _layer_slots(item, path + (key, part, i))
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
    else:
        yield from _layer_slots(spec, path)


def _layer_slots(spec: object, path: tuple) -> Iterator[tuple]:
    if not isinstance(spec, Mapping) or len(spec) != 1:
        return
    ((cls, kwargs),) = spec.items()
    if isinstance(kwargs, Mapping):
        for arg, v in kwargs.items():
            yield from _arg_slots(v, path + (cls, arg), "argument", cls, arg, False)


def _arg_slots(value, path, kind, cls, arg, nested) -> Iterator[tuple]:
    yield path, value, kind, cls, arg, nested
    items = (
        value.items()
        if isinstance(value, Mapping)
        else enumerate(value) if isinstance(value, list) else ()
    )
    for k, v in items:
        yield from _arg_slots(v, path + (k,), kind, cls, arg, True)


# --- what a parameter is for: its comment in the spec ------------------------------------


def descriptions(source) -> dict[str, str]:
    """name -> the comment the spec gives a parameter: the one after its value on its line, or
    else the comment lines right above its key, at its indentation. The generated docstring
    shows it (and so do help texts that read docstrings: jsonargparse, LightningCLI)."""
    raw = source.data.get("params") if isinstance(source.data, Mapping) else None
    if source.text is None or not isinstance(raw, Mapping):
        return {}
    lines = source.text.splitlines()
    where = {n: source.keys.get(("params", n)) for n in raw}
    rows = [w[0] for w in where.values() if w is not None]
    out = {}
    for name, at in where.items():
        if at is None or not 1 <= at[0] <= len(lines):
            continue
        line, column = at
        text = _trailing_comment(lines[line - 1], column - 1) if rows.count(line) == 1 else None
        if text is None:
            above = []
            row = line - 2
            while row >= 0 and lines[row].startswith(" " * (column - 1) + "#"):
                above.insert(0, lines[row].strip()[1:].strip())
                row -= 1
            text = " ".join(above)
        if text:
            out[name] = text
    return out


def _trailing_comment(line: str, start: int) -> str | None:
    """The text of a `# comment` after ``start`` on ``line`` (not inside quotes), if any."""
    quote = None
    for i in range(start, len(line)):
        c = line[i]
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and line[i - 1] in " \t":
            return line[i + 1 :].strip() or None
    return None


# --- type clashes against the published schema ---------------------------------------------

_JSON = {int: "integer", float: "number", bool: "boolean", str: "string"}


def _type_clash(ref: Ref, types: Mapping[str, type], schema: Mapping | None) -> str | None:
    t = ref.expr.type(types)
    shown = f"${{{ref.expr.text}}}"
    if ref.kind == "shape":
        if t is not int:
            return f"{shown} is {_a(t)}: a shape entry must be an int"
        return None
    accepted = _accepted_types(schema, ref.cls, ref.arg, ref.nested)
    if not accepted:
        return None
    want = _JSON[t]
    ok = want in accepted or (want == "integer" and "number" in accepted)
    if ok:
        return None
    wanted = " or ".join(sorted({_PLAIN[a] for a in accepted if a in _PLAIN}))
    why = " (`/` always gives a float: use `//`)" if t is float and "/" in ref.expr.text else ""
    return f"{shown} is {_a(t)}{why}, but {ref.cls}.{ref.arg} takes {wanted}"


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


# --- resolving: a plain TorchArc spec for given values -------------------------------------


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
            raise ParamValueError(_unknown(name, params))
        want = params[name].type
        if want is float and type(value) is int:
            value = float(value)
        if type(value) is not want:
            raise ParamValueError(f"parameter `{name}` is {_a(want)}: got {value!r}")
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
            raise ParamValueError(_unknown(name, params))
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
            f"parameter `{name}` is {_a(want)}: can't read {text!r} as one"
            + (": write true or false" if want is bool else "")
        ) from None


def resolve(data: Mapping, values: Mapping[str, object] | None = None) -> dict:
    """The plain TorchArc spec: every ``${...}`` replaced by its value (the defaults, overridden
    by ``values``), ``params`` removed, example inputs turned into the list of input names.

    The spec must have passed :func:`analyze` without errors."""
    params, problems = collect_params(data)
    if problems:
        raise ParamValueError(problems[0].message)
    out = substitute(data, params, values_for(params, values))
    graph = out.get("graph")
    if isinstance(graph, dict) and isinstance(graph.get("input"), Mapping):
        graph["input"] = list(graph["input"])
    return out


def substitute(data: Mapping, params: Mapping[str, Param], values: Mapping[str, object]) -> dict:
    """A copy of ``data`` without ``params`` and with each ``${...}`` evaluated for ``values``
    (any objects with Python arithmetic: numbers, or torch SymInts for the symbolic probe)."""
    out = {k: copy.deepcopy(v) for k, v in data.items() if k != "params"}
    for path, *_ in list(_value_slots(out)):
        holder, key = _holder(out, path)
        value = holder[key]
        if isinstance(value, str):
            whole = _WHOLE.match(value)
            if whole is not None:
                try:
                    holder[key] = parse(whole.group(1), params).evaluate(values)
                except ZeroDivisionError:
                    shown = ", ".join(f"{n}={values[n]!r}" for n in params)
                    raise ParamValueError(f"{value} divides by zero for {shown}", path) from None
    return out


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
            ref = _REF.match(row, match.start())
            shown = ref.group(0) if ref else "${...}"
            return (
                f"in YAML flow style ({{...}} or [...]) a ${{...}} value must be quoted:"
                f' write "{shown}"'
            )
    return None
