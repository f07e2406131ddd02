"""How to write example inputs and how to declare an input, shown with the spec's own input
names (never a made-up ``x``)."""

from __future__ import annotations

from collections.abc import Sequence

from ..messages import cut


def example_inputs_hint(inputs: Sequence[str]) -> str:
    """What to add so sizes are inferred and the checks run, e.g. for inputs (image, meta):
    ``give graph.input as a mapping of each input to an example tensor, e.g. `input: {image:
    {shape: [4, 128]}, meta: {shape: [4, 128]}}```."""
    shown = [cut(n) for n in inputs[:3]] + (["..."] if len(inputs) > 3 else [])
    entries = ", ".join(n if n == "..." else f"{n}: {{shape: [4, 128]}}" for n in shown)
    return (
        "give graph.input as a mapping of each input to an example tensor, "
        f"e.g. `input: {{{entries}}}` with the real shapes"
    )


def declare_input_hint(inp: object, name: str) -> str:
    """How to declare ``name`` in ``graph.input`` as the spec writes it now."""
    if isinstance(inp, dict):
        return f"add `{cut(name)}: {{shape: [...]}}` to graph.input, with its example shape"
    names = [inp] if isinstance(inp, str) else inp if isinstance(inp, list) else []
    names = [cut(n) for n in names if isinstance(n, str)]
    if len(names) > 3:
        names = names[:2] + ["..."]
    return f"write `input: [{', '.join(names + [cut(name)])}]`"
