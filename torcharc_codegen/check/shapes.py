"""Shape inference: run the example inputs once through a draft of the generated code, then
read off every node's result shape and the sizes each Lazy module inferred.

The run is on the meta device (the draft built under ``torch.device("meta")``, the inputs meta
tensors): shapes and dtypes without storage, so a 7 B-parameter spec costs what a small one
does. Meta rather than FakeTensorMode: a meta-built module is an ordinary module that
jit.script, jit.trace, torch.compile and torch.export all take as it is (verify.py checks big
models that way), where jit.trace refuses a module built under FakeTensorMode (torch 2.13), and
the meta device needs no mode kept active around the run. A small model (``SMALL``) runs with
real weights instead: cheaper per op, and torch's CPU kernels word errors best.

The emitter then writes the concrete classes (``LazyLinear(out_features=64)`` becomes
``nn.Linear(in_features=128, out_features=64)``) and the shapes as comments, so the final file
needs no warm-up forward before it is scripted, exported or checkpointed. A block's class
gets the shapes all its uses agree on (block_shapes.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass, field, replace

from ..codegen.code import Code, Shapes
from ..errors import SpecError
from ..spec.literals import Expression
from ..spec.model import Model
from . import budget as budgets
from . import lazy_layers
from .block_shapes import block_calls, block_shapes
from .probe_result import Result as SymbolicResult
from .runtime import (
    ForwardError,
    construct,
    describe,
    example_tensors,
    imported,
    meta_tensors,
    numpy_known_missing,
    run_forward,
    short,
    state_bytes,
    structure,
)


@dataclass
class Probe(Shapes):
    """What running the example inputs taught us: the emitter's part (``Shapes``), and what
    the API and ``summary`` use besides."""

    params: dict[str, int] = field(default_factory=dict)  # module name -> parameter count
    # The same texts with the batch written as a number, when these write it as ``B``: the
    # export check has the last word (api.compile_spec).
    static: Probe | None = None
    device: str = "meta"  # where it ran: "meta" (no weights) or "cpu" (real weights)

    @property
    def batch_as_b(self) -> bool:
        """The shapes write the batch dimension as ``B``."""
        return self.static is not None


def probe(
    code: Code,
    model: Model,
    budget: int | None = None,
    *,
    on: str | None = None,
    names: SymbolicResult | None = None,
) -> Probe:
    """Run ``model.examples`` through ``code`` (the draft); raises SpecError with the failing
    node (or Sequential layer) when the model can't take them.

    A small model (weights and example inputs within ``SMALL`` bytes each, and within
    ``budget``) runs with real weights and example values: per op that is far cheaper than the
    meta device, whose kernels are Python decompositions (a 1000-layer chain: 1.2 s on meta,
    0.1 s for real, in a process that has imported torch._dynamo). Otherwise it runs on the
    meta device (shapes and dtypes, no storage), so its cost doesn't depend on the parameter
    count. When that fails (an op with no meta kernel, a shape that depends on the input's
    values, or a real mistake, whose message torch's meta kernels may word differently) it
    runs again with real weights and example values, if the parameters fit ``budget`` bytes
    (default budget.DEFAULT); else the meta failure is the error, saying so. ``on``: "cpu" or
    "meta" to choose the device (tests compare the two). ``names``: a parametrized spec's
    sizes and shapes in its parameters (check/symbolic.py): the inferred sizes become
    literals.Expression and the shapes are written in the parameter names.

    Shapes show the batch dimension as ``B`` when one more row in the first dimension of the
    inputs (all of one size, at least 2) runs too: then every dimension that grew with it is
    the batch. That run is cheap and decides the comments before the checks run; the export
    check (which exports with that dimension dynamic) confirms it, and when it finds the batch
    pinned the file is written again with numbers.
    """
    budget = budgets.parse(budgets.DEFAULT) if budget is None else budget
    with imported(code.text) as module, numpy_known_missing():
        instance = None
        if on != "cpu":
            try:
                instance = construct(module, code, model, "meta")
            except SpecError:
                pass  # built for real below: its error, or it builds there
        if instance is not None and on is None and _small(instance, model, budget):
            instance = None  # built for real below
        elif instance is not None:
            try:
                return _probe(
                    module, instance, code, model, meta_tensors(model.examples), "meta", names
                )
            except ForwardError as e:
                size = state_bytes(instance)
                if size > budget:
                    raise _over_budget(e, size, budget) from None
        instance = construct(module, code, model)
        return _probe(module, instance, code, model, example_tensors(model.examples), "cpu", names)


# Up to this many bytes of weights (and of example inputs) the probe runs for real.
SMALL = 16 * 2**20


def _small(instance, model: Model, budget: int) -> bool:
    import math

    import torch

    inputs = sum(
        math.prod(ex.shape) * getattr(torch, ex.dtype).itemsize for ex in model.examples.values()
    )
    return state_bytes(instance) <= min(SMALL, budget) and inputs <= SMALL


def _probe(
    module, instance, code: Code, model: Model, inputs: dict, device: str, names=None
) -> Probe:
    names = names or SymbolicResult()
    instance.eval()
    with _layer_outputs(instance, model) as layers, block_calls(module, code) as calls:
        scope = run_forward(module, instance, code, model, inputs, device)
    out = _texts(model, code, inputs, scope, layers, instance, names)
    out.device = device
    out.concrete = _concrete_layers(instance, model, names)
    out.blocks, out.block_args = block_shapes(module, instance, model, code, calls, names)
    out.params = {
        name: _numel(getattr(instance, name)) for name in model.modules if hasattr(instance, name)
    }
    out.values = {n.name: structure(scope[code.variables[n.name]]) for n in model.nodes}
    batch = _batch(inputs)
    if batch is None:
        return out
    bigger = {n: _one_more_row(x) for n, x in inputs.items()}
    try:
        with (
            _layer_outputs(instance, model) as bigger_layers,
            block_calls(module, code) as bigger_calls,
        ):
            bigger_scope = run_forward(module, instance, code, model, bigger, device)
    except ForwardError:
        return out
    static_blocks = out.blocks
    out.blocks, out.block_args = block_shapes(
        module, instance, model, code, calls, names, bigger_calls, batch
    )
    dynamic = _texts(model, code, inputs, scope, layers, instance, names, bigger, bigger_scope)
    static = replace(out, blocks=static_blocks)
    out.comments, out.docstring = dynamic.comments, dynamic.docstring
    out.inputs = dynamic.inputs
    out.layers, out.static = _layer_texts(layers, names, bigger_layers, batch), static
    return out


def _numel(owned) -> int:
    """The parameters a module holds, or a bare Parameter's own size."""
    import torch

    if isinstance(owned, torch.Tensor):
        return owned.numel()
    return sum(p.numel() for p in owned.parameters())


def _over_budget(e: ForwardError, size: int, budget: int) -> ForwardError:
    """The meta run's failure; when torch says it is the meta device's (no meta kernel, a
    value it can't know), it says why it wasn't run with real weights and what to do."""
    if "meta" not in e.reason.lower() and not e.reason.startswith("NotImplementedError"):
        return e  # a mistake in the spec: torch's meta kernels word some differently
    note = (
        f" (on the meta device: its {budgets.show_bytes(size)} of parameters are over the "
        f"{budgets.show_bytes(budget)} numeric budget, so it was not run with real weights; "
        "a bigger --numeric-budget runs it for real)"
    )
    problem = dataclasses.replace(e.problems[0], message=e.problems[0].message + note)
    return ForwardError(problem, e.source_name, e.node, e.reason + note)


def _batch(inputs: dict) -> int | None:
    """The batch size: the first dimension every input shares, when it is at least 2."""
    sizes = {x.shape[0] for x in inputs.values() if x.dim() >= 1}
    return sizes.pop() if len(sizes) == 1 and min(sizes) >= 2 else None


def _one_more_row(x):
    import torch

    return torch.cat([x, x[:1]]) if x.dim() >= 1 else x


@contextlib.contextmanager
def _layer_outputs(instance, model: Model):
    """Record what each Sequential layer returns: (module, i) -> its outputs, one per call."""
    seen: dict[tuple, list] = {}
    hooks = []
    for name, module in model.modules.items():
        if module.sequential and hasattr(instance, name):
            built = list(getattr(instance, name))
            end = 0
            for i, entry in enumerate(module.layers):
                end += entry.count()  # a repeated entry's output is its last copy's
                record = seen.setdefault((name, i), [])
                if entry.count() and end <= len(built):
                    hook = built[end - 1].register_forward_hook(
                        lambda _m, _i, o, r=record: r.append(o)
                    )
                    hooks.append(hook)
    try:
        yield seen
    finally:
        for hook in hooks:
            hook.remove()


def _layer_texts(
    layers: dict, names: SymbolicResult, bigger: dict | None = None, batch: int | None = None
) -> dict:
    """(module, i) -> the layer's output shape, where every call gave the same."""
    out = {}
    for key, values in layers.items():
        more = (bigger or {}).get(key) or [None] * len(values)
        named = names.layer_shapes.get(key) or [None] * len(values)
        texts = {
            short(describe(v, b, batch, n)) for v, b, n in zip(values, more, named, strict=False)
        }
        if len(texts) == 1:
            out[key] = texts.pop()
    return out


def _texts(
    model, code, inputs, scope, layers, instance, names, bigger=None, bigger_scope=None
) -> Probe:
    """The node comments and docstring of one run, with ``B`` where ``bigger_scope`` shows the
    batch (the run of ``bigger``, the inputs with one more row)."""
    batch = _batch(inputs) if bigger is not None else None
    got = bigger_scope or {}
    out = Probe()
    for node in model.nodes:
        var = code.variables[node.name]
        shown = describe(scope[var], got.get(var), batch, names.shapes.get(node.name))
        out.comments[node.name] = short(shown)
    out.layers = _layer_texts(layers, names)
    more = bigger or {}
    out.inputs = {
        n: describe(v, more.get(n), batch, names.inputs.get(n)) for n, v in inputs.items()
    }
    out.docstring = _docstring(
        model,
        out.inputs,
        scope["__return__"],
        instance,
        names,
        bigger,
        got.get("__return__"),
        batch,
    )
    return out


def _concrete_layers(
    instance, model: Model, names: SymbolicResult
) -> dict[tuple, tuple[str, dict]]:
    """(module, layer index) -> (concrete class name, inferred kwargs) for each Lazy layer; a
    size that follows a parameter is a literals.Expression."""
    out = {}
    for name, module in model.modules.items():
        for i, layer in enumerate(module.layers):
            if not layer.cls.lazy or layer.repeat is not None:
                continue
            found = lazy_layers.inferred(lazy_layers.built(instance, module, i), layer)
            if found is None:
                continue
            concrete, inferred = found
            sizes = names.layers[(name, i)].sizes if (name, i) in names.layers else {}
            for p, source in sizes.items():
                if p in inferred and source != str(inferred[p]):
                    inferred[p] = _expression(inferred[p], source, model, layer.path, p)
            out[(name, i)] = (concrete, inferred)
    return out


def _docstring(
    model: Model,
    inputs: dict[str, str],
    output,
    instance,
    names: SymbolicResult,
    bigger=None,
    bigger_output=None,
    batch=None,
) -> list[str]:
    """The docstring's shape lines; ``inputs``: each input's shape text."""
    params = sum(p.numel() for p in instance.parameters())
    lines = ["Inputs:", *(f"    {n}: {text}" for n, text in inputs.items())]
    kind, items = model.outputs()
    if kind == "single":
        shown = describe(output, bigger_output, batch, names.output)
        lines.append(f"Output: {items[0][1]} {shown}")
    else:
        lines.append(f"Outputs (a {kind}):")
        for key, node in items:
            shown = node if kind == "tuple" else repr(key)
            got = bigger_output[key] if bigger_output is not None else None
            named = names.output[key] if names.output is not None else None
            lines.append(f"    {shown}: {describe(output[key], got, batch, named)}")
    at = " (with the default arguments)" if model.params else ""
    lines.append(f"Parameters: {params:,}{at}")
    batch_size = f"; B: the batch size, {batch} in them" if batch is not None else ""
    lines.append(f"(shapes from the example inputs in the spec{batch_size})")
    return lines


def _expression(value: int, source: str, model: Model, path: tuple, arg: str) -> object:
    """The inferred ``value`` written as ``source``; the two must agree at the defaults."""
    from ..params.expressions import parse

    got = parse(source).evaluate({n: p.default for n, p in model.params.items()})
    if got != value:
        raise SpecError(
            [
                model.problem(
                    path,
                    f"the inferred `{arg}` is {value} but its expression `{source}` gives {got}"
                    " for the defaults: this is a torcharc-gen bug, please report it",
                )
            ],
            model.source_name,
        )
    return Expression(value, source)
