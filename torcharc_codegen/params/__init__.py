"""Parametrized specs: the ${...} language, declarations, search domains, resolution, families."""

# The public names, for `from torcharc_codegen import params`; the package's own modules
# import from the module that defines each one.
from .declarations import Analysis, Param, ParamProblem, analyze, check, collect_params
from .descriptions import descriptions
from .domains import Domain, describe
from .expressions import Expr, ExprError, parse, render
from .resolution import (
    ParamValueError,
    dump_yaml,
    flow_style_hint,
    parse_assignments,
    resolve,
    substitute,
    values_for,
)

__all__ = [
    "Analysis",
    "Domain",
    "Expr",
    "ExprError",
    "Param",
    "ParamProblem",
    "ParamValueError",
    "analyze",
    "check",
    "collect_params",
    "describe",
    "descriptions",
    "dump_yaml",
    "flow_style_hint",
    "parse",
    "parse_assignments",
    "render",
    "resolve",
    "substitute",
    "values_for",
]
