"""Sizes that Lazy modules infer, and every node's output shape, as expressions in the spec's
int parameters: right for every value, because they are computed symbolically, not fitted.

The probe builds the model from ``torch.nn`` classes (and TorchArc's helpers, as plain torch
calls) with one sympy symbol per int parameter, using torch's own symbolic-shape machinery: a
``ShapeEnv`` holds the symbols, ``FakeTensorMode`` runs the forward on fake inputs (no data,
symbolic sizes). Each Lazy layer's inferred attributes (``in_features``, ``in_channels``,
``num_features``, ...) and each node's result shape are then read as sympy expressions and
rendered as Python in the parameter names (``hidden * 4``).

Whenever torch needs a concrete value of a symbol (a branch on it, a float computed from it),
the ShapeEnv records a guard; a guard that pins a parameter (to a number, or to another
parameter) means no expression is right for every value: :class:`SymbolicError` names the
module and the parameter, and the caller stops instead of guessing. So does a guard that
specializes a size following the parameters as 0 or 1 (``Eq(size, 1)``): torch treats those
sizes specially, so what it computed holds only there.

Input: spec data with ``params:``, ``${...}`` values and example-input shapes (which may use
parameters). Float, bool and str parameters are passed as their plain values: only int
parameters are symbols (a symbolic float is pinned by nearly every op that takes one, Dropout's
``p`` included). A float parameter that reaches a size through an expression is a type clash
that :func:`params.analyze` reports; one that reaches a size inside a module (``Upsample``'s
``scale_factor``) is found by running each layer it reaches once more with another value of it
and comparing the result's sizes: a refutation, so a float whose change doesn't cross a
rounding step there goes unnoticed. An int parameter torch checks by value (Dropout's ``p``)
or needs as a number (Softmax's ``dim``) is probed the same way, plain, with its neighbours as
the other values (see :func:`probe`).

Where torch's own kernels can't take symbolic sizes, the probe uses the shape rule torch
documents instead (``_documented``): RNN, LSTM and GRU (their fused kernels call ``numel``),
and pooling whose kernel, stride, padding or output size is a parameter (the pooling ops take
those as plain ints). The checks at a second set of values (verify.py) run the real modules.

Four things are patched for the duration of a probe only (``_probe_patches``), each because
torch would otherwise turn a symbol into a number for a reason unrelated to sizes:

- ``reset_parameters`` / ``_reset_parameters`` of torch.nn (and custom) classes run with the
  ShapeEnv's guards suppressed: weight initialisation computes floats from sizes
  (``1 / math.sqrt(fan_in)`` in Linear and conv), which would pin the symbol, yet fake
  tensors hold no values to initialise. Only these methods are quiet; a guard in a
  constructor or a forward still counts. (A TorchFunctionMode can skip ``torch.nn.init``
  calls but not the ``math.sqrt`` beside them, and the meta device runs the same
  initialisation.)
- ``UninitializedTensorMixin.materialize`` does nothing: a Lazy module's real uninitialised
  parameter can't take a fake tensor as its data. The probe lets the Lazy module's own
  ``initialize_parameters`` infer its attributes from the fake input (torch's rule, not ours),
  then builds the concrete class (``cls_to_become``) with them.
- ``torch.nn.modules.normalization.numbers``: LayerNorm and RMSNorm test
  ``isinstance(normalized_shape, numbers.Integral)``, which a SymInt isn't; for the same
  reason ``int`` in ``torch.nn.modules.rnn`` (RNN, LSTM and GRU test ``isinstance(size,
  int)``) also takes a SymInt.

The patches are process-wide while a probe runs (generation is single-threaded).
"""

from __future__ import annotations

import ast
import contextlib
import graphlib
import inspect
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import params as P


class SymbolicError(Exception):
    """No expression in the parameters is right for every value (or the probe can't run)."""

    def __init__(self, path: tuple, message: str, param: str | None = None, final=False):
        super().__init__(message)
        self.path = path
        self.message = message
        self.param = param
        self.final = final  # no retry with the parameter plain can help

    def problem(self, source=None):
        from .errors import Problem

        if source is None:
            return Problem(self.path, self.message)
        return source.problem(self.path, self.message, at_key=True)


