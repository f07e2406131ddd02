"""Turn a validated spec into the plain form of model.py: compact expanded to Sequential,
input as a list, classes resolved, nodes as (module, args, kwargs) in forward order."""

from __future__ import annotations

from .load import Source
from .model import Example, Layer, Model, Module, Node
from .order import order
from .validate import Checked


def normalize(source: Source, checked: Checked) -> Model:
    """``source``: the spec validate checked (``checked.source``: a parametrized spec's
    values put in); values that came from ``${...}`` become literals.Expression."""
    data = source.data
    graph = data["graph"]
    raw_nodes = [_node(name, args) for name, args in graph["modules"].items()]
    called = {n.module for n in raw_nodes}
    modules = {
        name: _module(name, spec, checked)
        for name, spec in data["modules"].items()
        if name in called
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
    )


def _module(name: str, spec: dict, checked: Checked) -> Module:
    path = ("modules", name)
    (key,) = spec
    if key == "Sequential":
        layers = [_layer(item, path + (key, i), checked) for i, item in enumerate(spec[key])]
        return Module(name, tuple(layers), True, path)
    if key == "compact":
        return Module(name, tuple(_expand_compact(spec[key], path + (key,), checked)), True, path)
    return Module(name, (_layer(spec, path, checked),), False, path)


def _layer(spec: dict, path: tuple, checked: Checked) -> Layer:
    (cls,) = spec
    path += (cls,)
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
        return Node(name, module, (), tuple(args.items()), path)
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
