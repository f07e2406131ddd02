"""torchvision classifiers as FLAT TorchArc specs: each model traced with torch.fx
(``symbolic_trace``), every node of its graph one spec node, written as YAML and checked.

- a ``call_module`` node is a spec module named after its target with ``.`` replaced by ``_``
  (``layer1.0.conv1`` -> ``layer1_0_conv1``, so checkpoint keys are ``layer1_0_conv1.weight``);
  its constructor's arguments are read back from the instance's attributes and checked by
  building the class again from them (same attributes, same state_dict shapes); a module called
  again (ResNet's ``relu``) is reused with ``~`` (``layer1_0_relu~1``);
- a ``call_function`` node is a TorchArc helper or a stateless module: ``operator.add`` of two
  tensors -> ``MergeSum``, ``torch.cat`` -> ``MergeConcat``, ``torch.flatten`` -> ``Flatten``,
  ``F.relu`` -> ``ReLU``, ``F.adaptive_avg_pool2d`` -> ``AdaptiveAvgPool2d``; any other node
  is an error naming it (TorchArc 2.1.2 has no helper for it).

The check (on by default): ``torcharc_codegen.generate`` compiles the spec, the generated class
loads the torchvision model's state_dict (BatchNorm statistics and affine made random first, so
eval mode's normalization is not the identity) with keys mapped (``.`` -> ``_``) strictly, and
both give the same outputs in eval mode (``torch.equal``).

    python benchmarks/flat_specs.py                      # every model, into a temporary dir
    python benchmarks/flat_specs.py resnet18 -o /tmp/flat --size 224
    python benchmarks/flat_specs.py --no-check -o /tmp/flat

Nothing is written into the repository: the specs are thousands of lines (densenet121) and
this script makes them again in a second.
"""

from __future__ import annotations

import argparse
import inspect
import operator
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import random_statistics, torchvision_models  # noqa: E402

MODELS = ["resnet18", "resnet34", "resnet50", "resnet101", "mobilenet_v2", "densenet121"]
SIZE = 64  # the example input's height and width (adaptive pooling takes any size >= 32)
_SKIPPED_ARGS = {"device", "dtype"}


class FlatSpecError(ValueError):
    """A node or module this script can't write as a TorchArc spec node."""


# ---------------------------------------------------------------------------- YAML, by hand
# One module and one graph node a line, in flow style: the shortest flat spec a person would
# write, so the comparison with a spec with blocks is not inflated by YAML's block style.


def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:  # 1e-05 is a string to YAML 1.1
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, str):
        plain = value.replace("~", "_").isidentifier() and not value.startswith("~")
        return value if plain else f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise FlatSpecError(f"no YAML form for {value!r}")


def _mapping(args: dict) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in args.items()) + "}"


def _module_line(name: str, cls: str, args: dict) -> str:
    return f"  {name}: {{{cls}: {_mapping(args) if args else ''}}}"


def to_yaml(spec: dict, header: str) -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines.append("modules:")
    for name, entry in spec["modules"].items():
        ((cls, args),) = entry.items()
        lines.append(_module_line(name, cls, args or {}))
    lines.append("graph:")
    lines.append("  input:")
    for name, example in spec["graph"]["input"].items():
        lines.append(f"    {name}: {_mapping(example)}")
    lines.append("  modules:")
    for name, args in spec["graph"]["modules"].items():
        lines.append(f"    {name}: {_scalar(args)}")
    lines.append(f"  output: {spec['graph']['output']}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ modules and their arguments


def _public_state(module: nn.Module) -> dict:
    return {
        k: v
        for k, v in vars(module).items()
        if not k.startswith("_") and k != "training" and not isinstance(v, torch.Tensor)
    }


def _shapes(module: nn.Module) -> dict:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def _same(a: nn.Module, b: nn.Module) -> bool:
    return type(a) is type(b) and _public_state(a) == _public_state(b) and _shapes(a) == _shapes(b)


def _short(value):
    """``(3, 3)`` -> ``3``: the form a person writes, where the class makes the tuple itself."""
    if isinstance(value, tuple) and value and all(v == value[0] for v in value):
        return value[0]
    return list(value) if isinstance(value, tuple) else value


def constructor_args(module: nn.Module, where: str) -> dict:
    """The arguments that build ``module`` again, those that differ from the defaults: read from
    its attributes (``bias`` from whether it has one), checked by building it again."""
    cls = type(module)
    if cls.__module__.split(".")[0] != "torch" or not hasattr(nn, cls.__name__):
        raise FlatSpecError(f"{where}: {cls.__qualname__} is not a torch.nn class")
    full: dict = {}
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if p.name in _SKIPPED_ARGS or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name == "bias" and "bias" in module._parameters:
            value = module.bias is not None
        elif hasattr(module, p.name):
            value = getattr(module, p.name)
        else:
            raise FlatSpecError(f"{where}: {cls.__name__} has no attribute for argument {p.name}")
        full[p.name] = (value, p.default)
    for shorten in (True, False):
        args = {}
        for name, (value, default) in full.items():
            if default is inspect.Parameter.empty or not _is_default(value, default):
                args[name] = _short(value) if shorten else _as_list(value)
        rebuilt = cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in args.items()})
        if _same(module, rebuilt):
            return args
    raise FlatSpecError(f"{where}: {cls.__name__}({args}) doesn't build the same module")


