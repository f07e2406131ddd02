"""Shape inference: run the example inputs once through a draft of the generated code, then
read off every node's result shape and the sizes each Lazy module inferred.

The run is on the meta device (the draft built under ``torch.device("meta")``, the inputs meta
tensors): shapes and dtypes without storage, so a 7 B-parameter spec costs what a small one
does. Meta rather than FakeTensorMode: a meta-built module is an ordinary module that
jit.script, jit.trace, torch.compile and torch.export all take as it is (verify.py checks big
models that way), where jit.trace refuses a module built under FakeTensorMode (torch 2.13), and
the meta device needs no mode kept active around the run.

The emitter then writes the concrete classes (``LazyLinear(out_features=64)`` becomes
``nn.Linear(in_features=128, out_features=64)``) and the shapes as comments, so the final file
needs no warm-up forward before it is scripted, exported or checkpointed.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field

from . import budget as budgets
from .emit import Code
from .errors import SpecError
from .model import Model
from .runtime import (
    ForwardError,
    construct,
    describe,
    example_tensors,
    imported,
    meta_tensors,
    numpy_known_missing,
    run_forward,
    state_bytes,
)


@dataclass
class Probe:
    """What running the example inputs taught us; the emitter writes it into the file."""

    comments: dict[str, str] = field(default_factory=dict)  # node name -> shape text
    concrete: dict[tuple, tuple[str, dict]] = field(default_factory=dict)  # (module, i) -> Lazy
    docstring: list[str] = field(default_factory=list)
    params: dict[str, int] = field(default_factory=dict)  # module name -> parameter count
    device: str = "meta"  # where it ran: "meta" (no weights) or "cpu" (real weights)


def probe(code: Code, model: Model, budget: int | None = None, *, real: bool = False) -> Probe:
    """Run ``model.examples`` through ``code`` (the draft); raises SpecError with the failing
    node (or Sequential layer) when the model can't take them.

    It runs on the meta device (shapes and dtypes, no storage), so its cost doesn't depend on
    the parameter count. When that fails (an op with no meta kernel, a shape that depends on
    the input's values, or a real mistake, whose message torch's meta kernels may word
    differently) it runs again with real weights and example values, if the parameters fit
    ``budget`` bytes (default budget.DEFAULT); else the meta failure is the error, saying so.
    ``real``: skip the meta run (tests compare the two).
    """
    budget = budgets.parse(budgets.DEFAULT) if budget is None else budget
    with imported(code.text) as module, numpy_known_missing():
        instance = None
        if not real:
            try:
                instance = construct(module, code, model, "meta")
            except SpecError:
                pass  # built for real below: its error, or it builds there
        if instance is not None:
            try:
                return _probe(module, instance, code, model, meta_tensors(model.examples), "meta")
            except ForwardError as e:
                size = state_bytes(instance)
                if size > budget:
                    raise _over_budget(e, size, budget) from None
        instance = construct(module, code, model)
        return _probe(module, instance, code, model, example_tensors(model.examples), "cpu")


def _probe(module, instance, code: Code, model: Model, inputs: dict, device: str) -> Probe:
    instance.eval()
    scope = run_forward(module, instance, code, model, inputs, device)
    out = Probe(device=device)
    for node in model.nodes:
        out.comments[node.name] = _short(describe(scope[code.variables[node.name]]))
    out.concrete = _concrete_layers(instance, model)
    out.params = {
        name: sum(p.numel() for p in getattr(instance, name).parameters())
        for name in model.modules
        if hasattr(instance, name)
    }
    out.docstring = _docstring(model, inputs, scope["__return__"], instance)
    return out


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


def _concrete_layers(instance, model: Model) -> dict[tuple, tuple[str, dict]]:
    """(module, layer index) -> (concrete class name, inferred kwargs) for each Lazy layer."""
    import torch

    out = {}
    for name, module in model.modules.items():
        for i, layer in enumerate(module.layers):
            if not layer.cls.lazy:
                continue
            sub = getattr(instance, name)
            sub = sub[i] if module.sequential else sub
            if any(
                isinstance(p, torch.nn.parameter.UninitializedParameter) for p in sub.parameters()
            ):
                continue
            concrete = type(sub)
            lazy_params = inspect.signature(getattr(torch.nn, layer.cls.name)).parameters
            concrete_params = inspect.signature(concrete).parameters
            inferred = {
                p: getattr(sub, p)
                for p in concrete_params
                if p not in lazy_params and isinstance(getattr(sub, p, None), int)
            }
            # Lazy classes may default differently from their concrete class (LazyInstanceNorm
            # tracks running stats, InstanceNorm doesn't): keep the Lazy class's defaults.
            for p, param in lazy_params.items():
                if (
                    p in concrete_params
                    and p not in layer.kwargs
                    and param.default != concrete_params[p].default
                    and isinstance(param.default, (bool, int, float, str))
                ):
                    inferred[p] = param.default
            out[(name, i)] = (concrete.__name__, inferred)
    return out


def _docstring(model: Model, inputs: dict, output: object, instance) -> list[str]:
    params = sum(p.numel() for p in instance.parameters())
    lines = ["Inputs:"]
    lines += [f"    {name}: {describe(value)}" for name, value in inputs.items()]
    kind, items = model.outputs()
    if kind == "single":
        lines.append(f"Output: {items[0][1]} {describe(output)}")
    else:
        lines.append(f"Outputs (a {kind}):")
        for key, node in items:
            shown = node if kind == "tuple" else repr(key)
            lines.append(f"    {shown}: {describe(output[key])}")
    lines.append(f"Parameters: {params:,}")
    lines.append("(shapes from the example inputs in the spec)")
    return lines


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
