"""One run of the symbolic probe under ``FakeTensorMode``: build each layer with the symbolic
arguments, call the nodes in the Model's order, and read sizes and shapes back as Python in
the parameter names; stop with :class:`SymbolicError` where torch pins a parameter."""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..spec.helpers import HELPERS
from ..spec.model import Model
from .probe_blocks import BlockRun, Chain, Planned, key, modules_of
from .probe_result import Inferred, Result, SymbolicError
from .shape_rules import documented, rnn_outputs
from .sympy_source import NotExpressible, is_number, relation_source, to_source, zero_or_one


@dataclass
class Step:
    path: tuple
    cls: str
    fn: object
    make: Callable[[dict], object]  # kwargs -> the layer (the float check builds it again)
    others: list[tuple[str, dict | None]] = field(default_factory=list)


class Run:
    def __init__(self, env, symbols: dict, actual: dict, classes: dict, blocks=None):
        import torch

        self.blocks = blocks or {}
        self.classes = classes
        self.env = env
        self.actual = {sym: actual[name] for sym, name in symbols.items()}
        self.plain_values = dict(actual)
        self.pinned: dict[str, SymbolicError] = {}  # plain because torch needs its value
        self.symbols = symbols
        self.torch = torch
        self.lazy: dict[tuple[str, int], Lazy] = {}
        self.spelled: dict = {}  # sympy expression -> how the spec writes it
        self.documented_rnn = False  # an RNN ran by its documented shape rule
        self.block_shapes: dict[str, list] = {}  # block -> (inputs, node shapes) per call
        self.flops = 0  # the forward's, as FlopCounterMode counts them

    # -- pins ------------------------------------------------------------------------------

    def _pins(self) -> dict:
        out = {}
        for sym, name in self.symbols.items():
            replaced = self.env.replacements.get(sym)
            if replaced is not None and replaced != sym:
                out[name] = replaced
                continue
            vr = self.env.var_to_range.get(sym)
            if vr is not None and vr.is_singleton():
                out[name] = vr.lower
        return out

    @contextlib.contextmanager
    def watch(self, path: tuple, what: str):
        """Raise SymbolicError if a parameter gets pinned inside the block, or a size that
        follows the parameters is specialized as 0 or 1."""
        before = self._pins()
        guards = len(self.env.guards)
        try:
            yield
        except SymbolicError:
            raise
        except Exception as e:  # noqa: BLE001 - torch's message, tied to the spec
            text = " ".join(line.strip() for line in str(e).strip().splitlines())
            msg = self._named(text) if text else type(e).__name__
            raise SymbolicError(
                path, f"{what} fails on symbolic sizes: {type(e).__name__}: {msg}"
            ) from None
        for name, value in self._pins().items():
            if name in before:
                continue
            raise SymbolicError(
                path,
                f"{what} needs a fixed value of parameter `{name}`{self._checked(name, value)}:"
                f" no size expression in the parameters is right for every value of `{name}`;"
                " make it a plain number here",
                name,
            )
        for guard in self.env.guards[guards:]:
            self._zero_or_one(guard, path, what)

    def _zero_or_one(self, guard, path: tuple, what: str) -> None:
        size = zero_or_one(guard.expr)
        if size is None or not size.free_symbols & set(self.symbols):
            return
        try:
            shown = f"{to_source(size, self.symbols)} == {guard.expr.rhs}"
        except NotExpressible:
            shown = self._named(str(guard.expr))
        raise SymbolicError(
            path,
            f"{what}: a size that follows the parameters is {guard.expr.rhs} at the"
            f" defaults (torch checked `{shown}`), and torch treats sizes 0 and 1"
            " specially, so no expression is right for every value: choose defaults"
            " that make it at least 2",
            self.symbols[next(iter(size.free_symbols & set(self.symbols)))],
            final=True,
        )

    def _checked(self, name: str, value: object) -> str:
        """ " (torch checked `n == 2`)" when that is what the user's values make it."""
        if not is_number(value):
            try:
                return f" (torch checked `{name} == {to_source(value, self.symbols)}`)"
            except NotExpressible:
                return f" (torch checked `{name} == {self._named(str(value))}`)"
        sym = next(s for s, n in self.symbols.items() if n == name)
        if int(value) == self.actual[sym]:
            return f" (torch checked `{name} == {int(value)}`)"
        return ""

    def _named(self, text: str) -> str:
        """``text`` with the ShapeEnv's symbol names (s12) replaced by the parameter names."""
        names = {str(sym): name for sym, name in self.symbols.items()}
        return re.sub(r"\b[a-z]+\d+\b", lambda m: names.get(m.group(0), m.group(0)), text)

    # -- building --------------------------------------------------------------------------

    def model(self, model: Model, plans: dict[str, list[Planned]], inputs: dict) -> Result:
        """Build the planned layers, make the example ``inputs`` (name -> shape with the
        symbols put in), and call the nodes in the Model's order."""
        built = {
            name: [self.layer(name, i, plan) for i, plan in enumerate(plans[name])]
            for name in model.modules
        }
        scope = {}
        for name, shape in inputs.items():
            dtype = getattr(self.torch, model.examples[name].dtype)
            with self.watch(("graph", "input", name), f"example input `{name}`"):
                scope[name] = self.torch.empty(tuple(shape), dtype=dtype)
        result = Result(inputs={name: self.shape(scope[name]) for name in inputs})
        self.layer_shapes = result.layer_shapes
        for node in model.nodes:
            args = [[scope[n] for n in a] if isinstance(a, tuple) else scope[a] for a in node.args]
            kwargs = {k: scope[v] for k, v in node.kwargs} | dict(node.literals)
            scope[node.name] = self._call(node.module, built[node.module], args, kwargs, node.name)
            result.shapes[node.name] = self.shape(scope[node.name])
        result.flops = None if self.documented_rnn else self._expr(self.flops)
        result.parameters = self._expr(_parameter_count(self.torch, built.values()))
        result.symbols = dict(self.symbols)
        kind, outs = model.outputs()
        shapes = [(k, result.shapes[n]) for k, n in outs]
        if kind == "single":
            result.output = shapes[0][1]
        else:
            result.output = tuple(s for _, s in shapes) if kind == "tuple" else dict(shapes)
        for site, lazy in self.lazy.items():
            if lazy.inferred is None:
                continue
            sizes = {
                k: self.render(v, lazy.path, f"the inferred `{k}`")
                for k, v in lazy.inferred.items()
            }
            result.layers[site] = Inferred(lazy.target.__name__, sizes)
        result.blocks = self.block_shapes
        result.guards = self._guards()
        result.ranges = self._ranges()
        return result

    def layer(self, module: object, index: object, plan: Planned) -> Step:
        name, path, kwargs = plan.cls.name, plan.path, plan.kwargs
        if plan.copies is not None or plan.cls.kind == "sequential":
            parts = plan.copies if plan.copies is not None else plan.inner
            steps = [self.layer(module, (index, k), p) for k, p in enumerate(parts)]
            return Step(path, name, Chain(self, steps), None)
        if plan.cls.kind in ("parameter", "buffer"):
            with self.watch(path, f"a {plan.cls.name}"):
                return Step(path, name, _held(self.torch, plan.cls.kind, kwargs), None)
        if plan.cls.kind == "block":
            block = self.blocks[plan.cls.attr]
            return Step(path, name, BlockRun(self, block, kwargs, (module, index)), None)
        if plan.cls.kind == "helper":
            helper = HELPERS[name]

            def make(kw):
                return helper.torch_fn(**helper.bind(kw))

            with self.watch(path, f"`{name}`"):
                return Step(path, name, make(kwargs), make, plan.others)
        if plan.cls.kind == "custom":
            cls = self.classes.get(name)
        else:
            cls = getattr(self.torch.nn, name, None)
        if not (inspect.isclass(cls) and issubclass(cls, self.torch.nn.Module)):
            raise SymbolicError(path, f"the symbolic probe doesn't know class `{name}`")
        if getattr(cls, "cls_to_become", None) is not None:
            lazy = Lazy(cls, kwargs, path, self.plain(kwargs))
            self.lazy[(module, index)] = lazy
            return Step(path, name, lazy, lazy.build, plan.others)
        with self.watch(path, f"building `{name}`"):
            return Step(path, name, cls(**kwargs), lambda kw: cls(**kw), plan.others)

    def plain(self, value: object) -> object:
        """``value`` with each SymInt replaced by its value for the actual parameters."""
        torch = self.torch
        if isinstance(value, torch.SymInt):
            return int(value.node.expr.xreplace(self.actual))
        if isinstance(value, (list, tuple)):
            return type(value)(self.plain(v) for v in value)
        if isinstance(value, dict):
            return {k: self.plain(v) for k, v in value.items()}
        return value

    def _call(self, module: str, steps: list[Step], args: list, kwargs: dict, node: str):
        from torch.utils.flop_counter import FlopCounterMode

        value = None
        for i, step in enumerate(steps):
            if i > 0:
                args, kwargs = [value], {}
            with (
                self.watch(step.path, f"node `{node}` calling `{step.cls}`"),
                FlopCounterMode(display=False) as flops,
            ):
                rule = documented(step.fn) if len(args) == 1 else None
                if rule is not None and not kwargs:
                    self.documented_rnn |= rule is rnn_outputs
                    value = rule(step.fn, args[0])
                else:
                    value = step.fn(*args, **kwargs)
            self.flops += flops.get_total_flops()  # the call's, not the float check's below
            self._float_check(step, args, kwargs, value)
            self.layer_shapes.setdefault((module, i), []).append(self.shape(value))
        return value

    def _expr(self, value: object) -> object:
        """An int or SymInt as a sympy expression in the symbols."""
        import sympy

        if isinstance(value, self.torch.SymInt):
            return self.env.replace(value.node.expr)
        return sympy.Integer(value)

    def _float_check(self, step: Step, args: list, kwargs: dict, value: object) -> None:
        """A float parameter can't be in a size expression: if the layer's result has other
        sizes when only that parameter changes, stop. (A refutation: a float that changes
        sizes only across a rounding step the second value doesn't cross is not caught.) An
        int torch needs as a number (``self.pinned``) that no other value builds with stops
        with the reason it was needed."""
        built: dict[str, bool] = {}
        for param, alt_kwargs in step.others:
            with self.env.suppress_guards():  # nothing this run sees may pin the symbols
                try:
                    if alt_kwargs is None:
                        raise ValueError("no arguments at this value")
                    other = step.make(dict(alt_kwargs))(*args, **kwargs)
                except Exception:  # noqa: BLE001 - the other value may be invalid here
                    built.setdefault(param, False)
                    continue
            built[param] = True
            if _shape_key(other, self.torch) != _shape_key(value, self.torch):
                kind = "float parameter" if type(self.plain_values[param]) is float else "parameter"
                raise SymbolicError(
                    step.path,
                    f"the sizes `{step.cls}` gives depend on {kind} `{param}`: a size must be"
                    " an int expression of int parameters; make it a plain number here",
                    param,
                )
        for param, ok in built.items():
            if not ok and param in self.pinned:
                raise self.pinned[param]

    # -- reading results -------------------------------------------------------------------

    def shape(self, value: object) -> object:
        torch = self.torch
        if isinstance(value, torch.Tensor):
            return tuple(self.render(d, (), "a shape") for d in value.shape)
        if isinstance(value, (tuple, list)):
            return (
                type(value)(self.shape(v) for v in value)
                if not hasattr(value, "_fields")
                else tuple(self.shape(v) for v in value)
            )
        if isinstance(value, dict):
            return {k: self.shape(v) for k, v in value.items()}
        return type(value).__name__

    def render(self, value: object, path: tuple, what: str) -> str:
        torch = self.torch
        if isinstance(value, bool) or not isinstance(value, (int, torch.SymInt)):
            return repr(value)
        if isinstance(value, int):
            return str(value)
        expr = self.env.replace(value.node.expr)
        if expr in self.spelled:
            return self.spelled[expr]
        try:
            return to_source(expr, self.symbols)
        except NotExpressible as e:
            raise SymbolicError(
                path, f"{what} is `{expr}`, which the ${{...}} language can't write ({e})"
            ) from None

    def _ranges(self) -> dict[str, tuple[int | None, int | None]]:
        import sympy

        out = {}
        for sym, name in self.symbols.items():
            vr = self.env.var_to_range.get(sym)
            if vr is None:
                continue
            # torch's int_oo is not a sympy.Integer: unbounded sides become None
            bound = [int(b) if isinstance(b, sympy.Integer) else None for b in (vr.lower, vr.upper)]
            out[name] = tuple(bound)
        return out

    def _guards(self) -> list[str]:
        out = []
        for guard in self.env.guards:
            try:
                text = relation_source(guard.expr, self.symbols)
            except NotExpressible:
                text = self._named(str(guard.expr))
            if text not in out:
                out.append(text)
        return out


