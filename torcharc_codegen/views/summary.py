"""``torcharc-gen summary``: the familiar layer table from one run of the spec's example inputs:
each node with its module, output shape, parameters and FLOPs, and under it every layer of its
module, nested like torchinfo's ``depth`` (down to ``DEPTH`` levels).

FLOPs are what ``torch.utils.flop_counter.FlopCounterMode`` counts: a multiply-add is two
(torchinfo's "mult-adds" count it once); operations it has no formula for (elementwise ones,
normalization, the fused RNN kernels, ...) count zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..api import Result

NO_SHAPES = (
    "no example shapes for input(s) {names}: a summary runs the model once; give graph.input "
    "as a mapping, e.g. `{first}: {{shape: [4, 128]}}`"
)
DEPTH = 3  # levels of layers listed under a node, as torchinfo's default depth
HEADER = ("node / layer", "module", "output shape", "params", "FLOPs")


@dataclass(frozen=True)
class _Run:
    """What one run, a statement at a time, measured."""

    instance: object
    flops: dict[str, int]  # node -> FLOPs of its statement
    layer_flops: dict[str, dict[str, int]]  # node -> FlopCounterMode's count per module path


def summarize(result: Result) -> str:
    """The table as text; the Result must come from a spec with example inputs."""
    model, probe = result.model, result.probe
    run = _measure(result)
    batch = _batch(result)
    at = f" at B={batch}" if batch is not None else ""  # the table shows B, the counts are one
    rows: list[tuple[str, ...]] = [(*HEADER[:-1], HEADER[-1] + at)]
    counted: set[str] = set()
    for node in model.nodes:
        module = model.modules[node.module]
        if module.sequential:
            kind = f"Sequential({module.length})"
        else:
            layer = module.layers[0]
            kind = probe.concrete.get((node.module, 0), (layer.cls.shown,))[0]
        if module.inline_helper is not None:
            kind += " (inline)"
        flops = _count(run.flops.get(node.name))
        owner = getattr(run.instance, node.module, None) if module.inline_helper is None else None
        if node.module in counted:
            shown = f"(shared with {node.module})"
        else:
            shown = f"{_params(owner)[0] + _params(owner)[1]:,}" if owner is not None else "0"
            counted.add(node.module)
        rows.append((node.name, kind, probe.comments.get(node.name, ""), shown, flops))
        if owner is not None and node.module in counted and shown[0] != "(":
            counts = run.layer_flops.get(node.name, {})
            rows += _layer_rows(owner, type(owner).__name__, node.module, probe, counts, 1)
    trainable = non_trainable = 0
    for name in counted:
        owner = getattr(run.instance, name, None)
        if owner is not None and model.modules[name].inline_helper is None:
            t, n = _params(owner)
            trainable, non_trainable = trainable + t, non_trainable + n
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    rule = "-" * (sum(widths) + 2 * (len(HEADER) - 1))
    lines = [_row(rows[0], widths), rule] + [_row(r, widths) for r in rows[1:]] + [rule]
    lines += [
        f"Inputs: {_inputs(result)}",
        f"Total params: {trainable + non_trainable:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {non_trainable:,}",
        f"Total FLOPs{at}: {sum(run.flops.values()):,}"
        " (torch.utils.flop_counter.FlopCounterMode:"
        " a multiply-add counts 2)",
    ]
    if model.params:  # the counts are one member's: say which
        values = ", ".join(f"{p.name}={p.default!r}" for p in model.params.values())
        lines.append(f"Counts at the defaults: {values}")
    lines += _formulas(result)
    return "\n".join(lines) + "\n"


def _formulas(result: Result) -> list[str]:
    """A parametrized spec's cost formulas, as the generated docstring shows them; a count
    with several cases (by the params the probe keeps plain) as its method's body."""
    family = result.model.family
    if family is None or family.search is None:
        return []
    bodies = _bodies(family.search.source)
    lines = []
    for line in family.search.doc:
        name = line.partition("(")[0]
        if name in bodies and " cases (see the method)" in line:
            lines += [f"{line.partition(':')[0]}, by case:", *bodies[name]]
        else:
            lines.append(line)
    return lines


