"""The rules for a spec's blocks (``blocks:``) that a schema can't express: block names, each
``.Name`` naming a block, no block using itself (directly or through others), a use's
arguments being the block's params, and repeat counts that build something."""

from __future__ import annotations

import graphlib
import re
from collections.abc import Mapping

from ..errors import KeyPath, Problem
from ..grammar.spec_schema import ENTRY_NAME_PATTERN
from ..messages import did_you_mean, quote
from ..names import MODULE_ATTRIBUTES, is_identifier
from .classes import BLOCK_PREFIX, TENSOR_MODULES
from .entries import INDEX, sequential_items, written
from .graph_rules import literals
from .helpers import EXTENSION_HELPERS, HELPERS
from .load import Source
from .module_rules import FUNCTIONAL

# `.Inf`, `.nan`, ... are floats to YAML: a block so named couldn't be used
_YAML_FLOATS = frozenset({"inf", "Inf", "INF", "nan", "NaN", "NAN"})


def definitions(data: object) -> dict:
    """The spec's ``blocks:`` mapping (empty when it has none)."""
    blocks = data.get("blocks") if isinstance(data, Mapping) else None
    return blocks if isinstance(blocks, dict) else {}


def uses(spec: object) -> list[tuple[str, KeyPath]]:
    """(block name, path of its `.Name` key) for each block a spec's modules use."""
    out = []
    modules = spec.get("modules") if isinstance(spec, Mapping) else None
    for name, module in modules.items() if isinstance(modules, dict) else ():
        for place in written(module, ("modules", name)):
            cls = place.cls
            if isinstance(cls, str) and cls.startswith(BLOCK_PREFIX):
                out.append((cls[len(BLOCK_PREFIX) :], place.path))
    return out


def order(source: Source) -> tuple[list[str], list[Problem]]:
    """The blocks in an order where each comes after the blocks it uses, and the problems of
    their names and uses: a bad name, a use of no block, a cycle."""
    blocks = definitions(source.data)
    problems = []
    for name in blocks:
        if not isinstance(name, str) or not is_identifier(name):
            what = f"block name {quote(name)} is not a Python identifier: it names a class"
            problems.append(source.problem(("blocks", name), what, at_key=True))
        elif name in _YAML_FLOATS:
            what = f"block name {quote(name)} can't be used: YAML reads `.{name}` as a float"
            problems.append(source.problem(("blocks", name), what, at_key=True))
    graph: dict[str, list[str]] = {}
    scopes = [((), source.data)] + [(("blocks", n), b) for n, b in blocks.items()]
    for prefix, spec in scopes:
        for used, path in uses(spec):
            if used not in blocks:
                problems.append(source.problem(prefix + path, _unknown(used, blocks), at_key=True))
            elif prefix:
                graph.setdefault(prefix[1], []).append(used)
    sorter = graphlib.TopologicalSorter({n: graph.get(n, []) for n in blocks})
    try:
        return list(sorter.static_order()), problems
    except graphlib.CycleError as e:
        cycle = list(reversed(e.args[1]))  # each uses the next
        what = "block cycle: " + " -> ".join(cycle) + ": a block can't contain itself"
        problems.append(source.problem(("blocks", cycle[0]), what, at_key=True))
        return [], problems


def _unknown(name: str, blocks: Mapping) -> str:
    if not blocks:
        return (
            f"`.{name}` names a block of the spec, and it defines none: define it under"
            " `blocks:`, or write a torch.nn class without the leading `.`"
        )
    return f"no block named {quote(name)} under `blocks:`" + did_you_mean(name, list(blocks))


