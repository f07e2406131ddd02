"""``torcharc-gen summary``: the familiar layer table (node, module, output shape, parameters)
from one run of the spec's example inputs."""

from __future__ import annotations

from .api import Result

NO_SHAPES = (
    "no example shapes for input(s) {names}: a summary runs the model once; give graph.input "
    "as a mapping, e.g. `{first}: {{shape: [4, 128]}}`"
)


def summarize(result: Result) -> str:
    """The table as text; the Result must come from a spec with example inputs."""
    model, probe = result.model, result.probe
    rows = [("node", "module", "output shape", "params")]
    counted: set[str] = set()
    for node in model.nodes:
        module = model.modules[node.module]
        if module.sequential:
            kind = f"Sequential({len(module.layers)})"
        else:
            layer = module.layers[0]
            kind = probe.concrete.get((node.module, 0), (layer.cls.name,))[0]
        params = probe.params.get(node.module, 0)
        if node.module in counted:
            shown = f"(shared with {node.module})"
        else:
            shown = f"{params:,}"
            counted.add(node.module)
        if module.inline_helper is not None:
            kind += " (inline)"
        rows.append((node.name, kind, probe.comments.get(node.name, ""), shown))
    total = sum(probe.params.get(m, 0) for m in counted)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    rule = "-" * (sum(widths) + 6)
    lines = [_row(rows[0], widths), rule] + [_row(r, widths) for r in rows[1:]] + [rule]
    examples = (result.model.examples or {}).items()
    inputs = ", ".join(f"{name} {ex.text()}" for name, ex in examples)
    lines += [f"Inputs: {inputs}", f"Total params: {total:,}"]
    return "\n".join(lines) + "\n"


def _row(cells: tuple, widths: list[int]) -> str:
    left = [c.ljust(w) for c, w in zip(cells[:3], widths[:3], strict=True)]
    return "  ".join(left + [cells[3].rjust(widths[3])]).rstrip()
