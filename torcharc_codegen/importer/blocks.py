"""Blocks from the model's own classes: the instances of one class whose bodies (modules and
graph) have the same structure become one block; the numbers that differ between them become
the block's params, named after an attribute of the instance that holds them (``stride``) or
after the argument they set (``planes``, ``out_channels``), and a size that is a multiple of
another param is written as one (``${planes * 4}``). A class whose instances have different
structures gives one block per structure (``BasicBlock``, ``BasicBlockDownsample``)."""

from __future__ import annotations

import inspect
from collections import Counter
from dataclasses import dataclass, field

from ..spec.helpers import HELPERS
from .units import Custom, Leaf, Seq, Unit, all_units

_HOLE = "\0"  # a numeric leaf, in a body's skeleton


@dataclass
class Block:
    name: str
    cls: type
    members: list = field(default_factory=list)  # units
    bodies: list = field(default_factory=list)  # each member's body (a spec dict)
    params: dict = field(default_factory=dict)  # name -> default
    body: dict | None = None  # the body with ${param} put in
    args: list = field(default_factory=list)  # each member's arguments
    comment: str = ""


@dataclass
class Blocks:
    blocks: dict = field(default_factory=dict)  # name -> Block, in the order they are defined
    of_unit: dict = field(default_factory=dict)  # id(unit) -> (Block, index)

    def use(self, unit: Unit) -> dict:
        block, i = self.of_unit[id(unit)]
        return {f".{block.name}": block.args[i] or None}


def build(root: Unit) -> tuple[Blocks, dict]:
    """The blocks of the units below ``root``, and ``root``'s own body."""
    blocks = Blocks()
    units = all_units(root)
    for height in sorted({u.height for u in units}):
        groups: dict[tuple, Block] = {}
        for unit in (u for u in units if u.height == height):
            body = body_of(unit, blocks)
            key = (type(unit.module), _skeleton(body))
            if key not in groups:
                groups[key] = Block(_name(unit, blocks, groups), type(unit.module))
            groups[key].members.append(unit)
            groups[key].bodies.append(body)
        for block in groups.values():
            _parametrize(block)
            block.comment = _comment(block)
            blocks.blocks[block.name] = block
            for i, unit in enumerate(block.members):
                blocks.of_unit[id(unit)] = (block, i)
    return blocks, body_of(root, blocks)


def body_of(unit: Unit, blocks: Blocks) -> dict:
    """A unit's modules and graph as a spec dict (a block's body, or the top level's)."""
    g = unit.graph
    modules = {}
    for node in g.nodes:  # in the order forward first calls them
        name = node.partition("~")[0]
        if name not in modules:
            modules[name] = (
                entry_spec(unit.entries[name], blocks) if name in unit.entries else g.helpers[name]
            )
    for name in unit.kept:
        modules[name] = entry_spec(unit.entries[name], blocks)
    for name in g.unread:
        modules[name] = g.helpers[name]
    inputs = g.inputs[0] if len(g.inputs) == 1 else list(g.inputs)
    body: dict = {"modules": modules}
    if unit.kept or g.unread:
        body["keep"] = [*unit.kept, *g.unread]
    body["graph"] = {"input": inputs, "modules": dict(g.nodes), "output": g.output}
    return body


def entry_spec(entry, blocks: Blocks) -> dict:
    if isinstance(entry, Leaf):
        return {entry.cls: entry.kwargs or None}
    if isinstance(entry, Seq):
        if entry.named:
            return {"Sequential": {k: entry_spec(e, blocks) for k, e in entry.items}}
        return {"Sequential": [entry_spec(e, blocks) for _, e in entry.items]}
    if isinstance(entry, Custom):
        return {entry.import_path: entry.kwargs or None}
    return blocks.use(entry)


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _fixed(key, path) -> bool:
    """Whether the numbers under ``key`` are part of the structure: an inline helper's
    arguments (written as torch code in forward) and the graph's constants take no ``${...}``."""
    return (key in HELPERS and HELPERS[key].inline) or (not path and key == "graph")


def _skeleton(value, fixed=False, path=()):
    """The body with its numbers as holes, but where they are fixed (``_fixed``)."""
    if isinstance(value, dict):
        return tuple(
            (k, _skeleton(v, fixed or _fixed(k, path), path + (k,))) for k, v in value.items()
        )
    if isinstance(value, list):
        return ("[",) + tuple(_skeleton(v, fixed, path + (i,)) for i, v in enumerate(value))
    return _HOLE if _is_number(value) and not fixed else (type(value).__name__, value)


