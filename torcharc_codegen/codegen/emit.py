"""Render a Model as Python source with the Jinja templates in templates/, then format it with
black. Every spec value passes through ``literal`` and every name comes from the file's
namespaces (namespace.py), so nothing from a spec is pasted into the code as text.

``emit`` returns a :class:`Code`, like torch.fx's ``PythonCode``: the text together with where
each part of the spec landed in it (every node's variable and statement, every module's and
Sequential layer's lines), so later stages never read the generated text back.

The file holds the model's class after its blocks' classes (blocks.py), one emitter writing
each class.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from ..grammar.schema import float_arguments
from ..spec.entries import INDEX
from ..spec.helpers import HELPERS, OPERATOR_LIMITS, TENSOR, Helper
from ..spec.literals import (
    Expression,
    argument_literal,
    expressions,
    identifier_from,
    literal,
    pascal_case,
)
from ..spec.model import Layer, Model, Node
from ..spec.return_types import class_returns
from .blocks import File, block_classes, block_lines
from .code import BlockCode, Code, Shapes, Span, Statement
from .docstring import class_docstring, docstring_text, init_param
from .format import fits, format_big, format_source, line_length, with_comment
from .imports import DEFAULT_IMPORTS
from .linemap import line_map
from .namespace import Namespace
from .provenance import Header
from .render import render, render_model

# Code, Statement, Header and the formatters live in codegen/; other modules import them from
# here too.
__all__ = [
    "BIG_MODEL",
    "Code",
    "Draft",
    "Header",
    "Span",
    "Statement",
    "draft",
    "emit",
    "format_big",
    "format_source",
]


def emit(
    model: Model,
    class_name: str,
    header: Header,
    probe: Shapes | None = None,
    mode=None,
    *,
    big: bool | None = None,
) -> Code:
    """The model file (the header comment, then the code formatted by black with ``mode``, a
    black.Mode; None: black's defaults) and its map. ``big`` picks the formatter (format_big
    or black on the whole file); by default the model's size does."""
    d = draft(model, class_name, header, probe, line_length(mode))
    if big is None:
        big = len(d.parts["modules"]) + len(d.parts["statements"]) >= BIG_MODEL
    code = format_big(d.parts, mode) if big else format_source(d.text, mode)
    return d.code(header.render(code), code)


# Above this many statements black runs per statement, not on the whole file (see format_big).
BIG_MODEL = 400


@dataclass(frozen=True)
class Draft:
    """The unformatted file: what the template was given (``parts``) and its text."""

    parts: dict
    statements: tuple[Statement, ...]
    variables: dict[str, str]
    layers: dict[str, int | None]  # module written in __init__ -> its Sequential's length
    blocks: dict[str, BlockCode] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return render_model(self.parts)

    def code(self, top: str, formatted: str) -> Code:
        """The Code of the file: the ``top`` comment, then this draft ``formatted``."""
        lines = formatted.split("\n")
        init, forward = line_map(lines, self.parts["class_name"], self.layers, self.statements)
        offset = top.count("\n")
        return Code(
            text=top + formatted,
            class_name=self.parts["class_name"],
            variables=self.variables,
            statements=self.statements,
            output=self.parts["output"],
            forward_lines={k: (a + offset, b + offset) for k, (a, b) in forward.items()},
            init_lines={k: (a + offset, b + offset) for k, (a, b) in init.items()},
            blocks=block_lines(self.blocks, lines, offset),
        )


def draft(
    model: Model,
    class_name: str,
    header: Header,
    probe: Shapes | None = None,
    line_length: int = 88,
) -> Draft:
    """What the template needs (names, and statements as Python source), not yet formatted."""
    file = File(class_name)
    file.claim_blocks(model)
    blocks, codes = block_classes(
        model,
        header.spec_name,
        probe,
        file,
        lambda block, name, shapes: _Emitter(block, name, shapes, line_length, file),
    )
    emitter = _Emitter(model, class_name, probe, line_length, file)
    parts = emitter.class_parts(class_docstring(model, header.spec_name, probe))
    parts.update(
        {
            "search": model.family.search.source if model.family and model.family.search else "",
            "blocks": blocks,
            "helper_classes": emitter.helper_sources(),
            "private_reset": any(
                _private_reset(layer)
                for m in [model, *model.blocks.values()]
                for module in m.modules.values()
                for layer in module.layers
            ),
        }
    )
    stdlib, others = emitter.imports()
    if parts["search"]:
        stdlib = sorted([*stdlib, "from typing import ClassVar"])
    parts.update({"stdlib_imports": stdlib, "imports": others})
    statements = parts.pop("_statements")
    written = [m["name"] for m in parts["modules"]]
    layers = {
        name: len(model.modules[name].layers) if model.modules[name].sequential else None
        for name in written
    }
    return Draft(parts, statements, dict(emitter.vars), layers, codes)