@dataclass(frozen=True)
class Inferred:
    """A Lazy layer resolved: its concrete class and the sizes it inferred (Python source)."""

    cls: str
    sizes: dict[str, str]


@dataclass
class Result:
    layers: dict[tuple[str, int], Inferred] = field(default_factory=dict)  # (module, index)
    shapes: dict[str, object] = field(default_factory=dict)  # node -> ("4", "hidden"), ...
    inputs: dict[str, object] = field(default_factory=dict)  # input -> its shape
    # (module, index) -> what that layer gave, one shape per call
    layer_shapes: dict[tuple[str, int], list] = field(default_factory=dict)
    output: object = None  # the output's shapes, in the output's structure
    # The conditions torch checked on the way, as Python (stride and contiguity checks
    # included): informational, they don't restrict the sizes' expressions.
    guards: list[str] = field(default_factory=list)
    # param -> (lowest, highest) value the probe's reasoning covers (None: unbounded): where
    # torch branched on a value (an input at least as long as a kernel). Size-1 special cases
    # in torch's stride checks exclude 1 too, though sizes are the same there.
    ranges: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    # The parameter count and the forward's FLOPs (FlopCounterMode's count) as sympy
    # expressions in the symbols (``symbols``: sympy symbol -> parameter name); flops is None
    # where a layer ran by its documented shape rule (RNN: no FLOPs of torch's own to count).
    parameters: object = None
    flops: object = None
    symbols: dict = field(default_factory=dict)


def probe(
    data: Mapping,
    values: Mapping[str, object] | None = None,
    classes: Mapping[str, type] | None = None,
) -> Result:
    """Run the symbolic probe over ``data`` (spec data with ``params`` and ``${...}``) with
    every int parameter a symbol whose hint is its value (``values`` override the defaults).
    ``classes``: the spec's custom module classes by name (torch.nn and helpers are known).

    An int parameter whose value a constructor or forward checks (Dropout's ``p`` given as
    ``${rate}``: ``0 <= p <= 1``) or needs as a number (Softmax's ``dim``) can't be a symbol:
    the probe runs again with it a plain number, like a float parameter (refuted, not proved,
    not to change sizes: by the values one above and one below). One that sizes an example
    input stays a symbol."""
    params, problems = P.collect_params(data)
    if problems:
        raise SymbolicError(problems[0].path, problems[0].message)
    actual = P.values_for(params, values)
    refs = P.analyze(data).refs
    shapes = {name for ref in refs if ref.kind == "shape" for name in ref.expr.names}
    plain: dict[str, SymbolicError] = {}  # param -> why it is probed as a plain number
    while True:
        try:
            return _attempt(data, params, actual, classes or {}, plain)
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
                for ref in refs
                if ref.path[: len(e.path)] == e.path
                for name in ref.expr.names
                if params[name].type is int and name not in plain and name not in shapes
            }
            if not e.path or not used:
                raise
            plain.update(dict.fromkeys(used, e))


def _attempt(data, params, actual, classes, plain: dict[str, SymbolicError]) -> Result:
    import torch
    from torch._dynamo.source import ConstantSource
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.fx.experimental.symbolic_shapes import DimDynamic, ShapeEnv

    env = ShapeEnv()
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
    spec = P.substitute(data, params, concrete)
    # Float (and plain int) params are plain values; specs with only that one changed tell
    # which layers it reaches (see _Run._float_check).
    others = {
        name: [P.substitute(data, params, {**concrete, name: v}) for v in _others(actual[name])]
        for name, param in params.items()
        if param.type is float or name in plain
    }
    run = _Run(env, symbols, torch, actual, dict(classes))
    run.pinned = {n: e for n, e in plain.items() if e.param == n}
    run.spelled = _spelled(data, params, concrete, env, torch)
    with _probe_patches(env, list(classes.values())), FakeTensorMode(shape_env=env):
        return run.model(spec, others)


def _others(value: int | float) -> list:
    """Other values of a plain parameter: an int's neighbours, a float as params.other_float."""
    return [value + 1, value - 1] if type(value) is int else [P.other_float(value)]


