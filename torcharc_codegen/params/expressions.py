"""The ``${...}`` language: what a parameter reference may say, parsed, checked, evaluated,
typed and written back as Python.

A ``${...}`` is a parameter reference only when it is the WHOLE string value (``"${hidden * 4}"``):
the value then becomes a number (or the bool/str of a bare name). A ``${`` anywhere else inside a
longer string is an error, because the generated ``__init__`` writes each value as one Python
expression, and string building is not part of the language.

Inside ``${...}``: parameter names, int and float literals, ``+ - * // / %``, unary minus and
parentheses. It is parsed with :mod:`ast` and every node is checked against that whitelist; ints
stay ints (``//`` and ``%`` on ints give ints, ``/`` always gives a float).
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# `${` then anything up to the first `}`; an unterminated one is caught separately.
REF = re.compile(r"\$\{([^}]*)\}")
WHOLE = re.compile(r"\A\$\{([^}]*)\}\Z")

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

# The types a parameter takes, by the name messages give them.
TYPES = {bool: "bool", int: "int", float: "float", str: "str"}


def a_type(t: type) -> str:
    """ "an int", "a float", "a bool", "a str"."""
    name = TYPES.get(t, t.__name__)
    return ("an " if name[0] in "aeiou" else "a ") + name


class ExprError(ValueError):
    """A ``${...}`` that is not in the language; ``offset`` is 0-based in the expression text."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


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
                raise ExprError(unknown_name(node.id, names), lead + node.col_offset)
    return Expr(stripped, tree, lead)


def unknown_name(name: str, names: Mapping[str, object]) -> str:
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
        f"`{name}` is {a_type(t)} parameter: only int and float parameters"
        " take part in arithmetic",
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
