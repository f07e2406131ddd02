"""A parametrized spec's costs as exact formulas in its params: the parameter count, and the
forward's FLOPs as ``torch.utils.flop_counter.FlopCounterMode`` counts them for a batch of
``batch`` rows.

Both come from the symbolic probe (check/symbolic.py), never from samples: it builds the
modules with one sympy symbol per int parameter, and one more for the batch (the first
dimension every example input shares), sums the parameters' ``numel()`` and runs the forward under
FlopCounterMode, whose formulas multiply symbolic sizes into a sympy expression. That
expression is written as Python (``+ - * // %`` of the parameter names), so the generated
class's ``count_parameters`` and ``count_flops`` are torch-free arithmetic.

The parameters the probe keeps plain (bools, strs, an int torch needs as a number) are not in
the expressions: the probe runs once for each of their values in the domain (a bool: both), and
the formula is one case per value set. Float parameters can't change a size (the probe refutes
it for every layer a float reaches), so they change neither count. A plain parameter without a
finite domain holds at its default only: another value raises ``ValueError`` in the generated
method. There is no FLOPs formula when an RNN runs (the probe uses its documented shape rule:
torch's fused kernels are not run) or the example inputs share no first dimension or the
model pins the batch; no formula at all when the probe can't run.
"""

from __future__ import annotations

import copy
import itertools
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass

from ..params.declarations import Param, analyze, collect_params
from ..params.family import Family, Search, space
from ..spec.literals import literal

# Value sets of the plain parameters the probe runs at, at most (each a probe run).
MAX_CASES = 16
# An int parameter kept plain is enumerated over a grid of at most this many values.
MAX_GRID = 8


@dataclass(frozen=True)
class Costs:
    """Python source of each count: a list of (values of the plain params, expression)."""

    params: dict[str, Param]
    batch: str | None  # count_flops's batch argument; None: no FLOPs formula
    parameters: list[tuple[dict, str | None]]  # None: the probe can't build that case
    flops: list[tuple[dict, str | None]] | None
    why_no_flops: str | None = None
    counts: frozenset = frozenset()  # params a repeat count follows: their cases stay apart

    def source(self) -> str:
        """``count_parameters`` and ``count_flops`` as static methods (class-body source)."""
        out = ["@staticmethod", self.parameters_source()]
        if self.flops is not None:
            out += ["", "@staticmethod", self.flops_source()]
        return "\n".join(out)

    def _signature(self) -> str:
        sig = ", ".join(
            f"{p.name}: {p.type.__name__} = {literal(p.default)}" for p in self.params.values()
        )
        return f"*, {sig}" if sig else ""

    def parameters_source(self) -> str:
        """``def count_parameters(*, ...) -> int:`` and its body."""
        lines = [
            f"def count_parameters({self._signature()}) -> int:",
            '    """The parameter count of the member with these arguments: exact, torch-free',
            '    arithmetic (so a search can ask before building anything)."""',
            *_body(self.parameters, self.params, self.counts),
        ]
        return "\n".join(lines)

    def flops_source(self) -> str:
        """``def count_flops(batch, *, ...) -> int:`` and its body."""
        args = ", ".join(filter(None, [f"{self.batch}: int", self._signature()]))
        lines = [
            f"def count_flops({args}) -> int:",
            '    """The forward\'s FLOPs as torch.utils.flop_counter.FlopCounterMode counts',
            f'    them (a multiply-add counts 2) for {self.batch} rows: exact, torch-free."""',
            *_body(self.flops, self.params, self.counts),
        ]
        return "\n".join(lines)

    def functions(self) -> dict[str, object]:
        """The two methods as plain functions (the same source the class carries)."""
        namespace: dict[str, object] = {}
        exec(self.source().replace("@staticmethod\n", ""), namespace)  # noqa: S102 - our source
        return {k: v for k, v in namespace.items() if k.startswith("count_")}

    def doc(self) -> list[str]:
        """Docstring lines: the formulas (one case: the expression; several: said so)."""
        lines = []
        for what, cases in (("count_parameters()", self.parameters), ("FLOPs", self.flops)):
            if cases is None:
                continue
            if what == "FLOPs":
                what = f"count_flops({self.batch})"
            cases = _merge(cases, self.counts)
            if len(cases) == 1 and not cases[0][0]:
                text = f"{what} = {cases[0][1]}"
            else:
                text = f"{what}: {len(cases)} cases (see the method)"
            lines.append(textwrap.fill(text, 84, subsequent_indent="    "))
        if self.flops is None and self.why_no_flops:
            lines.append(textwrap.fill(f"No FLOPs formula: {self.why_no_flops}.", 84))
        return ["Costs (exact formulas in the arguments):", *lines] if lines else []


def _condition(values: dict) -> str:
    parts = []
    for name, value in values.items():
        if value is True:
            parts.append(name)
        elif value is False:
            parts.append(f"not {name}")
        else:
            parts.append(f"{name} == {literal(value)}")
    return " and ".join(parts)


