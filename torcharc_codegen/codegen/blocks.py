"""The classes of a spec's blocks (its spec-defined modules) in the generated file, and what all
the file's classes share.

A block becomes a class of its own, written before the model's class, each after the blocks it
uses. The classes of one file share its top-level names, helper classes and imports
(:class:`File`): a block's class takes the block's name, and a helper class or import is
written once, whichever class uses it. emit.py writes the model's class and the file around
them; it hands ``block_classes`` its class emitter, so this module needs nothing of emit's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ..errors import SpecError
from ..spec.model import Model
from .code import BlockCode, Shapes
from .docstring import block_docstring
from .imports import Imports
from .linemap import line_map
from .namespace import Namespace
from .render import render


class File:
    """What the classes of one file share: its top-level names, the helper classes and
    imports they use, and what each block's forward returns."""

    def __init__(self, class_name: str):
        self.top = Namespace()  # the file's top level: the classes, helper classes, imports
        self.top.claim(class_name)
        self.classes: dict[str, str] = {}  # helper class name -> source
        self.stateless: dict[tuple, str] = {}  # (helper, kwargs literal, type) -> class name
        self.stateful: dict[str, str] = {}  # helper -> class name
        self.imports = Imports()
        self.returns: dict[str, str | None] = {}  # block -> its forward's return annotation

    def claim_blocks(self, model: Model) -> None:
        """A block's class is named as the spec names the block: its names are taken before
        any other top-level name is given out."""
        for name, block in model.blocks.items():
            if (held := self.top.claim(name)) is not None:
                what = (
                    f"block name {name!r} is taken in the generated file (by {held!r}: the"
                    " model's class or a name its code uses): rename the block"
                )
                raise SpecError([block.problem((), what)], block.source_name)


def block_classes(
    model: Model,
    spec_name: str,
    probe: Shapes | None,
    file: File,
    emitter: Callable[[Model, str, Shapes | None], Any],
) -> tuple[list[str], dict[str, BlockCode]]:
    """The source of each block's class (each after the blocks it uses), and block -> its
    BlockCode, with no lines yet (``block_lines`` adds them once the file is formatted).
    ``emitter(block, class_name, shapes)``: the class emitter that writes a class's template
    values (``class_parts``) and holds its forward's variables (``vars``), on ``file``."""
    sources, codes = [], {}
    for name, block in model.blocks.items():
        shapes = probe.blocks.get(name) if probe is not None else None
        writer = emitter(block, name, shapes)
        parts = writer.class_parts(block_docstring(block, spec_name, shapes))
        file.returns[name] = parts["returns"]
        codes[name] = BlockCode(
            parts["class_name"],
            block.inputs,
            dict(writer.vars),
            parts.pop("_statements"),
            parts["output"],
            {
                m["name"]: (
                    len(block.modules[m["name"]].layers)
                    if block.modules[m["name"]].sequential
                    else None
                )
                for m in parts["modules"]
            },
        )
        sources.append(render("block.py.j2", **parts))
    return sources, codes


def block_lines(
    blocks: dict[str, BlockCode], lines: list[str], offset: int
) -> dict[str, BlockCode]:
    """``blocks`` with where each one's __init__ code is in the formatted file's ``lines``
    (``offset``: the lines above them in Code.text)."""
    out = {}
    for name, block in blocks.items():
        block_init, _ = line_map(lines, block.class_name, block.layers, block.statements)
        spans = {k: (a + offset, b + offset) for k, (a, b) in block_init.items()}
        out[name] = dataclasses.replace(block, init_lines=spans)
    return out
