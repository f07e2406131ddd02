"""What emit produces: the generated file's text and where each part of the spec is in it.

A leaf (no imports from the rest of the package), so that the stages that run the generated
code (runtime, shapes, verify) depend on it rather than on the emitter.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Statement:
    """One statement of forward: ``var = expr``, computing ``node``."""

    node: str
    var: str  # or the targets a tuple is unpacked into: ``output, (h_n, c_n)``
    expr: str
    uses: tuple[str, ...]  # the variables it reads, in argument order
    comment: str = ""
    above: bool = False  # the comment goes on the line above (it would not fit after)

    @property
    def source(self) -> str:
        return f"{self.var} = {self.expr}"


Span = tuple[int, int]  # first and last line (1-based, in Code.text)


@dataclass(frozen=True)
class BlockCode:
    """A block's class in the generated file: its forward's statements, as for the model."""

    class_name: str
    inputs: tuple[str, ...]  # forward's parameters
    variables: dict[str, str]
    statements: tuple[Statement, ...]
    output: str
    layers: dict[str, int | None] = field(default_factory=dict)  # as Draft.layers
    init_lines: dict[tuple[str, int | None], Span] = field(default_factory=dict)


@dataclass(frozen=True)
class Code:
    """The generated file and where each part of the spec is in it."""

    text: str
    class_name: str
    variables: dict[str, str]  # input or node name -> its variable in forward
    statements: tuple[Statement, ...]  # forward's statements, in order
    output: str  # the expression forward returns
    forward_lines: dict[str, Span]  # node name -> its statement's lines
    init_lines: dict[tuple[str, int | None], Span]  # (module, None) or (module, layer) -> lines
    blocks: dict[str, BlockCode] = field(default_factory=dict)  # block name -> its class

    def init_target(
        self, line: int
    ) -> tuple[str | None, tuple[str, int | None]] | tuple[str, int | None] | None:
        """(module, Sequential index or None) of the model's __init__ code covering
        ``line``, the innermost when a layer covers it; (block, (module, index)) in a
        block's."""
        for owner, lines in [(None, self.init_lines)] + [
            (name, b.init_lines) for name, b in self.blocks.items()
        ]:
            hits = [key for key, (a, b) in lines.items() if a <= line <= b]
            if hits:
                hit = max(hits, key=lambda k: k[1] is not None)
                return hit if owner is None else (owner, hit)
        return None


@dataclass
class Shapes:
    """What the shape probe learned that emit writes into the file: emit's one input from
    the checks (check/shapes builds it), so the code generator never imports them."""

    comments: dict[str, str] = field(default_factory=dict)  # node name -> shape text
    layers: dict[tuple, str] = field(default_factory=dict)  # (module, i) -> Sequential layer's
    concrete: dict[tuple, tuple[str, dict]] = field(default_factory=dict)  # (module, i) -> Lazy
    docstring: list[str] = field(default_factory=list)  # the class docstring's shape lines
    values: dict[str, object] = field(default_factory=dict)  # node -> its output's structure
    inputs: dict[str, str] = field(default_factory=dict)  # input name -> shape text
    blocks: dict[str, Shapes] = field(default_factory=dict)  # block -> what its uses share
    # (module, entry) -> the sizes a block used there takes as arguments (its Lazy layers'
    # that differ between its uses); a block's own: those arguments -> what each is
    block_args: dict[tuple, dict] = field(default_factory=dict)
    lifted: dict[str, str] = field(default_factory=dict)
