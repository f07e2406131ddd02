"""The symbolic probe's plans of a spec's layers and its steps made of other steps.

A plan (:class:`Planned`) is a layer's arguments evaluated with the symbols put in (and at
the params' other values), a repeated entry's copies, a nested Sequential's layers. A
:class:`Chain` runs a nested Sequential's layers or a repeated entry's copies one after
another; a :class:`BlockRun` is a block's use: the block's own layers, planned with the use's
arguments, and its nodes. probe_run.Run builds the steps and runs the model's nodes; the steps
here call back into the Run they are given, so they import nothing of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..spec.classes import ClassRef
from ..spec.entries import INDEX
from ..spec.literals import Expression
from ..spec.model import Model


@dataclass
class Planned:
    """A layer as the probe builds it: its arguments with the symbols put in, and for each
    plain parameter that changes them, the arguments at another value (None: they can't be
    computed there). A nested Sequential's layers are ``inner``; a repeated entry's copies
    ``copies`` (each with its ``${i}``)."""

    path: tuple
    cls: ClassRef
    kwargs: dict
    others: list[tuple[str, dict | None]] = field(default_factory=list)
    inner: list[Planned] = field(default_factory=list)
    copies: list[Planned] | None = None


def plans(layers, concrete: dict, others: dict[str, list], plain=lambda v: v) -> list[Planned]:
    """The layers' plans, their arguments evaluated for ``concrete`` (param -> value or
    SymInt); ``plain``: a value with the symbols put back to the params' values (a repeat
    count is a number of modules, never a symbol)."""
    out = []
    for layer in layers:
        if layer.repeat is not None:
            count = int(plain(evaluated(layer.repeat, concrete)))
            one = dataclasses.replace(layer, repeat=None)
            copies = [
                plans([one], {**concrete, INDEX: layer.start + k}, others, plain)[0]
                for k in range(max(count, 0))
            ]
            out.append(Planned(layer.path, layer.cls, {}, copies=copies))
            continue
        kwargs = evaluated(layer.kwargs, concrete)
        path = layer.path if layer.path[-1] == layer.cls.name else layer.path + (layer.cls.name,)
        plan = Planned(path, layer.cls, kwargs)
        if layer.layers is not None:
            plan.inner = plans(layer.layers, concrete, others, plain)
        for param, alternatives in others.items():
            for value in alternatives:
                try:
                    alt = evaluated(layer.kwargs, {**concrete, param: value})
                except ZeroDivisionError:
                    plan.others.append((param, None))  # not buildable at that value
                    continue
                if key(alt) != key(kwargs):
                    plan.others.append((param, alt))
        out.append(plan)
    return out


def evaluated(value: object, values: Mapping[str, object]) -> object:
    """``value`` (an argument value) with each Expression evaluated for ``values``."""
    if isinstance(value, Expression):
        return value.evaluate(values)
    if isinstance(value, list):
        return [evaluated(v, values) for v in value]
    if isinstance(value, dict):
        return {k: evaluated(v, values) for k, v in value.items()}
    return value


def key(value: object) -> object:
    """A comparable form of argument values with the symbols put in (SymInts by their
    expression, no guard)."""
    if isinstance(value, Mapping):
        return tuple((k, key(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(key(v) for v in value)
    node = getattr(value, "node", None)
    return ("sym", str(node.expr)) if node is not None else (type(value).__name__, value)


class Chain:
    """Layers run one after another (a nested Sequential, a repeated entry's copies):
    ``steps``, the Steps ``run`` (a probe_run.Run) built of them."""

    def __init__(self, run, steps: list):
        self.run = run
        self.steps = steps

    @property
    def modules(self) -> list:
        return [m for step in self.steps for m in modules_of(step.fn, self.run.torch)]

    def __call__(self, *args, **kwargs):
        value = args[0] if args else None  # no layers (none of a repeat): the input
        for k, step in enumerate(self.steps):
            if k:
                args, kwargs = (value,), {}
            with self.run.watch(step.path, f"`{step.cls}`"):
                value = step.fn(*args, **kwargs)
        return value


class BlockRun:
    """A block use: the block's layers built by ``run`` (a probe_run.Run) with the use's
    arguments (symbols put in), its nodes called in the block's order."""

    def __init__(self, run, block: Model, kwargs: dict, key: tuple):
        self.run = run
        self.block = block
        values = {**(block.family.values if block.family else {}), **kwargs}
        # its int params as the shapes write them: a size equal to one is named after it
        self.args = {
            p: run.render(v, (), "a size")
            for p, v in values.items()
            if isinstance(v, (int, run.torch.SymInt)) and not isinstance(v, bool)
        }
        prefix = ("blocks", block.name)
        self.built = {}
        for name, module in block.modules.items():
            planned = plans(module.layers, values, {}, run.plain)
            for plan in planned:
                plan.path = prefix + plan.path
            self.built[name] = [run.layer(key + (name,), i, plan) for i, plan in enumerate(planned)]

    @property
    def modules(self) -> list:
        torch = self.run.torch
        return [m for steps in self.built.values() for s in steps for m in modules_of(s.fn, torch)]

    def __call__(self, *args, **kwargs):
        block = self.block
        scope = dict(zip(block.inputs, args))
        scope.update(kwargs)
        for node in block.nodes:
            call_args = [
                [scope[n] for n in a] if isinstance(a, tuple) else scope[a] for a in node.args
            ]
            call_kwargs = {k: scope[v] for k, v in node.kwargs}
            value = None
            for i, step in enumerate(self.built[node.module]):
                if i > 0:
                    call_args, call_kwargs = [value], {}
                with self.run.watch(step.path, f"`{step.cls}` in block {block.name}"):
                    value = step.fn(*call_args, **call_kwargs)
            scope[node.name] = value
        shapes = {n: self.run.shape(v) for n, v in scope.items() if n not in block.inputs}
        inputs = {n: self.run.shape(scope[n]) for n in block.inputs}
        self.run.block_shapes.setdefault(block.name, []).append((inputs, shapes, self.args))
        kind, outs = block.outputs()
        if kind == "single":
            return scope[outs[0][1]]
        if kind == "tuple":
            return tuple(scope[n] for _, n in outs)
        return {k: scope[n] for k, n in outs}


def modules_of(fn: object, torch) -> list:
    """The modules a step's ``fn`` holds: itself, or the ``modules`` of a Chain, a block
    use or a Lazy layer."""
    return [fn] if isinstance(fn, torch.nn.Module) else list(getattr(fn, "modules", []))
