"""Turn a validated spec into the plain form of model.py: compact expanded to Sequential,
input as a list, classes resolved, nodes as (module, args, kwargs) in forward order."""

from __future__ import annotations

from dataclasses import replace

from .classes import SEQUENTIAL
from .entries import is_repeat, sequential_items
from .graph_rules import literals
from .load import Source
from .model import Example, Layer, Model, Module, Node
from .order import order
from .validate import Checked


def normalize(
    source: Source, checked: Checked, blocks: dict[str, Model] | None = None, name=None
) -> Model:
    """``source``: the spec validate checked (``checked.source``: a parametrized spec's
    values put in); values that came from ``${...}`` become literals.Expression. Each block
    becomes a Model of its own (``name`` its block name), in ``Model.blocks``. The modules
    are those a node calls and those ``keep:`` lists."""
    if blocks is None:
        blocks = {}
        for block_name, block in checked.blocks.items():  # the blocks each uses come first
            blocks[block_name] = normalize(block.source, block, blocks, block_name)
    data = source.data
    graph = data["graph"]
    raw_nodes = [_node(name, args) for name, args in graph["modules"].items()]
    built = {n.module for n in raw_nodes} | set(data.get("keep") or ())
    modules = {
        name: _module(name, spec, checked)
        for name, spec in data["modules"].items()
        if name in built
    }
    inputs, examples = read_inputs(graph["input"])
    output = graph["output"]
    if isinstance(output, list):
        output = tuple(output)
    return Model(
        inputs=inputs,
        examples=examples,
        modules=modules,
        nodes=order(raw_nodes),
        output=output,
        custom=dict(checked.custom),
        warnings=list(source.warnings) + list(checked.warnings),
        source=source,
        family=checked.family,
        blocks=blocks,
        name=name,
    )


def _module(name: str, spec: dict, checked: Checked) -> Module:
    path = ("modules", name)
    (key,) = spec
    if key == "Sequential":
        layers, named = _entries(spec[key], path + (key,), checked)
        return Module(name, layers, True, path, named)
    if key == "compact":
        return Module(name, tuple(_expand_compact(spec[key], path + (key,), checked)), True, path)
    return Module(name, (_layer(spec, path, checked),), False, path)


def _entries(body: object, path: tuple, checked: Checked) -> tuple[tuple[Layer, ...], bool]:
    """A Sequential's entries (a list; a mapping for a named one) and whether it is named."""
    named = isinstance(body, dict)
    out = []
    for key, entry in sequential_items(body):
        layer = _entry(entry, path + (key,), checked)
        out.append(replace(layer, name=key) if named else layer)
    return tuple(out), named


def _entry(entry: dict, path: tuple, checked: Checked) -> Layer:
    if is_repeat(entry):
        layer = _entry(entry["module"], path + ("module",), checked)
        count = _bind(entry["repeat"], path + ("repeat",), checked)
        return replace(layer, repeat=count, start=entry.get("start", 0))
    return _layer(entry, path, checked)


def _layer(spec: dict, path: tuple, checked: Checked) -> Layer:
    (cls,) = spec
    path += (cls,)
    if cls == "Sequential":
        layers, named = _entries(spec[cls], path, checked)
        return Layer(SEQUENTIAL, {}, path, layers=layers, named=named)
    kwargs = {k: _bind(v, path + (k,), checked) for k, v in (spec[cls] or {}).items()}
    return Layer(checked.classes[cls], kwargs, path)


def _bind(value: object, path: tuple, checked: Checked) -> object:
    return checked.family.bind(value, path) if checked.family else value


def _expand_compact(compact: dict, path: tuple, checked: Checked) -> list[Layer]:
    """TorchArc's expansion: per row, the prelayers, ``type(**zip(keys, row))``, postlayers."""
    pre = [
        _layer(s, path + ("prelayer", i), checked)
        for i, s in enumerate(compact.get("prelayer") or [])
    ]
    post = [
        _layer(s, path + ("postlayer", i), checked)
        for i, s in enumerate(compact.get("postlayer") or [])
    ]
    layer = compact["layer"]
    cls = checked.classes[layer["type"]]
    out: list[Layer] = []
    for i, row in enumerate(layer["args"]):
        at = path + ("layer", "args", i)
        row = _bind(row, at, checked)
        row = row if isinstance(row, list) else [row]
        kwargs = dict(zip(layer["keys"], row, strict=True))  # validated: one value per key
        out += pre + [Layer(cls, kwargs, at)] + post
    return out


def _node(name: str, args: object) -> Node:
    module = name.partition("~")[0]
    path = ("graph", "modules", name)
    if isinstance(args, dict):
        constants = literals(args)
        refs = tuple((k, v) for k, v in args.items() if k not in constants)
        return Node(name, module, (), refs, path, tuple(constants.items()))
    return Node(name, module, tuple(tuple(a) if isinstance(a, list) else a for a in args), (), path)


def read_inputs(inp: object) -> tuple[tuple[str, ...], dict | None]:
    """``graph.input``: the input names, and the example inputs when it gives them."""
    if isinstance(inp, str):
        return (inp,), None
    if isinstance(inp, list):
        return tuple(inp), None
    examples = {
        name: Example(
            shape=tuple(ex["shape"]),
            dtype=ex.get("dtype", "float32"),
            low=ex.get("low"),
            high=ex.get("high"),
        )
        for name, ex in inp.items()
    }
    return tuple(inp), examples
