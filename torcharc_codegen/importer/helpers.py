"""A traced function or method call as a TorchArc helper (or a stateless torch.nn module):
``a + b`` of two tensors of one shape -> MergeSum, ``torch.cat`` -> MergeConcat,
``torch.flatten`` / ``torch.relu`` / ``x.view(...)`` -> TorchFn, ``x.mean(dims)`` -> Reduce,
``F.adaptive_avg_pool2d`` -> AdaptiveAvgPool2d, ``a @ b`` -> TorchFn matmul, ``F.linear`` ->
TorchFn of nn.functional.linear, ``x[:, 1:]`` -> Index, a tuple's item -> Get, ... Each
mapping is checked where it is made: the helper's own torch function (spec/helpers.py, what the
generated code computes) runs on the node's recorded inputs and must give its recorded output
bit for bit; a call with no mapping, or one whose check fails, is Unwritable with the reason."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

from ..grammar.spec_schema import DTYPES
from ..spec.helpers import HELPERS, TENSOR_METHODS
from ..spec.module_rules import FUNCTIONAL, functional_functions
from ..spec.subscripts import key_text


class Unwritable(Exception):
    """A traced call the spec language has no form for (the reason says what it is)."""


@dataclass
class Mapped:
    cls: str  # the spec's class key: a helper or a torch.nn class
    kwargs: dict  # its constructor arguments (spec literals)
    inputs: list  # the graph arguments: fx nodes, or lists of them (one Python list each)
    keywords: dict = field(default_factory=dict)  # more tensors, by keyword (TorchFn's)
    instead: Mapped | None = None  # the form to try when this one's check fails


ALIAS = object()  # the node is its input (``x.contiguous()`` of a contiguous x): no spec node


# Elementwise torch functions of one tensor that TorchFn writes as ``torch.<name>(x)``.
_UNARY = {
    "relu",
    "sigmoid",
    "tanh",
    "exp",
    "log",
    "abs",
    "neg",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "erf",
}
_REDUCTIONS = {"mean", "sum", "amax", "amin", "prod", "std", "var", "logsumexp"}
# Python's operators on tensors -> the torch function each one is
_OPERATORS = {
    operator.add: "add",
    operator.iadd: "add",
    operator.mul: "mul",
    operator.imul: "mul",
    operator.sub: "sub",
    operator.isub: "sub",
    operator.truediv: "div",
    operator.itruediv: "div",
    operator.floordiv: "floor_divide",
    operator.mod: "remainder",
    operator.pow: "pow",
    operator.matmul: "matmul",
    operator.gt: "gt",
    operator.ge: "ge",
    operator.lt: "lt",
    operator.le: "le",
    operator.eq: "eq",
    operator.ne: "ne",
    operator.and_: "bitwise_and",
    operator.or_: "bitwise_or",
    operator.xor: "bitwise_xor",
}
_UNARY_OPERATORS = {operator.neg: "neg", operator.invert: "bitwise_not", operator.abs: "abs"}
# ``number op x`` as ``torch.<reflected>(x, number)``
_REFLECTED = {
    "add": "add",
    "mul": "mul",
    "sub": "rsub",
    "gt": "lt",
    "lt": "gt",
    "ge": "le",
    "le": "ge",
    "eq": "eq",
    "ne": "ne",
    "bitwise_and": "bitwise_and",
    "bitwise_or": "bitwise_or",
    "bitwise_xor": "bitwise_xor",
}
# F.<fn> -> the torch.nn class that computes it from the same-named arguments
_FUNCTIONAL_MODULES = {
    "adaptive_avg_pool1d": "AdaptiveAvgPool1d",
    "adaptive_avg_pool2d": "AdaptiveAvgPool2d",
    "adaptive_avg_pool3d": "AdaptiveAvgPool3d",
    "adaptive_max_pool2d": "AdaptiveMaxPool2d",
    "max_pool1d": "MaxPool1d",
    "max_pool2d": "MaxPool2d",
    "max_pool3d": "MaxPool3d",
    "avg_pool1d": "AvgPool1d",
    "avg_pool2d": "AvgPool2d",
    "avg_pool3d": "AvgPool3d",
    "dropout": "Dropout",
    "dropout2d": "Dropout2d",
    "relu6": "ReLU6",
    "hardswish": "Hardswish",
    "hardsigmoid": "Hardsigmoid",
    "silu": "SiLU",
    "gelu": "GELU",
    "elu": "ELU",
    "leaky_relu": "LeakyReLU",
    "softmax": "Softmax",
    "log_softmax": "LogSoftmax",
    "interpolate": "Upsample",
}
_NOT_MODULE_ARGS = {"input", "inplace", "training", "_stacklevel", "dtype", "return_indices"}


def map_call(node, value, is_tensor, const, batch=lambda a: None) -> Mapped | object:
    """The helper for call_function/call_method ``node``. ``value(a)``: the recorded value of
    an fx node argument; ``is_tensor(a)``: whether it is a tensor node of the graph (not a
    folded size); ``const(a)``: an argument with the folded sizes put in (Unwritable when it
    holds a tensor); ``batch(a)``: the tensor node whose batch (first dimension) the folded
    size ``a`` is read from, else None."""
    import torch

    args, kwargs = list(node.args), dict(node.kwargs)
    target = node.target
    name = target if isinstance(target, str) else getattr(target, "__name__", str(target))
    if node.op == "call_method":
        if not args or not is_tensor(args[0]):
            raise Unwritable(f"method .{name}() of a value that is not a tensor of the graph")
        if name == "expand":
            return _expand(args, kwargs, value, const, batch)
        return _method(node, name, args, kwargs, value, is_tensor, const)
    module = getattr(target, "__module__", "") or ""
    if target in _OPERATORS or target in (torch.add, torch.mul, torch.sub, torch.div):
        return _arithmetic(_OPERATORS.get(target, name), args, kwargs, value, is_tensor, const)
    if target in _UNARY_OPERATORS:
        if kwargs or len(args) != 1 or not is_tensor(args[0]):
            raise Unwritable(f"{name} of something other than one tensor")
        return Mapped("TorchFn", {"name": _UNARY_OPERATORS[target]}, [args[0]])
    if target is operator.getitem:
        return _getitem(args, value, is_tensor, const)
    if target is getattr and len(args) == 2 and is_tensor(args[0]):  # x.max(dim=1).values
        fields = getattr(type(value(args[0])), "__match_args__", ())
        if args[1] in fields:
            return Mapped("Get", {"key": fields.index(args[1])}, [args[0]])
        raise Unwritable(f"reading .{args[1]} of a value")
    if target in (torch.cat, torch.concat, torch.stack):
        tensors = args[0] if args else kwargs.pop("tensors")
        dim = const(args[1] if len(args) > 1 else kwargs.pop("dim", 0))
        cls = "MergeStack" if target is torch.stack else "MergeConcat"
        if not kwargs and is_tensor(tensors) and isinstance(value(tensors), list | tuple):
            return Mapped(cls, {"dim": dim}, [tensors])  # a list the graph passes whole
        if kwargs or not isinstance(tensors, list | tuple) or not all(map(is_tensor, tensors)):
            raise Unwritable(f"torch.{name} of anything but a list of tensors")
        return Mapped(cls, {"dim": dim}, [list(tensors)])
    if target is torch.where and len(args) == 3 and not kwargs and is_tensor(args[1]):
        condition, x, other = args  # x.where(condition, other), its tensors by keyword
        tensors = {k: v for k, v in (("condition", condition), ("other", other)) if is_tensor(v)}
        constants = {"other": const(other)} if "other" not in tensors else {}
        if not is_tensor(condition):
            raise Unwritable("torch.where of a condition that is not a tensor")
        return Mapped("Method", {"name": "where", **constants}, [x], tensors)
    if target is torch.einsum:
        return _einsum(args, kwargs, is_tensor, const)
    if target in (torch.chunk, torch.split):
        return _fork(name, args, kwargs, is_tensor, const)
    if module.startswith("torch.nn.functional") or module == "torch._C._nn":
        if name in _UNARY:
            return _torch_fn(name, args, kwargs, is_tensor, const, drop=("inplace",))
        if name in _FUNCTIONAL_MODULES:
            return _functional_module(target, name, args, kwargs, is_tensor, const)
        functional = None
        if name in functional_functions():  # F.linear, F.pad: torch has no such function
            functional = _functional_fn(target, name, args, kwargs, is_tensor, const)
        if callable(getattr(torch, name, None)):  # F.layer_norm: torch.layer_norm, checked
            try:
                mapped = _torch_fn(name, args, kwargs, is_tensor, const)
            except Unwritable:
                if functional is None:
                    raise
                return functional
            mapped.instead = functional  # F.embedding: torch.embedding's arguments differ
            return mapped
        if functional is not None:
            return functional
    if getattr(torch, name, None) is target:
        if name in _REDUCTIONS:
            return _reduce(name, args, kwargs, is_tensor, const)
        return _torch_fn(name, args, kwargs, is_tensor, const)
    raise Unwritable(f"no TorchArc helper for {module + '.' if module else ''}{name}")


def _method(node, name, args, kwargs, value, is_tensor, const):
    import torch

    x = args[0]
    if name == "contiguous" and len(args) == 1 and not kwargs:
        # a copy where the layout changes: the next convolution's bits depend on it
        return ALIAS if value(x).is_contiguous() else Mapped("Method", {"name": name}, [x])
    if name in ("view", "reshape"):
        for a in [*args[1:], *kwargs.values()]:
            const(a)  # sizes only: a tensor there is Unwritable
        return Mapped("TorchFn", {"name": "reshape", "shape": _reshape(node, x, value)}, [x])
    if name == "flatten":
        return _torch_fn("flatten", args, kwargs, is_tensor, const)
    if name in ("split", "chunk"):  # x.split(sizes, dim): torch.split's arguments
        return _fork(name, args, kwargs, is_tensor, const)
    if name == "permute":
        dims = [const(a) for a in args[1:]]
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], list | tuple) else dims
        return Mapped("TorchFn", {"name": "permute", "dims": list(dims)}, [x])
    if name in _REDUCTIONS:
        return _reduce(name, args, kwargs, is_tensor, const)
    if name in ("add", "mul", "sub", "div") and len(args) == 2 and not kwargs:
        return _arithmetic(name, args, kwargs, value, is_tensor, const)
    if callable(getattr(torch, name, None)):
        return _torch_fn(name, args, kwargs, is_tensor, const)
    if name in TENSOR_METHODS:
        return _tensor_method(name, args, kwargs, is_tensor, const)
    raise Unwritable(f"no TorchArc helper for the tensor method .{name}()")


def _tensor_method(name, args, kwargs, is_tensor, const):
    """``x.<name>(...)`` torch has no function of (``x.float()``, ``x.type_as(y)``,
    ``x.repeat(1, 2, 1)``): Method, its arguments by their schema's names, sizes given one by
    one as the one list they are."""
    import torch

    rest = list(args[1:])
    if name == "to":  # x.to(torch.float64); x.to(y)'s keyword is `tensor` in Python, `other`
        # in TorchScript, so no keyword says it in both
        if len(rest) != 1 or kwargs or is_tensor(rest[0]):
            raise Unwritable("x.to() of anything but a dtype")
        kwargs, rest = {"dtype": rest[0]}, []
    if rest:
        schemas = torch._C._jit_get_schemas_for_operator(f"aten::{name}")
        params = [a for a in schemas[0].arguments[1:] if not a.kwarg_only] if schemas else []
        if len(params) == 1 and str(params[0].type).startswith("List[") and len(rest) > 1:
            rest = [rest]  # x.repeat(1, 2, 1): repeats=[1, 2, 1]
        if len(params) < len(rest):
            raise Unwritable(f".{name}()'s positional arguments have no names to write")
        kwargs = {**{p.name: a for p, a in zip(params, rest, strict=False)}, **kwargs}
    tensors = {k: v for k, v in kwargs.items() if is_tensor(v)}
    constants = {k: _lists(const(v)) for k, v in kwargs.items() if k not in tensors}
    return Mapped("Method", {"name": name, **constants}, [args[0]], tensors)


def _expand(args, kwargs, value, const, batch):
    """``x.expand(n, -1, ...)`` with ``n`` another tensor's batch (ViT's class token joining
    the patches): ExpandBatch, so the batch stays the input's; to sizes that are all
    constants: ``torch.broadcast_to``."""
    x, sizes = args[0], list(args[1:]) or [kwargs.pop("size")]
    if kwargs:
        raise Unwritable(f"expand with arguments {sorted(kwargs)}")
    if len(sizes) == 1 and isinstance(sizes[0], list | tuple):
        sizes = list(sizes[0])
    like = batch(sizes[0]) if sizes else None
    rest = [const(s) for s in sizes[1:]]
    if like is not None:
        return Mapped("ExpandBatch", {"sizes": rest}, [x, like])
    if any(batch(s) is not None for s in sizes[1:]):
        raise Unwritable("expand to a tensor's batch in a dimension other than the first")
    shape = [const(sizes[0]), *rest]
    if any(s == -1 for s in shape):
        shape = [v if v != -1 else d for v, d in zip(shape, value(x).shape, strict=False)]
    return Mapped("TorchFn", {"name": "broadcast_to", "size": shape}, [x])


def _reshape(node, x, value) -> list[int]:
    """The shape a view or reshape gives, with the batch (the first dimension, kept) as -1."""
    out, before = value(node), value(x)
    shape = list(out.shape)
    if shape and before.dim() and shape[0] == before.shape[0]:
        shape[0] = -1
    return shape


def _signature_kwargs(fn, args, kwargs, const, skip_first=True) -> dict:
    import inspect

    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except (TypeError, ValueError) as e:
        raise Unwritable(f"its arguments don't bind to {fn.__name__}: {e}") from None
    items = list(bound.arguments.items())[1 if skip_first else 0 :]
    return {k: const(v) for k, v in items}


def _torch_fn(name, args, kwargs, is_tensor, const, drop=()):
    """``torch.<name>(x, ...)``: its arguments after ``x`` by name, constants as TorchFn's
    arguments, tensors (a layer norm's own ``weight``) passed by keyword from the graph."""
    import torch

    if not args or not is_tensor(args[0]):
        raise Unwritable(f"torch.{name} of something other than one tensor")
    extra = {k: v for k, v in kwargs.items() if k not in drop}
    if len(args) > 1:
        names = _positional_names(name, len(args) - 1)
        if names is None or len(names) < len(args) - 1:
            raise Unwritable(f"torch.{name}'s positional arguments have no names to write")
        extra = {**dict(zip(names, args[1:], strict=False)), **extra}
    if not callable(getattr(torch, name, None)):
        raise Unwritable(f"torch has no function {name}")
    tensors = {k: v for k, v in extra.items() if is_tensor(v)}
    if "input" in tensors:  # torch.where(condition, input, other)
        raise Unwritable(f"torch.{name}'s first argument is not its input: no TorchFn says it")
    constants = {
        k: _lists(const(v)) for k, v in extra.items() if k not in tensors and v is not None
    }
    return Mapped("TorchFn", {"name": name, **constants}, [args[0]], tensors)


def _functional_fn(fn, name, args, kwargs, is_tensor, const):
    """``F.<name>(x, ...)`` where torch has no ``<name>``: TorchFn of ``nn.functional.<name>``,
    its arguments after ``x`` by name (its signature's, else its ATen schema's), tensors (a
    linear's own ``weight``, attention's ``key``) passed by keyword from the graph."""
    import inspect

    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = _schema_signature(name)
    if signature is None:
        raise Unwritable(f"F.{name} has no signature to name its arguments by")
    try:
        (_, x), *rest = signature.bind(*args, **kwargs).arguments.items()
    except (TypeError, ValueError) as e:
        raise Unwritable(f"its arguments don't bind to F.{name}: {e}") from None
    if not is_tensor(x):
        raise Unwritable(f"F.{name} of something other than a tensor first")
    tensors = {k: v for k, v in rest if is_tensor(v)}
    constants = {k: const(v) for k, v in rest if k not in tensors}
    defaults = {k: signature.parameters[k].default for k in constants}
    constants = {  # those left at their defaults (fx passes them all) left out
        k: _lists(v)
        for k, v in constants.items()
        if not (type(v) is type(defaults[k]) and v == defaults[k])
    }
    return Mapped("TorchFn", {"name": FUNCTIONAL + name, **constants}, [x], tensors)


def _positional_names(name: str, count: int = 0) -> list[str] | None:
    """The names of ``torch.<name>``'s positional arguments after the input, from its first
    schema that takes ``count`` of them (``squeeze(x, 1)``: ``squeeze.dim``'s)."""
    import torch

    for schema in torch._C._jit_get_schemas_for_operator(f"aten::{name}"):
        names = [a.name for a in schema.arguments[1:] if not a.kwarg_only]
        if len(names) >= count:  # torch.where(condition, self, other): Python's `input`
            return ["input" if n == "self" else n for n in names]
    return None


def _reduce(name, args, kwargs, is_tensor, const):
    """``x.mean(dims)``: Reduce; with more (``dtype``, ``len(args) > 3``): TorchFn."""
    if not is_tensor(args[0]):
        raise Unwritable(f"{name} of something other than one tensor")
    if set(kwargs) - {"dim", "keepdim"} or len(args) > 3:
        return _torch_fn(name, args, kwargs, is_tensor, const)
    kwargs = dict(kwargs)
    dim = const(args[1]) if len(args) > 1 else const(kwargs.pop("dim", None))
    keepdim = const(args[2]) if len(args) > 2 else const(kwargs.pop("keepdim", False))
    dim = list(dim) if isinstance(dim, tuple) else dim
    out = {"name": name, "dim": dim}
    if keepdim:
        out["keepdim"] = True
    return Mapped("Reduce", out, [args[0]])


def _arithmetic(op, args, kwargs, value, is_tensor, const):
    """``a + b`` / ``a * b`` of two tensors of one shape and dtype: MergeSum / MergeProd
    (TorchArc's); broadcast: Add / Mul (this project's extension, ``a * b`` in forward); any
    other operator of two tensors: TorchFn with the second by keyword (``torch.sub(a,
    other=b)``); with a number: TorchFn (``torch.pow(x, exponent=2)``), ``1 - x`` its reflected
    function (``torch.rsub(x, other=1)``), ``1 / x`` ``torch.reciprocal``."""
    if kwargs or len(args) != 2:
        raise Unwritable(f"{op} with arguments other than two operands")
    a, b = args
    if is_tensor(a) and is_tensor(b):
        va, vb = value(a), value(b)
        if op in ("add", "mul") and va.shape == vb.shape and va.dtype == vb.dtype:
            return Mapped("MergeSum" if op == "add" else "MergeProd", {}, [[a, b]])
        if op in ("add", "mul"):
            return Mapped("Add" if op == "add" else "Mul", {}, [a, b])
        return Mapped("TorchFn", {"name": op}, [a], {_second(op): b})
    if op == "matmul":
        raise Unwritable("@ of a tensor and something other than a tensor")
    if is_tensor(a):
        return Mapped("TorchFn", {"name": op, _second(op): const(b)}, [a])
    if is_tensor(b):
        number, reflected = const(a), _REFLECTED.get(op)
        if op == "div" and number == 1:
            return Mapped("TorchFn", {"name": "reciprocal"}, [b])
        if reflected is not None:
            return Mapped("TorchFn", {"name": reflected, _second(reflected): number}, [b])
    raise Unwritable(f"{op} of a number and a tensor in this order")


def _second(fn: str) -> str:
    """The name of ``torch.<fn>``'s second operand: ``other``, ``exponent`` for pow."""
    names = _positional_names(fn, 1)
    return names[0] if names else "other"


def _holds_node(a) -> bool:
    import torch.fx

    return isinstance(a, torch.fx.Node)


def _getitem(args, value, is_tensor, const):
    import torch

    container, key = args
    key = const(key)
    held = value(container)
    if isinstance(held, torch.Tensor):
        if isinstance(key, int):
            return Mapped("Get", {"key": key}, [container])
        return _index(container, key, held)
    if isinstance(held, list | tuple) and isinstance(key, int):
        return Mapped("Get", {"key": key}, [container])
    if isinstance(held, dict) and isinstance(key, str | int):
        return Mapped("Get", {"key": key}, [container])
    raise Unwritable(f"indexing a {type(held).__name__} with {key!r}")


def _index(x, key, held) -> Mapped:
    """``x[key]`` of integers, slices, None and ``...`` (``x[:, 1:]``, ``x[..., 0::2]``):
    Index, written as forward writes it, so the sizes it leaves open stay the input's; the
    batch (the first dimension) is kept whole."""
    items = key if isinstance(key, tuple) else (key,)
    if not all(_subscript_item(i) for i in items):
        raise Unwritable(f"indexing a tensor with {key!r}: a subscript of more than numbers")
    if items.count(Ellipsis) > 1:
        raise Unwritable(f"indexing a tensor with {key!r}")
    first = next((i for i in items if i is not None), slice(None)) if held.dim() else None
    if items[0] is None or (first is not Ellipsis and first != slice(None)):
        raise Unwritable(f"indexing a tensor with {key!r}: a pick from the batch dimension")
    return Mapped("Index", {"key": key_text(items)}, [x])


def _subscript_item(item) -> bool:
    if isinstance(item, slice):
        return all(v is None or type(v) is int for v in (item.start, item.stop, item.step))
    return item is None or item is Ellipsis or type(item) is int


def _einsum(args, kwargs, is_tensor, const):
    """``torch.einsum(equation, a, b, ...)`` (or its operands in one list): Einsum."""
    equation, operands = (const(args[0]) if args else None), list(args[1:])
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = list(operands[0])
    if kwargs or not isinstance(equation, str) or not operands:
        raise Unwritable("torch.einsum with arguments other than an equation and tensors")
    if not all(map(is_tensor, operands)):
        raise Unwritable("torch.einsum of something other than tensors")
    return Mapped("Einsum", {"equation": equation}, [operands])


def _fork(name, args, kwargs, is_tensor, const):
    if not is_tensor(args[0]):
        raise Unwritable(f"torch.{name} of something other than a tensor")
    rest = [const(a) for a in args[1:]]
    extra = {k: const(v) for k, v in kwargs.items()}
    if name == "chunk":
        chunks = rest[0] if rest else extra.pop("chunks")
        dim = rest[1] if len(rest) > 1 else extra.pop("dim", 0)
        return Mapped("ForkChunk", {"chunks": chunks, "dim": dim}, [args[0]])
    sections = rest[0] if rest else extra.pop("split_size_or_sections")
    dim = rest[1] if len(rest) > 1 else extra.pop("dim", 0)
    sections = list(sections) if isinstance(sections, tuple) else sections
    return Mapped("ForkSplit", {"split_size_or_sections": sections, "dim": dim}, [args[0]])


def _functional_module(fn, name, args, kwargs, is_tensor, const):
    import inspect

    from torch import nn

    if not args or not is_tensor(args[0]):
        raise Unwritable(f"F.{name} of something other than one tensor")
    cls = getattr(nn, _FUNCTIONAL_MODULES[name])
    values = _bind(_functional_signature(fn, name, cls), name, args, kwargs, const)
    accepted = inspect.signature(cls.__init__).parameters
    given = _functional_signature(fn, name, cls).parameters
    out = {}
    for k, v in values.items():
        if k in _NOT_MODULE_ARGS:
            continue
        if k not in accepted and type(v) is type(given[k].default) and v == given[k].default:
            continue  # F.interpolate's antialias=False, which fx passes: nn.Upsample's own
        if k not in accepted:
            raise Unwritable(f"F.{name}'s argument {k} has no place in nn.{cls.__name__}")
        default = accepted[k].default
        if not (type(v) is type(default) and v == default):
            out[k] = list(v) if isinstance(v, tuple) else v
    return Mapped(cls.__name__, out, [args[0]])


def _functional_signature(fn, name: str, cls):
    """``F.<name>``'s signature: its own, else its implementation's where it dispatches on an
    argument (``F.max_pool2d`` -> ``F._max_pool2d``), else for a builtin average pool (no
    signature) its module's arguments, which come in the same order, after the input, else
    (``F.gelu``, a builtin) its ATen schema's."""
    import inspect

    import torch.nn.functional as F

    for candidate in (fn, getattr(F, f"_{name}", None)):
        try:
            signature = inspect.signature(candidate)
        except (TypeError, ValueError):
            continue
        kinds = {p.kind for p in signature.parameters.values()}
        if not kinds & {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}:
            return signature
    if name.startswith("avg_pool"):
        given = list(inspect.signature(cls.__init__).parameters.values())[1:]
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        return inspect.Signature(
            [inspect.Parameter("input", kind)] + [p.replace(kind=kind) for p in given]
        )
    return _schema_signature(name)


def _schema_signature(name: str):
    """``aten::<name>``'s first schema as a Python signature (its input named ``input``)."""
    import inspect

    import torch

    schemas = torch._C._jit_get_schemas_for_operator(f"aten::{name}")
    if not schemas:
        return None
    P = inspect.Parameter
    params = [P("input", P.POSITIONAL_OR_KEYWORD)]
    for a in schemas[0].arguments[1:]:
        kind = P.KEYWORD_ONLY if a.kwarg_only else P.POSITIONAL_OR_KEYWORD
        params.append(
            P(a.name, kind, default=a.default_value if a.has_default_value() else P.empty)
        )
    return inspect.Signature(params)


def _bind(signature, name: str, args, kwargs, const) -> dict:
    if signature is None:
        raise Unwritable(f"F.{name} has no signature to name its arguments by")
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as e:
        raise Unwritable(f"its arguments don't bind to F.{name}: {e}") from None
    return {k: const(v) for k, v in list(bound.arguments.items())[1:]}


def check(mapped: Mapped, args: list, expected, keywords: dict | None = None) -> str | None:
    """Why ``mapped`` run on ``args`` and ``keywords`` (its graph arguments' recorded values)
    doesn't give ``expected`` bit for bit; None when it does."""
    keywords = keywords or {}
    import torch
    from torch import nn

    try:
        if mapped.cls in HELPERS:
            helper = HELPERS[mapped.cls]
            fn = helper.torch_fn(**helper.bind(mapped.kwargs))
        else:
            module = getattr(nn, mapped.cls)(**_tuples(mapped.kwargs)).eval()
            fn = module
        with torch.no_grad():
            got = fn(*args, **keywords)
    except Exception as e:  # noqa: BLE001
        return f"{mapped.cls} doesn't run on the recorded inputs: {type(e).__name__}: {e}"
    if not _equal(got, expected):
        return f"{mapped.cls}({mapped.kwargs}) doesn't give the traced call's output"
    return None


def _lists(value):
    """Tuples as lists, all the way down, and a dtype its name: the YAML form of a spec
    value."""
    import torch

    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    if isinstance(value, torch.dtype):
        name = str(value).removeprefix("torch.")
        if name not in DTYPES:
            raise Unwritable(f"the dtype {value}, which a spec doesn't name")
        return name
    return value


def _tuples(kwargs: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def _equal(a, b) -> bool:
    import torch

    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return False