def _spelled(data: Mapping, params: dict, concrete: dict, env, torch) -> dict:
    """sympy expression -> the source of a spec ``${...}`` that computes it, so a size equal
    to one the spec writes is written the spec's way (``in_dim * expansion``, not sympy's
    ``expansion * in_dim``)."""
    out = {}
    with env.suppress_guards():
        for ref in P.analyze(data).refs:
            try:
                value = ref.expr.evaluate(concrete)
            except Exception:  # noqa: BLE001 - e.g. a division by zero: not a size
                continue
            if isinstance(value, torch.SymInt):
                out.setdefault(env.replace(value.node.expr), ref.expr.source())
    return out


class _Run:
    def __init__(self, env, symbols: dict, torch, actual: dict, classes: dict):
        self.classes = classes
        self.env = env
        self.actual = {sym: actual[name] for sym, name in symbols.items()}
        self.plain_values = dict(actual)
        self.pinned: dict[str, SymbolicError] = {}  # plain because torch needs its value
        self.symbols = symbols
        self.torch = torch
        self.lazy: dict[tuple[str, int], _Lazy] = {}
        self.spelled: dict = {}  # sympy expression -> how the spec writes it
        self.documented_rnn = False  # an RNN ran by its documented shape rule
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
            size = _zero_or_one(guard.expr)
            if size is not None and size.free_symbols & set(self.symbols):
                try:
                    shown = f"{_to_source(size, self.symbols)} == {guard.expr.rhs}"
                except _NotExpressible:
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
        if not _is_number(value):
            try:
                return f" (torch checked `{name} == {_to_source(value, self.symbols)}`)"
            except _NotExpressible:
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

    def model(self, spec: Mapping, others: Mapping[str, Mapping] | None = None) -> Result:
        modules = spec["modules"]
        graph = spec["graph"]
        inputs = graph["input"]
        if not isinstance(inputs, Mapping):
            raise SymbolicError(
                ("graph", "input"), "the symbolic probe needs example inputs with shapes"
            )
        called = {n.partition("~")[0] for n in graph["modules"]}
        built = {
            name: self._module(name, modules[name], others or {})
            for name in modules
            if name in called
        }
        scope = {}
        for name, ex in inputs.items():
            dtype = getattr(self.torch, ex.get("dtype", "float32"))
            with self.watch(("graph", "input", name), f"example input `{name}`"):
                scope[name] = self.torch.empty(tuple(ex["shape"]), dtype=dtype)
        result = Result(inputs={name: self._shape(scope[name]) for name in inputs})
        self.layer_shapes = result.layer_shapes
        for node in _order(graph["modules"], set(inputs)):
            args = graph["modules"][node]
            module = node.partition("~")[0]
            call_args, call_kwargs = _arguments(args, scope)
            scope[node] = self._call(module, built[module], call_args, call_kwargs, node)
            result.shapes[node] = self._shape(scope[node])
        result.flops = None if self.documented_rnn else self._expr(self.flops)
        result.parameters = self._expr(_parameter_count(self.torch, built.values()))
        result.symbols = dict(self.symbols)
        out = graph["output"]
        if isinstance(out, str):
            result.output = result.shapes[out]
        elif isinstance(out, list):
            result.output = tuple(result.shapes[n] for n in out)
        else:
            result.output = {k: result.shapes[n] for k, n in out.items()}
        for key, lazy in self.lazy.items():
            if lazy.inferred is None:
                continue
            path = lazy.path
            sizes = {
                k: self._render(v, path, f"the inferred `{k}`") for k, v in lazy.inferred.items()
            }
            result.layers[key] = Inferred(lazy.target.__name__, sizes)
        result.guards = self._guards()
        result.ranges = self._ranges()
        return result

    def _module(self, name: str, spec: Mapping, others: Mapping[str, Mapping]) -> list:
        entries = _layer_specs(name, spec)
        steps = [self._layer(name, i, item, path) for i, (item, path) in enumerate(entries)]
        for param, alternatives in others.items():
            for other in alternatives:
                changed = _layer_specs(name, other["modules"][name])
                for step, (item, _), (alt, _) in zip(steps, entries, changed, strict=True):
                    if _key(item) != _key(alt):
                        step.others.append((param, alt))
        return steps

    def _layer(self, module: str, index: int, spec: Mapping, path: tuple):
        ((cls_name, kwargs),) = spec.items()
        kwargs = dict(kwargs or {})
        path = path + (cls_name,) if path[-1] != cls_name else path
        if cls_name in HELPERS:
            with self.watch(path, f"`{cls_name}`"):
                return _Step(path, cls_name, self._build(cls_name, kwargs))
        cls = self.classes.get(cls_name) or getattr(self.torch.nn, cls_name, None)
        if not (inspect.isclass(cls) and issubclass(cls, self.torch.nn.Module)):
            raise SymbolicError(path, f"the symbolic probe doesn't know class `{cls_name}`")
        if getattr(cls, "cls_to_become", None) is not None:
            lazy = _Lazy(cls, kwargs, path, self.plain(kwargs))
            self.lazy[(module, index)] = lazy
            return _Step(path, cls_name, lazy)
        with self.watch(path, f"building `{cls_name}`"):
            return _Step(path, cls_name, self._build(cls_name, kwargs))

    def _build(self, cls_name: str, kwargs: dict, lazy: _Lazy | None = None):
        if cls_name in HELPERS:
            return HELPERS[cls_name](self.torch, **kwargs)
        if lazy is not None:
            return lazy.target(**kwargs, **lazy.extra, **lazy.inferred)
        return (self.classes.get(cls_name) or getattr(self.torch.nn, cls_name))(**kwargs)

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

    def _call(self, module: str, steps: list, args: list, kwargs: dict, node: str):
        from torch.utils.flop_counter import FlopCounterMode

        value = None
        for i, step in enumerate(steps):
            if i > 0:
                args, kwargs = [value], {}
            with (
                self.watch(step.path, f"node `{node}` calling `{step.cls}`"),
                FlopCounterMode(display=False) as flops,
            ):
                documented = _documented(self.torch, step.fn) if len(args) == 1 else None
                if documented is not None and not kwargs:
                    self.documented_rnn |= documented is _rnn_outputs
                    value = documented(self.torch, step.fn, args[0])
                else:
                    value = step.fn(*args, **kwargs)
            self.flops += flops.get_total_flops()  # the call's, not the float check's below
            self._float_check(step, args, kwargs, value)
            self.layer_shapes.setdefault((module, i), []).append(self._shape(value))
        return value

    def _float_check(self, step: _Step, args: list, kwargs: dict, value: object) -> None:
        """A float parameter can't be in a size expression: if the layer's result has other
        sizes when only that parameter changes, stop. (A refutation: a float that changes
        sizes only across a rounding step the second value doesn't cross is not caught.) An
        int torch needs as a number (``self.pinned``) that no other value builds with stops
        with the reason it was needed."""
        built: dict[str, bool] = {}
        for param, alt in step.others:
            ((_, alt_kwargs),) = alt.items()
            lazy = step.fn if isinstance(step.fn, _Lazy) else None
            with self.env.suppress_guards():  # nothing this run sees may pin the symbols
                try:
                    other = self._build(step.cls, dict(alt_kwargs or {}), lazy)(*args, **kwargs)
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

    def _shape(self, value: object) -> object:
        torch = self.torch
        if isinstance(value, torch.Tensor):
            return tuple(self._render(d, (), "a shape") for d in value.shape)
        if isinstance(value, (tuple, list)):
            return (
                type(value)(self._shape(v) for v in value)
                if not hasattr(value, "_fields")
                else tuple(self._shape(v) for v in value)
            )
        if isinstance(value, dict):
            return {k: self._shape(v) for k, v in value.items()}
        return type(value).__name__

    def _render(self, value: object, path: tuple, what: str) -> str:
        torch = self.torch
        if isinstance(value, bool) or not isinstance(value, (int, torch.SymInt)):
            return repr(value)
        if isinstance(value, int):
            return str(value)
        expr = self.env.replace(value.node.expr)
        if expr in self.spelled:
            return self.spelled[expr]
        try:
            return _to_source(expr, self.symbols)
        except _NotExpressible as e:
            raise SymbolicError(
                path, f"{what} is `{expr}`, which the ${{...}} language can't write ({e})"
            ) from None

    def _expr(self, value: object) -> object:
        """An int or SymInt as a sympy expression in the symbols."""
        import sympy

        if isinstance(value, self.torch.SymInt):
            return self.env.replace(value.node.expr)
        return sympy.Integer(value)

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
                text = _relation_source(guard.expr, self.symbols)
            except _NotExpressible:
                text = self._named(str(guard.expr))
            if text not in out:
                out.append(text)
        return out