def _leaves(value, path=()):
    """(path, number) of every numeric leaf that may be a param, in order."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not _fixed(k, path):
                yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    elif _is_number(value):
        yield path, value


def _set(body, path, value):
    for k in path[:-1]:
        body = body[k]
    body[path[-1]] = value


def _parametrize(block: Block) -> None:
    import copy

    leaves = [dict(_leaves(b)) for b in block.bodies]
    varying: dict[tuple, list[tuple]] = {}  # the values across members -> the paths
    for path in leaves[0]:
        vector = tuple(member[path] for member in leaves)
        if len(set(vector)) > 1:
            varying.setdefault(vector, []).append(path)
    body = copy.deepcopy(block.bodies[0])
    params: dict[str, tuple] = {}  # name -> vector
    known = _known(block) if varying else {}
    for vector, paths in varying.items():
        name = next((n for n, v in known.items() if v == vector and n not in params), None)
        if name is None:
            name = _probe(block, vector, params)
        expression = name or _derived(vector, params)
        if expression is None:
            name = _param_name(block, vector, paths, params)
        if name is not None:
            params[name] = vector
            expression = name
        for path in paths:
            _set(body, path, f"${{{expression}}}")
    block.params = {name: vector[0] for name, vector in params.items()}
    block.body = body
    block.args = [{name: vector[i] for name, vector in params.items()} for i in range(len(leaves))]


def _known(block: Block) -> dict[str, tuple]:
    """The numbers each member holds, by name: its plain attributes (``stride``), then its
    constructor's arguments as recovered from it (``inplanes``, ``planes``)."""
    from .arguments import ArgumentsError, recover

    out: dict[str, tuple] = {}
    first = block.members[0].module
    for attr, value in vars(first).items():
        if not attr.startswith("_") and _is_number(value) and attr not in _RESERVED:
            vector = tuple(getattr(m.module, attr, None) for m in block.members)
            out.setdefault(attr, vector)
    try:
        values = [recover(m.module, m.path)[1] for m in block.members]
    except ArgumentsError:
        return out
    for name, value in values[0].items():
        if _is_number(value) and name not in _RESERVED and name not in out:
            out[name] = tuple(v.get(name) for v in values)
    return out


def _probe(block: Block, vector: tuple, taken: dict) -> str | None:
    """The constructor argument that, set to ``vector``'s values, builds the members again
    (checked on two members whose values differ): for a class that keeps no attribute for it
    (a class this project generated: ``BasicBlock(inplanes=128)``)."""
    from .arguments import ArgumentsError, build, recover, same_structure

    try:
        signature = inspect.signature(block.cls.__init__)
    except (TypeError, ValueError):
        return None
    names = [
        p.name
        for p in list(signature.parameters.values())[1:]
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and p.name not in _RESERVED | set(taken)
        and p.name.isidentifier()
        and (p.default is p.empty or _is_number(p.default))
    ]
    picks = [vector.index(v) for v in dict.fromkeys(vector)][:2]
    bases = []
    for i in picks:
        member = block.members[i]
        try:
            bases.append(recover(member.module, member.path)[1])
        except ArgumentsError:  # the argument it keeps no attribute for, perhaps: defaults
            bases.append({})
    for name in names:
        if all(
            (rebuilt := build(block.cls, {**base, name: vector[i]})) is not None
            and same_structure(block.members[i].module, rebuilt)
            for i, base in zip(picks, bases, strict=True)
        ):
            return name
    return None


def _derived(vector: tuple, params: dict) -> str | None:
    """``p * k`` or ``p // k`` when ``vector`` is a fixed multiple of a param's values."""
    if not all(isinstance(v, int) for v in vector):
        return None
    for name, base in params.items():
        if not all(isinstance(b, int) and b for b in base):
            continue
        ratios = {v / b for v, b in zip(vector, base, strict=True)}
        if len(ratios) != 1:
            continue
        (ratio,) = ratios
        if ratio == int(ratio) and ratio > 1:
            return f"{name} * {int(ratio)}"
        inverse = 1 / ratio if ratio else 0
        if ratio and inverse == int(inverse) and all(b % int(inverse) == 0 for b in base):
            return f"{name} // {int(inverse)}"
    return None


_RESERVED = {"self", "input", "x", "super", "torch", "nn", "i"}


def _param_name(block: Block, vector: tuple, paths: list, params: dict) -> str:
    """The argument these values set (``out_channels``), the most frequent."""
    keys = Counter(_key(path) for path in paths)
    name = max(keys, key=lambda k: (keys[k], -list(keys).index(k)))
    if name in _RESERVED or not name.isidentifier():
        name = f"{name}_value" if name.isidentifier() else "value"
    base, n = name, 2
    while name in params:
        name, n = f"{base}_{n}", n + 1
    return name


def _key(path: tuple) -> str:
    """The argument a leaf sets: its last string key that isn't a class."""
    for k in reversed(path):
        if isinstance(k, str) and not k[:1].isupper() and not k.startswith("."):
            return k.lstrip(".")
    return "value"


def _name(unit: Unit, blocks: Blocks, groups: dict) -> str:
    """The class's name; a second structure of the class gets what it has more (its extra
    children, ``BasicBlockDownsample``), else a number."""
    base = type(unit.module).__name__.lstrip("_") or "Block"
    taken = set(blocks.blocks) | {b.name for b in groups.values()}
    if base not in taken:
        return base
    first = next(
        (b for b in [*blocks.blocks.values(), *groups.values()] if b.cls is type(unit.module)),
        None,
    )
    if first is not None:
        extra = [c for c in unit.graph.children if c not in first.members[0].graph.children]
        name = base + "".join(c.title().replace("_", "") for c in extra)
        if extra and len(extra) <= 2 and name not in taken:
            return name
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def _comment(block: Block) -> str:
    cls = block.cls
    try:
        file = inspect.getsourcefile(cls) or ""
        line = inspect.getsourcelines(cls)[1]
        where = f" ({file.rsplit('/', 1)[-1]}:{line})"
    except (OSError, TypeError):
        where = ""
    paths = [u.path for u in block.members]
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return f"{cls.__module__}.{cls.__qualname__}{where}: {shown}"
