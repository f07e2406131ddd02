"""Search domains the model can't take everywhere: the generated class built, and its example
inputs run, at sampled points of each domain.

For each param with a domain (the others at their defaults) the points are the domain's
corners and a few interior points (``Domain.points``: every choice, or ``low``, ``high`` and
three points between), then every searched param at its low end together, and at its high end
together. Each point builds the generated class on the meta device and runs meta example
inputs (shapes only, no weights, so a wide corner costs what a narrow one does: 4-12 ms a
point on the examples, where real weights take 14-160 ms); a failure
there is confirmed with real weights when they fit the numeric budget, because a meta kernel
can refuse what the CPU takes (an op that reads values). This is a check at sampled points,
not a proof: a value between them can still fail.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping

from ..codegen.code import Code
from ..errors import Problem, SpecError, format_path
from ..spec.model import Model
from . import budget as budgets
from .runtime import (
    ForwardError,
    construct,
    example_tensors,
    imported,
    meta_tensors,
    numpy_known_missing,
    run_forward,
    state_bytes,
)

NOT_A_PROOF = (
    "domains are checked at their ends and a few points inside, not proved for every value"
)


def searched(model: Model) -> dict:
    """The params with a search domain: name -> Param."""
    return {n: p for n, p in model.params.items() if p.domain is not None}


def check(code: Code, model: Model, budget: int | None = None) -> None:
    """Raise SpecError, one problem per param, located at its domain, when the model can't be
    built or can't run its example inputs at a sampled point of the domain."""
    params = searched(model)
    if not params:
        return
    budget = budgets.parse(budgets.DEFAULT) if budget is None else budget
    defaults = model.family.values
    tried: dict[tuple, str | None] = {tuple(defaults.items()): None}  # the probe ran these
    problems: list[Problem] = []
    with imported(code.text) as module, numpy_known_missing(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the builds at other values warn for themselves only

        def fails(values: dict) -> str | None:
            key = tuple(values.items())
            if key not in tried:
                tried[key] = _failure(module, code, model, values, budget)
            return tried[key]

        for name, p in params.items():
            for value, path in _points(name, p.domain):
                reason = fails({**defaults, name: value})
                if reason is not None:
                    at = f"parameter `{name}` = {value!r}, a value in its search domain"
                    problems.append(_located(model, path, _message(at, reason, "the domain")))
                    break
        if problems:
            raise SpecError(problems, model.source_name)
        for end in ("low", "high"):
            values = {**defaults, **{n: _end(p.domain, end) for n, p in params.items()}}
            reason = fails(values)
            if reason is not None:
                shown = ", ".join(f"{n}={values[n]!r}" for n in params)
                at = f"the searched parameters all at their {end} ends ({shown})"
                problem = model.problem(("params",), _message(at, reason, "the domains"))
                raise SpecError([problem], model.source_name)


def _located(model: Model, path: tuple, message: str) -> Problem:
    """A problem at the value ``path`` names in the spec (a domain's end, a choice)."""
    if model.source is None:
        return Problem(path, message)
    return model.source.problem(path, message)


def _message(at: str, reason: str, domain: str) -> str:
    return (
        f"the model can't take {at}: {reason}. Narrow {domain} (or change the spec) so that"
        f" every value works; {NOT_A_PROOF}"
    )


def _points(name: str, domain) -> Iterator[tuple[object, tuple]]:
    """(value, where the spec writes it) for each point of ``domain`` to try."""
    path = ("params", name)
    for value in domain.points():
        if domain.choices is not None:
            index = next(i for i, c in enumerate(domain.choices) if c == value)
            yield value, path + ("choices", index)
        elif value == domain.low:
            yield value, path + ("low",)
        elif value == domain.high:
            yield value, path + ("high",)
        else:
            yield value, path


def _end(domain, end: str) -> object:
    """The low or high end of ``domain``: of a choice list, its least or greatest (its first
    or last when the choices don't compare)."""
    if domain.choices is None:
        return domain.low if end == "low" else domain.high
    try:
        ordered = sorted(domain.choices)
    except TypeError:
        ordered = list(domain.choices)
    return ordered[0] if end == "low" else ordered[-1]


def _failure(module, code: Code, model: Model, values: Mapping, budget: int) -> str | None:
    """Why the class built with ``values`` can't run its example inputs, or None."""
    import dataclasses

    from ..spec.normalize import read_inputs

    try:
        plain = model.family.plain(model.source, values)
        examples = None
        if model.examples is not None:
            _, examples = read_inputs(plain.data["graph"]["input"])
            for name, ex in examples.items():
                if any(not isinstance(n, int) or n <= 0 for n in ex.shape):
                    path = ("graph", "input", name, "shape")
                    problem = model.problem(path, f"the shape is {list(ex.shape)}")
                    return _where(SpecError([problem]))
        at = dataclasses.replace(model, examples=examples, init_args=dict(values), source=plain)
        try:
            instance = construct(module, code, at, "meta")
        except SpecError:
            instance = None  # built for real below: its error, or it builds there (as the probe)
        if instance is not None:
            if examples is None:
                return None
            try:
                run_forward(module, instance, code, at, meta_tensors(examples), "meta")
                return None
            except ForwardError as e:
                if state_bytes(instance) > budget or _elements(examples) > 2**28:
                    return f"{_where(e)} (on the meta device: too big to run for real)"
        instance = construct(module, code, at)  # meta refused: real weights have the last word
        if examples is not None:
            run_forward(module, instance, code, at, example_tensors(examples))
        return None
    except SpecError as e:
        return _where(e)


def _elements(examples) -> int:
    import math

    return sum(math.prod(ex.shape) for ex in examples.values())


def _where(e: SpecError) -> str:
    """The failing node or layer of ``e`` with its line, and torch's reason."""
    problem = e.problems[0]
    where = format_path(problem.path)
    if problem.line is not None:
        where += f" (line {problem.line})"
    return f"{where}: {problem.message}"
