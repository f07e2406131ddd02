"""Validate a loaded spec: first the JSON Schema, then what a schema can't express.

Every problem is collected (not only the first) and tied to its place in the spec. The schema
check and its messages live in :mod:`schema_check`; the rules for modules in
:mod:`module_rules`, for names in :mod:`names`, for example inputs in
:mod:`example_rules`, and for the graph in :mod:`graph_rules`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import Problem, SpecError
from ..names import GENERATED_NAMES, MODULE_ATTRIBUTES
from ..params import family as families
from ..params.family import Family, Overrides
from . import graph_rules
from .classes import ClassRef, ImportNotAllowed, builtin_classes, resolve_custom
from .example_rules import example_problems
from .load import Source
from .module_rules import (
    class_names_used,
    module_name_problems,
    module_value_problems,
)
from .schema_check import schema_problems, validator_for

__all__ = ["Checked", "GENERATED_NAMES", "MODULE_ATTRIBUTES", "validate"]


@dataclass
class Checked:
    """What validation learned that later stages use."""

    classes: dict[str, ClassRef]  # class name -> reference, for every class the spec names
    custom: dict[str, type] = field(default_factory=dict)  # user classes, by spec name
    warnings: list[Problem] = field(default_factory=list)
    family: Family | None = None  # a parametrized spec's parameters and ${...} places
    source: Source | None = None  # what later stages read: the spec, its ${...} put in


def validate(source: Source, imports: Iterable[str] = (), params: Overrides = None) -> Checked:
    """Check ``source`` against the schema and the graph rules; raise SpecError if invalid.
    A parametrized spec is checked as the plain spec of its defaults (``params`` override
    them; a wrong one raises params.ParamValueError), after its ``${...}`` are."""
    checked, problems = _resolve_classes(source, imports)
    validator = validator_for(tuple(sorted(checked.custom.items(), key=lambda kv: kv[0])))
    family, errors, warnings = families.read(source, validator.schema, params)
    if errors:
        raise SpecError(problems + errors, source.name)
    checked.warnings += warnings
    if family is not None:
        checked.family, source = family, family.plain(source)
    checked.source = source
    seen = {p.path for p in problems}
    for p in schema_problems(source, validator):
        if p.path not in seen:
            seen.add(p.path)
            problems.append(p)
    problems += _rule_problems(source, checked, validator)
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise SpecError(_unique(problems), source.name)
    return checked


def _resolve_classes(source: Source, imports: Iterable[str]) -> tuple[Checked, list[Problem]]:
    """Every class the spec names: torch.nn, helpers, and the user's (registered or imported)."""
    checked = Checked(classes=dict(builtin_classes()))
    problems = []
    for name, path in class_names_used(source.data):
        if name in checked.classes:
            continue
        try:
            ref, cls = resolve_custom(name, imports)
        except (ImportNotAllowed, ValueError) as e:
            problems.append(source.problem(path, str(e), at_key=True))
            continue
        if ref is not None:
            checked.classes[name], checked.custom[name] = ref, cls
    return checked, problems


def _rule_problems(source: Source, checked: Checked, validator) -> list[Problem]:
    if not isinstance(source.data, dict):
        return []
    g = graph_rules.read_graph(source)
    problems = module_name_problems(g.modules, source)
    for name, spec in g.modules.items():
        problems += module_value_problems(
            spec, ("modules", name), source, checked.classes, validator
        )
    problems += graph_rules.input_problems(g) + example_problems(g.inp, source)
    problems += graph_rules.node_problems(g) + graph_rules.reference_problems(g)
    problems += graph_rules.call_problems(g, checked.classes, checked.custom)
    problems += graph_rules.cycle_problems(g)
    problems += graph_rules.output_problems(g)
    checked.warnings += graph_rules.unused_module_warnings(g)
    return problems


def _unique(problems: list[Problem]) -> list[Problem]:
    out, seen = [], set()
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out
