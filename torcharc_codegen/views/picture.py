"""``torcharc-gen graph``: the spec's graph as a picture.

DOT (Graphviz) and Mermaid are written as text and need no other program; SVG and PNG are
drawn by Graphviz's ``dot`` when it is installed. Inputs are ellipses, each node a box with
its module class (and its output shape when the spec has example inputs), edges carry the
keyword or list position of each argument, and nodes that call the same module share a
colour and a dashed "shares weights" edge.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

from ..api import Result
from ..output.write import write_atomic
from ..spec.model import Model

PALETTE = ["#fde68a", "#bfdbfe", "#c7f9cc", "#fbcfe8", "#ddd6fe", "#fed7aa"]
FORMATS = (".dot", ".mmd", ".svg", ".png")


class PictureError(Exception):
    pass


def _class_label(result: Result, module: str) -> str:
    spec = result.model.modules[module]
    if spec.sequential:
        return f"Sequential({spec.length})"
    probe = result.probe
    if probe is not None and (module, 0) in probe.concrete:
        return probe.concrete[(module, 0)][0]
    return spec.layers[0].cls.shown


def _edges(model: Model) -> list[tuple[str, str, str]]:
    """(from, to, label) for every argument of every node."""
    out = []
    for node in model.nodes:
        for i, arg in enumerate(node.args):
            if isinstance(arg, tuple):
                out += [(a, node.name, f"[{i}][{j}]") for j, a in enumerate(arg)]
            else:
                out.append((arg, node.name, "" if len(node.args) == 1 else f"[{i}]"))
        out += [(value, node.name, key) for key, value in node.kwargs]
    return out


def _outputs(model: Model) -> list[tuple[str, str]]:
    """(node, label) for what forward returns."""
    kind, items = model.outputs()
    label = {"single": lambda k: "", "tuple": lambda k: f"[{k}]", "dict": str}[kind]
    return [(name, label(key)) for key, name in items]


def _shared(model: Model) -> dict[str, list[str]]:
    """Module -> the nodes calling it, for modules called more than once."""
    calls: dict[str, list[str]] = {}
    for node in model.nodes:
        calls.setdefault(node.module, []).append(node.name)
    return {m: nodes for m, nodes in calls.items() if len(nodes) > 1}


def _input_label(result: Result, name: str) -> list[str]:
    examples = result.model.examples or {}
    if name not in examples:
        return [name]
    dynamic = result.probe is not None and result.probe.batch_as_b
    return [name, examples[name].text(batch=dynamic)]


def _node_label(result: Result, node) -> list[str]:
    lines = [node.name, _class_label(result, node.module)]
    if result.probe is not None and node.name in result.probe.comments:
        lines.append(result.probe.comments[node.name])
    return lines


# --- DOT ------------------------------------------------------------------------------------


def _dot_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(result: Result) -> str:
    model = result.model
    shared = _shared(model)
    colour = {
        n: PALETTE[i % len(PALETTE)] for i, nodes in enumerate(shared.values()) for n in nodes
    }
    lines = [
        "digraph model {",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for name in model.inputs:
        lines.append(
            f"  {_dot_str('in:' + name)} [shape=ellipse, "
            f"label={_dot_str(chr(10).join(_input_label(result, name)))}];"
        )
    for node in model.nodes:
        fill = colour.get(node.name, "#f3f4f6")
        lines.append(
            f'  {_dot_str(node.name)} [shape=box, style="rounded,filled", '
            f"fillcolor={_dot_str(fill)}, "
            f"label={_dot_str(chr(10).join(_node_label(result, node)))}];"
        )
    lines.append('  "out:" [shape=ellipse, label="output"];')
    names = set(model.inputs)
    for src, dst, label in _edges(model):
        source = "in:" + src if src in names else src
        attrs = f" [label={_dot_str(label)}]" if label else ""
        lines.append(f"  {_dot_str(source)} -> {_dot_str(dst)}{attrs};")
    for name, label in _outputs(model):
        source = "in:" + name if name in names else name
        attrs = f" [label={_dot_str(label)}]" if label else ""
        lines.append(f'  {_dot_str(source)} -> "out:"{attrs};')
    for module, nodes in shared.items():
        for a, b in itertools.pairwise(nodes):
            lines.append(
                f"  {_dot_str(a)} -> {_dot_str(b)} [style=dashed, dir=none, "
                f'constraint=false, color="#6b7280", '
                f"label={_dot_str('shares weights: ' + module)}];"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Mermaid --------------------------------------------------------------------------------


def _mermaid_str(lines: list[str]) -> str:
    def escape(text: str) -> str:
        return (
            text.replace("&", "#amp;")
            .replace('"', "#quot;")
            .replace("<", "#lt;")
            .replace(">", "#gt;")
            .replace("\n", " ")
        )

    return '"' + "<br/>".join(escape(line) for line in lines) + '"'


def to_mermaid(result: Result) -> str:
    model = result.model
    ids = {("in", n): f"in{i}" for i, n in enumerate(model.inputs)}
    ids.update({("node", n.name): f"n{i}" for i, n in enumerate(model.nodes)})

    def ref(name: str) -> str:
        return ids[("in", name)] if ("in", name) in ids else ids[("node", name)]

    lines = ["flowchart TB"]
    for name in model.inputs:
        lines.append(f"  {ref(name)}([{_mermaid_str(_input_label(result, name))}])")
    for node in model.nodes:
        lines.append(f"  {ids[('node', node.name)]}[{_mermaid_str(_node_label(result, node))}]")
    lines.append('  out(["output"])')
    for src, dst, label in _edges(model):
        arrow = f" -->|{_mermaid_str([label])}| " if label else " --> "
        lines.append(f"  {ref(src)}{arrow}{ids[('node', dst)]}")
    for name, label in _outputs(model):
        arrow = f" -->|{_mermaid_str([label])}| " if label else " --> "
        lines.append(f"  {ref(name)}{arrow}out")
    for i, (module, nodes) in enumerate(_shared(model).items()):
        for a, b in itertools.pairwise(nodes):
            lines.append(
                f"  {ids[('node', a)]} -.-|{_mermaid_str(['shares weights'])}| "
                f"{ids[('node', b)]}"
            )
        lines.append(f"  classDef shared{i} fill:{PALETTE[i % len(PALETTE)]}")
        lines.append(f"  class {','.join(ids[('node', n)] for n in nodes)} shared{i}")
    return "\n".join(lines) + "\n"


# --- files ----------------------------------------------------------------------------------


def render(result: Result, path: Path) -> None:
    """Write the picture in the format ``path``'s suffix names."""
    suffix = path.suffix
    if suffix not in FORMATS:
        raise PictureError(f"{path}: the picture must end in {', '.join(FORMATS)}")
    if suffix == ".mmd":
        write_atomic(path, to_mermaid(result))
        return
    dot = to_dot(result)
    if suffix == ".dot":
        write_atomic(path, dot)
        return
    program = shutil.which("dot")
    if program is None:
        raise PictureError(
            f"drawing {suffix} needs Graphviz's `dot` program: install graphviz "
            "(apt-get install graphviz, brew install graphviz), or write .dot or .mmd"
        )
    drawn = subprocess.run(
        [program, f"-T{suffix[1:]}"], input=dot.encode("utf-8"), capture_output=True, timeout=120
    )
    if drawn.returncode != 0:
        raise PictureError(f"dot failed: {drawn.stderr.decode(errors='replace').strip()}")
    write_atomic(path, drawn.stdout)