def _held(torch, kind: str, kwargs: dict) -> object:
    """A bare Parameter or Buffer as the probe runs it: a module holding it (a parameter, so
    it is counted, or a buffer of its dtype) that gives it when called with no arguments."""
    shape = tuple(kwargs["shape"])

    class Held(torch.nn.Module):
        def __init__(self):
            super().__init__()
            if kind == "parameter":
                self.weight = torch.nn.Parameter(torch.empty(shape))
            else:
                dtype = getattr(torch, kwargs.get("dtype", "float32"))
                self.register_buffer("weight", torch.empty(shape, dtype=dtype))

        def forward(self):
            return self.weight

    return Held()


class Lazy:
    """A Lazy layer: its own ``initialize_parameters`` infers the sizes from the first input,
    then the concrete class (``cls_to_become``) is built with them and does the work."""

    def __init__(self, cls: type, kwargs: dict, path: tuple, plain_kwargs: dict):
        from torch._subclasses.fake_tensor import unset_fake_temporarily

        self.cls = cls
        self.kwargs = kwargs
        self.path = path
        self.target = cls.cls_to_become
        self.inferred: dict | None = None
        self.extra: dict = {}
        self.module = None
        # The Lazy module itself only infers sizes from the input; it is built outside the
        # fake mode (an UninitializedParameter can't be fake) and so from the parameters'
        # values (a real tensor can't have symbolic sizes); the concrete module built after
        # inference gets the symbolic arguments.
        with unset_fake_temporarily():
            self.lazy = cls(**plain_kwargs)

    @property
    def modules(self) -> list:
        """The concrete module, once the first call built it."""
        return [self.module] if self.module is not None else []

    def build(self, kwargs: dict):
        """The concrete class with ``kwargs`` and what this layer inferred."""
        return self.target(**kwargs, **self.extra, **self.inferred)

    def __call__(self, *args, **kwargs):
        if self.module is None:
            self.lazy.initialize_parameters(*args, **kwargs)
            lazy_params = inspect.signature(self.cls).parameters
            target_params = inspect.signature(self.target).parameters
            self.inferred = {
                p: getattr(self.lazy, p)
                for p in target_params
                if p not in lazy_params and hasattr(self.lazy, p)
            }
            self.extra = {
                p: param.default
                for p, param in lazy_params.items()
                if p in target_params
                and p not in self.kwargs
                and param.default is not inspect.Parameter.empty
                and param.default != target_params[p].default
            }
            self.module = self.build(self.kwargs)
        return self.module(*args, **kwargs)


def _shape_key(value: object, torch) -> object:
    if isinstance(value, torch.Tensor):
        return tuple(key(d) for d in value.shape)
    if isinstance(value, (list, tuple)):
        return tuple(_shape_key(v, torch) for v in value)
    if isinstance(value, Mapping):
        return tuple((k, _shape_key(v, torch)) for k, v in value.items())
    return type(value).__name__


def _parameter_count(torch, modules) -> object:
    """The parameters of the built modules (each counted once, as ``Module.parameters``
    does): each layer is a module, a Lazy layer's concrete module, or a helper whose
    submodules are its ``modules``."""
    seen: dict[int, object] = {}
    for steps in modules:
        for step in steps:
            for part in modules_of(step.fn, torch):
                for p in part.parameters():
                    seen.setdefault(id(p), p.numel())
    return sum(seen.values())
