"""The module tree as the importer writes it: the root and each instance of a user's class is
a Unit (its traced graph and an Entry per child it calls); a torch.nn module is a Leaf with
its constructor arguments; an ``nn.Sequential`` (or a subclass that adds nothing to it) is a
Seq of entries. A child forward never calls that holds tensors (a training-only head) is
written all the same, kept (``keep:``), traced on what a run in training mode gives it. A
user's module that can't be written (a call the language has no form for,
a forward fx can't trace, a buffer it reads, a torch.nn child whose arguments can't be
recovered) is kept as a Custom module imported by its path, with the reason; where its own
constructor arguments can't be written either, its parent falls back instead."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..messages import first_line
from ..names import is_identifier
from ..spec.blocks import is_entry_name
from ..spec.helpers import HELPERS
from .arguments import ArgumentsError, constructor_args
from .graph import Graph, GraphUnwritable, convert, is_plain_sequential
from .tensors import own_tensors
from .trace import Call, TraceFailed, trace


class Fallback(Exception):
    """Module ``path`` kept as the user's class, for ``reason`` (one line: a report's and a
    spec comment's), at source ``line``."""

    def __init__(self, path: str, reason: str, line: str | None = None):
        reason = first_line(reason)
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.line = line


@dataclass
class Leaf:
    cls: str
    kwargs: dict


@dataclass
class Seq:
    items: list  # (key, entry)
    named: bool


@dataclass
class Custom:
    path: str
    import_path: str
    kwargs: dict
    reason: str
    line: str | None
    parameters: int


@dataclass
class Unit:
    path: str
    module: object
    graph: Graph
    entries: dict = field(default_factory=dict)  # child name -> Leaf | Seq | Unit | Custom
    unused: list = field(default_factory=list)  # children forward never calls
    kept: list = field(default_factory=list)  # those of them written all the same (`keep:`)
    height: int = 0


def is_torch_class(module) -> bool:
    from torch import nn

    cls = type(module)
    return cls.__module__.startswith("torch.nn") and getattr(nn, cls.__name__, None) is cls


class Walker:
    def __init__(self, calls: dict[str, Call]):
        self.calls = calls
        self.customs: list[Custom] = []

    def unit(self, path: str, module) -> Unit:
        call = self.calls.get(path)
        if call is None:
            raise Fallback(path, "forward never called it in the example run")
        try:
            traced = trace(module, call)
        except TraceFailed as e:
            raise Fallback(path, e.reason, e.line) from None
        children = dict(module.named_children())
        try:
            graph = convert(traced, children, own_tensors(module))
        except GraphUnwritable as e:
            raise Fallback(path, e.reason, e.line) from None
        named = [n for n in children if not is_identifier(n) and n in graph.children]
        if named:  # an nn.Sequential subclass with a forward of its own: entries `0`, `1`
            raise Fallback(
                path,
                f"its children are named {', '.join(named)}, which a spec's modules can't be"
                " (a Python identifier each)",
            )
        unit = Unit(path, module, graph)
        for name in graph.children:
            chained = name in graph.chained
            unit.entries[name] = self.entry(_join(path, name), children[name], chained)
            if name in graph.given:  # `for blk in self.blocks: x = blk(x, H, W)`
                _check_given(unit.entries[name], name, path, graph)
            if isinstance(unit.entries[name], Unit) and unit.entries[name].graph.folded:
                _drop_folded(graph, name, unit.entries[name].graph, path)
        for node, args in graph.nodes.items():  # sizes a child that is no block is given
            listed = [k for k, v in args.items() if _numbers(v)] if isinstance(args, dict) else []
            if listed:
                raise Fallback(
                    path,
                    f"it passes `self.{node.partition('~')[0]}` the sizes {listed[0]}="
                    f"{args[listed[0]]}, and a node passes tensors, bools and numbers",
                    graph.lines.get(node),
                )
        unit.unused = [name for name in children if name not in graph.children]
        for name in unit.unused:  # a training-only head: built, so the state_dict loads
            if holds_tensors(children[name]):
                unit.entries[name] = self.entry(_join(path, name), children[name])
                unit.kept.append(name)
        heights = [e.height + 1 for e in _units(unit.entries.values())]
        unit.height = max(heights, default=0)
        return unit

    def entry(self, path: str, module, chained: bool = False):
        """``module``'s entry; ``chained``: a ModuleList its parent calls entry by entry,
        written as a Sequential."""
        if chained or is_plain_sequential(module):
            bad = [k for k, _ in module.named_children() if not is_entry_name(k)]
            if bad:
                raise Fallback(
                    path,
                    f"its entry {bad[0]!r} can't name a named Sequential's entry (letters, digits,"
                    " _ and -, not an attribute nn.Sequential has)",
                )
            items = [(k, self.entry(_join(path, k), c)) for k, c in module.named_children()]
            named = [k for k, _ in items] != [str(i) for i in range(len(items))]
            return Seq(items, named)
        helper = helper_leaf(module)
        if helper is not None:
            return helper
        if is_torch_class(module):
            try:
                return Leaf(type(module).__name__, constructor_args(module, path))
            except ArgumentsError as e:
                raise Fallback(path, str(e)) from None
        try:
            return self.unit(path, module)
        except Fallback as inner:
            return self.custom(path, module, inner)

    def custom(self, path: str, module, why: Fallback) -> Custom:
        cls = type(module)
        where = f"{cls.__module__}.{cls.__qualname__}"
        if cls.__module__ == "__main__" or "." in cls.__qualname__:
            raise Fallback(
                path, f"{why.reason}; and {where} can't be imported by the generated file", why.line
            )
        try:
            kwargs = constructor_args(module, path)
        except ArgumentsError as e:
            raise Fallback(path, f"{why.reason}; and as a custom module: {e}", why.line) from None
        custom = Custom(
            path,
            where,
            kwargs,
            f"{why.path or 'the model'}: {why.reason}" if why.path != path else why.reason,
            why.line,
            sum(p.numel() for p in module.parameters()),
        )
        self.customs.append(custom)
        return custom


