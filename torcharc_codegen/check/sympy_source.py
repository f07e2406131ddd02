"""sympy expressions (the ShapeEnv's sizes and guards) written as Python source in the spec's
parameter names, with the ``${...}`` language's operators only (``+ - * // %``)."""

from __future__ import annotations

import ast

from ..params.expressions import render


class NotExpressible(ValueError):
    """A sympy expression the ``${...}`` language can't write."""


def zero_or_one(expr):
    """The size in a guard ``Eq(size, 0)`` or ``Eq(size, 1)`` (torch's size specialization;
    ``Eq(a % b, 0)``, a divisibility, is not one), else None."""
    import sympy
    from torch.utils._sympy import functions as F

    if not isinstance(expr, sympy.Eq) or expr.rhs not in (0, 1):
        return None
    mods = (F.Mod, getattr(F, "PythonMod", F.Mod), sympy.Mod)
    return None if isinstance(expr.lhs, mods) else expr.lhs


def is_number(value: object) -> bool:
    import sympy

    return isinstance(value, (int, float)) or (isinstance(value, sympy.Basic) and value.is_number)


def to_source(expr, symbols: dict) -> str:
    """``expr`` as Python; ``symbols``: sympy symbol -> parameter name."""
    return render(_to_ast(expr, symbols))


def relation_source(expr, symbols: dict) -> str:
    """A guard (``Eq``, ``Ge``, ...) as Python: ``length >= 5``."""
    import sympy

    ops = {
        sympy.Eq: "==",
        sympy.Ne: "!=",
        sympy.Ge: ">=",
        sympy.Gt: ">",
        sympy.Le: "<=",
        sympy.Lt: "<",
    }
    for kind, op in ops.items():
        if isinstance(expr, kind):
            left, right = expr.args
            return f"{to_source(left, symbols)} {op} {to_source(right, symbols)}"
    raise NotExpressible(type(expr).__name__)


def _to_ast(expr, symbols: dict) -> ast.expr:
    import sympy
    from torch.utils._sympy import functions as F

    if isinstance(expr, sympy.Integer) or (isinstance(expr, int) and not isinstance(expr, bool)):
        value = int(expr)
        node = ast.Constant(abs(value))
        return ast.UnaryOp(ast.USub(), node) if value < 0 else node
    if isinstance(expr, sympy.Symbol):
        if expr not in symbols:
            raise NotExpressible(f"`{expr}` is not a parameter")
        return ast.Name(symbols[expr])
    if isinstance(expr, sympy.Add):
        return _sum(expr, symbols)
    if isinstance(expr, sympy.Mul):
        return _product(expr, symbols)
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and int(expr.exp) >= 2:
        base = _to_ast(expr.base, symbols)
        node = base
        for _ in range(int(expr.exp) - 1):
            node = ast.BinOp(node, ast.Mult(), base)
        return node
    binary = {F.FloorDiv: ast.FloorDiv, F.CleanDiv: ast.FloorDiv, F.Mod: ast.Mod}
    binary[getattr(F, "PythonMod", F.Mod)] = ast.Mod
    for kind, op in binary.items():
        if isinstance(expr, kind):
            left, right = expr.args
            return ast.BinOp(_to_ast(left, symbols), op(), _to_ast(right, symbols))
    raise NotExpressible(f"{type(expr).__name__} is not + - * // %")


def _sum(expr, symbols: dict) -> ast.expr:
    import sympy

    constant, rest = expr.as_coeff_Add()
    terms = list(sympy.Add.make_args(rest))
    terms.sort(key=lambda t: (sympy.default_sort_key(t.as_coeff_Mul()[1]),))
    # added terms first, then subtracted ones: `19 - k`, not `-k + 19`
    added = [t for t in terms if t.as_coeff_Mul()[0] > 0] + ([constant] if constant > 0 else [])
    subtracted = [t for t in terms if t.as_coeff_Mul()[0] < 0]
    terms = added + subtracted + ([constant] if constant < 0 else [])
    node = None
    for term in terms:
        coeff, _ = term.as_coeff_Mul()
        negative = coeff < 0
        part = _to_ast(-term if negative else term, symbols)
        if node is None:
            node = ast.UnaryOp(ast.USub(), part) if negative else part
        else:
            node = ast.BinOp(node, ast.Sub() if negative else ast.Add(), part)
    return node


def _product(expr, symbols: dict) -> ast.expr:
    import sympy

    coeff, rest = expr.as_coeff_Mul()
    if not coeff.is_Integer:
        raise NotExpressible(f"the coefficient {coeff} is not an integer")
    factors = sorted(sympy.Mul.make_args(rest), key=sympy.default_sort_key)
    node = None
    for f in factors:
        part = _to_ast(f, symbols)
        node = part if node is None else ast.BinOp(node, ast.Mult(), part)
    if coeff == -1:
        return ast.UnaryOp(ast.USub(), node)
    if coeff != 1:
        node = ast.BinOp(node, ast.Mult(), _to_ast(coeff, symbols))
    return node