@dataclass
class _Step:
    path: tuple
    cls: str
    fn: object
    others: list = field(default_factory=list)  # (float param, layer spec with it changed)


class _Lazy:
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
            self.module = self.target(**self.kwargs, **self.extra, **self.inferred)
        return self.module(*args, **kwargs)


def _layer_specs(name: str, spec: Mapping) -> list[tuple[Mapping, tuple]]:
    """The layers of a module spec as ({class: kwargs}, path): one for a plain module, the
    items of a Sequential, a compact form expanded (SPEC.md)."""
    path = ("modules", name)
    ((key, body),) = spec.items()
    if key == "Sequential":
        return [(item, path + (key, i)) for i, item in enumerate(body)]
    if key != "compact":
        return [(spec, path)]
    path += (key,)
    layer = body["layer"]
    pre = [(s, path + ("prelayer", j)) for j, s in enumerate(body.get("prelayer") or [])]
    post = [(s, path + ("postlayer", j)) for j, s in enumerate(body.get("postlayer") or [])]
    out = []
    for i, row in enumerate(layer["args"]):
        row = row if isinstance(row, list) else [row]
        main = ({layer["type"]: dict(zip(layer["keys"], row))}, path + ("layer", "args", i))
        out += pre + [main] + post
    return out


def _key(value: object) -> object:
    """A comparable form of substituted spec data (SymInts by their expression, no guard)."""
    if isinstance(value, Mapping):
        return tuple((k, _key(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    node = getattr(value, "node", None)
    return ("sym", str(node.expr)) if node is not None else (type(value).__name__, value)


def _shape_key(value: object, torch) -> object:
    if isinstance(value, torch.Tensor):
        return tuple(_key(d) for d in value.shape)
    if isinstance(value, (list, tuple)):
        return tuple(_shape_key(v, torch) for v in value)
    if isinstance(value, Mapping):
        return tuple((k, _shape_key(v, torch)) for k, v in value.items())
    return type(value).__name__


def _order(nodes: Mapping[str, object], inputs: set[str]) -> list[str]:
    """Nodes in an order where each comes after the nodes it uses (graphlib, stable)."""
    sorter = graphlib.TopologicalSorter()
    for name, args in nodes.items():
        sorter.add(name, *[u for u in _uses(args) if u in nodes])
    return list(sorter.static_order())


def _uses(args: object) -> list[str]:
    if isinstance(args, Mapping):
        return list(args.values())
    out = []
    for a in args:
        out += list(a) if isinstance(a, list) else [a]
    return out


def _arguments(args: object, scope: dict) -> tuple[list, dict]:
    if isinstance(args, Mapping):
        return [], {k: scope[v] for k, v in args.items()}
    return [[scope[n] for n in a] if isinstance(a, list) else scope[a] for a in args], {}


def _documented(torch, module):
    """The shape rule torch documents for ``module``, where torch's own kernels can't take
    its symbolic sizes: RNN/LSTM/GRU (fused kernels call ``numel``), and pooling whose
    kernel, stride, padding or output size is a parameter (the ops take those as plain ints,
    so torch would pin them). None: run the module itself."""
    if isinstance(module, torch.nn.RNNBase):
        return _rnn_outputs
    pools = torch.nn.modules.pooling
    if isinstance(module, (pools._AdaptiveAvgPoolNd, pools._AdaptiveMaxPoolNd)):
        sizes = (module.output_size,)
    elif isinstance(module, (pools._MaxPoolNd, pools._AvgPoolNd)):
        if module.ceil_mode:  # its extra rule (the last window starts inside) is not written here
            return None
        sizes = (module.kernel_size, module.stride, module.padding, getattr(module, "dilation", 1))
    else:
        return None
    if getattr(module, "return_indices", False) or not _has_symint(torch, sizes):
        return None
    return _pool_output


def _has_symint(torch, value) -> bool:
    if isinstance(value, (tuple, list)):
        return any(_has_symint(torch, v) for v in value)
    return isinstance(value, torch.SymInt)


def _pool_output(torch, pool, x):
    """A pooling layer's output as torch documents its shape: for each of the last n
    dimensions ``(L + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1`` (AvgPool:
    no dilation), or the adaptive pools' ``output_size`` (None: the input's size)."""
    n = int(type(pool).__name__[-2])  # MaxPool2d -> 2

    def each(value):
        return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n

    spatial = tuple(x.shape[-n:])
    pools = torch.nn.modules.pooling
    if isinstance(pool, (pools._AdaptiveAvgPoolNd, pools._AdaptiveMaxPoolNd)):
        out = tuple(s if o is None else o for o, s in zip(each(pool.output_size), spatial))
    else:
        kernel, padding = each(pool.kernel_size), each(pool.padding)
        stride = each(pool.stride if pool.stride is not None else pool.kernel_size)
        dilation = each(getattr(pool, "dilation", 1))
        out = tuple(
            (size + 2 * p - d * (k - 1) - 1) // s + 1
            for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation)
        )
    if x.dim() not in (n + 1, n + 2):
        raise ValueError(f"{type(pool).__name__} expects {n + 1}D or {n + 2}D input")
    return torch.empty(tuple(x.shape[:-n]) + out, dtype=x.dtype)


def _rnn_outputs(torch, rnn, x):
    """What RNN, LSTM and GRU return for input ``x`` (no initial state), as empty tensors of
    the shapes torch documents: torch's fused RNN kernels can't run on symbolic sizes (they
    call ``numel``). The constructor still ran, with the symbolic sizes, as torch's own."""
    if x.dim() not in (2, 3) or x.shape[-1] != rnn.input_size:
        raise ValueError(
            f"{type(rnn).__name__} expects input of shape (..., {rnn.input_size}), got"
            f" {tuple(x.shape)}"
        )
    directions = 2 if rnn.bidirectional else 1
    out_size = rnn.proj_size if getattr(rnn, "proj_size", 0) > 0 else rnn.hidden_size
    if x.dim() == 2:  # unbatched: (L, H_in)
        length, batch = x.shape[0], None
    elif rnn.batch_first:
        batch, length = x.shape[0], x.shape[1]
    else:
        length, batch = x.shape[0], x.shape[1]
    if batch is None:
        output = (length, directions * out_size)
    else:
        output = (
            (batch, length, directions * out_size)
            if rnn.batch_first
            else (length, batch, directions * out_size)
        )
    state = (directions * rnn.num_layers,) + ((batch,) if batch is not None else ())
    h_n = torch.empty(state + (out_size,), dtype=x.dtype)
    out = torch.empty(output, dtype=x.dtype)
    if isinstance(rnn, torch.nn.LSTM):
        return out, (h_n, torch.empty(state + (rnn.hidden_size,), dtype=x.dtype))
    return out, h_n


# -- TorchArc's helpers, as torch calls (SPEC.md's table) -----------------------------------


def _parameter_count(torch, modules) -> object:
    """The parameters of the built modules (each counted once, as ``Module.parameters``
    does), a sympy expression: each layer is a module, a Lazy layer's concrete module, or a
    helper whose submodules are its ``modules``."""
    seen: dict[int, object] = {}
    for steps in modules:
        for step in steps:
            fn = step.fn.module if isinstance(step.fn, _Lazy) else step.fn
            parts = [fn] if isinstance(fn, torch.nn.Module) else getattr(fn, "modules", [])
            for part in parts:
                for p in part.parameters():
                    seen.setdefault(id(p), p.numel())
    return sum(seen.values())


def _film(torch, feature_dim, conditioner_dim):
    gamma = torch.nn.Linear(conditioner_dim, feature_dim)
    beta = torch.nn.Linear(conditioner_dim, feature_dim)

    def film(feature, conditioner):
        g, b = gamma(conditioner), beta(conditioner)
        while g.dim() < feature.dim():
            g, b = g.unsqueeze(-1), b.unsqueeze(-1)
        return g * feature + b

    film.modules = [gamma, beta]  # for the parameter count
    return film


HELPERS = {
    "Get": lambda torch, key=0: lambda x: x[key],
    "Narrow": lambda torch, dim, start, length: lambda x: torch.narrow(x, dim, start, length),
    "IndexSelect": lambda torch, dim, index: lambda x: torch.index_select(
        x, dim, torch.tensor(index, dtype=torch.int64)
    ),
    "ForkChunk": lambda torch, chunks=2, dim=1: lambda x: torch.chunk(x, chunks, dim),
    "ForkSplit": lambda torch, split_size_or_sections, dim=1: lambda x: torch.split(
        x, split_size_or_sections, dim
    ),
    "MergeConcat": lambda torch, dim=1: lambda xs: torch.cat(xs, dim),
    "MergeStack": lambda torch, dim=1: lambda xs: torch.stack(xs, dim),
    "MergeSum": lambda torch, dim=1: lambda xs: torch.stack(xs, dim).sum(dim),
    "MergeProd": lambda torch, dim=1: lambda xs: torch.stack(xs, dim).prod(dim),
    "MergeMean": lambda torch, dim=1: lambda xs: torch.stack(xs, dim).mean(dim),
    "MergeDot": lambda torch: lambda x, y: torch.linalg.vecdot(x, y),
    "MergeBMM": lambda torch: lambda input, mat2: torch.bmm(input, mat2),
    "MergeFiLM": _film,
    "Reduce": lambda torch, name, dim, keepdim=False: lambda input: getattr(torch, name)(
        input, dim=dim, keepdim=keepdim
    ),
    "TorchFn": lambda torch, name, **kw: lambda input: getattr(torch, name)(input, **kw),
}


# -- the probe-only patches -----------------------------------------------------------------


@contextlib.contextmanager
def _probe_patches(env, custom: list[type]):
    from unittest import mock

    import torch
    from torch.nn.modules import normalization, rnn
    from torch.nn.parameter import UninitializedTensorMixin

    def quiet(method):
        def wrapper(self, *args, **kwargs):
            with env.suppress_guards():
                return method(self, *args, **kwargs)

        return wrapper

    with contextlib.ExitStack() as stack:
        for cls in _init_classes(torch, custom):
            for name in ("reset_parameters", "_reset_parameters"):
                if name in vars(cls):
                    stack.enter_context(mock.patch.object(cls, name, quiet(vars(cls)[name])))
        stack.enter_context(
            mock.patch.object(UninitializedTensorMixin, "materialize", lambda *a, **k: None)
        )
        numbers = types.SimpleNamespace(Integral=(int, torch.SymInt))
        stack.enter_context(mock.patch.object(normalization, "numbers", numbers))
        stack.enter_context(mock.patch.object(rnn, "int", _int_or_symint(torch), create=True))
        yield


def _int_or_symint(torch) -> type:
    """``int`` for torch.nn.modules.rnn, whose constructors test ``isinstance(size, int)``:
    a SymInt passes that test too; calling it is ``int``."""

    class IntOrSymInt(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, (int, torch.SymInt))

    class Int(metaclass=IntOrSymInt):
        def __new__(cls, *args):
            return int(*args)

    return Int


def _init_classes(torch, custom: list[type]) -> list[type]:
    """torch.nn's module classes and the custom ones, with their bases (not Module itself:
    nothing to patch there)."""
    seen: dict[type, None] = {}
    candidates = [v for v in vars(torch.nn).values() if inspect.isclass(v)] + list(custom)
    for value in candidates:
        if issubclass(value, torch.nn.Module):
            for cls in value.__mro__:
                if issubclass(cls, torch.nn.Module) and cls is not torch.nn.Module:
                    seen.setdefault(cls)
    return list(seen)


# -- sympy -> Python source in the parameter names ------------------------------------------


class _NotExpressible(ValueError):
    pass


def _zero_or_one(expr):
    """The size in a guard ``Eq(size, 0)`` or ``Eq(size, 1)`` (torch's size specialization;
    ``Eq(a % b, 0)``, a divisibility, is not one), else None."""
    import sympy
    from torch.utils._sympy import functions as F

    if not isinstance(expr, sympy.Eq) or expr.rhs not in (0, 1):
        return None
    mods = (F.Mod, getattr(F, "PythonMod", F.Mod), sympy.Mod)
    return None if isinstance(expr.lhs, mods) else expr.lhs


def _is_number(value: object) -> bool:
    import sympy

    return isinstance(value, (int, float)) or (isinstance(value, sympy.Basic) and value.is_number)


def _to_source(expr, symbols: dict) -> str:
    return P.render(_to_ast(expr, symbols))


def _to_ast(expr, symbols: dict) -> ast.expr:
    import sympy
    from torch.utils._sympy import functions as F

    if isinstance(expr, sympy.Integer) or (isinstance(expr, int) and not isinstance(expr, bool)):
        value = int(expr)
        node = ast.Constant(abs(value))
        return ast.UnaryOp(ast.USub(), node) if value < 0 else node
    if isinstance(expr, sympy.Symbol):
        if expr not in symbols:
            raise _NotExpressible(f"`{expr}` is not a parameter")
        return ast.Name(symbols[expr])
    if isinstance(expr, sympy.Add):
        return _sum(expr, symbols)
    if isinstance(expr, sympy.Mul):
        return _product(expr, symbols)
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and int(expr.exp) >= 2:
        base = _to_ast(expr.base, symbols)
        node = base
        for _ in range(int(expr.exp) - 1):
            node = ast.BinOp(node, ast.Mult(), base)
        return node
    binary = {F.FloorDiv: ast.FloorDiv, F.CleanDiv: ast.FloorDiv, F.Mod: ast.Mod}
    binary[getattr(F, "PythonMod", F.Mod)] = ast.Mod
    for kind, op in binary.items():
        if isinstance(expr, kind):
            left, right = expr.args
            return ast.BinOp(_to_ast(left, symbols), op(), _to_ast(right, symbols))
    raise _NotExpressible(f"{type(expr).__name__} is not + - * // %")


def _sum(expr, symbols: dict) -> ast.expr:
    import sympy

    constant, rest = expr.as_coeff_Add()
    terms = list(sympy.Add.make_args(rest))
    terms.sort(key=lambda t: (sympy.default_sort_key(t.as_coeff_Mul()[1]),))
    # added terms first, then subtracted ones: `19 - k`, not `-k + 19`
    added = [t for t in terms if t.as_coeff_Mul()[0] > 0] + ([constant] if constant > 0 else [])
    subtracted = [t for t in terms if t.as_coeff_Mul()[0] < 0]
    terms = added + subtracted + ([constant] if constant < 0 else [])
    node = None
    for term in terms:
        coeff, _ = term.as_coeff_Mul()
        negative = coeff < 0
        part = _to_ast(-term if negative else term, symbols)
        if node is None:
            node = ast.UnaryOp(ast.USub(), part) if negative else part
        else:
            node = ast.BinOp(node, ast.Sub() if negative else ast.Add(), part)
    return node


def _product(expr, symbols: dict) -> ast.expr:
    import sympy

    coeff, rest = expr.as_coeff_Mul()
    if not coeff.is_Integer:
        raise _NotExpressible(f"the coefficient {coeff} is not an integer")
    factors = sorted(sympy.Mul.make_args(rest), key=sympy.default_sort_key)
    node = None
    for f in factors:
        part = _to_ast(f, symbols)
        node = part if node is None else ast.BinOp(node, ast.Mult(), part)
    if coeff == -1:
        return ast.UnaryOp(ast.USub(), node)
    if coeff != 1:
        node = ast.BinOp(node, ast.Mult(), _to_ast(coeff, symbols))
    return node


def _relation_source(expr, symbols: dict) -> str:
    import sympy

    ops = {
        sympy.Eq: "==",
        sympy.Ne: "!=",
        sympy.Ge: ">=",
        sympy.Gt: ">",
        sympy.Le: "<=",
        sympy.Lt: "<",
    }
    for kind, op in ops.items():
        if isinstance(expr, kind):
            left, right = expr.args
            return f"{_to_source(left, symbols)} {op} {_to_source(right, symbols)}"
    raise _NotExpressible(type(expr).__name__)
