"""The checks of ``graph`` a schema can't express, one small function per rule: input names,
node names and reuse suffixes, references to undeclared names, the arguments of each call
against the module's ``forward``, cycles, and the output."""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field

from ..errors import KeyPath, Problem
from ..messages import close_matches, cut, did_you_mean, quote, suggest
from ..names import collision, is_identifier, name_problem, same_python_name
from ..names import normal as python_name
from .classes import ClassRef
from .forward_params import call_problem, forward_signature
from .helpers import HELPERS
from .hints import declare_input_hint
from .load import Source


@dataclass
class Graph:
    """The parts of a spec the graph rules read, each as a mapping (empty when malformed)."""

    source: Source
    modules: dict
    inp: object
    nodes: dict
    output: object
    inputs: list[tuple[str, KeyPath]] = field(default_factory=list)  # (name, path) in order
    # "did you mean" compares a name with every other (difflib): only for the first few
    # unknown names, so 5000 typos in a 5000-node spec take a second, not minutes.
    suggestions_left: int = 20

    @property
    def input_set(self) -> set[str]:
        return {n for n, _ in self.inputs}

    def close(self, name: str, choices, usable=lambda choice: True) -> list[str]:
        """Up to three usable ``choices`` that ``name`` may be a misspelling of."""
        if self.suggestions_left <= 0:
            return []
        self.suggestions_left -= 1
        return [c for c in close_matches(name, choices, n=10) if usable(c)][:3]

    def deps(self) -> dict[str, list[str]]:
        """Node -> the names its arguments use."""
        return {n: [r for r, _ in refs(a, ())] for n, a in self.nodes.items() if isinstance(n, str)}


def read_graph(source: Source) -> Graph:
    data = source.data if isinstance(source.data, dict) else {}
    modules = data.get("modules") if isinstance(data.get("modules"), dict) else {}
    graph = data.get("graph") if isinstance(data.get("graph"), dict) else {}
    nodes = graph.get("modules") if isinstance(graph.get("modules"), dict) else {}
    inp = graph.get("input")
    return Graph(source, modules, inp, nodes, graph.get("output"), _input_names(inp))


def _input_names(inp: object) -> list[tuple[str, KeyPath]]:
    path = ("graph", "input")
    if isinstance(inp, str):
        return [(inp, path)]
    if isinstance(inp, list):
        return [(n, path + (i,)) for i, n in enumerate(inp) if isinstance(n, str)]
    if isinstance(inp, dict):
        return [(n, path + (n,)) for n in inp if isinstance(n, str)]
    return []


def refs(value: object, path: KeyPath):
    """(node name, path) for every node name in a node's arguments or the output."""
    if isinstance(value, str):
        yield value, path
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from refs(item, path + (i,))
    elif isinstance(value, dict):
        for k, item in value.items():
            if isinstance(item, str):
                yield item, path + (k,)


# --- the rules --------------------------------------------------------------------------------


def input_problems(g: Graph) -> list[Problem]:
    prob = g.source.problem
    problems = []
    for name, path in g.inputs:
        if (msg := name_problem(name, "input")) is not None:
            problems.append(prob(path, msg, at_key=True))
    seen: set[str] = set()
    for name, path in g.inputs:
        if name in seen:
            what = f"duplicate input {quote(name)}: input names must be unique"
            problems.append(prob(path, what))
        seen.add(name)
    named = [(n, p) for n, p in g.inputs if is_identifier(n)]
    problems += [prob(p, msg, at_key=True) for p, msg in same_python_name(named, "input")]
    return problems


def node_problems(g: Graph) -> list[Problem]:
    """Each node's name (a module, or `module~suffix`) and keyword names."""
    prob = g.source.problem
    read_inputs = {python_name(n): n for n in g.input_set if is_identifier(n)}
    problems = []
    for node, args in g.nodes.items():
        path = ("graph", "modules", node)
        if not isinstance(node, str):
            problems.append(prob(path, "a node name must be a string", at_key=True))
            continue
        if (msg := _node_name_problem(node, g, read_inputs)) is not None:
            problems.append(prob(path, msg, at_key=True))
        for key in args if isinstance(args, dict) else ():
            if not is_identifier(key):
                what = (
                    f"keyword {quote(key)} is not a Python identifier: it names a forward parameter"
                )
                problems.append(prob(path + (key,), what, at_key=True))
    return problems


