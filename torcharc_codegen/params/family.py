"""A parametrized spec as the family of models it describes.

``expressions`` and ``declarations`` are the language (``params:`` and ``${...}``); this
module is what the pipeline keeps of it: the parameters with the defaults the generated class
takes (the spec's, or the ``--param`` overrides), where each ``${...}`` stands, and the spec
with the values put in (the plain spec that validation checks and normalize reads). normalize
then writes every value that came from a ``${...}`` as a :class:`literals.Expression`, which
emit writes as Python in the parameter names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import SpecError
from ..spec.helpers import HELPERS
from ..spec.literals import Expression
from .declarations import Analysis, Param, ParamProblem, check
from .descriptions import descriptions
from .domains import describe
from .expressions import Expr
from .resolution import ParamValueError, other_float, parse_assignments, substitute, values_for

Overrides = Mapping[str, object] | list[str] | None


@dataclass(frozen=True)
class Search:
    """What the generated class carries for a search (check.costs computes it): its
    ``SEARCH_SPACE`` attribute and ``count_parameters``/``count_flops`` static methods as class
    body source, and the docstring lines that show the formulas."""

    source: str
    doc: list[str]


def space(params: Mapping[str, Param]) -> dict[str, dict]:
    """The search space as plain data: each param with a domain -> its type, default and
    domain (``low``/``high``/``step``/``log`` or ``choices``); fixed params are left out."""
    out = {}
    for name, p in params.items():
        d = p.domain
        if d is None:
            continue
        entry = {"type": p.type.__name__, "default": p.default}
        if d.choices is not None:
            entry["choices"] = list(d.choices)
        else:
            entry |= {"low": d.low, "high": d.high}
            if d.step is not None:
                entry["step"] = d.step
            if d.log:
                entry["log"] = True
        out[name] = entry
    return out


@dataclass(frozen=True)
class Family:
    params: dict[str, Param]  # in spec order; each default the one the class takes
    refs: dict[tuple, Expr]  # key path of a value written as ${...} -> its expression
    data: Mapping  # the spec as written
    docs: dict[str, str] = dataclasses.field(default_factory=dict)  # its comment in the spec
    search: Search | None = None  # the space and the cost formulas, once check.costs ran

    @property
    def values(self) -> dict[str, object]:
        """The defaults: the values the generated class is built with when given none."""
        return {name: p.default for name, p in self.params.items()}

    def plain(self, source, values: Mapping[str, object] | None = None):
        """``source`` (a load.Source) with each ``${...}`` replaced by its value for ``values``
        (default: the defaults), ``params`` dropped; the key paths (and so every location)
        stay those of the spec as written."""
        values = self.values if values is None else values
        try:
            data = substitute(self.data, self.params, values)
        except ParamValueError as e:
            raise SpecError([source.problem(e.path or (), str(e))], source.name) from None
        return dataclasses.replace(source, data=data)

    def bind(self, value: object, path: tuple) -> object:
        """``value`` (at ``path`` in the plain spec) with each part that came from a ``${...}``
        written as an Expression: its value, and its source in the parameter names."""
        expr = self.refs.get(path)
        if expr is not None:
            return Expression(value, expr.source())
        if isinstance(value, list):
            return [self.bind(v, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.bind(v, path + (k,)) for k, v in value.items()}
        return value

    def other_values(self) -> list[dict[str, object]]:
        """Other values to check the generated file at, best first: every int doubled (a
        divisor and what it divides stay so), every float moved within its range, every bool
        flipped; then the ints alone doubled. Empty when nothing can change."""
        changed = {}
        for name, p in self.params.items():
            if p.type is int:
                changed[name] = p.default * 2 if p.default else 1
            elif p.type is float:
                changed[name] = other_float(p.default)
            elif p.type is bool:
                changed[name] = not p.default
        ints = {n: v for n, v in changed.items() if self.params[n].type is int}
        out = []
        for subset in (changed, ints):
            values = {**self.values, **subset}
            if subset and values not in out:
                out.append(values)
        return out


def read(source, schema: Mapping | None, overrides: Overrides = None):
    """(family or None, errors, warnings) of a loaded spec: None when it declares no
    parameters and uses no ``${...}``. ``overrides`` change defaults: values by name, or the
    CLI's ``["hidden=512", ...]`` (raise ParamValueError when one names no parameter
    or has the wrong type)."""
    data = source.data
    if not isinstance(data, Mapping):
        return None, [], []
    analysis, errors, warnings = check(source, schema)
    if "params" not in data and not analysis.refs and not errors:
        if overrides:
            raise ParamValueError("the spec declares no `params:` to override")
        return None, [], warnings
    errors += [p.located(source) for p in _forward_helper_refs(analysis)]
    if errors:
        return None, errors, warnings
    if isinstance(overrides, (list, tuple)):
        overrides = parse_assignments(list(overrides), analysis.params)
    values = values_for(analysis.params, overrides)
    for name, value in (overrides or {}).items():
        domain = analysis.params[name].domain
        if domain is not None and values[name] not in domain:
            raise ParamValueError(
                f"parameter `{name}`: {value!r} is outside its domain ({describe(domain)})"
            )
    params = {n: dataclasses.replace(p, default=values[n]) for n, p in analysis.params.items()}
    refs = {r.path: r.expr for r in analysis.refs}
    docs = descriptions(source)
    for name, p in params.items():  # the docstring's Args (and so --help) show the domain
        if p.domain is not None:
            domain = f"(search domain: {describe(p.domain)})"
            docs[name] = f"{docs[name]} {domain}" if docs.get(name) else domain
    return Family(params, refs, data, docs), [], warnings


def _forward_helper_refs(analysis: Analysis) -> list[ParamProblem]:
    """A ${...} for an argument of a TorchArc helper that is written as code in forward
    (``Narrow``, ``ForkChunk``, ``MergeConcat``, ...): forward's steps can't depend on a
    parameter (a chunk count is how many values a node gives)."""
    out = []
    for ref in analysis.refs:
        helper = HELPERS.get(ref.cls or "")
        if ref.kind != "shape" and helper is not None and not helper.stateful:
            out.append(
                ParamProblem(
                    ref.path,
                    f"`{ref.cls}` is written as code in forward, so its `{ref.arg}` can't be"
                    " a parameter (forward's steps are the same for every member of the"
                    " family): write a number",
                    ref.offset,
                )
            )
    return out


def idle_params(model, probe=None) -> list[str]:
    """The parameters a ``${...}`` uses that nothing in the generated ``__init__`` follows: no
    argument value nor inferred size (one that sizes only an example input, say). Those no
    ``${...}`` uses have their own warning (params.analyze)."""
    from ..spec.literals import expressions

    values = [[layer.kwargs, layer.repeat] for layer in model.layers()]
    values += [inferred for _, inferred in (probe.concrete if probe is not None else {}).values()]
    used = {name for value in values for expr in expressions(value) for name in expr.names}
    referenced = {n for expr in model.family.refs.values() for n in expr.names}
    return [name for name in model.params if name in referenced and name not in used]