def use_problems(source: Source, params: Mapping[str, Mapping]) -> list[Problem]:
    """Each block use's arguments: names the block's params (``params``: block -> its params,
    each with ``.type``), with values of their types (at the values being checked)."""
    problems = []
    modules = source.data.get("modules") if isinstance(source.data, Mapping) else None
    for mname, module in modules.items() if isinstance(modules, dict) else ():
        for place in written(module, ("modules", mname)):
            cls = place.cls
            if not (isinstance(cls, str) and cls.startswith(BLOCK_PREFIX)):
                continue
            declared = params.get(cls[len(BLOCK_PREFIX) :])
            if declared is None:
                continue
            if place.what == "type":  # compact: its keys are the arguments of each row
                layer = module["compact"]["layer"]
                keys = layer.get("keys") if isinstance(layer.get("keys"), list) else []
                for j, arg in enumerate(keys):
                    if (problem := _argument_problem(cls, arg, None, declared)) is not None:
                        at = place.path[:-1] + ("keys", j)
                        problems.append(source.problem(at, problem))
                continue
            for arg, value in (place.kwargs if isinstance(place.kwargs, dict) else {}).items():
                problem = _argument_problem(cls, arg, value, declared)
                if problem is not None:
                    problems.append(source.problem(place.path + (arg,), problem, at_key=True))
    return problems


def _argument_problem(cls: str, arg: str, value: object, declared: Mapping) -> str | None:
    if arg not in declared:
        if not declared:
            return f"block {cls} has no params: it takes no arguments"
        return (
            f"block {cls} has no param {quote(arg)}"
            + did_you_mean(arg, list(declared))
            + f" (its params: {', '.join(declared)})"
        )
    want = declared[arg].type
    ok = value is None or type(value) is want or (want is float and type(value) is int)
    if ok or (isinstance(value, str) and "${" in value):
        return None
    return f"block {cls}'s param `{arg}` is {want.__name__}: got {quote(value)}"


def repeat_problems(source: Source, family) -> list[Problem]:
    """A repeat count below 0 (``family``: the params being checked, whose values the message
    names), and entry names of a named Sequential that are not identifiers (a repeated one
    needs ``{i}`` once, so each copy has a name of its own)."""
    problems = []
    modules = source.data.get("modules") if isinstance(source.data, Mapping) else None
    for mname, module in modules.items() if isinstance(modules, dict) else ():
        for place in written(module, ("modules", mname)):
            if place.what == "repeat":
                problems += _count_problems(source, place, family)
        problems += _name_problems(source, module, ("modules", mname))
    return problems


def _count_problems(source: Source, place, family) -> list[Problem]:
    count = place.value.get("repeat")
    if not (type(count) is int and count < 0):
        return []
    path = place.path + ("repeat",)
    expr = family.refs.get(path) if family is not None else None
    if expr is not None:
        shown = ", ".join(f"{n}={family.values[n]!r}" for n in expr.names if n in family.values)
        what = f"repeat count ${{{expr.text}}} is {count} with {shown}: a count must be 0 or more"
    else:
        what = f"repeat count is {count}: a count must be 0 or more"
    return [source.problem(path, what)]


def _name_problems(source: Source, spec: object, path: KeyPath) -> list[Problem]:
    """Entry names of every named Sequential in module spec ``spec``."""
    problems = []
    if not isinstance(spec, dict) or len(spec) != 1:
        return problems
    ((key, body),) = spec.items()
    if key == "Sequential":
        for k, entry in sequential_items(body):
            at = path + (key, k)
            if isinstance(body, dict):
                problems += _entry_name_problem(source, k, entry, at)
            inner = entry.get("module") if isinstance(entry, dict) and "repeat" in entry else entry
            problems += _name_problems(
                source, inner, at + (("module",) if inner is not entry else ())
            )
    return problems


def is_entry_name(name: str) -> bool:
    """Whether ``name`` can name a named Sequential's entry (add_module takes it)."""
    return bool(re.fullmatch(ENTRY_NAME_PATTERN, name)) and name not in SEQUENTIAL_ATTRIBUTES


def _entry_name_problem(source: Source, name: object, entry: object, path: KeyPath) -> list:
    repeated = isinstance(entry, dict) and "repeat" in entry
    index = "{" + INDEX + "}"
    if repeated and (not isinstance(name, str) or name.count(index) != 1):
        what = (
            f"a repeated entry of a named Sequential needs `{index}` once in its name"
            f" (`{name}{index}`), so each copy has a name of its own"
        )
        return [source.problem(path, what, at_key=True)]
    plain = name.replace(index, "0") if repeated else name
    if not isinstance(plain, str) or not re.fullmatch(ENTRY_NAME_PATTERN, plain):
        what = f"entry name {quote(name)} is not letters, digits, _ and -: it names a submodule"
        return [source.problem(path, what, at_key=True)]
    if plain in SEQUENTIAL_ATTRIBUTES:
        what = (
            f"entry name {quote(name)} is an attribute nn.Sequential has (add_module refuses"
            " it): rename the entry"
        )
        return [source.problem(path, what, at_key=True)]
    return []