def _node_name_problem(node: str, g: Graph, read_inputs: dict[str, str]) -> str | None:
    module, _, suffix = node.partition("~")
    if "~" in suffix:
        return (
            f"node {quote(node)} has more than one '~': use `module~suffix` to call `module` again"
        )
    if "~" in node and not (suffix and suffix.isprintable()):
        # any other suffix only names the node (its variable is ours to choose)
        what = "is empty" if not suffix else "has a control character"
        return f"reuse suffix {quote(suffix)} {what}: write letters, digits or underscores"
    if module not in g.modules:
        what = "reuse of" if "~" in node else f"node {quote(node)}:"
        return f"{what} unknown module {quote(module)}" + suggest(g.close(module, g.modules))
    other = read_inputs.get(python_name(node)) if is_identifier(node) else None
    if other == node:
        return f"node {quote(node)} has the name of an input: rename one"
    if other is not None:
        return collision("node", node, "input", other)
    return None


def reference_problems(g: Graph) -> list[Problem]:
    """Every name a node uses is an input or a node; say how to declare a missing input."""
    deps = g.deps()
    problems = []
    for node, args in g.nodes.items():
        if isinstance(node, str):
            for ref, rpath in refs(args, ("graph", "modules", node)):
                if ref not in g.input_set and ref not in g.nodes:
                    problems.append(_unknown(g, ref, rpath, lambda c, n=node: _uses(c, n, deps)))
    return problems


