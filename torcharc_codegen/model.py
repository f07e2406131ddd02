"""The one plain in-memory form of a valid spec that the later stages read."""

from __future__ import annotations

from dataclasses import dataclass, field

from .classes import ClassRef
from .errors import Path
from .load import Source

Arg = str | tuple  # a node name, or a tuple of node names passed as one list


@dataclass(frozen=True)
class Layer:
    """One constructor call: ``cls(**kwargs)``."""

    cls: ClassRef
    kwargs: dict
    path: Path


@dataclass(frozen=True)
class Module:
    name: str
    layers: tuple[Layer, ...]
    sequential: bool
    path: Path


@dataclass(frozen=True)
class Example:
    """An example input tensor (our extension of ``graph.input``)."""

    shape: tuple[int, ...]
    dtype: str = "float32"
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Node:
    name: str  # as in the spec, e.g. "conv~left"
    module: str  # the module it calls, e.g. "conv"
    args: tuple[Arg, ...]
    kwargs: tuple[tuple[str, str], ...]
    path: Path

    def uses(self) -> list[str]:
        out: list[str] = []
        for a in self.args:
            out += list(a) if isinstance(a, tuple) else [a]
        return out + [v for _, v in self.kwargs]


Output = str | tuple | dict


@dataclass
class Model:
    inputs: tuple[str, ...]
    examples: dict[str, Example] | None  # None when the spec gives no example inputs
    modules: dict[str, Module]  # the modules some node calls, in spec order
    nodes: tuple[Node, ...]  # in forward order
    output: Output
    custom: dict[str, type] = field(default_factory=dict)
    warnings: list = field(default_factory=list)  # Problems that don't stop generation
    source: Source | None = None  # for locating problems found later (verification)

    def nodes_by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}
