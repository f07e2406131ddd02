"""Sizes that Lazy modules infer, and every node's output shape, as expressions in the spec's
int parameters: right for every value, because they are computed symbolically, not fitted.

The probe builds the normalized :class:`model.Model` from ``torch.nn`` classes (and TorchArc's
helpers, as each helper's own ``torch_fn`` in helpers.py) with one sympy symbol per int
parameter, using torch's own symbolic-shape machinery: a ``ShapeEnv`` holds the symbols,
``FakeTensorMode`` runs the forward on fake inputs (no data, symbolic sizes). Each Lazy layer's
inferred attributes (``in_features``, ``in_channels``, ``num_features``, ...) and each node's
result shape are then read as sympy expressions and rendered as Python in the parameter names
(``hidden * 4``, see sympy_source.py).

Whenever torch needs a concrete value of a symbol (a branch on it, a float computed from it),
the ShapeEnv records a guard; a guard that pins a parameter (to a number, or to another
parameter) means no expression is right for every value: :class:`SymbolicError` names the
module and the parameter, and the caller stops instead of guessing. So does a guard that
specializes a size following the parameters as 0 or 1 (``Eq(size, 1)``): torch treats those
sizes specially, so what it computes holds only there.

Input: the Model, whose arguments written as ``${...}`` are literals.Expression values, and its
family (the parameters, their defaults and where each ``${...}`` stands, example-input shapes
included). Float, bool and str parameters are passed as their plain values: only int
parameters are symbols (a symbolic float is pinned by nearly every op that takes one, Dropout's
``p`` included). A float parameter that reaches a size through an expression is a type clash
that validation reports; one that reaches a size inside a module (``Upsample``'s
``scale_factor``) is found by running each layer it reaches once more with another value of it
and comparing the result's sizes: a refutation, so a float whose change doesn't cross a
rounding step there goes unnoticed. An int parameter torch checks by value (Dropout's ``p``)
or needs as a number (Softmax's ``dim``) is probed the same way, plain, with its neighbours as
the other values (see :func:`probe_model`).

Where torch's own kernels can't take symbolic sizes, the probe uses the shape rule torch
documents instead (shape_rules.py). What the probe changes in torch while it runs, and why, is
in probe_patches.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ..params.declarations import analyze, collect_params
from ..params.family import Family
from ..params.resolution import other_float, values_for
from ..spec import blocks as block_rules
from ..spec.classes import BLOCK_PREFIX, ClassRef, block_ref, builtin_classes
from ..spec.load import Source
from ..spec.model import Model
from ..spec.module_rules import class_names_used
from ..spec.normalize import normalize
from ..spec.validate import Checked
from .probe_blocks import evaluated, plans
from .probe_patches import probe_patches
from .probe_result import Inferred, Result, SymbolicError
from .probe_run import Run

__all__ = ["Inferred", "Result", "SymbolicError", "probe", "probe_model"]


def probe_model(model: Model) -> Result:
    """Run the symbolic probe over ``model`` with every int parameter a symbol whose hint is
    its default (the family's: the spec's, or the overrides validation took).

    An int parameter whose value a constructor or forward checks (Dropout's ``p`` given as
    ``${rate}``: ``0 <= p <= 1``) or needs as a number (Softmax's ``dim``) can't be a symbol:
    the probe runs again with it a plain number, like a float parameter (refuted, not proved,
    not to change sizes: by the values one above and one below). One that sizes an example
    input stays a symbol."""
    params = model.params
    refs = model.family.refs if model.family is not None else {}
    shapes = {name for path, expr in refs.items() if _is_shape(path) for name in expr.names}
    plain: dict[str, SymbolicError] = {}  # param -> why it is probed as a plain number
    while True:
        try:
            return _attempt(model, plain)
        except SymbolicError as e:
            if e.param is not None and e is plain.get(e.param):
                raise  # pinned, and no other value builds: the pin is the answer
            if e.param in plain and plain[e.param].param == e.param:
                raise plain[e.param]  # pinned, and the sizes depend on it: the pin says so
            if e.param in plain:
                why = plain[e.param]
                raise SymbolicError(
                    e.path,
                    f"{e.message} (it is a plain number in the probe because"
                    f" {'.'.join(map(str, why.path))}: {why.message})",
                    e.param,
                ) from None
            if e.param is not None:
                if e.final or e.param in shapes or params[e.param].type is not int:
                    raise
                plain[e.param] = e
                continue
            used = {
                name
                for path, expr in refs.items()
                if path[: len(e.path)] == e.path
                for name in expr.names
                if params[name].type is int and name not in plain and name not in shapes
            }
            if not e.path or not used:
                raise
            plain.update(dict.fromkeys(used, e))


def probe(
    data: Mapping,
    values: Mapping[str, object] | None = None,
    classes: Mapping[str, type] | None = None,
) -> Result:
    """:func:`probe_model` over spec data (``params``, ``${...}``, example-input shapes) that
    has not been validated: its Model is normalize's, with ``values`` overriding the defaults.
    ``classes``: the spec's custom module classes by name (torch.nn and helpers are known)."""
    return probe_model(_model(data, values, dict(classes or {})))


def _model(data: Mapping, values: Mapping[str, object] | None, classes: dict) -> Model:
    checked = _checked(data, values, classes)
    for name in block_rules.order(Source(data=data))[0]:
        block = data["blocks"][name]
        checked.blocks[name] = _checked(block, None, classes, checked.blocks)
    return normalize(checked.source, checked)


def _checked(data: Mapping, values, classes: dict, blocks=None) -> Checked:
    """What validation would have kept of ``data`` (the spec's, or a block's)."""
    params, problems = collect_params(data)
    if problems:
        raise SymbolicError(problems[0].path, problems[0].message)
    actual = values_for(params, values)
    params = {n: dataclasses.replace(p, default=actual[n]) for n, p in params.items()}
    refs = {ref.path: ref.expr for ref in analyze(data).refs}
    family = Family(params, refs, data)
    builtin = builtin_classes()
    refs_by_name = {name: _class_ref(name, builtin, classes) for name, _ in class_names_used(data)}
    source = Source(data=data)
    checked = Checked(refs_by_name, classes, family=family, source=family.plain(source))
    checked.blocks = blocks if blocks is not None else {}
    return checked


def _class_ref(name: str, builtin: dict, classes: dict) -> ClassRef:
    if name.startswith(BLOCK_PREFIX):
        return block_ref(name)
    return builtin[name] if name in builtin and name not in classes else ClassRef(name, "custom")


def _is_shape(path: tuple) -> bool:
    return path[:2] == ("graph", "input")


def _attempt(model: Model, plain: dict[str, SymbolicError]) -> Result:
    from torch._dynamo.source import ConstantSource
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.fx.experimental.symbolic_shapes import DimDynamic, ShapeEnv

    if model.examples is None:
        raise SymbolicError(
            ("graph", "input"), "the symbolic probe needs example inputs with shapes"
        )
    env = ShapeEnv()
    params, actual = model.params, dict(model.family.values if model.family else {})
    symbols: dict[object, str] = {}  # sympy symbol -> param name
    concrete = dict(actual)
    for name, param in params.items():
        if param.type is not int or name in plain:
            continue
        value = actual[name]
        # A hint of 0 or 1 would be pinned by torch's size-0/1 special cases (broadcasting,
        # contiguity), as torch's own dynamic shapes specialise them; the symbol's value only
        # steers which guards are recorded, never the expressions.
        hint = value if value >= 2 else 2
        sym = env.create_symbol(
            hint,
            ConstantSource(name),
            dynamic_dim=DimDynamic.DYNAMIC,  # no duck sizing: equal defaults stay two symbols
            positive=True if value > 0 else None,
            do_not_specialize_zero_one=True,
        )
        symbols[sym] = name
        concrete[name] = env.create_symintnode(sym, hint=hint)
    # Float (and plain int) params are plain values; each layer's arguments at another value
    # of one tell which layers it reaches (see Run._float_check).
    others = {
        name: _others(actual[name])
        for name, param in params.items()
        if param.type is float or name in plain
    }
    run = Run(env, symbols, actual, dict(model.custom), model.blocks)
    planned = {
        name: plans(module.layers, concrete, others, run.plain)
        for name, module in model.modules.items()
    }
    inputs = {name: evaluated(_shape(model, name), concrete) for name in model.examples}
    run.pinned = {n: e for n, e in plain.items() if e.param == n}
    run.spelled = _spelled(model, concrete, env)
    with probe_patches(env, list(model.custom.values())), FakeTensorMode(shape_env=env):
        return run.model(model, planned, inputs)


def _shape(model: Model, name: str) -> list:
    """An example input's shape, with its ``${...}`` entries as Expressions."""
    shape = list(model.examples[name].shape)
    if model.family is None:
        return shape
    return model.family.bind(shape, ("graph", "input", name, "shape"))


def _others(value: int | float) -> list:
    """Other values of a plain parameter: an int's neighbours, a float as resolution.other_float."""
    return [value + 1, value - 1] if type(value) is int else [other_float(value)]


def _spelled(model: Model, concrete: dict, env) -> dict:
    """sympy expression -> the source of a spec ``${...}`` that computes it, so a size equal
    to one the spec writes is written the spec's way (``in_dim * expansion``, not sympy's
    ``expansion * in_dim``)."""
    import torch

    out = {}
    refs = model.family.refs if model.family is not None else {}
    with env.suppress_guards():
        for expr in refs.values():
            try:
                value = expr.evaluate(concrete)
            except Exception:  # noqa: BLE001 - e.g. a division by zero: not a size
                continue
            if isinstance(value, torch.SymInt):
                out.setdefault(env.replace(value.node.expr), expr.source())
    return out
