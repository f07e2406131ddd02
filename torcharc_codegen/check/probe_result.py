"""What the symbolic probe finds (:class:`Result`), and why it stops (:class:`SymbolicError`)."""

from __future__ import annotations

from dataclasses import dataclass, field


class SymbolicError(Exception):
    """No expression in the parameters is right for every value (or the probe can't run)."""

    def __init__(self, path: tuple, message: str, param: str | None = None, final=False):
        super().__init__(message)
        self.path = path
        self.message = message
        self.param = param
        self.final = final  # no retry with the parameter plain can help

    def problem(self, source=None):
        from ..errors import Problem

        if source is None:
            return Problem(self.path, self.message)
        return source.problem(self.path, self.message, at_key=True)


@dataclass(frozen=True)
class Inferred:
    """A Lazy layer resolved: its concrete class and the sizes it inferred (Python source)."""

    cls: str
    sizes: dict[str, str]


@dataclass
class Result:
    layers: dict[tuple[str, int], Inferred] = field(default_factory=dict)  # (module, index)
    shapes: dict[str, object] = field(default_factory=dict)  # node -> ("4", "hidden"), ...
    inputs: dict[str, object] = field(default_factory=dict)  # input -> its shape
    # (module, index) -> what that layer gave, one shape per call
    layer_shapes: dict[tuple[str, int], list] = field(default_factory=dict)
    output: object = None  # the output's shapes, in the output's structure
    # The conditions torch checked on the way, as Python (stride and contiguity checks
    # included): informational, they don't restrict the sizes' expressions.
    guards: list[str] = field(default_factory=list)
    # param -> (lowest, highest) value the probe's reasoning covers (None: unbounded): where
    # torch branched on a value (an input at least as long as a kernel). Size-1 special cases
    # in torch's stride checks exclude 1 too, though sizes are the same there.
    ranges: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    # The parameter count and the forward's FLOPs (FlopCounterMode's count) as sympy
    # expressions in the symbols (``symbols``: sympy symbol -> parameter name); flops is None
    # where a layer ran by its documented shape rule (RNN: no FLOPs of torch's own to count).
    parameters: object = None
    flops: object = None
    symbols: dict = field(default_factory=dict)
    # block -> per call of it, in the forward's order: (input -> shape, node -> shape)
    blocks: dict[str, list] = field(default_factory=dict)