def _bodies(source: str) -> dict[str, list[str]]:
    """The generated ``count_*`` methods' bodies (docstring left out), indented by 4."""
    import ast
    import textwrap

    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("count_"):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            text = "\n".join(ast.unparse(stmt) for stmt in body)
            out[node.name] = textwrap.indent(text, "    ").splitlines()
    return out


def _layer_rows(parent, path: str, module: str, probe, counts: dict, depth: int) -> list:
    """A row for each child of ``parent`` (indented by depth), then its own children."""
    if depth > DEPTH or not hasattr(parent, "named_children"):  # a bare Parameter: no children
        return []
    rows = []
    for name, child in parent.named_children():
        where = f"{path}.{name}"
        shape = ""
        if depth == 1 and name.isdigit():  # a Sequential's layer: its shape from the probe
            shape = probe.layers.get((module, int(name)), "")
        t, n = _params(child)
        flops = _count(counts.get(where, 0)) if counts else ""
        rows.append(("  " * depth + name, type(child).__name__, shape, f"{t + n:,}", flops))
        rows += _layer_rows(child, where, module, probe, counts, depth + 1)
    return rows


def _params(module) -> tuple[int, int]:
    """(trainable, non-trainable) parameter counts."""
    if module is None:
        return 0, 0
    params = [module] if not hasattr(module, "parameters") else list(module.parameters())
    trainable = sum(p.numel() for p in params if p.requires_grad)
    return trainable, sum(p.numel() for p in params) - trainable


def _count(flops: int | None) -> str:
    return "" if flops is None else f"{flops:,}"


def _batch(result: Result) -> int | None:
    """The example batch size the FLOPs are counted at, where the shapes show it as ``B``."""
    if not result.probe.batch_as_b:
        return None
    shapes = [ex.shape for ex in (result.model.examples or {}).values() if ex.shape]
    return shapes[0][0] if shapes else None


def _inputs(result: Result) -> str:
    examples = (result.model.examples or {}).items()
    return ", ".join(f"{name} {ex.text(batch=result.probe.batch_as_b)}" for name, ex in examples)


def _measure(result: Result) -> _Run:
    """Run the generated code on the example inputs a statement at a time, each under its
    own FlopCounterMode (a node's FLOPs are its statement's; a shared module's are counted at
    every call)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from ..check.runtime import construct, example_tensors, imported

    code, model = result.code, result.model
    with imported(code.text) as module:
        instance = construct(module, code, model)
        instance.eval()
        scope = dict(vars(module))
        inputs = example_tensors(model.examples)
        scope.update({code.variables[name]: value for name, value in inputs.items()})
        scope["self"] = instance
        flops, layer_flops = {}, {}
        # the fused inference kernels of MultiheadAttention and the Transformer layers have no
        # FLOP formula: count their plain code instead
        fastpath = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)
        try:
            with torch.no_grad():
                for stmt in code.statements:
                    with FlopCounterMode(display=False) as counter:
                        exec(compile(stmt.source, module.__file__, "exec"), scope)  # noqa: S102
                    flops[stmt.node] = counter.get_total_flops()
                    layer_flops[stmt.node] = {
                        path: sum(ops.values()) for path, ops in counter.get_flop_counts().items()
                    }
        finally:
            torch.backends.mha.set_fastpath_enabled(fastpath)
        return _Run(instance, flops, layer_flops)


def _row(cells: tuple, widths: list[int]) -> str:
    left = [c.ljust(w) for c, w in zip(cells[:3], widths[:3], strict=True)]
    right = [c.rjust(w) for c, w in zip(cells[3:], widths[3:], strict=True)]
    return "  ".join(left + right).rstrip()
