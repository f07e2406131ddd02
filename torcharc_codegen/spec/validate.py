"""Validate a loaded spec: first the JSON Schema, then what a schema can't express.

Every problem is collected (not only the first) and tied to its place in the spec. The schema
check and its messages live in :mod:`schema_check`; the rules for modules in
:mod:`module_rules`, for names in :mod:`names`, for example inputs in
:mod:`example_rules`, and for the graph in :mod:`graph_rules`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ..errors import Problem, SpecError
from ..names import GENERATED_NAMES, MODULE_ATTRIBUTES, class_name_problem
from ..params import family as families
from ..params.family import Family, Overrides
from . import blocks as block_rules
from . import graph_rules
from .classes import (
    BLOCK_PREFIX,
    ClassRef,
    ImportNotAllowed,
    block_ref,
    builtin_classes,
    declared_class,
    resolve_custom,
)
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
    # The spec's blocks, each checked as a spec of its own, in an order where a block comes
    # after those it uses; shared by the spec and its blocks.
    blocks: dict[str, Checked] = field(default_factory=dict)


def validate(
    source: Source,
    imports: Iterable[str] = (),
    params: Overrides = None,
    blocks: dict[str, Checked] | None = None,
) -> Checked:
    """Check ``source`` against the schema and the graph rules; raise SpecError if invalid.
    A parametrized spec is checked as the plain spec of its defaults (``params`` override
    them; a wrong one raises params.ParamValueError), after its ``${...}`` are."""
    checked, problems = _resolve_classes(source, imports)
    if blocks is not None:
        checked.blocks = blocks
    validator = validator_for(tuple(sorted(checked.custom.items(), key=lambda kv: kv[0])))
    if not source.prefix:
        problems += _validate_blocks(source, imports, checked)
    family, errors, warnings = families.read(source, validator.schema, params)
    if errors:
        raise SpecError(problems + errors, source.name)
    checked.warnings += warnings
    if family is not None:
        checked.family, source = family, family.plain(source)
    checked.source = source
    counts = block_rules.repeat_problems(source, checked.family)
    problems += counts
    # a negative count is said once, by its own rule, not also as the entry the schema refuses
    seen = {p.path for p in problems} | {p.path[:-1] for p in counts}
    for p in schema_problems(_with_checked_blocks(source, checked), validator):
        if p.path not in seen:
            seen.add(p.path)
            problems.append(p)
    problems += _rule_problems(source, checked, validator) + _class_problems(source)
    block_params = {n: b.family.params if b.family else {} for n, b in checked.blocks.items()}
    problems += block_rules.use_problems(source, block_params)
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise SpecError(_unique(problems), source.name)
    return checked


def _validate_blocks(source: Source, imports: Iterable[str], checked: Checked) -> list[Problem]:
    """Check each block as a spec of its own (its ``params``, ``modules`` and ``graph``), the
    blocks it uses first; a block's problems are located in the spec's file."""
    order, problems = block_rules.order(source)
    for name in order:
        sub = source.sub(("blocks", name))
        if not isinstance(sub.data, dict):
            continue  # the schema says what it should be
        if isinstance(graph := sub.data.get("graph"), dict) and isinstance(
            graph.get("input"), dict
        ):
            what = (
                "a block's input is a name or a list of names: its uses give the shapes"
                " (example inputs go in the spec's own graph)"
            )
            problems.append(sub.problem(("graph", "input"), what, at_key=True))
            continue
        try:
            block = validate(sub, imports, blocks=checked.blocks)
        except SpecError as e:
            problems += e.problems
            continue
        checked.blocks[name] = block
        checked.warnings += block.warnings
    return problems


def _class_problems(source: Source) -> list[Problem]:
    """The class name a spec declares must be usable as the generated class's."""
    name = declared_class(source.data)
    if name is None or (why := class_name_problem(name)) is None:
        return []
    return [source.problem(("class",), f"class name {name!r} {why}: choose another")]


def _with_checked_blocks(source: Source, checked: Checked) -> Source:
    """``source`` with each block as its own check saw it (its ${...} put in), for the schema
    check of the whole spec; a block its own check refused is left out (its problems are
    said)."""
    if source.prefix or not isinstance(source.data, dict) or "blocks" not in source.data:
        return source
    data = dict(source.data)
    data["blocks"] = {name: block.source.data for name, block in checked.blocks.items()}
    return replace(source, data=data)


def _resolve_classes(source: Source, imports: Iterable[str]) -> tuple[Checked, list[Problem]]:
    """Every class the spec names: torch.nn, helpers, the spec's blocks (``.Name``), and the
    user's (registered or imported)."""
    checked = Checked(classes=dict(builtin_classes()))
    problems = []
    for name, path in class_names_used(source.data):
        if name in checked.classes:
            continue
        if name.startswith(BLOCK_PREFIX):
            checked.classes[name] = block_ref(name)  # blocks.order says if there is none
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
    problems += graph_rules.cycle_problems(g) + graph_rules.keep_problems(g, checked.classes)
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