# nn.Sequential's own attributes beside nn.Module's: an entry can't take one of their names
SEQUENTIAL_ATTRIBUTES = MODULE_ATTRIBUTES | {"append", "extend", "insert", "pop"}


def _helper_of(modules: object, node: object):
    """The helper node ``node`` calls, else None."""
    if not (isinstance(node, str) and isinstance(modules, Mapping)):
        return None
    spec = modules.get(node.partition("~")[0])
    if isinstance(spec, Mapping) and len(spec) == 1:
        return HELPERS.get(next(iter(spec)))
    return None


def extension_used(data: object) -> tuple[KeyPath, str] | None:
    """(where, what and why TorchArc can't build it) of the first part of ``data`` that
    TorchArc's language lacks: blocks, a repeat entry, a nested or named Sequential, an
    extension helper, ``keep:``; None for a TorchArc spec."""
    nested = "TorchArc has no nested modules, so no plain TorchArc spec has these checkpoint names"
    if definitions(data):
        return ("blocks",), f"`blocks:` is this project's extension: {nested}"
    if isinstance(data, Mapping) and "keep" in data:
        return (
            "keep",
        ), "`keep:` is this project's extension: TorchArc drops the modules no node calls"
    modules = data.get("modules") if isinstance(data, Mapping) else None
    graph = data.get("graph") if isinstance(data, Mapping) else None
    nodes = graph.get("modules") if isinstance(graph, Mapping) else None
    for node, args in nodes.items() if isinstance(nodes, Mapping) else ():
        for key in literals(args):
            what = (
                "a constant keyword argument is this project's extension: TorchArc passes node"
                " outputs only"
            )
            return ("graph", "modules", node, key), what
        helper = _helper_of(modules, node)
        for key in args if helper is not None and isinstance(args, dict) else ():
            if key not in helper.inputs:
                what = (
                    f"a tensor passed to {helper.name} by the keyword {key} is this project's"
                    f" extension: TorchArc's {helper.name} takes {', '.join(helper.inputs)}"
                )
                return ("graph", "modules", node, key), what
    for mname, module in modules.items() if isinstance(modules, dict) else ():
        path = ("modules", mname)
        body = module.get("Sequential") if isinstance(module, dict) and len(module) == 1 else None
        if isinstance(body, dict) and body:
            return (
                path + ("Sequential",),
                f"a named Sequential is this project's extension: {nested}",
            )
        for place in written(module, path):
            if place.what == "repeat":
                return place.path, f"a repeat entry is this project's extension: {nested}"
            if "Sequential" in place.path[len(path) + 1 :]:
                return place.path, f"a nested Sequential is this project's extension: {nested}"
            if place.cls in TENSOR_MODULES:
                what = f"a {place.cls} module is this project's extension: TorchArc has none"
                return place.path, what
            if place.cls in EXTENSION_HELPERS:
                what = f"the {place.cls} helper is this project's extension: TorchArc has none"
                return place.path, what
            kwargs = place.kwargs if place.what == "layer" else None
            fn = kwargs.get("name") if place.cls == "TorchFn" and isinstance(kwargs, dict) else None
            if isinstance(fn, str) and fn.startswith(FUNCTIONAL):
                what = (
                    f"TorchFn of {FUNCTIONAL}<fn> is this project's extension: TorchArc's TorchFn"
                    " calls a function of torch itself"
                )
                return place.path + ("name",), what
            if fn is not None and isinstance(kwargs.get("dtype"), str):
                what = (
                    "a dtype by name is this project's extension: TorchArc's TorchFn passes"
                    " the string itself"
                )
                return place.path + ("dtype",), what
    return None