def _body(cases: list[tuple[dict, str | None]], params: Mapping[str, Param], keep=()) -> list[str]:
    merged = _merge(cases, keep)
    if len(merged) == 1 and not merged[0][0] and merged[0][1] is not None:
        return [f"    return {merged[0][1]}"]
    out = []
    names = {n for v, _ in merged for n in v}
    # bools with every value set covered: the last case needs no test
    complete = all(params[n].type is bool for n in names) and len(merged) == 2 ** len(names)
    for i, (values, expr) in enumerate(merged):
        result = f"return {expr}" if expr is not None else _raise(values, "can't be built")
        if complete and i == len(merged) - 1:
            return out + [f"    {result}"]
        out += [f"    if {_condition(values)}:", f"        {result}"]
    names = ", ".join(f"{n}={{{n}!r}}" for n in sorted(names))
    out.append(f'    raise ValueError(f"no formula for {names}: a value outside the domain")')
    return out


def _raise(values: dict, why: str) -> str:
    shown = ", ".join(f"{n}={v!r}" for n, v in values.items())
    return f"raise ValueError({literal(f'the member with {shown} {why}')})"


def _merge(cases: list[tuple[dict, str | None]], keep=()) -> list[tuple[dict, str | None]]:
    """Drop the condition on a parameter whose every value gives the same expression, but
    on those in ``keep`` (a repeat count: the values tried are all the formula knows)."""
    if not cases or not cases[0][0]:
        return cases
    names = list(cases[0][0])
    for name in [n for n in names if n not in keep]:
        rest = [n for n in names if n != name]
        groups: dict[tuple, set] = {}
        for values, expr in cases:
            groups.setdefault(tuple(values[n] for n in rest), set()).add(expr)
        if all(len(g) == 1 for g in groups.values()):
            seen: dict[tuple, tuple[dict, str | None]] = {}
            for values, expr in cases:
                key = tuple(values[n] for n in rest)
                seen.setdefault(key, ({n: values[n] for n in rest}, expr))
            cases, names = list(seen.values()), rest
    return cases


def batch_name(params: Mapping[str, object]) -> str:
    """``batch``, or ``batch_size`` (then ``batch_size_2``, ...) when a parameter has it."""
    names = itertools.chain(
        ("batch", "batch_size"), (f"batch_size_{i}" for i in itertools.count(2))
    )
    return next(name for name in names if name not in params)


def costs(data: Mapping, values: Mapping[str, object], classes=None) -> Costs | None:
    """The cost formulas of the family ``data`` (spec data with ``params:``; ``values``: the
    defaults the class takes); None when the probe can't run at the defaults."""
    from .symbolic import SymbolicError, probe
    from .sympy_source import NotExpressible, to_source

    params, problems = collect_params(data)
    if problems:
        return None
    params = {n: Param(n, values[n], p.type, p.domain) for n, p in params.items()}
    batch = batch_name(params)
    with_batch, why = _with_batch(data, batch)
    try:
        first = probe(with_batch, dict(values), classes)
    except SymbolicError:
        if why is None:  # the batch is pinned: costs at the example batch, no FLOPs formula
            why = "the model pins the batch size"
            with_batch = data
            try:
                first = probe(data, dict(values), classes)
            except SymbolicError:
                return None
        else:
            return None
    counts = _repeat_params(data, params)
    # a repeat count with no domain: the counts are linear in it (checked), as a formula
    linear = [n for n in counts if params[n].domain is None and params[n].type is int]
    plain = [
        n
        for n in params
        if (n not in first.symbols.values() or n in counts)
        and params[n].type is not float
        and n not in linear
    ]
    grid = {n: _values(params[n]) for n in plain}
    combos = [dict(zip(grid, c)) for c in itertools.product(*grid.values())]
    if len(combos) > MAX_CASES:
        grid = {n: [params[n].default] for n in plain}
        combos = [dict(zip(grid, c)) for c in itertools.product(*grid.values())]
    parameters, flops = [], []
    for combo in combos:
        try:
            result = first if all(values[n] == v for n, v in combo.items()) else None
            result = result or probe(with_batch, {**values, **combo}, classes)
        except SymbolicError:
            parameters.append((combo, None))
            flops.append((combo, None))
            continue
        names = dict(result.symbols)
        counted = (result.parameters, result.flops)
        if linear:
            try:
                counted, names = _linear(result, linear, {**values, **combo}, with_batch, classes)
            except (SymbolicError, _NotLinear):
                parameters.append((combo, None))
                flops.append((combo, None))
                continue
        try:
            parameters.append((combo, to_source(counted[0], names)))
            if counted[1] is None:
                why = why or "an RNN runs, whose FLOPs torch's fused kernels don't report"
            else:
                flops.append((combo, to_source(counted[1], names)))
        except NotExpressible as e:
            why = why or f"a count the ${{...}} language can't write ({e})"
            if len(parameters) == len(flops):
                return None
    no_flops = why is not None
    return Costs(
        params,
        None if no_flops else batch,
        parameters,
        None if no_flops else flops,
        why,
        frozenset(counts),
    )