def _is_default(value, default) -> bool:
    """``(1, 1)`` is the default ``1`` of an argument the class makes a tuple of."""
    if isinstance(value, tuple) and not isinstance(default, tuple):
        return bool(value) and all(v == default for v in value)
    return value == default


def _as_list(value):
    return list(value) if isinstance(value, tuple) else value


# ------------------------------------------------------------------------------- the graph


def _function_node(node: torch.fx.Node) -> tuple[str, dict | None, list]:
    """(class, arguments, graph arguments) of a call_function node."""
    args, kwargs, target = node.args, dict(node.kwargs), node.target

    def tensor(a) -> bool:
        return isinstance(a, torch.fx.Node)

    if target in (operator.add, torch.add) and len(args) == 2 and all(map(tensor, args)):
        if not kwargs:
            return "MergeSum", None, [list(args)]
    if target is torch.cat:
        tensors, dim = args[0], kwargs.pop("dim", args[1] if len(args) > 1 else 0)
        if not kwargs and all(map(tensor, tensors)):
            return "MergeConcat", {"dim": dim}, [list(tensors)]
    if target is torch.flatten and tensor(args[0]):
        start = kwargs.pop("start_dim", args[1] if len(args) > 1 else 0)
        end = kwargs.pop("end_dim", args[2] if len(args) > 2 else -1)
        if not kwargs:
            flat_args = {} if start == 1 else {"start_dim": start}
            return "Flatten", {**flat_args, **({} if end == -1 else {"end_dim": end})}, [args[0]]
    if target is F.relu and tensor(args[0]):
        inplace = kwargs.pop("inplace", args[1] if len(args) > 1 else False)
        if not kwargs:
            return "ReLU", {"inplace": True} if inplace else None, [args[0]]
    if target is F.adaptive_avg_pool2d and tensor(args[0]):
        size = kwargs.pop("output_size", args[1] if len(args) > 1 else None)
        if not kwargs and size is not None:
            return "AdaptiveAvgPool2d", {"output_size": _short(tuple(size))}, [args[0]]
    raise FlatSpecError(
        f"node {node.name}: {node.op} {getattr(target, '__name__', target)}{tuple(args)} "
        f"{kwargs or ''}: no TorchArc helper for it"
    )


