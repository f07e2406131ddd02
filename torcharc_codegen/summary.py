"""``torcharc-gen summary``: the familiar layer table (node, module, output shape, parameters)
from one run of the spec's example inputs."""

from __future__ import annotations

from .api import Result
from .builtins import HELPERS

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
        if not module.sequential and module.layers[0].cls.name in HELPERS:
            kind += " (inline)" if not HELPERS[module.layers[0].cls.name].stateful else ""
        rows.append((node.name, kind, probe.comments.get(node.name, ""), shown))
    total = sum(probe.params.get(m, 0) for m in counted)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    rule = "-" * (sum(widths) + 6)
    lines = [_row(rows[0], widths), rule] + [_row(r, widths) for r in rows[1:]] + [rule]
    inputs = ", ".join(f"{n} {s}" for n, s in _input_shapes(result))
    lines += [f"Inputs: {inputs}", f"Total params: {total:,}"]
    return "\n".join(lines) + "\n"


def _row(cells: tuple, widths: list[int]) -> str:
    left = [c.ljust(w) for c, w in zip(cells[:3], widths[:3], strict=True)]
    return "  ".join(left + [cells[3].rjust(widths[3])]).rstrip()


def _input_shapes(result: Result) -> list[tuple[str, str]]:
    out = []
    for name, ex in (result.model.examples or {}).items():
        shape = "(" + ", ".join(map(str, ex.shape)) + ")"
        out.append((name, shape if ex.dtype == "float32" else f"{shape} {ex.dtype}"))
    return out