class _NotLinear(Exception):
    pass


def _linear(result, linear: list[str], values: dict, data: Mapping, classes):
    """((parameters, FLOPs), symbols) of ``result`` (the probe at ``values``) with each
    repeat count in ``linear`` a symbol too: each count adds the same cost per step, measured
    at one step more, and checked at one step more of all of them together."""
    import sympy

    from .symbolic import probe

    def named(r):
        table = {sym: sympy.Symbol(name, integer=True) for sym, name in r.symbols.items()}
        return tuple(
            None if e is None else sympy.sympify(e).xreplace(table) for e in (r.parameters, r.flops)
        )

    base = named(result)
    steps = {n: named(probe(data, {**values, n: values[n] + 1}, classes)) for n in linear}
    together = named(probe(data, {**values, **{n: values[n] + 1 for n in linear}}, classes))
    out = []
    for k, value in enumerate(base):
        if value is None or any(step[k] is None for step in steps.values()):
            out.append(None)
            continue
        deltas = {n: sympy.expand(step[k] - value) for n, step in steps.items()}
        if sympy.expand(together[k] - value - sum(deltas.values())) != 0:
            raise _NotLinear
        total = value + sum(
            (sympy.Symbol(n, integer=True) - values[n]) * d for n, d in deltas.items()
        )
        out.append(sympy.expand(total))
    names = {sympy.Symbol(n, integer=True): n for n in {*result.symbols.values(), *linear}}
    return tuple(out), names


def _repeat_params(data: Mapping, params: Mapping[str, Param]) -> set[str]:
    """The params a repeat count follows: those a count of the spec's own uses, and those
    passed to a block's param that a count in the block follows (through blocks in blocks)."""
    from ..spec.blocks import definitions

    blocks = definitions(data)
    counted: dict[str, set[str]] = {}  # block -> its params a count follows
    for _ in range(len(blocks) + 1):  # until nothing changes: a block after those it uses
        for name, block in blocks.items():
            counted[name] = _counted(block, counted) if isinstance(block, Mapping) else set()
    return {n for n in _counted(data, counted) if n in params}


def _counted(data: Mapping, counted: dict[str, set[str]]) -> set[str]:
    """Names a repeat count of ``data``'s modules follows, directly or through block uses
    whose block's counts follow those params (``counted``)."""
    out = set()
    for ref in analyze(data).refs:
        if ref.cls is None and ref.arg == "repeat":
            out |= set(ref.expr.names)
        elif isinstance(ref.cls, str) and ref.arg in counted.get(ref.cls.lstrip("."), ()):
            out |= set(ref.expr.names)
    return out


def _values(p: Param) -> list:
    """The values of a plain parameter the formulas cover: a bool's two, a domain's choices
    or small grid, else the default alone."""
    d = p.domain
    if p.type is bool:
        return list(d.choices) if d is not None else [p.default, not p.default]
    if d is not None and d.choices is not None:
        return list(d.choices)
    if d is not None and p.type is int and (d.high - d.low) // (d.step or 1) < MAX_GRID:
        return list(range(d.low, d.high + 1, d.step or 1))
    return [p.default]


def _with_batch(data: Mapping, batch: str) -> tuple[dict, str | None]:
    """``data`` with the first dimension of every example input the parameter ``batch``, and
    None; or ``data`` and why there is no batch."""
    graph = data.get("graph") if isinstance(data, Mapping) else None
    inputs = graph.get("input") if isinstance(graph, Mapping) else None
    if not isinstance(inputs, Mapping):
        return dict(data), "the spec has no example inputs"
    firsts = {
        ex["shape"][0] if isinstance(ex, Mapping) and ex.get("shape") else None
        for ex in inputs.values()
    }
    if len(firsts) != 1 or not isinstance(first := firsts.pop(), int) or isinstance(first, bool):
        return dict(data), "the example inputs share no first dimension (the batch)"
    out = copy.deepcopy(dict(data))
    out["params"] = {**(out.get("params") or {}), batch: first}
    for ex in out["graph"]["input"].values():
        ex["shape"][0] = f"${{{batch}}}"
    return out, None


def search(family: Family, classes=None) -> Search:
    """The search attribute and methods the generated class carries, and its docstring lines."""
    found = costs(family.data, family.values, classes)
    lines = [f"SEARCH_SPACE: ClassVar[dict[str, dict]] = {space(family.params)!r}"]
    if found is None:
        return Search("\n".join(lines), ["No cost formulas: the symbolic probe can't run."])
    return Search("\n".join(lines) + "\n\n" + found.source(), found.doc())
