"""The one plain in-memory form of a valid spec that the later stages read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ..errors import KeyPath, Problem
from .classes import ClassRef
from .helpers import HELPERS, Helper
from .load import Source

if TYPE_CHECKING:
    from ..params.declarations import Param
    from ..params.family import Family

Arg = str | tuple  # a node name, or a tuple of node names passed as one list


@dataclass(frozen=True)
class Layer:
    """One constructor call, ``cls(**kwargs)``: a torch.nn class, a helper, a user's class, a
    block of the spec (``cls.kind == "block"``), or a nested Sequential of ``layers``. As an
    entry of a Sequential it may be built ``repeat`` times (an int or an Expression of the
    enclosing params; ``${i}`` in its arguments is the copy's index, from ``start``), and in a
    named Sequential it has a ``name`` (a repeated one with ``{i}`` in it)."""

    cls: ClassRef
    kwargs: dict
    path: KeyPath
    layers: tuple[Layer, ...] | None = None  # a nested Sequential's entries
    named: bool = False  # a nested Sequential written as a mapping: its entries have names
    repeat: object = None  # None: built once
    start: int = 0
    name: str | None = None

    def count(self) -> int:
        """How many modules this entry builds, at the values the spec was checked at."""
        if self.repeat is None:
            return 1
        return int(getattr(self.repeat, "value", self.repeat))


@dataclass(frozen=True)
class Module:
    name: str
    layers: tuple[Layer, ...]
    sequential: bool
    path: KeyPath
    named: bool = False  # a Sequential written as a mapping: nn.Sequential(OrderedDict(...))

    @property
    def length(self) -> int:
        """How many modules a Sequential holds (a repeated entry's copies each count)."""
        return sum(layer.count() for layer in self.layers)

    @property
    def inline_helper(self) -> Helper | None:
        """The helper this module is written as, inline in forward: a helper that is
        inline by its definition, called as a node (not inside a Sequential)."""
        if self.sequential:
            return None
        cls = self.layers[0].cls
        helper = HELPERS[cls.name] if cls.kind == "helper" else None
        return helper if helper is not None and helper.inline else None


@dataclass(frozen=True)
class Example:
    """An example input tensor (our extension of ``graph.input``)."""

    shape: tuple[int, ...]
    dtype: str = "float32"
    low: float | None = None
    high: float | None = None

    def text(self, batch: bool = False) -> str:
        """The shape as shown; ``batch``: the first dimension as ``B`` (see shapes.py)."""
        shape = ("B", *self.shape[1:]) if batch and self.shape else self.shape
        return shape_text(shape, self.dtype)


def shape_text(shape: tuple[int | str, ...], dtype: str = "float32") -> str:
    """How a tensor's shape is shown everywhere (comments, docstrings, messages, tables,
    pictures): ``(4, 3, 32, 32)``, ``(4,)``, ``(4, 10) int64`` for a dtype other than float32;
    ``(B, 10)`` where the batch dimension is shown as dynamic (see shapes.py)."""
    text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    return text if dtype == "float32" else f"{text} {dtype}"


@dataclass(frozen=True)
class Node:
    name: str  # as in the spec, e.g. "conv~left"
    module: str  # the module it calls, e.g. "conv"
    args: tuple[Arg, ...]
    kwargs: tuple[tuple[str, str], ...]  # keyword -> node name
    path: KeyPath
    # keyword -> a constant (a bool or number: `need_weights: false`), this project's extension
    literals: tuple[tuple[str, object], ...] = ()

    def uses(self) -> list[str]:
        out: list[str] = []
        for a in self.args:
            out += list(a) if isinstance(a, tuple) else [a]
        return out + [v for _, v in self.kwargs]


Output = str | tuple | dict
OutputKind = Literal["single", "tuple", "dict"]


@dataclass
class Model:
    inputs: tuple[str, ...]
    examples: dict[str, Example] | None  # None when the spec gives no example inputs
    modules: dict[str, Module]  # the modules some node calls (or `keep:` lists), in spec order
    nodes: tuple[Node, ...]  # in forward order
    output: Output
    custom: dict[str, type] = field(default_factory=dict)
    warnings: list = field(default_factory=list)  # Problems that don't stop generation
    source: Source | None = None  # for locating problems found later (verification)
    family: Family | None = None  # a parametrized spec's parameters and ${...} places
    # The keyword arguments the checks build the generated class with (verify.py): {} for the
    # defaults, or the other values a parametrized file is checked at.
    init_args: dict = field(default_factory=dict)
    # The spec's blocks (``blocks:``), each a Model of its own, by name; shared by the model
    # and its blocks, in an order where a block comes after the blocks it uses.
    blocks: dict[str, Model] = field(default_factory=dict)
    name: str | None = None  # a block's name; None for the spec's model

    @property
    def params(self) -> dict[str, Param]:
        """A parametrized spec's parameters, in spec order (default: what the class takes)."""
        return self.family.params if self.family is not None else {}

    @property
    def source_name(self) -> str | None:
        return self.source.name if self.source is not None else None

    def problem(self, path: KeyPath, message: str) -> Problem:
        """A problem found after validation, located at the key of ``path`` in the spec."""
        if self.source is None:
            return Problem(tuple(path), message)
        return self.source.problem(path, message, at_key=True)

    def layers(self) -> list[Layer]:
        """Every layer its modules build, a nested Sequential's own layers included."""

        def walk(layers: tuple[Layer, ...]) -> list[Layer]:
            return [x for layer in layers for x in [layer, *walk(layer.layers or ())]]

        return [x for m in self.modules.values() for x in walk(m.layers)]

    def nodes_by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    def outputs(self) -> tuple[OutputKind, list[tuple[str | int | None, str]]]:
        """What forward returns: its kind and (key, node) pairs (key None for a single
        output, the position in a tuple, the key in a dict). The one place that branches on
        the spec's output form."""
        out = self.output
        if isinstance(out, str):
            return "single", [(None, out)]
        if isinstance(out, tuple):
            return "tuple", list(enumerate(out))
        return "dict", list(out.items())
