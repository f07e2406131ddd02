"""Where black put each statement emit wrote: the line map of a formatted file."""

from __future__ import annotations

from .code import Span, Statement


def line_map(
    lines: list[str],
    class_name: str,
    layers: dict[str, int | None],
    statements: tuple[Statement, ...],
) -> tuple[dict[tuple[str, int | None], Span], dict[str, Span]]:
    """Where black put each statement this module wrote: the model class's __init__ and
    forward hold only these statements, in this order, each starting at 8 spaces with the
    text the emitter gave it (``self.conv = ``, ``self.register_buffer(``, ``conv =
    ``); a Sequential's layers start at
    12 spaces, one per line (its trailing comma makes black explode the call), each perhaps
    after its shape comment. Should a
    formatter lay a Sequential out otherwise, its layers get no lines of their own and a
    failure among them is located at the module."""
    i = lines.index(f"class {class_name}(nn.Module):")
    init: dict[tuple[str, int | None], Span] = {}
    for name, count in layers.items():
        # a Buffer module's (black may put its name on the next line): the next one in order
        i, end = _statement(lines, i, (f"        self.{name} = ", "        self.register_buffer("))
        init[(name, None)] = (i + 1, end + 1)
        starts = [
            k
            for k in range(i + 1, end)
            if _indent(lines[k]) == 12 and not lines[k].lstrip().startswith((")", "]", "}", "#"))
        ]
        if starts and len(starts) == count:
            for index, (a, b) in enumerate(zip(starts, starts[1:] + [end], strict=True)):
                init[(name, index)] = (a + 1, b)
    forward: dict[str, Span] = {}
    i = next(k for k in range(i, len(lines)) if lines[k].startswith("    def forward("))
    for s in statements:
        i, end = _statement(lines, i, f"        {s.var} = ")
        forward[s.node] = (i + 1, end + 1)
    return init, forward


def _statement(lines: list[str], start: int, prefix: str | tuple[str, ...]) -> tuple[int, int]:
    """(first, last) 0-based index of the first statement at or after ``start`` that begins
    with ``prefix``; it goes on while lines are indented deeper or close a bracket."""
    first = next(k for k in range(start, len(lines)) if lines[k].startswith(prefix))
    last = first
    while last + 1 < len(lines) and (
        _indent(lines[last + 1]) > 8
        or (_indent(lines[last + 1]) == 8 and lines[last + 1].lstrip()[:1] in (")", "]", "}"))
    ):
        last += 1
    return first, last


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" ")) if line.strip() else 0
