"""One traced module's forward as a spec graph: its inputs, a node per call of a child
(``relu``, then ``relu~2`` for the same module called again; a ModuleList whose entries are
called one after the other is a Sequential), a Parameter or Buffer module per own tensor it
reads (tensors.py), a helper module and node per function or method call (helpers.py), sizes
(``x.size(0)``, ``x.shape[1] // 2``) folded into the example's constants, and the output.
Anything the language can't say is Unwritable, with the source line it came from."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

from ..names import MODULE_ATTRIBUTES
from .helpers import ALIAS, Mapped, Unwritable, check, map_call
from .tensors import Own
from .trace import Traced, node_line


class GraphUnwritable(Exception):
    def __init__(self, reason: str, line: str | None):
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass
class Graph:
    inputs: list[str]
    nodes: dict = field(default_factory=dict)  # spec node name -> its arguments
    helpers: dict = field(default_factory=dict)  # helper module name -> {class: kwargs}
    children: list[str] = field(default_factory=list)  # children called, in call order
    chained: set[str] = field(default_factory=set)  # ModuleLists called entry by entry
    given: set[str] = field(default_factory=set)  # ... with more than a tensor: `blk(x, H, W)`
    unread: list[str] = field(default_factory=list)  # own tensors forward never reads, kept
    folded: dict = field(default_factory=dict)  # forward's non-tensor arguments -> their value
    output: object = None
    lines: dict = field(default_factory=dict)  # spec node name -> source line


_SIZE_METHODS = {"size", "dim"}
_SIZE_ATTRS = {"shape", "ndim"}
_ARITHMETIC = {
    operator.getitem,
    operator.add,
    operator.sub,
    operator.mul,
    operator.floordiv,
    operator.truediv,
    operator.mod,
    operator.pow,
    operator.neg,
    operator.eq,
    operator.ne,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
    getattr,
    int,
    len,
}


def convert(traced: Traced, children: dict, own: dict[str, Own]) -> Graph:
    """The spec graph of a traced module whose children are ``children`` (name -> module) and
    whose own tensors are ``own``: each one it reads is a Parameter or Buffer module of that
    name (its state_dict key), read by a node with no arguments."""
    import torch
    import torch.fx

    values = traced.values
    static: dict[str, object] = {}  # folded size values by fx node name
    names: dict[str, object] = {}  # fx node name -> spec node name (or a list of names)
    calls: dict[str, int] = {}
    taken = set(children)
    graph = Graph(inputs=[])

    def is_tensor(a) -> bool:
        return isinstance(a, torch.fx.Node) and a.name not in static

    def value(a):
        return values[a.name]

    def const(a):
        if isinstance(a, torch.fx.Node):
            if a.name in static:
                return static[a.name]
            raise Unwritable(f"a tensor ({a.name}) where a constant argument goes")
        if isinstance(a, list | tuple):
            return type(a)(const(v) for v in a)
        if isinstance(a, slice):
            return slice(const(a.start), const(a.stop), const(a.step))
        if isinstance(a, dict):
            return {k: const(v) for k, v in a.items()}
        return a

    chains: dict[str, int] = {}  # a ModuleList (Sequential) called entry by entry -> entries called
    shapes: dict[str, object] = {}  # folded `x.shape` / `x.size()` -> x's fx node
    batches: dict[str, object] = {}  # folded `x.shape[0]` / `x.size(0)` -> x's fx node

    def batch(a):
        return batches.get(a.name) if isinstance(a, torch.fx.Node) else None

    def ref(a):
        if isinstance(a, torch.fx.Node):
            if a.name in static:
                raise Unwritable(
                    f"it passes on a size ({static[a.name]!r} in the example) where a spec's"
                    " graph passes tensors"
                )
            return names[a.name]
        if isinstance(a, list | tuple):
            return [ref(v) for v in a]
        raise Unwritable(f"the constant {a!r} passed where the graph passes tensors")

    def _holds_tensor(a) -> bool:
        if isinstance(a, list | tuple):
            return any(map(_holds_tensor, a))
        return is_tensor(a)

    for node in traced.graph.nodes:
        line = node_line(node)
        try:
            if node.op == "placeholder" and not _has_tensor(values.get(node.name)):
                # a number or flag forward is given (MaxViT's partition size): the example's
                graph.folded[node.target] = static[node.name] = values.get(node.name)
            elif node.op == "placeholder":  # forward's own name (fx's is `input_1` for `input`)
                name = node.target if node.target not in taken else node.name
                graph.inputs.append(name)
                names[node.name] = name
                taken.add(name)
            elif node.op == "get_attr":
                target = node.target
                if target.startswith("_tensor_constant"):  # fx's name, not the module's
                    raise Unwritable(
                        "it computes a tensor from no input (from a buffer, or a constant it"
                        " makes), which a spec can only hold inside a module"
                    )
                if target not in own:
                    raise Unwritable(
                        f"it reads `self.{target}`, a tensor inside one of its children, which a"
                        " spec can only hold inside that module"
                    )
                if own[target].spec is None:
                    raise Unwritable(own[target].reason)
                if target not in graph.nodes:
                    graph.helpers[target] = own[target].spec
                    graph.nodes[target] = []
                    graph.lines[target] = line
                    taken.add(target)
                names[node.name] = target
            elif node.op == "call_module" and _chain_entry(node.target, children):
                parent, entry = node.target.split(".")
                step = chains.get(parent, 0)
                unchained = Unwritable(
                    f"it calls `self.{node.target}` other than on the output of the entry"
                    f" before it alone, which a Sequential `{parent}` would"
                )
                order = list(children[parent]._modules)
                extra = [*node.args[1:], *node.kwargs.values()]  # sizes, flags: folded in
                if order.index(entry) != step or not node.args or any(map(_holds_tensor, extra)):
                    raise unchained
                if extra:  # each entry a block that folds them in (units.py checks)
                    graph.given.add(parent)
                arg = node.args[0]
                if step == 0:
                    graph.children.append(parent)
                    graph.chained.add(parent)
                    graph.nodes[parent] = [ref(arg)]
                    graph.lines[parent] = line
                elif names.get(getattr(arg, "name", None)) != parent or any(
                    u is not node and u.name not in static for u in arg.users  # but its sizes
                ):
                    raise unchained
                chains[parent] = step + 1
                names[node.name] = parent
            elif node.op == "call_module":
                target = node.target
                if "." in target or target not in children:
                    raise Unwritable(
                        f"it calls `self.{target}`, a module inside one of its children"
                    )
                count = calls[target] = calls.get(target, 0) + 1
                name = target if count == 1 else f"{target}~{count}"
                if count == 1:
                    graph.children.append(target)
                tensors = [_holds_node(a) and not _holds_size(a, static) for a in node.args]
                if node.kwargs or not all(tensors):
                    args = _by_name(children[target], target, node, ref, is_tensor, const)
                else:
                    args = [ref(a) for a in node.args]
                graph.nodes[name] = args
                graph.lines[name] = line
                names[node.name] = name
            elif node.op in ("call_function", "call_method"):
                if node.target is operator.getitem and not node.users:
                    continue  # an item unpacked and never used: `x, _ = self.attn(...)`
                if _is_size(node, static, is_tensor):
                    static[node.name] = values[node.name]
                    _note_batch(node, shapes, batches, is_tensor)
                    continue
                if node.target is operator.getitem and not _has_tensor(values.get(node.name)):
                    static[node.name] = values.get(node.name)  # sizes a child gives: (H, W)
                    continue
                mapped = map_call(node, value, is_tensor, const, batch)
                if mapped is ALIAS:
                    names[node.name] = names[node.args[0].name]
                    continue
                assert isinstance(mapped, Mapped)
                mapped = _checked(mapped, values, values[node.name])
                name = _helper_name(node, mapped, ref)
                name = _fresh(f"{name}_1" if name in MODULE_ATTRIBUTES else name, taken)
                taken.add(name)
                graph.helpers[name] = {mapped.cls: mapped.kwargs or None}
                if mapped.keywords:  # the input and the tensors by keyword
                    (x,) = mapped.inputs
                    keywords = {k: ref(v) for k, v in mapped.keywords.items()}
                    graph.nodes[name] = {"input": ref(x), **keywords}
                else:
                    graph.nodes[name] = [ref(a) for a in mapped.inputs]
                graph.lines[name] = line
                names[node.name] = name
            elif node.op == "output":
                graph.output = _output(node.args[0], ref)
        except Unwritable as e:
            raise GraphUnwritable(str(e), line) from None
    for target, tensor in own.items():  # in eval, say: kept for the state_dict
        if target not in graph.nodes and tensor.kept:
            if tensor.spec is None:
                raise GraphUnwritable(tensor.reason, None)
            graph.helpers[target] = tensor.spec
            graph.unread.append(target)
    for parent, called in chains.items():
        if called != len(children[parent]):
            what = f"it calls {called} of the {len(children[parent])} entries of `self.{parent}`"
            raise GraphUnwritable(what, graph.lines[parent])
    return graph


def _chain_entry(target: str, children: dict) -> bool:
    """``target`` is an entry of a child nn.ModuleList or plain Sequential (``blocks.0``:
    ``for b in self.blocks: x = b(x)``), which the spec writes as a Sequential: its entries'
    names are the same."""
    from torch import nn

    parent, _, entry = target.partition(".")
    module = children.get(parent)
    plain = type(module) is nn.ModuleList or is_plain_sequential(module)
    return plain and entry in module._modules


def is_plain_sequential(module) -> bool:
    """nn.Sequential, or a subclass of it that adds no forward and no tensors of its own
    (torchvision's Conv2dNormActivation): its checkpoint is its entries'."""
    from torch import nn

    cls = type(module)
    if not isinstance(module, nn.Sequential):
        return False
    return cls is nn.Sequential or (
        cls.forward is nn.Sequential.forward and not module._parameters and not module._buffers
    )


def _has_tensor(value) -> bool:
    import torch

    if isinstance(value, list | tuple):
        return any(map(_has_tensor, value))
    if isinstance(value, dict):
        return any(map(_has_tensor, value.values()))
    return isinstance(value, torch.Tensor)


def _holds_size(a, static: dict) -> bool:
    """A folded size, or a list holding one (``self.pos((B, H, W))``)."""
    if isinstance(a, list | tuple):
        return any(_holds_size(v, static) for v in a)
    return getattr(a, "name", None) in static


def _holds_node(a) -> bool:
    """An fx node, or a list of them (a Python list the node passes whole)."""
    import torch.fx

    if isinstance(a, list | tuple):
        return all(map(_holds_node, a))
    return isinstance(a, torch.fx.Node)


def _by_name(child, target: str, node, ref, is_tensor, const) -> dict:
    """A child's call with keywords or constants (``self.attn(x, x, x, need_weights=False)``)
    as keyword arguments named by its forward: a tensor a node name, a bool or number (or a
    size, folded) a constant, a None its forward's default left out."""
    import inspect

    import torch.fx

    signature = inspect.signature(child.forward)
    try:
        bound = signature.bind(*node.args, **node.kwargs)
    except TypeError as e:
        raise Unwritable(f"its call of `self.{target}` doesn't bind to its forward: {e}") from None
    out: dict = {}
    for key, value in bound.arguments.items():
        param = signature.parameters[key]
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise Unwritable(f"it calls `self.{target}` with *{key}, which a node can't name")
        if isinstance(value, torch.fx.Node) and not is_tensor(value):
            value = const(value)  # a size: the example's number
        if isinstance(value, list | tuple) and not any(map(is_tensor, value)):
            value = list(const(value))  # sizes: the example's, folded into the child's block
        if isinstance(value, torch.fx.Node):
            out[key] = ref(value)
        elif value is None and param.default is None:
            continue
        elif isinstance(value, bool | int | float) or (
            isinstance(value, list) and all(isinstance(v, int | float) for v in value)
        ):
            out[key] = value
        else:
            raise Unwritable(
                f"it passes `self.{target}` the constant {key}={value!r}: a node passes a bool"
                " or a number"
            )
    return out


def _note_batch(node, shapes, batches, is_tensor) -> None:
    """Where the size ``node`` is read from: ``x.shape`` / ``x.size()`` go in ``shapes``,
    ``x.shape[0]`` / ``x.size(0)`` (x a tensor of the graph) in ``batches``."""
    args = node.args
    if node.op == "call_method" and node.target == "size" and is_tensor(args[0]):
        dim = args[1] if len(args) > 1 else node.kwargs.get("dim")
        if dim is None:
            shapes[node.name] = args[0]
        elif dim == 0:
            batches[node.name] = args[0]
    elif node.target is getattr and args[1] == "shape" and is_tensor(args[0]):
        shapes[node.name] = args[0]
    elif node.target is operator.getitem and getattr(args[0], "name", None) in shapes:
        if args[1] == 0:
            batches[node.name] = shapes[args[0].name]


def _is_size(node, static, is_tensor) -> bool:
    """A size: ``x.size()``/``x.dim()``/``x.shape``, or arithmetic on sizes and numbers."""
    if node.op == "call_method" and node.target in _SIZE_METHODS:
        return True
    if node.target is getattr and len(node.args) == 2 and node.args[1] in _SIZE_ATTRS:
        return True
    if node.op == "call_function" and (node.target in _ARITHMETIC or _is_assert(node.target)):
        nodes = [a for a in node.all_input_nodes]
        return bool(nodes) and all(n.name in static for n in nodes)
    return False


def _is_assert(target) -> bool:
    """``torch._assert`` on sizes, and the guard fx puts on an argument left at None: true on
    the example, checked by its shapes ever after."""
    import torch
    import torch.fx._symbolic_trace as symbolic_trace

    return target is torch._assert or target is getattr(symbolic_trace, "_assert_is_none", None)


def _recorded(a, values):
    import torch.fx

    if isinstance(a, torch.fx.Node):
        return values[a.name]
    return [_recorded(v, values) for v in a]


def _checked(mapped: Mapped, values: dict, expected) -> Mapped:
    """The first of ``mapped`` and the forms to try instead that gives ``expected`` on the
    recorded inputs; Unwritable with the first one's problem when none does."""
    first = None
    while mapped is not None:
        inputs = [_recorded(a, values) for a in mapped.inputs]
        keywords = {k: values[v.name] for k, v in mapped.keywords.items()}
        problem = check(mapped, inputs, expected, keywords)
        if problem is None:
            return mapped
        first = first or problem
        mapped = mapped.instead
    raise Unwritable(first)


def _helper_name(node, mapped: Mapped, ref) -> str:
    """A helper node's name: fx's (the function's, ``matmul``), but for a field of torch's
    result the field's (``values``), for an item of a tuple the tuple's and its index
    (``chunk_0``, not fx's ``getitem``), and for a subscript of a tensor the tensor's
    (``x_item``; ``item`` for a long name)."""
    if node.target is getattr:  # x.max(dim=1).values: values
        return node.args[1]
    if node.target is not operator.getitem:
        return node.name
    if mapped.cls == "Get" and isinstance(mapped.kwargs["key"], int):
        return f"{ref(node.args[0]).partition('~')[0]}_{mapped.kwargs['key']}"  # attn~2: attn
    if mapped.cls == "Index":
        base = ref(node.args[0]).partition("~")[0]
        return f"{base}_item" if len(base) <= 12 and not base.endswith("item") else "item"
    return node.name


def _fresh(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name}_{n}" in taken:
        n += 1
    return f"{name}_{n}"


def _output(out, ref):
    if isinstance(out, dict):
        return {k: ref(v) for k, v in out.items()}
    if isinstance(out, list | tuple):
        return [ref(v) for v in out]
    return ref(out)