class _Emitter:
    def __init__(
        self,
        model: Model,
        class_name: str,
        probe: Shapes | None,
        line_length: int,
        file: File,
    ):
        self.model = model
        self.comments = probe.comments if probe else {}
        self.layer_comments = probe.layers if probe else {}
        self.concrete = probe.concrete if probe else {}
        self.block_args = probe.block_args if probe else {}
        self.lifted = probe.lifted if probe else {}
        self.values = probe.values if probe else {}
        # input or node -> its shape text, as the comments show it
        self.shapes = {**(probe.inputs if probe else {}), **self.comments}
        self.line_length = line_length
        self.class_name = class_name
        self.file = file
        self.top = file.top
        self.vars = _variable_names(model)
        self.types: dict[str, str | None] = {n: TENSOR for n in model.inputs}
        # module -> the type of what its first call passes it (a Sequential's layers' types
        # follow from it: a Get after a fork takes a list)
        self.input_types: dict[str, str | None] = {}
        self._classes = file.classes
        self._stateless = file.stateless
        self._stateful = file.stateful
        self._imports = file.imports

    def class_parts(self, docstring: str) -> dict:
        """The template's values for this model's class (or block's)."""
        written = [name for name, m in self.model.modules.items() if m.inline_helper is None]
        unpacked = self.unpacking()
        statements = tuple(  # first: the types flow from the statements to the layers
            self.statement(n, unpacked.get(n.name))
            for n in self.model.nodes
            if unpacked.get(n.name) != ""
        )
        modules = [{"name": name, "init": self.init_line(name)} for name in written]
        output, returns = self.output()
        return {
            "class_name": self.class_name,
            "docstring": docstring_text(docstring),
            "modules": modules,
            "params": list(self.model.inputs),
            "init_params": [init_param(p) for p in self.model.params.values()]
            + [f"{name}: int" for name in self.lifted],
            "returns": returns,
            "statements": [
                {"var": s.var, "expr": s.expr, "comment": s.comment, "above": s.above}
                for s in statements
            ],
            "output": output,
            "_statements": statements,
            "fills": [
                {"name": name, "fill": _fill(m.layers[0].kwargs)}
                for name, m in self.model.modules.items()
                if not m.sequential and m.layers[0].cls.kind in ("parameter", "buffer")
            ],
        }

    # --- __init__ -------------------------------------------------------------------------
    def init_line(self, name: str) -> str:
        """``self.<name> = <module>``; a Buffer's ``self.register_buffer(...)``."""
        module = self.model.modules[name]
        if not module.sequential and module.layers[0].cls.kind == "buffer":
            kwargs = module.layers[0].kwargs
            persistent = "" if kwargs.get("persistent", True) else ", persistent=False"
            return f'self.register_buffer("{name}", {self.construct(name)}{persistent})'
        return f"self.{name} = {self.construct(name)}"

    def construct(self, name: str) -> str:
        module = self.model.modules[name]
        types = self._layer_types(module.layers, self.input_types.get(name, TENSOR))
        calls = [
            self._entry(name, i, layer, in_type)
            for i, (layer, (in_type, _)) in enumerate(zip(module.layers, types, strict=True))
        ]
        if not module.sequential:
            return calls[0]
        # one layer a line (the trailing comma keeps black from joining them), with its shape
        # where the layer changes it
        lines = []
        before = self._input_shape(name)
        for i, call in enumerate(calls):
            shape = self.layer_comments.get((name, i))
            comment = f"-> {shape}" if shape and shape != before else ""
            lines.append(with_comment(call + ",", comment, 12, self.line_length))
            before = shape
        return self._sequential(lines, module.named)

    def _sequential(self, lines: list[str], named: bool) -> str:
        """``nn.Sequential(...)`` of entry lines (each ending in a comma); a named one takes
        an OrderedDict of (name, module) pairs."""
        if not lines:
            return "nn.Sequential()"
        body = "\n".join(lines)
        if not named:
            return "nn.Sequential(\n" + body + "\n)"
        ordered = self._import("collections", "OrderedDict")
        return f"nn.Sequential(\n{ordered}(\n[\n{body}\n]\n)\n)"

    def _entry(self, module: str, index: int | None, layer: Layer, input_type: str | None) -> str:
        """A Sequential entry's code: the layer's call; ``("name", call)`` in a named
        Sequential; a repeated one as a generator unpacked into the call,
        ``*(Block(...) for _ in range(n))``, where ``i`` is the copy's index."""
        call = self._layer(module, index, layer, input_type)
        if layer.name is not None:
            # a repeated entry's name is letters, digits, _, - and {i} (validated): an f-string
            text = f'f"{layer.name}"' if layer.repeat is not None else literal(layer.name)
            call = f"({text}, {call})"
        if layer.repeat is None:
            return call
        count = argument_literal(layer.repeat)
        if layer.name is None and not _uses_index(layer):
            return f"*({call} for _ in range({count}))"
        if layer.start == 0:
            bounds = count
        elif isinstance(layer.repeat, int) and not isinstance(layer.repeat, Expression):
            bounds = f"{layer.start}, {layer.start + layer.repeat}"
        else:
            bounds = f"{layer.start}, {count} + {layer.start}"
        return f"*({call} for {INDEX} in range({bounds}))"

    def _input_shape(self, module: str) -> str | None:
        """The shape text of what every call of ``module`` passes it (None: unknown, or not
        the same in every call)."""
        shapes = set()
        for node in self.model.nodes:
            if node.module == module:
                first = node.args[0] if node.args else (node.kwargs[0][1] if node.kwargs else None)
                shapes.add(self.shapes.get(first) if isinstance(first, str) else None)
        return shapes.pop() if len(shapes) == 1 else None

    def _layer(self, module: str, index: int | None, layer: Layer, input_type: str | None) -> str:
        ref = layer.cls
        if ref.kind == "sequential":
            types = self._layer_types(layer.layers, input_type)
            lines = [
                self._entry(module, None, inner, in_type) + ","
                for inner, (in_type, _) in zip(layer.layers, types, strict=True)
            ]
            return self._sequential(lines, layer.named)
        kwargs = dict(layer.kwargs)
        cls_name = ref.name
        if ref.kind == "parameter":
            return _parameter(kwargs)
        if ref.kind == "buffer":
            return _buffer(kwargs)
        if ref.kind == "block":
            kwargs.update(self.block_args.get((module, index), {}) if index is not None else {})
            args = ", ".join(f"{k}={argument_literal(v)}" for k, v in kwargs.items())
            return f"{ref.attr}({args})"  # a block's class has its name (claim_blocks)
        if index is not None and (module, index) in self.concrete:
            cls_name, inferred = self.concrete[(module, index)]
            kwargs = {**_without_defaults(cls_name, inferred), **kwargs}
        hints = float_arguments(cls_name) if ref.kind == "torch" else {}
        args = ", ".join(f"{k}={argument_literal(v, hints.get(k))}" for k, v in kwargs.items())
        if ref.kind == "torch":
            return f"nn.{cls_name}({args})"
        if ref.kind == "custom":
            return f"{self._import(ref.module, ref.attr)}({args})"
        helper = HELPERS[ref.name]
        if helper.stateful:
            return f"{self._stateful_class(helper.name)}({args})"
        return f"{self._stateless_class(helper.name, layer.kwargs, input_type)}()"

    def _import(self, module: str, attr: str) -> str:
        """The local name of ``module.attr`` (a nested class keeps its dotted tail)."""
        head, dot, tail = attr.partition(".")
        return self._imports.add(module, head, self.top.fresh) + dot + tail

    def _stateful_class(self, helper: str) -> str:
        if helper not in self._stateful:
            name = self.top.fresh(f"_{helper}")  # private: the file's one public class is the model
            template = HELPERS[helper].template
            self._classes[name] = render(template, name=name)
            self._stateful[helper] = name
        return self._stateful[helper]

    def _stateless_class(self, helper: str, kwargs: dict, input_type: str | None) -> str:
        """A stateless helper inside a Sequential: a small class with the explicit code, its
        input annotated with the type the previous layer gives it."""
        h = HELPERS[helper]
        key = (helper, literal(kwargs), input_type)
        if key in self._stateless:
            return self._stateless[key]
        base = "_" + helper + (pascal_case(str(kwargs.get("name", ""))) if "name" in kwargs else "")
        name = self.top.fresh(base)
        spec = ", ".join(f"{k}={literal(v)}" for k, v in kwargs.items())
        self._classes[name] = render(
            h.template,
            name=name,
            doc=docstring_text(f"{helper}({spec}) from the spec, as explicit code."),
            params=h.forward_params(input_type),
            returns=h.return_type(kwargs, input_type),
            expr=h.code(kwargs, {p: p for p in h.inputs}),
        )
        self._stateless[key] = name
        return name

    def helper_sources(self) -> list[str]:
        return list(self._classes.values())

    def imports(self) -> tuple[list[str], list[str]]:
        """The standard library's import lines, and the others: torch's, then the user's
        classes' (the two groups isort makes)."""
        lines = self._imports.lines()
        stdlib = [line for line in lines if line.split()[1] in sys.stdlib_module_names]
        return stdlib, [*DEFAULT_IMPORTS, *(line for line in lines if line not in stdlib)]

    # --- forward --------------------------------------------------------------------------
    def unpacking(self) -> dict[str, str]:
        """node -> the targets its tuple is unpacked into, for each node whose result is a
        tuple read only by ``Get`` nodes with distinct int keys (they get no statement of their
        own: node -> "" for them): ``output, (h_n, c_n) = self.rnn(seq)``. Unused items are
        ``_``; TorchScript gives ``_`` one type in forward, so a node whose ``_`` would get
        another than before keeps the plain statements."""
        readers: dict[str, list[Node]] = {}
        for node in self.model.nodes:
            for used in dict.fromkeys(node.uses()):
                readers.setdefault(used, []).append(node)
        outputs = {node for _, node in self.model.outputs()[1]}
        underscore: set = set()  # the structures `_` took so far

        def targets(name: str, absorbed: dict[str, str]) -> str | None:
            structure = self.values.get(name)
            if not isinstance(structure, tuple) or not structure or name in outputs:
                return None
            keys: dict[int, Node] = {}
            for reader in readers.get(name, []):
                key = self._get_key(reader, len(structure))
                if key is None or key in keys:
                    return None
                keys[key] = reader
            if not keys or (len(keys) < len(structure) and "_" in self.vars.values()):
                return None  # nothing reads it, or `_` is a node's variable
            items = []
            for i, part in enumerate(structure):
                if i not in keys:
                    underscore.add(part)
                    items.append("_")
                    continue
                inner = targets(keys[i].name, absorbed)
                items.append(f"({inner})" if inner else self.vars[keys[i].name])
                absorbed[keys[i].name] = ""
            return ", ".join(items) + ("," if len(items) == 1 else "")

        out: dict[str, str] = {}
        for node in self.model.nodes:
            if node.name in out:
                continue
            absorbed: dict[str, str] = {}
            before = set(underscore)
            target = targets(node.name, absorbed)
            if target is None or len(underscore) > 1:
                underscore.clear()
                underscore.update(before)
                continue
            out.update(absorbed)
            out[node.name] = f"({target})" if target.endswith(",") else target
        return out

    def _get_key(self, node: Node, length: int) -> int | None:
        """The item a ``Get`` node reads of a tuple of ``length`` (None: not such a node)."""
        module = self.model.modules[node.module]
        helper = module.inline_helper
        if helper is None or helper.name != "Get" or node.kwargs or len(node.args) != 1:
            return None
        key = module.layers[0].kwargs.get("key", 0)
        if isinstance(key, bool) or not isinstance(key, int) or not -length <= key < length:
            return None
        return key % length

    def statement(self, node: Node, target: str | None = None) -> Statement:
        module = self.model.modules[node.module]
        args = [self._arg(a) for a in node.args]
        kwargs = {k: self.vars[v] for k, v in node.kwargs}
        helper = module.inline_helper
        first = node.args[0] if node.args else (node.kwargs[0][1] if node.kwargs else None)
        input_type = self._arg_type(first) if first is not None else None
        self.input_types.setdefault(node.module, input_type)
        if not module.sequential and module.layers[0].cls.kind in ("parameter", "buffer"):
            expr = f"self.{node.module}"
            self.types[node.name] = TENSOR
        elif helper is not None:
            # positional arguments first; the rest may come by keyword
            bound = dict(zip(helper.inputs, args, strict=False))
            bound.update(kwargs)
            expr = self._operator(helper, node) or helper.code(module.layers[0].kwargs, bound)
            self.types[node.name] = helper.return_type(module.layers[0].kwargs, input_type)
        else:
            call = args + [f"{k}={v}" for k, v in kwargs.items()]
            call += [f"{k}={literal(v)}" for k, v in node.literals]
            expr = f"self.{node.module}({', '.join(call)})"
            self.types[node.name] = self._returns(module.layers, node, input_type)
        uses = tuple(dict.fromkeys(self.vars[u] for u in node.uses()))
        comment = self.comments.get(node.name, "")
        var = target or self.vars[node.name]
        above = bool(comment) and not fits(f"{var} = {expr}", 4 + len(comment), 8, self.line_length)
        return Statement(node.name, var, expr, uses, comment, above)

    def _operator(self, helper: Helper, node: Node) -> str | None:
        """``a + b`` for a MergeSum (``a * b`` for a MergeProd) of tensors the probe showed of
        one shape and one float dtype, few enough to give the stack-and-reduce's bits
        (helpers.OPERATOR_LIMITS); None otherwise."""
        if helper.operator is None or node.kwargs or len(node.args) != 1:
            return None
        (items,) = node.args
        if not isinstance(items, tuple) or len(items) < 2:
            return None
        shapes = {self.shapes.get(item) for item in items}
        match = _TENSOR_SHAPE.match(shapes.pop() or "") if len(shapes) == 1 else None
        if match is None or len(items) > OPERATOR_LIMITS.get(match["dtype"] or "float32", 0):
            return None
        return f" {helper.operator} ".join(self.vars[item] for item in items)

    def _returns(self, layers: tuple[Layer, ...], node: Node, input_type: str | None) -> str | None:
        """The type a module's call returns: its last layer's (an empty Sequential returns
        its input)."""
        if not layers:
            return input_type if len(node.uses()) == 1 else None
        return self._layer_types(layers, input_type)[-1][1]

    def _layer_types(
        self, layers: tuple[Layer, ...], input_type: str | None
    ) -> list[tuple[str | None, str | None]]:
        """(input type, return type) of each layer, each taking the one before's result."""
        out = []
        for layer in layers:
            cls = layer.cls
            if cls.kind == "sequential":
                inner = self._layer_types(layer.layers, input_type) if layer.layers else []
                returns = inner[-1][1] if inner else input_type
            elif cls.kind == "block":
                returns = self.file.returns.get(cls.attr)
            elif cls.kind == "helper":
                returns = HELPERS[cls.name].return_type(layer.kwargs, input_type)
            elif cls.returns_tensor:
                returns = TENSOR
            else:  # a tuple of tensors (an LSTM's), which a Get after it is annotated with
                returns = class_returns(cls.name) if cls.kind == "torch" else None
            out.append((input_type, returns))
            input_type = returns
        return out

    def _arg_type(self, arg) -> str | None:
        """The type of an argument: a node's or input's, or a list of tensors."""
        if isinstance(arg, tuple):
            return "list[torch.Tensor]" if all(self.types.get(a) == TENSOR for a in arg) else None
        return self.types.get(arg)

    def _arg(self, arg) -> str:
        if isinstance(arg, tuple):
            return "[" + ", ".join(self.vars[a] for a in arg) + "]"
        return self.vars[arg]

    def output(self) -> tuple[str, str | None]:
        kind, items = self.model.outputs()
        names = [self.vars[node] for _, node in items]
        types = [self.types.get(node) for _, node in items]
        if kind == "single":
            return names[0], types[0]
        if kind == "tuple":
            # `return a, b`; one item keeps its parentheses: `return (a,)`
            text = (
                ", ".join(names) if len(names) > 1 else "(" + "".join(n + "," for n in names) + ")"
            )
            return text, ("tuple[" + ", ".join(types) + "]") if types and all(types) else None
        text = "{" + ", ".join(f"{literal(k)}: {self.vars[node]}" for k, node in items) + "}"
        if not all(types):
            return text, None
        key = type(items[0][0]).__name__ if items else "str"
        # values of different types (a tensor and a fork's list): a Union TorchScript reads
        return text, f"dict[{key}, {' | '.join(dict.fromkeys(types))}]"