def _uses(name: str, node: str, deps: dict[str, list[str]]) -> bool:
    """Whether ``name`` is ``node`` or uses its result, directly or not (so ``node`` can't
    use ``name``: that would be a cycle)."""
    seen, todo = {name}, [name]
    while todo:
        current = todo.pop()
        if current == node:
            return True
        for dep in deps.get(current, ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return False


def _unknown(g: Graph, ref: str, path: KeyPath, cycles=None) -> Problem:
    """An unknown name: what it may be a misspelling of (never a name that would make a
    cycle) and, for a node's argument, how to declare it as an input."""
    choices = [n for n, _ in g.inputs] + [n for n in g.nodes if isinstance(n, str)]
    close = g.close(ref, choices, lambda c: cycles is None or not cycles(c))
    what = f"unknown node {quote(ref)}{suggest(close)}"
    if cycles is not None:
        how = declare_input_hint(g.inp, ref)
        what += f": not declared in graph.input either (to declare it, {how})"
    return g.source.problem(path, what)


def call_problems(g: Graph, classes: dict[str, ClassRef], custom: dict) -> list[Problem]:
    """A node's arguments must fit its module's forward (helpers, torch.nn, user classes)."""
    problems = []
    for node, args in g.nodes.items():
        spec = g.modules.get(node.partition("~")[0]) if isinstance(node, str) else None
        if not (isinstance(spec, dict) and len(spec) == 1) or not isinstance(args, (list, dict)):
            continue
        (cls,) = spec
        path = ("graph", "modules", node)
        if (found := _literal_problem(args, classes.get(cls))) is not None:
            key, msg = found
            problems.append(g.source.problem(path + (key,), msg))
            continue
        label, sig = forward_signature(spec, classes.get(cls), custom)
        if sig is not None and (msg := call_problem(label, sig, args)) is not None:
            problems.append(g.source.problem(path, msg))
    return problems


def literals(args: object) -> dict:
    """A node's constant keyword arguments (``need_weights: false``): those not a node name."""
    if not isinstance(args, dict):
        return {}
    return {k: v for k, v in args.items() if not isinstance(v, str)}


def _literal_problem(args: object, ref: ClassRef | None) -> tuple[str, str] | None:
    """(keyword, why) where a constant goes to a module whose forward takes only tensors: a
    helper, a block, a Sequential or a Parameter (a constant goes to a torch.nn module's or a
    user's class's forward)."""
    constants = literals(args)
    if not constants or ref is None or ref.kind in ("torch", "custom"):
        return None
    key = next(iter(constants))
    what = {"helper": "a helper", "block": "a block", "sequential": "a Sequential"}
    what.update(buffer="a Buffer")
    return key, (
        f"`{key}: {constants[key]}` is a constant, and {what.get(ref.kind, 'a Parameter')}"
        " takes tensors only: a constant goes to a torch.nn module's or a user's class's forward"
    )


def cycle_problems(g: Graph) -> list[Problem]:
    """A node that uses its own result, through others or directly; a node named like an
    input that reads that input is not one (node_problems already says to rename one)."""
    deps = g.deps()
    graph = {
        n: [d for d in ds if d in deps and not (d == n and n in g.input_set)]
        for n, ds in deps.items()
    }
    sorter = graphlib.TopologicalSorter(graph)
    try:
        sorter.prepare()
    except graphlib.CycleError as e:
        cycle = [cut(n) for n in e.args[1]]  # in data-flow order: each feeds the next
        if len(cycle) > 12:  # a line, not a page
            cycle = cycle[:5] + [f"... ({len(cycle) - 10} more)"] + cycle[-5:]
        what = "cycle: " + " -> ".join(cycle) + ": a node can't use its own result"
        return [g.source.problem(("graph", "modules", cycle[0]), what, at_key=True)]
    return []


def output_problems(g: Graph) -> list[Problem]:
    """The output names nodes or inputs; a mapping's keys share one type (TorchScript)."""
    problems = [
        _unknown(g, ref, rpath)
        for ref, rpath in refs(g.output, ("graph", "output"))
        if ref not in g.input_set and ref not in g.nodes
    ]
    keys = list(g.output) if isinstance(g.output, dict) else []
    first = next((k for k in keys if k is not None), None)
    for key in keys:
        if key is None or type(key) is not type(first):
            what = _key_type(key, first)
            problems.append(g.source.problem(("graph", "output", key), what, at_key=True))
    return problems


def _key_type(key: object, first: object) -> str:
    if key is None:
        return "an output key can't be null: write a string, e.g. `out: node`"
    return (
        f"output key {quote(key)} is {_kind(key)} but {quote(first)} is {_kind(first)}: "
        "the keys of one output mapping must have one type (TorchScript needs it); "
        "quote them all as strings"
    )


def _kind(value: object) -> str:
    names = {str: "a string", int: "an integer", bool: "a boolean", float: "a number"}
    return names.get(type(value), type(value).__name__)


def unused_module_warnings(g: Graph) -> list[Problem]:
    called = {n.partition("~")[0] for n in g.nodes if isinstance(n, str)}
    return [
        g.source.problem(
            ("modules", name),
            f"module {quote(name)} is not called by any node: it is left out of the model"
            " (list it under `keep:` to build it anyway)",
            at_key=True,
        )
        for name in g.modules
        if name not in called and name not in kept(g.source.data)
    ]


def kept(data: object) -> list:
    """The spec's ``keep:`` list (empty when it has none or it is malformed)."""
    keep = data.get("keep") if isinstance(data, dict) else None
    return keep if isinstance(keep, list) else []


def keep_problems(g: Graph, classes: dict) -> list[Problem]:
    """``keep:`` names modules of the spec that no node calls and that have state to keep."""
    called = {n.partition("~")[0] for n in g.nodes if isinstance(n, str)}
    problems = []
    for i, name in enumerate(kept(g.source.data)):
        path = ("keep", i)
        if name not in g.modules:
            what = f"`keep` names no module {quote(name)}" + did_you_mean(
                str(name), [m for m in g.modules if m not in called]
            )
        elif name in called:
            what = f"module {quote(name)} is called by a node: `keep` lists modules no node calls"
        elif _inline_helper(g.modules[name], classes):
            what = (
                f"module {quote(name)} is a helper written as code in forward: it has nothing"
                " to keep"
            )
        else:
            continue
        problems.append(g.source.problem(path, what))
    return problems


def _inline_helper(spec: object, classes: dict) -> bool:
    if not isinstance(spec, dict) or len(spec) != 1:
        return False
    (cls,) = spec
    ref = classes.get(cls)
    return ref is not None and ref.kind == "helper" and not HELPERS[cls].stateful