def flat_spec(model: nn.Module, size: int = SIZE) -> dict:
    """The flat TorchArc spec of ``model`` (a dict), every fx node one spec node."""
    traced = torch.fx.symbolic_trace(model)
    modules: dict[str, dict] = {}
    graph: dict[str, object] = {}
    names: dict[torch.fx.Node, str] = {}  # fx node -> its name in the spec's graph
    calls: dict[str, int] = {}  # module name -> how many nodes called it so far
    inputs, output = [], None

    def ref(a):
        if isinstance(a, torch.fx.Node):
            return names[a]
        if isinstance(a, list):
            return [ref(v) for v in a]
        raise FlatSpecError(f"argument {a!r}: not a tensor of the graph")

    for node in traced.graph.nodes:
        if node.op == "placeholder":
            inputs.append(node.name)
            names[node] = node.name
        elif node.op == "call_module":
            name = node.target.replace(".", "_")
            if node.kwargs or len(node.args) != 1:
                raise FlatSpecError(f"node {node.name}: {node.target} takes one tensor here")
            if name not in calls:
                module = traced.get_submodule(node.target)
                args = constructor_args(module, node.target)
                modules[name] = {type(module).__name__: args or None}
            calls[name] = calls.get(name, -1) + 1
            names[node] = name if calls[name] == 0 else f"{name}~{calls[name]}"
            graph[names[node]] = [ref(node.args[0])]
        elif node.op == "call_function":
            cls, args, call = _function_node(node)
            if node.name in modules or node.name in calls:
                raise FlatSpecError(f"node {node.name}: its name is also a module's")
            modules[node.name] = {cls: args or None}
            names[node] = node.name
            graph[node.name] = [ref(a) for a in call]
        elif node.op == "output":
            output = ref(node.args[0])
        else:
            raise FlatSpecError(f"node {node.name}: {node.op} {node.target}: not written")
    if len(inputs) != 1 or not isinstance(output, str):
        raise FlatSpecError(f"inputs {inputs}, output {output!r}: one tensor each expected")
    return {
        "modules": modules,
        "graph": {
            "input": {inputs[0]: {"shape": [2, 3, size, size]}},
            "modules": graph,
            "output": output,
        },
    }


def flat_yaml(name: str, size: int = SIZE) -> str:
    """The flat spec of torchvision's ``name`` as YAML text."""
    model = getattr(torchvision_models(), name)()
    import torchvision  # imported by torchvision_models(), the only safe way

    header = (
        f"torchvision {torchvision.__version__} {name}, traced with torch.fx: every node of\n"
        "its graph one spec node (written by benchmarks/flat_specs.py)"
    )
    return to_yaml(flat_spec(model, size), header)


# ------------------------------------------------------------------------------- the check


def flat_key(key: str) -> str:
    """torchvision's ``layer1.0.conv1.weight`` -> the flat spec's ``layer1_0_conv1.weight``."""
    path, leaf = key.rsplit(".", 1)
    return f"{path.replace('.', '_')}.{leaf}"


def check(name: str, text: str, size: int = SIZE) -> None:
    """``text`` (the flat spec of torchvision's ``name``) compiles, loads torchvision's
    state_dict (keys mapped) strictly and gives its outputs bit for bit in eval mode."""
    from torcharc_codegen import generate
    from torcharc_codegen.check.runtime import import_in_memory

    reference = getattr(torchvision_models(), name)()
    random_statistics(reference)
    source = generate(text, class_name="Flat")
    generated = import_in_memory(source).Flat()
    state = {flat_key(k): v for k, v in reference.state_dict().items()}
    generated.load_state_dict(state, strict=True)
    reference.eval(), generated.eval()
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = reference(x), generated(x)
    if not torch.equal(expected, got):
        diff = (expected - got).abs().max().item()
        raise AssertionError(f"{name}: the flat spec's outputs differ (max |diff| {diff:g})")


def yaml_nodes(text: str) -> dict:
    """The graph nodes of a spec's text."""
    import yaml

    return yaml.safe_load(text)["graph"]["modules"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=MODELS, help=f"default: {' '.join(MODELS)}")
    parser.add_argument("-o", "--out", type=Path, help="directory (default: a temporary one)")
    parser.add_argument("--size", type=int, default=SIZE, help="example input's height, width")
    parser.add_argument("--no-check", action="store_true", help="write only, don't compare")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="flat-specs-"))
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    print(f"writing into {out}")
    print("| model | graph nodes | flat spec (lines) | check |")
    print("|---|---|---|---|")
    for name in args.models:
        text = flat_yaml(name, args.size)
        path = out / f"{name}_flat.yaml"
        path.write_text(text)
        nodes = len(yaml_nodes(text))
        status = "not run"
        if not args.no_check:
            start = time.perf_counter()
            check(name, text, args.size)
            status = f"strict load, bit-exact ({time.perf_counter() - start:.1f} s)"
        print(f"| {name} | {nodes} | {len(text.splitlines())} | {status} |")


if __name__ == "__main__":
    main()