# One tensor's shape text, as model.shape_text writes it: ``(B, 64)``, ``(4, 10) float16``.
_TENSOR_SHAPE = re.compile(r"^\([^()]*\)(?: (?P<dtype>\w+))?$")


def _parameter(kwargs: dict) -> str:
    """``nn.Parameter(torch.full((1, 1, 768), 0.0))`` for a Parameter module's arguments."""
    shape = kwargs["shape"]
    dims = ", ".join(argument_literal(d) for d in shape) + ("," if len(shape) == 1 else "")
    grad = "" if kwargs.get("requires_grad", True) else ", requires_grad=False"
    return f"nn.Parameter(torch.full(({dims}), {_fill(kwargs)}){grad})"


def _buffer(kwargs: dict) -> str:
    """``torch.full((49,), 0, dtype=torch.int64)`` for a Buffer module's arguments."""
    shape = kwargs["shape"]
    dims = ", ".join(argument_literal(d) for d in shape) + ("," if len(shape) == 1 else "")
    dtype = kwargs.get("dtype", "float32")
    return f"torch.full(({dims}), {_fill(kwargs)}, dtype=torch.{dtype})"


def _fill(kwargs: dict) -> str:
    """The fill as its dtype's literal: ``0.0`` for a float, ``0`` for an int, ``False``."""
    dtype = kwargs.get("dtype", "float32")
    value = kwargs.get("fill", 0.0)
    if dtype == "bool":
        return argument_literal(bool(value))
    if dtype.startswith(("int", "uint")):
        return argument_literal(int(value))
    return argument_literal(value, "float")