# Classes outside torch.nn that a helper of this project computes, bit for bit in eval and
# training mode (the same random draws): class path -> (helper, the attributes it takes).
HELPER_CLASSES = {
    "torchvision.ops.stochastic_depth.StochasticDepth": ("StochasticDepth", ("p", "mode")),
}


def helper_leaf(module) -> Leaf | None:
    """``module`` as the helper that computes it (HELPER_CLASSES), else None."""
    cls = type(module)
    found = HELPER_CLASSES.get(f"{cls.__module__}.{cls.__qualname__}")
    if found is None:
        return None
    helper, attributes = found
    defaults = HELPERS[helper].signature.parameters
    values = {a: getattr(module, a) for a in attributes}
    return Leaf(helper, {k: v for k, v in values.items() if v != defaults[k].default})


def _drop_folded(graph: Graph, child: str, inner: Graph, path: str) -> None:
    """The constants ``graph``'s calls of ``child`` pass where its graph ``inner`` folds them
    in (its forward's non-tensor arguments, the example's values): left out, each call passing
    the value folded (else Fallback), and the tensors left positional where they come in the
    order of its inputs."""
    for node, args in graph.nodes.items():
        if node.partition("~")[0] != child or not isinstance(args, dict):
            continue
        for key, value in inner.folded.items():
            if key in args and args.pop(key) != (
                list(value) if isinstance(value, tuple) else value
            ):
                raise Fallback(
                    path,
                    f"it calls `self.{child}` with {key}={value!r} and with another {key}, and"
                    " a block's forward takes tensors only",
                    graph.lines.get(node),
                )
        if list(args) == inner.inputs[: len(args)]:
            graph.nodes[node] = list(args.values())


def _check_given(seq: Seq, name: str, path: str, graph: Graph) -> None:
    """Entries called with more than the output before them (sizes, flags) are a Sequential
    only where each is a block of the model's, which folds those in: Fallback otherwise."""
    for key, entry in seq.items:
        if not isinstance(entry, Unit):
            raise Fallback(
                path,
                f"it calls `self.{name}.{key}` with more than the output before it, and"
                f" `{name}.{key}` is no block that folds the rest in",
                graph.lines.get(name),
            )


def _numbers(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, int | float) for v in value)


def holds_tensors(module) -> bool:
    return next(iter(module.state_dict(keep_vars=True)), None) is not None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _units(entries) -> list[Unit]:
    out = []
    for e in entries:
        if isinstance(e, Unit):
            out.append(e)
        elif isinstance(e, Seq):
            out += _units(v for _, v in e.items)
    return out


def all_units(root: Unit) -> list[Unit]:
    """Every unit below ``root``, children before their parents, in forward order."""
    out = []
    for e in _units(root.entries.values()):
        out += all_units(e)
        out.append(e)
    return out