def _uses_index(layer: Layer) -> bool:
    """Whether ``${i}`` is in the layer's arguments (a nested Sequential's layers' too)."""
    return any(INDEX in expr.names for expr in expressions(layer.kwargs)) or any(
        _uses_index(inner) for inner in layer.layers or ()
    )


def _private_reset(layer: Layer) -> bool:
    """Whether ``layer`` may hold a module that initializes itself in ``_reset_parameters``
    rather than ``reset_parameters`` (nn.MultiheadAttention, nn.Transformer and the layers
    built of them), so init_weights has to look for that one too; a custom class may."""
    if layer.cls.kind == "custom":
        return True
    if layer.cls.kind != "torch":
        return False
    from torch import nn

    cls = getattr(nn, layer.cls.name)
    return issubclass(cls, nn.MultiheadAttention) or cls.__module__ == nn.Transformer.__module__


def _without_defaults(cls_name: str, inferred: dict) -> dict:
    """The arguments the probe inferred for a Lazy layer's concrete class ``nn.<cls_name>``,
    but those equal to that class's own defaults."""
    import inspect

    from torch import nn

    params = inspect.signature(getattr(nn, cls_name)).parameters
    return {
        k: v
        for k, v in inferred.items()
        if k not in params
        or params[k].default is inspect.Parameter.empty
        or type(params[k].default) is not type(v)
        or params[k].default != v
    }


def _variable_names(model: Model) -> dict[str, str]:
    """A Python variable per input and node. Inputs are forward's parameters, as the spec
    writes them (validation refused the names that can't be). A node is its name where that
    is free in forward's scope, else a fresh name: `a~b` -> `a_b`, a node of a module called
    `torch` -> `torch_2`, so every statement reads as the node it computes while the names
    the code reads stay whole. Module names, the model's attributes, need no such care:
    `self.torch` hides nothing."""
    local = Namespace()
    names = {}
    for name in model.inputs:
        local.claim(name)
        names[name] = name
    for node in model.nodes:
        if "~" not in node.name and local.claim(node.name) is None:
            names[node.name] = node.name
    for node in model.nodes:
        if node.name not in names:
            names[node.name] = local.fresh(identifier_from(node.name.replace("~", "_")))
    return names
